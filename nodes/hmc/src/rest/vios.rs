//! What a `VirtualIOServer` entry carries beyond a partition's elements:
//! its disks (`PhysicalVolumes`), SEAs and trunk adapters, and its
//! server-side mappings (`VirtualSCSIMappings`, `VirtualFibreChannelMappings`)
//! with the client adapter at the other end of each — the same devices
//! `lsmap` shows through `viosvrcmd`, read from the VIOS itself over RMC
//! (`Devices`, as migration validation reads them). A VIOS that does not
//! answer shows its adapters and no mappings, as the HMC shows a VIOS
//! whose RMC connection is down. Element names and order are those of
//! pypowervm's recordings (fake_vios_mappings.txt, fake_vios_ssp_npiv.txt,
//! fake_vios_feed.txt).

use super::{Get, xml};
use pvmlab_common::model::{
    Frame, Lun, NpivMapping, Partition, Sea, ViosDevices, VirtualEthAdapter, VscsiMapping,
};
use pvmlab_common::proto::hmc::FrameView;
use std::collections::HashMap;

/// The devices of every VIOS of `f` that answers, by partition id.
pub async fn devices(g: &Get<'_>, f: &FrameView) -> HashMap<u32, ViosDevices> {
    match g.ctx() {
        Some(ctx) => crate::lpm::devices(&ctx, f).await,
        None => HashMap::new(),
    }
}

/// A virtual slot's location code, as the VIOS's own `lsmap` prints it.
fn loc(fr: &Frame, lpar: u32, slot: u32) -> String {
    format!(
        "U{}.{}-V{lpar}-C{slot}",
        fr.type_model.replace('-', "."),
        fr.serial_num
    )
}

/// A disk's physical location, as `lsmap` prints its backing device's.
fn lun_loc(lun_id: &str) -> String {
    let n: String = lun_id.chars().filter(char::is_ascii_digit).collect();
    format!(
        "U78C9.001.WZS0000-P1-C1-T1-W500507680140F32C-L{:X}000000000000",
        n.parse::<u32>().unwrap_or(0)
    )
}

/// The port number of `fcsN`.
fn port_of(fcs: &str) -> u32 {
    fcs.trim_start_matches("fcs").parse().unwrap_or(0)
}

/// A stable hex tail (a WWPN's, a MAC's, a device id) of up to 32 digits,
/// from the names of what it is.
fn hex(seed: &str, digits: usize) -> String {
    let h = xxhash_rust::xxh3::xxh3_128(seed.as_bytes());
    let all = format!("{h:032X}");
    all[32 - digits.min(32)..].to_string()
}

/// The elements every virtual adapter of a mapping begins with, up to its
/// slot number (whose kb differs between vSCSI and vFC).
fn adapter_head(kind: &str, loc: &str, lpar_id: u32, slot: u32, slot_kb: &str) -> String {
    [
        el("AdapterType", "ROR", kind),
        el("DynamicReconfigurationConnectorName", "CUD", loc),
        el("LocationCode", "ROR", loc),
        el("LocalPartitionID", "CUR", lpar_id),
        el("RequiredAdapter", "CUD", "false"),
        el("VariedOn", "CUD", "true"),
        el("VirtualSlotNumber", slot_kb, slot),
    ]
    .concat()
}

fn el(name: &str, kb: &str, v: impl ToString) -> String {
    xml::el(name, kb, &v.to_string())
}

fn link(name: &str, kb: &str, href: &str) -> String {
    format!("<{name} kb=\"{kb}\" kxe=\"false\" href=\"{href}\" rel=\"related\"/>")
}

