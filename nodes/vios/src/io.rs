//! The VIOS's part in its clients' I/O: a disk I/O that the hypervisor
//! hands to a server adapter goes to the LUN mapped behind it, on the
//! array, with the disk's reserve policy (through a vfchost, to the LUNs
//! masked to the client's own WWPN); a packet goes out through the
//! SEA that bridges its VLAN now. A VIOS that is not running, or whose
//! port to the array or the network is cut, carries none, and says why.

use crate::service::Shared;
use pvmlab_common::proto::san::{self, Refusal, Reserve};
use pvmlab_common::proto::vios::{
    DiscoveredLun, IoRefusal, IoReply, IoRequest, PacketReply, PacketRequest,
};
use std::sync::atomic::Ordering;

fn refused(r: IoRefusal) -> IoReply {
    IoReply {
        refused: r as i32,
        ..Default::default()
    }
}

pub async fn io(v: &Shared, r: IoRequest) -> IoReply {
    if !v.attached.load(Ordering::SeqCst) {
        return refused(IoRefusal::NotRunning);
    }
    if !r.wwpn.is_empty() {
        return npiv(v, r).await;
    }
    let d = v.devices();
    // The LUNs behind the adapter, for this client: vSCSI mappings of that
    // server slot.
    let mapped: Vec<_> = d
        .vscsi
        .iter()
        .filter(|m| m.server_slot == r.server_slot && m.client_lpar_id == r.client_lpar_id)
        .filter_map(|m| d.luns.iter().find(|l| l.id == m.lun_id))
        .collect();
    if r.discover {
        return discovered(
            mapped
                .iter()
                .map(|l| (l.id.clone(), l.udid.clone(), l.size_mb)),
        );
    }
    let Some(lun) = mapped.iter().find(|l| l.id == r.lun_id) else {
        return refused(IoRefusal::NoMapping);
    };
    let reserve = if lun.reserve_policy == "single_path" {
        Reserve::SinglePath
    } else {
        Reserve::NoReserve
    };
    block(v, r, reserve).await
}

/// Through a vfchost: the client's own virtual FC port logs in to the
/// fabric through the VIOS's physical one, and sees the LUNs masked to its
/// WWPN; the VIOS maps nothing but the port (and takes no reserve).
async fn npiv(v: &Shared, r: IoRequest) -> IoReply {
    let mapped = v
        .devices()
        .npiv
        .iter()
        .any(|m| m.server_slot == r.server_slot && m.client_lpar_id == r.client_lpar_id);
    if !mapped {
        return refused(IoRefusal::NoMapping);
    }
    if r.discover {
        let mut san = v.san.clone();
        let login = san.login(san::LoginRequest {
            wwpn: r.wwpn.clone(),
        });
        return match tokio::time::timeout(v.io_timeout, login).await {
            Ok(Ok(reply)) => discovered(
                reply
                    .into_inner()
                    .luns
                    .into_iter()
                    .map(|l| (l.lun_id, l.udid, l.size_mb)),
            ),
            Ok(Err(_)) | Err(_) => refused(IoRefusal::SanUnreachable),
        };
    }
    block(v, r, Reserve::NoReserve).await
}

/// A discovery's answer: the LUNs found, numbered from 1.
fn discovered(luns: impl Iterator<Item = (String, String, u64)>) -> IoReply {
    IoReply {
        luns: luns
            .enumerate()
            .map(|(i, (lun_id, udid, size_mb))| DiscoveredLun {
                lun_id,
                udid,
                size_mb,
                lun_number: i as u32 + 1,
            })
            .collect(),
        ..Default::default()
    }
}

/// One block read or written on the array.
async fn block(v: &Shared, r: IoRequest, reserve: Reserve) -> IoReply {
    let mut san = v.san.clone();
    let call = san.block(san::BlockRequest {
        lun_id: r.lun_id,
        block: r.block,
        write: r.write,
        data: r.data,
        reserve: reserve as i32,
        wwpn: r.wwpn,
    });
    match tokio::time::timeout(v.io_timeout, call).await {
        Ok(Ok(reply)) => {
            let reply = reply.into_inner();
            match reply.refused() {
                Refusal::None => IoReply {
                    data: reply.data,
                    ..Default::default()
                },
                Refusal::ReservationConflict => refused(IoRefusal::ReservationConflict),
                Refusal::NotZoned | Refusal::OutOfRange => refused(IoRefusal::RefusedByArray),
            }
        }
        Ok(Err(_)) | Err(_) => refused(IoRefusal::SanUnreachable),
    }
}

pub async fn packet(v: &Shared, r: PacketRequest) -> PacketReply {
    let refuse = |why: IoRefusal| PacketReply {
        seq: r.seq,
        refused: why as i32,
    };
    if !v.attached.load(Ordering::SeqCst) {
        return refuse(IoRefusal::NotRunning);
    }
    let sea = {
        let seas = v.seas.lock().unwrap_or_else(|e| e.into_inner());
        seas.iter()
            .find(|(_, s)| s.status.bridged.contains(&r.vlan))
            .map(|(n, s)| (n.clone(), s.status.link_up))
    };
    let Some((sea, link_up)) = sea else {
        return refuse(IoRefusal::NotBridging);
    };
    if !link_up {
        return refuse(IoRefusal::LinkDown);
    }
    let mut san = v.san.clone();
    let call = san.packet(san::PacketRequest {
        vlan: r.vlan,
        source: r.source,
        seq: r.seq,
        payload: r.payload,
    });
    match tokio::time::timeout(v.io_timeout, call).await {
        Ok(Ok(_)) => {
            crate::sea::count_bridged(v, &sea);
            PacketReply {
                seq: r.seq,
                refused: 0,
            }
        }
        _ => refuse(IoRefusal::LinkDown),
    }
}
