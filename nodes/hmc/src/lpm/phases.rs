//! The migration driver (`migrlpar -o m`), as the Redbook's phases: lock
//! both frames, validate, begin on the source, make the shell on the
//! destination, prepare, map the destination VIOS, move the memory (an
//! active migration), then complete, roll back or record the failure for a
//! recovery. Each phase is one function; `next` alone decides where each
//! ending leads. What has been done is in the migration record the FSPs
//! keep, so `migrlpar -o r` can finish or undo it from any point.

use super::lease::{self, Holds};
use super::ops::FrameOps;
use super::record::{self, dest_rec, source_rec};
use super::recovery::{self, Side};
use super::steps;
use super::validate::{self, Asked, Plan};
use super::{Running, failed, frame_by, validate_on};
use crate::error::CmdError;
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use pvmlab_common::model::{Migration, Partition};
use pvmlab_common::proto::fsp::migration_step::Kind as Step;
use pvmlab_common::proto::hmc::FrameView;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, watch};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Both frames' locks, held (and renewed) to the end.
    Lock,
    /// Every check, against the destination as no other migration plans it.
    Validate,
    /// The stop switch, a turn within the frames' limits, the record; the
    /// source partition enters the migration.
    Begin,
    /// The partition's shell on the destination.
    Shell,
    /// The record's update and, active, the operating system's prepare.
    Prepare,
    /// Server adapters and mappings on the destination VIOS.
    Map,
    /// The memory, through the source MSP (active only).
    Move,
    Complete,
    /// Undone, before anything moved or when stopped.
    RollBack,
    /// Stopped on an error: recorded for a recovery to decide.
    Fail,
    /// The shell failed: the source leaves the migration again.
    Abandon,
}

/// How a phase ended, if not well.
#[derive(Debug)]
pub(crate) enum Abort {
    /// migrlpar -o s, in Migration Starting.
    Stopped,
    /// Refused before anything moved (or before the migration began): the
    /// error the user sees.
    Refused(CmdError),
    /// Stopped on an error: a recovery decides.
    Failed(String),
}

/// Where a phase's ending leads; None when the migration is over.
pub(crate) fn next(p: Phase, r: Result<(), &Abort>, active: bool) -> Option<Phase> {
    use Phase::*;
    match (p, r) {
        (Lock, Ok(())) => Some(Validate),
        (Validate, Ok(())) => Some(Begin),
        (Begin, Ok(())) => Some(Shell),
        (Shell, Ok(())) => Some(Prepare),
        (Shell, Err(_)) => Some(Abandon),
        (Prepare, Ok(())) => Some(Map),
        (Map, Ok(())) if active => Some(Move),
        (Map | Move, Ok(())) => Some(Complete),
        (Prepare | Map | Move, Err(Abort::Failed(_))) => Some(Fail),
        (Prepare | Map | Move, Err(_)) => Some(RollBack),
        (Lock | Validate | Begin, Err(_)) => None,
        (Complete | RollBack | Fail | Abandon, _) => None,
    }
}

/// What the metrics call how a migration's last running phase ended.
fn ending(r: Result<(), &Abort>) -> &'static str {
    match r {
        Ok(()) => "completed",
        Err(Abort::Stopped) => "stopped",
        Err(Abort::Refused(_)) => "refused",
        Err(Abort::Failed(_)) => "failed",
    }
}

/// One migration under way: both frames and how they are reached (chosen
/// once, here), the plan, the record, and what it holds until it ends.
pub(crate) struct Migrating<'c, 'a> {
    pub ctx: &'c Ctx<'a>,
    pub src: FrameView,
    pub dst: FrameView,
    pub src_ops: FrameOps,
    pub dst_ops: FrameOps,
    pub lpar: Partition,
    asked: Asked,
    pub plan: Plan,
    pub mig: Migration,
    pub stop: watch::Receiver<bool>,
    start: Instant,
    holds: Option<Holds>,
    planned: Option<OwnedMutexGuard<()>>,
    running: Option<Running<'a>>,
    permits: Vec<OwnedSemaphorePermit>,
}

