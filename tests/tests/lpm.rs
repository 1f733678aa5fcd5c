//! Live Partition Mobility end to end: a running partition whose workload
//! keeps writing moves from sys2 to sys3 through the two MSPs, with its
//! memory intact; an inactive one moves through the HMC; validation
//! reports what is wrong and changes nothing; stop and recover.

use pvmlab_tests::{Lab, text};

fn hmc(lab: &Lab, line: &str) -> (String, i32) {
    lab.hmc("hmc1", line)
}

fn field<'a>(rec: &'a str, k: &str) -> &'a str {
    rec.trim()
        .split(',')
        .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
        .unwrap_or("")
}

/// 200 MB written, rewritten slowly (4 MB/s): the copy takes seconds.
fn slow_copy(lab: &Lab) {
    lab.slow_copy("200", "4", "sequential");
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
    // aix72a's migration scripts take 1.5 s in each phase. `-w 0` gives them no
    // time: the check fails, naming the detail level `-d` asked of drmgr.
    // The wait of one minute lets them finish, and validation waits.
    let w = lab.pvmlab(&["workload", "sys2", "aix72a", "--script-ms", "1500"]);
    assert!(text(&w.stdout).contains("1500 ms"), "{}", text(&w.stdout));
    let (out, code) = hmc(&lab, "migrlpar -o v -m sys2 -t sys3 -p aix72a -w 0 -d 3");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("HSCLA257 ")
            && out.contains("The migration scripts of partition aix72a did not finish within the wait time of 0 minutes.")
            && out.contains("The partition command is: drmgr -m -c pmig -p check -d 3"),
        "{out}"
    );
    let t = std::time::Instant::now();
    let (out, code) = hmc(&lab, "migrlpar -o v -m sys2 -t sys3 -p aix72a -w 1");
    assert_eq!((out.as_str(), code), ("", 0));
    assert!(t.elapsed() >= std::time::Duration::from_millis(1500));
    let (out, code) = hmc(&lab, "migrlpar -o v -m sys2 -t sys3 -p aix72a -w 1441");
    assert_eq!(code, 1);
    assert!(out.contains("-w parameter: 1441"), "{out}");
    lab.pvmlab(&["workload", "sys2", "aix72a", "--script-ms", "0"]);

    // The source VIOS's profile holds the slots that serve aix72a.
    let vios_prof = "lssyscfg -r prof -m sys2 --filter lpar_names=vios1 -F virtual_scsi_adapters,virtual_fc_adapters";
    let (before, _) = hmc(&lab, vios_prof);
    assert!(before.contains("/aix72a/"), "{before}");

    // Active: aix72a runs a workload writing 4 MB/s. Its memory crosses
    // MSP to MSP and arrives byte for byte as it was at suspend.
    let (out, code) = hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p aix72a -v");
    assert_eq!(code, 0, "{out}");
    assert_eq!(field(&out, "memory_integrity"), "ok", "{out}");
    assert_eq!(field(&out, "source_digest"), field(&out, "dest_digest"));
    // The movers reached the memory through the hypervisors' windows.
    for vios in ["sys2-vios1", "sys3-vios1"] {
        assert!(!lab.log(vios).contains("pages go through VASI"), "{vios}");
    }
    assert!(lab.log("sys2-vios1").contains("window=true"));
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
    // ... and the HMC took the slots out of its profile (Redbook §2.4.4).
    let (after, _) = hmc(&lab, vios_prof);
    assert!(!after.contains("/aix72a/"), "{after}");
    assert!(
        !after.trim().is_empty(),
        "other clients' slots stay: {before}"
    );
    let (errlog, _) = hmc(&lab, "viosvrcmd -m sys2 -p vios1 -c errlog");
    assert!(
        errlog.contains(" I S Migration      Migration completed successfully"),
        "{errlog}"
    );
    assert!(errlog.contains("6CB10B8D"), "{errlog}");
    // The partition's own errpt came with it: Started, then Completed.
    let errpt = text(&lab.pvmlab(&["errpt", "sys3", "aix72a"]).stdout);
    let lines: Vec<&str> = errpt.lines().collect();
    assert_eq!(lines.len(), 3, "{errpt}");
    assert_eq!(
        lines[0],
        "IDENTIFIER  TIMESTAMP  T C RESOURCE_NAME  DESCRIPTION"
    );
    assert!(
        lines[1].starts_with("A5E6DB96   ")
            && lines[1].ends_with(" I S pmig           Client Partition Migration Completed"),
        "{errpt}"
    );
    assert!(
        lines[2].starts_with("08917DC6   ")
            && lines[2].ends_with(" I S pmig           Client Partition Migration Started"),
        "{errpt}"
    );
    // The workload runs on there.
    let w = text(&lab.pvmlab(&["workload", "sys3", "aix72a"]).stdout);
    assert!(w.contains("heartbeat"), "{w}");

    // And back again, to the id and through the mover that `-i` names
    // (`dest_lpar_id`, `dest_msp_ipaddr`: what the REST API's
    // DestinationLparID and DestMSPIPaddr become); an id in use or out of
    // range, or an address no MSP has, is refused.
    let (ids, _) = hmc(&lab, "lssyscfg -r lpar -m sys2 -F lpar_id");
    let ids: Vec<u32> = ids.lines().filter_map(|l| l.parse().ok()).collect();
    // Not 4, the id it had there and would keep by default.
    let free = (1..).find(|i| !ids.contains(i) && *i != 4).unwrap_or(1);
    let (msp_addr, _) = hmc(
        &lab,
        "lssyscfg -r lpar -m sys2 -F rmc_ipaddr --filter lpar_names=vios1",
    );
    let msp_addr = msp_addr.trim();
    for (input, error) in [
        (
            format!("dest_lpar_id={}", ids[0]),
            "is already in use by partition",
        ),
        (
            "dest_lpar_id=0".to_string(),
            "invalid value was entered for the dest_lpar_id",
        ),
        (
            "dest_msp_ipaddr=127.0.0.99".to_string(),
            "The destination mover service partition 127.0.0.99 was not found",
        ),
    ] {
        let (out, code) = hmc(
            &lab,
            &format!("migrlpar -o v -m sys3 -t sys2 -p aix72a -i {input}"),
        );
        assert_eq!(code, 1, "{input}: {out}");
        assert!(out.contains(error), "{input}: {out}");
    }
    let (out, code) = hmc(
        &lab,
        &format!(
            "migrlpar -o m -m sys3 -t sys2 -p aix72a -v -i dest_lpar_id={free},dest_msp_ipaddr={msp_addr}"
        ),
    );
    assert_eq!((field(&out, "memory_integrity"), code), ("ok", 0), "{out}");
    let (id, _) = hmc(
        &lab,
        "lssyscfg -r lpar -m sys2 -F lpar_id,state --filter lpar_names=aix72a",
    );
    assert_eq!(id, format!("{free},Running\n"));

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
        lab.msp_link(&["--kind", "cut"]);
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
    let errpt = text(&lab.pvmlab(&["errpt", "sys2", "aix72a"]).stdout);
    assert!(
        errpt.contains("Client Partition Migration Aborted"),
        "the partition logs the abort as it happens: {errpt}"
    );
    // Recover, with the link back.
    lab.heal_msp_link();
    let (out, code) = hmc(&lab, "migrlpar -o r -m sys2 -p aix72a");
    assert_eq!((out.as_str(), code), ("", 0));
    let errpt = text(&lab.pvmlab(&["errpt", "sys2", "aix72a"]).stdout);
    assert!(
        errpt.lines().nth(1).is_some_and(
            |l| l.starts_with("5E075ADF ") && l.ends_with("Client Partition Migration Aborted")
        ) && errpt
            .lines()
            .nth(2)
            .is_some_and(|l| l.starts_with("08917DC6 ")),
        "the partition logged the abort: {errpt}"
    );
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

