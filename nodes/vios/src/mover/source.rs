//! One active migration on the source MSP, as its phases: open the
//! partition's VASI stream, connect to the destination MSP, pre-copy
//! passes while the partition runs (until `policy` says suspend), flush,
//! suspend, the pages that go before the resume, the resume, the rest
//! (demand requests first), and the images' digests. A failure before the
//! resume was sent rolls the partition back; after it, only the HMC's
//! recovery can tell which side has the partition.

use super::link::{DestLink, Lost};
use super::policy::{self, Decision, Limits, PassEnd};
use super::vasi::SourceVasi;
use super::{Fail, MoverService, PAGE};
use crate::errlog;
use pvmlab_common::model::MigrationStats;
use pvmlab_common::proto::mover::*;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;
use tonic::Status;

/// Pages per message in the pre-copy passes, while the partition runs:
/// 1 MiB, fewer messages and wake-ups per byte (the pipe is flushed before
/// the suspend, so they cost no downtime).
const PASS_BATCH: usize = 256;
/// Pages per message after the suspend: 256 KiB, small enough that a
/// demand request never waits long behind one.
const BATCH: usize = 64;
/// How often a long pass reports its progress, for the HMC's view.
const PROGRESS: Duration = Duration::from_millis(250);

type Events = mpsc::Sender<Result<MigrateEvent, Status>>;

/// Runs one migration and tells the HMC how it goes; a failure ends the
/// HMC's stream with an aborted status.
pub(super) async fn run(me: MoverService, r: MigrateRequest, events: Events) {
    let mut run = SourceRun::new(me, events);
    let mut vasi = None;
    if let Err(f) = run.go(&r, &mut vasi).await {
        run.abort(&f, vasi.as_mut()).await;
        let _ = run.events.send(Err(Status::aborted(f.msg))).await;
    }
}

struct SourceRun {
    me: MoverService,
    events: Events,
    start: Instant,
    stats: MigrationStats,
    suspended: bool,
    resume_sent: bool,
}

/// The figures derived from the counts, `elapsed` into the migration.
fn settle(stats: &mut MigrationStats, elapsed: Duration) {
    stats.total_ms = elapsed.as_millis() as u64;
    stats.throughput_mb_s = policy::rate(stats.bytes_transmitted, elapsed) / 1e6;
    let done = stats.bytes_transmitted as f64;
    let total = done + stats.bytes_remaining as f64;
    stats.progress = if total > 0.0 {
        (done / total * 100.0) as u32
    } else {
        100
    };
}

/// Counts what is sent in `p`.
fn count(stats: &mut MigrationStats, p: &Pages) {
    for page in &p.pages {
        stats.pages_sent += 1;
        if page.data.is_empty() {
            stats.zero_pages += 1;
        }
        stats.bytes_transmitted += page.data.len() as u64;
        pvmlab_common::metrics::metrics()
            .bytes_moved
            .inc_by(page.data.len() as u64);
    }
}

impl SourceRun {
    fn new(me: MoverService, events: Events) -> SourceRun {
        SourceRun {
            me,
            events,
            start: Instant::now(),
            stats: MigrationStats::default(),
            suspended: false,
            resume_sent: false,
        }
    }

    /// The phases in order; `vasi` holds the hypervisor's stream once it
    /// is open, for the roll-back.
    async fn go(&mut self, r: &MigrateRequest, vasi: &mut Option<SourceVasi>) -> Result<(), Fail> {
        let (src, opened) = SourceVasi::open(&self.me.fsp, r).await?;
        let src = vasi.insert(src);
        self.stats.memory_mb = opened.npages * PAGE / (1024 * 1024);
        self.stats.resident_pages = opened.resident_pages;
        self.stats.bytes_remaining = opened.resident_pages * PAGE;
        let mut dest = DestLink::connect(&self.me.id, r).await?;
        let limits = Limits::of(r);
        self.precopy(src, &mut dest, &limits).await?;
        // Every pre-copy page is in the shell before the partition stops:
        // pages still on their way would hold the resume back, and that
        // wait is downtime.
        dest.send(to_dest::Kind::Flush(Flush {})).await?;
        dest.flushed().await?;
        let suspended = self.suspend(src).await?;
        let remaining = suspended.remaining;
        let next = self
            .resume(src, &dest, &limits, suspended.state, &remaining)
            .await?;
        let (digest, finished) = self.rest(src, &mut dest, &remaining, next).await?;
        self.complete(src, digest, finished).await;
        Ok(())
    }

