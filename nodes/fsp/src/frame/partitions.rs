//! Partitions: their configuration and profiles (the NVRAM the FSP is the
//! source of truth for), activation and shutdown, and the workload a
//! running client partition runs.

use super::resources::{allocate, available, next_free_id};
use super::*;

impl Hypervisor {
    /// The workload of a running client partition: its settings and what
    /// it has done; with `digest`, the digest of its memory too.
    pub fn workload(&self, id: u32, digest: bool) -> Result<WorkloadStatus, FspError> {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let lpar = live
            .state
            .lpars
            .get(&id)
            .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
        let Some(r) = live.running.get(&id) else {
            return Err(FspError::LparState {
                name: lpar.name.clone(),
                state: lpar.state.clone(),
                needed: "Running (a client partition)".into(),
            });
        };
        let m = r.memory.lock().unwrap_or_else(|e| e.into_inner());
        use std::sync::atomic::Ordering::Relaxed;
        Ok(WorkloadStatus {
            workload: lpar.workload.clone(),
            npages: m.npages(),
            resident_pages: m.resident_pages() as u64,
            dirty_pages: m.dirty_count(),
            pages_written: r.stats.pages_written.load(Relaxed),
            heartbeat_ticks: r.heartbeat_ticks(),
            max_gap_us: r.stats.max_gap_us.load(Relaxed),
            digest: if digest { m.digest() } else { String::new() },
            io: Some(r.os.io_stats()),
        })
    }

    /// Changes a partition's workload, now if it runs and at every start.
    pub fn set_workload(&self, id: u32, w: pvmlab_common::model::Workload) -> Result<(), FspError> {
        crate::workload::check(&w).map_err(FspError::Invalid)?;
        self.change(|p, _| {
            let l = p
                .lpars
                .get_mut(&id)
                .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
            if l.is_vios() {
                return Err(FspError::Invalid(format!(
                    "{} is a VIOS; workloads run in client partitions",
                    l.name
                )));
            }
            l.workload = Some(w.clone());
            Ok(())
        })?;
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = live.running.get(&id) {
            r.set(w);
            self.wake_clock();
        }
        Ok(())
    }

    /// Activates a partition with a profile: resources are taken now; a
    /// client boots on its own, a VIOS runs once its operating system attaches.
    pub fn activate(self: &Arc<Self>, id: u32, profile: &str) -> Result<(), FspError> {
        self.activate_with(id, profile, None)
    }

    /// Activates a partition whose firmware then does what `boot` asks
    /// (lpar_netboot): a client partition only, since a VIOS boots its own
    /// operating system, which attaches.
    pub fn activate_with(
        self: &Arc<Self>,
        id: u32,
        profile: &str,
        boot: Option<pvmlab_common::proto::fsp::Boot>,
    ) -> Result<(), FspError> {
        let walk = boot.as_ref().map(super::netboot::steps);
        // Marked before the activation so that a VIOS's operating system
        // cannot attach between it and the walk's first step.
        if walk.is_some() {
            self.set_walking(id, true);
        }
        let first = walk.as_ref().and_then(|w| w.first().cloned());
        let activated = self.change(|p, _| start_partition(p, id, profile, first.as_ref()));
        if activated.is_err() && walk.is_some() {
            self.set_walking(id, false);
        }
        let is_vios = activated?;
        if let Some(w) = walk {
            self.walk(id, w);
        } else if !is_vios {
            self.boot_clients(vec![id]);
        }
        Ok(())
    }

    /// Activates many partitions in one change, as a frame's power on does
    /// with its auto start partitions: one write for all instead of one
    /// each. A partition that cannot start is left as it was and reported.
    pub fn activate_many(
        self: &Arc<Self>,
        which: &[(u32, String)],
    ) -> Result<Vec<(u32, FspError)>, FspError> {
        let (clients, refused) = self.change(|p, _| {
            let (mut clients, mut refused) = (Vec::new(), Vec::new());
            for (id, profile) in which {
                let before = p.lpars.get(id).cloned();
                match start_partition(p, *id, profile, None) {
                    Ok(false) => clients.push(*id),
                    Ok(true) => {}
                    Err(e) => {
                        if let Some(b) = before {
                            p.lpars.insert(*id, b);
                        }
                        refused.push((*id, e));
                    }
                }
            }
            Ok((clients, refused))
        })?;
        self.boot_clients(clients);
        Ok(refused)
    }

