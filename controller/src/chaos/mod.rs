//! `pvmlab chaos run <file> [--seed N] [--report FILE]`: a chaos scenario
//! against the running lab. Its steps (migrations, link, process and frame
//! faults, heals, recoveries, remote restarts, assertions) run in order,
//! or a random mix drawn from the seed; at the end the lab is always
//! healed and every unfinished migration recovered. Invariants are checked
//! throughout and at the end (`invariants.rs`); a human summary with a
//! timeline is printed and a JSON report written. The exit status is 1 if
//! any invariant was broken.

mod invariants;
pub mod scenario;

use crate::client::Clients;
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::rr_status;
use pvmlab_common::proto::chaos::Fault as WireFault;
use pvmlab_common::proto::fsp::SetWorkloadRequest;
use pvmlab_common::proto::hmc::ViewReply;
use pvmlab_common::topology::Topology;
use scenario::{Scenario, Step};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub t_ms: u64,
    pub step: String,
    pub outcome: String,
}

/// A timeline line, as printed live and in the summary.
impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "  {:>8.2}s  {:<48} {}",
            self.t_ms as f64 / 1000.0,
            self.step,
            self.outcome
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Migration {
    pub lpar: String,
    pub from: String,
    pub to: String,
    /// completed | failed (recovered later) | refused (nothing moved)
    pub result: String,
    pub secs: f64,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub t_ms: u64,
    pub invariant: String,
    pub detail: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub migrations: usize,
    pub completed: usize,
    pub failed: usize,
    pub refused: usize,
    pub faults: usize,
    pub recoveries: usize,
    pub violations: usize,
}

#[derive(Serialize)]
struct Report<'a> {
    scenario: &'a str,
    seed: u64,
    schedule: &'a [Step],
    counts: Counts,
    timeline: Vec<Event>,
    migrations: Vec<Migration>,
    violations: Vec<Violation>,
}

/// What the run has seen so far; shared with background migrations and
/// the invariant sampler.
#[derive(Default)]
pub struct Log {
    timeline: Vec<Event>,
    migrations: Vec<Migration>,
    violations: Vec<Violation>,
    faults: usize,
    recoveries: usize,
    in_flight: BTreeSet<String>,
}

pub struct Runner {
    lab: LabDir,
    topo: Topology,
    clients: Clients,
    hmc: String,
    /// Where a random migration to "*" may go: the first of these it is not on.
    frames: Vec<String>,
    start: Instant,
    log: Mutex<Log>,
    /// What the heal undoes.
    killed: Mutex<BTreeSet<String>>,
    paused: Mutex<BTreeSet<String>>,
    down_frames: Mutex<BTreeSet<String>>,
}

/// How to run a scenario.
#[derive(Default)]
pub struct Options {
    /// The random mix's seed (by default the time, printed).
    pub seed: Option<u64>,
    /// Random steps instead of the file's count.
    pub steps: Option<usize>,
    /// Stop taking steps after this long (then heal, recover, check).
    pub limit: Option<Duration>,
    pub report: Option<PathBuf>,
}

pub fn run(lab: &LabDir, file: &Path, o: Options) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    run_text(lab, &text, &file.display().to_string(), o)
}

