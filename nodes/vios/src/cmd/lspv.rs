//! `lspv`: the VIOS's physical volumes (its internal disks and the SAN
//! LUNs it sees), with their PVIDs (the same LUN has the same PVID on every
//! VIOS), volume groups and sizes. `-size`, `-free` (not in a volume group
//! and not backing a virtual target device) and `-avail` (not in a volume
//! group) are hmcscanner's `lspv -size -fmt :` and `lspv -free -fmt :`.

use super::args::{self, Arity};
use super::inventory::{Disk, Inventory};
use super::table::{SELECT, Select, Table};
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "\
Usage: lspv [-avail | -free | -size] [-field FieldName ...] [-fmt Delimiter]
       lspv {-lv | -pv | -map} PhysicalVolume
       lspv PhysicalVolume";

const SPEC: args::Spec = &[
    ("-avail", Arity::Flag),
    ("-free", Arity::Flag),
    ("-size", Arity::Flag),
    SELECT[0],
    SELECT[1],
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    All,
    Size,
    Free,
    Avail,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Lspv {
    List {
        which: Which,
        sel: Select,
    },
    /// One physical volume's details.
    One(String),
}

impl Command for Lspv {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(SPEC, words, 1, USAGE)?;
        let which: Vec<Which> = [
            ("-size", Which::Size),
            ("-free", Which::Free),
            ("-avail", Which::Avail),
        ]
        .into_iter()
        .filter(|(f, _)| a.has(f))
        .map(|(_, w)| w)
        .collect();
        if let Some(pv) = a.operands.first() {
            if a.given().next().is_some() {
                return Err(CmdError::Usage(USAGE));
            }
            return Ok(Lspv::One(pv.clone()));
        }
        let which = match which.as_slice() {
            [] => Which::All,
            [w] => *w,
            _ => return Err(CmdError::Usage(USAGE)),
        };
        Ok(Lspv::List {
            which,
            sel: Select::from(&a),
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        let (which, sel) = match self {
            Lspv::One(pv) => return one(&inv, &pv).map(Done::from),
            Lspv::List { which, sel } => (which, sel),
        };
        let keep = |d: &Disk| match which {
            Which::All | Which::Size => true,
            Which::Free => d.vg.is_none() && d.mapped_by.is_none(),
            Which::Avail => d.vg.is_none(),
        };
        let disks = inv.disks().filter(|(_, d)| keep(d));
        let t = match which {
            Which::All => Table {
                fields: &["name", "pvid", "vg", "status"],
                headers: &["NAME", "PVID", "VG", "STATUS"],
                widths: Some(&[17, 37, 17]),
                gap: false,
                rows: disks
                    .map(|(dev, d)| {
                        vec![
                            dev.name.clone(),
                            d.pvid.clone(),
                            d.vg.unwrap_or("None").to_string(),
                            if d.vg.is_some() {
                                "active".into()
                            } else {
                                String::new()
                            },
                        ]
                    })
                    .collect(),
            },
            _ => Table {
                fields: &["name", "pvid", "size"],
                headers: &["NAME", "PVID", "SIZE(megabytes)"],
                widths: Some(&[17, 37]),
                gap: false,
                rows: disks
                    .map(|(dev, d)| vec![dev.name.clone(), d.pvid.clone(), d.size_mb.to_string()])
                    .collect(),
            },
        };
        Ok(t.render(&sel, USAGE)?.into())
    }
}

/// `lspv hdiskN`: a rootvg disk's figures (512 MB partitions, about a
/// third in use), or AIX's refusal for a disk in no volume group.
fn one(inv: &Inventory, pv: &str) -> Result<String, CmdError> {
    let Some((dev, d)) = inv.disks().find(|(dev, _)| dev.name == pv) else {
        return Err(CmdError::NotKnown(pv.to_string()));
    };
    let Some(vg) = d.vg else {
        return Ok(format!(
            "0516-320 : Physical volume {} is not assigned to\n\ta volume group.\n",
            dev.name
        ));
    };
    let total = d.size_mb / 512;
    let used = total / 3;
    let line = |a: String, b: String| format!("{a:<45}{b}\n");
    Ok([
        line(
            format!("PHYSICAL VOLUME:    {}", dev.name),
            format!("VOLUME GROUP:     {vg}"),
        ),
        format!(
            "PV IDENTIFIER:      {} VG IDENTIFIER     {}\n",
            d.pvid,
            super::lsvg::vg_id(inv)
        ),
        "PV STATE:           active\n".to_string(),
        line(
            "STALE PARTITIONS:   0".into(),
            "ALLOCATABLE:      yes".into(),
        ),
        line(
            "PP SIZE:            512 megabyte(s)".into(),
            "LOGICAL VOLUMES:  12".into(),
        ),
        line(
            format!("TOTAL PPs:          {total} ({} megabytes)", total * 512),
            "VG DESCRIPTORS:   2".into(),
        ),
        line(
            format!(
                "FREE PPs:           {} ({} megabytes)",
                total - used,
                (total - used) * 512
            ),
            "HOT SPARE:        no".into(),
        ),
        line(
            format!("USED PPs:           {used} ({} megabytes)", used * 512),
            "MAX REQUEST:      256 kilobytes".into(),
        ),
    ]
    .concat())
}

#[cfg(test)]
mod tests {
    use crate::cmd::inventory::lun_pvid;
    use crate::cmd::testenv::run;

    #[test]
    fn lists_pvids_volume_groups_and_sizes() {
        let (out, _) = run("lspv");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "NAME             PVID                                 VG               STATUS"
        );
        assert!(
            lines[1].starts_with("hdisk0           00f6db0a")
                && lines[1].ends_with(" rootvg           active"),
            "{out}"
        );
        assert_eq!(
            lines[3],
            format!("hdisk2           {:<37}None", lun_pvid("lun01"))
        );
        let (size, _) = run("lspv -size -fmt :");
        assert!(
            size.contains(&format!("hdisk2:{}:20480\n", lun_pvid("lun01"))),
            "{size}"
        );
        assert_eq!(size.lines().count(), 5);
        // hdisk2 and hdisk3 back vtscsi0/1; rootvg's disks are in use.
        assert_eq!(run("lspv -free -field name -fmt :").0, "hdisk4\n");
        assert_eq!(
            run("lspv -avail -field name -fmt :").0,
            "hdisk2\nhdisk3\nhdisk4\n"
        );
        assert!(run("lspv -free").0.starts_with(
            "NAME             PVID                                 SIZE(megabytes)\n"
        ));
    }

    #[test]
    fn one_volume() {
        let (out, _) = run("lspv hdisk0");
        assert!(
            out.starts_with(
                "PHYSICAL VOLUME:    hdisk0                   VOLUME GROUP:     rootvg\n"
            ),
            "{out}"
        );
        assert_eq!(
            run("lspv hdisk2").0,
            "0516-320 : Physical volume hdisk2 is not assigned to\n\ta volume group.\n"
        );
        assert_eq!(run("lspv hdisk99").1, 1);
        assert_eq!(run("lspv -free -size").1, 2);
        assert_eq!(run("lspv -size hdisk0").1, 2);
    }
}
