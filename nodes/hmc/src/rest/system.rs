//! `ManagedSystem`: the frames this HMC manages, as its view shows them
//! (the same view the command line lists), with the elements pypowervm's
//! `System` wrapper reads.

use super::{Get, Reply, xml};
use pvmlab_common::model::{Frame, FrameExt as _};
use pvmlab_common::proto::hmc::FrameView;

/// REST spells frame states in lower case (`operating`), as recorded.
pub fn state(f: &FrameView) -> String {
    f.state.to_lowercase()
}

/// The frame's name as the HMC shows it: the one an administrator gave
/// it (`chsyscfg -r sys -i new_name=`), else its own.
pub fn name(f: &FrameView) -> String {
    match &f.frame {
        Some(fr) if !fr.user_name.is_empty() => fr.user_name.clone(),
        _ => f.name.clone(),
    }
}

/// The service processor's address, without the port the lab reaches it
/// on, as `lssyscfg -r sys -F ipaddr` shows it.
pub fn ip_address(fr: &Frame) -> String {
    fr.address
        .rsplit_once(':')
        .map_or(fr.address.as_str(), |(ip, _)| ip)
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string()
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
                // The limits lshwres -r proc --level sys gives; Ansible's
                // powervm_lpar_instance checks processing units against
                // the minimum per virtual processor.
                xml::el(
                    "CurrentMaximumProcessorsPerAIXOrLinuxPartition",
                    "ROR",
                    &fr.processors.to_string(),
                ),
                xml::el("CurrentMaximumAllowedProcessorsPerPartition", "ROR", "256"),
                xml::el(
                    "CurrentMaximumProcessorsPerVirtualIOServerPartition",
                    "ROR",
                    &fr.processors.to_string(),
                ),
                xml::el(
                    "InstalledSystemProcessorUnits",
                    "ROR",
                    &fr.processors.to_string(),
                ),
                xml::el("MaximumAllowedVirtualProcessorsPerPartition", "ROR", "256"),
                xml::el(
                    "MinimumProcessorUnitsPerVirtualProcessor",
                    "ROR",
                    &pvmlab_common::attrs::fmt_units(
                        pvmlab_common::model::MIN_UNITS_PER_VIRTUAL_PROC,
                    ),
                ),
                // One element per mode, `default` first, as the HMC lists
                // them (pypowervm's managedsystem.txt); Ansible's
                // powervm_lpar_instance reads them to check a partition's mode.
                std::iter::once("default")
                    .chain(
                        fr.compat_modes
                            .iter()
                            .map(String::as_str)
                            .filter(|m| *m != "default"),
                    )
                    .map(|m| xml::el("SupportedPartitionProcessorCompatibilityModes", "ROR", m))
                    .collect(),
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
        xml::el("PrimaryIPAddress", "CUR", &ip_address(&fr)),
        xml::el("ServiceProcessorVersion", "ROR", &fr.firmware),
        xml::el("State", "ROR", &state(f)),
        xml::el("SystemName", "CUR", &name(f)),
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

pub async fn read(g: &Get<'_>, rest_of_path: &[&str]) -> Option<Reply> {
    let frames = g.hmc().view.frames();
    let entry = |f: &FrameView| {
        xml::entry(
            &g.base,
            "ManagedSystem",
            &crate::ids::frame(&f.name),
            &body(f),
        )
    };
    match rest_of_path {
        [] => Some(Reply::feed(
            "ManagedSystem",
            &frames.iter().map(|f| entry(f)).collect::<Vec<_>>(),
        )),
        ["search", q] => {
            let uri = format!("/rest/api/uom/ManagedSystem/search/{q}");
            let found = super::search::filter(q, frames.iter().map(|f| entry(f)).collect(), &uri);
            Some(match found {
                Ok(es) => Reply::feed("ManagedSystem", &es),
                Err(bad) => bad,
            })
        }
        ["quick"] => Some(super::quick::names(&super::quick::system(
            &FrameView::default(),
        ))),
        ["quick", "All"] => Some(super::quick::all(
            frames.iter().map(|f| super::quick::system(f)),
        )),
        [id, "quick", more @ ..] => super::quick::answer(
            super::quick::system(by_uuid(frames.iter().map(|f| &**f), id)?),
            more,
        ),
        [id, "SharedProcessorPool", more @ ..] => {
            super::pool::read(g, by_uuid(frames.iter().map(|f| &**f), id)?, more)
        }
        [id, "NetworkBridge", more @ ..] => {
            let f = by_uuid(frames.iter().map(|f| &**f), id)?;
            let d = super::vios::devices(g, f).await;
            let entries = super::vios::bridges(g, f, &d)
                .into_iter()
                .map(|(uuid, body)| {
                    let href = format!(
                        "{}/rest/api/uom/ManagedSystem/{id}/NetworkBridge/{uuid}",
                        g.base
                    );
                    let e = xml::entry_at(&href, "NetworkBridge", &uuid, &body);
                    (uuid, e)
                })
                .collect();
            super::collection("NetworkBridge", entries, more)
        }
        [id, kind, more @ ..] if super::network::KINDS.contains(kind) => {
            super::network::read(g, by_uuid(frames.iter().map(|f| &**f), id)?, kind, more)
        }
        [id, kind, more @ ..] if super::partition::KINDS.contains(kind) => {
            let f = frames.iter().find(|f| crate::ids::frame(&f.name) == *id)?;
            super::partition::read(g, kind, std::slice::from_ref(f), more).await
        }
        [id] => by_uuid(frames.iter().map(|f| &**f), id)
            .map(|f| Reply::entry("ManagedSystem", &entry(f))),
        _ => None,
    }
}
