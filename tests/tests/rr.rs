//! Remote restart end to end: a frame with four remote restart capable
//! partitions is lost, powered off, or fails; its partitions are restarted
//! on the survivors (`pvmlab evacuate`, rrstartlpar through the HMC); the
//! frame comes back with stale copies that refuse to start until a
//! cleanup; every partition exists exactly once at the end.

use pvmlab_common::labs::remote_restart_lab;
use pvmlab_tests::{Lab, text};
use std::time::Duration;

fn hmc(lab: &Lab, line: &str) -> (String, i32) {
    lab.hmc("hmc1", line)
}

fn wait_for(lab: &Lab, line: &str, done: impl Fn(&str) -> bool, secs: u64) -> String {
    lab.wait_for(line, done, secs)
}

/// Where each of rr1..rr4 is, as name -> [(frame, state)].
fn census(lab: &Lab) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> =
        (1..=4).map(|i| (format!("rr{i}"), Vec::new())).collect();
    for f in ["fr1", "fr2", "fr3"] {
        let (list, _) = hmc(lab, &format!("lssyscfg -r lpar -m {f} -F name,state"));
        for line in list.lines() {
            if let Some((n, st)) = line.split_once(',') {
                if let Some(e) = out.iter_mut().find(|(name, _)| name == n) {
                    e.1.push((f.to_string(), st.to_string()));
                }
            }
        }
    }
    out
}

/// Every partition exists on exactly one frame and runs there.
fn each_once_running(lab: &Lab) {
    for (name, at) in census(lab) {
        assert_eq!(at.len(), 1, "{name} exists once: {at:?}");
        assert_eq!(at[0].1, "Running", "{name}: {at:?}");
    }
}

