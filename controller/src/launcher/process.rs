//! The lab's nodes as OS processes: where their binaries are, starting one
//! in its own process group with its log and pid file, and stopping or
//! killing them by pid.

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pvmlab_common::lab::{LabDir, running_pid};
use pvmlab_common::model::Role;
use pvmlab_common::topology::NodeDef;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The program each role runs as, in a process lab and in a container alike.
pub fn binary(role: Role) -> &'static str {
    match role {
        Role::Fsp => "pvm-fsp",
        Role::Vios => "pvm-vios",
        Role::Hmc => "pvm-hmc",
        Role::Controller => "pvmlab",
        Role::San => "pvm-san",
    }
}

/// The node binaries sit next to `pvmlab` (cargo puts them there), unless
/// PVMLAB_BIN_DIR says otherwise.
pub(super) fn bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(d) = std::env::var("PVMLAB_BIN_DIR") {
        return Ok(PathBuf::from(d));
    }
    let exe = std::env::current_exe().context("cannot find the pvmlab executable")?;
    Ok(exe.parent().map(Path::to_path_buf).unwrap_or_default())
}

/// Fails if a node could not start: its binary missing, or one of its
/// ports taken. `start` asks this of every node before it starts any, so
/// that a failure leaves nothing half started.
pub(super) fn check_startable(bins: &Path, n: &NodeDef, ssh_port: u16) -> anyhow::Result<()> {
    let bin = bins.join(binary(n.role));
    if !bin.exists() {
        bail!(
            "{} not found; build the workspace first (cargo build --release)",
            bin.display()
        );
    }
    let mut ports = vec![n.endpoint()];
    // HMCs serve their command line, and each VIOS padmin's, over SSH.
    if matches!(n.role, Role::Hmc | Role::Vios) {
        ports.push(format!("{}:{}", n.address, ssh_port));
    }
    for addr in ports {
        std::net::TcpListener::bind(&addr)
            .map_err(|e| anyhow::anyhow!("{} ({}) cannot listen on {addr}: {e}", n.name, n.role))?;
    }
    Ok(())
}

/// Kills the named nodes at once (SIGKILL), as a crash would; returns how
/// many were running.
pub fn kill_nodes(lab: &LabDir, names: &[String]) -> usize {
    let mut n = 0;
    for name in names {
        if let Some(pid) = running_pid(lab, name) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            n += 1;
        }
    }
    n
}

pub(super) fn spawn(lab: &LabDir, lab_abs: &Path, bins: &Path, n: &NodeDef) -> anyhow::Result<i32> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(lab.log(&n.name))
        .with_context(|| lab.log(&n.name).display().to_string())?;
    let child = Command::new(bins.join(binary(n.role)))
        .arg("--lab")
        .arg(lab_abs)
        .arg("--name")
        .arg(&n.name)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // Its own process group: a Ctrl-C meant for `pvmlab up` must not kill
        // the nodes before `down` stops them in order.
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {}", n.name))?;
    let pid = child.id() as i32;
    std::fs::write(lab.pid(&n.name), pid.to_string())?;
    // The child is reaped by init once we exit; we never wait on it.
    std::mem::forget(child);
    Ok(pid)
}

pub(super) fn proc_is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

pub(super) fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Stops the given nodes: SIGTERM, then SIGKILL for any still there after 5 s.
pub(super) fn stop(lab: &LabDir, nodes: &[(String, i32)]) {
    for (_, pid) in nodes {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for (name, pid) in nodes {
        while Instant::now() < deadline
            && kill(Pid::from_raw(*pid), None).is_ok()
            && !proc_is_zombie(*pid)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        if kill(Pid::from_raw(*pid), None).is_ok() && !proc_is_zombie(*pid) {
            let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
        }
        let _ = std::fs::remove_file(lab.pid(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_tail_is_its_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("n.log");
        std::fs::write(&log, "a\nb\nc\n").unwrap();
        assert_eq!(log_tail(&log, 2), "b\nc");
        assert_eq!(log_tail(&log, 9), "a\nb\nc");
        assert_eq!(log_tail(&dir.path().join("none.log"), 2), "");
    }

    #[test]
    fn a_node_without_its_binary_cannot_start() {
        let dir = tempfile::tempdir().unwrap();
        let n = NodeDef {
            name: "sys1".into(),
            role: Role::Fsp,
            address: "127.0.0.1".into(),
            port: 0,
        };
        let e = check_startable(dir.path(), &n, 22).unwrap_err().to_string();
        assert!(
            e.ends_with("pvm-fsp not found; build the workspace first (cargo build --release)"),
            "{e}"
        );
    }

    #[test]
    fn a_process_that_is_gone_counts_as_a_zombie() {
        assert!(proc_is_zombie(i32::MAX));
        assert!(!proc_is_zombie(std::process::id() as i32));
    }
}
