//! The destination MSP: writes what arrives into the shell through VASI,
//! and relays its hypervisor's answers (demand requests, resumed,
//! finished) back to the source. Its hypervisor's refusals go back as the
//! hypervisor sent them, typed reason and all.

use super::{MoverService, QUEUE, window};
use crate::errlog::{self, Errlog};
use pvmlab_common::proto::mover::vasi_dest_reply::Kind as V;
use pvmlab_common::proto::mover::vasi_dest_request::Kind as Q;
use pvmlab_common::proto::mover::*;
use std::fs::File;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};

type ToSourceTx = mpsc::Sender<Result<ToSource, Status>>;

fn ts(k: to_source::Kind) -> Result<ToSource, Status> {
    Ok(ToSource { kind: Some(k) })
}

/// The shell's VASI stream, open.
struct Shell {
    tx: mpsc::Sender<VasiDestRequest>,
    rx: Streaming<VasiDestReply>,
    window: Option<File>,
    npages: u64,
}

/// Serves one transfer until the source or the shell ends it.
pub(super) async fn run(me: MoverService, mut inbound: Streaming<ToDest>, tx: ToSourceTx) {
    let shell = match open(&me, &mut inbound).await {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
    };
    if tx.send(ts(to_source::Kind::Ready(Ready {}))).await.is_err() {
        return;
    }
    tokio::spawn(relay(shell.rx, tx.clone(), me.errlog.clone()));
    let (ptx, prx) = mpsc::channel(QUEUE);
    tokio::spawn(place_in_order(
        shell.window.map(Arc::new),
        shell.npages,
        prx,
        shell.tx,
        tx.clone(),
        me.errlog.clone(),
    ));
    forward(&me, inbound, ptx, &tx).await;
}

/// The transfer's hello, then the shell it names opened on this frame's
/// hypervisor, with its memory window if one is lent.
async fn open(me: &MoverService, inbound: &mut Streaming<ToDest>) -> Result<Shell, Status> {
    let hello = match inbound.message().await {
        Ok(Some(ToDest {
            kind: Some(to_dest::Kind::Hello(h)),
        })) => h,
        _ => return Err(Status::invalid_argument("the transfer starts with hello")),
    };
    let (tx, vrx) = mpsc::channel(QUEUE);
    let _ = tx
        .send(VasiDestRequest {
            kind: Some(Q::Open(VasiOpen {
                migration_id: hello.migration_id.clone(),
                lpar_id: hello.dest_lpar_id,
            })),
        })
        .await;
    let mut rx = me
        .fsp
        .clone()
        .vasi_dest(ReceiverStream::new(vrx))
        .await?
        .into_inner();
    match rx.message().await? {
        Some(VasiDestReply {
            kind: Some(V::Opened(o)),
        }) => Ok(Shell {
            tx,
            rx,
            window: window::open(&o).await,
            npages: o.npages,
        }),
        _ => Err(Status::internal("the hypervisor did not open VASI")),
    }
}

/// The hypervisor's answers, to the source, until either ends; an error
/// goes as it came and ends the relay.
async fn relay(mut vin: Streaming<VasiDestReply>, tx: ToSourceTx, errlog: Errlog) {
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
        if tx.send(out).await.is_err() || end {
            return;
        }
    }
}

/// What the source sends, to the placer in order, while this MSP runs.
async fn forward(
    me: &MoverService,
    mut inbound: Streaming<ToDest>,
    ptx: mpsc::Sender<Q>,
    tx: &ToSourceTx,
) {
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
    mut rx: mpsc::Receiver<Q>,
    vtx: mpsc::Sender<VasiDestRequest>,
    tx: ToSourceTx,
    log: Errlog,
) {
    while let Some(q) = rx.recv().await {
        let q = match (q, &window) {
            (Q::Pages(p), Some(w)) => {
                let w = w.clone();
                let placed = tokio::task::spawn_blocking(move || window::place(&w, npages, p))
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
