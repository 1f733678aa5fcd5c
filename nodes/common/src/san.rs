//! What the VIOS and the SAN agree on about block I/O.

/// A LUN's block: what one client I/O reads or writes.
pub const BLOCK: usize = 4096;
