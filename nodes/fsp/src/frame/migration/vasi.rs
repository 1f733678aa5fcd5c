//! The hypervisor's side of the VASI streams (`crate::vasi` serves them):
//! what the source lends of a partition's memory, the shell that takes it
//! on the destination, and the resume that makes the migration go forward.

use super::*;

impl Hypervisor {
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