    fn event(&mut self, phase: Phase) -> MigrateEvent {
        settle(&mut self.stats, self.start.elapsed());
        MigrateEvent {
            phase: phase as i32,
            stats: Some(self.stats.clone()),
        }
    }

    /// Tells the HMC; it closing the stream is its way to stop the copy.
    async fn report(&mut self, phase: Phase) -> Result<(), Fail> {
        let ev = self.event(phase);
        self.events
            .send(Ok(ev))
            .await
            .map_err(|_| Fail::other("the HMC stopped the migration"))
    }

    /// Reads `pages` and sends them to the destination.
    async fn send(
        &mut self,
        src: &mut SourceVasi,
        dest: &DestLink,
        pages: &[u64],
    ) -> Result<(), Fail> {
        let p = src.read(pages).await?;
        count(&mut self.stats, &p);
        dest.send(to_dest::Kind::Pages(p)).await
    }

    /// Passes while the partition runs, each sending what it dirtied
    /// since the one before, until the policy says suspend.
    async fn precopy(
        &mut self,
        src: &mut SourceVasi,
        dest: &mut DestLink,
        limits: &Limits,
    ) -> Result<(), Fail> {
        let mut passes: Vec<PassEnd> = Vec::new();
        let mut last_event = Instant::now();
        loop {
            let t0 = Instant::now();
            let dirty = src.take_dirty().await?;
            for chunk in dirty.chunks(PASS_BATCH) {
                self.send(src, dest, chunk).await?;
                self.stats.bytes_remaining = self
                    .stats
                    .bytes_remaining
                    .saturating_sub(chunk.len() as u64 * PAGE);
                dest.check()?;
                if last_event.elapsed() >= PROGRESS {
                    last_event = Instant::now();
                    self.report(Phase::Copy).await?;
                }
            }
            if !self.me.running() {
                return Err(Fail::other("the mover service partition was shut down"));
            }
            let now_dirty = src.dirty_count().await?;
            let secs = t0.elapsed().as_secs_f64().max(1e-6);
            self.stats.passes = passes.len() as u32 + 1;
            self.stats.dirty_rate_pages_s = now_dirty as f64 / secs;
            self.stats.bytes_remaining = now_dirty * PAGE;
            self.report(Phase::Copy).await?;
            passes.push(PassEnd {
                dirty: now_dirty,
                sent_bytes: self.stats.bytes_transmitted,
                elapsed: self.start.elapsed(),
            });
            if let Decision::Suspend(why) = policy::next(limits, &passes) {
                tracing::debug!(?why, passes = passes.len(), "pre-copy ends");
                break;
            }
        }
        // A stop that came during the last pass is still a stop.
        if self.events.is_closed() {
            return Err(Fail::other("the HMC stopped the migration"));
        }
        Ok(())
    }

    /// Stops the partition: its downtime begins.
    async fn suspend(&mut self, src: &mut SourceVasi) -> Result<Suspended, Fail> {
        let suspended = src.suspend().await?;
        self.suspended = true;
        self.me.errlog.add(errlog::SUSPEND_ISSUED);
        self.stats.bytes_remaining = suspended.remaining.len() as u64 * PAGE;
        let _ = self.report(Phase::Suspended).await;
        Ok(suspended)
    }

    /// The pages that fit a quarter of the budget, then the resume with the
    /// processor state and the list of those still to come. Where the rest
    /// starts in `remaining`.
    async fn resume(
        &mut self,
        src: &mut SourceVasi,
        dest: &DestLink,
        limits: &Limits,
        state: Option<PartitionState>,
        remaining: &[u64],
    ) -> Result<usize, Fail> {
        let before = policy::before_resume(
            limits,
            self.stats.bytes_transmitted,
            self.start.elapsed(),
            remaining.len(),
        );
        for chunk in remaining[..before].chunks(BATCH) {
            self.send(src, dest, chunk).await?;
        }
        dest.send(to_dest::Kind::Resume(Resume {
            state,
            missing: remaining[before..].to_vec(),
        }))
        .await?;
        self.resume_sent = true;
        Ok(before)
    }

