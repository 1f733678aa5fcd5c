//! Starting and stopping the lab's processes. Each node is its own OS
//! process on its own loopback address; its pid and log live in the lab
//! directory so that `status` and `down` work from any shell.

use crate::client::Clients;
use crate::{certs, status};
use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::{Role, frame_state, lpar_state};
use pvmlab_common::topology::{NodeDef, Topology};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn binary(role: Role) -> &'static str {
    match role {
        Role::Fsp => "pvm-fsp",
        Role::Vios => "pvm-vios",
        Role::Hmc => "pvm-hmc",
        Role::Controller => "pvmlab",
    }
}

/// The node binaries sit next to `pvmlab` (cargo puts them there), unless
/// PVMLAB_BIN_DIR says otherwise.
fn bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(d) = std::env::var("PVMLAB_BIN_DIR") {
        return Ok(PathBuf::from(d));
    }
    let exe = std::env::current_exe().context("cannot find the pvmlab executable")?;
    Ok(exe.parent().map(Path::to_path_buf).unwrap_or_default())
}

/// The pid of a running node, if its pid file points at a live process that
/// is that node (a stale file or a reused pid does not count).
pub fn running_pid(lab: &LabDir, node: &str) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(lab.pid(node))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let is_it = args
        .windows(2)
        .any(|w| w[0] == b"--name" && w[1] == node.as_bytes());
    is_it.then_some(pid)
}

/// Loads the topology for `up`: a file given now becomes the lab's; else the
/// lab's own; else the built-in default lab.
fn topology_for_up(lab: &LabDir, given: Option<&Path>) -> anyhow::Result<Topology> {
    std::fs::create_dir_all(lab.root()).with_context(|| lab.root().display().to_string())?;
    match given {
        Some(path) => {
            let topo = Topology::load(path)?;
            if lab.topology().exists() {
                let current = std::fs::read_to_string(lab.topology())?;
                let new = std::fs::read_to_string(path)?;
                let old = Topology::load(&lab.topology()).ok();
                let any_running = old
                    .iter()
                    .flat_map(|t| t.nodes())
                    .any(|n| running_pid(lab, &n.name).is_some());
                if current != new && any_running {
                    bail!(
                        "the lab in {} is running with another topology; run `pvmlab down` first",
                        lab.root().display()
                    );
                }
            }
            std::fs::copy(path, lab.topology())
                .with_context(|| lab.topology().display().to_string())?;
            Ok(topo)
        }
        None if lab.topology().exists() => Ok(Topology::load(&lab.topology())?),
        None => {
            std::fs::write(lab.topology(), pvmlab_common::topology::DEFAULT_LAB)?;
            Ok(Topology::load(&lab.topology())?)
        }
    }
}

/// The lab directory, ready for its nodes to start (the compose lab
/// starts them itself): topology, CA and certificates.
pub fn prepare(lab: &LabDir, topology: Option<&Path>) -> anyhow::Result<()> {
    let topo = topology_for_up(lab, topology)?;
    certs::ensure(lab, &topo)?;
    println!(
        "lab {} prepared in {}: {} nodes",
        topo.lab.name,
        lab.root().display(),
        topo.nodes().len()
    );
    Ok(())
}

