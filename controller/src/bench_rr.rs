//! `pvmlab bench rr`: the time from the loss of a frame running eight
//! remote restart capable partitions to all eight Running on the two
//! other frames through `pvmlab evacuate`, over several runs, each on a
//! lab of its own; and, in the same runs, the baseline of restarting the
//! same eight one after the other.

use crate::client::Clients;
use crate::{evacuate, launcher};
use anyhow::Context;
use pvmlab_common::lab::LabDir;
use pvmlab_common::labs::remote_restart_lab;
use pvmlab_common::model::{frame_state, lpar_state};
use std::time::{Duration, Instant};

const SUBNET: &str = "127.46.1";
const LPARS: usize = 8;

pub fn rr_bench(runs: usize) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("pvmlab-bench-rr-{}", std::process::id()));
    let topo = tmp.join("rr.toml");
    std::fs::create_dir_all(&tmp)?;
    std::fs::write(&topo, remote_restart_lab("benchrr", SUBNET, 3, LPARS))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut together = Vec::new();
    let mut one_by_one = Vec::new();
    println!(
        "{:>4} {:>14} {:>16} {:>20}",
        "run", "mode", "detect_ms", "loss_to_running_ms"
    );
    for run in 0..runs.max(1) {
        for sequential in [false, true] {
            let lab = LabDir::new(tmp.join(format!("lab{run}{}", u8::from(sequential))));
            launcher::up_quiet(&lab, Some(&topo), 90)?;
            let r = rt.block_on(one_run(&lab, sequential));
            let _ = launcher::down(&lab);
            let (detect, total) = r?;
            let mode = if sequential { "one by one" } else { "evacuate" };
            println!(
                "{run:>4} {mode:>14} {:>16.0} {:>20.0}",
                detect.as_secs_f64() * 1e3,
                total.as_secs_f64() * 1e3
            );
            if sequential {
                one_by_one.push(total);
            } else {
                together.push(total);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    println!(
        "\nframe loss to all {LPARS} partitions Running elsewhere, median of {} runs: evacuate {:.0} ms; baseline, the same restarts one after the other: {:.0} ms",
        together.len(),
        median(&mut together),
        median(&mut one_by_one)
    );
    println!(
        "(detect = until the HMC shows the frame No Connection; the time counts from the kill)"
    );
    Ok(())
}

/// Kills fr1 and restarts its partitions; returns how long the HMC took to
/// see the loss, and how long until all of them ran elsewhere.
async fn one_run(lab: &LabDir, sequential: bool) -> anyhow::Result<(Duration, Duration)> {
    let clients = Clients::new(lab)?;
    let topo = pvmlab_common::topology::Topology::load(&lab.topology())?;
    let hmc = topo.node("hmc1").context("hmc1")?;
    // Every partition has run, and the HMC has its configuration.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let names = crate::frame_fault::processes(crate::frame_def(&topo, "fr1")?);
    let t0 = Instant::now();
    launcher::kill_nodes(lab, &names);
    loop {
        let v = clients.view(&hmc).await?;
        if v.frames
            .iter()
            .any(|f| f.name == "fr1" && f.state == frame_state::NO_CONNECTION)
        {
            break;
        }
        anyhow::ensure!(
            t0.elapsed() < Duration::from_secs(30),
            "the HMC never saw fr1 lost"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let detect = t0.elapsed();
    if sequential {
        for i in 1..=LPARS {
            let t = if i % 2 == 0 { "fr2" } else { "fr3" };
            let line = format!("rrstartlpar -o restart -m fr1 -t {t} -p rr{i} --noconnection");
            let r = clients.run(&hmc, "hscroot", &line).await?;
            anyhow::ensure!(r.exit_status == 0, "{line}: {}", r.output);
        }
    } else {
        let out = evacuate::evacuate(lab, "fr1", "hmc1").await?;
        if let Some(o) = out.iter().find(|o| o.target.is_none()) {
            anyhow::bail!("{} not restarted: {}", o.lpar, o.message);
        }
    }
    loop {
        let v = clients.view(&hmc).await?;
        let running = v
            .frames
            .iter()
            .filter(|f| f.name != "fr1")
            .flat_map(|f| f.partitions.iter())
            .filter(|p| p.name.starts_with("rr") && p.state == lpar_state::RUNNING)
            .count();
        if running == LPARS {
            return Ok((detect, t0.elapsed()));
        }
        anyhow::ensure!(
            t0.elapsed() < Duration::from_secs(60),
            "only {running} of {LPARS} running after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
