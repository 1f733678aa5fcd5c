//! What runs inside a client partition: a workload that dirties its memory
//! at a set rate over a working set, and a heartbeat that ticks every
//! millisecond, so that any stall (a migration's suspend) is measured from
//! inside, as an application would see it.
//!
//! Only partitions with something to do are stepped by the frame's clock:
//! one whose workload writes, or whose first tick (the one that measures a
//! migration's downtime) is still to come. An idle partition is not woken
//! at all; its heartbeat is counted from the time that passed, a tick a
//! millisecond as if it had been stepped, so an idle lab costs nothing.

use crate::memory::{Memory, PAGE};
use pvmlab_common::model::{MAX_SCRIPT_MS, Workload};
use pvmlab_common::proto::mover::PartitionState;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
#[cfg(test)]
use std::time::Duration;
use std::time::Instant;

#[derive(Default)]
pub struct Stats {
    pub ticks: AtomicU64,
    pub max_gap_us: AtomicU64,
    pub pages_written: AtomicU64,
    /// The heartbeat's gap across a migration (0 until the first tick
    /// after resume), seen from inside the partition.
    pub downtime_us: AtomicU64,
    pub demand_faults: AtomicU64,
    /// Told when `downtime_us` becomes known.
    downtime_known: tokio::sync::Notify,
}

fn wall_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default()
}

/// A running partition's memory and what runs inside it. The hypervisor's
/// one clock steps each partition that `wants_clock` every millisecond (one
/// wake-up per frame, not one per partition, and none when no partition
/// wants it); the memory goes with the last reference.
pub struct Running {
    pub memory: Arc<Mutex<Memory>>,
    spec: Mutex<Workload>,
    pub stats: Stats,
    step: Mutex<StepState>,
    /// Suspended for a migration: no tick, no write.
    suspended: AtomicBool,
    /// When the heartbeat last ticked, wall clock, so the gap across a
    /// migration can be measured in another process.
    last_tick_unix_us: AtomicU64,
    /// Added to the wall clock for the partition's time of day, so that
    /// it never goes backwards when the partition moves.
    tod_offset_us: AtomicU64,
    /// Where faults on pages still on the source are reported.
    demand: Mutex<Option<tokio::sync::mpsc::UnboundedSender<u64>>>,
    /// Its disks, paths and error log as its operating system sees them.
    pub os: crate::clientio::ClientOs,
    /// Told when the workload changes, the partition resumes, or it is
    /// gone: what idle I/O loops wait on instead of looking now and then.
    pub changed: Arc<tokio::sync::Notify>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.changed.notify_waiters();
    }
}

struct StepState {
    rng: Rng,
    last: Option<Instant>,
    // Pages owed by the rate since the rate last changed, so jitter in the
    // ticks does not change the rate.
    since: Instant,
    done: u64,
    rate: f64,
    cursor: u64,
    /// Stepped by the clock since `last`; if not, the time since `last`
    /// counts as regular ticks.
    clocked: bool,
}

impl Running {
    pub fn new(mem_mb: u64, spec: Workload, seed: u64) -> Running {
        Running {
            memory: Arc::new(Mutex::new(Memory::new(mem_mb))),
            spec: Mutex::new(spec),
            stats: Stats::default(),
            step: Mutex::new(StepState {
                rng: Rng(seed | 1),
                last: None,
                since: Instant::now(),
                done: 0,
                rate: -1.0,
                cursor: 0,
                clocked: false,
            }),
            suspended: AtomicBool::new(false),
            last_tick_unix_us: AtomicU64::new(0),
            tod_offset_us: AtomicU64::new(0),
            demand: Mutex::new(None),
            os: Default::default(),
            changed: Default::default(),
        }
    }

