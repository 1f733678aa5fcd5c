//! The HMC command line through `pvmlab hmc <name> -- <line>`, which runs
//! the same dispatcher as SSH: listings, state changes, users and roles,
//! and bad input that changes nothing.

use pvmlab_tests::{Lab, text};

fn hmc(lab: &Lab, name: &str, user: &str, line: &str) -> (String, i32) {
    let out = lab.pvmlab(&["hmc", name, "-u", user, "--", line]);
    (text(&out.stdout), out.status.code().unwrap_or(-1))
}

fn wait_state(lab: &Lab, lpar: &str, want: &str) {
    let line = format!("lssyscfg -r lpar -m sys2 -F state --filter lpar_names={lpar}");
    for _ in 0..100 {
        if hmc(lab, "hmc2", "hscroot", &line).0.trim() == want {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("{lpar} never reached {want}");
}

#[test]
fn listings_state_changes_users_and_bad_input() {
    let lab = Lab::new("127.43.10");
    lab.up();
    let run = |line: &str| hmc(&lab, "hmc1", "hscroot", line);

    // Listings: -F with the caller's delimiter, --header, filters, MTMS names.
    assert_eq!(
        run("lssyscfg -r sys -F name,state"),
        ("sys1,Operating\nsys2,Operating\nsys3,Operating\n".into(), 0)
    );
    assert_eq!(
        run("lssyscfg -r lpar -m 8286-42A*21A5E8V -F name:state --filter lpar_ids=3,4").0,
        "lnx01:Running\naix72a:Running\n"
    );
    assert_eq!(
        run("lssyscfg -r lpar -m sys1 -F lpar_id,name --header --filter lpar_names=aix71a").0,
        "lpar_id,name\n3,aix71a\n"
    );
    let (prof, code) =
        run("lssyscfg -r prof -m sys2 --filter \"lpar_names=lnx01,profile_names=default_profile\"");
    assert_eq!(code, 0);
    assert!(
        prof.starts_with(
            "name=default_profile,lpar_name=lnx01,lpar_id=3,lpar_env=aixlinux,all_resources=0,"
        ),
        "{prof}"
    );
    assert!(prof.contains(",\"virtual_fc_adapters=\"\"5/client/1/vios1/23/c050760431670040,c050760431670041/1\"\",\"\"6/client/2/vios2/23/c050760431670042,c050760431670043/1\"\"\","), "{prof}");
    let (v, _) = run("lshmc -V");
    assert!(
        v.contains("Version: 10\n Release: 3\n") && v.contains("base_version=V10R3"),
        "{v}"
    );

    // MAAS's three commands, as it sends them.
    assert_eq!(
        run("lssyscfg -m sys2 -r lpar -F state --filter lpar_names=lnx01").0,
        "Running\n"
    );
    assert_eq!(
        run("chsysstate -r lpar -m sys2 -o shutdown -n lnx01 --immed"),
        (String::new(), 0)
    );
    wait_state(&lab, "lnx01", "Not Activated");
    assert_eq!(
        run("chsysstate -r lpar -m sys2 -o on -n lnx01 --bootstring network-all"),
        (String::new(), 0)
    );
    wait_state(&lab, "lnx01", "Running");
    // fence_lpar's power on, with backtick substitution; seen from the other HMC.
    assert_eq!(
        run("chsysstate -o shutdown -r lpar --immed -m sys2 -n aix72a").1,
        0
    );
    wait_state(&lab, "aix72a", "Not Activated");
    let on = "chsysstate -o on -r lpar -m sys2 -n aix72a -f `lssyscfg -r lpar -F curr_profile -m sys2 --filter \"lpar_names=aix72a\"`";
    assert_eq!(run(on), (String::new(), 0));
    wait_state(&lab, "aix72a", "Running");

    // The managed system: renamed as administrators see it, and its power-off policy.
    assert_eq!(
        run("chsyscfg -r sys -m sys3 -i \"new_name=Server-8286-42A-SN21A5E9V,power_off_policy=1\""),
        (String::new(), 0)
    );
    assert_eq!(
        run("lssyscfg -r sys -m Server-8286-42A-SN21A5E9V -F name,power_off_policy,state").0,
        "Server-8286-42A-SN21A5E9V,1,Operating\n"
    );
    assert_eq!(
        hmc(&lab, "hmc2", "hscroot", "lssyscfg -r sys -F name").0,
        "sys1\nsys2\nServer-8286-42A-SN21A5E9V\n"
    );
    assert_eq!(
        run("chsyscfg -r sys -m Server-8286-42A-SN21A5E9V -i new_name=sys2").1,
        1,
        "taken"
    );
    assert_eq!(run("chsyscfg -r sys -m sys3 -i power_off_policy=7").1, 1);
    assert_eq!(run("chsyscfg -r sys -m sys3 -i \"new_name=sys3\"").1, 0);

    // Errors: HSCL text, non-zero exit, nothing changed.
    let (out, code) = run("lssyscfg -r lpar -m sys2 --filter lpar_names=nope");
    assert_eq!(
        (out.as_str(), code),
        (
            "HSCL8012 The partition named nope was not found. Please check your entry and retry the command.\n",
            1
        )
    );
    assert_eq!(run("chsysstate -r lpar -m sys2 -o on -n nope").1, 1);
    assert!(run("lssyscfg -r lpar -m nosuch").0.starts_with("HSCL8018 "));
    assert_eq!(
        run("lssyscfg -r lpar"),
        ("The -m parameter is required.\n".into(), 1)
    );
    assert_eq!(
        run("lssyscfg -r sys -x"),
        (
            "The parameter -x is not valid for this command.\n".into(),
            1
        )
    );
    assert_eq!(run("lssyscfg -r sys -F nosuchattr").1, 1);
    assert_eq!(
        run("lssyscfg -r sys --filter \"names=sys1").1,
        2,
        "unbalanced quotes: a syntax error, as bash's"
    );
    // rm works only in the user's home: the host's root is out of reach.
    assert_eq!(
        run("rm -rf /"),
        ("rm: cannot remove '/': Permission denied\n".into(), 1)
    );
    assert_eq!(
        run("cp /etc/shadow x"),
        ("rbash: cp: command not found\n".into(), 127)
    );
    assert_eq!(
        run("chsysstate -r lpar -m sys2 -o on -n lnx01").1,
        1,
        "already running"
    );

    // Users and roles: a viewer lists but is refused changes with HSCL350B.
    assert_eq!(
        run("mkhmcusr -u viewer1 -a hmcviewer --passwd viewpass1 -d \"read only\""),
        (String::new(), 0)
    );
    assert!(
        run("lshmcusr -F name,taskrole")
            .0
            .contains("viewer1,hmcviewer\n")
    );
    let (out, code) = hmc(
        &lab,
        "hmc1",
        "viewer1",
        "chsysstate -r lpar -m sys2 -o shutdown -n db01 --immed",
    );
    assert_eq!(
        (out.as_str(), code),
        (
            "HSCL350B The user does not have the appropriate authority.\n",
            1
        )
    );
    assert_eq!(
        hmc(
            &lab,
            "hmc1",
            "viewer1",
            "lssyscfg -r lpar -m sys2 -F state --filter lpar_names=db01"
        )
        .0,
        "Running\n"
    );
    assert_eq!(
        hmc(
            &lab,
            "hmc1",
            "viewer1",
            "mkhmcusr -u x1 -a hmcviewer --passwd abcdefgh"
        )
        .1,
        1
    );
    assert_eq!(run("chhmcusr -u viewer1 -t taskrole -v hmcoperator").1, 0);
    assert_eq!(
        run("lshmcusr -F taskrole --filter names=viewer1").0,
        "hmcoperator\n"
    );
    // Users are per HMC.
    assert_eq!(
        hmc(&lab, "hmc2", "hscroot", "lshmcusr -F name").0,
        "hscroot\n"
    );
    assert_eq!(run("rmhmcusr -u viewer1").1, 0);
    assert_eq!(run("rmhmcusr -u hscroot").1, 1);
}

/// The reference's procedure for recreating a partition as remote restart
/// capable on a POWER7 frame (seed 000 §1.5): dump the profile, delete the
/// partition, create it again from the dump with `remote_restart_capable=1`.
#[test]
fn configuration_commands_follow_the_reference_procedure() {
    let lab = Lab::new("127.43.11");
    lab.up();
    let run = |line: &str| hmc(&lab, "hmc1", "hscroot", line);

    let refused = run("chsyscfg -r lpar -m sys1 -i \"name=aix61b,remote_restart_capable=1\"");
    assert_eq!(refused, ("An error occurred while changing the partition named aix61b. The managed system does not support changing the remote restart capability of a partition. You must delete the partition and recreate it with the desired remote restart capability.\n".into(), 1));

    let (dump, code) = run("lssyscfg -r prof -m sys1 --filter \"lpar_names=aix61b\"");
    assert_eq!(code, 0);
    let dump = dump.trim_end();
    assert!(
        dump.starts_with("name=default_profile,lpar_name=aix61b,lpar_id=4,lpar_env=aixlinux,"),
        "{dump}"
    );
    assert_eq!(
        run("chsysstate -r lpar -o shutdown --immed -m sys1 -n aix61b").1,
        0
    );
    for _ in 0..100 {
        if run("lssyscfg -r lpar -m sys1 -F state --filter lpar_names=aix61b").0
            == "Not Activated\n"
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        run("rmsyscfg -r lpar -m sys1 -n aix61b"),
        (String::new(), 0)
    );
    assert_eq!(
        run("lssyscfg -r lpar -m sys1 --filter lpar_names=aix61b").1,
        1,
        "gone"
    );

    // The edits of the reference: name becomes the LPAR's, profile_name and
    // remote_restart_capable follow it, lpar_name and electronic_err_reporting go.
    let input = dump
        .replacen(
            "name=default_profile,lpar_name=aix61b,",
            "name=aix61b,profile_name=default_profile,remote_restart_capable=1,",
            1,
        )
        .replace(",electronic_err_reporting=null", "");
    let (out, code) = run(&format!("mksyscfg -r lpar -m sys1 -i '{input}'"));
    assert_eq!((out.as_str(), code), ("", 0));
    assert_eq!(
        run("lssyscfg -r lpar -m sys1 -F name,remote_restart_capable,logical_serial_num --filter lpar_names=aix61b").0,
        "aix61b,1,658B2AD4\n"
    );
    let (again, _) = run("lssyscfg -r prof -m sys1 --filter \"lpar_names=aix61b\"");
    assert_eq!(again.trim_end(), dump, "the profile came back the same");

    // Profiles: add, change (LMB multiples enforced), remove; the default stays.
    assert_eq!(run("mksyscfg -r prof -m sys1 -i \"name=small,lpar_name=aix61b,min_mem=1024,desired_mem=2048,max_mem=4096,proc_mode=ded,sharing_mode=share_idle_procs,min_procs=1,desired_procs=1,max_procs=2\"").1, 0);
    assert_eq!(
        run("chsyscfg -r prof -m sys1 -i \"name=small,lpar_name=aix61b,desired_mem=3000\"").1,
        1
    );
    assert_eq!(
        run("chsyscfg -r prof -m sys1 -i \"name=small,lpar_name=aix61b,desired_mem=3072\"").1,
        0
    );
    assert_eq!(
        run("lssyscfg -r prof -m sys1 -F name,desired_mem --filter lpar_names=aix61b").0,
        "default_profile,8192\nsmall,3072\n"
    );
    assert_eq!(
        run("rmsyscfg -r prof -m sys1 -n default_profile -p aix61b").1,
        1
    );
    assert_eq!(run("rmsyscfg -r prof -m sys1 -n small -p aix61b").1, 0);
    // Bad input changes nothing.
    assert_eq!(run("mksyscfg -r lpar -m sys1 -i \"name=aix71a,profile_name=p,lpar_env=aixlinux,min_mem=1024,desired_mem=1024,max_mem=1024,min_procs=1,desired_procs=1,max_procs=1,min_proc_units=0.1,desired_proc_units=0.1,max_proc_units=0.1\"").1, 1, "duplicate name");
    assert_eq!(
        run("mksyscfg -r lpar -m sys1 -i \"name=x,profile_name=p,lpar_env=aixlinux,bogus=1\"").1,
        1
    );
    assert_eq!(run("mksyscfg -r lpar -m sys1 -i \"name=x,profile_name=p,lpar_env=aixlinux,lpar_proc_compat_mode=POWER9,min_mem=1024,desired_mem=1024,max_mem=1024,min_procs=1,desired_procs=1,max_procs=1,min_proc_units=0.1,desired_proc_units=0.1,max_proc_units=0.1\"").1, 1);
    assert_eq!(run("rmsyscfg -r lpar -m sys1 -n aix71a").1, 1, "running");
    assert_eq!(
        run("lssyscfg -r lpar -m sys1 -F name").0,
        "vios1\nvios2\naix71a\naix61b\nrrp7\n"
    );
}

#[test]
fn hardware_listings_and_vios_commands() {
    let lab = Lab::new("127.43.15");
    lab.up();
    let run = |line: &str| hmc(&lab, "hmc2", "hscroot", line);

    // Memory and processors: the frame's totals less what running partitions hold.
    let (mem, code) = run(
        "lshwres -r mem -m sys2 --level sys -F configurable_sys_mem,curr_avail_sys_mem,sys_firmware_mem,mem_region_size",
    );
    assert_eq!(code, 0);
    // 262144 - firmware (1024 + 262144/64) - VIOS 2x4096 - lnx01 8192 - aix72a 16384 - db01 32768
    assert_eq!(mem, "262144,191488,5120,256\n");
    assert_eq!(run("lshwres -r proc -m sys2 --level lpar -F lpar_name,curr_proc_mode,curr_procs --filter lpar_names=db01").0, "db01,ded,4\n");
    assert_eq!(
        run("lshwres -r proc -m sys2 --level sys -F curr_avail_sys_proc_units").0,
        "12.0\n",
        "20 - 2x0.5 - 1.0 - 2.0 - 4 dedicated"
    );
    // Virtual adapters, in the reference's layout (trunk_priority only on trunks).
    let (eth, _) = run("lshwres -r virtualio --rsubtype eth -m sys2 --level lpar | grep vios2");
    let rows: Vec<&str> = eth.lines().collect();
    assert_eq!(rows.len(), 2, "{eth}");
    assert!(rows[0].starts_with("lpar_name=vios2,lpar_id=2,slot_num=2,state=1,is_required=1,is_trunk=1,trunk_priority=2,ieee_virtual_eth=1,port_vlan_id=1,vswitch=ETHERNET0,\"addl_vlan_ids=100,200\",mac_addr="), "{eth}");
    assert!(rows[1].contains(",is_trunk=0,ieee_virtual_eth=0,port_vlan_id=99,vswitch=ETHERNET0,addl_vlan_ids=,mac_addr="), "{eth}");
    assert_eq!(run("lshwres -r virtualio --rsubtype fc -m sys2 --level lpar -F slot_num,wwpns --filter lpar_names=lnx01").0, "5,\"c050760431670040,c050760431670041\"\n6,\"c050760431670042,c050760431670043\"\n");
    assert_eq!(run("lshwres -r mem -m sys2").1, 1, "--level is required");
    assert_eq!(run("lshwres -r virtualio --rsubtype slot -m sys2 --level lpar -F lpar_name,curr_max_virtual_slots,next_avail_virtual_slot --filter lpar_names=lnx01").0, "lnx01,64,7\n");
    let (slots, _) = run(
        "lshwres -r virtualio --rsubtype slot -m sys2 --level slot -F slot_num,config,drc_name --filter lpar_names=lnx01",
    );
    assert_eq!(
        slots,
        "0,serial,U8286.42A.21A5E8V-V3-C0\n1,serial,U8286.42A.21A5E8V-V3-C1\n2,eth,U8286.42A.21A5E8V-V3-C2\n3,scsi,U8286.42A.21A5E8V-V3-C3\n4,scsi,U8286.42A.21A5E8V-V3-C4\n5,fc,U8286.42A.21A5E8V-V3-C5\n6,fc,U8286.42A.21A5E8V-V3-C6\n"
    );
    assert_eq!(
        run("lshwres -r virtualio --rsubtype vasi -m sys2 --level lpar -F lpar_name,msp").0,
        "vios1,1\nvios2,1\n"
    );

    assert_eq!(
        run("lsrefcode -r lpar -m sys3 -F lpar_name,refcode --filter lpar_names=web01").0,
        "web01,00000000\n"
    );
    assert_eq!(
        run("lssysconn -r all -F type_model_serial_num,state").0,
        "9117-MMD*658B2AD,Operating\n8286-42A*21A5E8V,Operating\n8286-42A*21A5E9V,Operating\n"
    );

    // viosvrcmd reaches the VIOS process over its RMC address.
    let (npiv, code) = run("viosvrcmd -m sys2 -p vios1 -c \"lsmap -all -npiv\"");
    assert_eq!(code, 0);
    assert!(npiv.starts_with("Name        Physloc                           ClntID  ClntName     ClntOS\n----------- --------------------------------- ------- ------------ ------\nvfchost0    U8286.42A.21A5E8V-V1-C23             3      lnx01        Linux\n\nStatus:LOGGED_IN\n"), "{npiv}");
    assert!(
        npiv.contains("VFC client DRC:U8286.42A.21A5E8V-V3-C5-T1"),
        "{npiv}"
    );
    let (map, _) = run("viosvrcmd -m sys2 -p vios2 -c \"lsmap -all\"");
    assert!(
        map.contains("vhost0          U8286.42A.21A5E8V-V2-C13                     0x00000003\n"),
        "{map}"
    );
    assert!(map.contains("VTD                   vtscsi0\n"), "{map}");
    assert_eq!(
        run("viosvrcmd -m sys2 -p vios2 -c \"lsdev -dev hdisk2 -attr reserve_policy\"").0,
        "value\n\nno_reserve\n"
    );
    assert_eq!(run("viosvrcmd -m sys2 -p lnx01 -c lspv").1, 1, "not a VIOS");
    assert_eq!(run("viosvrcmd -m sys2 -p vios1 -c \"rm -rf /\"").1, 1);
}

#[test]
fn dynamic_lpar_within_min_and_max() {
    let lab = Lab::new("127.43.16");
    lab.up();
    let run = |line: &str| hmc(&lab, "hmc1", "hscroot", line);
    let mem = |l: &str| {
        run(&format!(
            "lshwres -r mem -m sys2 --level lpar -F curr_mem --filter lpar_names={l}"
        ))
        .0
    };
    // aix72a: 8192 <= 16384 <= 32768 MB; lnx01: 4096 <= 8192 <= 16384.
    assert_eq!(
        run("chhwres -r mem -m sys2 -o a -p aix72a -q 4096"),
        (String::new(), 0)
    );
    assert_eq!(mem("aix72a"), "20480\n");
    assert_eq!(
        run("chhwres -r mem -m sys2 -o m -p aix72a -t lnx01 -q 2048").1,
        0
    );
    assert_eq!(
        (mem("aix72a"), mem("lnx01")),
        ("18432\n".into(), "10240\n".into())
    );
    // Beyond the maximum, not an LMB multiple, or on a partition not running: refused, unchanged.
    assert_eq!(run("chhwres -r mem -m sys2 -o a -p aix72a -q 16384").1, 1);
    assert_eq!(run("chhwres -r mem -m sys2 -o r -p aix72a -q 100").1, 1);
    assert_eq!(run("chhwres -r mem -m sys3 -o a -p web01 -q 256").1, 1);
    assert_eq!(mem("aix72a"), "18432\n");
    // Processors: shared units and virtual processors, dedicated processors.
    assert_eq!(
        run("chhwres -r proc -m sys2 -o a -p aix72a --procunits 0.5 --procs 1").1,
        0
    );
    assert_eq!(run("lshwres -r proc -m sys2 --level lpar -F curr_proc_units,curr_procs --filter lpar_names=aix72a").0, "2.5,5\n");
    assert_eq!(run("chhwres -r proc -m sys2 -o r -p db01 --procs 2").1, 0);
    assert_eq!(
        run("lshwres -r proc -m sys2 --level lpar -F curr_procs --filter lpar_names=db01").0,
        "2\n"
    );
    assert_eq!(
        run("chhwres -r proc -m sys2 -o r -p db01 --procs 1").1,
        1,
        "below min_procs 2"
    );
    // The other HMC sees the same.
    assert_eq!(
        hmc(
            &lab,
            "hmc2",
            "hscroot",
            "lshwres -r mem -m sys2 --level lpar -F curr_mem --filter lpar_names=lnx01"
        )
        .0,
        "10240\n"
    );
}
