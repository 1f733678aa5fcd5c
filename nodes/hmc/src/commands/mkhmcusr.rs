//! `mkhmcusr -u <user> -a <taskrole> [-d <description>] [--passwd <password>]`
//! or `mkhmcusr -i "name=...,taskrole=...,passwd=...,description=..."`.
//! Also the rules of a user's name, task role and password that
//! `chhmcusr` shares, and who may manage other users.

use super::Command;
use super::config::get;
use super::input::input_attrs;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use crate::users::{TASK_ROLES, User};

const SPEC: &[opts::Opt] = &[
    value(&["-u"]),
    value(&["-a"]),
    value(&["-d"]),
    value(&["--passwd"]),
    value(&["-i"]),
    // Password ageing (`-M`, `pwage`) and the authentication type are
    // taken, as scripts pass them, and not kept: users here only log in
    // with a password or a key.
    value(&["-M"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Mkhmcusr {
    pub name: String,
    pub taskrole: String,
    pub password: String,
    pub description: String,
}

impl Command for Mkhmcusr {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let attrs = match o.get("-i") {
            Some(i) => input_attrs(
                i,
                &[
                    "name",
                    "taskrole",
                    "passwd",
                    "description",
                    "pwage",
                    "authentication_type",
                ],
            )?,
            None => vec![
                ("name".into(), o.require("-u")?.to_string()),
                ("taskrole".into(), o.require("-a")?.to_string()),
                (
                    "passwd".into(),
                    o.get("--passwd").unwrap_or_default().to_string(),
                ),
                (
                    "description".into(),
                    o.get("-d").unwrap_or_default().to_string(),
                ),
            ],
        };
        let attr = |k: &str| get(&attrs, k).unwrap_or_default().to_string();
        let (name, taskrole, password) = (attr("name"), attr("taskrole"), attr("passwd"));
        check_name(&name)?;
        check_role(&taskrole)?;
        if password.is_empty() {
            return Err("A password is required: --passwd <password>."
                .to_string()
                .into());
        }
        check_password(&password)?;
        Ok(Mkhmcusr {
            name,
            taskrole,
            password,
            description: attr("description"),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        let name = self.name.clone();
        let user = User {
            name: self.name,
            password: self.password,
            taskrole: self.taskrole,
            description: self.description,
            keys: Vec::new(),
            trusted_hmcs: Vec::new(),
        };
        ctx.hmc.users.update(&name, |old| match old {
            Some(_) => Err(format!("The user {name} already exists.")),
            None => Ok(Some(user)),
        })?;
        Ok(String::new())
    }
}

/// Only a superadmin manages other users.
pub(super) fn superadmin(ctx: &Ctx<'_>) -> Result<(), CmdError> {
    if ctx.user.taskrole == "hmcsuperadmin" {
        Ok(())
    } else {
        Err(Hscl::NoAuthority.into())
    }
}

pub fn check_name(name: &str) -> Result<(), CmdError> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("The user name {name:?} is not valid: 1-32 letters, digits, '-', '_' or '.', starting with a letter.").into())
    }
}

pub(super) fn check_role(role: &str) -> Result<(), CmdError> {
    if TASK_ROLES.contains(&role) {
        Ok(())
    } else {
        Err(format!(
            "The task role {role} is not valid. Valid task roles are {}.",
            TASK_ROLES.join(", ")
        )
        .into())
    }
}

pub(super) fn check_password(password: &str) -> Result<(), CmdError> {
    if password.len() < 7 {
        return Err("The password must be at least 7 characters long."
            .to_string()
            .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::args;

    #[test]
    fn parses_options_or_input() {
        let want = Mkhmcusr {
            name: "viewer1".into(),
            taskrole: "hmcviewer".into(),
            password: "viewpass1".into(),
            description: "read only".into(),
        };
        let opts = args(&[
            "-u",
            "viewer1",
            "-a",
            "hmcviewer",
            "--passwd",
            "viewpass1",
            "-d",
            "read only",
        ]);
        assert_eq!(Mkhmcusr::parse(&opts).ok().as_ref(), Some(&want));
        let input = args(&[
            "-i",
            "name=viewer1,taskrole=hmcviewer,passwd=viewpass1,description=read only,pwage=99",
        ]);
        assert_eq!(Mkhmcusr::parse(&input).ok(), Some(want));
    }

    #[test]
    fn refuses_bad_names_roles_and_passwords() {
        for bad in [
            &["-a", "hmcviewer", "--passwd", "abcdefgh"][..],
            &["-u", "x1", "--passwd", "abcdefgh"],
            &["-u", "1x", "-a", "hmcviewer", "--passwd", "abcdefgh"],
            &["-u", "x y", "-a", "hmcviewer", "--passwd", "abcdefgh"],
            &["-u", "x1", "-a", "root", "--passwd", "abcdefgh"],
            &["-u", "x1", "-a", "hmcviewer"],
            &["-u", "x1", "-a", "hmcviewer", "--passwd", "short"],
            &[
                "-i",
                "name=x1,taskrole=hmcviewer,passwd=abcdefgh,shell=bash",
            ],
        ] {
            assert!(Mkhmcusr::parse(&args(bad)).is_err(), "{bad:?}");
        }
        assert!(check_name(&"a".repeat(33)).is_err());
        assert!(check_name("a.b-c_d").is_ok());
    }
}
