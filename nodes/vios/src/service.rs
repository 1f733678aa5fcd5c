//! The VIOS's devices (LUNs as hdisks, SEAs, vSCSI and NPIV mappings), kept
//! in its own database, the RPCs the HMC uses to read and change them, and
//! those through which the hypervisor hands it its clients' I/O.

use pvmlab_common::model::{Role, ViosDevices};
use pvmlab_common::net::{Chan, authorize};
use pvmlab_common::proto::san::{self, san_client::SanClient};
use pvmlab_common::proto::vios::vios_server::{Vios, ViosServer};
use pvmlab_common::proto::vios::{
    Client, DeviceReply, DeviceRequest, DevicesRequest, IoReply, IoRequest, MapRequest,
    PacketReply, PacketRequest, RunReply, RunRequest,
};
use pvmlab_common::store::{Store, StoreError};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tonic::{Request, Response, Status};

const TABLE: &str = "devices";
const KEY: &str = "devices";
/// What the VIOS keeps besides its devices (`crate::cmd::State`).
const STATE_KEY: &str = "state";

/// The VIOS as its RPCs, its SEAs and its command line share it.
pub struct Shared {
    devices: Mutex<ViosDevices>,
    state: Mutex<crate::cmd::State>,
    site: crate::cmd::Site,
    store: Arc<Store>,
    pub errlog: crate::errlog::Errlog,
    /// Each SEA's failover state now (`crate::sea`).
    pub seas: Mutex<crate::sea::Seas>,
    /// Whether the partition runs this operating system now.
    pub attached: Arc<AtomicBool>,
    /// The VIOS's physical ports: its FC to the array, its Ethernet to
    /// the outside network (both `pvm-san`).
    pub san: SanClient<Chan>,
    /// How long it waits for the array before it fails the I/O.
    pub io_timeout: Duration,
    /// Its ports reached the array last time it tried.
    pub san_ok: AtomicBool,
}

impl Shared {
    /// Opens the VIOS database; on first start the devices come from the topology.
    pub fn open(
        dir: &Path,
        site: crate::cmd::Site,
        errlog: crate::errlog::Errlog,
        attached: Arc<AtomicBool>,
        san: SanClient<Chan>,
        io_timeout: Duration,
        initial: impl FnOnce() -> ViosDevices,
    ) -> Result<Shared, StoreError> {
        let store = Store::open(&dir.join("vios.redb"))?;
        let devices = match store.get::<ViosDevices>(TABLE, KEY)? {
            Some(d) => d,
            None => {
                let d = initial();
                store.put(TABLE, KEY, &d)?;
                d
            }
        };
        let state = store.get(TABLE, STATE_KEY)?.unwrap_or_default();
        let store = Arc::new(store);
        errlog.keep_in(store.clone())?;
        Ok(Shared {
            devices: Mutex::new(devices),
            state: Mutex::new(state),
            site,
            store,
            errlog,
            seas: Mutex::new(Default::default()),
            attached,
            san,
            io_timeout,
            san_ok: AtomicBool::new(true),
        })
    }

