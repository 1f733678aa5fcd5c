//! Remote restart (`rrstartlpar`): a remote restart capable partition of a
//! frame that went down is rebuilt on another frame from its stored
//! configuration and boots there afresh; no memory moves. The HMC keeps
//! that configuration itself (simplified remote restart, POWER8 and
//! later), refreshed on every change the frames report: the partition,
//! the VIOS partitions that serve it and their mappings, which is what
//! the destination's VIOS hosting is checked and built from; the POWER7
//! way keeps it on a reserved storage device (`rsdp`). The checks are
//! LPM's inactive validation, with remote restart's capability.
//!
//! Two copies never run: the destination copy is created before the
//! source copy is marked (Remote Restarted) where the source can be
//! reached, the HMC remembers every restart it made and marks the stale
//! copy as soon as the source frame comes back, and the hypervisor
//! refuses to start a marked copy until `rrstartlpar -o cleanup`.

use crate::error::CmdError;
use crate::hmc::{Ctx, conn};
use crate::hscl::Hscl;
use crate::lpm::ops::FrameOps;
use crate::lpm::{self, validate};
use crate::partitions;
use pvmlab_common::model::{Partition, PartitionExt as _, frame_state, lpar_state, rr_status};
use pvmlab_common::proto::fsp::ActivateLparRequest;
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::store::StoreError;
use std::time::Instant;

mod keeper;
pub mod rsdp;
pub use crate::restarts::{Doc, Restarted};
pub use keeper::{doc_of, keep};

/// What the options ask for.
#[derive(Default)]
pub struct Opts {
    pub noconnection: bool,
    pub force: bool,
    pub retaindev: bool,
    pub usecurrdata: bool,
    /// --redundantvios: 0 not required, 1 required, 2 if possible.
    pub redundantvios: u8,
    /// --vlanbridge: 1 required (default), 2 if possible.
    pub vlanbridge: u8,
}

fn store_err(e: StoreError) -> CmdError {
    CmdError::Usage(format!(
        "The management console could not update its store: {e}"
    ))
}

/// The source frame states in which a restart may go ahead.
fn source_down(state: &str, noconnection: bool) -> bool {
    frame_state::is_down(state)
        || state == frame_state::INITIALIZING
        || (noconnection && state == frame_state::NO_CONNECTION)
}

/// How long a command waits for the copies of a frame the HMC has just
/// connected to.
const GATHER_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether a partition keeps its configuration on a reserved storage
/// device (the POWER7 way) rather than in the HMC.
fn on_device(p: &Partition) -> bool {
    p.remote_restart_capable && !p.simplified_remote_restart_capable
}

/// The SAN LUN behind a partition's reserved storage device on `f`.
fn device_lun(f: &FrameView, p: &Partition) -> Option<String> {
    let primary = f
        .partitions
        .iter()
        .find(|v| v.name == p.primary_rs_vios_name)?
        .id;
    rsdp::pool(f)
        .devices
        .into_iter()
        .find(|d| d.vios_id == primary && d.device_name == p.rs_device_name)
        .map(|d| d.lun)
}