/// A disk of this VIOS, as `PhysicalVolume`.
pub(in crate::rest) fn physical_volume(l: &Lun, mapped: bool) -> String {
    let (policy, algorithm) = if l.reserve_policy == "single_path" {
        ("SinglePath", "Failover")
    } else {
        ("NoReserve", "Load_Balance")
    };
    xml::group(
        "PhysicalVolume",
        None,
        &[
            el("Description", "CUD", "MPIO IBM 2145 FC Disk"),
            el("LocationCode", "ROR", lun_loc(&l.id)),
            el("ReservePolicy", "CUD", policy),
            el("ReservePolicyAlgorithm", "CUD", algorithm),
            el("UniqueDeviceID", "ROR", &l.udid),
            el("AvailableForUsage", "CUD", xml::flag(!mapped)),
            el("VolumeCapacity", "CUR", l.size_mb),
            el("VolumeName", "CUR", &l.hdisk),
            el("VolumeState", "ROR", "active"),
            el("VolumeUniqueID", "ROR", &l.udid),
            el("IsFibreChannelBacked", "ROR", "true"),
        ],
    )
}

/// The virtual adapters a partition has: what it runs with, else its
/// current profile's.
fn adapters(p: &Partition) -> pvmlab_common::model::Resources {
    match &p.curr {
        Some(c) => c.clone(),
        None => {
            let prof = super::partition::current_profile(p);
            pvmlab_common::model::Resources {
                scsi: prof.virtual_scsi_adapters,
                eth: prof.virtual_eth_adapters,
                fc: prof.virtual_fc_adapters,
                ..Default::default()
            }
        }
    }
}

/// The names this VIOS gives its virtual Ethernet adapters: ent2, ent3 …
/// in slot order, after its two physical ports (ent0, ent1), as the lab's
/// topology names a SEA's trunk adapters.
fn ent_names(eth: &[VirtualEthAdapter]) -> HashMap<u32, String> {
    let mut slots: Vec<u32> = eth.iter().map(|a| a.slot).collect();
    slots.sort_unstable();
    slots
        .into_iter()
        .enumerate()
        .map(|(i, s)| (s, format!("ent{}", i + 2)))
        .collect()
}

fn trunk_adapter(
    g: &Get<'_>,
    f: &FrameView,
    vios: &Partition,
    a: &VirtualEthAdapter,
    dev: &str,
    with_switch: bool,
) -> String {
    let fr = f.frame.clone().unwrap_or_default();
    let l = loc(&fr, vios.id, a.slot);
    let mac = if a.mac_addr.is_empty() {
        hex(&format!("{}/{}/{}", f.name, vios.name, a.slot), 12)
    } else {
        a.mac_addr.replace(':', "").to_uppercase()
    };
    let switch = super::network::switch_of(a);
    let mut v = vec![
        el("DynamicReconfigurationConnectorName", "CUD", &l),
        el("LocationCode", "ROR", &l),
        el("RequiredAdapter", "CUD", xml::flag(a.required)),
        el("VariedOn", "CUD", "true"),
        el("VirtualSlotNumber", "COD", a.slot),
        el("AllowedOperatingSystemMACAddresses", "CUD", "ALL"),
        el("MACAddress", "CUR", mac),
        el("PortVLANID", "CUR", a.port_vlan_id),
        el("QualityOfServicePriorityEnabled", "CUD", "false"),
    ];
    if !a.addl_vlan_ids.is_empty() {
        let tags: Vec<String> = a.addl_vlan_ids.iter().map(u32::to_string).collect();
        v.push(el("TaggedVLANIDs", "CUA", tags.join(" ")));
    }
    v.push(el("TaggedVLANSupported", "CUA", xml::flag(a.ieee)));
    if with_switch {
        v.push(format!(
            "<AssociatedVirtualSwitch kb=\"CUD\" kxe=\"false\"><link href=\"{}\" rel=\"related\"/></AssociatedVirtualSwitch>",
            super::network::switch_href(g, f, &switch)
        ));
    }
    v.push(el(
        "VirtualSwitchID",
        "ROR",
        super::network::switch_id(f, &switch),
    ));
    v.push(el("DeviceName", "ROR", dev));
    v.push(el("TrunkPriority", "CUD", a.trunk_priority));
    xml::group("TrunkAdapter", None, &v)
}

