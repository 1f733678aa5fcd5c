//! `pvmlab init` writes the default lab as a file that loads, and never
//! overwrites a file unless told to.

use std::process::Command;

fn pvmlab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pvmlab"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn init_writes_an_editable_default_lab() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lab.toml");
    let f = file.to_str().unwrap();
    let out = pvmlab(&["init", f, "--subnet", "127.44.9"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"127.44.9.11\"") && !text.contains("127.42.0."));
    let topo = pvmlab_common::topology::Topology::load(&file).unwrap();
    assert_eq!(topo.frame.len(), 3);

    let again = pvmlab(&["init", f]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert!(pvmlab(&["init", f, "--force"]).status.success());

    let bad = pvmlab(&[
        "init",
        dir.path().join("x.toml").to_str().unwrap(),
        "--subnet",
        "10.0.0",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("loopback"));
}

#[test]
fn init_generates_a_site_or_says_how_many_fit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.toml");
    let f = file.to_str().unwrap();
    let out = pvmlab(&[
        "init", f, "--frames", "5", "--lpars", "120", "--subnet", "127.45",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let topo = pvmlab_common::topology::Topology::load(&file).unwrap();
    assert_eq!(topo.frame.len(), 5);
    assert_eq!(topo.frame.iter().map(|f| f.lpar.len()).sum::<usize>(), 120);
    assert!(topo.frame[0].address.get_ref().starts_with("127.45.1."));

    let big = dir.path().join("big.toml");
    let out = pvmlab(&[
        "init",
        big.to_str().unwrap(),
        "--frames",
        "2",
        "--lpars",
        "100000",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("do not fit") && err.contains("hold at most"),
        "{err}"
    );
    assert!(!big.exists(), "nothing written");
}