/// The configuration a restart works from: for a partition with a
/// reserved storage device, what the device holds, read through the
/// destination; else the HMC's; with --usecurrdata the HMC's current view
/// of the source, if it has one.
async fn doc_for(
    ctx: &Ctx<'_>,
    src: &FrameView,
    dst: &FrameView,
    lpar: &str,
    opts: &Opts,
) -> Result<Doc, CmdError> {
    let current = src.partitions.iter().find(|p| p.name == lpar);
    if let Some(p) = current {
        if p.is_vios() || !p.remote_restart_capable {
            return Err(CmdError::Usage(format!(
                "The partition {lpar} is not remote restart capable (remote_restart_capable=0). Only a remote restart capable partition can be restarted on another managed system."
            )));
        }
    }
    // Right after the HMC connects to the source, its copies may still be
    // on their way from the VIOS partitions: wait for them rather than
    // fail on a partial copy.
    if src.connected && !ctx.hmc.rr.settled(&src.name, GATHER_WAIT).await {
        tracing::warn!(frame = %src.name, "remote restart data still being gathered; using what is stored");
    }
    let stored = ctx.hmc.rr.get(&src.name, lpar);
    let known = current.cloned().or(stored.as_ref().map(|d| d.lpar.clone()));
    if let Some(p) = known.filter(on_device).filter(|_| !opts.usecurrdata) {
        if p.rs_device_name.is_empty() {
            return Err(CmdError::Usage(format!(
                "The partition {lpar} has no reserved storage device: there is no configuration to restart it from."
            )));
        }
        let lun = device_lun(src, &p).ok_or_else(|| {
            CmdError::Usage(format!(
                "The reserved storage device {} of partition {lpar} is not in the pool of {}.",
                p.rs_device_name, src.name
            ))
        })?;
        return rsdp::read(ctx, dst, &lun).await.ok_or_else(|| {
            CmdError::Usage(format!(
                "The reserved storage device {} of partition {lpar} (LUN {lun}) cannot be read through any Virtual I/O Server partition of {}.",
                p.rs_device_name, dst.name
            ))
        });
    }
    // Current data when asked for (or nothing is stored): what the HMC
    // sees of the source and its VIOS partitions can still tell.
    let doc = match (current, stored) {
        (Some(p), None) => doc_of(src, p, &lpm::devices(ctx, src).await),
        (Some(p), Some(_)) if opts.usecurrdata => doc_of(src, p, &lpm::devices(ctx, src).await),
        (_, Some(d)) => d,
        (None, None) => return Err(Hscl::PartitionNotFound(lpar.to_string()).into()),
    };
    if doc.lpar.remote_restart_status == rr_status::INVALID
        || doc.lpar.remote_restart_status.is_empty()
    {
        return Err(CmdError::Usage(format!(
            "The partition {lpar} has never been started (remote_restart_status=Invalid), so there is no configuration to restart it from."
        )));
    }
    Ok(doc)
}

/// Validation, as `-o validate` and the start of `-o restart` run it:
/// every error and warning, and the plan for the destination's adapters.
pub async fn check(
    ctx: &Ctx<'_>,
    src: &FrameView,
    dst: &FrameView,
    lpar: &str,
    opts: &Opts,
) -> Result<(Doc, validate::Plan), CmdError> {
    let doc = doc_for(ctx, src, dst, lpar, opts).await?;
    // The partition as it will be rebuilt: not running, no migration.
    let mut l = doc.lpar.clone();
    l.state = lpar_state::NOT_ACTIVATED.into();
    l.curr = None;
    l.migration = None;
    let stored_src = FrameView {
        name: src.name.clone(),
        state: src.state.clone(),
        connected: true,
        frame: Some(doc.frame.clone()),
        partitions: std::iter::once(l.clone())
            .chain(doc.vioses.iter().cloned())
            .collect(),
        ..Default::default()
    };
    let dst_devices = lpm::devices(ctx, dst).await;
    let asked = validate::Asked {
        mpio: opts.redundantvios,
        vlanbridge: opts.vlanbridge.max(1),
        ..Default::default()
    };
    let mut plan = validate::validate(&validate::Inputs {
        src: &stored_src,
        dst,
        lpar: &l,
        src_devices: &doc.devices,
        dst_devices: &dst_devices,
        asked: &asked,
        check_failed: None,
        remote_restart: true,
    });
    let profile = validate::moving_profile(&l).cloned().unwrap_or_default();
    if !profile.io_slots.is_empty() {
        plan.warnings.retain(|w| !w.contains("physical I/O"));
        plan.errors.push(format!(
            "The partition {} owns physical I/O adapters ({}). A remote restart capable partition cannot own physical I/O.",
            l.name,
            profile.io_slots.join(", ")
        ));
    }
    if on_device(&doc.lpar) && dest_device(src, dst, &doc.lpar).is_none() {
        plan.errors.push(format!(
            "The reserved storage device {} of partition {lpar} is not in the reserved storage device pool of {}, or it holds another partition's data. Add the same LUN to that pool (chhwres -r rspool --rsubtype rsdev).",
            doc.lpar.rs_device_name, dst.name
        ));
    }
    if let Some(r) = ctx.hmc.rr.restarted(&src.name, lpar) {
        plan.errors.push(format!(
            "The partition {lpar} was already remote restarted on the managed system {}. Run rrstartlpar -o cleanup -m {} -p {lpar} once the source is back.",
            r.dest, src.name
        ));
    }
    Ok((doc, plan))
}

/// The free device of the destination's pool on the same LUN as the
/// partition's device at the source.
fn dest_device(
    src: &FrameView,
    dst: &FrameView,
    p: &Partition,
) -> Option<pvmlab_common::model::RsDevice> {
    let lun = device_lun(src, p)?;
    rsdp::pool(dst)
        .devices
        .into_iter()
        .find(|d| d.lun == lun && rsdp::holder(dst, d).is_none())
}