/// A VIOS's trunk adapters (bridging, trunk priority set), in slot order,
/// with their device names.
fn trunks_of(vios: &Partition) -> Vec<(VirtualEthAdapter, String)> {
    let res = adapters(vios);
    let names = ent_names(&res.eth);
    let mut eth: Vec<VirtualEthAdapter> = res
        .eth
        .into_iter()
        .filter(|a| a.trunk_priority != 0)
        .collect();
    eth.sort_by_key(|a| a.slot);
    eth.into_iter()
        .map(|a| {
            let n = names.get(&a.slot).cloned().unwrap_or_default();
            (a, n)
        })
        .collect()
}

/// The trunk adapters an SEA bridges: those it names (`virt_adapters`),
/// or, where it names none, those on its port VLAN.
fn sea_trunks<'a>(
    s: &Sea,
    trunks: &'a [(VirtualEthAdapter, String)],
) -> Vec<&'a (VirtualEthAdapter, String)> {
    let named: Vec<_> = trunks
        .iter()
        .filter(|(_, d)| s.virt_adapters.contains(d))
        .collect();
    if named.is_empty() {
        trunks
            .iter()
            .filter(|(a, _)| a.port_vlan_id == s.pvid)
            .collect()
    } else {
        named
    }
}

/// `owner`: in a NetworkBridge, the SEA names the VIOS it is on.
fn sea(
    g: &Get<'_>,
    f: &FrameView,
    vios: &Partition,
    s: &Sea,
    trunks: &[(VirtualEthAdapter, String)],
    owner: bool,
) -> String {
    let mine = sea_trunks(s, trunks);
    let real = &s.real_adapter;
    let n = real.trim_start_matches("ent").parse::<u32>().unwrap_or(0);
    // The port of the VIOS's Ethernet card, where its lsdev puts entN.
    let serial = f.frame.as_ref().map_or("", |fr| fr.serial_num.as_str());
    let card = pvmlab_common::vios_hw::cards(vios.id, 0)[0];
    let phys = format!("{}-T{}", card.location(serial), n + 1);
    let backing = xml::group(
        "EthernetBackingDevice",
        None,
        &[
            el(
                "Description",
                "CUD",
                "4-Port Gigabit Ethernet PCI-Express Adapter",
            ),
            el("DeviceName", "ROR", real),
            el("DeviceType", "ROR", "physicalEthernetAdpter"),
            el("DynamicReconfigurationConnectorName", "CUD", &phys),
            el("PhysicalLocation", "ROR", &phys),
            el("UniqueDeviceID", "ROR", format!("13{phys}")),
        ],
    );
    let ha = match s.ha_mode.as_str() {
        "" | "disabled" => "disabled",
        m => m,
    };
    let assigned = if owner {
        link(
            "AssignedVirtualIOServer",
            "CUD",
            &partition_link(g, f, vios).replace("/LogicalPartition/", "/VirtualIOServer/"),
        )
    } else {
        String::new()
    };
    xml::group(
        "SharedEthernetAdapter",
        None,
        &[
            assigned,
            format!(
                "<BackingDeviceChoice kb=\"CUD\" kxe=\"false\">{backing}</BackingDeviceChoice>"
            ),
            el("HighAvailabilityMode", "CUD", ha),
            el("DeviceName", "CUD", &s.name),
            el("JumboFramesEnabled", "UOD", "false"),
            el("PortVLANID", "ROR", s.pvid),
            el("QualityOfServiceMode", "CUD", "disabled"),
            el("QueueSize", "UOD", 8192),
            el("ThreadModeEnabled", "CUD", "true"),
            xml::group(
                "TrunkAdapters",
                Some("CUD"),
                &mine
                    .iter()
                    .map(|(a, d)| trunk_adapter(g, f, vios, a, d, false))
                    .collect::<Vec<_>>(),
            ),
            el(
                "UniqueDeviceID",
                "ROR",
                hex(&format!("{}/{}/{}", f.name, vios.name, s.name), 18).to_lowercase(),
            ),
            el("LargeSend", "CUD", "true"),
        ],
    )
}

