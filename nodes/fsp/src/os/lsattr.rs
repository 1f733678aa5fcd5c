//! `lsattr -El hdiskN`: a disk's MPIO attributes, in AIX's four columns.

use super::{Env, OsError, Outcome, flags, usage};

const USAGE: &str = "Usage: lsattr -E -l Name";

pub fn run(env: &Env<'_>, args: &[&str]) -> Outcome {
    // -El is -E -l.
    let split: Vec<&str> = args
        .iter()
        .flat_map(|a| {
            if *a == "-El" {
                vec!["-E", "-l"]
            } else {
                vec![*a]
            }
        })
        .collect();
    let f = flags(&split, &["-l"]).ok_or_else(|| usage(USAGE))?;
    let name = f
        .iter()
        .find(|(n, _)| *n == "-l")
        .map(|(_, v)| *v)
        .ok_or_else(|| usage(USAGE))?;
    let disks = env.os.disks.lock().unwrap_or_else(|e| e.into_inner());
    let d = disks.iter().find(|d| d.name == name).ok_or_else(|| {
        OsError(
            format!("lsattr: 0514-519 The following device was not found in the customized\n\tdevice configuration database:\n{name}\n"),
            1,
        )
    })?;
    let rows = [
        (
            "PCM",
            "PCM/friend/vscsi".to_string(),
            "Path Control Module",
            "False",
        ),
        (
            "algorithm",
            d.algorithm.name().to_string(),
            "Algorithm",
            "True",
        ),
        (
            "hcheck_cmd",
            "test_unit_rdy".into(),
            "Health Check Command",
            "True",
        ),
        (
            "hcheck_interval",
            env.hcheck_interval_s.to_string(),
            "Health Check Interval",
            "True",
        ),
        (
            "hcheck_mode",
            "nonactive".into(),
            "Health Check Mode",
            "True",
        ),
        (
            "max_transfer",
            "0x40000".into(),
            "Maximum TRANSFER Size",
            "True",
        ),
        ("pvid", "none".into(), "Physical volume identifier", "False"),
        ("queue_depth", "3".into(), "Queue DEPTH", "True"),
        (
            "reserve_policy",
            "no_reserve".into(),
            "Reserve Policy",
            "True",
        ),
        (
            "unique_id",
            d.udid.clone(),
            "Unique device identifier",
            "False",
        ),
    ];
    Ok(rows
        .iter()
        .map(|(a, v, what, user)| format!("{a:<15} {v:<32} {what:<27} {user}\n"))
        .collect())
}