/// Starts the nodes not already running and waits until the lab is ready.
/// Returns the topology, the number of nodes and how many were started now.
/// With `only`, just those of them (a lost frame brought back).
fn start(
    lab: &LabDir,
    topology: Option<&Path>,
    timeout: u64,
    only: Option<&[String]>,
) -> anyhow::Result<(Topology, usize, usize)> {
    let topo = topology_for_up(lab, topology)?;
    certs::ensure(lab, &topo)?;
    let bins = bin_dir()?;
    let nodes = topo.nodes();
    let to_start: Vec<&NodeDef> = nodes
        .iter()
        .filter(|n| running_pid(lab, &n.name).is_none())
        .filter(|n| only.is_none_or(|o| o.contains(&n.name)))
        .collect();
    // Check everything that can be checked before starting anything, so a
    // failure leaves nothing half started.
    for n in &to_start {
        let bin = bins.join(binary(n.role));
        if !bin.exists() {
            bail!(
                "{} not found; build the workspace first (cargo build --release)",
                bin.display()
            );
        }
        let mut ports = vec![n.endpoint()];
        if n.role == Role::Hmc {
            ports.push(format!("{}:{}", n.address, topo.lab.ssh_port));
        }
        for addr in ports {
            std::net::TcpListener::bind(&addr).map_err(|e| {
                anyhow::anyhow!("{} ({}) cannot listen on {addr}: {e}", n.name, n.role)
            })?;
        }
    }
    for dir in [lab.logs(), lab.pids()] {
        std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    }
    let lab_abs = std::fs::canonicalize(lab.root())?;
    let mut started = Vec::new();
    for n in &to_start {
        match spawn(lab, &lab_abs, &bins, n) {
            Ok(pid) => started.push((n.name.clone(), pid)),
            Err(e) => {
                stop(lab, &started);
                return Err(e);
            }
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if let Err(e) = rt.block_on(wait_ready(
        lab,
        &topo,
        &started,
        Duration::from_secs(timeout),
    )) {
        stop(lab, &started);
        return Err(e);
    }
    Ok((topo, nodes.len(), started.len()))
}

/// Brings a lab up and returns once it is ready, printing nothing: for
/// benchmarks and tools that start a lab of their own.
pub fn up_quiet(lab: &LabDir, topology: Option<&Path>, timeout: u64) -> anyhow::Result<()> {
    start(lab, topology, timeout, None).map(|_| ())
}

/// Starts the named nodes of a lab again (those not running) and waits
/// until the lab is ready.
pub fn restart_nodes(lab: &LabDir, names: &[String], timeout: u64) -> anyhow::Result<usize> {
    start(lab, None, timeout, Some(names)).map(|(_, _, n)| n)
}

/// Kills the named nodes at once (SIGKILL), as a crash would; returns how
/// many were running.
pub fn kill_nodes(lab: &LabDir, names: &[String]) -> usize {
    let mut n = 0;
    for name in names {
        if let Some(pid) = running_pid(lab, name) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            n += 1;
        }
    }
    n
}

pub fn up(lab: &LabDir, topology: Option<&Path>, detach: bool, timeout: u64) -> anyhow::Result<()> {
    let started_at = Instant::now();
    let (topo, nodes, started) = start(lab, topology, timeout, None)?;
    println!(
        "lab {} is up: {nodes} nodes ({started} started now) in {:.1} s; lab directory {}",
        topo.lab.name,
        started_at.elapsed().as_secs_f64(),
        lab.root().display()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(status::print(lab, &topo))?;
    if detach {
        println!("\nthe lab keeps running; `pvmlab status` shows it, `pvmlab down` stops it");
        return Ok(());
    }
    println!("\npress Ctrl-C to stop the lab");
    rt.block_on(pvmlab_common::node::shutdown_signal());
    down(lab)
}

fn spawn(lab: &LabDir, lab_abs: &Path, bins: &Path, n: &NodeDef) -> anyhow::Result<i32> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(lab.log(&n.name))
        .with_context(|| lab.log(&n.name).display().to_string())?;
    let child = Command::new(bins.join(binary(n.role)))
        .arg("--lab")
        .arg(lab_abs)
        .arg("--name")
        .arg(&n.name)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: a Ctrl-C meant for `pvmlab up` must not kill
        // the nodes before `down` stops them in order.
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {}", n.name))?;
    let pid = child.id() as i32;
    std::fs::write(lab.pid(&n.name), pid.to_string())?;
    // The child is reaped by init once we exit; we never wait on it.
    std::mem::forget(child);
    Ok(pid)
}

/// Waits until every node answers its health check and every HMC shows
/// each of its frames settled: connected, not mid power sequence, and no
/// partition still starting or stopping.
async fn wait_ready(
    lab: &LabDir,
    topo: &Topology,
    started: &[(String, i32)],
    timeout: Duration,
) -> anyhow::Result<()> {
    let clients = Clients::new(lab)?;
    let deadline = Instant::now() + timeout;
    let nodes = topo.nodes();
    loop {
        for (name, pid) in started {
            if kill(Pid::from_raw(*pid), None).is_err() || proc_is_zombie(*pid) {
                let tail = log_tail(&lab.log(name), 5);
                bail!(
                    "{name} exited while starting; last lines of {}:\n{tail}",
                    lab.log(name).display()
                );
            }
        }
        let mut waiting = Vec::new();
        for n in &nodes {
            match clients.health(n).await {
                Ok(h) if h.ready => {}
                Ok(h) => waiting.push(format!("{}: {}", n.name, h.detail)),
                Err(_) => waiting.push(format!("{}: not answering", n.name)),
            }
        }
        if waiting.is_empty() {
            for h in nodes.iter().filter(|n| n.role == Role::Hmc) {
                let v = clients.view(h).await?;
                for f in &v.frames {
                    // A refused password is an answer too: waiting will not change it.
                    let settled = f.connected || f.state == frame_state::FAILED_AUTHENTICATION;
                    if matches!(
                        f.state.as_str(),
                        frame_state::INITIALIZING | frame_state::POWER_OFF_IN_PROGRESS
                    ) || !settled
                    {
                        waiting.push(format!("{} sees {} {}", h.name, f.name, f.state));
                    }
                    for p in f.partitions.iter().filter(|p| {
                        matches!(
                            p.state.as_str(),
                            lpar_state::STARTING | lpar_state::SHUTTING_DOWN
                        )
                    }) {
                        waiting.push(format!("{} sees {}/{} {}", h.name, f.name, p.name, p.state));
                    }
                }
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the lab was not ready after {} s; still waiting for:\n  {}",
                timeout.as_secs(),
                waiting.join("\n  ")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn proc_is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Stops the given nodes: SIGTERM, then SIGKILL for any still there after 5 s.
fn stop(lab: &LabDir, nodes: &[(String, i32)]) {
    for (_, pid) in nodes {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for (name, pid) in nodes {
        while Instant::now() < deadline
            && kill(Pid::from_raw(*pid), None).is_ok()
            && !proc_is_zombie(*pid)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        if kill(Pid::from_raw(*pid), None).is_ok() && !proc_is_zombie(*pid) {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
        }
        let _ = std::fs::remove_file(lab.pid(name));
    }
}

/// Stops the lab: HMCs first (so they do not report the frames going away
/// as faults), then VIOS, then the FSPs.
pub fn down(lab: &LabDir) -> anyhow::Result<()> {
    let topo = crate::lab_topology(lab)?;
    let mut stopped = 0;
    for role in [Role::Hmc, Role::Vios, Role::Fsp] {
        let group: Vec<(String, i32)> = topo
            .nodes()
            .into_iter()
            .filter(|n| n.role == role)
            .filter_map(|n| running_pid(lab, &n.name).map(|p| (n.name, p)))
            .collect();
        stopped += group.len();
        stop(lab, &group);
    }
    println!(
        "lab {} is down ({stopped} nodes stopped); its state stays in {}",
        topo.lab.name,
        lab.root().display()
    );
    Ok(())
}