/// The client end of a mapping: the client partition and its adapter
/// that points at this VIOS's `server_slot`.
fn client_of<'a>(
    f: &'a FrameView,
    vios: &Partition,
    client_id: u32,
    server_slot: u32,
    fc: bool,
) -> Option<(&'a Partition, u32, Vec<String>)> {
    let p = f.partitions.iter().find(|p| p.id == client_id)?;
    let res = adapters(p);
    let (vid, vslot) = (vios.id.to_string(), server_slot.to_string());
    if fc {
        res.fc
            .iter()
            .find(|a| !a.server && a.remote_lpar_id == vid && a.remote_slot == vslot)
            .map(|a| (p, a.slot, a.wwpns.clone()))
    } else {
        res.scsi
            .iter()
            .find(|a| !a.server && a.remote_lpar_id == vid && a.remote_slot == vslot)
            .map(|a| (p, a.slot, Vec::new()))
    }
}

fn partition_link(g: &Get<'_>, f: &FrameView, p: &Partition) -> String {
    format!(
        "{}/rest/api/uom/ManagedSystem/{}/LogicalPartition/{}",
        g.base,
        crate::ids::frame(&f.name),
        crate::ids::partition(p)
    )
}

/// What a vSCSI mapping's target device is: a disk, or a file-backed
/// virtual DVD drive (`mkvdev -fbo`) with its logical unit address.
enum Target {
    Disk,
    Optical(u32),
}

fn vscsi_mapping(
    g: &Get<'_>,
    f: &FrameView,
    vios: &Partition,
    m: &VscsiMapping,
    luns: &[Lun],
    target: Target,
) -> String {
    let fr = f.frame.clone().unwrap_or_default();
    let server_loc = loc(&fr, vios.id, m.server_slot);
    let client = client_of(f, vios, m.client_lpar_id, m.server_slot, false);
    let client_slot = client.as_ref().map_or(0, |(_, s, _)| *s);
    let client_loc = loc(&fr, m.client_lpar_id, client_slot);
    let mut v = Vec::new();
    if let Some((p, slot, _)) = &client {
        v.push(link(
            "AssociatedLogicalPartition",
            "CUR",
            &partition_link(g, f, p),
        ));
        v.push(xml::group(
            "ClientAdapter",
            Some("CUR"),
            &[
                adapter_head("Client", &client_loc, p.id, *slot, "CUR"),
                el("RemoteLogicalPartitionID", "CUR", vios.id),
                el("RemoteSlotNumber", "CUA", m.server_slot),
                el("ServerLocationCode", "CUR", &server_loc),
            ],
        ));
    }
    v.push(xml::group(
        "ServerAdapter",
        Some("CUR"),
        &[
            adapter_head("Server", &server_loc, vios.id, m.server_slot, "CUR"),
            el("AdapterName", "CUR", &m.vhost),
            el("BackingDeviceName", "CUR", &m.backing),
            el("RemoteLogicalPartitionID", "CUR", m.client_lpar_id),
            el("RemoteSlotNumber", "CUA", client_slot),
            el("ServerLocationCode", "CUR", &client_loc),
            el("UniqueDeviceID", "ROR", format!("1e{server_loc}")),
        ],
    ));
    if let Some(l) = luns.iter().find(|l| l.hdisk == m.backing) {
        v.push(format!(
            "<Storage kb=\"CUR\" kxe=\"false\">{}</Storage>",
            physical_volume(l, true)
        ));
    }
    let (kind, lun) = match target {
        Target::Disk => ("PhysicalVolumeVirtualTargetDevice", 0x81),
        Target::Optical(lun) => ("VirtualOpticalTargetDevice", lun),
    };
    v.push(format!(
        "<TargetDevice kb=\"CUR\" kxe=\"false\">{}</TargetDevice>",
        xml::group(
            kind,
            None,
            &[
                el(
                    "LogicalUnitAddress",
                    "CUR",
                    format!("0x{lun:x}00000000000000")
                ),
                el("TargetName", "CUR", &m.vtd),
                el(
                    "UniqueDeviceID",
                    "ROR",
                    hex(&format!("{}/{}/{}", f.name, vios.name, m.vtd), 18).to_lowercase()
                ),
            ],
        )
    ));
    xml::group("VirtualSCSIMapping", None, &v)
}

