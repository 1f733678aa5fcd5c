//! The frame as its hypervisor sees it: power state, partitions, profiles and
//! the resources running partitions hold. This file is the core every
//! concern shares: the state, `change` (every change is persisted before it
//! is acknowledged or published, as what it changed: a row per partition)
//! and the stream of changes the HMCs watch. Each concern adds its `impl
//! Hypervisor` methods in a file of its own.

use pvmlab_common::model::{
    Available, Frame, FrameExt as _, Partition, PartitionExt as _, Profile, Resources, frame_state,
    lpar_state, migration_state, rr_status,
};
use pvmlab_common::proto::fsp::{
    Attached, FrameDelta, FrameSnapshot, Shutdown, ViosCommand, WorkloadStatus, vios_command,
};
use pvmlab_common::store::{Store, Write};
use pvmlab_common::topology::{FrameDef, Topology, vios_node_name};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

mod adapters;
mod dlpar;
mod error;
mod fault;
mod io;
mod lpars;
mod migration;
mod netboot;
mod partitions;
mod power;
mod refcodes;
mod resources;
mod system;
mod vios;

pub use error::FspError;
use lpars::Lpars;
use partitions::{check_partition, stop_partition};

/// What is persisted: the frame and every partition with its profiles.
#[derive(Clone)]
struct Persisted {
    frame: Frame,
    lpars: Lpars,
    /// The service processor stopped in order (`pvmlab down`), not lost.
    clean_stop: bool,
}

/// The frame's own row; each partition has a row of its own.
#[derive(serde::Serialize, serde::Deserialize)]
struct FrameRow {
    frame: Frame,
    clean_stop: bool,
}

/// The whole state in one record, as FSPs before the per-partition rows
/// stored it: read once and rewritten as rows.
#[derive(serde::Deserialize)]
struct Legacy {
    frame: Frame,
    lpars: BTreeMap<u32, Partition>,
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
    /// Partitions whose firmware is walking a boot (lpar_netboot): a VIOS
    /// among them is not yet running its operating system.
    walking: std::collections::HashSet<u32>,
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
    /// holding `live`: the hypervisor's clock, which steps partitions each
    /// millisecond, never waits for a disk.
    writer: Mutex<()>,
    store: Store,
    /// Every change as it was made, for the HMCs' streams; a stream that
    /// falls behind by more than it holds starts again from a snapshot.
    publish: broadcast::Sender<Arc<FrameDelta>>,
    /// The last heartbeat of each VIOS's SEAs, by VIOS id and SEA name,
    /// with when it came: in memory, as the hypervisor's switch holds it.
    seas: Mutex<HashMap<(u32, String), (pvmlab_common::proto::fsp::SeaStatus, std::time::Instant)>>,
    /// How many heartbeats found two SEAs bridging one VLAN at once (what
    /// must never happen; the chaos invariant reads it).
    double_bridged_seen: std::sync::atomic::AtomicU64,
    /// Wakes the clock: a partition came or went, or its workload changed.
    clock: Arc<tokio::sync::Notify>,
    /// The clock must look again at which partitions want it.
    clock_dirty: std::sync::atomic::AtomicBool,
    /// Told of every change: partitions may have come to run, whose I/O
    /// must start.
    pub started: tokio::sync::Notify,
    /// How client I/O reaches the frame's VIOS (none in unit tests).
    pub io: std::sync::OnceLock<Arc<crate::clientio::IoEnv>>,
}

const TABLE: &str = "frame";
const LEGACY_KEY: &str = "state";
const FRAME_KEY: &str = "frame";
const LPARS: &str = "lpars";
/// Changes a watching HMC may be behind before it gets a snapshot instead.
const BEHIND: usize = 4096;

