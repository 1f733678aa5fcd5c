//! Every check the reference lists for an active or an inactive migration,
//! all run, all reported; and the plan the migration follows when none
//! fails: the mover service partitions, the destination VIOS for each
//! virtual adapter and the slots the HMC will create there. It reads only
//! what the HMC already knows (its view of both frames and the VIOS
//! devices), so validating changes nothing.

use pvmlab_common::model::{
    Frame, FrameExt as _, Partition, PartitionExt as _, Profile, ResourcesExt as _, ViosDevices,
    VirtualEthAdapter, VirtualFcAdapter, VirtualScsiAdapter, lpar_state,
};
use pvmlab_common::proto::hmc::FrameView;
use std::collections::{BTreeMap, HashMap};

/// One virtual SCSI or fibre channel client adapter and where it goes.
#[derive(Clone, Debug)]
pub struct AdapterMove {
    pub kind: &'static str, // scsi | fc
    pub client_slot: u32,
    pub dest_vios: u32,
    pub dest_vios_name: String,
    pub dest_slot: u32,
    pub luns: Vec<String>,
}

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
    fn get(&self, k: &str) -> Option<&str> {
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

/// How `-i` names a mover service partition: `<side>_msp_name`, `_id`
/// and `_ipaddr` (the address its RMC connection, and so its mover
/// traffic, uses), each optional; all given must fit the one partition.
struct MspAsked<'a> {
    name: Option<&'a str>,
    id: Option<&'a str>,
    ipaddr: Option<&'a str>,
}

impl<'a> MspAsked<'a> {
    fn of(a: &'a Asked, side: &str) -> MspAsked<'a> {
        MspAsked {
            name: a.get(&format!("{side}_msp_name")),
            id: a.get(&format!("{side}_msp_id")),
            ipaddr: a.get(&format!("{side}_msp_ipaddr")),
        }
    }

    fn any(&self) -> Option<&'a str> {
        self.name.or(self.id).or(self.ipaddr)
    }

    /// The VIOS partition of a frame that fits.
    fn find<'f>(&self, f: &'f FrameView) -> Option<&'f Partition> {
        f.partitions.iter().find(|p| {
            p.is_vios()
                && self.name.is_none_or(|n| p.name == n)
                && self.id.is_none_or(|i| p.id.to_string() == i)
                && self.ipaddr.is_none_or(|a| p.rmc_ipaddr == a)
        })
    }
}

fn ready_msp(p: &Partition) -> bool {
    p.msp && p.state == lpar_state::RUNNING && p.rmc_state == "active"
}

fn pick_msp(f: &FrameView, asked: &MspAsked, side: &str, plan: &mut Plan) -> Option<(u32, String)> {
    if let Some(what) = asked.any() {
        match asked.find(f) {
            Some(p) if ready_msp(p) => Some((p.id, p.name.clone())),
            Some(p) if !p.msp => {
                plan.errors.push(format!(
                    "HSCLA297 The DLPAR Resource Manager (DRM) capability bits 0x0 for mover service partition (MSP) {} indicate that partition mobility functions are not supported on the partition.",
                    p.name
                ));
                None
            }
            Some(p) => {
                plan.errors.push(format!(
                    "HSCLA246 The HMC cannot communicate migration commands to the partition {}. Either the network connection is not available or the partition does not have a level of software that is capable of supporting partition migration.",
                    p.name
                ));
                None
            }
            None => {
                plan.errors.push(format!(
                    "The {side} mover service partition {what} was not found on the managed system {}.",
                    f.name
                ));
                None
            }
        }
    } else {
        let found = f.partitions.iter().find(|p| ready_msp(p));
        if found.is_none() {
            plan.errors.push(format!(
                "There is no mover service partition with an active RMC connection on the {side} managed system {}. If no movers are available, the migration fails.",
                f.name
            ));
        }
        found.map(|p| (p.id, p.name.clone()))
    }
}

