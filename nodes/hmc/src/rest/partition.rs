//! `LogicalPartition` and `VirtualIOServer`: the partitions of the frames
//! this HMC manages, at the root (`/LogicalPartition`) and under their
//! frame (`/ManagedSystem/{uuid}/LogicalPartition`), with the elements
//! pypowervm's partition wrappers read. States are REST's lower-case words.

use super::{Get, Reply, xml};
use pvmlab_common::model::ViosDevices;
use pvmlab_common::model::{Partition, PartitionExt as _, lpar_state};
use pvmlab_common::proto::hmc::FrameView;
use std::collections::HashMap;

/// The two kinds, by which partitions each lists.
pub const KINDS: [&str; 2] = ["LogicalPartition", "VirtualIOServer"];

fn of_kind(kind: &str, p: &Partition) -> bool {
    p.is_vios() == (kind == "VirtualIOServer")
}

/// pypowervm's `LPARState` values.
pub fn state(p: &Partition) -> &'static str {
    match p.state.as_str() {
        lpar_state::RUNNING => "running",
        lpar_state::NOT_ACTIVATED => "not activated",
        lpar_state::STARTING => "starting",
        lpar_state::OPEN_FIRMWARE => "open firmware",
        lpar_state::SHUTTING_DOWN => "shutting down",
        lpar_state::ERROR => "error",
        lpar_state::NOT_AVAILABLE => "not available",
        lpar_state::MIGRATING_RUNNING => "migrating running",
        lpar_state::MIGRATING_NOT_ACTIVATED => "migrating not active",
        _ => "Unknown",
    }
}

/// A partition keeps its UUID when it moves (migration, remote restart):
/// it is its name's, which the lab keeps unique.
pub fn uuid(_frame: &str, p: &Partition) -> String {
    crate::ids::partition(p)
}

/// The profile that describes the partition: the one it runs with, else
/// its default.
pub fn current_profile(p: &Partition) -> pvmlab_common::model::Profile {
    p.profile(p.current_profile_name())
        .cloned()
        .unwrap_or_default()
}

/// The processor configuration as the HMC records it (lpar.txt): the
/// profile's shared or dedicated settings, then what the partition runs
/// with now.
fn processors(p: &Partition) -> String {
    let prof = current_profile(p);
    let cur = p.curr.clone().unwrap_or_default();
    let running = p.curr.is_some();
    let dedicated = prof.proc_mode == "ded";
    let cur_dedicated = if running {
        cur.proc_mode == "ded"
    } else {
        dedicated
    };
    let sharing = if dedicated && prof.sharing_mode.is_empty() {
        "keep idle procs"
    } else {
        super::quick::sharing_mode(&prof.sharing_mode)
    };
    let b = xml::flag;
    let n = |v: u32| v.to_string();
    let mut out = Vec::new();
    if dedicated {
        out.push(xml::group(
            "DedicatedProcessorConfiguration",
            Some("CUD"),
            &[
                xml::el("DesiredProcessors", "CUD", &n(prof.desired_procs)),
                xml::el("MaximumProcessors", "CUD", &n(prof.max_procs)),
                xml::el("MinimumProcessors", "CUD", &n(prof.min_procs)),
            ],
        ));
    }
    out.push(xml::el("HasDedicatedProcessors", "CUR", b(dedicated)));
    out.push(if dedicated {
        xml::group(
            "SharedProcessorConfiguration",
            Some("CUD"),
            &[xml::el("UncappedWeight", "CUD", "0")],
        )
    } else {
        xml::group(
            "SharedProcessorConfiguration",
            Some("CUD"),
            &[
                xml::el(
                    "DesiredProcessingUnits",
                    "CUR",
                    &xml::decimal(prof.desired_proc_units),
                ),
                xml::el("DesiredVirtualProcessors", "CUR", &n(prof.desired_procs)),
                xml::el(
                    "MaximumProcessingUnits",
                    "CUR",
                    &xml::decimal(prof.max_proc_units),
                ),
                xml::el("MaximumVirtualProcessors", "CUD", &n(prof.max_procs)),
                xml::el(
                    "MinimumProcessingUnits",
                    "CUR",
                    &xml::decimal(prof.min_proc_units),
                ),
                xml::el("MinimumVirtualProcessors", "CUD", &n(prof.min_procs)),
                xml::el("SharedProcessorPoolID", "CUR", &n(prof.shared_proc_pool_id)),
                xml::el("UncappedWeight", "CUD", &n(prof.uncap_weight)),
            ],
        )
    });
    out.push(xml::el("SharingMode", "CUR", sharing));
    out.push(xml::el(
        "CurrentHasDedicatedProcessors",
        "ROR",
        b(cur_dedicated),
    ));
    out.push(xml::el("CurrentSharingMode", "ROR", sharing));
    let (units, procs) = if running {
        (cur.proc_units, cur.procs)
    } else {
        (0.0, 0)
    };
    if cur_dedicated {
        out.push(xml::group(
            "CurrentDedicatedProcessorConfiguration",
            Some("ROR"),
            &[
                xml::el("CurrentMaximumProcessors", "ROR", &n(prof.max_procs)),
                xml::el("CurrentMinimumProcessors", "ROR", &n(prof.min_procs)),
                xml::el("CurrentProcessors", "ROR", &n(procs)),
            ],
        ));
    } else {
        out.push(xml::group(
            "CurrentSharedProcessorConfiguration",
            Some("ROR"),
            &[
                xml::el("AllocatedVirtualProcessors", "ROR", &n(procs)),
                xml::el(
                    "CurrentMaximumProcessingUnits",
                    "ROR",
                    &xml::decimal(prof.max_proc_units),
                ),
                xml::el(
                    "CurrentMinimumProcessingUnits",
                    "ROR",
                    &xml::decimal(prof.min_proc_units),
                ),
                xml::el("CurrentProcessingUnits", "ROR", &xml::decimal(units)),
                xml::el(
                    "CurrentSharedProcessorPoolID",
                    "ROR",
                    &n(cur.shared_proc_pool_id),
                ),
                xml::el("CurrentUncappedWeight", "ROR", &n(prof.uncap_weight)),
                xml::el("CurrentMinimumVirtualProcessors", "ROR", &n(prof.min_procs)),
                xml::el("CurrentMaximumVirtualProcessors", "ROR", &n(prof.max_procs)),
            ],
        ));
    }
    xml::group("PartitionProcessorConfiguration", Some("CUD"), &out)
}

