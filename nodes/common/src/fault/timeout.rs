//! The `timeout` fault (Toxiproxy's `timeout`, Jepsen's one-way or two-way
//! blackhole): no byte of the direction it covers gets through. The bytes
//! wait, as they would in TCP buffers behind a dead route, and flow again,
//! intact, when the fault goes. With a timeout above zero the connection
//! fails that long after it stalled, as a peer that gives up would; with 0
//! it stalls until the fault is removed (gRPC keep-alives notice first).

use super::FaultError;
use super::kind::{FaultKind, LinkState, Settings, at_most_max, ms, tighter, to_ms};
use super::link::{DirPlan, Timer};
use crate::proto::chaos as pb;
use std::io;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

/// No byte gets through; after `timeout` (unless zero) the connection fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout {
    pub timeout: Duration,
}

impl FaultKind for Timeout {
    const NAME: &'static str = "timeout";
    const TAKES: &'static [&'static str] = &["timeout"];
    type Wire = pb::Timeout;

    fn from_wire(w: &pb::Timeout) -> Self {
        Timeout {
            timeout: ms(w.timeout_ms),
        }
    }

    fn to_wire(&self) -> pb::Timeout {
        pb::Timeout {
            timeout_ms: to_ms(self.timeout),
        }
    }

    fn from_settings(s: &Settings) -> Self {
        Timeout {
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
        // Zero means never: the shortest non-zero timeout wins.
        let t = if self.timeout.is_zero() {
            Duration::MAX
        } else {
            self.timeout
        };
        dir.hold = tighter(dir.hold, t);
    }
}

/// One direction of one stream held by a timeout fault.
#[derive(Default)]
pub(super) struct Hold {
    /// When the fault reached this direction.
    since: Option<Instant>,
    /// Wakes the stream when its time is up.
    timer: Timer,
}

impl Hold {
    /// Ready(Ok) without the fault; else Pending until it goes (woken by
    /// the registry) or its time is up (then the failure).
    pub(super) fn poll(
        &mut self,
        hold: Option<Duration>,
        peer: &str,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        let Some(hold) = hold else {
            return Poll::Ready(Ok(()));
        };
        let now = Instant::now();
        let since = *self.since.get_or_insert(now);
        if let Some(at) = since.checked_add(hold) {
            if at <= now {
                return Poll::Ready(Err(expired(peer)));
            }
            self.timer.arm(at);
            if self.timer.poll(cx).is_ready() {
                cx.waker().wake_by_ref();
            }
        }
        Poll::Pending
    }

    pub(super) fn reload(&mut self, applies: bool) {
        self.timer.disarm();
        if !applies {
            self.since = None;
        }
    }
}

fn expired(peer: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("the link with {peer} stalled under a timeout fault and timed out"),
    )
}
