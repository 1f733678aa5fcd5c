//! Chaos runs: every shipped scenario, in a short form, one after the
//! other on one default lab (each ends healed and recovered), with no
//! invariant broken; and a deliberately broken invariant (the test-only
//! switch that makes a destination FSP get one page wrong) caught and
//! reported.

use pvmlab_tests::{Lab, text};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../controller/scenarios");

fn chaos(lab: &Lab, args: &[&str]) -> (String, bool, serde_json::Value) {
    let report = lab.lab_dir().root().join("report.json");
    let mut a = vec!["chaos", "run"];
    a.extend_from_slice(args);
    let r = report.to_string_lossy().to_string();
    a.extend_from_slice(&["--report", &r]);
    let out = lab.pvmlab(&a);
    let mut s = text(&out.stdout);
    s.push_str(&text(&out.stderr));
    let json = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(serde_json::Value::Null);
    let _ = std::fs::remove_file(&report);
    (s, out.status.success(), json)
}

#[test]
fn the_shipped_scenarios_pass_in_short_form() {
    // The clients' path health check every second instead of every
    // minute, so that the VIOS maintenance waits seconds for the paths.
    let lab = Lab::with_topology(
        &pvmlab_common::topology::DEFAULT_LAB
            .replace("\"127.42.0.", "\"127.43.46.")
            .replacen("[lab]\n", "[lab]\nhcheck_interval_ms = 1000\n", 1),
    );
    lab.up();
    for (name, extra) in [
        ("msp-cable-pull", &[][..]),
        ("hmc-killed-mid-migration", &[]),
        ("frame-lost-evacuated", &[]),
        ("hmc-cut-from-fsp", &[]),
        ("slow-msp-concurrent", &[]),
        ("vios-rolling-maintenance", &[]),
        ("random-soak", &["--seed", "7", "--steps", "15"]),
    ] {
        let file = format!("{SCENARIOS}/{name}.toml");
        let mut args = vec![file.as_str()];
        args.extend_from_slice(extra);
        let (out, ok, report) = chaos(&lab, &args);
        println!("{out}");
        assert!(ok, "{name}: {out}");
        assert_eq!(report["counts"]["violations"], 0, "{name}");
        assert_eq!(report["scenario"], name);
        assert!(out.contains("timeline:"), "{out}");
    }
    // The same seed, the same schedule.
    let file = format!("{SCENARIOS}/random-soak.toml");
    let a = chaos(&lab, &[&file, "--seed", "11", "--steps", "4"]).2;
    let b = chaos(&lab, &[&file, "--seed", "11", "--steps", "4"]).2;
    assert_eq!(a["schedule"], b["schedule"]);
    assert_eq!(a["seed"], 11);
}

#[test]
fn a_broken_invariant_is_caught_and_reported() {
    let lab = Lab::new("127.43.47").env("PVMLAB_TEST_CORRUPT_MIGRATION", "1");
    lab.up();
    let file = lab.lab_dir().root().join("one.toml");
    std::fs::write(
        &file,
        "name = \"one-migration\"\n[[step]]\naction = \"migrate\"\nlpar = \"aix72a\"\nto = \"sys3\"\n",
    )
    .unwrap();
    let (out, ok, report) = chaos(&lab, &[&file.to_string_lossy()]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("VIOLATION") && out.contains("memory digest"),
        "{out}"
    );
    assert_eq!(report["counts"]["violations"], 1, "{out}");
    assert_eq!(report["violations"][0]["invariant"], "memory digest");
}
