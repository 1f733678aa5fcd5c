//! `pvmlab bench lpm`: active migrations of partitions of 1, 4 and 16 GiB
//! whose workload dirties 0, 20 and 100 MB/s, each driven through the HMC
//! (`migrlpar -o m -v`) between two frames of a lab of its own; and, in
//! the same run, the throughput of one raw rustls stream over loopback
//! with the lab's certificates, the baseline that the mover path (FSP
//! memory through the VASI window, one mTLS stream MSP to MSP, the other
//! FSP's memory) is measured against; and the floor, the least any mover
//! must do on this machine (the same stream, with the pages checked,
//! hashed and written into new memory at the far end, in one process),
//! which tells the mover path's own cost from this machine's.

use crate::client::Clients;
use crate::launcher;
use anyhow::{Context, bail};
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::Workload;
use pvmlab_common::net::Identity;
use pvmlab_common::proto::fsp::{GetWorkloadRequest, SetWorkloadRequest};
use pvmlab_common::topology::Topology;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SUBNET: &str = "127.46.0";

fn topology(sizes: &[u64]) -> String {
    let mut t = format!(
        "[lab]\nname = \"benchlpm\"\n\n[[hmc]]\nname = \"hmc1\"\naddress = \"{SUBNET}.11\"\n"
    );
    for (i, f) in ["fa", "fb"].iter().enumerate() {
        t.push_str(&format!(
            "\n[[frame]]\nname = \"{f}\"\nmtms = \"8286-42A*21B00{i}V\"\nproc_generation = \"POWER8\"\n\
             compat_modes = [\"default\", \"POWER7\", \"POWER8\"]\nmemory_mb = 131072\nprocessors = 32\n\
             firmware = \"SV860_180\"\ncapabilities = [\"active_lpar_mobility_capable\", \"inactive_lpar_mobility_capable\"]\n\
             managed_by = [\"hmc1\"]\npassword = \"abc123\"\naddress = \"{SUBNET}.2{i}\"\n\
             \n[[frame.vios]]\nid = 1\nname = \"vios1\"\naddress = \"{SUBNET}.3{i}\"\nmsp = true\n\
             [[frame.vios.profile]]\nname = \"default_profile\"\nmin_mem = 2048\ndesired_mem = 4096\nmax_mem = 8192\n\
             min_proc_units = 0.5\ndesired_proc_units = 1.0\nmax_proc_units = 2.0\nmin_procs = 1\ndesired_procs = 2\nmax_procs = 4\n\
             max_virtual_slots = 200\nauto_start = 1\n\
             [[frame.vios.sea]]\nname = \"ent5\"\nreal_adapter = \"ent0\"\nvirt_adapters = [\"ent2\"]\npvid = 1\nvlans = [1]\n"
        ));
        if i == 0 {
            for (n, gib) in sizes.iter().enumerate() {
                let mb = gib * 1024;
                t.push_str(&format!(
                    "\n[[frame.lpar]]\nid = {}\nname = \"m{gib}\"\nos_version = \"AIX 7.3 7300-02-01-2346\"\n\
                     [[frame.lpar.profile]]\nname = \"default_profile\"\nmin_mem = 1024\ndesired_mem = {mb}\nmax_mem = {mb}\n\
                     min_proc_units = 0.1\ndesired_proc_units = 0.5\nmax_proc_units = 1.0\nmin_procs = 1\ndesired_procs = 1\nmax_procs = 2\n\
                     \"virtual_eth_adapters\" = [\"2/0/1//0/0/ETHERNET0//all/none\"]\nauto_start = 1\n",
                    n + 2
                ));
            }
        }
    }
    t
}

