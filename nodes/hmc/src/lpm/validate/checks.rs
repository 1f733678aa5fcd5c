//! The checks of a validation, one function per group the reference
//! lists, each adding what it finds to the plan.

use super::{Inputs, Plan, moving_profile};
use crate::hscl::Hscl;
use pvmlab_common::model::{
    Frame, FrameExt as _, PartitionExt as _, Profile, ResourcesExt as _, VirtualEthAdapter,
    lpar_state,
};

/// What several checks read, worked out once.
pub(super) struct Seen {
    pub sframe: Frame,
    pub dframe: Frame,
    /// The profile that moves.
    pub prof: Profile,
    /// The virtual Ethernet adapters that move: as the partition runs
    /// (active), else as its profile has them.
    pub eths: Vec<VirtualEthAdapter>,
}

impl Seen {
    pub fn of(i: &Inputs, active: bool) -> Seen {
        let prof = moving_profile(i.lpar).cloned().unwrap_or_default();
        let eths = match &i.lpar.curr {
            Some(c) if active => c.eth.clone(),
            _ => prof.virtual_eth_adapters.clone(),
        };
        Seen {
            sframe: i.src.frame.clone().unwrap_or_default(),
            dframe: i.dst.frame.clone().unwrap_or_default(),
            prof,
            eths,
        }
    }
}

/// Type follows state: Running moves active, Not Activated inactive (if
/// it ever ran), nothing else moves, nor what migrates already.
pub(super) fn partition_state(i: &Inputs, plan: &mut Plan) {
    let l = i.lpar;
    let e = &mut plan.errors;
    if let Some(m) = &l.migration {
        e.push(format!(
            "The partition {} is already taking part in a migration ({}). Recover it with migrlpar -o r first.",
            l.name, m.state
        ));
    } else if !matches!(
        l.state.as_str(),
        lpar_state::RUNNING | lpar_state::NOT_ACTIVATED
    ) {
        e.push(format!(
            "The partition {} is in the {} state. Only a Running partition (active migration) or a Not Activated one (inactive migration) can be migrated.",
            l.name, l.state
        ));
    } else if !plan.active && !l.activated_once && !i.remote_restart {
        e.push(format!(
            "The partition {} has never been activated. An inactive partition that has never been activated is not migratable.",
            l.name
        ));
    }
}

/// Two frames, the destination operating, both capable of the kind of
/// move (or the destination of remote restart).
pub(super) fn frames(i: &Inputs, s: &Seen, plan: &mut Plan) {
    let (src, dst) = (i.src, i.dst);
    let e = &mut plan.errors;
    if src.name == dst.name {
        e.push("The source and destination managed systems are the same.".into());
    }
    if !dst.connected || dst.state != "Operating" {
        e.push(format!(
            "The destination managed system {} is in the {} state; it must be Operating.",
            dst.name, dst.state
        ));
    }
    if i.remote_restart {
        let cap = "powervm_lpar_remote_restart_capable";
        if !s.dframe.capabilities.iter().any(|c| c == cap) {
            e.push(format!(
                "The managed system {} is not capable of PowerVM partition remote restart ({cap}=0).",
                s.dframe.name
            ));
        }
    } else {
        let kind = if plan.active { "active" } else { "inactive" };
        let cap = format!("{kind}_lpar_mobility_capable");
        for f in [&s.sframe, &s.dframe] {
            if !f.capabilities.contains(&cap) {
                e.push(format!(
                    "The managed system {} is not capable of {kind} partition migration.",
                    f.name
                ));
            }
        }
    }
    if i.lpar.is_vios() {
        e.push(format!(
            "The partition {} is a Virtual I/O Server partition. Virtual I/O Server partitions cannot be migrated.",
            i.lpar.name
        ));
    }
}

