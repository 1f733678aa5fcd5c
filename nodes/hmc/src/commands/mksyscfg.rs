//! `mksyscfg -r lpar|prof -m <sys> -i "<attrs>" | -f <file>`: create
//! partitions (aixlinux or vioserver) with their first profile, or add
//! profiles to a partition. In `-r lpar` input `name` is the partition and
//! `profile_name` the profile; in `-r prof` input `name` is the profile.

use super::config::{self, Attrs, get};
use super::opts::{self, value};
use crate::error::CmdResult;
use crate::hmc::{Ctx, find_frame};
use pvmlab_common::attrs::default_profile;
use pvmlab_common::model::{FrameExt as _, LPAR_ENV_AIXLINUX, LPAR_ENV_VIOS, Partition};
use pvmlab_common::proto::hmc::FrameView;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-i"]),
    value(&["-f"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let resource = o.require("-r")?.to_string();
    let frame = find_frame(ctx, o.require("-m")?)?;
    ctx.may_change()?;
    let records = config::records(o.get("-i"), o.get("-f"), &config::allowed())?;
    for rec in records {
        let frame = find_frame(ctx, &frame.name)?;
        match resource.as_str() {
            "lpar" => create_lpar(ctx, &frame, &rec).await?,
            "prof" => add_profile(ctx, &frame, &rec).await?,
            other => return Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are lpar, prof.").into()),
        }
    }
    Ok(String::new())
}

async fn create_lpar(ctx: &Ctx<'_>, frame: &FrameView, a: &Attrs) -> Result<(), super::CmdError> {
    let name = get(a, "name").ok_or_else(|| "The name attribute is required.".to_string())?;
    let env =
        get(a, "lpar_env").ok_or_else(|| "The lpar_env attribute is required.".to_string())?;
    if env != LPAR_ENV_AIXLINUX && env != LPAR_ENV_VIOS {
        return Err(format!(
            "An invalid attribute value was entered: lpar_env={env} (aixlinux or vioserver)"
        )
        .into());
    }
    let profile_name = get(a, "profile_name")
        .ok_or_else(|| "The profile_name attribute is required.".to_string())?;
    let id = match get(a, "lpar_id") {
        Some(v) => v
            .parse()
            .map_err(|_| format!("An invalid attribute value was entered: lpar_id={v}"))?,
        None => 0,
    };
    let fr = frame.frame.clone().unwrap_or_default();
    let rr = config::flag(a, "remote_restart_capable")?.unwrap_or(false);
    let srr = config::flag(a, "simplified_remote_restart_capable")?.unwrap_or(false);
    if rr && !fr.has_capability("powervm_lpar_remote_restart_capable") {
        return Err(
            "The managed system does not support remote restart capable partitions."
                .to_string()
                .into(),
        );
    }
    if srr && !fr.has_capability("powervm_lpar_simplified_remote_restart_capable") {
        return Err(
            "The managed system does not support simplified remote restart capable partitions."
                .to_string()
                .into(),
        );
    }
    let mut prof = default_profile(profile_name);
    config::apply_profile(frame, &mut prof, a)?;
    let p = Partition {
        id,
        name: name.to_string(),
        lpar_env: env.to_string(),
        default_profile: profile_name.to_string(),
        msp: config::flag(a, "msp")?.unwrap_or(false),
        remote_restart_capable: rr || srr,
        simplified_remote_restart_capable: srr,
        lpar_avail_priority: get(a, "lpar_avail_priority")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        profiles: vec![prof],
        ..Default::default()
    };
    crate::partitions::put(
        ctx,
        frame,
        p,
        true,
        &format!("creating the partition named {name}"),
    )
    .await?;
    Ok(())
}

async fn add_profile(ctx: &Ctx<'_>, frame: &FrameView, a: &Attrs) -> Result<(), super::CmdError> {
    let name = get(a, "name").ok_or_else(|| "The name attribute is required.".to_string())?;
    let lpar = config::partition(frame, a, "lpar_name")?;
    if lpar.profiles.iter().any(|p| p.name == name) {
        return Err(format!(
            "The profile {name} already exists for partition {}.",
            lpar.name
        )
        .into());
    }
    let mut prof = default_profile(name);
    config::apply_profile(frame, &mut prof, a)?;
    let mut p = lpar.clone();
    p.profiles.push(prof);
    crate::partitions::put(
        ctx,
        frame,
        p,
        false,
        &format!("creating the partition profile named {name}"),
    )
    .await?;
    Ok(())
}