/// `frame` goes down by `fault`; its partitions restart elsewhere; it
/// comes back; the stale copies refuse to start, and are cleaned up.
fn fail_evacuate_restore(lab: &Lab, frame: &str, fault: &str, down_state: &str) {
    let on: Vec<String> = census(lab)
        .into_iter()
        .filter(|(_, at)| at.iter().any(|(f, _)| f == frame))
        .map(|(n, _)| n)
        .collect();
    assert!(!on.is_empty(), "{frame} runs remote restart partitions");
    let f = lab.pvmlab(&["fault", "frame", frame, fault]);
    assert!(f.status.success(), "{}", text(&f.stderr));
    let state = format!("lssyscfg -r sys -m {frame} -F state");
    let seen = wait_for(lab, &state, |s| s.trim() == down_state, 20);
    assert_eq!(seen.trim(), down_state);
    let ev = lab.pvmlab(&["evacuate", frame]);
    assert!(
        ev.status.success(),
        "{}{}",
        text(&ev.stdout),
        text(&ev.stderr)
    );
    let report = text(&ev.stdout);
    for n in &on {
        assert!(report.contains(&format!("{n:<20} -> ")), "{report}");
    }
    // Running once, elsewhere.
    for (name, at) in census(lab) {
        let live: Vec<&(String, String)> = at.iter().filter(|(f, _)| f != frame).collect();
        assert_eq!(live.len(), 1, "{name}: {at:?}");
    }
    let r = lab.pvmlab(&["fault", "frame", frame, "restore"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert_eq!(
        wait_for(lab, &state, |s| s.trim() == "Operating", 30).trim(),
        "Operating"
    );
    for n in &on {
        let st = format!(
            "lssyscfg -r lpar -m {frame} --filter lpar_names={n} -F state,remote_restart_status"
        );
        let now = wait_for(
            lab,
            &st,
            |s| s.trim() == "Not Activated,Remote Restarted",
            10,
        );
        assert_eq!(now.trim(), "Not Activated,Remote Restarted", "{n}");
        let (out, code) = hmc(
            lab,
            &format!("chsysstate -r lpar -m {frame} -n {n} -o on -f default_profile"),
        );
        assert_eq!(code, 1, "the stale copy refuses to start: {out}");
        assert!(out.contains("rrstartlpar -o cleanup"), "{out}");
        let (out, code) = hmc(lab, &format!("rrstartlpar -o cleanup -m {frame} -p {n} -v"));
        assert_eq!((out.as_str(), code), ("", 0));
        let (again, code) = hmc(lab, &format!("rrstartlpar -o cleanup -m {frame} -p {n}"));
        assert_eq!(code, 1);
        assert!(again.contains("HSCL8012"), "{again}");
    }
    each_once_running(lab);
}

#[test]
fn frames_lost_powered_off_and_failed_are_evacuated_and_cleaned_up() {
    let lab = Lab::with_topology(&remote_restart_lab("rrtest", "127.43.40", 3, 4));
    lab.up();
    each_once_running(&lab);
    // The HMC keeps each partition's configuration once it has run.
    let rrs = "lssyscfg -r lpar -m fr1 --filter lpar_names=rr1 -F remote_restart_capable,simplified_remote_restart_capable,remote_restart_status";
    assert_eq!(hmc(&lab, rrs).0, "1,1,Remote Restartable\n");

    // Validation works while the source runs; restart does not.
    std::thread::sleep(Duration::from_millis(800));
    let (out, code) = hmc(&lab, "rrstartlpar -o validate -m fr1 -t fr2 -p rr1 -d 5");
    assert_eq!((out.as_str(), code), ("", 0));
    let (out, code) = hmc(&lab, "rrstartlpar -o restart -m fr1 -t fr2 -p rr1");
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "HSCLA9CE The managed system is not in a valid state to support partition remote restart operations.\n"
    );
    // Bad input names its cause and changes nothing.
    let (out, code) = hmc(&lab, "rrstartlpar -o validate -m fr1 -t fr1 -p rr1");
    assert_eq!(code, 1);
    assert!(
        out.contains("The source and destination managed systems are the same."),
        "{out}"
    );
    let (out, code) = hmc(&lab, "rrstartlpar -o validate -m fr1 -t fr2 -p vios1");
    assert_eq!(code, 1);
    assert!(out.contains("not remote restart capable"), "{out}");
    let (out, code) = hmc(&lab, "rrstartlpar -o validate -m fr1 -t fr2 -p nosuch");
    assert_eq!(code, 1);
    assert!(out.contains("HSCL8012"), "{out}");
    let (out, code) = hmc(&lab, "rrstartlpar -o bounce -m fr1 -t fr2 -p rr1");
    assert_eq!(code, 1);
    assert!(out.contains("-o parameter"), "{out}");
    let (out, code) = hmc(&lab, "rrstartlpar -o validate -m fr1 -t fr2 -p rr1 -w soon");
    assert_eq!(code, 1);
    assert!(out.contains("-w parameter: soon"), "{out}");
    // A target short of memory: a partition on fr2 takes nearly all of it.
    let (out, code) = hmc(
        &lab,
        "mksyscfg -r lpar -m fr2 -i \"name=hog,profile_name=p,lpar_env=aixlinux,min_mem=1024,desired_mem=65536,max_mem=65536,proc_mode=shared,min_proc_units=0.1,desired_proc_units=0.1,max_proc_units=1.0,min_procs=1,desired_procs=1,max_procs=1\"",
    );
    assert_eq!(code, 0, "{out}");
    let (out, code) = hmc(&lab, "chsysstate -r lpar -m fr2 -n hog -o on -f p");
    assert_eq!(code, 0, "{out}");
    let (out, code) = hmc(&lab, "rrstartlpar -o validate -m fr1 -t fr2 -p rr1");
    assert_eq!(code, 1);
    assert!(out.contains("There is not enough memory"), "{out}");
    // Remote restart capable partitions own no physical I/O.
    let (out, code) = hmc(
        &lab,
        "chsyscfg -r prof -m fr1 -i \"name=default_profile,lpar_name=rr1,io_slots=21010201/none/0\"",
    );
    assert_eq!(code, 1);
    assert!(out.contains("cannot own physical I/O"), "{out}");
    // A target whose VIOS cannot host the disks: fr3's only VIOS is down.
    let (out, code) = hmc(
        &lab,
        "chsysstate -r lpar -m fr3 -n vios1 -o shutdown --immed",
    );
    assert_eq!(code, 0, "{out}");
    wait_for(
        &lab,
        "lssyscfg -r lpar -m fr3 --filter lpar_names=vios1 -F state",
        |s| s.trim() == "Not Activated",
        10,
    );
    let (out, code) = hmc(&lab, "rrstartlpar -o validate -m fr1 -t fr3 -p rr1");
    assert_eq!(code, 1);
    assert!(out.starts_with("Errors:\n"), "{out}");
    assert!(out.contains("VLAN 1"), "no SEA bridges VLAN 1 there: {out}");
    let (out, code) = hmc(
        &lab,
        "chsysstate -r lpar -m fr3 -n vios1 -o on -f default_profile",
    );
    assert_eq!(code, 0, "{out}");
    wait_for(
        &lab,
        "lssyscfg -r lpar -m fr3 --filter lpar_names=vios1 -F rmc_state",
        |s| s.trim() == "active",
        10,
    );
    hmc(&lab, "chsysstate -r lpar -m fr2 -n hog -o shutdown --immed");
    wait_for(
        &lab,
        "lssyscfg -r lpar -m fr2 --filter lpar_names=hog -F state",
        |s| s.trim() == "Not Activated",
        10,
    );
    hmc(&lab, "rmsyscfg -r lpar -m fr2 -n hog");
    each_once_running(&lab);

    // The whole frame lost (no connection): restart needs --noconnection.
    let lose = lab.pvmlab(&["fault", "frame", "fr1", "lose"]);
    assert!(lose.status.success(), "{}", text(&lose.stderr));
    let seen = wait_for(
        &lab,
        "lssyscfg -r sys -m fr1 -F state",
        |s| s.trim() == "No Connection",
        20,
    );
    assert_eq!(seen.trim(), "No Connection");
    let (out, code) = hmc(&lab, "rrstartlpar -o restart -m fr1 -t fr2 -p rr1");
    assert_eq!(code, 1);
    assert!(out.starts_with("HSCLA9CE "), "{out}");
    let r = lab.pvmlab(&["fault", "frame", "fr1", "restore"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    // Nothing was restarted: the frame comes back, and its remote restart
    // capable partitions start by themselves once the HMC had the time to
    // mark any it restarted elsewhere.
    wait_for(
        &lab,
        "lssyscfg -r sys -m fr1 -F state",
        |s| s.trim() == "Operating",
        30,
    );
    wait_for(
        &lab,
        "lssyscfg -r lpar -m fr1 -F state",
        |s| s.lines().filter(|l| *l == "Running").count() == 5,
        20,
    );
    each_once_running(&lab);
    std::thread::sleep(Duration::from_millis(800));

    fail_evacuate_restore(&lab, "fr1", "lose", "No Connection");
    // Now fr2 and fr3 run them; each fails in its own way.
    fail_evacuate_restore(&lab, "fr2", "power-off", "Power Off");
    fail_evacuate_restore(&lab, "fr3", "error", "Error");
}

/// Seed 000 end to end on the default lab's POWER7+ frame: a reserved
/// storage device pool, a device for the partition (which cannot start
/// without one), its configuration written there, and a restart on a
/// POWER8 frame that reads it back through that frame's VIOS.
#[test]
fn power7_remote_restart_through_a_reserved_storage_device() {
    let lab = Lab::new("127.43.41");
    lab.up();
    let (out, code) = hmc(
        &lab,
        "chsysstate -r lpar -m sys1 -n rrp7 -o on -f default_profile",
    );
    assert_eq!(code, 1);
    assert!(out.contains("has no reserved storage device"), "{out}");

    let (avail, code) = hmc(&lab, "lsmemdev -r avail -m sys1 -p vios1,vios2");
    assert_eq!(code, 0, "{avail}");
    // rsd01 is the 13th LUN each VIOS sees: hdisk14 on both.
    let line = avail
        .lines()
        .find(|l| l.starts_with("device_name=hdisk14,"))
        .unwrap_or_else(|| panic!("{avail}"));
    assert!(
        line.starts_with("device_name=hdisk14,redundant_device_name=hdisk14,size=61440,type=phys,phys_loc=U78C9.001.")
            && line.contains("-P2-C1-T1-W500507680140F32C-L3E5000000000000,redundant_phys_loc=")
            && line.ends_with(",redundant_capable=1"),
        "{line}"
    );
    for cmd in [
        "chhwres -r rspool -m sys1 -o a -a vios_names=\\\"vios1,vios2\\\"",
        "chhwres -r rspool -m sys1 -o a -p vios1 --rsubtype rsdev --device hdisk14 --manual",
        "chhwres -r rspool -m sys3 -o a -a vios_names=\\\"vios1,vios2\\\"",
        "chhwres -r rspool -m sys3 -o a -p vios1 --rsubtype rsdev --device hdisk14 --manual",
    ] {
        let (out, code) = hmc(&lab, cmd);
        assert_eq!((out.as_str(), code), ("", 0), "{cmd}");
    }
    assert_eq!(
        hmc(&lab, "lshwres -r rspool -m sys1").0,
        "\"vios_names=vios1,vios2\",\"vios_ids=1,2\"\n"
    );
    let (dev, _) = hmc(&lab, "lshwres -r rspool -m sys1 --rsubtype rsdev");
    assert!(
        dev.starts_with("device_name=hdisk14,vios_name=vios1,vios_id=1,size=61440,type=phys,state=Inactive,phys_loc=")
            && dev.contains(",is_redundant=1,redundant_device_name=hdisk14,redundant_vios_name=vios2,redundant_vios_id=2,redundant_state=Inactive,")
            && dev.ends_with(",lpar_id=none,device_selection_type=manual\n"),
        "{dev}"
    );
    assert_eq!(hmc(&lab, "lsrsdevsize -m sys1 -p rrp7").0, "size=4249\n");
    // A device in use elsewhere, or not in the pool, is refused.
    let (out, code) = hmc(
        &lab,
        "chsyscfg -r lpar -m sys1 -i \"name=rrp7,primary_rs_vios_name=vios1,rs_device_name=hdisk15\"",
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("not in the reserved storage device pool"),
        "{out}"
    );
    let (out, code) = hmc(
        &lab,
        "chsyscfg -r lpar -m sys1 -i \"name=rrp7,primary_rs_vios_name=vios1,secondary_rs_vios_name=vios2,rs_device_name=hdisk14\"",
    );
    assert_eq!((out.as_str(), code), ("", 0));
    assert_eq!(
        hmc(
            &lab,
            "lssyscfg -r lpar -m sys1 --filter lpar_names=rrp7 -F primary_rs_vios_name,secondary_rs_vios_name,curr_rs_vios_name"
        )
        .0,
        "vios1,vios2,vios1\n"
    );
    let (dev, _) = hmc(&lab, "lshwres -r rspool -m sys1 --rsubtype rsdev");
    assert!(
        dev.contains(",state=Active,")
            && dev.ends_with(",lpar_name=rrp7,lpar_id=5,device_selection_type=manual\n"),
        "{dev}"
    );
    let (out, code) = hmc(
        &lab,
        "chsysstate -r lpar -m sys1 -n rrp7 -o on -f default_profile",
    );
    assert_eq!(code, 0, "{out}");
    wait_for(
        &lab,
        "lssyscfg -r lpar -m sys1 --filter lpar_names=rrp7 -F state",
        |s| s.trim() == "Running",
        10,
    );
    let (out, code) = hmc(&lab, "refdev -m sys1 -p rrp7 -v");
    assert_eq!(code, 0, "{out}");
    // The device holds the migration-session document on the shared SAN.
    let held = tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(lab.san_device("rsd01"))
        .expect("the SAN reads the device");
    let held = String::from_utf8_lossy(&held);
    assert!(
        held.contains("<FileInfo version=\"1\"/>") && held.contains("lpar_name=\"rrp7\""),
        "{held}"
    );

    let off = lab.pvmlab(&["fault", "frame", "sys1", "power-off"]);
    assert!(off.status.success(), "{}", text(&off.stderr));
    let (out, code) = hmc(
        &lab,
        "rrstartlpar -o restart -m sys1 -t sys3 -p rrp7 -d 5 -v",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "Warnings:\nHSCLA32F The specified partition ID is no longer valid. The next available partition ID will be used.\n"
    );
    let on3 = wait_for(
        &lab,
        "lssyscfg -r lpar -m sys3 --filter lpar_names=rrp7 -F lpar_id,state,rs_device_name",
        |s| s.contains("Running"),
        10,
    );
    assert_eq!(on3, "6,Running,hdisk14\n");
    let r = lab.pvmlab(&["fault", "frame", "sys1", "restore"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    wait_for(
        &lab,
        "lssyscfg -r sys -m sys1 -F state",
        |s| s.trim() == "Operating",
        30,
    );
    let (out, code) = hmc(
        &lab,
        "rrstartlpar -o cleanup -m sys1 -p rrp7 --retaindev -d 5 -v --force",
    );
    assert_eq!((out.as_str(), code), ("", 0));
    let (dev, _) = hmc(
        &lab,
        "lshwres -r rspool -m sys1 --rsubtype rsdev -F device_name,state,lpar_id",
    );
    assert_eq!(
        dev, "hdisk14,Inactive,none\n",
        "the device stays in the pool, free"
    );
}

/// Remote restart came with HMC V8R8: an older HMC has no rrstartlpar.
#[test]
fn an_hmc_before_v8r8_has_no_rrstartlpar() {
    let topo = remote_restart_lab("rrold", "127.43.42", 2, 1).replace(
        "name = \"hmc1\"\n",
        "name = \"hmc1\"\nversion = \"V7R7.9.0\"\n",
    );
    assert!(topo.contains("V7R7.9.0"));
    let lab = Lab::with_topology(&topo);
    lab.up();
    let (out, code) = hmc(&lab, "rrstartlpar -o validate -m fr1 -t fr2 -p rr1");
    assert_eq!(
        (out.as_str(), code),
        ("rbash: rrstartlpar: command not found\n", 127)
    );
    let (out, _) = hmc(&lab, "lshmc -V");
    assert!(out.contains("Version: 7\n Release: 7.9.0"), "{out}");
}

/// With `rr_auto_cleanup`, the HMC removes the stale copies by itself as
/// soon as their frame is back.
#[test]
fn auto_cleanup_removes_stale_copies_when_the_frame_returns() {
    let topo = remote_restart_lab("rrauto", "127.43.43", 2, 2).replace(
        "name = \"hmc1\"\n",
        "name = \"hmc1\"\nrr_auto_cleanup = true\n",
    );
    let lab = Lab::with_topology(&topo);
    lab.up();
    std::thread::sleep(Duration::from_millis(800));
    let f = lab.pvmlab(&["fault", "frame", "fr1", "error"]);
    assert!(f.status.success(), "{}", text(&f.stderr));
    let ev = lab.pvmlab(&["evacuate", "fr1"]);
    assert!(
        ev.status.success(),
        "{}{}",
        text(&ev.stdout),
        text(&ev.stderr)
    );
    let r = lab.pvmlab(&["fault", "frame", "fr1", "restore"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let left = wait_for(
        &lab,
        "lssyscfg -r lpar -m fr1 -F name",
        |s| !s.contains("rr"),
        20,
    );
    assert_eq!(left, "vios1\n", "the stale copies are gone");
    let (on2, _) = hmc(&lab, "lssyscfg -r lpar -m fr2 -F name,state");
    assert!(
        on2.contains("rr1,Running") && on2.contains("rr2,Running"),
        "{on2}"
    );
}
