//! `mkvdev`: a virtual target device (`-vdev hdiskN -vadapter vhostN
//! [-dev Name] [-f]`), the mapping `lsmap`, LPM, remote restart and REST
//! all see; or a Shared Ethernet Adapter (`-sea ent0 -vadapter ent2[,…]
//! -default ent2 -defaultid 1 [-attr ha_mode=… ctl_chan=… netaddr=…]`),
//! seed 002's setup of SEA failover; an EtherChannel (`-lnagg`); a
//! file-backed optical device (`-fbo -vadapter vhostN [-dev Name]`) once
//! `mkrep` made a media repository. Everything is checked before the
//! device is made: a busy adapter, a VLAN another SEA bridges, an unknown
//! device or a bad attribute change nothing.

use super::args::{self, Arity};
use super::inventory::{Inventory, Kind};
use super::mapping::free_name;
use super::{CmdError, Command, Done, Env};
use pvmlab_common::model::{LinkAggregation, Sea, VirtualOptical, VscsiMapping};

const USAGE: &str = "Usage: mkvdev [-f] {-vdev TargetDevice | -dbdev DeviceName} -vadapter VirtualServerAdapter [-dev DeviceName]\n       mkvdev -sea TargetDevice -vadapter VirtualEthernetAdapter,... -default DefaultVirtualEthernetAdapter -defaultid SEADefaultPVID [-attr Attributes=Value ...]\n       mkvdev -lnagg TargetAdapter,... [-attr Attribute=Value ...]\n       mkvdev -fbo -vadapter VirtualServerAdapter [-dev DeviceName]";

const SPEC: args::Spec = &[
    ("-vdev", Arity::One),
    ("-vadapter", Arity::One),
    ("-dev", Arity::One),
    ("-f", Arity::Flag),
    ("-sea", Arity::One),
    ("-default", Arity::One),
    ("-defaultid", Arity::One),
    ("-attr", Arity::Many),
    ("-lnagg", Arity::One),
    ("-fbo", Arity::Flag),
];

#[derive(Debug, PartialEq, Eq)]
pub enum Mkvdev {
    Vtd {
        vdev: String,
        vadapter: String,
        name: Option<String>,
        force: bool,
    },
    Sea {
        real: String,
        virt: Vec<String>,
        default: String,
        default_id: u32,
        attrs: Vec<(String, String)>,
    },
    /// A link aggregation of physical ports, with its attributes.
    Lnagg {
        adapters: Vec<String>,
        attrs: Vec<(String, String)>,
    },
    /// A file-backed optical device on a vhost, for media of the
    /// repository `mkrep` made.
    Fbo {
        vadapter: String,
        name: Option<String>,
    },
}

fn method(text: String) -> CmdError {
    CmdError::Method(text)
}