    /// Client partitions' operating systems come up after their boot time,
    /// those started together in one change.
    fn boot_clients(self: &Arc<Self>, ids: Vec<u32>) {
        if ids.is_empty() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(BOOT_TIME).await;
            let _ = me.change(|p, _| {
                for id in &ids {
                    if let Some(l) = p
                        .lpars
                        .get_mut(id)
                        .filter(|l| l.state == lpar_state::STARTING)
                    {
                        l.state = lpar_state::RUNNING.into();
                        l.rmc_state = if l.rmc_inactive { "inactive" } else { "active" }.into();
                        l.ref_code = String::new();
                    }
                }
                Ok(())
            });
        });
    }

    /// Stops a partition. `immediate` stops it at once (like pulling the
    /// plug); otherwise the operating system shuts down first, which takes a
    /// moment. `restart` activates it again with the profile it ran.
    pub fn shutdown(
        self: &Arc<Self>,
        id: u32,
        immediate: bool,
        restart: bool,
    ) -> Result<Partition, FspError> {
        let (lpar, profile) = self.change(|p, links| {
            let lpar = p
                .lpars
                .get_mut(&id)
                .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
            if !matches!(
                lpar.state.as_str(),
                lpar_state::RUNNING
                    | lpar_state::STARTING
                    | lpar_state::OPEN_FIRMWARE
                    | lpar_state::ERROR
            ) {
                return Err(FspError::LparState {
                    name: lpar.name.clone(),
                    state: lpar.state.clone(),
                    needed: "Running, Starting, Open Firmware or Error".into(),
                });
            }
            if let Some(link) = links.remove(&id) {
                let _ = link.tx.try_send(Ok(ViosCommand {
                    kind: Some(vios_command::Kind::Shutdown(Shutdown { immediate })),
                }));
            }
            lpar.state = lpar_state::SHUTTING_DOWN.into();
            lpar.rmc_state = "inactive".into();
            Ok((lpar.clone(), lpar.curr_profile.clone()))
        })?;
        let me = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(if immediate { SHUTDOWN_NOW } else { BOOT_TIME }).await;
            let _ = me.change(|p, _| {
                if let Some(l) = p
                    .lpars
                    .get_mut(&id)
                    .filter(|l| l.state == lpar_state::SHUTTING_DOWN)
                {
                    stop_partition(l);
                }
                Ok(())
            });
            if restart {
                if let Err(e) = me.activate(id, &profile) {
                    tracing::warn!(lpar = id, "restart failed: {e}");
                }
            }
        });
        Ok(lpar)
    }

    /// Creates a partition or replaces one's configuration, after the checks
    /// the hypervisor makes whoever asks: unique name and id, valid
    /// profiles that fit the frame, and no change to what a running
    /// partition is using.
    pub fn put_partition(&self, mut new: Partition, create: bool) -> Result<Partition, FspError> {
        self.change(|p, _| {
            if create {
                if new.id == 0 {
                    new.id = next_free_id(p)?;
                } else if new.id > p.frame.max_lpars {
                    return Err(FspError::Invalid(format!(
                        "partition id {} is outside 1-{}",
                        new.id, p.frame.max_lpars
                    )));
                } else if p.lpars.contains_key(&new.id) {
                    return Err(FspError::Invalid(format!(
                        "partition id {} is already in use",
                        new.id
                    )));
                }
                new.state = lpar_state::NOT_ACTIVATED.into();
                new.rmc_state = "inactive".into();
                new.lpar_keylock = "norm".into();
                new.boot_mode = "norm".into();
                new.remote_restart_status = "Invalid".into();
                new.logical_serial_num =
                    pvmlab_common::topology::logical_serial(&p.frame.serial_num, new.id);
                // A new partition gets a UUID of its own: a partition made
                // again under an old name is not the old one. A shell or
                // a remote restart brings the partition's own.
                if new.uuid.is_empty() {
                    new.uuid = pvmlab_common::ids::uuid(
                        "LogicalPartition",
                        &format!(
                            "{}/{}/{}/{}",
                            p.frame.serial_num, new.id, new.name, p.frame.epoch
                        ),
                    );
                }
                if new.lpar_avail_priority == 0 {
                    new.lpar_avail_priority = if new.is_vios() { 191 } else { 127 };
                }
            } else {
                let old = p
                    .lpars
                    .get(&new.id)
                    .ok_or_else(|| FspError::NoPartition(new.id.to_string()))?;
                // What the hypervisor owns stays the hypervisor's.
                new.state = old.state.clone();
                new.curr = old.curr.clone();
                new.curr_profile = old.curr_profile.clone();
                new.rmc_state = old.rmc_state.clone();
                new.activated_once = old.activated_once;
                new.rmc_inactive = old.rmc_inactive;
                new.logical_serial_num = old.logical_serial_num.clone();
                // Kept across renames; state saved before partitions kept
                // a UUID fixes the one they had then.
                new.uuid = if old.uuid.is_empty() {
                    pvmlab_common::ids::first_partition_uuid(old)
                } else {
                    old.uuid.clone()
                };
                if old.curr.is_some() && new.profile(&old.curr_profile).is_none() {
                    return Err(FspError::Invalid(format!(
                        "profile {} is in use by the running partition",
                        old.curr_profile
                    )));
                }
            }
            if let Some(other) = p
                .lpars
                .values()
                .find(|o| o.id != new.id && o.name == new.name)
            {
                return Err(FspError::Invalid(format!(
                    "the name {} is already used by partition {}",
                    new.name, other.id
                )));
            }
            check_partition(&p.frame, &p.lpars, &new)?;
            p.lpars.insert(new.id, new.clone());
            Ok(new)
        })
    }

    pub fn remove_partition(&self, id: u32) -> Result<Partition, FspError> {
        self.change(|p, _| {
            let l = p
                .lpars
                .get(&id)
                .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
            if l.holds_resources() {
                return Err(FspError::LparState {
                    name: l.name.clone(),
                    state: l.state.clone(),
                    needed: lpar_state::NOT_ACTIVATED.into(),
                });
            }
            Ok(p.lpars.remove(&id).unwrap_or_default())
        })
    }
}