fn lpar_key(id: u32) -> String {
    format!("{id:05}")
}
// The durations below model real time (the hardware's and the operating
// systems'); the sleeps that use them wait for nothing else.
/// How long a client partition takes from Starting to Running.
const BOOT_TIME: Duration = Duration::from_millis(200);
/// How long the frame takes to power on (its IPL), or off in order.
const IPL_TIME: Duration = Duration::from_millis(300);
/// How long an immediate power off or partition shutdown takes.
const STOP_NOW: Duration = Duration::from_millis(100);
const SHUTDOWN_NOW: Duration = Duration::from_millis(50);
/// How long remote restart capable partitions wait, after a failure, for
/// an HMC to mark the copies it restarted elsewhere before they auto start.
const HOLD_AFTER_FAILURE: Duration = Duration::from_secs(2);

fn snapshot(p: &Persisted) -> FrameSnapshot {
    FrameSnapshot {
        frame: Some(p.frame.clone()),
        partitions: p.lpars.values().cloned().collect(),
    }
}

/// The frame's own row.
fn frame_row(p: &Persisted) -> Write {
    Write::put(
        TABLE,
        FRAME_KEY,
        &FrameRow {
            frame: p.frame.clone(),
            clean_stop: p.clean_stop,
        },
    )
}

/// Every row of the state, to write it whole.
fn rows(p: &Persisted) -> Vec<Write> {
    let mut w = vec![frame_row(p)];
    w.extend(
        p.lpars
            .values()
            .map(|l| Write::put(LPARS, lpar_key(l.id), l)),
    );
    w
}

/// The state from its rows; from the one record of an older FSP (which is
/// then rewritten as rows); or none yet.
fn load(store: &Store) -> Result<Option<Persisted>, FspError> {
    if let Some(row) = store.get::<FrameRow>(TABLE, FRAME_KEY)? {
        let lpars = store
            .list::<Partition>(LPARS)?
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        return Ok(Some(Persisted {
            frame: row.frame,
            lpars,
            clean_stop: row.clean_stop,
        }));
    }
    let Some(old) = store.get::<Legacy>(TABLE, LEGACY_KEY)? else {
        return Ok(None);
    };
    let p = Persisted {
        frame: old.frame,
        lpars: old.lpars.into_values().collect(),
        clean_stop: old.clean_stop,
    };
    let mut w = rows(&p);
    w.push(Write::delete(TABLE, LEGACY_KEY));
    store.apply(w)?;
    Ok(Some(p))
}

