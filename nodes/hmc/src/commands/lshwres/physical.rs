//! `lshwres -r io` and `-r procpool`: the frame's physical I/O slots and
//! the adapters' ports in them, and its shared processor pools.
//!
//! The lab's frames have the physical adapters their VIOS partitions use:
//! each VIOS owns an Ethernet adapter (the real adapter of its SEA) and a
//! Fibre Channel adapter (the port its NPIV mappings go through), in the
//! slots of the frame's first I/O unit, numbered in VIOS id order. A
//! client partition owns none (its I/O is virtual).

use crate::render::{Record, kv};
use pvmlab_common::attrs::fmt_units;
use pvmlab_common::model::{Frame, Partition, PartitionExt as _, lpar_state};

/// One physical slot with the adapter in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// C1, C2 …
    pub phys: u32,
    pub kind: Kind,
    /// The VIOS that owns it.
    pub owner_id: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ethernet,
    FibreChannel,
}

impl Kind {
    fn description(self) -> &'static str {
        match self {
            Kind::Ethernet => "PCIe2 4-port (10Gb FCoE & 1GbE) SR&RJ45 Adapter",
            Kind::FibreChannel => "PCIe2 8Gb 2-Port Fibre Channel Adapter",
        }
    }
    fn feature_code(self) -> &'static str {
        match self {
            Kind::Ethernet => "EN0H",
            Kind::FibreChannel => "EN0A",
        }
    }
    /// The PCI class clients grep for (hmc-mcp: 0200 Ethernet, 0C04 FC).
    fn pci_class(self) -> &'static str {
        match self {
            Kind::Ethernet => "0200",
            Kind::FibreChannel => "0C04",
        }
    }
    fn ids(self) -> (&'static str, &'static str) {
        match self {
            Kind::Ethernet => ("1077", "2001"),
            Kind::FibreChannel => ("10DF", "F100"),
        }
    }
}

/// The frame's slots: two per VIOS, by VIOS id.
pub fn slots(partitions: &[Partition]) -> Vec<Slot> {
    let mut vios: Vec<u32> = partitions
        .iter()
        .filter(|p| p.is_vios())
        .map(|p| p.id)
        .collect();
    vios.sort_unstable();
    vios.iter()
        .enumerate()
        .flat_map(|(i, &id)| {
            let n = 2 * i as u32;
            [
                Slot {
                    phys: n + 1,
                    kind: Kind::Ethernet,
                    owner_id: id,
                },
                Slot {
                    phys: n + 2,
                    kind: Kind::FibreChannel,
                    owner_id: id,
                },
            ]
        })
        .collect()
}

/// The I/O unit the slots are in: the frame's first, named after its
/// serial number.
fn unit(f: &Frame) -> String {
    format!("U78C9.001.{}", f.serial_num)
}

fn drc_name(f: &Frame, s: &Slot) -> String {
    format!("{}-P1-C{}", unit(f), s.phys)
}

/// The slot's owner as listings name it: a partition that holds it now
/// (running, with its resources), otherwise nobody.
fn owner<'a>(s: &Slot, partitions: &'a [Partition]) -> Option<&'a Partition> {
    partitions
        .iter()
        .find(|p| p.id == s.owner_id && p.state != lpar_state::NOT_ACTIVATED)
}

pub fn slot_records(f: &Frame, partitions: &[Partition]) -> Vec<Record> {
    slots(partitions)
        .iter()
        .map(|s| {
            let o = owner(s, partitions);
            let (vendor, device) = s.kind.ids();
            vec![
                kv("unit_phys_loc", unit(f)),
                kv("bus_id", 512 + s.phys),
                kv("phys_loc", format!("C{}", s.phys)),
                kv("parent_slot_drc_index", "none"),
                kv("drc_index", format!("{:08X}", 0x2101_0000 + s.phys)),
                kv("lpar_name", o.map(|p| p.name.as_str()).unwrap_or("null")),
                kv(
                    "lpar_id",
                    o.map(|p| p.id.to_string()).unwrap_or_else(|| "none".into()),
                ),
                kv("slot_io_pool_id", "none"),
                kv("description", s.kind.description()),
                kv("feature_codes", s.kind.feature_code()),
                kv("pci_vendor_id", vendor),
                kv("pci_device_id", device),
                kv("pci_subs_vendor_id", vendor),
                kv("pci_subs_device_id", device),
                kv("pci_class", s.kind.pci_class()),
                kv("pci_revision_id", "01"),
                kv("bus_grouping", 0),
                kv("iop", 0),
                kv("iop_info_stale", 0),
                kv("drc_name", drc_name(f, s)),
            ]
        })
        .collect()
}

