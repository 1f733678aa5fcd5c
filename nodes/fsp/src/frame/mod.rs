//! The frame as its hypervisor sees it: power state, partitions, profiles and
//! the resources running partitions hold. This file is the core every
//! concern shares: the state, `change` (every change is persisted before it
//! is acknowledged or published) and the snapshots the HMCs watch. Each
//! concern adds its `impl Hypervisor` methods in a file of its own.

use pvmlab_common::model::{
    Available, Frame, FrameExt as _, Partition, PartitionExt as _, Profile, Resources, frame_state,
    lpar_state, migration_state, rr_status,
};
use pvmlab_common::proto::fsp::{
    Attached, FrameSnapshot, Shutdown, ViosCommand, WorkloadStatus, vios_command,
};
use pvmlab_common::store::Store;
use pvmlab_common::topology::{FrameDef, Topology, vios_node_name};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

mod adapters;
mod dlpar;
mod error;
mod fault;
mod io;
mod migration;
mod netboot;
mod partitions;
mod power;
mod refcodes;
mod resources;
mod system;
mod vios;

pub use error::FspError;
use partitions::{check_partition, stop_partition};

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
    /// holding `live`: the hypervisor's clock, which steps every running
    /// partition each millisecond, never waits for a disk.
    writer: Mutex<()>,
    store: Store,
    publish: watch::Sender<Arc<FrameSnapshot>>,
    /// The last heartbeat of each VIOS's SEAs, by VIOS id and SEA name,
    /// with when it came: in memory, as the hypervisor's switch holds it.
    seas: Mutex<HashMap<(u32, String), (pvmlab_common::proto::fsp::SeaStatus, std::time::Instant)>>,
    /// How many heartbeats found two SEAs bridging one VLAN at once (what
    /// must never happen; the chaos invariant reads it).
    double_bridged_seen: std::sync::atomic::AtomicU64,
    /// How client I/O reaches the frame's VIOS (none in unit tests).
    pub io: std::sync::OnceLock<Arc<crate::clientio::IoEnv>>,
}

const TABLE: &str = "frame";
const KEY: &str = "state";
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
                walking: Default::default(),
            }),
            store,
            publish,
            seas: Mutex::new(HashMap::new()),
            double_bridged_seen: Default::default(),
            io: Default::default(),
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
            refcodes::record(&live.state.lpars, &mut next.lpars, refcodes::now_ms());
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
        h.subscribe().borrow().frame.as_ref().unwrap().state.clone()
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
        let mut seen = h.subscribe();
        let up = seen.wait_for(|s| {
            s.frame.as_ref().unwrap().state == frame_state::OPERATING && running(s) == 3
        });
        tokio::time::timeout(Duration::from_secs(10), up)
            .await
            .expect("the frame came up")
            .unwrap();
        h.power_off(true).await.unwrap();
        drop(h);
        // Reopened from the database, not rebuilt from the topology: the
        // frame stays off, as it was left.
        let h = open(dir.path());
        // A frame left off is not powered on at boot (boot decides at once).
        h.clone().boot();
        assert_eq!(state(&h), frame_state::POWER_OFF);
        assert_eq!(h.subscribe().borrow().partitions.len(), 5);
        h.power_on(false).await.unwrap();
        assert_eq!(state(&h), frame_state::OPERATING);
    }
}