/// A physical FC port of the VIOS, with the location code and WWPN its
/// own `lsdev`/`lsmap -npiv` show (`pvmlab_common::vios_hw`).
/// `pvs`: the physical volumes seen through the port, listed only in the
/// VIOS's own `PhysicalFibreChannelPort` (Ansible's `update_pv` looks for
/// the disks it may map there).
fn fc_port(
    f: &FrameView,
    vios: &Partition,
    fcs: &str,
    used: usize,
    name: &str,
    pvs: Option<&[String]>,
) -> String {
    let serial = f.frame.as_ref().map_or("", |fr| fr.serial_num.as_str());
    let l = pvmlab_common::vios_hw::fc_location(serial, vios.id, port_of(fcs));
    let pvs = pvs.map(|p| xml::group("PhysicalVolumes", Some("CUD"), p));
    xml::group(
        name,
        Some(if name == "Port" { "CUR" } else { "CUD" }),
        &[
            el("LocationCode", "ROR", &l),
            pvs.unwrap_or_default(),
            el("PortName", "CUR", fcs),
            el("UniqueDeviceID", "ROR", format!("1a{l}")),
            el(
                "WWPN",
                "CUR",
                pvmlab_common::vios_hw::fc_wwpn(serial, vios.id, port_of(fcs)),
            ),
            el("AvailablePorts", "ROR", 64usize.saturating_sub(used)),
            el("TotalPorts", "ROR", 64),
        ],
    )
}

/// The VIOS's physical FC adapters and their ports, where pypowervm and
/// Ansible (`//PhysicalFibreChannelPort` with `AvailablePorts`) look for
/// the ports a virtual FC adapter can be mapped to.
fn io_configuration(f: &FrameView, vios: &Partition, d: &ViosDevices) -> String {
    let serial = f.frame.as_ref().map_or("", |fr| fr.serial_num.as_str());
    let ports = pvmlab_common::vios_hw::fc_ports(d.npiv.iter().map(|m| m.fcs.as_str()));
    let used = |fcs: &str| d.npiv.iter().filter(|m| m.fcs == fcs).count();
    // Every SAN LUN is seen through every port (MPIO).
    let mapped: Vec<&str> = d.vscsi.iter().map(|m| m.backing.as_str()).collect();
    let pvs: Vec<String> = d
        .luns
        .iter()
        .map(|l| physical_volume(l, mapped.contains(&l.hdisk.as_str())))
        .collect();
    let cards: Vec<String> = (0..ports / 2)
        .map(|card| {
            let slot = pvmlab_common::vios_hw::fc_location(serial, vios.id, card * 2);
            let slot = slot
                .rsplit_once("-T")
                .map_or(slot.clone(), |(s, _)| s.to_string());
            let port_list: Vec<String> = (card * 2..card * 2 + 2)
                .map(|p| {
                    let n = format!("fcs{p}");
                    fc_port(f, vios, &n, used(&n), "PhysicalFibreChannelPort", Some(&pvs))
                })
                .collect();
            let adapter = xml::group(
                "PhysicalFibreChannelAdapter",
                None,
                &[
                    el(
                        "Description",
                        "CUD",
                        "8 Gigabit PCI Express Dual Port Fibre Channel Adapter",
                    ),
                    el("DeviceName", "ROR", &slot),
                    el("DynamicReconfigurationConnectorName", "CUD", &slot),
                    xml::group("PhysicalFibreChannelPorts", Some("CUD"), &port_list),
                ],
            );
            xml::group(
                "ProfileIOSlot",
                None,
                &[xml::group(
                    "AssociatedIOSlot",
                    Some("CUD"),
                    &[
                        el(
                            "Description",
                            "CUD",
                            "8 Gigabit PCI Express Dual Port Fibre Channel Adapter",
                        ),
                        // Pypowervm's recording: kb attributes, no Metadata of its own.
                        format!("<RelatedIOAdapter kb=\"CUD\" kxe=\"false\">{adapter}</RelatedIOAdapter>"),
                        el("SlotDynamicReconfigurationConnectorName", "CUD", &slot),
                    ],
                )],
            )
        })
        .collect();
    xml::group(
        "PartitionIOConfiguration",
        Some("CUD"),
        &[xml::group("ProfileIOSlots", Some("CUD"), &cards)],
    )
}

