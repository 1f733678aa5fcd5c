//! The VIOS's devices (LUNs as hdisks, SEAs, vSCSI and NPIV mappings), kept
//! in its own database, and the RPCs the HMC uses to read them.

use pvmlab_common::model::{NpivMapping, Role, ViosDevices, VscsiMapping};
use pvmlab_common::net::authorize;
use pvmlab_common::proto::vios::vios_server::{Vios, ViosServer};
use pvmlab_common::proto::vios::{
    DeviceReply, DeviceRequest, DevicesRequest, MapRequest, RunReply, RunRequest,
};
use pvmlab_common::store::{Store, StoreError};
use std::path::Path;
use std::sync::Mutex;
use tonic::{Request, Response, Status};

const TABLE: &str = "devices";
const KEY: &str = "devices";
/// What the VIOS keeps besides its devices (`crate::cmd::State`).
const STATE_KEY: &str = "state";

pub struct ViosService {
    devices: Mutex<ViosDevices>,
    state: Mutex<crate::cmd::State>,
    /// The shared SAN's directory (`LabDir::san`).
    pub san: std::path::PathBuf,
    site: crate::cmd::Site,
    store: Store,
    errlog: crate::errlog::Errlog,
}

impl ViosService {
    /// Opens the VIOS database; on first start the devices come from the topology.
    pub fn open(
        dir: &Path,
        site: crate::cmd::Site,
        errlog: crate::errlog::Errlog,
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
        let state = store.get(TABLE, STATE_KEY)?.unwrap_or_default();
        Ok(ViosService {
            san: std::path::PathBuf::new(),
            devices: Mutex::new(devices),
            state: Mutex::new(state),
            site,
            store,
            errlog,
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
        let mut d = self
            .devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let env = crate::cmd::Env {
            site: &self.site,
            dev: &d,
            state: &state,
            clients: &[],
            errlog: &self.errlog,
        };
        let rootvg = crate::cmd::lsvg::rootvg(&crate::cmd::inventory::Inventory::of(&env));
        d.volume_groups = vec![rootvg];
        Ok(Response::new(d))
    }

    async fn run(&self, req: Request<RunRequest>) -> Result<Response<RunReply>, Status> {
        authorize(&req, "Run", &[Role::Hmc])?;
        let r = req.into_inner();
        tracing::info!(line = %r.line, "padmin command");
        // One command at a time sees and changes the VIOS, as one shell.
        let mut devices = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let env = crate::cmd::Env {
            site: &self.site,
            dev: &devices,
            state: &state,
            clients: &r.clients,
            errlog: &self.errlog,
        };
        let (done, exit_status) = crate::cmd::run(&env, &r.line);
        // What changed is persisted before the command's answer goes back.
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
        let output = done.output;
        Ok(Response::new(RunReply {
            output,
            exit_status,
        }))
    }

    async fn map(&self, req: Request<MapRequest>) -> Result<Response<ViosDevices>, Status> {
        authorize(&req, "Map", &[Role::Hmc])?;
        let r = req.into_inner();
        let mut devices = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        let next = map(&devices, &r).map_err(Status::failed_precondition)?;
        // Persisted before it is acknowledged.
        self.store
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
            .devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .luns
            .iter()
            .find(|l| l.hdisk == r.hdisk)
            .map(|l| l.id.clone())
            .ok_or_else(|| Status::not_found(format!("{} is not a disk of this VIOS", r.hdisk)))?;
        let path = self.san.join(&lun);
        if !r.write {
            return match std::fs::read(&path) {
                Ok(data) => Ok(Response::new(DeviceReply { data })),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Ok(Response::new(DeviceReply::default()))
                }
                Err(e) => Err(Status::internal(format!("reading {}: {e}", r.hdisk))),
            };
        }
        // Whole or not at all: written aside, synced, then renamed.
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.san)?;
            let tmp = self.san.join(format!(".{lun}.{}", std::process::id()));
            let mut f = std::fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut f, &r.data)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| Status::internal(format!("writing {}: {e}", r.hdisk)))?;
        Ok(Response::new(DeviceReply::default()))
    }
}

/// The devices after a map request, or why it cannot be done (a LUN this
/// VIOS does not see): all or nothing.
fn map(d: &ViosDevices, r: &MapRequest) -> Result<ViosDevices, String> {
    let mut next = d.clone();
    if r.remove_client_lpar_id != 0 {
        next.vscsi
            .retain(|m| m.client_lpar_id != r.remove_client_lpar_id);
        next.npiv
            .retain(|m| m.client_lpar_id != r.remove_client_lpar_id);
    }
    let free = |used: Vec<u32>| (0..).find(move |n| !used.contains(n)).unwrap_or(0);
    for m in &r.add_vscsi {
        let lun = next
            .luns
            .iter()
            .find(|l| l.id == m.lun_id)
            .ok_or_else(|| format!("LUN {} is not visible from this VIOS", m.lun_id))?
            .clone();
        // One vhost per server slot; one vtscsi per disk.
        let vhost = match next.vscsi.iter().find(|v| v.server_slot == m.server_slot) {
            Some(v) => v.vhost.clone(),
            None => format!(
                "vhost{}",
                free(
                    next.vscsi
                        .iter()
                        .filter_map(|v| v.vhost.strip_prefix("vhost")?.parse().ok())
                        .collect()
                )
            ),
        };
        let vtd = format!(
            "vtscsi{}",
            free(
                next.vscsi
                    .iter()
                    .filter_map(|v| v.vtd.strip_prefix("vtscsi")?.parse().ok())
                    .collect()
            )
        );
        next.vscsi.push(VscsiMapping {
            vhost,
            server_slot: m.server_slot,
            client_lpar_id: m.client_lpar_id,
            vtd,
            backing: lun.hdisk.clone(),
            lun_id: lun.id.clone(),
        });
    }
    for m in &r.add_npiv {
        let vfchost = format!(
            "vfchost{}",
            free(
                next.npiv
                    .iter()
                    .filter_map(|v| v.vfchost.strip_prefix("vfchost")?.parse().ok())
                    .collect()
            )
        );
        let fcs = if m.fcs.is_empty() {
            "fcs0".to_string()
        } else {
            m.fcs.clone()
        };
        next.npiv.push(NpivMapping {
            vfchost,
            fcs,
            ..m.clone()
        });
    }
    Ok(next)
}
