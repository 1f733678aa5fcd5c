//! The fault layer: one wrapper under every connection a node makes or
//! accepts (below TLS, so it shapes the bytes the network would carry), and
//! one per-process registry of faults that the controller fills over
//! `NodeControl`. A fault is addressed by the peer node at the other end of
//! the link and by a direction, like a Toxiproxy toxic; one fault kind lives
//! in one file.
//!
//! Every read and write asks the registry for the faults of its link, so a
//! fault added or removed also applies to connections already open: a
//! long-lived gRPC stream is cut or slowed mid-stream. To keep that cheap the
//! registry has a generation counter; a stream re-reads its plan only when
//! the counter moved, so with no fault ever set a read or write costs one
//! atomic load. A change also wakes every stream, so a read parked on a quiet
//! socket notices a cut at once instead of hanging until the peer speaks.

mod bandwidth;
mod cut;
mod latency;
mod limit_data;
mod reset_peer;
mod slicer;
mod slow_close;
mod timeout;

pub use bandwidth::{format_rate, parse_rate};
pub use slicer::Slice;

use crate::lab::CONTROLLER_NODE;
use crate::proto::chaos as pb;
use bandwidth::Bucket;
use futures::task::AtomicWaker;
use latency::{Delay, Delayed};
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The peer that matches every node except the controller: a fault on the
/// controller's own link would take away the way to remove it.
pub const ANY_PEER: &str = "*";

/// More faults than this on one node is a runaway script, not a scenario.
const MAX_FAULTS: usize = 256;

/// Which bytes of a link a fault applies to, seen from the node holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Bytes this node sends.
    Up,
    /// Bytes this node receives.
    Down,
    Both,
}

impl Direction {
    /// `up`, `down`, `both` (also Toxiproxy's `upstream`/`downstream`); empty means both.
    pub fn parse(s: &str) -> Result<Direction, FaultError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "both" => Ok(Direction::Both),
            "up" | "upstream" => Ok(Direction::Up),
            "down" | "downstream" => Ok(Direction::Down),
            _ => Err(FaultError::Direction(s.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Both => "both",
        }
    }

    /// The same bytes seen from the other end of the link.
    pub fn reversed(self) -> Direction {
        match self {
            Direction::Up => Direction::Down,
            Direction::Down => Direction::Up,
            Direction::Both => Direction::Both,
        }
    }

    fn has_up(self) -> bool {
        self != Direction::Down
    }

    fn has_down(self) -> bool {
        self != Direction::Up
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a fault does to the bytes it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// At most `rate` bytes per second, shared by every connection the fault covers.
    Bandwidth { rate: u64 },
    /// The link is down: open connections fail at once, new ones are refused.
    Cut,
    /// Each chunk of bytes arrives `latency` ± `jitter` later, in order.
    Latency { latency: Duration, jitter: Duration },
    /// No byte gets through; after `timeout` (unless zero) the connection fails.
    Timeout { timeout: Duration },
    /// Connections are reset `timeout` after the fault reaches them.
    ResetPeer { timeout: Duration },
    /// A connection closes after `bytes` bytes.
    LimitData { bytes: u64 },
    /// Closing a connection waits `delay`.
    SlowClose { delay: Duration },
    /// Bytes move in small slices.
    Slicer(Slice),
}

/// Every kind's name, as the command line and the Toxiproxy API spell it.
pub const KINDS: &[&str] = &[
    "bandwidth",
    "cut",
    "latency",
    "timeout",
    "reset_peer",
    "limit_data",
    "slow_close",
    "slicer",
];

/// Longest latency or jitter accepted: beyond it every gRPC deadline fails
/// anyway, and a typo (ms taken for µs) should be refused, not obeyed.
pub const MAX_LATENCY: Duration = Duration::from_secs(60);

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Bandwidth { .. } => "bandwidth",
            Kind::Cut => "cut",
            Kind::Latency { .. } => "latency",
            Kind::Timeout { .. } => "timeout",
            Kind::ResetPeer { .. } => "reset_peer",
            Kind::LimitData { .. } => "limit_data",
            Kind::SlowClose { .. } => "slow_close",
            Kind::Slicer(_) => "slicer",
        }
    }
}

