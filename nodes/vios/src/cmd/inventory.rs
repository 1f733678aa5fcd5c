//! The VIOS's devices, decided once so that every command lists the same
//! ones under the same names: its physical adapters (a two-port Ethernet
//! card, a two-port fibre channel card, the SAS controller and its two
//! internal disks holding rootvg), the SAN LUNs it sees as MPIO hdisks,
//! its virtual adapters (the Ethernet adapters of its profile, the vhost
//! and vfchost server adapters of its mappings, the serial and VASI
//! adapters), the virtual target devices and the SEAs.
//!
//! Names follow how a VIOS numbers devices when it is installed: physical
//! Ethernet ports first (`ent0`, `ent1`, or as many as an SEA's
//! `real_adapter` needs), then the virtual Ethernet adapters in slot order,
//! skipping the names the SEAs already have. Physical location codes put
//! the VIOS's cards in the frame's I/O drawer `U78C9.001.<serial>`, in the
//! slots numbered by its partition id; the FC path of VIOS 1 and 2 is the
//! one the HMC shows for reserved storage devices (`rr::rsdp`).

use super::{Env, Site};
use pvmlab_common::model::{
    LinkAggregation, NpivMapping, Sea, VirtualEthAdapter, VirtualOptical, VscsiMapping,
};

/// A device's class, as `lsdev -type` selects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Adapter,
    Disk,
    /// Neither (processors, the system object, interfaces …).
    Other,
}

/// A disk as `lspv`, `lsvg` and `chkdev` see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Disk {
    pub pvid: String,
    /// The volume group it belongs to (`rootvg`), if any.
    pub vg: Option<&'static str>,
    pub size_mb: u64,
    pub udid: String,
    pub reserve_policy: String,
    /// The SAN LUN behind it (none for the internal disks).
    pub lun: Option<String>,
    /// The virtual target device it backs, if mapped.
    pub mapped_by: Option<String>,
    /// Its number on the SAN (the digits of the LUN id), for location codes.
    pub lun_number: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    PhysEnt {
        port: u32,
        mac: String,
    },
    VirtEnt {
        a: VirtualEthAdapter,
        mac: String,
    },
    Sea(Sea),
    Lnagg(LinkAggregation),
    Fcs {
        port: u32,
        wwpn: String,
    },
    Fscsi,
    Fcnet,
    Sas,
    Disk(Disk),
    Vhost {
        slot: u32,
        client: u32,
    },
    Vfchost(NpivMapping),
    Vtd(VscsiMapping),
    /// A file-backed virtual optical device and its logical unit number
    /// on its vhost (after the vhost's disks).
    Vtopt(VirtualOptical, u32),
    Proc,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub name: String,
    pub status: &'static str,
    pub description: String,
    pub physloc: String,
    pub class: Class,
    pub virt: bool,
    pub kind: Kind,
}

/// One attribute, as `lsdev -dev <d> -attr` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attr {
    pub name: &'static str,
    pub value: String,
    pub description: &'static str,
    pub settable: &'static str,
}

pub const ENT_DESC: &str = "2-Port 10/100/1000 Base-TX PCI-Express Adapter (14104003)";
pub const VENT_DESC: &str = "Virtual I/O Ethernet Adapter (l-lan)";
pub const SEA_DESC: &str = "Shared Ethernet Adapter";
pub const LNAGG_DESC: &str = "EtherChannel / IEEE 802.3ad Link Aggregation";
pub const FCS_DESC: &str = "8Gb PCI Express Dual Port FC Adapter (df1000f114108a03)";
pub const LUN_DESC: &str = "MPIO IBM 2145 FC Disk";
const SAS_DISK_DESC: &str = "SAS Disk Drive";
/// The internal disks' size: a 300 GB SAS drive.
const SAS_DISK_MB: u64 = 286102;
/// The storage array's target port, as in the HMC's location codes.
pub const TARGET_WWPN: &str = "500507680140F32C";

