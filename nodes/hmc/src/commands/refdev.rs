//! `refdev -m <sys> -p <lpar> [-v]`: writes a remote restart capable
//! partition's configuration to its reserved storage device now (seed 000
//! §1.10); the HMC also does it on every change it sees.

use super::Command;
use super::input::LparRef;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use pvmlab_common::model::rr_status;

const SPEC: &[opts::Opt] = &[
    value(&["-m"]),
    value(&["-p"]),
    value(&["--id"]),
    flag(&["-v"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Refdev {
    pub frame: String,
    pub lpar: LparRef,
    /// `-v`: say what was refreshed.
    pub verbose: bool,
}

impl Command for Refdev {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        Ok(Refdev {
            frame: o.require("-m")?.to_string(),
            lpar: LparRef::parse(&o)?,
            verbose: o.has("-v"),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        let p = self.lpar.find(&f)?;
        if p.rs_device_name.is_empty() {
            return Err(format!(
                "The partition {} has no reserved storage device to refresh.",
                p.name
            )
            .into());
        }
        if p.remote_restart_status == rr_status::INVALID {
            return Err(format!(
                "The partition {} has never been started: there is no configuration to write yet.",
                p.name
            )
            .into());
        }
        let devices = crate::lpm::devices(ctx, &f).await;
        let doc = crate::rr::doc_of(&f, p, &devices);
        crate::rr::rsdp::write(ctx, &f, &doc).await?;
        Ok(if self.verbose {
            format!(
                "The reserved storage device {} of partition {} was refreshed.\n",
                p.rs_device_name, p.name
            )
        } else {
            String::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Refdev, CmdError> {
        Refdev::parse(&s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn parses_the_partition_and_verbosity() {
        assert_eq!(
            parse("-m sys1 -p rrp7 -v").ok(),
            Some(Refdev {
                frame: "sys1".into(),
                lpar: LparRef::Name("rrp7".into()),
                verbose: true
            })
        );
        assert_eq!(
            parse("-m sys1 --id 5").ok(),
            Some(Refdev {
                frame: "sys1".into(),
                lpar: LparRef::Id("5".into()),
                verbose: false
            })
        );
        for bad in [
            "-m sys1",
            "-p rrp7",
            "-m sys1 -p a --id 5",
            "-m sys1 -p a -x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
