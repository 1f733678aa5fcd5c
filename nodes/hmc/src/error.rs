//! The one error type of the HMC's core. Every front-end turns it into its
//! own form: the command line prints it and exits 1, the REST API puts it
//! into a job's result, the HMC-to-HMC API into a status.

use crate::hscl::Hscl;

#[derive(Debug)]
pub enum CmdError {
    /// A refusal from the catalogue: its code and text are the HMC's.
    Hscl(Hscl),
    /// A usage error: the message, as the HMC prints it.
    Usage(String),
}

impl From<Hscl> for CmdError {
    fn from(h: Hscl) -> Self {
        CmdError::Hscl(h)
    }
}

impl From<String> for CmdError {
    fn from(s: String) -> Self {
        CmdError::Usage(s)
    }
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CmdError::Hscl(h) => h.fmt(f),
            CmdError::Usage(m) => f.write_str(m),
        }
    }
}

/// A command's output, or why it failed.
pub type CmdResult = Result<String, CmdError>;

/// A refusal because another HMC holds the frame's lock: the FSP's words,
/// which name the holder, as they are.
pub fn locked(e: &tonic::Status) -> Option<CmdError> {
    use pvmlab_common::proto::model::Reason;
    (pvmlab_common::failure::reason(e) == Reason::Locked)
        .then(|| CmdError::Usage(e.message().to_string()))
}