pub fn run_text(lab: &LabDir, text: &str, origin: &str, o: Options) -> anyhow::Result<()> {
    let Options {
        seed,
        steps,
        limit,
        report,
    } = o;
    let mut sc: Scenario = toml::from_str(text).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
    if let (Some(n), Some(r)) = (steps, sc.random.as_mut()) {
        r.steps = n;
    }
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(1)
    });
    let schedule = sc.schedule(seed);
    let topo = crate::lab_topology(lab)?;
    if topo.node(&sc.hmc).is_none() {
        anyhow::bail!("the scenario's HMC {} is not in the lab", sc.hmc);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let runner = Arc::new(Runner {
        lab: lab.clone(),
        topo,
        clients: Clients::new(lab)?,
        hmc: sc.hmc.clone(),
        frames: sc
            .random
            .as_ref()
            .map(|r| r.frames.clone())
            .unwrap_or_default(),
        start: Instant::now(),
        log: Mutex::default(),
        killed: Mutex::default(),
        paused: Mutex::default(),
        down_frames: Mutex::default(),
    });
    println!(
        "chaos: {} (seed {seed}), {} steps\n{}",
        sc.name,
        schedule.len(),
        sc.description
    );
    rt.block_on(async {
        let inventory = runner.inventory().await?;
        let sampler = tokio::spawn(invariants::sample(runner.clone(), inventory.clone()));
        let mut background = Vec::new();
        for (i, step) in schedule.iter().enumerate() {
            if limit.is_some_and(|l| runner.start.elapsed() >= l) {
                runner.event("stop", &format!("time is up after {i} steps"));
                break;
            }
            runner
                .logged(&format!("{:>3}", i + 1), step, &mut background)
                .await;
        }
        // Always healed and recovered at the end.
        for step in [Step::Heal, Step::WaitMigrations, Step::RecoverAll] {
            runner.logged("end", &step, &mut background).await;
        }
        sampler.abort();
        invariants::at_end(&runner, &inventory).await;
        anyhow::Ok(())
    })?;
    let log = std::mem::take(&mut *runner.log.lock().unwrap_or_else(|e| e.into_inner()));
    let counts = Counts {
        migrations: log.migrations.len(),
        completed: log
            .migrations
            .iter()
            .filter(|m| m.result == "completed")
            .count(),
        failed: log
            .migrations
            .iter()
            .filter(|m| m.result == "failed")
            .count(),
        refused: log
            .migrations
            .iter()
            .filter(|m| m.result == "refused")
            .count(),
        faults: log.faults,
        recoveries: log.recoveries,
        violations: log.violations.len(),
    };
    println!("\ntimeline:");
    for e in &log.timeline {
        println!("{e}");
    }
    for v in &log.violations {
        println!(
            "VIOLATION at {:.2}s: {}: {}",
            v.t_ms as f64 / 1000.0,
            v.invariant,
            v.detail
        );
    }
    println!(
        "\n{}: migrations {} (completed {}, failed then recovered {}, refused {}), faults {}, recoveries {}, violations {}",
        sc.name,
        counts.migrations,
        counts.completed,
        counts.failed,
        counts.refused,
        counts.faults,
        counts.recoveries,
        counts.violations
    );
    let violations = counts.violations;
    let path = report.unwrap_or_else(|| lab.root().join("chaos-report.json"));
    let r = Report {
        scenario: &sc.name,
        seed,
        schedule: &schedule,
        counts,
        timeline: log.timeline,
        migrations: log.migrations,
        violations: log.violations,
    };
    std::fs::write(&path, serde_json::to_vec_pretty(&r)?)?;
    println!("report: {}", path.display());
    if violations > 0 {
        anyhow::bail!("{violations} invariant violations");
    }
    Ok(())
}

