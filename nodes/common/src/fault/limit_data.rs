//! The `limit_data` fault (Toxiproxy's): a connection closes once the
//! given number of bytes has passed, in the direction the fault covers,
//! since the fault reached it. A read then sees the end of the stream; a
//! write fails.

use super::FaultError;
use super::kind::{FaultKind, LinkState, Settings, tighter};
use super::link::DirPlan;
use crate::proto::chaos as pb;
use std::io;

/// A connection closes after `bytes` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitData {
    pub bytes: u64,
}

impl FaultKind for LimitData {
    const NAME: &'static str = "limit_data";
    const TAKES: &'static [&'static str] = &["limit"];
    type Wire = pb::LimitData;

    fn from_wire(w: &pb::LimitData) -> Self {
        LimitData { bytes: w.bytes }
    }

    fn to_wire(&self) -> pb::LimitData {
        pb::LimitData { bytes: self.bytes }
    }

    fn from_settings(s: &Settings) -> Self {
        LimitData {
            bytes: s.limit_bytes,
        }
    }

    fn validate(&self) -> Result<(), FaultError> {
        if self.bytes == 0 {
            return Err(FaultError::ZeroLimit);
        }
        Ok(())
    }

    fn detail(&self) -> String {
        format!("{} bytes", self.bytes)
    }

    fn plan(&self, _: Option<&LinkState>, dir: &mut DirPlan) {
        dir.limit = tighter(dir.limit, self.bytes);
    }
}

/// The bytes one direction of one stream passed since the fault reached it.
#[derive(Default)]
pub(super) struct Count {
    passed: u64,
}

impl Count {
    /// How many bytes may still pass (all without a limit).
    pub(super) fn allowance(&self, limit: Option<u64>) -> usize {
        match limit {
            Some(l) => usize::try_from(l.saturating_sub(self.passed)).unwrap_or(usize::MAX),
            None => usize::MAX,
        }
    }

    pub(super) fn moved(&mut self, limit: Option<u64>, n: usize) {
        if limit.is_some() {
            self.passed += n as u64;
        }
    }

    pub(super) fn reload(&mut self, applies: bool) {
        if !applies {
            self.passed = 0;
        }
    }
}

pub(super) fn closed(peer: &str, bytes: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        format!("the link with {peer} closed after {bytes} bytes (limit_data fault)"),
    )
}
