//! The foundation's promise: one command brings up the whole lab as separate
//! processes, both HMCs agree on every frame and partition, a lost FSP shows
//! as No Connection at once and comes back with everything it had.

use pvmlab_common::model::{PartitionExt as _, frame_state, lpar_state};
use pvmlab_tests::{Lab, text};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_lab_comes_up_and_survives_an_fsp_kill() {
    let lab = Lab::new("127.43.1");
    let took = lab.up();
    println!(
        "default lab ready in {:.2} s (goal: 15 s)",
        took.as_secs_f64()
    );
    assert!(took < Duration::from_secs(15));

    // Every frame Operating and every VIOS Running, from both HMCs.
    for h in ["hmc1", "hmc2"] {
        let v = lab.view(h).await.unwrap();
        assert_eq!(v.frames.len(), 3, "{h} manages all three frames");
        for f in &v.frames {
            assert_eq!(f.state, frame_state::OPERATING, "{h} sees {}", f.name);
            let vios: Vec<_> = f.partitions.iter().filter(|p| p.is_vios()).collect();
            assert_eq!(vios.len(), 2);
            for p in vios {
                assert_eq!(
                    (p.state.as_str(), p.rmc_state.as_str()),
                    (lpar_state::RUNNING, "active"),
                    "{h}: {}/{}",
                    f.name,
                    p.name
                );
            }
        }
    }
    let status = lab.pvmlab(&["status"]);
    assert!(status.status.success());
    let s = text(&status.stdout);
    assert!(s.contains("as hmc1 (") && s.contains("as hmc2 ("), "{s}");
    assert_eq!(s.matches("Operating").count(), 6, "3 frames x 2 HMCs:\n{s}");

    let before = lab.view("hmc1").await.unwrap();
    let sys2_before = before
        .frames
        .iter()
        .find(|f| f.name == "sys2")
        .unwrap()
        .clone();

    // kill -9 the FSP of sys2: both HMCs show No Connection within 2 s.
    let pid = lab.pid("sys2");
    assert_eq!(unsafe_kill(pid), 0);
    let seen = lab
        .wait_views(
            Duration::from_secs(2),
            "sys2 No Connection on both HMCs",
            |v| {
                v.frames
                    .iter()
                    .any(|f| f.name == "sys2" && f.state == frame_state::NO_CONNECTION)
            },
        )
        .await;
    println!(
        "FSP kill seen as No Connection on both HMCs after {} ms (goal: 2000)",
        seen.as_millis()
    );
    let s = text(&lab.pvmlab(&["status"]).stdout);
    let frame_lines = s
        .lines()
        .filter(|l| l.starts_with("  sys2 ") && l.ends_with("No Connection"));
    assert_eq!(frame_lines.count(), 2, "{s}");

    // Starting it again brings it back with all partitions and profiles.
    lab.up();
    lab.wait_views(Duration::from_secs(10), "sys2 back Operating", |v| {
        v.frames
            .iter()
            .any(|f| f.name == "sys2" && f.state == frame_state::OPERATING)
    })
    .await;
    // Remote restart capable partitions start a moment after the others
    // (the HMCs may have restarted them elsewhere meanwhile).
    lab.wait_views(Duration::from_secs(10), "sys2's partitions back", |v| {
        v.frames.iter().any(|f| {
            f.name == "sys2"
                && f.partitions
                    .iter()
                    .zip(&sys2_before.partitions)
                    .all(|(a, b)| a.state == b.state)
        })
    })
    .await;
    for h in ["hmc1", "hmc2"] {
        let v = lab.view(h).await.unwrap();
        let after = v.frames.iter().find(|f| f.name == "sys2").unwrap();
        assert_eq!(after.partitions.len(), sys2_before.partitions.len());
        for (a, b) in after.partitions.iter().zip(&sys2_before.partitions) {
            assert_eq!(
                (a.id, &a.name, &a.profiles),
                (b.id, &b.name, &b.profiles),
                "{h}: partition {} kept its profiles",
                b.name
            );
            assert_eq!(a.state, b.state, "{h}: {} back in its state", a.name);
        }
    }

    // down and up again: same lab, same state.
    let down = lab.pvmlab(&["down"]);
    assert!(down.status.success(), "{}", text(&down.stderr));
    // 2 HMCs, 3 FSPs, 6 VIOS and the SAN.
    assert!(text(&down.stdout).contains("12 nodes stopped"));
    let s = text(&lab.pvmlab(&["status"]).stdout);
    assert!(s.contains("hmc1: not reachable"), "{s}");
    lab.up();
    let v = lab.view("hmc2").await.unwrap();
    assert!(v.frames.iter().all(|f| f.state == frame_state::OPERATING));
}

