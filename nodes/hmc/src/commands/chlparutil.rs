//! `chlparutil -r config -s <rate> [-m sys]`: the rate at which the HMC
//! samples a frame's utilization (every frame it manages when `-m` is left
//! out); 0 stops sampling.

use super::Command;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::utilization::window;

const SPEC: &[opts::Opt] = &[value(&["-r"]), value(&["-s"]), value(&["-m"])];

#[derive(Debug, PartialEq, Eq)]
pub struct Chlparutil {
    pub rate: u32,
    pub frame: Option<String>,
}

impl Command for Chlparutil {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        o.word("-r", &[("config", ())], "Valid values are config.")?;
        let rate = window::parse_rate(o.require("-s")?)?;
        Ok(Chlparutil {
            rate,
            frame: o.get("-m").map(str::to_string),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        ctx.may_change()?;
        let frames = match &self.frame {
            Some(m) => vec![find_frame(ctx, m)?.name.clone()],
            None => ctx
                .hmc
                .view
                .frames()
                .iter()
                .map(|f| f.name.clone())
                .collect(),
        };
        ctx.hmc.util.set_rate(&frames, self.rate)?;
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_rate() {
        assert_eq!(
            Chlparutil::parse(&args("-r config -s 30 -m sys1")).ok(),
            Some(Chlparutil {
                rate: 30,
                frame: Some("sys1".into())
            })
        );
        assert_eq!(
            Chlparutil::parse(&args("-r config -s 0")).ok(),
            Some(Chlparutil {
                rate: 0,
                frame: None
            })
        );
        let err = |l: &str| Chlparutil::parse(&args(l)).err().map(|e| e.to_string());
        assert_eq!(
            err("-r config"),
            Some("The -s parameter is required.".into())
        );
        assert_eq!(
            err("-r lpar -s 30"),
            Some(
                "An invalid value was entered for the -r parameter: lpar. Valid values are config."
                    .into()
            )
        );
        assert!(err("-r config -s 31").is_some());
    }
}
