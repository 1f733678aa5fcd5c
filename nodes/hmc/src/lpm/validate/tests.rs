//! Validation from small hand-built labs: one that passes, and one change
//! away from each error the reference lists.

use super::*;
use crate::lpm::adapters::{AdapterKind, next_free_slot};
use pvmlab_common::model::{
    Frame, Lun, Migration, NpivMapping, Resources, Sea, ViosSlot, VirtualEthAdapter,
    VirtualFcAdapter, VirtualScsiAdapter, VscsiMapping, lpar_state,
};

fn frame(name: &str, partitions: Vec<Partition>) -> FrameView {
    FrameView {
        name: name.into(),
        state: "Operating".into(),
        connected: true,
        frame: Some(Frame {
            name: name.into(),
            capabilities: vec![
                "active_lpar_mobility_capable".into(),
                "inactive_lpar_mobility_capable".into(),
            ],
            compat_modes: vec!["POWER8".into(), "POWER9".into()],
            memory_mb: 65536,
            processors: 16.0,
            lmb_mb: 256,
            max_lpars: 64,
            ..Default::default()
        }),
        partitions,
        ..Default::default()
    }
}

fn vios(id: u32, name: &str) -> Partition {
    Partition {
        id,
        name: name.into(),
        lpar_env: "vioserver".into(),
        state: lpar_state::RUNNING.into(),
        msp: true,
        rmc_state: "active".into(),
        rmc_ipaddr: format!("10.0.0.{id}"),
        ..Default::default()
    }
}

fn scsi_client(slot: u32, vios: u32, server_slot: u32) -> VirtualScsiAdapter {
    VirtualScsiAdapter {
        slot,
        server: false,
        remote_lpar_id: vios.to_string(),
        remote_slot: server_slot.to_string(),
        ..Default::default()
    }
}