fn next_free_slot(vios: &Partition, taken: &[u32]) -> u32 {
    let mut used: Vec<u32> = taken.to_vec();
    if let Some(c) = &vios.curr {
        used.extend(c.scsi.iter().map(|a| a.slot));
        used.extend(c.eth.iter().map(|a| a.slot));
        used.extend(c.fc.iter().map(|a| a.slot));
        used.extend(c.serial.iter().map(|a| a.slot));
    }
    for p in &vios.profiles {
        used.extend(p.virtual_scsi_adapters.iter().map(|a| a.slot));
        used.extend(p.virtual_eth_adapters.iter().map(|a| a.slot));
        used.extend(p.virtual_fc_adapters.iter().map(|a| a.slot));
    }
    (10..).find(|s| !used.contains(s)).unwrap_or(10)
}

pub fn validate(i: &Inputs) -> Plan {
    let mut plan = Plan::default();
    let (src, dst, l) = (i.src, i.dst, i.lpar);
    let sframe: Frame = src.frame.clone().unwrap_or_default();
    let dframe: Frame = dst.frame.clone().unwrap_or_default();
    let e = &mut plan.errors;

    // Type follows state.
    plan.active = l.state == lpar_state::RUNNING;
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
        if !dframe.capabilities.iter().any(|c| c == cap) {
            e.push(format!(
                "The managed system {} is not capable of PowerVM partition remote restart ({cap}=0).",
                dframe.name
            ));
        }
    } else {
        let kind = if plan.active { "active" } else { "inactive" };
        let cap = format!("{kind}_lpar_mobility_capable");
        for f in [&sframe, &dframe] {
            if !f.capabilities.contains(&cap) {
                e.push(format!(
                    "The managed system {} is not capable of {kind} partition migration.",
                    f.name
                ));
            }
        }
    }
    if l.is_vios() {
        e.push(format!(
            "The partition {} is a Virtual I/O Server partition. Virtual I/O Server partitions cannot be migrated.",
            l.name
        ));
    }
    if let Some(o) = dst.partitions.iter().find(|p| p.name == l.name) {
        e.push(format!(
            "A partition named {} already exists on the destination managed system {} (ID {}). A partition cannot be migrated if any partition exists with the same name on the destination server.",
            l.name, dst.name, o.id
        ));
    }
    let prof = moving_profile(l).cloned().unwrap_or_default();
    let eths: Vec<VirtualEthAdapter> = match &l.curr {
        Some(c) if plan.active => c.eth.clone(),
        _ => prof.virtual_eth_adapters.clone(),
    };
    let dst_macs: Vec<String> = dst
        .partitions
        .iter()
        .flat_map(|p| {
            p.curr
                .iter()
                .flat_map(|c| c.eth.iter().map(|a| a.mac_addr.to_lowercase()))
                .chain(p.profiles.iter().flat_map(|pr| {
                    pr.virtual_eth_adapters
                        .iter()
                        .map(|a| a.mac_addr.to_lowercase())
                }))
                .collect::<Vec<_>>()
        })
        .filter(|m| !m.is_empty())
        .collect();
    for a in &eths {
        if !a.mac_addr.is_empty() && dst_macs.contains(&a.mac_addr.to_lowercase()) {
            e.push(format!(
                "The MAC address {} of virtual Ethernet adapter {} is already in use on the destination managed system.",
                a.mac_addr, a.slot
            ));
        }
    }
    // Processor compatibility.
    let mode = if plan.active {
        l.curr_lpar_proc_compat_mode.clone()
    } else {
        prof.lpar_proc_compat_mode.clone()
    };
    if !mode.is_empty() && mode != "default" && !dframe.compat_modes.contains(&mode) {
        e.push(format!(
            "HSCLA224 The partition cannot be migrated because it has been designated to use a processor compatibility level that is not supported by the destination managed system. Processor compatibility mode {mode} is not one of {}.",
            dframe.compat_modes.join(", ")
        ));
    }
    // Migratability.
    let active = plan.active;
    if !prof.io_slots.is_empty() {
        let msg = format!(
            "The partition {} has physical I/O adapters ({}).",
            l.name,
            prof.io_slots.join(", ")
        );
        if active {
            e.push(format!("{msg} A running partition with physical I/O cannot be migrated; remove them with dynamic LPAR first."));
        } else {
            plan.warnings.push(format!(
                "{msg} They are removed from the migration profile on the destination."
            ));
        }
    }
    let e = &mut plan.errors;
    if active {
        let huge = |s: &str| s.parse::<u64>().unwrap_or(0) > 0;
        if huge(&prof.desired_num_huge_pages) || huge(&prof.min_num_huge_pages) {
            e.push(format!("The partition {} uses huge pages. A partition with huge pages cannot be migrated while it runs.", l.name));
        }
        if prof.bsr_arrays > 0 {
            e.push(format!("The partition {} uses barrier synchronization register (BSR) arrays. A partition with BSR arrays cannot be migrated while it runs.", l.name));
        }
        if sframe.lmb_mb != dframe.lmb_mb {
            e.push(format!(
                "The logical memory block size of the source managed system ({} MB) differs from that of the destination managed system ({} MB).",
                sframe.lmb_mb, dframe.lmb_mb
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
            e.push(format!(
                "HSCLA257 The migrating partition has returned a failure response to the HMC's request to perform a check for migration readiness. {why} The partition command is: drmgr -m -c pmig -p check -d {}",
                i.asked.detail
            ));
        }
        let serial: Vec<u32> = l
            .curr
            .as_ref()
            .map(|c| {
                c.serial
                    .iter()
                    .filter(|a| !a.server && a.slot >= 2 && a.required)
                    .map(|a| a.slot)
                    .collect()
            })
            .unwrap_or_default();
        if !serial.is_empty() {
            e.push(format!("The partition {} has required virtual serial adapters in slots higher than 1 ({serial:?}); remove them first.", l.name));
        }
    }
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
    // Resources on the destination.
    let (mem, units, ded) = match (&l.curr, active) {
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
    let free = dframe.available(&dst.partitions);
    let avail_mem = free.mem_mb;
    if mem > avail_mem {
        e.push(format!("There is not enough memory: Obtained: {avail_mem}, Required: {mem}.  Check that there is enough memory available to activate the partition. If not, create a new profile or modify the existing profile with the available resources, then activate the partition."));
    }
    plan.pool_id = 0;
    if let Some(v) = i
        .asked
        .get("shared_proc_pool_id")
        .or(i.asked.get("shared_proc_pool_name"))
    {
        match dframe
            .pools
            .iter()
            .find(|p| p.id.to_string() == v || p.name == v)
        {
            Some(p) => plan.pool_id = p.id,
            None => e.push(format!(
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
        e.push("The partition cannot be migrated because the processing resources it requires exceeds the available processing resources in the destination managed system's shared processor pool.".to_string());
    }
    // The partition's id there, where -i asks for one.
    if let Some(v) = i.asked.get("dest_lpar_id") {
        let max = dframe.max_lpars;
        match v.parse::<u32>() {
            Ok(id) if (1..=max).contains(&id) => {
                match dst.partitions.iter().find(|p| p.id == id) {
                    Some(o) => plan.errors.push(format!(
                        "The partition ID {id} is already in use by partition {} on the destination managed system {}.",
                        o.name, dst.name
                    )),
                    None => plan.dest_lpar_id = Some(id),
                }
            }
            _ => plan.errors.push(format!(
                "An invalid value was entered for the dest_lpar_id attribute: {v}. The partition ID must be a number from 1 to {max} on the destination managed system {}.",
                dst.name
            )),
        }
    }
    // Movers.
    if active {
        let a = i.asked;
        plan.source_msp = pick_msp(src, &MspAsked::of(a, "source"), "source", &mut plan);
        plan.dest_msp = pick_msp(dst, &MspAsked::of(a, "dest"), "destination", &mut plan);
    }
    plan_adapters(i, &prof, &mut plan);
    // VLANs: each must be bridged by a shared Ethernet adapter there.
    let bridged: Vec<u32> = i
        .dst_devices
        .values()
        .flat_map(|d| {
            d.seas
                .iter()
                .flat_map(|s| s.vlans.iter().copied().chain([s.pvid]))
        })
        .collect();
    for a in &eths {
        for vlan in std::iter::once(a.port_vlan_id).chain(a.addl_vlan_ids.iter().copied()) {
            if !bridged.contains(&vlan) {
                let msg = format!(
                    "The virtual Ethernet adapter {} of the migrating partition uses VLAN {vlan}, which no shared Ethernet adapter bridges on the destination managed system {}.",
                    a.slot, dst.name
                );
                if i.asked.vlanbridge == 2 {
                    plan.warnings.push(msg);
                } else {
                    plan.errors.push(msg);
                }
            }
        }
    }
    if let Some(n) = &i.asked.new_profile {
        if l.profile(n).is_some() {
            plan.warnings.push(format!("The partition profile {n} exists already; the migration profile will overwrite it on the destination managed system."));
        }
    }
    plan
}

/// Maps each client vSCSI and vFC adapter to a destination VIOS that can
/// host it, keeping the multipath layout: adapters served by N source
/// VIOS partitions go to N destination VIOS partitions.
fn plan_adapters(i: &Inputs, prof: &Profile, plan: &mut Plan) {
    let l = i.lpar;
    let scsi: Vec<VirtualScsiAdapter> = match &l.curr {
        Some(c) if plan.active => c.scsi.clone(),
        _ => prof.virtual_scsi_adapters.clone(),
    };
    let fc: Vec<VirtualFcAdapter> = match &l.curr {
        Some(c) if plan.active => c.fc.clone(),
        _ => prof.virtual_fc_adapters.clone(),
    };
    let asked_map: BTreeMap<u32, (String, String)> = i
        .asked
        .get("virtual_scsi_mappings")
        .into_iter()
        .chain(i.asked.get("virtual_fc_mappings"))
        .flat_map(|v| v.split(','))
        .filter_map(|m| {
            let mut p = m.split('/');
            let slot = p.next()?.parse().ok()?;
            Some((
                slot,
                (
                    p.next().unwrap_or("").to_string(),
                    p.next().unwrap_or("").to_string(),
                ),
            ))
        })
        .collect();
    let dst_vios: Vec<&Partition> = i
        .dst
        .partitions
        .iter()
        .filter(|p| p.is_vios() && p.state == lpar_state::RUNNING)
        .collect();
    // Which destination VIOS each source VIOS went to, for the layout.
    let mut layout: HashMap<u32, u32> = HashMap::new();
    // Slots that migrations under way promised on the destination VIOS
    // partitions (their shells' records) are not free, though not made yet.
    let mut taken: HashMap<u32, Vec<u32>> = HashMap::new();
    for s in i
        .dst
        .partitions
        .iter()
        .filter_map(|p| p.migration.as_ref().filter(|m| !m.source))
        .flat_map(|m| &m.dest_vios_slots)
    {
        taken.entry(s.vios_id).or_default().push(s.slot);
    }
    let items: Vec<(&'static str, u32, String, String)> = scsi
        .iter()
        .filter(|a| !a.server)
        .map(|a| {
            (
                "scsi",
                a.slot,
                a.remote_lpar_id.clone(),
                a.remote_slot.clone(),
            )
        })
        .chain(fc.iter().filter(|a| !a.server).map(|a| {
            (
                "fc",
                a.slot,
                a.remote_lpar_id.clone(),
                a.remote_slot.clone(),
            )
        }))
        .collect();
    for (kind, slot, rid, rslot) in items {
        let Ok(src_vios) = rid.parse::<u32>() else {
            plan.errors.push(format!("The virtual {} adapter {slot} of the migrating partition does not name one Virtual I/O Server partition ({rid}).", if kind == "scsi" { "SCSI" } else { "fibre channel" }));
            continue;
        };
        let src_slot: u32 = rslot.parse().unwrap_or(0);
        let Some(devs) = i.src_devices.get(&src_vios) else {
            plan.errors
                .push("HSCLA29A The RMC command issued to partition failed.".to_string());
            continue;
        };
        let luns: Vec<String> = if kind == "scsi" {
            devs.vscsi
                .iter()
                .filter(|m| {
                    m.client_lpar_id == l.id && (src_slot == 0 || m.server_slot == src_slot)
                })
                .map(|m| m.lun_id.clone())
                .collect()
        } else {
            Vec::new()
        };
        if kind == "scsi" {
            for lun in &luns {
                if let Some(d) = devs.luns.iter().find(|d| &d.id == lun) {
                    if d.reserve_policy != "no_reserve" {
                        plan.errors.push(format!("The disk {} ({lun}) that backs virtual SCSI adapter {slot} has reserve_policy={} on the source Virtual I/O Server; it must be no_reserve.", d.hdisk, d.reserve_policy));
                    }
                }
            }
        }
        let can_host = |v: &Partition| -> bool {
            let Some(d) = i.dst_devices.get(&v.id) else {
                return false;
            };
            if kind == "scsi" {
                luns.iter().all(|lun| {
                    d.luns
                        .iter()
                        .any(|x| &x.id == lun && x.reserve_policy == "no_reserve")
                })
            } else {
                !d.npiv.is_empty()
            }
        };
        let chosen: Option<&Partition> = match asked_map.get(&slot) {
            Some((name, id)) => {
                let v = dst_vios.iter().copied().find(|v| {
                    (name.is_empty() || &v.name == name)
                        && (id.is_empty() || &v.id.to_string() == id)
                });
                match v {
                    Some(v) if can_host(v) => Some(v),
                    Some(v) => {
                        plan.errors.push(format!("HSCLA356 The RMC command issued to partition {} failed. This means that destination VIOS partition {} cannot host the virtual adapter {slot} on the migrating partition.", v.name, v.name));
                        continue;
                    }
                    None => {
                        plan.errors.push(format!("The Virtual I/O Server partition {name}{id} named for adapter {slot} was not found on the destination managed system."));
                        continue;
                    }
                }
            }
            None => {
                let cands: Vec<&Partition> =
                    dst_vios.iter().copied().filter(|v| can_host(v)).collect();
                match layout.get(&src_vios) {
                    Some(d) if cands.iter().any(|v| v.id == *d) => {
                        cands.into_iter().find(|v| v.id == *d)
                    }
                    _ => {
                        let used: Vec<u32> = layout.values().copied().collect();
                        let fresh = cands.iter().copied().find(|v| !used.contains(&v.id));
                        match (fresh, cands.first().copied()) {
                            (Some(v), _) => Some(v),
                            (None, Some(v)) if i.asked.mpio == 0 => Some(v),
                            (None, Some(v)) => {
                                let msg = "HSCLA340 The HMC may not be able to replicate the source multipath I/O configuration for the migrating partition's virtual I/O adapters on the destination. This will result in loss of redundancy on the destination.".to_string();
                                if i.asked.mpio == 2 {
                                    if !plan.warnings.contains(&msg) {
                                        plan.warnings.push(msg);
                                    }
                                    Some(v)
                                } else {
                                    if !plan.errors.contains(&msg) {
                                        plan.errors.push(msg);
                                    }
                                    continue;
                                }
                            }
                            (None, None) => None,
                        }
                    }
                }
            }
        };
        let Some(v) = chosen else {
            plan.errors.push(if kind == "scsi" {
                format!("The migrating partition's virtual SCSI adapter {slot} cannot be hosted by the existing virtual I/O server (VIOS) partitions on the destination managed system. None of them sees every disk of the adapter through a no_reserve LUN.")
            } else {
                format!("HSCLA319 The migrating partition's virtual fibre channel client adapter {slot} cannot be hosted by the existing Virtual I/O Server (VIOS) partitions on the destination managed system.")
            });
            continue;
        };
        layout.insert(src_vios, v.id);
        let t = taken.entry(v.id).or_default();
        let dest_slot = next_free_slot(v, t);
        t.push(dest_slot);
        plan.moves.push(AdapterMove {
            kind,
            client_slot: slot,
            dest_vios: v.id,
            dest_vios_name: v.name.clone(),
            dest_slot,
            luns,
        });
    }
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