    /// The workload as it is set now.
    pub fn spec(&self) -> Workload {
        self.spec.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stopped for the end of a migration.
    pub fn is_suspended(&self) -> bool {
        self.suspended.load(Ordering::SeqCst)
    }

    /// The partition resumes here after a migration: its memory (pages
    /// still missing arrive later, faults go to `demand`), its processor
    /// state, heartbeat and time of day as they were at suspend.
    pub fn resumed(
        memory: Arc<Mutex<Memory>>,
        spec: Workload,
        state: &PartitionState,
        demand: tokio::sync::mpsc::UnboundedSender<u64>,
    ) -> Running {
        let mut r = Running::new(0, spec, state.rng);
        r.memory = memory;
        r.stats
            .ticks
            .store(state.heartbeat_ticks, Ordering::Relaxed);
        r.stats
            .max_gap_us
            .store(state.max_gap_us, Ordering::Relaxed);
        r.stats
            .pages_written
            .store(state.pages_written, Ordering::Relaxed);
        r.last_tick_unix_us
            .store(state.last_tick_unix_us, Ordering::Relaxed);
        r.tod_offset_us.store(
            state.tod_unix_us.saturating_sub(wall_us()),
            Ordering::Relaxed,
        );
        {
            let mut st = r.step.lock().unwrap_or_else(|e| e.into_inner());
            st.rng = Rng(state.rng | 1);
            st.cursor = state.cursor;
        }
        *r.demand.lock().unwrap_or_else(|e| e.into_inner()) = Some(demand);
        r
    }

    /// The downtime across the migration, once the first tick after resume
    /// has measured it; 0 if no tick comes `within` (the source never
    /// ticked, say).
    pub async fn downtime_us(&self, within: std::time::Duration) -> u64 {
        let known = self.stats.downtime_known.notified();
        tokio::pin!(known);
        // Registered before the look, so a tick between the two is not missed.
        known.as_mut().enable();
        if self.stats.downtime_us.load(Ordering::Relaxed) == 0 {
            let _ = tokio::time::timeout(within, known).await;
        }
        self.stats.downtime_us.load(Ordering::Relaxed)
    }

    /// The partition's time of day.
    pub fn tod_unix_us(&self) -> u64 {
        wall_us() + self.tod_offset_us.load(Ordering::Relaxed)
    }

    /// Whether the frame's clock must step this partition: it runs, and
    /// its workload writes or its first tick is still to come.
    pub fn wants_clock(&self) -> bool {
        if self.is_suspended() {
            return false;
        }
        let mut st = self.step.lock().unwrap_or_else(|e| e.into_inner());
        let rate = self
            .spec
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rate_mb_s;
        let wants = st.last.is_none() || rate > 0.0;
        if !wants {
            st.clocked = false;
        }
        wants
    }

    /// Counts the ticks of the time the clock left this partition alone.
    fn catch_up(&self, st: &mut StepState, now: Instant) {
        if st.clocked {
            return;
        }
        if let Some(last) = st.last {
            let ms = now.saturating_duration_since(last).as_millis() as u64;
            self.stats.ticks.fetch_add(ms, Ordering::Relaxed);
            self.last_tick_unix_us.store(wall_us(), Ordering::Relaxed);
            st.last = Some(now);
        }
    }

    /// The heartbeat's ticks so far.
    pub fn heartbeat_ticks(&self) -> u64 {
        let st = self.step.lock().unwrap_or_else(|e| e.into_inner());
        let t = self.stats.ticks.load(Ordering::Relaxed);
        if st.clocked || self.is_suspended() {
            return t;
        }
        t + st.last.map_or(0, |l| l.elapsed().as_millis() as u64)
    }

    /// Stops the partition's processors for the end of a migration and
    /// returns what moves with it besides memory.
    pub fn suspend(&self) -> PartitionState {
        self.suspended.store(true, Ordering::SeqCst);
        // Wait out a step in progress: after this lock no write happens.
        let mut st = self.step.lock().unwrap_or_else(|e| e.into_inner());
        self.catch_up(&mut st, Instant::now());
        PartitionState {
            heartbeat_ticks: self.stats.ticks.load(Ordering::Relaxed),
            last_tick_unix_us: self.last_tick_unix_us.load(Ordering::Relaxed),
            tod_unix_us: self.tod_unix_us(),
            pages_written: self.stats.pages_written.load(Ordering::Relaxed),
            max_gap_us: self.stats.max_gap_us.load(Ordering::Relaxed),
            rng: st.rng.0,
            cursor: st.cursor,
            nvram: Vec::new(),
        }
    }

    /// The migration was rolled back: the partition runs on here. Left to
    /// itself, it resumes counting from now, and the stall is its longest
    /// gap if it is.
    pub fn unsuspend(&self) {
        let mut st = self.step.lock().unwrap_or_else(|e| e.into_inner());
        if !st.clocked {
            let now = Instant::now();
            if let Some(last) = st.last {
                let gap = now.saturating_duration_since(last).as_micros() as u64;
                self.stats.max_gap_us.fetch_max(gap, Ordering::Relaxed);
                st.last = Some(now);
            }
        }
        self.suspended.store(false, Ordering::SeqCst);
        drop(st);
        self.changed.notify_waiters();
    }

    pub fn set(&self, w: Workload) {
        *self.spec.lock().unwrap_or_else(|e| e.into_inner()) = w;
        self.changed.notify_waiters();
    }

    /// One millisecond of the partition's life: a heartbeat tick, and the
    /// pages the workload's rate owes by now.
    pub fn step(&self, now: Instant) {
        if self.suspended.load(Ordering::SeqCst) {
            return;
        }
        let mut st = self.step.lock().unwrap_or_else(|e| e.into_inner());
        if self.suspended.load(Ordering::SeqCst) {
            return;
        }
        self.catch_up(&mut st, now);
        st.clocked = true;
        let n = self.stats.ticks.fetch_add(1, Ordering::Relaxed);
        let wall = wall_us();
        match st.last {
            Some(last) => {
                self.stats.max_gap_us.fetch_max(
                    now.duration_since(last).as_micros() as u64,
                    Ordering::Relaxed,
                );
            }
            // The first tick here after a migration: the gap since the
            // last tick on the source is the downtime as seen from inside.
            None => {
                let before = self.last_tick_unix_us.load(Ordering::Relaxed);
                if before != 0 {
                    let gap = wall.saturating_sub(before);
                    self.stats.downtime_us.store(gap.max(1), Ordering::Relaxed);
                    self.stats.downtime_known.notify_waiters();
                    self.stats.max_gap_us.fetch_max(gap, Ordering::Relaxed);
                }
            }
        }
        self.last_tick_unix_us.store(wall, Ordering::Relaxed);
        st.last = Some(now);
        let w = self.spec.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if w.rate_mb_s != st.rate {
            (st.since, st.done, st.rate) = (now, 0, w.rate_mb_s);
        }
        let due = (now.duration_since(st.since).as_secs_f64() * st.rate * 1024.0 * 1024.0
            / PAGE as f64) as u64;
        if due <= st.done {
            return;
        }
        let mut m = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        let npages = m.npages().max(1);
        let set = if w.working_set_mb == 0 {
            npages
        } else {
            (w.working_set_mb * 256).clamp(1, npages)
        };
        for _ in st.done..due {
            let page = match w.pattern.as_str() {
                "sequential" => {
                    st.cursor = (st.cursor + 1) % set;
                    st.cursor
                }
                // 90 % of writes land in the hottest tenth of the set.
                "hotspot" => {
                    let r = st.rng.next();
                    if r % 10 != 0 {
                        (r >> 8) % (set / 10).max(1)
                    } else {
                        (r >> 8) % set
                    }
                }
                _ => st.rng.next() % set,
            };
            if m.write(page, ((n as usize) * 8) % PAGE, &n.to_le_bytes()) {
                self.stats.demand_faults.fetch_add(1, Ordering::Relaxed);
                if let Some(d) = self
                    .demand
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .as_ref()
                {
                    let _ = d.send(page);
                }
            }
        }
        self.stats
            .pages_written
            .fetch_add(due - st.done, Ordering::Relaxed);
        st.done = due;
    }
}

pub const PATTERNS: &[&str] = &["uniform", "hotspot", "sequential"];

/// Checks a workload as a user gave it.
pub fn check(w: &Workload) -> Result<(), String> {
    if !(0.0..=10_000.0).contains(&w.rate_mb_s) {
        return Err(format!("rate {} MB/s is outside 0-10000", w.rate_mb_s));
    }
    if !w.pattern.is_empty() && !PATTERNS.contains(&w.pattern.as_str()) {
        return Err(format!(
            "pattern {:?} is not one of {}",
            w.pattern,
            PATTERNS.join(", ")
        ));
    }
    if !["", "check", "prepare"].contains(&w.refuse_migration.as_str()) {
        return Err(format!(
            "refuse_migration {:?} is not check, prepare or empty",
            w.refuse_migration
        ));
    }
    for (what, n) in [
        ("disk_iops", w.disk_iops),
        ("packets_per_s", w.packets_per_s),
    ] {
        if !(0.0..=10_000.0).contains(&n) {
            return Err(format!("{what} {n} is outside 0-10000"));
        }
    }
    if w.script_ms > MAX_SCRIPT_MS {
        return Err(format!(
            "script_ms {} is over a day (at most {MAX_SCRIPT_MS})",
            w.script_ms
        ));
    }
    Ok(())
}

/// xorshift64*: page choices need speed and repeatability, not secrecy.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workload_dirties_its_working_set_at_its_rate() {
        let w = Workload {
            rate_mb_s: 40.0,
            working_set_mb: 64,
            pattern: "hotspot".into(),
            refuse_migration: String::new(),
            script_ms: 0,
            ..Default::default()
        };
        let r = Running::new(1024, w, 7);
        let t0 = Instant::now();
        for i in 1..=300u64 {
            r.step(t0 + Duration::from_millis(i));
        }
        let written = r.stats.pages_written.load(Ordering::Relaxed);
        // 40 MB/s is 10240 pages/s: about 3000 in 300 ms.
        assert!((1500..=4500).contains(&written), "{written} pages");
        let m = r.memory.lock().unwrap();
        assert!(
            m.resident_pages() as u64 <= 64 * 256,
            "stays in its working set"
        );
        assert!(m.dirty_count() > 0);
        assert_eq!(
            r.stats.ticks.load(Ordering::Relaxed),
            300,
            "a heartbeat tick per step"
        );
        assert_eq!(r.stats.max_gap_us.load(Ordering::Relaxed), 1000);
    }

    #[test]
    fn bad_workloads_are_refused() {
        assert!(
            check(&Workload {
                rate_mb_s: -1.0,
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            check(&Workload {
                pattern: "zigzag".into(),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            check(&Workload {
                script_ms: MAX_SCRIPT_MS + 1,
                ..Default::default()
            })
            .is_err(),
            "scripts longer than migrlpar -w allows"
        );
        assert!(
            check(&Workload {
                rate_mb_s: 20.0,
                working_set_mb: 0,
                pattern: "uniform".into(),
                refuse_migration: String::new(),
                script_ms: 0,
                ..Default::default()
            })
            .is_ok()
        );
    }

    #[tokio::test]
    async fn the_downtime_is_there_at_the_first_tick_after_resume() {
        let (demand, _rx) = tokio::sync::mpsc::unbounded_channel();
        let state = PartitionState {
            last_tick_unix_us: wall_us() - 5_000,
            ..Default::default()
        };
        let memory = Arc::new(Mutex::new(Memory::new(1)));
        let r = Arc::new(Running::resumed(
            memory,
            Workload::default(),
            &state,
            demand,
        ));
        let r2 = r.clone();
        let waiting = tokio::spawn(async move { r2.downtime_us(Duration::from_secs(30)).await });
        tokio::task::yield_now().await;
        r.step(Instant::now());
        let t = Instant::now();
        let downtime = waiting.await.unwrap();
        assert!(downtime >= 5_000, "measured from the source's last tick");
        assert!(t.elapsed() < Duration::from_secs(5), "woken by the tick");
        assert_eq!(
            r.downtime_us(Duration::from_secs(30)).await,
            downtime,
            "known at once"
        );
    }

    #[tokio::test]
    async fn no_downtime_without_a_tick_on_the_source() {
        let r = Running::new(1, Workload::default(), 1);
        r.step(Instant::now());
        assert_eq!(r.downtime_us(Duration::from_millis(10)).await, 0);
    }
}
