//! `chsyscfg -r lpar|prof -m <sys> -i "<attrs>" | -f <file>` changes a
//! partition's or a profile's attributes; `chsyscfg -r lpar -m <sys> -o apply
//! -p <lpar> -n <profile>` applies a profile to a running partition.

use super::config::{self, Attrs, get};
use super::opts::{self, value};
use crate::error::CmdResult;
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use pvmlab_common::model::{FrameExt as _, PartitionExt as _};
use pvmlab_common::proto::hmc::FrameView;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-i"]),
    value(&["-f"]),
    value(&["-o"]),
    value(&["-p"]),
    value(&["-n"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let resource = o.require("-r")?.to_string();
    let frame = find_frame(ctx, o.require("-m")?)?;
    ctx.may_change()?;
    if let Some(op) = o.get("-o") {
        if op != "apply" || resource != "lpar" {
            return Err(format!("An invalid value was entered for the -o parameter: {op}. Valid value is apply with -r lpar.").into());
        }
        return apply(ctx, &frame, o.require("-p")?, o.require("-n")?).await;
    }
    for rec in config::records(o.get("-i"), o.get("-f"), &config::allowed())? {
        let frame = find_frame(ctx, &frame.name)?;
        match resource.as_str() {
            "lpar" => change_lpar(ctx, &frame, &rec).await?,
            "prof" => change_profile(ctx, &frame, &rec).await?,
            "sys" => change_sys(ctx, &frame, &rec).await?,
            other => return Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are lpar, prof, sys.").into()),
        }
    }
    Ok(String::new())
}

async fn change_lpar(ctx: &Ctx<'_>, frame: &FrameView, a: &Attrs) -> Result<(), super::CmdError> {
    let lpar = config::partition(frame, a, "name")?;
    let mut p = lpar.clone();
    let fr = frame.frame.clone().unwrap_or_default();
    for (k, v) in a {
        match k.as_str() {
            "name" | "lpar_id" => {}
            "new_name" => p.name = v.clone(),
            "default_profile" => p.default_profile = v.clone(),
            "lpar_avail_priority" => {
                p.lpar_avail_priority = v
                    .parse()
                    .map_err(|_| format!("An invalid attribute value was entered: {k}={v}"))?
            }
            "msp" if p.is_vios() => p.msp = config::flag(a, k)?.unwrap_or(p.msp),
            "migration_disabled" => p.migration_disabled = config::flag(a, k)?.unwrap_or(false),
            "remote_restart_capable" | "simplified_remote_restart_capable" => {
                let want = config::flag(a, k)?.unwrap_or(false);
                // A POWER7-class frame fixes this at creation (reference, seed 000).
                if fr.proc_generation.starts_with("POWER7")
                    || fr.proc_generation.starts_with("POWER6")
                {
                    if want != p.remote_restart_capable {
                        return Err(format!(
                            "An error occurred while changing the partition named {}. The managed system does not support changing the remote restart capability of a partition. You must delete the partition and recreate it with the desired remote restart capability.",
                            p.name
                        )
                        .into());
                    }
                    continue;
                }
                let cap = if k == "remote_restart_capable" {
                    "powervm_lpar_remote_restart_capable"
                } else {
                    "powervm_lpar_simplified_remote_restart_capable"
                };
                if want && !fr.has_capability(cap) {
                    return Err(format!("The managed system does not support {k}.").into());
                }
                if k == "remote_restart_capable" {
                    p.remote_restart_capable = want;
                } else {
                    p.simplified_remote_restart_capable = want;
                    p.remote_restart_capable |= want;
                }
            }
            "primary_rs_vios_name" => p.primary_rs_vios_name = v.clone(),
            "secondary_rs_vios_name" => p.secondary_rs_vios_name = v.clone(),
            "rs_device_name" => p.rs_device_name = v.clone(),
            other => return Err(format!("An invalid attribute was entered: {other}").into()),
        }
    }
    crate::rr::rsdp::check_assignment(frame, &p)?;
    crate::partitions::put(
        ctx,
        frame,
        p,
        false,
        &format!("changing the partition named {}", lpar.name),
    )
    .await?;
    Ok(())
}

async fn change_profile(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    a: &Attrs,
) -> Result<(), super::CmdError> {
    let name = get(a, "name").ok_or_else(|| "The name attribute is required.".to_string())?;
    let lpar = config::partition(frame, a, "lpar_name")?;
    let mut p = lpar.clone();
    let prof = p
        .profiles
        .iter_mut()
        .find(|x| x.name == name)
        .ok_or_else(|| Hscl::ProfileNotFound {
            profile: name.to_string(),
            lpar: lpar.name.clone(),
        })?;
    let profile_attrs: Attrs = a
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "name" | "lpar_name" | "lpar_id"))
        .cloned()
        .collect();
    if let Some((k, _)) = profile_attrs
        .iter()
        .find(|(k, _)| config::LPAR_INPUT.contains(&k.as_str()) && k != "shared_proc_pool_name")
    {
        return Err(format!("An invalid attribute was entered: {k}").into());
    }
    config::apply_profile(frame, prof, &profile_attrs)?;
    crate::partitions::put(
        ctx,
        frame,
        p,
        false,
        &format!("changing the partition profile named {name}"),
    )
    .await?;
    Ok(())
}

