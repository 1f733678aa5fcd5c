//! `pvmlab chaos run <file> [--seed N] [--report FILE]`: a chaos scenario
//! against the running lab. Its steps (migrations, link, process and frame
//! faults, heals, recoveries, remote restarts, assertions) run in order,
//! or a random mix drawn from the seed; at the end the lab is always
//! healed and every unfinished migration recovered. Invariants are checked
//! throughout and at the end (`invariants.rs`); a human summary with a
//! timeline is printed and a JSON report written (`report.rs`). The exit
//! status is 1 if any invariant was broken.
//!
//! The schedule (`scenario.rs`) and the fault each step asks for
//! (`steps::fault_request`) are pure; the runner (`runner.rs`) acts on the
//! lab step by step (`steps.rs`) and puts it back (`recovery.rs`).

mod invariants;
mod recovery;
mod report;
mod runner;
pub mod scenario;
mod steps;

use crate::client::Clients;
use pvmlab_common::lab::LabDir;
use runner::Runner;
use scenario::{Scenario, Step};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
        cut_vios: Mutex::default(),
        lost_redundancy: Mutex::default(),
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
    let log = std::mem::take(&mut *runner.log());
    let path = report.unwrap_or_else(|| lab.root().join("chaos-report.json"));
    report::finish(&sc.name, seed, &schedule, log, &path)
}
