//! The lab's invariants. Throughout the run: no partition runs on two
//! frames at once, as its own heartbeat tells (a copy runs when its
//! heartbeat ticks). After every completed migration (in `mod.rs`): the
//! memory digest of the destination equals the source's. At the end,
//! after heal and recovery: every partition the lab had exists exactly
//! once and outside any migration (none lost, even after `kill -9`, none
//! left half-migrated), and the HMCs that share a frame show it alike.
//! VIOS redundancy: never two SEAs bridging one VLAN at once (throughout),
//! and at the end no client lost a disk I/O or read back other than it
//! wrote, nor lost a packet on a frame that kept one VIOS up throughout.

use super::Runner;
use pvmlab_common::proto::fsp::fsp_client::FspClient;
use pvmlab_common::proto::fsp::{BridgingRequest, GetWorkloadRequest};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

type Fsp = FspClient<pvmlab_common::net::Chan>;

/// A client of every frame's FSP that answers, by frame name.
async fn fsps(r: &Runner) -> Vec<(String, Fsp)> {
    let mut out = Vec::new();
    for f in &r.topo.frame {
        let Some(node) = r.topo.node(f.name.get_ref()) else {
            continue;
        };
        if let Ok(fsp) = r.clients.fsp(&node).await {
            out.push((f.name.get_ref().clone(), fsp));
        }
    }
    out
}

/// Heartbeat ticks of every copy of these partitions, by (partition, frame).
async fn ticks(r: &Runner, lpars: &BTreeSet<String>) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for (frame, mut fsp) in fsps(r).await {
        for l in lpars {
            let req = GetWorkloadRequest {
                lpar_name: l.clone(),
                digest: false,
            };
            if let Ok(Ok(w)) =
                tokio::time::timeout(Duration::from_millis(500), fsp.get_workload(req)).await
            {
                out.insert((l.clone(), frame.clone()), w.into_inner().heartbeat_ticks);
            }
        }
    }
    out
}

/// Partitions whose heartbeat ticks on two frames or more over `gap`.
async fn running_twice(
    r: &Runner,
    lpars: &BTreeSet<String>,
    gap: Duration,
) -> BTreeMap<String, Vec<String>> {
    let a = ticks(r, lpars).await;
    tokio::time::sleep(gap).await;
    let b = ticks(r, lpars).await;
    let mut on: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ((l, f), t) in &b {
        if a.get(&(l.clone(), f.clone())).is_some_and(|t0| t > t0) {
            on.entry(l.clone()).or_default().push(f.clone());
        }
    }
    on.retain(|_, frames| frames.len() > 1);
    on
}

/// Two SEAs bridging one VLAN on a frame now, or seen by its hypervisor
/// since the last look (`seen` keeps each frame's count).
async fn double_bridging(r: &Runner, seen: &mut BTreeMap<String, u64>) {
    for (frame, mut fsp) in fsps(r).await {
        let Ok(Ok(b)) =
            tokio::time::timeout(Duration::from_millis(500), fsp.bridging(BridgingRequest {}))
                .await
        else {
            continue;
        };
        let b = b.into_inner();
        for v in b.vlans.iter().filter(|v| v.vios_lpar_ids.len() > 1) {
            r.violation(
                "one SEA bridges a VLAN",
                format!(
                    "{frame}: VLAN {} bridged by VIOS {:?}",
                    v.vlan, v.vios_lpar_ids
                ),
            );
        }
        // A count lower than last time is a restarted FSP: start afresh.
        let before = seen
            .insert(frame.clone(), b.double_bridged_seen)
            .unwrap_or(0);
        if b.double_bridged_seen > before {
            r.violation(
                "one SEA bridges a VLAN",
                format!(
                    "{frame}'s hypervisor saw two SEAs bridging one VLAN {} times",
                    b.double_bridged_seen - before
                ),
            );
        }
    }
}

