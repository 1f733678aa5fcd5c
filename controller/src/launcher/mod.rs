//! Starting and stopping the lab's processes. Each node is its own OS
//! process on its own loopback address; its pid and log live in the lab
//! directory so that `status` and `down` work from any shell.
//!
//! This file is the order of things (topology, certificates, start, wait,
//! stop); `process` is one node as an OS process, `ready` when the lab
//! has settled.

mod process;
mod ready;

pub use process::{binary, kill_nodes};
/// Where the commands that start, kill or watch nodes find a node's pid.
pub use pvmlab_common::lab::running_pid;

use crate::{certs, status};
use anyhow::{Context, bail};
use process::{bin_dir, check_startable, spawn, stop};
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::Role;
use pvmlab_common::topology::{NodeDef, Topology};
use ready::wait_ready;
use std::path::Path;
use std::time::{Duration, Instant};

/// Loads the topology for `up`: a file given now becomes the lab's; else the
/// lab's own; else the built-in default lab.
fn topology_for_up(lab: &LabDir, given: Option<&Path>) -> anyhow::Result<Topology> {
    let topo = lab_topology_for_up(lab, given)?;
    write_slices(lab, &topo)?;
    Ok(topo)
}

/// Each frame's slice of the topology, which its FSP and VIOS read instead
/// of the whole file, and the HMCs' (every frame a stub): see
/// `topology::slice`.
fn write_slices(lab: &LabDir, topo: &Topology) -> anyhow::Result<()> {
    use pvmlab_common::topology::slice::slice;
    let full = std::fs::read_to_string(lab.topology())?;
    let mut slices: Vec<(std::path::PathBuf, Option<&str>)> = topo
        .frame
        .iter()
        .map(|f| {
            (
                lab.frame_topology(f.name.get_ref()),
                Some(f.name.get_ref().as_str()),
            )
        })
        .collect();
    slices.push((lab.heads_topology(), None));
    for (path, frame) in slices {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = slice(&full, topo, frame);
        std::fs::write(&path, text).with_context(|| path.display().to_string())?;
    }
    Ok(())
}

fn lab_topology_for_up(lab: &LabDir, given: Option<&Path>) -> anyhow::Result<Topology> {
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
        check_startable(&bins, n, topo.lab.ssh_port)?;
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

/// Stops the lab: HMCs first (so they do not report the frames going away
/// as faults), then VIOS, then the FSPs, then the SAN the VIOS wrote to.
pub fn down(lab: &LabDir) -> anyhow::Result<()> {
    let topo = crate::lab_topology(lab)?;
    let mut stopped = 0;
    for role in [Role::Hmc, Role::Vios, Role::Fsp, Role::San] {
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
