//! `rmhmcusr -u <user>`. hscroot, and the user running the command, stay.

use super::Command;
use super::mkhmcusr::superadmin;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;

const SPEC: &[opts::Opt] = &[value(&["-u"])];

#[derive(Debug, PartialEq, Eq)]
pub struct Rmhmcusr {
    pub user: String,
}

impl Command for Rmhmcusr {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        Ok(Rmhmcusr {
            user: o.require("-u")?.to_string(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        let name = self.user;
        if name == "hscroot" || name == ctx.user.name {
            return Err(format!("The user {name} cannot be removed.").into());
        }
        ctx.hmc.users.update(&name, |old| match old {
            Some(_) => Ok(None),
            None => Err(format!("The user {name} was not found.")),
        })?;
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Rmhmcusr, CmdError> {
        Rmhmcusr::parse(&s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn parses_the_user() {
        assert_eq!(
            parse("-u viewer1").ok(),
            Some(Rmhmcusr {
                user: "viewer1".into()
            })
        );
        assert!(parse("").is_err());
        assert!(parse("-u").is_err());
        assert!(parse("-u a -u b").is_err());
        assert!(parse("viewer1").is_err());
    }
}
