//! This frame's side of a migration, one typed step at a time
//! (`MigrationStep` in fsp.proto). The HMC drives the steps (the record it
//! writes with the partition says how far the migration came, so a
//! recovery can finish or undo it); the mover service partitions move the
//! memory through the VASI calls in `vasi.rs`. Each step is a function of
//! the persisted state, so its transitions are tested without a frame
//! running.

use super::resources::{available, next_free_id};
use super::*;
use crate::memory::Memory;
use crate::workload::Running;
use pvmlab_common::errpt;
use pvmlab_common::model::{Migration, ResourcesExt as _, wait_minutes, wait_ms};
use pvmlab_common::proto::fsp::migration_step::{self, Kind};
use pvmlab_common::proto::mover::PartitionState;

#[cfg(test)]
mod tests;
mod vasi;

fn lpar_mut(p: &mut Persisted, id: u32) -> Result<&mut Partition, FspError> {
    p.lpars
        .get_mut(&id)
        .ok_or_else(|| FspError::NoPartition(id.to_string()))
}

/// The partition's record for migration `mig_id`, refused if it takes
/// part in another one or none.
fn record<'a>(l: &'a mut Partition, mig_id: &str) -> Result<&'a mut Migration, FspError> {
    let name = l.name.clone();
    l.migration
        .as_mut()
        .filter(|m| m.id == mig_id)
        .ok_or_else(|| {
            FspError::NotPermitted(format!(
                "partition {name} does not take part in migration {mig_id}"
            ))
        })
}

/// The partition's operating system logs a migration event (Table B-3).
fn os_log(l: &mut Partition, e: errpt::Entry) {
    l.errpt
        .push(errpt::line(e, pvmlab_common::clock::Civil::now()));
}

/// Logs the abort once, whether the failure or the recovery comes first.
fn os_log_aborted(l: &mut Partition) {
    if !l
        .errpt
        .last()
        .is_some_and(|x| x.starts_with(errpt::CLIENT_PMIG_ABORTED.0))
    {
        os_log(l, errpt::CLIENT_PMIG_ABORTED);
    }
}

/// The phases in which the partition's operating system (its DLPAR agent
/// and migration scripts) has its say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Check,
    Prepare,
    Post,
}

impl Phase {
    /// drmgr's name of the phase, as the workload's `refuse_migration` and
    /// the refusals name it.
    fn name(self) -> &'static str {
        match self {
            Phase::Check => "check",
            Phase::Prepare => "prepare",
            Phase::Post => "post",
        }
    }
}

/// A step in which the operating system has its say: the phase, the
/// migration it is part of (none for the check, which comes before the
/// record), and the wait time its scripts were given.
struct Agent<'a> {
    phase: Phase,
    mig_id: Option<&'a str>,
    wait: Migration,
}

impl<'a> Agent<'a> {
    fn new(phase: Phase, mig_id: Option<&'a str>, wait_minutes: Option<u32>) -> Agent<'a> {
        Agent {
            phase,
            mig_id,
            wait: Migration {
                wait_minutes,
                ..Default::default()
            },
        }
    }

    /// The phase a step is, if the operating system has its say in it.
    fn of(step: &'a Kind) -> Option<Agent<'a>> {
        match step {
            Kind::Check(c) => Some(Agent::new(Phase::Check, None, c.wait_minutes)),
            Kind::Prepare(s) => Some(Agent::new(
                Phase::Prepare,
                Some(&s.migration_id),
                s.wait_minutes,
            )),
            Kind::Post(s) => Some(Agent::new(
                Phase::Post,
                Some(&s.migration_id),
                s.wait_minutes,
            )),
            _ => None,
        }
    }
}

fn needs<T>(what: Option<T>, message: &str) -> Result<T, FspError> {
    what.ok_or_else(|| FspError::Invalid(message.into()))
}

/// One step on the persisted state: what it accepts, what it leaves.
fn apply(p: &mut Persisted, id: u32, step: Kind) -> Result<Partition, FspError> {
    match step {
        Kind::Begin(s) => begin(p, id, needs(s.migration, "begin needs the migration")?),
        Kind::Shell(s) => shell(
            p,
            needs(s.migration, "shell needs the migration")?,
            needs(s.partition, "shell needs the partition")?,
        ),
        Kind::Update(s) => update(
            p,
            id,
            needs(s.migration, "update needs the migration")?,
            false,
        ),
        Kind::Fail(s) => update(
            p,
            id,
            needs(s.migration, "update needs the migration")?,
            true,
        ),
        Kind::Finish(s) => finish(p, id, &s.migration_id),
        Kind::Rollback(s) => rollback(p, id, &s.migration_id),
        Kind::Remove(s) => remove(p, id, &s.migration_id),
        Kind::Check(c) => agent_phase(p, id, &Agent::new(Phase::Check, None, c.wait_minutes)),
        Kind::Prepare(s) => agent_phase(
            p,
            id,
            &Agent::new(Phase::Prepare, Some(&s.migration_id), s.wait_minutes),
        ),
        Kind::Post(s) => agent_phase(
            p,
            id,
            &Agent::new(Phase::Post, Some(&s.migration_id), s.wait_minutes),
        ),
    }
}

/// The source partition enters the migration.
fn begin(p: &mut Persisted, id: u32, m: Migration) -> Result<Partition, FspError> {
    let l = lpar_mut(p, id)?;
    if let Some(other) = &l.migration {
        return Err(FspError::NotPermitted(format!(
            "partition {} already takes part in migration {}; recover it first",
            l.name, other.id
        )));
    }
    let (needed, next, code) = if m.r#type == "active" {
        (lpar_state::RUNNING, lpar_state::MIGRATING_RUNNING, "")
    } else {
        (
            lpar_state::NOT_ACTIVATED,
            lpar_state::MIGRATING_NOT_ACTIVATED,
            "C2001020",
        )
    };
    if l.state != needed {
        return Err(FspError::LparState {
            name: l.name.clone(),
            state: l.state.clone(),
            needed: needed.into(),
        });
    }
    if m.r#type == "active" {
        os_log(l, errpt::CLIENT_PMIG_STARTED);
    }
    l.state = next.into();
    l.ref_code = code.into();
    l.migration = Some(m);
    Ok(l.clone())
}

