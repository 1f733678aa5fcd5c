//! A VIOS to run commands against in unit tests: sys2's vios1 of the
//! default lab (two clients on vSCSI, one on NPIV, an SEA in failover).

use super::{Env, Site, State};
use pvmlab_common::model::{Lun, NpivMapping, Sea, ViosDevices, VirtualEthAdapter, VscsiMapping};
use pvmlab_common::proto::vios::Client;

pub fn site() -> Site {
    Site {
        type_model: "8286-42A".into(),
        serial: "21A5E8V".into(),
        lpar_id: 1,
        level: "VIOS 3.1.4.10".into(),
        proc_generation: "POWER8".into(),
        procs: 2,
        virtual_scsi: Vec::new(),
        virtual_eth: vec![
            VirtualEthAdapter {
                slot: 2,
                ieee: true,
                port_vlan_id: 1,
                addl_vlan_ids: vec![100, 200],
                trunk_priority: 1,
                required: true,
                vswitch: "ETHERNET0".into(),
                ..Default::default()
            },
            VirtualEthAdapter {
                slot: 3,
                port_vlan_id: 99,
                required: true,
                vswitch: "ETHERNET0".into(),
                ..Default::default()
            },
        ],
        booted: None,
    }
}

pub fn devices() -> ViosDevices {
    let lun = |i: u32| Lun {
        id: format!("lun{i:02}"),
        hdisk: format!("hdisk{}", i + 1),
        size_mb: 20480,
        reserve_policy: "no_reserve".into(),
        udid: format!("332136005076801{i:0>16}04214503IBMfcp"),
    };
    ViosDevices {
        luns: vec![lun(1), lun(2), lun(3)],
        vscsi: vec![
            VscsiMapping {
                vhost: "vhost0".into(),
                server_slot: 13,
                client_lpar_id: 4,
                vtd: "vtscsi0".into(),
                backing: "hdisk2".into(),
                lun_id: "lun01".into(),
            },
            VscsiMapping {
                vhost: "vhost0".into(),
                server_slot: 13,
                client_lpar_id: 4,
                vtd: "vtscsi1".into(),
                backing: "hdisk3".into(),
                lun_id: "lun02".into(),
            },
        ],
        npiv: vec![NpivMapping {
            vfchost: "vfchost0".into(),
            server_slot: 23,
            client_lpar_id: 3,
            fcs: "fcs0".into(),
            client_slot: 5,
        }],
        seas: vec![Sea {
            name: "ent5".into(),
            real_adapter: "ent0".into(),
            virt_adapters: vec!["ent2".into()],
            pvid: 1,
            vlans: vec![1, 100, 200],
            ha_mode: "auto".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub fn clients() -> Vec<Client> {
    vec![
        Client {
            lpar_id: 3,
            name: "lnx01".into(),
            os: "Linux".into(),
            running: true,
        },
        Client {
            lpar_id: 4,
            name: "aix72a".into(),
            os: "AIX".into(),
            running: true,
        },
    ]
}

/// Its SEA as failover left it: PRIMARY, bridging every VLAN.
pub fn seas() -> crate::sea::Seas {
    let status = pvmlab_common::proto::fsp::SeaStatus {
        state: pvmlab_common::proto::fsp::SeaState::SeaPrimary as i32,
        bridged: vec![1, 100, 200],
        ..Default::default()
    };
    [(
        "ent5".to_string(),
        crate::sea::SeaLive {
            status,
            became_primary: 1,
            ..Default::default()
        },
    )]
    .into()
}

/// Runs `f` against the test VIOS.
pub fn with<R>(f: impl FnOnce(&Env<'_>) -> R) -> R {
    with_state(&State::default(), f)
}

pub fn with_state<R>(state: &State, f: impl FnOnce(&Env<'_>) -> R) -> R {
    with_all(state, devices(), f)
}

/// The test VIOS with these devices (what an earlier command stored).
pub fn with_devices<R>(dev: ViosDevices, f: impl FnOnce(&Env<'_>) -> R) -> R {
    with_all(&State::default(), dev, f)
}

fn with_all<R>(state: &State, dev: ViosDevices, f: impl FnOnce(&Env<'_>) -> R) -> R {
    let site = site();
    let clients = clients();
    let errlog = crate::errlog::Errlog::default();
    f(&Env {
        site: &site,
        dev: &dev,
        state,
        clients: &clients,
        errlog: &errlog,
        seas: &seas(),
        san_ok: true,
    })
}

/// A command line's output and status.
pub fn run(line: &str) -> (String, u32) {
    with(|env| {
        let (d, s) = super::run(env, line);
        (d.output, s)
    })
}

/// A command line's output, status, and the devices it would store.
pub fn run_changing(line: &str) -> (String, u32, Option<ViosDevices>) {
    with(|env| {
        let (d, s) = super::run(env, line);
        (d.output, s, d.change.devices)
    })
}
