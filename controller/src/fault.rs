//! `pvmlab fault add|rm|ls`: the controller's hand on each node's fault
//! layer. A fault lives on one node and names the peer at the other end of
//! the link, so a link between two nodes can be faulted from either end, or
//! from both with `--link`.

use crate::client::Clients;
use clap::Subcommand;
use pvmlab_common::fault::{ANY_PEER, KINDS, format_rate, parse_rate};
use pvmlab_common::lab::{CONTROLLER_NODE, LabDir};
use pvmlab_common::proto::chaos::{
    AddFaultRequest, Fault as WireFault, ListFaultsRequest, RemoveFaultRequest,
};
use pvmlab_common::topology::{NodeDef, Topology};
use std::time::Duration;

/// How long one node has to answer; a node that does not is reported, not waited for.
const RPC_LIMIT: Duration = Duration::from_secs(3);

/// What a fault does: its kind and the settings of that kind.
#[derive(clap::Args, Clone, Default)]
pub struct Spec {
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(KINDS))]
    kind: String,
    /// bandwidth: bytes per second, or with a unit: 1gbit, 100mbit,
    /// 125mb, 64kib (`bit` for bits, `b` for bytes).
    #[arg(long, value_parser = rate_arg)]
    rate: Option<u64>,
    /// latency: milliseconds added to every chunk of bytes.
    #[arg(long, value_name = "MS")]
    latency: Option<u32>,
    /// latency: up to this many milliseconds more or less, at random.
    #[arg(long, value_name = "MS")]
    jitter: Option<u32>,
    /// timeout: fail the stalled connection after this long (0: stall
    /// until removed); reset_peer: reset connections after this long.
    #[arg(long, value_name = "MS")]
    timeout: Option<u32>,
    /// limit_data: close a connection after this many bytes.
    #[arg(long)]
    bytes: Option<u64>,
    /// slow_close: milliseconds a close waits.
    #[arg(long, value_name = "MS")]
    delay: Option<u32>,
    /// slicer: bytes per slice, on average.
    #[arg(long)]
    slice_size: Option<u32>,
    /// slicer: up to this many bytes more or less per slice.
    #[arg(long)]
    slice_variation: Option<u32>,
    /// slicer: microseconds between slices.
    #[arg(long, value_name = "US")]
    slice_delay: Option<u32>,
    /// Which bytes, from the holding node's side: up (it sends), down (it
    /// receives) or both.
    #[arg(long, default_value = "both", value_parser = ["up", "down", "both"])]
    direction: String,
    /// A name to remove it by; by default <kind>_<direction>_<peer>.
    #[arg(long)]
    name: Option<String>,
}

impl Spec {
    pub fn bandwidth(rate: u64, name: &str) -> Spec {
        Spec {
            kind: "bandwidth".into(),
            rate: Some(rate),
            direction: "both".into(),
            name: Some(name.into()),
            ..Default::default()
        }
    }

    fn wire(self, peer: String) -> WireFault {
        WireFault {
            name: self.name.unwrap_or_default(),
            kind: self.kind,
            peer,
            direction: self.direction,
            rate_bytes_per_s: self.rate.unwrap_or(0),
            latency_ms: self.latency.unwrap_or(0),
            jitter_ms: self.jitter.unwrap_or(0),
            timeout_ms: self.timeout.unwrap_or(0),
            limit_bytes: self.bytes.unwrap_or(0),
            delay_ms: self.delay.unwrap_or(0),
            slice_average_size: self.slice_size.unwrap_or(0),
            slice_size_variation: self.slice_variation.unwrap_or(0),
            slice_delay_us: self.slice_delay.unwrap_or(0),
        }
    }
}