/// Takes a partition from Not Activated to Starting with a profile (or to
/// the first step of a firmware walk): the checks, then the resources.
/// Returns whether it is a VIOS.
fn start_partition(
    p: &mut Persisted,
    id: u32,
    profile: &str,
    first: Option<&super::netboot::Step>,
) -> Result<bool, FspError> {
    if p.frame.state != frame_state::OPERATING {
        return Err(FspError::FrameState {
            state: p.frame.state.clone(),
            needed: frame_state::OPERATING.into(),
        });
    }
    let avail = available(p, Some(id));
    let lpar = p
        .lpars
        .get_mut(&id)
        .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
    if lpar.state != lpar_state::NOT_ACTIVATED {
        return Err(FspError::LparState {
            name: lpar.name.clone(),
            state: lpar.state.clone(),
            needed: lpar_state::NOT_ACTIVATED.into(),
        });
    }
    // A partition left in a migration may run on the other frame
    // now: starting this copy could make two.
    if let Some(m) = &lpar.migration {
        return Err(FspError::NotPermitted(format!(
            "The partition {} cannot be activated because it takes part in migration {} between {} and {}. Run migrlpar -o r -m {} -p {} to recover the migration first.",
            lpar.name, m.id, m.source_sys_name, m.dest_sys_name, m.source_sys_name, lpar.name
        )));
    }
    // A copy left behind by a remote restart: the partition runs on
    // another frame, and this one goes only by a cleanup.
    if matches!(
        lpar.remote_restart_status.as_str(),
        rr_status::SOURCE_RESTARTING | rr_status::RESTARTED
    ) {
        return Err(FspError::NotPermitted(format!(
            "The partition {} cannot be activated because it was remote restarted on another managed system (remote_restart_status={}). Run rrstartlpar -o cleanup -m {} -p {} to remove this copy.",
            lpar.name, lpar.remote_restart_status, p.frame.name, lpar.name
        )));
    }
    let prof = lpar
        .profile(profile)
        .ok_or_else(|| FspError::NoProfile(lpar.name.clone(), profile.into()))?
        .clone();
    // Remote restart the POWER7 way keeps the configuration on a
    // reserved storage device: no device, no start (seed 000).
    if lpar.remote_restart_capable
        && !lpar.simplified_remote_restart_capable
        && lpar.rs_device_name.is_empty()
    {
        return Err(FspError::NotPermitted(format!(
            "The partition {} is remote restart capable and has no reserved storage device. Assign one with chsyscfg -r lpar -m {} -i \"name={},primary_rs_vios_name=<vios>,rs_device_name=<device>\" (lshwres -r rspool --rsubtype rsdev lists the pool).",
            lpar.name, p.frame.name, lpar.name
        )));
    }
    if lpar.remote_restart_capable {
        lpar.remote_restart_status = rr_status::RESTARTABLE.into();
    }
    let curr = allocate(&prof, avail, p.frame.lmb_mb)?;
    lpar.curr = Some(curr);
    lpar.curr_profile = prof.name.clone();
    lpar.state = lpar_state::STARTING.into();
    lpar.activated_once = true;
    lpar.curr_lpar_proc_compat_mode = effective_mode(&prof.lpar_proc_compat_mode, &p.frame);
    lpar.ref_code = "CA00E1F1".into();
    if let Some(first) = first {
        lpar.state = first.state.into();
        lpar.ref_code = first.refcode.into();
    }
    Ok(lpar.is_vios())
}

