//! The one catalogue of HSCL codes and texts. Clients match on these
//! (Ansible on HSCL8012 and HSCL350B, pypowervm on HSCL3205), so each text
//! is written once, here. HSCL8012, HSCL8018, HSCL350B, HSCL0622, HSCL3653,
//! HSCLA318/HSCLA335 and HSCLA9CE are the reference's codes; the others are pvmlab's own until a document gives
//! the real ones (the reference is silent on them). Of the administration codes, the words Ansible's
//! hmc_user matches ("LDAP is not configured on the Hardware Management Console") are the real ones;
//! the codes around them are pvmlab's own.

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
    /// HSCLA2FF: a step of a migration failed inside the HMC's own work.
    Internal { what: String, why: String },
    /// HSCLA2FF: a migration stopped on an error; `runs_on` is where the
    /// partition runs now, and a recovery (`-o r`) decides the rest.
    MigrationFailed {
        lpar: String,
        why: String,
        runs_on: String,
        source: String,
    },
    /// HSCLA29A: an RMC command to a (VIOS) partition failed; `lpar` empty
    /// where the partition is not known by name, `detail` what followed.
    RmcFailed {
        lpar: String,
        detail: Option<String>,
    },
    /// HSCLA257: the partition's operating system failed the migration's
    /// readiness check (`why`), run with `drmgr -d detail`.
    CheckFailed { why: String, detail: u32 },
    /// HSCLA257: the partition's operating system refused the prepare phase.
    PrepareFailed(String),
    /// HSCLA356: a destination VIOS cannot host a client adapter.
    CannotHost {
        vios: String,
        slot: u32,
        detail: Option<String>,
    },
    /// HSCLA297: the partition named as mover service partition is none.
    NotMsp(String),
    /// HSCLA246: the mover service partition cannot be reached.
    MspUnreachable(String),
    /// HSCLA224: the destination lacks the processor compatibility mode.
    CompatMode {
        mode: String,
        supported: Vec<String>,
    },
    /// HSCLA340: the multipath layout cannot be kept on the destination.
    NoRedundancy,
    /// HSCLA319: no destination VIOS can host a virtual fibre channel adapter.
    FcCannotHost(u32),
    /// A password policy of that name exists already (mkpwdpolicy, or
    /// chpwdpolicy's new_name).
    PwdPolicyExists(String),
    /// No password policy has that name.
    PwdPolicyNotFound(String),
    /// The HMC's own password policy is neither changed nor removed.
    PwdPolicyBuiltin(String),
    /// The active password policy is not removed; deactivate it first.
    PwdPolicyActive(String),
    /// chpwdpolicy -o d with no policy active.
    NoActivePwdPolicy,
    /// chhmcldap on an HMC without LDAP; Ansible's hmc_user matches these
    /// words ("LDAP is not configured on the Hardware Management Console").
    LdapNotConfigured,
    /// A server that update files or firmware are to come from cannot be
    /// reached (getupgfiles, updhmc, saveupgdata, updlic, lsupdhmc): the
    /// lab has no file servers and no way out to IBM's.
    ServerUnreachable(String),
    /// The media named holds no valid HMC update or upgrade files.
    MediaInvalid(String),
    /// No device of the kind named (DVD, USB) is attached to the HMC.
    NoMediaDevice(String),
    /// chhmc -c altdiskboot --mode upgrade before upgrade files were
    /// obtained with getupgfiles.
    NoUpgradeFiles,
    /// updlic could not reach the repository of firmware updates.
    FirmwareRepositoryUnreachable(String),
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
            Hscl::Internal { .. } | Hscl::MigrationFailed { .. } => "HSCLA2FF",
            Hscl::RmcFailed { .. } => "HSCLA29A",
            Hscl::CheckFailed { .. } | Hscl::PrepareFailed(_) => "HSCLA257",
            Hscl::CannotHost { .. } => "HSCLA356",
            Hscl::NotMsp(_) => "HSCLA297",
            Hscl::MspUnreachable(_) => "HSCLA246",
            Hscl::CompatMode { .. } => "HSCLA224",
            Hscl::NoRedundancy => "HSCLA340",
            Hscl::FcCannotHost(_) => "HSCLA319",
            Hscl::PwdPolicyExists(_) => "HSCL3728",
            Hscl::PwdPolicyNotFound(_) => "HSCL3729",
            Hscl::PwdPolicyBuiltin(_) => "HSCL372A",
            Hscl::PwdPolicyActive(_) => "HSCL372B",
            Hscl::NoActivePwdPolicy => "HSCL372C",
            Hscl::LdapNotConfigured => "HSCL2963",
            Hscl::ServerUnreachable(_) => "HSCL2403",
            Hscl::MediaInvalid(_) => "HSCL2404",
            Hscl::NoMediaDevice(_) => "HSCL2405",
            Hscl::NoUpgradeFiles => "HSCL2406",
            Hscl::FirmwareRepositoryUnreachable(_) => "HSCF0151",
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
            Hscl::Internal { what, why } => write!(
                f,
                "{code} An internal HMC error occurred while {what}: {why}"
            ),
            Hscl::MigrationFailed {
                lpar,
                why,
                runs_on,
                source,
            } => write!(
                f,
                "{code} The migration of partition {lpar} failed: {why}. The partition runs on the managed system {runs_on} if it ran before; run migrlpar -o r -m {source} -p {lpar} to recover."
            ),
            Hscl::RmcFailed { lpar, detail } => {
                write!(f, "{code} The RMC command issued to partition ")?;
                if !lpar.is_empty() {
                    write!(f, "{lpar} ")?;
                }
                f.write_str("failed.")?;
                match detail {
                    Some(d) => write!(f, " {d}"),
                    None => Ok(()),
                }
            }
            Hscl::CheckFailed { why, detail } => write!(
                f,
                "{code} The migrating partition has returned a failure response to the HMC's request to perform a check for migration readiness. {why} The partition command is: drmgr -m -c pmig -p check -d {detail}"
            ),
            Hscl::PrepareFailed(why) => write!(
                f,
                "{code} The migrating partition has returned a failure response to the HMC's request to prepare for migration. {why}"
            ),
            Hscl::CannotHost { vios, slot, detail } => {
                write!(
                    f,
                    "{code} The RMC command issued to partition {vios} failed. This means that destination VIOS partition {vios} cannot host the virtual adapter {slot} on the migrating partition."
                )?;
                match detail {
                    Some(d) => write!(f, " {d}"),
                    None => Ok(()),
                }
            }
            Hscl::NotMsp(msp) => write!(
                f,
                "{code} The DLPAR Resource Manager (DRM) capability bits 0x0 for mover service partition (MSP) {msp} indicate that partition mobility functions are not supported on the partition."
            ),
            Hscl::MspUnreachable(msp) => write!(
                f,
                "{code} The HMC cannot communicate migration commands to the partition {msp}. Either the network connection is not available or the partition does not have a level of software that is capable of supporting partition migration."
            ),
            Hscl::CompatMode { mode, supported } => write!(
                f,
                "{code} The partition cannot be migrated because it has been designated to use a processor compatibility level that is not supported by the destination managed system. Processor compatibility mode {mode} is not one of {}.",
                supported.join(", ")
            ),
            Hscl::NoRedundancy => write!(
                f,
                "{code} The HMC may not be able to replicate the source multipath I/O configuration for the migrating partition's virtual I/O adapters on the destination. This will result in loss of redundancy on the destination."
            ),
            Hscl::FcCannotHost(slot) => write!(
                f,
                "{code} The migrating partition's virtual fibre channel client adapter {slot} cannot be hosted by the existing Virtual I/O Server (VIOS) partitions on the destination managed system."
            ),
            Hscl::PwdPolicyExists(n) => write!(
                f,
                "{code} A password policy named {n} already exists. Specify a different name and retry the command."
            ),
            Hscl::PwdPolicyNotFound(n) => write!(
                f,
                "{code} The password policy named {n} was not found. Please check your entry and retry the command."
            ),
            Hscl::PwdPolicyBuiltin(n) => write!(
                f,
                "{code} The password policy {n} is provided by the Hardware Management Console and cannot be changed or removed."
            ),
            Hscl::PwdPolicyActive(n) => write!(
                f,
                "{code} The password policy {n} is active and cannot be removed. Deactivate it with chpwdpolicy -o d, then retry the command."
            ),
            Hscl::NoActivePwdPolicy => write!(f, "{code} No password policy is active."),
            Hscl::LdapNotConfigured => write!(
                f,
                "{code} LDAP is not configured on the Hardware Management Console."
            ),
            Hscl::ServerUnreachable(host) => write!(
                f,
                "{code} Unable to connect to the server {host}. Verify that the server is reachable from the Hardware Management Console and that the user ID and password are correct, then retry the operation."
            ),
            Hscl::MediaInvalid(loc) => write!(
                f,
                "{code} The files at {loc} are not valid Hardware Management Console update or upgrade files. Verify the location and the files, then retry the operation."
            ),
            Hscl::NoMediaDevice(kind) => write!(
                f,
                "{code} No {kind} media device was found on the Hardware Management Console."
            ),
            Hscl::NoUpgradeFiles => write!(
                f,
                "{code} The upgrade files have not been obtained. Run getupgfiles first, then retry the command."
            ),
            Hscl::FirmwareRepositoryUnreachable(repo) => write!(
                f,
                "{code} Unable to retrieve the Licensed Internal Code update from the repository {repo}: the repository cannot be reached from the Hardware Management Console. Verify the repository settings and the network connection, then retry the operation."
            ),
        }
    }
}
