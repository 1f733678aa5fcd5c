//! `pvmlab bench scale`: a generated site (by default 64 frames, 128 VIOS
//! and 10,000 idle partitions) against the default lab, measured the same
//! way in the same run: time to ready, idle CPU of the whole lab, resident
//! memory of each kind of node, `lssyscfg -r lpar` over SSH on the biggest
//! frame, the REST LogicalPartition feed of every partition, `pvmlab
//! status`, and one active migration.

use crate::bench::{run, ssh, stats, time};
use crate::bench_lpm::{cpu_s, rss_kb};
use crate::client::Clients;
use crate::launcher;
use anyhow::{Context, bail};
use pvmlab_common::lab::LabDir;
use pvmlab_common::labs::site::{SiteSpec, site};
use pvmlab_common::model::{PartitionExt as _, Role};
use pvmlab_common::topology::{DEFAULT_LAB, Topology};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BASE_SUBNET: &str = "127.47.0";
const SITE_SUBNET: &str = "127.48";

pub struct Options {
    pub frames: usize,
    pub lpars: usize,
    pub idle_secs: u64,
    pub timeout: u64,
}

/// What one lab measured.
struct Figures {
    frames: usize,
    vios: usize,
    lpars: usize,
    ready_s: f64,
    idle_pct: f64,
    /// Median and largest resident memory, MiB, by role.
    rss: Vec<(&'static str, f64, f64)>,
    biggest: (String, usize),
    ssh_ms: f64,
    rest_s: f64,
    rest_entries: usize,
    status_s: f64,
    migrate_s: f64,
}

pub fn run_bench(o: Options) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("pvmlab-bench-scale-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let result = (|| {
        let base_text = DEFAULT_LAB.replace("\"127.42.0.", &format!("\"{BASE_SUBNET}."));
        println!("baseline: the default lab ...");
        let base = measure(
            &tmp.join("base"),
            &base_text,
            &o,
            ("sys2", "aix72a", "sys3"),
        )?;
        let text = site(&SiteSpec {
            frames: o.frames,
            lpars: o.lpars,
            idle: true,
            subnet: SITE_SUBNET.into(),
            ..Default::default()
        })?;
        let topo = Topology::parse("site", &text)?;
        let mig = site_migration(&topo)
            .context("no partition of the site's first frame can move to its second")?;
        println!("the site: {} frames, {} partitions ...", o.frames, o.lpars);
        let big = measure(&tmp.join("site"), &text, &o, (&mig.0, &mig.1, &mig.2))?;
        report(&base, &big, &o);
        Ok(())
    })();
    for which in ["base", "site"] {
        let _ = launcher::down(&LabDir::new(tmp.join(which).join("lab")));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// The smallest running client of the site's first frame whose processor
/// mode the second frame (of the same SAN group) runs.
fn site_migration(t: &Topology) -> Option<(String, String, String)> {
    let (a, b) = (t.frame.first()?, t.frame.get(1)?);
    let modes = b.compat_modes.get_ref();
    // The smallest such partition: it fits wherever the frame has room.
    let l = a
        .partitions()
        .into_iter()
        .filter(|l| {
            !l.is_vios()
                && l.profile(&l.default_profile).is_some_and(|p| {
                    p.auto_start
                        && p.lpar_proc_compat_mode != "default"
                        && modes.contains(&p.lpar_proc_compat_mode)
                })
        })
        .min_by_key(|l| l.profile(&l.default_profile).map(|p| p.desired_mem))?;
    Some((a.name.get_ref().clone(), l.name, b.name.get_ref().clone()))
}

fn measure(
    dir: &Path,
    text: &str,
    o: &Options,
    (src, lpar, dst): (&str, &str, &str),
) -> anyhow::Result<Figures> {
    std::fs::create_dir_all(dir)?;
    let file = dir.join("lab.toml");
    std::fs::write(&file, text)?;
    let topo = Topology::load(&file)?;
    let lab = LabDir::new(dir.join("lab"));
    let t0 = Instant::now();
    launcher::up_quiet(&lab, Some(&file), o.timeout)?;
    let ready_s = t0.elapsed().as_secs_f64();
    println!("  ready in {ready_s:.1} s");

    let nodes = topo.nodes();
    let pids: Vec<(Role, i32)> = nodes
        .iter()
        .filter_map(|n| Some((n.role, launcher::running_pid(&lab, &n.name)?)))
        .collect();
    // Let the start's last changes settle before the idle measure.
    std::thread::sleep(Duration::from_secs(3));
    let cpu = || pids.iter().map(|(_, p)| cpu_s(*p)).sum::<f64>();
    let (c0, w0) = (cpu(), Instant::now());
    std::thread::sleep(Duration::from_secs(o.idle_secs));
    let idle_pct = (cpu() - c0) / w0.elapsed().as_secs_f64() * 100.0;
    println!("  idle: {idle_pct:.1} % of a core");

    let rss = [
        (Role::Fsp, "pvm-fsp"),
        (Role::Vios, "pvm-vios"),
        (Role::Hmc, "pvm-hmc"),
    ]
    .into_iter()
    .map(|(role, name)| {
        let mut v: Vec<f64> = pids
            .iter()
            .filter(|(r, _)| *r == role)
            .map(|(_, p)| rss_kb(*p, "VmRSS:") as f64 / 1024.0)
            .collect();
        v.sort_by(f64::total_cmp);
        let median = v.get(v.len() / 2).copied().unwrap_or(0.0);
        (name, median, v.last().copied().unwrap_or(0.0))
    })
    .collect();

    let biggest = topo
        .frame
        .iter()
        .max_by_key(|f| f.lpar.len() + f.vios.len())
        .map(|f| (f.name.get_ref().clone(), f.lpar.len() + f.vios.len()))
        .unwrap_or_default();
    let hmc = topo
        .frame
        .iter()
        .find(|f| f.name.get_ref() == &biggest.0)
        .and_then(|f| f.managed_by.get_ref().first().cloned())
        .unwrap_or_else(|| "hmc1".into());
    let hmc = topo.node(&hmc).context("the biggest frame's HMC")?;
    let ssh_ms = ssh_lssyscfg(dir, &lab, &topo, &hmc, &biggest)?;
    println!(
        "  lssyscfg -r lpar -m {} over SSH: {ssh_ms:.1} ms",
        biggest.0
    );

    let (rest_s, rest_entries) = rest_feed(&hmc.address, topo.lab.rest_port)?;
    println!("  REST LogicalPartition feed: {rest_s:.2} s ({rest_entries} entries)");

    let t = Instant::now();
    let st = Command::new(std::env::current_exe()?)
        .arg("--lab")
        .arg(lab.root())
        .arg("status")
        .stdout(Stdio::null())
        .status()?;
    let status_s = t.elapsed().as_secs_f64();
    if !st.success() {
        bail!("pvmlab status failed");
    }
    println!("  pvmlab status: {status_s:.2} s");

    let t = Instant::now();
    let mig_hmc = topo
        .frame(src)
        .and_then(|f| f.managed_by.get_ref().first().cloned())
        .unwrap_or_else(|| "hmc1".into());
    let code = crate::migrate::run(&lab, &mig_hmc, src, lpar, dst)?;
    let migrate_s = t.elapsed().as_secs_f64();
    if code != 0 {
        bail!("migrating {lpar} from {src} to {dst} failed ({code})");
    }
    println!("  migrated {lpar} {src} -> {dst}: {migrate_s:.2} s");
    launcher::down(&lab)?;
    Ok(Figures {
        frames: topo.frame.len(),
        vios: topo.frame.iter().map(|f| f.vios.len()).sum(),
        lpars: topo.frame.iter().map(|f| f.lpar.len()).sum(),
        ready_s,
        idle_pct,
        rss,
        biggest,
        ssh_ms,
        rest_s,
        rest_entries,
        status_s,
        migrate_s,
    })
}

/// The median of 11 SSH execs (a key, a new connection each, as Ansible
/// does) of `lssyscfg -r lpar` on the frame, after checking its lines.
fn ssh_lssyscfg(
    dir: &Path,
    lab: &LabDir,
    topo: &Topology,
    hmc: &pvmlab_common::topology::NodeDef,
    (frame, count): &(String, usize),
) -> anyhow::Result<f64> {
    let key = dir.join("id_ed25519");
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "bench@pvmlab", "-f"])
        .arg(&key))?;
    let pubkey = std::fs::read_to_string(key.with_extension("pub"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let added = rt.block_on(Clients::new(lab)?.run(
        hmc,
        "hscroot",
        &format!("mkauthkeys --add '{}'", pubkey.trim()),
    ))?;
    if added.exit_status != 0 {
        bail!("mkauthkeys failed: {}", added.output);
    }
    let target = format!("hscroot@{}", hmc.address);
    let line = format!("lssyscfg -r lpar -m {frame}");
    let (_, out) = time(&mut ssh(&key, topo.lab.ssh_port, &target, &line))?;
    if out.lines().count() != *count {
        bail!(
            "{line}: expected {count} lines, got {}",
            out.lines().count()
        );
    }
    let mut runs = Vec::new();
    for _ in 0..11 {
        runs.push(time(&mut ssh(&key, topo.lab.ssh_port, &target, &line))?.0);
    }
    Ok(stats(runs).median)
}

/// The median of three GETs of the whole LogicalPartition feed (curl, one
/// session), and how many entries it held.
fn rest_feed(address: &str, port: u16) -> anyhow::Result<(f64, usize)> {
    let base = format!("https://{address}:{port}");
    let logon = run(Command::new("curl").args([
        "-sk",
        "-X",
        "PUT",
        "-H",
        "Content-Type: application/vnd.ibm.powervm.web+xml; type=LogonRequest",
        "-d",
        "<LogonRequest><UserID>hscroot</UserID><Password>abc123</Password></LogonRequest>",
        &format!("{base}/rest/api/web/Logon"),
    ]))?;
    let token = logon
        .split("X-API-Session")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .context("no X-API-Session in the logon reply")?
        .to_string();
    let mut runs = Vec::new();
    let mut entries = 0;
    for _ in 0..3 {
        let (d, body) = time(Command::new("curl").args([
            "-sk",
            "-H",
            &format!("X-API-Session: {token}"),
            &format!("{base}/rest/api/uom/LogicalPartition"),
        ]))?;
        entries = body.matches("<entry>").count();
        runs.push(d);
    }
    Ok((stats(runs).median / 1000.0, entries))
}

fn report(base: &Figures, big: &Figures, o: &Options) {
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    println!(
        "\n{:<46} {:>14} {:>14} {:>8}",
        "", "default lab", "site", "ratio"
    );
    let row = |name: &str, b: f64, s: f64, unit: &str| {
        println!(
            "{:<46} {:>11.2} {unit:<2} {:>11.2} {unit:<2} {:>7.1}x",
            name,
            b,
            s,
            ratio(s, b)
        );
    };
    println!(
        "{:<46} {:>14} {:>14} {:>7.1}x",
        "frames / VIOS / partitions",
        format!("{}/{}/{}", base.frames, base.vios, base.lpars),
        format!("{}/{}/{}", big.frames, big.vios, big.lpars),
        ratio(big.lpars as f64, base.lpars as f64)
    );
    row("time to ready", base.ready_s, big.ready_s, "s");
    row(
        &format!("idle CPU over {} s (% of one core)", o.idle_secs),
        base.idle_pct,
        big.idle_pct,
        "%",
    );
    for ((name, bm, bx), (_, sm, sx)) in base.rss.iter().zip(&big.rss) {
        row(&format!("{name} resident, median"), *bm, *sm, "Mi");
        row(&format!("{name} resident, largest"), *bx, *sx, "Mi");
    }
    row(
        &format!(
            "lssyscfg -r lpar over SSH ({} / {} partitions)",
            base.biggest.1, big.biggest.1
        ),
        base.ssh_ms,
        big.ssh_ms,
        "ms",
    );
    row(
        &format!(
            "REST LogicalPartition feed ({} / {} entries)",
            base.rest_entries, big.rest_entries
        ),
        base.rest_s,
        big.rest_s,
        "s",
    );
    row("pvmlab status", base.status_s, big.status_s, "s");
    row("one active migration", base.migrate_s, big.migrate_s, "s");
    println!(
        "\ntargets for 64 frames and 10,000 partitions: ready <= 20 s, idle <= 5 %, pvm-fsp <= 16 MiB and pvm-vios <= 8 MiB beyond their partitions' pages (none written when idle), lssyscfg <= 30 ms, REST feed <= 1 s"
    );
}
