//! `pvmlab bench soak [--minutes 10] [--seed N]`: the shipped random soak
//! on a default lab of its own (127.46.2.x) until the time is up, then
//! healed, recovered and checked; the chaos summary gives the counts of
//! migrations, faults, recoveries and violations.

use crate::launcher;
use pvmlab_common::lab::LabDir;
use pvmlab_common::topology::DEFAULT_LAB;
use std::time::Duration;

const SOAK: &str = include_str!("../scenarios/random-soak.toml");

pub fn run(minutes: f64, seed: u64) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("pvmlab-bench-soak-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let lab = LabDir::new(tmp.join("lab"));
    let topo_file = tmp.join("soak.toml");
    // SSH off port 22, which may need root; the soak does not use it.
    let topo = DEFAULT_LAB.replace("\"127.42.0.", "\"127.46.2.").replacen(
        "[lab]\n",
        "[lab]\nssh_port = 2222\n",
        1,
    );
    std::fs::write(&topo_file, topo)?;
    println!("bringing up the default lab on 127.46.2.x ...");
    let result = launcher::up_quiet(&lab, Some(&topo_file), 60).and_then(|_| {
        crate::chaos::run_text(
            &lab,
            SOAK,
            "random-soak.toml",
            crate::chaos::Options {
                seed: Some(seed),
                steps: Some(100_000),
                limit: Some(Duration::from_secs_f64(minutes * 60.0)),
                // Kept after the lab is gone.
                report: Some(std::env::temp_dir().join("pvmlab-soak-report.json")),
            },
        )
    });
    let _ = launcher::down(&lab);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}
