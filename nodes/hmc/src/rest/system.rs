//! `ManagedSystem`: the frames this HMC manages, as its view shows them
//! (the same view the command line lists), with the elements pypowervm's
//! `System` wrapper reads.

use super::{Reply, Rest, xml};
use pvmlab_common::model::FrameExt as _;
use pvmlab_common::proto::hmc::FrameView;

/// REST spells frame states in lower case (`operating`), as recorded.
fn state(f: &FrameView) -> String {
    f.state.to_lowercase()
}

fn body(f: &FrameView) -> String {
    let fr = f.frame.clone().unwrap_or_default();
    let (mt, model) = fr
        .type_model
        .split_once('-')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap_or((fr.type_model.clone(), String::new()));
    let free = fr.available(&f.partitions);
    let caps = |c: &str| xml::flag(fr.has_capability(c));
    let detailed = if fr.detailed_state.is_empty() {
        "None"
    } else {
        &fr.detailed_state
    };
    [
        xml::group(
            "AssociatedSystemCapabilities",
            Some("CUD"),
            &[
                xml::el(
                    "ActiveLogicalPartitionMobilityCapable",
                    "ROR",
                    caps("active_lpar_mobility_capable"),
                ),
                xml::el(
                    "InactiveLogicalPartitionMobilityCapable",
                    "ROR",
                    caps("inactive_lpar_mobility_capable"),
                ),
                xml::el(
                    "LogicalPartitionRemoteRestartCapable",
                    "ROR",
                    caps("powervm_lpar_remote_restart_capable"),
                ),
                xml::el(
                    "PowerVMLogicalPartitionSimplifiedRemoteRestartCapable",
                    "ROR",
                    caps("powervm_lpar_simplified_remote_restart_capable"),
                ),
            ],
        ),
        xml::group(
            "AssociatedSystemMemoryConfiguration",
            Some("CUD"),
            &[
                xml::el("ConfigurableSystemMemory", "ROR", &fr.memory_mb.to_string()),
                xml::el(
                    "CurrentAvailableSystemMemory",
                    "ROR",
                    &free.mem_mb.to_string(),
                ),
                xml::el(
                    "CurrentLogicalMemoryBlockSize",
                    "ROR",
                    &fr.lmb_mb.to_string(),
                ),
                xml::el("InstalledSystemMemory", "ROR", &fr.memory_mb.to_string()),
            ],
        ),
        xml::group(
            "AssociatedSystemProcessorConfiguration",
            Some("CUD"),
            &[
                xml::el(
                    "ConfigurableSystemProcessorUnits",
                    "ROR",
                    &fr.processors.to_string(),
                ),
                xml::el(
                    "CurrentAvailableSystemProcessorUnits",
                    "ROR",
                    &free.proc_units.to_string(),
                ),
                xml::el(
                    "InstalledSystemProcessorUnits",
                    "ROR",
                    &fr.processors.to_string(),
                ),
            ],
        ),
        xml::el("DetailedState", "ROR", detailed),
        xml::group(
            "MachineTypeModelAndSerialNumber",
            Some("ROR"),
            &[
                xml::el("MachineType", "CUR", &mt),
                xml::el("Model", "CUR", &model),
                xml::el("SerialNumber", "CUR", &fr.serial_num),
            ],
        ),
        xml::el("MaximumPartitions", "CUD", &fr.max_lpars.to_string()),
        xml::el("PrimaryIPAddress", "CUR", &fr.address),
        xml::el("ServiceProcessorVersion", "ROR", &fr.firmware),
        xml::el("State", "ROR", &state(f)),
        xml::el("SystemName", "CUR", &f.name),
    ]
    .concat()
}

/// The frame whose `ManagedSystem` UUID is `id`.
pub fn by_uuid<F: std::borrow::Borrow<FrameView>>(
    frames: impl IntoIterator<Item = F>,
    id: &str,
) -> Option<F> {
    frames
        .into_iter()
        .find(|f| crate::ids::frame(&f.borrow().name) == id)
}

pub fn read(rest: &Rest, rest_of_path: &[&str]) -> Option<Reply> {
    let frames = rest.hmc.view.frames();
    let entry = |f: &FrameView| {
        xml::entry(
            &rest.base,
            "ManagedSystem",
            &crate::ids::frame(&f.name),
            &body(f),
        )
    };
    let feed = |fs: Vec<&FrameView>| {
        Reply::feed(
            "ManagedSystem",
            &fs.into_iter().map(entry).collect::<Vec<_>>(),
        )
    };
    match rest_of_path {
        [] => Some(feed(frames.iter().collect())),
        // search/(SystemName==name)
        ["search", q] => {
            let name = xml::search(q, "SystemName")?;
            Some(feed(frames.iter().filter(|f| f.name == name).collect()))
        }
        // quick/All: name and state of each, as JSON.
        ["quick", "All"] => {
            let list: Vec<serde_json::Value> = frames
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "SystemName": f.name,
                        "State": state(f),
                        "UUID": crate::ids::frame(&f.name),
                        "MTMS": f.frame.as_ref().map(|x| x.mtms()).unwrap_or_default(),
                    })
                })
                .collect();
            Some(Reply::ok(
                "application/json".into(),
                serde_json::Value::Array(list).to_string(),
            ))
        }
        [id, "SharedProcessorPool", more @ ..] => {
            super::pool::read(rest, by_uuid(&frames, id)?, more)
        }
        [id, kind, more @ ..] if super::partition::KINDS.contains(kind) => super::partition::read(
            rest,
            kind,
            std::slice::from_ref(by_uuid(&frames, id)?),
            more,
        ),
        [id] => by_uuid(&frames, id).map(|f| Reply::entry("ManagedSystem", &entry(f))),
        _ => None,
    }
}
