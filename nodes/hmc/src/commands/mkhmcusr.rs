//! `mkhmcusr -u <user> -a <taskrole> [-d <description>] [--passwd <password>]`
//! or `mkhmcusr -i "name=...,taskrole=...,passwd=...,description=..."`.

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
    value(&["-M"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    if ctx.user.taskrole != "hmcsuperadmin" {
        return Err(Hscl::NoAuthority.into());
    }
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
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (name, role, passwd) = (get("name"), get("taskrole"), get("passwd"));
    check_name(&name)?;
    if !TASK_ROLES.contains(&role.as_str()) {
        return Err(format!(
            "The task role {role} is not valid. Valid task roles are {}.",
            TASK_ROLES.join(", ")
        )
        .into());
    }
    if passwd.is_empty() {
        return Err("A password is required: --passwd <password>."
            .to_string()
            .into());
    }
    if passwd.len() < 7 {
        return Err("The password must be at least 7 characters long."
            .to_string()
            .into());
    }
    let user = User {
        name: name.clone(),
        password: passwd,
        taskrole: role,
        description: get("description"),
        keys: Vec::new(),
        trusted_hmcs: Vec::new(),
    };
    ctx.hmc.users.update(&name, |old| match old {
        Some(_) => Err(format!("The user {name} already exists.")),
        None => Ok(Some(user)),
    })?;
    Ok(String::new())
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
