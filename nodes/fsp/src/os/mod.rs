//! Commands run inside a client partition (`pvmlab os`), as an
//! administrator logged in to it would run them to check a drill: its MPIO
//! paths and disks, their attributes, its virtual Ethernet adapter, and its
//! error log. One command per
//! file: parse the words into a typed value, apply it to what the
//! partition's operating system holds.

mod chpath;
mod entstat;
mod errpt;
mod lsattr;
mod lsdev;
mod lspath;

use crate::clientio::ClientOs;

/// What a command sees: the partition's disks and paths, its virtual
/// Ethernet adapters, how long it has run, and its error log.
pub struct Env<'a> {
    pub os: &'a ClientOs,
    pub errpt: &'a [String],
    pub hcheck_interval_s: u64,
    /// By slot: ent0, ent1 …
    pub eth: Vec<Eth>,
    pub up_s: u64,
}

/// A virtual Ethernet adapter as the partition sees it.
pub struct Eth {
    pub adapter: pvmlab_common::model::VirtualEthAdapter,
    pub mac: String,
}

/// A command's error, in AIX's words, and its exit status.
#[derive(Debug, PartialEq, Eq)]
pub struct OsError(pub String, pub u32);

pub type Outcome = Result<String, OsError>;

pub fn usage(text: &str) -> OsError {
    OsError(format!("{text}\n"), 2)
}

/// Runs one command line: its output and exit status.
pub fn run(env: &Env<'_>, line: &str) -> (String, u32) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((cmd, args)) = words.split_first() else {
        return (String::new(), 0);
    };
    let r = match *cmd {
        "chpath" => chpath::run(env, args),
        "chdev" => chpath::chdev(env, args),
        "entstat" => entstat::run(env, args),
        "errpt" => errpt::run(env, args),
        "lsattr" => lsattr::run(env, args),
        "lsdev" => lsdev::run(env, args),
        "lspath" => lspath::run(env, args),
        "mkpath" => chpath::mkpath(env, args, true),
        "rmpath" => chpath::mkpath(env, args, false),
        other => Err(OsError(format!("ksh: {other}:  not found.\n"), 127)),
    };
    match r {
        Ok(out) => (out, 0),
        Err(OsError(e, status)) => (e, status),
    }
}

/// Flags with a value (`-l hdisk0`) and bare flags, in any order.
pub fn flags<'a>(args: &[&'a str], with_value: &[&str]) -> Option<Vec<(&'a str, &'a str)>> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if !a.starts_with('-') {
            return None;
        }
        if with_value.contains(a) {
            out.push((*a, *it.next()?));
        } else {
            out.push((*a, ""));
        }
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clientio::mpio::{Disk, Path, PathCounts, PathStatus};

    /// A partition with hdisk0 on two paths, the second failed.
    pub fn env_with_paths(f: impl FnOnce(&Env<'_>)) {
        let os = ClientOs::default();
        let mut d = Disk::new("hdisk0".into(), "lun01".into(), "3520".into(), 20480);
        for (n, status) in [(0, PathStatus::Enabled), (1, PathStatus::Failed)] {
            d.paths.push(Path {
                parent: format!("vscsi{n}"),
                vios_lpar_id: n + 1,
                vios_name: format!("vios{}", n + 1),
                server_slot: 13,
                wwpn: String::new(),
                status,
                priority: 1,
                counts: PathCounts::default(),
            });
        }
        os.disks.lock().unwrap().push(d);
        let log = vec![pvmlab_common::errpt::hw_line(
            pvmlab_common::errpt::PATH_FAILED,
            "hdisk0",
            pvmlab_common::clock::Civil::at(1_175_178_780),
        )];
        f(&Env {
            os: &os,
            errpt: &log,
            hcheck_interval_s: 60,
            eth: vec![Eth {
                adapter: pvmlab_common::model::VirtualEthAdapter {
                    slot: 2,
                    port_vlan_id: 1,
                    ..Default::default()
                },
                mac: "021122030002".into(),
            }],
            up_s: 3600,
        });
    }

    #[test]
    fn the_clients_commands_answer_as_aix() {
        env_with_paths(|env| {
            assert_eq!(
                run(env, "lsdev -Cc disk"),
                ("hdisk0   Available  Virtual SCSI Disk Drive\n".into(), 0)
            );
            let (attrs, _) = run(env, "lsattr -El hdisk0");
            assert!(attrs.contains("algorithm       fail_over"), "{attrs}");
            assert!(attrs.contains("hcheck_interval 60 "), "{attrs}");
            assert_eq!(run(env, "lsattr -El hdisk9").1, 1);
            assert_eq!(
                run(env, "errpt").0,
                "IDENTIFIER  TIMESTAMP  T C RESOURCE_NAME  DESCRIPTION\n\
                 DE3B8540   0329143307 P H hdisk0         PATH HAS FAILED\n"
            );
            assert_eq!(
                run(env, "chpath -l hdisk0 -p vscsi0 -s disable").0,
                "paths Changed\n"
            );
            assert_eq!(
                run(env, "lspath -l hdisk0 -p vscsi0").0,
                "Disabled hdisk0 vscsi0\n"
            );
            assert_eq!(
                run(env, "chdev -l hdisk0 -a algorithm=round_robin").0,
                "hdisk0 changed\n"
            );
            assert_eq!(run(env, "chdev -l hdisk0 -a algorithm=zigzag").1, 1);
            assert_eq!(run(env, "rm -rf /").1, 127);
        });
    }
}
