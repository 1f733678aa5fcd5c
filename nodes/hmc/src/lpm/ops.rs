//! What a migration does to a frame, whichever HMC manages it: this one
//! (`Local`: its own FSP connection and VIOS channels) or another
//! (`Remote`: through that HMC). It is chosen once per frame when a
//! migration, a validation or a recovery starts, so that no step asks
//! whether its frame is remote.

use super::adapters::{AdapterKind, AdapterMove};
use super::lease::Lock;
use super::remote::{self, Remote};
use super::{frame_by, local, mappings};
use crate::error::CmdError;
use crate::hmc::{Ctx, conn};
use pvmlab_common::model::{Migration, Partition, ViosDevices};
use pvmlab_common::proto::fsp::migration_step::Kind as Step;
use pvmlab_common::proto::fsp::{MigrationRequest, MigrationStep};
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::model::Reason;
use std::collections::HashMap;

#[derive(Clone)]
pub(crate) enum FrameOps {
    Local,
    Remote(Remote),
}

impl FrameOps {
    /// The operations for a frame as this HMC sees it: another HMC's
    /// (`remote_hmc` set) through that HMC, as the user it names.
    pub fn of(ctx: &Ctx<'_>, f: &FrameView) -> Result<FrameOps, CmdError> {
        if f.remote_hmc.is_empty() {
            Ok(FrameOps::Local)
        } else {
            Ok(FrameOps::Remote(remote::peer(
                ctx,
                &f.remote_hmc,
                &f.remote_user,
            )?))
        }
    }

    /// A frame of a migration record as it is now, and how to reach it:
    /// this HMC's own, or, in a remote migration, the other HMC's through
    /// it. None if neither can tell.
    pub async fn of_record(
        ctx: &Ctx<'_>,
        name: &str,
        mig: &Migration,
    ) -> Option<(FrameView, FrameOps)> {
        if let Some(f) = frame_by(ctx, name) {
            return Some(((*f).clone(), FrameOps::Local));
        }
        let r = remote::of_migration(ctx, name, mig)?;
        let f = r.frame(name, None).await.ok()?;
        Some((f, FrameOps::Remote(r)))
    }

    /// The frame as it is now.
    pub async fn view(&self, ctx: &Ctx<'_>, name: &str) -> Option<FrameView> {
        match self {
            FrameOps::Local => frame_by(ctx, name).map(std::sync::Arc::unwrap_or_clone),
            FrameOps::Remote(r) => r.frame(name, None).await.ok(),
        }
    }

    /// Whether this HMC sees the frame's changes itself (and so can wait
    /// for them in its view).
    pub fn is_local(&self) -> bool {
        matches!(self, FrameOps::Local)
    }

    /// One migration step on the frame's FSP.
    pub async fn step(
        &self,
        ctx: &Ctx<'_>,
        frame: &FrameView,
        lpar_id: u32,
        step: Step,
    ) -> Result<Partition, CmdError> {
        // Boxed: the request and the RPC's future would otherwise be part
        // of every caller's future (a migration's is deep already).
        Box::pin(self.step_with_reason(ctx, frame, lpar_id, step))
            .await
            .map_err(|(e, _)| e)
    }

    /// `step`, with the reason the FSP refused it for. Through another HMC
    /// only the HMC's own refusal comes back, so no FSP reason.
    pub async fn step_with_reason(
        &self,
        ctx: &Ctx<'_>,
        frame: &FrameView,
        lpar_id: u32,
        step: Step,
    ) -> Result<Partition, (CmdError, Reason)> {
        match self {
            FrameOps::Local => local::step(ctx, frame, lpar_id, step).await,
            FrameOps::Remote(r) => {
                let req = MigrationRequest {
                    session: String::new(),
                    lpar_id,
                    step: Some(MigrationStep { kind: Some(step) }),
                };
                r.step(&frame.name, req)
                    .await
                    .map_err(|e| (e, Reason::Unspecified))
            }
        }
    }

    /// The devices of the frame's VIOS partitions that answer over RMC.
    pub async fn devices(&self, ctx: &Ctx<'_>, f: &FrameView) -> HashMap<u32, ViosDevices> {
        match self {
            FrameOps::Local => local::devices(ctx, f).await,
            FrameOps::Remote(r) => r.devices(&f.name).await.unwrap_or_default(),
        }
    }

    /// The adapter plan's server adapters and mappings on the frame's
    /// VIOS partitions, for the partition's id `dest_id` there.
    pub async fn map(
        &self,
        ctx: &Ctx<'_>,
        dst: &FrameView,
        dest_id: u32,
        lpar: &Partition,
        moves: &[AdapterMove],
    ) -> Result<(), CmdError> {
        match self {
            FrameOps::Local => mappings::map_destination(ctx, dst, dest_id, lpar, moves).await,
            FrameOps::Remote(r) => r.map(&dst.name, dest_id, lpar, moves).await,
        }
    }

    /// A client's server adapters and mappings off the frame's VIOS
    /// partitions; best effort.
    pub async fn unmap(
        &self,
        ctx: &Ctx<'_>,
        f: &FrameView,
        client_id: u32,
        slots: &[(u32, u32, AdapterKind)],
        profile: bool,
    ) {
        match self {
            FrameOps::Local => mappings::unmap(ctx, f, client_id, slots, profile).await,
            FrameOps::Remote(r) => {
                let _ = r.unmap(&f.name, client_id, slots, profile).await;
            }
        }
    }

    /// The frame's lock, to take for a migration.
    pub fn lock(&self, ctx: &Ctx<'_>, f: &FrameView) -> Result<Lock, CmdError> {
        match self {
            FrameOps::Local => Ok(Lock::Own(conn(ctx, f)?)),
            FrameOps::Remote(r) => Ok(Lock::Remote(r.clone(), f.name.clone())),
        }
    }
}