    pub fn devices(&self) -> ViosDevices {
        self.devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs `f` on the VIOS as a command sees it.
    pub fn with_env<R>(&self, clients: &[Client], f: impl FnOnce(&crate::cmd::Env<'_>) -> R) -> R {
        let d = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let seas = self.seas.lock().unwrap_or_else(|e| e.into_inner());
        f(&crate::cmd::Env {
            site: &self.site,
            dev: &d,
            state: &state,
            clients,
            errlog: &self.errlog,
            seas: &seas,
            san_ok: self.san_ok.load(std::sync::atomic::Ordering::Relaxed),
        })
    }
}

pub struct ViosService(pub Arc<Shared>);

impl ViosService {
    pub fn into_server(self) -> ViosServer<Self> {
        ViosServer::new(self)
    }
}

#[tonic::async_trait]
impl Vios for ViosService {
    async fn devices(&self, req: Request<DevicesRequest>) -> Result<Response<ViosDevices>, Status> {
        authorize(&req, "Devices", &[Role::Hmc])?;
        let (mut d, rootvg) = self.0.with_env(&[], |env| {
            (
                env.dev.clone(),
                crate::cmd::lsvg::rootvg(&crate::cmd::inventory::Inventory::of(env), env.dev),
            )
        });
        d.volume_groups = vec![rootvg];
        Ok(Response::new(d))
    }

    async fn run(&self, req: Request<RunRequest>) -> Result<Response<RunReply>, Status> {
        authorize(&req, "Run", &[Role::Hmc])?;
        let r = req.into_inner();
        tracing::info!(line = %r.line, "padmin command");
        let (output, exit_status) = self.0.run(&r.clients, &r.line)?;
        Ok(Response::new(RunReply {
            output,
            exit_status,
        }))
    }

    async fn map(&self, req: Request<MapRequest>) -> Result<Response<ViosDevices>, Status> {
        authorize(&req, "Map", &[Role::Hmc])?;
        let r = req.into_inner();
        let shared = &self.0;
        let mut devices = shared.devices.lock().unwrap_or_else(|e| e.into_inner());
        let next = crate::cmd::mapping::map(&devices, &r).map_err(Status::failed_precondition)?;
        // Persisted before it is acknowledged.
        shared
            .store
            .put(TABLE, KEY, &next)
            .map_err(|e| Status::internal(e.to_string()))?;
        *devices = next.clone();
        tracing::info!(
            added = r.add_vscsi.len() + r.add_npiv.len(),
            removed_for = r.remove_client_lpar_id,
            "mappings changed"
        );
        Ok(Response::new(next))
    }

    async fn device(&self, req: Request<DeviceRequest>) -> Result<Response<DeviceReply>, Status> {
        authorize(&req, "Device", &[Role::Hmc])?;
        let r = req.into_inner();
        let lun = self
            .0
            .devices()
            .luns
            .into_iter()
            .find(|l| l.hdisk == r.hdisk)
            .map(|l| l.id)
            .ok_or_else(|| Status::not_found(format!("{} is not a disk of this VIOS", r.hdisk)))?;
        let reply = self
            .0
            .san
            .clone()
            .device(san::DeviceRequest {
                lun_id: lun,
                write: r.write,
                data: r.data,
            })
            .await
            .map_err(|e| Status::unavailable(format!("{}: the SAN: {}", r.hdisk, e.message())))?
            .into_inner();
        if reply.refused != 0 {
            return Err(Status::failed_precondition(format!(
                "{}: the SAN refused the device ({:?})",
                r.hdisk,
                reply.refused()
            )));
        }
        Ok(Response::new(DeviceReply { data: reply.data }))
    }

    async fn io(&self, req: Request<IoRequest>) -> Result<Response<IoReply>, Status> {
        authorize(&req, "Io", &[Role::Fsp])?;
        Ok(Response::new(
            crate::io::io(&self.0, req.into_inner()).await,
        ))
    }

    async fn packet(&self, req: Request<PacketRequest>) -> Result<Response<PacketReply>, Status> {
        authorize(&req, "Packet", &[Role::Fsp])?;
        Ok(Response::new(
            crate::io::packet(&self.0, req.into_inner()).await,
        ))
    }
}

impl Shared {
    /// Runs one padmin command; what it changed is persisted before its
    /// answer goes back.
    pub fn run(&self, clients: &[Client], line: &str) -> Result<(String, u32), Status> {
        // One command at a time sees and changes the VIOS, as one shell.
        let mut devices = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (done, exit_status) = {
            let seas = self.seas.lock().unwrap_or_else(|e| e.into_inner());
            let env = crate::cmd::Env {
                site: &self.site,
                dev: &devices,
                state: &state,
                clients,
                errlog: &self.errlog,
                seas: &seas,
                san_ok: self.san_ok.load(std::sync::atomic::Ordering::Relaxed),
            };
            crate::cmd::run(&env, line)
        };
        let change = done.change;
        if let Some(next) = change.state {
            self.store
                .put(TABLE, STATE_KEY, &next)
                .map_err(|e| Status::internal(e.to_string()))?;
            *state = next;
        }
        if let Some(next) = change.devices {
            self.store
                .put(TABLE, KEY, &next)
                .map_err(|e| Status::internal(e.to_string()))?;
            *devices = next;
        }
        Ok((done.output, exit_status))
    }
}
