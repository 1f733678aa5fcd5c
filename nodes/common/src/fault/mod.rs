//! The fault layer: one wrapper under every connection a node makes or
//! accepts (below TLS, so it shapes the bytes the network would carry), and
//! one per-process registry of faults that the controller fills over
//! `NodeControl`. A fault is addressed by the peer node at the other end of
//! the link and by a direction, like a Toxiproxy toxic. One fault kind lives
//! in one file, as Toxiproxy's toxics do: its settings, its wire form, its
//! checks and what it does to a stream, behind [`FaultKind`]. Adding one is
//! its file, its line in the `kinds!` list below and its message in
//! `chaos.proto`; a kind that needs a setting no kind had yet also adds it
//! to [`Settings`], and one that does something new to a stream its part
//! of the link's plan (`link.rs`).
//!
//! Every read and write asks the registry for the faults of its link, so a
//! fault added or removed also applies to connections already open: a
//! long-lived gRPC stream is cut or slowed mid-stream. To keep that cheap the
//! registry has a generation counter; a stream re-reads its plan only when
//! the counter moved, so with no fault ever set a read or write costs one
//! atomic load. A change also wakes every stream, so a read parked on a quiet
//! socket notices a cut at once instead of hanging until the peer speaks.

mod kind;
mod link;
mod spec;

pub use bandwidth::{format_rate, parse_rate};
pub use kind::{FaultKind, MAX_LATENCY, Settings};
pub use link::FaultStream;
pub use spec::{ANY_PEER, Direction, Fault, FaultError};

use crate::proto::chaos as pb;
use futures::task::AtomicWaker;
use kind::LinkState;
use link::{DirPlan, Plan};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// More faults than this on one node is a runaway script, not a scenario.
const MAX_FAULTS: usize = 256;

/// The registration of the kinds: each line names the variant of [`Kind`]
/// (also the kind's type and its message in the wire form's oneof) and
/// the file that holds it. Everything that goes from a kind to its
/// behaviour dispatches through the code this makes.
macro_rules! kinds {
    ($($variant:ident in $file:ident,)*) => {
        $(mod $file;)*
        $(pub use $file::$variant;)*

        /// What a fault does to the bytes it covers: one of the kinds.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Kind {
            $($variant($variant),)*
        }

        /// Every kind's name, as the command line and the Toxiproxy API spell it.
        pub const KINDS: &[&str] = &[$(<$variant as FaultKind>::NAME,)*];

        impl Kind {
            pub fn name(&self) -> &'static str {
                match self {
                    $(Kind::$variant(_) => <$variant as FaultKind>::NAME,)*
                }
            }

            /// Its settings for people; empty when it has none.
            pub fn detail(&self) -> String {
                match self {
                    $(Kind::$variant(k) => k.detail(),)*
                }
            }

            /// The kind called `name` (any case), from loose settings.
            pub fn from_settings(name: &str, s: &Settings) -> Result<Kind, FaultError> {
                let n = name.trim().to_ascii_lowercase();
                $(if n == <$variant as FaultKind>::NAME {
                    return kind::from_settings::<$variant>(s).map(Kind::$variant);
                })*
                Err(FaultError::Kind(name.to_string()))
            }

            fn from_wire(w: &pb::fault::Kind) -> Kind {
                match w {
                    $(pb::fault::Kind::$variant(w) => Kind::$variant($variant::from_wire(w)),)*
                }
            }

            fn to_wire(&self) -> pb::fault::Kind {
                match self {
                    $(Kind::$variant(k) => pb::fault::Kind::$variant(k.to_wire()),)*
                }
            }

            fn validate(&self) -> Result<(), FaultError> {
                match self {
                    $(Kind::$variant(k) => k.validate(),)*
                }
            }

            fn link_state(&self) -> Option<LinkState> {
                match self {
                    $(Kind::$variant(k) => k.link_state(),)*
                }
            }

            fn plan(&self, state: Option<&LinkState>, dir: &mut DirPlan) {
                match self {
                    $(Kind::$variant(k) => k.plan(state, dir),)*
                }
            }

            fn refuse(&self, peer: &str, fault: &str) -> Option<io::Error> {
                match self {
                    $(Kind::$variant(k) => k.refuse(peer, fault),)*
                }
            }
        }
    };
}

kinds! {
    Bandwidth in bandwidth,
    Cut in cut,
    Latency in latency,
    Timeout in timeout,
    ResetPeer in reset_peer,
    LimitData in limit_data,
    SlowClose in slow_close,
    Slicer in slicer,
}

/// A registered fault and the state its kind keeps across connections.
struct Entry {
    fault: Fault,
    /// What its kind keeps across connections, per direction it covers.
    up: Option<LinkState>,
    down: Option<LinkState>,
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
            if !spec::valid_word(&fault.name) {
                return Err(FaultError::Name(fault.name));
            }
        }
        if inner.entries.iter().any(|e| e.fault.name == fault.name) {
            return Err(FaultError::Exists(fault.name));
        }
        if inner.entries.len() >= MAX_FAULTS {
            return Err(FaultError::TooMany);
        }
        let state = |on: bool| if on { fault.kind.link_state() } else { None };
        let entry = Entry {
            up: state(fault.direction.has_up()),
            down: state(fault.direction.has_down()),
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
            .filter(|e| e.fault.matches(peer))
            .find_map(|e| e.fault.kind.refuse(peer, &e.fault.name))
        {
            Some(e) => Err(e),
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
            if d.has_up() {
                e.fault.kind.plan(e.up.as_ref(), &mut plan.up);
            }
            if d.has_down() {
                e.fault.kind.plan(e.down.as_ref(), &mut plan.down);
            }
        }
        (generation, plan)
    }
}

#[cfg(test)]
mod tests;
