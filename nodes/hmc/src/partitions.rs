//! Sending a partition's configuration to its frame's hypervisor and
//! waiting until this HMC's view shows it, so the next command sees the
//! change: what `mksyscfg`, `chsyscfg`, `rmsyscfg` and a remote restart's
//! shell all do.

use crate::error::CmdError;
use crate::hmc::{Ctx, conn, wait_partition};
use pvmlab_common::model::Partition;
use pvmlab_common::proto::fsp::{PutLparRequest, RemoveLparRequest};
use pvmlab_common::proto::hmc::FrameView;
use std::time::Duration;

fn refused(what: &str, e: tonic::Status) -> CmdError {
    match e.code() {
        tonic::Code::Unavailable => CmdError::Usage(format!(
            "The managed system cannot be reached: {}",
            e.message()
        )),
        _ => CmdError::Usage(format!(
            "An error occurred while {what}: {}.",
            e.message().trim_end_matches('.')
        )),
    }
}

/// Sends a partition to the hypervisor and waits until this HMC's view
/// shows it, so the next command sees the change.
pub async fn put(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    p: Partition,
    create: bool,
    what: &str,
) -> Result<Partition, CmdError> {
    let c = conn(ctx, frame)?;
    let mut fsp = c.fsp;
    let req = PutLparRequest {
        session: c.session,
        partition: Some(p),
        create,
    };
    let done = fsp
        .put_lpar(req)
        .await
        .map_err(|e| refused(what, e))?
        .into_inner()
        .partition
        .unwrap_or_default();
    wait_partition(ctx, &frame.name, done.id, |x| {
        x.name == done.name && x.profiles == done.profiles
    })
    .await;
    Ok(done)
}

pub async fn remove(ctx: &Ctx<'_>, frame: &FrameView, lpar: &Partition) -> Result<(), CmdError> {
    let c = conn(ctx, frame)?;
    let mut fsp = c.fsp;
    let what = format!("deleting the partition named {}", lpar.name);
    fsp.remove_lpar(RemoveLparRequest {
        session: c.session,
        lpar_id: lpar.id,
    })
    .await
    .map_err(|e| refused(&what, e))?;
    let id = lpar.id;
    ctx.hmc
        .view
        .wait_for(Duration::from_secs(2), |fs| {
            fs.iter()
                .any(|f| f.name == frame.name && !f.partitions.iter().any(|x| x.id == id))
        })
        .await;
    Ok(())
}
