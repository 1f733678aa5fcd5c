//! Every check the reference lists for an active or an inactive migration,
//! all run, all reported; and the plan the migration follows when none
//! fails: the mover service partitions, the destination VIOS for each
//! virtual adapter and the slots the HMC will create there. It reads only
//! what the HMC already knows (its view of both frames and the VIOS
//! devices), so validating changes nothing.

use pvmlab_common::model::{Partition, PartitionExt as _, Profile, ViosDevices};
use pvmlab_common::proto::hmc::FrameView;
use std::collections::HashMap;

mod checks;
mod msp;
#[cfg(test)]
mod tests;

pub use super::adapters::AdapterMove;

#[derive(Default, Debug)]
pub struct Plan {
    pub active: bool,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub source_msp: Option<(u32, String)>,
    pub dest_msp: Option<(u32, String)>,
    pub moves: Vec<AdapterMove>,
    pub pool_id: u32,
    /// The partition's id on the destination, where `dest_lpar_id` asked
    /// for one (else it keeps its id where that is free there).
    pub dest_lpar_id: Option<u32>,
}

/// What `-i`/`-f` and the options ask for.
#[derive(Default)]
pub struct Asked {
    pub attrs: Vec<(String, String)>,
    /// Keeping the multipath (redundant VIOS) layout: 0 not required,
    /// 1 required (default), 2 if possible.
    pub mpio: u8,
    pub vlanbridge: u8, // 1: required (default), 2: if possible
    pub new_profile: Option<String>,
    /// -w: minutes the partition's migration scripts may take in each
    /// phase (drmgr -w); none given: 5.
    pub wait_minutes: Option<u32>,
    /// -d: the detail asked of the partition's commands (drmgr -d), 0-5.
    pub detail: u32,
}

impl Asked {
    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
}

pub const INPUT_ATTRS: &[&str] = &[
    "virtual_scsi_mappings",
    "virtual_fc_mappings",
    "vlan_mappings",
    "source_msp_name",
    "source_msp_id",
    "source_msp_ipaddr",
    "dest_msp_name",
    "dest_msp_id",
    "dest_msp_ipaddr",
    "dest_lpar_id",
    "shared_proc_pool_id",
    "shared_proc_pool_name",
];

pub struct Inputs<'a> {
    pub src: &'a FrameView,
    pub dst: &'a FrameView,
    pub lpar: &'a Partition,
    /// The devices of each VIOS that answered over RMC, by partition id.
    pub src_devices: &'a HashMap<u32, ViosDevices>,
    pub dst_devices: &'a HashMap<u32, ViosDevices>,
    pub asked: &'a Asked,
    /// Why the partition's operating system failed the check phase (it
    /// refused, or its scripts ran out of time), if it did.
    pub check_failed: Option<String>,
    /// Remote restart, not migration: the partition is rebuilt from its
    /// stored configuration on a frame that must be remote restart
    /// capable, and boots there afresh.
    pub remote_restart: bool,
}

/// The profile the migration moves: the running one, or the last one
/// activated for an inactive migration.
pub fn moving_profile(l: &Partition) -> Option<&Profile> {
    let name = if l.curr_profile.is_empty() {
        &l.last_activated_profile
    } else {
        &l.curr_profile
    };
    l.profile(name).or_else(|| l.profile(&l.default_profile))
}

/// Every check, in the order the report lists what they find. Pure: the
/// same inputs always make the same plan, and nothing is asked of any
/// node (the caller gathered the devices and ran the partition's own
/// check phase).
pub fn validate(i: &Inputs) -> Plan {
    let mut plan = Plan {
        active: i.lpar.state == pvmlab_common::model::lpar_state::RUNNING,
        ..Default::default()
    };
    let seen = checks::Seen::of(i, plan.active);
    checks::partition_state(i, &mut plan);
    checks::frames(i, &seen, &mut plan);
    checks::names_and_addresses(i, &seen, &mut plan);
    checks::compat_mode(i, &seen, &mut plan);
    checks::migratability(i, &seen, &mut plan);
    checks::resources(i, &seen, &mut plan);
    checks::dest_lpar_id(i, &seen, &mut plan);
    if plan.active {
        msp::pick_both(i, &mut plan);
    }
    super::adapters::plan_adapters(i, &seen.prof, &mut plan);
    checks::vlans(i, &seen, &mut plan);
    checks::new_profile(i, &mut plan);
    plan
}

/// The report `migrlpar -o v` prints: errors, then warnings.
pub fn report(plan: &Plan) -> String {
    let mut out = String::new();
    if !plan.errors.is_empty() {
        out.push_str("Errors:\n");
        for e in &plan.errors {
            out.push_str(e);
            out.push('\n');
        }
    }
    if !plan.warnings.is_empty() {
        out.push_str("Warnings:\n");
        for w in &plan.warnings {
            out.push_str(w);
            out.push('\n');
        }
    }
    out
}