pub struct Inventory {
    pub devices: Vec<Device>,
}

pub use pvmlab_common::vios_hw::fnv;

fn index(name: &str, prefix: &str) -> Option<u32> {
    name.strip_prefix(prefix)?.parse().ok()
}

/// The PVID of a SAN LUN: the same on every VIOS that sees it (seed 000
/// shows one LUN with one PVID on four VIOS).
pub fn lun_pvid(lun: &str) -> String {
    format!("00ced82c{:08x}", fnv(lun))
}

/// The I/O drawer the VIOS's cards sit in.
fn drawer(site: &Site) -> String {
    pvmlab_common::vios_hw::drawer(&site.serial)
}

/// The location code of FC port `port` of this VIOS: two ports per card,
/// the first card in slot P2-C<lpar id>.
pub fn fcs_loc(site: &Site, port: u32) -> String {
    pvmlab_common::vios_hw::fc_location(&site.serial, site.lpar_id, port)
}

/// The location code of a LUN as seen through fcs0 (`lsmap`'s backing
/// device Physloc).
pub fn lun_loc(site: &Site, number: u32) -> String {
    format!(
        "{}-W{TARGET_WWPN}-L{:X}000000000000",
        fcs_loc(site, 0),
        0x3E4 + number
    )
}

/// A virtual Ethernet adapter's MAC when its profile leaves it to the
/// hypervisor: the HMC's rule (`lshwres -r virtualio`'s `mac_addr`), a
/// locally administered prefix from the frame's serial, then the partition
/// id and slot.
pub fn virtual_mac(site: &Site, slot: u32) -> String {
    let prefix = (fnv(&site.serial) & 0x00FC_FFFF) | 0x0002_0000;
    format!(
        "{prefix:06X}{:02X}{:04X}",
        site.lpar_id & 0xFF,
        slot & 0xFFFF
    )
}

