//! Golden output: lines the reference documents show, reproduced byte for
//! byte from a lab in the matching state. Each constant is copied verbatim
//! from `shared/reference/remote-restart-and-vios-extract.md` (the section
//! is named), and the lab is built from the same lines, so the state
//! matches what the document shows.

use pvmlab_common::attrs::split_list;
use pvmlab_tests::{Lab, text};

/// §1.5, seed 000: a POWER7+ 9117-MMD, HMC V8R8.0.
const PROF_000: &str = r#"name=default_profile,lpar_name=temp3-b642c120-00000133,lpar_id=11,lpar_env=aixlinux,all_resources=0,min_mem=8192,desired_mem=8192,max_mem=8192,min_num_huge_pages=0,desired_num_huge_pages=0,max_num_huge_pages=0,mem_mode=ded,mem_expansion=0.0,hpt_ratio=1:128,proc_mode=shared,min_proc_units=2.0,desired_proc_units=2.0,max_proc_units=2.0,min_procs=4,desired_procs=4,max_procs=4,sharing_mode=uncap,uncap_weight=128,shared_proc_pool_id=0,shared_proc_pool_name=DefaultPool,affinity_group_id=none,io_slots=none,lpar_io_pool_ids=none,max_virtual_slots=64,"virtual_serial_adapters=0/server/1/any//any/1,1/server/1/any//any/1",virtual_scsi_adapters=3/client/2/s00ia9927560/32/0,virtual_eth_adapters=32/0/1659//0/0/vdct/facc157c3e20/all/0,virtual_eth_vsi_profiles=none,"virtual_fc_adapters=""2/client/1/s00ia9927559/32/c050760727c5007a,c050760727c5007b/0"",""4/client/1/s00ia9927559/35/c050760727c5007c,c050760727c5007d/0"",""5/client/2/s00ia9927560/34/c050760727c5007e,c050760727c5007f/0"",""6/client/2/s00ia9927560/35/c050760727c50080,c050760727c50081/0""",vtpm_adapters=none,hca_adapters=none,boot_mode=norm,conn_monitoring=1,auto_start=0,power_ctrl_lpar_ids=none,work_group_id=none,redundant_err_path_reporting=0,bsr_arrays=0,lpar_proc_compat_mode=default,electronic_err_reporting=null,sriov_eth_logical_ports=none"#;

/// §3.1, seed 003 (an HMC V7 with a POWER7 frame).
const LPAR_003: &str = "name=lpar05,lpar_id=15,lpar_env=aixlinux,state=Running,resource_config=1,os_version=AIX 7.1 7100-00-00-0000,logical_serial_num=06C3A0PF,default_profile=lpar05,curr_profile=lpar05,work_group_id=none,shared_proc_pool_util_auth=0,allow_perf_collection=0,power_ctrl_lpar_ids=none,boot_mode=norm,lpar_keylock=norm,auto_start=0,redundant_err_path_reporting=0,rmc_state=inactive,rmc_ipaddr=10.207.111.93,time_ref=0,lpar_avail_priority=127,desired_lpar_proc_compat_mode=default,curr_lpar_proc_compat_mode=POWER7,suspend_capable=0,remote_restart_capable=0,affinity_group_id=none";

/// §3.2, seed 003.
const PROF_003: &str = r#"name=lpar05,lpar_name=lpar05,lpar_id=15,lpar_env=aixlinux,all_resources=0,min_mem=512,desired_mem=2048,max_mem=4096,min_num_huge_pages=null,desired_num_huge_pages=null,max_num_huge_pages=null,mem_mode=ded,mem_expansion=0.0,hpt_ratio=1:64,proc_mode=ded,min_procs=1,desired_procs=1,max_procs=1,sharing_mode=share_idle_procs,affinity_group_id=none,io_slots=none,lpar_io_pool_ids=none,max_virtual_slots=1000,"virtual_serial_adapters=0/server/1/any//any/1,1/server/1/any//any/1","virtual_scsi_adapters=304/client/2/vio_server1/4/1,404/client/3/vio_server2/6/1","virtual_eth_adapters=10/0/1//0/0/ETHERNET0//all/none,11/0/97//0/0/ETHERNET0//all/none,12/0/98//0/0/ETHERNET0//all/none",vtpm_adapters=none,"virtual_fc_adapters=""504/client/2/vio_server1/8/c050760431670010,c050760431670011/1"",""604/client/3/vio_server2/5/c050760431670012,c050760431670013/1""",hca_adapters=none,boot_mode=norm,conn_monitoring=1,auto_start=0,power_ctrl_lpar_ids=none,work_group_id=none,redundant_err_path_reporting=null,bsr_arrays=0,lhea_logical_ports=none,lhea_capabilities=none,lpar_proc_compat_mode=default,electronic_err_reporting=null"#;

