//! `lsmemdev -r avail -m <sys> -p <vios>[,<vios>] [-F attrs] [--header]`:
//! the disks a VIOS partition can give the reserved storage device pool,
//! with the same LUN through a second VIOS where it sees it (seed 000
//! §1.6).

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use crate::render::{self, Form};
use pvmlab_common::model::PartitionExt as _;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-p"]),
    value(&["-F"]),
    flag(&["--header"]),
];

/// `-r` takes only `avail`, so the value keeps nothing of it.
#[derive(Debug, PartialEq, Eq)]
pub struct Lsmemdev {
    pub frame: String,
    /// One or two VIOS partition names, as given.
    pub vioses: Vec<String>,
    pub form: Form,
}

impl Command for Lsmemdev {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let frame = o.require("-m")?.to_string();
        o.word("-r", &[("avail", ())], "Valid values are avail.")?;
        let vioses: Vec<String> = o
            .require("-p")?
            .split(',')
            .map(|n| n.trim().to_string())
            .collect();
        if vioses.len() > 2 {
            return Err(
                "The -p parameter takes one or two Virtual I/O Server partitions."
                    .to_string()
                    .into(),
            );
        }
        Ok(Lsmemdev {
            frame,
            vioses,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        let mut vioses = Vec::new();
        for n in &self.vioses {
            let v = f
                .partitions
                .iter()
                .find(|p| &p.name == n)
                .ok_or_else(|| Hscl::PartitionNotFound(n.clone()))?;
            if !v.is_vios() {
                return Err(
                    format!("The partition {n} is not a Virtual I/O Server partition.").into(),
                );
            }
            vioses.push(v);
        }
        let devices = crate::lpm::devices(ctx, &f).await;
        let records = crate::rr::rsdp::available_records(&f, &vioses, &devices)?;
        Ok(render::listing(records, &self.form, &[], &[])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    fn err(line: &str) -> Option<String> {
        Lsmemdev::parse(&args(line)).err().map(|e| e.to_string())
    }

    #[test]
    fn parses_one_or_two_vioses() {
        assert_eq!(
            Lsmemdev::parse(&args("-r avail -m sys1 -p vios1,vios2 --header")).ok(),
            Some(Lsmemdev {
                frame: "sys1".into(),
                vioses: vec!["vios1".into(), "vios2".into()],
                form: Form {
                    header: true,
                    ..Form::default()
                }
            })
        );
        assert_eq!(
            err("-r avail -m sys1 -p a,b,c"),
            Some("The -p parameter takes one or two Virtual I/O Server partitions.".into())
        );
        assert_eq!(
            err("-r used -m sys1 -p a"),
            Some(
                "An invalid value was entered for the -r parameter: used. Valid values are avail."
                    .into()
            )
        );
        assert_eq!(
            err("-r avail -p a"),
            Some("The -m parameter is required.".into())
        );
        assert_eq!(
            err("-m sys1 -p a"),
            Some("The -r parameter is required.".into())
        );
        assert_eq!(
            err("-r avail -m sys1"),
            Some("The -p parameter is required.".into())
        );
    }
}
