//! The VIOS's Shared Ethernet Adapters at run time: each heartbeat, the
//! VIOS checks its physical link (a packet to the network beyond the
//! switch), sends every SEA's state through the hypervisor and reads its
//! peers', and lets [`ha::decide`] choose each SEA's next state. Changes
//! go to the error log as seed 002 shows them (BECOME PRIMARY, BECOME
//! BACKUP).

pub mod ha;

use crate::service::Shared;
use pvmlab_common::errpt;
use pvmlab_common::net::Chan;
use pvmlab_common::proto::fsp::fsp_client::FspClient;
use pvmlab_common::proto::fsp::{HaMode, PeerSea, SeaBeatRequest, SeaStatus};
use pvmlab_common::proto::san;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// An SEA's failover state and the counters `entstat` shows.
#[derive(Debug, Clone, Default)]
pub struct SeaLive {
    pub status: SeaStatus,
    pub became_primary: u64,
    pub became_backup: u64,
    pub control_in: u64,
    pub control_out: u64,
    pub bridged_packets: u64,
}

pub type Seas = BTreeMap<String, SeaLive>;

/// The timings of failover, from the lab's settings.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub heartbeat: Duration,
    pub detect: Duration,
}

/// What the SEA is made of, read off the devices each heartbeat (a
/// `chdev … ha_mode=` takes effect at the next).
struct Facts {
    name: String,
    mode: HaMode,
    priority: u32,
    trunks: Vec<Vec<u32>>,
}

fn facts(v: &Shared) -> Vec<Facts> {
    v.with_env(&[], |env| {
        let inv = crate::cmd::inventory::Inventory::of(env);
        env.dev
            .seas
            .iter()
            .map(|s| {
                let trunks: Vec<_> = s
                    .virt_adapters
                    .iter()
                    .filter_map(|a| inv.virt_ent(a).map(|(_, a)| a))
                    .collect();
                Facts {
                    name: s.name.clone(),
                    mode: ha::parse_mode(&s.ha_mode).unwrap_or(HaMode::HaAuto),
                    priority: trunks.iter().map(|a| a.trunk_priority).min().unwrap_or(1),
                    trunks: trunks
                        .iter()
                        .map(|a| {
                            std::iter::once(a.port_vlan_id)
                                .chain(a.addl_vlan_ids.iter().copied())
                                .collect()
                        })
                        .collect(),
                }
            })
            .collect()
    })
}

pub fn count_bridged(v: &Shared, sea: &str) {
    if let Some(s) = v
        .seas
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(sea)
    {
        s.bridged_packets += 1;
    }
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Runs the SEAs for as long as the VIOS runs.
pub async fn run(v: Arc<Shared>, mut fsp: FspClient<Chan>, lpar_id: u32, t: Timing) {
    let mut last_exchange: Option<Instant> = None;
    // Since when it has heard the hypervisor without a break.
    let mut listening: Option<Instant> = None;
    let mut tick = tokio::time::interval(t.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let facts = facts(&v);
        if !v.attached.load(Ordering::SeqCst) {
            // Not running: its trunk adapters are gone with the partition.
            let mut seas = v.seas.lock().unwrap_or_else(|e| e.into_inner());
            seas.clear();
            last_exchange = None;
            listening = None;
            continue;
        }
        let link_up = link_check(&v, t.heartbeat).await;
        let mine: Vec<SeaStatus> = {
            let seas = v.seas.lock().unwrap_or_else(|e| e.into_inner());
            facts
                .iter()
                .map(|f| {
                    let mut s = seas
                        .get(&f.name)
                        .map(|l| l.status.clone())
                        .unwrap_or_default();
                    s.name = f.name.clone();
                    s.mode = f.mode as i32;
                    s.priority = f.priority;
                    s.link_up = link_up;
                    s.vlans = f.trunks.iter().flatten().copied().collect();
                    s.trunks = f.trunks.len() as u32;
                    s
                })
                .collect()
        };
        let sent = Instant::now();
        let reply = tokio::time::timeout(
            t.heartbeat.max(Duration::from_millis(100)),
            fsp.sea_beat(SeaBeatRequest {
                lpar_id,
                seas: mine.clone(),
            }),
        )
        .await;
        let peers: Vec<PeerSea> = match reply {
            Ok(Ok(r)) => {
                last_exchange = Some(Instant::now());
                r.into_inner().peers
            }
            _ => Vec::new(),
        };
        let hypervisor = last_exchange.is_some_and(|at| at.elapsed() < t.detect);
        if !hypervisor {
            listening = None;
        } else if listening.is_none() {
            listening = last_exchange;
        }
        let listened = listening.is_some_and(|at| at.elapsed() >= t.detect);
        let mut seas = v.seas.lock().unwrap_or_else(|e| e.into_inner());
        for (f, status) in facts.iter().zip(mine) {
            let peer = peers
                .iter()
                .filter(|p| p.lpar_id != lpar_id)
                .filter_map(|p| p.sea.as_ref().map(|s| (p, s)))
                .find(|(_, s)| s.vlans.iter().any(|x| status.vlans.contains(x)))
                .map(|(p, s)| ha::Peer {
                    mode: s.mode(),
                    state: s.state(),
                    priority: s.priority,
                    link_up: s.link_up,
                    fresh: Duration::from_millis(p.age_ms) + sent.elapsed() < t.detect,
                });
            let me = ha::Me {
                mode: f.mode,
                priority: f.priority,
                link_up,
                hypervisor,
                listened,
                trunks: f.trunks.clone(),
            };
            let (next, bridged) = ha::decide(&me, peer.as_ref());
            let live = seas.entry(f.name.clone()).or_default();
            let before = live.status.state();
            live.status = SeaStatus { bridged, ..status };
            live.control_out += 1;
            if peer.is_some() {
                live.control_in += 1;
            }
            if next != before || live.status.since_unix_ms == 0 {
                live.status.since_unix_ms = unix_ms();
            }
            live.status.state = next as i32;
            if f.mode == HaMode::HaDisabled || next == before {
                continue;
            }
            if ha::is_primary(next) && !ha::is_primary(before) {
                live.became_primary += 1;
                v.errlog.add_hw(errpt::SEA_BECOME_PRIMARY, &f.name);
            } else if ha::is_backup(next) && !ha::is_backup(before) {
                live.became_backup += 1;
                v.errlog.add_hw(errpt::SEA_BECOME_BACKUP, &f.name);
            }
            tracing::info!(
                sea = %f.name,
                from = ha::state_name(before),
                to = ha::state_name(next),
                "SEA state"
            );
        }
        seas.retain(|name, _| facts.iter().any(|f| &f.name == name));
    }
}

/// Whether the physical port reaches the network: a packet to the host
/// the SEA pings (seed 002's `netaddr`), beyond the switch.
async fn link_check(v: &Shared, within: Duration) -> bool {
    let mut san = v.san.clone();
    let ping = san.packet(san::PacketRequest {
        vlan: 0,
        source: "netaddr".into(),
        seq: 0,
        payload: Vec::new(),
    });
    let up = matches!(
        tokio::time::timeout(within.max(Duration::from_millis(100)), ping).await,
        Ok(Ok(_))
    );
    v.san_ok.store(up, Ordering::Relaxed);
    up
}
