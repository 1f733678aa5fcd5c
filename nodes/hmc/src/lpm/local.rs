//! The frame operations on a frame this HMC manages itself: through its
//! own FSP connection and VIOS channels. The remote HMC of a remote
//! migration runs these same functions for the HMC that asks
//! (`remote::serve`).

use super::{failed, steps};
use crate::error::CmdError;
use crate::hmc::{Ctx, conn};
use pvmlab_common::failure;
use pvmlab_common::model::{Partition, ViosDevices};
use pvmlab_common::proto::fsp::migration_step::Kind as Step;
use pvmlab_common::proto::fsp::{MigrationRequest, MigrationStep};
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::model::Reason;
use std::collections::HashMap;
use std::time::Duration;

/// One migration step on one frame's FSP; a refusal comes with the
/// FSP's typed reason, which a validation decides by.
pub async fn step(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    lpar_id: u32,
    step: Step,
) -> Result<Partition, (CmdError, Reason)> {
    let name = steps::name(&step);
    let c = conn(ctx, frame).map_err(|e| (e, Reason::Unspecified))?;
    let mut fsp = c.fsp;
    fsp.migration(MigrationRequest {
        session: c.session,
        lpar_id,
        step: Some(MigrationStep { kind: Some(step) }),
    })
    .await
    .map(|r| r.into_inner().partition.unwrap_or_default())
    .map_err(|e| {
        (
            failed(&format!("{name} on {}", frame.name), e.message()),
            failure::reason(&e),
        )
    })
}

pub(crate) use crate::hmc::vios_client;

/// The devices of every VIOS of a frame that answers over RMC.
pub(crate) async fn devices(ctx: &Ctx<'_>, f: &FrameView) -> HashMap<u32, ViosDevices> {
    let mut out = HashMap::new();
    for v in f.partitions.iter().filter(|p| p.lpar_env == "vioserver") {
        let Ok(mut c) = vios_client(ctx, &f.name, v) else {
            continue;
        };
        let r = tokio::time::timeout(
            Duration::from_secs(2),
            c.devices(pvmlab_common::proto::vios::DevicesRequest {}),
        )
        .await;
        if let Ok(Ok(d)) = r {
            out.insert(v.id, d.into_inner());
        }
    }
    out
}
