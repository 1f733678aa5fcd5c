//! Remote migration (`migrlpar --ip`): sys2 is hmc1's, sys3 is hmc2's and
//! sys1 is hmc3's (an old V7R7.9). Without trust the HMC refuses with
//! HSCL3653; `mkauthkeys --ip` sets it up; then a partition moves from
//! hmc1's frame to hmc2's, its memory checked, and back the other way; the
//! destination HMC cannot stop a migration it did not start; an HMC that
//! lacks a capability the partition needs refuses with HSCLA318/HSCLA335.

use pvmlab_common::topology::DEFAULT_LAB;
use pvmlab_tests::Lab;
use std::time::Duration;

fn lab() -> Lab {
    let subnet = "127.43.44";
    let mut text = DEFAULT_LAB.replace("\"127.42.0.", &format!("\"{subnet}."));
    // One HMC per frame, in frame order: sys1, sys2, sys3.
    for hmc in ["hmc3", "hmc1", "hmc2"] {
        text = text.replacen(
            "managed_by = [\"hmc1\", \"hmc2\"]",
            &format!("managed_by = [\"{hmc}\"]"),
            1,
        );
    }
    let hmc3 = format!(
        "[[hmc]]\nname = \"hmc3\"\naddress = \"{subnet}.13\"\nversion = \"V7R7.9\"\n\n[[lun]]"
    );
    text = text.replacen("[[lun]]", &hmc3, 1);
    Lab::with_topology(&text)
}

