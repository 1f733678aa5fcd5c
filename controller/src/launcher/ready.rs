//! When a lab is ready: every node healthy and every HMC settled on every
//! frame it manages. `up` returns only then, so what follows it (a test, a
//! benchmark, `status`) sees the lab as a user would once it has settled.

use super::process::{log_tail, proc_is_zombie};
use crate::client::Clients;
use anyhow::bail;
use nix::sys::signal::kill;
use nix::unistd::Pid;
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::{Role, frame_state, lpar_state};
use pvmlab_common::topology::Topology;
use std::time::{Duration, Instant};

/// Waits until every node answers its health check and every HMC shows
/// each of its frames settled: connected, not mid power sequence, and no
/// partition still starting or stopping.
pub(super) async fn wait_ready(
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
        // A node that is down on purpose (killed by a fault, and not among
        // those started now) is not waited for.
        let up = |name: &str| {
            started.iter().any(|(s, _)| s == name)
                || pvmlab_common::lab::running_pid(lab, name).is_some()
        };
        for n in nodes.iter().filter(|n| up(&n.name)) {
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