fn body(g: &Get<'_>, f: &FrameView, p: &Partition) -> String {
    let prof = current_profile(p);
    let cur = p.curr.clone().unwrap_or_default();
    let running = p.curr.is_some();
    let cur_mem = if running { cur.mem_mb } else { 0 };
    let b = xml::flag;
    [
        xml::el("CurrentProcessorCompatibilityMode", "ROR", &p.curr_lpar_proc_compat_mode),
        xml::el("IsTimeReferencePartition", "CUD", "false"),
        xml::el("LogicalSerialNumber", "ROR", &p.logical_serial_num),
        xml::el("OperatingSystemVersion", "ROR", &p.os_version),
        xml::group(
            "PartitionMemoryConfiguration",
            Some("CUD"),
            &[
                xml::el("CurrentMemory", "ROR", &cur_mem.to_string()),
                xml::el("DesiredMemory", "CUR", &prof.desired_mem.to_string()),
                xml::el("MaximumMemory", "CUR", &prof.max_mem.to_string()),
                xml::el("MinimumMemory", "CUR", &prof.min_mem.to_string()),
            ],
        ),
        xml::el("PartitionID", "COD", &p.id.to_string()),
        processors(p),
        xml::el("PartitionName", "CUR", &p.name),
        xml::el("PartitionState", "ROR", state(p)),
        xml::el(
            "PartitionType",
            "COD",
            if p.is_vios() { "Virtual IO Server" } else { "AIX/Linux" },
        ),
        xml::el("PartitionUUID", "ROO", &uuid(&f.name, p)),
        xml::el("ResourceMonitoringControlState", "ROR", &p.rmc_state),
        format!(
            "<AssociatedManagedSystem kb=\"CUD\" kxe=\"false\" href=\"{}/rest/api/uom/ManagedSystem/{}\" rel=\"related\"/>",
            g.base,
            crate::ids::frame(&f.name)
        ),
        xml::el("ResourceMonitoringIPAddress", "ROR", &p.rmc_ipaddr),
        // A VIOS is never remote restart capable, and the HMC says nothing.
        if p.is_vios() {
            String::new()
        } else {
            xml::el("RemoteRestartCapable", "CUD", b(p.remote_restart_capable))
                + &xml::el(
                    "SimplifiedRemoteRestartCapable",
                    "CUD",
                    b(p.simplified_remote_restart_capable),
                )
        },
    ]
    .concat()
}

