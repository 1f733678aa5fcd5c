//! What runs inside a client partition: a workload that dirties its memory
//! at a set rate over a working set, and a heartbeat that ticks every
//! millisecond, so that any stall (a migration's suspend) is measured from
//! inside, as an application would see it.

use crate::memory::{Memory, PAGE};
use pvmlab_common::model::Workload;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
#[cfg(test)]
use std::time::Duration;
use std::time::Instant;

#[derive(Default)]
pub struct Stats {
    pub ticks: AtomicU64,
    pub max_gap_us: AtomicU64,
    pub pages_written: AtomicU64,
}

/// A running partition's memory and what runs inside it. The hypervisor's
/// one ticker steps every running partition each millisecond (one wake-up
/// per frame, not one per partition, so a frame of 100 partitions stays
/// cheap); the memory goes with the last reference.
pub struct Running {
    pub memory: Arc<Mutex<Memory>>,
    spec: Mutex<Workload>,
    pub stats: Stats,
    step: Mutex<StepState>,
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
            }),
        }
    }

    pub fn set(&self, w: Workload) {
        *self.spec.lock().unwrap_or_else(|e| e.into_inner()) = w;
    }

    /// One millisecond of the partition's life: a heartbeat tick, and the
    /// pages the workload's rate owes by now.
    pub fn step(&self, now: Instant) {
        let mut st = self.step.lock().unwrap_or_else(|e| e.into_inner());
        let n = self.stats.ticks.fetch_add(1, Ordering::Relaxed);
        if let Some(last) = st.last {
            self.stats.max_gap_us.fetch_max(
                now.duration_since(last).as_micros() as u64,
                Ordering::Relaxed,
            );
        }
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
            m.write(page, ((n as usize) * 8) % PAGE, &n.to_le_bytes());
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
                rate_mb_s: 20.0,
                working_set_mb: 0,
                pattern: "uniform".into()
            })
            .is_ok()
        );
    }
}
