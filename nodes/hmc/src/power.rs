//! The HMC's own power: `hmcshutdown` asks for a stop or a restart, the
//! node's main loop waits for the request, stops serving, and on a
//! restart starts the same program again in the same process (so the
//! process lab's pid file and a container stay valid, with no supervisor
//! needed). Everything the HMC keeps is in its databases, so it comes back
//! with its users, policies and settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Stop,
    Restart,
}

/// Set once a restart was asked for and the node has stopped serving.
static RESTART: AtomicBool = AtomicBool::new(false);

#[derive(Clone)]
pub struct Power {
    tx: Arc<tokio::sync::watch::Sender<Option<Request>>>,
}

impl Default for Power {
    fn default() -> Self {
        Power {
            tx: Arc::new(tokio::sync::watch::channel(None).0),
        }
    }
}

impl Power {
    pub fn request(&self, r: Request) {
        self.tx.send_replace(Some(r));
    }

    /// Waits for a request; the node then stops, and restarts if asked.
    pub async fn wait(&self) -> Request {
        let mut rx = self.tx.subscribe();
        loop {
            if let Some(r) = *rx.borrow_and_update() {
                if r == Request::Restart {
                    RESTART.store(true, Ordering::SeqCst);
                }
                return r;
            }
            if rx.changed().await.is_err() {
                futures::future::pending::<()>().await;
            }
        }
    }
}

/// After the node stopped: on a restart, runs this program again with the
/// same arguments in this process. Returns only if that failed.
pub fn restart_if_asked() -> Option<std::io::Error> {
    if !RESTART.load(Ordering::SeqCst) {
        return None;
    }
    use std::os::unix::process::CommandExt as _;
    // An HMC takes a while to come back; clients see it gone meanwhile.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return Some(e),
    };
    Some(
        std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .exec(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_wakes_the_waiter() {
        let p = Power::default();
        let w = tokio::spawn({
            let p = p.clone();
            async move { p.wait().await }
        });
        tokio::task::yield_now().await;
        p.request(Request::Stop);
        assert_eq!(w.await.unwrap(), Request::Stop);
        assert!(!RESTART.load(Ordering::SeqCst));
    }
}
