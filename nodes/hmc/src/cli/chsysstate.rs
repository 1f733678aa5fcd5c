//! `chsysstate`: power a managed system on or off, or activate, shut down
//! and restart partitions. The forms are the ones MAAS, fence_lpar and
//! Ansible send:
//!   chsysstate -r sys -m <sys> -o on|off|onstandby [--immed]
//!   chsysstate -r lpar -m <sys> (-n <lpar> | --id <id>) -o on [-f <profile>] [-b|--bootstring <s>]
//!   chsysstate -r lpar -m <sys> (-n <lpar> | --id <id>) -o shutdown|osshutdown|restart [--immed]

use super::hscl::Hscl;
use super::opts::{self, flag, value};
use super::{CmdError, CmdResult, Ctx, find_frame};
use pvmlab_common::model::PartitionExt as _;
use pvmlab_common::proto::fsp::{ActivateLparRequest, PowerFrameRequest, PowerOperation, ShutdownLparRequest};
use pvmlab_common::proto::model::Reason;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-o"]),
    value(&["-n"]),
    value(&["--id"]),
    value(&["-f"]),
    value(&["-b", "--bootstring"]),
    flag(&["--immed"]),
    flag(&["--force"]),
];

/// Maps the hypervisor's refusal to the HMC's message.
fn refused(e: tonic::Status, system: &str, lpar: Option<&str>, state: &str) -> CmdError {
    if let Some(l) = super::locked(&e) {
        return l;
    }
    let reason = pvmlab_common::failure::reason(&e);
    match (e.code(), lpar) {
        (tonic::Code::Unavailable, _) => Hscl::NoConnection(system.to_string()).into(),
        (tonic::Code::FailedPrecondition, _)
            if matches!(reason, Reason::InsufficientMemory | Reason::InsufficientProcessors) =>
        {
            Hscl::Resources(e.message().to_string()).into()
        }
        (tonic::Code::FailedPrecondition, Some(l)) if reason == Reason::PartitionState => {
            Hscl::PartitionState {
                lpar: l.to_string(),
                state: state.to_string(),
            }
            .into()
        }
        (tonic::Code::FailedPrecondition, _) => Hscl::SystemState {
            system: system.to_string(),
            state: state.to_string(),
        }
        .into(),
        _ => CmdError::Usage(e.message().to_string()),
    }
}

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let resource = o.require("-r")?;
    let op = o.require("-o")?;
    let frame = find_frame(ctx, o.require("-m")?)?;
    ctx.may_change()?;
    let conn = super::conn(ctx, &frame)?;
    let mut fsp = conn.fsp.clone();
    match resource {
        "sys" => {
            let operation = match op {
                "on" => PowerOperation::On,
                "off" => PowerOperation::Off,
                "onstandby" => PowerOperation::OnStandby,
                _ => return Err(format!("An invalid value was entered for the -o parameter: {op}. Valid values for -r sys are on, off, onstandby.").into()),
            };
            let req = PowerFrameRequest { session: conn.session, operation: operation as i32, immediate: o.has("--immed") };
            fsp.power_frame(req).await.map_err(|e| refused(e, &frame.name, None, &frame.state))?;
            Ok(String::new())
        }
        "lpar" => {
            let lpar = match (o.get("-n"), o.get("--id")) {
                (Some(n), None) => frame.partitions.iter().find(|p| p.name == n).ok_or_else(|| Hscl::PartitionNotFound(n.into()))?,
                (None, Some(id)) => frame
                    .partitions
                    .iter()
                    .find(|p| p.id.to_string() == id)
                    .ok_or_else(|| Hscl::PartitionNotFound(id.into()))?,
                (Some(_), Some(_)) => return Err("Specify either -n or --id, not both.".to_string().into()),
                (None, None) => return Err("The -n or --id parameter is required.".to_string().into()),
            };
            let refuse = |e| refused(e, &frame.name, Some(&lpar.name), &lpar.state);
            match op {
                "on" => {
                    let profile = o.get("-f").map(str::to_string).unwrap_or_else(|| lpar.default_profile.clone());
                    if lpar.profile(&profile).is_none() {
                        return Err(Hscl::ProfileNotFound { profile, lpar: lpar.name.clone() }.into());
                    }
                    // A copy this HMC restarted elsewhere, before its frame
                    // has been told (it was out of reach).
                    if let Some(r) = ctx.hmc.rr.restarted(&frame.name, &lpar.name) {
                        return Err(format!(
                            "The partition {} cannot be activated because it was remote restarted on another managed system ({}). Run rrstartlpar -o cleanup -m {} -p {} to remove this copy.",
                            lpar.name, r.dest, frame.name, lpar.name
                        ).into());
                    }
                    let req = ActivateLparRequest {
                        session: conn.session,
                        lpar_id: lpar.id,
                        profile,
                        bootstring: o.get("-b").unwrap_or_default().to_string(),
                    };
                    fsp.activate_lpar(req).await.map_err(refuse)?;
                }
                "shutdown" | "osshutdown" | "restart" => {
                    if op == "osshutdown" && lpar.rmc_state != "active" {
                        return Err(CmdError::Usage(format!(
                            "The partition {} does not have an active RMC connection, which an operating system shutdown needs. Use -o shutdown instead.",
                            lpar.name
                        )));
                    }
                    let req = ShutdownLparRequest {
                        session: conn.session,
                        lpar_id: lpar.id,
                        immediate: o.has("--immed"),
                        restart: op == "restart",
                    };
                    fsp.shutdown_lpar(req).await.map_err(refuse)?;
                }
                other => {
                    return Err(format!("An invalid value was entered for the -o parameter: {other}. Valid values for -r lpar are on, shutdown, osshutdown, restart.").into());
                }
            }
            super::wait_partition(ctx, &frame.name, lpar.id, |p| p.state != lpar.state).await;
            Ok(String::new())
        }
        other => Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are sys, lpar.").into()),
    }
}