fn describe(s: &Step) -> String {
    match s {
        Step::Workload { lpar, rate, .. } => format!("workload {lpar} {rate} MB/s"),
        Step::Migrate { lpar, to, .. } => format!("migrate {lpar} -> {to}"),
        Step::Wait { ms } => format!("wait {ms} ms"),
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
    fn ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn event(&self, step: &str, outcome: &str) {
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
    async fn hmc_line(&self, hmc: &str, line: &str) -> (String, u32) {
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
    async fn inventory(&self) -> anyhow::Result<BTreeSet<String>> {
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
    async fn where_is(&self, lpar: &str) -> Option<(String, String)> {
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

    /// Runs a step and puts it on the timeline, an error as its outcome.
    async fn logged(
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

    async fn step(
        self: Arc<Self>,
        step: &Step,
        background: &mut Vec<tokio::task::JoinHandle<()>>,
    ) -> anyhow::Result<String> {
        match step {
            Step::Workload {
                lpar,
                rate,
                working_set,
                pattern,
            } => {
                let (frame, _) = self
                    .where_is(lpar)
                    .await
                    .ok_or_else(|| anyhow::anyhow!("{lpar} is on no frame"))?;
                let node = self
                    .topo
                    .node(&frame)
                    .ok_or_else(|| anyhow::anyhow!("{frame}"))?;
                let mut fsp = self.clients.fsp(&node).await?;
                fsp.set_workload(SetWorkloadRequest {
                    lpar_name: lpar.clone(),
                    workload: Some(pvmlab_common::model::Workload {
                        rate_mb_s: *rate,
                        working_set_mb: *working_set,
                        pattern: pattern.clone(),
                        ..Default::default()
                    }),
                })
                .await?;
                Ok(format!("on {frame}"))
            }
            Step::Migrate {
                lpar,
                to,
                hmc,
                background: bg,
            } => {
                let hmc = hmc.clone().unwrap_or_else(|| self.hmc.clone());
                if !self.log().in_flight.insert(lpar.clone()) {
                    return Ok("skipped: already migrating".into());
                }
                let Some((from, _)) = self.where_is(lpar).await else {
                    self.log().in_flight.remove(lpar);
                    return Ok("skipped: on no frame now".into());
                };
                let to = if to == "*" {
                    match self.frames.iter().find(|f| **f != from) {
                        Some(f) => f.clone(),
                        None => from.clone(),
                    }
                } else {
                    to.clone()
                };
                if from == to {
                    self.log().in_flight.remove(lpar);
                    return Ok(format!("skipped: already on {to}"));
                }
                let me = self.clone();
                let lpar = lpar.clone();
                let job = async move { me.migrate(&hmc, &lpar, &from, &to).await };
                if *bg {
                    background.push(tokio::spawn(job));
                    Ok("started".into())
                } else {
                    job.await;
                    Ok(self
                        .log()
                        .migrations
                        .last()
                        .map(|m| m.result.clone())
                        .unwrap_or_default())
                }
            }
            Step::Wait { ms } => {
                tokio::time::sleep(Duration::from_millis(*ms)).await;
                Ok(String::new())
            }
            Step::WaitMigrations => {
                let n = background.len();
                for j in background.drain(..) {
                    let _ = j.await;
                }
                Ok(format!("{n} ended"))
            }
            Step::Fault {
                node,
                peer,
                kind,
                rate,
                latency,
                jitter,
                timeout,
                direction,
                link,
            } => {
                let fault = WireFault {
                    kind: kind.clone(),
                    peer: peer.clone(),
                    direction: direction.clone(),
                    rate_bytes_per_s: match rate {
                        Some(r) => pvmlab_common::fault::parse_rate(r)?,
                        None => 0,
                    },
                    latency_ms: latency.unwrap_or(0),
                    jitter_ms: jitter.unwrap_or(0),
                    timeout_ms: timeout.unwrap_or(0),
                    ..Default::default()
                };
                crate::fault::add(&self.clients, &self.topo, node, fault, *link).await?;
                self.log().faults += 1;
                Ok("on".into())
            }
            Step::Node { node, fault } => {
                let (lab, n, f) = (self.lab.clone(), node.clone(), fault.clone());
                tokio::task::spawn_blocking(move || crate::node_fault::run(&lab, &n, &f)).await??;
                self.log().faults += 1;
                match fault.as_str() {
                    "kill" => {
                        self.killed
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(node.clone());
                    }
                    "pause" => {
                        self.paused
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(node.clone());
                    }
                    "resume" => {
                        self.paused
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(node);
                    }
                    _ => {
                        self.killed
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(node);
                    }
                }
                Ok("done".into())
            }
            Step::Frame { frame, fault } => {
                let (lab, fr, f) = (self.lab.clone(), frame.clone(), fault.clone());
                tokio::task::spawn_blocking(move || crate::frame_fault::run(&lab, &fr, &f))
                    .await??;
                let mut down = self.down_frames.lock().unwrap_or_else(|e| e.into_inner());
                if fault == "restore" {
                    down.remove(frame);
                } else {
                    self.log().faults += 1;
                    down.insert(frame.clone());
                }
                Ok("done".into())
            }
            Step::Heal => self.heal().await,
            Step::Recover { lpar, hmc } => {
                let hmc = hmc.clone().unwrap_or_else(|| self.hmc.clone());
                self.recover(&hmc, lpar).await
            }
            Step::RecoverAll => self.recover_all().await,
            Step::Evacuate { frame } => {
                let outcomes = crate::evacuate::evacuate(&self.lab, frame, &self.hmc).await?;
                let done = outcomes.iter().filter(|o| o.target.is_some()).count();
                self.log().recoveries += done;
                Ok(format!("{done} of {} restarted", outcomes.len()))
            }
            Step::Assert { lpar, frame, state } => {
                let at = self.where_is(lpar).await;
                let ok = match &at {
                    None => false,
                    Some((f, s)) => {
                        frame.as_ref().is_none_or(|x| x == f)
                            && state.as_ref().is_none_or(|x| x == s)
                    }
                };
                if !ok {
                    self.violation(
                        "assert",
                        format!("{lpar}: wanted {frame:?} {state:?}, found {at:?}"),
                    );
                }
                Ok(format!("{at:?}"))
            }
        }
    }

    async fn migrate(&self, hmc: &str, lpar: &str, from: &str, to: &str) {
        let t = Instant::now();
        let (out, code) = self
            .hmc_line(
                hmc,
                &format!("migrlpar -o m -m {from} -t {to} -p {lpar} -v"),
            )
            .await;
        let result = if code == 0 {
            if !out.contains("memory_integrity=ok") {
                self.violation(
                    "memory digest",
                    format!("{lpar} {from} -> {to}: {}", out.trim()),
                );
            }
            "completed"
        } else if out.contains("migrlpar -o r") || code == 255 {
            // Stopped midway (or its HMC died): recovered later.
            "failed"
        } else {
            "refused"
        };
        let mut log = self.log();
        log.in_flight.remove(lpar);
        log.migrations.push(Migration {
            lpar: lpar.into(),
            from: from.into(),
            to: to.into(),
            result: result.into(),
            secs: t.elapsed().as_secs_f64(),
            detail: out.trim().chars().take(300).collect(),
        });
    }

    async fn heal(&self) -> anyhow::Result<String> {
        crate::fault::clear(&self.clients, &self.topo, None).await?;
        let paused: Vec<String> =
            std::mem::take(&mut *self.paused.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        let killed: Vec<String> =
            std::mem::take(&mut *self.killed.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        let frames: Vec<String> =
            std::mem::take(&mut *self.down_frames.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        let lab = self.lab.clone();
        let summary = format!(
            "links cleared, {} resumed, {} restarted, {} frames restored",
            paused.len(),
            killed.len(),
            frames.len()
        );
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            for n in &paused {
                crate::node_fault::run(&lab, n, "resume")?;
            }
            if !killed.is_empty() {
                crate::launcher::restart_nodes(&lab, &killed, 90)?;
            }
            for f in &frames {
                crate::frame_fault::run(&lab, f, "restore")?;
            }
            Ok(())
        })
        .await??;
        Ok(summary)
    }

    /// migrlpar -o r on the frame that holds the partition's migration
    /// record (the source preferred), retried while a dead HMC's lease or
    /// a reconnecting frame stands in the way.
    async fn recover(&self, hmc: &str, lpar: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut holder = None;
            for v in self.views().await {
                for f in &v.frames {
                    for p in f.partitions.iter().filter(|p| p.name == lpar) {
                        if let Some(m) = &p.migration {
                            if holder.is_none() || m.source {
                                holder = Some(f.name.clone());
                            }
                        }
                    }
                }
            }
            let Some(frame) = holder else {
                return Ok("nothing to recover".into());
            };
            let (out, code) = self
                .hmc_line(hmc, &format!("migrlpar -o r -m {frame} -p {lpar}"))
                .await;
            if code == 0 {
                self.log().recoveries += 1;
                return Ok(format!("recovered from {frame}"));
            }
            if Instant::now() > deadline {
                anyhow::bail!("{}", out.trim());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn recover_all(&self) -> anyhow::Result<String> {
        let mut names = BTreeSet::new();
        let mut stale = BTreeSet::new();
        for v in self.views().await {
            for f in &v.frames {
                for p in &f.partitions {
                    if p.migration.is_some() {
                        names.insert(p.name.clone());
                    }
                    if p.remote_restart_status == rr_status::RESTARTED {
                        stale.insert((f.name.clone(), p.name.clone()));
                    }
                }
            }
        }
        let mut done = Vec::new();
        for n in &names {
            let o = self.recover(&self.hmc, n).await?;
            done.push(format!("{n}: {o}"));
        }
        for (frame, lpar) in &stale {
            let (out, code) = self
                .hmc_line(
                    &self.hmc,
                    &format!("rrstartlpar -o cleanup -m {frame} -p {lpar}"),
                )
                .await;
            if code != 0 {
                anyhow::bail!("cleanup of {lpar} on {frame}: {}", out.trim());
            }
            self.log().recoveries += 1;
            done.push(format!("{lpar}: stale copy on {frame} cleaned up"));
        }
        Ok(if done.is_empty() {
            "nothing to recover".into()
        } else {
            done.join("; ")
        })
    }
}