/// Neither the partition's name nor its MAC addresses in use there.
pub(super) fn names_and_addresses(i: &Inputs, s: &Seen, plan: &mut Plan) {
    let (l, dst) = (i.lpar, i.dst);
    let e = &mut plan.errors;
    if let Some(o) = dst.partitions.iter().find(|p| p.name == l.name) {
        e.push(format!(
            "A partition named {} already exists on the destination managed system {} (ID {}). A partition cannot be migrated if any partition exists with the same name on the destination server.",
            l.name, dst.name, o.id
        ));
    }
    let dst_macs: Vec<String> = dst
        .partitions
        .iter()
        .flat_map(|p| {
            let running = p.curr.iter().flat_map(|c| c.eth.iter());
            let profiles = p
                .profiles
                .iter()
                .flat_map(|pr| pr.virtual_eth_adapters.iter());
            running.chain(profiles).map(|a| a.mac_addr.to_lowercase())
        })
        .filter(|m| !m.is_empty())
        .collect();
    for a in &s.eths {
        if !a.mac_addr.is_empty() && dst_macs.contains(&a.mac_addr.to_lowercase()) {
            e.push(format!(
                "The MAC address {} of virtual Ethernet adapter {} is already in use on the destination managed system.",
                a.mac_addr, a.slot
            ));
        }
    }
}

/// The processor compatibility mode it runs in (or its profile asks for)
/// must be one the destination offers.
pub(super) fn compat_mode(i: &Inputs, s: &Seen, plan: &mut Plan) {
    let mode = if plan.active {
        i.lpar.curr_lpar_proc_compat_mode.clone()
    } else {
        s.prof.lpar_proc_compat_mode.clone()
    };
    if !mode.is_empty() && mode != "default" && !s.dframe.compat_modes.contains(&mode) {
        plan.errors.push(
            Hscl::CompatMode {
                mode,
                supported: s.dframe.compat_modes.clone(),
            }
            .to_string(),
        );
    }
}

/// What keeps a partition from moving: physical I/O, huge pages, BSR
/// arrays, a different memory block size, its operating system's check,
/// high virtual serial slots (running); workload groups and redundant
/// error path reporting (always).
pub(super) fn migratability(i: &Inputs, s: &Seen, plan: &mut Plan) {
    let (l, prof, active) = (i.lpar, &s.prof, plan.active);
    if !prof.io_slots.is_empty() {
        let msg = format!(
            "The partition {} has physical I/O adapters ({}).",
            l.name,
            prof.io_slots.join(", ")
        );
        if active {
            plan.errors.push(format!("{msg} A running partition with physical I/O cannot be migrated; remove them with dynamic LPAR first."));
        } else {
            plan.warnings.push(format!(
                "{msg} They are removed from the migration profile on the destination."
            ));
        }
    }
    if active {
        running(i, s, plan);
    }
    let e = &mut plan.errors;
    if !matches!(prof.work_group_id.as_str(), "" | "none") {
        e.push(format!(
            "The partition {} is a member of workload group {}. Remove it from the group first.",
            l.name, prof.work_group_id
        ));
    }
    if prof.redundant_err_path_reporting == "1" {
        e.push(format!(
            "The partition {} has redundant error path reporting enabled.",
            l.name
        ));
    }
}

/// The checks only a running partition has to pass.
fn running(i: &Inputs, s: &Seen, plan: &mut Plan) {
    let (l, prof) = (i.lpar, &s.prof);
    let e = &mut plan.errors;
    let huge = |s: &str| s.parse::<u64>().unwrap_or(0) > 0;
    if huge(&prof.desired_num_huge_pages) || huge(&prof.min_num_huge_pages) {
        e.push(format!("The partition {} uses huge pages. A partition with huge pages cannot be migrated while it runs.", l.name));
    }
    if prof.bsr_arrays > 0 {
        e.push(format!("The partition {} uses barrier synchronization register (BSR) arrays. A partition with BSR arrays cannot be migrated while it runs.", l.name));
    }
    if s.sframe.lmb_mb != s.dframe.lmb_mb {
        e.push(format!(
            "The logical memory block size of the source managed system ({} MB) differs from that of the destination managed system ({} MB).",
            s.sframe.lmb_mb, s.dframe.lmb_mb
        ));
    }
    let why = if l.rmc_state != "active" {
        Some(format!(
            "The partition {} has no active RMC connection.",
            l.name
        ))
    } else {
        i.check_failed.clone()
    };
    if let Some(why) = why {
        e.push(
            Hscl::CheckFailed {
                why,
                detail: i.asked.detail,
            }
            .to_string(),
        );
    }
    let serial: Vec<u32> = l
        .curr
        .iter()
        .flat_map(|c| c.serial.iter())
        .filter(|a| !a.server && a.slot >= 2 && a.required)
        .map(|a| a.slot)
        .collect();
    if !serial.is_empty() {
        e.push(format!("The partition {} has required virtual serial adapters in slots higher than 1 ({serial:?}); remove them first.", l.name));
    }
}

