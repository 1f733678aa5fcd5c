//! A migration's hold on its frames' locks (Redbook §5.3: "The HMC that
//! initiates a migration takes a lock on both managed systems and the lock
//! is released when migration is completed"): a lease, renewed while the
//! migration lasts and released when it ends, so that the frames are
//! free again soon after this HMC dies.

use super::remote::Remote;
use crate::error::CmdError;
use std::time::Duration;

/// How long a migration's hold on a frame's lock lasts unless renewed:
/// what another HMC waits for, at most, after this one died.
pub(crate) const LEASE: Duration = Duration::from_secs(6);

/// A frame's lock: this HMC's own session with the frame, or, for another
/// HMC's frame (remote migration), that HMC holding it for this one.
#[derive(Clone)]
pub(crate) enum Lock {
    Own(crate::frames::Conn),
    Remote(Remote, String),
}

impl Lock {
    /// Takes (or renews) the lock for `what`, or releases it.
    pub(crate) async fn set(self, what: &str, release: bool) -> Result<(), CmdError> {
        let lease_ms = LEASE.as_millis() as u64;
        match self {
            Lock::Own(c) => {
                let mut fsp = c.fsp;
                fsp.lock(pvmlab_common::proto::fsp::LockRequest {
                    session: c.session,
                    what: what.to_string(),
                    lease_ms,
                    release,
                    force: false,
                })
                .await
                .map(|_| ())
                .map_err(|e| CmdError::Usage(e.message().to_string()))
            }
            Lock::Remote(r, frame) => r.lock(&frame, what, release).await,
        }
    }
}

/// The held locks: renewed every third of a lease until dropped, then
/// released.
pub(crate) struct Holds {
    renew: tokio::task::AbortHandle,
    locks: Vec<Lock>,
}

impl Drop for Holds {
    fn drop(&mut self) {
        self.renew.abort();
        for l in self.locks.drain(..) {
            tokio::spawn(async move {
                let _ = l.set("", true).await;
            });
        }
    }
}

async fn take(locks: Vec<Lock>, what: String) -> Result<(), CmdError> {
    for l in locks {
        l.set(&what, false).await?;
    }
    Ok(())
}

/// Takes every lock, in order, and keeps them.
pub(crate) async fn hold(locks: Vec<Lock>, what: &str) -> Result<Holds, CmdError> {
    take(locks.clone(), what.to_string()).await?;
    let (again, what) = (locks.clone(), what.to_string());
    let renew = tokio::spawn(async move {
        loop {
            tokio::time::sleep(LEASE / 3).await;
            if let Err(e) = take(again.clone(), what.clone()).await {
                tracing::warn!("renewing the migration's lock: {e}");
            }
        }
    })
    .abort_handle();
    Ok(Holds { renew, locks })
}
