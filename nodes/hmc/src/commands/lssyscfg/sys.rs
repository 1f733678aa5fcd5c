//! `lssyscfg -r sys`: a managed system's record. What the HMC cannot read
//! of a frame that is off or out of reach shows as `unavailable`.

use super::b;
use crate::render::{Record, kv, sys_time};
use pvmlab_common::model::{FrameExt as _, frame_state};
use pvmlab_common::proto::hmc::FrameView;

pub(super) const ATTRS: &[&str] = &[
    "name",
    "type_model",
    "serial_num",
    "ipaddr",
    "state",
    "detailed_state",
    "sys_time",
    "power_off_policy",
    "power_on_lpar_start_policy",
    "active_lpar_mobility_capable",
    "inactive_lpar_mobility_capable",
    "active_lpar_share_idle_procs_capable",
    "lpar_suspend_capable",
    "lpar_remote_restart_capable",
    "powervm_lpar_remote_restart_capable",
    "powervm_lpar_simplified_remote_restart_capable",
    "virtual_fc_capable",
    "virtual_switch_capable",
    "lpar_proc_compat_mode_capable",
    "lpar_proc_compat_modes",
    "max_lpars",
    "max_power_ctrl_lpars",
    "service_lpar_id",
    "service_lpar_name",
    "mfg_default_config",
    "curr_configured_max_lpars",
    "num_active_migrations_supported",
    "num_inactive_migrations_supported",
    "description",
    "uuid",
    "capabilities",
];

const CAPS: &[&str] = &[
    "active_lpar_mobility_capable",
    "inactive_lpar_mobility_capable",
    "active_lpar_share_idle_procs_capable",
    "lpar_suspend_capable",
    "lpar_remote_restart_capable",
    "powervm_lpar_remote_restart_capable",
    "powervm_lpar_simplified_remote_restart_capable",
    "virtual_fc_capable",
    "virtual_switch_capable",
];

/// `since_v8`: the HMC is V8 or later, whose line has the partition start
/// policy after the power-off policy (the reference's older line has not).
pub(super) fn record(f: &FrameView, since_v8: bool) -> Record {
    let frame = f.frame.clone().unwrap_or_default();
    let ipaddr = frame
        .address
        .rsplit_once(':')
        .map(|(ip, _)| ip.to_string())
        .unwrap_or_default();
    let mut r = vec![
        kv(
            "name",
            if frame.user_name.is_empty() {
                f.name.clone()
            } else {
                frame.user_name.clone()
            },
        ),
        kv("type_model", frame.type_model.clone()),
        kv("serial_num", frame.serial_num.clone()),
        kv("ipaddr", ipaddr),
        kv("state", f.state.clone()),
    ];
    // Powered off or out of reach, the HMC cannot read the capabilities.
    let readable = f.connected
        && !matches!(
            f.state.as_str(),
            frame_state::POWER_OFF | frame_state::NO_CONNECTION
        );
    let cap = |c: &str| {
        if readable {
            b(frame.has_capability(c)).to_string()
        } else {
            "unavailable".to_string()
        }
    };
    r.push(kv(
        "detailed_state",
        if f.connected {
            frame.detailed_state.clone()
        } else {
            "None".into()
        },
    ));
    r.push(kv("sys_time", sys_time()));
    r.push(kv("power_off_policy", frame.power_off_policy.to_string()));
    if since_v8 {
        r.push(kv(
            "power_on_lpar_start_policy",
            if frame.power_on_lpar_start_policy.is_empty() {
                "autostart"
            } else {
                frame.power_on_lpar_start_policy.as_str()
            },
        ));
    }
    for c in CAPS {
        r.push(kv(c, cap(c)));
    }
    r.push(kv(
        "lpar_proc_compat_mode_capable",
        if readable { "1" } else { "unavailable" },
    ));
    r.push(kv(
        "lpar_proc_compat_modes",
        if readable {
            frame.compat_modes.join(",")
        } else {
            "unavailable".into()
        },
    ));
    r.push(kv("max_lpars", frame.max_lpars.to_string()));
    r.push(kv("max_power_ctrl_lpars", "1"));
    r.push(kv("service_lpar_id", "none"));
    r.push(kv("service_lpar_name", "none"));
    r.push(kv("mfg_default_config", "0"));
    r.push(kv("curr_configured_max_lpars", frame.max_lpars.to_string()));
    r.push(kv(
        "num_active_migrations_supported",
        if readable { "16" } else { "unavailable" },
    ));
    r.push(kv(
        "num_inactive_migrations_supported",
        if readable { "16" } else { "unavailable" },
    ));
    r
}

/// What `-F` reads beyond the default line (the reference's line has
/// neither): the frame's description and the UUID REST gives it, from its
/// node name, which a rename leaves.
pub(super) fn asked_only(f: &FrameView) -> Record {
    vec![
        kv(
            "description",
            f.frame
                .as_ref()
                .map(|x| x.description.clone())
                .unwrap_or_default(),
        ),
        kv("uuid", crate::ids::frame(&f.name)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::value as get;
    use pvmlab_common::model::Frame;

    fn view(connected: bool, state: &str, user_name: &str) -> FrameView {
        FrameView {
            name: "sys1".into(),
            state: state.into(),
            connected,
            frame: Some(Frame {
                user_name: user_name.into(),
                address: "127.42.0.11:7001".into(),
                detailed_state: "None".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_frame_out_of_reach_shows_what_cannot_be_read_as_unavailable() {
        let r = record(&view(false, frame_state::NO_CONNECTION, ""), true);
        assert_eq!(get(&r, "name"), Some("sys1"));
        assert_eq!(get(&r, "ipaddr"), Some("127.42.0.11"));
        assert_eq!(get(&r, "active_lpar_mobility_capable"), Some("unavailable"));
        assert_eq!(get(&r, "lpar_proc_compat_modes"), Some("unavailable"));
        assert_eq!(
            get(&r, "num_active_migrations_supported"),
            Some("unavailable")
        );
        assert_eq!(
            r.len(),
            ATTRS.len() - 3,
            "all but the asked-only ones, in order"
        );
        assert!(r.iter().zip(ATTRS).all(|((k, _), a)| k == a));
    }

    #[test]
    fn a_name_the_user_gave_is_the_frames_name() {
        let r = record(&view(true, frame_state::OPERATING, "prod"), true);
        assert_eq!(get(&r, "name"), Some("prod"));
        assert_eq!(get(&r, "active_lpar_mobility_capable"), Some("0"));
        assert_eq!(get(&r, "num_active_migrations_supported"), Some("16"));
        assert_eq!(get(&r, "power_on_lpar_start_policy"), Some("autostart"));
        let v7 = record(&view(true, frame_state::OPERATING, ""), false);
        assert!(!v7.iter().any(|(k, _)| k == "power_on_lpar_start_policy"));
        let uuid = crate::ids::frame("sys1");
        let asked = asked_only(&view(true, frame_state::OPERATING, "prod"));
        assert_eq!(
            get(&asked, "uuid"),
            Some(uuid.as_str()),
            "REST's, not the new name's"
        );
    }
}
