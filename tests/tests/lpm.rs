//! Live Partition Mobility end to end: a running partition whose workload
//! keeps writing moves from sys2 to sys3 through the two MSPs, with its
//! memory intact; an inactive one moves through the HMC; validation
//! reports what is wrong and changes nothing; stop and recover.

use pvmlab_tests::{Lab, text};

fn hmc(lab: &Lab, line: &str) -> (String, i32) {
    let out = lab.pvmlab(&["hmc", "hmc1", "--", line]);
    let mut s = text(&out.stdout);
    s.push_str(&text(&out.stderr));
    (s, out.status.code().unwrap_or(-1))
}

fn field<'a>(rec: &'a str, k: &str) -> &'a str {
    rec.trim()
        .split(',')
        .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
        .unwrap_or("")
}

/// Makes migrating aix72a from sys2 take seconds: 200 MB written, and the
/// MSP link between the frames shaped to 20 MB/s.
fn slow_copy(lab: &Lab) {
    lab.pvmlab(&[
        "workload",
        "sys2",
        "aix72a",
        "--rate",
        "2000",
        "--working-set",
        "200",
        "--pattern",
        "sequential",
    ]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    lab.pvmlab(&["workload", "sys2", "aix72a", "--rate", "4"]);
    let shaped = lab.pvmlab(&[
        "fault",
        "add",
        "sys2-vios1",
        "--peer",
        "sys3-vios1",
        "--kind",
        "bandwidth",
        "--rate",
        "160mbit",
        "--link",
    ]);
    assert!(shaped.status.success(), "{}", text(&shaped.stderr));
}

#[test]
fn active_and_inactive_migration_validation_and_recovery() {
    let lab = Lab::new("127.43.30");
    lab.up();

    // Validation: a mode the POWER7+ frame cannot run is an error, with
    // a non-zero exit, and nothing changes.
    let (out, code) = hmc(&lab, "migrlpar -o v -m sys2 -t sys1 -p aix72a");
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("Errors:\nHSCLA224 "), "{out}");
    let (ok, code) = hmc(&lab, "migrlpar -o v -m sys2 -t sys3 -p aix72a");
    assert_eq!((ok.as_str(), code), ("", 0));
    let (out, code) = hmc(&lab, "migrlpar -o v -m sys2 -t sys3 -p web01");
    assert_eq!(code, 1);
    assert!(out.contains("HSCL8012"), "{out}");
    let (out, _) = hmc(
        &lab,
        "migrlpar -o m -m sys2 -t sys3 -p aix72a -i dest_msp_name=nosuch",
    );
    assert!(
        out.contains("The destination mover service partition nosuch was not found"),
        "{out}"
    );
    let (out, _) = hmc(
        &lab,
        "lslparmigr -r lpar -m sys2 --filter lpar_names=aix72a",
    );
    assert_eq!(out, "name=aix72a,lpar_id=4,migration_state=Not Migrating\n");

    // The partition's agent can refuse in the check phase.
    lab.pvmlab(&["workload", "sys2", "lnx01", "--refuse-migration", "check"]);
    let (out, code) = hmc(&lab, "migrlpar -o v -m sys2 -t sys3 -p lnx01");
    assert_eq!(code, 1);
    assert!(out.contains("HSCLA257 "), "{out}");
    lab.pvmlab(&["workload", "sys2", "lnx01", "--refuse-migration", "none"]);

    // Active: aix72a runs a workload writing 4 MB/s. Its memory crosses
    // MSP to MSP and arrives byte for byte as it was at suspend.
    let (out, code) = hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p aix72a -v");
    assert_eq!(code, 0, "{out}");
    assert_eq!(field(&out, "memory_integrity"), "ok", "{out}");
    assert_eq!(field(&out, "source_digest"), field(&out, "dest_digest"));
    let downtime: u64 = field(&out, "downtime_us").parse().unwrap_or(0);
    assert!(
        downtime > 0,
        "the heartbeat measured the suspend window: {out}"
    );
    assert!(
        field(&out, "pages_sent").parse::<u64>().unwrap_or(0) > 0,
        "{out}"
    );
    // It runs on sys3 only; the source partition and its VIOS mappings are gone.
    let (on3, _) = hmc(
        &lab,
        "lssyscfg -r lpar -m sys3 -F name,state --filter lpar_names=aix72a",
    );
    assert_eq!(on3, "aix72a,Running\n");
    let (on2, _) = hmc(&lab, "lssyscfg -r lpar -m sys2 -F name");
    assert!(!on2.contains("aix72a"), "{on2}");
    let (map2, _) = hmc(&lab, "viosvrcmd -m sys2 -p vios1 -c \"lsmap -all\"");
    assert!(!map2.contains("0x00000004"), "{map2}");
    let (errlog, _) = hmc(&lab, "viosvrcmd -m sys2 -p vios1 -c errlog");
    assert!(
        errlog.contains(" I S Migration      Migration completed successfully"),
        "{errlog}"
    );
    assert!(errlog.contains("6CB10B8D"), "{errlog}");
    // The workload runs on there.
    let w = text(&lab.pvmlab(&["workload", "sys3", "aix72a"]).stdout);
    assert!(w.contains("heartbeat"), "{w}");

    // And back again, to a frame that has its id free.
    let (out, code) = hmc(&lab, "migrlpar -o m -m sys3 -t sys2 -p aix72a -v");
    assert_eq!((field(&out, "memory_integrity"), code), ("ok", 0), "{out}");

    // Inactive: a partition never activated is refused; once activated
    // and shut down it moves with its profiles, no MSP, and stays off.
    let (out, code) = hmc(&lab, "migrlpar -o m -m sys3 -t sys2 -p web01");
    assert_eq!(code, 1);
    assert!(out.contains("has never been activated"), "{out}");
    hmc(
        &lab,
        "chsysstate -r lpar -m sys3 -o on -n web01 -f default_profile",
    );
    std::thread::sleep(std::time::Duration::from_millis(400));
    hmc(
        &lab,
        "chsysstate -r lpar -m sys3 -o shutdown --immed -n web01",
    );
    std::thread::sleep(std::time::Duration::from_millis(400));
    let (out, code) = hmc(&lab, "migrlpar -o m -m sys3 -t sys2 -p web01");
    assert_eq!((out.as_str(), code), ("", 0));
    let (on2, _) = hmc(
        &lab,
        "lssyscfg -r lpar -m sys2 -F name,state --filter lpar_names=web01",
    );
    assert_eq!(on2, "web01,Not Activated\n");
    let (profs, _) = hmc(
        &lab,
        "lssyscfg -r prof -m sys2 -F name --filter lpar_names=web01",
    );
    assert!(profs.contains("default_profile"), "{profs}");

    // Stop and recover of something not migrating are clear errors.
    let (out, code) = hmc(&lab, "migrlpar -o s -m sys2 -p web01");
    assert_eq!(code, 1);
    assert!(out.contains("is not migrating"), "{out}");
    let (out, code) = hmc(&lab, "migrlpar -o r -m sys2 -p web01");
    assert_eq!(code, 1);
    assert!(out.contains("nothing to recover"), "{out}");
    let (sys, _) = hmc(
        &lab,
        "lslparmigr -r sys -m sys2 -F num_active_migrations_in_progress,num_inactive_migrations_in_progress",
    );
    assert_eq!(sys, "0,0\n");
}