/// One fault on the links between this node and `peer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Unique on the node; empty when adding means `<kind>_<direction>_<peer>`.
    pub name: String,
    /// A node name, or [`ANY_PEER`].
    pub peer: String,
    pub direction: Direction,
    pub kind: Kind,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.name, self.kind.name())?;
        match &self.kind {
            Kind::Bandwidth { rate } => write!(f, "{} ", format_rate(*rate))?,
            Kind::Cut => {}
            Kind::Latency { latency, jitter } => {
                write!(f, "{}ms±{}ms ", latency.as_millis(), jitter.as_millis())?
            }
            Kind::Timeout { timeout } | Kind::ResetPeer { timeout } => {
                write!(f, "{}ms ", timeout.as_millis())?
            }
            Kind::LimitData { bytes } => write!(f, "{bytes}B ")?,
            Kind::SlowClose { delay } => write!(f, "{}ms ", delay.as_millis())?,
            Kind::Slicer(s) => write!(
                f,
                "{}±{}B/{}us ",
                s.average_size,
                s.size_variation,
                s.delay.as_micros()
            )?,
        }
        write!(f, "{} peer {}", self.direction, self.peer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error(
        "unknown fault kind {0:?}; use bandwidth, cut, latency, timeout, reset_peer, limit_data, slow_close or slicer"
    )]
    Kind(String),
    #[error("unknown direction {0:?}; use up, down or both")]
    Direction(String),
    #[error("a bandwidth fault needs a rate above zero bytes per second")]
    ZeroRate,
    #[error(
        "bad rate {0:?}; give bytes per second, or a number with a unit such as 1gbit, 100mbit, 125mb, 64kib"
    )]
    Rate(String),
    #[error("a latency fault needs a latency or a jitter above zero")]
    ZeroLatency,
    #[error("a limit_data fault needs a limit above zero bytes")]
    ZeroLimit,
    #[error("a slicer fault needs an average size above zero bytes")]
    ZeroSlice,
    #[error("a slow_close fault needs a delay above zero")]
    ZeroDelay,
    #[error("latencies, timeouts and delays are at most {} ms", MAX_LATENCY.as_millis())]
    LatencyTooLarge,
    #[error("{field} does not apply to a {kind} fault")]
    NotApplicable {
        field: &'static str,
        kind: &'static str,
    },
    #[error("bad peer {0:?}; give a node name or \"*\" for every peer")]
    Peer(String),
    #[error("the controller's own link cannot take a fault: it would lose the way to remove it")]
    ControllerLink,
    #[error("{0} is this node; a fault needs the node at the other end of the link")]
    SelfLink(String),
    #[error("bad fault name {0:?}; use 1 to 64 letters, digits, '.', '_' or '-'")]
    Name(String),
    #[error("a fault named {0} exists already; remove it first or pick another name")]
    Exists(String),
    #[error("no fault named {0} on this node")]
    NotFound(String),
    #[error("this node has {MAX_FAULTS} faults already; remove some first")]
    TooMany,
}

impl From<FaultError> for tonic::Status {
    fn from(e: FaultError) -> tonic::Status {
        match e {
            FaultError::Exists(_) => tonic::Status::already_exists(e.to_string()),
            FaultError::NotFound(_) => tonic::Status::not_found(e.to_string()),
            FaultError::TooMany => tonic::Status::resource_exhausted(e.to_string()),
            _ => tonic::Status::invalid_argument(e.to_string()),
        }
    }
}