/// `chsyscfg -r sys -i "new_name=...,power_off_policy=0|1"`. The new name
/// must not be another managed system's on this HMC.
async fn change_sys(ctx: &Ctx<'_>, frame: &FrameView, a: &Attrs) -> Result<(), super::CmdError> {
    let mut req = pvmlab_common::proto::fsp::ChangeFrameRequest::default();
    for (k, v) in a {
        match k.as_str() {
            "name" => {}
            "new_name" => {
                if ctx.hmc.view.frames().iter().any(|f| {
                    f.name != frame.name
                        && (f.name == *v || f.frame.as_ref().is_some_and(|x| x.user_name == *v))
                }) {
                    return Err(
                        format!("The name {v} is already used by another managed system.").into(),
                    );
                }
                req.user_name = Some(v.clone());
            }
            "power_off_policy" => {
                req.power_off_policy = Some(v.parse().map_err(|_| {
                    format!("An invalid attribute value was entered: power_off_policy={v}")
                })?)
            }
            other => return Err(format!("An invalid attribute was entered: {other}").into()),
        }
    }
    let conn = crate::hmc::conn(ctx, frame)?;
    req.session = conn.session;
    let mut fsp = conn.fsp;
    let done = fsp
        .change_frame(req)
        .await
        .map_err(|e| {
            super::CmdError::Usage(format!(
                "An error occurred while changing the managed system {}: {}.",
                frame.name,
                e.message()
            ))
        })?
        .into_inner();
    let epoch = done.frame.map(|f| f.epoch).unwrap_or(0);
    ctx.hmc
        .view
        .wait_for(std::time::Duration::from_secs(2), |fs| {
            fs.iter()
                .any(|f| f.name == frame.name && f.frame.as_ref().is_some_and(|x| x.epoch >= epoch))
        })
        .await;
    Ok(())
}

/// Applies a profile to a running partition: it becomes the current profile.
async fn apply(ctx: &Ctx<'_>, frame: &FrameView, lpar: &str, profile: &str) -> CmdResult {
    let l = frame
        .partitions
        .iter()
        .find(|p| p.name == lpar)
        .ok_or_else(|| Hscl::PartitionNotFound(lpar.into()))?;
    if l.profile(profile).is_none() {
        return Err(Hscl::ProfileNotFound {
            profile: profile.into(),
            lpar: lpar.into(),
        }
        .into());
    }
    let mut p = l.clone();
    p.default_profile = profile.to_string();
    crate::partitions::put(
        ctx,
        frame,
        p,
        false,
        &format!("applying the profile {profile} to the partition named {lpar}"),
    )
    .await?;
    Ok(String::new())
}