/// The destination's shell: the partition as it will run here, holding
/// its resources from now on.
fn shell(p: &mut Persisted, mut m: Migration, mut new: Partition) -> Result<Partition, FspError> {
    if p.frame.state != frame_state::OPERATING {
        return Err(FspError::FrameState {
            state: p.frame.state.clone(),
            needed: frame_state::OPERATING.into(),
        });
    }
    if let Some(o) = p.lpars.values().find(|o| o.name == new.name) {
        return Err(FspError::Invalid(format!(
            "the name {} is already used by partition {}",
            new.name, o.id
        )));
    }
    // The partition keeps its id where it is free.
    if new.id == 0 || new.id > p.frame.max_lpars || p.lpars.contains_key(&new.id) {
        new.id = next_free_id(p)?;
    }
    if let Some(c) = &new.curr {
        let avail = available(p, None);
        if c.mem_mb > avail.mem_mb {
            return Err(FspError::Memory {
                obtained: avail.mem_mb,
                required: c.mem_mb,
            });
        }
        let units = c.units();
        if units > avail.proc_units + 1e-9 {
            return Err(FspError::Processors {
                available: format!("{:.2}", avail.proc_units),
                required: format!("{units:.2}"),
            });
        }
    }
    m.source = false;
    m.dest_lpar_id = new.id;
    new.state = lpar_state::MIGRATING_NOT_ACTIVATED.into();
    new.rmc_state = "inactive".into();
    new.ref_code = if m.r#type == "active" {
        "C2001040"
    } else {
        "C2001030"
    }
    .into();
    new.logical_serial_num = pvmlab_common::topology::logical_serial(&p.frame.serial_num, new.id);
    if m.r#type == "active" {
        os_log(&mut new, errpt::CLIENT_PMIG_STARTED);
    }
    new.migration = Some(m);
    check_partition(&p.frame, &p.lpars, &new)?;
    p.lpars.insert(new.id, new.clone());
    Ok(new)
}

/// The operating system's phases: it may refuse, or its scripts overrun
/// the wait time.
fn agent_phase(p: &mut Persisted, id: u32, a: &Agent<'_>) -> Result<Partition, FspError> {
    let l = lpar_mut(p, id)?;
    if let Some(mig_id) = a.mig_id {
        record(l, mig_id)?;
    }
    let op = a.phase.name();
    let refuse = l
        .workload
        .as_ref()
        .is_some_and(|w| w.refuse_migration == op);
    if refuse {
        return Err(FspError::OsRefused(format!(
            "the operating system of partition {} refused the migration in the {op} phase",
            l.name
        )));
    }
    if l.workload.as_ref().map_or(0, |w| w.script_ms) > wait_ms(Some(&a.wait)) {
        return Err(FspError::ScriptsTimedOut(format!(
            "the migration scripts of partition {} did not finish within the wait time of {} minutes in the {op} phase",
            l.name,
            wait_minutes(Some(&a.wait))
        )));
    }
    match a.phase {
        Phase::Prepare => l.ref_code = "2004".into(),
        Phase::Post => os_log(l, errpt::CLIENT_PMIG_DONE),
        Phase::Check => {}
    }
    Ok(l.clone())
}

