//! The `limit_data` fault (Toxiproxy's): a connection closes once the
//! given number of bytes has passed, in the direction the fault covers,
//! since the fault reached it. A read then sees the end of the stream; a
//! write fails.

use std::io;

pub(super) fn closed(peer: &str, bytes: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        format!("the link with {peer} closed after {bytes} bytes (limit_data fault)"),
    )
}
