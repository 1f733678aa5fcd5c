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
        // A disk seen through virtual FC is the storage's own MPIO disk.
        rows.extend(disks.iter().map(|d| {
            let fc = d.paths.iter().any(|p| !p.wwpn.is_empty());
            let what = if fc {
                "MPIO IBM 2076 FC Disk"
            } else {
                "Virtual SCSI Disk Drive"
            };
            (d.name.clone(), what)
        }));
    }
    if get("-c").is_none_or(|c| c == "adapter") {
        // A virtual FC path's parent is the protocol device fscsiN of the
        // adapter fcsN.
        let mut adapters: Vec<(String, &str)> = disks
            .iter()
            .flat_map(|d| d.paths.iter())
            .map(|p| match p.parent.strip_prefix("fscsi") {
                Some(n) => (format!("fcs{n}"), "Virtual Fibre Channel Client Adapter"),
                None => (p.parent.clone(), "Virtual SCSI Client Adapter"),
            })
            .collect();
        adapters.sort();
        adapters.dedup();
        rows.extend(adapters);
    }
    Ok(rows
        .into_iter()
        .filter(|(n, _)| get("-l").is_none_or(|l| l == n))
        .map(|(n, what)| format!("{n:<8} Available  {what}\n"))
        .collect())
}
