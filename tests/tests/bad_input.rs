//! Bad input to the controller gets a clear error and leaves nothing half started.

use pvmlab_common::topology::DEFAULT_LAB;
use pvmlab_tests::{Lab, text};

#[test]
fn malformed_topology_names_file_line_and_field() {
    let broken = DEFAULT_LAB.replace("\"127.42.0.", "\"127.43.3.").replacen(
        "memory_mb = 262144",
        "memory_mb = \"lots\"",
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, &broken).unwrap();
    let line = broken.lines().position(|l| l.contains("\"lots\"")).unwrap() + 1;
    let lab = Lab::new("127.43.3");
    let out = lab.pvmlab(&["up", "--detach", "--topology", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains(&format!("broken.toml:{line}:")), "{err}");
    assert!(err.contains("memory_mb"), "{err}");
    assert!(!lab.lab_dir().pids().exists(), "nothing started");
}

#[test]
fn duplicates_oversize_and_unknown_modes_are_refused() {
    let base = DEFAULT_LAB.replace("\"127.42.0.", "\"127.43.4.");
    let cases = [
        (
            base.replacen("name = \"hmc2\"", "name = \"hmc1\"", 1),
            "duplicate HMC name hmc1",
        ),
        (
            base.replacen("id = 4\nname = \"aix61b\"", "id = 3\nname = \"aix61b\"", 1),
            "duplicate partition id 3",
        ),
        (
            base.replacen(
                "desired_mem = 32768\nmax_mem = 65536",
                "desired_mem = 1048576\nmax_mem = 1048576",
                1,
            ),
            "but frame sys2 has 262144 MB",
        ),
        (
            base.replacen(
                "\"POWER6_Plus\", \"POWER7\"]",
                "\"POWER6_Plus\", \"POWER5\"]",
                1,
            ),
            "unknown processor mode \"POWER5\"",
        ),
    ];
    for (text_, want) in cases {
        let lab = Lab::new("127.43.4");
        std::fs::write(&lab.topology_file, &text_).unwrap();
        let out = lab.pvmlab(&[
            "up",
            "--detach",
            "--topology",
            lab.topology_file.to_str().unwrap(),
        ]);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(
            err.contains(want) && err.contains("topology-src.toml:"),
            "want {want:?}, got {err}"
        );
    }
}

#[test]
fn a_port_already_taken_starts_nothing() {
    let lab = Lab::new("127.43.5");
    let hmc2 = lab.topo.node("hmc2").unwrap();
    let _squatter = std::net::TcpListener::bind(hmc2.endpoint()).unwrap();
    let out = lab.pvmlab(&[
        "up",
        "--detach",
        "--topology",
        lab.topology_file.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("hmc2 (hmc) cannot listen on 127.43.5.12:7700"),
        "{err}"
    );
    let pids = lab.lab_dir().pids();
    let left = std::fs::read_dir(&pids).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "no node left running");
}

#[test]
fn a_foreign_certificate_is_refused_by_up_and_by_the_node() {
    let lab = Lab::new("127.43.6");
    lab.up();
    assert!(lab.pvmlab(&["down"]).status.success());
    // Swap sys3's certificate for one from another CA.
    let other = tempfile::tempdir().unwrap();
    let p = |f: &str| other.path().join(f);
    use pvmlab_common::pki;
    pki::make_ca("other", &p("ca.crt"), &p("ca.key")).unwrap();
    let l = lab.lab_dir();
    pki::issue(
        &p("ca.crt"),
        &p("ca.key"),
        "sys3",
        pvmlab_common::model::Role::Fsp,
        &[],
        &l.node_cert("sys3"),
        &l.node_key("sys3"),
    )
    .unwrap();
    let out = lab.pvmlab(&["up", "--detach"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("sys3.crt was not issued by this lab's CA"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(l.pids()).unwrap().count(),
        0,
        "nothing started"
    );

    // A node started by hand without its certificate says which file is missing.
    std::fs::remove_file(l.node_cert("sys3")).unwrap();
    let out = std::process::Command::new(pvmlab_tests::bin_dir().join("pvm-fsp"))
        .args(["--lab", l.root().to_str().unwrap(), "--name", "sys3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("sys3.crt"),
        "{}",
        text(&out.stderr)
    );
    // up issues the missing one again and the lab comes back.
    lab.up();
}
