//! The mover service partition (MSP). On the source it reads the
//! migrating partition's memory from its hypervisor through VASI, pass
//! after pass, and sends it to the destination MSP over one full-duplex
//! mTLS stream; it decides when to suspend, sends the last pages and the
//! processor state, and serves demand requests after the partition has
//! resumed. On the destination it writes what arrives through VASI into
//! the shell.

use crate::errlog::{self, Errlog};
use pvmlab_common::model::{MigrationStats, Role};
use pvmlab_common::net::{Chan, Identity, authorize};
use pvmlab_common::proto::fsp::fsp_client::FspClient;
use pvmlab_common::proto::mover::mover_client::MoverClient;
use pvmlab_common::proto::mover::mover_server::{Mover, MoverServer};
use pvmlab_common::proto::mover::*;
use pvmlab_common::window::{self, Mapping};
use std::collections::HashSet;
use std::fs::File;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::Bytes;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

/// A page, in the unit of the byte counts here (the window's own size).
const PAGE: u64 = window::PAGE as u64;
/// Messages of pages queued per hop. Few: the resume message waits
/// behind whatever is queued, and that wait is the partition's downtime.
const QUEUE: usize = 2;

#[derive(Clone)]
pub struct MoverService {
    pub fsp: FspClient<Chan>,
    pub id: Identity,
    /// This VIOS is a mover service partition (msp=1).
    pub is_msp: bool,
    /// Its partition runs (the hypervisor has it attached).
    pub attached: Arc<std::sync::atomic::AtomicBool>,
    /// Every MSP of the lab: only they may open a transfer.
    pub msps: Arc<HashSet<String>>,
    /// Concurrent active migrations; more wait their turn.
    pub slots: Arc<Semaphore>,
    pub errlog: Errlog,
}

type Stream_<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

impl MoverService {
    pub fn into_server(self) -> MoverServer<Self> {
        MoverServer::new(self)
    }

    fn must_be_msp(&self) -> Result<(), Status> {
        if !self.is_msp {
            return Err(Status::failed_precondition(
                "this Virtual I/O Server is not a mover service partition (msp=0)",
            ));
        }
        if !self.running() {
            return Err(Status::failed_precondition(
                "this mover service partition is not running",
            ));
        }
        Ok(())
    }

    fn running(&self) -> bool {
        self.attached.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tonic::async_trait]
impl Mover for MoverService {
    type MigrateStream = Stream_<MigrateEvent>;

