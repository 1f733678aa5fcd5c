//! `lsmap`: the VIOS's mappings, per server adapter. vSCSI (vhost → its
//! virtual target devices and their backing disks), NPIV (`-npiv`: vfchost
//! → physical port and the client's login) and network (`-net`: trunk
//! adapter → its SEA), for one adapter (`-vadapter`) or all (`-all`), in
//! blocks or, with `-fmt`, one delimited record per adapter (what
//! hmcscanner parses: `lsmap -all -fmt :`, `lsmap -all -npiv -fmt :`).

use super::args::{self, Arity};
use super::inventory::{self, Device, Inventory, Kind};
use super::table::{SELECT, Select};
use super::{CmdError, Command, Done, Env};
use pvmlab_common::model::VscsiMapping;

const USAGE: &str = "\
Usage: lsmap {-vadapter ServerVirtualAdapter | -plc PhysicalLocationCode | -all}
             [-type BackingDeviceType ... | -net | -npiv]
             [-field FieldName ...] [-fmt Delimiter]
       lsmap -ams {-vtd PagingDevice | -all} [-type BackingDeviceType ...]
             [-field FieldName ...] [-fmt Delimiter]";

const SPEC: args::Spec = &[
    ("-all", Arity::Flag),
    ("-vadapter", Arity::One),
    ("-npiv", Arity::Flag),
    ("-net", Arity::Flag),
    ("-type", Arity::Many),
    SELECT[0],
    SELECT[1],
];

