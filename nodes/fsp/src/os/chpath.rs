//! `chpath -l hdiskN -p vscsiN -s enable|disable` and `-a priority=N`: a
//! path taken out of use or back, or its priority; and `chdev -l hdiskN -a
//! algorithm=fail_over|round_robin`.

use super::{Env, OsError, Outcome, flags, usage};
use crate::clientio::mpio::{Algorithm, PathStatus};

const USAGE: &str = "Usage: chpath -l Name -p Parent {-s enable|disable | -a priority=Value}";

fn no_device(name: &str) -> OsError {
    OsError(
        format!(
            "Method error (/usr/lib/methods/chgdisk):\n\t0514-047 Cannot access a device.\n{name}\n"
        ),
        1,
    )
}

pub fn run(env: &Env<'_>, args: &[&str]) -> Outcome {
    let f = flags(args, &["-l", "-p", "-s", "-a"]).ok_or_else(|| usage(USAGE))?;
    let get = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let (Some(name), Some(parent)) = (get("-l"), get("-p")) else {
        return Err(usage(USAGE));
    };
    let mut disks = env.os.disks.lock().unwrap_or_else(|e| e.into_inner());
    let (d, i) = find_path(&mut disks, name, parent, "chpath: ")?;
    let p = &mut disks[d].paths[i];
    match (
        get("-s"),
        get("-a").and_then(|a| a.strip_prefix("priority=")),
    ) {
        (Some("enable"), None) => {
            if p.status == PathStatus::Disabled {
                p.status = PathStatus::Enabled;
            }
            Ok("paths Changed\n".into())
        }
        (Some("disable"), None) => {
            p.status = PathStatus::Disabled;
            Ok("paths Changed\n".into())
        }
        (None, Some(v)) => {
            p.priority = v.parse().map_err(|_| usage(USAGE))?;
            Ok(format!("path Changed\n"))
        }
        _ => Err(usage(USAGE)),
    }
}

pub fn chdev(env: &Env<'_>, args: &[&str]) -> Outcome {
    const USAGE: &str = "Usage: chdev -l Name -a algorithm=fail_over|round_robin";
    let f = flags(args, &["-l", "-a"]).ok_or_else(|| usage(USAGE))?;
    let get = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let (Some(name), Some(attr)) = (get("-l"), get("-a")) else {
        return Err(usage(USAGE));
    };
    let mut disks = env.os.disks.lock().unwrap_or_else(|e| e.into_inner());
    let d = disks
        .iter_mut()
        .find(|d| d.name == name)
        .ok_or_else(|| no_device(name))?;
    let algo = attr
        .strip_prefix("algorithm=")
        .and_then(Algorithm::parse)
        .ok_or_else(|| {
            OsError(
                format!("Method error (/usr/lib/methods/chgdisk):\n\t0514-018 The values specified for the following attributes\n\t\tare not valid:\n\t{attr}\n"),
                1,
            )
        })?;
    d.algorithm = algo;
    Ok(format!("{name} changed\n"))
}

/// `rmpath -l hdiskN -p vscsiN` (the path stays Defined) and `mkpath`
/// (it is configured again).
pub fn mkpath(env: &Env<'_>, args: &[&str], configure: bool) -> Outcome {
    const USAGE: &str = "Usage: rmpath|mkpath -l Name -p Parent";
    let f = flags(args, &["-l", "-p"]).ok_or_else(|| usage(USAGE))?;
    let get = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let (Some(name), Some(parent)) = (get("-l"), get("-p")) else {
        return Err(usage(USAGE));
    };
    let mut disks = env.os.disks.lock().unwrap_or_else(|e| e.into_inner());
    let (d, i) = find_path(&mut disks, name, parent, "")?;
    let d = &mut disks[d];
    d.define(i, configure);
    Ok(if configure {
        "path Available\n"
    } else {
        "path Defined\n"
    }
    .into())
}

/// The disk named `name` and its path through `parent`, by index, or the
/// error `cmd` prints (its name in front of AIX's message where it has one).
fn find_path(
    disks: &mut [crate::clientio::mpio::Disk],
    name: &str,
    parent: &str,
    cmd: &str,
) -> Result<(usize, usize), OsError> {
    let d = disks
        .iter()
        .position(|d| d.name == name)
        .ok_or_else(|| no_device(name))?;
    let i = disks[d]
        .paths
        .iter()
        .position(|p| p.parent == parent)
        .ok_or_else(|| {
            OsError(
                format!(
                    "{cmd}0514-530 No paths were found which match\n\tthe criteria specified.\n"
                ),
                1,
            )
        })?;
    Ok((d, i))
}
