//! The one catalogue of HSCL codes and texts. Clients match on these
//! (Ansible on HSCL8012 and HSCL350B, pypowervm on HSCL3205), so each text
//! is written once, here. HSCL8012, HSCL8018, HSCL350B, HSCL0622, HSCL3653,
//! HSCLA318/HSCLA335 and HSCLA9CE are the reference's codes; the others are pvmlab's own until a document gives
//! the real ones (the reference is silent on them).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hscl {
    /// HSCL8012: a partition name that does not exist on the frame.
    PartitionNotFound(String),
    /// HSCL8018: a name that is not a managed system (an LPAR name given to -m, say).
    SystemNotFound(String),
    /// HSCL350B: the user's task role does not allow the command.
    NoAuthority,
    /// HSCL0622-style refusal of a resource request.
    ProfileNotFound { profile: String, lpar: String },
    /// The managed system's state does not allow the operation.
    SystemState { system: String, state: String },
    /// The partition's state does not allow the operation.
    PartitionState { lpar: String, state: String },
    /// Activation lacked memory, with the hypervisor's figures.
    Resources(String),
    /// The HMC has no connection to the frame.
    NoConnection(String),
    /// HSCLA9CE: the source frame is not down in a way that allows a
    /// remote restart (seed 000).
    RemoteRestartState,
    /// HSCLA32F (a warning): the partition's id is taken on the
    /// destination; a remote restart uses the next free one.
    PartitionIdTaken,
    /// HSCL3653: the user has no trust with the remote HMC (seed 002,
    /// `migrlpar … --ip` and `mkauthkeys --ip … --test`).
    RemoteTrust(String),
    /// HSCLA318 wrapping HSCLA335 (seed 002): the destination HMC lacks
    /// capabilities the partition needs, by capability code.
    RemoteCapabilities(Vec<String>),
}

impl Hscl {
    pub fn code(&self) -> &'static str {
        match self {
            Hscl::PartitionNotFound(_) => "HSCL8012",
            Hscl::SystemNotFound(_) => "HSCL8018",
            Hscl::NoAuthority => "HSCL350B",
            Hscl::ProfileNotFound { .. } => "HSCL8014",
            Hscl::SystemState { .. } => "HSCL0A2D",
            Hscl::PartitionState { .. } => "HSCL0009",
            Hscl::Resources(_) => "HSCL0622",
            Hscl::NoConnection(_) => "HSCL0A2E",
            Hscl::RemoteRestartState => "HSCLA9CE",
            Hscl::PartitionIdTaken => "HSCLA32F",
            Hscl::RemoteTrust(_) => "HSCL3653",
            Hscl::RemoteCapabilities(_) => "HSCLA318",
        }
    }
}

impl fmt::Display for Hscl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            Hscl::PartitionNotFound(n) => write!(
                f,
                "{code} The partition named {n} was not found. Please check your entry and retry the command."
            ),
            Hscl::SystemNotFound(n) => write!(
                f,
                "{code} The managed system {n} was not found. Please check your entry and retry the command."
            ),
            Hscl::NoAuthority => write!(
                f,
                "{code} The user does not have the appropriate authority."
            ),
            Hscl::ProfileNotFound { profile, lpar } => write!(
                f,
                "{code} The partition profile named {profile} for partition {lpar} was not found. Please check your entry and retry the command."
            ),
            Hscl::SystemState { system, state } => write!(
                f,
                "{code} The operation cannot be performed because the managed system {system} is in the {state} state."
            ),
            Hscl::PartitionState { lpar, state } => write!(
                f,
                "{code} The operation cannot be performed because the partition {lpar} is in the {state} state."
            ),
            Hscl::Resources(why) => write!(f, "{code} The partition cannot be activated: {why}"),
            Hscl::NoConnection(sys) => write!(
                f,
                "{code} The management console has no connection to the managed system {sys}."
            ),
            Hscl::RemoteTrust(user) => write!(
                f,
                "{code} The Secure Shell (SSH) communication configuration between the source and target Hardware Management Consoles has not been set up properly for user {user}. Please run the mkauthkeys command to set up the SSH communication authentication keys."
            ),
            Hscl::RemoteCapabilities(codes) => write!(
                f,
                "{code} The migration command issued to the destination HMC failed with the following error: HSCLA335 The Hardware Management Console for the destination managed system does not support one or more capabilities required to perform this operation. The unsupported capability codes are as follows: {}",
                codes.join(",")
            ),
            Hscl::RemoteRestartState => write!(
                f,
                "{code} The managed system is not in a valid state to support partition remote restart operations."
            ),
            Hscl::PartitionIdTaken => write!(
                f,
                "{code} The specified partition ID is no longer valid. The next available partition ID will be used."
            ),
        }
    }
}
