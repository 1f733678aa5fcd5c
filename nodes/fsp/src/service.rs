//! The FSP's gRPC face. Each RPC names who may call it: HMCs manage the
//! frame, VIOS operating systems attach to their partitions.

use crate::frame::{FspError, Hypervisor};
use pvmlab_common::failure;
use pvmlab_common::model::{PartitionExt as _, Role};
use pvmlab_common::net::authorize;
use pvmlab_common::proto::fsp::fsp_server::{Fsp, FspServer};
use pvmlab_common::proto::fsp::*;
use pvmlab_common::proto::model::{Failure, Reason};
use pvmlab_common::proto::mover::{
    VasiDestReply, VasiDestRequest, VasiSourceReply, VasiSourceRequest,
};
use pvmlab_common::window::Windows;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio_stream::{Stream, wrappers::ReceiverStream};
use tonic::{Request, Response, Status};

/// One HMC's stream: the frame now, then each change; if the HMC falls so
/// far behind that changes were dropped, the frame now again. It ends when
/// the HMC goes.
async fn follow(hyp: Arc<Hypervisor>, tx: tokio::sync::mpsc::Sender<Result<FrameChange, Status>>) {
    use tokio::sync::broadcast::error::RecvError;
    let snapshot = |s| FrameChange {
        kind: Some(frame_change::Kind::Snapshot(s)),
    };
    let (first, mut changes) = hyp.watch();
    // Held weakly: a stream does not keep a stopped hypervisor alive.
    let hyp = Arc::downgrade(&hyp);
    if tx.send(Ok(snapshot(first))).await.is_err() {
        return;
    }
    loop {
        let next = match changes.recv().await {
            Ok(d) => FrameChange {
                kind: Some(frame_change::Kind::Delta((*d).clone())),
            },
            Err(RecvError::Lagged(_)) => {
                let Some(hyp) = hyp.upgrade() else { return };
                let (now, again) = hyp.watch();
                changes = again;
                snapshot(now)
            }
            Err(RecvError::Closed) => return,
        };
        if tx.send(Ok(next)).await.is_err() {
            return;
        }
    }
}

pub struct FspService {
    hyp: Arc<Hypervisor>,
    password: String,
    sessions: Mutex<HashMap<String, String>>,
    /// One HMC at a time changes the frame.
    lock: crate::lock::Lock,
    /// The partitions' memory, lent to the frame's MSPs during migrations.
    windows: Windows,
}

impl FspService {
    pub fn new(hyp: Arc<Hypervisor>, password: String, windows: Windows) -> Self {
        FspService {
            hyp,
            password,
            windows,
            sessions: Mutex::new(HashMap::new()),
            lock: Default::default(),
        }
    }

    pub fn into_server(self) -> FspServer<Self> {
        FspServer::new(self)
    }

    fn lpar_id(&self, name: &str) -> Result<u32, Status> {
        self.hyp.lpar_id(name).ok_or_else(|| {
            Status::not_found(format!("no partition named {name} on this managed system"))
        })
    }

    fn session(&self, token: &str) -> Result<String, Status> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned()
            .ok_or_else(|| {
                Status::unauthenticated(
                    "no such session: log on with the HMC access password first",
                )
            })
    }
}

impl FspService {
    /// An HMC's change to the frame: the caller checked, its session, and
    /// the frame's lock held for it until the guard drops (one HMC at a
    /// time; listing takes none).
    async fn change<T>(
        &self,
        req: &Request<T>,
        session: &str,
        rpc: &str,
    ) -> Result<crate::lock::OpGuard<'_>, Status> {
        authorize(req, rpc, &[Role::Hmc])?;
        let hmc = self.session(session)?;
        self.lock.op(&hmc, rpc).await.map_err(locked)
    }
}

/// Another HMC holds the lock: the holder goes with the refusal, typed.
fn locked(e: crate::lock::Locked) -> Status {
    failure::status(
        tonic::Code::FailedPrecondition,
        e.to_string(),
        Failure {
            reason: Reason::Locked as i32,
            holder: e.hmc,
            ..Default::default()
        },
    )
}