/// `rrstartlpar -o restart`. Returns what the command prints (warnings).
pub async fn restart(
    ctx: &Ctx<'_>,
    src: &FrameView,
    dst: &FrameView,
    lpar: &str,
    opts: &Opts,
) -> Result<String, CmdError> {
    if !source_down(&src.state, opts.noconnection) {
        return Err(Hscl::RemoteRestartState.into());
    }
    // Restarts and migrations plan a frame's VIOS slots one at a time.
    let planning = ctx.hmc.lpm.planning(&dst.name);
    let building = planning.lock().await;
    let dst =
        &lpm::frame_by(ctx, &dst.name).map_or_else(|| dst.clone(), std::sync::Arc::unwrap_or_clone);
    let (doc, mut plan) = check(ctx, src, dst, lpar, opts).await?;
    if !plan.errors.is_empty() {
        return Err(CmdError::Usage(
            validate::report(&plan).trim_end().to_string(),
        ));
    }
    let started = Instant::now();
    // The source copy, where its hypervisor answers, is marked first: from
    // here on it does not start.
    let src_copy = src.partitions.iter().find(|p| p.name == lpar).cloned();
    if src.connected {
        if let Some(p) = &src_copy {
            set_status(ctx, src, p, rr_status::SOURCE_RESTARTING).await?;
        }
    }
    // The destination copy: the stored configuration, its client adapters
    // pointing at the destination VIOS slots the plan chose, its own id if
    // that is free there.
    let mut l = doc.lpar.clone();
    l.state = lpar_state::NOT_ACTIVATED.into();
    l.curr = None;
    l.migration = None;
    let mut new = lpm::shell_of(&l, &plan, None);
    new.curr = None;
    new.curr_profile = String::new();
    // Its device there is the same LUN, through the destination's VIOS.
    if let Some(d) = on_device(&l).then(|| dest_device(src, dst, &l)).flatten() {
        let name = |id: u32| {
            dst.partitions
                .iter()
                .find(|v| v.id == id)
                .map(|v| v.name.clone())
                .unwrap_or_default()
        };
        new.primary_rs_vios_name = name(d.vios_id);
        new.secondary_rs_vios_name = name(d.redundant_vios_id);
        new.rs_device_name = d.device_name;
    }
    let dframe = dst.frame.clone().unwrap_or_default();
    if dst.partitions.iter().any(|p| p.id == l.id) || l.id > dframe.max_lpars {
        plan.warnings.push(Hscl::PartitionIdTaken.to_string());
        new.id = 0;
    }
    ctx.hmc
        .rr
        .record_restart(&Restarted {
            source: src.name.clone(),
            lpar: lpar.to_string(),
            dest: dst.name.clone(),
        })
        .map_err(store_err)?;
    let created = partitions::put(
        ctx,
        dst,
        new,
        true,
        &format!("creating the partition named {lpar}"),
    )
    .await?;
    let dst_now =
        lpm::frame_by(ctx, &dst.name).map_or_else(|| dst.clone(), std::sync::Arc::unwrap_or_clone);
    let ops = FrameOps::of(ctx, &dst_now)?;
    set_status(ctx, &dst_now, &created, rr_status::DEST_RESTARTING).await?;
    ops.map(ctx, &dst_now, created.id, &l, &plan.moves).await?;
    set_status(ctx, &dst_now, &created, rr_status::DEST_RESTARTED).await?;
    // The next restart plans from a view that shows these slots taken.
    let (name, moves) = (dst.name.clone(), plan.moves.clone());
    ctx.hmc
        .view
        .wait_for(std::time::Duration::from_secs(2), |fs| {
            fs.iter().filter(|f| f.name == name).any(|f| {
                moves.iter().all(|m| {
                    f.partitions.iter().any(|v| {
                        v.id == m.dest_vios
                            && v.curr.as_ref().is_some_and(|c| {
                                c.scsi.iter().any(|a| a.slot == m.dest_slot)
                                    || c.fc.iter().any(|a| a.slot == m.dest_slot)
                            })
                    })
                })
            })
        })
        .await;
    drop(building);
    ctx.hmc
        .rr
        .restart_done(&src.name, lpar)
        .map_err(store_err)?;
    if src.connected {
        if let Some(p) = &src_copy {
            set_status(ctx, src, p, rr_status::RESTARTED).await?;
        }
    }
    // It boots afresh on the destination, with the profile it ran.
    boot(ctx, &dst_now, &created).await.map_err(|e| {
        CmdError::Usage(format!(
            "The partition {lpar} was rebuilt on {} but could not be activated: {}. Activate it with chsysstate.",
            dst.name,
            e.message()
        ))
    })?;
    crate::hmc::wait_partition(ctx, &dst.name, created.id, |p| {
        p.state != lpar_state::NOT_ACTIVATED
    })
    .await;
    tracing::info!(%lpar, from = %src.name, to = %dst.name, ms = started.elapsed().as_millis() as u64, "remote restarted");
    plan.errors.clear();
    Ok(validate::report(&plan))
}

