//! A lab for end-to-end tests: the real binaries, on a loopback /24 of the
//! test's own, in a temporary lab directory, stopped when the test ends.

use pvmlab_common::lab::{CONTROLLER_NODE, LabDir};
use pvmlab_common::net::Identity;
use pvmlab_common::proto::hmc::hmc_client::HmcClient;
use pvmlab_common::proto::hmc::{ViewReply, ViewRequest};
use pvmlab_common::topology::{DEFAULT_LAB, Topology};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Where cargo put the workspace's binaries: next to this test's `deps/`.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory")
        .to_path_buf();
    for b in ["pvmlab", "pvm-fsp", "pvm-hmc", "pvm-vios", "pvm-san"] {
        assert!(
            dir.join(b).exists(),
            "{} is missing: run the whole workspace's tests (cargo test --workspace) so cargo builds every binary",
            dir.join(b).display()
        );
    }
    dir
}

pub struct Lab {
    pub dir: tempfile::TempDir,
    pub topo: Topology,
    pub topology_file: PathBuf,
    bins: PathBuf,
    env: Vec<(String, String)>,
}

impl Lab {
    /// The default lab moved to `subnet` (e.g. "127.43.1"), not yet started.
    pub fn new(subnet: &str) -> Lab {
        Lab::with_topology(&DEFAULT_LAB.replace("\"127.42.0.", &format!("\"{subnet}.")))
    }

    /// The port the HMCs serve SSH on in this lab.
    pub fn ssh_port(&self) -> u16 {
        self.topo.lab.ssh_port
    }

    pub fn with_topology(text: &str) -> Lab {
        let mut text = text.to_string();
        if !is_root() && !text.contains("ssh_port") {
            // Port 22 needs root; elsewhere the HMCs serve SSH on 2222.
            text = match text.find("[lab]\n") {
                Some(i) => format!("{}ssh_port = 2222\n{}", &text[..i + 6], &text[i + 6..]),
                None => format!("[lab]\nssh_port = 2222\n\n{text}"),
            };
        }
        let text = text.as_str();
        let dir = tempfile::tempdir().expect("temp dir");
        let topology_file = dir.path().join("topology-src.toml");
        std::fs::write(&topology_file, text).expect("write topology");
        let topo = Topology::load(&topology_file).unwrap_or_else(|e| panic!("{e}"));
        Lab {
            dir,
            topo,
            topology_file,
            bins: bin_dir(),
            env: Vec::new(),
        }
    }

