//! `lsdev`: the VIOS's devices (from [`super::inventory`]): all of them,
//! by type (`-type adapter|disk|sea …`), the virtual ones (`-virtual`),
//! one device (`-dev`), its attributes (`-attr [name]`), or the vital
//! product data (`-vpd`), with `-field` and `-fmt` as every listing.

use super::args::{self, Arity};
use super::inventory::{Class, Device, Inventory, Kind};
use super::table::{SELECT, Select, Table};
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "\
Usage: lsdev [-type DeviceType ...] [-virtual] [-state DeviceState]
             [-field FieldName ...] [-fmt Delimiter]
       lsdev {-dev DeviceName | -plc PhysicalLocationCode} [-child]
             [-field FieldName ...] [-fmt Delimiter]
       lsdev {-dev DeviceName | -plc PhysicalLocationCode} [-parent]
             [-field FieldName ...] [-fmt Delimiter]
       lsdev {-dev DeviceName | -plc PhysicalLocationCode} [-attr [Attribute] | -range Attribute | -slot | -vpd]
       lsdev -slots
       lsdev -vpd";

const SPEC: args::Spec = &[
    ("-type", Arity::Many),
    ("-virtual", Arity::Flag),
    ("-state", Arity::One),
    ("-dev", Arity::One),
    ("-attr", Arity::Any),
    ("-vpd", Arity::Flag),
    ("-slots", Arity::Flag),
    ("-child", Arity::Flag),
    ("-parent", Arity::Flag),
    SELECT[0],
    SELECT[1],
];

/// The device types `-type` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Adapter,
    Disk,
    Sea,
    /// Physical Ethernet adapters no SEA uses yet.
    Ent4sea,
    /// Trunk virtual Ethernet adapters no SEA uses yet.
    Vent4sea,
    /// Adapters an IP address can go on: SEAs and Ethernet adapters that
    /// no SEA uses.
    Ent4ip,
    /// A type the VIOS knows but has none of here (lv, optical, tape …).
    None,
}