#[derive(Subcommand)]
pub enum FaultCmd {
    /// Add a fault to the links of <NODE> with --peer. It applies at once,
    /// to open connections too.
    ///
    /// pvmlab fault add sys1-vios1 --peer sys2-vios1 --kind bandwidth --rate 1gbit --link
    ///
    /// pvmlab fault add hmc1 --peer '*' --kind cut
    Add {
        /// The node that holds the fault.
        node: String,
        /// The node at the other end of the link, or '*' for every node
        /// (the controller's own link is never faulted).
        #[arg(long)]
        peer: String,
        #[command(flatten)]
        spec: Spec,
        /// Also add the mirror fault on the peer (its direction reversed),
        /// so the link is faulted at both ends.
        #[arg(long)]
        link: bool,
    },
    /// Remove a fault from a node by name, or all of them.
    Rm {
        node: String,
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// List the faults of one node, or of every node of the lab.
    Ls { node: Option<String> },
    /// Faults on the link between two nodes, at both ends.
    Link {
        #[command(subcommand)]
        cmd: LinkCmd,
    },
    /// A process fault: kill (SIGKILL, as a crash), pause (SIGSTOP),
    /// resume (SIGCONT) or restart (kill, then start it again).
    ///
    /// pvmlab fault node hmc1 kill
    Node {
        node: String,
        #[arg(value_parser = crate::node_fault::ACTIONS)]
        action: String,
    },
    /// A whole-frame failure: power-off, error or dump (Power Off, Error,
    /// Error - Dump in progress, every partition gone), lose (the frame's
    /// FSP and VIOS processes killed: No Connection), or restore.
    ///
    /// pvmlab fault frame sys1 lose
    Frame {
        frame: String,
        #[arg(value_parser = crate::frame_fault::ACTIONS)]
        action: String,
    },
}

#[derive(Subcommand)]
pub enum LinkCmd {
    /// Fault the link between <A> and <B>; --direction is seen from A (up:
    /// the bytes A sends to B).
    ///
    /// pvmlab fault link add sys2-vios1 sys3-vios1 --kind latency --latency 50 --jitter 10
    Add {
        a: String,
        b: String,
        #[command(flatten)]
        spec: Spec,
    },
    /// Every fault of the lab, by node.
    List,
    /// Remove the faults between <A> and <B>, at both ends; without them,
    /// every fault of the lab.
    Clear {
        a: Option<String>,
        b: Option<String>,
    },
}

fn rate_arg(s: &str) -> Result<u64, String> {
    parse_rate(s).map_err(|e| e.to_string())
}

pub fn run(lab: &LabDir, cmd: FaultCmd) -> anyhow::Result<()> {
    match &cmd {
        FaultCmd::Frame { frame, action } => return crate::frame_fault::run(lab, frame, action),
        FaultCmd::Node { node, action } => return crate::node_fault::run(lab, node, action),
        _ => {}
    }
    let topo = crate::lab_topology(lab)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let clients = Clients::new(lab)?;
    rt.block_on(async {
        match cmd {
            FaultCmd::Add {
                node,
                peer,
                spec,
                link,
            } => say(add(&clients, &topo, &node, spec.wire(peer), link).await),
            FaultCmd::Link {
                cmd: LinkCmd::Add { a, b, spec },
            } => say(add(&clients, &topo, &a, spec.wire(b), true).await),
            FaultCmd::Link { cmd: LinkCmd::List } => list(&clients, &topo, None).await,
            FaultCmd::Link {
                cmd: LinkCmd::Clear { a, b },
            } => say(clear(&clients, &topo, a.as_deref().zip(b.as_deref())).await),
            FaultCmd::Rm { node, name, all } => {
                let n = node_of(&topo, &node)?;
                let req = RemoveFaultRequest {
                    name: name.unwrap_or_default(),
                    all,
                };
                let removed = call(&n, clients.control(&n)?.remove_fault(req)).await?;
                if removed.removed.is_empty() {
                    println!("{node}: no faults");
                }
                for f in &removed.removed {
                    println!("{node}: removed {}", describe(f));
                }
                Ok(())
            }
            FaultCmd::Ls { node } => list(&clients, &topo, node.as_deref()).await,
            FaultCmd::Frame { .. } | FaultCmd::Node { .. } => unreachable!("handled above"),
        }
    })
}

fn say(r: anyhow::Result<Vec<String>>) -> anyhow::Result<()> {
    r.map(|lines| lines.iter().for_each(|l| println!("{l}")))
}

fn node_of(topo: &Topology, name: &str) -> anyhow::Result<NodeDef> {
    topo.node(name).ok_or_else(|| {
        let names: Vec<String> = topo.nodes().into_iter().map(|n| n.name).collect();
        anyhow::anyhow!(
            "no node named {name} in the lab; its nodes are {}",
            names.join(", ")
        )
    })
}

/// One RPC to `node`, bounded in time, its failure naming the node.
async fn call<T>(
    node: &NodeDef,
    rpc: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(RPC_LIMIT, rpc).await {
        Ok(Ok(r)) => Ok(r.into_inner()),
        Ok(Err(s)) if s.code() == tonic::Code::Unavailable => Err(anyhow::anyhow!(
            "{}: not answering at {} (is the lab up?)",
            node.name,
            node.endpoint()
        )),
        Ok(Err(s)) => Err(anyhow::anyhow!("{}: {}", node.name, s.message())),
        Err(_) => Err(anyhow::anyhow!(
            "{}: no answer within {}s",
            node.name,
            RPC_LIMIT.as_secs()
        )),
    }
}

pub(crate) async fn add(
    clients: &Clients,
    topo: &Topology,
    node: &str,
    fault: WireFault,
    link: bool,
) -> anyhow::Result<Vec<String>> {
    let mut said = Vec::new();
    let a = node_of(topo, node)?;
    // A typo in the peer would make a fault that never matches: refuse it here.
    if fault.peer != ANY_PEER && fault.peer != CONTROLLER_NODE {
        node_of(topo, &fault.peer)?;
    }
    match fault.kind.as_str() {
        "bandwidth" if fault.rate_bytes_per_s == 0 => {
            anyhow::bail!("a bandwidth fault needs --rate, e.g. --rate 1gbit")
        }
        "latency" if fault.latency_ms == 0 && fault.jitter_ms == 0 => {
            anyhow::bail!("a latency fault needs --latency (and maybe --jitter) in milliseconds")
        }
        "limit_data" if fault.limit_bytes == 0 => {
            anyhow::bail!("a limit_data fault needs --bytes")
        }
        "slow_close" if fault.delay_ms == 0 => {
            anyhow::bail!("a slow_close fault needs --delay in milliseconds")
        }
        "slicer" if fault.slice_average_size == 0 => {
            anyhow::bail!("a slicer fault needs --slice-size in bytes")
        }
        _ => {}
    }
    let mirror = if link {
        if fault.peer == ANY_PEER {
            anyhow::bail!("--link needs one peer, not '*'");
        }
        let b = node_of(topo, &fault.peer)?;
        let direction = match fault.direction.as_str() {
            "up" => "down",
            "down" => "up",
            d => d,
        };
        Some((
            b,
            WireFault {
                peer: a.name.clone(),
                direction: direction.into(),
                ..fault.clone()
            },
        ))
    } else {
        None
    };
    let stored = call(
        &a,
        clients
            .control(&a)?
            .add_fault(AddFaultRequest { fault: Some(fault) }),
    )
    .await?
    .fault
    .unwrap_or_default();
    said.push(format!("{}: added {}", a.name, describe(&stored)));
    if let Some((b, fault)) = mirror {
        let r = call(
            &b,
            clients
                .control(&b)?
                .add_fault(AddFaultRequest { fault: Some(fault) }),
        )
        .await;
        match r {
            Ok(r) => said.push(format!(
                "{}: added {}",
                b.name,
                describe(&r.fault.unwrap_or_default())
            )),
            Err(e) => {
                // Half a link fault is not what was asked for: take back the first half.
                let undo = RemoveFaultRequest {
                    name: stored.name.clone(),
                    all: false,
                };
                let undone = match clients.control(&a) {
                    Ok(mut c) => call(&a, c.remove_fault(undo)).await.is_ok(),
                    Err(_) => false,
                };
                if undone {
                    return Err(e.context(format!("{} not faulted either", a.name)));
                }
                return Err(e.context(format!(
                    "{} keeps fault {}: remove it with pvmlab fault rm {} --name {}",
                    a.name, stored.name, a.name, stored.name
                )));
            }
        }
    }
    Ok(said)
}

async fn list(clients: &Clients, topo: &Topology, node: Option<&str>) -> anyhow::Result<()> {
    let nodes = match node {
        Some(n) => vec![node_of(topo, n)?],
        None => topo.nodes(),
    };
    let mut rows = Vec::new();
    for n in &nodes {
        let reply = call(n, clients.control(n)?.list_faults(ListFaultsRequest {})).await;
        match reply {
            Ok(r) => rows.extend(r.faults.into_iter().map(|f| (n.name.clone(), f))),
            // One node listed: its silence is the answer, an error.
            Err(e) if node.is_some() => return Err(e),
            // The whole lab: a node that is down (perhaps by chaos) must not hide the others.
            Err(e) => eprintln!("{e:#}"),
        }
    }
    if rows.is_empty() {
        println!("no faults");
        return Ok(());
    }
    println!(
        "{:<14} {:<28} {:<10} {:<14} {:<5}  DETAIL",
        "NODE", "NAME", "KIND", "PEER", "DIR"
    );
    for (n, f) in rows {
        println!(
            "{:<14} {:<28} {:<10} {:<14} {:<5}  {}",
            n,
            f.name,
            f.kind,
            f.peer,
            f.direction,
            detail(&f)
        );
    }
    Ok(())
}

fn detail(f: &WireFault) -> String {
    match f.kind.as_str() {
        "bandwidth" => format!(
            "{} ({} B/s)",
            format_rate(f.rate_bytes_per_s),
            f.rate_bytes_per_s
        ),
        "latency" => format!("{} ms ± {} ms", f.latency_ms, f.jitter_ms),
        "timeout" | "reset_peer" => format!("after {} ms", f.timeout_ms),
        "limit_data" => format!("{} bytes", f.limit_bytes),
        "slow_close" => format!("{} ms", f.delay_ms),
        "slicer" => format!(
            "{} ± {} bytes every {} us",
            f.slice_average_size, f.slice_size_variation, f.slice_delay_us
        ),
        _ => String::new(),
    }
}

fn describe(f: &WireFault) -> String {
    let d = detail(f);
    let d = if d.is_empty() { d } else { format!(" {d}") };
    format!(
        "{} ({}{}, {} with {})",
        f.name, f.kind, d, f.direction, f.peer
    )
}

/// Removes the faults between two nodes (at both ends), or every fault.
pub(crate) async fn clear(
    clients: &Clients,
    topo: &Topology,
    pair: Option<(&str, &str)>,
) -> anyhow::Result<Vec<String>> {
    let mut said = Vec::new();
    let ends: Vec<(NodeDef, Option<String>)> = match pair {
        Some((a, b)) => vec![
            (node_of(topo, a)?, Some(b.to_string())),
            (node_of(topo, b)?, Some(a.to_string())),
        ],
        None => topo.nodes().into_iter().map(|n| (n, None)).collect(),
    };
    let mut n = 0;
    for (node, peer) in ends {
        let mut c = clients.control(&node)?;
        let listed = match call(&node, c.list_faults(ListFaultsRequest {})).await {
            Ok(l) => l,
            // A node that is down holds no faults that matter now.
            Err(e) if pair.is_none() => {
                eprintln!("{e:#}");
                continue;
            }
            Err(e) => return Err(e),
        };
        for f in listed
            .faults
            .iter()
            .filter(|f| peer.as_ref().is_none_or(|p| &f.peer == p))
        {
            let req = RemoveFaultRequest {
                name: f.name.clone(),
                all: false,
            };
            call(&node, c.remove_fault(req)).await?;
            said.push(format!("{}: removed {}", node.name, describe(f)));
            n += 1;
        }
    }
    if n == 0 {
        said.push("no faults".into());
    }
    Ok(said)
}
