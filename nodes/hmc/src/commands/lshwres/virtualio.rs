//! `lshwres -r virtualio`: the virtual adapters and slots of running
//! partitions, as they are now (their profile's, as changed by dynamic
//! LPAR).

use super::Adapter;
use crate::render::{Record, kv};
use pvmlab_common::model::{Frame, Partition};

/// A virtual Ethernet adapter's MAC when the profile leaves it to the
/// hypervisor: a locally administered prefix from the frame's serial, then
/// the partition id and slot, so it is stable and unique on the frame.
pub fn mac(frame: &Frame, lpar_id: u32, slot: u32) -> String {
    pvmlab_common::vios_hw::virtual_eth_mac(&frame.serial_num, lpar_id, slot)
}

/// Every virtual slot a running partition uses, by kind.
fn used_slots(p: &Partition) -> Vec<(u32, &'static str)> {
    let c = p.curr.clone().unwrap_or_default();
    let mut v: Vec<(u32, &'static str)> = c
        .serial
        .iter()
        .map(|a| (a.slot, "serial"))
        .chain(c.scsi.iter().map(|a| (a.slot, "scsi")))
        .chain(c.eth.iter().map(|a| (a.slot, "eth")))
        .chain(c.fc.iter().map(|a| (a.slot, "fc")))
        .collect();
    v.sort_unstable();
    v
}

pub(super) fn slots_lpar(p: &Partition) -> Record {
    let max = p.curr.as_ref().map(|c| c.max_virtual_slots).unwrap_or(0);
    let used = used_slots(p);
    // Slots 0 and 1 belong to the console adapters even when not configured.
    let next = (2..max).find(|s| !used.iter().any(|(u, _)| u == s));
    vec![
        kv("lpar_name", &p.name),
        kv("lpar_id", p.id),
        kv("curr_max_virtual_slots", max),
        kv("pend_max_virtual_slots", max),
        kv(
            "next_avail_virtual_slot",
            next.map(|n| n.to_string()).unwrap_or_else(|| "none".into()),
        ),
    ]
}

pub(super) fn slots(frame: &Frame, p: &Partition) -> Vec<Record> {
    used_slots(p)
        .into_iter()
        .map(|(slot, kind)| {
            vec![
                kv("slot_num", slot),
                kv("lpar_name", &p.name),
                kv("lpar_id", p.id),
                kv("config", kind),
                kv("state", 1),
                kv(
                    "drc_name",
                    format!(
                        "U{}.{}-V{}-C{slot}",
                        frame.type_model.replace('-', "."),
                        frame.serial_num,
                        p.id
                    ),
                ),
            ]
        })
        .collect()
}

/// The adapters the running partition has now (its profile's, as changed
/// by dynamic LPAR).
pub(super) fn adapters(frame: &Frame, p: &Partition, kind: Adapter) -> Vec<Record> {
    let c = p.curr.clone().unwrap_or_default();
    let head = |slot: u32| {
        vec![
            kv("lpar_name", &p.name),
            kv("lpar_id", p.id),
            kv("slot_num", slot),
        ]
    };
    let b = |v: bool| if v { 1 } else { 0 };
    match kind {
        Adapter::Eth => c
            .eth
            .iter()
            .map(|a| {
                let mut r = head(a.slot);
                r.extend([
                    kv("state", 1),
                    kv("is_required", b(a.required)),
                    kv("is_trunk", b(a.trunk_priority > 0)),
                ]);
                if a.trunk_priority > 0 {
                    r.push(kv("trunk_priority", a.trunk_priority));
                }
                let addl: Vec<String> = a.addl_vlan_ids.iter().map(u32::to_string).collect();
                r.extend([
                    kv("ieee_virtual_eth", b(a.ieee)),
                    kv("port_vlan_id", a.port_vlan_id),
                    kv(
                        "vswitch",
                        if a.vswitch.is_empty() {
                            "ETHERNET0"
                        } else {
                            &a.vswitch
                        },
                    ),
                    kv("addl_vlan_ids", addl.join(",")),
                    kv(
                        "mac_addr",
                        if a.mac_addr.is_empty() {
                            mac(frame, p.id, a.slot)
                        } else {
                            a.mac_addr.to_uppercase()
                        },
                    ),
                    kv(
                        "allowed_os_mac_addrs",
                        if a.allowed_os_mac_addrs.is_empty() {
                            "all"
                        } else {
                            &a.allowed_os_mac_addrs
                        },
                    ),
                    kv(
                        "qos_priority",
                        if a.qos_priority.is_empty() {
                            "none"
                        } else {
                            &a.qos_priority
                        },
                    ),
                ]);
                r
            })
            .collect(),
        Adapter::Scsi => c
            .scsi
            .iter()
            .map(|a| {
                let mut r = head(a.slot);
                r.extend([
                    kv("state", 1),
                    kv("is_required", b(a.required)),
                    kv("adapter_type", if a.server { "server" } else { "client" }),
                    kv(
                        "remote_lpar_id",
                        if a.remote_lpar_id.is_empty() {
                            "any"
                        } else {
                            &a.remote_lpar_id
                        },
                    ),
                    kv("remote_lpar_name", &a.remote_lpar_name),
                    kv(
                        "remote_slot_num",
                        if a.remote_slot.is_empty() {
                            "any"
                        } else {
                            &a.remote_slot
                        },
                    ),
                ]);
                if !a.server {
                    r.push(kv("backing_devices", "none"));
                }
                r
            })
            .collect(),
        Adapter::Fc => {
            c.fc.iter()
                .map(|a| {
                    let mut r = head(a.slot);
                    r.extend([
                        kv("adapter_type", if a.server { "server" } else { "client" }),
                        kv("state", 1),
                        kv("is_required", b(a.required)),
                        kv("remote_lpar_id", &a.remote_lpar_id),
                        kv("remote_lpar_name", &a.remote_lpar_name),
                        kv("remote_slot_num", &a.remote_slot),
                    ]);
                    if !a.server {
                        r.push(kv("wwpns", a.wwpns.join(",")));
                    }
                    r
                })
                .collect()
        }
    }
}

/// `-r virtualio --rsubtype vswitch`: the frame's virtual switches (the
/// default ETHERNET0 always, and every switch an adapter names), each with
/// the VLANs its running partitions' adapters use.
pub(super) fn vswitches(partitions: &[Partition]) -> Vec<Record> {
    use std::collections::{BTreeMap, BTreeSet};
    let name = |s: &str| {
        if s.is_empty() {
            "ETHERNET0".to_string()
        } else {
            s.to_string()
        }
    };
    let mut sw: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    sw.insert("ETHERNET0".into(), BTreeSet::new());
    for p in partitions {
        for prof in &p.profiles {
            for a in &prof.virtual_eth_adapters {
                sw.entry(name(&a.vswitch)).or_default();
            }
        }
        for a in p.curr.iter().flat_map(|c| c.eth.iter()) {
            let vlans = sw.entry(name(&a.vswitch)).or_default();
            vlans.insert(a.port_vlan_id);
            vlans.extend(a.addl_vlan_ids.iter().copied());
        }
    }
    sw.into_iter()
        .map(|(s, vlans)| {
            let ids: Vec<String> = vlans.iter().map(u32::to_string).collect();
            vec![
                kv("vswitch", s),
                kv("switch_mode", "VEB"),
                kv(
                    "vlan_ids",
                    if ids.is_empty() {
                        "none".to_string()
                    } else {
                        ids.join(",")
                    },
                ),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_list_the_vlans_their_running_adapters_use() {
        use pvmlab_common::model::{Profile, Resources, VirtualEthAdapter};
        let eth = |pvid: u32, addl: &[u32], sw: &str| VirtualEthAdapter {
            port_vlan_id: pvid,
            addl_vlan_ids: addl.to_vec(),
            vswitch: sw.into(),
            ..Default::default()
        };
        let running = Partition {
            curr: Some(Resources {
                eth: vec![eth(1, &[200, 100], ""), eth(99, &[], "ETHERNET0")],
                ..Default::default()
            }),
            ..Default::default()
        };
        let off = Partition {
            profiles: vec![Profile {
                virtual_eth_adapters: vec![eth(5, &[], "vdct")],
                ..Default::default()
            }],
            ..Default::default()
        };
        let r = vswitches(&[running, off]);
        assert_eq!(
            r,
            vec![
                vec![
                    kv("vswitch", "ETHERNET0"),
                    kv("switch_mode", "VEB"),
                    kv("vlan_ids", "1,99,100,200")
                ],
                vec![
                    kv("vswitch", "vdct"),
                    kv("switch_mode", "VEB"),
                    kv("vlan_ids", "none")
                ],
            ]
        );
    }

    #[test]
    fn macs_are_locally_administered_and_distinct() {
        let f = pvmlab_common::model::Frame {
            serial_num: "21A5E8V".into(),
            ..Default::default()
        };
        let a = mac(&f, 3, 2);
        assert_eq!(a.len(), 12);
        let first = u8::from_str_radix(&a[..2], 16).unwrap();
        assert_eq!(first & 0x03, 0x02, "locally administered, unicast: {a}");
        assert_ne!(a, mac(&f, 3, 3));
        assert_ne!(a, mac(&f, 4, 2));
    }
}
