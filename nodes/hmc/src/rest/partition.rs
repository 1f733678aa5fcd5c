//! `LogicalPartition` and `VirtualIOServer`: the partitions of the frames
//! this HMC manages, at the root (`/LogicalPartition`) and under their
//! frame (`/ManagedSystem/{uuid}/LogicalPartition`), with the elements
//! pypowervm's partition wrappers read. States are REST's lower-case words.

use super::{Reply, Rest, xml};
use pvmlab_common::model::{Partition, PartitionExt as _, lpar_state};
use pvmlab_common::proto::hmc::FrameView;

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
    p.profile(if p.curr_profile.is_empty() {
        &p.default_profile
    } else {
        &p.curr_profile
    })
    .cloned()
    .unwrap_or_default()
}

fn body(rest: &Rest, f: &FrameView, p: &Partition) -> String {
    let prof = current_profile(p);
    let cur = p.curr.clone().unwrap_or_default();
    let running = p.curr.is_some();
    let (cur_mem, cur_units, cur_procs) = if running {
        (cur.mem_mb, cur.proc_units, cur.procs)
    } else {
        (0, 0.0, 0)
    };
    let dedicated = prof.proc_mode == "ded";
    let sharing = if prof.sharing_mode == "cap" {
        "capped"
    } else {
        "uncapped"
    };
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
        xml::group(
            "PartitionProcessorConfiguration",
            Some("CUD"),
            &[
                xml::el("HasDedicatedProcessors", "CUR", b(dedicated)),
                xml::group(
                    "SharedProcessorConfiguration",
                    Some("CUD"),
                    &[
                        xml::el("DesiredProcessingUnits", "CUR", &prof.desired_proc_units.to_string()),
                        xml::el("DesiredVirtualProcessors", "CUR", &prof.desired_procs.to_string()),
                        xml::el("MaximumProcessingUnits", "CUR", &prof.max_proc_units.to_string()),
                        xml::el("MinimumProcessingUnits", "CUR", &prof.min_proc_units.to_string()),
                        xml::el("SharedProcessorPoolID", "CUR", &prof.shared_proc_pool_id.to_string()),
                    ],
                ),
                xml::el("SharingMode", "CUR", sharing),
                xml::el("CurrentHasDedicatedProcessors", "ROR", b(dedicated)),
                xml::group(
                    "CurrentSharedProcessorConfiguration",
                    Some("ROR"),
                    &[
                        xml::el("AllocatedVirtualProcessors", "ROR", &cur_procs.to_string()),
                        xml::el("CurrentProcessingUnits", "ROR", &cur_units.to_string()),
                        xml::el("CurrentSharedProcessorPoolID", "ROR", &cur.shared_proc_pool_id.to_string()),
                    ],
                ),
            ],
        ),
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
            rest.base,
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

/// `kind` under `frames` (all of them, or the one a ManagedSystem path names).
pub fn read(rest: &Rest, kind: &str, frames: &[FrameView], rest_of_path: &[&str]) -> Option<Reply> {
    let all = || {
        frames.iter().flat_map(|f| {
            f.partitions
                .iter()
                .filter(|p| of_kind(kind, p))
                .map(move |p| (f, p))
        })
    };
    let entry = |f: &FrameView, p: &Partition| {
        xml::entry(&rest.base, kind, &uuid(&f.name, p), &body(rest, f, p))
    };
    match rest_of_path {
        [] => Some(Reply::feed(
            kind,
            &all().map(|(f, p)| entry(f, p)).collect::<Vec<_>>(),
        )),
        ["search", q] => {
            let name = xml::search(q, "PartitionName")?;
            Some(Reply::feed(
                kind,
                &all()
                    .filter(|(_, p)| p.name == name)
                    .map(|(f, p)| entry(f, p))
                    .collect::<Vec<_>>(),
            ))
        }
        [id] => all()
            .find(|(f, p)| uuid(&f.name, p) == *id)
            .map(|(f, p)| Reply::entry(kind, &entry(f, p))),
        // Its profiles and adapters.
        [id, child, more @ ..] if super::adapter::KINDS.contains(child) => all()
            .find(|(f, p)| uuid(&f.name, p) == *id)
            .and_then(|(_, p)| super::adapter::read(rest, id, p, child, more)),
        // LogicalPartition/{uuid}/quick: its main fields as JSON.
        [id, "quick"] => all().find(|(f, p)| uuid(&f.name, p) == *id).map(|(f, p)| {
            Reply::ok(
                "application/json".into(),
                serde_json::json!({
                    "PartitionName": p.name,
                    "PartitionID": p.id,
                    "PartitionState": state(p),
                    "PartitionUUID": uuid(&f.name, p),
                    "ResourceMonitoringControlState": p.rmc_state,
                    "OperatingSystemVersion": p.os_version,
                })
                .to_string(),
            )
        }),
        _ => None,
    }
}