impl Type {
    fn parse(s: &str) -> Result<Type, CmdError> {
        Ok(match s {
            "adapter" => Type::Adapter,
            "disk" => Type::Disk,
            "sea" => Type::Sea,
            "ent4sea" => Type::Ent4sea,
            "vent4sea" => Type::Vent4sea,
            "ent4ip" => Type::Ent4ip,
            "lv" | "optical" | "tape" | "tape4vtd" | "tty" | "usb_disk" | "disk4vtd" | "lv4vtd"
            | "optical4vtd" | "ent4vtd" => Type::None,
            _ => return Err(CmdError::BadValue("type", s.to_string())),
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Lsdev {
    List {
        types: Vec<Type>,
        virt: bool,
        state: Option<String>,
        sel: Select,
    },
    Dev {
        dev: String,
        sel: Select,
    },
    /// `-attr`: every attribute, or the one named.
    Attr {
        dev: String,
        attr: Option<String>,
        sel: Select,
    },
    Vpd {
        dev: Option<String>,
    },
    /// `-slots`: the I/O slots, physical and virtual, and their devices.
    Slots,
    Parent {
        dev: String,
        child: bool,
        sel: Select,
    },
}

impl Command for Lsdev {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(SPEC, words, 0, USAGE)?;
        let sel = Select::from(&a);
        let dev = a.one("-dev").map(str::to_string);
        let only = |allowed: &[&str]| a.given().all(|f| allowed.contains(&f));
        let select = ["-field", "-fmt"];
        if a.has("-slots") {
            if a.given().count() > 1 {
                return Err(CmdError::Usage(USAGE));
            }
            return Ok(Lsdev::Slots);
        }
        if a.has("-vpd") {
            if !only(&["-vpd", "-dev"]) {
                return Err(CmdError::Usage(USAGE));
            }
            return Ok(Lsdev::Vpd { dev });
        }
        match dev {
            Some(dev) if a.has("-attr") => {
                if !only(&["-dev", "-attr", "-field", "-fmt"]) {
                    return Err(CmdError::Usage(USAGE));
                }
                let attr = match a.values("-attr").unwrap_or_default() {
                    [] => None,
                    [one] => Some(one.clone()),
                    _ => return Err(CmdError::Usage(USAGE)),
                };
                Ok(Lsdev::Attr { dev, attr, sel })
            }
            Some(dev) if a.has("-child") || a.has("-parent") => {
                if a.has("-child") == a.has("-parent")
                    || !only(&["-dev", "-child", "-parent", select[0], select[1]])
                {
                    return Err(CmdError::Usage(USAGE));
                }
                Ok(Lsdev::Parent {
                    dev,
                    child: a.has("-child"),
                    sel,
                })
            }
            Some(dev) => {
                if !only(&["-dev", select[0], select[1]]) {
                    return Err(CmdError::Usage(USAGE));
                }
                Ok(Lsdev::Dev { dev, sel })
            }
            None => {
                if a.has("-attr") || a.has("-child") || a.has("-parent") {
                    return Err(CmdError::Usage(USAGE));
                }
                let types = a
                    .values("-type")
                    .unwrap_or_default()
                    .iter()
                    .map(|t| Type::parse(t))
                    .collect::<Result<_, _>>()?;
                let state = match a.one("-state") {
                    None => None,
                    Some(s @ ("Available" | "Defined" | "Stopped")) => Some(s.to_string()),
                    Some(s) => return Err(CmdError::BadValue("state", s.to_string())),
                };
                Ok(Lsdev::List {
                    types,
                    virt: a.has("-virtual"),
                    state,
                    sel,
                })
            }
        }
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        let find = |d: &str| inv.get(d).ok_or_else(|| CmdError::NotKnown(d.to_string()));
        Ok(match self {
            Lsdev::List {
                types,
                virt,
                state,
                sel,
            } => {
                let rows = inv
                    .devices
                    .iter()
                    .filter(|d| !virt || d.virt)
                    .filter(|d| state.as_deref().is_none_or(|s| s == d.status))
                    .filter(|d| types.is_empty() || types.iter().any(|t| is_type(&inv, d, *t)))
                    .collect();
                devices(rows, &sel)?
            }
            Lsdev::Dev { dev, sel } => devices(vec![find(&dev)?], &sel)?,
            Lsdev::Parent { dev, child, sel } => {
                let d = find(&dev)?;
                let rows = if child {
                    inv.devices
                        .iter()
                        .filter(|c| parent(&inv, c).is_some_and(|p| p.name == d.name))
                        .collect()
                } else {
                    parent(&inv, d).into_iter().collect()
                };
                devices(rows, &sel)?
            }
            Lsdev::Attr { dev, attr, sel } => {
                let d = find(&dev)?;
                let all = super::attrs::attrs(&inv, env.site, d);
                match attr {
                    Some(name) => {
                        let a = all
                            .iter()
                            .find(|a| a.name == name)
                            .ok_or(CmdError::NoAttribute(name))?;
                        Table {
                            fields: &["value"],
                            headers: &["value"],
                            widths: None,
                            gap: true,
                            rows: vec![vec![a.value.clone()]],
                        }
                        .render(&sel, USAGE)?
                    }
                    None => Table {
                        fields: &["attribute", "value", "description", "user_settable"],
                        headers: &["attribute", "value", "description", "user_settable"],
                        widths: None,
                        gap: true,
                        rows: all
                            .into_iter()
                            .map(|a| {
                                vec![
                                    a.name.to_string(),
                                    a.value,
                                    a.description.to_string(),
                                    a.settable.to_string(),
                                ]
                            })
                            .collect(),
                    }
                    .render(&sel, USAGE)?,
                }
            }
            Lsdev::Slots => slots(&inv),
            Lsdev::Vpd { dev: Some(d) } => vpd(find(&d)?),
            Lsdev::Vpd { dev: None } => {
                let mut out = String::from(
                    "INSTALLED RESOURCE LIST WITH VPD\n\nThe following resources are installed on your machine.\n\n  Model Architecture: chrp\n  Model Implementation: Multiple Processor, PCI bus\n\n",
                );
                for d in &inv.devices {
                    out.push_str(&vpd(d));
                }
                out
            }
        }
        .into())
    }
}

fn devices(rows: Vec<&Device>, sel: &Select) -> Result<String, CmdError> {
    Table {
        fields: &["name", "status", "description", "physloc"],
        headers: &["name", "status", "description", "physloc"],
        widths: Some(&[17, 12, 0, 0]),
        gap: false,
        rows: rows
            .into_iter()
            .map(|d| {
                vec![
                    d.name.clone(),
                    d.status.to_string(),
                    d.description.clone(),
                    d.physloc.clone(),
                ]
            })
            .collect(),
    }
    .render(
        &Select {
            // Without -field the listing has its three columns.
            fields: sel
                .fields
                .clone()
                .or_else(|| Some(vec!["name".into(), "status".into(), "description".into()])),
            fmt: sel.fmt.clone(),
        },
        USAGE,
    )
}

fn in_sea(inv: &Inventory, name: &str) -> bool {
    inv.devices.iter().any(|s| {
        matches!(&s.kind, Kind::Sea(x) if x.real_adapter == name || x.virt_adapters.iter().any(|v| v == name))
    })
}

fn is_type(inv: &Inventory, d: &Device, t: Type) -> bool {
    match t {
        Type::Adapter => d.class == Class::Adapter,
        Type::Disk => d.class == Class::Disk,
        Type::Sea => matches!(d.kind, Kind::Sea(_)),
        Type::Ent4sea => matches!(d.kind, Kind::PhysEnt { .. }) && !in_sea(inv, &d.name),
        Type::Vent4sea => {
            matches!(&d.kind, Kind::VirtEnt { a, .. } if a.trunk_priority > 0)
                && !in_sea(inv, &d.name)
        }
        Type::Ent4ip => {
            matches!(d.kind, Kind::Sea(_))
                || (matches!(d.kind, Kind::PhysEnt { .. } | Kind::VirtEnt { .. })
                    && !in_sea(inv, &d.name))
        }
        Type::None => false,
    }
}

/// The device a device hangs from, where the VIOS shows one.
fn parent<'a>(inv: &'a Inventory, d: &Device) -> Option<&'a Device> {
    let name = match &d.kind {
        Kind::Disk(k) if k.lun.is_some() => "fscsi0".to_string(),
        Kind::Disk(_) => "sissas0".to_string(),
        Kind::Fscsi | Kind::Fcnet => format!(
            "fcs{}",
            d.name.trim_start_matches(|c: char| c.is_alphabetic())
        ),
        Kind::Vtd(m) => m.vhost.clone(),
        Kind::Vtopt(o, _) => o.vhost.clone(),
        _ => return None,
    };
    inv.get(&name)
}

/// The slots the VIOS's adapters sit in: a card's ports share its slot.
fn slots(inv: &Inventory) -> String {
    let mut rows: Vec<(String, &str, Vec<String>)> = Vec::new();
    for d in &inv.devices {
        let slot = match &d.kind {
            Kind::PhysEnt { .. } | Kind::Fcs { .. } | Kind::VirtEnt { .. } => d
                .physloc
                .rsplit_once("-T")
                .map_or(d.physloc.as_str(), |x| x.0),
            Kind::Sas | Kind::Vhost { .. } | Kind::Vfchost(_) => d.physloc.as_str(),
            Kind::Other if d.name == "vsa0" => d.physloc.as_str(),
            _ => continue,
        };
        let desc = if d.virt {
            "Virtual I/O Slot"
        } else {
            "PCI-E capable, Rev 2 slot with 8x lanes"
        };
        match rows.iter_mut().find(|r| r.0 == slot) {
            Some(r) => r.2.push(d.name.clone()),
            None => rows.push((slot.to_string(), desc, vec![d.name.clone()])),
        }
    }
    // Physical slots first, then the virtual ones by slot number.
    rows.sort_by_key(|r| {
        let virt = r.0.contains("-V");
        let n: u32 =
            r.0.rsplit_once("-C")
                .and_then(|x| x.1.parse().ok())
                .unwrap_or(0);
        (virt, if virt { String::new() } else { r.0.clone() }, n)
    });
    Table {
        fields: &["slot", "description", "devices"],
        headers: &["# Slot", "Description", "Device(s)"],
        widths: None,
        gap: false,
        rows: rows
            .into_iter()
            .map(|(s, d, n)| vec![s, d.to_string(), n.join(" ")])
            .collect(),
    }
    .render(&Select::default(), USAGE)
    .unwrap_or_default()
}

/// A device's vital product data, as `lsdev -vpd` prints it.
fn vpd(d: &Device) -> String {
    let mut out = format!("  {:<16} {:<27} {}\n", d.name, d.physloc, d.description);
    let field = |k: &str, v: &str| format!("        {k:.<28}{v}\n");
    let detail: Vec<String> = match &d.kind {
        Kind::PhysEnt { mac, .. } => vec![
            field("Part Number", "46Y3512"),
            field("FRU Number", "46Y3512"),
            field("EC Level", "D76809"),
            field("Manufacture ID", "YL1021"),
            field("Network Address", mac),
            field("ROM Level.(alterable)", "EP0140"),
            field("Hardware Location Code", &d.physloc),
        ],
        Kind::VirtEnt { mac, .. } => vec![
            field("Network Address", mac),
            field("Displayable Message", &d.description),
            field("Hardware Location Code", &d.physloc),
        ],
        Kind::Fcs { wwpn, .. } => vec![
            field("Part Number", "10N9824"),
            field("Serial Number", "1B84405E9C"),
            field("Manufacturer", "001B"),
            field("EC Level", "D77040"),
            field("Customer Card ID Number", "577D"),
            field("FRU Number", "10N9824"),
            field("Network Address", wwpn),
            field("ROS Level and ID", "027820B7"),
            field("Device Specific.(Z0)", "31004549"),
            field("Hardware Location Code", &d.physloc),
        ],
        Kind::Disk(k) if k.lun.is_some() => vec![
            field("Manufacturer", "IBM"),
            field("Machine Type and Model", "2145"),
            field("ROS Level and ID", "0000"),
            field("Device Specific.(Z0)", "0000063268181002"),
            field("Device Specific.(Z1)", "0200646"),
            field("Serial Number", &format!("60050768{:0>24X}", k.lun_number)),
        ],
        Kind::Disk(_) => vec![
            field("Manufacturer", "IBM"),
            field("Machine Type and Model", "ST9300653SS"),
            field("FRU Number", "74Y6487"),
            field("ROS Level and ID", "42353743"),
            field("Serial Number", "6XN4HJ2Q"),
            field("Hardware Location Code", &d.physloc),
        ],
        _ => Vec::new(),
    };
    if !detail.is_empty() {
        out.push('\n');
        out.push_str(&format!("        {}:\n", d.description));
        for l in detail {
            out.push_str(&l);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv::run;

    #[test]
    fn lists_devices_in_the_vioss_columns() {
        let (out, s) = run("lsdev -type adapter");
        assert_eq!(s, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "name             status      description");
        assert_eq!(
            lines[1],
            "ent0             Available   2-Port 10/100/1000 Base-TX PCI-Express Adapter (14104003)"
        );
        assert!(lines.contains(&"ent5             Available   Shared Ethernet Adapter"));
        assert!(lines.contains(&"vhost0           Available   Virtual SCSI Server Adapter"));
        assert!(!out.contains("hdisk"));
        let (disks, _) = run("lsdev -type disk");
        assert!(disks.contains("hdisk2           Available   MPIO IBM 2145 FC Disk\n"));
        assert!(disks.contains("hdisk0           Available   SAS Disk Drive\n"));
        let (virt, _) = run("lsdev -virtual");
        assert!(virt.contains("vtscsi0") && virt.contains("vasi0") && !virt.contains("fcs0"));
        let (all, _) = run("lsdev");
        assert!(all.contains("\nfcs1 ") && all.contains("\nproc0 ") && all.contains("\nsys0 "));
    }

    #[test]
    fn fmt_and_field_choose_the_layout() {
        assert_eq!(
            run("lsdev -type sea -fmt :").0,
            "ent5:Available:Shared Ethernet Adapter\n"
        );
        assert_eq!(
            run("lsdev -dev fcs0 -field name physloc -fmt ,").0,
            "fcs0,U78C9.001.21A5E8V-P2-C1-T1\n"
        );
        assert_eq!(
            run("lsdev -type vent4sea").0,
            "name             status      description\n"
        );
        assert_eq!(run("lsdev -type ent4sea -field name -fmt :").0, "ent1\n");
    }

    #[test]
    fn attributes_of_a_disk_an_sea_and_a_processor() {
        assert_eq!(
            run("lsdev -dev hdisk2 -attr reserve_policy").0,
            "value\n\nno_reserve\n"
        );
        let (all, _) = run("lsdev -dev hdisk2 -attr");
        let lines: Vec<&str> = all.lines().collect();
        assert!(lines[0].starts_with("attribute       value"), "{all}");
        assert_eq!(lines[1], "");
        assert!(
            all.contains("\nunique_id       332136005076801000000000000000104214503IBMfcp "),
            "{all}"
        );
        let (sea, _) = run("lsdev -attr -dev ent5");
        for (k, v) in [
            ("ctl_chan", "ent3"),
            ("ha_mode", "auto"),
            ("real_adapter", "ent0"),
            ("virt_adapters", "ent2"),
            ("pvid", "1"),
        ] {
            assert!(
                sea.lines().any(|l| l.split_whitespace().take(2).eq([k, v])),
                "{k}: {sea}"
            );
        }
        let (proc0, _) = run("lsdev -dev proc0 -attr");
        assert!(
            proc0
                .lines()
                .any(|l| l.split_whitespace().take(2).eq(["frequency", "3525000000"])),
            "{proc0}"
        );
        assert!(
            proc0
                .lines()
                .any(|l| l.split_whitespace().take(2).eq(["type", "PowerPC_POWER8"]))
        );
    }

    #[test]
    fn vpd_shows_locations_and_network_addresses() {
        let (vpd, _) = run("lsdev -vpd");
        assert!(
            vpd.contains("\n  ent0             U78C9.001.21A5E8V-P1-C1-T1  2-Port"),
            "{vpd}"
        );
        assert!(
            vpd.contains("\n  ent2             U8286.42A.21A5E8V-V1-C2-T1  Virtual I/O"),
            "{vpd}"
        );
        let (fcs, _) = run("lsdev -dev fcs0 -vpd");
        assert!(
            fcs.lines().any(|l| l
                .trim_start()
                .starts_with("Network Address.............10000090FA")),
            "{fcs}"
        );
    }

    #[test]
    fn slots_group_a_cards_ports() {
        let (out, _) = run("lsdev -slots");
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("# Slot "), "{out}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("U78C9.001.21A5E8V-P1-C1 ") && l.ends_with(" ent0 ent1")),
            "{out}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("U78C9.001.21A5E8V-P2-C1 ") && l.ends_with(" fcs0 fcs1")),
            "{out}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("U8286.42A.21A5E8V-V1-C13 ")
                    && l.contains("Virtual I/O Slot")
                    && l.ends_with(" vhost0")),
            "{out}"
        );
        assert_eq!(run("lsdev -slots -virtual").1, 2);
    }

    #[test]
    fn parents_and_children() {
        assert_eq!(
            run("lsdev -dev hdisk2 -parent -field name -fmt :").0,
            "fscsi0\n"
        );
        assert_eq!(
            run("lsdev -dev vhost0 -child -field name -fmt :").0,
            "vtscsi0\nvtscsi1\n"
        );
    }

    #[test]
    fn bad_input_gets_the_vioss_messages() {
        assert_eq!(
            run("lsdev -dev hdisk99"),
            ("Device 'hdisk99' is not known.\n".into(), 1)
        );
        let (e, s) = run("lsdev -dev hdisk2 -attr bogus");
        assert_eq!(s, 1);
        assert!(
            e.contains("0514-528 The \"bogus\" attribute does not exist"),
            "{e}"
        );
        assert_eq!(
            run("lsdev -type bogus").0,
            "The value \"bogus\" is not valid for the -type flag.\n"
        );
        assert_eq!(run("lsdev -bogus").1, 2);
        assert_eq!(run("lsdev -attr").1, 2);
        assert_eq!(run("lsdev -dev hdisk2 -attr a b").1, 2);
    }
}
