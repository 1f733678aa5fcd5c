//! `pvmlab evacuate <frame>`: every remote restart capable partition of a
//! frame that is down is restarted elsewhere through an HMC
//! (`rrstartlpar -o restart`), spread over the frames still Operating by
//! their free memory and checked for VIOS hosting by the HMC's own
//! validation; one line of report per partition.

use crate::client::Clients;
use anyhow::Context;
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::{FrameExt as _, PartitionExt as _, frame_state};
use pvmlab_common::topology::NodeDef;
use std::collections::HashMap;
use std::time::Instant;

/// One partition's outcome.
pub struct Outcome {
    pub lpar: String,
    pub target: Option<String>,
    pub message: String,
    pub secs: f64,
}

pub fn run(lab: &LabDir, frame: &str, hmc: &str) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let t0 = Instant::now();
    let outcomes = rt.block_on(evacuate(lab, frame, hmc))?;
    let mut failed = 0;
    for o in &outcomes {
        match &o.target {
            Some(t) => println!("{:<20} -> {:<12} restarted in {:.1} s", o.lpar, t, o.secs),
            None => {
                failed += 1;
                println!("{:<20} not restarted: {}", o.lpar, o.message);
            }
        }
        if o.target.is_some() && !o.message.is_empty() {
            println!("{:<20}    {}", "", o.message.trim_end().replace('\n', " "));
        }
    }
    println!(
        "evacuated {} of {} partitions of {frame} in {:.1} s",
        outcomes.len() - failed,
        outcomes.len(),
        t0.elapsed().as_secs_f64()
    );
    if failed > 0 {
        anyhow::bail!("{failed} partitions could not be restarted");
    }
    Ok(())
}

/// Restarts every remote restart capable partition of `frame`, all at
/// once; each goes to the survivor with the most free memory left for it
/// that validates, the others tried in turn.
pub async fn evacuate(lab: &LabDir, frame: &str, hmc: &str) -> anyhow::Result<Vec<Outcome>> {
    let topo = crate::lab_topology(lab)?;
    let hmc_node = topo
        .node(hmc)
        .with_context(|| format!("no HMC named {hmc} in the lab"))?;
    let clients = Clients::new(lab)?;
    let view = clients.view(&hmc_node).await?;
    let src = view
        .frames
        .iter()
        .find(|f| f.name == frame)
        .with_context(|| format!("{hmc} does not manage a frame named {frame}"))?;
    let noconnection = src.state == frame_state::NO_CONNECTION;
    // What each survivor has free, less what this evacuation sends it.
    let mut free: HashMap<String, u64> = view
        .frames
        .iter()
        .filter(|f| f.name != frame && f.connected && f.state == frame_state::OPERATING)
        .map(|f| {
            let fr = f.frame.clone().unwrap_or_default();
            (f.name.clone(), fr.available(&f.partitions).mem_mb)
        })
        .collect();
    if free.is_empty() {
        anyhow::bail!("no other frame is Operating to restart the partitions of {frame} on");
    }
    let mut lpars: Vec<(String, u64)> = src
        .partitions
        .iter()
        .filter(|p| !p.is_vios() && p.remote_restart_capable)
        .map(|p| {
            let mem = p.profile(&p.default_profile).map_or(0, |pr| pr.desired_mem);
            (p.name.clone(), mem)
        })
        .collect();
    // The largest first, each to the frame with the most left.
    lpars.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut plans = Vec::new();
    for (lpar, mem) in lpars {
        let mut order: Vec<(String, u64)> = free.iter().map(|(k, v)| (k.clone(), *v)).collect();
        order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if let Some((first, _)) = order.first() {
            if let Some(f) = free.get_mut(first) {
                *f = f.saturating_sub(mem);
            }
        }
        plans.push((lpar, order.into_iter().map(|(k, _)| k).collect::<Vec<_>>()));
    }
    let runs = plans.into_iter().map(|(lpar, targets)| {
        let (clients, hmc_node) = (&clients, &hmc_node);
        async move { restart_one(clients, hmc_node, frame, &lpar, &targets, noconnection).await }
    });
    Ok(futures::future::join_all(runs).await)
}

async fn restart_one(
    clients: &Clients,
    hmc: &NodeDef,
    frame: &str,
    lpar: &str,
    targets: &[String],
    noconnection: bool,
) -> Outcome {
    let t0 = Instant::now();
    let mut why = Vec::new();
    for t in targets {
        let mut line = format!("rrstartlpar -o restart -m {frame} -t {t} -p {lpar}");
        if noconnection {
            line.push_str(" --noconnection");
        }
        match clients.run(hmc, "hscroot", &line).await {
            Ok(r) if r.exit_status == 0 => {
                return Outcome {
                    lpar: lpar.into(),
                    target: Some(t.clone()),
                    message: r.output,
                    secs: t0.elapsed().as_secs_f64(),
                };
            }
            Ok(r) => why.push(format!("{t}: {}", r.output.trim_end().replace('\n', " "))),
            Err(e) => why.push(format!("{t}: {e}")),
        }
    }
    Outcome {
        lpar: lpar.into(),
        target: None,
        message: why.join("; "),
        secs: t0.elapsed().as_secs_f64(),
    }
}
