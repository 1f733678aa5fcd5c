//! `hmcshutdown -t now|<minutes> [-r]`: stops the HMC, or restarts it with
//! `-r` (see [`crate::power`]). The command answers first, then the HMC
//! goes down: a second after `now`, or after the minutes given.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::power::Request;

const SPEC: &[opts::Opt] = &[value(&["-t"]), flag(&["-r"])];

/// The longest delay the HMC takes (a day).
const MAX_MINUTES: u32 = 1440;

#[derive(Debug, PartialEq, Eq)]
pub struct Hmcshutdown {
    pub minutes: u32,
    pub restart: bool,
}

impl Command for Hmcshutdown {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let t = o.require("-t")?;
        let minutes = if t == "now" {
            0
        } else {
            opts::at_most("-t", Some(t), MAX_MINUTES)?.unwrap_or(0)
        };
        Ok(Hmcshutdown {
            minutes,
            restart: o.has("-r"),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        ctx.may_change()?;
        let power = ctx.hmc.power.clone();
        let req = if self.restart {
            Request::Restart
        } else {
            Request::Stop
        };
        let delay = std::time::Duration::from_secs(u64::from(self.minutes) * 60 + 1);
        tracing::warn!(?req, minutes = self.minutes, user = %ctx.user.name, "hmcshutdown");
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            power.request(req);
        });
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_when_and_whether_to_restart() {
        assert_eq!(
            Hmcshutdown::parse(&args("-t now -r")).ok(),
            Some(Hmcshutdown {
                minutes: 0,
                restart: true
            })
        );
        assert_eq!(
            Hmcshutdown::parse(&args("-t 5")).ok(),
            Some(Hmcshutdown {
                minutes: 5,
                restart: false
            })
        );
        assert!(Hmcshutdown::parse(&args("")).is_err());
        assert!(Hmcshutdown::parse(&args("-t later")).is_err());
        assert!(Hmcshutdown::parse(&args("-t 9999")).is_err());
        assert!(Hmcshutdown::parse(&args("-r")).is_err());
    }
}