    /// The rest of `remaining` from `next` on, with the resumed partition's
    /// demand requests first; then the frozen image's digest, and Finish,
    /// until the destination reports what it received.
    async fn rest(
        &mut self,
        src: &mut SourceVasi,
        dest: &mut DestLink,
        remaining: &[u64],
        mut next: usize,
    ) -> Result<(String, Finished), Fail> {
        let mut resumed = false;
        let mut digest = None;
        let finished = loop {
            let answer = if next < remaining.len() {
                match dest.try_recv() {
                    Ok(a) => Some(a),
                    Err(TryRecvError::Empty) => {
                        let end = (next + BATCH).min(remaining.len());
                        self.send(src, dest, &remaining[next..end]).await?;
                        self.stats.bytes_remaining = (remaining.len() - end) as u64 * PAGE;
                        next = end;
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => None,
                }
            } else if digest.is_none() {
                // Everything is on its way: the digest of the frozen image
                // ends it, and the destination reports what it received.
                digest = Some(src.digest().await?);
                dest.send(to_dest::Kind::Finish(Finish {})).await?;
                continue;
            } else {
                dest.recv().await
            };
            match answer {
                Some(Ok(to_source::Kind::Demand(d))) => {
                    self.send(src, dest, &d.pages).await?;
                }
                Some(Ok(to_source::Kind::Resumed(_))) => {
                    resumed = true;
                    let _ = self.report(Phase::Resumed).await;
                }
                Some(Ok(to_source::Kind::Finished(f))) => break f,
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    self.lost(&e);
                    return Err(Fail::link(e));
                }
                None => return Err(Fail::link("the destination is gone")),
            }
        };
        if !resumed {
            return Err(Fail::link("the destination finished without resuming"));
        }
        Ok((digest.unwrap_or_default(), finished))
    }

    /// The destination said no to the resume: the partition is not there,
    /// so it may run on here.
    fn lost(&mut self, e: &Lost) {
        if e.refused_resume() {
            self.resume_sent = false;
        }
    }

    async fn complete(&mut self, src: &SourceVasi, digest: String, finished: Finished) {
        self.stats.bytes_remaining = 0;
        self.stats.source_digest = digest;
        self.stats.dest_digest = finished.digest;
        self.stats.downtime_us = finished.downtime_us;
        self.stats.demand_pages = finished.demand_pages;
        self.me.errlog.add(errlog::COMPLETED);
        let _ = self.report(Phase::Completed).await;
        tracing::info!(
            pages = self.stats.pages_sent,
            passes = self.stats.passes,
            downtime_us = self.stats.downtime_us,
            window = src.window.is_some(),
            "migration completed"
        );
    }

    /// Before the resume was sent the partition can only be running on
    /// the source: it runs on. After it, only the HMC's recovery can tell
    /// which side has it, so the source stays suspended.
    async fn abort(&mut self, f: &Fail, vasi: Option<&mut SourceVasi>) {
        tracing::warn!(msg = %f.msg, "migration aborted");
        self.me.errlog.add(if f.link {
            errlog::ABORTED_LINK
        } else {
            errlog::ABORTED
        });
        if self.suspended
            && !self.resume_sent
            && let Some(src) = vasi
        {
            src.unsuspend().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::codegen::Bytes;

    #[test]
    fn progress_is_what_was_sent_of_what_is_known() {
        let mut s = MigrationStats {
            bytes_transmitted: 3_000_000,
            bytes_remaining: 1_000_000,
            ..Default::default()
        };
        settle(&mut s, Duration::from_secs(2));
        assert_eq!(s.progress, 75);
        assert_eq!(s.total_ms, 2000);
        assert_eq!(s.throughput_mb_s, 1.5);
    }

    #[test]
    fn nothing_to_send_is_all_done() {
        let mut s = MigrationStats::default();
        settle(&mut s, Duration::ZERO);
        assert_eq!(s.progress, 100);
        assert_eq!(s.throughput_mb_s, 0.0);
    }

    #[test]
    fn zero_pages_count_but_carry_no_bytes() {
        let mut s = MigrationStats::default();
        let p = Pages {
            pages: vec![
                Page {
                    index: 0,
                    data: Bytes::new(),
                },
                Page {
                    index: 1,
                    data: Bytes::from(vec![1u8; 4096]),
                },
            ],
        };
        count(&mut s, &p);
        assert_eq!(
            (s.pages_sent, s.zero_pages, s.bytes_transmitted),
            (2, 1, 4096)
        );
    }
}
