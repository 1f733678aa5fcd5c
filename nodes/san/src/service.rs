//! The array's RPCs. Only a VIOS may do I/O, and each VIOS sees only the
//! LUNs zoned to it, as its certificate names it, or through NPIV those
//! masked to the client's virtual FC port; the controller (the lab's
//! operator, like a storage administrator at the array's console) may read
//! a device but never write one.

use crate::array::Array;
use pvmlab_common::model::Role;
use pvmlab_common::net::authorize;
use pvmlab_common::proto::san::san_server::{San, SanServer};
use pvmlab_common::proto::san::{
    BlockReply, BlockRequest, DeviceReply, DeviceRequest, LoggedInLun, LoginReply, LoginRequest,
    PacketReply, PacketRequest, Refusal, Reserve,
};
use pvmlab_common::san::BLOCK;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tonic::{Request, Response, Status};

pub struct SanService {
    array: Array,
    /// Packets the outside hosts have answered, per VLAN.
    packets: Mutex<BTreeMap<u32, u64>>,
}

impl SanService {
    pub fn new(array: Array) -> SanService {
        SanService {
            array,
            packets: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn into_server(self) -> SanServer<Self> {
        SanServer::new(self)
    }
}

fn refused(r: Refusal) -> BlockReply {
    BlockReply {
        data: Vec::new(),
        refused: r as i32,
    }
}

#[tonic::async_trait]
impl San for SanService {
    async fn block(&self, req: Request<BlockRequest>) -> Result<Response<BlockReply>, Status> {
        let vios = authorize(&req, "Block", &[Role::Vios])?.name;
        let r = req.into_inner();
        let reserve = Reserve::try_from(r.reserve).unwrap_or(Reserve::NoReserve);
        let admitted = if r.wwpn.is_empty() {
            self.array.admit(&vios, &r.lun_id, reserve)
        } else {
            self.array.admit_npiv(&r.wwpn, &r.lun_id)
        };
        let size = match admitted {
            Ok(size) => size,
            Err(why) => return Ok(Response::new(refused(why))),
        };
        if r.block >= size || (r.write && r.data.len() != BLOCK) {
            return Ok(Response::new(refused(Refusal::OutOfRange)));
        }
        let internal = |e: pvmlab_common::store::StoreError| Status::internal(e.to_string());
        let data = if r.write {
            self.array
                .write(&r.lun_id, r.block, r.data)
                .await
                .map_err(internal)?;
            Vec::new()
        } else {
            self.array.read(&r.lun_id, r.block).map_err(internal)?
        };
        Ok(Response::new(BlockReply { data, refused: 0 }))
    }

    async fn device(&self, req: Request<DeviceRequest>) -> Result<Response<DeviceReply>, Status> {
        let peer = authorize(&req, "Device", &[Role::Vios, Role::Controller])?;
        let r = req.into_inner();
        if peer.role == Role::Controller && r.write {
            return Err(Status::permission_denied(
                "the controller may read a device, not write one",
            ));
        }
        let admitted = match peer.role {
            Role::Controller => self.array.exists(&r.lun_id),
            _ => self.array.admit(&peer.name, &r.lun_id, Reserve::NoReserve),
        };
        if let Err(why) = admitted {
            return Ok(Response::new(DeviceReply {
                data: Vec::new(),
                refused: why as i32,
            }));
        }
        let internal = |e: pvmlab_common::store::StoreError| Status::internal(e.to_string());
        let data = if r.write {
            self.array
                .put_device(&r.lun_id, r.data)
                .await
                .map_err(internal)?;
            Vec::new()
        } else {
            self.array.device(&r.lun_id).map_err(internal)?
        };
        Ok(Response::new(DeviceReply { data, refused: 0 }))
    }

    async fn login(&self, req: Request<LoginRequest>) -> Result<Response<LoginReply>, Status> {
        authorize(&req, "Login", &[Role::Vios])?;
        let r = req.into_inner();
        let luns = self
            .array
            .login(&r.wwpn)
            .iter()
            .map(|(lun_id, udid, size_mb)| LoggedInLun {
                lun_id: lun_id.clone(),
                udid: udid.clone(),
                size_mb: *size_mb,
            })
            .collect();
        Ok(Response::new(LoginReply { luns }))
    }

    async fn packet(&self, req: Request<PacketRequest>) -> Result<Response<PacketReply>, Status> {
        authorize(&req, "Packet", &[Role::Vios])?;
        let r = req.into_inner();
        *self
            .packets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(r.vlan)
            .or_default() += 1;
        Ok(Response::new(PacketReply {
            seq: r.seq,
            payload: r.payload,
        }))
    }
}
