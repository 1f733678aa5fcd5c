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
use crate::users::{TASK_ROLES, User, UserSettings};

const SPEC: &[opts::Opt] = &[
    value(&["-u"]),
    value(&["-a"]),
    value(&["-d"]),
    value(&["--passwd"]),
    value(&["-i"]),
    // -M: the days until the password expires (pwage).
    value(&["-M"]),
];

/// The attributes of a user beyond name, task role, password and
/// description that `-i` sets (`mkhmcusr`, `chhmcusr`).
pub(super) const SETTINGS: &[&str] = &[
    "resourcerole",
    "pwage",
    "min_pwage",
    "authentication_type",
    "session_timeout",
    "verify_timeout",
    "idle_timeout",
    "inactivity_expiration",
    "remote_webui_access",
    "remote_ssh_access",
    "passwd_authentication",
    "remote_user_name",
];

/// Checks one setting's value and sets it on `s`. Users here authenticate
/// locally: the HMC has no LDAP or Kerberos server configured.
pub(super) fn set_setting(s: &mut UserSettings, k: &str, v: &str) -> Result<(), CmdError> {
    let num = || -> Result<u32, CmdError> {
        v.parse()
            .map_err(|_| format!("An invalid attribute value was entered: {k}={v}").into())
    };
    // Ansible's hmc_user sends its booleans as Python prints them
    // ("True") when it makes a user, and as 0/1 when it changes one.
    let flag = || -> Result<bool, CmdError> {
        match v.to_ascii_lowercase().as_str() {
            "0" | "false" => Ok(false),
            "1" | "true" => Ok(true),
            _ => Err(format!(
                "An invalid attribute value was entered: {k}={v}. Valid values are 0, 1."
            )
            .into()),
        }
    };
    match k {
        "resourcerole" => s.resourcerole = v.to_string(),
        "pwage" => s.pwage = num()?,
        "min_pwage" => s.min_pwage = num()?,
        "session_timeout" => s.session_timeout = num()?,
        "verify_timeout" => s.verify_timeout = num()?,
        "idle_timeout" => s.idle_timeout = num()?,
        "inactivity_expiration" => s.inactivity_expiration = num()?,
        "remote_webui_access" => s.remote_webui_access = flag()?,
        "remote_ssh_access" => s.remote_ssh_access = flag()?,
        "passwd_authentication" => s.passwd_authentication = flag()?,
        "authentication_type" => match v {
            "local" => {}
            "ldap" => return Err(Hscl::LdapNotConfigured.into()),
            "kerberos" => {
                return Err(
                    "Kerberos is not configured on the Hardware Management Console."
                        .to_string()
                        .into(),
                );
            }
            _ => {
                return Err(format!(
                    "An invalid attribute value was entered: {k}={v}. Valid values are local, kerberos, ldap."
                )
                .into());
            }
        },
        // Only a Kerberos user has one.
        "remote_user_name" => {
            return Err(
                "The remote_user_name attribute is valid only for Kerberos users."
                    .to_string()
                    .into(),
            );
        }
        _ => return Err(format!("An invalid attribute was entered: {k}").into()),
    }
    if s.min_pwage > s.pwage {
        return Err("The min_pwage value cannot exceed the pwage value."
            .to_string()
            .into());
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub struct Mkhmcusr {
    pub name: String,
    pub taskrole: String,
    pub password: String,
    pub description: String,
    /// The other attributes given, checked, in input order.
    pub settings: Vec<(String, String)>,
}

impl Command for Mkhmcusr {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let attrs = match o.get("-i") {
            Some(i) => {
                let mut allowed = vec!["name", "taskrole", "passwd", "description"];
                allowed.extend_from_slice(SETTINGS);
                input_attrs(i, &allowed)?
            }
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
            ]
            .into_iter()
            .chain(o.get("-M").map(|m| ("pwage".to_string(), m.to_string())))
            .collect(),
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
        let settings: Vec<(String, String)> = attrs
            .iter()
            .filter(|(k, _)| SETTINGS.contains(&k.as_str()))
            .cloned()
            .collect();
        let mut probe = UserSettings::default();
        for (k, v) in &settings {
            set_setting(&mut probe, k, v)?;
        }
        Ok(Mkhmcusr {
            name,
            taskrole,
            password,
            description: attr("description"),
            settings,
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        let name = self.name.clone();
        ctx.hmc.users.check_against_policy(&name, &self.password)?;
        let mut settings = ctx.hmc.users.defaults().user();
        for (k, v) in &self.settings {
            set_setting(&mut settings, k, v)?;
        }
        let user = User {
            name: self.name,
            password: self.password,
            taskrole: self.taskrole,
            description: self.description,
            keys: Vec::new(),
            trusted_hmcs: Vec::new(),
            settings,
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
            settings: Vec::new(),
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
            "name=viewer1,taskrole=hmcviewer,passwd=viewpass1,description=read only,pwage=99,remote_webui_access=1",
        ]);
        assert_eq!(
            Mkhmcusr::parse(&input).ok(),
            Some(Mkhmcusr {
                settings: vec![
                    ("pwage".into(), "99".into()),
                    ("remote_webui_access".into(), "1".into())
                ],
                ..want
            })
        );
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
            &[
                "-i",
                "name=x1,taskrole=hmcviewer,passwd=abcdefgh,remote_webui_access=yes",
            ],
            &[
                "-i",
                "name=x1,taskrole=hmcviewer,passwd=abcdefgh,authentication_type=ldap",
            ],
            &[
                "-i",
                "name=x1,taskrole=hmcviewer,passwd=abcdefgh,session_timeout=-1",
            ],
        ] {
            assert!(Mkhmcusr::parse(&args(bad)).is_err(), "{bad:?}");
        }
        assert!(check_name(&"a".repeat(33)).is_err());
        // Ansible's hmc_user sends Python's booleans when it makes a user.
        let mut s = UserSettings::default();
        set_setting(&mut s, "remote_webui_access", "True").unwrap();
        set_setting(&mut s, "remote_ssh_access", "False").unwrap();
        assert!(s.remote_webui_access && !s.remote_ssh_access);
        assert!(
            set_setting(&mut s, "min_pwage", "100000").is_err(),
            "over pwage"
        );
        assert!(check_name("a.b-c_d").is_ok());
    }
}