fn valid_word(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Fault {
    /// Reads a fault off the wire. Fields that do not belong to the kind must
    /// be zero, so a rate given to a cut is pointed out instead of ignored.
    pub fn from_proto(p: &pb::Fault) -> Result<Fault, FaultError> {
        let kind = p.kind.trim().to_ascii_lowercase();
        let kind_name = KINDS
            .iter()
            .find(|k| **k == kind)
            .ok_or_else(|| FaultError::Kind(p.kind.clone()))?;
        // Each field and the kinds it belongs to.
        let fields: [(&'static str, bool, &[&str]); 7] = [
            ("rate", p.rate_bytes_per_s != 0, &["bandwidth"]),
            (
                "latency/jitter",
                p.latency_ms != 0 || p.jitter_ms != 0,
                &["latency"],
            ),
            ("timeout", p.timeout_ms != 0, &["timeout", "reset_peer"]),
            ("limit", p.limit_bytes != 0, &["limit_data"]),
            ("delay", p.delay_ms != 0, &["slow_close"]),
            (
                "slice size/variation",
                p.slice_average_size != 0 || p.slice_size_variation != 0,
                &["slicer"],
            ),
            ("slice delay", p.slice_delay_us != 0, &["slicer"]),
        ];
        if let Some((field, ..)) = fields
            .iter()
            .find(|(_, set, kinds)| *set && !kinds.contains(kind_name))
        {
            return Err(FaultError::NotApplicable {
                field,
                kind: kind_name,
            });
        }
        let ms = |v: u32| Duration::from_millis(v.into());
        let kind = match *kind_name {
            "bandwidth" => Kind::Bandwidth {
                rate: p.rate_bytes_per_s,
            },
            "cut" => Kind::Cut,
            "latency" => Kind::Latency {
                latency: ms(p.latency_ms),
                jitter: ms(p.jitter_ms),
            },
            "timeout" => Kind::Timeout {
                timeout: ms(p.timeout_ms),
            },
            "reset_peer" => Kind::ResetPeer {
                timeout: ms(p.timeout_ms),
            },
            "limit_data" => Kind::LimitData {
                bytes: p.limit_bytes,
            },
            "slow_close" => Kind::SlowClose {
                delay: ms(p.delay_ms),
            },
            _ => Kind::Slicer(Slice {
                average_size: p.slice_average_size,
                size_variation: p.slice_size_variation,
                delay: Duration::from_micros(p.slice_delay_us.into()),
            }),
        };
        Ok(Fault {
            name: p.name.trim().to_string(),
            peer: p.peer.trim().to_string(),
            direction: Direction::parse(&p.direction)?,
            kind,
        })
    }

    pub fn to_proto(&self) -> pb::Fault {
        let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        let mut p = pb::Fault {
            name: self.name.clone(),
            kind: self.kind.name().into(),
            peer: self.peer.clone(),
            direction: self.direction.as_str().into(),
            ..Default::default()
        };
        match &self.kind {
            Kind::Bandwidth { rate } => p.rate_bytes_per_s = *rate,
            Kind::Cut => {}
            Kind::Latency { latency, jitter } => {
                p.latency_ms = ms(*latency);
                p.jitter_ms = ms(*jitter);
            }
            Kind::Timeout { timeout } | Kind::ResetPeer { timeout } => p.timeout_ms = ms(*timeout),
            Kind::LimitData { bytes } => p.limit_bytes = *bytes,
            Kind::SlowClose { delay } => p.delay_ms = ms(*delay),
            Kind::Slicer(s) => {
                p.slice_average_size = s.average_size;
                p.slice_size_variation = s.size_variation;
                p.slice_delay_us = u32::try_from(s.delay.as_micros()).unwrap_or(u32::MAX);
            }
        }
        p
    }

    /// The name a fault gets when none is given, like Toxiproxy's `<type>_<stream>`.
    pub fn default_name(&self) -> String {
        let peer = if self.peer == ANY_PEER {
            "any"
        } else {
            &self.peer
        };
        format!("{}_{}_{}", self.kind.name(), self.direction, peer)
    }

    /// Checks everything that does not depend on the other faults.
    /// `local` is this node's name (empty if unknown).
    pub fn validate(&self, local: &str) -> Result<(), FaultError> {
        if self.peer != ANY_PEER && !valid_word(&self.peer) {
            return Err(FaultError::Peer(self.peer.clone()));
        }
        if self.peer == CONTROLLER_NODE {
            return Err(FaultError::ControllerLink);
        }
        if !local.is_empty() && self.peer == local {
            return Err(FaultError::SelfLink(self.peer.clone()));
        }
        if !self.name.is_empty() && !valid_word(&self.name) {
            return Err(FaultError::Name(self.name.clone()));
        }
        match &self.kind {
            Kind::Bandwidth { rate } if *rate == 0 => Err(FaultError::ZeroRate),
            Kind::Latency { latency, jitter } if latency.is_zero() && jitter.is_zero() => {
                Err(FaultError::ZeroLatency)
            }
            Kind::Latency { latency, jitter }
                if *latency > MAX_LATENCY || *jitter > MAX_LATENCY =>
            {
                Err(FaultError::LatencyTooLarge)
            }
            Kind::Timeout { timeout } | Kind::ResetPeer { timeout } if *timeout > MAX_LATENCY => {
                Err(FaultError::LatencyTooLarge)
            }
            Kind::SlowClose { delay } if delay.is_zero() => Err(FaultError::ZeroDelay),
            Kind::SlowClose { delay } if *delay > MAX_LATENCY => Err(FaultError::LatencyTooLarge),
            Kind::LimitData { bytes: 0 } => Err(FaultError::ZeroLimit),
            Kind::Slicer(s) if s.average_size == 0 => Err(FaultError::ZeroSlice),
            Kind::Slicer(s) if s.delay > MAX_LATENCY => Err(FaultError::LatencyTooLarge),
            _ => Ok(()),
        }
    }

    fn matches(&self, peer: &str) -> bool {
        self.peer == peer || (self.peer == ANY_PEER && peer != CONTROLLER_NODE)
    }
}

/// A registered fault and the state its kind keeps across connections.
struct Entry {
    fault: Fault,
    /// Token buckets of a bandwidth fault, one per direction it covers, so a
    /// link's rate is shared by all its connections as on a real wire.
    up: Option<Arc<Bucket>>,
    down: Option<Arc<Bucket>>,
}

/// Wakers of one open stream, so a registry change reaches a parked read or write.
#[derive(Default)]
struct StreamWakers {
    read: AtomicWaker,
    write: AtomicWaker,
}

struct Inner {
    local: String,
    entries: Vec<Entry>,
    streams: Vec<Weak<StreamWakers>>,
    prune_at: usize,
}

/// The faults of one process. Nodes use [`registry()`]; a separate instance
/// only serves tests of the bookkeeping.
pub struct Registry {
    generation: AtomicU64,
    inner: Mutex<Inner>,
}

static GLOBAL: Registry = Registry::new();

/// This process's faults: the ones every [`FaultStream`] obeys.
pub fn registry() -> &'static Registry {
    &GLOBAL
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    pub const fn new() -> Registry {
        Registry {
            generation: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                local: String::new(),
                entries: Vec::new(),
                streams: Vec::new(),
                prune_at: 64,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The bookkeeping stays consistent at every unlock, so a panic
        // elsewhere while holding the lock leaves nothing half-done.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Names the node this process is, so a fault on its own name is refused.
    pub fn set_local_node(&self, name: &str) {
        self.lock().local = name.to_string();
    }

    pub fn local_node(&self) -> String {
        self.lock().local.clone()
    }

    /// Adds a fault; it applies at once, to open connections too. Returns
    /// it as stored (with its name). A bad fault changes nothing.
    pub fn add(&self, mut fault: Fault) -> Result<Fault, FaultError> {
        let mut inner = self.lock();
        fault.validate(&inner.local)?;
        if fault.name.is_empty() {
            fault.name = fault.default_name();
            // A default name built from a long peer name may overflow.
            if !valid_word(&fault.name) {
                return Err(FaultError::Name(fault.name));
            }
        }
        if inner.entries.iter().any(|e| e.fault.name == fault.name) {
            return Err(FaultError::Exists(fault.name));
        }
        if inner.entries.len() >= MAX_FAULTS {
            return Err(FaultError::TooMany);
        }
        let bucket = |on: bool| match fault.kind {
            Kind::Bandwidth { rate } if on => Some(Arc::new(Bucket::new(rate))),
            _ => None,
        };
        let entry = Entry {
            up: bucket(fault.direction.has_up()),
            down: bucket(fault.direction.has_down()),
            fault: fault.clone(),
        };
        inner.entries.push(entry);
        self.changed(&mut inner);
        Ok(fault)
    }

    /// Removes the fault called `name`.
    pub fn remove(&self, name: &str) -> Result<Fault, FaultError> {
        let mut inner = self.lock();
        let i = inner
            .entries
            .iter()
            .position(|e| e.fault.name == name)
            .ok_or_else(|| FaultError::NotFound(name.to_string()))?;
        let e = inner.entries.remove(i);
        self.changed(&mut inner);
        Ok(e.fault)
    }

    /// Removes every fault and returns them.
    pub fn clear(&self) -> Vec<Fault> {
        let mut inner = self.lock();
        let gone: Vec<Fault> = inner.entries.drain(..).map(|e| e.fault).collect();
        if !gone.is_empty() {
            self.changed(&mut inner);
        }
        gone
    }

    pub fn list(&self) -> Vec<Fault> {
        self.lock()
            .entries
            .iter()
            .map(|e| e.fault.clone())
            .collect()
    }

    /// Whether a new connection with `peer` may open now: a cut refuses it
    /// with `ConnectionRefused`, naming the fault.
    pub fn check_link(&self, peer: &str) -> io::Result<()> {
        if self.generation.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let inner = self.lock();
        match inner
            .entries
            .iter()
            .find(|e| e.fault.kind == Kind::Cut && e.fault.matches(peer))
        {
            Some(e) => Err(cut::refused(peer, &e.fault.name)),
            None => Ok(()),
        }
    }

    /// Bumps the generation and wakes every open stream so it re-reads its plan.
    fn changed(&self, inner: &mut Inner) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        inner.streams.retain(|w| match w.upgrade() {
            Some(s) => {
                s.read.wake();
                s.write.wake();
                true
            }
            None => false,
        });
    }

    fn register(&self, w: &Arc<StreamWakers>) {
        let mut inner = self.lock();
        if inner.streams.len() >= inner.prune_at {
            inner.streams.retain(|w| w.strong_count() > 0);
            inner.prune_at = (inner.streams.len() * 2).max(64);
        }
        inner.streams.push(Arc::downgrade(w));
    }

    /// What the faults of the link with `peer` do now, and at which generation.
    fn plan(&self, peer: Option<&str>) -> (u64, Plan) {
        let inner = self.lock();
        let generation = self.generation.load(Ordering::SeqCst);
        let mut plan = Plan::default();
        let Some(peer) = peer else {
            // Bytes before the peer is known (a TLS handshake being accepted) are not faulted.
            return (generation, plan);
        };
        for e in inner.entries.iter().filter(|e| e.fault.matches(peer)) {
            let d = e.fault.direction;
            match &e.fault.kind {
                Kind::Cut => {
                    plan.up.cut |= d.has_up();
                    plan.down.cut |= d.has_down();
                }
                Kind::Bandwidth { .. } => {
                    plan.up.buckets.extend(e.up.clone());
                    plan.down.buckets.extend(e.down.clone());
                }
                Kind::Latency { latency, jitter } => {
                    let add = Delay::new(*latency, *jitter);
                    if d.has_up() {
                        plan.up.delay = Some(plan.up.delay.map_or(add, |x| x.plus(add)));
                    }
                    if d.has_down() {
                        plan.down.delay = Some(plan.down.delay.map_or(add, |x| x.plus(add)));
                    }
                }
                kind => {
                    for (on, dp) in [(d.has_up(), &mut plan.up), (d.has_down(), &mut plan.down)] {
                        if on {
                            dp.add(kind);
                        }
                    }
                }
            }
        }
        (generation, plan)
    }
}

/// What the faults of one link do to one direction.
#[derive(Default, Clone)]
struct DirPlan {
    cut: bool,
    buckets: Vec<Arc<Bucket>>,
    delay: Option<Delay>,
    /// timeout: bytes held; fail this long after the stall (zero: never).
    hold: Option<Duration>,
    reset_after: Option<Duration>,
    limit: Option<u64>,
    slow_close: Option<Duration>,
    slice: Option<Slice>,
}

/// The stricter of two optional limits.
fn tighter<T: Ord + Copy>(a: Option<T>, b: T) -> Option<T> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl DirPlan {
    fn is_clear(&self) -> bool {
        !self.cut
            && self.buckets.is_empty()
            && self.delay.is_none()
            && self.hold.is_none()
            && self.reset_after.is_none()
            && self.limit.is_none()
            && self.slow_close.is_none()
            && self.slice.is_none()
    }

    /// Adds a fault of the kinds that live in the stream's gate.
    fn add(&mut self, kind: &Kind) {
        match kind {
            Kind::Timeout { timeout } => {
                // Zero means never: the shortest non-zero timeout wins.
                let t = if timeout.is_zero() {
                    Duration::MAX
                } else {
                    *timeout
                };
                self.hold = tighter(self.hold, t);
            }
            Kind::ResetPeer { timeout } => self.reset_after = tighter(self.reset_after, *timeout),
            Kind::LimitData { bytes } => self.limit = tighter(self.limit, *bytes),
            Kind::SlowClose { delay } => {
                self.slow_close = Some(self.slow_close.map_or(*delay, |d| d.max(*delay)))
            }
            Kind::Slicer(s) => self.slice = Some(*s),
            Kind::Bandwidth { .. } | Kind::Cut | Kind::Latency { .. } => {}
        }
    }
}

#[derive(Default, Clone)]
struct Plan {
    up: DirPlan,
    down: DirPlan,
}

/// A sleep kept in the stream and re-armed, so a shaped stream does not
/// allocate a timer per read or write.
#[derive(Default)]
struct Timer {
    sleep: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl Timer {
    fn arm(&mut self, at: Instant) {
        match &mut self.sleep {
            Some(s) => s.as_mut().reset(at),
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(at))),
        }
        self.armed = true;
    }

    fn disarm(&mut self) {
        self.armed = false;
    }

    /// Ready when nothing is armed or the deadline has passed.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.armed {
            return Poll::Ready(());
        }
        if let Some(s) = &mut self.sleep {
            ready!(s.as_mut().poll(cx));
        }
        self.armed = false;
        Poll::Ready(())
    }
}

