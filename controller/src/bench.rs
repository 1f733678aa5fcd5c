//! `pvmlab bench ssh`: the round trip of an SSH exec of
//! `lssyscfg -r lpar -m <frame>` against an HMC whose frame holds 100
//! partitions, and, measured in the same run with the same client, an SSH
//! exec of `true` against this machine's own OpenSSH server as the baseline.
//! Both use OpenSSH's `ssh` with a key, as Ansible and scripts do.

use crate::client::Clients;
use crate::launcher;
use anyhow::{Context, bail};
use pvmlab_common::lab::LabDir;
use pvmlab_common::topology::Topology;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SUBNET: &str = "127.45.0";

/// One HMC and one frame with 2 VIOS and 98 small client partitions.
fn topology() -> String {
    let mut t = format!(
        "[lab]\nname = \"bench\"\n\n[[hmc]]\nname = \"hmc1\"\naddress = \"{SUBNET}.11\"\n\n\
         [[frame]]\nname = \"big\"\nmtms = \"9009-42A*7830C0A\"\nproc_generation = \"POWER9\"\n\
         compat_modes = [\"default\", \"POWER8\", \"POWER9\"]\nmemory_mb = 262144\nprocessors = 32\n\
         firmware = \"VL950_099\"\nmanaged_by = [\"hmc1\"]\npassword = \"abc123\"\naddress = \"{SUBNET}.21\"\n"
    );
    for v in 1..=2 {
        t.push_str(&format!(
            "\n[[frame.vios]]\nid = {v}\nname = \"vios{v}\"\naddress = \"{SUBNET}.3{v}\"\nmsp = true\n\
             [[frame.vios.profile]]\nname = \"default_profile\"\nmin_mem = 2048\ndesired_mem = 4096\nmax_mem = 8192\n\
             min_proc_units = 0.5\ndesired_proc_units = 1.0\nmax_proc_units = 2.0\nmin_procs = 1\ndesired_procs = 2\nmax_procs = 4\n\
             max_virtual_slots = 200\nauto_start = 1\n"
        ));
    }
    for id in 3..=100 {
        t.push_str(&format!(
            "\n[[frame.lpar]]\nid = {id}\nname = \"lpar{id:03}\"\nos_version = \"AIX 7.3 7300-02-01-2346\"\n\
             [[frame.lpar.profile]]\nname = \"default_profile\"\nmin_mem = 1024\ndesired_mem = 2048\nmax_mem = 4096\n\
             min_proc_units = 0.1\ndesired_proc_units = 0.1\nmax_proc_units = 1.0\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 2\n\
             \"virtual_eth_adapters\" = [\"2/0/1//0/0/ETHERNET0//all/none\"]\nauto_start = 1\n"
        ));
    }
    t
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

struct Sshd(Child);

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// This machine's OpenSSH server, on a loopback port of its own, accepting
/// only the benchmark's key.
fn start_sshd(dir: &Path, pubkey: &str, port: u16) -> anyhow::Result<Sshd> {
    let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(sshd) = sshd else {
        bail!("no OpenSSH server (sshd) on this machine for the baseline: install openssh-server");
    };
    let host_key = dir.join("sshd_host_key");
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&host_key))?;
    std::fs::write(dir.join("authorized_keys"), pubkey)?;
    let _ = std::fs::create_dir_all("/run/sshd");
    let cfg = dir.join("sshd_config");
    std::fs::write(
        &cfg,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPermitRootLogin yes\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nPidFile {}\n",
            host_key.display(),
            dir.join("authorized_keys").display(),
            dir.join("sshd.pid").display()
        ),
    )?;
    let child = Command::new(sshd)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(&cfg)
        .stderr(Stdio::null())
        .spawn()
        .context("starting sshd")?;
    let guard = Sshd(child);
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("sshd did not start listening on 127.0.0.1:{port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(guard)
}

