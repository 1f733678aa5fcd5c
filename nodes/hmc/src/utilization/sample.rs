//! One utilization sample of a frame, as the HMC takes it from its view of
//! the frame (the FSP's stream): what the frame and each partition have,
//! what they use, and the hypervisor's cycle counters, which only ever
//! grow, so that a client finds the use between two samples from their
//! difference, as `lslparutil` users and pypowervm's PCM readers do.

use pvmlab_common::model::{
    FrameExt as _, PartitionExt as _, ResourcesExt as _, lpar_state, migration_state,
};
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::model::Partition;
use std::collections::HashMap;

/// The processor clock the hypervisor counts cycles in, as the recorded
/// samples show it (`proc_cycles_per_second=512000000`).
pub const CYCLES_PER_SECOND: u64 = 512_000_000;

/// A frame at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSample {
    /// Seconds since 1970, UTC, on the HMC's clock.
    pub time: i64,
    pub state: String,
    pub proc_units: f64,
    pub avail_proc_units: f64,
    pub mem_mb: u64,
    pub avail_mem_mb: u64,
    pub firmware_mem_mb: u64,
    /// Cycles since the HMC began sampling the frame.
    pub time_cycles: u64,
    /// The physical processor pool: every processor no partition holds
    /// dedicated.
    pub pool: PoolSample,
    /// The shared processor pools.
    pub procpools: Vec<ProcPoolSample>,
    pub lpars: Vec<LparSample>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolSample {
    pub configurable_units: f64,
    pub avail_units: f64,
    pub borrowed_units: f64,
    pub used_units: f64,
    pub total_cycles: u64,
    pub utilized_cycles: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcPoolSample {
    pub id: u32,
    pub name: String,
    pub max_units: f64,
    pub reserved_units: f64,
    /// Processing units the pool's partitions are entitled to.
    pub entitled_units: f64,
    pub used_units: f64,
    pub total_cycles: u64,
    pub utilized_cycles: u64,
}

/// One partition at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LparSample {
    pub id: u32,
    pub name: String,
    pub vios: bool,
    pub state: String,
    /// ded | shared; empty while the partition holds nothing.
    pub proc_mode: String,
    /// Entitled processing units (whole processors when dedicated).
    pub proc_units: f64,
    pub procs: u32,
    pub sharing_mode: String,
    pub uncap_weight: u32,
    pub pool_id: u32,
    pub pool_name: String,
    pub mem_mode: String,
    pub mem_mb: u64,
    /// Processing units in use now.
    pub used_units: f64,
    pub used_mem_mb: u64,
    /// MB/s the partition's workload writes to its memory.
    pub write_mb_s: f64,
    /// Bytes its migration has sent so far (0: none runs).
    pub mig_bytes: u64,
    /// Its migration's throughput now (MB/s), and the mover service
    /// partition on this frame that sends it.
    pub mig_mb_s: f64,
    pub mig_msp_id: u32,
    pub counters: Counters,
}

/// The hypervisor's running cycle counts of one partition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub entitled: u64,
    pub capped: u64,
    pub uncapped: u64,
    pub idle: u64,
}

/// What the sampler keeps between two samples of a frame: the running
/// counts, so they grow from one sample to the next. Bounded by the
/// frame's partitions: a partition that left drops out.
#[derive(Debug, Default, Clone)]
pub struct Running {
    pub last: Option<i64>,
    pub time_cycles: u64,
    pub pool: (u64, u64),
    pub procpools: HashMap<u32, (u64, u64)>,
    pub lpars: HashMap<String, Counters>,
}

/// The share of its entitlement a running partition uses: a little for
/// the operating system, and one per cent more for each MB/s its workload
/// writes, as a lab's partitions do nothing but that workload.
pub fn load(p: &Partition) -> f64 {
    let rate = p.workload.as_ref().map_or(0.0, |w| w.rate_mb_s);
    let base = if p.is_vios() { 0.10 } else { 0.05 };
    base + rate.max(0.0) / 100.0
}

/// Processing units a partition uses now: none unless it holds resources;
/// a starting partition's firmware takes a trickle; a running one its
/// load, up to its entitlement (capped or dedicated) or its virtual
/// processors (uncapped).
pub fn used_units(p: &Partition, sharing_mode: &str) -> f64 {
    let Some(c) = p.curr.as_ref().filter(|_| p.holds_resources()) else {
        return 0.0;
    };
    let ent = c.units();
    let running = matches!(
        p.state.as_str(),
        lpar_state::RUNNING | lpar_state::MIGRATING_RUNNING
    );
    if !running {
        return ent * 0.01;
    }
    let ceiling = if c.proc_mode == "shared" && sharing_mode == "uncap" {
        f64::from(c.procs).max(ent)
    } else {
        ent
    };
    round2((ent * load(p)).min(ceiling))
}