fn unsafe_kill(pid: i32) -> i32 {
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .map(|s| s.code().unwrap_or(1))
        .unwrap_or(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_hmc_access_password_shows_failed_authentication() {
    let topo = pvmlab_common::topology::DEFAULT_LAB
        .replace("\"127.42.0.", "\"127.43.8.")
        .replacen(
            "version = \"V10R3M1050\"\n",
            "version = \"V10R3M1050\"\nframe_passwords = { sys3 = \"not-the-password\" }\n",
            2,
        )
        .replacen("frame_passwords = { sys3 = \"not-the-password\" }\n", "", 1);
    let lab = Lab::with_topology(&topo);
    lab.up();
    let seen = |v: &pvmlab_common::proto::hmc::ViewReply| {
        v.frames
            .iter()
            .find(|f| f.name == "sys3")
            .map(|f| f.state.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        seen(&lab.view("hmc1").await.unwrap()),
        frame_state::OPERATING
    );
    assert_eq!(
        seen(&lab.view("hmc2").await.unwrap()),
        frame_state::FAILED_AUTHENTICATION
    );
    assert!(lab.log("sys3").contains("HMC access password refused"));
}

#[test]
fn partitions_run_a_workload_over_sparse_memory_with_a_heartbeat() {
    let lab = Lab::new("127.43.21");
    lab.up();
    // aix72a runs the default lab's hotspot workload: 4 MB/s over 128 MB.
    std::thread::sleep(Duration::from_millis(300));
    let out = lab.pvmlab(&["workload", "sys2", "aix72a", "--digest"]);
    let s = text(&out.stdout);
    assert!(out.status.success(), "{s}{}", text(&out.stderr));
    assert!(
        s.starts_with(
            "sys2/aix72a: 4 MB/s over 128 MB, hotspot\nmemory: 4194304 pages (16384 MB), "
        ),
        "{s}"
    );
    assert!(s.contains("digest: "), "{s}");
    // Change it at run time: a 16 GB partition writing 64 MB/s over 256 MB
    // holds about what it wrote, not 16 GB.
    let out = lab.pvmlab(&[
        "workload",
        "sys2",
        "aix72a",
        "--rate",
        "64",
        "--working-set",
        "256",
        "--pattern",
        "uniform",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::thread::sleep(Duration::from_millis(500));
    let s = text(&lab.pvmlab(&["workload", "sys2", "aix72a"]).stdout);
    assert!(
        s.starts_with("sys2/aix72a: 64 MB/s over 256 MB, uniform\n"),
        "{s}"
    );
    let resident: u64 = s
        .split(" written (")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        (16..=256).contains(&resident),
        "resident {resident} MB:\n{s}"
    );
    let ticks: u64 = s
        .split("heartbeat: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(ticks > 300, "the heartbeat ticks every millisecond: {s}");
    // Bad input: refused, nothing changed.
    let bad = lab.pvmlab(&["workload", "sys2", "aix72a", "--pattern", "zigzag"]);
    assert!(!bad.status.success() && text(&bad.stderr).contains("zigzag"));
    assert!(
        !lab.pvmlab(&["workload", "sys2", "vios1", "--rate", "5"])
            .status
            .success(),
        "not in a VIOS"
    );
    assert!(
        !lab.pvmlab(&["workload", "sys3", "web01"]).status.success(),
        "not running"
    );
    assert!(
        text(&lab.pvmlab(&["workload", "sys2", "aix72a"]).stdout)
            .contains("64 MB/s over 256 MB, uniform")
    );
}
