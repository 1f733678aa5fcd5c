//! The hypervisor's end of the VASI streams. On the source it answers the
//! MSP: the dirty pages of each pass (their numbers; the MSP reads them
//! through the memory window, or asks for their contents here), the
//! suspend, and the frozen image's digest. On the destination it takes
//! the pages into the shell and resumes the partition there.

use crate::frame::{FspError, Hypervisor};
use crate::memory::{Memory, PAGE};
use crate::workload::Running;
use pvmlab_common::proto::mover::*;
use pvmlab_common::test_switch::{self, Switch};
use pvmlab_common::window::{Offer, Windows};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

/// Page numbers per Dirty message: 512 KiB.
const DIRTY_CHUNK: usize = 65536;

type Tx<T> = mpsc::Sender<Result<T, Status>>;

/// The streams refuse with FailedPrecondition, whatever the reason.
fn st(e: FspError) -> Status {
    e.status_with(tonic::Code::FailedPrecondition)
}

/// The shell cannot take the partition, so it never ran here: the source
/// MSP lets it run on there, deciding by the reason, not by these words.
fn refused(message: String) -> Status {
    pvmlab_common::failure::with_reason(
        tonic::Code::FailedPrecondition,
        message,
        pvmlab_common::proto::model::Reason::ResumeRefused,
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

/// The test switch `CorruptMigration` (tests only): the shell gets one
/// page wrong in each migration it receives, for the memory digest (and
/// the chaos runner) to catch. The first page to arrive is the one, and it
/// is made wrong again whenever it arrives again: a page the source
/// dirtied between passes comes twice, and its second copy would have put
/// it right (the switch then went unseen in about one run in twenty).
struct Corrupt {
    on: bool,
    page: Option<u64>,
}

impl Corrupt {
    fn from_switch() -> Corrupt {
        Corrupt {
            on: test_switch::on(Switch::CorruptMigration),
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

/// How long Finish waits for the resumed partition's first tick, which
/// measures its downtime (the hypervisor's clock ticks every millisecond).
const FIRST_TICK: std::time::Duration = std::time::Duration::from_millis(200);

/// One destination stream: the shell's memory filling up, then the
/// partition running in it.
struct Dest {
    hyp: Arc<Hypervisor>,
    id: u32,
    mig: String,
    mem: Arc<Mutex<Memory>>,
    tx: Tx<VasiDestReply>,
    running: Option<Arc<Running>>,
    corrupt: Corrupt,
}

/// Whether the stream goes on after a request.
enum Next {
    More,
    End,
}

impl Dest {
    async fn refuse(&self, s: Status) -> Next {
        let _ = self.tx.send(Err(s)).await;
        Next::End
    }

    async fn reply(&self, k: vasi_dest_reply::Kind) -> Next {
        match self.tx.send(dst_reply(k)).await {
            Ok(()) => Next::More,
            Err(_) => Next::End,
        }
    }

    fn pages(&mut self, p: Pages) {
        let mut m = self.mem.lock().unwrap_or_else(|e| e.into_inner());
        for page in &p.pages {
            if self.corrupt.hits(page.index) {
                m.put_page(page.index, &wrong(&page.data));
            } else {
                m.put_page(page.index, &page.data);
            }
        }
    }

    /// Pages the MSP wrote through the memory window, and pages of zeros.
    fn placed(&mut self, p: Placed) {
        let mut m = self.mem.lock().unwrap_or_else(|e| e.into_inner());
        for page in &p.zero {
            if self.corrupt.hits(*page) {
                m.put_page(*page, &wrong(&[]));
            } else {
                m.put_page(*page, &[]);
            }
        }
        for page in &p.pages {
            m.placed(*page);
            if self.corrupt.hits(*page) {
                let bad = wrong(&m.read_wire(*page));
                m.put_page(*page, &bad);
            }
        }
    }

    /// The partition resumes in the shell; its faults on pages still on
    /// the source go back through the stream, batched.
    async fn resume(&mut self, r: Resume) -> Next {
        use vasi_dest_reply::Kind as R;
        let (dtx, mut drx) = mpsc::unbounded_channel::<u64>();
        let state = r.state.unwrap_or_default();
        match self
            .hyp
            .vasi_dest_resume(self.id, &self.mig, &state, &r.missing, dtx)
        {
            Ok(run) => self.running = Some(run),
            Err(FspError::NotPermitted(m)) => return self.refuse(refused(m)).await,
            Err(e) => return self.refuse(st(e)).await,
        }
        tracing::info!(
            lpar = self.id,
            missing = r.missing.len(),
            "partition resumed here"
        );
        if let Next::End = self.reply(R::Resumed(Resumed {})).await {
            return Next::End;
        }
        let tx = self.tx.clone();
        tokio::spawn(async move {
            while let Some(first) = drx.recv().await {
                let mut pages = vec![first];
                while let Ok(p) = drx.try_recv() {
                    pages.push(p);
                }
                if tx
                    .send(dst_reply(R::Demand(Demand { pages })))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        Next::More
    }

    /// Every page is in: the image's digest and what the partition saw.
    async fn finish(&self) -> Next {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(run) = self.running.clone() else {
            return self
                .refuse(Status::failed_precondition(
                    "finish before the partition resumed",
                ))
                .await;
        };
        let missing = self.missing();
        if missing != 0 {
            return self
                .refuse(Status::data_loss(format!("{missing} pages never arrived")))
                .await;
        }
        let downtime_us = run.downtime_us(FIRST_TICK).await;
        let m2 = self.mem.clone();
        let digest = tokio::task::spawn_blocking(move || {
            m2.lock()
                .unwrap_or_else(|e| e.into_inner())
                .received_digest()
                .unwrap_or_default()
        })
        .await
        .unwrap_or_default();
        let _ = self
            .reply(vasi_dest_reply::Kind::Finished(Finished {
                digest,
                downtime_us,
                demand_pages: run.stats.demand_faults.load(Relaxed),
            }))
            .await;
        Next::More
    }

    fn missing(&self) -> usize {
        self.mem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .missing_count()
    }

    async fn handle(&mut self, q: VasiDestRequest) -> Next {
        use vasi_dest_reply::Kind as R;
        use vasi_dest_request::Kind as Q;
        let pages = matches!(q.kind, Some(Q::Pages(_) | Q::Placed(_)));
        if pages && self.running.is_none() && !self.hyp.vasi_dest_alive(self.id) {
            return self
                .refuse(refused(format!(
                    "the destination refused to resume partition {}: its shell is gone",
                    self.id
                )))
                .await;
        }
        match q.kind {
            Some(Q::Pages(p)) => {
                self.pages(p);
                Next::More
            }
            Some(Q::Placed(p)) => {
                self.placed(p);
                Next::More
            }
            Some(Q::Resume(r)) => self.resume(r).await,
            Some(Q::Finish(_)) => self.finish().await,
            // Requests are handled in order: every page sent before this
            // one is in the shell.
            Some(Q::Flush(_)) => self.reply(R::Flushed(Flushed {})).await,
            Some(Q::Open(_)) | None => {
                self.refuse(Status::invalid_argument("unexpected request"))
                    .await
            }
        }
    }

    /// The stream ended: a shell that never resumed lets its memory go; a
    /// partition that resumed without all its pages cannot go on.
    fn close(self) {
        if self.running.is_none() {
            self.hyp.vasi_dest_close(self.id);
            return;
        }
        let missing = self.missing();
        if missing != 0 {
            self.hyp.vasi_dest_lost(self.id, &self.mig, missing);
        }
    }
}

/// Serves one destination VASI stream until the MSP closes it.
pub async fn dest(
    hyp: Arc<Hypervisor>,
    windows: Windows,
    mut inbound: Streaming<VasiDestRequest>,
    tx: Tx<VasiDestReply>,
) {
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
    if tx
        .send(dst_reply(vasi_dest_reply::Kind::Opened(opened)))
        .await
        .is_err()
    {
        hyp.vasi_dest_close(id);
        return;
    }
    let mut d = Dest {
        hyp,
        id,
        mig,
        mem,
        tx,
        running: None,
        corrupt: Corrupt::from_switch(),
    };
    while let Ok(Some(q)) = inbound.message().await {
        if let Next::End = d.handle(q).await {
            break;
        }
    }
    d.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corrupt_switch_spoils_the_first_page_every_time_it_comes() {
        let mut c = Corrupt {
            on: true,
            page: None,
        };
        assert!(c.hits(7));
        assert!(!c.hits(8));
        assert!(c.hits(7), "again when it comes again");
        let mut off = Corrupt {
            on: false,
            page: None,
        };
        assert!(!off.hits(7));
        assert_eq!(wrong(&[])[0], 0xff);
        assert_eq!(wrong(&[1, 2])[..], [0xfe, 2]);
    }
}