/// §6.4, seed 002: `lshwres -r virtualio --rsubtype eth -m p72 --level lpar |grep p72vio1`.
const ETH_P72VIO1: &str = r#"lpar_name=p72vio1,lpar_id=1,slot_num=2,state=1,is_required=0,is_trunk=1,trunk_priority=1,ieee_virtual_eth=1,port_vlan_id=1,vswitch=ETHERNET0,"addl_vlan_ids=10,11",mac_addr=761FA3934802,allowed_os_mac_addrs=all,qos_priority=none
lpar_name=p72vio1,lpar_id=1,slot_num=3,state=1,is_required=0,is_trunk=1,trunk_priority=1,ieee_virtual_eth=1,port_vlan_id=2,vswitch=ETHERNET0,"addl_vlan_ids=12,13",mac_addr=761FA3934803,allowed_os_mac_addrs=all,qos_priority=none
lpar_name=p72vio1,lpar_id=1,slot_num=4,state=1,is_required=0,is_trunk=0,ieee_virtual_eth=0,port_vlan_id=99,vswitch=ETHERNET0,addl_vlan_ids=,mac_addr=761FA3934804,allowed_os_mac_addrs=all,qos_priority=none
"#;

/// A profile table for the topology, from a `lssyscfg -r prof` line: the
/// partition-level and read-only attributes are left to the topology.
fn profile_toml(line: &str, table: &str) -> String {
    let mut t = format!("[[{table}]]\n");
    for item in split_list(line).unwrap() {
        let (k, v) = item.split_once('=').unwrap();
        if matches!(
            k,
            "lpar_name"
                | "lpar_id"
                | "lpar_env"
                | "shared_proc_pool_name"
                | "electronic_err_reporting"
        ) {
            continue;
        }
        // Values that hold commas are lists: one TOML string per element.
        let elems = split_list(v).unwrap();
        if elems.len() > 1 {
            let q: Vec<String> = elems.iter().map(|e| format!("{e:?}")).collect();
            t.push_str(&format!("{k} = [{}]\n", q.join(", ")));
        } else {
            t.push_str(&format!("{k} = {v:?}\n"));
        }
    }
    t
}

fn vios(id: u32, name: &str, addr: &str, eth: &[&str]) -> String {
    let eth: Vec<String> = eth.iter().map(|e| format!("{e:?}")).collect();
    format!(
        "[[frame.vios]]\nid = {id}\nname = \"{name}\"\naddress = \"{addr}\"\nmsp = true\n[[frame.vios.profile]]\nname = \"default_profile\"\nmin_mem = 1024\ndesired_mem = 2048\nmax_mem = 4096\nproc_mode = \"shared\"\nmin_proc_units = 0.1\ndesired_proc_units = 0.5\nmax_proc_units = 1.0\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 2\nmax_virtual_slots = 200\nvirtual_eth_adapters = [{}]\nauto_start = 1\n",
        eth.join(", ")
    )
}

fn frame(name: &str, mtms: &str, generation: &str, addr: &str) -> String {
    format!(
        "[[frame]]\nname = \"{name}\"\nmtms = \"{mtms}\"\nproc_generation = \"{generation}\"\ncompat_modes = [\"default\", \"POWER6\", \"POWER6_Plus\", \"POWER7\"]\nmemory_mb = 131072\nprocessors = 16\nfirmware = \"AM780_084\"\ncapabilities = [\"active_lpar_mobility_capable\", \"inactive_lpar_mobility_capable\"]\nmanaged_by = [\"hmcv7\", \"hmcv8\"]\npassword = \"abc123\"\naddress = \"{addr}\"\n"
    )
}

