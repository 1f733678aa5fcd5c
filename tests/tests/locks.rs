//! Two HMCs on the same frames: one changes a frame at a time; a
//! migration holds both frames' locks until it ends, and the other HMC's
//! changes wait, then fail naming the holder; listing is never blocked;
//! an HMC that dies holding a lock loses it when its lease runs out, and
//! the other HMC recovers the migration.

use pvmlab_tests::Lab;
use std::time::{Duration, Instant};

fn on(lab: &Lab, hmc: &str, line: &str) -> (String, i32) {
    lab.hmc(hmc, line)
}

/// 200 MB the workload wrote, and a 20 MB/s MSP link: seconds of copy.
fn slow_copy(lab: &Lab) {
    lab.slow_copy("200", "4", "sequential");
}

#[test]
fn two_hmcs_take_turns_and_a_migration_holds_its_frames() {
    let lab = Lab::new("127.43.36");
    lab.up();
    // Both start the same partition at once: one does, the other is told
    // the partition's state, never both.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            on(
                &lab,
                "hmc1",
                "chsysstate -r lpar -m sys3 -n web01 -o on -f default_profile",
            )
        });
        let b = s.spawn(|| {
            on(
                &lab,
                "hmc2",
                "chsysstate -r lpar -m sys3 -n web01 -o on -f default_profile",
            )
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a.1 + b.1, 1, "one wins, one loses: {a:?} {b:?}");
    let loser = if a.1 == 1 { &a.0 } else { &b.0 };
    assert!(loser.starts_with("HSCL0009 "), "{loser}");

    // A change made through one HMC shows on the other within a second.
    let state = "lssyscfg -r lpar -m sys3 --filter lpar_names=web01 -F state";
    let (out, code) = on(
        &lab,
        "hmc1",
        "chsysstate -r lpar -m sys3 -n web01 -o shutdown --immed",
    );
    assert_eq!(code, 0, "{out}");
    let t = Instant::now();
    assert_ne!(on(&lab, "hmc1", state).0, "Running\n");
    let mut seen = String::new();
    while t.elapsed() < Duration::from_secs(5) {
        seen = on(&lab, "hmc2", state).0;
        if seen != "Running\n" {
            break;
        }
    }
    let lag = t.elapsed();
    println!(
        "hmc2 showed hmc1's change ({}) {lag:?} after hmc1 did",
        seen.trim()
    );
    assert!(lag < Duration::from_secs(1), "{lag:?}");

    slow_copy(&lab);
    std::thread::scope(|s| {
        let mig = s.spawn(|| on(&lab, "hmc1", "migrlpar -o m -m sys2 -t sys3 -p aix72a"));
        std::thread::sleep(Duration::from_millis(1500));
        // The other HMC sees the migration at once ...
        let t = Instant::now();
        let (l, code) = on(
            &lab,
            "hmc2",
            "lslparmigr -r lpar -m sys2 --filter lpar_names=aix72a -F migration_state",
        );
        assert_eq!((l.as_str(), code), ("Migration Starting\n", 0));
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "listing is never blocked"
        );
        // ... but cannot change either frame: it waits, then is told who holds it.
        let t = Instant::now();
        let (out, code) = on(
            &lab,
            "hmc2",
            "chsysstate -r lpar -m sys3 -n lnx02 -o shutdown --immed",
        );
        assert_eq!(code, 1, "{out}");
        assert_eq!(
            out,
            "The managed system is locked by the management console hmc1 (migration of aix72a). Try again when it is done.\n"
        );
        assert!(t.elapsed() >= Duration::from_secs(3), "it waited first");
        let waits: u64 = lab
            .metrics("sys3")
            .lines()
            .find_map(|l| l.strip_prefix("pvmlab_lock_waits_total "))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(waits >= 1, "the wait is counted");
        let (out, code) = mig.join().unwrap();
        assert_eq!((out.as_str(), code), ("", 0));
    });
    // Released at completion.
    let (out, code) = on(
        &lab,
        "hmc2",
        "chsysstate -r lpar -m sys3 -n lnx02 -o shutdown --immed",
    );
    assert_eq!((out.as_str(), code), ("", 0));
}

#[test]
fn an_hmc_killed_mid_migration_loses_its_locks_and_the_other_recovers() {
    let lab = Lab::new("127.43.37");
    lab.up();
    slow_copy(&lab);
    std::thread::scope(|s| {
        let _mig = s.spawn(|| on(&lab, "hmc1", "migrlpar -o m -m sys2 -t sys3 -p aix72a"));
        std::thread::sleep(Duration::from_millis(1500));
        let pid = std::fs::read_to_string(lab.lab_dir().pid("hmc1")).unwrap();
        let k = std::process::Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .unwrap();
        assert!(k.success());
    });
    // hmc2 breaks the dead HMC's locks instead of waiting for its lease,
    // and changes sys3 at once.
    for f in ["sys2", "sys3"] {
        assert_eq!(
            on(&lab, "hmc2", &format!("rmlock -e {f}")),
            (String::new(), 0)
        );
    }
    let t = Instant::now();
    let (out, code) = on(
        &lab,
        "hmc2",
        "chsysstate -r lpar -m sys3 -n lnx02 -o shutdown --immed",
    );
    assert_eq!((out.as_str(), code), ("", 0));
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "no wait: {:?}",
        t.elapsed()
    );
    // The source MSP lost its HMC and stopped; the partition runs on at
    // the source, and hmc2 recovers once hmc1's lease has run out.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (out, code) = loop {
        let r = on(&lab, "hmc2", "migrlpar -o r -m sys2 -p aix72a");
        if r.1 == 0 || Instant::now() > deadline {
            break r;
        }
        assert!(
            r.0.contains("locked by the management console hmc1")
                || r.0.contains("still in progress"),
            "{}",
            r.0
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!((out.as_str(), code), ("", 0));
    let (st, _) = on(
        &lab,
        "hmc2",
        "lssyscfg -r lpar -m sys2 -F state --filter lpar_names=aix72a",
    );
    assert_eq!(st, "Running\n");
    let (names, _) = on(&lab, "hmc2", "lssyscfg -r lpar -m sys3 -F name");
    assert!(!names.contains("aix72a"), "{names}");
}