/// Per-direction state of one stream.
#[derive(Default)]
struct DirState {
    bandwidth: Timer,
    delayed: Delayed,
    /// When a timeout or reset_peer fault reached this direction.
    since: Option<Instant>,
    /// Wakes the stream when such a fault's time is up.
    gate: Timer,
    /// Bytes passed since a limit_data fault reached it.
    passed: u64,
    /// The pause after a slice.
    slice: Timer,
    rng: u64,
}

impl DirState {
    /// Before any byte moves: Ready(Ok) to go on, Pending while held
    /// (woken at the deadline or by a registry change), or the failure.
    fn poll_gate(
        &mut self,
        plan: &DirPlan,
        peer: &str,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if plan.hold.is_none() && plan.reset_after.is_none() {
            return Poll::Ready(Ok(()));
        }
        let now = Instant::now();
        let since = *self.since.get_or_insert(now);
        let at = |d: Duration| since.checked_add(d);
        let reset_at = plan.reset_after.and_then(at);
        let hold_until = plan.hold.and_then(at);
        if reset_at.is_some_and(|t| t <= now) {
            return Poll::Ready(Err(reset_peer::reset(peer)));
        }
        if hold_until.is_some_and(|t| t <= now) {
            return Poll::Ready(Err(timeout::expired(peer)));
        }
        if let Some(t) = [reset_at, hold_until].into_iter().flatten().min() {
            self.gate.arm(t);
            if self.gate.poll(cx).is_ready() {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        if plan.hold.is_some() {
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    /// How many bytes may move now (limit_data, slicer); waits out a
    /// slicer's pause. Zero: the limit is reached.
    fn poll_allowance(&mut self, plan: &DirPlan, cx: &mut Context<'_>) -> Poll<usize> {
        let mut n = usize::MAX;
        if let Some(limit) = plan.limit {
            n = usize::try_from(limit.saturating_sub(self.passed)).unwrap_or(usize::MAX);
        }
        if let Some(s) = plan.slice {
            ready!(self.slice.poll(cx));
            if self.rng == 0 {
                self.rng = 0x9e37_79b9_7f4a_7c15 ^ (self as *const _ as u64);
            }
            n = n.min(s.next(&mut self.rng));
        }
        Poll::Ready(n)
    }

    /// After `n` bytes moved.
    fn moved(&mut self, plan: &DirPlan, n: usize) {
        if plan.limit.is_some() {
            self.passed += n as u64;
        }
        if let Some(s) = plan.slice.filter(|s| !s.delay.is_zero() && n > 0) {
            self.slice.arm(Instant::now() + s.delay);
        }
    }

    /// A new plan: what no longer applies starts afresh.
    fn reload(&mut self, plan: &DirPlan) {
        self.bandwidth.disarm();
        self.delayed.timer.disarm();
        self.gate.disarm();
        self.slice.disarm();
        if plan.hold.is_none() && plan.reset_after.is_none() {
            self.since = None;
        }
        if plan.limit.is_none() {
            self.passed = 0;
        }
    }
}

/// A connection under the fault layer. It applies, on every read and write,
/// the registry's current faults for the link with its peer.
pub struct FaultStream<S> {
    inner: S,
    peer: Option<String>,
    seen: u64,
    plan: Plan,
    up_clear: bool,
    down_clear: bool,
    wakers: Arc<StreamWakers>,
    read: DirState,
    write: DirState,
    /// A slow_close in progress.
    closing: Timer,
    closing_started: bool,
}

impl<S> FaultStream<S> {
    /// Wraps a connection with `peer` (None until it is known, as when
    /// accepting: then call [`FaultStream::set_peer`] after the handshake).
    pub fn new(inner: S, peer: Option<String>) -> FaultStream<S> {
        let wakers = Arc::new(StreamWakers::default());
        registry().register(&wakers);
        let mut s = FaultStream {
            inner,
            peer,
            seen: 0,
            plan: Plan::default(),
            up_clear: true,
            down_clear: true,
            wakers,
            read: DirState::default(),
            write: DirState::default(),
            closing: Timer::default(),
            closing_started: false,
        };
        s.reload();
        s
    }

    pub fn set_peer(&mut self, peer: String) {
        self.peer = Some(peer);
        self.reload();
    }

    pub fn peer(&self) -> Option<&str> {
        self.peer.as_deref()
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    fn refresh(&mut self) {
        if registry().generation.load(Ordering::Acquire) != self.seen {
            self.reload();
        }
    }

    fn reload(&mut self) {
        let (generation, plan) = registry().plan(self.peer.as_deref());
        self.seen = generation;
        self.up_clear = plan.up.is_clear();
        self.down_clear = plan.down.is_clear();
        // A timer armed for the old plan may be moot: the next poll decides afresh.
        self.read.reload(&plan.down);
        self.write.reload(&plan.up);
        self.plan = plan;
    }

    /// Leaves `w` to be woken by a registry change, and wakes at once if one
    /// slipped in since the plan was read.
    fn park(&self, w: &AtomicWaker, cx: &mut Context<'_>) {
        w.register(cx.waker());
        if registry().generation.load(Ordering::SeqCst) != self.seen {
            cx.waker().wake_by_ref();
        }
    }

    fn peer_name(&self) -> &str {
        self.peer.as_deref().unwrap_or("?")
    }
}

impl<S> fmt::Debug for FaultStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultStream")
            .field("peer", &self.peer)
            .field("clear", &(self.up_clear && self.down_clear))
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> FaultStream<S> {
    fn poll_read_faulty(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.plan.down.cut {
            return Poll::Ready(Err(cut::reset(self.peer_name())));
        }
        let peer = self.peer.as_deref().unwrap_or("?");
        ready!(self.read.poll_gate(&self.plan.down, peer, cx))?;
        let allowed = ready!(self.read.poll_allowance(&self.plan.down, cx));
        if allowed == 0 {
            // limit_data: the end of the stream.
            return Poll::Ready(Ok(()));
        }
        if allowed < buf.remaining() {
            let unfilled = buf.initialize_unfilled_to(allowed);
            let mut sub = ReadBuf::new(unfilled);
            let r = self.poll_read_shaped(cx, &mut sub);
            let n = sub.filled().len();
            buf.advance(n);
            self.read.moved(&self.plan.down, n);
            return r;
        }
        let before = buf.filled().len();
        let r = self.poll_read_shaped(cx, buf);
        let n = buf.filled().len() - before;
        self.read.moved(&self.plan.down, n);
        r
    }

    /// Reads under the bandwidth and latency faults.
    fn poll_read_shaped(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let FaultStream {
            inner, plan, read, ..
        } = self;
        match plan.down.delay {
            None if read.delayed.is_idle() => {
                bandwidth::poll_read(inner, &plan.down.buckets, &mut read.bandwidth, cx, buf)
            }
            delay => {
                if let Some(d) = delay {
                    read.delayed
                        .fill(inner, &plan.down.buckets, &mut read.bandwidth, cx, d);
                }
                read.delayed.poll_take(cx, buf, delay.is_some())
            }
        }
    }

    /// Sends what the write-side delay queue holds and is due.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let FaultStream {
            inner, plan, write, ..
        } = self;
        write.delayed.poll_drain(
            inner,
            &plan.up.buckets,
            &mut write.bandwidth,
            cx,
            plan.up.delay.is_some(),
        )
    }

    fn poll_write_faulty(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.plan.up.cut {
            return Poll::Ready(Err(cut::reset(self.peer_name())));
        }
        let peer = self.peer.as_deref().unwrap_or("?");
        ready!(self.write.poll_gate(&self.plan.up, peer, cx))?;
        let allowed = ready!(self.write.poll_allowance(&self.plan.up, cx));
        if allowed == 0 && !buf.is_empty() {
            let bytes = self.plan.up.limit.unwrap_or(0);
            return Poll::Ready(Err(limit_data::closed(self.peer_name(), bytes)));
        }
        let buf = &buf[..buf.len().min(allowed)];
        let r = self.poll_write_shaped(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.write.moved(&self.plan.up, n);
        }
        r
    }

    /// Writes under the bandwidth and latency faults.
    fn poll_write_shaped(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(d) = self.plan.up.delay {
            if let Poll::Ready(Err(e)) = self.poll_drain(cx) {
                return Poll::Ready(Err(e));
            }
            if buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            let n = self.write.delayed.push(buf, d);
            if n == 0 {
                // Full: the drain above armed a timer or parked on the socket.
                return Poll::Pending;
            }
            // Arm the timer for the new bytes, so they go out even if nobody flushes.
            let _ = self.poll_drain(cx);
            return Poll::Ready(Ok(n));
        }
        // No delay now: the backlog of a removed one goes first, bytes stay in order.
        ready!(self.poll_drain(cx))?;
        let FaultStream {
            inner, plan, write, ..
        } = self;
        bandwidth::poll_write(inner, &plan.up.buckets, &mut write.bandwidth, cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for FaultStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.refresh();
        if !this.write.delayed.is_idle() && !this.plan.up.cut {
            // The connection's task may only be reading: let delayed writes out too.
            let _ = this.poll_drain(cx);
        }
        let r = if this.down_clear && this.read.delayed.is_idle() {
            Pin::new(&mut this.inner).poll_read(cx, buf)
        } else {
            this.poll_read_faulty(cx, buf)
        };
        if r.is_pending() {
            this.park(&this.wakers.read, cx);
        }
        r
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for FaultStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.refresh();
        let r = if this.up_clear && this.write.delayed.is_idle() {
            Pin::new(&mut this.inner).poll_write(cx, buf)
        } else {
            this.poll_write_faulty(cx, buf)
        };
        if r.is_pending() {
            this.park(&this.wakers.write, cx);
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.refresh();
        if this.up_clear && this.write.delayed.is_idle() {
            let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
            if r.is_pending() {
                this.park(&this.wakers.write, cx);
            }
            return r;
        }
        let first = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &**b);
        Pin::new(this).poll_write(cx, first)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.refresh();
        if this.plan.up.cut {
            return Poll::Ready(Err(cut::reset(this.peer_name())));
        }
        let r = match this.poll_drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        };
        if r.is_pending() {
            this.park(&this.wakers.write, cx);
        }
        r
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.refresh();
        if let Some(delay) = this.plan.up.slow_close.or(this.plan.down.slow_close) {
            if !this.closing_started {
                this.closing_started = true;
                this.closing.arm(Instant::now() + delay);
            }
            if this.closing.poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        // A cut link drops what it still held; closing the socket is still allowed.
        let r = if this.plan.up.cut {
            Pin::new(&mut this.inner).poll_shutdown(cx)
        } else {
            match this.poll_drain(cx) {
                Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
                other => other,
            }
        };
        if r.is_pending() {
            this.park(&this.wakers.write, cx);
        }
        r
    }
}

impl<S: tonic::transport::server::Connected> tonic::transport::server::Connected
    for FaultStream<S>
{
    type ConnectInfo = S::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

#[cfg(test)]
mod tests;