/// Memory and processors free on the destination (in the shared pool
/// asked for, which must exist there).
pub(super) fn resources(i: &Inputs, s: &Seen, plan: &mut Plan) {
    let (l, prof, dframe) = (i.lpar, &s.prof, &s.dframe);
    let (mem, units, ded) = match (&l.curr, plan.active) {
        (Some(c), true) => (c.mem_mb, c.units(), c.proc_mode == "ded"),
        _ => (
            prof.min_mem,
            if prof.proc_mode == "ded" {
                f64::from(prof.min_procs)
            } else {
                prof.min_proc_units
            },
            prof.proc_mode == "ded",
        ),
    };
    let free = dframe.available(&i.dst.partitions);
    let avail_mem = free.mem_mb;
    if mem > avail_mem {
        plan.errors.push(format!("There is not enough memory: Obtained: {avail_mem}, Required: {mem}.  Check that there is enough memory available to activate the partition. If not, create a new profile or modify the existing profile with the available resources, then activate the partition."));
    }
    plan.pool_id = 0;
    let asked_pool = i
        .asked
        .get("shared_proc_pool_id")
        .or(i.asked.get("shared_proc_pool_name"));
    if let Some(v) = asked_pool {
        match dframe
            .pools
            .iter()
            .find(|p| p.id.to_string() == v || p.name == v)
        {
            Some(p) => plan.pool_id = p.id,
            None => plan.errors.push(format!(
                "The shared processor pool {v} was not found on the destination managed system."
            )),
        }
    }
    let pool_cap = dframe
        .pools
        .iter()
        .find(|p| p.id == plan.pool_id)
        .map(|p| p.max_pool_proc_units)
        .unwrap_or(dframe.processors);
    if units > free.proc_units.min(if ded { f64::MAX } else { pool_cap }) + 1e-9 {
        plan.errors.push("The partition cannot be migrated because the processing resources it requires exceeds the available processing resources in the destination managed system's shared processor pool.".to_string());
    }
}

/// The partition's id there, where -i asks for one.
pub(super) fn dest_lpar_id(i: &Inputs, s: &Seen, plan: &mut Plan) {
    let Some(v) = i.asked.get("dest_lpar_id") else {
        return;
    };
    let (dst, max) = (i.dst, s.dframe.max_lpars);
    match v.parse::<u32>() {
        Ok(id) if (1..=max).contains(&id) => match dst.partitions.iter().find(|p| p.id == id) {
            Some(o) => plan.errors.push(format!(
                "The partition ID {id} is already in use by partition {} on the destination managed system {}.",
                o.name, dst.name
            )),
            None => plan.dest_lpar_id = Some(id),
        },
        _ => plan.errors.push(format!(
            "An invalid value was entered for the dest_lpar_id attribute: {v}. The partition ID must be a number from 1 to {max} on the destination managed system {}.",
            dst.name
        )),
    }
}

/// Each VLAN must be bridged by a shared Ethernet adapter there (or, with
/// --vlanbridge 2, is only warned about).
pub(super) fn vlans(i: &Inputs, s: &Seen, plan: &mut Plan) {
    let bridged: Vec<u32> = i
        .dst_devices
        .values()
        .flat_map(|d| {
            d.seas
                .iter()
                .flat_map(|s| s.vlans.iter().copied().chain([s.pvid]))
        })
        .collect();
    for a in &s.eths {
        for vlan in std::iter::once(a.port_vlan_id).chain(a.addl_vlan_ids.iter().copied()) {
            if !bridged.contains(&vlan) {
                let msg = format!(
                    "The virtual Ethernet adapter {} of the migrating partition uses VLAN {vlan}, which no shared Ethernet adapter bridges on the destination managed system {}.",
                    a.slot, i.dst.name
                );
                if i.asked.vlanbridge == 2 {
                    plan.warnings.push(msg);
                } else {
                    plan.errors.push(msg);
                }
            }
        }
    }
}

/// -n naming a profile the partition has already is only a warning.
pub(super) fn new_profile(i: &Inputs, plan: &mut Plan) {
    if let Some(n) = &i.asked.new_profile {
        if i.lpar.profile(n).is_some() {
            plan.warnings.push(format!("The partition profile {n} exists already; the migration profile will overwrite it on the destination managed system."));
        }
    }
}