/// Migrates a partition (`migrlpar -o m`): active if it runs, inactive if
/// it is not activated. Returns what -v prints.
pub async fn migrate(
    ctx: &Ctx<'_>,
    src: FrameView,
    dst: FrameView,
    lpar: Partition,
    asked: Asked,
) -> Result<String, CmdError> {
    let mut m = Migrating {
        src_ops: FrameOps::of(ctx, &src)?,
        dst_ops: FrameOps::of(ctx, &dst)?,
        ctx,
        src,
        dst,
        lpar,
        asked,
        plan: Plan::default(),
        mig: Migration::default(),
        stop: watch::channel(false).1,
        start: Instant::now(),
        holds: None,
        planned: None,
        running: None,
        permits: Vec::new(),
    };
    let mut phase = Phase::Lock;
    let (last, then, r) = loop {
        let r = m.run(phase).await;
        match next(phase, r.as_ref().map(|_| ()), m.plan.active) {
            Some(n) if !n.is_end() => phase = n,
            n => break (phase, n, r),
        }
    };
    if matches!(last, Phase::Prepare | Phase::Map | Phase::Move) {
        m.ended(r.as_ref().map(|_| ()));
    }
    match (then, r) {
        (Some(Phase::Complete), Ok(())) => m.complete().await,
        (Some(Phase::RollBack), Err(a)) => m.roll_back(a).await,
        (Some(Phase::Fail), Err(Abort::Failed(why))) => Err(m.fail(why).await),
        (Some(Phase::Abandon), Err(a)) => Err(m.abandon(a).await),
        (_, r) => Err(into_error(r.err())),
    }
}

impl Phase {
    /// The phases that end a migration, each given how it came there.
    fn is_end(self) -> bool {
        matches!(
            self,
            Phase::Complete | Phase::RollBack | Phase::Fail | Phase::Abandon
        )
    }
}

/// The error a migration that ends before it began returns.
fn into_error(a: Option<Abort>) -> CmdError {
    match a {
        Some(Abort::Refused(e)) => e,
        Some(Abort::Failed(why)) => CmdError::Usage(why),
        Some(Abort::Stopped) | None => CmdError::Usage(String::new()),
    }
}

impl Migrating<'_, '_> {
    /// Runs one of the phases before the end; the ends run in `migrate`,
    /// with the abort that led to them.
    async fn run(&mut self, phase: Phase) -> Result<(), Abort> {
        match phase {
            Phase::Lock => self.lock().await,
            Phase::Validate => self.validate().await,
            Phase::Begin => self.begin().await,
            Phase::Shell => self.shell().await,
            Phase::Prepare => self.prepare().await,
            Phase::Map => self.map().await,
            Phase::Move => self.move_memory().await,
            Phase::Complete | Phase::RollBack | Phase::Fail | Phase::Abandon => Ok(()),
        }
    }

    fn sides(&self) -> (Side, Side) {
        (
            Side::new(&self.src.name, self.src_ops.clone()),
            Side::new(&self.dst.name, self.dst_ops.clone()),
        )
    }

    async fn step(&self, on_dst: bool, lpar_id: u32, step: Step) -> Result<Partition, CmdError> {
        let (f, ops) = if on_dst {
            (&self.dst, &self.dst_ops)
        } else {
            (&self.src, &self.src_ops)
        };
        ops.step(self.ctx, f, lpar_id, step).await
    }

    async fn lock(&mut self) -> Result<(), Abort> {
        let what = format!("migration of {}", self.lpar.name);
        let mut locks = Vec::new();
        for (f, ops) in [(&self.src, &self.src_ops), (&self.dst, &self.dst_ops)] {
            locks.push(ops.lock(self.ctx, f).map_err(Abort::Refused)?);
        }
        self.holds = Some(lease::hold(locks, &what).await.map_err(Abort::Refused)?);
        Ok(())
    }

