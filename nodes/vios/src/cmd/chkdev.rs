//! `chkdev`: whether each disk can be moved between the ways a VIOS serves
//! it (physical to virtual SCSI, virtual SCSI to NPIV, back), with its
//! identifier (the UDID) — hmcscanner's `chkdev -fmt : -field name
//! identifier`, which it joins with `lspv` by disk name.

use super::args::{self, Arity};
use super::inventory::{Disk, Inventory};
use super::table::{SELECT, Select};
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "\
Usage: chkdev [-dev Name] [-verbose] [-field FieldName ...] [-fmt Delimiter]";

const SPEC: args::Spec = &[
    ("-dev", Arity::One),
    ("-verbose", Arity::Flag),
    SELECT[0],
    SELECT[1],
];

const FIELDS: &[&str] = &[
    "name",
    "identifier",
    "phys2virt_capable",
    "virt2npiv_capable",
    "virt2phys_capable",
];
const LABELS: &[&str] = &[
    "NAME",
    "IDENTIFIER",
    "PHYS2VIRT_CAPABLE",
    "VIRT2NPIV_CAPABLE",
    "VIRT2PHYS_CAPABLE",
];

#[derive(Debug, PartialEq, Eq)]
pub struct Chkdev {
    pub dev: Option<String>,
    pub verbose: bool,
    pub sel: Select,
}

impl Command for Chkdev {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(SPEC, words, 0, USAGE)?;
        let sel = Select::from(&a);
        if let Some(f) = &sel.fields
            && f.iter()
                .any(|f| !FIELDS.contains(&f.to_lowercase().as_str()))
        {
            return Err(CmdError::Usage(USAGE));
        }
        Ok(Chkdev {
            dev: a.one("-dev").map(str::to_string),
            verbose: a.has("-verbose"),
            sel,
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        if let Some(d) = &self.dev
            && !inv.disks().any(|(dev, _)| &dev.name == d)
        {
            return Err(CmdError::NotKnown(d.clone()));
        }
        let cols: Vec<usize> = match &self.sel.fields {
            None => (0..FIELDS.len()).collect(),
            Some(f) => f
                .iter()
                .filter_map(|n| FIELDS.iter().position(|x| x.eq_ignore_ascii_case(n)))
                .collect(),
        };
        let mut out = String::new();
        for (dev, d) in inv.disks() {
            if self.dev.as_ref().is_some_and(|n| n != &dev.name) {
                continue;
            }
            let (p2v, v2n, v2p) = capable(d);
            let vals = [
                dev.name.clone(),
                d.udid.clone(),
                p2v.into(),
                v2n.into(),
                v2p.into(),
            ];
            match &self.sel.fmt {
                Some(delim) => {
                    let v: Vec<&str> = cols.iter().map(|&c| vals[c].as_str()).collect();
                    out.push_str(&v.join(delim));
                    out.push('\n');
                }
                None => {
                    for &c in &cols {
                        out.push_str(&format!("{:<21}{}\n", format!("{}:", LABELS[c]), vals[c]));
                    }
                    if self.verbose {
                        out.push_str(&format!("{:<21}{}\n", "PVID:", d.pvid));
                        out.push_str(&format!("{:<21}{}\n", "UDID:", d.udid));
                        out.push_str(&format!("{:<21}{}\n", "IEEE:", ""));
                        out.push_str(&format!(
                            "{:<21}{}\n",
                            "VTD:",
                            d.mapped_by.clone().unwrap_or_default()
                        ));
                    }
                    out.push('\n');
                }
            }
        }
        Ok(out.into())
    }
}

/// A SAN disk not yet mapped can be exported as a virtual disk; one that
/// backs a VTD can go to NPIV or back to physical use; an internal disk
/// in rootvg can do neither.
fn capable(d: &Disk) -> (&'static str, &'static str, &'static str) {
    match (&d.lun, &d.mapped_by, d.vg) {
        (_, _, Some(_)) => ("NA", "NA", "NA"),
        (Some(_), Some(_), None) => ("NA", "YES", "YES"),
        (_, None, None) => ("YES", "NA", "NA"),
        (None, Some(_), None) => ("NA", "NO", "YES"),
    }
}

#[cfg(test)]
mod tests {
    use crate::cmd::testenv::run;

    #[test]
    fn names_and_identifiers_for_every_disk() {
        let (out, s) = run("chkdev -fmt : -field name identifier");
        assert_eq!(s, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].starts_with("hdisk0:2A1135000C5"));
        assert_eq!(
            lines[2],
            "hdisk2:332136005076801000000000000000104214503IBMfcp"
        );
        // Every disk lspv lists, chkdev lists.
        let lspv: Vec<String> = run("lspv -size -fmt : -field name")
            .0
            .lines()
            .map(String::from)
            .collect();
        let chk: Vec<String> = lines
            .iter()
            .map(|l| l.split(':').next().unwrap_or("").to_string())
            .collect();
        assert_eq!(lspv, chk);
    }

    #[test]
    fn one_disk_in_blocks() {
        assert_eq!(
            run("chkdev -dev hdisk4").0,
            "NAME:                hdisk4\nIDENTIFIER:          332136005076801000000000000000304214503IBMfcp\nPHYS2VIRT_CAPABLE:   YES\nVIRT2NPIV_CAPABLE:   NA\nVIRT2PHYS_CAPABLE:   NA\n\n"
        );
        assert!(
            run("chkdev -dev hdisk2 -field virt2npiv_capable")
                .0
                .contains("VIRT2NPIV_CAPABLE:   YES")
        );
        assert_eq!(run("chkdev -dev hdisk99").1, 1);
        assert_eq!(run("chkdev -field bogus").1, 2);
    }
}
