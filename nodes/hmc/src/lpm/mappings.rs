//! The VIOS side of a move, on a frame this HMC manages: server adapters
//! and mappings made on the destination's VIOS partitions from the
//! adapter plan before any memory moves, and removed from a frame's VIOS
//! partitions when the client leaves it. Migration and remote restart
//! both build and clear them here.

use super::adapters::{AdapterKind, AdapterMove};
use super::failed;
use super::local::vios_client;
use crate::error::CmdError;
use crate::hmc::{Ctx, change_adapter, conn};
use crate::hscl::Hscl;
use pvmlab_common::model::AdapterKind as WireKind;
use pvmlab_common::model::{
    NpivMapping, Partition, VirtualFcAdapter, VirtualScsiAdapter, VscsiMapping,
};
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::vios::MapRequest;

/// The server adapter a move creates on its destination VIOS, pointing
/// at the client's slot on the partition's destination id.
fn server_spec(m: &AdapterMove, dest_id: u32, lpar: &Partition) -> String {
    match m.kind {
        AdapterKind::Scsi => pvmlab_common::attrs::fmt_scsi(&VirtualScsiAdapter {
            slot: m.dest_slot,
            server: true,
            remote_lpar_id: dest_id.to_string(),
            remote_lpar_name: lpar.name.clone(),
            remote_slot: m.client_slot.to_string(),
            required: false,
        }),
        AdapterKind::Fc => pvmlab_common::attrs::fmt_fc(&VirtualFcAdapter {
            slot: m.dest_slot,
            server: true,
            remote_lpar_id: dest_id.to_string(),
            remote_lpar_name: lpar.name.clone(),
            remote_slot: m.client_slot.to_string(),
            wwpns: Vec::new(),
            required: false,
        }),
    }
}

/// The mappings a move makes on its destination VIOS: each disk to the
/// new vSCSI server slot, or the vFC server slot to the client's.
fn mappings(m: &AdapterMove, dest_id: u32) -> MapRequest {
    match m.kind {
        AdapterKind::Scsi => MapRequest {
            add_vscsi: m
                .luns
                .iter()
                .map(|lun| VscsiMapping {
                    server_slot: m.dest_slot,
                    client_lpar_id: dest_id,
                    lun_id: lun.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        },
        AdapterKind::Fc => MapRequest {
            add_npiv: vec![NpivMapping {
                server_slot: m.dest_slot,
                client_lpar_id: dest_id,
                client_slot: m.client_slot,
                ..Default::default()
            }],
            ..Default::default()
        },
    }
}

/// Server adapters on the destination VIOS partitions and the disks
/// mapped to them, before any memory moves.
pub(crate) async fn map_destination(
    ctx: &Ctx<'_>,
    dst: &FrameView,
    dest_id: u32,
    lpar: &Partition,
    moves: &[AdapterMove],
) -> Result<(), CmdError> {
    for m in moves {
        let vios = dst
            .partitions
            .iter()
            .find(|p| p.id == m.dest_vios)
            .ok_or_else(|| Hscl::PartitionNotFound(m.dest_vios_name.clone()))?;
        conn(ctx, dst)?;
        change_adapter(
            ctx,
            dst,
            vios.id,
            WireKind::from(m.kind),
            m.dest_slot,
            Some(server_spec(m, dest_id, lpar)),
            false,
        )
        .await
        .map_err(|e| {
            failed(
                &format!("creating adapter {} on {}", m.dest_slot, vios.name),
                &e,
            )
        })?;
        let mut v = vios_client(ctx, &dst.name, vios)?;
        v.map(mappings(m, dest_id))
            .await
            .map_err(|e| Hscl::CannotHost {
                vios: vios.name.clone(),
                slot: m.client_slot,
                detail: Some(e.message().to_string()),
            })?;
    }
    Ok(())
}

/// Removes a client's adapters and mappings from a frame's VIOS
/// partitions: on the source after completion, on the destination after
/// a rollback. With `profile`, the slots also go from the VIOS partitions'
/// current profiles, as the HMC does on a migration's source (Redbook
/// §2.4.4: "the HMC removes the slots from the source VIOS's profile").
/// Best effort: a VIOS that cannot be reached keeps them.
pub(crate) async fn unmap(
    ctx: &Ctx<'_>,
    f: &FrameView,
    client_id: u32,
    slots: &[(u32, u32, AdapterKind)],
    profile: bool,
) {
    for v in f.partitions.iter().filter(|p| p.lpar_env == "vioserver") {
        if let Ok(mut c) = vios_client(ctx, &f.name, v) {
            let _ = c
                .map(MapRequest {
                    remove_client_lpar_id: client_id,
                    ..Default::default()
                })
                .await;
        }
    }
    for (vios, slot, kind) in slots {
        let _ = change_adapter(ctx, f, *vios, WireKind::from(*kind), *slot, None, profile).await;
    }
}

/// The source VIOS server adapters that served a client: (VIOS id, slot,
/// kind).
pub(crate) fn serving_slots(f: &FrameView, client: &Partition) -> Vec<(u32, u32, AdapterKind)> {
    let id = client.id.to_string();
    let mut out = Vec::new();
    for v in f.partitions.iter().filter(|p| p.lpar_env == "vioserver") {
        if let Some(c) = &v.curr {
            for a in c.scsi.iter().filter(|a| a.server && a.remote_lpar_id == id) {
                out.push((v.id, a.slot, AdapterKind::Scsi));
            }
            for a in c.fc.iter().filter(|a| a.server && a.remote_lpar_id == id) {
                out.push((v.id, a.slot, AdapterKind::Fc));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(kind: AdapterKind) -> AdapterMove {
        AdapterMove {
            kind,
            client_slot: 5,
            dest_vios: 2,
            dest_vios_name: "vios2".into(),
            dest_slot: 12,
            luns: vec!["lun1".into(), "lun2".into()],
        }
    }

    #[test]
    fn a_scsi_move_maps_each_disk_to_the_new_slot() {
        let r = mappings(&mv(AdapterKind::Scsi), 7);
        assert_eq!(r.add_vscsi.len(), 2);
        assert!(
            r.add_vscsi
                .iter()
                .all(|m| m.server_slot == 12 && m.client_lpar_id == 7)
        );
        assert!(r.add_npiv.is_empty());
    }

    #[test]
    fn an_fc_move_maps_the_server_slot_to_the_client_slot() {
        let r = mappings(&mv(AdapterKind::Fc), 7);
        assert_eq!(r.add_npiv.len(), 1);
        assert_eq!(r.add_npiv[0].client_slot, 5);
        assert!(r.add_vscsi.is_empty());
    }

    #[test]
    fn the_server_adapter_points_at_the_client() {
        let lpar = Partition {
            name: "lpar1".into(),
            ..Default::default()
        };
        let spec = server_spec(&mv(AdapterKind::Scsi), 7, &lpar);
        assert!(spec.contains("lpar1"), "{spec}");
    }
}
