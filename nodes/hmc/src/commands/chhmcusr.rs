//! `chhmcusr -u <user> -t passwd|taskrole|description -v <value>` or
//! `chhmcusr -i "name=<user>,taskrole=...,passwd=...,description=..."`.
//! A superadmin changes anyone; other users only their own password.

use super::input::input_attrs;
use super::opts::{self, value};
use crate::error::CmdResult;
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use crate::users::TASK_ROLES;

const SPEC: &[opts::Opt] = &[
    value(&["-u"]),
    value(&["-t"]),
    value(&["-v"]),
    value(&["-i"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let (name, changes) = match o.get("-i") {
        Some(i) => {
            let a = input_attrs(i, &["name", "taskrole", "passwd", "description"])?;
            let name = a
                .iter()
                .find(|(k, _)| k == "name")
                .map(|(_, v)| v.clone())
                .ok_or_else(|| "The name attribute is required.".to_string())?;
            (
                name,
                a.into_iter()
                    .filter(|(k, _)| k != "name")
                    .collect::<Vec<_>>(),
            )
        }
        None => {
            let t = o.require("-t")?;
            if !["passwd", "taskrole", "description"].contains(&t) {
                return Err(format!("An invalid value was entered for the -t parameter: {t}. Valid values are passwd, taskrole, description.").into());
            }
            (
                o.require("-u")?.to_string(),
                vec![(t.to_string(), o.require("-v")?.to_string())],
            )
        }
    };
    let own_password = name == ctx.user.name && changes.iter().all(|(k, _)| k == "passwd");
    if ctx.user.taskrole != "hmcsuperadmin" && !own_password {
        return Err(Hscl::NoAuthority.into());
    }
    for (k, v) in &changes {
        match k.as_str() {
            "taskrole" if !TASK_ROLES.contains(&v.as_str()) => {
                return Err(format!(
                    "The task role {v} is not valid. Valid task roles are {}.",
                    TASK_ROLES.join(", ")
                )
                .into());
            }
            "passwd" if v.len() < 7 => {
                return Err("The password must be at least 7 characters long."
                    .to_string()
                    .into());
            }
            _ => {}
        }
    }
    ctx.hmc.users.update(&name, |old| {
        let mut u = old.ok_or_else(|| format!("The user {name} was not found."))?;
        for (k, v) in changes {
            match k.as_str() {
                "passwd" => u.password = v,
                "taskrole" => u.taskrole = v,
                _ => u.description = v,
            }
        }
        Ok(Some(u))
    })?;
    Ok(String::new())
}
