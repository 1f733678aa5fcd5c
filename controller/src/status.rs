//! `pvmlab status`: the nodes, then every frame and partition as each HMC sees it.

use crate::client::Clients;
use pvmlab_common::lab::{LabDir, running_pid};
use pvmlab_common::model::{FrameExt as _, Role};
use pvmlab_common::topology::Topology;
use tracing::Instrument;

pub fn status(lab: &LabDir) -> anyhow::Result<()> {
    let topo = crate::lab_topology(lab)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(print(lab, &topo))
}

pub async fn print(lab: &LabDir, topo: &Topology) -> anyhow::Result<()> {
    // One span for the whole listing, so it is one trace across every node asked.
    print_all(lab, topo)
        .instrument(tracing::info_span!("pvmlab.status"))
        .await
}

async fn print_all(lab: &LabDir, topo: &Topology) -> anyhow::Result<()> {
    let clients = Clients::new(lab)?;
    println!(
        "{:<12} {:<5} {:<20} {:>8}  HEALTH",
        "NODE", "ROLE", "ADDRESS", "PID"
    );
    for n in topo.nodes() {
        let pid = running_pid(lab, &n.name)
            .map(|p| p.to_string())
            .unwrap_or_else(|| "-".into());
        let health = match clients.health(&n).await {
            Ok(h) if h.ready => "ready".to_string(),
            Ok(h) => format!("waiting: {}", h.detail),
            Err(_) => "not answering".to_string(),
        };
        println!(
            "{:<12} {:<5} {:<20} {:>8}  {}",
            n.name,
            n.role,
            n.endpoint(),
            pid,
            health
        );
    }
    for h in topo.nodes().into_iter().filter(|n| n.role == Role::Hmc) {
        println!();
        let v = match clients.view(&h).await {
            Ok(v) => v,
            Err(_) => {
                println!("{}: not reachable", h.name);
                continue;
            }
        };
        println!("as {} ({}) sees it:", v.hmc_name, v.version);
        for f in &v.frames {
            let mtms = f.frame.as_ref().map(|fr| fr.mtms()).unwrap_or_default();
            // A renamed frame (chsyscfg -r sys -i new_name=) shows the name
            // the HMC shows, and the lab's node name it still runs as.
            match f.frame.as_ref().map(|fr| fr.user_name.as_str()) {
                Some(n) if !n.is_empty() && n != f.name => {
                    println!("  {:<10} {:<20} {} (node {})", n, mtms, f.state, f.name)
                }
                _ => println!("  {:<10} {:<20} {}", f.name, mtms, f.state),
            }
            for p in &f.partitions {
                println!(
                    "    {:>3} {:<10} {:<10} {:<20} rmc {}",
                    p.id, p.name, p.lpar_env, p.state, p.rmc_state
                );
            }
        }
    }
    Ok(())
}

