//! The `timeout` fault (Toxiproxy's `timeout`, Jepsen's one-way or two-way
//! blackhole): no byte of the direction it covers gets through. The bytes
//! wait, as they would in TCP buffers behind a dead route, and flow again,
//! intact, when the fault goes. With a timeout above zero the connection
//! fails that long after it stalled, as a peer that gives up would; with 0
//! it stalls until the fault is removed (gRPC keep-alives notice first).

use std::io;

pub(super) fn expired(peer: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("the link with {peer} stalled under a timeout fault and timed out"),
    )
}