fn topology() -> String {
    let n = "127.43.20";
    let mut t = format!(
        "[[hmc]]\nname = \"hmcv7\"\naddress = \"{n}.11\"\nversion = \"V7R7.9.0\"\n\n[[hmc]]\nname = \"hmcv8\"\naddress = \"{n}.12\"\nversion = \"V8R8.0.0\"\n\n"
    );
    // Seed 000's frame and partition.
    t += &frame(
        "source-machine",
        "9117-MMD*658B2AD",
        "POWER7+",
        &format!("{n}.21"),
    );
    t += &vios(1, "s00ia9927559", &format!("{n}.31"), &[]);
    t += &vios(2, "s00ia9927560", &format!("{n}.32"), &[]);
    t += "[[frame.lpar]]\nid = 11\nname = \"temp3-b642c120-00000133\"\n";
    t += &profile_toml(PROF_000, "frame.lpar.profile");
    // Seed 003's frame and partition: running, its RMC daemon not active.
    t += &frame("p7vcs", "8233-E8B*06C3A0P", "POWER7", &format!("{n}.22"));
    t += &vios(2, "vio_server1", &format!("{n}.33"), &[]);
    t += &vios(3, "vio_server2", &format!("{n}.34"), &[]);
    t += "[[frame.lpar]]\nid = 15\nname = \"lpar05\"\nos_version = \"AIX 7.1 7100-00-00-0000\"\nrmc_ipaddr = \"10.207.111.93\"\nrmc = false\n";
    t += &profile_toml(PROF_003, "frame.lpar.profile");
    // §6.4's frame: two VIOS with trunk adapters and fixed MACs.
    t += &frame("p72", "8205-E6C*1001C7R", "POWER7", &format!("{n}.23"));
    let eth = |prio: u32, macs: [&str; 3]| {
        [
            format!("2/1/1/10,11/{prio}/0/ETHERNET0/{}/all/none", macs[0]),
            format!("3/1/2/12,13/{prio}/0/ETHERNET0/{}/all/none", macs[1]),
            format!("4/0/99//0/0/ETHERNET0/{}/all/none", macs[2]),
        ]
    };
    let e1 = eth(1, ["761fa3934802", "761fa3934803", "761fa3934804"]);
    let e2 = eth(2, ["761fa4f6a602", "761fa4f6a603", "761fa4f6a604"]);
    t += &vios(
        1,
        "p72vio1",
        &format!("{n}.35"),
        &e1.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    t += &vios(
        2,
        "p72vio2",
        &format!("{n}.36"),
        &e2.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    t
}

fn hmc(lab: &Lab, name: &str, line: &str) -> String {
    let out = lab.pvmlab(&["hmc", name, "--", line]);
    assert!(out.status.success(), "{line}: {}", text(&out.stdout));
    text(&out.stdout)
}

#[test]
fn reference_lines_byte_for_byte() {
    let lab = Lab::with_topology(&topology());
    lab.up();

    // Seed 000, on the V8 HMC.
    let got = hmc(
        &lab,
        "hmcv8",
        "lssyscfg -r prof -m 9117-MMD*658B2AD --filter \"lpar_names=temp3-b642c120-00000133\"",
    );
    assert_eq!(got, format!("{PROF_000}\n"));

    // Seed 003, on the V7 HMC, once the partition runs.
    hmc(
        &lab,
        "hmcv7",
        "chsysstate -r lpar -m p7vcs -n lpar05 -o on -f lpar05",
    );
    for _ in 0..100 {
        if hmc(
            &lab,
            "hmcv7",
            "lssyscfg -r lpar -m p7vcs -F state --filter lpar_names=lpar05",
        ) == "Running\n"
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        hmc(
            &lab,
            "hmcv7",
            "lssyscfg -r lpar -m p7vcs --filter lpar_names=lpar05"
        ),
        format!("{LPAR_003}\n")
    );
    assert_eq!(
        hmc(
            &lab,
            "hmcv7",
            "lssyscfg -r prof -m p7vcs --filter lpar_names=lpar05,profile_names=lpar05"
        ),
        format!("{PROF_003}\n")
    );

    // §6.4, through the shell's pipe.
    assert_eq!(
        hmc(
            &lab,
            "hmcv7",
            "lshwres -r virtualio --rsubtype eth -m p72 --level lpar |grep p72vio1"
        ),
        ETH_P72VIO1
    );
}

#[test]
fn layouts_name_only_real_attributes() {
    // Every name a layout prints must be one the attribute table knows, so
    // the layouts cannot drift from parsing.
    let known: Vec<&str> = pvmlab_common::attrs::PROFILE_ATTRS
        .iter()
        .map(|a| a.name)
        .collect();
    for line in [PROF_000, PROF_003] {
        for item in split_list(line).unwrap() {
            let k = item.split_once('=').unwrap().0;
            assert!(
                known.contains(&k)
                    || matches!(
                        k,
                        "name" | "lpar_name" | "lpar_id" | "lpar_env" | "shared_proc_pool_name"
                    ),
                "{k}"
            );
        }
    }
}
