//! The service processor's lock between HMCs. Two HMCs manage a frame as
//! peers; the service processor lets one at a time "temporarily take
//! exclusive control of the interface" for an operation (HMC Installation
//! and Operations Guide, in `clients-and-anchors.md` F), and a migration
//! holds it on both frames until it completes, so that "the other HMC can
//! show the status of migration but cannot issue any additional
//! configuration changes" (Redbook §5.3). A conflicting operation waits a
//! while, then fails naming the holder. A migration's hold is a lease its
//! HMC renews: a dead HMC's hold runs out. Listing never takes the lock.

use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How the refusal begins, as the HMC prints it (the HMC tells it from
/// other refusals by its typed reason, LOCKED).
pub const LOCKED: &str = "The managed system is locked by the management console";

/// How long an operation waits for another HMC's hold to end.
pub const WAIT: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Held {
    hmc: String,
    what: String,
    /// Operations of the holder under way.
    ops: usize,
    /// A lease (a migration's hold) and when it runs out.
    until: Option<Instant>,
}

impl Held {
    fn free(&self, now: Instant) -> bool {
        self.ops == 0 && self.until.is_none_or(|u| u <= now)
    }
}

#[derive(Default)]
pub struct Lock {
    held: Mutex<Held>,
    freed: Notify,
}

/// Another HMC holds the lock.
#[derive(Debug)]
pub struct Locked {
    pub hmc: String,
    pub what: String,
}

impl std::fmt::Display for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{LOCKED} {} ({}). Try again when it is done.",
            self.hmc, self.what
        )
    }
}

/// One operation's hold; it ends when dropped.
pub struct OpGuard<'a>(&'a Lock);

impl Drop for OpGuard<'_> {
    fn drop(&mut self) {
        let mut h = self.0.held.lock().unwrap_or_else(|e| e.into_inner());
        h.ops = h.ops.saturating_sub(1);
        drop(h);
        self.0.freed.notify_waiters();
    }
}

impl Lock {
    /// Takes the lock for `hmc` if it is free, already `hmc`'s, or run out.
    fn try_take(&self, hmc: &str, what: &str, lease: Option<Duration>) -> Result<(), Locked> {
        let mut h = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if h.hmc != hmc && !h.free(now) {
            return Err(Locked {
                hmc: h.hmc.clone(),
                what: h.what.clone(),
            });
        }
        if h.hmc != hmc || h.free(now) {
            *h = Held {
                hmc: hmc.to_string(),
                what: what.to_string(),
                ..Default::default()
            };
        }
        match lease {
            Some(d) => {
                h.until = Some(now + d);
                h.what = what.to_string();
            }
            None => h.ops += 1,
        }
        Ok(())
    }

    async fn take(&self, hmc: &str, what: &str, lease: Option<Duration>) -> Result<(), Locked> {
        let start = tokio::time::Instant::now();
        let deadline = start + WAIT;
        let mut waited = false;
        loop {
            let freed = self.freed.notified();
            let r = self.try_take(hmc, what, lease);
            if waited && (r.is_ok() || tokio::time::Instant::now() >= deadline) {
                let m = pvmlab_common::metrics::metrics();
                m.lock_waits.inc();
                m.lock_wait_seconds.observe(start.elapsed().as_secs_f64());
            }
            waited = true;
            match r {
                Ok(()) => return Ok(()),
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
                Err(_) => {
                    // Woken when a hold ends, or when the lease that
                    // holds it runs out (which tells no one), or at the
                    // deadline.
                    let wake = self.lease_end().map_or(deadline, |u| {
                        deadline.min(tokio::time::Instant::from_std(u))
                    });
                    let _ = tokio::time::timeout_at(wake, freed).await;
                }
            }
        }
    }

    /// When the lease that holds the lock runs out, if one is yet to (a
    /// lease run out under an operation still under way ends with the
    /// operation, which tells the waiters).
    fn lease_end(&self) -> Option<Instant> {
        let until = self.held.lock().unwrap_or_else(|e| e.into_inner()).until;
        until.filter(|u| *u > Instant::now())
    }

    /// One operation of `hmc`, waiting up to `WAIT` for another's hold.
    pub async fn op(&self, hmc: &str, what: &str) -> Result<OpGuard<'_>, Locked> {
        self.take(hmc, what, None).await?;
        Ok(OpGuard(self))
    }

    /// Takes or renews `hmc`'s lease for `what`.
    pub async fn lease(&self, hmc: &str, what: &str, d: Duration) -> Result<(), Locked> {
        self.take(hmc, what, Some(d)).await
    }

    /// Ends whichever HMC's lease there is (`rmlock`): the holder it was.
    /// An operation under way keeps the lock until it is done.
    pub fn force_release(&self) -> Option<String> {
        let mut h = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let was = (!h.free(Instant::now())).then(|| h.hmc.clone());
        h.until = None;
        drop(h);
        self.freed.notify_waiters();
        was
    }

    /// Ends `hmc`'s lease (not another's).
    pub fn release(&self, hmc: &str) {
        let mut h = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if h.hmc == hmc {
            h.until = None;
        }
        drop(h);
        self.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_hmc_at_a_time_and_leases_run_out() {
        let l = Lock::default();
        let g = l.op("hmc1", "ActivateLpar").await.unwrap();
        assert!(l.op("hmc1", "PutLpar").await.is_ok(), "the holder goes on");
        let t = Instant::now();
        let e = l.op("hmc2", "PowerFrame").await.err().unwrap();
        assert_eq!(e.hmc, "hmc1");
        assert!(t.elapsed() >= WAIT, "it waited first");
        drop(g);
        assert!(l.op("hmc2", "PowerFrame").await.is_ok());
        l.lease("hmc1", "migration", Duration::from_millis(300))
            .await
            .unwrap();
        assert_eq!(l.try_take("hmc2", "x", None).unwrap_err().what, "migration");
        // The waiter wakes when the lease runs out, not at its deadline.
        let t = Instant::now();
        assert!(l.op("hmc2", "x").await.is_ok(), "a lease runs out");
        assert!(t.elapsed() < WAIT, "it woke when the lease ran out");
    }

    #[tokio::test]
    async fn rmlock_breaks_a_lease() {
        let l = Lock::default();
        assert_eq!(l.force_release(), None, "nothing to break");
        l.lease("hmc1", "migration", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(l.force_release().as_deref(), Some("hmc1"));
        assert!(l.try_take("hmc2", "x", None).is_ok());
    }
}