fn vfc_mapping(
    g: &Get<'_>,
    f: &FrameView,
    vios: &Partition,
    m: &NpivMapping,
    used: usize,
) -> String {
    let fr = f.frame.clone().unwrap_or_default();
    let server_loc = loc(&fr, vios.id, m.server_slot);
    let client = client_of(f, vios, m.client_lpar_id, m.server_slot, true);
    let client_slot = client.as_ref().map_or(m.client_slot, |(_, s, _)| *s);
    let client_loc = loc(&fr, m.client_lpar_id, client_slot);
    let mut v = Vec::new();
    if let Some((p, slot, wwpns)) = &client {
        v.push(link(
            "AssociatedLogicalPartition",
            "CUR",
            &partition_link(g, f, p),
        ));
        v.push(xml::group(
            "ClientAdapter",
            Some("CUR"),
            &[
                adapter_head("Client", &client_loc, p.id, *slot, "COD"),
                el("ConnectingPartitionID", "CUR", vios.id),
                el("ConnectingVirtualSlotNumber", "CUR", m.server_slot),
                el("WWPNs", "CUR", wwpns.join(" ").to_lowercase()),
            ],
        ));
    }
    let mapped = !m.fcs.is_empty();
    if mapped {
        v.push(fc_port(f, vios, &m.fcs, used, "Port", None));
    }
    let mut server = vec![
        adapter_head("Server", &server_loc, vios.id, m.server_slot, "COD"),
        el("AdapterName", "CUR", &m.vfchost),
        el("ConnectingPartitionID", "CUR", m.client_lpar_id),
        el("ConnectingVirtualSlotNumber", "CUR", client_slot),
        el("UniqueDeviceID", "CUR", format!("1d{server_loc}")),
    ];
    if mapped {
        server.push(el("MapPort", "CUR", &m.fcs));
        server.push(fc_port(f, vios, &m.fcs, used, "PhysicalPort", None));
    }
    v.push(xml::group("ServerAdapter", Some("CUR"), &server));
    xml::group("VirtualFibreChannelMapping", None, &v)
}

/// The VIOS's own elements, after a partition's (`devices`: what it
/// answered, if it did).
pub fn body(g: &Get<'_>, f: &FrameView, vios: &Partition, devices: Option<&ViosDevices>) -> String {
    let empty = ViosDevices::default();
    let d = devices.unwrap_or(&empty);
    let trunks = trunks_of(vios);
    let mapped: Vec<&str> = d.vscsi.iter().map(|m| m.backing.as_str()).collect();
    let fcs_used = |fcs: &str| d.npiv.iter().filter(|m| m.fcs == fcs).count();
    [
        io_configuration(f, vios, d),
        el("MoverServicePartition", "CUD", xml::flag(vios.msp)),
        xml::group(
            "PhysicalVolumes",
            Some("CUD"),
            &d.luns
                .iter()
                .map(|l| physical_volume(l, mapped.contains(&l.hdisk.as_str())))
                .collect::<Vec<_>>(),
        ),
        xml::group(
            "SharedEthernetAdapters",
            Some("CUD"),
            &d.seas
                .iter()
                .map(|s| sea(g, f, vios, s, &trunks, false))
                .collect::<Vec<_>>(),
        ),
        xml::group(
            "TrunkAdapters",
            Some("CUD"),
            &trunks
                .iter()
                .map(|(a, n)| trunk_adapter(g, f, vios, a, n, true))
                .collect::<Vec<_>>(),
        ),
        el("VirtualIOServerLicenseAccepted", "CUD", "true"),
        xml::group(
            "VirtualFibreChannelMappings",
            Some("CUD"),
            &d.npiv
                .iter()
                .map(|m| vfc_mapping(g, f, vios, m, fcs_used(&m.fcs)))
                .collect::<Vec<_>>(),
        ),
        xml::group(
            "VirtualSCSIMappings",
            Some("CUD"),
            &d.vscsi
                .iter()
                .map(|m| vscsi_mapping(g, f, vios, m, &d.luns, Target::Disk))
                .chain(d.optical.iter().enumerate().map(|(i, o)| {
                    let m = VscsiMapping {
                        vhost: o.vhost.clone(),
                        server_slot: o.server_slot,
                        client_lpar_id: o.client_lpar_id,
                        vtd: o.vtd.clone(),
                        ..Default::default()
                    };
                    let target = Target::Optical(pvmlab_common::model::optical_lun(d, i));
                    vscsi_mapping(g, f, vios, &m, &d.luns, target)
                }))
                .collect::<Vec<_>>(),
        ),
    ]
    .concat()
}

