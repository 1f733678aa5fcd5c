//! Utilization data: the samples the HMC takes of each frame it manages,
//! at the frame's sample rate (`chlparutil -r config -s`), and also
//! hourly, daily and monthly, as a real HMC collects them for
//! `lslparutil`; and the Performance and Capacity Monitor's own samples
//! (every 30 s while its long-term monitor is on, `/rest/api/pcm`).
//!
//! One task per HMC takes them all from the HMC's view of the frames (no
//! timer per frame or partition), and each frame's samples live in
//! bounded rings (`ring.rs`), so a lab of 10 000 partitions still fits.
//! The settings (rates, PCM preferences) survive a restart; the samples
//! are the HMC's memory.

pub mod ring;
pub mod sample;
pub mod window;

use crate::error::CmdError;
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::store::{Store, StoreError};
use ring::Ring;
use sample::{FrameSample, Running};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use window::Kind;

/// How often the PCM's long-term monitor samples.
pub const PCM_INTERVAL: u32 = 30;

const RATES: &str = "sample_rate";
const PCM: &str = "pcm_preferences";

/// The Performance and Capacity Monitor's settings for one frame, by the
/// names its preferences document gives them. All off on a new HMC, as the
/// recorded preferences show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcmPrefs {
    pub ltm: bool,
    pub stm: bool,
    pub aggregation: bool,
    pub compute_ltm: bool,
}

impl PcmPrefs {
    /// Whether the PCM collects for the frame at all.
    pub fn collecting(&self) -> bool {
        self.ltm || self.aggregation || self.compute_ltm || self.stm
    }
}

#[derive(Default)]
struct FrameRings {
    run: Running,
    rings: HashMap<Kind, Ring>,
    last: HashMap<Kind, i64>,
    pcm: Ring,
    pcm_last: Option<i64>,
    /// A sample is owed at once (the rate or the PCM was just set).
    force: bool,
    pcm_force: bool,
}

#[derive(Default)]
struct Inner {
    rates: HashMap<String, u32>,
    pcm: HashMap<String, PcmPrefs>,
    frames: HashMap<String, FrameRings>,
}

