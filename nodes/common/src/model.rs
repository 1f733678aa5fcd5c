//! The shared model. The messages themselves are the generated protobuf types
//! (so what crosses the wire and what is stored are the same thing); this
//! module adds the state vocabulary of the real product and small helpers.

pub use pvmlab_proto::model::*;

use std::fmt;

/// The roles a lab certificate can carry. Every RPC states which may call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Hmc,
    Fsp,
    Vios,
    Controller,
    San,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Hmc,
        Role::Fsp,
        Role::Vios,
        Role::Controller,
        Role::San,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Hmc => "hmc",
            Role::Fsp => "fsp",
            Role::Vios => "vios",
            Role::Controller => "controller",
            Role::San => "san",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Managed-system states, spelled as `lssyscfg -r sys` prints them.
pub mod frame_state {
    pub const OPERATING: &str = "Operating";
    pub const STANDBY: &str = "Standby";
    pub const POWER_OFF: &str = "Power Off";
    pub const POWER_OFF_IN_PROGRESS: &str = "Power Off In Progress";
    pub const INITIALIZING: &str = "Initializing";
    pub const ERROR: &str = "Error";
    pub const ERROR_DUMP: &str = "Error - Dump in progress";
    // Seen only on the HMC side: the state of the HMC's connection, not of the frame.
    pub const NO_CONNECTION: &str = "No Connection";
    pub const PENDING_AUTHENTICATION: &str = "Pending Authentication";
    pub const FAILED_AUTHENTICATION: &str = "Failed Authentication";
    pub const INCOMPLETE: &str = "Incomplete";
    pub const RECOVERY: &str = "Recovery";

    /// The frame is off or failed: its partitions are stopped.
    pub fn is_down(state: &str) -> bool {
        matches!(
            state,
            POWER_OFF | POWER_OFF_IN_PROGRESS | ERROR | ERROR_DUMP
        )
    }
}

/// Partition states, spelled as `lssyscfg -r lpar` prints them.
pub mod lpar_state {
    pub const NOT_ACTIVATED: &str = "Not Activated";
    pub const STARTING: &str = "Starting";
    pub const OPEN_FIRMWARE: &str = "Open Firmware";
    pub const RUNNING: &str = "Running";
    pub const SHUTTING_DOWN: &str = "Shutting Down";
    pub const ERROR: &str = "Error";
    pub const NOT_AVAILABLE: &str = "Not Available";
    pub const MIGRATING_RUNNING: &str = "Migrating - Running";
    pub const MIGRATING_NOT_ACTIVATED: &str = "Migrating - Not Activated";
}

/// `migration_state` as lslparmigr prints it. The Redbook documents Not
/// Migrating, Migration Starting and invalid; Migration In Progress (after
/// suspension is enabled, when a stop is no longer possible) is the HMC's
/// own word as clients recall it.
pub mod migration_state {
    pub const NOT_MIGRATING: &str = "Not Migrating";
    pub const STARTING: &str = "Migration Starting";
    pub const IN_PROGRESS: &str = "Migration In Progress";
    pub const INVALID: &str = "invalid";
}

/// The destination partition id before one is chosen.
/// `remote_restart_status` values (lssyscfg -r lpar).
pub mod rr_status {
    /// Never started: nothing to restart from.
    pub const INVALID: &str = "Invalid";
    pub const RESTARTABLE: &str = "Remote Restartable";
    pub const SOURCE_RESTARTING: &str = "Source Remote Restarting";
    pub const DEST_RESTARTING: &str = "Destination Remote Restarting";
    /// The point of no return: every adapter exists on the destination.
    pub const DEST_RESTARTED: &str = "Destination Remote Restarted";
    /// The source copy, ready for cleanup.
    pub const RESTARTED: &str = "Remote Restarted";
}

pub const NO_DEST_LPAR_ID: u32 = 65535;

/// `migrlpar -w`: the minutes a partition's migration scripts may take in
/// each phase (drmgr's -w), where the migration gives none: the Redbook's
/// default of 5.
pub fn wait_minutes(m: Option<&Migration>) -> u32 {
    m.and_then(|m| m.wait_minutes).unwrap_or(5)
}

/// The most `migrlpar -w` (and `rrstartlpar -w`) allow: a day.
pub const MAX_WAIT_MINUTES: u32 = 1440;

/// The wait time in milliseconds, what a phase's scripts may take.
pub fn wait_ms(m: Option<&Migration>) -> u64 {
    u64::from(wait_minutes(m)) * 60_000
}

/// The longest a partition's migration scripts may take in a phase: the
/// longest wait `-w` allows.
pub const MAX_SCRIPT_MS: u64 = MAX_WAIT_MINUTES as u64 * 60_000;

pub const LPAR_ENV_AIXLINUX: &str = "aixlinux";
pub const LPAR_ENV_VIOS: &str = "vioserver";

/// Helpers on the generated partition type.
pub trait PartitionExt {
    fn is_vios(&self) -> bool;
    fn profile(&self, name: &str) -> Option<&Profile>;
    /// The profile it runs with, or its default one when it does not run
    /// (`lssyscfg -r lpar`'s `curr_profile`).
    fn current_profile_name(&self) -> &str;
    fn holds_resources(&self) -> bool;
}

impl PartitionExt for Partition {
    fn is_vios(&self) -> bool {
        self.lpar_env == LPAR_ENV_VIOS
    }

    fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    fn current_profile_name(&self) -> &str {
        if self.curr_profile.is_empty() {
            &self.default_profile
        } else {
            &self.curr_profile
        }
    }

    /// A partition holds frame resources from the moment it starts until it is
    /// back to Not Activated.
    fn holds_resources(&self) -> bool {
        !matches!(
            self.state.as_str(),
            lpar_state::NOT_ACTIVATED | lpar_state::NOT_AVAILABLE
        )
    }
}

/// Memory (MB) and processors (units) free on a frame.
#[derive(Debug, Clone, Copy)]
pub struct Available {
    pub mem_mb: u64,
    pub proc_units: f64,
}

/// Helpers on the generated frame type.
pub trait FrameExt {
    fn mtms(&self) -> String;
    fn has_capability(&self, cap: &str) -> bool;
    /// What is free once the firmware and `lpars` that hold resources
    /// have taken theirs: the one account the hypervisor, lshwres and
    /// migration validation all keep.
    fn available<'a>(&self, lpars: impl IntoIterator<Item = &'a Partition>) -> Available;
}

/// The fewest processing units a virtual processor of a shared partition
/// runs on (`min_proc_units_per_virtual_proc`).
pub const MIN_UNITS_PER_VIRTUAL_PROC: f64 = 0.05;

/// A huge page is 16 GB (lshwres' huge_page_size, in MB).
pub const HUGE_PAGE_MB: u64 = 16384;

/// The most huge pages a frame's memory holds beside the hypervisor's own.
pub fn max_huge_pages(f: &Frame) -> u32 {
    let usable = f.memory_mb.saturating_sub(u64::from(f.firmware_mem_mb));
    u32::try_from(usable / HUGE_PAGE_MB).unwrap_or(u32::MAX)
}

/// Memory settings a frame accepts (chhwres -r mem -o s): huge pages it
/// can hold, a mirroring mode and a memory region size it knows.
pub fn check_mem_settings(f: &Frame, s: &MemSettings) -> Result<(), String> {
    let max = max_huge_pages(f);
    if s.requested_huge_pages > max {
        return Err(format!(
            "The requested number of huge pages {} is more than the managed system can hold ({max}).",
            s.requested_huge_pages
        ));
    }
    if !matches!(
        s.pend_mirroring_mode.as_str(),
        "" | "none" | "sys_firmware_only"
    ) {
        return Err(format!(
            "The memory mirroring mode {} is not valid.",
            s.pend_mirroring_mode
        ));
    }
    if !matches!(s.pend_region_size_mb, 0 | 16 | 32 | 64 | 128 | 256) {
        return Err(format!(
            "The memory region size {} is not valid.",
            s.pend_region_size_mb
        ));
    }
    Ok(())
}

/// Helpers on the generated resources type.
pub trait ResourcesExt {
    /// Processing units held: whole processors when dedicated.
    fn units(&self) -> f64;
}

impl ResourcesExt for Resources {
    fn units(&self) -> f64 {
        if self.proc_mode == "ded" {
            f64::from(self.procs)
        } else {
            self.proc_units
        }
    }
}

impl FrameExt for Frame {
    /// `type-model*serial`, the other name by which commands may address a frame.
    fn mtms(&self) -> String {
        format!("{}*{}", self.type_model, self.serial_num)
    }

    fn has_capability(&self, cap: &str) -> bool {
        self.capabilities.iter().any(|c| c == cap)
    }

    fn available<'a>(&self, lpars: impl IntoIterator<Item = &'a Partition>) -> Available {
        let mut mem = self
            .memory_mb
            .saturating_sub(u64::from(self.firmware_mem_mb));
        let mut units = self.processors;
        for c in lpars
            .into_iter()
            .filter(|l| l.holds_resources())
            .filter_map(|l| l.curr.as_ref())
        {
            mem = mem.saturating_sub(c.mem_mb);
            units -= c.units();
        }
        Available {
            mem_mb: mem,
            proc_units: units.max(0.0),
        }
    }
}

/// The words the HMC's commands and records use for an adapter kind
/// (`chhwres --rsubtype eth|scsi|fc`, a migration's adapter moves).
pub trait AdapterKindExt: Sized {
    fn word(self) -> &'static str;
    fn of_word(word: &str) -> Option<Self>;
}

impl AdapterKindExt for AdapterKind {
    fn word(self) -> &'static str {
        match self {
            AdapterKind::Eth => "eth",
            AdapterKind::Scsi => "scsi",
            AdapterKind::Fc => "fc",
            AdapterKind::Unspecified => "",
        }
    }

    fn of_word(word: &str) -> Option<Self> {
        [AdapterKind::Eth, AdapterKind::Scsi, AdapterKind::Fc]
            .into_iter()
            .find(|k| k.word() == word)
    }
}

/// The logical unit number of a VIOS's virtual optical device `i` (of
/// `optical`) on its vhost: after the vhost's disks, in the order they
/// were made, from 0x81 as `lsmap` shows them.
pub fn optical_lun(d: &ViosDevices, i: usize) -> u32 {
    let Some(o) = d.optical.get(i) else {
        return 0x81;
    };
    let disks = d.vscsi.iter().filter(|m| m.vhost == o.vhost).count();
    let before = d.optical[..i].iter().filter(|p| p.vhost == o.vhost).count();
    0x81 + (disks + before) as u32
}
