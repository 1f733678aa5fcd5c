//! The HMC's gRPC API for the controller and tools.

use crate::cli::Cli;
use pvmlab_common::model::Role;
use pvmlab_common::net::authorize;
use pvmlab_common::proto::hmc::hmc_server::{Hmc, HmcServer};
use pvmlab_common::proto::hmc::{
    RemoteReply, RemoteRequest, RunReply, RunRequest, ViewReply, ViewRequest,
};
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
            frames: hmc.view.frames(),
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

    async fn remote(&self, req: Request<RemoteRequest>) -> Result<Response<RemoteReply>, Status> {
        let peer = authorize(&req, "Remote", &[Role::Hmc])?;
        crate::lpm::remote::serve(self.cli.hmc(), &peer.name, req.into_inner())
            .await
            .map(Response::new)
            .map_err(|e| Status::failed_precondition(crate::lpm::msg(e)))
    }
}
