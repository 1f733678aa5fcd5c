//! The source hypervisor's VASI end, as the source MSP drives it: one
//! request and its answer at a time (the MSP orders the work, a resumed
//! partition's demand requests before the rest), and the partition's
//! memory, mapped, when the hypervisor lent it.

use super::{Fail, QUEUE, window};
use pvmlab_common::net::Chan;
use pvmlab_common::proto::fsp::fsp_client::FspClient;
use pvmlab_common::proto::mover::vasi_source_reply::Kind as V;
use pvmlab_common::proto::mover::vasi_source_request::Kind as Q;
use pvmlab_common::proto::mover::*;
use pvmlab_common::window::Mapping;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;

/// The longest a roll-back waits for the hypervisor's answer. It answers
/// at once unless it is stopped or cut off; then the HMC's recovery, not
/// this MSP, decides, and the HMC should hear of the failure soon.
const UNSUSPEND_WAIT: Duration = Duration::from_secs(1);

pub(super) struct SourceVasi {
    tx: mpsc::Sender<VasiSourceRequest>,
    rx: Streaming<VasiSourceReply>,
    pub window: Option<Arc<Mapping>>,
}

fn vq(k: Q) -> VasiSourceRequest {
    VasiSourceRequest { kind: Some(k) }
}

impl SourceVasi {
    /// Opens the partition's VASI stream; what the hypervisor said of its
    /// memory.
    pub async fn open(
        fsp: &FspClient<Chan>,
        r: &MigrateRequest,
    ) -> Result<(SourceVasi, Opened), Fail> {
        let (tx, rx) = mpsc::channel(QUEUE);
        tx.send(vq(Q::Open(VasiOpen {
            migration_id: r.migration_id.clone(),
            lpar_id: r.source_lpar_id,
        })))
        .await
        .map_err(Fail::vasi)?;
        let rx = fsp
            .clone()
            .vasi_source(ReceiverStream::new(rx))
            .await
            .map_err(|e| Fail::vasi(e.message()))?
            .into_inner();
        let mut src = SourceVasi {
            tx,
            rx,
            window: None,
        };
        let opened = match src.next().await? {
            V::Opened(o) => o,
            _ => return Err(Fail::vasi("the hypervisor did not open the stream")),
        };
        src.window = window::map(&opened).await;
        Ok((src, opened))
    }

    async fn ask(&mut self, k: Q) -> Result<V, Fail> {
        self.tx.send(vq(k)).await.map_err(Fail::vasi)?;
        self.next().await
    }

    async fn next(&mut self) -> Result<V, Fail> {
        match self
            .rx
            .message()
            .await
            .map_err(|e| Fail::vasi(e.message()))?
        {
            Some(VasiSourceReply { kind: Some(k) }) => Ok(k),
            _ => Err(Fail::vasi("the hypervisor closed the stream")),
        }
    }

    /// The pages dirty now, clean from here on.
    pub async fn take_dirty(&mut self) -> Result<Vec<u64>, Fail> {
        let mut pages = Vec::new();
        let mut reply = self.ask(Q::Pass(Pass {})).await?;
        loop {
            match reply {
                V::Dirty(d) => pages.extend(d.pages),
                V::PassDone(_) => return Ok(pages),
                _ => return Err(Fail::vasi("unexpected reply to a pass")),
            }
            reply = self.next().await?;
        }
    }

    pub async fn dirty_count(&mut self) -> Result<u64, Fail> {
        match self.ask(Q::Count(Count {})).await? {
            V::Counted(c) => Ok(c.dirty),
            _ => Err(Fail::vasi("unexpected reply to a count")),
        }
    }

    /// These pages' contents: read through the window, else asked for.
    pub async fn read(&mut self, pages: &[u64]) -> Result<Pages, Fail> {
        if let Some(w) = &self.window {
            return window::read(w, pages)
                .ok_or_else(|| Fail::vasi("a page outside the partition"));
        }
        let read = Read {
            pages: pages.to_vec(),
        };
        match self.ask(Q::Read(read)).await? {
            V::Pages(p) => Ok(p),
            _ => Err(Fail::vasi("unexpected reply to a read")),
        }
    }

    /// Stops the partition: its state, and the pages it dirtied since the
    /// last pass.
    pub async fn suspend(&mut self) -> Result<Suspended, Fail> {
        match self.ask(Q::Suspend(Suspend {})).await? {
            V::Suspended(s) => Ok(s),
            _ => Err(Fail::vasi("the partition did not suspend")),
        }
    }

    /// The frozen image's digest: what the destination must have received.
    pub async fn digest(&mut self) -> Result<String, Fail> {
        match self.ask(Q::Digest(Digest {})).await? {
            V::Digested(d) => Ok(d.digest),
            _ => Err(Fail::vasi("unexpected reply to a digest")),
        }
    }

    /// Lets the partition run here again, and waits until the hypervisor
    /// says it does: the stream closes when the migration's task ends, and
    /// a request still queued then would be lost with it.
    pub async fn unsuspend(&mut self) {
        if self.tx.send(vq(Q::Unsuspend(Unsuspend {}))).await.is_err() {
            return;
        }
        let answered = tokio::time::timeout(UNSUSPEND_WAIT, async {
            // Whatever a broken exchange left unread comes first.
            loop {
                match self.next().await {
                    Ok(V::Unsuspended(_)) => return true,
                    Ok(_) => {}
                    Err(_) => return false,
                }
            }
        })
        .await;
        if answered != Ok(true) {
            tracing::warn!("the hypervisor did not confirm the roll-back");
        }
    }
}