/// The adapters' ports: two each, children of their slot (`parent` is the
/// slot's drc_name, as hmcscanner joins them).
pub fn child_records(f: &Frame, partitions: &[Partition]) -> Vec<Record> {
    slots(partitions)
        .iter()
        .flat_map(|s| {
            let o = owner(s, partitions);
            let parent = drc_name(f, s);
            (1..=2u32).map(move |t| {
                let mut r = vec![
                    kv("phys_loc", format!("{parent}-T{t}")),
                    kv("parent", &parent),
                    kv(
                        "slot_child_id",
                        format!("{:08X}", 0x2101_0000 + s.phys * 16 + t),
                    ),
                    kv("parent_slot_child_id", "none"),
                    kv("lpar_name", o.map(|p| p.name.as_str()).unwrap_or("null")),
                    kv(
                        "lpar_id",
                        o.map(|p| p.id.to_string()).unwrap_or_else(|| "none".into()),
                    ),
                ];
                let id = u64::from(s.owner_id) << 8 | u64::from(s.phys) << 4 | u64::from(t);
                match s.kind {
                    Kind::Ethernet => r.extend([
                        kv("description", "Ethernet port"),
                        kv("mac_address", format!("40F2E9{:06X}", id & 0xFF_FFFF)),
                    ]),
                    Kind::FibreChannel => r.extend([
                        kv("description", "Fibre Channel port"),
                        kv("wwpn", format!("10000090FA{:06X}", id & 0xFF_FFFF)),
                    ]),
                }
                r
            })
        })
        .collect()
}

/// `-r procpool`: each shared processor pool and the partitions in it
/// (their current pool if they run, their default profile's if not).
pub fn pool_records(f: &Frame, partitions: &[Partition]) -> Vec<Record> {
    let mut pools = f.pools.clone();
    pools.sort_by_key(|p| p.id);
    pools
        .iter()
        .map(|pool| {
            let mut members: Vec<&Partition> = partitions
                .iter()
                .filter(|p| in_pool(p) == Some(pool.id))
                .collect();
            members.sort_by_key(|p| p.id);
            let names: Vec<String> = members.iter().map(|p| p.name.clone()).collect();
            let ids: Vec<String> = members.iter().map(|p| p.id.to_string()).collect();
            let mut r = vec![kv("name", &pool.name), kv("shared_proc_pool_id", pool.id)];
            // The default pool is the whole frame's; only user pools have sizes.
            if pool.id != 0 {
                r.extend([
                    kv("max_pool_proc_units", fmt_units(pool.max_pool_proc_units)),
                    kv(
                        "curr_reserved_pool_proc_units",
                        fmt_units(pool.reserved_pool_proc_units),
                    ),
                    kv(
                        "pend_reserved_pool_proc_units",
                        fmt_units(pool.reserved_pool_proc_units),
                    ),
                ]);
            }
            r.extend([
                kv("lpar_names", or_none(&names)),
                kv("lpar_ids", or_none(&ids)),
            ]);
            r
        })
        .collect()
}

fn or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(",")
    }
}

fn in_pool(p: &Partition) -> Option<u32> {
    match &p.curr {
        Some(c) => (c.proc_mode == "shared").then_some(c.shared_proc_pool_id),
        None => p
            .profile(&p.default_profile)
            .filter(|pr| pr.proc_mode == "shared")
            .map(|pr| pr.shared_proc_pool_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::value;
    use pvmlab_common::model::{Profile, Resources, SharedProcPool};

    fn lpar(id: u32, env: &str, state: &str) -> Partition {
        Partition {
            id,
            name: format!("p{id}"),
            lpar_env: env.into(),
            state: state.into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_vios_owns_an_ethernet_and_a_fibre_channel_slot() {
        let f = Frame {
            serial_num: "21A5E8V".into(),
            ..Default::default()
        };
        let ps = [
            lpar(2, "vioserver", lpar_state::NOT_ACTIVATED),
            lpar(1, "vioserver", lpar_state::RUNNING),
            lpar(3, "aixlinux", lpar_state::RUNNING),
        ];
        let r = slot_records(&f, &ps);
        assert_eq!(r.len(), 4);
        assert_eq!(value(&r[0], "drc_name"), Some("U78C9.001.21A5E8V-P1-C1"));
        assert_eq!(value(&r[0], "lpar_name"), Some("p1"));
        assert_eq!(value(&r[1], "pci_class"), Some("0C04"));
        assert_eq!(value(&r[2], "lpar_name"), Some("null"), "its VIOS is off");
        // Every child names a slot that exists (hmcscanner joins on it).
        let names: Vec<&str> = r.iter().filter_map(|x| value(x, "drc_name")).collect();
        let c = child_records(&f, &ps);
        assert_eq!(c.len(), 8);
        assert!(
            c.iter()
                .all(|x| names.contains(&value(x, "parent").unwrap()))
        );
    }

    #[test]
    fn pools_list_their_partitions() {
        let f = Frame {
            pools: vec![
                SharedProcPool {
                    id: 1,
                    name: "pool1".into(),
                    max_pool_proc_units: 4.0,
                    ..Default::default()
                },
                SharedProcPool {
                    id: 0,
                    name: "DefaultPool".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let mut a = lpar(3, "aixlinux", lpar_state::RUNNING);
        a.curr = Some(Resources {
            proc_mode: "shared".into(),
            shared_proc_pool_id: 1,
            ..Default::default()
        });
        let mut b = lpar(4, "aixlinux", lpar_state::NOT_ACTIVATED);
        b.default_profile = "d".into();
        b.profiles = vec![Profile {
            name: "d".into(),
            proc_mode: "shared".into(),
            ..Default::default()
        }];
        let r = pool_records(&f, &[a, b]);
        assert_eq!(value(&r[0], "name"), Some("DefaultPool"));
        assert_eq!(value(&r[0], "lpar_names"), Some("p4"));
        assert_eq!(value(&r[0], "max_pool_proc_units"), None);
        assert_eq!(value(&r[1], "lpar_ids"), Some("3"));
        assert_eq!(value(&r[1], "max_pool_proc_units"), Some("4.0"));
    }
}
