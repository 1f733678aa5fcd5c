//! The `cut` fault: the link is down. Reads and writes on an open connection
//! fail with `ConnectionReset` (a parked read is woken by the registry change,
//! so a quiet gRPC stream breaks at once instead of waiting for keep-alives),
//! and new connections with the peer are refused before any byte moves. A
//! one-way cut fails only the side it names on open connections; a new
//! connection needs both directions, so any cut refuses it.
//!
//! The failures say what they are, so an operator reading a node's log sees
//! a fault, not a mystery.

use super::kind::{FaultKind, LinkState, Settings};
use super::link::DirPlan;
use crate::proto::chaos as pb;
use std::io;

/// The link is down: open connections fail at once, new ones are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut;

impl FaultKind for Cut {
    const NAME: &'static str = "cut";
    const TAKES: &'static [&'static str] = &[];
    type Wire = pb::Cut;

    fn from_wire(_: &pb::Cut) -> Self {
        Cut
    }

    fn to_wire(&self) -> pb::Cut {
        pb::Cut {}
    }

    fn from_settings(_: &Settings) -> Self {
        Cut
    }

    fn plan(&self, _: Option<&LinkState>, dir: &mut DirPlan) {
        dir.cut = true;
    }

    fn refuse(&self, peer: &str, fault: &str) -> Option<io::Error> {
        Some(refused(peer, fault))
    }
}

/// What a read or write on a cut link returns.
pub(super) fn reset(peer: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        format!("the link with {peer} is cut by a fault"),
    )
}

/// What opening a connection on a cut link returns.
fn refused(peer: &str, fault: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionRefused,
        format!("the link with {peer} is cut by fault {fault}; remove it to connect"),
    )
}
