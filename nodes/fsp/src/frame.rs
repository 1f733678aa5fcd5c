//! The frame as its hypervisor sees it: power state, partitions, profiles and
//! the resources running partitions hold. Every change is persisted before
//! it is acknowledged or published.

use pvmlab_common::model::{
    Available, Frame, FrameExt as _, Partition, PartitionExt as _, Profile, Resources, frame_state,
    lpar_state, migration_state, rr_status,
};
use pvmlab_common::proto::fsp::{
    Attached, FrameSnapshot, Shutdown, ViosCommand, WorkloadStatus, vios_command,
};
use pvmlab_common::store::{Store, StoreError};
use pvmlab_common::topology::{FrameDef, Topology, vios_node_name};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

mod fault;
mod migration;

#[derive(Debug, thiserror::Error)]
pub enum FspError {
    #[error("partition {0} not found")]
    NoPartition(String),
    #[error("the managed system is in state {state}, and the operation needs {needed}")]
    FrameState { state: String, needed: String },
    #[error("partition {name} is in state {state}, and the operation needs {needed}")]
    LparState {
        name: String,
        state: String,
        needed: String,
    },
    #[error("partition {0} has no profile {1}")]
    NoProfile(String, String),
    #[error("insufficient memory: Obtained - {obtained} MB, Required - {required} MB")]
    Memory { obtained: u64, required: u64 },
    #[error("insufficient processors: available {available}, required {required}")]
    Processors { available: String, required: String },
    #[error("{0}")]
    NotPermitted(String),
    #[error("{0}")]
    Invalid(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

/// What is persisted: the frame and every partition with its profiles.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Persisted {
    frame: Frame,
    lpars: BTreeMap<u32, Partition>,
    /// The service processor stopped in order (`pvmlab down`), not lost.
    #[serde(default)]
    clean_stop: bool,
}

struct ViosLink {
    generation: u64,
    tx: mpsc::Sender<Result<ViosCommand, tonic::Status>>,
}

struct Live {
    state: Persisted,
    vios: HashMap<u32, ViosLink>,
    generation: u64,
    /// The memory and workload of every running client partition.
    running: HashMap<u32, Arc<crate::workload::Running>>,
    /// Memory arriving in migration shells, before they resume.
    incoming: HashMap<u32, Arc<Mutex<crate::memory::Memory>>>,
}

pub struct Hypervisor {
    live: Mutex<Live>,
    /// The frame comes back from a failure (a crash, or an FSP that was
    /// lost while the frame ran): its remote restart capable partitions
    /// may run elsewhere by now, so the next power on holds back their
    /// auto start until an HMC has had the time to mark the copies it
    /// restarted elsewhere.
    after_failure: std::sync::atomic::AtomicBool,
    /// Serialises changes, so that the disk write of one happens without
    /// holding `live`: the hypervisor's clock, which steps every running
    /// partition each millisecond, never waits for a disk.
    writer: Mutex<()>,
    store: Store,
    publish: watch::Sender<Arc<FrameSnapshot>>,
}

const TABLE: &str = "frame";
const KEY: &str = "state";
/// How long a client partition takes from Starting to Running.
const BOOT_TIME: Duration = Duration::from_millis(200);
const IPL_TIME: Duration = Duration::from_millis(300);
/// How long remote restart capable partitions wait, after a failure, for
/// an HMC to mark the copies it restarted elsewhere before they auto start.
const HOLD_AFTER_FAILURE: Duration = Duration::from_secs(2);

fn snapshot(p: &Persisted) -> Arc<FrameSnapshot> {
    Arc::new(FrameSnapshot {
        frame: Some(p.frame.clone()),
        partitions: p.lpars.values().cloned().collect(),
    })
}

impl Hypervisor {
    /// Opens the frame's database; on first start the frame is built from
    /// the topology.
    pub fn open(dir: &Path, topo: &Topology, def: &FrameDef) -> Result<Hypervisor, FspError> {
        let store = Store::open(&dir.join("fsp.redb"))?;
        let state = match store.get::<Persisted>(TABLE, KEY)? {
            Some(mut p) => {
                // The address may move (relocated lab, compose); the rest is ours.
                p.frame.address = def.frame_model(topo).address;
                p
            }
            None => {
                let mut frame = def.frame_model(topo);
                // Remember the power state the topology asks for at first boot.
                frame.state = if def.power.get_ref() == frame_state::POWER_OFF {
                    frame_state::POWER_OFF.into()
                } else {
                    def.power.get_ref().clone()
                };
                let lpars = def.partitions().into_iter().map(|p| (p.id, p)).collect();
                let p = Persisted {
                    frame,
                    lpars,
                    clean_stop: true,
                };
                store.put(TABLE, KEY, &p)?;
                p
            }
        };
        let (publish, _) = watch::channel(snapshot(&state));
        Ok(Hypervisor {
            after_failure: Default::default(),
            writer: Mutex::new(()),
            live: Mutex::new(Live {
                state,
                vios: HashMap::new(),
                generation: 0,
                running: HashMap::new(),
                incoming: HashMap::new(),
            }),
            store,
            publish,
        })
    }

