//! `lshmcusr [-F attrs] [--header] [--filter "names=a,b"]`: the HMC's users.

use super::opts::{self, flag, value};
use crate::error::CmdResult;
use crate::hmc::Ctx;
use crate::render::{self, Record};

const SPEC: &[opts::Opt] = &[value(&["-F"]), flag(&["--header"]), value(&["--filter"])];

const ATTRS: &[&str] = &[
    "name",
    "taskrole",
    "description",
    "pwage",
    "resourcerole",
    "authentication_type",
    "remote_webui_access",
    "remote_ssh_access",
    "min_pwage",
    "session_timeout",
    "verify_timeout",
    "idle_timeout",
    "inactivity_expiration",
    "passwd_authentication",
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let records: Vec<Record> = ctx
        .hmc
        .users
        .all()
        .into_iter()
        .map(|u| {
            let vals = [
                u.name.as_str(),
                u.taskrole.as_str(),
                u.description.as_str(),
                "99999",
                "",
                "local",
                "0",
                "1",
                "0",
                "0",
                "15",
                "0",
                "0",
                "1",
            ];
            ATTRS
                .iter()
                .zip(vals)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect();
    Ok(render::listing(
        records,
        &o.form(),
        &[("names", "name"), ("taskroles", "taskrole")],
        ATTRS,
    )?)
}
