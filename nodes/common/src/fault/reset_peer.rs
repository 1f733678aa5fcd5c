//! The `reset_peer` fault (Toxiproxy's): every connection on the link is
//! reset by the peer a timeout after the fault reached it (at once with 0);
//! a new connection is reset its own timeout after it opens.

use super::FaultError;
use super::kind::{FaultKind, LinkState, Settings, at_most_max, ms, tighter, to_ms};
use super::link::{DirPlan, Timer};
use crate::proto::chaos as pb;
use std::io;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

/// Connections are reset `timeout` after the fault reaches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetPeer {
    pub timeout: Duration,
}

impl FaultKind for ResetPeer {
    const NAME: &'static str = "reset_peer";
    const TAKES: &'static [&'static str] = &["timeout"];
    type Wire = pb::ResetPeer;

    fn from_wire(w: &pb::ResetPeer) -> Self {
        ResetPeer {
            timeout: ms(w.timeout_ms),
        }
    }

    fn to_wire(&self) -> pb::ResetPeer {
        pb::ResetPeer {
            timeout_ms: to_ms(self.timeout),
        }
    }

    fn from_settings(s: &Settings) -> Self {
        ResetPeer {
            timeout: ms(s.timeout_ms),
        }
    }

    fn validate(&self) -> Result<(), FaultError> {
        at_most_max(self.timeout)
    }

    fn detail(&self) -> String {
        format!("after {} ms", self.timeout.as_millis())
    }

    fn plan(&self, _: Option<&LinkState>, dir: &mut DirPlan) {
        dir.reset_after = tighter(dir.reset_after, self.timeout);
    }
}

/// One direction of one stream counting down to its reset.
#[derive(Default)]
pub(super) struct Countdown {
    /// When the fault reached this direction.
    since: Option<Instant>,
    /// Wakes the stream when its time is up.
    timer: Timer,
}

impl Countdown {
    /// Ready(Ok) while bytes may still pass, the reset once its time is up.
    pub(super) fn poll(
        &mut self,
        after: Option<Duration>,
        peer: &str,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        let Some(after) = after else {
            return Poll::Ready(Ok(()));
        };
        let now = Instant::now();
        let since = *self.since.get_or_insert(now);
        let Some(at) = since.checked_add(after) else {
            return Poll::Ready(Ok(()));
        };
        if at <= now {
            return Poll::Ready(Err(reset(peer)));
        }
        self.timer.arm(at);
        if self.timer.poll(cx).is_ready() {
            // The deadline passed while arming: the next poll resets.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    pub(super) fn reload(&mut self, applies: bool) {
        self.timer.disarm();
        if !applies {
            self.since = None;
        }
    }
}

fn reset(peer: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        format!("connection reset by peer {peer} (reset_peer fault)"),
    )
}
