//! A client partition's own I/O: its disks through its VIOS (one MPIO path
//! per virtual SCSI client adapter) to the SAN, and its packets through the
//! SEA that bridges its VLAN to a host outside the frame. The hypervisor
//! carries each I/O to the VIOS at the other end of the adapter, as the
//! real one does; a VIOS that is down, paused or cut off carries none, and
//! the client's MPIO moves the I/O to another path. Nothing is given up
//! while a path may come back: an I/O with no path waits (a stall, logged
//! in `errpt`) until the health check finds one.

pub mod mpio;

use crate::frame::Hypervisor;
use crate::workload::Running;
use mpio::{Disk, Path, PathCounts, PathStatus};
use pvmlab_common::errpt;
use pvmlab_common::metrics;
use pvmlab_common::net::Chan;
use pvmlab_common::proto::fsp::{IoStats, PathStats};
use pvmlab_common::proto::vios::vios_client::ViosClient;
use pvmlab_common::proto::vios::{IoRefusal, IoRequest, PacketRequest};
use pvmlab_common::san::BLOCK;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// An I/O that takes longer than this, end to end, counts as stalled.
const STALL: Duration = Duration::from_secs(1);
/// The blocks each disk's workload writes and reads back.
const BLOCKS_PER_DISK: u64 = 64;
/// A packet not answered is sent again after this, up to `GIVE_UP`.
const RETRANSMIT: Duration = Duration::from_millis(200);
const GIVE_UP: Duration = Duration::from_secs(60);

/// What the hypervisor needs to carry client I/O: a channel to each VIOS
/// of the frame, by partition id, and the lab's I/O settings.
pub struct IoEnv {
    pub vios: HashMap<u32, (String, ViosClient<Chan>)>,
    pub hcheck_interval: Duration,
    pub io_timeout: Duration,
    pub sea_detect: Duration,
}

/// The client's operating system's view of its I/O.
#[derive(Default)]
pub struct ClientOs {
    pub disks: Mutex<Vec<Disk>>,
    /// Client adapters (by slot) whose VIOS answered discovery.
    discovered: Mutex<Vec<u32>>,
    /// What each block was last written with, to check what a read returns.
    written: Mutex<HashMap<(usize, u64), u64>>,
    pub stats: Stats,
    /// The drivers of this partition have been started.
    started: AtomicBool,
}

#[derive(Default)]
pub struct Stats {
    pub completed: AtomicU64,
    pub stalled: AtomicU64,
    pub pending: AtomicU64,
    pub max_stall_us: AtomicU64,
    pub mismatches: AtomicU64,
    pub failed: AtomicU64,
    pub sent: AtomicU64,
    pub delivered: AtomicU64,
    pub retransmitted: AtomicU64,
    pub lost: AtomicU64,
    pub max_net_stall_us: AtomicU64,
}

impl ClientOs {
    pub fn io_stats(&self) -> IoStats {
        let s = &self.stats;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let disks = self.disks.lock().unwrap_or_else(|e| e.into_inner());
        IoStats {
            paths: disks
                .iter()
                .flat_map(|d| {
                    d.paths.iter().map(|p| PathStats {
                        disk: d.name.clone(),
                        parent: p.parent.clone(),
                        vios: p.vios_name.clone(),
                        status: p.status.name().into(),
                        completed: p.counts.completed,
                        retried: p.counts.retried,
                        failed: p.counts.failed,
                    })
                })
                .collect(),
            ios_completed: l(&s.completed),
            ios_stalled: l(&s.stalled),
            ios_pending: l(&s.pending),
            max_stall_us: l(&s.max_stall_us),
            read_mismatches: l(&s.mismatches),
            ios_failed: l(&s.failed),
            packets_sent: l(&s.sent),
            packets_delivered: l(&s.delivered),
            packets_retransmitted: l(&s.retransmitted),
            packets_lost: l(&s.lost),
            max_net_stall_us: l(&s.max_net_stall_us),
        }
    }
}

/// Starts the I/O of every running client partition that has none yet:
/// one disk task and one network task each, which sleep while the
/// workload asks for no I/O.
pub fn start_new(hyp: &Arc<Hypervisor>, env: &Arc<IoEnv>) {
    for (id, r) in hyp.running_partitions() {
        if r.os.started.swap(true, Ordering::SeqCst) {
            continue;
        }
        let w = Arc::downgrade(&r);
        tokio::spawn(disk_loop(hyp.clone(), env.clone(), id, w.clone()));
        tokio::spawn(net_loop(hyp.clone(), env.clone(), id, w));
    }
}

/// The time between two I/Os at `rate` a second; none when it is off.
fn every(rate: f64) -> Option<Duration> {
    (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate.min(10_000.0)))
}