impl Hypervisor {
    /// Opens the frame's database; on first start the frame is built from
    /// the topology.
    pub fn open(dir: &Path, topo: &Topology, def: &FrameDef) -> Result<Hypervisor, FspError> {
        let store = Store::open(&dir.join("fsp.redb"))?;
        let state = match load(&store)? {
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
                let lpars = def.partitions().into_iter().collect();
                let p = Persisted {
                    frame,
                    lpars,
                    clean_stop: true,
                };
                store.apply(rows(&p))?;
                p
            }
        };
        let (publish, _) = broadcast::channel(BEHIND);
        Ok(Hypervisor {
            after_failure: Default::default(),
            writer: Mutex::new(()),
            live: Mutex::new(Live {
                state,
                vios: HashMap::new(),
                generation: 0,
                running: HashMap::new(),
                incoming: HashMap::new(),
                walking: Default::default(),
            }),
            store,
            publish,
            seas: Mutex::new(HashMap::new()),
            double_bridged_seen: Default::default(),
            clock: Default::default(),
            clock_dirty: Default::default(),
            started: Default::default(),
            io: Default::default(),
        })
    }

    /// The frame now, and every change after it, with none missed or
    /// repeated between the two (both are taken under the state's lock,
    /// under which changes are published).
    pub fn watch(&self) -> (FrameSnapshot, broadcast::Receiver<Arc<FrameDelta>>) {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        (snapshot(&live.state), self.publish.subscribe())
    }

    /// The frame and every partition now.
    pub fn snapshot(&self) -> FrameSnapshot {
        self.with(|l| snapshot(&l.state))
    }

    pub fn lpar_id(&self, name: &str) -> Option<u32> {
        self.with(|l| {
            l.state
                .lpars
                .values()
                .find(|p| p.name == name)
                .map(|p| p.id)
        })
    }

    fn with<R>(&self, f: impl FnOnce(&Live) -> R) -> R {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        f(&live)
    }

    /// Applies a change to a copy (which shares every partition it does not
    /// write), persists what it changed, and only then makes it the truth
    /// and publishes what it changed: a failed write changes nothing.
    fn change<R>(
        &self,
        f: impl FnOnce(&mut Persisted, &mut HashMap<u32, ViosLink>) -> Result<R, FspError>,
    ) -> Result<R, FspError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let (next, r, writes, delta) = {
            let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            let mut next = live.state.clone();
            let r = f(&mut next, &mut live.vios)?;
            let (changed, removed) = next.lpars.changes(&live.state.lpars);
            refcodes::record(
                &live.state.lpars,
                &mut next.lpars,
                &changed,
                refcodes::now_ms(),
            );
            if changed.is_empty()
                && removed.is_empty()
                && next.frame == live.state.frame
                && next.clean_stop == live.state.clean_stop
            {
                return Ok(r);
            }
            next.frame.epoch += 1;
            let changed: Vec<Partition> = changed
                .iter()
                .filter_map(|id| next.lpars.get(id).cloned())
                .collect();
            let mut writes = vec![frame_row(&next)];
            writes.extend(changed.iter().map(|l| Write::put(LPARS, lpar_key(l.id), l)));
            writes.extend(removed.iter().map(|id| Write::delete(LPARS, lpar_key(*id))));
            let delta = FrameDelta {
                frame: Some(next.frame.clone()),
                partitions: changed,
                removed,
            };
            (next, r, writes, delta)
        };
        self.store.apply(writes)?;
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.state = next;
        sync_workloads(&mut live);
        // No one watching is no error.
        let _ = self.publish.send(Arc::new(delta));
        drop(live);
        self.wake_clock();
        self.started.notify_one();
        Ok(r)
    }

    pub fn partition(&self, id: u32) -> Option<Partition> {
        self.with(|s| s.state.lpars.get(&id).cloned())
    }
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

#[cfg(test)]
mod persistence {
    use super::*;

    fn open(dir: &Path) -> Arc<Hypervisor> {
        let topo = Topology::default_lab();
        let def = topo.frame("sys2").unwrap().clone();
        Arc::new(Hypervisor::open(dir, &topo, &def).unwrap())
    }

    fn state(h: &Hypervisor) -> String {
        h.snapshot().frame.unwrap().state
    }

    #[tokio::test]
    async fn what_the_fsp_acknowledged_is_there_after_it_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let h = open(dir.path());
        h.clone().boot();
        let running = |s: &FrameSnapshot| {
            s.partitions
                .iter()
                .filter(|p| p.state == lpar_state::RUNNING)
                .count()
        };
        // The three auto-start clients come to run (the VIOS wait for
        // their OS).
        let (_, mut changes) = h.watch();
        let up = async {
            loop {
                let s = h.snapshot();
                if s.frame.as_ref().unwrap().state == frame_state::OPERATING && running(&s) == 3 {
                    return;
                }
                let _ = changes.recv().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), up)
            .await
            .expect("the frame came up");
        h.power_off(true).await.unwrap();
        drop(h);
        // Reopened from the database, not rebuilt from the topology: the
        // frame stays off, as it was left.
        let h = open(dir.path());
        // A frame left off is not powered on at boot (boot decides at once).
        h.clone().boot();
        assert_eq!(state(&h), frame_state::POWER_OFF);
        assert_eq!(h.snapshot().partitions.len(), 5);
        h.power_on(false).await.unwrap();
        assert_eq!(state(&h), frame_state::OPERATING);
    }
}