/// The Redbook's §6.3: the MSP-to-MSP link fails mid-copy. The migration
/// aborts, the partition runs on at the source (never on two frames), both
/// MSPs log it, the state calls for a recovery, and the recovery removes
/// the destination shell; after it the partition migrates again.
#[test]
fn a_cut_msp_link_aborts_and_recover_removes_the_shell() {
    let lab = Lab::new("127.43.31");
    lab.up();
    slow_copy(&lab);
    let ticks = |frame: &str| -> u64 {
        let w = text(&lab.pvmlab(&["workload", frame, "aix72a"]).stdout);
        w.split("heartbeat: ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let before = ticks("sys2");
    std::thread::scope(|s| {
        let mig = s.spawn(|| hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p aix72a"));
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let (mid, _) = hmc(
            &lab,
            "lslparmigr -r lpar -m sys2 --filter lpar_names=aix72a",
        );
        assert!(
            mid.contains("migration_state=Migration Starting,migration_type=active"),
            "{mid}"
        );
        let cut = lab.pvmlab(&[
            "fault",
            "add",
            "sys2-vios1",
            "--peer",
            "sys3-vios1",
            "--kind",
            "cut",
            "--link",
        ]);
        assert!(cut.status.success(), "{}", text(&cut.stderr));
        let (out, code) = mig.join().unwrap();
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("migrlpar -o r"), "{out}");
    });
    // It runs on the source, and only there; a shell waits on sys3.
    let (src, _) = hmc(
        &lab,
        "lssyscfg -r lpar -m sys2 -F state --filter lpar_names=aix72a",
    );
    assert_eq!(src, "Migrating - Running\n");
    let (dst, _) = hmc(
        &lab,
        "lssyscfg -r lpar -m sys3 -F state --filter lpar_names=aix72a",
    );
    assert_eq!(dst, "Migrating - Not Activated\n");
    let t1 = ticks("sys2");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        ticks("sys2") > t1 && t1 > before,
        "the partition keeps running on the source"
    );
    for (frame, vios) in [("sys2", "vios1"), ("sys3", "vios1")] {
        let (log, _) = hmc(&lab, &format!("viosvrcmd -m {frame} -p {vios} -c errlog"));
        assert!(
            log.contains("427E17BD") && log.contains("Migration aborted: MSP-MSP connection do\n"),
            "{frame}: {log}"
        );
    }
    // Recover, with the link back.
    lab.pvmlab(&["fault", "rm", "sys2-vios1", "--all"]);
    lab.pvmlab(&["fault", "rm", "sys3-vios1", "--all"]);
    let (out, code) = hmc(&lab, "migrlpar -o r -m sys2 -p aix72a");
    assert_eq!((out.as_str(), code), ("", 0));
    let (src, _) = hmc(
        &lab,
        "lslparmigr -r lpar -m sys2 --filter lpar_names=aix72a",
    );
    assert_eq!(src, "name=aix72a,lpar_id=4,migration_state=Not Migrating\n");
    let (dst, _) = hmc(&lab, "lssyscfg -r lpar -m sys3 -F name");
    assert!(!dst.contains("aix72a"), "the shell is gone: {dst}");
    let (state, _) = hmc(
        &lab,
        "lssyscfg -r lpar -m sys2 -F state --filter lpar_names=aix72a",
    );
    assert_eq!(state, "Running\n");
    let (out, code) = hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p aix72a -v");
    assert_eq!((field(&out, "memory_integrity"), code), ("ok", 0), "{out}");
}

/// The destination frame is powered off before the partition resumed: the
/// migration stops, the partition runs on at the source, and a recovery
/// removes what is left of the shell (the Redbook's §2.5.8).
#[test]
fn destination_powered_off_before_resume_rolls_back() {
    let lab = Lab::new("127.43.32");
    lab.up();
    slow_copy(&lab);
    std::thread::scope(|s| {
        let mig = s.spawn(|| hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p aix72a"));
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let (off, code) = hmc(&lab, "chsysstate -r sys -m sys3 -o off --immed");
        assert_eq!(code, 0, "{off}");
        let (out, code) = mig.join().unwrap();
        assert_eq!(code, 1, "{out}");
    });
    let (src, _) = hmc(
        &lab,
        "lssyscfg -r lpar -m sys2 -F state --filter lpar_names=aix72a",
    );
    assert_eq!(
        src, "Migrating - Running\n",
        "never on two frames: it runs at the source"
    );
    let (dst, _) = hmc(
        &lab,
        "lslparmigr -r lpar -m sys3 --filter lpar_names=aix72a -F migration_state",
    );
    assert_eq!(
        dst, "invalid\n",
        "the powered-off frame lost the shell's memory"
    );
    let (out, code) = hmc(&lab, "migrlpar -o r -m sys2 -p aix72a");
    assert_eq!((out.as_str(), code), ("", 0));
    let (src, _) = hmc(
        &lab,
        "lssyscfg -r lpar -m sys2 -F state --filter lpar_names=aix72a",
    );
    assert_eq!(src, "Running\n");
    let (dst, _) = hmc(&lab, "lssyscfg -r lpar -m sys3 -F name");
    assert!(!dst.contains("aix72a"), "{dst}");
}
