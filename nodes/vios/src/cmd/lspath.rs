//! `lspath [-dev hdiskN] [-status S]`: the VIOS's own MPIO paths to its SAN
//! disks, one through each port of its FC card; Failed while its link to
//! the array is down.

use super::args::{self, Arity};
use super::inventory::Inventory;
use super::{CmdError, Command, Done, Env};

const USAGE: &str = "Usage: lspath [-dev DeviceName] [-pdev Parent] [-status Status] [-field FieldName ...] [-fmt Delimiter]";

#[derive(Debug, PartialEq, Eq)]
pub struct Lspath {
    dev: Option<String>,
    pdev: Option<String>,
    status: Option<String>,
}

impl Command for Lspath {
    fn parse(words: &[&str]) -> Result<Self, CmdError> {
        let a = args::parse(
            &[
                ("-dev", Arity::One),
                ("-pdev", Arity::One),
                ("-status", Arity::One),
            ],
            words,
            0,
            USAGE,
        )?;
        Ok(Lspath {
            dev: a.one("-dev").map(str::to_string),
            pdev: a.one("-pdev").map(str::to_string),
            status: a.one("-status").map(str::to_string),
        })
    }

    fn apply(self, env: &Env<'_>) -> Result<Done, CmdError> {
        let inv = Inventory::of(env);
        if let Some(d) = &self.dev
            && inv.get(d).is_none()
        {
            return Err(CmdError::NotKnown(d.clone()));
        }
        let status = if env.san_ok { "Enabled" } else { "Failed" };
        let mut out = String::new();
        for (d, disk) in inv.disks() {
            let parents: &[&str] = if disk.lun.is_some() {
                &["fscsi0", "fscsi1"]
            } else {
                &["sas0"]
            };
            let status = if disk.lun.is_some() {
                status
            } else {
                "Enabled"
            };
            for p in parents {
                let keep = self.dev.as_ref().is_none_or(|x| *x == d.name)
                    && self.pdev.as_ref().is_none_or(|x| x == p)
                    && self
                        .status
                        .as_ref()
                        .is_none_or(|x| x.eq_ignore_ascii_case(status));
                if keep {
                    out.push_str(&format!("{status}  {} {p}\n", d.name));
                }
            }
        }
        Ok(out.into())
    }
}
