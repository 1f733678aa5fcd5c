//! The VIOS's devices (LUNs as hdisks, SEAs, vSCSI and NPIV mappings), kept
//! in its own database, and the RPCs the HMC uses to read them.

use pvmlab_common::model::{Role, ViosDevices};
use pvmlab_common::net::authorize;
use pvmlab_common::proto::vios::vios_server::{Vios, ViosServer};
use pvmlab_common::proto::vios::{DevicesRequest, RunReply, RunRequest};
use pvmlab_common::store::{Store, StoreError};
use std::path::Path;
use std::sync::Mutex;
use tonic::{Request, Response, Status};

const TABLE: &str = "devices";
const KEY: &str = "devices";

pub struct ViosService {
    devices: Mutex<ViosDevices>,
    site: crate::cmd::Site,
}

impl ViosService {
    /// Opens the VIOS database; on first start the devices come from the topology.
    pub fn open(
        dir: &Path,
        site: crate::cmd::Site,
        initial: impl FnOnce() -> ViosDevices,
    ) -> Result<ViosService, StoreError> {
        let store = Store::open(&dir.join("vios.redb"))?;
        let devices = match store.get::<ViosDevices>(TABLE, KEY)? {
            Some(d) => d,
            None => {
                let d = initial();
                store.put(TABLE, KEY, &d)?;
                d
            }
        };
        Ok(ViosService {
            devices: Mutex::new(devices),
            site,
        })
    }

    pub fn into_server(self) -> ViosServer<Self> {
        ViosServer::new(self)
    }
}

#[tonic::async_trait]
impl Vios for ViosService {
    async fn devices(&self, req: Request<DevicesRequest>) -> Result<Response<ViosDevices>, Status> {
        authorize(&req, "Devices", &[Role::Hmc])?;
        let d = self
            .devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Ok(Response::new(d))
    }

    async fn run(&self, req: Request<RunRequest>) -> Result<Response<RunReply>, Status> {
        authorize(&req, "Run", &[Role::Hmc])?;
        let r = req.into_inner();
        tracing::info!(line = %r.line, "padmin command");
        let d = self
            .devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let (output, exit_status) = crate::cmd::run(&self.site, &d, &r.clients, &r.line);
        Ok(Response::new(RunReply {
            output,
            exit_status,
        }))
    }
}
