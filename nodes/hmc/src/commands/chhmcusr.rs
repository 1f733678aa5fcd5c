//! `chhmcusr -u <user> -t passwd|taskrole|desc|name|pwage -v <value>`,
//! `chhmcusr -i "name=<user>,new_name=...,taskrole=...,passwd=...,..."`,
//! `chhmcusr -t default -i "session_timeout=...,idle_timeout=..."` (the
//! settings new users get) and `chhmcusr -o e -u <user>` (enable a user).
//! A superadmin changes anyone; other users only their own password.

use super::Command;
use super::input::input_attrs;
use super::mkhmcusr::{SETTINGS, check_name, check_password, check_role, set_setting};
use super::opts::{self, not_one_of, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use crate::users::{Defaults, PERMANENT_USERS};

const SPEC: &[opts::Opt] = &[
    value(&["-u"]),
    value(&["-t"]),
    value(&["-v"]),
    value(&["-i"]),
    value(&["-o"]),
];

/// What `-t default` changes.
const DEFAULTS: &[&str] = &[
    "pwage",
    "min_pwage",
    "session_timeout",
    "verify_timeout",
    "idle_timeout",
    "inactivity_expiration",
    "max_webui_login_attempts",
    "webui_login_suspend_time",
];

/// `-t` kinds that change one attribute of a user with `-v`.
const KINDS: &[&str] = &["passwd", "taskrole", "desc", "description", "name", "pwage"];

#[derive(Debug, PartialEq, Eq)]
pub enum Chhmcusr {
    User {
        user: String,
        /// In the order given; a later one of a kind wins.
        changes: Vec<UserChange>,
    },
    Defaults(Vec<(String, u32)>),
    /// `-o e`: a user the HMC disabled may log in again.
    Enable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    Password(String),
    /// What the user says their password is now (a user changing their own).
    CurrentPassword(String),
    TaskRole(String),
    Description(String),
    Rename(String),
    /// One of [`SETTINGS`], checked.
    Setting(String, String),
}

impl UserChange {
    /// The change an attribute (`-i`) or a `-t` kind names, checked.
    fn parse(kind: &str, v: &str) -> Result<Option<UserChange>, CmdError> {
        Ok(Some(match kind {
            "name" => return Ok(None),
            "passwd" => {
                check_password(v)?;
                UserChange::Password(v.to_string())
            }
            "current_passwd" => UserChange::CurrentPassword(v.to_string()),
            "taskrole" => {
                check_role(v)?;
                UserChange::TaskRole(v.to_string())
            }
            "description" | "desc" => UserChange::Description(v.to_string()),
            "new_name" => {
                check_name(v)?;
                UserChange::Rename(v.to_string())
            }
            k => {
                set_setting(&mut Default::default(), k, v)?;
                UserChange::Setting(k.to_string(), v.to_string())
            }
        }))
    }
}

impl Command for Chhmcusr {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        if let Some(op) = o.get("-o") {
            if op != "e" {
                return Err(not_one_of("-o", op, &["e"]).into());
            }
            return Ok(Chhmcusr::Enable(o.require("-u")?.to_string()));
        }
        if o.get("-t") == Some("default") {
            let given = input_attrs(o.require("-i")?, DEFAULTS)?;
            let mut out = Vec::new();
            for (k, v) in given {
                let n = v
                    .parse()
                    .map_err(|_| format!("An invalid attribute value was entered: {k}={v}"))?;
                out.push((k, n));
            }
            return Ok(Chhmcusr::Defaults(out));
        }
        let (user, given) = match o.get("-i") {
            Some(i) => {
                let mut allowed = vec![
                    "name",
                    "new_name",
                    "taskrole",
                    "passwd",
                    "current_passwd",
                    "description",
                ];
                allowed.extend_from_slice(SETTINGS);
                let a = input_attrs(i, &allowed)?;
                let name = a
                    .iter()
                    .find(|(k, _)| k == "name")
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| "The name attribute is required.".to_string())?;
                (name, a)
            }
            None => {
                let t = o.require("-t")?;
                if !KINDS.contains(&t) {
                    return Err(not_one_of(
                        "-t",
                        t,
                        &["passwd", "taskrole", "desc", "name", "pwage", "default"],
                    )
                    .into());
                }
                // -t name renames: the new name is -v.
                let t = if t == "name" { "new_name" } else { t };
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
        Ok(Chhmcusr::User { user, changes })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let superadmin = ctx.user.taskrole == "hmcsuperadmin";
        let users = &ctx.hmc.users;
        match self {
            Chhmcusr::Enable(name) => {
                if !superadmin {
                    return Err(Hscl::NoAuthority.into());
                }
                // No user is ever disabled here (no login attempts are
                // counted), so enabling finds the user and changes nothing.
                users
                    .get(&name)
                    .ok_or_else(|| format!("The user {name} was not found."))?;
            }
            Chhmcusr::Defaults(values) => {
                if !superadmin {
                    return Err(Hscl::NoAuthority.into());
                }
                let mut d = users.defaults();
                for (k, v) in &values {
                    set_default(&mut d, k, *v);
                }
                if d.min_pwage > d.pwage {
                    return Err("The min_pwage value cannot exceed the pwage value."
                        .to_string()
                        .into());
                }
                users.set_defaults(|cur| *cur = d)?;
            }
            Chhmcusr::User { user, changes } => {
                let own_password = user == ctx.user.name
                    && changes.iter().all(|c| {
                        matches!(c, UserChange::Password(_) | UserChange::CurrentPassword(_))
                    });
                if !superadmin && !own_password {
                    return Err(Hscl::NoAuthority.into());
                }
                let new_name = changes.iter().rev().find_map(|c| match c {
                    UserChange::Rename(n) => Some(n.clone()),
                    _ => None,
                });
                if let Some(n) = &new_name
                    && *n != user
                    && PERMANENT_USERS.contains(&user.as_str())
                {
                    return Err(format!("The user {user} cannot be renamed.").into());
                }
                for c in &changes {
                    if let UserChange::Password(p) = c {
                        users.check_against_policy(new_name.as_deref().unwrap_or(&user), p)?;
                    }
                }
                let change = |mut u: crate::users::User| -> Result<crate::users::User, String> {
                    for c in &changes {
                        match c {
                            UserChange::Password(v) => u.password = v.clone(),
                            UserChange::CurrentPassword(v) => {
                                if !superadmin && *v != u.password {
                                    return Err("The current password is not correct.".into());
                                }
                            }
                            UserChange::TaskRole(v) => u.taskrole = v.clone(),
                            UserChange::Description(v) => u.description = v.clone(),
                            UserChange::Rename(_) => {}
                            UserChange::Setting(k, v) => {
                                set_setting(&mut u.settings, k, v).map_err(|e| e.to_string())?
                            }
                        }
                    }
                    Ok(u)
                };
                match new_name {
                    Some(n) => users.rename(&user, &n, change)?,
                    None => users.update(&user, |old| {
                        let u = old.ok_or_else(|| format!("The user {user} was not found."))?;
                        change(u).map(Some)
                    })?,
                }
            }
        }
        Ok(String::new())
    }
}

fn set_default(d: &mut Defaults, k: &str, v: u32) {
    match k {
        "pwage" => d.pwage = v,
        "min_pwage" => d.min_pwage = v,
        "session_timeout" => d.session_timeout = v,
        "verify_timeout" => d.verify_timeout = v,
        "idle_timeout" => d.idle_timeout = v,
        "inactivity_expiration" => d.inactivity_expiration = v,
        "max_webui_login_attempts" => d.max_webui_login_attempts = v,
        "webui_login_suspend_time" => d.webui_login_suspend_time = v,
        _ => {}
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
            Some(Chhmcusr::User {
                user: "viewer1".into(),
                changes: vec![UserChange::TaskRole("hmcoperator".into())]
            })
        );
        assert_eq!(
            Chhmcusr::parse(&args(&["-i", "passwd=abcdefgh,name=u1,description=ops"])).ok(),
            Some(Chhmcusr::User {
                user: "u1".into(),
                changes: vec![
                    UserChange::Password("abcdefgh".into()),
                    UserChange::Description("ops".into())
                ]
            })
        );
        assert_eq!(
            Chhmcusr::parse(&args(&["-i", "name=u1,new_name=u2,session_timeout=30"])).ok(),
            Some(Chhmcusr::User {
                user: "u1".into(),
                changes: vec![
                    UserChange::Rename("u2".into()),
                    UserChange::Setting("session_timeout".into(), "30".into())
                ]
            })
        );
        assert_eq!(
            Chhmcusr::parse(&args(&["-u", "u1", "-t", "name", "-v", "u3"])).ok(),
            Some(Chhmcusr::User {
                user: "u1".into(),
                changes: vec![UserChange::Rename("u3".into())]
            })
        );
    }

    #[test]
    fn parses_defaults_and_enable() {
        assert_eq!(
            Chhmcusr::parse(&args(&[
                "-t",
                "default",
                "-i",
                "session_timeout=30,max_webui_login_attempts=5"
            ]))
            .ok(),
            Some(Chhmcusr::Defaults(vec![
                ("session_timeout".into(), 30),
                ("max_webui_login_attempts".into(), 5)
            ]))
        );
        assert_eq!(
            Chhmcusr::parse(&args(&["-o", "e", "-u", "u1"])).ok(),
            Some(Chhmcusr::Enable("u1".into()))
        );
        assert!(Chhmcusr::parse(&args(&["-t", "default", "-i", "taskrole=hmcviewer"])).is_err());
        assert!(Chhmcusr::parse(&args(&["-t", "default", "-i", "idle_timeout=x"])).is_err());
        assert!(Chhmcusr::parse(&args(&["-o", "x", "-u", "u1"])).is_err());
        assert!(Chhmcusr::parse(&args(&["-o", "e"])).is_err());
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
            &["-i", "name=u1,new_name=1bad"],
            &["-i", "name=u1,remote_ssh_access=yes"],
        ] {
            assert!(Chhmcusr::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
