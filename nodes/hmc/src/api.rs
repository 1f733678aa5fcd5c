//! The HMC's gRPC API for the controller and tools.

use crate::frames::View;
use pvmlab_common::model::Role;
use pvmlab_common::net::authorize;
use pvmlab_common::proto::hmc::hmc_server::{Hmc, HmcServer};
use pvmlab_common::proto::hmc::{ViewReply, ViewRequest};
use tonic::{Request, Response, Status};

pub struct HmcApi {
    name: String,
    version: String,
    view: View,
}

impl HmcApi {
    pub fn new(name: String, version: String, view: View) -> Self {
        HmcApi {
            name,
            version,
            view,
        }
    }

    pub fn into_server(self) -> HmcServer<Self> {
        HmcServer::new(self)
    }
}

#[tonic::async_trait]
impl Hmc for HmcApi {
    async fn view(&self, req: Request<ViewRequest>) -> Result<Response<ViewReply>, Status> {
        authorize(&req, "View", &[Role::Controller, Role::Hmc])?;
        Ok(Response::new(ViewReply {
            hmc_name: self.name.clone(),
            version: self.version.clone(),
            frames: self.view.frames(),
        }))
    }
}
