//! The `slicer` fault (Toxiproxy's): the bytes of the direction it covers
//! move in small slices of about `average_size` bytes (± `size_variation`),
//! with an optional delay between slices, as a path that fragments would
//! deliver them. Nothing is lost or reordered.

use super::FaultError;
use super::kind::{FaultKind, LinkState, Settings, at_most_max};
use super::link::{DirPlan, Timer};
use crate::proto::chaos as pb;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::time::Instant;

/// Bytes move in slices of about `average_size` bytes, `delay` apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slicer {
    pub average_size: u32,
    pub size_variation: u32,
    pub delay: Duration,
}

impl FaultKind for Slicer {
    const NAME: &'static str = "slicer";
    const TAKES: &'static [&'static str] = &["slice size/variation", "slice delay"];
    type Wire = pb::Slicer;

    fn from_wire(w: &pb::Slicer) -> Self {
        Slicer {
            average_size: w.average_size,
            size_variation: w.size_variation,
            delay: Duration::from_micros(w.delay_us.into()),
        }
    }

    fn to_wire(&self) -> pb::Slicer {
        pb::Slicer {
            average_size: self.average_size,
            size_variation: self.size_variation,
            delay_us: u32::try_from(self.delay.as_micros()).unwrap_or(u32::MAX),
        }
    }

    fn from_settings(s: &Settings) -> Self {
        Slicer {
            average_size: s.slice_average_size,
            size_variation: s.slice_size_variation,
            delay: Duration::from_micros(s.slice_delay_us.into()),
        }
    }

    fn validate(&self) -> Result<(), FaultError> {
        if self.average_size == 0 {
            return Err(FaultError::ZeroSlice);
        }
        at_most_max(self.delay)
    }

    fn detail(&self) -> String {
        format!(
            "{} ± {} bytes every {} us",
            self.average_size,
            self.size_variation,
            self.delay.as_micros()
        )
    }

    fn plan(&self, _: Option<&LinkState>, dir: &mut DirPlan) {
        dir.slice = Some(*self);
    }
}

impl Slicer {
    /// The size of the next slice, from the stream's own generator
    /// (xorshift: cheap, and no lock shared between streams).
    fn next(&self, rng: &mut u64) -> usize {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        let var = u64::from(self.size_variation.min(self.average_size.saturating_sub(1)));
        let spread = if var == 0 { 0 } else { *rng % (2 * var + 1) };
        (u64::from(self.average_size) + spread - var).max(1) as usize
    }
}

/// One direction of one stream under a slicer: the pause after a slice
/// and the generator of slice sizes.
#[derive(Default)]
pub(super) struct Pace {
    timer: Timer,
    rng: u64,
}

impl Pace {
    /// How many bytes the next slice holds (all without a slicer), once
    /// the pause after the last one is over.
    pub(super) fn poll_allowance(
        &mut self,
        slice: Option<&Slicer>,
        cx: &mut Context<'_>,
    ) -> Poll<usize> {
        let Some(s) = slice else {
            return Poll::Ready(usize::MAX);
        };
        ready!(self.timer.poll(cx));
        if self.rng == 0 {
            self.rng = 0x9e37_79b9_7f4a_7c15 ^ (self as *const _ as u64);
        }
        Poll::Ready(s.next(&mut self.rng))
    }

    pub(super) fn moved(&mut self, slice: Option<&Slicer>, n: usize) {
        if let Some(s) = slice.filter(|s| !s.delay.is_zero() && n > 0) {
            self.timer.arm(Instant::now() + s.delay);
        }
    }

    pub(super) fn reload(&mut self) {
        self.timer.disarm();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_stay_within_the_variation() {
        let s = Slicer {
            average_size: 100,
            size_variation: 20,
            delay: Duration::ZERO,
        };
        let mut rng = 0x9e37_79b9_7f4a_7c15;
        let sizes: Vec<usize> = (0..1000).map(|_| s.next(&mut rng)).collect();
        assert!(sizes.iter().all(|n| (80..=120).contains(n)));
        assert!(sizes.iter().any(|n| *n < 90) && sizes.iter().any(|n| *n > 110));
        let one = Slicer {
            average_size: 1,
            size_variation: 5,
            delay: Duration::ZERO,
        };
        assert_eq!(one.next(&mut rng), 1);
    }
}
