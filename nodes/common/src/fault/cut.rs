//! The `cut` fault: the link is down. Reads and writes on an open connection
//! fail with `ConnectionReset` (a parked read is woken by the registry change,
//! so a quiet gRPC stream breaks at once instead of waiting for keep-alives),
//! and new connections with the peer are refused before any byte moves. A
//! one-way cut fails only the side it names on open connections; a new
//! connection needs both directions, so any cut refuses it.
//!
//! The state is all in the registry's plan (`DirPlan::cut`); this file holds
//! what the failures say, so an operator reading a node's log sees a fault,
//! not a mystery.

use std::io;

/// What a read or write on a cut link returns.
pub(super) fn reset(peer: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        format!("the link with {peer} is cut by a fault"),
    )
}

/// What opening a connection on a cut link returns.
pub(super) fn refused(peer: &str, fault: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionRefused,
        format!("the link with {peer} is cut by fault {fault}; remove it to connect"),
    )
}
