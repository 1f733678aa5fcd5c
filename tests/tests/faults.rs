//! Faults from the controller reach the nodes' links: a cut between hmc1 and
//! sys1 breaks hmc1's open event stream at once (sys1 shows No Connection on
//! hmc1, not on hmc2), keeps hmc1 from reconnecting while it lasts, and
//! removing it brings sys1 back. A bad fault is refused and changes nothing.

use pvmlab_common::model::frame_state;
use pvmlab_tests::{Lab, text};
use std::time::{Duration, Instant};

async fn frame_state_on(lab: &Lab, hmc: &str, frame: &str) -> String {
    match lab.view(hmc).await {
        Ok(v) => v
            .frames
            .iter()
            .find(|f| f.name == frame)
            .map(|f| f.state.clone())
            .unwrap_or_default(),
        Err(e) => format!("{hmc} not answering: {e}"),
    }
}

async fn wait_frame(lab: &Lab, hmc: &str, frame: &str, state: &str, limit: Duration) -> Duration {
    let t = Instant::now();
    loop {
        let now = frame_state_on(lab, hmc, frame).await;
        if now == state {
            return t.elapsed();
        }
        assert!(
            t.elapsed() < limit,
            "{frame} on {hmc} is {now:?}, not {state:?}, after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_link_breaks_at_once_and_recovers_when_removed() {
    let lab = Lab::new("127.43.61");
    lab.up();
    let run = |args: &[&str]| {
        let o = lab.pvmlab(args);
        (o.status.success(), text(&o.stdout), text(&o.stderr))
    };

    let (ok, out, err) = run(&["fault", "add", "hmc1", "--peer", "sys1", "--kind", "cut"]);
    assert!(ok, "{out}{err}");
    let seen = wait_frame(
        &lab,
        "hmc1",
        "sys1",
        frame_state::NO_CONNECTION,
        Duration::from_secs(2),
    )
    .await;
    println!(
        "cut hmc1-sys1 seen as No Connection on hmc1 after {} ms",
        seen.as_millis()
    );
    assert_eq!(
        frame_state_on(&lab, "hmc2", "sys1").await,
        frame_state::OPERATING
    );
    // hmc1 keeps trying; the cut keeps refusing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        frame_state_on(&lab, "hmc1", "sys1").await,
        frame_state::NO_CONNECTION
    );

    let (ok, listed, err) = run(&["fault", "ls"]);
    assert!(ok, "{err}");
    assert!(listed.contains("cut_both_sys1"), "{listed}");
    // A bad fault is refused, with the reason, and the list stays as it was.
    let (ok, _, err) = run(&[
        "fault", "add", "hmc1", "--peer", "sys2", "--kind", "cut", "--rate", "1mb",
    ]);
    assert!(!ok);
    assert!(err.contains("rate does not apply to a cut"), "{err}");
    let (ok, _, err) = run(&["fault", "add", "hmc1", "--peer", "hmc1", "--kind", "cut"]);
    assert!(!ok);
    assert!(err.contains("hmc1 is this node"), "{err}");
    assert_eq!(run(&["fault", "ls"]).1, listed);

    let (ok, out, err) = run(&["fault", "rm", "hmc1", "--name", "cut_both_sys1"]);
    assert!(ok, "{out}{err}");
    let back = wait_frame(
        &lab,
        "hmc1",
        "sys1",
        frame_state::OPERATING,
        Duration::from_secs(10),
    )
    .await;
    println!(
        "sys1 back Operating on hmc1 {} ms after the cut was removed",
        back.as_millis()
    );
    assert_eq!(run(&["fault", "ls"]).1.trim(), "no faults");
}
