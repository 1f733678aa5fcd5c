//! `refdev -m <sys> -p <lpar> [-v]`: writes a remote restart capable
//! partition's configuration to its reserved storage device now (seed 000
//! §1.10); the HMC also does it on every change it sees.

use super::opts::{self, flag, value};
use crate::error::CmdResult;
use crate::hmc::{Ctx, find_frame};
use pvmlab_common::model::rr_status;

const SPEC: &[opts::Opt] = &[
    value(&["-m"]),
    value(&["-p"]),
    value(&["--id"]),
    flag(&["-v"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let f = find_frame(ctx, o.require("-m")?)?;
    ctx.may_change()?;
    let p = super::input::lpar_arg(&f, &o)?;
    if p.rs_device_name.is_empty() {
        return Err(format!(
            "The partition {} has no reserved storage device to refresh.",
            p.name
        )
        .into());
    }
    if p.remote_restart_status == rr_status::INVALID {
        return Err(format!(
            "The partition {} has never been started: there is no configuration to write yet.",
            p.name
        )
        .into());
    }
    let devices = crate::lpm::devices(ctx, &f).await;
    let doc = crate::rr::doc_of(&f, p, &devices);
    crate::rr::rsdp::write(ctx, &f, &doc).await?;
    Ok(if o.has("-v") {
        format!(
            "The reserved storage device {} of partition {} was refreshed.\n",
            p.rs_device_name, p.name
        )
    } else {
        String::new()
    })
}