/// Polls an HMC command until its output is `want`, for up to `secs`.
fn wait_for(lab: &Lab, line: &str, want: &str, secs: u64) -> String {
    lab.wait_for(line, |out| out == want, secs)
}

/// The source frame is lost after the partition resumed on the
/// destination, while pages were still on their way: the partition cannot
/// go on without them and stops in Error on the destination; a recovery
/// completes the migration there, where it starts afresh; the source,
/// back, keeps a stale copy that refuses to start until a recovery
/// removes it. At no time does it run on two frames.
#[test]
fn source_frame_lost_after_resume_completes_through_recover() {
    let lab = Lab::new("127.43.33");
    lab.up();
    // 40 MB the workload rewrites at 100 MB/s over a 20 MB/s MSP link:
    // the dirty pages never fall, so the partition resumes with most of
    // them still at the source, and they take seconds to follow.
    lab.slow_copy("40", "100", "uniform");
    let on3 = "lssyscfg -r lpar -m sys3 -F state --filter lpar_names=aix72a";
    std::thread::scope(|s| {
        let mig = s.spawn(|| hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p aix72a"));
        assert_eq!(
            wait_for(&lab, on3, "Migrating - Running\n", 60),
            "Migrating - Running\n"
        );
        let lose = lab.pvmlab(&["fault", "frame", "sys2", "lose"]);
        assert!(lose.status.success(), "{}", text(&lose.stderr));
        let (out, code) = mig.join().unwrap();
        assert_eq!(code, 1, "{out}");
    });
    let sys2 = "lssyscfg -r sys -m sys2 -F state";
    assert_eq!(
        wait_for(&lab, sys2, "No Connection\n", 20),
        "No Connection\n"
    );
    assert_eq!(wait_for(&lab, on3, "Error\n", 20), "Error\n");

    // Recovery needs the source, or --force.
    let (out, code) = hmc(&lab, "migrlpar -o r -m sys2 -p aix72a");
    assert_eq!(code, 1);
    assert!(out.contains("HSCL0A2E"), "{out}");
    let (out, code) = hmc(&lab, "migrlpar -o r -m sys2 -p aix72a --force");
    assert_eq!((out.as_str(), code), ("", 0));
    assert_eq!(hmc(&lab, on3).0, "Not Activated\n");
    let (out, code) = hmc(
        &lab,
        "chsysstate -r lpar -m sys3 -n aix72a -o on -f default_profile",
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(wait_for(&lab, on3, "Running\n", 20), "Running\n");

    // The source comes back with a stale copy that must not start.
    let restore = lab.pvmlab(&["fault", "frame", "sys2", "restore"]);
    assert!(restore.status.success(), "{}", text(&restore.stderr));
    assert_eq!(wait_for(&lab, sys2, "Operating\n", 30), "Operating\n");
    let on2 = "lssyscfg -r lpar -m sys2 -F state --filter lpar_names=aix72a";
    assert_eq!(hmc(&lab, on2).0, "Not Activated\n");
    let (out, code) = hmc(
        &lab,
        "chsysstate -r lpar -m sys2 -n aix72a -o on -f default_profile",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("migrlpar -o r"), "{out}");
    let (out, code) = hmc(&lab, "migrlpar -o r -m sys2 -p aix72a");
    assert_eq!((out.as_str(), code), ("", 0));
    let (names, _) = hmc(&lab, "lssyscfg -r lpar -m sys2 -F name");
    assert!(!names.contains("aix72a"), "{names}");
    assert_eq!(hmc(&lab, on3).0, "Running\n");
}

/// Each MSP moves `max_migrations` partitions at once; one more waits in
/// Migration Starting, moving nothing, until a slot frees, then goes.
#[test]
fn migrations_beyond_the_msp_limit_queue() {
    let topo = pvmlab_common::topology::DEFAULT_LAB
        .replace(
            "address = \"127.42.0.33\"\nmsp = true\n",
            "address = \"127.42.0.33\"\nmsp = true\nmax_migrations = 1\n",
        )
        .replace(
            "address = \"127.42.0.34\"\nmsp = true\n",
            "address = \"127.42.0.34\"\nmsp = true\nmax_migrations = 1\n",
        )
        .replace("\"127.42.0.", "\"127.43.34.");
    assert_eq!(topo.matches("max_migrations = 1").count(), 2);
    let lab = Lab::with_topology(&topo);
    lab.up();
    slow_copy(&lab);
    let (out, code) = hmc(&lab, "migrlpar -o v -m sys2 -t sys3 -p db01");
    assert_eq!((out.as_str(), code), ("", 0));
    std::thread::scope(|s| {
        let first = s.spawn(|| {
            hmc(
                &lab,
                "migrlpar -o m -m sys2 -t sys3 -p aix72a -i source_msp_name=vios1 -v",
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(1000));
        let second = s.spawn(|| {
            hmc(
                &lab,
                "migrlpar -o m -m sys2 -t sys3 -p db01 -i source_msp_name=vios1 -v",
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let (q, _) = hmc(
            &lab,
            "lslparmigr -r lpar -m sys2 --filter lpar_names=db01 -F migration_state,bytes_transmitted",
        );
        assert_eq!(q, "Migration Starting,0\n", "db01 waits its turn");
        let (a, _) = hmc(
            &lab,
            "lslparmigr -r lpar -m sys2 --filter lpar_names=aix72a -F bytes_transmitted",
        );
        assert!(
            a.trim().parse::<u64>().unwrap_or(0) > 0,
            "aix72a moves: {a}"
        );
        for m in [first, second] {
            let (out, code) = m.join().unwrap();
            assert_eq!((field(&out, "memory_integrity"), code), ("ok", 0), "{out}");
        }
    });
}

/// Shutting the source MSP's partition down mid-copy stops the migration;
/// the partition runs on at the source, and a recovery removes the shell.
#[test]
fn an_msp_shut_down_mid_copy_stops_the_migration() {
    let lab = Lab::new("127.43.35");
    lab.up();
    slow_copy(&lab);
    std::thread::scope(|s| {
        let mig = s.spawn(|| {
            hmc(
                &lab,
                "migrlpar -o m -m sys2 -t sys3 -p aix72a -i source_msp_name=vios1",
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let (out, code) = hmc(
            &lab,
            "chsysstate -r lpar -m sys2 -n vios1 -o shutdown --immed",
        );
        assert_eq!(code, 0, "{out}");
        let (out, code) = mig.join().unwrap();
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("migrlpar -o r"), "{out}");
    });
    assert_eq!(
        hmc(
            &lab,
            "lssyscfg -r lpar -m sys2 -F state --filter lpar_names=aix72a"
        )
        .0,
        "Migrating - Running\n"
    );
    let (out, code) = hmc(&lab, "migrlpar -o r -m sys2 -p aix72a");
    assert_eq!((out.as_str(), code), ("", 0));
    assert_eq!(
        hmc(
            &lab,
            "lssyscfg -r lpar -m sys2 -F state --filter lpar_names=aix72a"
        )
        .0,
        "Running\n"
    );
    let (names, _) = hmc(&lab, "lssyscfg -r lpar -m sys3 -F name");
    assert!(!names.contains("aix72a"), "{names}");
}

/// Two migrations to the same frame at once: each gets VIOS slots of its
/// own there (found by the random soak: both took the first free slot,
/// and the second was refused).
#[test]
fn two_migrations_to_one_frame_at_once_both_complete() {
    let lab = Lab::new("127.43.48");
    lab.up();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p aix72a -v"));
        let b = s.spawn(|| hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p db01 -v"));
        (a.join().unwrap(), b.join().unwrap())
    });
    for (out, code) in [a, b] {
        assert_eq!((field(&out, "memory_integrity"), code), ("ok", 0), "{out}");
    }
    let (names, _) = hmc(&lab, "lssyscfg -r lpar -m sys3 -F name");
    assert!(
        names.contains("aix72a\n") && names.contains("db01\n"),
        "{names}"
    );
}

/// Where a mover cannot map the memory window, pages go through the VASI
/// streams themselves, demand paging after the resume included, and
/// arrive as intact.
#[test]
fn without_the_memory_window_pages_go_through_vasi() {
    let lab = Lab::new("127.43.51").env("PVMLAB_TEST_NO_VASI_WINDOW", "1");
    lab.up();
    // Rewritten as fast as the link moves it: the passes stop converging
    // and much is left for after the resume.
    lab.slow_copy("64", "20", "uniform");
    let (out, code) = hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p aix72a -v");
    assert_eq!((field(&out, "memory_integrity"), code), ("ok", 0), "{out}");
    assert!(lab.log("sys2-vios1").contains("window=false"));
    assert!(lab.log("sys3-vios1").contains("pages go through VASI"));
}