#[test]
fn remote_migration_needs_trust_and_moves_both_ways() {
    let lab = lab();
    lab.up();
    let to_hmc2 = "migrlpar -o v -m sys2 -t sys3 -p aix72a --ip hmc2 -u hscroot";
    let hscl3653 = "HSCL3653 The Secure Shell (SSH) communication configuration between the source and target Hardware Management Consoles has not been set up properly for user hscroot. Please run the mkauthkeys command to set up the SSH communication authentication keys.\n";

    // No trust yet: refused by the remote HMC, which changes nothing.
    assert_eq!(lab.hmc("hmc1", to_hmc2), (hscl3653.to_string(), 1));
    let hmc2_addr = "127.43.44.12";
    assert_eq!(
        lab.hmc(
            "hmc1",
            &format!("mkauthkeys --ip {hmc2_addr} -u hscroot --test")
        ),
        (hscl3653.to_string(), 1)
    );
    // A wrong password sets nothing up.
    let (out, code) = lab.hmc("hmc1", "mkauthkeys -g --ip hmc2 -u hscroot --passwd nope");
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        lab.hmc("hmc1", "mkauthkeys --ip hmc2 -u hscroot --test").1,
        1
    );
    assert_eq!(
        lab.hmc("hmc1", "mkauthkeys -g --ip hmc2 -u hscroot --passwd abc123"),
        (String::new(), 0)
    );
    assert_eq!(
        lab.hmc(
            "hmc1",
            &format!("mkauthkeys --ip {hmc2_addr} -u hscroot --test")
        ),
        (String::new(), 0)
    );
    let (out, code) = lab.hmc("hmc1", to_hmc2);
    assert_eq!(code, 0, "{out}");

    // hmc1 moves aix72a, running and writing, to hmc2's frame; hmc2 cannot
    // stop it (it did not start it) but sees it.
    lab.slow_copy("120", "4", "sequential");
    std::thread::scope(|s| {
        let mig = s.spawn(|| {
            lab.hmc(
                "hmc1",
                "migrlpar -o m -m sys2 -t sys3 -p aix72a --ip hmc2 -u hscroot -v",
            )
        });
        std::thread::sleep(Duration::from_millis(1500));
        let (out, code) = lab.hmc(
            "hmc2",
            "lslparmigr -r lpar -m sys3 --filter lpar_names=aix72a -F migration_state,source_sys_name,dest_sys_name",
        );
        assert_eq!(code, 0, "{out}");
        assert!(out.ends_with(",sys2,sys3\n"), "{out}");
        let (out, code) = lab.hmc("hmc2", "migrlpar -o s -m sys3 -p aix72a");
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("started by the management console hmc1"),
            "{out}"
        );
        let (out, code) = mig.join().unwrap();
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("memory_integrity=ok"), "{out}");
    });
    let (out, _) = lab.hmc(
        "hmc2",
        "lssyscfg -r lpar -m sys3 --filter lpar_names=aix72a -F state",
    );
    assert_eq!(out, "Running\n");
    let (out, _) = lab.hmc("hmc1", "lssyscfg -r lpar -m sys2 -F name");
    assert!(!out.lines().any(|l| l == "aix72a"), "{out}");

    // And back: -g let hmc2 act as hscroot on hmc1.
    let (out, code) = lab.hmc(
        "hmc2",
        "migrlpar -o m -m sys3 -t sys2 -p aix72a --ip hmc1 -u hscroot -v",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("memory_integrity=ok"), "{out}");
    let (out, _) = lab.hmc(
        "hmc1",
        "lssyscfg -r lpar -m sys2 --filter lpar_names=aix72a -F state",
    );
    assert_eq!(out, "Running\n");
    assert!(
        !lab.hmc("hmc2", "lssyscfg -r lpar -m sys3 -F name")
            .0
            .contains("aix72a")
    );

    // The MSP link cut mid-copy: the migration stops, and the destination
    // HMC recovers it (the source HMC is preferred, either may): the shell
    // goes from its frame, the partition runs on at the source, once.
    std::thread::scope(|s| {
        let mig = s.spawn(|| {
            lab.hmc(
                "hmc1",
                "migrlpar -o m -m sys2 -t sys3 -p aix72a --ip hmc2 -u hscroot",
            )
        });
        std::thread::sleep(Duration::from_millis(1500));
        lab.msp_link(&["--kind", "cut"]);
        let (out, code) = mig.join().unwrap();
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("migrlpar -o r"), "{out}");
    });
    lab.heal_msp_link();
    let (out, _) = lab.hmc(
        "hmc2",
        "lssyscfg -r lpar -m sys3 --filter lpar_names=aix72a -F state",
    );
    assert_eq!(out, "Migrating - Not Activated\n");
    assert_eq!(
        lab.hmc("hmc2", "migrlpar -o r -m sys3 -p aix72a"),
        (String::new(), 0)
    );
    let (out, _) = lab.hmc(
        "hmc1",
        "lslparmigr -r lpar -m sys2 --filter lpar_names=aix72a",
    );
    assert!(out.ends_with(",migration_state=Not Migrating\n"), "{out}");
    assert_eq!(
        lab.hmc(
            "hmc1",
            "lssyscfg -r lpar -m sys2 --filter lpar_names=aix72a -F state"
        )
        .0,
        "Running\n"
    );
    assert!(
        !lab.hmc("hmc2", "lssyscfg -r lpar -m sys3 -F name")
            .0
            .contains("aix72a")
    );

    // Each node's Prometheus metrics tell what it did.
    let m = lab.metrics("hmc1");
    assert!(
        m.contains("pvmlab_migrations_total{result=\"completed\"} 1\n")
            && m.contains("pvmlab_migrations_total{result=\"failed\"} 1\n"),
        "{m}"
    );
    assert!(
        m.contains("pvmlab_migration_downtime_seconds_count 1\n"),
        "{m}"
    );
    let moved: f64 = lab
        .metrics("sys2-vios1")
        .lines()
        .find_map(|l| l.strip_prefix("pvmlab_migration_bytes_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(moved > 100e6, "{moved}");
    assert!(
        lab.metrics("sys2").contains(
            "pvmlab_rpc_seconds_count{peer=\"hmc1\",method=\"/pvmlab.fsp.v1.Fsp/Migration\"}"
        ),
        "latency by peer"
    );

    // hmc3 is a V7R7.9: it lacks remote restart, which db01 uses.
    assert_eq!(
        lab.hmc("hmc3", "lshmc -V").0.lines().nth(1),
        Some(" Release: 7.9")
    );
    assert_eq!(
        lab.hmc("hmc1", "mkauthkeys --ip hmc3 -u hscroot --passwd abc123"),
        (String::new(), 0)
    );
    let (out, code) = lab.hmc(
        "hmc1",
        "migrlpar -o v -m sys2 -t sys1 -p db01 --ip hmc3 -u hscroot",
    );
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out,
        "HSCLA318 The migration command issued to the destination HMC failed with the following error: HSCLA335 The Hardware Management Console for the destination managed system does not support one or more capabilities required to perform this operation. The unsupported capability codes are as follows: remote_restart_capability,simplified_remote_restart_capability\n"
    );
    // A partition without such needs passes that gate, and is validated
    // against the old HMC's frame as it is: a POWER7+ without NPIV there.
    let (out, code) = lab.hmc(
        "hmc1",
        "migrlpar -o v -m sys2 -t sys1 -p lnx01 --ip hmc3 -u hscroot",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("Errors:\nHSCLA224 "), "{out}");
    assert!(out.contains("HSCLA319 "), "{out}");
}
