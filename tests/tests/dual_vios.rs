//! Dual VIOS as seed 002's drills run it on sys1 of the default lab, with
//! short detection and health-check times: every client does disk and
//! network I/O while each VIOS in turn is killed and restarted, the
//! primary SEA is put in standby for maintenance and back, and finally
//! both VIOS go down at once. The clients lose no I/O; the SEA states and
//! error log entries are those seed 002 shows; the client's `lspath` and
//! `errpt` show the failed path, its return and the stall. Also on the
//! same lab: a VIOS shut down from the HMC and one cut off from the SAN,
//! padmin's own SSH login to a VIOS, and NPIV paths through both VIOS of
//! sys2.

use pvmlab_common::topology::DEFAULT_LAB;
use pvmlab_tests::{Lab, text};
use std::process::Command;
use std::time::{Duration, Instant};

const SUBNET: &str = "127.43.22";
/// Short heartbeat, detection and health-check times, so that a drill
/// takes seconds (the defaults are the product's: 1 s, 3 s, 60 s, 45 s).
const TIMINGS: &str = "[lab]\nsea_heartbeat_ms = 100\nsea_detect_ms = 400\nhcheck_interval_ms = 300\nio_timeout_ms = 1500\n";
const CLIENTS: [&str; 2] = ["aix71a", "aix61b"];

fn lab() -> Lab {
    Lab::with_topology(
        &DEFAULT_LAB
            .replace("\"127.42.0.", &format!("\"{SUBNET}."))
            .replacen("[lab]\n", TIMINGS, 1),
    )
}

fn vios(lab: &Lab, v: &str, line: &str) -> String {
    let (out, code) = lab.hmc("hmc1", &format!("viosvrcmd -m sys1 -p {v} -c \"{line}\""));
    assert_eq!(code, 0, "{v}: {line}: {out}");
    out
}