/// `VirtualIOServer/{uuid}/VolumeGroup`: the VIOS's volume groups
/// (rootvg on its internal disks) and the media repository in one, sizes
/// in GB as the HMC gives them (pypowervm's `VG`, hmc-mcp's volume group
/// list). The lab's VIOS keep no logical volumes as virtual disks.
pub fn volume_groups(vios: &Partition, d: &ViosDevices) -> Vec<(String, String)> {
    let gb = |mb: u64| format!("{:.1}", mb as f64 / 1024.0);
    d.volume_groups
        .iter()
        .map(|vg| {
            let id = crate::ids::uuid(
                "VolumeGroup",
                &format!("{}/{}", crate::ids::partition(vios), vg.name),
            );
            let pvs: Vec<String> = vg
                .pvs
                .iter()
                .map(|l| {
                    xml::group(
                        "PhysicalVolume",
                        None,
                        &[
                            el("Description", "CUD", "SAS Disk Drive"),
                            el("ReservePolicy", "CUD", "NoReserve"),
                            el("ReservePolicyAlgorithm", "CUD", "Failover"),
                            el("UniqueDeviceID", "ROR", &l.udid),
                            el("AvailableForUsage", "CUD", "false"),
                            el("VolumeCapacity", "CUR", l.size_mb),
                            el("VolumeName", "CUR", &l.hdisk),
                            el("VolumeState", "ROR", "active"),
                            el("VolumeUniqueID", "ROR", &l.udid),
                            el("IsFibreChannelBacked", "ROR", "false"),
                        ],
                    )
                })
                .collect();
            // The media repository `mkrep` made in this group, with no
            // media (the lab's VIOS make none).
            let repos: Vec<String> = d
                .repository
                .iter()
                .filter(|r| r.pool == vg.name)
                .map(|r| {
                    xml::group(
                        "VirtualMediaRepository",
                        None,
                        &[
                            xml::group("OpticalMedia", Some("CUD"), &[]),
                            el("RepositoryName", "CUR", "VMLibrary"),
                            el("RepositorySize", "CUR", gb(r.size_mb)),
                        ],
                    )
                })
                .collect();
            let body = [
                el("AvailableSize", "ROR", gb(vg.free_mb)),
                el("FreeSpace", "ROR", gb(vg.free_mb)),
                el("GroupCapacity", "CUR", gb(vg.size_mb)),
                el("GroupName", "CUR", &vg.name),
                el("GroupSerialID", "ROR", &vg.serial_id),
                el("MaximumLogicalVolumes", "ROR", 256),
                xml::group("MediaRepositories", Some("CUD"), &repos),
                xml::group("PhysicalVolumes", Some("CUD"), &pvs),
                el("UniqueDeviceID", "ROR", format!("04{}", vg.serial_id)),
                xml::group("VirtualDisks", Some("CUD"), &[]),
            ]
            .concat();
            (id, body)
        })
        .collect()
}

