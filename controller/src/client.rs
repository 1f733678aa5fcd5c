//! The controller's gRPC clients, authenticated with its own lab certificate.

use pvmlab_common::lab::{CONTROLLER_NODE, LabDir};
use pvmlab_common::net::{Chan, Identity};
use pvmlab_common::proto::chaos::node_control_client::NodeControlClient;
use pvmlab_common::proto::chaos::{HealthReply, HealthRequest};
use pvmlab_common::proto::hmc::hmc_client::HmcClient;
use pvmlab_common::proto::hmc::{RunReply, RunRequest, ViewReply, ViewRequest};
use pvmlab_common::topology::NodeDef;
use std::time::Duration;

pub struct Clients {
    id: Identity,
}

impl Clients {
    pub fn new(lab: &LabDir) -> anyhow::Result<Clients> {
        Ok(Clients {
            id: Identity::load(lab, CONTROLLER_NODE)?,
        })
    }

    fn chan(&self, node: &NodeDef) -> anyhow::Result<Chan> {
        Ok(self.id.channel(&node.name, &node.endpoint())?)
    }

    /// The node's control service (health, faults).
    pub fn control(&self, node: &NodeDef) -> anyhow::Result<NodeControlClient<Chan>> {
        Ok(NodeControlClient::new(self.chan(node)?))
    }

    pub async fn health(&self, node: &NodeDef) -> anyhow::Result<HealthReply> {
        let mut c = NodeControlClient::new(self.chan(node)?);
        let r = tokio::time::timeout(Duration::from_secs(2), c.health(HealthRequest {})).await??;
        Ok(r.into_inner())
    }

    pub async fn view(&self, hmc: &NodeDef) -> anyhow::Result<ViewReply> {
        let mut c = HmcClient::new(self.chan(hmc)?)
            .max_decoding_message_size(pvmlab_common::net::MAX_VIEW_MESSAGE);
        let r = tokio::time::timeout(Duration::from_secs(10), c.view(ViewRequest {})).await??;
        Ok(r.into_inner())
    }

    pub async fn fsp(
        &self,
        frame: &NodeDef,
    ) -> anyhow::Result<pvmlab_common::proto::fsp::fsp_client::FspClient<Chan>> {
        Ok(pvmlab_common::proto::fsp::fsp_client::FspClient::new(
            self.chan(frame)?,
        ))
    }

    pub async fn run(&self, hmc: &NodeDef, user: &str, line: &str) -> anyhow::Result<RunReply> {
        let mut c = HmcClient::new(self.chan(hmc)?)
            .max_decoding_message_size(pvmlab_common::net::MAX_VIEW_MESSAGE);
        let req = RunRequest {
            user: user.into(),
            line: line.into(),
        };
        Ok(c.run(req).await?.into_inner())
    }
}