fn sea_state(lab: &Lab, v: &str) -> String {
    let (out, _) = lab.hmc(
        "hmc1",
        &format!("viosvrcmd -m sys1 -p {v} -c \"entstat -d ent5\""),
    );
    out.lines()
        .find_map(|l| l.strip_prefix("State: "))
        .unwrap_or("")
        .to_string()
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> Option<String>) -> String {
    let t = Instant::now();
    loop {
        if let Some(s) = f() {
            return s;
        }
        assert!(t.elapsed() < Duration::from_secs(secs), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_sea(lab: &Lab, v: &str, want: &str) {
    wait_until(&format!("{v}'s SEA {want}"), 20, || {
        (sea_state(lab, v) == want).then(String::new)
    });
}

fn os(lab: &Lab, lpar: &str, line: &str) -> String {
    let out = lab.pvmlab(&["os", "sys1", lpar, "--", line]);
    assert!(
        out.status.success(),
        "{lpar}: {line}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn wait_os(lab: &Lab, lpar: &str, line: &str, what: &str, f: impl Fn(&str) -> bool) -> String {
    wait_until(&format!("{lpar}: {what}"), 20, || {
        let o = os(lab, lpar, line);
        f(&o).then_some(o)
    })
}

/// A client's I/O counters, as `pvmlab workload` prints them.
#[derive(Debug, Clone, Copy, Default)]
struct Io {
    done: u64,
    stalled: u64,
    longest_stall_ms: u64,
    failed: u64,
    mismatched: u64,
    delivered: u64,
    lost: u64,
}

fn numbers(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit() && c != '.')
        .filter_map(|w| w.parse::<f64>().ok())
        .map(|n| n as u64)
        .collect()
}

fn io(lab: &Lab, lpar: &str) -> (Io, String) {
    let out = lab.pvmlab(&["workload", "sys1", lpar]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let o = text(&out.stdout);
    let disk = o.lines().find(|l| l.starts_with("disk I/O:")).unwrap_or("");
    let net = o.lines().find(|l| l.starts_with("network:")).unwrap_or("");
    // disk I/O: R/s; done, pending, stalled (longest ms), failed, mismatched
    let d = numbers(disk);
    // network: R/s; sent, delivered, retransmitted, lost (longest ms)
    let n = numbers(net);
    assert!(d.len() >= 7 && n.len() >= 6, "{o}");
    let io = Io {
        done: d[1],
        stalled: d[3],
        longest_stall_ms: d[4],
        failed: d[5],
        mismatched: d[6],
        delivered: n[2],
        lost: n[4],
    };
    (io, o)
}

/// Every client's I/O has moved on by `n` completed disk I/Os and packets.
fn wait_io_flows(lab: &Lab, n: u64, what: &str) {
    for c in CLIENTS {
        let (from, _) = io(lab, c);
        wait_until(&format!("{c}'s I/O flows {what}"), 20, || {
            let (now, _) = io(lab, c);
            (now.done >= from.done + n && now.delivered >= from.delivered + n).then(String::new)
        });
    }
}

fn no_io_lost(lab: &Lab) {
    for c in CLIENTS {
        let (i, o) = io(lab, c);
        assert_eq!((i.failed, i.mismatched, i.lost), (0, 0, 0), "{c}:\n{o}");
    }
}

/// An errpt line as seed 002 prints it: ID, MMDDhhmmYY, type, class,
/// resource, text. The type is AIX's for the identifier: a failed path is
/// permanent (P), a disk operation error temporary (T), the rest
/// informational (I).
fn has_entry(log: &str, id: &str, resource: &str, text: &str) -> bool {
    let kind = match id {
        "DE3B8540" => "P",
        "DCB47997" => "T",
        _ => "I",
    };
    log.lines().any(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        w.len() >= 5
            && w[0] == id
            && w[1].len() == 10
            && w[1].bytes().all(|b| b.is_ascii_digit())
            && w[2] == kind
            && w[3] == "H"
            && w[4] == resource
            && w[5..].join(" ") == text
    })
}

fn count_entries(log: &str, id: &str) -> usize {
    log.lines().filter(|l| l.starts_with(id)).count()
}

fn kill(lab: &Lab, node: &str, action: &str) {
    let out = lab.pvmlab(&["fault", "node", node, action]);
    assert!(
        out.status.success(),
        "{node} {action}: {}",
        text(&out.stderr)
    );
}

/// Until every client's hdisk0 has `enabled` paths Enabled and `failed`
/// Failed, as its `lspath` shows them.
fn wait_paths(lab: &Lab, what: &str, enabled: usize, failed: usize) {
    for c in CLIENTS {
        wait_os(lab, c, "lspath", what, |o| {
            paths_in(o, "Enabled") == enabled && paths_in(o, "Failed") == failed
        });
    }
}

/// How many of hdisk0's paths `lspath` shows in `status`.
fn paths_in(lspath: &str, status: &str) -> usize {
    lspath
        .lines()
        .filter(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.len() == 3 && w[0] == status && w[1] == "hdisk0"
        })
        .count()
}

fn padmin_over_ssh(lab: &Lab) {
    let have = |t: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("sshpass") || !have("ssh") {
        println!(
            "SKIPPED padmin over SSH: sshpass and ssh are needed (tests/setup.sh installs them)"
        );
        return;
    }
    let port = lab.ssh_port().to_string();
    let ssh = |password: &str, line: &str| {
        Command::new("sshpass")
            .args(["-p", password, "ssh", "-o", "StrictHostKeyChecking=no"])
            .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"])
            .args(["-p", &port, &format!("padmin@{SUBNET}.31"), line])
            .output()
            .unwrap()
    };
    let out = ssh("padmin", "ioslevel");
    assert_eq!(
        (text(&out.stdout).as_str(), out.status.code()),
        ("3.1.4.10\n", Some(0)),
        "{}",
        text(&out.stderr)
    );
    // The same mappings as viosvrcmd shows.
    let out = ssh("padmin", "lsmap -all -field svsa backing -fmt :");
    assert_eq!(
        text(&out.stdout),
        vios(lab, "vios1", "lsmap -all -field svsa backing -fmt :")
    );
    let out = ssh("padmin", "oem_setup_env");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("not available"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        ssh("wrong", "ioslevel").status.code(),
        Some(5),
        "a wrong password"
    );
}

#[test]
fn clients_keep_their_disks_and_network_through_each_vios_failure() {
    let lab = lab();
    lab.up();
    wait_sea(&lab, "vios1", "PRIMARY");
    wait_sea(&lab, "vios2", "BACKUP");
    padmin_over_ssh(&lab);

    for c in CLIENTS {
        let out = lab.pvmlab(&[
            "workload",
            "sys1",
            c,
            "--disk-iops",
            "40",
            "--packets",
            "20",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        wait_os(&lab, c, "lspath", "two enabled paths", |o| {
            paths_in(o, "Enabled") == 2
        });
    }
    wait_io_flows(&lab, 20, "at the start");
    // The metrics and the client's own entstat count the same I/O.
    let m = lab.metrics("sys1");
    assert!(
        m.contains("pvmlab_client_ios_total{lpar=\"aix71a\",disk=\"hdisk0\",path=\"vscsi0\",vios=\"vios1\",result=\"completed\"}"),
        "{m}"
    );
    assert!(
        m.contains("pvmlab_client_packets_total{lpar=\"aix61b\",result=\"delivered\"}"),
        "{m}"
    );
    let ent = os(&lab, "aix61b", "entstat -d ent0");
    assert!(
        ent.contains("Device Type: Virtual I/O Ethernet Adapter (l-lan)")
            && ent.contains("Port VLAN ID:   100"),
        "{ent}"
    );
    let hmc_mac = lab.hmc(
        "hmc1",
        "lshwres -r virtualio --rsubtype eth --level lpar -m sys1 --filter lpar_names=aix61b -F mac_addr",
    );
    let mac = hmc_mac.0.trim().to_lowercase();
    let colons: Vec<String> = mac
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into())
        .collect();
    assert!(
        ent.contains(&format!("Hardware Address: {}", colons.join(":"))),
        "the MAC lshwres shows ({mac}):\n{ent}"
    );

    // The primary's VIOS dies: the backup takes over, the clients' paths
    // through it fail and their I/O moves to the other path.
    kill(&lab, "sys1-vios1", "kill");
    wait_sea(&lab, "vios2", "PRIMARY");
    let log2 = vios(&lab, "vios2", "errlog");
    assert!(
        has_entry(&log2, "E136EAFA", "ent5", "BECOME PRIMARY"),
        "{log2}"
    );
    wait_paths(&lab, "the path through vios1 failed", 1, 1);
    wait_io_flows(&lab, 20, "with vios1 dead");
    for c in CLIENTS {
        let errpt = os(&lab, c, "errpt");
        assert!(
            has_entry(&errpt, "DE3B8540", "hdisk0", "PATH HAS FAILED"),
            "{c}:\n{errpt}"
        );
    }

    // It returns: failback by priority, the paths come back.
    kill(&lab, "sys1-vios1", "restart");
    wait_sea(&lab, "vios1", "PRIMARY");
    wait_sea(&lab, "vios2", "BACKUP");
    let log1 = vios(&lab, "vios1", "errlog");
    assert!(
        has_entry(&log1, "E136EAFA", "ent5", "BECOME PRIMARY"),
        "{log1}"
    );
    let log2 = vios(&lab, "vios2", "errlog");
    assert!(
        has_entry(&log2, "40D97644", "ent5", "BECOME BACKUP"),
        "{log2}"
    );
    for c in CLIENTS {
        wait_os(&lab, c, "lspath", "the path through vios1 is back", |o| {
            paths_in(o, "Enabled") == 2
        });
        let errpt = os(&lab, c, "errpt");
        assert!(
            has_entry(&errpt, "F31FFAB3", "hdisk0", "PATH HAS RECOVERED"),
            "{c}:\n{errpt}"
        );
    }
    wait_io_flows(&lab, 20, "after vios1 returned");

    // The backup's VIOS dies: the primary bridges on, nothing is logged on
    // its side (seed 002: "Shutdown backup vio server"), the clients'
    // other path fails and returns.
    let before = count_entries(&vios(&lab, "vios1", "errlog"), "E136EAFA");
    kill(&lab, "sys1-vios2", "kill");
    wait_paths(&lab, "the path through vios2 failed", 1, 1);
    assert_eq!(sea_state(&lab, "vios1"), "PRIMARY");
    wait_io_flows(&lab, 20, "with vios2 dead");
    kill(&lab, "sys1-vios2", "restart");
    wait_sea(&lab, "vios2", "BACKUP");
    assert_eq!(sea_state(&lab, "vios1"), "PRIMARY");
    assert_eq!(
        count_entries(&vios(&lab, "vios1", "errlog"), "E136EAFA"),
        before
    );
    wait_paths(&lab, "the path through vios2 is back", 2, 0);

    // Maintenance: the primary's SEA is put in standby and back.
    vios(&lab, "vios1", "chdev -dev ent5 -attr ha_mode=standby");
    wait_sea(&lab, "vios2", "PRIMARY");
    wait_sea(&lab, "vios1", "BACKUP");
    assert!(
        vios(&lab, "vios1", "lsdev -dev ent5 -attr ha_mode").contains("standby"),
        "the attribute shows the change"
    );
    wait_io_flows(&lab, 20, "with vios1 in standby");
    vios(&lab, "vios1", "chdev -dev ent5 -attr ha_mode=auto");
    wait_sea(&lab, "vios1", "PRIMARY");
    wait_sea(&lab, "vios2", "BACKUP");
    wait_io_flows(&lab, 20, "after the maintenance");

    // vios2 shut down from the HMC: the partition stops, so does its I/O.
    let (out, code) = lab.hmc(
        "hmc1",
        "chsysstate -r lpar -m sys1 -n vios2 -o shutdown --immed",
    );
    assert_eq!(code, 0, "{out}");
    wait_paths(&lab, "the path through the shut down vios2 failed", 1, 1);
    let (out, code) = lab.hmc(
        "hmc1",
        "chsysstate -r lpar -m sys1 -n vios2 -o on -f default_profile",
    );
    assert_eq!(code, 0, "{out}");
    wait_sea(&lab, "vios2", "BACKUP");
    wait_paths(
        &lab,
        "the path through vios2 is back after activation",
        2,
        0,
    );

    // vios1's cables to the SAN and the network pulled: its SEA loses its
    // link and the backup bridges; its clients' disk I/O moves over.
    let cut = lab.pvmlab(&["fault", "link", "add", "sys1-vios1", "san", "--kind", "cut"]);
    assert!(cut.status.success(), "{}", text(&cut.stderr));
    wait_sea(&lab, "vios2", "PRIMARY");
    wait_paths(&lab, "the path through the cut-off vios1 failed", 1, 1);
    wait_io_flows(&lab, 20, "with vios1 cut off");
    let heal = lab.pvmlab(&["fault", "link", "clear"]);
    assert!(heal.status.success(), "{}", text(&heal.stderr));
    wait_sea(&lab, "vios1", "PRIMARY");
    wait_sea(&lab, "vios2", "BACKUP");
    wait_paths(&lab, "the path through vios1 is back after the cable", 2, 0);
    no_io_lost(&lab);
    let fsp = lab.log("sys1");
    assert!(!fsp.contains("two SEAs bridge one VLAN at once"), "{fsp}");

    // Both VIOS down: the clients' I/O stalls, and their errpt says so.
    kill(&lab, "sys1-vios1", "kill");
    kill(&lab, "sys1-vios2", "kill");
    for c in CLIENTS {
        wait_os(&lab, c, "errpt", "a disk operation error", |o| {
            has_entry(o, "DCB47997", "hdisk0", "DISK OPERATION ERROR")
        });
    }
    let (stalled, o) = io(&lab, "aix71a");
    std::thread::sleep(Duration::from_millis(2000));
    let (still, _) = io(&lab, "aix71a");
    assert_eq!(
        still.done, stalled.done,
        "no disk I/O completes with both VIOS down:\n{o}"
    );
    kill(&lab, "sys1-vios1", "restart");
    kill(&lab, "sys1-vios2", "restart");
    wait_sea(&lab, "vios1", "PRIMARY");
    wait_io_flows(&lab, 20, "after both VIOS returned");
    for c in CLIENTS {
        let (i, o) = io(&lab, c);
        assert!(
            i.stalled > 0 && i.longest_stall_ms >= 2000,
            "{c}'s I/O stalled and says so:\n{o}"
        );
    }
    // Stalled I/O waits for a path rather than failing: nothing is lost.
    no_io_lost(&lab);

    npiv_paths(&lab);
}

/// sys2's lnx01 sees lun10 through its two virtual FC adapters (NPIV, the
/// LUN masked to its WWPNs): one fscsi path through each VIOS, and the one
/// through a dead VIOS fails and returns.
fn npiv_paths(lab: &Lab) {
    let os2 = |line: &str| {
        let out = lab.pvmlab(&["os", "sys2", "lnx01", "--", line]);
        assert!(out.status.success(), "{line}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let fc_paths = |o: &str, status: &str| {
        o.lines()
            .filter(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.len() == 3 && w[0] == status && w[2].starts_with("fscsi")
            })
            .count()
    };
    let out = lab.pvmlab(&["workload", "sys2", "lnx01", "--disk-iops", "40"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_until("lnx01's two virtual FC paths", 20, || {
        let o = os2("lspath");
        (fc_paths(&o, "Enabled") == 2).then_some(o)
    });
    let adapters = os2("lsdev -Cc adapter");
    assert!(
        adapters.contains("fcs0     Available  Virtual Fibre Channel Client Adapter"),
        "{adapters}"
    );
    kill(lab, "sys2-vios1", "kill");
    let o = wait_until("lnx01's path through sys2's vios1 failed", 20, || {
        let o = os2("lspath");
        (fc_paths(&o, "Failed") == 1 && fc_paths(&o, "Enabled") == 1).then_some(o)
    });
    assert!(
        o.lines()
            .any(|l| l.split_whitespace().eq(["Failed", "hdisk1", "fscsi0"])),
        "the path through vios1 (slot 5, fscsi0) failed:\n{o}"
    );
    kill(lab, "sys2-vios1", "restart");
    wait_until("lnx01's virtual FC path is back", 20, || {
        let o = os2("lspath");
        (fc_paths(&o, "Enabled") == 2).then_some(o)
    });
    let w = lab.pvmlab(&["workload", "sys2", "lnx01"]);
    let w = text(&w.stdout);
    let disk = w.lines().find(|l| l.starts_with("disk I/O:")).unwrap_or("");
    let d = numbers(disk);
    assert!(d.len() >= 7 && d[1] > 0 && d[5] == 0 && d[6] == 0, "{w}");
}
