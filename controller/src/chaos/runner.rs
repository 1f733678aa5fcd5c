//! The runner of a chaos scenario: the lab it acts on, what it has seen,
//! and the lab's state as it asks for it (the HMCs' views, where a
//! partition runs). Each step's action is in `steps.rs`, the heal and the
//! recoveries in `recovery.rs`.

use super::report::{Event, Log, Violation};
use super::scenario::Step;
use crate::client::Clients;
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::rr_status;
use pvmlab_common::proto::hmc::ViewReply;
use pvmlab_common::topology::Topology;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Runner {
    pub(super) lab: LabDir,
    pub(super) topo: Topology,
    pub(super) clients: Clients,
    pub(super) hmc: String,
    /// Where a random migration to "*" may go: the first of these it is not on.
    pub(super) frames: Vec<String>,
    pub(super) start: Instant,
    pub(super) log: Mutex<Log>,
    /// What the heal undoes.
    pub(super) killed: Mutex<BTreeSet<String>>,
    pub(super) paused: Mutex<BTreeSet<String>>,
    pub(super) down_frames: Mutex<BTreeSet<String>>,
    /// VIOS with a link fault on them (until the heal).
    pub(super) cut_vios: Mutex<BTreeSet<String>>,
    /// Frames that had every VIOS down or cut off at once at some point:
    /// their clients may lose packets (I/O waits, never fails).
    pub(super) lost_redundancy: Mutex<BTreeSet<String>>,
}

fn describe(s: &Step) -> String {
    match s {
        Step::Workload { lpar, rate, .. } => format!("workload {lpar} {rate} MB/s"),
        Step::Migrate { lpar, to, .. } => format!("migrate {lpar} -> {to}"),
        Step::Hmc { line, .. } => line.clone(),
        Step::Wait { ms } => format!("wait {ms} ms"),
        Step::WaitPaths { frame, .. } => format!("wait for {frame}'s paths"),
        Step::WaitMigrations => "wait for migrations".into(),
        Step::Fault {
            node, peer, kind, ..
        } => format!("fault {kind} {node} <-> {peer}"),
        Step::Node { node, fault } => format!("{fault} {node}"),
        Step::Frame { frame, fault } => format!("frame {frame} {fault}"),
        Step::Heal => "heal".into(),
        Step::Recover { lpar, .. } => format!("recover {lpar}"),
        Step::RecoverAll => "recover all".into(),
        Step::Evacuate { frame } => format!("evacuate {frame}"),
        Step::Assert { lpar, .. } => format!("assert {lpar}"),
    }
}

impl Runner {
    pub(super) fn ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    pub(super) fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn event(&self, step: &str, outcome: &str) {
        let e = Event {
            t_ms: self.ms(),
            step: step.to_string(),
            outcome: outcome.to_string(),
        };
        println!("{e}");
        self.log().timeline.push(e);
    }

    pub fn violation(&self, invariant: &str, detail: String) {
        let t_ms = self.ms();
        println!(
            "  {:>8.2}s  VIOLATION {invariant}: {detail}",
            t_ms as f64 / 1000.0
        );
        self.log().violations.push(Violation {
            t_ms,
            invariant: invariant.into(),
            detail,
        });
    }

    /// One HMC command line as hscroot: output and exit status.
    pub(super) async fn hmc_line(&self, hmc: &str, line: &str) -> (String, u32) {
        let Some(node) = self.topo.node(hmc) else {
            return (format!("no HMC {hmc}"), 1);
        };
        match tokio::time::timeout(
            Duration::from_secs(600),
            self.clients.run(&node, "hscroot", line),
        )
        .await
        {
            Ok(Ok(r)) => (r.output, r.exit_status),
            Ok(Err(e)) => (format!("{hmc}: {e:#}"), 255),
            Err(_) => (format!("{hmc}: no answer in 600 s"), 255),
        }
    }

    /// Every HMC's view that answers now.
    pub async fn views(&self) -> Vec<ViewReply> {
        let mut out = Vec::new();
        for h in &self.topo.hmc {
            if let Some(n) = self.topo.node(h.name.get_ref()) {
                if let Ok(v) = self.clients.view(&n).await {
                    out.push(v);
                }
            }
        }
        out
    }

    /// The client partitions of the lab now: what must still be there at the end.
    pub(super) async fn inventory(&self) -> anyhow::Result<BTreeSet<String>> {
        let views = self.views().await;
        let v = views
            .first()
            .ok_or_else(|| anyhow::anyhow!("no HMC answers: is the lab up?"))?;
        Ok(v.frames
            .iter()
            .flat_map(|f| f.partitions.iter())
            .filter(|p| p.lpar_env != "vioserver")
            .map(|p| p.name.clone())
            .collect())
    }

    /// The frame a partition runs from now: its copy that is neither a
    /// migration's shell nor a restarted partition's stale source copy.
    pub(super) async fn where_is(&self, lpar: &str) -> Option<(String, String)> {
        for v in self.views().await {
            for f in v.frames.iter().filter(|f| f.connected) {
                if let Some(p) = f.partitions.iter().find(|p| {
                    p.name == lpar
                        && p.migration.as_ref().is_none_or(|m| m.source)
                        && p.remote_restart_status != rr_status::RESTARTED
                }) {
                    return Some((f.name.clone(), p.state.clone()));
                }
            }
        }
        None
    }

    /// Notes frames whose VIOS are all killed, paused or cut off now.
    pub(super) fn note_redundancy(&self) {
        let lock =
            |m: &Mutex<BTreeSet<String>>| m.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let down: BTreeSet<String> = lock(&self.killed)
            .into_iter()
            .chain(lock(&self.paused))
            .chain(lock(&self.cut_vios))
            .collect();
        for f in &self.topo.frame {
            let frame = f.name.get_ref();
            let all_down = !f.vios.is_empty()
                && f.vios.iter().all(|v| {
                    down.contains(&pvmlab_common::topology::vios_node_name(
                        frame,
                        v.name.get_ref(),
                    ))
                });
            if all_down {
                self.lost_redundancy
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(frame.clone());
            }
        }
    }

    /// Runs a step and puts it on the timeline, an error as its outcome.
    pub(super) async fn logged(
        self: &Arc<Self>,
        label: &str,
        step: &Step,
        background: &mut Vec<tokio::task::JoinHandle<()>>,
    ) {
        let outcome = match self.clone().step(step, background).await {
            Ok(o) => o,
            Err(e) => format!("error: {e:#}"),
        };
        self.event(&format!("{label} {}", describe(step)), &outcome);
    }
}
