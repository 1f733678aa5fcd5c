//! The docker-compose lab, end to end: the image built from nothing
//! (docker/build.sh), the default lab up as one container per node, an
//! active migration between two frame containers with its memory digest
//! checked, faults through the lab's Toxiproxy-compatible API service and
//! through Docker (a frame's
//! container cut off the network and reconnected, a frame's containers
//! killed, its partition remote-restarted on a survivor), and down. It
//! skips, saying so, only where there is no Docker engine.

use pvmlab_tests::text;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PROJECT: &str = "pvmlabtest";

fn compose_cmd() -> Option<Vec<String>> {
    for c in [vec!["docker", "compose"], vec!["docker-compose"]] {
        let ok = Command::new(c[0])
            .args(&c[1..])
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(c.into_iter().map(String::from).collect());
        }
    }
    None
}

fn sh(cmd: &str, args: &[&str]) -> (String, bool) {
    let out = Command::new(cmd).args(args).output().expect(cmd);
    let mut s = text(&out.stdout);
    s.push_str(&text(&out.stderr));
    (s, out.status.success())
}

struct Compose {
    cmd: Vec<String>,
    file: PathBuf,
}

impl Compose {
    fn run(&self, args: &[&str]) -> (String, bool) {
        let mut a: Vec<&str> = self.cmd[1..].iter().map(String::as_str).collect();
        let f = self.file.to_string_lossy().to_string();
        a.extend_from_slice(&["-p", PROJECT, "-f", &f]);
        a.extend_from_slice(args);
        sh(&self.cmd[0], &a)
    }
}

impl Drop for Compose {
    fn drop(&mut self) {
        let _ = self.run(&["down", "-v", "-t", "2"]);
    }
}

fn pvmlab(lab: &Path, args: &[&str]) -> (String, bool) {
    let bin = pvmlab_tests::bin_dir().join("pvmlab");
    let mut a = vec!["--lab", lab.to_str().unwrap()];
    a.extend_from_slice(args);
    sh(bin.to_str().unwrap(), &a)
}

fn hmc(lab: &Path, line: &str) -> (String, bool) {
    pvmlab(lab, &["hmc", "hmc1", "--", line])
}

fn wait(what: &str, secs: u64, mut f: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "{what}: not within {secs} s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    t.elapsed()
}