fn status(e: FspError) -> Status {
    e.status()
}

type Stream_<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl Fsp for FspService {
    async fn logon(&self, req: Request<LogonRequest>) -> Result<Response<LogonReply>, Status> {
        authorize(&req, "Logon", &[Role::Hmc])?;
        let r = req.into_inner();
        if r.password != self.password {
            tracing::warn!(hmc = %r.hmc_name, "HMC access password refused");
            return Err(Status::unauthenticated(
                "the HMC access password is not correct",
            ));
        }
        let token = format!(
            "{}-{}",
            r.hmc_name,
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), r.hmc_name.clone());
        tracing::info!(hmc = %r.hmc_name, "HMC connected");
        Ok(Response::new(LogonReply { session: token }))
    }

    type WatchStream = Stream_<FrameChange>;

    async fn watch(
        &self,
        req: Request<WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        authorize(&req, "Watch", &[Role::Hmc])?;
        self.session(&req.get_ref().session)?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(follow(self.hyp.clone(), tx));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn power_frame(
        &self,
        req: Request<PowerFrameRequest>,
    ) -> Result<Response<FrameSnapshot>, Status> {
        let _hold = self
            .change(&req, &req.get_ref().session, "PowerFrame")
            .await?;
        let r = req.into_inner();
        match r.operation() {
            PowerOperation::On => self.hyp.power_on(false).await,
            PowerOperation::OnStandby => self.hyp.power_on(true).await,
            PowerOperation::Off => self.hyp.power_off(r.immediate).await,
            PowerOperation::Unspecified => {
                return Err(Status::invalid_argument(
                    "unknown power operation (expected on, off or onstandby)",
                ));
            }
        }
        .map_err(status)?;
        Ok(Response::new(self.hyp.snapshot()))
    }

    async fn lock(&self, req: Request<LockRequest>) -> Result<Response<LockReply>, Status> {
        authorize(&req, "Lock", &[Role::Hmc])?;
        let hmc = self.session(&req.get_ref().session)?;
        let r = req.into_inner();
        if r.force {
            if let Some(was) = self.lock.force_release() {
                tracing::warn!(by = %hmc, holder = %was, "lock broken by command");
            }
        } else if r.release {
            self.lock.release(&hmc);
        } else {
            let lease = std::time::Duration::from_millis(r.lease_ms.clamp(1000, 600_000));
            self.lock
                .lease(&hmc, &r.what, lease)
                .await
                .map_err(locked)?;
        }
        Ok(Response::new(LockReply {}))
    }

    async fn frame_fault(
        &self,
        req: Request<FrameFaultRequest>,
    ) -> Result<Response<FrameSnapshot>, Status> {
        authorize(&req, "FrameFault", &[Role::Controller])?;
        let fault = req.into_inner().fault();
        self.hyp.frame_fault(fault).await.map_err(status)?;
        Ok(Response::new(self.hyp.snapshot()))
    }

    async fn activate_lpar(
        &self,
        req: Request<ActivateLparRequest>,
    ) -> Result<Response<LparReply>, Status> {
        let _hold = self
            .change(&req, &req.get_ref().session, "ActivateLpar")
            .await?;
        let r = req.into_inner();
        self.hyp
            .activate_with(r.lpar_id, &r.profile, r.boot)
            .map_err(status)?;
        if !r.bootstring.is_empty() {
            tracing::info!(lpar = r.lpar_id, bootstring = %r.bootstring, "booting with a boot string");
        }
        Ok(Response::new(LparReply {
            partition: self.hyp.partition(r.lpar_id),
        }))
    }

    async fn shutdown_lpar(
        &self,
        req: Request<ShutdownLparRequest>,
    ) -> Result<Response<LparReply>, Status> {
        let _hold = self
            .change(&req, &req.get_ref().session, "ShutdownLpar")
            .await?;
        let r = req.into_inner();
        let p = self
            .hyp
            .shutdown(r.lpar_id, r.immediate, r.restart)
            .map_err(status)?;
        Ok(Response::new(LparReply { partition: Some(p) }))
    }

    async fn put_lpar(&self, req: Request<PutLparRequest>) -> Result<Response<LparReply>, Status> {
        let _hold = self.change(&req, &req.get_ref().session, "PutLpar").await?;
        let r = req.into_inner();
        let p = r
            .partition
            .ok_or_else(|| Status::invalid_argument("no partition given"))?;
        let p = self.hyp.put_partition(p, r.create).map_err(status)?;
        Ok(Response::new(LparReply { partition: Some(p) }))
    }

    async fn remove_lpar(
        &self,
        req: Request<RemoveLparRequest>,
    ) -> Result<Response<LparReply>, Status> {
        let _hold = self
            .change(&req, &req.get_ref().session, "RemoveLpar")
            .await?;
        let p = self
            .hyp
            .remove_partition(req.get_ref().lpar_id)
            .map_err(status)?;
        Ok(Response::new(LparReply { partition: Some(p) }))
    }

    async fn dlpar(&self, req: Request<DlparRequest>) -> Result<Response<LparReply>, Status> {
        let _hold = self.change(&req, &req.get_ref().session, "Dlpar").await?;
        let r = req.into_inner();
        let target = (r.target_lpar_id != 0).then_some(r.target_lpar_id);
        let p = self
            .hyp
            .dlpar(r.lpar_id, r.mem_mb, r.procs, r.proc_units, target)
            .map_err(status)?;
        Ok(Response::new(LparReply { partition: Some(p) }))
    }

    async fn change_adapter(
        &self,
        req: Request<ChangeAdapterRequest>,
    ) -> Result<Response<LparReply>, Status> {
        let _hold = self
            .change(&req, &req.get_ref().session, "ChangeAdapter")
            .await?;
        let r = req.into_inner();
        let p = self
            .hyp
            .change_adapter(r.lpar_id, r.add, r.kind(), r.slot, &r.spec, r.profile)
            .map_err(status)?;
        Ok(Response::new(LparReply { partition: Some(p) }))
    }

    async fn change_frame(
        &self,
        req: Request<ChangeFrameRequest>,
    ) -> Result<Response<FrameSnapshot>, Status> {
        let _hold = self
            .change(&req, &req.get_ref().session, "ChangeFrame")
            .await?;
        self.hyp.change_frame(req.into_inner()).map_err(status)?;
        Ok(Response::new(self.hyp.snapshot()))
    }

    async fn get_workload(
        &self,
        req: Request<GetWorkloadRequest>,
    ) -> Result<Response<WorkloadStatus>, Status> {
        authorize(&req, "GetWorkload", &[Role::Controller])?;
        let r = req.into_inner();
        let id = self.lpar_id(&r.lpar_name)?;
        Ok(Response::new(
            self.hyp.workload(id, r.digest).map_err(status)?,
        ))
    }

    async fn set_workload(
        &self,
        req: Request<SetWorkloadRequest>,
    ) -> Result<Response<WorkloadStatus>, Status> {
        authorize(&req, "SetWorkload", &[Role::Controller])?;
        let r = req.into_inner();
        let id = self.lpar_id(&r.lpar_name)?;
        self.hyp
            .set_workload(id, r.workload.unwrap_or_default())
            .map_err(status)?;
        Ok(Response::new(self.hyp.workload(id, false).map_err(status)?))
    }

    async fn sea_beat(
        &self,
        req: Request<SeaBeatRequest>,
    ) -> Result<Response<SeaBeatReply>, Status> {
        let peer = authorize(&req, "SeaBeat", &[Role::Vios])?;
        let r = req.into_inner();
        // A VIOS speaks for its own partition only.
        let own = self
            .hyp
            .partition(r.lpar_id)
            .is_some_and(|l| l.is_vios() && peer.name.ends_with(&format!("-{}", l.name)));
        if !own {
            return Err(Status::permission_denied(format!(
                "{} is not the operating system of partition {}",
                peer.name, r.lpar_id
            )));
        }
        Ok(Response::new(SeaBeatReply {
            peers: self.hyp.sea_beat(r.lpar_id, r.seas),
        }))
    }

    async fn os(&self, req: Request<OsRequest>) -> Result<Response<OsReply>, Status> {
        authorize(&req, "Os", &[Role::Controller])?;
        let r = req.into_inner();
        let (output, exit_status) = self.hyp.os_command(&r.lpar_name, &r.line).map_err(status)?;
        Ok(Response::new(OsReply {
            output,
            exit_status,
        }))
    }

    async fn bridging(
        &self,
        req: Request<BridgingRequest>,
    ) -> Result<Response<BridgingReply>, Status> {
        authorize(&req, "Bridging", &[Role::Controller])?;
        Ok(Response::new(self.hyp.bridging()))
    }

    type AttachViosStream = Stream_<ViosCommand>;

    async fn attach_vios(
        &self,
        req: Request<AttachViosRequest>,
    ) -> Result<Response<Self::AttachViosStream>, Status> {
        let peer = authorize(&req, "AttachVios", &[Role::Vios])?;
        let r = req.into_inner();
        let rx = self
            .hyp
            .attach_vios(r.lpar_id, &peer.name, &r.os_version, &r.rmc_ipaddr)
            .map_err(status)?;
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn migration(
        &self,
        req: Request<MigrationRequest>,
    ) -> Result<Response<LparReply>, Status> {
        let _hold = self
            .change(&req, &req.get_ref().session, "Migration")
            .await?;
        let r = req.into_inner();
        // The partition's operating system runs its migration scripts
        // before it answers (the HMC holds the frame meanwhile, as it does
        // for the whole migration).
        let step = r.step.and_then(|s| s.kind);
        if let Some(step) = &step {
            // Models the scripts' real running time, not a wait for an event.
            let scripts = self.hyp.script_time(step, r.lpar_id);
            if !scripts.is_zero() {
                tokio::time::sleep(scripts).await;
            }
        }
        let p = self.hyp.migration_step(r.lpar_id, step).map_err(status)?;
        Ok(Response::new(LparReply { partition: Some(p) }))
    }

    type VasiSourceStream = Stream_<VasiSourceReply>;

    async fn vasi_source(
        &self,
        req: Request<tonic::Streaming<VasiSourceRequest>>,
    ) -> Result<Response<Self::VasiSourceStream>, Status> {
        self.msp_only(&req, "VasiSource")?;
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        tokio::spawn(crate::vasi::source(
            self.hyp.clone(),
            self.windows.clone(),
            req.into_inner(),
            tx,
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    type VasiDestStream = Stream_<VasiDestReply>;

    async fn vasi_dest(
        &self,
        req: Request<tonic::Streaming<VasiDestRequest>>,
    ) -> Result<Response<Self::VasiDestStream>, Status> {
        self.msp_only(&req, "VasiDest")?;
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        tokio::spawn(crate::vasi::dest(
            self.hyp.clone(),
            self.windows.clone(),
            req.into_inner(),
            tx,
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

impl FspService {
    /// VASI belongs to the frame's own running mover service partitions.
    fn msp_only<T>(&self, req: &Request<T>, rpc: &str) -> Result<(), Status> {
        let peer = authorize(req, rpc, &[Role::Vios])?;
        if self.hyp.is_running_msp(&peer.name) {
            Ok(())
        } else {
            tracing::warn!(peer = %peer.name, rpc, "refused: not a running mover service partition of this frame");
            Err(Status::permission_denied(format!(
                "{} is not a running mover service partition of this managed system",
                peer.name
            )))
        }
    }
}