    async fn validate(&mut self) -> Result<(), Abort> {
        let planning = self.ctx.hmc.lpm.planning(&self.dst.name);
        self.planned = Some(planning.lock_owned().await);
        // The destination as it is now that no other migration plans it.
        if self.dst_ops.is_local() {
            if let Some(now) = frame_by(self.ctx, &self.dst.name) {
                self.dst = std::sync::Arc::unwrap_or_clone(now);
            }
        }
        let (sops, dops) = (Some(self.src_ops.clone()), Some(self.dst_ops.clone()));
        let on = ((&self.src, sops), (&self.dst, dops));
        self.plan = validate_on(self.ctx, on.0, on.1, &self.lpar, &self.asked).await;
        if !self.plan.errors.is_empty() {
            let report = validate::report(&self.plan).trim_end().to_string();
            return Err(Abort::Refused(CmdError::Usage(report)));
        }
        Ok(())
    }

    async fn begin(&mut self) -> Result<(), Abort> {
        let reg = &self.ctx.hmc.lpm;
        let (running, stop) = reg.start(&self.lpar.name).map_err(Abort::Refused)?;
        self.running = Some(running);
        self.stop = stop;
        // Beyond the frames' limits a migration waits its turn.
        for f in [&self.src, &self.dst] {
            let slots = reg.frame_slots(f);
            let p = slots.acquire_owned().await;
            self.permits
                .push(p.map_err(|e| Abort::Refused(failed("queuing", e)))?);
        }
        self.start = Instant::now();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let (src, dst, lpar) = (&self.src, &self.dst, &self.lpar);
        self.mig = record::start(
            &self.ctx.hmc.name,
            src,
            dst,
            lpar,
            &self.plan,
            &self.asked,
            nanos,
        );
        tracing::info!(lpar = %lpar.name, from = %src.name, to = %dst.name, r#type = %self.mig.r#type, "migration starts");
        self.step(false, lpar.id, steps::begin(self.mig.clone()))
            .await
            .map_err(Abort::Refused)?;
        Ok(())
    }

    async fn shell(&mut self) -> Result<(), Abort> {
        let shell = super::shell_of(&self.lpar, &self.plan, self.asked.new_profile.as_deref());
        let made = self
            .step(true, shell.id, steps::shell(self.mig.clone(), shell))
            .await
            .map_err(Abort::Refused)?;
        self.mig.dest_lpar_id = made.id;
        if self.dst_ops.is_local() {
            let id = made.id;
            crate::hmc::wait_partition(self.ctx, &self.dst.name, id, |p| p.migration.is_some())
                .await;
        }
        self.planned = None;
        Ok(())
    }

    async fn prepare(&mut self) -> Result<(), Abort> {
        let id = self.lpar.id;
        self.step(false, id, steps::update(source_rec(&self.mig)))
            .await
            .map_err(|e| Abort::Failed(e.to_string()))?;
        if self.plan.active {
            // The prepare event: the operating system may still say no.
            if let Err(e) = self.step(false, id, steps::prepare(&self.mig)).await {
                return Err(Abort::Refused(Hscl::PrepareFailed(e.to_string()).into()));
            }
        }
        Ok(())
    }

    async fn map(&mut self) -> Result<(), Abort> {
        let (ctx, dst, lpar) = (self.ctx, &self.dst, &self.lpar);
        self.dst_ops
            .map(ctx, dst, self.mig.dest_lpar_id, lpar, &self.plan.moves)
            .await
            .map_err(Abort::Refused)?;
        if *self.stop.borrow() {
            return Err(Abort::Stopped);
        }
        Ok(())
    }

    fn ended(&self, r: Result<(), &Abort>) {
        let downtime = self
            .mig
            .stats
            .as_ref()
            .filter(|_| r.is_ok() && self.plan.active)
            .map(|s| Duration::from_micros(s.downtime_us));
        pvmlab_common::metrics::migration_ended(ending(r), downtime);
    }

    async fn complete(&mut self) -> Result<String, CmdError> {
        let (src, dst) = self.sides();
        recovery::complete(self.ctx, &src, &dst, &self.mig).await?;
        let st = self.mig.stats.clone().unwrap_or_default();
        let took = self.start.elapsed();
        tracing::info!(lpar = %self.lpar.name, ms = took.as_millis() as u64, "migration completed");
        Ok(record::summary(&self.mig, &st, took))
    }

    async fn roll_back(&mut self, a: Abort) -> Result<String, CmdError> {
        let (src, dst) = self.sides();
        recovery::roll_back(self.ctx, &src, &dst, &self.mig).await?;
        match a {
            Abort::Refused(e) => Err(e),
            _ => Ok(String::new()),
        }
    }

    async fn fail(&mut self, why: String) -> CmdError {
        self.mig.error = why.clone();
        let (id, dest_id) = (self.lpar.id, self.mig.dest_lpar_id);
        let _ = self
            .step(false, id, steps::fail(source_rec(&self.mig)))
            .await;
        let _ = self
            .step(true, dest_id, steps::fail(dest_rec(&self.mig)))
            .await;
        let runs_on = if self.mig.resumed {
            &self.dst.name
        } else {
            &self.src.name
        };
        Hscl::MigrationFailed {
            lpar: self.lpar.name.clone(),
            why,
            runs_on: runs_on.clone(),
            source: self.src.name.clone(),
        }
        .into()
    }

    async fn abandon(&mut self, a: Abort) -> CmdError {
        let id = self.lpar.id;
        let _ = self.step(false, id, steps::rollback(&self.mig)).await;
        into_error(Some(a))
    }
}

#[cfg(test)]
mod tests {
    use super::Phase::*;
    use super::*;

