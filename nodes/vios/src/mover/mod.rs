//! The mover service partition (MSP). On the source it reads the
//! migrating partition's memory from its hypervisor through VASI, pass
//! after pass, and sends it to the destination MSP over one full-duplex
//! mTLS stream; it decides when to suspend, sends the last pages and the
//! processor state, and serves demand requests after the partition has
//! resumed. On the destination it writes what arrives through VASI into
//! the shell.
//!
//! - `source`: one migration's phases on the source MSP;
//! - `policy`: the pre-copy stop rule (another pass, or suspend now);
//! - `vasi`: the source hypervisor's VASI end, as the source drives it;
//! - `link`: the source's end of the stream to the destination MSP;
//! - `dest`: the destination MSP;
//! - `window`: the partition's memory, mapped, on either side.

mod dest;
mod link;
mod policy;
mod source;
mod vasi;
mod window;

use crate::errlog::Errlog;
use pvmlab_common::model::Role;
use pvmlab_common::net::{Chan, Identity, authorize};
use pvmlab_common::proto::fsp::fsp_client::FspClient;
use pvmlab_common::proto::mover::mover_server::{Mover, MoverServer};
use pvmlab_common::proto::mover::*;
use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

/// A page, in the unit of the byte counts here (the window's own size).
const PAGE: u64 = pvmlab_common::window::PAGE as u64;
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
                source::run(me, r, tx).await;
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
            dest::run(me, req.into_inner(), tx).instrument(tracing::info_span!("msp.dest")),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

/// Why a migration stopped on the source, as the HMC is told it.
#[derive(Debug, Clone, PartialEq)]
struct Fail {
    msg: String,
    /// It was the MSP-to-MSP connection (the errlog says so).
    link: bool,
}

impl Fail {
    fn link(e: impl std::fmt::Display) -> Fail {
        Fail {
            msg: format!("MSP-MSP connection down: {e}"),
            link: true,
        }
    }

    fn vasi(e: impl std::fmt::Display) -> Fail {
        Fail {
            msg: format!("VASI: {e}"),
            link: false,
        }
    }

    fn other(msg: &str) -> Fail {
        Fail {
            msg: msg.into(),
            link: false,
        }
    }
}