pub fn lpm_bench(
    sizes: &[u64],
    rates: &[f64],
    runs: usize,
    shape: Option<u64>,
) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("pvmlab-bench-lpm-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let result = bench_in(&tmp, sizes, rates, runs.max(1), shape);
    let _ = launcher::down(&LabDir::new(tmp.join("lab")));
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// The memory a partition's workload has written before the migration:
/// a quarter of it, at most 2 GiB, so that both copies of the largest fit
/// this machine beside everything else.
fn written_mb(gib: u64) -> u64 {
    (gib * 1024 / 4).min(2048)
}

pub(crate) fn rss_kb(pid: i32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds (user and system) a process has used so far.
pub(crate) fn cpu_s(pid: i32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // The fields after the command name, which may hold spaces.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// The CPU seconds of each of the lab's nodes so far.
fn cpu_by_node(lab: &LabDir) -> Vec<(&'static str, f64)> {
    NODES
        .iter()
        .map(|n| (*n, launcher::running_pid(lab, n).map_or(0.0, cpu_s)))
        .collect()
}

const NODES: [&str; 5] = ["hmc1", "fa", "fb", "fa-vios1", "fb-vios1"];

fn field<'a>(rec: &'a str, k: &str) -> &'a str {
    rec.trim()
        .split(',')
        .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
        .unwrap_or("")
}

/// Sets the workload's rate, keeping what it writes over.
fn set_rate(
    rt: &tokio::runtime::Runtime,
    clients: &Clients,
    topo: &Topology,
    frame: &str,
    lpar: &str,
    rate: f64,
) -> anyhow::Result<()> {
    let node = topo.node(frame).context("frame")?;
    rt.block_on(async {
        let mut fsp = clients.fsp(&node).await?;
        let now = fsp
            .get_workload(GetWorkloadRequest {
                lpar_name: lpar.into(),
                digest: false,
            })
            .await?
            .into_inner();
        let mut w = now.workload.unwrap_or_default();
        w.rate_mb_s = rate;
        fsp.set_workload(SetWorkloadRequest {
            lpar_name: lpar.into(),
            workload: Some(w),
        })
        .await?;
        anyhow::Ok(())
    })
}

/// One migration's figures, as `migrlpar -v` printed them.
struct Outcome {
    passes: String,
    total_ms: f64,
    downtime_ms: f64,
    /// Page bytes moved over the whole migration time, MB/s.
    goodput: f64,
    /// The same over the mover's own time (first page to completion).
    copy_rate: f64,
    integrity: String,
}

/// Moves `lpar` to the other frame through the HMC; `at` says where it is.
fn migrate(
    rt: &tokio::runtime::Runtime,
    clients: &Clients,
    hmc: &pvmlab_common::topology::NodeDef,
    at: &mut std::collections::HashMap<String, &'static str>,
    lpar: &str,
) -> anyhow::Result<Outcome> {
    let from = at.get(lpar).copied().unwrap_or("fa");
    let to = if from == "fa" { "fb" } else { "fa" };
    let line = format!("migrlpar -o m -m {from} -t {to} -p {lpar} -v");
    let out = rt.block_on(clients.run(hmc, "hscroot", &line))?;
    if out.exit_status != 0 {
        bail!("{line}: {}", out.output);
    }
    at.insert(lpar.to_string(), to);
    let o = &out.output;
    let total_ms: f64 = field(o, "total_ms").parse().unwrap_or(0.0);
    let bytes: f64 = field(o, "bytes_transmitted").parse().unwrap_or(0.0);
    Ok(Outcome {
        passes: field(o, "passes").to_string(),
        total_ms,
        downtime_ms: field(o, "downtime_us").parse::<f64>().unwrap_or(0.0) / 1000.0,
        goodput: bytes / 1e6 / (total_ms / 1000.0).max(1e-6),
        copy_rate: field(o, "throughput_mb_s").parse().unwrap_or(0.0),
        integrity: field(o, "memory_integrity").to_string(),
    })
}

fn bench_in(
    tmp: &Path,
    sizes: &[u64],
    rates: &[f64],
    runs: usize,
    shape: Option<u64>,
) -> anyhow::Result<()> {
    let lab = LabDir::new(tmp.join("lab"));
    let topo_file = tmp.join("bench.toml");
    std::fs::write(&topo_file, topology(sizes))?;
    let topo = Topology::load(&topo_file)?;
    println!("bringing up a lab with two frames ...");
    launcher::up_quiet(&lab, Some(&topo_file), 60)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // This machine's loopback throughput wanders from one second to the
    // next (one run here: 545 to 1227 MB/s within minutes): the median of
    // three.
    let mut runs_mb_s = Vec::new();
    let me = std::process::id() as i32;
    let cpu0 = cpu_s(me);
    for _ in 0..3 {
        runs_mb_s.push(rt.block_on(raw_tls(&lab, "fa", "fb"))?);
    }
    let raw_cpu = (cpu_s(me) - cpu0) / 3.0;
    runs_mb_s.sort_by(|a, b| a.total_cmp(b));
    let baseline = runs_mb_s[1];
    println!(
        "baseline: one raw rustls stream over loopback (lab certificates): {baseline:.0} MB/s (median of {:.0}, {:.0}, {:.0}); {raw_cpu:.2} CPU seconds per GiB, both ends\n",
        runs_mb_s[0], runs_mb_s[1], runs_mb_s[2]
    );
    // What any mover must do, in one process: the part of the gap to the
    // raw stream that is this machine's and not the mover path's.
    let mut floor_runs = Vec::new();
    for _ in 0..3 {
        floor_runs.push(rt.block_on(floor_tls(&lab))?);
    }
    let fl: Vec<String> = floor_runs
        .iter()
        .map(|(mb_s, cpu)| format!("{mb_s:.0} MB/s {cpu:.2} CPU s"))
        .collect();
    floor_runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let floor = floor_runs[1].0;
    println!(
        "floor: the least a mover must do, in one process (1 GiB of written pages read from one memfd,\n\
         each checked for zeros and hashed, one rustls stream, pwrite into a new memfd and hashed there):\n\
         {floor:.0} MB/s = {:.2} x raw (median of {}; CPU seconds per GiB, both ends)\n",
        floor / baseline,
        fl.join(", ")
    );
    let clients = Clients::new(&lab)?;
    let hmc = topo.node("hmc1").context("hmc1")?;
    let mut at = std::collections::HashMap::new();
    println!(
        "{:>5} {:>7} {:>8} {:>6} {:>9} {:>11} {:>9} {:>6} {:>7} {:>9} {:>9} {:>20} {:>9}",
        "GiB",
        "MB/s",
        "written",
        "passes",
        "total_ms",
        "downtime_ms",
        "goodput",
        "x raw",
        "x floor",
        "copy_MB/s",
        "digest",
        "rss-held=MiB",
        "peak_MiB"
    );
    let mut downtimes = Vec::new();
    let mut cpu_lines = Vec::new();
    for gib in sizes {
        let lpar = format!("m{gib}");
        for rate in rates.iter().flat_map(|r| std::iter::repeat_n(r, runs)) {
            let from = at.get(&lpar).copied().unwrap_or("fa");
            let to = if from == "fa" { "fb" } else { "fa" };
            let fnode = topo.node(from).context("frame")?;
            let written = written_mb(*gib);
            // Fill the working set, then let the workload run at the rate.
            rt.block_on(async {
                let mut fsp = clients.fsp(&fnode).await?;
                let set = |rate_mb_s: f64, pattern: &str| SetWorkloadRequest {
                    lpar_name: lpar.clone(),
                    workload: Some(Workload {
                        rate_mb_s,
                        working_set_mb: written,
                        pattern: pattern.into(),
                        ..Default::default()
                    }),
                };
                fsp.set_workload(set(4000.0, "sequential")).await?;
                let deadline = Instant::now() + Duration::from_secs(120);
                loop {
                    let st = fsp
                        .get_workload(GetWorkloadRequest {
                            lpar_name: lpar.clone(),
                            digest: false,
                        })
                        .await?
                        .into_inner();
                    if st.resident_pages >= written * 256 || Instant::now() > deadline {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                fsp.set_workload(set(*rate, "uniform")).await?;
                tokio::time::sleep(Duration::from_millis(300)).await;
                anyhow::Ok(())
            })?;
            let cpu0 = cpu_by_node(&lab);
            let m = migrate(&rt, &clients, &hmc, &mut at, &lpar)?;
            let cpu: Vec<String> = cpu_by_node(&lab)
                .iter()
                .zip(&cpu0)
                .map(|((n, b), (_, a))| format!("{n}={:.2}", b - a))
                .collect();
            cpu_lines.push(format!("{gib:>5} {rate:>7}  {}", cpu.join(" ")));
            let fsp_pid = launcher::running_pid(&lab, to).unwrap_or(0);
            let peak = rss_kb(fsp_pid, "VmHWM:") / 1024;
            let rss = rss_kb(fsp_pid, "VmRSS:") / 1024;
            // What the partitions now on that frame have written.
            let held = rt.block_on(async {
                let node = topo.node(to).context("frame")?;
                let mut fsp = clients.fsp(&node).await?;
                let mut pages = 0;
                for (l, _) in at.iter().filter(|(_, f)| **f == to) {
                    let req = GetWorkloadRequest {
                        lpar_name: l.clone(),
                        digest: false,
                    };
                    if let Ok(w) = fsp.get_workload(req).await {
                        pages += w.into_inner().resident_pages;
                    }
                }
                anyhow::Ok(pages * 4096 / (1 << 20))
            })?;
            if *gib == 4 && (*rate - 20.0).abs() < 1e-9 {
                downtimes.push(m.downtime_ms);
            }
            println!(
                "{:>5} {:>7} {:>8} {:>6} {:>9.0} {:>11.1} {:>9.1} {:>6.2} {:>7.2} {:>9.1} {:>9} {:>20} {:>9}",
                gib,
                rate,
                format!("{written}M"),
                m.passes,
                m.total_ms,
                m.downtime_ms,
                m.goodput,
                m.goodput / baseline,
                m.goodput / floor,
                m.copy_rate,
                m.integrity,
                format!("{rss}-{held}={}", rss as i64 - held as i64),
                peak
            );
        }
    }
    println!(
        "\nCPU seconds each node used during each migration (2 cores here):\n{}",
        cpu_lines.join("\n")
    );
    // The same over a mover link shaped to `shape` bytes/s.
    if let Some(rate) = shape {
        crate::fault::run(
            &lab,
            crate::fault::FaultCmd::Add {
                node: "fa-vios1".into(),
                peer: "fb-vios1".into(),
                spec: crate::fault::Spec::bandwidth(rate, "bench"),
                link: true,
            },
        )?;
        let shaped = rate as f64 / 1e6;
        println!("\nover the MSP-to-MSP link shaped to {shaped:.0} MB/s:");
        for gib in sizes.iter().filter(|g| **g == 4) {
            let lpar = format!("m{gib}");
            for r in [0.0, 20.0] {
                let from = at.get(&lpar).copied().unwrap_or("fa");
                set_rate(&rt, &clients, &topo, from, &lpar, r)?;
                let m = migrate(&rt, &clients, &hmc, &mut at, &lpar)?;
                println!(
                    "{gib:>5} GiB at {r:>3} MB/s: {:.1} MB/s = {:.0} % of the shaped rate (passes {}, downtime {:.1} ms, digest {})",
                    m.goodput,
                    m.goodput / shaped * 100.0,
                    m.passes,
                    m.downtime_ms,
                    m.integrity
                );
            }
        }
    }
    if !downtimes.is_empty() {
        downtimes.sort_by(|a, b| a.total_cmp(b));
        let n = downtimes.len();
        println!(
            "\n4 GiB at 20 MB/s over {n} runs: downtime median {:.1} ms, max {:.1} ms",
            (downtimes[(n - 1) / 2] + downtimes[n / 2]) / 2.0,
            downtimes[downtimes.len() - 1]
        );
    }
    // Last, so that the memory it touches and frees does not warm the
    // destinations above.
    let touch: Vec<String> = first_touch_s(4).iter().map(|s| format!("{s:.2}")).collect();
    println!(
        "\nthis machine: first touch of new memory, four GiB one after the other: {} s\n\
         (memory the system freed moments ago is quick to give again; memory a VM's host must back\n\
         first is not, and a destination's pages are the one or the other: see the destination MSP's\n\
         CPU seconds above)",
        touch.join(", ")
    );
    println!(
        "\ngoodput = page bytes moved / whole migration time (validation to completion), MB/s;\n\
         copy_MB/s = the same over the source MSP's own time (its first page to completion);\n\
         x floor = goodput / the floor's median: what the mover path (four processes, gRPC, VASI)\n\
         costs beyond the least any mover must do on this machine;\n\
         downtime = the partition's own heartbeat gap across suspend and resume;\n\
         rss-held = the destination pvm-fsp's resident memory after the migration, less the pages its\n         partitions have written (the goal: at most 64 MiB); peak = its highest resident memory so far."
    );
    Ok(())
}

/// Seconds to write one byte in each page of fresh anonymous memory,
/// GiB after GiB of `gib`: what the kernel (and, in a VM, the host)
/// spends giving a process new pages. In a VM this varies with what the
/// guest has touched and freed lately, and the destination of each
/// migration pays it per page.
fn first_touch_s(gib: usize) -> Vec<f64> {
    use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
    const GIB: usize = 1 << 30;
    let len = gib * GIB;
    let Some(nz) = std::num::NonZeroUsize::new(len) else {
        return Vec::new();
    };
    // SAFETY: a private anonymous mapping of our own, unmapped below.
    let Ok(p) = (unsafe {
        mmap_anonymous(
            None,
            nz,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_PRIVATE | MapFlags::MAP_NORESERVE,
        )
    }) else {
        return Vec::new();
    };
    let base = p.as_ptr().cast::<u8>();
    let secs = (0..gib)
        .map(|g| {
            let t = Instant::now();
            for off in (g * GIB..(g + 1) * GIB).step_by(4096) {
                // SAFETY: inside the mapping.
                unsafe { base.add(off).write_volatile(1) };
            }
            t.elapsed().as_secs_f64()
        })
        .collect();
    // SAFETY: the mapping made above, with its length.
    let _ = unsafe { munmap(p, len) };
    secs
}

/// Both ends of one mutual-TLS connection over loopback, with the lab's
/// certificates and the rustls configuration the nodes use.
async fn tls_pair(
    lab: &LabDir,
    server_node: &str,
    client_node: &str,
) -> anyhow::Result<(
    tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
)> {
    let acceptor =
        tokio_rustls::TlsAcceptor::from(Identity::load(lab, server_node)?.server_config()?);
    let connector =
        tokio_rustls::TlsConnector::from(Identity::load(lab, client_node)?.client_config()?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    server.set_nodelay(true)?;
    client.set_nodelay(true)?;
    let name = rustls::pki_types::ServerName::try_from(server_node.to_string())?;
    let (s, c) = tokio::join!(acceptor.accept(server), connector.connect(name, client));
    Ok((s?, c?))
}

/// One mutual-TLS stream over loopback with the certificates of two of the
/// lab's nodes, 1 GiB in 256 KiB writes: MB/s.
pub(crate) async fn raw_tls(lab: &LabDir, server: &str, client: &str) -> anyhow::Result<f64> {
    let (mut stls, mut tls) = tls_pair(lab, server, client).await?;
    let total: u64 = 1 << 30;
    let server = tokio::spawn(async move {
        let tls = &mut stls;
        let mut buf = vec![0u8; 256 * 1024];
        let mut n = 0u64;
        while n < total {
            let r = tls.read(&mut buf).await?;
            if r == 0 {
                break;
            }
            n += r as u64;
        }
        anyhow::Ok(n)
    });
    let chunk = vec![7u8; 256 * 1024];
    let t0 = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        tls.write_all(&chunk).await?;
        sent += chunk.len() as u64;
    }
    tls.flush().await?;
    let got = server.await??;
    let secs = t0.elapsed().as_secs_f64();
    Ok(got as f64 / 1e6 / secs)
}

/// The least a mover must do, in one process and with nothing of the
/// mover path: 1 GiB of pages read from a memfd that a workload has
/// written (each checked for zeros and hashed, as the source's hypervisor
/// and MSP do), one mutual-TLS stream over loopback in runs of 256 pages,
/// each run written with one pwrite into a new memfd (the destination's
/// shell) and every page hashed there (as the destination's hypervisor
/// does). Page bytes per second over the copy, and the CPU seconds per
/// GiB it took at both ends.
async fn floor_tls(lab: &LabDir) -> anyhow::Result<(f64, f64)> {
    use pvmlab_common::window::{self, Mapping, PAGE};
    use xxhash_rust::xxh3::xxh3_128;
    const RUN: usize = 256;
    let npages: u64 = (1 << 30) / PAGE as u64;
    let src = Mapping::create(npages)?;
    // A workload's pages: a few bytes in each, where it wrote them.
    for p in 0..npages {
        let at = src.page_ptr(p).context("page")?;
        // SAFETY: a byte inside page p of the mapping, which src holds.
        unsafe { *at.add((p as usize * 8) % PAGE) = 1 + (p % 251) as u8 };
    }
    let dst = std::fs::File::from(Mapping::create(npages)?.fd().try_clone_to_owned()?);
    let (mut stls, mut tls) = tls_pair(lab, "fa", "fb").await?;
    let server = tokio::spawn(async move {
        let tls = &mut stls;
        let mut buf = vec![0u8; RUN * PAGE];
        let (mut bytes, mut digest) = (0u64, 0u128);
        loop {
            // A run: its first page and its length; a length of 0 ends.
            let first = tls.read_u64_le().await?;
            let n = tls.read_u32_le().await? as usize;
            if n == 0 || n > RUN {
                break;
            }
            let run = &mut buf[..n * PAGE];
            tls.read_exact(run).await?;
            window::write_pages(&dst, first, &[run])?;
            for page in run.chunks(PAGE) {
                digest ^= xxh3_128(page);
            }
            bytes += run.len() as u64;
        }
        anyhow::Ok((bytes, digest))
    });
    let me = std::process::id() as i32;
    let (t0, cpu0) = (Instant::now(), cpu_s(me));
    let mut digest = 0u128;
    for first in (0..npages).step_by(RUN) {
        let ptr = src.page_ptr(first).context("page")?;
        // SAFETY: RUN whole pages of the mapping from `first` on (npages
        // is a multiple of RUN), which src holds; only this task reads them.
        let run = unsafe { std::slice::from_raw_parts(ptr, RUN * PAGE) };
        // The pages that hold data, in runs of their own.
        let mut at = 0;
        while at < RUN {
            let start = at;
            while at < RUN && !window::is_zero(&run[at * PAGE..(at + 1) * PAGE]) {
                digest ^= xxh3_128(&run[at * PAGE..(at + 1) * PAGE]);
                at += 1;
            }
            if at > start {
                tls.write_u64_le(first + start as u64).await?;
                tls.write_u32_le((at - start) as u32).await?;
                tls.write_all(&run[start * PAGE..at * PAGE]).await?;
            }
            at += 1;
        }
    }
    tls.write_u64_le(0).await?;
    tls.write_u32_le(0).await?;
    tls.flush().await?;
    let (bytes, received) = server.await??;
    let (secs, cpu) = (t0.elapsed().as_secs_f64(), cpu_s(me) - cpu0);
    anyhow::ensure!(received == digest, "the floor's copy arrived wrong");
    Ok((
        bytes as f64 / 1e6 / secs,
        cpu * (1u64 << 30) as f64 / bytes as f64,
    ))
}
