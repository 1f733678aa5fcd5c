//! `pvmlab bench vios`: a VIOS failure as the clients live it, over
//! several runs on one default lab whose sys1 clients do disk and network
//! I/O. Each run kills sys1's primary VIOS (SIGKILL) and measures the time
//! until the backup SEA bridges every VLAN, the time until every client
//! disk's I/O flows on its other path, the longest I/O stall seen inside a
//! client and the I/Os lost (which must be 0), beside the configured SEA
//! detection time as the baseline; then brings the VIOS back and waits for
//! failback. Last, the I/O path's own throughput (4 KiB client disk I/Os
//! through a VIOS to the SAN) against one raw mTLS stream in the same run.

use crate::client::Clients;
use crate::launcher;
use anyhow::Context;
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::Workload;
use pvmlab_common::net::Chan;
use pvmlab_common::proto::fsp::fsp_client::FspClient;
use pvmlab_common::proto::fsp::{BridgingRequest, GetWorkloadRequest, IoStats, SetWorkloadRequest};
use pvmlab_common::san::BLOCK;
use pvmlab_common::topology::DEFAULT_LAB;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const SUBNET: &str = "127.46.2";
const CLIENTS: [&str; 2] = ["aix71a", "aix61b"];
/// sys1's VLANs and the lpar id of its backup VIOS (vios2).
const VLANS: [u32; 3] = [1, 100, 200];
const BACKUP_ID: u32 = 2;

pub fn run(runs: usize, detect_ms: u64, hcheck_ms: u64) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("pvmlab-bench-vios-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let topo = tmp.join("lab.toml");
    let heartbeat_ms = (detect_ms / 4).max(10);
    std::fs::write(
        &topo,
        DEFAULT_LAB
            .replace("\"127.42.0.", &format!("\"{SUBNET}."))
            .replacen(
                "[lab]\n",
                &format!(
                    "[lab]\nsea_heartbeat_ms = {heartbeat_ms}\nsea_detect_ms = {detect_ms}\nhcheck_interval_ms = {hcheck_ms}\nio_timeout_ms = {}\n",
                    detect_ms * 3
                ),
                1,
            ),
    )?;
    let lab = LabDir::new(tmp.join("lab"));
    launcher::up_quiet(&lab, Some(&topo), 120)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let r = rt.block_on(bench(&lab, runs.max(1), detect_ms, heartbeat_ms, hcheck_ms));
    let _ = launcher::down(&lab);
    let _ = std::fs::remove_dir_all(&tmp);
    r
}

