//! `rmsyscfg -r lpar -m <sys> -n <lpar> [--vioscfg] [--vdisk]` deletes a
//! partition that is not running; `rmsyscfg -r prof -m <sys> -n <profile>
//! -p <lpar>` deletes a profile other than the default one.

use super::opts::{self, flag, value};
use crate::error::CmdResult;
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-n"]),
    value(&["-p"]),
    value(&["--id"]),
    flag(&["--vioscfg"]),
    flag(&["--vdisk"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let resource = o.require("-r")?.to_string();
    let frame = find_frame(ctx, o.require("-m")?)?;
    ctx.may_change()?;
    match resource.as_str() {
        "lpar" => {
            let lpar = match (o.get("-n"), o.get("--id")) {
                (Some(n), _) => frame.partitions.iter().find(|p| p.name == n).ok_or_else(|| Hscl::PartitionNotFound(n.into()))?,
                (None, Some(id)) => frame.partitions.iter().find(|p| p.id.to_string() == id).ok_or_else(|| Hscl::PartitionNotFound(id.into()))?,
                (None, None) => return Err("The -n or --id parameter is required.".to_string().into()),
            };
            crate::partitions::remove(ctx, &frame, lpar).await?;
        }
        "prof" => {
            let name = o.require("-n")?;
            let lname = o.require("-p")?;
            let lpar = frame.partitions.iter().find(|p| p.name == lname).ok_or_else(|| Hscl::PartitionNotFound(lname.into()))?;
            if !lpar.profiles.iter().any(|p| p.name == name) {
                return Err(Hscl::ProfileNotFound { profile: name.into(), lpar: lname.into() }.into());
            }
            if lpar.default_profile == name {
                return Err(format!("The profile {name} is the default profile of partition {lname} and cannot be deleted.").into());
            }
            let mut p = lpar.clone();
            p.profiles.retain(|x| x.name != name);
            crate::partitions::put(ctx, &frame, p, false, &format!("deleting the partition profile named {name}")).await?;
        }
        other => return Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are lpar, prof.").into()),
    }
    Ok(String::new())
}
