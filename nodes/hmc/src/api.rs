//! The HMC's gRPC API for the controller and tools.

use crate::cli::Cli;
use crate::lpm::remote::serve;
use pvmlab_common::model::Role;
use pvmlab_common::net::authorize;
use pvmlab_common::proto::hmc::hmc_server::{Hmc, HmcServer};
use pvmlab_common::proto::hmc::{self as api, RunReply, RunRequest, ViewReply, ViewRequest};
use tonic::{Request, Response, Status};

pub struct HmcApi {
    cli: Cli,
}

impl HmcApi {
    pub fn new(cli: Cli) -> Self {
        HmcApi { cli }
    }

    pub fn into_server(self) -> HmcServer<Self> {
        HmcServer::new(self)
    }
}

#[tonic::async_trait]
impl Hmc for HmcApi {
    async fn view(&self, req: Request<ViewRequest>) -> Result<Response<ViewReply>, Status> {
        authorize(&req, "View", &[Role::Controller, Role::Hmc])?;
        let hmc = self.cli.hmc();
        Ok(Response::new(ViewReply {
            hmc_name: hmc.name.clone(),
            version: hmc.version.clone(),
            frames: hmc.view.frames().iter().map(|f| (**f).clone()).collect(),
        }))
    }

    async fn run(&self, req: Request<RunRequest>) -> Result<Response<RunReply>, Status> {
        authorize(&req, "Run", &[Role::Controller])?;
        let r = req.into_inner();
        let (output, exit_status) = self.cli.run(&r.user, &r.line).await;
        Ok(Response::new(RunReply {
            output,
            exit_status,
        }))
    }

    async fn trust(
        &self,
        req: Request<api::TrustRequest>,
    ) -> Result<Response<api::PeerReply>, Status> {
        let peer = authorize(&req, "Trust", &[Role::Hmc])?;
        serve::trust(self.cli.hmc(), &peer.name, req.into_inner()).map(Response::new)
    }

    async fn test(
        &self,
        req: Request<api::TestRequest>,
    ) -> Result<Response<api::PeerReply>, Status> {
        let peer = authorize(&req, "Test", &[Role::Hmc])?;
        answer(serve::test(self.cli.hmc(), &peer.name, req.into_inner()))
    }

    async fn remote_frame(
        &self,
        req: Request<api::RemoteFrameRequest>,
    ) -> Result<Response<api::RemoteFrameReply>, Status> {
        let peer = authorize(&req, "RemoteFrame", &[Role::Hmc])?;
        answer(serve::frame_view(
            self.cli.hmc(),
            &peer.name,
            req.into_inner(),
        ))
    }

    async fn remote_devices(
        &self,
        req: Request<api::RemoteDevicesRequest>,
    ) -> Result<Response<api::RemoteDevicesReply>, Status> {
        let peer = authorize(&req, "RemoteDevices", &[Role::Hmc])?;
        answer(serve::devices(self.cli.hmc(), &peer.name, req.into_inner()).await)
    }

    async fn remote_step(
        &self,
        req: Request<api::RemoteStepRequest>,
    ) -> Result<Response<api::RemoteStepReply>, Status> {
        let peer = authorize(&req, "RemoteStep", &[Role::Hmc])?;
        answer(serve::step(self.cli.hmc(), &peer.name, req.into_inner()).await)
    }

    async fn remote_map(
        &self,
        req: Request<api::RemoteMapRequest>,
    ) -> Result<Response<api::RemoteMapReply>, Status> {
        let peer = authorize(&req, "RemoteMap", &[Role::Hmc])?;
        answer(serve::map(self.cli.hmc(), &peer.name, req.into_inner()).await)
    }

    async fn remote_unmap(
        &self,
        req: Request<api::RemoteUnmapRequest>,
    ) -> Result<Response<api::RemoteUnmapReply>, Status> {
        let peer = authorize(&req, "RemoteUnmap", &[Role::Hmc])?;
        answer(serve::unmap(self.cli.hmc(), &peer.name, req.into_inner()).await)
    }

    async fn remote_lock(
        &self,
        req: Request<api::RemoteLockRequest>,
    ) -> Result<Response<api::RemoteLockReply>, Status> {
        let peer = authorize(&req, "RemoteLock", &[Role::Hmc])?;
        answer(serve::lock(self.cli.hmc(), &peer.name, req.into_inner()).await)
    }
}

/// What another HMC gets back: the reply, or the refusal as text and a
/// typed reason.
fn answer<T>(r: Result<T, crate::error::CmdError>) -> Result<Response<T>, Status> {
    r.map(Response::new).map_err(serve::status)
}
