//! `lshwres -r io` and `-r procpool`: the frame's physical I/O slots and
//! the adapters' ports in them, and its shared processor pools.
//!
//! The lab's frames have the physical cards their VIOS partitions use
//! (`pvmlab_common::vios_hw`: an Ethernet card for the SEAs, the Fibre
//! Channel cards of the NPIV and SAN paths, the SAS controller of rootvg).
//! The slots listed are those the partitions' profiles require
//! (`io_slots`), so a listing, a profile and the VIOS's own `lsdev` name
//! the same cards. A client partition owns none (its I/O is virtual).

use crate::render::{Record, kv};
use pvmlab_common::attrs::fmt_units;
use pvmlab_common::model::{Frame, Partition, PartitionExt as _, lpar_state};
use pvmlab_common::vios_hw::{self, Card, CardKind};

/// One physical slot with the card in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub card: Card,
    /// The partition whose profile requires it.
    pub owner_id: u32,
}

fn description(k: CardKind) -> &'static str {
    match k {
        CardKind::Ethernet => "PCIe2 4-port (10Gb FCoE & 1GbE) SR&RJ45 Adapter",
        CardKind::FibreChannel => "PCIe2 8Gb 2-Port Fibre Channel Adapter",
        CardKind::Sas => "PCIe3 x8 SAS RAID Internal Adapter 6Gb",
    }
}

fn feature_code(k: CardKind) -> &'static str {
    match k {
        CardKind::Ethernet => "EN0H",
        CardKind::FibreChannel => "EN0A",
        CardKind::Sas => "EJ0J",
    }
}

/// The PCI class clients grep for (hmc-mcp: 0200 Ethernet, 0C04 FC).
fn pci_class(k: CardKind) -> &'static str {
    match k {
        CardKind::Ethernet => "0200",
        CardKind::FibreChannel => "0C04",
        CardKind::Sas => "0104",
    }
}

fn pci_ids(k: CardKind) -> (&'static str, &'static str) {
    match k {
        CardKind::Ethernet => ("1077", "2001"),
        CardKind::FibreChannel => ("10DF", "F100"),
        CardKind::Sas => ("1014", "034A"),
    }
}

/// The frame's slots: each card a partition's current profile requires,
/// in slot order. An `io_slots` entry that names no card of the lab is skipped.
pub fn slots(partitions: &[Partition]) -> Vec<Slot> {
    let mut v: Vec<Slot> = partitions
        .iter()
        .filter_map(|p| Some((p.id, p.profile(p.current_profile_name())?)))
        .flat_map(|(id, prof)| {
            prof.io_slots.iter().filter_map(move |e| {
                let drc = u32::from_str_radix(e.split('/').next()?, 16).ok()?;
                Some(Slot {
                    card: Card::from_drc_index(drc)?,
                    owner_id: id,
                })
            })
        })
        .collect();
    v.sort_by_key(|s| (s.card.planar, s.card.slot));
    v.dedup_by_key(|s| s.card);
    v
}

/// The I/O unit the slots are in: the frame's first.
fn unit(f: &Frame) -> String {
    vios_hw::drawer(&f.serial_num)
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
            let k = s.card.kind;
            let (vendor, device) = pci_ids(k);
            vec![
                kv("unit_phys_loc", unit(f)),
                kv("bus_id", 256 * s.card.planar + s.card.slot),
                kv("phys_loc", format!("P{}-C{}", s.card.planar, s.card.slot)),
                kv("parent_slot_drc_index", "none"),
                kv("drc_index", format!("{:08X}", s.card.drc_index())),
                kv("lpar_name", o.map(|p| p.name.as_str()).unwrap_or("null")),
                kv(
                    "lpar_id",
                    o.map(|p| p.id.to_string()).unwrap_or_else(|| "none".into()),
                ),
                kv("slot_io_pool_id", "none"),
                kv("description", description(k)),
                kv("feature_codes", feature_code(k)),
                kv("pci_vendor_id", vendor),
                kv("pci_device_id", device),
                kv("pci_subs_vendor_id", vendor),
                kv("pci_subs_device_id", device),
                kv("pci_class", pci_class(k)),
                kv("pci_revision_id", "01"),
                kv("bus_grouping", 0),
                kv("iop", 0),
                kv("iop_info_stale", 0),
                kv("drc_name", s.card.location(&f.serial_num)),
            ]
        })
        .collect()
}

