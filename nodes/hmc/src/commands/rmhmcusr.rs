//! `rmhmcusr -u <user>`. hscroot, and the user running the command, stay.

use super::opts::{self, value};
use crate::error::CmdResult;
use crate::hmc::Ctx;
use crate::hscl::Hscl;

const SPEC: &[opts::Opt] = &[value(&["-u"])];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    if ctx.user.taskrole != "hmcsuperadmin" {
        return Err(Hscl::NoAuthority.into());
    }
    let name = o.require("-u")?.to_string();
    if name == "hscroot" || name == ctx.user.name {
        return Err(format!("The user {name} cannot be removed.").into());
    }
    ctx.hmc.users.update(&name, |old| match old {
        Some(_) => Ok(None),
        None => Err(format!("The user {name} was not found.")),
    })?;
    Ok(String::new())
}
