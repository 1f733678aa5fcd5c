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

    /// The shared SAN: one file per LUN that holds data (a reserved
    /// storage device's remote restart configuration), seen by every VIOS
    /// that the LUN is zoned to.
    pub fn san(&self) -> PathBuf {
        self.root.join("san")
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
