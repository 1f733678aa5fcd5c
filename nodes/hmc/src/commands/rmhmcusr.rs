//! `rmhmcusr -u <user>` removes a user; `rmhmcusr -t all|local|kerberos|
//! ldap|automanage` removes every user of that kind. root, hscroot, hscpe
//! and the user running the command stay.

use super::Command;
use super::mkhmcusr::superadmin;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::users::PERMANENT_USERS;

const SPEC: &[opts::Opt] = &[value(&["-u"]), value(&["-t"])];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    All,
    Local,
    /// Users of a remote authentication this HMC has none of.
    Remote,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rmhmcusr {
    User(String),
    Kind(Kind),
}

impl Command for Rmhmcusr {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        match (o.get("-u"), o.get("-t")) {
            (Some(u), None) => Ok(Rmhmcusr::User(u.to_string())),
            (None, Some(t)) => Ok(Rmhmcusr::Kind(opts::one_of(
                "-t",
                t,
                &[
                    ("all", Kind::All),
                    ("local", Kind::Local),
                    ("kerberos", Kind::Remote),
                    ("ldap", Kind::Remote),
                    ("automanage", Kind::Remote),
                ],
                "Valid values are all, local, kerberos, ldap, automanage.",
            )?)),
            (Some(_), Some(_)) => Err("The -u and -t parameters are mutually exclusive."
                .to_string()
                .into()),
            (None, None) => Err("The -u parameter is required.".to_string().into()),
        }
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        let me = ctx.user.name.clone();
        match self {
            Rmhmcusr::User(name) => {
                if PERMANENT_USERS.contains(&name.as_str()) || name == me {
                    return Err(format!("The user {name} cannot be removed.").into());
                }
                ctx.hmc.users.update(&name, |old| match old {
                    Some(_) => Ok(None),
                    None => Err(format!("The user {name} was not found.")),
                })?;
            }
            // Every user here is authenticated locally.
            Rmhmcusr::Kind(Kind::All | Kind::Local) => {
                ctx.hmc.users.remove_where(|u| {
                    !PERMANENT_USERS.contains(&u.name.as_str()) && u.name != me
                })?;
            }
            Rmhmcusr::Kind(Kind::Remote) => {}
        }
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
    fn parses_the_user_or_the_kind() {
        assert_eq!(
            parse("-u viewer1").ok(),
            Some(Rmhmcusr::User("viewer1".into()))
        );
        assert_eq!(parse("-t all").ok(), Some(Rmhmcusr::Kind(Kind::All)));
        assert_eq!(parse("-t ldap").ok(), Some(Rmhmcusr::Kind(Kind::Remote)));
        assert!(parse("").is_err());
        assert!(parse("-u").is_err());
        assert!(parse("-u a -u b").is_err());
        assert!(parse("-u a -t all").is_err());
        assert!(parse("-t everyone").is_err());
        assert!(parse("viewer1").is_err());
    }
}
