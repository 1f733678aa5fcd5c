//! `lsdev -Cc disk` (and `lsdev -Cc adapter`): the partition's disks, and
//! its virtual SCSI client adapters.

use super::{Env, Outcome, flags, usage};

const USAGE: &str = "Usage: lsdev -C [-c Class] [-l Name]";

pub fn run(env: &Env<'_>, args: &[&str]) -> Outcome {
    // -Cc is -C -c, as AIX's flags run together.
    let split: Vec<&str> = args
        .iter()
        .flat_map(|a| {
            if *a == "-Cc" {
                vec!["-C", "-c"]
            } else {
                vec![*a]
            }
        })
        .collect();
    let f = flags(&split, &["-c", "-l"]).ok_or_else(|| usage(USAGE))?;
    if !f.iter().any(|(n, _)| *n == "-C") {
        return Err(usage(USAGE));
    }
    let get = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let disks = env.os.disks.lock().unwrap_or_else(|e| e.into_inner());
    let mut rows: Vec<(String, &str)> = Vec::new();
    if get("-c").is_none_or(|c| c == "disk") {
        rows.extend(
            disks
                .iter()
                .map(|d| (d.name.clone(), "Virtual SCSI Disk Drive")),
        );
    }
    if get("-c").is_none_or(|c| c == "adapter") {
        let mut parents: Vec<String> = disks
            .iter()
            .flat_map(|d| d.paths.iter().map(|p| p.parent.clone()))
            .collect();
        parents.sort();
        parents.dedup();
        rows.extend(
            parents
                .into_iter()
                .map(|p| (p, "Virtual SCSI Client Adapter")),
        );
    }
    Ok(rows
        .into_iter()
        .filter(|(n, _)| get("-l").is_none_or(|l| l == n))
        .map(|(n, what)| format!("{n:<8} Available  {what}\n"))
        .collect())
}