    async fn migrate(
        &self,
        req: Request<MigrateRequest>,
    ) -> Result<Response<Self::MigrateStream>, Status> {
        authorize(&req, "Migrate", &[Role::Hmc])?;
        self.must_be_msp()?;
        let r = req.into_inner();
        let (tx, rx) = mpsc::channel(16);
        let me = self.clone();
        let span = tracing::info_span!("msp.source", migration = %r.migration_id);
        tokio::spawn(
            async move {
                // Beyond the MSP's limit, a migration queues here.
                let Ok(_slot) = me.slots.clone().acquire_owned().await else {
                    return;
                };
                let mut run = SourceRun::new();
                let result = run.go(&me, &r, &tx).await;
                if let Err((msg, link)) = result {
                    run.abort(&me, &msg, link).await;
                    let _ = tx.send(Err(Status::aborted(msg))).await;
                }
            }
            .instrument(span),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    type TransferStream = Stream_<ToSource>;

    async fn transfer(
        &self,
        req: Request<Streaming<ToDest>>,
    ) -> Result<Response<Self::TransferStream>, Status> {
        let peer = authorize(&req, "Transfer", &[Role::Vios])?;
        if !self.msps.contains(&peer.name) {
            tracing::warn!(peer = %peer.name, "refused transfer: not a mover service partition");
            return Err(Status::permission_denied(format!(
                "{} is not a mover service partition",
                peer.name
            )));
        }
        self.must_be_msp()?;
        let (tx, rx) = mpsc::channel(16);
        let me = self.clone();
        tokio::spawn(
            async move { dest_run(me, req.into_inner(), tx).await }
                .instrument(tracing::info_span!("msp.dest")),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

/// A failure, and whether it was the MSP-to-MSP connection.
type Fail = (String, bool);

fn link(e: impl std::fmt::Display) -> Fail {
    (format!("MSP-MSP connection down: {e}"), true)
}

fn vasi(e: impl std::fmt::Display) -> Fail {
    (format!("VASI: {e}"), false)
}

struct SourceRun {
    start: Instant,
    stats: MigrationStats,
    vasi_tx: Option<mpsc::Sender<VasiSourceRequest>>,
    suspended: bool,
    resume_sent: bool,
}

fn vq(k: vasi_source_request::Kind) -> VasiSourceRequest {
    VasiSourceRequest { kind: Some(k) }
}

fn td(k: to_dest::Kind) -> ToDest {
    ToDest { kind: Some(k) }
}

/// Pages per message in the pre-copy passes, while the partition runs:
/// 1 MiB, fewer messages and wake-ups per byte (the pipe is flushed before
/// the suspend, so they cost no downtime).
const PASS_BATCH: usize = 256;
/// Pages per message after the suspend: 256 KiB, small enough that a
/// demand request never waits long behind one.
const BATCH: usize = 64;

/// The source hypervisor's VASI end, one request and its answer at a
/// time, and the partition's memory when it could be mapped.
struct SourceVasi {
    tx: mpsc::Sender<VasiSourceRequest>,
    rx: Streaming<VasiSourceReply>,
    window: Option<Arc<Mapping>>,
}

impl SourceVasi {
    async fn ask(&mut self, k: vasi_source_request::Kind) -> Result<vasi_source_reply::Kind, Fail> {
        self.tx.send(vq(k)).await.map_err(vasi)?;
        self.next().await
    }

    async fn next(&mut self) -> Result<vasi_source_reply::Kind, Fail> {
        match self.rx.message().await.map_err(|e| vasi(e.message()))? {
            Some(VasiSourceReply { kind: Some(k) }) => Ok(k),
            _ => Err(vasi("the hypervisor closed the stream")),
        }
    }

    /// The pages dirty now, clean from here on.
    async fn take_dirty(&mut self) -> Result<Vec<u64>, Fail> {
        use vasi_source_reply::Kind as V;
        let mut pages = Vec::new();
        let mut reply = self.ask(vasi_source_request::Kind::Pass(Pass {})).await?;
        loop {
            match reply {
                V::Dirty(d) => pages.extend(d.pages),
                V::PassDone(_) => return Ok(pages),
                _ => return Err(vasi("unexpected reply to a pass")),
            }
            reply = self.next().await?;
        }
    }

    async fn dirty_count(&mut self) -> Result<u64, Fail> {
        match self.ask(vasi_source_request::Kind::Count(Count {})).await? {
            vasi_source_reply::Kind::Counted(c) => Ok(c.dirty),
            _ => Err(vasi("unexpected reply to a count")),
        }
    }

    /// These pages' contents: read through the window, else asked for.
    async fn read(&mut self, pages: &[u64]) -> Result<Pages, Fail> {
        if let Some(w) = &self.window {
            return read_window(w, pages).ok_or_else(|| vasi("a page outside the partition"));
        }
        let read = Read {
            pages: pages.to_vec(),
        };
        match self.ask(vasi_source_request::Kind::Read(read)).await? {
            vasi_source_reply::Kind::Pages(p) => Ok(p),
            _ => Err(vasi("unexpected reply to a read")),
        }
    }
}

/// Runs of consecutive pages: the first page of each, and where the run
/// lies in `pages`.
fn runs(pages: &[u64]) -> impl Iterator<Item = (u64, std::ops::Range<usize>)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let start = i;
        let first = *pages.get(i)?;
        i += 1;
        while pages.get(i) == Some(&(first + (i - start) as u64)) {
            i += 1;
        }
        Some((first, start..i))
    })
}

/// Pages of the partition's mapped memory, a page of zeros as empty data;
/// nothing is copied until the message is encoded.
fn read_window(w: &Arc<Mapping>, pages: &[u64]) -> Option<Pages> {
    let page = window::PAGE;
    let mut out = Vec::with_capacity(pages.len());
    for (first, r) in runs(pages) {
        let run = w.pages(first, r.len())?;
        for (n, at) in r.enumerate() {
            let data = run.slice(n * page..(n + 1) * page);
            out.push(Page {
                index: pages[at],
                data: if window::is_zero(&data) {
                    Bytes::new()
                } else {
                    data
                },
            });
        }
    }
    Some(Pages { pages: out })
}

/// Opens the memory window the hypervisor offered, if it did; without
/// one, pages go through the VASI stream (slower, and logged).
async fn map_window(opened: &Opened) -> Option<File> {
    if opened.window_token.is_empty() {
        tracing::warn!("the hypervisor offers no memory window; pages go through VASI");
        return None;
    }
    // PVMLAB_TEST_NO_VASI_WINDOW=1 (tests only): as if it could not be mapped.
    if std::env::var_os("PVMLAB_TEST_NO_VASI_WINDOW").is_some() {
        tracing::warn!("memory window declined (test switch); pages go through VASI");
        return None;
    }
    let (path, token) = (opened.window_path.clone(), opened.window_token.clone());
    match tokio::task::spawn_blocking(move || window::open(&path, &token)).await {
        Ok(Ok(f)) if f.metadata().is_ok_and(|m| m.len() >= opened.npages * PAGE) => Some(f),
        Ok(Ok(_)) => {
            tracing::warn!(
                "the memory window is smaller than the partition; pages go through VASI"
            );
            None
        }
        Ok(Err(e)) => {
            tracing::warn!("{e}; pages go through VASI");
            None
        }
        Err(_) => None,
    }
}

impl SourceRun {
    fn new() -> SourceRun {
        SourceRun {
            start: Instant::now(),
            stats: MigrationStats::default(),
            vasi_tx: None,
            suspended: false,
            resume_sent: false,
        }
    }

    fn count(&mut self, p: &Pages) {
        for page in &p.pages {
            self.stats.pages_sent += 1;
            if page.data.is_empty() {
                self.stats.zero_pages += 1;
            }
            self.stats.bytes_transmitted += page.data.len() as u64;
            pvmlab_common::metrics::metrics()
                .bytes_moved
                .inc_by(page.data.len() as u64);
        }
    }

    fn event(&mut self, phase: &str) -> MigrateEvent {
        let secs = self.start.elapsed().as_secs_f64().max(1e-6);
        self.stats.total_ms = self.start.elapsed().as_millis() as u64;
        self.stats.throughput_mb_s = self.stats.bytes_transmitted as f64 / secs / 1e6;
        let done = self.stats.bytes_transmitted as f64;
        let total = done + self.stats.bytes_remaining as f64;
        self.stats.progress = if total > 0.0 {
            (done / total * 100.0) as u32
        } else {
            100
        };
        MigrateEvent {
            phase: phase.into(),
            stats: Some(self.stats.clone()),
        }
    }

    /// Reads `pages` and sends them to the destination.
    async fn send(
        &mut self,
        src: &mut SourceVasi,
        dtx: &mpsc::Sender<ToDest>,
        pages: &[u64],
    ) -> Result<(), Fail> {
        let p = src.read(pages).await?;
        self.count(&p);
        dtx.send(td(to_dest::Kind::Pages(p))).await.map_err(link)
    }

    async fn go(
        &mut self,
        me: &MoverService,
        r: &MigrateRequest,
        events: &mpsc::Sender<Result<MigrateEvent, Status>>,
    ) -> Result<(), Fail> {
        use vasi_source_reply::Kind as V;
        // The hypervisor's end.
        let (vtx, vrx) = mpsc::channel(QUEUE);
        vtx.send(vq(vasi_source_request::Kind::Open(VasiOpen {
            migration_id: r.migration_id.clone(),
            lpar_id: r.source_lpar_id,
        })))
        .await
        .map_err(vasi)?;
        self.vasi_tx = Some(vtx.clone());
        let vin = me
            .fsp
            .clone()
            .vasi_source(ReceiverStream::new(vrx))
            .await
            .map_err(|e| vasi(e.message()))?
            .into_inner();
        let mut src = SourceVasi {
            tx: vtx,
            rx: vin,
            window: None,
        };
        let opened = match src.next().await? {
            V::Opened(o) => o,
            _ => return Err(vasi("the hypervisor did not open the stream")),
        };
        src.window = match map_window(&opened).await.map(Mapping::map) {
            Some(Ok(m)) => Some(Arc::new(m)),
            Some(Err(e)) => {
                tracing::warn!("{e}; pages go through VASI");
                None
            }
            None => None,
        };
        self.stats.memory_mb = opened.npages * PAGE / (1024 * 1024);
        self.stats.resident_pages = opened.resident_pages;
        self.stats.bytes_remaining = opened.resident_pages * PAGE;

        // The destination MSP.
        let chan = me
            .id
            .channel(&r.dest_msp_node, &r.dest_msp_addr)
            .map_err(link)?;
        let (dtx, drx) = mpsc::channel::<ToDest>(QUEUE);
        dtx.send(td(to_dest::Kind::Hello(Hello {
            migration_id: r.migration_id.clone(),
            dest_lpar_id: r.dest_lpar_id,
        })))
        .await
        .map_err(link)?;
        let mut din = MoverClient::new(chan)
            .transfer(ReceiverStream::new(drx))
            .await
            .map_err(|e| link(e.message()))?
            .into_inner();
        match din.message().await.map_err(|e| link(e.message()))? {
            Some(ToSource {
                kind: Some(to_source::Kind::Ready(_)),
            }) => {}
            _ => return Err(link("the destination did not get ready")),
        }
        // The destination's answers, read on their own so a demand
        // request is seen while pages flow.
        let (atx, mut arx) = mpsc::channel::<Result<to_source::Kind, String>>(64);
        tokio::spawn(async move {
            loop {
                let m = match din.message().await {
                    Ok(Some(ToSource { kind: Some(k) })) => Ok(k),
                    Ok(Some(_)) => continue,
                    Ok(None) => Err("the destination closed the channel".to_string()),
                    Err(e) => Err(e.message().to_string()),
                };
                let end = m.is_err();
                if atx.send(m).await.is_err() || end {
                    return;
                }
            }
        });
        // Before the resume the destination only ever answers with an error.
        let link_ok = |arx: &mut mpsc::Receiver<Result<to_source::Kind, String>>| match arx
            .try_recv()
        {
            Ok(Err(e)) => Err(link(e)),
            Err(mpsc::error::TryRecvError::Disconnected) => Err(link("the destination is gone")),
            _ => Ok(()),
        };

        // Pre-copy: passes until the dirty pages stop falling, fit the
        // downtime budget, or the pass limit or the timeout is reached.
        let budget = Duration::from_millis(r.max_downtime_ms.max(1));
        let timeout = Duration::from_millis(r.timeout_ms.max(1));
        let mut last_dirty = u64::MAX;
        let mut last_event = Instant::now();
        let mut pass = 0u32;
        loop {
            pass += 1;
            let t0 = Instant::now();
            let dirty = src.take_dirty().await?;
            for chunk in dirty.chunks(PASS_BATCH) {
                self.send(&mut src, &dtx, chunk).await?;
                self.stats.bytes_remaining = self
                    .stats
                    .bytes_remaining
                    .saturating_sub(chunk.len() as u64 * PAGE);
                link_ok(&mut arx)?;
                // Progress within a long pass, for the HMC's view.
                if last_event.elapsed() >= Duration::from_millis(250) {
                    last_event = Instant::now();
                    let ev = self.event("copy");
                    if events.send(Ok(ev)).await.is_err() {
                        return Err(("the HMC stopped the migration".into(), false));
                    }
                }
            }
            if !me.running() {
                return Err(("the mover service partition was shut down".into(), false));
            }
            let now_dirty = src.dirty_count().await?;
            let secs = t0.elapsed().as_secs_f64().max(1e-6);
            self.stats.passes = pass;
            self.stats.dirty_rate_pages_s = now_dirty as f64 / secs;
            self.stats.bytes_remaining = now_dirty * PAGE;
            let ev = self.event("copy");
            if events.send(Ok(ev)).await.is_err() {
                return Err(("the HMC stopped the migration".into(), false));
            }
            let rate =
                self.stats.bytes_transmitted as f64 / self.start.elapsed().as_secs_f64().max(1e-6);
            let fits = (now_dirty * PAGE) as f64 <= rate * budget.as_secs_f64();
            if now_dirty == 0
                || fits
                || now_dirty >= last_dirty
                || pass >= r.max_passes.max(1)
                || self.start.elapsed() >= timeout
            {
                break;
            }
            last_dirty = now_dirty;
        }

        // A stop that came during the last pass is still a stop.
        if events.is_closed() {
            return Err(("the HMC stopped the migration".into(), false));
        }
        // Every pre-copy page is in the shell before the partition stops:
        // pages still on their way would hold the resume back, and that
        // wait is downtime.
        dtx.send(td(to_dest::Kind::Flush(Flush {})))
            .await
            .map_err(link)?;
        loop {
            match arx.recv().await {
                Some(Ok(to_source::Kind::Flushed(_))) => break,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(link(e)),
                None => return Err(link("the destination is gone")),
            }
        }
        // Suspend, then what is left: as many pages as fit a quarter of the
        // budget go before the resume, the rest after it, demand first.
        let suspended = match src
            .ask(vasi_source_request::Kind::Suspend(Suspend {}))
            .await?
        {
            V::Suspended(s) => s,
            _ => return Err(vasi("the partition did not suspend")),
        };
        self.suspended = true;
        me.errlog.add(errlog::SUSPEND_ISSUED);
        let remaining = suspended.remaining;
        self.stats.bytes_remaining = remaining.len() as u64 * PAGE;
        let ev = self.event("suspended");
        let _ = events.send(Ok(ev)).await;
        let rate =
            self.stats.bytes_transmitted as f64 / self.start.elapsed().as_secs_f64().max(1e-6);
        let before = ((rate * budget.as_secs_f64() / 4.0) as u64 / PAGE) as usize;
        let before = before.min(remaining.len());
        for chunk in remaining[..before].chunks(BATCH) {
            self.send(&mut src, &dtx, chunk).await?;
        }
        dtx.send(td(to_dest::Kind::Resume(Resume {
            state: suspended.state,
            missing: remaining[before..].to_vec(),
        })))
        .await
        .map_err(link)?;
        self.resume_sent = true;
        // The rest, with the resumed partition's demand requests first.
        let mut next = before;
        let mut resumed = false;
        let mut digest = None;
        let finished = loop {
            let answer = if next < remaining.len() {
                match arx.try_recv() {
                    Ok(a) => Some(a),
                    Err(mpsc::error::TryRecvError::Empty) => {
                        let end = (next + BATCH).min(remaining.len());
                        self.send(&mut src, &dtx, &remaining[next..end]).await?;
                        self.stats.bytes_remaining = (remaining.len() - end) as u64 * PAGE;
                        next = end;
                        continue;
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                }
            } else if digest.is_none() {
                // Everything is on its way: the digest of the frozen image
                // ends it, and the destination reports what it received.
                let d = match src
                    .ask(vasi_source_request::Kind::Digest(Digest {}))
                    .await?
                {
                    V::Digested(d) => d.digest,
                    _ => return Err(vasi("unexpected reply to a digest")),
                };
                digest = Some(d);
                dtx.send(td(to_dest::Kind::Finish(Finish {})))
                    .await
                    .map_err(link)?;
                continue;
            } else {
                arx.recv().await
            };
            match answer {
                Some(Ok(to_source::Kind::Demand(d))) => {
                    self.send(&mut src, &dtx, &d.pages).await?;
                }
                Some(Ok(to_source::Kind::Resumed(_))) => {
                    resumed = true;
                    let ev = self.event("resumed");
                    let _ = events.send(Ok(ev)).await;
                }
                Some(Ok(to_source::Kind::Finished(f))) => break f,
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    // The destination said no to the resume: the
                    // partition is not there, so it may run on here.
                    if e.contains("refused to resume") {
                        self.resume_sent = false;
                    }
                    return Err(link(e));
                }
                None => return Err(link("the destination is gone")),
            }
        };
        if !resumed {
            return Err(link("the destination finished without resuming"));
        }
        self.stats.bytes_remaining = 0;
        self.stats.source_digest = digest.unwrap_or_default();
        self.stats.dest_digest = finished.digest;
        self.stats.downtime_us = finished.downtime_us;
        self.stats.demand_pages = finished.demand_pages;
        me.errlog.add(errlog::COMPLETED);
        let ev = self.event("completed");
        let _ = events.send(Ok(ev)).await;
        tracing::info!(
            pages = self.stats.pages_sent,
            passes = self.stats.passes,
            downtime_us = self.stats.downtime_us,
            window = src.window.is_some(),
            "migration completed"
        );
        Ok(())
    }

    /// Before the resume was sent the partition can only be running on
    /// the source: it runs on. After it, only the HMC's recovery can tell
    /// which side has it, so the source stays suspended.
    async fn abort(&mut self, me: &MoverService, msg: &str, link: bool) {
        tracing::warn!(msg, "migration aborted");
        me.errlog.add(if link {
            errlog::ABORTED_LINK
        } else {
            errlog::ABORTED
        });
        if self.suspended && !self.resume_sent {
            if let Some(tx) = &self.vasi_tx {
                let _ = tx
                    .send(vq(vasi_source_request::Kind::Unsuspend(Unsuspend {})))
                    .await;
                // Let the hypervisor act on it before the stream closes.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

fn ts(k: to_source::Kind) -> Result<ToSource, Status> {
    Ok(ToSource { kind: Some(k) })
}

/// The destination MSP: writes what arrives into the shell through VASI.
async fn dest_run(
    me: MoverService,
    mut inbound: Streaming<ToDest>,
    tx: mpsc::Sender<Result<ToSource, Status>>,
) {
    use vasi_dest_reply::Kind as V;
    use vasi_dest_request::Kind as Q;
    let hello = match inbound.message().await {
        Ok(Some(ToDest {
            kind: Some(to_dest::Kind::Hello(h)),
        })) => h,
        _ => {
            let _ = tx
                .send(Err(Status::invalid_argument(
                    "the transfer starts with hello",
                )))
                .await;
            return;
        }
    };
    let (vtx, vrx) = mpsc::channel(QUEUE);
    let _ = vtx
        .send(VasiDestRequest {
            kind: Some(Q::Open(VasiOpen {
                migration_id: hello.migration_id.clone(),
                lpar_id: hello.dest_lpar_id,
            })),
        })
        .await;
    let mut vin = match me.fsp.clone().vasi_dest(ReceiverStream::new(vrx)).await {
        Ok(r) => r.into_inner(),
        Err(e) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
    };
    let (window, npages) = match vin.message().await {
        Ok(Some(VasiDestReply {
            kind: Some(V::Opened(o)),
        })) => (map_window(&o).await, o.npages),
        Ok(_) => {
            let _ = tx
                .send(Err(Status::internal("the hypervisor did not open VASI")))
                .await;
            return;
        }
        Err(e) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
    };
    if tx.send(ts(to_source::Kind::Ready(Ready {}))).await.is_err() {
        return;
    }
    let errlog = me.errlog.clone();
    let tx2 = tx.clone();
    tokio::spawn(async move {
        loop {
            let out = match vin.message().await {
                Ok(Some(VasiDestReply { kind: Some(k) })) => match k {
                    V::Demand(d) => ts(to_source::Kind::Demand(d)),
                    V::Resumed(r) => ts(to_source::Kind::Resumed(r)),
                    V::Finished(f) => {
                        errlog.add(errlog::COMPLETED);
                        ts(to_source::Kind::Finished(f))
                    }
                    V::Flushed(f) => ts(to_source::Kind::Flushed(f)),
                    V::Opened(_) => continue,
                },
                Ok(_) => return,
                Err(e) => Err(e),
            };
            let end = out.is_err();
            if tx2.send(out).await.is_err() || end {
                return;
            }
        }
    });
    let (ptx, prx) = mpsc::channel(QUEUE);
    tokio::spawn(place_in_order(
        window.map(Arc::new),
        npages,
        prx,
        vtx,
        tx.clone(),
        me.errlog.clone(),
    ));
    let mut finished = false;
    loop {
        let q = match inbound.message().await {
            Ok(Some(ToDest { kind: Some(k) })) => match k {
                to_dest::Kind::Pages(p) => Q::Pages(p),
                to_dest::Kind::Resume(r) => Q::Resume(r),
                to_dest::Kind::Finish(f) => Q::Finish(f),
                to_dest::Kind::Flush(f) => Q::Flush(f),
                to_dest::Kind::Hello(_) => continue,
            },
            Ok(Some(_)) => continue,
            Ok(None) => return,
            Err(e) => {
                if !finished {
                    tracing::warn!("transfer lost: {}", e.message());
                    me.errlog.add(errlog::ABORTED_LINK);
                }
                return;
            }
        };
        finished |= matches!(q, Q::Finish(_));
        if !me.running() {
            tracing::warn!("this mover service partition was shut down; the transfer stops");
            me.errlog.add(errlog::ABORTED);
            let _ = tx
                .send(Err(Status::unavailable(
                    "the destination mover service partition was shut down",
                )))
                .await;
            return;
        }
        if ptx.send(q).await.is_err() {
            // The placer stopped, and said why.
            return;
        }
    }
}

/// Hands what arrives to the destination's hypervisor, in order. Until the
/// resume, pages go straight into the shell through the window, written
/// on a blocking thread while the transfer's task decrypts and decodes
/// the next ones (the two halves of the destination's work then share the
/// cores); after it the partition runs there, and only its hypervisor may
/// tell a page it still waits for from one it has written since.
async fn place_in_order(
    mut window: Option<Arc<File>>,
    npages: u64,
    mut rx: mpsc::Receiver<vasi_dest_request::Kind>,
    vtx: mpsc::Sender<VasiDestRequest>,
    tx: mpsc::Sender<Result<ToSource, Status>>,
    log: Errlog,
) {
    use vasi_dest_request::Kind as Q;
    while let Some(q) = rx.recv().await {
        let q = match (q, &window) {
            (Q::Pages(p), Some(w)) => {
                let w = w.clone();
                let placed = tokio::task::spawn_blocking(move || place(&w, npages, p))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()));
                match placed {
                    Ok(placed) => Q::Placed(placed),
                    Err(e) => {
                        log.add(errlog::ABORTED);
                        let _ = tx
                            .send(Err(Status::internal(format!("memory window: {e}"))))
                            .await;
                        return;
                    }
                }
            }
            (Q::Resume(r), _) => {
                window = None;
                Q::Resume(r)
            }
            (q, _) => q,
        };
        if vtx.send(VasiDestRequest { kind: Some(q) }).await.is_err() {
            log.add(errlog::ABORTED);
            return;
        }
    }
}

/// Writes pages into the shell's memory, a pwritev per run; what the
/// hypervisor is told.
fn place(w: &File, npages: u64, p: Pages) -> std::io::Result<Placed> {
    let mut placed = Placed::default();
    let (zero, data): (Vec<Page>, Vec<Page>) =
        p.pages.into_iter().partition(|page| page.data.is_empty());
    placed.zero = zero.iter().map(|page| page.index).collect();
    let data: Vec<Page> = data
        .into_iter()
        .filter(|page| page.data.len() == window::PAGE && page.index < npages)
        .collect();
    let indices: Vec<u64> = data.iter().map(|page| page.index).collect();
    for (first, r) in runs(&indices) {
        let bufs: Vec<&[u8]> = data[r].iter().map(|page| &page.data[..]).collect();
        window::write_pages(w, first, &bufs)?;
    }
    placed.pages = indices;
    Ok(placed)
}
