//! `lshmcldap -r config|user [--filter "names=..."]`: this HMC has no LDAP
//! server configured, and says so in the words Ansible's hmc_user looks
//! for ("LDAP server is not configured").

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Res {
    Config,
    User,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lshmcldap {
    pub res: Res,
}

/// What lshmcldap prints on an HMC without LDAP.
pub const NOT_CONFIGURED: &str =
    "The LDAP server is not configured on this Hardware Management Console.";

impl Command for Lshmcldap {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let res = o.word(
            "-r",
            &[("config", Res::Config), ("user", Res::User)],
            "Valid values are config, user.",
        )?;
        // The form is checked even though there is nothing to print.
        if let Some(f) = o.get("-F") {
            crate::render::Fields::parse(f)?;
        }
        if let Some(f) = o.get("--filter") {
            crate::render::Filter::parse(f, &[("names", "name")])?;
        }
        Ok(Lshmcldap { res })
    }

    async fn apply(self, _ctx: &Ctx<'_>) -> CmdResult {
        Ok(format!("{NOT_CONFIGURED}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_resource() {
        assert_eq!(
            Lshmcldap::parse(&args("-r config")).ok(),
            Some(Lshmcldap { res: Res::Config })
        );
        assert_eq!(
            Lshmcldap::parse(&args("-r user --filter names=a")).ok(),
            Some(Lshmcldap { res: Res::User })
        );
        assert!(Lshmcldap::parse(&args("")).is_err());
        assert!(Lshmcldap::parse(&args("-r all")).is_err());
        assert!(Lshmcldap::parse(&args("-r user --filter lpar_names=a")).is_err());
        assert!(NOT_CONFIGURED.contains("LDAP server is not configured"));
    }
}
