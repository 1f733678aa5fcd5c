//! The `slow_close` fault (Toxiproxy's): closing a connection on the link
//! waits the given delay first. The bytes themselves are not touched.

use super::FaultError;
use super::kind::{FaultKind, LinkState, Settings, at_most_max, ms, to_ms};
use super::link::{DirPlan, Timer};
use crate::proto::chaos as pb;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

/// Closing a connection waits `delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowClose {
    pub delay: Duration,
}

impl FaultKind for SlowClose {
    const NAME: &'static str = "slow_close";
    const TAKES: &'static [&'static str] = &["delay"];
    type Wire = pb::SlowClose;

    fn from_wire(w: &pb::SlowClose) -> Self {
        SlowClose {
            delay: ms(w.delay_ms),
        }
    }

    fn to_wire(&self) -> pb::SlowClose {
        pb::SlowClose {
            delay_ms: to_ms(self.delay),
        }
    }

    fn from_settings(s: &Settings) -> Self {
        SlowClose {
            delay: ms(s.delay_ms),
        }
    }

    fn validate(&self) -> Result<(), FaultError> {
        if self.delay.is_zero() {
            return Err(FaultError::ZeroDelay);
        }
        at_most_max(self.delay)
    }

    fn detail(&self) -> String {
        format!("{} ms", self.delay.as_millis())
    }

    /// The longest delay of the link's slow_close faults.
    fn plan(&self, _: Option<&LinkState>, dir: &mut DirPlan) {
        dir.slow_close = Some(dir.slow_close.map_or(self.delay, |d| d.max(self.delay)));
    }
}

/// A stream's close under way: the delay is counted once, from the first
/// attempt to close, however often the close is polled.
#[derive(Default)]
pub(super) struct Closing {
    timer: Timer,
    started: bool,
}

impl Closing {
    pub(super) fn poll(&mut self, delay: Option<Duration>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(delay) = delay else {
            return Poll::Ready(());
        };
        if !self.started {
            self.started = true;
            self.timer.arm(Instant::now() + delay);
        }
        self.timer.poll(cx)
    }
}
