use super::*;
use crate::commands::opts::words;
use pvmlab_common::model::Resources;

fn parse(line: &str) -> Result<LparNetboot, String> {
    LparNetboot::parse(&words(line)).map_err(|e| e.to_string())
}

fn net() -> Net {
    Net {
        server: "10.0.0.1".parse().unwrap(),
        gateway: "10.0.0.254".parse().unwrap(),
        client: "10.0.0.5".parse().unwrap(),
        mask: Some("255.255.255.0".parse().unwrap()),
    }
}

#[test]
fn parses_the_lines_ansible_and_nim_send() {
    // powervm_lpar_instance: fetchIODetailsForNetboot, then installOSFromNIM.
    let d = parse("-A -M -D -n -t ent -S 10.0.0.1 -G 10.0.0.254 -C 10.0.0.5 -K 255.255.255.0 aix71a default_profile sys1").unwrap();
    assert_eq!(
        (d.lpar.as_str(), d.profile.as_str(), d.frame.as_str()),
        ("aix71a", "default_profile", "sys1")
    );
    assert_eq!(d.mode, Mode::Discover { net: Some(net()) });
    let b = parse("-f -D -t ent -l U8286.42A.21A5E8V-V3-C2-T1 -S 10.0.0.1 -G 10.0.0.254 -C 10.0.0.5 -V 0 -Y 0 -K 255.255.255.0 aix71a default_profile sys1").unwrap();
    assert_eq!(
        b.mode,
        Mode::Boot {
            net: net(),
            pick: Pick::Location("U8286.42A.21A5E8V-V3-C2-T1".into()),
            ping: true
        }
    );
    // NIM: discovery, then the boot with speed and duplex.
    assert_eq!(
        parse("-M -n -t ent aix71a default_profile sys1")
            .unwrap()
            .mode,
        Mode::Discover { net: None }
    );
    let n = parse("-t ent -s auto -d auto -S 10.0.0.1 -G 10.0.0.254 -C 10.0.0.5 aix71a p sys1")
        .unwrap();
    assert!(matches!(
        n.mode,
        Mode::Boot {
            pick: Pick::First,
            ping: false,
            ..
        }
    ));
}

#[test]
fn refuses_what_the_command_refuses() {
    for (line, why) in [
        ("-M -n aix71a p sys1", "Usage"),
        ("-M -n -t tok aix71a p sys1", "-t ent"),
        ("-M -t ent aix71a p sys1", "-n flag"),
        ("-t ent aix71a p sys1", "-S, -G and -C"),
        ("-t ent -S 10.0.0.1 aix71a p sys1", "together"),
        (
            "-t ent -S 10.0.0.300 -G 10.0.0.1 -C 10.0.0.2 aix71a p sys1",
            "not valid",
        ),
        (
            "-t ent -s fast -S 10.0.0.1 -G 10.0.0.1 -C 10.0.0.2 a p s",
            "speed",
        ),
        (
            "-t ent -V 5000 -S 10.0.0.1 -G 10.0.0.1 -C 10.0.0.2 a p s",
            "-V",
        ),
        ("-M -n -D -t ent a p s", "-D flag"),
        (
            "-t ent -l x -m y -S 10.0.0.1 -G 10.0.0.1 -C 10.0.0.2 a p s",
            "not both",
        ),
        ("-Q -t ent a p s", "-Q"),
        ("a p", "Usage"),
    ] {
        let e = parse(line).unwrap_err();
        assert!(e.contains(why), "{line}: {e}");
    }
}

fn eth(slot: u32, pvid: u32, addl: &[u32], trunk: u32) -> VirtualEthAdapter {
    VirtualEthAdapter {
        slot,
        port_vlan_id: pvid,
        addl_vlan_ids: addl.to_vec(),
        trunk_priority: trunk,
        vswitch: "ETHERNET0".into(),
        ..Default::default()
    }
}

#[test]
fn an_adapter_reaches_the_server_through_a_running_vios_bridging_its_vlan() {
    let vios = |state: &str| Partition {
        lpar_env: "vioserver".into(),
        state: state.into(),
        curr: Some(Resources {
            eth: vec![eth(2, 1, &[100, 200], 1), eth(3, 99, &[], 0)],
            ..Default::default()
        }),
        ..Default::default()
    };
    let up = [vios(lpar_state::RUNNING)];
    assert!(bridged(&eth(2, 1, &[], 0), &up));
    assert!(bridged(&eth(2, 200, &[], 0), &up));
    assert!(!bridged(&eth(2, 99, &[], 0), &up), "no trunk on VLAN 99");
    assert!(!bridged(
        &eth(2, 1, &[], 0),
        &[vios(lpar_state::NOT_ACTIVATED)]
    ));
    let mut other = eth(2, 1, &[], 0);
    other.vswitch = "vdct".into();
    assert!(!bridged(&other, &up), "another virtual switch");
}

#[test]
fn a_boot_picks_its_adapter_by_location_mac_or_ping() {
    let a = |slot: u32, reaches: bool| Adapter {
        slot,
        location: format!("U-V3-C{slot}-T1"),
        mac: format!("02000000000{slot}"),
        path: format!("/vdevice/l-lan@3000000{slot}"),
        reaches,
    };
    let list = [a(2, false), a(3, true)];
    assert_eq!(choose(&list, &Pick::First, false).unwrap().slot, 2);
    assert_eq!(choose(&list, &Pick::First, true).unwrap().slot, 3);
    assert_eq!(
        choose(&list, &Pick::Location("U-V3-C3-T1".into()), false)
            .unwrap()
            .slot,
        3
    );
    assert_eq!(
        choose(&list, &Pick::Mac("020000000002".into()), false)
            .unwrap()
            .slot,
        2
    );
    let e = choose(&list, &Pick::Location("U-V3-C2-T1".into()), true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ping unsuccessful"), "{e}");
    assert!(choose(&list, &Pick::Location("nope".into()), false).is_err());
    assert!(choose(&[a(2, false)], &Pick::First, true).is_err());
    assert_eq!(
        a(3, true).line(true),
        "ent U-V3-C3-T1 020000000003 /vdevice/l-lan@30000003 successful virtual\n"
    );
    assert!(a(3, true).line(false).contains(" n/a virtual"));
}