/// The HMC's new record (`fail`: one that says why it stopped).
fn update(p: &mut Persisted, id: u32, m: Migration, fail: bool) -> Result<Partition, FspError> {
    let l = lpar_mut(p, id)?;
    // The operating system hears of the abort as it happens.
    if fail && m.source && !m.resumed && l.state == lpar_state::MIGRATING_RUNNING {
        os_log_aborted(l);
    }
    let r = record(l, &m.id)?;
    // What the hypervisor itself recorded stays: suspended, resumed, and a
    // migration the frame lost (invalid).
    let (suspended, resumed) = (r.suspended, r.resumed);
    let state = if r.state == migration_state::INVALID {
        r.state.clone()
    } else {
        m.state.clone()
    };
    // Resumed is the point of no return: once either side knows it, it
    // stays (a recovery from the source alone must not roll back a
    // partition running elsewhere).
    let resumed = resumed || m.resumed;
    *r = Migration {
        suspended,
        resumed,
        state,
        ..m
    };
    Ok(l.clone())
}

/// The destination partition leaves the migration: it runs on here (an
/// active one that resumed) or stays Not Activated.
fn finish(p: &mut Persisted, id: u32, mig_id: &str) -> Result<Partition, FspError> {
    let l = lpar_mut(p, id)?;
    let m = record(l, mig_id)?.clone();
    if m.source {
        return Err(FspError::NotPermitted(format!(
            "partition {} is the source of the migration; only the destination finishes",
            l.name
        )));
    }
    if m.r#type == "active" && !m.resumed {
        return Err(FspError::NotPermitted(format!(
            "partition {} has not resumed here; the migration cannot finish",
            l.name
        )));
    }
    l.migration = None;
    if m.r#type == "active" && l.state == lpar_state::MIGRATING_RUNNING {
        l.state = lpar_state::RUNNING.into();
        l.rmc_state = if l.rmc_inactive { "inactive" } else { "active" }.into();
        l.ref_code = String::new();
    } else {
        stop_partition(l);
    }
    Ok(l.clone())
}

/// The source partition leaves the migration and runs on as before,
/// unless it resumed on the destination already.
fn rollback(p: &mut Persisted, id: u32, mig_id: &str) -> Result<Partition, FspError> {
    let l = lpar_mut(p, id)?;
    let m = record(l, mig_id)?.clone();
    if !m.source {
        return Err(FspError::NotPermitted(format!(
            "partition {} is the destination shell; remove it instead",
            l.name
        )));
    }
    if m.resumed {
        return Err(FspError::NotPermitted(format!(
            "partition {} resumed on {}: the migration can only complete",
            l.name, m.dest_sys_name
        )));
    }
    if m.r#type == "active" && l.state == lpar_state::MIGRATING_RUNNING {
        os_log_aborted(l);
    }
    l.migration = None;
    l.state = match l.state.as_str() {
        lpar_state::MIGRATING_RUNNING => lpar_state::RUNNING,
        lpar_state::MIGRATING_NOT_ACTIVATED => lpar_state::NOT_ACTIVATED,
        other => other,
    }
    .to_string();
    l.ref_code = if l.state == lpar_state::NOT_ACTIVATED {
        "00000000".into()
    } else {
        String::new()
    };
    Ok(l.clone())
}

/// The partition of the migration goes from this frame.
fn remove(p: &mut Persisted, id: u32, mig_id: &str) -> Result<Partition, FspError> {
    let l = lpar_mut(p, id)?;
    record(l, mig_id)?;
    Ok(p.lpars.remove(&id).unwrap_or_default())
}

impl Hypervisor {
    /// How long the partition's operating system takes over a migration
    /// phase (check, prepare, post): its scripts' time, cut at the wait
    /// time drmgr was given. Nothing for the hypervisor's own steps.
    pub fn script_time(&self, step: &Kind, id: u32) -> Duration {
        let Some(a) = Agent::of(step) else {
            return Duration::ZERO;
        };
        let script = self.with(|l| {
            l.state
                .lpars
                .get(&id)
                .and_then(|p| p.workload.as_ref())
                .map_or(0, |w| w.script_ms)
        });
        Duration::from_millis(script.min(wait_ms(Some(&a.wait))))
    }

    /// Whether `peer` is the operating system of a running mover service
    /// partition of this frame: only those may open a VASI stream.
    pub fn is_running_msp(&self, peer: &str) -> bool {
        self.with(|l| {
            let frame = &l.state.frame.name;
            l.state.lpars.values().any(|p| {
                p.msp && p.state == lpar_state::RUNNING && vios_node_name(frame, &p.name) == peer
            })
        })
    }

    /// One step of a migration on partition `id`, persisted before it is
    /// acknowledged.
    pub fn migration_step(
        &self,
        id: u32,
        step: Option<migration_step::Kind>,
    ) -> Result<Partition, FspError> {
        let step = step.ok_or_else(|| FspError::Invalid("no migration step given".into()))?;
        let rollback = matches!(step, Kind::Rollback(_));
        let out = self.change(|p, _| apply(p, id, step))?;
        if rollback {
            let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(r) = live.running.get(&id) {
                r.unsuspend();
            }
            drop(live);
            self.wake_clock();
        }
        Ok(out)
    }
}