/// The adapters' ports: two per Ethernet and FC card, children of their
/// slot (`parent` is the slot's drc_name, as hmcscanner joins them), with
/// the MACs and WWPNs the VIOS's `lsdev -vpd` shows.
pub fn child_records(f: &Frame, partitions: &[Partition]) -> Vec<Record> {
    let serial = f.serial_num.as_str();
    slots(partitions)
        .iter()
        .filter(|s| s.card.kind != CardKind::Sas)
        .flat_map(|s| {
            let o = owner(s, partitions);
            let parent = s.card.location(serial);
            // The card's first port: FC cards hold fcs0-1, fcs2-3 … in
            // slot order; the Ethernet card holds ent0 and ent1.
            let first = match s.card.kind {
                CardKind::FibreChannel => 2 * (s.card.slot.saturating_sub(s.owner_id) / 4),
                _ => 0,
            };
            (1..=2u32).map(move |t| {
                let mut r = vec![
                    kv("phys_loc", format!("{parent}-T{t}")),
                    kv("parent", &parent),
                    kv(
                        "slot_child_id",
                        format!("{:08X}", s.card.drc_index() << 4 | t),
                    ),
                    kv("parent_slot_child_id", "none"),
                    kv("lpar_name", o.map(|p| p.name.as_str()).unwrap_or("null")),
                    kv(
                        "lpar_id",
                        o.map(|p| p.id.to_string()).unwrap_or_else(|| "none".into()),
                    ),
                ];
                let port = first + t - 1;
                match s.card.kind {
                    CardKind::FibreChannel => r.extend([
                        kv("description", "Fibre Channel port"),
                        kv("wwpn", vios_hw::fc_wwpn(serial, s.owner_id, port)),
                    ]),
                    _ => r.extend([
                        kv("description", "Ethernet port"),
                        kv("mac_address", vios_hw::ent_mac(serial, s.owner_id, port)),
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
    fn the_slots_are_those_the_profiles_require() {
        let f = Frame {
            serial_num: "21A5E8V".into(),
            ..Default::default()
        };
        let vios = |id, state| {
            let mut p = lpar(id, "vioserver", state);
            p.default_profile = "d".into();
            p.profiles = vec![Profile {
                name: "d".into(),
                io_slots: vios_hw::cards(id, 2).iter().map(vios_hw::io_slot).collect(),
                ..Default::default()
            }];
            p
        };
        let ps = [
            vios(2, lpar_state::NOT_ACTIVATED),
            vios(1, lpar_state::RUNNING),
            lpar(3, "aixlinux", lpar_state::RUNNING),
        ];
        let r = slot_records(&f, &ps);
        assert_eq!(r.len(), 6, "Ethernet, FC and SAS of each VIOS");
        assert_eq!(value(&r[0], "drc_name"), Some("U78C9.001.21A5E8V-P1-C1"));
        assert_eq!(value(&r[0], "drc_index"), Some("21010101"));
        assert_eq!(value(&r[0], "lpar_name"), Some("p1"));
        assert_eq!(value(&r[1], "lpar_name"), Some("null"), "its VIOS is off");
        let fc = r
            .iter()
            .find(|x| value(x, "pci_class") == Some("0C04"))
            .unwrap();
        assert_eq!(value(fc, "drc_name"), Some("U78C9.001.21A5E8V-P2-C1"));
        // Every child names a slot that exists (hmcscanner joins on it),
        // and a FC port has the WWPN the VIOS shows.
        let names: Vec<&str> = r.iter().filter_map(|x| value(x, "drc_name")).collect();
        let c = child_records(&f, &ps);
        assert_eq!(c.len(), 8);
        assert!(
            c.iter()
                .all(|x| names.contains(&value(x, "parent").unwrap()))
        );
        let w = vios_hw::fc_wwpn("21A5E8V", 1, 1);
        assert!(c.iter().any(|x| value(x, "wwpn") == Some(w.as_str())));
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