    pub fn subscribe(&self) -> watch::Receiver<Arc<FrameSnapshot>> {
        self.publish.subscribe()
    }

    fn with<R>(&self, f: impl FnOnce(&Live) -> R) -> R {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        f(&live)
    }

    /// Applies a change to a copy, persists it, and only then makes it the
    /// truth and publishes it: a failed write changes nothing.
    fn change<R>(
        &self,
        f: impl FnOnce(&mut Persisted, &mut HashMap<u32, ViosLink>) -> Result<R, FspError>,
    ) -> Result<R, FspError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let (next, r) = {
            let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            let mut next = live.state.clone();
            let r = f(&mut next, &mut live.vios)?;
            next.frame.epoch += 1;
            (next, r)
        };
        self.store.put(TABLE, KEY, &next)?;
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.state = next;
        sync_workloads(&mut live);
        self.publish.send_replace(snapshot(&live.state));
        Ok(r)
    }

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
            heartbeat_ticks: r.stats.ticks.load(Relaxed),
            max_gap_us: r.stats.max_gap_us.load(Relaxed),
            digest: if digest { m.digest() } else { String::new() },
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
        }
        Ok(())
    }

    /// At process start: a frame that was on (or being powered on) when the
    /// service processor stopped comes back up; its partitions' memory did
    /// not survive, so they start from their profiles again.
    pub fn boot(self: Arc<Self>) {
        tokio::spawn(Self::tick(Arc::downgrade(&self)));
        let state = self.with(|s| s.state.frame.state.clone());
        let on = !matches!(
            state.as_str(),
            frame_state::POWER_OFF | frame_state::POWER_OFF_IN_PROGRESS
        );
        let standby = state == frame_state::STANDBY;
        let clean = self.with(|l| l.state.clean_stop);
        if on && !clean {
            self.after_failure
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let _ = self.change(|p, _| {
            p.clean_stop = false;
            p.frame.state = frame_state::POWER_OFF.into();
            for l in p.lpars.values_mut() {
                stop_partition(l);
            }
            Ok(())
        });
        if on {
            tokio::spawn(async move {
                if let Err(e) = self.power_on(standby).await {
                    tracing::error!("power on at boot failed: {e}");
                }
            });
        }
    }

    /// The hypervisor's clock: every millisecond, each running client
    /// partition's heartbeat ticks and its workload writes what it owes.
    /// It holds the hypervisor weakly, and ends with it.
    async fn tick(me: std::sync::Weak<Self>) {
        let mut every = tokio::time::interval(Duration::from_millis(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(me) = me.upgrade() else { return };
            let running: Vec<Arc<crate::workload::Running>> =
                me.with(|l| l.running.values().cloned().collect());
            let now = std::time::Instant::now();
            for r in running {
                r.step(now);
            }
        }
    }

    /// The service processor stops in order: its next start is no failure.
    pub fn stop_cleanly(&self) {
        let _ = self.change(|p, _| {
            p.clean_stop = true;
            Ok(())
        });
    }

    /// Powers the frame on; partitions whose default profile has auto start
    /// are activated, unless the frame comes up to Standby.
    pub async fn power_on(self: &Arc<Self>, standby: bool) -> Result<(), FspError> {
        self.change(|p, _| {
            if p.frame.state != frame_state::POWER_OFF {
                return Err(FspError::FrameState {
                    state: p.frame.state.clone(),
                    needed: frame_state::POWER_OFF.into(),
                });
            }
            p.frame.state = frame_state::INITIALIZING.into();
            Ok(())
        })?;
        tokio::time::sleep(IPL_TIME).await;
        let after_failure = self
            .after_failure
            .swap(false, std::sync::atomic::Ordering::SeqCst);
        let autostart = self.change(|p, _| {
            if p.frame.state != frame_state::INITIALIZING {
                return Ok(Vec::new()); // powered off meanwhile
            }
            p.frame.state = if standby {
                frame_state::STANDBY
            } else {
                frame_state::OPERATING
            }
            .into();
            if standby {
                return Ok(Vec::new());
            }
            Ok(p.lpars
                .values()
                .filter(|l| {
                    l.profile(&l.default_profile)
                        .is_some_and(|pr| pr.auto_start)
                })
                // VIOS first: clients depend on them.
                .map(|l| {
                    let hold = after_failure && l.remote_restart_capable && !l.is_vios();
                    (hold, !l.is_vios(), l.id, l.default_profile.clone())
                })
                .collect::<Vec<_>>())
        })?;
        let mut autostart = autostart;
        autostart.sort();
        let (held, now): (Vec<_>, Vec<_>) = autostart.into_iter().partition(|a| a.0);
        if !held.is_empty() {
            // The HMCs reconnect and mark stale copies within this time; an
            // activation then refuses them.
            let me = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(HOLD_AFTER_FAILURE).await;
                for (_, _, id, profile) in held {
                    if let Err(e) = me.activate(id, &profile) {
                        tracing::warn!(lpar = id, "held auto start refused: {e}");
                    }
                }
            });
        }
        for (_, _, id, profile) in now {
            if let Err(e) = self.activate(id, &profile) {
                tracing::warn!(lpar = id, "auto start failed: {e}");
            }
        }
        tracing::info!("frame powered on");
        Ok(())
    }

    /// Powers the frame off: every partition stops and its memory is gone.
    pub async fn power_off(self: &Arc<Self>, immediate: bool) -> Result<(), FspError> {
        self.change(|p, links| {
            if matches!(
                p.frame.state.as_str(),
                frame_state::POWER_OFF | frame_state::POWER_OFF_IN_PROGRESS
            ) {
                return Err(FspError::FrameState {
                    state: p.frame.state.clone(),
                    needed: "a powered-on state".into(),
                });
            }
            p.frame.state = frame_state::POWER_OFF_IN_PROGRESS.into();
            for l in p.lpars.values_mut() {
                if l.holds_resources() {
                    l.state = lpar_state::SHUTTING_DOWN.into();
                }
            }
            for (_, link) in links.drain() {
                let _ = link.tx.try_send(Ok(ViosCommand {
                    kind: Some(vios_command::Kind::Shutdown(Shutdown { immediate })),
                }));
            }
            Ok(())
        })?;
        tokio::time::sleep(if immediate {
            Duration::from_millis(100)
        } else {
            IPL_TIME
        })
        .await;
        self.change(|p, _| {
            for l in p.lpars.values_mut() {
                stop_partition(l);
            }
            p.frame.state = frame_state::POWER_OFF.into();
            Ok(())
        })?;
        // Memory arriving for migration shells is gone with the power.
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .incoming
            .clear();
        tracing::info!("frame powered off");
        Ok(())
    }

    /// Activates a partition with a profile: resources are taken now; a
    /// client boots on its own, a VIOS runs once its operating system attaches.
    pub fn activate(self: &Arc<Self>, id: u32, profile: &str) -> Result<(), FspError> {
        let is_vios = self.change(|p, _| {
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
            Ok(lpar.is_vios())
        })?;
        if !is_vios {
            let me = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(BOOT_TIME).await;
                let _ = me.change(|p, _| {
                    if let Some(l) = p
                        .lpars
                        .get_mut(&id)
                        .filter(|l| l.state == lpar_state::STARTING)
                    {
                        l.state = lpar_state::RUNNING.into();
                        l.rmc_state = if l.rmc_inactive { "inactive" } else { "active" }.into();
                        l.ref_code = String::new();
                    }
                    Ok(())
                });
            });
        }
        Ok(())
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
            tokio::time::sleep(if immediate {
                Duration::from_millis(50)
            } else {
                BOOT_TIME
            })
            .await;
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

    /// Dynamic LPAR: changes what running partitions hold, all or nothing.
    /// Each partition stays within its profile's minimum and maximum; an
    /// add or a move draws on what the frame has free.
    pub fn dlpar(
        &self,
        id: u32,
        mem: i64,
        procs: i32,
        units: f64,
        target: Option<u32>,
    ) -> Result<Partition, FspError> {
        self.change(|p, _| {
            let lmb = p.frame.lmb_mb.max(1) as i64;
            if mem % lmb != 0 {
                return Err(FspError::Invalid(format!("{} MB is not a multiple of the logical memory block size {lmb} MB", mem.abs())));
            }
            // A move takes from `id` and gives to `target`; otherwise `id` gets the change.
            let changes: Vec<(u32, i64, i32, f64)> = match target {
                Some(t) => vec![(id, -mem, -procs, -units), (t, mem, procs, units)],
                None => vec![(id, mem, procs, units)],
            };
            for &(lid, m, n, u) in &changes {
                let avail = available(p, None);
                let l = p.lpars.get_mut(&lid).ok_or_else(|| FspError::NoPartition(lid.to_string()))?;
                if l.state != lpar_state::RUNNING {
                    return Err(FspError::LparState { name: l.name.clone(), state: l.state.clone(), needed: lpar_state::RUNNING.into() });
                }
                let prof = l.profile(&l.curr_profile).cloned().unwrap_or_default();
                let c = l.curr.get_or_insert_with(Default::default);
                let new_mem = c.mem_mb as i64 + m;
                if new_mem < prof.min_mem as i64 || new_mem > prof.max_mem as i64 {
                    return Err(FspError::Invalid(format!(
                        "partition {} would have {new_mem} MB, outside its minimum {} MB and maximum {} MB",
                        l.name, prof.min_mem, prof.max_mem
                    )));
                }
                if m > 0 && m as u64 > avail.mem_mb {
                    return Err(FspError::Memory { obtained: avail.mem_mb, required: m as u64 });
                }
                let new_procs = c.procs as i64 + i64::from(n);
                if new_procs < i64::from(prof.min_procs) || new_procs > i64::from(prof.max_procs) {
                    return Err(FspError::Invalid(format!(
                        "partition {} would have {new_procs} processors, outside its minimum {} and maximum {}",
                        l.name, prof.min_procs, prof.max_procs
                    )));
                }
                let (new_units, draw) = if c.proc_mode == "ded" {
                    (new_procs as f64, f64::from(n))
                } else {
                    let nu = ((c.proc_units + u) * 100.0).round() / 100.0;
                    if nu + 1e-9 < prof.min_proc_units || nu > prof.max_proc_units + 1e-9 {
                        return Err(FspError::Invalid(format!(
                            "partition {} would have {} processing units, outside its minimum {} and maximum {}",
                            l.name,
                            pvmlab_common::attrs::fmt_units(nu),
                            pvmlab_common::attrs::fmt_units(prof.min_proc_units),
                            pvmlab_common::attrs::fmt_units(prof.max_proc_units)
                        )));
                    }
                    if nu + 1e-9 < 0.05 * new_procs as f64 {
                        return Err(FspError::Invalid(format!("{} processing units cannot serve {new_procs} virtual processors (0.05 each at least)", pvmlab_common::attrs::fmt_units(nu))));
                    }
                    (nu, u)
                };
                if draw > 1e-9 && draw > avail.proc_units + 1e-9 {
                    return Err(FspError::Processors {
                        available: pvmlab_common::attrs::fmt_units(avail.proc_units),
                        required: pvmlab_common::attrs::fmt_units(draw),
                    });
                }
                c.mem_mb = new_mem as u64;
                c.procs = new_procs as u32;
                c.proc_units = new_units;
            }
            p.lpars.get(&id).cloned().ok_or_else(|| FspError::NoPartition(id.to_string()))
        })
    }

    /// Adds or removes a virtual adapter of a running partition. The slot
    /// must be free (add) or hold an adapter of that kind that is not
    /// required (remove). The profile is not changed, unless `profile`
    /// asks that a removed adapter go from the current profile too.
    pub fn change_adapter(
        &self,
        id: u32,
        add: bool,
        kind: &str,
        slot: u32,
        spec: &str,
        profile: bool,
    ) -> Result<Partition, FspError> {
        use pvmlab_common::attrs::{parse_eth, parse_fc, parse_scsi};
        self.change(|p, _| {
            let l = p.lpars.get_mut(&id).ok_or_else(|| FspError::NoPartition(id.to_string()))?;
            if l.state != lpar_state::RUNNING {
                return Err(FspError::LparState { name: l.name.clone(), state: l.state.clone(), needed: lpar_state::RUNNING.into() });
            }
            let name = l.name.clone();
            let c = l.curr.get_or_insert_with(Default::default);
            let used: Vec<u32> = c
                .serial
                .iter()
                .map(|a| a.slot)
                .chain(c.scsi.iter().map(|a| a.slot))
                .chain(c.eth.iter().map(|a| a.slot))
                .chain(c.fc.iter().map(|a| a.slot))
                .collect();
            let invalid = |m: String| FspError::Invalid(m);
            if add {
                if used.contains(&slot) {
                    return Err(invalid(format!("virtual slot {slot} of partition {name} is already in use")));
                }
                if slot < 2 || slot >= c.max_virtual_slots {
                    return Err(invalid(format!("virtual slot {slot} is outside 2-{} for partition {name}", c.max_virtual_slots.saturating_sub(1))));
                }
                match kind {
                    "eth" => c.eth.push(parse_eth(spec).map_err(invalid)?),
                    "scsi" => c.scsi.push(parse_scsi(spec).map_err(invalid)?),
                    "fc" => c.fc.push(parse_fc(spec).map_err(invalid)?),
                    other => return Err(invalid(format!("unknown adapter type {other}"))),
                }
            } else {
                let required = match kind {
                    "eth" => c.eth.iter().find(|a| a.slot == slot).map(|a| a.required),
                    "scsi" => c.scsi.iter().find(|a| a.slot == slot).map(|a| a.required),
                    "fc" => c.fc.iter().find(|a| a.slot == slot).map(|a| a.required),
                    other => return Err(invalid(format!("unknown adapter type {other}"))),
                };
                match required {
                    None => return Err(invalid(format!("partition {name} has no virtual {kind} adapter in slot {slot}"))),
                    Some(true) => return Err(invalid(format!("the adapter in slot {slot} is required by partition {name} and cannot be removed dynamically"))),
                    Some(false) => {}
                }
                c.eth.retain(|a| !(kind == "eth" && a.slot == slot));
                c.scsi.retain(|a| !(kind == "scsi" && a.slot == slot));
                c.fc.retain(|a| !(kind == "fc" && a.slot == slot));
                let current = l.curr_profile.clone();
                let in_profile = l.profiles.iter_mut().find(|pr| pr.name == current);
                if let Some(pr) = in_profile.filter(|_| profile) {
                    pr.virtual_eth_adapters.retain(|a| !(kind == "eth" && a.slot == slot));
                    pr.virtual_scsi_adapters.retain(|a| !(kind == "scsi" && a.slot == slot));
                    pr.virtual_fc_adapters.retain(|a| !(kind == "fc" && a.slot == slot));
                }
            }
            Ok(l.clone())
        })
    }

    /// Renames the managed system as administrators see it, or sets its
    /// power-off policy.
    pub fn change_frame(
        &self,
        user_name: Option<String>,
        power_off_policy: Option<u32>,
        rspool: Option<pvmlab_common::model::RsPool>,
    ) -> Result<(), FspError> {
        self.change(|p, _| {
            if let Some(pool) = rspool {
                check_rspool(p, &pool)?;
                p.frame.rspool = Some(pool);
            }
            if let Some(n) = user_name {
                let ok = !n.is_empty()
                    && n.len() <= 63
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if !ok {
                    return Err(FspError::Invalid(format!(
                        "the name {n:?} must be 1 to 63 letters, digits, '-', '_' or '.'"
                    )));
                }
                p.frame.user_name = n;
            }
            if let Some(pol) = power_off_policy {
                if pol > 1 {
                    return Err(FspError::Invalid(format!(
                        "power_off_policy {pol} is not 0 or 1"
                    )));
                }
                p.frame.power_off_policy = pol;
            }
            Ok(())
        })
    }

    pub fn partition(&self, id: u32) -> Option<Partition> {
        self.with(|s| s.state.lpars.get(&id).cloned())
    }

    /// The VIOS operating system attaches to its partition. Accepted while
    /// the partition is starting, running (the OS came back) or in error
    /// (it rebooted after a crash); refused when it is not activated.
    pub fn attach_vios(
        self: &Arc<Self>,
        id: u32,
        peer: &str,
        os_version: &str,
        rmc_ipaddr: &str,
    ) -> Result<mpsc::Receiver<Result<ViosCommand, tonic::Status>>, FspError> {
        let (tx, rx) = mpsc::channel(4);
        let generation = {
            let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            live.generation += 1;
            live.generation
        };
        let name = self.change(|p, links| {
            let frame = p.frame.name.clone();
            let lpar = p
                .lpars
                .get_mut(&id)
                .ok_or_else(|| FspError::NoPartition(id.to_string()))?;
            if !lpar.is_vios() || vios_node_name(&frame, &lpar.name) != peer {
                return Err(FspError::NotPermitted(format!(
                    "{peer} is not the operating system of partition {id} on {frame}"
                )));
            }
            if !matches!(
                lpar.state.as_str(),
                lpar_state::STARTING | lpar_state::RUNNING | lpar_state::ERROR
            ) {
                return Err(FspError::LparState {
                    name: lpar.name.clone(),
                    state: lpar.state.clone(),
                    needed: "Starting or Running".into(),
                });
            }
            lpar.state = lpar_state::RUNNING.into();
            lpar.rmc_state = "active".into();
            lpar.os_version = os_version.to_string();
            lpar.rmc_ipaddr = rmc_ipaddr.to_string();
            lpar.ref_code = String::new();
            links.insert(
                id,
                ViosLink {
                    generation,
                    tx: tx.clone(),
                },
            );
            Ok(lpar.name.clone())
        })?;
        let _ = tx.try_send(Ok(ViosCommand {
            kind: Some(vios_command::Kind::Attached(Attached {
                partition_name: name.clone(),
            })),
        }));
        let me = self.clone();
        tokio::spawn(async move {
            tx.closed().await;
            me.vios_lost(id, generation);
        });
        tracing::info!(lpar = %name, "VIOS attached");
        Ok(rx)
    }

    /// The VIOS's stream ended without the hypervisor shutting it down: its
    /// operating system is gone, so the partition is in Error.
    fn vios_lost(&self, id: u32, generation: u64) {
        let _ = self.change(|p, links| {
            if links.get(&id).is_some_and(|l| l.generation == generation) {
                links.remove(&id);
                if let Some(l) = p
                    .lpars
                    .get_mut(&id)
                    .filter(|l| l.state == lpar_state::RUNNING)
                {
                    tracing::warn!(lpar = %l.name, "VIOS operating system lost");
                    l.state = lpar_state::ERROR.into();
                    l.rmc_state = "inactive".into();
                    l.ref_code = "B2008105".into();
                }
            }
            Ok(())
        });
    }
}