impl Inventory {
    pub fn of(env: &Env<'_>) -> Inventory {
        let site = env.site;
        let dev = env.dev;
        let unit = drawer(site);
        let k = site.lpar_id;
        let mut d = Vec::new();
        let mut push = |name: String,
                        description: &str,
                        physloc: String,
                        class: Class,
                        virt: bool,
                        kind: Kind| {
            d.push(Device {
                name,
                status: "Available",
                description: description.to_string(),
                physloc,
                class,
                virt,
                kind,
            })
        };
        // Physical Ethernet ports.
        let phys = dev
            .seas
            .iter()
            .filter_map(|s| index(&s.real_adapter, "ent"))
            .map(|i| i + 1)
            .max()
            .unwrap_or(0)
            .max(2);
        for p in 0..phys {
            let mac = pvmlab_common::vios_hw::ent_mac(&site.serial, k, p);
            push(
                format!("ent{p}"),
                ENT_DESC,
                format!("{unit}-P1-C{k}-T{}", p + 1),
                Class::Adapter,
                false,
                Kind::PhysEnt { port: p, mac },
            );
        }
        // Virtual Ethernet adapters, in slot order, around the SEAs' names.
        let taken: Vec<u32> = dev
            .seas
            .iter()
            .map(|s| &s.name)
            .chain(dev.lnaggs.iter().map(|l| &l.name))
            .filter_map(|n| index(n, "ent"))
            .collect();
        let mut veth = site.virtual_eth.clone();
        veth.sort_by_key(|a| a.slot);
        let mut n = phys;
        for a in veth {
            while taken.contains(&n) {
                n += 1;
            }
            let mac = if a.mac_addr.is_empty() {
                virtual_mac(site, a.slot)
            } else {
                a.mac_addr.to_uppercase()
            };
            push(
                format!("ent{n}"),
                VENT_DESC,
                format!("{}-T1", site.loc(k, a.slot)),
                Class::Adapter,
                true,
                Kind::VirtEnt { a, mac },
            );
            n += 1;
        }
        let seas = dev
            .seas
            .iter()
            .map(|s| (s.name.clone(), SEA_DESC, Kind::Sea(s.clone())));
        let lnaggs = dev
            .lnaggs
            .iter()
            .map(|l| (l.name.clone(), LNAGG_DESC, Kind::Lnagg(l.clone())));
        for (name, description, kind) in seas.chain(lnaggs) {
            push(
                name.clone(),
                description,
                String::new(),
                Class::Adapter,
                true,
                kind,
            );
            if let Some(i) = index(&name, "ent") {
                push(
                    format!("en{i}"),
                    "Standard Ethernet Network Interface",
                    String::new(),
                    Class::Other,
                    false,
                    Kind::Other,
                );
            }
        }
        // Fibre channel: two ports per card, as many cards as the NPIV
        // mappings name ports.
        let fcs = pvmlab_common::vios_hw::fc_ports(dev.npiv.iter().map(|m| m.fcs.as_str()));
        for p in 0..fcs {
            let wwpn = pvmlab_common::vios_hw::fc_wwpn(&site.serial, k, p);
            push(
                format!("fcs{p}"),
                FCS_DESC,
                fcs_loc(site, p),
                Class::Adapter,
                false,
                Kind::Fcs { port: p, wwpn },
            );
            push(
                format!("fscsi{p}"),
                "FC SCSI I/O Controller Protocol Device",
                fcs_loc(site, p),
                Class::Other,
                false,
                Kind::Fscsi,
            );
            push(
                format!("fcnet{p}"),
                "Fibre Channel Network Protocol Device",
                fcs_loc(site, p),
                Class::Other,
                false,
                Kind::Fcnet,
            );
        }
        // The SAS controller and rootvg's two disks.
        push(
            "sissas0".into(),
            "PCIe3 x8 SAS RAID Internal Adapter 6Gb (57D7)",
            format!("{unit}-P1-C{}", k + 16),
            Class::Adapter,
            false,
            Kind::Sas,
        );
        for i in 0..2 {
            let id = format!("{}/{k}/hdisk{i}", site.serial);
            push(
                format!("hdisk{i}"),
                SAS_DISK_DESC,
                format!("{unit}-P3-D{}", 2 * k - 1 + i),
                Class::Disk,
                false,
                Kind::Disk(Disk {
                    pvid: format!("00f6db0a{:08x}", fnv(&id)),
                    vg: Some("rootvg"),
                    size_mb: SAS_DISK_MB,
                    udid: format!("2A1135000C5{:08X}0BST9300653SS08IBMsas", fnv(&id)),
                    reserve_policy: "no_reserve".into(),
                    lun: None,
                    mapped_by: None,
                    lun_number: 0,
                }),
            );
        }
        for l in &dev.luns {
            let number: u32 =
                l.id.chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap_or(0);
            let mapped_by = dev
                .vscsi
                .iter()
                .find(|m| m.backing == l.hdisk)
                .map(|m| m.vtd.clone());
            push(
                l.hdisk.clone(),
                LUN_DESC,
                lun_loc(site, number),
                Class::Disk,
                false,
                Kind::Disk(Disk {
                    pvid: lun_pvid(&l.id),
                    vg: None,
                    size_mb: l.size_mb,
                    udid: l.udid.clone(),
                    reserve_policy: l.reserve_policy.clone(),
                    lun: Some(l.id.clone()),
                    mapped_by,
                    lun_number: number,
                }),
            );
        }
        // Virtual server adapters and target devices, as mapped now.
        let mut slots: Vec<(String, u32, u32)> = Vec::new();
        let mapped = dev
            .vscsi
            .iter()
            .map(|m| (&m.vhost, m.server_slot, m.client_lpar_id))
            .chain(
                dev.optical
                    .iter()
                    .map(|o| (&o.vhost, o.server_slot, o.client_lpar_id)),
            );
        for (vhost, slot, client) in mapped {
            if !slots.iter().any(|(v, _, _)| v == vhost) {
                slots.push((vhost.clone(), slot, client));
            }
        }
        let mut names: Vec<String> = slots.iter().map(|s| s.0.clone()).collect();
        // Server adapters of the profile with nothing mapped yet are
        // vhosts too, numbered after the mapped ones, unless the HMC took
        // them away with their client's mappings.
        for a in site.virtual_scsi.iter().filter(|a| a.server) {
            let client = a.remote_lpar_id.parse().unwrap_or(0);
            if slots.iter().any(|(_, s, _)| *s == a.slot) || dev.departed_clients.contains(&client)
            {
                continue;
            }
            let name = super::mapping::free_name("vhost", names.iter().map(String::as_str));
            names.push(name.clone());
            slots.push((name, a.slot, client));
        }
        for (name, slot, client) in slots {
            push(
                name,
                "Virtual SCSI Server Adapter",
                site.loc(k, slot),
                Class::Adapter,
                true,
                Kind::Vhost { slot, client },
            );
        }
        for m in &dev.vscsi {
            push(
                m.vtd.clone(),
                "Virtual Target Device - Disk",
                String::new(),
                Class::Disk,
                true,
                Kind::Vtd(m.clone()),
            );
        }
        for (i, o) in dev.optical.iter().enumerate() {
            push(
                o.vtd.clone(),
                "Virtual Target Device - File-backed Optical",
                String::new(),
                Class::Other,
                true,
                Kind::Vtopt(o.clone(), pvmlab_common::model::optical_lun(dev, i)),
            );
        }
        for m in &dev.npiv {
            push(
                m.vfchost.clone(),
                "Virtual FC Server Adapter",
                site.loc(k, m.server_slot),
                Class::Adapter,
                true,
                Kind::Vfchost(m.clone()),
            );
        }
        push(
            "vsa0".into(),
            "LPAR Virtual Serial Adapter",
            site.loc(k, 0),
            Class::Adapter,
            true,
            Kind::Other,
        );
        push(
            "vasi0".into(),
            "Virtual Asynchronous Services Interface (VASI)",
            site.unit(),
            Class::Adapter,
            true,
            Kind::Other,
        );
        // The rest of what a bare `lsdev` lists.
        let threads = smt_threads(&site.proc_generation);
        for p in 0..site.procs.max(1) {
            push(
                format!("proc{}", p * threads),
                "Processor",
                String::new(),
                Class::Other,
                false,
                Kind::Proc,
            );
        }
        push(
            "sys0".into(),
            "System Object",
            String::new(),
            Class::Other,
            false,
            Kind::Other,
        );
        push(
            "mem0".into(),
            "Memory",
            String::new(),
            Class::Other,
            false,
            Kind::Other,
        );
        push(
            "inet0".into(),
            "Internet Network Extension",
            String::new(),
            Class::Other,
            false,
            Kind::Other,
        );
        push(
            "lo0".into(),
            "Loopback Network Interface",
            String::new(),
            Class::Other,
            false,
            Kind::Other,
        );
        d.sort_by_key(|a| natural(&a.name));
        Inventory { devices: d }
    }