/// A running client with one vSCSI adapter (served by vios1, slot 10,
/// disk lun1) and one virtual Ethernet adapter on VLAN 1.
fn client() -> Partition {
    Partition {
        id: 5,
        name: "lpar1".into(),
        lpar_env: "aixlinux".into(),
        state: lpar_state::RUNNING.into(),
        rmc_state: "active".into(),
        activated_once: true,
        curr_profile: "default".into(),
        profiles: vec![pvmlab_common::model::Profile {
            name: "default".into(),
            min_mem: 1024,
            ..Default::default()
        }],
        curr: Some(Resources {
            mem_mb: 2048,
            proc_mode: "shared".into(),
            proc_units: 0.5,
            scsi: vec![scsi_client(2, 1, 10)],
            eth: vec![VirtualEthAdapter {
                slot: 3,
                port_vlan_id: 1,
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn lun(id: &str, policy: &str) -> Lun {
    Lun {
        id: id.into(),
        hdisk: format!("hdisk-{id}"),
        reserve_policy: policy.into(),
        ..Default::default()
    }
}

/// Everything a validation reads, passing as built.
struct Lab {
    src: FrameView,
    dst: FrameView,
    lpar: Partition,
    src_devices: HashMap<u32, ViosDevices>,
    dst_devices: HashMap<u32, ViosDevices>,
    asked: Asked,
    check_failed: Option<String>,
}

impl Lab {
    fn new() -> Lab {
        let lpar = client();
        let mut src_devices = HashMap::new();
        src_devices.insert(
            1,
            ViosDevices {
                luns: vec![lun("lun1", "no_reserve")],
                vscsi: vec![VscsiMapping {
                    server_slot: 10,
                    client_lpar_id: 5,
                    lun_id: "lun1".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
        );
        let mut dst_devices = HashMap::new();
        dst_devices.insert(
            1,
            ViosDevices {
                luns: vec![lun("lun1", "no_reserve")],
                seas: vec![Sea {
                    pvid: 1,
                    ..Default::default()
                }],
                ..Default::default()
            },
        );
        Lab {
            src: frame("sys1", vec![vios(1, "vios1"), lpar.clone()]),
            dst: frame("sys2", vec![vios(1, "vios2")]),
            lpar,
            src_devices,
            dst_devices,
            asked: Asked {
                mpio: 1,
                vlanbridge: 1,
                ..Default::default()
            },
            check_failed: None,
        }
    }

    fn ask(mut self, k: &str, v: &str) -> Lab {
        self.asked.attrs.push((k.into(), v.into()));
        self
    }

    fn run(&self) -> Plan {
        validate(&Inputs {
            src: &self.src,
            dst: &self.dst,
            lpar: &self.lpar,
            src_devices: &self.src_devices,
            dst_devices: &self.dst_devices,
            asked: &self.asked,
            check_failed: self.check_failed.clone(),
            remote_restart: false,
        })
    }

    fn curr(&mut self) -> &mut Resources {
        self.lpar.curr.get_or_insert_with(Default::default)
    }
}

/// The one error of a plan, which must have exactly one.
fn only_error(p: &Plan) -> &str {
    assert_eq!(p.errors.len(), 1, "{:#?}", p.errors);
    &p.errors[0]
}

#[test]
fn the_lab_as_built_migrates() {
    let p = Lab::new().run();
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert!(p.active);
    assert_eq!(p.source_msp, Some((1, "vios1".into())));
    assert_eq!(p.dest_msp, Some((1, "vios2".into())));
    assert_eq!(p.moves.len(), 1);
    let m = &p.moves[0];
    assert_eq!(
        (m.kind, m.client_slot, m.dest_vios, m.dest_slot),
        (AdapterKind::Scsi, 2, 1, 10)
    );
    assert_eq!(m.luns, ["lun1"]);
    assert_eq!(report(&p), "");
}

#[test]
fn an_unsupported_compatibility_mode_is_hscla224() {
    let mut lab = Lab::new();
    lab.lpar.curr_lpar_proc_compat_mode = "POWER10".into();
    let e = only_error(&lab.run()).to_string();
    assert!(e.starts_with("HSCLA224 "), "{e}");
    assert!(e.ends_with("Processor compatibility mode POWER10 is not one of POWER8, POWER9."));
}

#[test]
fn no_rmc_connection_fails_the_check_as_hscla257() {
    let mut lab = Lab::new();
    lab.lpar.rmc_state = "inactive".into();
    lab.asked.detail = 3;
    assert_eq!(
        only_error(&lab.run()),
        "HSCLA257 The migrating partition has returned a failure response to the HMC's request to perform a check for migration readiness. The partition lpar1 has no active RMC connection. The partition command is: drmgr -m -c pmig -p check -d 3"
    );
}

#[test]
fn the_operating_systems_refusal_is_hscla257() {
    let mut lab = Lab::new();
    lab.check_failed = Some("It said no.".into());
    let e = only_error(&lab.run()).to_string();
    assert!(
        e.starts_with("HSCLA257 ") && e.contains(" It said no. "),
        "{e}"
    );
}

#[test]
fn a_named_mover_that_is_no_mover_is_hscla297() {
    let mut lab = Lab::new().ask("source_msp_name", "vios1");
    lab.src.partitions[0].msp = false;
    let e = only_error(&lab.run()).to_string();
    assert!(
        e.starts_with("HSCLA297 ") && e.contains("(MSP) vios1 "),
        "{e}"
    );
}

#[test]
fn a_named_mover_out_of_reach_is_hscla246() {
    let mut lab = Lab::new().ask("dest_msp_id", "1");
    lab.dst.partitions[0].rmc_state = "inactive".into();
    let p = lab.run();
    assert!(
        p.errors
            .iter()
            .any(|e| e.starts_with("HSCLA246 ") && e.contains("partition vios2."))
    );
}

#[test]
fn a_named_mover_that_does_not_exist_is_named() {
    let p = Lab::new().ask("dest_msp_name", "vios9").run();
    assert_eq!(
        only_error(&p),
        "The destination mover service partition vios9 was not found on the managed system sys2."
    );
}

#[test]
fn no_ready_mover_at_all_is_an_error() {
    let mut lab = Lab::new();
    lab.src.partitions[0].msp = false;
    let e = only_error(&lab.run()).to_string();
    assert!(e.starts_with("There is no mover service partition with an active RMC connection on the source managed system sys1."));
}

#[test]
fn a_source_vios_that_does_not_answer_is_hscla29a() {
    let mut lab = Lab::new();
    lab.src_devices.clear();
    assert_eq!(
        only_error(&lab.run()),
        "HSCLA29A The RMC command issued to partition failed."
    );
}

#[test]
fn a_named_destination_vios_that_cannot_host_is_hscla356() {
    let mut lab = Lab::new().ask("virtual_scsi_mappings", "2/vios2");
    lab.dst_devices.get_mut(&1).unwrap().luns[0].reserve_policy = "single_path".into();
    assert_eq!(
        only_error(&lab.run()),
        "HSCLA356 The RMC command issued to partition vios2 failed. This means that destination VIOS partition vios2 cannot host the virtual adapter 2 on the migrating partition."
    );
}

#[test]
fn a_disk_held_with_a_reserve_is_an_error() {
    let mut lab = Lab::new();
    lab.src_devices.get_mut(&1).unwrap().luns[0].reserve_policy = "single_path".into();
    let e = only_error(&lab.run()).to_string();
    assert!(e.contains("reserve_policy=single_path"), "{e}");
}

#[test]
fn no_destination_vios_for_a_disk_is_an_error() {
    let mut lab = Lab::new();
    lab.dst_devices.get_mut(&1).unwrap().luns.clear();
    let e = only_error(&lab.run()).to_string();
    assert!(e.starts_with("The migrating partition's virtual SCSI adapter 2 cannot be hosted"));
}

/// Two vSCSI adapters through two source VIOS, one destination VIOS.
fn dual_vios() -> Lab {
    let mut lab = Lab::new();
    lab.src.partitions.push(vios(2, "vios1b"));
    lab.curr().scsi.push(scsi_client(4, 2, 10));
    let second = lab.src_devices[&1].clone();
    lab.src_devices.insert(2, second);
    lab
}

#[test]
fn losing_the_multipath_layout_is_hscla340_unless_allowed() {
    let e = only_error(&dual_vios().run()).to_string();
    assert!(e.starts_with("HSCLA340 "), "{e}");
    let mut lab = dual_vios();
    lab.asked.mpio = 2;
    let p = lab.run();
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].starts_with("HSCLA340 "));
    assert_eq!(p.moves.len(), 2);
    assert_ne!(p.moves[0].dest_slot, p.moves[1].dest_slot);
    lab.asked.mpio = 0;
    let p = lab.run();
    assert!(p.errors.is_empty() && p.warnings.is_empty());
}

#[test]
fn the_layout_keeps_two_paths_on_two_vios() {
    let mut lab = dual_vios();
    lab.dst.partitions.push(vios(2, "vios2b"));
    let second = lab.dst_devices[&1].clone();
    lab.dst_devices.insert(2, second);
    let p = lab.run();
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    let to: Vec<u32> = p.moves.iter().map(|m| m.dest_vios).collect();
    assert_eq!(to, [1, 2]);
}

#[test]
fn a_fibre_channel_adapter_without_npiv_there_is_hscla319() {
    let mut lab = Lab::new();
    lab.curr().fc.push(VirtualFcAdapter {
        slot: 6,
        remote_lpar_id: "1".into(),
        remote_slot: "11".into(),
        ..Default::default()
    });
    assert_eq!(
        only_error(&lab.run()),
        "HSCLA319 The migrating partition's virtual fibre channel client adapter 6 cannot be hosted by the existing Virtual I/O Server (VIOS) partitions on the destination managed system."
    );
    lab.dst_devices
        .get_mut(&1)
        .unwrap()
        .npiv
        .push(NpivMapping::default());
    let p = lab.run();
    assert!(p.errors.is_empty(), "{:#?}", p.errors);
    assert_eq!(p.moves[1].kind, AdapterKind::Fc);
}

#[test]
fn slots_promised_to_other_migrations_are_not_free() {
    let mut lab = Lab::new();
    lab.dst.partitions.push(Partition {
        id: 9,
        name: "shell".into(),
        migration: Some(Migration {
            source: false,
            dest_vios_slots: vec![ViosSlot {
                vios_id: 1,
                slot: 10,
                kind: "scsi".into(),
            }],
            ..Default::default()
        }),
        ..Default::default()
    });
    assert_eq!(lab.run().moves[0].dest_slot, 11);
}

#[test]
fn the_next_free_slot_skips_every_slot_in_use() {
    let mut v = vios(1, "vios2");
    v.curr = Some(Resources {
        scsi: vec![VirtualScsiAdapter {
            slot: 10,
            ..Default::default()
        }],
        ..Default::default()
    });
    assert_eq!(next_free_slot(&v, &[11]), 12);
}

#[test]
fn the_frames_state_and_capabilities_are_checked() {
    let mut lab = Lab::new();
    lab.dst.state = "Power Off".into();
    lab.dst.frame.as_mut().unwrap().capabilities.clear();
    let p = lab.run();
    assert_eq!(
        p.errors,
        [
            "The destination managed system sys2 is in the Power Off state; it must be Operating.",
            "The managed system sys2 is not capable of active partition migration.",
        ]
    );
}

#[test]
fn a_partition_that_never_ran_does_not_migrate_inactive() {
    let mut lab = Lab::new();
    lab.lpar.state = lpar_state::NOT_ACTIVATED.into();
    lab.lpar.curr = None;
    lab.lpar.activated_once = false;
    let p = lab.run();
    assert!(!p.active);
    assert!(only_error(&p).contains("has never been activated"));
}

#[test]
fn a_name_taken_there_and_too_little_memory_are_errors() {
    let mut lab = Lab::new();
    lab.dst.partitions.push(Partition {
        id: 7,
        name: "lpar1".into(),
        ..Default::default()
    });
    lab.curr().mem_mb = 1 << 20;
    let p = lab.run();
    assert_eq!(p.errors.len(), 2, "{:#?}", p.errors);
    assert!(p.errors[0].starts_with("A partition named lpar1 already exists"));
    assert!(
        p.errors[1].starts_with("There is not enough memory: Obtained: 65536, Required: 1048576.")
    );
}

#[test]
fn the_destination_id_asked_for_must_be_free_and_in_range() {
    let p = Lab::new().ask("dest_lpar_id", "12").run();
    assert_eq!(p.dest_lpar_id, Some(12));
    let e = only_error(&Lab::new().ask("dest_lpar_id", "1").run()).to_string();
    assert!(e.starts_with("The partition ID 1 is already in use by partition vios2"));
    let e = only_error(&Lab::new().ask("dest_lpar_id", "99").run()).to_string();
    assert!(e.contains("a number from 1 to 64"));
}

#[test]
fn an_unbridged_vlan_is_an_error_or_with_vlanbridge_2_a_warning() {
    let mut lab = Lab::new();
    lab.curr().eth[0].addl_vlan_ids = vec![7];
    let e = only_error(&lab.run()).to_string();
    assert!(e.contains("uses VLAN 7,"), "{e}");
    lab.asked.vlanbridge = 2;
    let p = lab.run();
    assert!(p.errors.is_empty());
    assert_eq!(report(&p).lines().next(), Some("Warnings:"));
}

#[test]
fn the_report_lists_errors_then_warnings() {
    let p = Plan {
        errors: vec!["e1".into(), "e2".into()],
        warnings: vec!["w1".into()],
        ..Default::default()
    };
    assert_eq!(report(&p), "Errors:\ne1\ne2\nWarnings:\nw1\n");
}
