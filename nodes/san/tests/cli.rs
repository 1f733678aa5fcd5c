//! The binary starts only inside a lab and says why when it cannot.

use std::process::Command;

#[test]
fn refuses_to_start_outside_a_lab_and_names_the_file() {
    let dir = std::env::temp_dir().join(format!("pvm-san-nolab-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_pvm-san"))
        .args(["--lab", dir.to_str().unwrap(), "--name", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("topology.toml") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn help_lists_the_options() {
    let out = Command::new(env!("CARGO_BIN_EXE_pvm-san"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--lab") && text.contains("--name"), "{text}");
}