/// `pvmlab hmc <name> -- <line>`: prints the output and returns the exit status.
pub fn hmc_command(lab: &LabDir, name: &str, user: &str, words: &[String]) -> anyhow::Result<u32> {
    let topo = crate::lab_topology(lab)?;
    let node = topo
        .node(name)
        .filter(|n| n.role == Role::Hmc)
        .ok_or_else(|| anyhow::anyhow!("no HMC named {name} in this lab"))?;
    let line = if words.len() == 1 {
        words[0].clone()
    } else {
        words
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let reply = rt.block_on(async { Clients::new(lab)?.run(&node, user, &line).await })?;
    print!("{}", reply.output);
    Ok(reply.exit_status)
}

/// Quotes a word for the HMC shell only when it needs it.
fn shell_quote(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=,.:/*@%+".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// What `pvmlab workload` changes; what is not given stays.
pub struct WorkloadChange {
    pub rate: Option<f64>,
    pub working_set: Option<u64>,
    pub pattern: Option<String>,
    pub refuse_migration: Option<String>,
    pub script_ms: Option<u64>,
    pub disk_iops: Option<f64>,
    pub packets: Option<f64>,
}

/// `pvmlab workload <frame> <lpar> [--rate] [--working-set] [--pattern]
/// [--refuse-migration] [--script-ms] [--digest]`.
pub fn workload(
    lab: &LabDir,
    frame: &str,
    lpar: &str,
    change: WorkloadChange,
    digest: bool,
) -> anyhow::Result<()> {
    let WorkloadChange {
        rate,
        working_set,
        pattern,
        refuse_migration,
        script_ms,
        disk_iops,
        packets,
    } = change;
    use pvmlab_common::proto::fsp::{GetWorkloadRequest, SetWorkloadRequest};
    let st = with_fsp(lab, frame, |mut fsp| async move {
        if rate.is_some()
            || working_set.is_some()
            || pattern.is_some()
            || refuse_migration.is_some()
            || script_ms.is_some()
            || disk_iops.is_some()
            || packets.is_some()
        {
            let now = fsp
                .get_workload(GetWorkloadRequest {
                    lpar_name: lpar.into(),
                    digest: false,
                })
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message()))?
                .into_inner();
            let mut w = now.workload.unwrap_or_default();
            if let Some(r) = rate {
                w.rate_mb_s = r;
            }
            if let Some(s) = working_set {
                w.working_set_mb = s;
            }
            if let Some(p) = pattern {
                w.pattern = p;
            }
            if let Some(r) = refuse_migration {
                w.refuse_migration = if r == "none" { String::new() } else { r };
            }
            if let Some(ms) = script_ms {
                w.script_ms = ms;
            }
            if let Some(n) = disk_iops {
                w.disk_iops = n;
            }
            if let Some(n) = packets {
                w.packets_per_s = n;
            }
            fsp.set_workload(SetWorkloadRequest {
                lpar_name: lpar.into(),
                workload: Some(w),
            })
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
        }
        let st = fsp
            .get_workload(GetWorkloadRequest {
                lpar_name: lpar.into(),
                digest,
            })
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message()))?
            .into_inner();
        anyhow::Ok(st)
    })?;
    let w = st.workload.unwrap_or_default();
    let pattern = if w.pattern.is_empty() {
        "uniform"
    } else {
        &w.pattern
    };
    let set = if w.working_set_mb == 0 {
        "all".to_string()
    } else {
        format!("{} MB", w.working_set_mb)
    };
    println!("{frame}/{lpar}: {} MB/s over {set}, {pattern}", w.rate_mb_s);
    println!(
        "memory: {} pages ({} MB), {} written ({} MB resident), {} dirty",
        st.npages,
        st.npages * 4 / 1024,
        st.resident_pages,
        st.resident_pages * 4 / 1024,
        st.dirty_pages
    );
    if w.script_ms != 0 || !w.refuse_migration.is_empty() {
        let refuses = if w.refuse_migration.is_empty() {
            String::new()
        } else {
            format!("; refuses in the {} phase", w.refuse_migration)
        };
        println!(
            "migration scripts: {} ms in each phase{refuses}",
            w.script_ms
        );
    }
    println!(
        "heartbeat: {} ticks, longest gap {:.1} ms",
        st.heartbeat_ticks,
        st.max_gap_us as f64 / 1000.0
    );
    if let Some(io) = st
        .io
        .as_ref()
        .filter(|_| w.disk_iops > 0.0 || w.packets_per_s > 0.0)
    {
        print_io(&w, io);
    }
    if digest {
        println!("digest: {}", st.digest);
    }
    Ok(())
}

/// The partition's I/O as its workload saw it: per MPIO path, then in all.
fn print_io(w: &pvmlab_common::model::Workload, io: &pvmlab_common::proto::fsp::IoStats) {
    println!(
        "disk I/O: {}/s; {} done, {} pending, {} stalled (longest {:.1} ms), {} failed, {} reads not as written",
        w.disk_iops,
        io.ios_completed,
        io.ios_pending,
        io.ios_stalled,
        io.max_stall_us as f64 / 1000.0,
        io.ios_failed,
        io.read_mismatches
    );
    for p in &io.paths {
        println!(
            "  {} {} {} via {}: {} done, {} retried here, {} failed",
            p.status, p.disk, p.parent, p.vios, p.completed, p.retried, p.failed
        );
    }
    println!(
        "network: {}/s; {} sent, {} delivered, {} retransmitted, {} lost (longest {:.1} ms)",
        w.packets_per_s,
        io.packets_sent,
        io.packets_delivered,
        io.packets_retransmitted,
        io.packets_lost,
        io.max_net_stall_us as f64 / 1000.0
    );
}

/// Runs `f` with a client of `frame`'s FSP, on a runtime of its own.
fn with_fsp<T, F>(
    lab: &LabDir,
    frame: &str,
    f: impl FnOnce(pvmlab_common::proto::fsp::fsp_client::FspClient<pvmlab_common::net::Chan>) -> F,
) -> anyhow::Result<T>
where
    F: std::future::Future<Output = anyhow::Result<T>>,
{
    let topo = crate::lab_topology(lab)?;
    let node = topo
        .node(frame)
        .filter(|n| n.role == Role::Fsp)
        .ok_or_else(|| anyhow::anyhow!("no frame named {frame} in this lab"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let fsp = Clients::new(lab)?.fsp(&node).await?;
        f(fsp).await
    })
}

/// `pvmlab os <frame> <lpar> -- <command>`: a command run inside the
/// client partition; its output, and its exit status as ours.
pub fn os(lab: &LabDir, frame: &str, lpar: &str, line: &str) -> anyhow::Result<()> {
    let reply = with_fsp(lab, frame, |mut fsp| async move {
        fsp.os(pvmlab_common::proto::fsp::OsRequest {
            lpar_name: lpar.into(),
            line: line.into(),
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))
        .map(|r| r.into_inner())
    })?;
    print!("{}", reply.output);
    if reply.exit_status != 0 {
        std::process::exit(reply.exit_status.min(255) as i32);
    }
    Ok(())
}

/// `pvmlab errpt <frame> <lpar>`: the partition's operating system error
/// log about migrations, as `errpt` inside it prints it, read from the
/// frame's view through the first HMC that manages it.
pub fn errpt(lab: &LabDir, frame: &str, lpar: &str) -> anyhow::Result<()> {
    let topo = crate::lab_topology(lab)?;
    let def = crate::frame_def(&topo, frame)?;
    let hmc = def
        .managed_by
        .get_ref()
        .first()
        .and_then(|h| topo.node(h))
        .ok_or_else(|| anyhow::anyhow!("no HMC manages {frame}"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let view = rt.block_on(Clients::new(lab)?.view(&hmc))?;
    let p = view
        .frames
        .iter()
        .filter(|f| f.name == frame)
        .flat_map(|f| f.partitions.iter())
        .find(|p| p.name == lpar)
        .ok_or_else(|| anyhow::anyhow!("no partition {lpar} on {frame}"))?;
    print!("{}", pvmlab_common::errpt::render(p.errpt.iter()));
    Ok(())
}
