//! The `reset_peer` fault (Toxiproxy's): every connection on the link is
//! reset by the peer a timeout after the fault reached it (at once with 0);
//! a new connection is reset its own timeout after it opens.

use std::io;

pub(super) fn reset(peer: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        format!("connection reset by peer {peer} (reset_peer fault)"),
    )
}
