//! The one trait a fault kind implements, and the loose settings people
//! give (the command line's flags, a chaos step, a Toxiproxy toxic's
//! attributes) before they become a typed kind.
//!
//! A kind is a plain value: its settings. The trait says how it crosses the
//! wire (its own message of `Fault.kind`), what it refuses, how it reads for
//! people, what it keeps across the connections of its link and what it adds
//! to a direction's plan. What it does to the bytes of one stream is the
//! state its file defines for [`super::link`]; the registry and the link
//! know the kinds only through this trait and the list in `mod.rs`.

use super::FaultError;
use super::link::DirPlan;
use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Longest latency, timeout or delay accepted: beyond it every gRPC
/// deadline fails anyway, and a typo (ms taken for µs) should be refused,
/// not obeyed.
pub const MAX_LATENCY: Duration = Duration::from_secs(60);

/// What a fault keeps across the connections of one direction of its link
/// (a bandwidth fault's token bucket), made once when it is added.
pub type LinkState = Arc<dyn Any + Send + Sync>;

pub trait FaultKind: Sized + Clone + fmt::Debug + PartialEq + Eq + Send + Sync + 'static {
    /// As the command line, the logs and the Toxiproxy API spell it.
    const NAME: &'static str;
    /// The labels of the [`Settings`] it takes; any other one set is refused.
    const TAKES: &'static [&'static str];
    /// Its message in the wire form's `kind` oneof.
    type Wire;

    fn from_wire(w: &Self::Wire) -> Self;
    fn to_wire(&self) -> Self::Wire;
    /// From loose settings already checked to hold only its own.
    fn from_settings(s: &Settings) -> Self;
    /// Refuses settings it could not obey.
    fn validate(&self) -> Result<(), FaultError> {
        Ok(())
    }
    /// Its settings for people (`100 ms ± 10 ms`); empty when it has none.
    fn detail(&self) -> String {
        String::new()
    }
    fn link_state(&self) -> Option<LinkState> {
        None
    }
    /// What it adds to the plan of one direction of its link, where other
    /// faults of the link may already have put theirs.
    fn plan(&self, state: Option<&LinkState>, dir: &mut DirPlan);
    /// Whether a new connection with the peer must be refused, and how.
    fn refuse(&self, _peer: &str, _fault: &str) -> Option<std::io::Error> {
        None
    }
}

/// Every setting any kind takes, as people give them before the kind is
/// known to fit: zero means not given, as on the old wire, so a setting
/// that belongs to another kind is pointed out instead of ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    pub rate_bytes_per_s: u64,
    pub latency_ms: u32,
    pub jitter_ms: u32,
    pub timeout_ms: u32,
    pub limit_bytes: u64,
    pub delay_ms: u32,
    pub slice_average_size: u32,
    pub slice_size_variation: u32,
    pub slice_delay_us: u32,
}

impl Settings {
    /// Each setting's label (as errors name it) and whether it is given.
    pub(super) fn given(&self) -> [(&'static str, bool); 7] {
        [
            ("rate", self.rate_bytes_per_s != 0),
            (
                "latency/jitter",
                self.latency_ms != 0 || self.jitter_ms != 0,
            ),
            ("timeout", self.timeout_ms != 0),
            ("limit", self.limit_bytes != 0),
            ("delay", self.delay_ms != 0),
            (
                "slice size/variation",
                self.slice_average_size != 0 || self.slice_size_variation != 0,
            ),
            ("slice delay", self.slice_delay_us != 0),
        ]
    }
}

/// Builds kind `K` from loose settings, refusing one that is not its own.
pub(super) fn from_settings<K: FaultKind>(s: &Settings) -> Result<K, FaultError> {
    match s
        .given()
        .into_iter()
        .find(|(label, set)| *set && !K::TAKES.contains(label))
    {
        Some((field, _)) => Err(FaultError::NotApplicable {
            field,
            kind: K::NAME,
        }),
        None => Ok(K::from_settings(s)),
    }
}

pub(super) fn ms(v: u32) -> Duration {
    Duration::from_millis(v.into())
}

/// Milliseconds on the wire; a duration too long for them is already refused by validation.
pub(super) fn to_ms(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// Refuses a duration beyond [`MAX_LATENCY`].
pub(super) fn at_most_max(d: Duration) -> Result<(), FaultError> {
    if d > MAX_LATENCY {
        Err(FaultError::LatencyTooLarge)
    } else {
        Ok(())
    }
}

/// The stricter of two optional limits.
pub(super) fn tighter<T: Ord + Copy>(a: Option<T>, b: T) -> Option<T> {
    Some(a.map_or(b, |a| a.min(b)))
}
