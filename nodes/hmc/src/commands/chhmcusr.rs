//! `chhmcusr -u <user> -t passwd|taskrole|description -v <value>` or
//! `chhmcusr -i "name=<user>,taskrole=...,passwd=...,description=..."`.
//! A superadmin changes anyone; other users only their own password.

use super::Command;
use super::input::input_attrs;
use super::mkhmcusr::{check_password, check_role};
use super::opts::{self, not_one_of, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::hscl::Hscl;

const SPEC: &[opts::Opt] = &[
    value(&["-u"]),
    value(&["-t"]),
    value(&["-v"]),
    value(&["-i"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Chhmcusr {
    pub user: String,
    /// In the order given; a later one of a kind wins.
    pub changes: Vec<UserChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    Password(String),
    TaskRole(String),
    Description(String),
}

impl UserChange {
    /// The change an attribute (`-i`) or a `-t` kind names, checked.
    fn parse(kind: &str, v: &str) -> Result<Option<UserChange>, CmdError> {
        Ok(Some(match kind {
            "passwd" => {
                check_password(v)?;
                UserChange::Password(v.to_string())
            }
            "taskrole" => {
                check_role(v)?;
                UserChange::TaskRole(v.to_string())
            }
            "description" => UserChange::Description(v.to_string()),
            _ => return Ok(None),
        }))
    }
}

impl Command for Chhmcusr {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let (user, given) = match o.get("-i") {
            Some(i) => {
                let a = input_attrs(i, &["name", "taskrole", "passwd", "description"])?;
                let name = a
                    .iter()
                    .find(|(k, _)| k == "name")
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| "The name attribute is required.".to_string())?;
                (name, a)
            }
            None => {
                let t = o.require("-t")?;
                if !["passwd", "taskrole", "description"].contains(&t) {
                    return Err(not_one_of("-t", t, &["passwd", "taskrole", "description"]).into());
                }
                (
                    o.require("-u")?.to_string(),
                    vec![(t.to_string(), o.require("-v")?.to_string())],
                )
            }
        };
        let mut changes = Vec::new();
        for (k, v) in &given {
            changes.extend(UserChange::parse(k, v)?);
        }
        Ok(Chhmcusr { user, changes })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let name = self.user;
        let own_password = name == ctx.user.name
            && self
                .changes
                .iter()
                .all(|c| matches!(c, UserChange::Password(_)));
        if ctx.user.taskrole != "hmcsuperadmin" && !own_password {
            return Err(Hscl::NoAuthority.into());
        }
        let changes = self.changes;
        ctx.hmc.users.update(&name, |old| {
            let mut u = old.ok_or_else(|| format!("The user {name} was not found."))?;
            for c in changes {
                match c {
                    UserChange::Password(v) => u.password = v,
                    UserChange::TaskRole(v) => u.taskrole = v,
                    UserChange::Description(v) => u.description = v,
                }
            }
            Ok(Some(u))
        })?;
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::args;

    #[test]
    fn parses_one_change_or_an_input_list() {
        assert_eq!(
            Chhmcusr::parse(&args(&[
                "-u",
                "viewer1",
                "-t",
                "taskrole",
                "-v",
                "hmcoperator"
            ]))
            .ok(),
            Some(Chhmcusr {
                user: "viewer1".into(),
                changes: vec![UserChange::TaskRole("hmcoperator".into())]
            })
        );
        assert_eq!(
            Chhmcusr::parse(&args(&["-i", "passwd=abcdefgh,name=u1,description=ops"])).ok(),
            Some(Chhmcusr {
                user: "u1".into(),
                changes: vec![
                    UserChange::Password("abcdefgh".into()),
                    UserChange::Description("ops".into())
                ]
            })
        );
    }

    #[test]
    fn refuses_bad_kinds_roles_and_passwords() {
        for bad in [
            &["-u", "u1", "-t", "shell", "-v", "bash"][..],
            &["-u", "u1", "-t", "taskrole", "-v", "root"],
            &["-u", "u1", "-t", "passwd", "-v", "short"],
            &["-u", "u1", "-t", "passwd"],
            &["-t", "passwd", "-v", "abcdefgh"],
            &["-i", "taskrole=hmcviewer"],
            &["-i", "name=u1,shell=bash"],
        ] {
            assert!(Chhmcusr::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