/// No client lost a disk I/O or read back other than it wrote; none lost
/// a packet on a frame that always had a VIOS up.
async fn io_kept(r: &Runner, lpars: &BTreeSet<String>) {
    let lost_redundancy = r
        .lost_redundancy
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    for (frame, mut fsp) in fsps(r).await {
        for l in lpars {
            let req = GetWorkloadRequest {
                lpar_name: l.clone(),
                digest: false,
            };
            let Ok(Ok(w)) =
                tokio::time::timeout(Duration::from_secs(2), fsp.get_workload(req)).await
            else {
                continue;
            };
            let Some(io) = w.into_inner().io else {
                continue;
            };
            if io.ios_failed > 0 || io.read_mismatches > 0 {
                r.violation(
                    "no I/O lost",
                    format!(
                        "{l} on {frame}: {} disk I/Os failed, {} reads not as written",
                        io.ios_failed, io.read_mismatches
                    ),
                );
            }
            if io.packets_lost > 0 && !lost_redundancy.contains(&frame) {
                r.violation(
                    "no I/O lost",
                    format!(
                        "{l} on {frame} lost {} packets though a VIOS was always up",
                        io.packets_lost
                    ),
                );
            }
        }
    }
}

/// Watches for a partition running on two frames, and for two SEAs
/// bridging one VLAN, until aborted. A pair of samples can straddle a
/// suspend and a resume, so a sighting is checked again; running twice
/// for real does not end by itself.
pub async fn sample(r: Arc<Runner>, lpars: BTreeSet<String>) {
    let mut bridging = BTreeMap::new();
    loop {
        double_bridging(&r, &mut bridging).await;
        let seen = running_twice(&r, &lpars, Duration::from_millis(50)).await;
        if !seen.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let again = running_twice(
                &r,
                &seen.keys().cloned().collect(),
                Duration::from_millis(50),
            )
            .await;
            for (l, frames) in again {
                r.violation(
                    "runs on one frame",
                    format!("{l} runs on {}", frames.join(" and ")),
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

pub async fn at_end(r: &Runner, inventory: &BTreeSet<String>) {
    // The HMCs catch up with frames that came back.
    tokio::time::sleep(Duration::from_secs(1)).await;
    io_kept(r, inventory).await;
    for (l, frames) in running_twice(r, inventory, Duration::from_millis(100)).await {
        r.violation(
            "runs on one frame",
            format!("{l} runs on {} at the end", frames.join(" and ")),
        );
    }
    let mut views = r.views().await;
    if views.is_empty() {
        r.violation("exists once", "no HMC answers at the end".into());
        return;
    }
    // Every partition once, outside any migration (an HMC that sees every
    // frame connected tells).
    let v = views
        .iter()
        .find(|v| v.frames.iter().all(|f| f.connected))
        .unwrap_or(&views[0]);
    for l in inventory {
        let copies: Vec<(String, bool)> = v
            .frames
            .iter()
            .flat_map(|f| {
                f.partitions
                    .iter()
                    .filter(|p| &p.name == l)
                    .map(|p| (f.name.clone(), p.migration.is_some()))
            })
            .collect();
        if copies.len() != 1 {
            r.violation(
                "exists once",
                format!("{l}: {} copies ({copies:?})", copies.len()),
            );
        } else if copies[0].1 {
            r.violation(
                "migration ended",
                format!(
                    "{l} on {} is still in a migration after recovery",
                    copies[0].0
                ),
            );
        }
    }
    // The HMCs agree on every frame they share (given a few seconds to).
    for _ in 0..10 {
        if disagreement(&views).is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        views = r.views().await;
    }
    if let Some(d) = disagreement(&views) {
        r.violation("HMCs agree", d);
    }
}

fn disagreement(views: &[pvmlab_common::proto::hmc::ViewReply]) -> Option<String> {
    let show = |f: &pvmlab_common::proto::hmc::FrameView| -> BTreeSet<(String, String)> {
        f.partitions
            .iter()
            .map(|p| (p.name.clone(), p.state.clone()))
            .collect()
    };
    for (i, a) in views.iter().enumerate() {
        for b in &views[i + 1..] {
            for fa in &a.frames {
                if let Some(fb) = b.frames.iter().find(|f| f.name == fa.name) {
                    if fa.state != fb.state || show(fa) != show(fb) {
                        return Some(format!(
                            "{} and {} show {} differently",
                            a.hmc_name, b.hmc_name, fa.name
                        ));
                    }
                }
            }
        }
    }
    None
}