/// The frame-dependent checks of a partition's configuration.
pub(super) fn check_partition(
    frame: &Frame,
    lpars: &super::Lpars,
    l: &Partition,
) -> Result<(), FspError> {
    let bad = |m: String| Err(FspError::Invalid(m));
    if l.name.is_empty() || l.name.len() > 47 {
        return bad(format!(
            "partition name {:?} must be 1 to 47 characters",
            l.name
        ));
    }
    if l.profiles.is_empty() {
        return bad(format!("partition {} needs at least one profile", l.name));
    }
    // Seed 000: "all remote restart capable partition are not able to own
    // any physical I/O adapter".
    if let Some(pr) = l
        .profiles
        .iter()
        .find(|pr| l.remote_restart_capable && !pr.io_slots.is_empty())
    {
        return bad(format!(
            "partition {} is remote restart capable and cannot own physical I/O adapters (profile {}: io_slots={})",
            l.name,
            pr.name,
            pr.io_slots.join(",")
        ));
    }
    if l.profile(&l.default_profile).is_none() {
        return bad(format!(
            "the default profile {} does not exist",
            l.default_profile
        ));
    }
    let mut names = std::collections::BTreeSet::new();
    for pr in &l.profiles {
        if !names.insert(pr.name.as_str()) {
            return bad(format!("two profiles are named {}", pr.name));
        }
        pvmlab_common::attrs::check_profile(pr)
            .map_err(|m| FspError::Invalid(format!("profile {}: {m}", pr.name)))?;
        for (what, mb) in [
            ("min_mem", pr.min_mem),
            ("desired_mem", pr.desired_mem),
            ("max_mem", pr.max_mem),
        ] {
            if mb % frame.lmb_mb.max(1) != 0 {
                return bad(format!(
                    "{what} {mb} is not a multiple of the logical memory block size {} MB",
                    frame.lmb_mb
                ));
            }
        }
        if pr.desired_mem > frame.memory_mb {
            return bad(format!(
                "desired_mem {} MB is more than the managed system's {} MB",
                pr.desired_mem, frame.memory_mb
            ));
        }
        let procs = if pr.proc_mode == "shared" {
            pr.desired_proc_units
        } else {
            f64::from(pr.desired_procs)
        };
        if procs > frame.processors {
            return bad(format!(
                "the profile wants {procs} processors but the managed system has {}",
                frame.processors
            ));
        }
        if !frame.compat_modes.contains(&pr.lpar_proc_compat_mode) {
            return bad(format!(
                "processor compatibility mode {} is not supported by the managed system (it supports {})",
                pr.lpar_proc_compat_mode,
                frame.compat_modes.join(", ")
            ));
        }
        if pr.proc_mode == "shared" && !frame.pools.iter().any(|x| x.id == pr.shared_proc_pool_id) {
            return bad(format!(
                "shared processor pool {} does not exist",
                pr.shared_proc_pool_id
            ));
        }
        if l.remote_restart_capable && !pr.io_slots.is_empty() {
            return bad("a remote restart capable partition cannot own physical I/O".into());
        }
        let clients = pr
            .virtual_scsi_adapters
            .iter()
            .filter(|a| !a.server)
            .map(|a| &a.remote_lpar_id)
            .chain(
                pr.virtual_fc_adapters
                    .iter()
                    .filter(|a| !a.server)
                    .map(|a| &a.remote_lpar_id),
            );
        for rid in clients {
            let vios = rid
                .parse::<u32>()
                .ok()
                .and_then(|i| lpars.get(&i))
                .filter(|v| v.is_vios());
            if vios.is_none() {
                return bad(format!(
                    "a client adapter names partition {rid}, which is not a VIOS on this managed system"
                ));
            }
        }
    }
    Ok(())
}

/// The partition stops: what it held is free, its memory gone.
pub(super) fn stop_partition(l: &mut Partition) {
    if !l.curr_profile.is_empty() {
        l.last_activated_profile = l.curr_profile.clone();
    }
    // Its memory is gone: an active migration it was part of cannot go on.
    if let Some(m) = l.migration.as_mut().filter(|m| m.r#type == "active") {
        m.state = migration_state::INVALID.into();
    }
    l.state = lpar_state::NOT_ACTIVATED.into();
    l.rmc_state = "inactive".into();
    l.curr = None;
    l.curr_profile = String::new();
    l.ref_code = "00000000".into();
}

/// A partition in `default` mode runs in the frame's most recent mode.
fn effective_mode(requested: &str, frame: &Frame) -> String {
    if requested != "default" {
        return requested.to_string();
    }
    frame
        .compat_modes
        .iter()
        .rev()
        .find(|m| *m != "default" && *m != "POWER9_base")
        .cloned()
        .unwrap_or_else(|| frame.proc_generation.trim_end_matches('+').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mode_is_the_newest_the_frame_runs() {
        let f = Frame {
            compat_modes: vec!["default".into(), "POWER7".into(), "POWER8".into()],
            ..Default::default()
        };
        assert_eq!(effective_mode("default", &f), "POWER8");
        assert_eq!(effective_mode("POWER7", &f), "POWER7");
    }
}
