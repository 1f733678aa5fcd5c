//! `lsdump [-m <sys>] [-r avail|status] [-F attrs] [--header]`: the dumps
//! the HMC holds, or those a managed system has ready. The lab's frames
//! take no platform dumps, so there are none.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Form};

const SPEC: &[opts::Opt] = &[
    value(&["-m"]),
    value(&["-r"]),
    value(&["-s"]),
    value(&["-F"]),
    flag(&["--header"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Lsdump {
    pub frame: Option<String>,
    pub form: Form,
}

impl Command for Lsdump {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        if let Some(r) = o.get("-r") {
            opts::one_of(
                "-r",
                r,
                &[("avail", ()), ("status", ())],
                "Valid values are avail, status.",
            )?;
            o.require("-m")?;
        }
        if let Some(s) = o.get("-s") {
            opts::one_of("-s", s, &[("p", ()), ("s", ())], "Valid values are p, s.")?;
        }
        Ok(Lsdump {
            frame: o.get("-m").map(str::to_string),
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        if let Some(m) = &self.frame {
            find_frame(ctx, m)?;
        }
        Ok(render::listing(Vec::new(), &self.form, &[], &[])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_where_to_look() {
        assert_eq!(
            Lsdump::parse(&args("-m sys1 -r avail"))
                .ok()
                .and_then(|l| l.frame),
            Some("sys1".into())
        );
        assert!(Lsdump::parse(&args("")).is_ok());
        assert!(Lsdump::parse(&args("-r avail")).is_err());
        assert!(Lsdump::parse(&args("-m sys1 -r all")).is_err());
    }
}