/// Starts a rebuilt partition afresh with the profile it ran last.
async fn boot(ctx: &Ctx<'_>, f: &FrameView, p: &Partition) -> Result<(), tonic::Status> {
    let c = conn(ctx, f).map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let mut fsp = c.fsp;
    let profile = if p.last_activated_profile.is_empty() {
        p.default_profile.clone()
    } else {
        p.last_activated_profile.clone()
    };
    fsp.activate_lpar(ActivateLparRequest {
        session: c.session,
        lpar_id: p.id,
        profile,
        boot: None,
        bootstring: String::new(),
    })
    .await
    .map(|_| ())
}

/// Removes a copy of a partition from a frame, with the server adapters
/// and mappings its VIOS partitions kept for it.
async fn remove_copy(ctx: &Ctx<'_>, f: &FrameView, p: &Partition) -> Result<(), CmdError> {
    let slots = lpm::serving_slots(f, p);
    FrameOps::of(ctx, f)?
        .unmap(ctx, f, p.id, &slots, true)
        .await;
    partitions::remove(ctx, f, p).await
}

/// Replaces a partition's remote_restart_status.
async fn set_status(
    ctx: &Ctx<'_>,
    f: &FrameView,
    p: &Partition,
    status: &str,
) -> Result<(), CmdError> {
    let now = lpm::frame_by(ctx, &f.name)
        .and_then(|v| v.partitions.iter().find(|x| x.id == p.id).cloned())
        .unwrap_or_else(|| p.clone());
    if now.remote_restart_status == status {
        return Ok(());
    }
    let mut next = now;
    next.remote_restart_status = status.to_string();
    partitions::put(
        ctx,
        f,
        next,
        false,
        &format!("changing the partition named {}", p.name),
    )
    .await
    .map(|_| ())
}

/// `rrstartlpar -o cleanup`: removes the stale source copy and its source
/// VIOS mappings once the source frame is back.
pub async fn cleanup(
    ctx: &Ctx<'_>,
    src: &FrameView,
    lpar: &str,
    opts: &Opts,
) -> Result<(), CmdError> {
    if !src.connected {
        return Err(Hscl::NoConnection(src.name.clone()).into());
    }
    if src.state != frame_state::OPERATING && src.state != frame_state::STANDBY {
        return Err(Hscl::RemoteRestartState.into());
    }
    let p = src
        .partitions
        .iter()
        .find(|p| p.name == lpar)
        .ok_or_else(|| Hscl::PartitionNotFound(lpar.to_string()))?;
    let restarted = ctx.hmc.rr.restarted(&src.name, lpar);
    let stale = matches!(
        p.remote_restart_status.as_str(),
        rr_status::RESTARTED | rr_status::SOURCE_RESTARTING
    ) || restarted.is_some();
    if !stale {
        return Err(CmdError::Usage(format!(
            "The partition {lpar} on {} has not been remote restarted (remote_restart_status={}); there is nothing to clean up.",
            src.name, p.remote_restart_status
        )));
    }
    if p.state != lpar_state::NOT_ACTIVATED {
        return Err(Hscl::PartitionState {
            lpar: lpar.to_string(),
            state: p.state.clone(),
        }
        .into());
    }
    let slots = lpm::serving_slots(src, p);
    // The VIOS must answer to remove the mappings, unless --force.
    if !opts.force {
        for (vios, _, _) in &slots {
            if let Some(v) = src.partitions.iter().find(|x| x.id == *vios) {
                if v.state != lpar_state::RUNNING || v.rmc_state != "active" {
                    return Err(Hscl::RmcFailed {
                        lpar: v.name.clone(),
                        detail: Some(format!("Start the Virtual I/O Server partitions of {} first, or use --force to leave their mappings behind.", src.name)),
                    }
                    .into());
                }
            }
        }
    }
    remove_copy(ctx, src, p).await?;
    // Its reserved storage device leaves the source's pool, unless kept.
    if !opts.retaindev && !p.rs_device_name.is_empty() {
        if let Some(lun) = device_lun(src, p) {
            let now = lpm::frame_by(ctx, &src.name)
                .map_or_else(|| src.clone(), std::sync::Arc::unwrap_or_clone);
            let mut pool = rsdp::pool(&now);
            pool.devices.retain(|d| d.lun != lun);
            rsdp::set_pool(ctx, &now, pool).await?;
        }
    }
    ctx.hmc.rr.end_restart(&src.name, lpar).map_err(store_err)?;
    Ok(())
}

