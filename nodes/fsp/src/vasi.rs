//! The hypervisor's end of the VASI streams. On the source it answers the
//! MSP: the dirty pages of each pass (their numbers; the MSP reads them
//! through the memory window, or asks for their contents here), the
//! suspend, and the frozen image's digest. On the destination it takes
//! the pages into the shell and resumes the partition there.

use crate::frame::{FspError, Hypervisor};
use crate::memory::{Memory, PAGE};
use pvmlab_common::proto::mover::*;
use pvmlab_common::window::{Offer, Windows};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

/// Page numbers per Dirty message: 512 KiB.
const DIRTY_CHUNK: usize = 65536;

type Tx<T> = mpsc::Sender<Result<T, Status>>;

fn st(e: FspError) -> Status {
    Status::failed_precondition(e.to_string())
}

/// The shell cannot take the partition, so it never ran here: the source
/// MSP lets it run on there, deciding by the reason, not by these words.
fn refused(message: String) -> Status {
    use pvmlab_common::proto::model::Reason;
    pvmlab_common::failure::with_reason(
        tonic::Code::FailedPrecondition,
        message,
        Reason::ResumeRefused,
    )
}

fn read_batch(mem: &Mutex<Memory>, pages: &[u64]) -> Pages {
    let m = mem.lock().unwrap_or_else(|e| e.into_inner());
    Pages {
        pages: pages
            .iter()
            .map(|i| Page {
                index: *i,
                data: m.read_wire(*i).into(),
            })
            .collect(),
    }
}

/// The memory lent to the MSP for this stream, and what Opened says of it.
fn lend(windows: &Windows, mem: &Mutex<Memory>) -> (Opened, Option<Offer>) {
    let m = mem.lock().unwrap_or_else(|e| e.into_inner());
    let offer = m.fd().and_then(|fd| windows.offer(fd));
    let opened = Opened {
        npages: m.npages(),
        resident_pages: m.resident_pages() as u64,
        window_path: offer.as_ref().map(|o| o.path.clone()).unwrap_or_default(),
        window_token: offer.as_ref().map(|o| o.token.clone()).unwrap_or_default(),
    };
    (opened, offer)
}

fn src_reply(k: vasi_source_reply::Kind) -> Result<VasiSourceReply, Status> {
    Ok(VasiSourceReply { kind: Some(k) })
}

/// Serves one source VASI stream until the MSP closes it.
pub async fn source(
    hyp: Arc<Hypervisor>,
    windows: Windows,
    mut inbound: Streaming<VasiSourceRequest>,
    tx: Tx<VasiSourceReply>,
) {
    use vasi_source_reply::Kind as R;
    use vasi_source_request::Kind as Q;
    let first = match inbound.message().await {
        Ok(Some(VasiSourceRequest {
            kind: Some(Q::Open(o)),
        })) => o,
        _ => {
            let _ = tx
                .send(Err(Status::invalid_argument("the stream starts with open")))
                .await;
            return;
        }
    };
    let (id, mig) = (first.lpar_id, first.migration_id.clone());
    let running = match hyp.vasi_source_open(id, &mig) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Err(st(e))).await;
            return;
        }
    };
    let mem = running.memory.clone();
    let (opened, _offer) = lend(&windows, &mem);
    if tx.send(src_reply(R::Opened(opened))).await.is_err() {
        return;
    }
    // One request, then its answer: the MSP orders the work (demand
    // requests of a resumed partition before the rest).
    while let Ok(Some(q)) = inbound.message().await {
        let sent = match q.kind {
            Some(Q::Pass(_)) => {
                let dirty = mem.lock().unwrap_or_else(|e| e.into_inner()).take_dirty();
                let mut ok = true;
                for chunk in dirty.chunks(DIRTY_CHUNK) {
                    let d = Dirty {
                        pages: chunk.to_vec(),
                    };
                    ok = ok && tx.send(src_reply(R::Dirty(d))).await.is_ok();
                }
                let done = PassDone {
                    pages: dirty.len() as u64,
                };
                ok && tx.send(src_reply(R::PassDone(done))).await.is_ok()
            }
            Some(Q::Count(_)) => {
                let dirty = mem.lock().unwrap_or_else(|e| e.into_inner()).dirty_count();
                tx.send(src_reply(R::Counted(Counted { dirty })))
                    .await
                    .is_ok()
            }
            Some(Q::Suspend(_)) => {
                let state = running.suspend();
                let remaining = mem.lock().unwrap_or_else(|e| e.into_inner()).take_dirty();
                tracing::info!(
                    lpar = id,
                    remaining = remaining.len(),
                    "partition suspended for migration"
                );
                let ok = tx
                    .send(src_reply(R::Suspended(Suspended {
                        state: Some(state),
                        remaining,
                    })))
                    .await
                    .is_ok();
                // Recorded after the reply: the suspend window is the
                // partition's downtime, and a disk write does not belong
                // in it. (Should this process die, the memory dies too.)
                let (h, m2) = (hyp.clone(), mig.clone());
                tokio::task::spawn_blocking(move || h.vasi_suspended(id, &m2, true));
                ok
            }
            Some(Q::Read(r)) => tx
                .send(src_reply(R::Pages(read_batch(&mem, &r.pages))))
                .await
                .is_ok(),
            Some(Q::Digest(_)) => {
                // The image is frozen: its digest is what the destination
                // must have received.
                let m2 = mem.clone();
                let digest = tokio::task::spawn_blocking(move || {
                    m2.lock().unwrap_or_else(|e| e.into_inner()).digest()
                })
                .await
                .unwrap_or_default();
                tx.send(src_reply(R::Digested(Digested { digest })))
                    .await
                    .is_ok()
            }
            Some(Q::Unsuspend(_)) => {
                running.unsuspend();
                let _ = hyp.vasi_suspended(id, &mig, false);
                tracing::info!(lpar = id, "migration rolled back; partition runs on");
                tx.send(src_reply(R::Unsuspended(Unsuspended {})))
                    .await
                    .is_ok()
            }
            Some(Q::Open(_)) | None => {
                let _ = tx
                    .send(Err(Status::invalid_argument("unexpected request")))
                    .await;
                false
            }
        };
        if !sent {
            break;
        }
    }
}

