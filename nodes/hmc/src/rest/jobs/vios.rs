//! A VIOS's own job, `VirtualIOServer/{uuid}/do/GetFreePhysicalVolumes`,
//! which pypowervm, Ansible (`powervm_lpar_instance`'s volume_config) and
//! hmc-mcp use to find disks to give a new partition: the disks the VIOS
//! sees that back no virtual SCSI mapping and are not in the frame's
//! reserved storage device pool, asked of the VIOS over RMC as `lspv
//! -free` asks it. The result is a `PhysicalVolume` list in the UOM schema,
//! as text in the job's `result` parameter.

use super::{Outcome, run_job};
use crate::hmc::Ctx;
use crate::hscl::Hscl;
use crate::rest::{Reply, Rest, error, xml};
use axum::http::StatusCode;
use pvmlab_common::model::{Lun, Partition, RsPool, ViosDevices};
use pvmlab_common::proto::hmc::FrameView;

/// The operations of a VIOS that are not commands of a partition.
const OPS: &[&str] = &["GetFreePhysicalVolumes"];

pub(super) fn is_op(group: &str, op: &str) -> bool {
    group == "VirtualIOServer" && OPS.contains(&op)
}

/// The disks of `dev` that nothing uses: no mapping backs them and the
/// remote restart pool does not hold them.
pub(super) fn free_volumes<'a>(dev: &'a ViosDevices, vios_id: u32, pool: &RsPool) -> Vec<&'a Lun> {
    dev.luns
        .iter()
        .filter(|l| {
            !dev.vscsi
                .iter()
                .any(|m| m.backing == l.hdisk || (!l.id.is_empty() && m.lun_id == l.id))
        })
        .filter(|l| {
            !pool.devices.iter().any(|d| {
                (d.vios_id == vios_id && d.device_name == l.hdisk)
                    || (!l.id.is_empty() && d.lun == l.id)
            })
        })
        .collect()
}

/// The volumes as the HMC writes them in the job's result.
pub(super) fn volumes_xml(luns: &[&Lun]) -> String {
    // As the VIOS entry shows them; none is mapped, being free.
    let pvs: Vec<String> = luns
        .iter()
        .map(|l| crate::rest::vios::physical_volume(l, false))
        .collect();
    format!(
        "<PhysicalVolumes xmlns=\"{}\" schemaVersion=\"V1_0\">{}</PhysicalVolumes>",
        xml::UOM_NS,
        pvs.concat()
    )
}

/// PUT …/VirtualIOServer/{uuid}/do/GetFreePhysicalVolumes.
pub(super) fn start(
    rest: &std::sync::Arc<Rest>,
    user: &str,
    f: &FrameView,
    vios: &Partition,
    op: &str,
    body: &str,
    uri: &str,
) -> Reply {
    if let Err(e) = super::job_params(body, uri, op) {
        return e;
    }
    let Some(u) = rest.hmc.users.get(user) else {
        return error(
            StatusCode::FORBIDDEN,
            uri,
            "Forbidden",
            &Hscl::NoAuthority.to_string(),
        );
    };
    let target = crate::ids::partition(vios);
    let (r, f, vios) = (rest.clone(), f.clone(), vios.clone());
    run_job(
        rest,
        "VirtualIOServer",
        &target.clone(),
        format!("VirtualIOServer/{target}/do/{op}"),
        op,
        Vec::new(),
        async move {
            let ctx = Ctx {
                hmc: &r.hmc,
                user: u,
            };
            let devices = if vios.rmc_state == "active" {
                crate::lpm::devices(&ctx, &f).await.remove(&vios.id)
            } else {
                None
            };
            match devices {
                Some(d) => Outcome {
                    ok: true,
                    output: volumes_xml(&free_volumes(&d, vios.id, &crate::rr::rsdp::pool(&f))),
                    results: Vec::new(),
                },
                None => Outcome {
                    ok: false,
                    output: Hscl::RmcFailed {
                        lpar: vios.name.clone(),
                        detail: None,
                    }
                    .to_string(),
                    results: Vec::new(),
                },
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::model::{RsDevice, VscsiMapping};

    fn lun(id: &str, hdisk: &str) -> Lun {
        Lun {
            id: id.into(),
            hdisk: hdisk.into(),
            size_mb: 10240,
            reserve_policy: "no_reserve".into(),
            udid: format!("udid-{id}"),
        }
    }

    #[test]
    fn free_disks_are_those_no_mapping_or_pool_uses() {
        let dev = ViosDevices {
            luns: vec![lun("a", "hdisk1"), lun("b", "hdisk2"), lun("c", "hdisk3")],
            vscsi: vec![VscsiMapping {
                vhost: "vhost0".into(),
                backing: "hdisk1".into(),
                lun_id: "a".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let pool = RsPool {
            vios_ids: vec![1],
            devices: vec![RsDevice {
                device_name: "hdisk3".into(),
                vios_id: 1,
                lun: "c".into(),
                ..Default::default()
            }],
        };
        let free = free_volumes(&dev, 1, &pool);
        assert_eq!(
            free.iter().map(|l| l.hdisk.as_str()).collect::<Vec<_>>(),
            ["hdisk2"]
        );
        let x = volumes_xml(&free);
        let d = roxmltree::Document::parse(&x).unwrap();
        let pv: Vec<_> = d
            .descendants()
            .filter(|n| n.tag_name().name() == "PhysicalVolume")
            .collect();
        assert_eq!(pv.len(), 1);
        assert_eq!(
            crate::rest::text_of(pv[0], "VolumeName").as_deref(),
            Some("hdisk2")
        );
        assert_eq!(
            crate::rest::text_of(pv[0], "UniqueDeviceID").as_deref(),
            Some("udid-b")
        );
        assert_eq!(
            crate::rest::text_of(pv[0], "VolumeCapacity").as_deref(),
            Some("10240")
        );
    }
}
