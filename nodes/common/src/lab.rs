//! The lab directory: one place for a lab's topology, certificates, data,
//! logs and pids, so that a lab survives `down`/`up` and can be wiped by
//! removing one folder.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct LabDir {
    root: PathBuf,
}

impl LabDir {
    pub fn new(root: impl Into<PathBuf>) -> LabDir {
        LabDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The topology the lab was brought up with; nodes read it from here.
    pub fn topology(&self) -> PathBuf {
        self.root.join("topology.toml")
    }

    /// The slice of the topology the nodes of one frame read (`slice`).
    pub fn frame_topology(&self, frame: &str) -> PathBuf {
        self.root
            .join("topology.d")
            .join("frames")
            .join(format!("{frame}.toml"))
    }

    /// The slice the HMCs read: every frame as a stub (`slice`).
    pub fn heads_topology(&self) -> PathBuf {
        self.root.join("topology.d").join("heads.toml")
    }

    pub fn certs(&self) -> PathBuf {
        self.root.join("certs")
    }

    pub fn ca_cert(&self) -> PathBuf {
        self.certs().join("ca.crt")
    }

    pub fn ca_key(&self) -> PathBuf {
        self.certs().join("ca.key")
    }

    pub fn node_cert(&self, node: &str) -> PathBuf {
        self.certs().join(format!("{node}.crt"))
    }

    pub fn node_key(&self, node: &str) -> PathBuf {
        self.certs().join(format!("{node}.key"))
    }

    pub fn data(&self, node: &str) -> PathBuf {
        self.root.join("data").join(node)
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn log(&self, node: &str) -> PathBuf {
        self.logs().join(format!("{node}.log"))
    }

    pub fn pids(&self) -> PathBuf {
        self.root.join("pids")
    }

    pub fn pid(&self, node: &str) -> PathBuf {
        self.pids().join(format!("{node}.pid"))
    }
}

/// The name under which the controller holds its own certificate.
pub const CONTROLLER_NODE: &str = "pvmlab";

/// The pid of a running node, if its pid file points at a live process that
/// is that node: every node is started with `--name <node>`, so a stale file
/// or a pid the system gave to another process does not count. Both the
/// launcher (what to start, what to stop) and `status` ask this.
pub fn running_pid(lab: &LabDir, node: &str) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(lab.pid(node))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let is_it = args
        .windows(2)
        .any(|w| w[0] == b"--name" && w[1] == node.as_bytes());
    is_it.then_some(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab_with_pid(node: &str, pid: &str) -> (tempfile::TempDir, LabDir) {
        let dir = tempfile::tempdir().unwrap();
        let lab = LabDir::new(dir.path());
        std::fs::create_dir_all(lab.pids()).unwrap();
        std::fs::write(lab.pid(node), pid).unwrap();
        (dir, lab)
    }

    #[test]
    fn no_pid_file_or_a_bad_one_is_not_running() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(running_pid(&LabDir::new(dir.path()), "sys1"), None);
        let (_d, lab) = lab_with_pid("sys1", "not a pid\n");
        assert_eq!(running_pid(&lab, "sys1"), None);
    }

    #[test]
    fn a_live_process_that_is_not_the_node_does_not_count() {
        // This test's own process is alive but was not started as sys1.
        let (_d, lab) = lab_with_pid("sys1", &format!("{}\n", std::process::id()));
        assert_eq!(running_pid(&lab, "sys1"), None);
    }

    #[test]
    fn a_process_started_as_the_node_is_running() {
        // `sh -c` keeps the words after its script in its command line; a
        // builtin (not `sleep`, which a shell may exec in its place) keeps
        // it there until the test ends.
        let mut child = std::process::Command::new("sh")
            .args(["-c", "read _", "--name", "sys1"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let (_d, lab) = lab_with_pid("sys1", &pid.to_string());
        // The kernel sets a new program's command line a moment after
        // spawn returns.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut found = running_pid(&lab, "sys1");
        while found.is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            found = running_pid(&lab, "sys1");
        }
        let other = running_pid(&lab_with_pid("sys2", &pid.to_string()).1, "sys2");
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found, Some(pid));
        assert_eq!(other, None);
    }
}