    fn refused() -> Abort {
        Abort::Refused(CmdError::Usage("no".into()))
    }

    #[test]
    fn an_active_migration_goes_through_every_phase() {
        let mut p = Lock;
        let mut seen = vec![p];
        while let Some(n) = next(p, Ok(()), true) {
            seen.push(n);
            p = n;
        }
        assert_eq!(
            seen,
            [Lock, Validate, Begin, Shell, Prepare, Map, Move, Complete]
        );
    }

    #[test]
    fn an_inactive_migration_moves_no_memory() {
        assert_eq!(next(Map, Ok(()), false), Some(Complete));
        assert_eq!(next(Map, Ok(()), true), Some(Move));
    }

    #[test]
    fn nothing_is_undone_before_the_migration_began() {
        for p in [Lock, Validate, Begin] {
            assert_eq!(next(p, Err(&refused()), true), None, "{p:?}");
        }
    }

    #[test]
    fn a_failed_shell_abandons_the_source() {
        assert_eq!(next(Shell, Err(&refused()), true), Some(Abandon));
    }

    #[test]
    fn refusals_and_stops_roll_back_and_errors_wait_for_a_recovery() {
        for p in [Prepare, Map, Move] {
            assert_eq!(next(p, Err(&refused()), true), Some(RollBack));
            assert_eq!(next(p, Err(&Abort::Stopped), true), Some(RollBack));
            let failed = Abort::Failed("lost".into());
            assert_eq!(next(p, Err(&failed), true), Some(Fail));
        }
    }

    #[test]
    fn the_ends_are_the_end() {
        for p in [Complete, RollBack, Fail, Abandon] {
            assert_eq!(next(p, Ok(()), true), None);
        }
    }

    #[test]
    fn the_metrics_name_each_ending() {
        assert_eq!(ending(Ok(())), "completed");
        assert_eq!(ending(Err(&Abort::Stopped)), "stopped");
        assert_eq!(ending(Err(&refused())), "refused");
        assert_eq!(ending(Err(&Abort::Failed(String::new()))), "failed");
    }
}
