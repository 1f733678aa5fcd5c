//! `lssyscfg -r prof`: a partition profile's record, in the layout of the
//! HMC's generation.

use crate::render::{Record, kv};
use pvmlab_common::attrs::PROFILE_ATTRS;
use pvmlab_common::model::{Frame, Partition, Profile};

/// The profile attributes in the order each HMC generation prints them:
/// HMC V7 as in the reference's VCS example (seed 003), HMC V8 and later as
/// in its remote-restart example (seed 000). Attributes that do not apply
/// (processing units of a dedicated profile, say) are left out.
const PROF_LAYOUT_V7: &[&str] = &[
    "all_resources",
    "min_mem",
    "desired_mem",
    "max_mem",
    "min_num_huge_pages",
    "desired_num_huge_pages",
    "max_num_huge_pages",
    "mem_mode",
    "mem_expansion",
    "hpt_ratio",
    "proc_mode",
    "min_proc_units",
    "desired_proc_units",
    "max_proc_units",
    "min_procs",
    "desired_procs",
    "max_procs",
    "sharing_mode",
    "uncap_weight",
    "shared_proc_pool_id",
    "shared_proc_pool_name",
    "affinity_group_id",
    "io_slots",
    "lpar_io_pool_ids",
    "max_virtual_slots",
    "virtual_serial_adapters",
    "virtual_scsi_adapters",
    "virtual_eth_adapters",
    "vtpm_adapters",
    "virtual_fc_adapters",
    "hca_adapters",
    "boot_mode",
    "conn_monitoring",
    "auto_start",
    "power_ctrl_lpar_ids",
    "work_group_id",
    "redundant_err_path_reporting",
    "bsr_arrays",
    "lhea_logical_ports",
    "lhea_capabilities",
    "lpar_proc_compat_mode",
    "electronic_err_reporting",
];

const PROF_LAYOUT_V8: &[&str] = &[
    "all_resources",
    "min_mem",
    "desired_mem",
    "max_mem",
    "min_num_huge_pages",
    "desired_num_huge_pages",
    "max_num_huge_pages",
    "mem_mode",
    "mem_expansion",
    "hpt_ratio",
    "proc_mode",
    "min_proc_units",
    "desired_proc_units",
    "max_proc_units",
    "min_procs",
    "desired_procs",
    "max_procs",
    "sharing_mode",
    "uncap_weight",
    "shared_proc_pool_id",
    "shared_proc_pool_name",
    "affinity_group_id",
    "io_slots",
    "lpar_io_pool_ids",
    "max_virtual_slots",
    "virtual_serial_adapters",
    "virtual_scsi_adapters",
    "virtual_eth_adapters",
    "virtual_eth_vsi_profiles",
    "virtual_fc_adapters",
    "vtpm_adapters",
    "hca_adapters",
    "boot_mode",
    "conn_monitoring",
    "auto_start",
    "power_ctrl_lpar_ids",
    "work_group_id",
    "redundant_err_path_reporting",
    "bsr_arrays",
    "lpar_proc_compat_mode",
    "electronic_err_reporting",
    "sriov_eth_logical_ports",
];

pub(super) fn record(hmc_version: &str, frame: &Frame, p: &Partition, prof: &Profile) -> Record {
    let mut r = vec![
        kv("name", prof.name.clone()),
        kv("lpar_name", p.name.clone()),
        kv("lpar_id", p.id.to_string()),
        kv("lpar_env", p.lpar_env.clone()),
    ];
    let layout = if crate::hmc::level(hmc_version).0 < 8 {
        PROF_LAYOUT_V7
    } else {
        PROF_LAYOUT_V8
    };
    for name in layout {
        if *name == "shared_proc_pool_name" {
            if prof.proc_mode == "shared" {
                let pool = frame
                    .pools
                    .iter()
                    .find(|x| x.id == prof.shared_proc_pool_id);
                r.push(kv(
                    name,
                    pool.map(|x| x.name.clone())
                        .unwrap_or_else(|| "DefaultPool".into()),
                ));
            }
            continue;
        }
        if let Some(v) = PROFILE_ATTRS
            .iter()
            .find(|a| a.name == *name)
            .and_then(|a| (a.get)(prof))
        {
            r.push(kv(name, v));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::value as get;

    #[test]
    fn shared_profiles_name_their_pool_and_the_layout_follows_the_hmc() {
        let p = Partition {
            name: "aix1".into(),
            id: 3,
            ..Default::default()
        };
        let shared = Profile {
            name: "normal".into(),
            proc_mode: "shared".into(),
            ..Default::default()
        };
        let r = record("V9R2M950", &Frame::default(), &p, &shared);
        assert_eq!(
            &r[..3],
            &[
                kv("name", "normal"),
                kv("lpar_name", "aix1"),
                kv("lpar_id", 3)
            ]
        );
        assert_eq!(get(&r, "shared_proc_pool_name"), Some("DefaultPool"));
        let ded = Profile {
            proc_mode: "ded".into(),
            ..shared
        };
        let r = record("V9R2M950", &Frame::default(), &p, &ded);
        assert_eq!(get(&r, "shared_proc_pool_name"), None);
        let pos = |r: &Record, k: &str| r.iter().position(|(n, _)| n == k);
        let v7 = record("V7R7.9.0", &Frame::default(), &p, &ded);
        let v8 = record("V8R8.7", &Frame::default(), &p, &ded);
        assert!(pos(&v7, "vtpm_adapters") < pos(&v7, "virtual_fc_adapters"));
        assert!(pos(&v8, "virtual_fc_adapters") < pos(&v8, "vtpm_adapters"));
        assert!(
            pos(&v7, "lhea_logical_ports").is_some()
                && pos(&v7, "sriov_eth_logical_ports").is_none()
        );
        assert!(
            pos(&v8, "lhea_logical_ports").is_none()
                && pos(&v8, "sriov_eth_logical_ports").is_some()
        );
    }
}