/// `rrstartlpar -o cancel`: undoes a restart that did not finish (the
/// destination copy never started): it goes with its VIOS mappings, and
/// the source copy is restartable again.
pub async fn cancel(ctx: &Ctx<'_>, src: &FrameView, lpar: &str) -> Result<(), CmdError> {
    let r = ctx.hmc.rr.restarted(&src.name, lpar);
    let dest_name = r.as_ref().map(|r| r.dest.clone());
    let dst = dest_name.as_deref().and_then(|d| lpm::frame_by(ctx, d));
    let dcopy = dst
        .as_ref()
        .and_then(|d| d.partitions.iter().find(|p| p.name == lpar).cloned());
    match (&dst, &dcopy) {
        (Some(d), Some(p)) => {
            if p.state != lpar_state::NOT_ACTIVATED {
                return Err(CmdError::Usage(format!(
                    "The remote restart of partition {lpar} has completed: it is {} on {}. It cannot be cancelled.",
                    p.state, d.name
                )));
            }
            remove_copy(ctx, d, p).await?;
        }
        _ => {
            let src_copy = src.partitions.iter().find(|p| p.name == lpar);
            if !src_copy.is_some_and(|p| p.remote_restart_status == rr_status::SOURCE_RESTARTING) {
                return Err(CmdError::Usage(format!(
                    "There is no remote restart of partition {lpar} from {} to cancel.",
                    src.name
                )));
            }
        }
    }
    if src.connected {
        if let Some(p) = src.partitions.iter().find(|p| p.name == lpar) {
            set_status(ctx, src, p, rr_status::RESTARTABLE).await?;
        }
    }
    ctx.hmc.rr.end_restart(&src.name, lpar).map_err(store_err)?;
    Ok(())
}

/// `rrstartlpar -o recover`: finishes a restart that stopped after the
/// destination copy was built: it boots, and the source copy is marked.
pub async fn recover(ctx: &Ctx<'_>, src: &FrameView, lpar: &str) -> Result<(), CmdError> {
    let r = ctx.hmc.rr.restarted(&src.name, lpar).ok_or_else(|| {
        CmdError::Usage(format!(
            "There is no remote restart of partition {lpar} from {} to recover.",
            src.name
        ))
    })?;
    let d = lpm::frame_by(ctx, &r.dest).ok_or_else(|| Hscl::NoConnection(r.dest.clone()))?;
    let p = d
        .partitions
        .iter()
        .find(|p| p.name == lpar)
        .cloned()
        .ok_or_else(|| Hscl::PartitionNotFound(lpar.to_string()))?;
    if p.state == lpar_state::NOT_ACTIVATED {
        boot(ctx, &d, &p)
            .await
            .map_err(|e| CmdError::Usage(e.message().to_string()))?;
    }
    if src.connected {
        if let Some(s) = src.partitions.iter().find(|x| x.name == lpar) {
            set_status(ctx, src, s, rr_status::RESTARTED).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_goes_ahead_only_from_a_frame_that_is_down() {
        assert!(source_down(frame_state::POWER_OFF, false));
        assert!(source_down(frame_state::ERROR, false));
        assert!(source_down(frame_state::INITIALIZING, false));
        assert!(!source_down(frame_state::OPERATING, false));
        assert!(!source_down(frame_state::NO_CONNECTION, false));
        assert!(source_down(frame_state::NO_CONNECTION, true));
    }

    #[test]
    fn only_the_power7_way_keeps_the_configuration_on_a_device() {
        let p = |rr, srr| Partition {
            remote_restart_capable: rr,
            simplified_remote_restart_capable: srr,
            ..Default::default()
        };
        assert!(on_device(&p(true, false)));
        assert!(!on_device(&p(true, true)));
        assert!(!on_device(&p(false, false)));
    }
}
