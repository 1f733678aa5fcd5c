//! The ends of a migration: completion past its point of no return,
//! rollback before it, and `migrlpar -o r`, which picks one from what the
//! frames' records say, even after this HMC restarted.

use super::adapters::AdapterKind;
use super::ops::FrameOps;
use super::steps;
use crate::error::CmdError;
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use pvmlab_common::model::{Migration, Partition};
use pvmlab_common::proto::hmc::FrameView;

/// A frame of a migration, by name, and how this HMC reaches it (none if
/// it cannot).
pub(crate) struct Side {
    pub name: String,
    pub ops: Option<FrameOps>,
}

impl Side {
    pub fn new(name: &str, ops: FrameOps) -> Side {
        Side {
            name: name.to_string(),
            ops: Some(ops),
        }
    }

    /// The side as the migration record names it: chosen once, here.
    async fn of_record(ctx: &Ctx<'_>, name: &str, mig: &Migration) -> Side {
        Side {
            name: name.to_string(),
            ops: FrameOps::of_record(ctx, name, mig).await.map(|(_, o)| o),
        }
    }

    /// The frame as it is now, if it is connected.
    async fn up(&self, ctx: &Ctx<'_>) -> Option<(FrameView, &FrameOps)> {
        let ops = self.ops.as_ref()?;
        let f = ops.view(ctx, &self.name).await?;
        f.connected.then_some((f, ops))
    }
}

/// The partition of a frame that takes part in the migration.
fn migrating<'f>(f: &'f FrameView, mig: &Migration) -> Option<&'f Partition> {
    f.partitions
        .iter()
        .find(|p| p.migration.as_ref().is_some_and(|m| m.id == mig.id))
}

/// Finishes a migration past its point of no return (or an inactive one):
/// the source VIOS mappings and the source partition go, the destination
/// partition leaves the migration. Either side may already be done.
pub(crate) async fn complete(
    ctx: &Ctx<'_>,
    src: &Side,
    dst: &Side,
    mig: &Migration,
) -> Result<(), CmdError> {
    if let Some((s, ops)) = src.up(ctx).await {
        if let Some(l) = migrating(&s, mig) {
            let slots = super::serving_slots(&s, l);
            ops.unmap(ctx, &s, l.id, &slots, true).await;
            ops.step(ctx, &s, l.id, steps::remove(mig)).await?;
        }
    }
    let (d, ops) = dst
        .up(ctx)
        .await
        .ok_or_else(|| Hscl::NoConnection(dst.name.clone()))?;
    if let Some(l) = migrating(&d, mig) {
        if mig.r#type == "active" {
            let _ = ops.step(ctx, &d, l.id, steps::post(mig)).await;
        }
        ops.step(ctx, &d, l.id, steps::finish(mig)).await?;
        if ops.is_local() {
            let id = l.id;
            crate::hmc::wait_partition(ctx, &dst.name, id, |p| p.migration.is_none()).await;
        }
    }
    Ok(())
}

/// Undoes a migration before its point of no return: the destination's
/// adapters, mappings and shell go, and the source partition leaves the
/// migration (a suspended one runs on). Either side may be unreachable
/// (with --force) or already clean.
pub(crate) async fn roll_back(
    ctx: &Ctx<'_>,
    src: &Side,
    dst: &Side,
    mig: &Migration,
) -> Result<(), CmdError> {
    if let Some((d, ops)) = dst.up(ctx).await {
        if let Some(l) = migrating(&d, mig) {
            let slots: Vec<(u32, u32, AdapterKind)> = l
                .migration
                .iter()
                .flat_map(|m| &m.dest_vios_slots)
                .filter_map(|s| Some((s.vios_id, s.slot, AdapterKind::of_name(&s.kind)?)))
                .collect();
            ops.unmap(ctx, &d, l.id, &slots, false).await;
            ops.step(ctx, &d, l.id, steps::remove(mig)).await?;
        }
    }
    if let Some((s, ops)) = src.up(ctx).await {
        if let Some(l) = migrating(&s, mig) {
            let id = l.id;
            ops.step(ctx, &s, id, steps::rollback(mig)).await?;
            if ops.is_local() {
                crate::hmc::wait_partition(ctx, &src.name, id, |p| p.migration.is_none()).await;
            }
        }
    }
    Ok(())
}

/// Whether a recovery finishes the migration: the partition resumed on
/// the destination, by the record this HMC has or the destination's. A
/// partition of that name there outside any migration finished it already
/// (the source was lost meanwhile), and only the stale source copy is
/// left to remove; rolling back then would make two.
fn resumed(mig: &Migration, lpar: &str, dst: Option<&FrameView>) -> bool {
    mig.resumed
        || dst.is_some_and(|d| {
            d.partitions.iter().any(|p| match &p.migration {
                Some(m) => m.id == mig.id && m.resumed,
                None => p.name == lpar,
            })
        })
}

/// `migrlpar -o r`: finishes the migration if the partition resumed on
/// the destination (or the migration was inactive and its shell is
/// complete), else undoes it.
pub async fn recover(
    ctx: &Ctx<'_>,
    lpar: &str,
    mig: &Migration,
    force: bool,
) -> Result<(), CmdError> {
    let src = Side::of_record(ctx, &mig.source_sys_name, mig).await;
    let dst = Side::of_record(ctx, &mig.dest_sys_name, mig).await;
    for side in [&src, &dst] {
        if side.up(ctx).await.is_none() && !force {
            return Err(Hscl::NoConnection(side.name.clone()).into());
        }
    }
    let now = match &dst.ops {
        Some(o) => o.view(ctx, &dst.name).await,
        None => None,
    };
    if resumed(mig, lpar, now.as_ref()) {
        complete(ctx, &src, &dst, mig).await
    } else {
        roll_back(ctx, &src, &dst, mig).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mig(resumed: bool) -> Migration {
        Migration {
            id: "m1".into(),
            resumed,
            ..Default::default()
        }
    }

    fn frame(p: Partition) -> FrameView {
        FrameView {
            partitions: vec![p],
            ..Default::default()
        }
    }

    #[test]
    fn a_recovery_finishes_what_resumed_and_undoes_the_rest() {
        assert!(resumed(&mig(true), "lpar1", None));
        assert!(!resumed(&mig(false), "lpar1", None));
        let there = |resumed| {
            frame(Partition {
                name: "lpar1".into(),
                migration: Some(mig(resumed)),
                ..Default::default()
            })
        };
        assert!(resumed(&mig(false), "lpar1", Some(&there(true))));
        assert!(!resumed(&mig(false), "lpar1", Some(&there(false))));
    }

    #[test]
    fn a_partition_that_already_left_the_migration_there_is_finished() {
        let done = frame(Partition {
            name: "lpar1".into(),
            ..Default::default()
        });
        assert!(resumed(&mig(false), "lpar1", Some(&done)));
        assert!(!resumed(&mig(false), "lpar2", Some(&done)));
    }
}