    pub fn get(&self, name: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.name == name)
    }

    pub fn disks(&self) -> impl Iterator<Item = (&Device, &Disk)> {
        self.devices.iter().filter_map(|d| match &d.kind {
            Kind::Disk(k) => Some((d, k)),
            _ => None,
        })
    }

    /// The virtual Ethernet adapter named `name`.
    pub fn virt_ent(&self, name: &str) -> Option<(&Device, &VirtualEthAdapter)> {
        self.get(name).and_then(|d| match &d.kind {
            Kind::VirtEnt { a, .. } => Some((d, a)),
            _ => None,
        })
    }

    /// The control channel of an SEA in failover: the VIOS's virtual
    /// Ethernet adapter that is no trunk and bridges for no SEA (seed 002:
    /// its own VLAN, PVID 99, `is_trunk=0`); none when HA is off.
    pub fn ctl_chan(&self, sea: &Sea) -> Option<&Device> {
        if sea.ha_mode == "disabled" {
            return None;
        }
        if !sea.ctl_chan.is_empty() {
            return self.get(&sea.ctl_chan);
        }
        self.devices.iter().find(|d| match &d.kind {
            Kind::VirtEnt { a, .. } => {
                a.trunk_priority == 0
                    && !self.devices.iter().any(
                        |s| matches!(&s.kind, Kind::Sea(x) if x.virt_adapters.contains(&d.name)),
                    )
            }
            _ => false,
        })
    }
}