/// `ManagedSystem/{uuid}/NetworkBridge`: the frame's SEAs as bridges, one
/// per port VLAN, each with the SEAs of every VIOS that bridges it (two
/// where a control channel pairs them for failover) and the VLANs its
/// trunk adapters carry (pypowervm's `NetworkBridge`, hmc-mcp's network
/// view).
pub fn bridges(
    g: &Get<'_>,
    f: &FrameView,
    devices: &HashMap<u32, ViosDevices>,
) -> Vec<(String, String)> {
    let mut by_pvid: std::collections::BTreeMap<u32, Vec<(&Partition, &Sea)>> = Default::default();
    for p in f.partitions.iter().filter(|p| p.lpar_env == "vioserver") {
        for s in devices.get(&p.id).map(|d| d.seas.as_slice()).unwrap_or(&[]) {
            by_pvid.entry(s.pvid).or_default().push((p, s));
        }
    }
    by_pvid
        .into_iter()
        .map(|(pvid, seas)| {
            let id = crate::ids::uuid("NetworkBridge", &format!("{}/{pvid}", f.name));
            let ha = |m: &str| seas.iter().any(|(_, s)| s.ha_mode == m);
            // The load group: the trunk adapters the first SEA bridges.
            let (vios0, sea0) = seas[0];
            let all = trunks_of(vios0);
            let trunks = sea_trunks(sea0, &all);
            let networks: String = trunks
                .iter()
                .flat_map(|(a, _)| {
                    let sw = super::network::switch_of(a);
                    std::iter::once(a.port_vlan_id)
                        .chain(a.addl_vlan_ids.iter().copied())
                        .map(move |vlan| {
                            format!(
                                "<link href=\"{}\" rel=\"related\"/>",
                                super::network::network_href(g, f, &sw, vlan)
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            let load_group = xml::group(
                "LoadGroup",
                None,
                &[
                    el("PortVLANID", "CUR", pvid),
                    xml::group(
                        "TrunkAdapters",
                        Some("CUD"),
                        &trunks
                            .iter()
                            .map(|(a, n)| trunk_adapter(g, f, vios0, a, n, false))
                            .collect::<Vec<_>>(),
                    ),
                    format!(
                        "<VirtualNetworks kb=\"CUD\" kxe=\"false\">{networks}</VirtualNetworks>"
                    ),
                ],
            );
            let body = [
                el(
                    "FailoverEnabled",
                    "CUD",
                    xml::flag(seas.len() > 1 || ha("auto") || ha("sharing")),
                ),
                el("LoadBalancingEnabled", "CUD", xml::flag(ha("sharing"))),
                xml::group("LoadGroups", Some("CUD"), &[load_group]),
                el("PortVLANID", "COR", pvid),
                xml::group(
                    "SharedEthernetAdapters",
                    Some("CUD"),
                    &seas
                        .iter()
                        .map(|(p, s)| sea(g, f, p, s, &trunks_of(p), true))
                        .collect::<Vec<_>>(),
                ),
                el(
                    "UniqueDeviceID",
                    "ROR",
                    hex(&format!("{}/bridge/{pvid}", f.name), 18).to_lowercase(),
                ),
            ]
            .concat();
            (id, body)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_ethernet_adapters_are_named_in_slot_order_after_the_ports() {
        let a = |slot| VirtualEthAdapter {
            slot,
            ..Default::default()
        };
        let n = ent_names(&[a(3), a(2), a(10)]);
        assert_eq!(n[&2], "ent2");
        assert_eq!(n[&3], "ent3");
        assert_eq!(n[&10], "ent4");
    }

    #[test]
    fn locations_read_as_lsmap_prints_them() {
        let fr = Frame {
            type_model: "8286-42A".into(),
            serial_num: "21A5E8V".into(),
            ..Default::default()
        };
        assert_eq!(loc(&fr, 1, 13), "U8286.42A.21A5E8V-V1-C13");
        assert_eq!(
            lun_loc("lun12"),
            "U78C9.001.WZS0000-P1-C1-T1-W500507680140F32C-LC000000000000"
        );
        assert_eq!(port_of("fcs1"), 1);
        assert_eq!(hex("x", 6).len(), 6);
        assert_eq!(hex("x", 18).len(), 18);
        assert_eq!(hex("x", 40).len(), 32);
    }
}