    /// Environment for the lab's processes (set before `up`).
    pub fn env(mut self, k: &str, v: &str) -> Lab {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn lab_dir(&self) -> LabDir {
        LabDir::new(self.dir.path().join("lab"))
    }

    pub fn pvmlab(&self, args: &[&str]) -> Output {
        let mut c = Command::new(self.bins.join("pvmlab"));
        c.arg("--lab").arg(self.lab_dir().root()).args(args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.output().expect("run pvmlab")
    }

    /// An HMC command line run on `hmc` (`pvmlab hmc`): what it printed,
    /// standard output then error, and its exit status.
    pub fn hmc(&self, hmc: &str, line: &str) -> (String, i32) {
        let out = self.pvmlab(&["hmc", hmc, "--", line]);
        let mut s = text(&out.stdout);
        s.push_str(&text(&out.stderr));
        (s, out.status.code().unwrap_or(-1))
    }

    /// What `node` serves at GET /metrics (Prometheus text).
    pub fn metrics(&self, node: &str) -> String {
        use std::io::{Read, Write};
        let n = self.topo.node(node).expect("node");
        let mut s = std::net::TcpStream::connect((n.address.as_str(), self.topo.lab.metrics_port))
            .expect("metrics port");
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        s.write_all(b"GET /metrics HTTP/1.0\r\nHost: pvmlab\r\n\r\n")
            .expect("request");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or(out)
    }

    /// Runs `line` on hmc1 until its output satisfies `done`, for up to
    /// `secs`; returns the last output.
    pub fn wait_for(&self, line: &str, done: impl Fn(&str) -> bool, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let (out, _) = self.hmc("hmc1", line);
            if done(&out) || Instant::now() > deadline {
                return out;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Makes migrating the default lab's aix72a from sys2 to sys3 take
    /// seconds: `mb` written, then rewritten at `rate` MB/s (`pattern`),
    /// and the MSP link between the frames shaped to 20 MB/s.
    pub fn slow_copy(&self, mb: &str, rate: &str, pattern: &str) {
        for (fill, args) in [
            (
                true,
                [
                    "--rate",
                    "2000",
                    "--working-set",
                    mb,
                    "--pattern",
                    "sequential",
                ],
            ),
            (
                false,
                ["--rate", rate, "--working-set", mb, "--pattern", pattern],
            ),
        ] {
            let mut a = vec!["workload", "sys2", "aix72a"];
            a.extend_from_slice(&args);
            assert!(self.pvmlab(&a).status.success());
            std::thread::sleep(Duration::from_millis(if fill { 1500 } else { 300 }));
        }
        self.msp_link(&["--kind", "bandwidth", "--rate", "160mbit"]);
    }

    /// A fault on the MSP link between sys2 and sys3, at both ends.
    pub fn msp_link(&self, fault: &[&str]) {
        let mut a = vec!["fault", "link", "add", "sys2-vios1", "sys3-vios1"];
        a.extend_from_slice(fault);
        let out = self.pvmlab(&a);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }

    /// The MSP link between sys2 and sys3 without faults again.
    pub fn heal_msp_link(&self) {
        let out = self.pvmlab(&["fault", "link", "clear", "sys2-vios1", "sys3-vios1"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }

    /// `pvmlab up --detach` with this lab's topology; panics with the output
    /// if it fails. Returns how long it took.
    pub fn up(&self) -> Duration {
        let t = Instant::now();
        let out = self.pvmlab(&[
            "up",
            "--detach",
            "--topology",
            self.topology_file.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "pvmlab up failed:\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        t.elapsed()
    }

    pub fn pid(&self, node: &str) -> i32 {
        std::fs::read_to_string(self.lab_dir().pid(node))
            .expect("pid file")
            .trim()
            .parse()
            .expect("pid")
    }

    pub fn log(&self, node: &str) -> String {
        std::fs::read_to_string(self.lab_dir().log(node)).unwrap_or_default()
    }

    pub fn controller(&self) -> Identity {
        Identity::load(&self.lab_dir(), CONTROLLER_NODE).expect("controller certificate")
    }

    /// What one HMC sees now, over its gRPC API.
    pub async fn view(&self, hmc: &str) -> anyhow::Result<ViewReply> {
        let node = self.topo.node(hmc).expect("hmc in topology");
        let mut c = HmcClient::new(self.controller().channel(&node.name, &node.endpoint())?)
            .max_decoding_message_size(pvmlab_common::net::MAX_VIEW_MESSAGE);
        Ok(c.view(ViewRequest {}).await?.into_inner())
    }

    /// What the SAN holds as the device `lun` (a reserved storage device),
    /// read as the controller may.
    pub async fn san_device(&self, lun: &str) -> anyhow::Result<Vec<u8>> {
        use pvmlab_common::proto::san::{DeviceRequest, san_client::SanClient};
        let node = self
            .topo
            .node(pvmlab_common::topology::SAN_NODE)
            .expect("san in topology");
        let mut c = SanClient::new(self.controller().channel(&node.name, &node.endpoint())?);
        let r = c
            .device(DeviceRequest {
                lun_id: lun.into(),
                write: false,
                data: Vec::new(),
            })
            .await?
            .into_inner();
        anyhow::ensure!(
            r.refused == 0,
            "the SAN refused to read {lun}: {}",
            r.refused
        );
        Ok(r.data)
    }

    /// Waits until `f` holds for what every HMC sees, or fails after `limit`.
    pub async fn wait_views(
        &self,
        limit: Duration,
        what: &str,
        f: impl Fn(&ViewReply) -> bool,
    ) -> Duration {
        let t = Instant::now();
        loop {
            let mut all = true;
            for h in &self.topo.hmc {
                match self.view(h.name.get_ref()).await {
                    Ok(v) if f(&v) => {}
                    _ => all = false,
                }
            }
            if all {
                return t.elapsed();
            }
            assert!(t.elapsed() < limit, "not within {limit:?}: {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if self.lab_dir().topology().exists() {
            let _ = self.pvmlab(&["down"]);
        }
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a Python program as the REST tests' clients run: logging and
/// warnings quiet, and no CA bundle from the environment (the clients turn
/// certificate checks off, and requests would put them back). Returns
/// stdout and stderr together, and whether it succeeded.
pub fn python(code: &str) -> (String, bool) {
    let prog = format!(
        "import logging, warnings\nlogging.disable(logging.CRITICAL)\nwarnings.simplefilter('ignore')\n{code}\n"
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &prog])
        .env_remove("REQUESTS_CA_BUNDLE")
        .env_remove("CURL_CA_BUNDLE")
        .output()
        .expect("python3 runs");
    let mut s = text(&out.stdout);
    s.push_str(&text(&out.stderr));
    (s, out.status.success())
}
