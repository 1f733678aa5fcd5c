//! Real clients, unmodified, against the lab's HMCs: fence_lpar (Debian's
//! fence-agents) through the interactive shell, and the MAAS HMC power
//! driver's three commands through paramiko. Each skips, saying so, where
//! its client is not installed (tests/setup.sh installs them).

use pvmlab_tests::{Lab, text};
use std::process::Command;

fn fence(lab: &Lab, hmc: &str, op: &str, lpar: Option<&str>) -> (String, i32) {
    let addr = lab.topo.node(hmc).unwrap().address;
    let mut c = Command::new("fence_lpar");
    let port = lab.ssh_port().to_string();
    c.args([
        "-x", "-a", &addr, "--ipport", &port, "-l", "hscroot", "-p", "abc123", "-s", "sys2", "-o",
        op,
    ]);
    c.arg("--ssh-options=-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR");
    if let Some(l) = lpar {
        c.args(["-n", l]);
    }
    let out = c.output().unwrap();
    (text(&out.stdout), out.status.code().unwrap_or(-1))
}

#[test]
fn fence_lpar_lists_checks_and_powers_partitions() {
    if !std::path::Path::new("/usr/sbin/fence_lpar").exists() {
        println!("SKIPPED: fence_lpar is not installed (tests/setup.sh installs fence-agents)");
        return;
    }
    let lab = Lab::new("127.43.13");
    lab.up();
    let (list, code) = fence(&lab, "hmc1", "list", None);
    assert_eq!(code, 0, "{list}");
    for l in ["vios1,", "lnx01,", "aix72a,", "db01,"] {
        assert!(list.lines().any(|x| x == l), "{l} in {list}");
    }
    assert_eq!(
        fence(&lab, "hmc1", "status", Some("lnx01")),
        ("Status: ON\n".into(), 0)
    );
    assert_eq!(
        fence(&lab, "hmc1", "off", Some("lnx01")).0,
        "Success: Powered OFF\n"
    );
    // The other HMC sees the same frame.
    assert_eq!(
        fence(&lab, "hmc2", "status", Some("lnx01")).0,
        "Status: OFF\n"
    );
    assert_eq!(
        fence(&lab, "hmc2", "on", Some("lnx01")).0,
        "Success: Powered ON\n"
    );
    assert_eq!(
        fence(&lab, "hmc1", "status", Some("lnx01")).0,
        "Status: ON\n"
    );
}

const MAAS: &str = r#"
import sys, time, paramiko
host, system, lpar, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def run(cmd):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(host, port=port, username="hscroot", password="abc123", look_for_keys=False, allow_agent=False)
    _, out, _ = c.exec_command(cmd)
    text = out.read().decode()
    c.close()
    return text
# The driver's own strings (canonical/maas drivers/power/hmc.py).
def state():
    return run("lssyscfg -m %s -r lpar -F state --filter lpar_names=%s" % (system, lpar)).strip()
def wait(states):
    for _ in range(100):
        s = state()
        if s in states:
            return s
        time.sleep(0.05)
    raise SystemExit("never reached %s" % (states,))
print(state())
run("chsysstate -r lpar -m %s -o shutdown -n %s --immed" % (system, lpar))
print(wait(("Not Activated",)))
run("chsysstate -r lpar -m %s -o on -n %s --bootstring network-all" % (system, lpar))
print(wait(("Running",)))
"#;

#[test]
fn maas_power_driver_commands_through_paramiko() {
    let have = Command::new("python3")
        .args(["-c", "import paramiko"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        println!("SKIPPED: paramiko is not installed (tests/setup.sh installs it)");
        return;
    }
    let lab = Lab::new("127.43.14");
    lab.up();
    let addr = lab.topo.node("hmc2").unwrap().address;
    let out = Command::new("python3")
        .args([
            "-c",
            MAAS,
            &addr,
            "sys3",
            "aix72b",
            &lab.ssh_port().to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Running\nNot Activated\nRunning\n");
    assert!(lab.log("sys3").contains("bootstring=network-all"));
}