pub(crate) fn run(c: &mut Command) -> anyhow::Result<String> {
    let out = c.output().with_context(|| format!("running {c:?}"))?;
    if !out.status.success() {
        bail!("{c:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub(crate) fn ssh(key: &Path, port: u16, target: &str, cmd: &str) -> Command {
    let mut c = Command::new("ssh");
    c.arg("-i").arg(key).args([
        "-p",
        &port.to_string(),
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        target,
        cmd,
    ]);
    c
}

pub(crate) fn time(c: &mut Command) -> anyhow::Result<(Duration, String)> {
    let t = Instant::now();
    let out = run(c)?;
    Ok((t.elapsed(), out))
}

pub(crate) struct Stats {
    pub median: f64,
    p90: f64,
    min: f64,
    max: f64,
}

pub(crate) fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Stats {
        median: ms(v[v.len() / 2]),
        p90: ms(v[(v.len() * 9 / 10).min(v.len() - 1)]),
        min: ms(v[0]),
        max: ms(v[v.len() - 1]),
    }
}

pub fn ssh_bench(runs: usize) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("pvmlab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let result = bench_in(&tmp, runs.max(5));
    let _ = launcher::down(&LabDir::new(tmp.join("lab")));
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn bench_in(tmp: &Path, runs: usize) -> anyhow::Result<()> {
    let lab = LabDir::new(tmp.join("lab"));
    let topo_file = tmp.join("bench.toml");
    std::fs::write(&topo_file, topology())?;
    let topo = Topology::load(&topo_file)?;
    println!("bringing up a lab with one frame of 100 partitions ...");
    launcher::up_quiet(&lab, Some(&topo_file), 60)?;
    let key = tmp.join("id_ed25519");
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "bench@pvmlab", "-f"])
        .arg(&key))?;
    let pubkey = std::fs::read_to_string(key.with_extension("pub"))?;
    let hmc = topo.node("hmc1").context("hmc1")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let added = rt.block_on(Clients::new(&lab)?.run(
        &hmc,
        "hscroot",
        &format!("mkauthkeys --add '{}'", pubkey.trim()),
    ))?;
    if added.exit_status != 0 {
        bail!("mkauthkeys failed: {}", added.output);
    }
    let port = free_port()?;
    let _sshd = start_sshd(tmp, &pubkey, port)?;
    let me = run(&mut Command::new("id").arg("-un"))?.trim().to_string();
    let hmc_target = format!("hscroot@{}", hmc.address);
    let list = "lssyscfg -r lpar -m big";
    let (_, out) = time(&mut ssh(&key, topo.lab.ssh_port, &hmc_target, list))?;
    let lines = out.lines().count();
    if lines != 100 {
        bail!("expected 100 partitions, got {lines} lines");
    }
    // Warm up both, then interleave so drift hits both alike.
    for _ in 0..3 {
        time(&mut ssh(&key, port, &format!("{me}@127.0.0.1"), "true"))?;
        time(&mut ssh(&key, topo.lab.ssh_port, &hmc_target, list))?;
    }
    let (mut base, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        base.push(time(&mut ssh(&key, port, &format!("{me}@127.0.0.1"), "true"))?.0);
        ours.push(time(&mut ssh(&key, topo.lab.ssh_port, &hmc_target, list))?.0);
    }
    let (b, o) = (stats(base), stats(ours));
    println!("\nSSH exec round trip, OpenSSH client with a key, {runs} runs each, loopback:");
    println!(
        "{:<58} {:>9} {:>9} {:>9} {:>9}",
        "", "median", "p90", "min", "max"
    );
    println!(
        "{:<58} {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.1}ms",
        "pvm-hmc: lssyscfg -r lpar -m big (100 partitions, 100 lines)",
        o.median,
        o.p90,
        o.min,
        o.max
    );
    println!(
        "{:<58} {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.1}ms",
        "baseline: OpenSSH sshd on this machine: true", b.median, b.p90, b.min, b.max
    );
    println!(
        "\ngoal: median <= 30 ms: {}",
        if o.median <= 30.0 { "met" } else { "NOT met" }
    );
    Ok(())
}