/// The devices of the VIOS partitions of `frames` (for VirtualIOServer
/// entries only: a client partition's entry needs none), by frame name
/// and VIOS id.
async fn devices(
    g: &Get<'_>,
    kind: &str,
    frames: &[std::sync::Arc<FrameView>],
    wanted: impl Fn(&FrameView) -> bool,
) -> HashMap<String, HashMap<u32, ViosDevices>> {
    if kind != "VirtualIOServer" {
        return HashMap::new();
    }
    let asks = frames
        .iter()
        .filter(|f| wanted(f))
        .map(|f| async move { (f.name.clone(), super::vios::devices(g, f).await) });
    futures::future::join_all(asks).await.into_iter().collect()
}

/// `kind` under `frames` (all of them, or the one a ManagedSystem path names).
pub async fn read(
    g: &Get<'_>,
    kind: &str,
    frames: &[std::sync::Arc<FrameView>],
    rest_of_path: &[&str],
) -> Option<Reply> {
    let all = || {
        frames.iter().flat_map(|f| {
            f.partitions
                .iter()
                .filter(|p| of_kind(kind, p))
                .map(move |p| (f, p))
        })
    };
    let find = |id: &str| all().find(|(f, p)| uuid(&f.name, p) == id);
    // Only an entry (or a feed of them) shows a VIOS's devices.
    let needs_devices = match rest_of_path {
        [] | ["search", _] => true,
        [id] => find(id).is_some(),
        _ => false,
    };
    let owner = match rest_of_path {
        [id] => find(id).map(|(f, _)| f.name.clone()),
        _ => None,
    };
    let devs = if needs_devices {
        devices(g, kind, frames, |f| {
            owner.as_ref().is_none_or(|o| *o == f.name)
        })
        .await
    } else {
        HashMap::new()
    };
    let entry = |f: &FrameView, p: &Partition| {
        let mut b = body(g, f, p);
        if p.is_vios() {
            let d = devs.get(&f.name).and_then(|m| m.get(&p.id));
            b.push_str(&super::vios::body(g, f, p, d));
        }
        xml::entry(&g.base, kind, &uuid(&f.name, p), &b)
    };
    match rest_of_path {
        [] => Some(Reply::feed(
            kind,
            &all().map(|(f, p)| entry(f, p)).collect::<Vec<_>>(),
        )),
        ["search", q] => {
            let uri = format!("/rest/api/uom/{kind}/search/{q}");
            let es = all().map(|(f, p)| entry(f, p)).collect();
            Some(match super::search::filter(q, es, &uri) {
                Ok(es) => Reply::feed(kind, &es),
                Err(bad) => bad,
            })
        }
        ["quick"] => Some(super::quick::names(&super::quick::partition(
            &Partition::default(),
        ))),
        ["quick", "All"] => Some(super::quick::all(
            all().map(|(_, p)| super::quick::partition(p)),
        )),
        [id] => find(id).map(|(f, p)| Reply::entry(kind, &entry(f, p))),
        // A VIOS's volume groups, from the VIOS itself.
        [id, "VolumeGroup", more @ ..] if kind == "VirtualIOServer" => {
            let (f, p) = find(id)?;
            let d = super::vios::devices(g, f).await;
            let entries = super::vios::volume_groups(p, d.get(&p.id)?)
                .into_iter()
                .map(|(vg, body)| {
                    let e = xml::entry(&g.base, "VolumeGroup", &vg, &body);
                    (vg, e)
                })
                .collect();
            super::collection("VolumeGroup", entries, more)
        }
        // Its profiles and adapters.
        [id, child, more @ ..] if super::adapter::KINDS.contains(child) => {
            find(id).and_then(|(_, p)| super::adapter::read(g, id, p, child, more))
        }
        // LogicalPartition/{uuid}/quick[/{Property}].
        [id, "quick", more @ ..] => {
            find(id).and_then(|(_, p)| super::quick::answer(super::quick::partition(p), more))
        }
        _ => None,
    }
}
