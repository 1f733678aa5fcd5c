//! The HMC's part of Live Partition Mobility: it validates, then drives
//! both frames, the VIOS partitions and the source mover service partition
//! step by step, as the Redbook describes. It never touches a page: the
//! memory goes from MSP to MSP. What it has done is written into the
//! migration record the FSPs keep with the partition, so `migrlpar -o r`
//! can finish or undo a migration from any point, even after this HMC
//! restarted.

pub(crate) mod adapters;
mod lease;
mod local;
pub(crate) mod mappings;
mod moving;
pub(crate) mod ops;
mod phases;
mod record;
mod recovery;
pub mod remote;
pub(crate) mod shell;
pub(crate) mod steps;
pub mod validate;

use crate::error::CmdError;
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use ops::FrameOps;
use pvmlab_common::model::{Migration, Partition, ViosDevices, lpar_state};
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::model::Reason;
use std::collections::HashMap;
use validate::{Asked, Plan};

pub(crate) use local::vios_client;
pub(crate) use mappings::serving_slots;
pub use phases::migrate;
pub use recovery::recover;
pub(crate) use shell::shell_of;

pub(crate) use crate::migrations::Running;

/// An HSCLA2FF failure of the HMC's own work: `what` it was doing, and
/// the other node's words (`why`) for people to read.
pub(crate) fn failed(what: &str, why: impl std::fmt::Display) -> CmdError {
    Hscl::Internal {
        what: what.to_string(),
        why: why.to_string(),
    }
    .into()
}

/// The devices of every VIOS of a frame that answers over RMC.
pub(crate) async fn devices(ctx: &Ctx<'_>, f: &FrameView) -> HashMap<u32, ViosDevices> {
    match FrameOps::of(ctx, f) {
        Ok(ops) => ops.devices(ctx, f).await,
        Err(_) => HashMap::new(),
    }
}

/// Validation, as `migrlpar -o v` and the start of `-o m` run it.
pub async fn validate(
    ctx: &Ctx<'_>,
    src: &FrameView,
    dst: &FrameView,
    lpar: &Partition,
    asked: &Asked,
) -> Plan {
    let ops = |f| FrameOps::of(ctx, f).ok();
    validate_on(ctx, (src, ops(src)), (dst, ops(dst)), lpar, asked).await
}

/// A frame and how to reach it, if this HMC can.
type On<'f> = (&'f FrameView, Option<FrameOps>);

/// Validation with each frame's operations already chosen: what it needs
/// from the nodes first (the VIOS devices, the operating system's check),
/// then the pure validation over it.
async fn validate_on(
    ctx: &Ctx<'_>,
    (src, sops): On<'_>,
    (dst, dops): On<'_>,
    lpar: &Partition,
    asked: &Asked,
) -> Plan {
    let devices = |f, ops: Option<FrameOps>| async move {
        match ops {
            Some(o) => o.devices(ctx, f).await,
            None => HashMap::new(),
        }
    };
    let (sd, dd) = tokio::join!(devices(src, sops.clone()), devices(dst, dops));
    let check_failed = match &sops {
        Some(o) if lpar.state == lpar_state::RUNNING => os_check(ctx, src, o, lpar, asked).await,
        _ => None,
    };
    validate::validate(&validate::Inputs {
        src,
        dst,
        lpar,
        src_devices: &sd,
        dst_devices: &dd,
        asked,
        check_failed,
        remote_restart: false,
    })
}

/// The operating system's check phase (drmgr -m -c pmig -p check), its
/// scripts given the wait time: why it failed, if it did.
async fn os_check(
    ctx: &Ctx<'_>,
    src: &FrameView,
    ops: &FrameOps,
    lpar: &Partition,
    asked: &Asked,
) -> Option<String> {
    let (_, reason) = ops
        .step_with_reason(ctx, src, lpar.id, steps::check(asked.wait_minutes))
        .await
        .err()?;
    match reason {
        Reason::OsRefused => Some(format!(
            "The operating system of partition {} refused the migration.",
            lpar.name
        )),
        Reason::ScriptsTimedOut => Some(format!(
            "The migration scripts of partition {} did not finish within the wait time of {} minutes.",
            lpar.name,
            pvmlab_common::model::wait_minutes(Some(&Migration {
                wait_minutes: asked.wait_minutes,
                ..Default::default()
            }))
        )),
        _ => None,
    }
}

pub(crate) fn frame_by(ctx: &Ctx<'_>, name: &str) -> Option<std::sync::Arc<FrameView>> {
    ctx.hmc.view.frames().into_iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The HSCL texts lpm/ and rr/ used to format by hand, byte for byte.
    #[test]
    fn the_catalogues_texts_are_the_old_ones() {
        assert_eq!(
            failed("queuing", "closed").to_string(),
            "HSCLA2FF An internal HMC error occurred while queuing: closed"
        );
        let rmc = |lpar: &str, detail: Option<&str>| {
            Hscl::RmcFailed {
                lpar: lpar.into(),
                detail: detail.map(str::to_string),
            }
            .to_string()
        };
        assert_eq!(
            rmc("vios1", None),
            "HSCLA29A The RMC command issued to partition vios1 failed."
        );
        assert_eq!(
            rmc("", None),
            "HSCLA29A The RMC command issued to partition failed."
        );
        assert_eq!(
            rmc("vios1", Some("gone")),
            "HSCLA29A The RMC command issued to partition vios1 failed. gone"
        );
        assert_eq!(
            Hscl::CannotHost {
                vios: "vios2".into(),
                slot: 3,
                detail: Some("no disk".into()),
            }
            .to_string(),
            "HSCLA356 The RMC command issued to partition vios2 failed. This means that destination VIOS partition vios2 cannot host the virtual adapter 3 on the migrating partition. no disk"
        );
        assert_eq!(
            Hscl::PrepareFailed("no".into()).to_string(),
            "HSCLA257 The migrating partition has returned a failure response to the HMC's request to prepare for migration. no"
        );
        assert_eq!(
            Hscl::MigrationFailed {
                lpar: "lpar1".into(),
                why: "lost".into(),
                runs_on: "sys1".into(),
                source: "sys1".into(),
            }
            .to_string(),
            "HSCLA2FF The migration of partition lpar1 failed: lost. The partition runs on the managed system sys1 if it ran before; run migrlpar -o r -m sys1 -p lpar1 to recover."
        );
    }
}