/// PVMLAB_TEST_CORRUPT_MIGRATION=1 (tests only): the shell gets one page
/// wrong in each migration it receives, for the memory digest (and the
/// chaos runner) to catch. The first page to arrive is the one, and it is
/// made wrong again whenever it arrives again: a page the source dirtied
/// between passes comes twice, and its second copy would have put it
/// right (the switch then went unseen in about one run in twenty).
struct Corrupt {
    on: bool,
    page: Option<u64>,
}

impl Corrupt {
    fn from_env() -> Corrupt {
        Corrupt {
            on: std::env::var_os("PVMLAB_TEST_CORRUPT_MIGRATION").is_some(),
            page: None,
        }
    }

    /// Whether `page` is to arrive wrong.
    fn hits(&mut self, page: u64) -> bool {
        self.on && *self.page.get_or_insert(page) == page
    }
}

/// A page's contents (empty: zeros) with its first byte wrong.
fn wrong(data: &[u8]) -> Vec<u8> {
    let mut bad = if data.is_empty() {
        vec![0; PAGE]
    } else {
        data.to_vec()
    };
    bad[0] ^= 0xff;
    bad
}

fn dst_reply(k: vasi_dest_reply::Kind) -> Result<VasiDestReply, Status> {
    Ok(VasiDestReply { kind: Some(k) })
}