#[test]
fn the_compose_lab_migrates_and_recovers_a_lost_frame() {
    if !sh("docker", &["info"]).1 {
        println!("SKIPPED: no Docker engine here");
        return;
    }
    let Some(cmd) = compose_cmd() else {
        println!("SKIPPED: neither `docker compose` nor `docker-compose` is installed");
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let t = Instant::now();
    let (out, ok) = sh(root.join("docker/build.sh").to_str().unwrap(), &[]);
    assert!(ok, "{out}");
    println!(
        "{} ({:.0} s)",
        out.lines()
            .find(|l| l.contains(" built: "))
            .unwrap_or_default(),
        t.elapsed().as_secs_f64()
    );
    let size: u64 = sh(
        "docker",
        &["image", "inspect", "pvmlab:latest", "--format", "{{.Size}}"],
    )
    .0
    .trim()
    .parse()
    .unwrap();
    println!("image size: {:.1} MB", size as f64 / 1e6);
    assert!(size <= 50_000_000, "the image is {size} bytes");

    // The default lab's compose file, generated afresh in a directory of its own.
    let dir = tempfile::tempdir().unwrap();
    let (out, ok) = pvmlab(
        Path::new("/nonexistent"),
        &["compose", "generate", "--out", dir.path().to_str().unwrap()],
    );
    assert!(ok, "{out}");
    let c = Compose {
        cmd,
        file: dir.path().join("compose.yaml"),
    };
    let lab = dir.path().join("lab");
    let _ = c.run(&["down", "-v", "-t", "2"]);
    let t = Instant::now();
    let (out, ok) = c.run(&["up", "-d"]);
    assert!(ok, "{out}");
    // Ready: the HMC is connected to every frame and validates a migration,
    // so frames, VIOS, RMC and MSPs are up. (Validation alone is not enough:
    // a frame the migration does not touch may still be starting.)
    wait("the lab ready", 60, || {
        hmc(&lab, "lssyscfg -r sys -F state").0 == "Operating\n".repeat(3)
            && hmc(&lab, "migrlpar -o v -m sys2 -t sys3 -p aix72a").1
    });
    let ready = t.elapsed();
    println!("compose lab ready {:.1} s after `up`", ready.as_secs_f64());
    assert!(ready <= Duration::from_secs(20), "{ready:?}");

    // SSH on the host's port 2221, as the README shows.
    if Command::new("sshpass").arg("-V").output().is_ok() {
        let (out, ok) = sh(
            "sshpass",
            &[
                "-p",
                "abc123",
                "ssh",
                "-p",
                "2221",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "hscroot@localhost",
                "lssyscfg -r sys -F name,state",
            ],
        );
        assert!(ok, "{out}");
        assert_eq!(out, "sys1,Operating\nsys2,Operating\nsys3,Operating\n");
    }

    // An active migration between two frame containers, its memory checked,
    // over an MSP link slowed through the lab's Toxiproxy-compatible API
    // (a service of the compose lab, on the host's port 8474).
    let api = "http://127.0.0.1:8474";
    wait("the fault API", 20, || {
        sh("curl", &["-sf", &format!("{api}/version")]).1
    });
    let (out, ok) = sh(
        "curl",
        &[
            "-sf",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"name":"slow","type":"latency","stream":"upstream","attributes":{"latency":2}}"#,
            &format!("{api}/proxies/sys2-vios1--sys3-vios1/toxics"),
        ],
    );
    assert!(ok && out.contains("\"latency\":2"), "{out}");
    let (out, ok) = hmc(&lab, "migrlpar -o m -m sys2 -t sys3 -p aix72a -v");
    assert!(ok && out.contains("memory_integrity=ok"), "{out}");
    // The movers reached the partition's memory through VASI windows: a
    // Unix socket on the lab volume that a frame's containers share.
    let logs = c.run(&["logs", "sys2-vios1"]).0;
    assert!(logs.contains("window=true"), "{logs}");
    assert!(sh("curl", &["-sf", "-X", "POST", &format!("{api}/reset")]).1);
    assert_eq!(pvmlab(&lab, &["fault", "ls"]).0, "no faults\n");

    // A frame cut off the network by Docker is a lost connection, and comes back.
    let id = c.run(&["ps", "-q", "sys3"]).0.trim().to_string();
    let net = format!("{PROJECT}_pvmlab");
    assert!(sh("docker", &["network", "disconnect", &net, &id]).1);
    let state = "lssyscfg -r sys -m sys3 -F state";
    wait("sys3 No Connection", 20, || {
        hmc(&lab, state).0 == "No Connection\n"
    });
    assert!(
        sh(
            "docker",
            &["network", "connect", "--ip", "10.89.0.23", &net, &id]
        )
        .1
    );
    wait("sys3 back", 30, || hmc(&lab, state).0 == "Operating\n");

    // sys2's containers killed: a lost frame; db01 restarts on a survivor.
    let (out, ok) = c.run(&["kill", "sys2", "sys2-vios1", "sys2-vios2"]);
    assert!(ok, "{out}");
    wait("sys2 No Connection", 20, || {
        hmc(&lab, "lssyscfg -r sys -m sys2 -F state").0 == "No Connection\n"
    });
    let (out, ok) = pvmlab(&lab, &["evacuate", "sys2"]);
    assert!(ok, "{out}");
    wait("db01 Running on a survivor", 30, || {
        ["sys1", "sys3"].iter().any(|f| {
            hmc(
                &lab,
                &format!("lssyscfg -r lpar -m {f} --filter lpar_names=db01 -F state"),
            )
            .0 == "Running\n"
        })
    });
    let (out, ok) = c.run(&["down", "-v", "-t", "2"]);
    assert!(ok, "{out}");
}
