//! This frame's side of a migration. The HMC drives the steps (the record
//! it writes with the partition says how far the migration came, so a
//! recovery can finish or undo it); the mover service partitions move the
//! memory through the VASI calls below.

use super::*;
use crate::memory::Memory;
use crate::workload::Running;
use pvmlab_common::errpt;
use pvmlab_common::model::{Migration, ResourcesExt as _, wait_minutes, wait_ms};
use pvmlab_common::proto::mover::PartitionState;

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

impl Hypervisor {
    /// How long the partition's operating system takes over a migration
    /// phase (check, prepare, post): its scripts' time, cut at the wait
    /// time drmgr was given. Nothing for the hypervisor's own steps.
    pub fn script_time(&self, op: &str, id: u32, mig: Option<&Migration>) -> Duration {
        if !matches!(op, "check" | "prepare" | "post") {
            return Duration::ZERO;
        }
        let script = self.with(|l| {
            l.state
                .lpars
                .get(&id)
                .and_then(|p| p.workload.as_ref())
                .map_or(0, |w| w.script_ms)
        });
        Duration::from_millis(script.min(wait_ms(mig)))
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

    /// One step of a migration, as `MigrationRequest` in fsp.proto describes.
    pub fn migration_step(
        &self,
        op: &str,
        id: u32,
        mig: Option<Migration>,
        shell: Option<Partition>,
    ) -> Result<Partition, FspError> {
        let mig_id = mig.as_ref().map(|m| m.id.clone()).unwrap_or_default();
        let out = self.change(|p, _| match op {
            "begin" => {
                let m = mig.ok_or_else(|| FspError::Invalid("begin needs the migration".into()))?;
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
                    (lpar_state::NOT_ACTIVATED, lpar_state::MIGRATING_NOT_ACTIVATED, "C2001020")
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
            "shell" => {
                let mut m =
                    mig.ok_or_else(|| FspError::Invalid("shell needs the migration".into()))?;
                let mut new = shell
                    .ok_or_else(|| FspError::Invalid("shell needs the partition".into()))?;
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
                new.logical_serial_num =
                    pvmlab_common::topology::logical_serial(&p.frame.serial_num, new.id);
                if m.r#type == "active" {
                    os_log(&mut new, errpt::CLIENT_PMIG_STARTED);
                }
                new.migration = Some(m);
                check_partition(&p.frame, &p.lpars, &new)?;
                p.lpars.insert(new.id, new.clone());
                Ok(new)
            }
            "check" | "prepare" | "post" => {
                let l = lpar_mut(p, id)?;
                // The check comes during validation, before any record.
                if op != "check" {
                    record(l, &mig_id)?;
                }
                let refuse = l
                    .workload
                    .as_ref()
                    .is_some_and(|w| w.refuse_migration == op);
                if refuse {
                    return Err(FspError::NotPermitted(format!(
                        "the operating system of partition {} refused the migration in the {op} phase",
                        l.name
                    )));
                }
                if l.workload.as_ref().map_or(0, |w| w.script_ms) > wait_ms(mig.as_ref()) {
                    return Err(FspError::NotPermitted(format!(
                        "the migration scripts of partition {} did not finish within the wait time of {} minutes in the {op} phase",
                        l.name,
                        wait_minutes(mig.as_ref())
                    )));
                }
                if op == "prepare" {
                    l.ref_code = "2004".into();
                }
                if op == "post" {
                    os_log(l, errpt::CLIENT_PMIG_DONE);
                }
                Ok(l.clone())
            }
            "update" | "fail" => {
                let m = mig.ok_or_else(|| FspError::Invalid("update needs the migration".into()))?;
                let l = lpar_mut(p, id)?;
                // The operating system hears of the abort as it happens.
                if op == "fail"
                    && m.source
                    && !m.resumed
                    && l.state == lpar_state::MIGRATING_RUNNING
                {
                    os_log_aborted(l);
                }
                let r = record(l, &mig_id)?;
                // What the hypervisor itself recorded stays: suspended,
                // resumed, and a migration the frame lost (invalid).
                let (suspended, resumed) = (r.suspended, r.resumed);
                let state = if r.state == migration_state::INVALID {
                    r.state.clone()
                } else {
                    m.state.clone()
                };
                // Resumed is the point of no return: once either side
                // knows it, it stays (a recovery from the source alone
                // must not roll back a partition running elsewhere).
                let resumed = resumed || m.resumed;
                *r = Migration {
                    suspended,
                    resumed,
                    state,
                    ..m
                };
                Ok(l.clone())
            }
            "finish" => {
                let l = lpar_mut(p, id)?;
                let m = record(l, &mig_id)?.clone();
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
            "rollback" => {
                let l = lpar_mut(p, id)?;
                let m = record(l, &mig_id)?.clone();
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
            "remove" => {
                let l = lpar_mut(p, id)?;
                record(l, &mig_id)?;
                Ok(p.lpars.remove(&id).unwrap_or_default())
            }
            other => Err(FspError::Invalid(format!("unknown migration step {other}"))),
        })?;
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if op == "rollback" {
            if let Some(r) = live.running.get(&id) {
                r.unsuspend();
            }
        }
        Ok(out)
    }

    /// The source MSP opens the VASI stream: the partition's memory, with
    /// every page that holds data marked for the first pass.
    pub fn vasi_source_open(&self, id: u32, mig_id: &str) -> Result<Arc<Running>, FspError> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let l = live
            .state
            .lpars
            .get_mut(&id)
            .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
        let m = record(l, mig_id)?;
        if !m.source || m.r#type != "active" {
            return Err(FspError::NotPermitted(format!(
                "partition {id} is not the source of an active migration"
            )));
        }
        let r = live.running.get(&id).cloned().ok_or_else(|| {
            FspError::NotPermitted(format!("partition {id} has no running memory here"))
        })?;
        r.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .mark_resident_dirty();
        Ok(r)
    }

    /// Records that the source partition is (or no longer is) suspended.
    pub fn vasi_suspended(&self, id: u32, mig_id: &str, suspended: bool) -> Result<(), FspError> {
        self.change(|p, _| {
            let l = lpar_mut(p, id)?;
            record(l, mig_id)?.suspended = suspended;
            l.ref_code = if suspended { "C2001080" } else { "" }.into();
            Ok(())
        })
    }

    /// The destination MSP opens the VASI stream: memory for the shell.
    pub fn vasi_dest_open(&self, id: u32, mig_id: &str) -> Result<Arc<Mutex<Memory>>, FspError> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let l = live
            .state
            .lpars
            .get_mut(&id)
            .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
        let m = record(l, mig_id)?;
        if m.source || m.r#type != "active" || m.resumed {
            return Err(FspError::NotPermitted(format!(
                "partition {id} is not the shell of an active migration"
            )));
        }
        let mem = l.curr.as_ref().map(|c| c.mem_mb).unwrap_or(0);
        let memory = Arc::new(Mutex::new(Memory::incoming(mem)));
        live.incoming.insert(id, memory.clone());
        Ok(memory)
    }

    /// The partition resumes in its shell: from here on it runs on this
    /// frame, and the migration can only go forward (recorded before the
    /// caller hears it).
    pub fn vasi_dest_resume(
        &self,
        id: u32,
        mig_id: &str,
        state: &PartitionState,
        missing: &[u64],
        demand: tokio::sync::mpsc::UnboundedSender<u64>,
    ) -> Result<Arc<Running>, FspError> {
        let running = {
            let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            // The shell must still be there to take it: not powered off,
            // not removed by a recovery. The source may then safely run on.
            let shell_ok = live.state.frame.state == frame_state::OPERATING
                && live.state.lpars.get(&id).is_some_and(|l| {
                    l.state == lpar_state::MIGRATING_NOT_ACTIVATED
                        && l.migration.as_ref().is_some_and(|m| m.id == mig_id)
                });
            let memory = live
                .incoming
                .remove(&id)
                .filter(|_| shell_ok)
                .ok_or_else(|| {
                    FspError::NotPermitted(format!(
                        "the destination refused to resume partition {id}: its shell is gone"
                    ))
                })?;
            memory
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .set_missing(missing);
            let spec = live
                .state
                .lpars
                .get(&id)
                .and_then(|l| l.workload.clone())
                .unwrap_or_default();
            let r = Arc::new(Running::resumed(memory, spec, state, demand));
            live.running.insert(id, r.clone());
            r
        };
        self.change(|p, _| {
            let l = lpar_mut(p, id)?;
            record(l, mig_id)?.resumed = true;
            l.state = lpar_state::MIGRATING_RUNNING.into();
            l.ref_code = "C2001082".into();
            l.rmc_state = if l.rmc_inactive { "inactive" } else { "active" }.into();
            Ok(())
        })?;
        Ok(running)
    }

    /// Whether the shell still waits for its memory (a power-off or a
    /// recovery ends that, and the stream with it).
    pub fn vasi_dest_alive(&self, id: u32) -> bool {
        self.with(|l| l.incoming.contains_key(&id))
    }

    /// The stream to the source ended after the partition resumed here
    /// with `missing` pages still to come: they are lost with the source,
    /// so the partition cannot go on. It stops in Error, as on an
    /// uncorrectable memory error; its record still says it resumed, so a
    /// recovery completes the migration here, where it can be activated
    /// afresh.
    pub fn vasi_dest_lost(&self, id: u32, mig_id: &str, missing: usize) {
        let stopped = self.change(|p, _| {
            let l = lpar_mut(p, id)?;
            record(l, mig_id)?;
            stop_partition(l);
            l.state = lpar_state::ERROR.into();
            Ok(())
        });
        if stopped.is_ok() {
            self.live
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .running
                .remove(&id);
            tracing::error!(
                lpar = id,
                missing,
                "the source went away with pages this partition had not received; it stopped in Error"
            );
        }
    }

    /// A shell's memory goes away with its stream unless it resumed.
    pub fn vasi_dest_close(&self, id: u32) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.incoming.remove(&id);
    }
}