/// This HMC's utilization data and its settings.
#[derive(Default)]
pub struct Util {
    store: Option<Store>,
    inner: Mutex<Inner>,
    changed: tokio::sync::Notify,
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn stored(e: StoreError) -> CmdError {
    CmdError::Usage(format!("The setting could not be saved: {e}"))
}

impl Util {
    /// The settings kept in `path` (made if missing).
    pub fn open(path: &Path) -> Result<Util, StoreError> {
        let store = Store::open(path)?;
        let inner = Inner {
            rates: store.list::<u32>(RATES)?.into_iter().collect(),
            pcm: store.list::<PcmPrefs>(PCM)?.into_iter().collect(),
            frames: HashMap::new(),
        };
        Ok(Util {
            store: Some(store),
            inner: Mutex::new(inner),
            changed: tokio::sync::Notify::new(),
        })
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sample rate of `frame` (its node name), in seconds.
    pub fn rate(&self, frame: &str) -> u32 {
        self.inner()
            .rates
            .get(frame)
            .copied()
            .unwrap_or(window::DEFAULT_RATE)
    }

    /// Sets the sample rate of `frames`; the first sample at the new rate
    /// is taken at once. Saved before it takes effect: a setting that
    /// cannot be saved changes nothing.
    pub fn set_rate(&self, frames: &[String], rate: u32) -> Result<(), CmdError> {
        if let Some(s) = &self.store {
            s.apply(
                frames
                    .iter()
                    .map(|f| pvmlab_common::store::Write::put(RATES, f.clone(), &rate))
                    .collect(),
            )
            .map_err(stored)?;
        }
        let mut i = self.inner();
        for f in frames {
            i.rates.insert(f.clone(), rate);
            let r = i.frames.entry(f.clone()).or_default();
            r.force = rate > 0;
            r.last.remove(&Kind::Rate);
        }
        drop(i);
        self.changed.notify_one();
        Ok(())
    }

    pub fn pcm(&self, frame: &str) -> PcmPrefs {
        self.inner().pcm.get(frame).copied().unwrap_or_default()
    }

    /// Sets the PCM's preferences of `frame`; a monitor just turned on
    /// takes its first sample at once.
    pub fn set_pcm(&self, frame: &str, prefs: PcmPrefs) -> Result<(), CmdError> {
        if let Some(s) = &self.store {
            s.put(PCM, frame, &prefs).map_err(stored)?;
        }
        let mut i = self.inner();
        let was = i.pcm.insert(frame.to_string(), prefs).unwrap_or_default();
        if prefs.collecting() && !was.collecting() {
            i.frames.entry(frame.to_string()).or_default().pcm_force = true;
        }
        drop(i);
        self.changed.notify_one();
        Ok(())
    }

    /// The samples of `kind` of `frame` taken in `[start, end]`, newest first.
    pub fn samples(&self, frame: &str, kind: Kind, start: i64, end: i64) -> Vec<Arc<FrameSample>> {
        self.inner()
            .frames
            .get(frame)
            .and_then(|r| r.rings.get(&kind))
            .map(|r| r.between(start, end))
            .unwrap_or_default()
    }

    /// The PCM's samples of `frame` in `[start, end]`, newest first.
    pub fn pcm_samples(&self, frame: &str, start: i64, end: i64) -> Vec<Arc<FrameSample>> {
        self.inner()
            .frames
            .get(frame)
            .map(|r| r.pcm.between(start, end))
            .unwrap_or_default()
    }

    /// Takes what is due of every connected frame at `now`; returns when
    /// the next sample may be due.
    fn sample(&self, frames: &[std::sync::Arc<FrameView>], now: i64) -> i64 {
        let partitions: usize = frames.iter().map(|f| f.partitions.len()).sum();
        let cap = ring::capacity(partitions);
        let mut i = self.inner();
        let mut next = now + 5;
        for f in frames.iter().filter(|f| f.connected && f.frame.is_some()) {
            let rate = i
                .rates
                .get(&f.name)
                .copied()
                .unwrap_or(window::DEFAULT_RATE);
            let pcm = i.pcm.get(&f.name).copied().unwrap_or_default();
            let r = i.frames.entry(f.name.clone()).or_default();
            let mut due = Vec::new();
            for k in Kind::ALL {
                let Some(p) = k.period(now, rate) else {
                    continue;
                };
                match r.last.get(&k) {
                    // The first sample at a rate comes at once; the first
                    // hourly one at the top of the next hour.
                    None if k == Kind::Rate => due.push(k),
                    None if r.run.last.is_none() => {
                        r.last.insert(k, p);
                    }
                    None => due.push(k),
                    Some(l) if *l != p => due.push(k),
                    Some(_) if k == Kind::Rate && r.force => due.push(k),
                    _ => {}
                }
                r.last.entry(k).or_insert(p);
                if k == Kind::Rate {
                    next = next.min((p + 1) * i64::from(rate));
                }
            }
            let pcm_p = now.div_euclid(i64::from(PCM_INTERVAL));
            let pcm_due = pcm.collecting() && (r.pcm_force || r.pcm_last != Some(pcm_p));
            if pcm.collecting() {
                next = next.min((pcm_p + 1) * i64::from(PCM_INTERVAL));
            }
            if due.is_empty() && !pcm_due {
                continue;
            }
            let s = Arc::new(sample::take(f, &mut r.run, now));
            for k in due {
                if let Some(p) = k.period(now, rate) {
                    r.last.insert(k, p);
                }
                r.rings.entry(k).or_default().push(s.clone(), cap);
            }
            if pcm_due {
                r.pcm_last = Some(pcm_p);
                r.pcm.push(s, cap);
            }
            r.force = false;
            r.pcm_force = false;
        }
        // The lab grew: older samples make room.
        for r in i.frames.values_mut() {
            r.rings.values_mut().for_each(|x| x.trim(cap));
            r.pcm.trim(cap);
        }
        next.max(now + 1)
    }
}

/// The sampler: one task for the whole HMC. It wakes when a sample is
/// due (or a setting changed, or every few seconds to see new frames).
pub async fn run(hmc: Arc<crate::hmc::Hmc>) {
    loop {
        let next = hmc.util.sample(&hmc.view.frames(), now_secs());
        let wait = Duration::from_secs((next - now_secs()).clamp(0, 5) as u64)
            .max(Duration::from_millis(200));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = hmc.util.changed.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::proto::model::Frame;

    fn frame(connected: bool) -> Vec<Arc<FrameView>> {
        vec![Arc::new(FrameView {
            name: "sys1".into(),
            state: "Operating".into(),
            connected,
            frame: Some(Frame {
                processors: 4.0,
                memory_mb: 8192,
                ..Default::default()
            }),
            ..Default::default()
        })]
    }

    #[test]
    fn samples_come_at_the_rate_and_when_it_changes() {
        let u = Util::default();
        // Not connected: nothing to sample.
        u.sample(&frame(false), 1000);
        assert!(u.samples("sys1", Kind::Rate, 0, i64::MAX).is_empty());
        let v = frame(true);
        let t0 = 3600 * 1000 + 10;
        u.sample(&v, t0);
        assert_eq!(u.samples("sys1", Kind::Rate, 0, i64::MAX).len(), 1);
        // Nothing new within the period; one more at its turn.
        u.sample(&v, t0 + 100);
        assert_eq!(u.samples("sys1", Kind::Rate, 0, i64::MAX).len(), 1);
        u.sample(&v, t0 + 300);
        assert_eq!(u.samples("sys1", Kind::Rate, 0, i64::MAX).len(), 2);
        // A new rate samples at once.
        u.set_rate(&["sys1".into()], 30).unwrap();
        assert_eq!(u.rate("sys1"), 30);
        u.sample(&v, t0 + 301);
        assert_eq!(u.samples("sys1", Kind::Rate, 0, i64::MAX).len(), 3);
        // No hourly sample before the hour turns.
        assert!(u.samples("sys1", Kind::Hourly, 0, i64::MAX).is_empty());
        u.sample(&v, 3600 * 1001 + 1);
        assert_eq!(u.samples("sys1", Kind::Hourly, 0, i64::MAX).len(), 1);
        // Rate 0 stops sampling at the rate.
        u.set_rate(&["sys1".into()], 0).unwrap();
        let n = u.samples("sys1", Kind::Rate, 0, i64::MAX).len();
        u.sample(&v, 3600 * 1002 + 5);
        assert_eq!(u.samples("sys1", Kind::Rate, 0, i64::MAX).len(), n);
        // The PCM samples only once its monitor is on.
        assert!(u.pcm_samples("sys1", 0, i64::MAX).is_empty());
        u.set_pcm(
            "sys1",
            PcmPrefs {
                ltm: true,
                ..Default::default()
            },
        )
        .unwrap();
        u.sample(&v, 3600 * 1002 + 6);
        assert_eq!(u.pcm_samples("sys1", 0, i64::MAX).len(), 1);
    }

    #[test]
    fn settings_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("util.redb");
        {
            let u = Util::open(&path).unwrap();
            assert_eq!(u.rate("sys1"), window::DEFAULT_RATE);
            u.set_rate(&["sys1".into()], 3600).unwrap();
            u.set_pcm(
                "sys2",
                PcmPrefs {
                    aggregation: true,
                    ..Default::default()
                },
            )
            .unwrap();
        }
        let u = Util::open(&path).unwrap();
        assert_eq!(u.rate("sys1"), 3600);
        assert_eq!(u.rate("sys2"), window::DEFAULT_RATE);
        assert!(u.pcm("sys2").aggregation && !u.pcm("sys2").ltm);
        assert!(!u.pcm("sys1").collecting());
    }
}
