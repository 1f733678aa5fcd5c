//! The read-only scanners administrators run, from PyPI and unmodified
//! (tests/setup.sh installs them; each test skips, saying so, where its
//! client is missing): HMC Scanner over SSH writes its full report of the
//! lab, and power-hmc-mcp logs on over REST and answers its read tools.

use pvmlab_tests::{Lab, text};
use std::process::Command;

fn have(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every frame and partition of the lab, as hmc1 lists them.
fn names(lab: &Lab) -> Vec<String> {
    let (sys, code) = lab.hmc("hmc1", "lssyscfg -r sys -F name");
    assert_eq!(code, 0, "{sys}");
    let mut all: Vec<String> = sys.lines().map(str::to_string).collect();
    for s in sys.lines() {
        let (lpars, code) = lab.hmc("hmc1", &format!("lssyscfg -r lpar -m {s} -F name"));
        assert_eq!(code, 0, "{lpars}");
        all.extend(lpars.lines().map(str::to_string));
    }
    all
}

#[test]
fn hmcscanner_writes_its_report_of_every_frame_and_partition() {
    if !have("hmcscanner") {
        println!("SKIPPED: hmcscanner is not installed (tests/setup.sh installs it)");
        return;
    }
    // HMC Scanner has no port option: it needs the HMC on port 22.
    let lab = Lab::new("127.44.1");
    if lab.ssh_port() != 22 {
        println!("SKIPPED: HMC Scanner reaches only port 22, which needs root here");
        return;
    }
    lab.up();
    let addr = lab.topo.node("hmc1").unwrap().address;
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; from hmcscanner.start import main; sys.argv[0] = 'hmcscanner'; main()",
            "--hmc",
            &addr,
            "--user",
            "hscroot",
            "--pwd",
            "abc123",
            "--dir",
        ])
        .arg(dir.path())
        .args(["--name", "report.xlsx"])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let log = std::fs::read_to_string(dir.path().join("hmcScanner.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "{}{}\n{log}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let report = dir.path().join("report.xlsx");
    assert!(
        std::fs::metadata(&report).is_ok_and(|m| m.len() > 0),
        "no report: {}{}\n{log}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // The report lists every frame and partition of the lab (an xlsx is a
    // zip; its cells' text is in the shared strings).
    let strings = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read('xl/sharedStrings.xml').decode())",
        ])
        .arg(&report)
        .output()
        .unwrap();
    let strings = text(&strings.stdout);
    for n in names(&lab) {
        assert!(
            strings.contains(&format!(">{n}<")),
            "{n} missing from the report"
        );
    }
    // What it collected holds every frame and partition of the lab.
    let dump = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "txt"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .unwrap_or_else(|| panic!("no data dump in {}\n{log}", dir.path().display()));
    for n in names(&lab) {
        assert!(
            dump.contains(&format!("\"{n}\"")),
            "{n} missing from the scan"
        );
    }
    // No command it ran was refused or unknown.
    let raw = dir.path().join(&addr);
    for e in std::fs::read_dir(&raw).unwrap().filter_map(|e| e.ok()) {
        let body = std::fs::read_to_string(e.path()).unwrap_or_default();
        for bad in [
            "command not found",
            "rbash:",
            "Unknown command",
            "An invalid",
        ] {
            assert!(
                !body.contains(bad),
                "{} holds {bad:?}:\n{}",
                e.path().display(),
                &body[..body.len().min(2000)]
            );
        }
    }
}

const POWER_HMC_MCP: &str = r#"
import json, logging
logging.disable(logging.CRITICAL)
from power_hmc_mcp.config import load_settings
from power_hmc_mcp.hmc_client import HmcClient
c = HmcClient(load_settings())
c.login()
out = {}
systems = c.list_managed_systems()
out["systems"] = systems
sid = systems[0].get("uuid") or systems[0].get("id")
out["system"] = c.get_managed_system(sid)
lpars = c.list_lpars(sid)
out["lpars"] = lpars
lid = lpars[0].get("uuid") or lpars[0].get("id")
out["status"] = c.get_lpar_status(sid, lid)
out["lpar"] = c.get_lpar(sid, lid)
out["quick"] = c.get_lpar_quick(lid)
out["profiles"] = c.list_partition_profiles(lid)
# PCM is off on a new HMC: an administrator turns it on for the frame
# before the capacity tool has figures to read.
import os, time, requests, urllib3
urllib3.disable_warnings()
base = "https://%s:%s" % (os.environ["HMC_HOST"], os.environ["HMC_PORT"])
logon = '<LogonRequest xmlns="http://www.ibm.com/xmlns/systems/power/firmware/web/mc/2012_10/" schemaVersion="V1_0"><UserID>hscroot</UserID><Password>abc123</Password></LogonRequest>'
t = requests.put(base + "/rest/api/web/Logon", data=logon, headers={"Content-Type": "application/vnd.ibm.powervm.web+xml; type=LogonRequest"}, verify=False).headers["X-API-Session"]
pref = '<ManagementConsolePcmPreference xmlns="http://www.ibm.com/xmlns/systems/power/firmware/pcm/mc/2012_10/"><LongTermMonitorEnabled>true</LongTermMonitorEnabled><AggregationEnabled>true</AggregationEnabled></ManagementConsolePcmPreference>'
requests.post(base + "/rest/api/pcm/ManagedSystem/%s/preferences" % sid, data=pref, headers={"X-API-Session": t, "Content-Type": "application/xml"}, verify=False)
for _ in range(40):
    out["capacity"] = c.get_capacity(sid)
    if out["capacity"].get("pcm_enabled"):
        break
    time.sleep(0.5)
out["health"] = c.health_check()
c.close()
print(json.dumps(out, default=str))
"#;

#[test]
fn power_hmc_mcp_logs_on_and_its_read_tools_answer() {
    if !have("power_hmc_mcp") {
        println!("SKIPPED: power-hmc-mcp is not installed (tests/setup.sh installs it)");
        return;
    }
    let lab = Lab::new("127.44.2");
    lab.up();
    let addr = lab.topo.node("hmc1").unwrap().address;
    let out = Command::new("python3")
        .args(["-c", POWER_HMC_MCP])
        .env("HMC_HOST", &addr)
        .env("HMC_PORT", lab.topo.lab.rest_port.to_string())
        .env("HMC_USERNAME", "hscroot")
        .env("HMC_PASSWORD", "abc123")
        .env("HMC_VERIFY_TLS", "false")
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("SSL_CERT_FILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    let systems = v["systems"].as_array().unwrap();
    let (sys, _) = lab.hmc("hmc1", "lssyscfg -r sys -F name");
    assert_eq!(systems.len(), sys.lines().count(), "{v}");
    assert!(!v["lpars"].as_array().unwrap().is_empty(), "{v}");
    assert!(v["status"].is_object(), "{v}");
    assert!(
        v["capacity"]["pcm_enabled"].as_bool().unwrap_or(false),
        "{v}"
    );
}

/// Ready means ready: the first command after `up` returns, on a fresh
/// lab, finds what the frames hold, remote restart data included.
#[test]
fn the_first_command_after_up_sees_the_whole_lab() {
    let lab = Lab::new("127.44.3");
    lab.up();
    let (out, code) = lab.hmc("hmc1", "rrstartlpar -o validate -m sys2 -t sys3 -p db01");
    assert_eq!(code, 0, "{out}");
}
