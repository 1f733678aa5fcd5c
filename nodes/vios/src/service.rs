//! The VIOS's devices (LUNs as hdisks, SEAs, vSCSI and NPIV mappings), kept
//! in its own database, and the RPCs the HMC uses to read them.

use pvmlab_common::model::{Role, ViosDevices};
use pvmlab_common::net::authorize;
use pvmlab_common::proto::vios::DevicesRequest;
use pvmlab_common::proto::vios::vios_server::{Vios, ViosServer};
use pvmlab_common::store::{Store, StoreError};
use std::path::Path;
use std::sync::Mutex;
use tonic::{Request, Response, Status};

const TABLE: &str = "devices";
const KEY: &str = "devices";

pub struct ViosService {
    devices: Mutex<ViosDevices>,
    #[allow(dead_code)] // written by the mapping commands of later issues
    store: Store,
}

impl ViosService {
    /// Opens the VIOS database; on first start the devices come from the topology.
    pub fn open(
        dir: &Path,
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
            store,
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
}