/// The next turn of a paced I/O loop: the partition and the gap at its
/// rate; waits while the rate is 0 (asleep until the workload changes, so
/// an idle partition costs nothing) or the partition is suspended (its I/O
/// frozen with it), and is none once the partition has stopped.
async fn next_turn(
    running: &Weak<Running>,
    rate: fn(&Running) -> f64,
) -> Option<(Arc<Running>, Duration)> {
    loop {
        let r = running.upgrade()?;
        match every(rate(&r)) {
            None => {
                let changed = r.changed.clone();
                let woken = changed.notified();
                tokio::pin!(woken);
                // Registered before the second look, so a change between
                // the two is not missed; the partition's end tells it too.
                woken.as_mut().enable();
                if every(rate(&r)).is_some() {
                    continue;
                }
                drop(r);
                woken.await;
            }
            Some(_) if r.is_suspended() => {
                drop(r);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Some(gap) => return Some((r, gap)),
        }
    }
}

async fn disk_loop(hyp: Arc<Hypervisor>, env: Arc<IoEnv>, id: u32, running: Weak<Running>) {
    let mut seq: u64 = 0;
    let mut last_check = Instant::now();
    loop {
        let Some((r, gap)) = next_turn(&running, |r| r.spec().disk_iops).await else {
            return;
        };
        let started = Instant::now();
        discover(&hyp, &env, id, &r).await;
        if last_check.elapsed() >= env.hcheck_interval {
            health_check(&hyp, &env, id, &r).await;
            last_check = Instant::now();
        }
        let ndisks = r.os.disks.lock().unwrap_or_else(|e| e.into_inner()).len();
        if ndisks > 0 {
            // A write, then the read that checks it, on each disk in turn.
            let disk = (seq / 2) as usize % ndisks;
            let block = (seq / 2 / ndisks as u64) % BLOCKS_PER_DISK;
            let write = seq % 2 == 0;
            let stamp = (u64::from(id) << 40) | (seq / 2);
            one_io(
                &hyp,
                &env,
                id,
                &r,
                disk,
                block,
                write,
                stamp,
                &mut last_check,
            )
            .await;
            seq += 1;
        }
        drop(r);
        let spent = started.elapsed();
        tokio::time::sleep(gap.saturating_sub(spent)).await;
    }
}

/// One I/O, moved from path to path until one carries it. With no path
/// left it waits for the health check, however long that takes.
#[allow(clippy::too_many_arguments)]
async fn one_io(
    hyp: &Hypervisor,
    env: &IoEnv,
    id: u32,
    r: &Running,
    disk: usize,
    block: u64,
    write: bool,
    stamp: u64,
    last_check: &mut Instant,
) {
    let os = &r.os;
    let began = Instant::now();
    let lpar = hyp.lpar_name(id).unwrap_or_default();
    os.stats.pending.fetch_add(1, Ordering::Relaxed);
    let mut attempts = 0u32;
    let data = if write { block_data(stamp) } else { Vec::new() };
    loop {
        let pick = {
            let mut disks = os.disks.lock().unwrap_or_else(|e| e.into_inner());
            let d = &mut disks[disk];
            match d.pick() {
                Some(i) => Some((i, d.paths[i].clone(), d.lun_id.clone())),
                None => {
                    if !d.no_path {
                        d.no_path = true;
                        let name = d.name.clone();
                        drop(disks);
                        hyp.os_log(
                            id,
                            errpt::hw_line(errpt::DISK_OPERATION_ERROR, &name, now()),
                        );
                    }
                    None
                }
            }
        };
        let Some((i, path, lun)) = pick else {
            // No path: the I/O waits for the health check to bring one back.
            tokio::time::sleep(env.hcheck_interval.min(Duration::from_millis(500))).await;
            if last_check.elapsed() >= env.hcheck_interval {
                health_check(hyp, env, id, r).await;
                *last_check = Instant::now();
            }
            continue;
        };
        let req = block_request(id, &path, lun, block, write, data.clone());
        match send(env, path.vios_lpar_id, req).await {
            Ok(reply) => {
                if !write {
                    let want = os
                        .written
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(&(disk, block))
                        .copied();
                    if want.is_some_and(|w| reply != block_data(w)) {
                        os.stats.mismatches.fetch_add(1, Ordering::Relaxed);
                    }
                } else {
                    os.written
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert((disk, block), stamp);
                }
                let name = {
                    let mut disks = os.disks.lock().unwrap_or_else(|e| e.into_inner());
                    disks[disk].done(i, attempts);
                    disks[disk].name.clone()
                };
                metrics::client_io(&lpar, &name, &path.parent, &path.vios_name, "completed");
                if attempts > 0 {
                    metrics::client_io(&lpar, &name, &path.parent, &path.vios_name, "retried");
                }
                break;
            }
            Err(why) => {
                attempts += 1;
                let (newly, name) = {
                    let mut disks = os.disks.lock().unwrap_or_else(|e| e.into_inner());
                    let d = &mut disks[disk];
                    let newly = if why == Some(IoRefusal::NoMapping) {
                        d.missing(i)
                    } else {
                        d.fail(i)
                    };
                    (newly, d.name.clone())
                };
                metrics::client_io(&lpar, &name, &path.parent, &path.vios_name, "failed");
                if newly {
                    tracing::warn!(lpar = id, disk = %name, path = %path.parent, vios = %path.vios_name, "path failed");
                    hyp.os_log(id, errpt::hw_line(errpt::PATH_FAILED, &name, now()));
                }
            }
        }
    }
    let took = began.elapsed();
    os.stats.pending.fetch_sub(1, Ordering::Relaxed);
    os.stats.completed.fetch_add(1, Ordering::Relaxed);
    os.stats
        .max_stall_us
        .fetch_max(took.as_micros() as u64, Ordering::Relaxed);
    if took >= STALL {
        os.stats.stalled.fetch_add(1, Ordering::Relaxed);
    }
    metrics::client_io_took(&lpar, took, STALL);
}

fn now() -> pvmlab_common::clock::Civil {
    pvmlab_common::clock::Civil::now()
}

/// A block's contents for a stamp: the stamp, repeated.
fn block_data(stamp: u64) -> Vec<u8> {
    stamp.to_le_bytes().repeat(BLOCK / 8)
}

/// One I/O on one path: the block read (or empty for a write); or why
/// the VIOS refused it, or none if it did not answer within the disk's
/// timeout (down, paused, cut off).
async fn send(env: &IoEnv, vios: u32, req: IoRequest) -> Result<Vec<u8>, Option<IoRefusal>> {
    let (_, client) = env.vios.get(&vios).ok_or(None)?;
    let mut client = client.clone();
    match tokio::time::timeout(env.io_timeout, client.io(req)).await {
        Ok(Ok(r)) => {
            let r = r.into_inner();
            match r.refused() {
                IoRefusal::IoOk => Ok(r.data),
                why => Err(Some(why)),
            }
        }
        _ => Err(None),
    }
}

/// Finds the disks behind client adapters not yet discovered (at the
/// partition's start, and for adapters whose VIOS was down then): the
/// client's `cfgmgr`. hdisks are numbered in the order found.
async fn discover(hyp: &Hypervisor, env: &IoEnv, id: u32, r: &Running) {
    let adapters = hyp.client_storage(id);
    let done =
        r.os.discovered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
    // AIX names the protocol devices by kind in slot order: vscsi0,
    // vscsi1 … for virtual SCSI, fscsi0, fscsi1 … for virtual FC.
    let (mut scsi, mut fc) = (0, 0);
    for a in &adapters {
        let parent = if a.wwpn.is_empty() {
            scsi += 1;
            format!("vscsi{}", scsi - 1)
        } else {
            fc += 1;
            format!("fscsi{}", fc - 1)
        };
        if done.contains(&a.slot) {
            continue;
        }
        let Some((vios_name, client)) = env.vios.get(&a.remote_lpar_id) else {
            continue;
        };
        let req = IoRequest {
            client_lpar_id: id,
            server_slot: a.remote_slot,
            discover: true,
            wwpn: a.wwpn.clone(),
            ..Default::default()
        };
        let Ok(Ok(reply)) = tokio::time::timeout(env.io_timeout, client.clone().io(req)).await
        else {
            continue;
        };
        let reply = reply.into_inner();
        if reply.refused != 0 {
            continue;
        }
        let mut disks = r.os.disks.lock().unwrap_or_else(|e| e.into_inner());
        for l in reply.luns {
            let i = match disks.iter().position(|d| d.lun_id == l.lun_id) {
                Some(i) => i,
                None => {
                    let name = format!("hdisk{}", disks.len());
                    disks.push(Disk::new(name, l.lun_id, l.udid, l.size_mb));
                    disks.len() - 1
                }
            };
            if !disks[i].paths.iter().any(|p| p.parent == parent) {
                disks[i].paths.push(Path {
                    parent: parent.clone(),
                    vios_lpar_id: a.remote_lpar_id,
                    vios_name: vios_name.clone(),
                    server_slot: a.remote_slot,
                    wwpn: a.wwpn.clone(),
                    status: PathStatus::Enabled,
                    priority: 1,
                    counts: PathCounts::default(),
                });
            }
        }
        r.os.discovered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(a.slot);
    }
}

/// MPIO's health check: a test read of block 0 on each failed path; a path
/// that answers is Enabled again.
async fn health_check(hyp: &Hypervisor, env: &IoEnv, id: u32, r: &Running) {
    let probes: Vec<(usize, usize, Path, String)> = {
        let disks = r.os.disks.lock().unwrap_or_else(|e| e.into_inner());
        disks
            .iter()
            .enumerate()
            .flat_map(|(d, disk)| {
                disk.to_check()
                    .into_iter()
                    .map(move |i| (d, i, disk.paths[i].clone(), disk.lun_id.clone()))
            })
            .collect()
    };
    for (d, i, path, lun) in probes {
        let req = block_request(id, &path, lun, 0, false, Vec::new());
        let reply = send(env, path.vios_lpar_id, req).await;
        let answered = reply.is_ok();
        let (changed, name) = {
            let mut disks = r.os.disks.lock().unwrap_or_else(|e| e.into_inner());
            let disk = &mut disks[d];
            // An idle Enabled path whose VIOS is gone fails now, not when
            // the next I/O needs it; one whose mapping is gone goes Missing.
            let idle = disk.paths[i].status == PathStatus::Enabled;
            let changed = match reply {
                Ok(_) => disk.recovered(i),
                Err(Some(IoRefusal::NoMapping)) => idle && disk.missing(i),
                Err(_) => idle && disk.fail(i),
            };
            (changed, disk.name.clone())
        };
        match (changed, answered) {
            (true, true) => {
                tracing::info!(lpar = id, disk = %name, path = %path.parent, "path recovered");
                hyp.os_log(id, errpt::hw_line(errpt::PATH_RECOVERED, &name, now()));
            }
            (true, false) => {
                tracing::warn!(lpar = id, disk = %name, path = %path.parent, vios = %path.vios_name, "path failed its health check");
                hyp.os_log(id, errpt::hw_line(errpt::PATH_FAILED, &name, now()));
            }
            _ => {}
        }
    }
}

async fn net_loop(hyp: Arc<Hypervisor>, env: Arc<IoEnv>, id: u32, running: Weak<Running>) {
    let mut seq: u64 = 0;
    loop {
        let Some((r, gap)) = next_turn(&running, |r| r.spec().packets_per_s).await else {
            return;
        };
        let started = Instant::now();
        if let Some((vlan, name)) = hyp.client_vlan(id) {
            seq += 1;
            one_packet(&hyp, &env, id, &r, vlan, &name, seq).await;
        }
        drop(r);
        tokio::time::sleep(gap.saturating_sub(started.elapsed())).await;
    }
}

/// One packet to the host outside, sent again until the SEA bridging its
/// VLAN carries it (or `GIVE_UP` passes: lost).
async fn one_packet(
    hyp: &Hypervisor,
    env: &IoEnv,
    id: u32,
    r: &Running,
    vlan: u32,
    name: &str,
    seq: u64,
) {
    let s = &r.os.stats;
    s.sent.fetch_add(1, Ordering::Relaxed);
    metrics::client_packet(name, "sent");
    let began = Instant::now();
    loop {
        let delivered = match hyp.bridge_for(vlan, env.sea_detect) {
            Some(vios) => match env.vios.get(&vios) {
                Some((_, c)) => {
                    let req = PacketRequest {
                        client_lpar_id: id,
                        source: name.to_string(),
                        vlan,
                        seq,
                        payload: Vec::new(),
                    };
                    matches!(
                        tokio::time::timeout(RETRANSMIT.max(env.io_timeout.min(Duration::from_secs(1))), c.clone().packet(req)).await,
                        Ok(Ok(reply)) if reply.get_ref().refused == 0
                    )
                }
                None => false,
            },
            None => false,
        };
        if delivered {
            s.delivered.fetch_add(1, Ordering::Relaxed);
            metrics::client_packet(name, "delivered");
            break;
        }
        if began.elapsed() >= GIVE_UP {
            s.lost.fetch_add(1, Ordering::Relaxed);
            metrics::client_packet(name, "lost");
            break;
        }
        s.retransmitted.fetch_add(1, Ordering::Relaxed);
        metrics::client_packet(name, "retransmitted");
        tokio::time::sleep(RETRANSMIT).await;
    }
    s.max_net_stall_us
        .fetch_max(began.elapsed().as_micros() as u64, Ordering::Relaxed);
}

/// A virtual SCSI or FC client adapter of a running partition and the
/// server adapter it is connected to.
#[derive(Debug, Clone)]
pub struct ClientAdapter {
    pub slot: u32,
    pub remote_lpar_id: u32,
    pub remote_slot: u32,
    /// A virtual FC adapter's port name (empty: virtual SCSI).
    pub wwpn: String,
}

/// A block I/O (or a health check's read of block 0) on one path.
fn block_request(
    id: u32,
    path: &Path,
    lun: String,
    block: u64,
    write: bool,
    data: Vec<u8>,
) -> IoRequest {
    IoRequest {
        client_lpar_id: id,
        server_slot: path.server_slot,
        discover: false,
        lun_id: lun,
        block,
        write,
        data,
        wwpn: path.wwpn.clone(),
    }
}
