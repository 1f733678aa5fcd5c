//! `rmlock -e <managed system>`: breaks the lock another HMC holds on a
//! frame, as the Redbook allows ("The lock can be manually broken", §5.3):
//! for a hold left by an HMC that died or was cut off mid-migration, so
//! that this HMC can change the frame without waiting for the lease to run
//! out. Operations under way finish first.

use super::opts::{self, value};
use super::{CmdError, CmdResult, Ctx, conn, find_frame};

const SPEC: &[opts::Opt] = &[value(&["-e"])];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let f = find_frame(ctx, o.require("-e")?)?;
    ctx.may_change()?;
    let c = conn(ctx, &f)?;
    let mut fsp = c.fsp;
    fsp.lock(pvmlab_common::proto::fsp::LockRequest {
        session: c.session,
        force: true,
        ..Default::default()
    })
    .await
    .map_err(|e| CmdError::Usage(e.message().to_string()))?;
    Ok(String::new())
}