const VSCSI_FIELDS: &[&str] = &[
    "svsa",
    "physloc",
    "clientid",
    "vtd",
    "status",
    "lun",
    "backing",
    "bdphysloc",
    "mirrored",
];
const VSCSI_LABELS: &[&str] = &[
    "SVSA",
    "Physloc",
    "Client Partition ID",
    "VTD",
    "Status",
    "LUN",
    "Backing device",
    "Physloc",
    "Mirrored",
];
const NPIV_FIELDS: &[&str] = &[
    "name",
    "physloc",
    "clntid",
    "clntname",
    "clntos",
    "status",
    "fc",
    "fcphysloc",
    "ports",
    "flags",
    "vfcclient",
    "vfcclientdrc",
];
const NET_FIELDS: &[&str] = &["svea", "physloc", "sea", "backing", "bdphysloc"];
const NET_LABELS: &[&str] = &["SVEA", "Physloc", "SEA", "Backing device", "Physloc"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kindof {
    Vscsi,
    Npiv,
    Net,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lsmap {
    /// One server adapter, or all of them.
    pub vadapter: Option<String>,
    pub kind: Kindof,
    /// `-type`: the backing device types listed (empty: every one).
    pub types: Vec<String>,
    pub sel: Select,
}

impl Command for Lsmap {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(SPEC, words, 0, USAGE)?;
        let vadapter = a.one("-vadapter").map(str::to_string);
        if a.has("-all") == vadapter.is_some() {
            return Err(CmdError::Usage(USAGE));
        }
        let kind = match (a.has("-npiv"), a.has("-net"), a.has("-type")) {
            (false, false, _) => Kindof::Vscsi,
            (true, false, false) => Kindof::Npiv,
            (false, true, false) => Kindof::Net,
            _ => return Err(CmdError::Usage(USAGE)),
        };
        let types = a.values("-type").unwrap_or_default().to_vec();
        for t in &types {
            if ![
                "disk",
                "lv",
                "optical",
                "tape",
                "file",
                "file_disk",
                "file_opt",
                "cl_disk",
            ]
            .contains(&t.as_str())
            {
                return Err(CmdError::BadValue("type", t.clone()));
            }
        }
        let sel = Select::from(&a);
        let fields = match kind {
            Kindof::Vscsi => VSCSI_FIELDS,
            Kindof::Npiv => NPIV_FIELDS,
            Kindof::Net => NET_FIELDS,
        };
        if let Some(f) = &sel.fields
            && f.iter()
                .any(|f| !fields.contains(&f.to_lowercase().as_str()))
        {
            return Err(CmdError::Usage(USAGE));
        }
        Ok(Lsmap {
            vadapter,
            kind,
            types,
            sel,
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        let wanted = |d: &Device| self.vadapter.as_deref().is_none_or(|v| v == d.name);
        if let Some(v) = &self.vadapter {
            let d = inv.get(v).ok_or_else(|| CmdError::NotKnown(v.clone()))?;
            let fits = match self.kind {
                Kindof::Vscsi => matches!(d.kind, Kind::Vhost { .. }),
                Kindof::Npiv => matches!(d.kind, Kind::Vfchost(_)),
                Kindof::Net => matches!(&d.kind, Kind::VirtEnt { a, .. } if a.trunk_priority > 0),
            };
            if !fits {
                return Err(match self.kind {
                    Kindof::Vscsi => CmdError::NotSvsa(v.clone()),
                    Kindof::Npiv => CmdError::NotVfchost(v.clone()),
                    Kindof::Net => CmdError::NotSvea(v.clone()),
                });
            }
        }
        let records: Vec<Vec<Vec<String>>> = inv
            .devices
            .iter()
            .filter(|d| wanted(d))
            .filter_map(|d| match (self.kind, &d.kind) {
                (Kindof::Vscsi, Kind::Vhost { client, .. }) => {
                    Some(vscsi(env, &inv, d, *client, &self.types))
                }
                (Kindof::Npiv, Kind::Vfchost(_)) => Some(npiv(env, d)),
                (Kindof::Net, Kind::VirtEnt { a, .. }) if a.trunk_priority > 0 => {
                    Some(net(&inv, d))
                }
                _ => None,
            })
            .collect();
        let (fields, labels, head) = match self.kind {
            Kindof::Vscsi => (VSCSI_FIELDS, VSCSI_LABELS, 3),
            Kindof::Net => (NET_FIELDS, NET_LABELS, 2),
            Kindof::Npiv => (NPIV_FIELDS, NPIV_FIELDS, 5),
        };
        let chosen: Vec<usize> = match &self.sel.fields {
            None => (0..fields.len()).collect(),
            Some(f) => f
                .iter()
                .filter_map(|n| fields.iter().position(|x| x.eq_ignore_ascii_case(n)))
                .collect(),
        };
        // A record is its adapter's fields, then one group per mapped
        // device; `-fmt` joins them all, in that order.
        let mut out = String::new();
        if let Some(delim) = &self.sel.fmt {
            for rec in &records {
                let mut vals = Vec::new();
                for group in rec {
                    for &c in &chosen {
                        let Some(v) = group_value(group, c, head) else {
                            continue;
                        };
                        vals.push(if v.is_empty() {
                            " ".to_string()
                        } else {
                            v.clone()
                        });
                    }
                }
                out.push_str(&vals.join(delim));
                out.push('\n');
            }
            return Ok(out.into());
        }
        for rec in &records {
            match (self.kind, &self.sel.fields) {
                (Kindof::Npiv, None) => out.push_str(&npiv_block(rec)),
                (_, None) => out.push_str(&block(rec, labels, head)),
                (_, Some(_)) => {
                    for group in rec {
                        let mut any = false;
                        for &c in &chosen {
                            if let Some(v) = group_value(group, c, head) {
                                out.push_str(&format!("{:<22}{v}\n", labels[c]));
                                any = true;
                            }
                        }
                        if any {
                            out.push('\n');
                        }
                    }
                }
            }
        }
        Ok(out.into())
    }
}

/// Field `c` of a group: the adapter's fields are the first `head`, a
/// mapped device's the rest.
fn group_value(group: &[String], c: usize, head: usize) -> Option<&String> {
    let first = group.first().is_some_and(|g| g == HEAD);
    match (first, c < head) {
        (true, true) => group.get(c + 1),
        (false, false) => group.get(c - head),
        _ => None,
    }
}

/// Marks the adapter's group among its records' groups.
const HEAD: &str = "\u{0}head";

/// Whether `-type` lists a backing device of this type (disk, file_opt).
fn listed(types: &[String], ty: &str) -> bool {
    types.is_empty() || types.iter().any(|t| t == ty)
}

fn vscsi(
    env: &Env<'_>,
    inv: &Inventory,
    d: &Device,
    client: u32,
    types: &[String],
) -> Vec<Vec<String>> {
    let mut rec = vec![vec![
        HEAD.to_string(),
        d.name.clone(),
        d.physloc.clone(),
        format!("0x{client:08x}"),
    ]];
    let vtds: Vec<&VscsiMapping> = env.dev.vscsi.iter().filter(|m| m.vhost == d.name).collect();
    for (i, m) in vtds.iter().enumerate() {
        if !listed(types, "disk") {
            break;
        }
        let bdloc = inv
            .get(&m.backing)
            .map(|b| b.physloc.clone())
            .unwrap_or_default();
        rec.push(vec![
            m.vtd.clone(),
            "Available".into(),
            format!("0x{:x}00000000000000", 0x81 + i),
            m.backing.clone(),
            bdloc,
            "false".into(),
        ]);
    }
    // File-backed optical devices follow, with no backing device until
    // media is loaded.
    for dev in &inv.devices {
        if let Kind::Vtopt(o, lun) = &dev.kind
            && o.vhost == d.name
            && listed(types, "file_opt")
        {
            rec.push(vec![
                o.vtd.clone(),
                "Available".into(),
                format!("0x{lun:x}00000000000000"),
                String::new(),
                String::new(),
                "N/A".into(),
            ]);
        }
    }
    if rec.len() == 1 {
        rec.push(vec![String::new(); 6]);
    }
    rec
}

fn block(rec: &[Vec<String>], labels: &[&str], head: usize) -> String {
    let mut out = String::new();
    for group in rec {
        if group.first().is_some_and(|g| g == HEAD) {
            let (h1, h2) = if head == 3 {
                (
                    "SVSA            Physloc                                      Client Partition ID\n",
                    "--------------- -------------------------------------------- ------------------\n",
                )
            } else {
                (
                    "SVEA   Physloc\n",
                    "------ --------------------------------------------\n",
                )
            };
            out.push_str(h1);
            out.push_str(h2);
            if head == 3 {
                out.push_str(&format!("{:<16}{:<45}{}\n\n", group[1], group[2], group[3]));
            } else {
                out.push_str(&format!("{:<7}{}\n\n", group[1], group[2]));
            }
            continue;
        }
        if group.iter().all(String::is_empty) {
            out.push_str(if head == 3 {
                "VTD                   NO VIRTUAL TARGET DEVICE FOUND\n\n"
            } else {
                "SEA                   NO SHARED ETHERNET ADAPTER FOUND\n\n"
            });
            continue;
        }
        for (i, v) in group.iter().enumerate() {
            out.push_str(&format!("{:<22}{v}\n", labels[head + i]));
        }
        out.push('\n');
    }
    out
}

fn net(inv: &Inventory, d: &Device) -> Vec<Vec<String>> {
    let mut rec = vec![vec![HEAD.to_string(), d.name.clone(), d.physloc.clone()]];
    let sea = inv.devices.iter().find_map(|s| match &s.kind {
        Kind::Sea(x) if x.virt_adapters.contains(&d.name) => Some(x),
        _ => None,
    });
    match sea {
        Some(s) => rec.push(vec![
            s.name.clone(),
            s.real_adapter.clone(),
            inv.get(&s.real_adapter)
                .map(|r| r.physloc.clone())
                .unwrap_or_default(),
        ]),
        None => rec.push(vec![String::new(); 3]),
    }
    rec
}

fn npiv(env: &Env<'_>, d: &Device) -> Vec<Vec<String>> {
    let Kind::Vfchost(m) = &d.kind else {
        return Vec::new();
    };
    let c = env.clients.iter().find(|c| c.lpar_id == m.client_lpar_id);
    let logged = c.filter(|c| c.running);
    let site = env.site;
    let port: u32 = m.fcs.trim_start_matches("fcs").parse().unwrap_or(0);
    // The client's own name for its adapter, by its place among this
    // client's adapters on this VIOS.
    let nth = env
        .dev
        .npiv
        .iter()
        .filter(|x| x.client_lpar_id == m.client_lpar_id && x.client_slot < m.client_slot)
        .count();
    let (name, os, status, ports, flags, vfc, drc) = match logged {
        Some(c) => (
            c.name.clone(),
            c.os.clone(),
            "LOGGED_IN",
            "1",
            "a<LOGGED_IN,STRIP_MERGE>",
            if c.os == "Linux" {
                format!("host{nth}")
            } else {
                format!("fcs{nth}")
            },
            format!("{}-T1", site.loc(m.client_lpar_id, m.client_slot)),
        ),
        None => (
            String::new(),
            String::new(),
            "NOT_LOGGED_IN",
            "0",
            "4<NOT_LOGGED>",
            String::new(),
            String::new(),
        ),
    };
    vec![
        vec![
            HEAD.to_string(),
            d.name.clone(),
            d.physloc.clone(),
            m.client_lpar_id.to_string(),
            name,
            os,
        ],
        vec![
            status.into(),
            m.fcs.clone(),
            inventory::fcs_loc(site, port),
            ports.into(),
            flags.into(),
            vfc,
            drc,
        ],
    ]
}

/// The NPIV block, in seed 002's layout.
fn npiv_block(rec: &[Vec<String>]) -> String {
    let (Some(h), Some(g)) = (rec.first(), rec.get(1)) else {
        return String::new();
    };
    let mut out = String::new();
    out.push_str("Name        Physloc                           ClntID  ClntName     ClntOS\n");
    out.push_str("----------- --------------------------------- ------- ------------ ------\n");
    out.push_str(&format!(
        "{:<12}{:<37}{:<7}{:<13}{}\n\n",
        h[1], h[2], h[3], h[4], h[5]
    ));
    out.push_str(&format!("Status:{}\n", g[0]));
    out.push_str(&format!("FC name:{:<23}FC  loc code:{}\n", g[1], g[2]));
    out.push_str(&format!("Ports logged in:{}\n", g[3]));
    out.push_str(&format!("Flags:{}\n", g[4]));
    out.push_str(&format!(
        "VFC client name:{:<16}VFC client DRC:{}\n\n",
        g[5], g[6]
    ));
    out
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv::run;

    #[test]
    fn vscsi_blocks_list_every_vtd_of_a_vhost() {
        let (out, s) = run("lsmap -all");
        assert_eq!(s, 0);
        assert!(out.starts_with("SVSA            Physloc                                      Client Partition ID\n--------------- -------------------------------------------- ------------------\nvhost0          U8286.42A.21A5E8V-V1-C13                     0x00000004\n\nVTD                   vtscsi0\nStatus                Available\nLUN                   0x8100000000000000\nBacking device        hdisk2\nPhysloc               U78C9.001.21A5E8V-P2-C1-T1-W500507680140F32C-L3E5000000000000\nMirrored              false\n\nVTD                   vtscsi1\n"), "{out}");
        assert_eq!(out.matches("SVSA").count(), 1);
        assert!(out.contains("LUN                   0x8200000000000000\n"));
    }

    #[test]
    fn fmt_gives_hmcscanners_records() {
        let (out, _) = run("lsmap -all -fmt :");
        let rec: Vec<&str> = out.trim_end().split(':').collect();
        assert_eq!(rec.len(), 3 + 2 * 6, "{out}");
        assert_eq!(
            &rec[..4],
            &[
                "vhost0",
                "U8286.42A.21A5E8V-V1-C13",
                "0x00000004",
                "vtscsi0"
            ]
        );
        assert_eq!(rec[8], "false");
        let (npiv, _) = run("lsmap -all -npiv -fmt :");
        let rec: Vec<&str> = npiv.trim_end().split(':').collect();
        assert_eq!(rec.len(), 12, "{npiv}");
        assert_eq!(
            rec,
            vec![
                "vfchost0",
                "U8286.42A.21A5E8V-V1-C23",
                "3",
                "lnx01",
                "Linux",
                "LOGGED_IN",
                "fcs0",
                "U78C9.001.21A5E8V-P2-C1-T1",
                "1",
                "a<LOGGED_IN,STRIP_MERGE>",
                "host0",
                "U8286.42A.21A5E8V-V3-C5-T1"
            ]
        );
        assert_eq!(
            run("lsmap -vadapter vhost0 -field vtd -fmt :").0,
            "vtscsi0:vtscsi1\n"
        );
        assert_eq!(
            run("lsmap -all -type disk -field vtd backing").0,
            "VTD                   vtscsi0\nBacking device        hdisk2\n\nVTD                   vtscsi1\nBacking device        hdisk3\n\n"
        );
    }

    #[test]
    fn npiv_and_net_blocks() {
        let (npiv, _) = run("lsmap -vadapter vfchost0 -npiv");
        assert!(npiv.starts_with("Name        Physloc                           ClntID  ClntName     ClntOS\n----------- --------------------------------- ------- ------------ ------\nvfchost0    U8286.42A.21A5E8V-V1-C23             3      lnx01        Linux\n\nStatus:LOGGED_IN\nFC name:fcs0                   FC  loc code:U78C9.001.21A5E8V-P2-C1-T1\n"), "{npiv}");
        let (net, _) = run("lsmap -all -net");
        assert_eq!(
            net,
            "SVEA   Physloc\n------ --------------------------------------------\nent2   U8286.42A.21A5E8V-V1-C2-T1\n\nSEA                   ent5\nBacking device        ent0\nPhysloc               U78C9.001.21A5E8V-P1-C1-T1\n\n"
        );
        assert_eq!(
            run("lsmap -all -net -field sea backing -fmt :").0,
            "ent5:ent0\n"
        );
    }

    #[test]
    fn bad_input() {
        assert_eq!(
            run("lsmap -vadapter ent0").0,
            "Device \"ent0\" is not a Server Virtual SCSI Adapter (SVSA).\n"
        );
        assert_eq!(
            run("lsmap -vadapter vhost9").0,
            "Device 'vhost9' is not known.\n"
        );
        for bad in [
            "lsmap",
            "lsmap -all -vadapter vhost0",
            "lsmap -all -npiv -net",
            "lsmap -all -field bogus",
        ] {
            assert_eq!(run(bad).1, 2, "{bad}");
        }
    }
}