/// Serves one destination VASI stream until the MSP closes it.
pub async fn dest(
    hyp: Arc<Hypervisor>,
    windows: Windows,
    mut inbound: Streaming<VasiDestRequest>,
    tx: Tx<VasiDestReply>,
) {
    use vasi_dest_reply::Kind as R;
    use vasi_dest_request::Kind as Q;
    let (id, mig) = match inbound.message().await {
        Ok(Some(VasiDestRequest {
            kind: Some(Q::Open(o)),
        })) => (o.lpar_id, o.migration_id),
        _ => {
            let _ = tx
                .send(Err(Status::invalid_argument("the stream starts with open")))
                .await;
            return;
        }
    };
    let mem = match hyp.vasi_dest_open(id, &mig) {
        Ok(m) => m,
        Err(e) => {
            let _ = tx.send(Err(st(e))).await;
            return;
        }
    };
    let (opened, _offer) = lend(&windows, &mem);
    if tx.send(dst_reply(R::Opened(opened))).await.is_err() {
        hyp.vasi_dest_close(id);
        return;
    }
    let mut running = None;
    let mut corrupt = Corrupt::from_env();
    loop {
        let q = match inbound.message().await {
            Ok(Some(q)) => q,
            Ok(None) | Err(_) => break,
        };
        let pages = matches!(q.kind, Some(Q::Pages(_) | Q::Placed(_)));
        if pages && running.is_none() && !hyp.vasi_dest_alive(id) {
            let _ = tx
                .send(Err(refused(format!(
                    "the destination refused to resume partition {id}: its shell is gone"
                ))))
                .await;
            break;
        }
        match q.kind {
            Some(Q::Pages(p)) => {
                let mut m = mem.lock().unwrap_or_else(|e| e.into_inner());
                for page in &p.pages {
                    if corrupt.hits(page.index) {
                        m.put_page(page.index, &wrong(&page.data));
                    } else {
                        m.put_page(page.index, &page.data);
                    }
                }
            }
            Some(Q::Placed(p)) => {
                let mut m = mem.lock().unwrap_or_else(|e| e.into_inner());
                for page in &p.zero {
                    if corrupt.hits(*page) {
                        m.put_page(*page, &wrong(&[]));
                    } else {
                        m.put_page(*page, &[]);
                    }
                }
                for page in &p.pages {
                    m.placed(*page);
                    if corrupt.hits(*page) {
                        let bad = wrong(&m.read_wire(*page));
                        m.put_page(*page, &bad);
                    }
                }
            }
            Some(Q::Resume(r)) => {
                let (dtx, mut drx) = mpsc::unbounded_channel::<u64>();
                let state = r.state.unwrap_or_default();
                match hyp.vasi_dest_resume(id, &mig, &state, &r.missing, dtx) {
                    Ok(run) => running = Some(run),
                    Err(e) => {
                        let e = match e {
                            FspError::NotPermitted(m) => refused(m),
                            e => st(e),
                        };
                        let _ = tx.send(Err(e)).await;
                        break;
                    }
                }
                tracing::info!(
                    lpar = id,
                    missing = r.missing.len(),
                    "partition resumed here"
                );
                if tx.send(dst_reply(R::Resumed(Resumed {}))).await.is_err() {
                    break;
                }
                // Faults on missing pages go back to the source, batched.
                let tx2 = tx.clone();
                tokio::spawn(async move {
                    while let Some(first) = drx.recv().await {
                        let mut pages = vec![first];
                        while let Ok(p) = drx.try_recv() {
                            pages.push(p);
                        }
                        if tx2
                            .send(dst_reply(R::Demand(Demand { pages })))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                });
            }
            Some(Q::Finish(_)) => {
                let Some(run) = running.as_ref() else {
                    let _ = tx
                        .send(Err(Status::failed_precondition(
                            "finish before the partition resumed",
                        )))
                        .await;
                    break;
                };
                let missing = mem
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .missing_count();
                if missing != 0 {
                    let _ = tx
                        .send(Err(Status::data_loss(format!(
                            "{missing} pages never arrived"
                        ))))
                        .await;
                    break;
                }
                // The downtime is known at the first tick after resume.
                use std::sync::atomic::Ordering::Relaxed;
                for _ in 0..200 {
                    if run.stats.downtime_us.load(Relaxed) != 0 {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                let m2 = mem.clone();
                let digest = tokio::task::spawn_blocking(move || {
                    m2.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .received_digest()
                        .unwrap_or_default()
                })
                .await
                .unwrap_or_default();
                let _ = tx
                    .send(dst_reply(R::Finished(Finished {
                        digest,
                        downtime_us: run.stats.downtime_us.load(Relaxed),
                        demand_pages: run.stats.demand_faults.load(Relaxed),
                    })))
                    .await;
            }
            Some(Q::Flush(_)) => {
                // Requests are handled in order: every page sent before
                // this one is in the shell.
                if tx.send(dst_reply(R::Flushed(Flushed {}))).await.is_err() {
                    break;
                }
            }
            Some(Q::Open(_)) | None => {
                let _ = tx
                    .send(Err(Status::invalid_argument("unexpected request")))
                    .await;
                break;
            }
        }
    }
    if running.is_none() {
        hyp.vasi_dest_close(id);
    } else {
        let missing = mem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .missing_count();
        if missing != 0 {
            hyp.vasi_dest_lost(id, &mig, missing);
        }
    }
}