/// Memory (MB) a partition uses now: its operating system's tenth, and
/// the working set its workload writes (all of memory when it writes
/// everywhere).
pub fn used_mem(p: &Partition) -> u64 {
    let Some(c) = p.curr.as_ref().filter(|_| p.holds_resources()) else {
        return 0;
    };
    let os = (c.mem_mb / 10).max(256.min(c.mem_mb));
    let w = p.workload.as_ref();
    let ws = match w {
        Some(w) if w.working_set_mb > 0 => w.working_set_mb,
        Some(w) if w.rate_mb_s > 0.0 => c.mem_mb,
        _ => 0,
    };
    (os + ws).min(c.mem_mb)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn cycles(units: f64, dt: f64) -> u64 {
    (units.max(0.0) * dt * CYCLES_PER_SECOND as f64) as u64
}

/// Takes a sample of frame `f` at `now`, moving the running counts in
/// `run` on by what was used since the last sample (the use seen now,
/// over the time since then).
pub fn take(f: &FrameView, run: &mut Running, now: i64) -> FrameSample {
    let fr = f.frame.clone().unwrap_or_default();
    let dt = run.last.map_or(0.0, |l| (now - l).max(0) as f64);
    run.last = Some(now);
    run.time_cycles += cycles(1.0, dt);
    let avail = fr.available(f.partitions.iter());
    let mut lpars = Vec::with_capacity(f.partitions.len());
    // Rebuilt each time, so a partition that left is forgotten.
    let mut counts = HashMap::with_capacity(f.partitions.len());
    for p in &f.partitions {
        let s = lpar_sample(&fr, p, run.lpars.get(&p.name).copied(), dt);
        counts.insert(p.name.clone(), s.counters);
        lpars.push(s);
    }
    run.lpars = counts;

    // The physical pool holds every processor not dedicated to a partition.
    let dedicated: f64 = lpars
        .iter()
        .filter(|l| l.proc_mode == "ded")
        .map(|l| l.proc_units)
        .sum();
    let shared: Vec<&LparSample> = lpars.iter().filter(|l| l.proc_mode == "shared").collect();
    let configurable = (fr.processors - dedicated).max(0.0);
    let used: f64 = shared.iter().map(|l| l.used_units).sum();
    run.pool.0 += cycles(configurable, dt);
    run.pool.1 += cycles(used, dt);
    let pool = PoolSample {
        configurable_units: round2(configurable),
        avail_units: round2((configurable - used).max(0.0)),
        borrowed_units: 0.0,
        used_units: round2(used),
        total_cycles: run.pool.0,
        utilized_cycles: run.pool.1,
    };

    let mut pools = fr.pools.clone();
    if !pools.iter().any(|p| p.id == 0) {
        pools.insert(
            0,
            pvmlab_common::proto::model::SharedProcPool {
                id: 0,
                name: "DefaultPool".into(),
                ..Default::default()
            },
        );
    }
    let procpools = pools
        .iter()
        .map(|sp| {
            let members = shared.iter().filter(|l| l.pool_id == sp.id);
            let (ent, used) =
                members.fold((0.0, 0.0), |(e, u), l| (e + l.proc_units, u + l.used_units));
            // The default pool is the whole physical pool; another pool
            // is as large as its maximum.
            let size = if sp.id == 0 {
                configurable
            } else {
                sp.max_pool_proc_units
            };
            let c = run.procpools.entry(sp.id).or_default();
            c.0 += cycles(size, dt);
            c.1 += cycles(used, dt);
            ProcPoolSample {
                id: sp.id,
                name: sp.name.clone(),
                max_units: round2(size),
                reserved_units: sp.reserved_pool_proc_units,
                entitled_units: round2(ent),
                used_units: round2(used),
                total_cycles: c.0,
                utilized_cycles: c.1,
            }
        })
        .collect();
    run.procpools
        .retain(|id, _| pools.iter().any(|p| p.id == *id));

    FrameSample {
        time: now,
        state: f.state.clone(),
        proc_units: fr.processors,
        avail_proc_units: round2(avail.proc_units),
        mem_mb: fr.memory_mb,
        avail_mem_mb: avail.mem_mb,
        firmware_mem_mb: u64::from(fr.firmware_mem_mb),
        time_cycles: run.time_cycles,
        pool,
        procpools,
        lpars,
    }
}

fn lpar_sample(
    fr: &pvmlab_common::proto::model::Frame,
    p: &Partition,
    before: Option<Counters>,
    dt: f64,
) -> LparSample {
    let prof = p
        .profile(&p.curr_profile)
        .or_else(|| p.profile(&p.default_profile))
        .cloned()
        .unwrap_or_default();
    let holds = p.holds_resources();
    let c = p.curr.clone().filter(|_| holds).unwrap_or_default();
    let sharing_mode = if c.proc_mode == "ded" && prof.sharing_mode.contains("uncap") {
        "share_idle_procs".to_string()
    } else {
        prof.sharing_mode.clone()
    };
    let used = used_units(p, &sharing_mode);
    let ent = if holds { c.units() } else { 0.0 };
    let mut k = before.unwrap_or_default();
    k.entitled += cycles(ent, dt);
    k.capped += cycles(used.min(ent), dt);
    k.uncapped += cycles((used - ent).max(0.0), dt);
    k.idle += cycles((ent - used).max(0.0), dt);
    let pool_name = fr
        .pools
        .iter()
        .find(|x| x.id == c.shared_proc_pool_id)
        .map(|x| x.name.clone())
        .unwrap_or_else(|| "DefaultPool".into());
    let mig = p
        .migration
        .as_ref()
        .filter(|m| m.source && m.state != migration_state::NOT_MIGRATING);
    let stats = mig.and_then(|m| m.stats.as_ref());
    let mig_bytes = stats.map_or(0, |s| s.bytes_transmitted);
    let running = matches!(
        p.state.as_str(),
        lpar_state::RUNNING | lpar_state::MIGRATING_RUNNING
    );
    LparSample {
        id: p.id,
        name: p.name.clone(),
        vios: p.is_vios(),
        state: p.state.clone(),
        proc_mode: if holds {
            c.proc_mode.clone()
        } else {
            prof.proc_mode.clone()
        },
        proc_units: if holds { ent } else { 0.0 },
        procs: if holds { c.procs } else { 0 },
        sharing_mode,
        uncap_weight: prof.uncap_weight,
        pool_id: c.shared_proc_pool_id,
        pool_name,
        mem_mode: if prof.mem_mode.is_empty() {
            "ded".into()
        } else {
            prof.mem_mode.clone()
        },
        mem_mb: c.mem_mb,
        used_units: used,
        used_mem_mb: used_mem(p),
        write_mb_s: if running {
            p.workload.as_ref().map_or(0.0, |w| w.rate_mb_s)
        } else {
            0.0
        },
        mig_bytes,
        mig_mb_s: stats.map_or(0.0, |s| s.throughput_mb_s),
        mig_msp_id: mig.map_or(0, |m| m.source_msp_id),
        counters: k,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::proto::model::{Frame, Profile, Resources, Workload};

    fn lpar(name: &str, units: f64, rate: f64, sharing: &str) -> Partition {
        Partition {
            id: 2,
            name: name.into(),
            lpar_env: "aixlinux".into(),
            state: "Running".into(),
            curr_profile: "normal".into(),
            profiles: vec![Profile {
                name: "normal".into(),
                sharing_mode: sharing.into(),
                uncap_weight: 128,
                ..Default::default()
            }],
            curr: Some(Resources {
                mem_mb: 4096,
                proc_mode: "shared".into(),
                proc_units: units,
                procs: 2,
                ..Default::default()
            }),
            workload: Some(Workload {
                rate_mb_s: rate,
                working_set_mb: 512,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn use_follows_the_workload_within_the_partitions_limits() {
        assert_eq!(used_units(&lpar("a", 1.0, 0.0, "cap"), "cap"), 0.05);
        assert_eq!(used_units(&lpar("a", 1.0, 45.0, "cap"), "cap"), 0.5);
        // Capped stops at its entitlement; uncapped at its virtual processors.
        assert_eq!(used_units(&lpar("a", 0.5, 500.0, "cap"), "cap"), 0.5);
        assert_eq!(used_units(&lpar("a", 0.5, 500.0, "uncap"), "uncap"), 2.0);
        let mut off = lpar("a", 1.0, 45.0, "cap");
        off.state = "Not Activated".into();
        assert_eq!(used_units(&off, "cap"), 0.0);
        assert_eq!(used_mem(&off), 0);
        assert_eq!(used_mem(&lpar("a", 1.0, 1.0, "cap")), 409 + 512);
    }

    #[test]
    fn counters_grow_by_what_was_used_between_samples() {
        let f = FrameView {
            name: "sys1".into(),
            state: "Operating".into(),
            connected: true,
            frame: Some(Frame {
                processors: 8.0,
                memory_mb: 65536,
                firmware_mem_mb: 1024,
                ..Default::default()
            }),
            partitions: vec![lpar("web01", 1.0, 45.0, "cap")],
            ..Default::default()
        };
        let mut run = Running::default();
        let first = take(&f, &mut run, 1000);
        assert_eq!(first.lpars[0].counters, Counters::default());
        assert_eq!(first.avail_mem_mb, 65536 - 1024 - 4096);
        assert_eq!(first.avail_proc_units, 7.0);
        let second = take(&f, &mut run, 1010);
        let k = second.lpars[0].counters;
        assert_eq!(k.entitled, 10 * CYCLES_PER_SECOND);
        assert_eq!(k.capped, 5 * CYCLES_PER_SECOND);
        assert_eq!(k.idle, 5 * CYCLES_PER_SECOND);
        assert_eq!(second.time_cycles, 10 * CYCLES_PER_SECOND);
        assert_eq!(second.pool.utilized_cycles, 5 * CYCLES_PER_SECOND);
        assert_eq!(second.procpools[0].name, "DefaultPool");
        assert_eq!(second.procpools[0].used_units, 0.5);
        // A partition that left is forgotten.
        let empty = FrameView {
            partitions: vec![],
            ..f
        };
        take(&empty, &mut run, 1020);
        assert!(run.lpars.is_empty());
    }
}