/// The frame-dependent checks of a partition's configuration.
fn check_partition(
    frame: &Frame,
    lpars: &BTreeMap<u32, Partition>,
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

/// Starts the memory and workload of client partitions that have come to
/// run, and lets go of those of partitions that no longer hold resources.
fn sync_workloads(live: &mut Live) {
    let lpars = &live.state.lpars;
    live.running
        .retain(|id, _| lpars.get(id).is_some_and(|l| l.holds_resources()));
    for l in lpars
        .values()
        .filter(|l| l.state == lpar_state::RUNNING && !l.is_vios())
    {
        if !live.running.contains_key(&l.id) {
            let mem = l.curr.as_ref().map(|c| c.mem_mb).unwrap_or(0);
            let r = crate::workload::Running::new(
                mem,
                l.workload.clone().unwrap_or_default(),
                u64::from(l.id) << 32 | live.generation,
            );
            live.running.insert(l.id, Arc::new(r));
        }
    }
}

/// A reserved storage device pool the hypervisor accepts: served by VIOS
/// partitions of this frame, each device once, and none taken from under
/// the partition that uses it.
fn check_rspool(p: &Persisted, pool: &pvmlab_common::model::RsPool) -> Result<(), FspError> {
    let is_vios = |id: u32| p.lpars.get(&id).is_some_and(|l| l.is_vios());
    if let Some(bad) = pool.vios_ids.iter().find(|id| !is_vios(**id)) {
        return Err(FspError::Invalid(format!(
            "partition {bad} is not a Virtual I/O Server partition of this frame"
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for d in &pool.devices {
        if !pool.vios_ids.contains(&d.vios_id) {
            return Err(FspError::Invalid(format!(
                "device {} is on partition {}, which does not serve the pool",
                d.device_name, d.vios_id
            )));
        }
        if !seen.insert((d.vios_id, d.device_name.clone())) {
            return Err(FspError::Invalid(format!(
                "device {} is in the pool twice",
                d.device_name
            )));
        }
    }
    for l in p.lpars.values().filter(|l| !l.rs_device_name.is_empty()) {
        let primary = p
            .lpars
            .values()
            .find(|v| v.name == l.primary_rs_vios_name)
            .map_or(0, |v| v.id);
        if !pool
            .devices
            .iter()
            .any(|d| d.device_name == l.rs_device_name && d.vios_id == primary)
        {
            return Err(FspError::NotPermitted(format!(
                "device {} holds the remote restart data of partition {}; assign it another device first",
                l.rs_device_name, l.name
            )));
        }
    }
    Ok(())
}

fn stop_partition(l: &mut Partition) {
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

/// The lowest partition id not in use.
fn next_free_id(p: &Persisted) -> Result<u32, FspError> {
    (1..=p.frame.max_lpars)
        .find(|i| !p.lpars.contains_key(i))
        .ok_or_else(|| {
            FspError::NotPermitted(format!(
                "the managed system already has its maximum of {} partitions",
                p.frame.max_lpars
            ))
        })
}

/// What is free on the frame, not counting `except`.
fn available(p: &Persisted, except: Option<u32>) -> Available {
    p.frame
        .available(p.lpars.values().filter(|l| Some(l.id) != except))
}

/// Takes what the profile desires if the frame has it, else as much as is
/// free down to the profile's minimum, as the hypervisor does at activation.
fn allocate(prof: &Profile, avail: Available, lmb: u64) -> Result<Resources, FspError> {
    let free_mem = avail.mem_mb / lmb.max(1) * lmb.max(1);
    let mem = prof.desired_mem.min(free_mem);
    if mem < prof.min_mem {
        return Err(FspError::Memory {
            obtained: free_mem,
            required: prof.min_mem,
        });
    }
    let eps = 1e-9;
    let (units, procs) = if prof.proc_mode == "ded" {
        let free = avail.proc_units.floor() as u32;
        let n = prof.desired_procs.min(free);
        if n < prof.min_procs {
            return Err(FspError::Processors {
                available: free.to_string(),
                required: prof.min_procs.to_string(),
            });
        }
        (f64::from(n), n)
    } else {
        let u = prof
            .desired_proc_units
            .min((avail.proc_units * 100.0 + eps).floor() / 100.0);
        if u + eps < prof.min_proc_units {
            return Err(FspError::Processors {
                available: pvmlab_common::attrs::fmt_units(avail.proc_units),
                required: pvmlab_common::attrs::fmt_units(prof.min_proc_units),
            });
        }
        (u, prof.desired_procs)
    };
    Ok(Resources {
        mem_mb: mem,
        proc_mode: prof.proc_mode.clone(),
        proc_units: units,
        procs,
        shared_proc_pool_id: prof.shared_proc_pool_id,
        scsi: prof.virtual_scsi_adapters.clone(),
        eth: prof.virtual_eth_adapters.clone(),
        fc: prof.virtual_fc_adapters.clone(),
        serial: prof.virtual_serial_adapters.clone(),
        max_virtual_slots: prof.max_virtual_slots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prof(min: u64, desired: u64) -> Profile {
        let mut p = pvmlab_common::attrs::default_profile("p");
        p.min_mem = min;
        p.desired_mem = desired;
        p.max_mem = desired;
        p.min_procs = 1;
        p.desired_procs = 2;
        p.max_procs = 2;
        p.min_proc_units = 0.1;
        p.desired_proc_units = 0.5;
        p.max_proc_units = 1.0;
        p
    }

    #[test]
    fn allocation_takes_desired_or_what_is_free_down_to_min() {
        let a = allocate(
            &prof(1024, 4096),
            Available {
                mem_mb: 8192,
                proc_units: 4.0,
            },
            256,
        )
        .unwrap();
        assert_eq!((a.mem_mb, a.proc_units), (4096, 0.5));
        let a = allocate(
            &prof(1024, 4096),
            Available {
                mem_mb: 2000,
                proc_units: 4.0,
            },
            256,
        )
        .unwrap();
        assert_eq!(a.mem_mb, 1792, "rounded down to the LMB");
        let e = allocate(
            &prof(2048, 4096),
            Available {
                mem_mb: 1000,
                proc_units: 4.0,
            },
            256,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "insufficient memory: Obtained - 768 MB, Required - 2048 MB"
        );
        assert!(
            allocate(
                &prof(256, 512),
                Available {
                    mem_mb: 8192,
                    proc_units: 0.05
                },
                256
            )
            .is_err()
        );
    }

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

#[cfg(test)]
mod persistence {
    use super::*;

    fn open(dir: &Path) -> Arc<Hypervisor> {
        let topo = Topology::default_lab();
        let def = topo.frame("sys2").unwrap().clone();
        Arc::new(Hypervisor::open(dir, &topo, &def).unwrap())
    }

    fn state(h: &Hypervisor) -> String {
        h.subscribe().borrow().frame.as_ref().unwrap().state.clone()
    }

    #[tokio::test]
    async fn what_the_fsp_acknowledged_is_there_after_it_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let h = open(dir.path());
        h.clone().boot();
        tokio::time::sleep(IPL_TIME * 3).await;
        assert_eq!(state(&h), frame_state::OPERATING);
        let running = h
            .subscribe()
            .borrow()
            .partitions
            .iter()
            .filter(|p| p.state == lpar_state::RUNNING)
            .count();
        assert_eq!(
            running, 3,
            "the three auto-start clients run (the VIOS wait for their OS)"
        );
        h.power_off(true).await.unwrap();
        drop(h);
        // Reopened from the database, not rebuilt from the topology: the
        // frame stays off, as it was left.
        let h = open(dir.path());
        h.clone().boot();
        tokio::time::sleep(IPL_TIME * 2).await;
        assert_eq!(state(&h), frame_state::POWER_OFF);
        assert_eq!(h.subscribe().borrow().partitions.len(), 5);
        h.power_on(false).await.unwrap();
        assert_eq!(state(&h), frame_state::OPERATING);
    }
}