/// SMT threads per core: processor devices are numbered by them
/// (proc0, proc4 … on POWER7; proc0, proc8 … on POWER8 and later).
pub fn smt_threads(generation: &str) -> u32 {
    if generation.starts_with("POWER7") || generation.starts_with("POWER6") {
        4
    } else {
        8
    }
}

/// Sorts `ent10` after `ent9`.
fn natural(name: &str) -> (String, u64) {
    let split = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    let (alpha, num) = name.split_at(split);
    (alpha.to_string(), num.parse().unwrap_or(0))
}

/// The processor type AIX names (`PowerPC_POWER8`).
pub fn proc_type(generation: &str) -> String {
    format!(
        "PowerPC_{}",
        generation.trim_end_matches('+').trim_end_matches("_Plus")
    )
}

/// The clock of the frame's processors, in Hz: the nominal frequency of
/// the generation's usual enterprise model.
pub fn proc_hz(generation: &str) -> u64 {
    match generation {
        g if g.starts_with("POWER6") => 4_704_000_000,
        "POWER7" => 3_550_000_000,
        g if g.starts_with("POWER7") => 3_800_000_000,
        g if g.starts_with("POWER8") => 3_525_000_000,
        g if g.starts_with("POWER9") => 3_800_000_000,
        _ => 3_900_000_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testenv;

    #[test]
    fn names_follow_the_install_order_around_the_sea() {
        testenv::with(|env| {
            let inv = Inventory::of(env);
            let names: Vec<&str> = inv.devices.iter().map(|d| d.name.as_str()).collect();
            for n in [
                "ent0", "ent1", "ent2", "ent3", "ent5", "fcs0", "fcs1", "hdisk0", "hdisk1",
                "hdisk2", "vhost0", "vfchost0", "vtscsi0", "proc0", "proc8",
            ] {
                assert!(names.contains(&n), "{n}: {names:?}");
            }
            assert!(!names.contains(&"ent4"));
            assert_eq!(inv.get("ent5").unwrap().description, SEA_DESC);
            assert_eq!(inv.get("ent2").unwrap().description, VENT_DESC);
            assert_eq!(inv.ctl_chan(&env.dev.seas[0]).unwrap().name, "ent3");
            let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
            assert!(pos("ent3") < pos("ent5") && pos("fcs1") < pos("hdisk0"));
        });
    }

    #[test]
    fn the_fc_path_of_a_lun_is_the_one_the_hmc_shows() {
        let site = testenv::site();
        assert_eq!(
            lun_loc(&site, 1),
            "U78C9.001.21A5E8V-P2-C1-T1-W500507680140F32C-L3E5000000000000"
        );
        assert_eq!(fcs_loc(&site, 1), "U78C9.001.21A5E8V-P2-C1-T2");
        assert_eq!(fcs_loc(&site, 2), "U78C9.001.21A5E8V-P2-C5-T1");
    }

    #[test]
    fn processors_are_named_by_their_generation() {
        assert_eq!(proc_type("POWER7+"), "PowerPC_POWER7");
        assert_eq!(proc_type("POWER8"), "PowerPC_POWER8");
        assert_eq!(proc_hz("POWER8"), 3_525_000_000);
        assert_eq!(smt_threads("POWER7+"), 4);
    }
}
