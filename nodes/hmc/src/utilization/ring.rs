//! Where samples are kept: a bounded ring per frame and kind of sample, so
//! that memory stays bounded however long the HMC runs and however many
//! partitions the lab has (the ring's length shrinks as the lab grows).

use super::sample::FrameSample;
use std::collections::VecDeque;
use std::sync::Arc;

/// Partition samples the HMC keeps in all, over every frame: about 100 MB
/// at the most, whatever the lab's size.
pub const LPAR_SAMPLE_BUDGET: usize = 400_000;
/// The fewest and the most samples a ring keeps.
pub const MIN_SAMPLES: usize = 8;
pub const MAX_SAMPLES: usize = 1440;

/// How many samples each ring keeps when the HMC's frames hold
/// `partitions` partitions in all (the same for every frame and kind, so
/// that their histories reach back equally far).
pub fn capacity(partitions: usize) -> usize {
    // Four kinds of ring (rate, hourly, daily, monthly) and the PCM's own.
    (LPAR_SAMPLE_BUDGET / 5 / partitions.max(1)).clamp(MIN_SAMPLES, MAX_SAMPLES)
}

/// The newest `cap` samples, oldest first. Samples are shared between the
/// rings they belong to (an hourly sample that is also the rate's).
#[derive(Debug, Default, Clone)]
pub struct Ring {
    items: VecDeque<Arc<FrameSample>>,
}

impl Ring {
    pub fn push(&mut self, s: Arc<FrameSample>, cap: usize) {
        self.items.push_back(s);
        self.trim(cap);
    }

    /// Drops the oldest beyond `cap` (the cap shrinks when the lab grows).
    pub fn trim(&mut self, cap: usize) {
        while self.items.len() > cap.max(1) {
            self.items.pop_front();
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The samples taken in `[start, end]`, newest first.
    pub fn between(&self, start: i64, end: i64) -> Vec<Arc<FrameSample>> {
        self.items
            .iter()
            .rev()
            .filter(|s| s.time >= start && s.time <= end)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: i64) -> Arc<FrameSample> {
        Arc::new(FrameSample {
            time: t,
            state: String::new(),
            proc_units: 0.0,
            avail_proc_units: 0.0,
            mem_mb: 0,
            avail_mem_mb: 0,
            firmware_mem_mb: 0,
            time_cycles: 0,
            pool: Default::default(),
            procpools: vec![],
            lpars: vec![],
        })
    }

    #[test]
    fn a_ring_keeps_only_its_newest() {
        let mut r = Ring::default();
        for t in 0..20 {
            r.push(at(t), 5);
        }
        assert_eq!(r.len(), 5);
        let times: Vec<i64> = r.between(0, 100).iter().map(|s| s.time).collect();
        assert_eq!(times, vec![19, 18, 17, 16, 15]);
        assert_eq!(r.between(16, 17).len(), 2);
        r.trim(2);
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn rings_shrink_as_the_lab_grows_and_stay_within_bounds() {
        assert_eq!(capacity(0), MAX_SAMPLES);
        assert_eq!(capacity(20), MAX_SAMPLES);
        assert_eq!(capacity(10_000), 8);
        assert_eq!(capacity(1_000_000), MIN_SAMPLES);
        // Whatever the size, the partition samples kept stay in the budget
        // (beyond the smallest rings' floor).
        for n in [50, 500, 5_000, 40_000] {
            assert!(n * capacity(n) * 5 <= LPAR_SAMPLE_BUDGET.max(n * MIN_SAMPLES * 5));
        }
    }
}
