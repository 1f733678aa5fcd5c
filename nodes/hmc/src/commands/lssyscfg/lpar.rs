//! `lssyscfg -r lpar`: a partition's record, with the remote restart
//! attributes where the frame and the partition have them.

use super::b;
use crate::render::{Record, kv};
use pvmlab_common::model::{Frame, FrameExt as _, Partition, PartitionExt as _};
use pvmlab_common::proto::hmc::FrameView;

/// The record order of the reference's `lssyscfg -r lpar` line; the remote
/// restart attributes that POWER8 added follow remote_restart_capable.
pub(super) const ATTRS: &[&str] = &[
    "name",
    "lpar_id",
    "lpar_env",
    "state",
    "resource_config",
    "os_version",
    "logical_serial_num",
    "default_profile",
    "curr_profile",
    "work_group_id",
    "shared_proc_pool_util_auth",
    "allow_perf_collection",
    "power_ctrl_lpar_ids",
    "boot_mode",
    "lpar_keylock",
    "auto_start",
    "redundant_err_path_reporting",
    "rmc_state",
    "rmc_ipaddr",
    "time_ref",
    "lpar_avail_priority",
    "desired_lpar_proc_compat_mode",
    "curr_lpar_proc_compat_mode",
    "suspend_capable",
    "remote_restart_capable",
    "simplified_remote_restart_capable",
    "remote_restart_status",
    "primary_rs_vios_name",
    "secondary_rs_vios_name",
    "curr_rs_vios_name",
    "rs_device_name",
    "affinity_group_id",
    "msp",
    "migration_disabled",
    "uuid",
    "description",
];

fn none_if_empty(s: &str) -> String {
    if s.is_empty() {
        "none".into()
    } else {
        s.to_string()
    }
}

pub(super) fn record(view: &FrameView, frame: &Frame, p: &Partition) -> Record {
    let prof = p.profile(&p.default_profile).cloned().unwrap_or_default();
    let running = p.curr.is_some();
    let mut r = vec![
        kv("name", p.name.clone()),
        kv("lpar_id", p.id.to_string()),
        kv("lpar_env", p.lpar_env.clone()),
        kv("state", p.state.clone()),
        kv("resource_config", "1"),
        kv(
            "os_version",
            if p.activated_once {
                p.os_version.clone()
            } else {
                "Unknown".into()
            },
        ),
        kv("logical_serial_num", p.logical_serial_num.clone()),
        kv("default_profile", p.default_profile.clone()),
        kv("curr_profile", p.current_profile_name()),
        kv("work_group_id", none_if_empty(&prof.work_group_id)),
        kv("shared_proc_pool_util_auth", "0"),
        kv("allow_perf_collection", "0"),
        kv(
            "power_ctrl_lpar_ids",
            none_if_empty(&prof.power_ctrl_lpar_ids),
        ),
        kv("boot_mode", p.boot_mode.clone()),
        kv("lpar_keylock", p.lpar_keylock.clone()),
        kv("auto_start", b(prof.auto_start)),
        kv(
            "redundant_err_path_reporting",
            if prof.redundant_err_path_reporting == "1" {
                "1"
            } else {
                "0"
            },
        ),
        kv("rmc_state", p.rmc_state.clone()),
    ];
    if !p.rmc_ipaddr.is_empty() && running {
        r.push(kv("rmc_ipaddr", p.rmc_ipaddr.clone()));
    }
    r.extend([
        kv("time_ref", "0"),
        kv("lpar_avail_priority", p.lpar_avail_priority.to_string()),
        kv(
            "desired_lpar_proc_compat_mode",
            prof.lpar_proc_compat_mode.clone(),
        ),
        kv(
            "curr_lpar_proc_compat_mode",
            if running {
                p.curr_lpar_proc_compat_mode.clone()
            } else {
                "default".into()
            },
        ),
        kv("suspend_capable", "0"),
        kv("remote_restart_capable", b(p.remote_restart_capable)),
    ]);
    if frame.has_capability("powervm_lpar_simplified_remote_restart_capable") {
        r.push(kv(
            "simplified_remote_restart_capable",
            b(p.simplified_remote_restart_capable),
        ));
    }
    if frame.has_capability("powervm_lpar_remote_restart_capable") && p.remote_restart_capable {
        r.push(kv("remote_restart_status", p.remote_restart_status.clone()));
        // Its reserved storage device, once it has one (the POWER7 way).
        if !p.rs_device_name.is_empty() {
            let curr = crate::rr::rsdp::current_vios(view, p)
                .map_or("none".to_string(), |v| v.name.clone());
            r.extend([
                kv("primary_rs_vios_name", p.primary_rs_vios_name.clone()),
                kv(
                    "secondary_rs_vios_name",
                    none_if_empty(&p.secondary_rs_vios_name),
                ),
                kv("curr_rs_vios_name", curr),
                kv("rs_device_name", p.rs_device_name.clone()),
            ]);
        }
    }
    r.push(kv(
        "affinity_group_id",
        none_if_empty(&prof.affinity_group_id),
    ));
    if p.is_vios() {
        r.push(kv("msp", b(p.msp)));
    }
    r
}

/// What `-F` reads beyond the default line, which the reference's HMC
/// leaves out of it: `msp` of a client partition (never a mover service
/// partition: 0, as hmc-mcp reads `-F msp,lpar_env`), the UUID REST gives
/// the partition, and its description.
pub(super) fn asked_only(p: &Partition) -> Record {
    let mut r = Vec::new();
    if !p.is_vios() {
        r.push(kv("msp", "0"));
    }
    r.push(kv("uuid", crate::ids::partition(p)));
    r.push(kv("description", p.description.clone()));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::model::{LPAR_ENV_VIOS, Resources};

    fn keys(r: &Record) -> Vec<&str> {
        r.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn only_what_applies_is_listed() {
        let view = FrameView::default();
        let frame = Frame::default();
        let idle = Partition {
            name: "aix1".into(),
            rmc_ipaddr: "10.0.0.5".into(),
            ..Default::default()
        };
        let r = record(&view, &frame, &idle);
        assert!(!keys(&r).contains(&"rmc_ipaddr"), "not running");
        assert!(!keys(&r).contains(&"msp"), "not a VIOS");
        let asked = asked_only(&idle);
        assert!(asked.contains(&kv("msp", "0")));
        assert!(asked.contains(&kv("uuid", crate::ids::partition(&idle))));
        assert!(r.contains(&kv("os_version", "Unknown")));
        assert!(r.contains(&kv("work_group_id", "none")));
        let vios = Partition {
            lpar_env: LPAR_ENV_VIOS.into(),
            msp: true,
            curr: Some(Resources::default()),
            ..idle
        };
        let r = record(&view, &frame, &vios);
        assert!(r.contains(&kv("rmc_ipaddr", "10.0.0.5")));
        assert_eq!(r.last(), Some(&kv("msp", "1")));
        assert!(!keys(&asked_only(&vios)).contains(&"msp"));
        let order: Vec<&str> = ATTRS
            .iter()
            .copied()
            .filter(|a| keys(&r).contains(a))
            .collect();
        assert_eq!(keys(&r), order, "in the reference's order");
    }
}
