//! A partition's children: its profiles (`LogicalPartitionProfile`) and
//! its virtual adapters (`ClientNetworkAdapter`,
//! `VirtualSCSIClientAdapter`, `VirtualFibreChannelClientAdapter`), from
//! what the partition has now if it runs, else its current profile.

use super::{Get, Reply, xml};
use pvmlab_common::model::Partition;

pub const KINDS: [&str; 4] = [
    "LogicalPartitionProfile",
    "ClientNetworkAdapter",
    "VirtualSCSIClientAdapter",
    "VirtualFibreChannelClientAdapter",
];

fn bodies(p: &Partition, kind: &str) -> Vec<(String, String)> {
    let prof = super::partition::current_profile(p);
    let cur = p.curr.clone();
    let id = p.id.to_string();
    let slot = |s: u32| xml::el("VirtualSlotNumber", "COD", &s.to_string());
    match kind {
        "LogicalPartitionProfile" => p
            .profiles
            .iter()
            .map(|pr| {
                (
                    pr.name.clone(),
                    [
                        xml::el("ProfileName", "CUR", &pr.name),
                        xml::group(
                            "ProfileMemory",
                            Some("CUD"),
                            &[
                                xml::el("DesiredMemory", "CUR", &pr.desired_mem.to_string()),
                                xml::el("MaximumMemory", "CUR", &pr.max_mem.to_string()),
                                xml::el("MinimumMemory", "CUR", &pr.min_mem.to_string()),
                            ],
                        ),
                        xml::group(
                            "ProfileProcessors",
                            Some("CUD"),
                            &[
                                xml::el(
                                    "HasDedicatedProcessors",
                                    "CUR",
                                    xml::flag(pr.proc_mode == "ded"),
                                ),
                                xml::el(
                                    "DesiredProcessingUnits",
                                    "CUR",
                                    &pr.desired_proc_units.to_string(),
                                ),
                                xml::el(
                                    "DesiredVirtualProcessors",
                                    "CUR",
                                    &pr.desired_procs.to_string(),
                                ),
                                xml::el(
                                    "SharedProcessorPoolID",
                                    "CUR",
                                    &pr.shared_proc_pool_id.to_string(),
                                ),
                            ],
                        ),
                        xml::el("ProfileType", "ROR", "REG_PROF"),
                    ]
                    .concat(),
                )
            })
            .collect(),
        "ClientNetworkAdapter" => {
            let eth = cur.map(|c| c.eth).unwrap_or(prof.virtual_eth_adapters);
            eth.iter()
                .map(|a| {
                    (
                        a.slot.to_string(),
                        format!(
                            "{}{}{}{}{}{}",
                            xml::el("LocalPartitionID", "CUD", &id),
                            slot(a.slot),
                            xml::el(
                                "MACAddress",
                                "CUD",
                                &a.mac_addr.replace(':', "").to_uppercase()
                            ),
                            xml::el("PortVLANID", "CUR", &a.port_vlan_id.to_string()),
                            xml::el("TaggedVLANSupported", "CUR", xml::flag(a.ieee)),
                            xml::el("TrunkPriority", "CUD", &a.trunk_priority.to_string()),
                        ),
                    )
                })
                .collect()
        }
        "VirtualSCSIClientAdapter" => {
            let scsi = cur.map(|c| c.scsi).unwrap_or(prof.virtual_scsi_adapters);
            scsi.iter()
                .filter(|a| !a.server)
                .map(|a| {
                    (
                        a.slot.to_string(),
                        format!(
                            "{}{}{}{}{}",
                            xml::el("AdapterType", "ROR", "Client"),
                            xml::el("LocalPartitionID", "CUD", &id),
                            slot(a.slot),
                            xml::el("RemoteLogicalPartitionID", "CUR", &a.remote_lpar_id),
                            xml::el("RemoteSlotNumber", "CUR", &a.remote_slot),
                        ),
                    )
                })
                .collect()
        }
        _ => {
            let fc = cur.map(|c| c.fc).unwrap_or(prof.virtual_fc_adapters);
            fc.iter()
                .filter(|a| !a.server)
                .map(|a| {
                    (
                        a.slot.to_string(),
                        format!(
                            "{}{}{}{}{}{}",
                            xml::el("AdapterType", "ROR", "Client"),
                            xml::el("LocalPartitionID", "CUD", &id),
                            slot(a.slot),
                            xml::el("ConnectingPartitionID", "CUR", &a.remote_lpar_id),
                            xml::el("ConnectingVirtualSlotNumber", "CUR", &a.remote_slot),
                            xml::el("WWPNs", "CUR", &a.wwpns.join(" ")),
                        ),
                    )
                })
                .collect()
        }
    }
}

pub fn read(
    g: &Get<'_>,
    owner: &str,
    p: &Partition,
    kind: &str,
    rest_of_path: &[&str],
) -> Option<Reply> {
    let entries: Vec<(String, String)> = bodies(p, kind)
        .into_iter()
        .map(|(key, body)| {
            let id = crate::ids::uuid(kind, &format!("{owner}/{key}"));
            (id.clone(), xml::entry(&g.base, kind, &id, &body))
        })
        .collect();
    super::collection(kind, entries, rest_of_path)
}