impl Command for Mkvdev {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(SPEC, words, 0, USAGE)?;
        let one = |f: &str| a.one(f).map(str::to_string);
        if let Some(real) = one("-sea") {
            let virt: Vec<String> = one("-vadapter")
                .ok_or(CmdError::Usage(USAGE))?
                .split(',')
                .map(str::to_string)
                .collect();
            let default = one("-default").ok_or(CmdError::Usage(USAGE))?;
            let default_id = one("-defaultid")
                .ok_or(CmdError::Usage(USAGE))?
                .parse()
                .map_err(|_| {
                    CmdError::BadValue("defaultid", a.one("-defaultid").unwrap_or("").into())
                })?;
            let attrs = a.attrs("-attr", USAGE)?;
            return Ok(Mkvdev::Sea {
                real,
                virt,
                default,
                default_id,
                attrs,
            });
        }
        if let Some(l) = one("-lnagg") {
            return Ok(Mkvdev::Lnagg {
                adapters: l.split(',').map(str::to_string).collect(),
                attrs: a.attrs("-attr", USAGE)?,
            });
        }
        if a.has("-fbo") {
            return Ok(Mkvdev::Fbo {
                vadapter: one("-vadapter").ok_or(CmdError::Usage(USAGE))?,
                name: one("-dev"),
            });
        }
        Ok(Mkvdev::Vtd {
            vdev: one("-vdev").ok_or(CmdError::Usage(USAGE))?,
            vadapter: one("-vadapter").ok_or(CmdError::Usage(USAGE))?,
            name: one("-dev"),
            force: a.has("-f"),
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        let mut next = env.dev.clone();
        let output = match self {
            Mkvdev::Vtd {
                vdev,
                vadapter,
                name,
                force,
            } => {
                let (slot, client) = vhost(&inv, &vadapter)?;
                let lun = match inv.get(&vdev).map(|d| &d.kind) {
                    Some(Kind::Disk(d)) => d.clone(),
                    _ => return Err(CmdError::NotKnown(vdev)),
                };
                let Some(lun_id) = lun.lun.clone() else {
                    return Err(method(format!(
                        "\"{vdev}\" is in use as a physical volume of rootvg and cannot be a backing device."
                    )));
                };
                if lun.mapped_by.is_some() && !force {
                    return Err(method(format!(
                        "\"{vdev}\" is already being used as a backing device.  Specify the -f flag\nto force this device to be used anyway."
                    )));
                }
                let vtd = new_name(&inv, name, "vtscsi")?;
                next.vscsi.push(VscsiMapping {
                    vhost: vadapter,
                    server_slot: slot,
                    client_lpar_id: client,
                    vtd: vtd.clone(),
                    backing: vdev,
                    lun_id,
                });
                format!("{vtd} Available\n")
            }
            Mkvdev::Sea {
                real,
                virt,
                default,
                default_id,
                attrs,
            } => {
                let sea = make_sea(&inv, env, real, virt, default, default_id, attrs)?;
                let n = sea.name.trim_start_matches("ent").to_string();
                next.seas.push(sea);
                format!("ent{n} Available\nen{n}\net{n}\n")
            }
            Mkvdev::Lnagg { adapters, attrs } => {
                let l = make_lnagg(&inv, env, adapters, attrs)?;
                let n = l.name.trim_start_matches("ent").to_string();
                next.lnaggs.push(l);
                format!("ent{n} Available\nen{n}\net{n}\n")
            }
            Mkvdev::Fbo { vadapter, name } => {
                let (server_slot, client_lpar_id) = vhost(&inv, &vadapter)?;
                if env.dev.repository.is_none() {
                    return Err(method(
                        "A virtual media repository has not been created. Use mkrep to create one."
                            .into(),
                    ));
                }
                let vtd = new_name(&inv, name, "vtopt")?;
                next.optical.push(VirtualOptical {
                    vhost: vadapter,
                    server_slot,
                    client_lpar_id,
                    vtd: vtd.clone(),
                });
                format!("{vtd} Available\n")
            }
        };
        Ok(Done::storing(output, next))
    }
}

/// A server virtual SCSI adapter's slot and client.
fn vhost(inv: &Inventory, name: &str) -> Result<(u32, u32), CmdError> {
    match inv.get(name).map(|d| &d.kind) {
        Some(Kind::Vhost { slot, client }) => Ok((*slot, *client)),
        Some(_) => Err(CmdError::NotSvsa(name.to_string())),
        None => Err(CmdError::NotKnown(name.to_string())),
    }
}

/// A new target device's name: the one asked for, unless a device has
/// it, or the first free `prefixN`.
fn new_name(inv: &Inventory, asked: Option<String>, prefix: &str) -> Result<String, CmdError> {
    match asked {
        Some(n) if inv.get(&n).is_some() => {
            Err(method(format!("\"{n}\" is already the name of a device.")))
        }
        Some(n) => Ok(n),
        None => Ok(free_name(
            prefix,
            inv.devices.iter().map(|d| d.name.as_str()),
        )),
    }
}

/// A device's configuration method refusing a device that is in use.
fn busy(method_name: &str, dev: &str) -> CmdError {
    method(format!(
        "Method error (/usr/lib/methods/{method_name}):\n        0514-062 Cannot perform the requested function because the\n                 specified device is busy.\n{dev}"
    ))
}

/// Whether a physical port or an aggregation already carries an SEA or
/// belongs to an aggregation.
fn port_in_use(env: &Env<'_>, dev: &str) -> bool {
    env.dev.seas.iter().any(|s| s.real_adapter == dev)
        || env
            .dev
            .lnaggs
            .iter()
            .any(|l| l.adapters.iter().any(|a| a == dev) || l.backup_adapter == dev)
}

/// A link aggregation as `mkvdev -lnagg` makes it: physical ports, none
/// in use, in one of EtherChannel's modes.
fn make_lnagg(
    inv: &Inventory,
    env: &Env<'_>,
    adapters: Vec<String>,
    attrs: Vec<(String, String)>,
) -> Result<LinkAggregation, CmdError> {
    let port = |a: &str| -> Result<(), CmdError> {
        match inv.get(a).map(|d| &d.kind) {
            Some(Kind::PhysEnt { .. }) if port_in_use(env, a) => Err(busy("cfgech", a)),
            Some(Kind::PhysEnt { .. }) => Ok(()),
            Some(_) => Err(method(format!(
                "\"{a}\" is not a physical Ethernet adapter."
            ))),
            None => Err(CmdError::NotKnown(a.to_string())),
        }
    };
    for a in &adapters {
        port(a)?;
    }
    let mut l = LinkAggregation {
        adapters,
        mode: "standard".into(),
        ..Default::default()
    };
    for (k, v) in attrs {
        match k.as_str() {
            "mode"
                if ["standard", "round_robin", "netif_backup", "8023ad"].contains(&v.as_str()) =>
            {
                l.mode = v
            }
            "backup_adapter" if !l.adapters.contains(&v) => {
                port(&v)?;
                l.backup_adapter = v;
            }
            "mode" | "backup_adapter" => {
                return Err(super::chdev::invalid("cfgech", &k, ""));
            }
            other => return Err(CmdError::NoAttribute(other.to_string())),
        }
    }
    let names: Vec<&str> = inv.devices.iter().map(|d| d.name.as_str()).collect();
    l.name = free_name("ent", names.into_iter());
    Ok(l)
}

/// An SEA as `mkvdev -sea` makes it, or the reason it cannot be.
fn make_sea(
    inv: &Inventory,
    env: &Env<'_>,
    real: String,
    virt: Vec<String>,
    default: String,
    default_id: u32,
    attrs: Vec<(String, String)>,
) -> Result<Sea, CmdError> {
    let busy = |dev: &str| busy("cfgsea", dev);
    match inv.get(&real).map(|d| &d.kind) {
        Some(Kind::PhysEnt { .. } | Kind::Lnagg(_)) => {}
        Some(_) => {
            return Err(method(format!(
                "\"{real}\" is not a physical Ethernet adapter."
            )));
        }
        None => return Err(CmdError::NotKnown(real)),
    }
    if port_in_use(env, &real) {
        return Err(busy(&real));
    }
    let mut vlans = Vec::new();
    for v in &virt {
        let (_, a) = inv
            .virt_ent(v)
            .ok_or_else(|| CmdError::NotKnown(v.clone()))?;
        if a.trunk_priority == 0 {
            return Err(method(format!(
                "\"{v}\" is not a trunk adapter: set \"Access external network\" on it in the partition's profile."
            )));
        }
        if env.dev.seas.iter().any(|s| s.virt_adapters.contains(v)) {
            return Err(busy(v));
        }
        vlans.push(a.port_vlan_id);
        vlans.extend(a.addl_vlan_ids.iter().copied());
    }
    if let Some(other) = env
        .dev
        .seas
        .iter()
        .find(|s| s.vlans.iter().any(|x| vlans.contains(x)))
    {
        return Err(method(format!(
            "A VLAN of {} is already bridged by {} on this Virtual I/O Server.",
            virt.join(","),
            other.name
        )));
    }
    if !virt.contains(&default) {
        return Err(CmdError::BadValue("default", default));
    }
    let mut sea = Sea {
        name: String::new(),
        real_adapter: real,
        virt_adapters: virt,
        pvid: default_id,
        vlans,
        ha_mode: "disabled".into(),
        ..Default::default()
    };
    for (k, v) in attrs {
        match k.as_str() {
            "ha_mode" if crate::sea::ha::parse_mode(&v).is_some() => sea.ha_mode = v,
            "ctl_chan" if inv.virt_ent(&v).is_some_and(|(_, a)| a.trunk_priority == 0) => {
                sea.ctl_chan = v
            }
            "netaddr" => sea.netaddr = v,
            "ha_mode" | "ctl_chan" => {
                return Err(super::chdev::invalid("cfgsea", &k, ""));
            }
            other => return Err(CmdError::NoAttribute(other.to_string())),
        }
    }
    // Load sharing negotiates over the control channel: it needs one.
    if sea.ha_mode == "sharing" && sea.ctl_chan.is_empty() {
        return Err(method(
            "ha_mode=sharing needs a control channel: give ctl_chan= a virtual Ethernet adapter that is no trunk.".into(),
        ));
    }
    let names: Vec<&str> = inv.devices.iter().map(|d| d.name.as_str()).collect();
    sea.name = free_name("ent", names.into_iter());
    Ok(sea)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv;

    use testenv::run_changing as run;

    #[test]
    fn a_disk_is_mapped_to_a_vhost() {
        let (out, s, dev) = run("mkvdev -vdev hdisk4 -vadapter vhost0 -dev rootvg_aix");
        assert_eq!((out.as_str(), s), ("rootvg_aix Available\n", 0), "{out}");
        let m = dev
            .unwrap()
            .vscsi
            .into_iter()
            .find(|m| m.vtd == "rootvg_aix")
            .unwrap();
        assert_eq!((m.backing.as_str(), m.vhost.as_str()), ("hdisk4", "vhost0"));
        // Already mapped: refused unless forced.
        let (out, s, dev) = run("mkvdev -vdev hdisk2 -vadapter vhost0");
        assert!(
            out.contains("already being used as a backing device"),
            "{out}"
        );
        assert!(s != 0 && dev.is_none());
        assert_eq!(run("mkvdev -f -vdev hdisk2 -vadapter vhost0").1, 0);
    }

    #[test]
    fn bad_input_changes_nothing() {
        for (line, want) in [
            (
                "mkvdev -vdev hdisk9 -vadapter vhost0",
                "Device 'hdisk9' is not known.",
            ),
            (
                "mkvdev -vdev hdisk4 -vadapter ent2",
                "is not a Server Virtual SCSI Adapter",
            ),
            ("mkvdev -vdev hdisk0 -vadapter vhost0", "rootvg"),
            (
                "mkvdev -sea ent0 -vadapter ent2 -default ent2 -defaultid 1",
                "busy",
            ),
            (
                "mkvdev -sea ent1 -vadapter ent2 -default ent2 -defaultid 1",
                "busy",
            ),
            (
                "mkvdev -sea ent1 -vadapter ent3 -default ent3 -defaultid 99",
                "not a trunk",
            ),
            (
                "mkvdev -sea ent9 -vadapter ent2 -default ent2 -defaultid 1",
                "not known",
            ),
            ("mkvdev -fbo -vadapter vhost0", "mkrep"),
            ("mkvdev -vdev hdisk3", "Usage: mkvdev"),
            ("mkvdev -lnagg ent0", "busy"),
            ("mkvdev -lnagg ent9", "not known"),
            ("mkvdev -lnagg ent2", "not a physical Ethernet adapter"),
            ("mkvdev -lnagg ent1 -attr mode=fast", "0514-018"),
            ("mkvdev -lnagg ent1 -attr backup_adapter=ent0", "busy"),
            ("mkvdev -lnagg ent1 -attr speed=1", "speed"),
        ] {
            let (out, s, dev) = run(line);
            assert!(out.contains(want), "{line}: {out}");
            assert!(s != 0 && dev.is_none(), "{line}");
        }
    }

    #[test]
    fn free_ports_are_aggregated_and_the_aggregation_carries_an_sea() {
        let (out, s, dev) = run("mkvdev -lnagg ent1 -attr mode=8023ad");
        assert_eq!(s, 0, "{out}");
        let dev = dev.unwrap();
        let l = &dev.lnaggs[0];
        assert_eq!(
            (l.adapters.as_slice(), l.mode.as_str()),
            (&["ent1".to_string()][..], "8023ad")
        );
        let n = l.name.trim_start_matches("ent");
        assert_eq!(out, format!("{} Available\nen{n}\net{n}\n", l.name));
        crate::cmd::testenv::with_devices(dev.clone(), |env| {
            let (d, s) = crate::cmd::run(env, &format!("lsdev -dev {} -attr mode", l.name));
            assert_eq!((d.output.as_str(), s), ("value\n\n8023ad\n", 0));
            let (d, s) = crate::cmd::run(env, "mkvdev -lnagg ent1");
            assert!(s != 0 && d.output.contains("busy"), "{}", d.output);
        });
    }

    #[test]
    fn a_virtual_dvd_drive_once_a_repository_exists() {
        let (_, _, dev) = run("mkrep -sp rootvg -size 1G");
        let dev = testenv::with_devices(dev.unwrap(), |env| {
            let (d, s) = crate::cmd::run(env, "mkvdev -fbo -vadapter vhost0 -dev lnx01_dvd");
            assert_eq!((d.output.as_str(), s), ("lnx01_dvd Available\n", 0));
            for (line, want) in [
                ("mkvdev -fbo -vadapter vhost7", "not known"),
                ("mkvdev -fbo -vadapter ent2", "not a Server Virtual SCSI"),
                (
                    "mkvdev -fbo -vadapter vhost0 -dev vtscsi0",
                    "already the name",
                ),
                ("mkvdev -fbo", "Usage: mkvdev"),
            ] {
                let (e, s) = crate::cmd::run(env, line);
                assert!(e.output.contains(want) && s != 0, "{line}: {}", e.output);
                assert!(e.change.devices.is_none());
            }
            d.change.devices.unwrap()
        });
        assert_eq!(dev.optical[0].client_lpar_id, 4);
        testenv::with_devices(dev, |env| {
            let out = |line: &str| crate::cmd::run(env, line).0.output;
            let map = out("lsmap -vadapter vhost0");
            assert!(
                map.contains("VTD                   lnx01_dvd\nStatus                Available\nLUN                   0x8300000000000000\nBacking device        \nPhysloc               \nMirrored              N/A\n"),
                "{map}"
            );
            let only = out("lsmap -vadapter vhost0 -type file_opt -field vtd");
            assert_eq!(only, "VTD                   lnx01_dvd\n\n");
            let disks = out("lsmap -all -type disk -field vtd");
            assert!(!disks.contains("lnx01_dvd"), "{disks}");
            assert!(out("lsdev -virtual").contains("lnx01_dvd"));
            assert!(
                out("lsdev -dev lnx01_dvd -attr").contains("LogicalUnitAddr 0x8300000000000000")
            );
            assert!(out("lsdev -dev lnx01_dvd -parent").contains("vhost0"));
            assert!(out("rmrep").contains("uses it"));
            let (d, s) = crate::cmd::run(env, "rmvdev -vtd lnx01_dvd");
            assert_eq!((d.output.as_str(), s), ("lnx01_dvd deleted\n", 0));
            assert!(d.change.devices.unwrap().optical.is_empty());
        });
    }
}