async fn bench(
    lab: &LabDir,
    runs: usize,
    detect_ms: u64,
    heartbeat_ms: u64,
    hcheck_ms: u64,
) -> anyhow::Result<()> {
    let clients = Clients::new(lab)?;
    let topo = crate::lab_topology(lab)?;
    let mut fsp = clients.fsp(&topo.node("sys1").context("sys1")?).await?;
    for c in CLIENTS {
        set_io(&mut fsp, c, 50.0, 20.0).await?;
    }
    settle(&mut fsp, Duration::from_secs(60)).await?;
    println!(
        "sys1 of the default lab, clients {} at 50 disk I/Os and 20 packets a second; SEA heartbeat {heartbeat_ms} ms, detection {detect_ms} ms, hcheck_interval {hcheck_ms} ms",
        CLIENTS.join(", ")
    );
    println!(
        "{:>4} {:>12} {:>12} {:>16} {:>10}",
        "run", "bridging_ms", "mpio_ms", "stall_so_far_ms", "lost_ios"
    );
    let (mut bridging, mut mpio, mut stalls) = (Vec::new(), Vec::new(), Vec::new());
    let mut lost_total = 0;
    let victim = vec!["sys1-vios1".to_string()];
    for run in 0..runs {
        let before = stats(&mut fsp).await?;
        let t0 = Instant::now();
        launcher::kill_nodes(lab, &victim);
        let (mut t_bridge, mut t_mpio) = (None, None);
        while (t_bridge.is_none() || t_mpio.is_none()) && t0.elapsed() < Duration::from_secs(60) {
            if t_bridge.is_none() {
                let b = fsp.bridging(BridgingRequest {}).await?.into_inner();
                let by_backup = |v: u32| {
                    b.vlans
                        .iter()
                        .any(|x| x.vlan == v && x.vios_lpar_ids == [BACKUP_ID])
                };
                if VLANS.iter().all(|v| by_backup(*v)) {
                    t_bridge = Some(t0.elapsed());
                }
            }
            if t_mpio.is_none() && on_other_path(&before, &stats(&mut fsp).await?) {
                t_mpio = Some(t0.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (t_bridge, t_mpio) = (
            t_bridge.context("the backup SEA never bridged")?,
            t_mpio.context("the clients' I/O never moved to the other path")?,
        );
        // Let I/Os in flight at the kill finish before counting.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = stats(&mut fsp).await?;
        let stall = after.values().map(|s| s.max_stall_us).max().unwrap_or(0);
        let lost: u64 = after
            .iter()
            .map(|(c, s)| {
                let b = &before[c];
                (s.ios_failed - b.ios_failed)
                    + (s.read_mismatches - b.read_mismatches)
                    + (s.packets_lost - b.packets_lost)
            })
            .sum();
        println!(
            "{run:>4} {:>12.0} {:>12.0} {:>16.1} {lost:>10}",
            ms(t_bridge),
            ms(t_mpio),
            stall as f64 / 1e3
        );
        bridging.push(ms(t_bridge));
        mpio.push(ms(t_mpio));
        stalls.push(stall as f64 / 1e3);
        lost_total += lost;
        let (l, v) = (lab.clone(), victim.clone());
        tokio::task::spawn_blocking(move || launcher::restart_nodes(&l, &v, 60)).await??;
        settle(&mut fsp, Duration::from_secs(60)).await?;
    }
    println!(
        "\nmedian of {runs} runs, from the kill: backup SEA bridging {:.0} ms, every disk's I/O on its other path {:.0} ms; longest stall inside a client {:.1} ms; I/Os lost {lost_total}\nbaseline: the configured SEA detection time {detect_ms} ms (bridging = {:.2} x detection)",
        median(&mut bridging),
        median(&mut mpio),
        stalls.iter().cloned().fold(0.0, f64::max),
        median(&mut bridging.clone()) / detect_ms as f64
    );

    // Throughput: one client's disk I/O as fast as it goes.
    for c in CLIENTS {
        set_io(&mut fsp, c, 0.0, 0.0).await?;
    }
    let mut io_mb_s = Vec::new();
    let mut raw_mb_s = Vec::new();
    for _ in 0..3 {
        set_io(&mut fsp, CLIENTS[0], 10_000.0, 0.0).await?;
        let a = stats(&mut fsp).await?[CLIENTS[0]].ios_completed;
        let t = Instant::now();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let b = stats(&mut fsp).await?[CLIENTS[0]].ios_completed;
        io_mb_s.push((b - a) as f64 * BLOCK as f64 / 1e6 / t.elapsed().as_secs_f64());
        set_io(&mut fsp, CLIENTS[0], 0.0, 0.0).await?;
        raw_mb_s.push(crate::bench_lpm::raw_tls(lab, "san", "sys1-vios1").await?);
    }
    let (io, raw) = (median(&mut io_mb_s), median(&mut raw_mb_s));
    println!(
        "I/O path: 4 KiB disk I/Os, one client, through a VIOS to the SAN: {io:.2} MB/s ({:.0} I/Os a second), median of 3\nbaseline: one raw mTLS stream over loopback with the VIOS's and the SAN's certificates: {raw:.0} MB/s, median of 3 (I/O path = {:.5} x raw)",
        io * 1e6 / BLOCK as f64,
        io / raw
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn set_io(
    fsp: &mut FspClient<Chan>,
    lpar: &str,
    disk_iops: f64,
    packets: f64,
) -> anyhow::Result<()> {
    fsp.set_workload(SetWorkloadRequest {
        lpar_name: lpar.into(),
        workload: Some(Workload {
            rate_mb_s: 1.0,
            working_set_mb: 32,
            pattern: "uniform".into(),
            disk_iops,
            packets_per_s: packets,
            ..Default::default()
        }),
    })
    .await?;
    Ok(())
}

async fn stats(fsp: &mut FspClient<Chan>) -> anyhow::Result<BTreeMap<&'static str, IoStats>> {
    let mut out = BTreeMap::new();
    for c in CLIENTS {
        let w = fsp
            .get_workload(GetWorkloadRequest {
                lpar_name: c.into(),
                digest: false,
            })
            .await?
            .into_inner();
        out.insert(c, w.io.unwrap_or_default());
    }
    Ok(out)
}

/// Every client disk has completed I/O on a path that is not through
/// vios1 since `before`.
fn on_other_path(before: &BTreeMap<&str, IoStats>, now: &BTreeMap<&str, IoStats>) -> bool {
    now.iter().all(|(c, s)| {
        let disks: std::collections::BTreeSet<&str> =
            s.paths.iter().map(|p| p.disk.as_str()).collect();
        disks.iter().all(|d| {
            s.paths.iter().any(|p| {
                p.disk == *d
                    && p.vios != "vios1"
                    && before[c]
                        .paths
                        .iter()
                        .find(|b| b.disk == p.disk && b.parent == p.parent)
                        .is_none_or(|b| p.completed > b.completed)
            })
        })
    })
}

/// Until sys1's vios1 bridges again and every client path is Enabled.
async fn settle(fsp: &mut FspClient<Chan>, limit: Duration) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        let b = fsp.bridging(BridgingRequest {}).await?.into_inner();
        let primary_back = VLANS.iter().all(|v| {
            b.vlans
                .iter()
                .any(|x| x.vlan == *v && x.vios_lpar_ids == [1])
        });
        let s = stats(fsp).await?;
        let enabled = s
            .values()
            .all(|io| !io.paths.is_empty() && io.paths.iter().all(|p| p.status == "Enabled"));
        if primary_back && enabled {
            // Each client's I/O runs on its first path again.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return Ok(());
        }
        anyhow::ensure!(
            t.elapsed() < limit,
            "sys1 did not settle: vios1 bridging {primary_back}, paths Enabled {enabled}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
