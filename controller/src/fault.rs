//! `pvmlab fault add|rm|ls`: the controller's hand on each node's fault
//! layer. A fault lives on one node and names the peer at the other end of
//! the link, so a link between two nodes can be faulted from either end, or
//! from both with `--link`.

use crate::client::Clients;
use clap::Subcommand;
use pvmlab_common::fault::{ANY_PEER, Fault, KINDS, Settings, parse_rate};
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

    fn request(self, peer: String) -> Request {
        Request {
            name: self.name.unwrap_or_default(),
            kind: self.kind,
            peer,
            direction: self.direction,
            settings: Settings {
                rate_bytes_per_s: self.rate.unwrap_or(0),
                latency_ms: self.latency.unwrap_or(0),
                jitter_ms: self.jitter.unwrap_or(0),
                timeout_ms: self.timeout.unwrap_or(0),
                limit_bytes: self.bytes.unwrap_or(0),
                delay_ms: self.delay.unwrap_or(0),
                slice_average_size: self.slice_size.unwrap_or(0),
                slice_size_variation: self.slice_variation.unwrap_or(0),
                slice_delay_us: self.slice_delay.unwrap_or(0),
            },
        }
    }
}

/// A fault as asked for, before it is checked: the kind by name and its
/// settings loose, as the command line and a chaos step give them. [`add`]
/// checks it against the lab and makes it a typed fault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Empty: the node names it `<kind>_<direction>_<peer>`.
    pub name: String,
    pub kind: String,
    pub peer: String,
    pub direction: String,
    pub settings: Settings,
}

impl Request {
    /// The setting a kind cannot go without, as the command line asks for it.
    fn missing(&self) -> Option<&'static str> {
        let s = &self.settings;
        match self.kind.as_str() {
            "bandwidth" if s.rate_bytes_per_s == 0 => {
                Some("a bandwidth fault needs --rate, e.g. --rate 1gbit")
            }
            "latency" if s.latency_ms == 0 && s.jitter_ms == 0 => {
                Some("a latency fault needs --latency (and maybe --jitter) in milliseconds")
            }
            "limit_data" if s.limit_bytes == 0 => Some("a limit_data fault needs --bytes"),
            "slow_close" if s.delay_ms == 0 => {
                Some("a slow_close fault needs --delay in milliseconds")
            }
            "slicer" if s.slice_average_size == 0 => {
                Some("a slicer fault needs --slice-size in bytes")
            }
            _ => None,
        }
    }

    fn fault(&self) -> Result<Fault, pvmlab_common::fault::FaultError> {
        Fault::from_settings(
            &self.name,
            &self.peer,
            &self.direction,
            &self.kind,
            &self.settings,
        )
    }
}

/// The fault the other end of a link holds for the same bytes.
fn mirror(f: &Fault, holder: &str) -> Fault {
    Fault {
        peer: holder.to_string(),
        direction: f.direction.reversed(),
        ..f.clone()
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
            } => say(add(&clients, &topo, &node, spec.request(peer), link).await),
            FaultCmd::Link {
                cmd: LinkCmd::Add { a, b, spec },
            } => say(add(&clients, &topo, &a, spec.request(b), true).await),
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
                for f in typed(&removed.removed) {
                    println!("{node}: removed {}", describe(&f));
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
    req: Request,
    link: bool,
) -> anyhow::Result<Vec<String>> {
    let mut said = Vec::new();
    let a = node_of(topo, node)?;
    // A typo in the peer would make a fault that never matches: refuse it here.
    if req.peer != ANY_PEER && req.peer != CONTROLLER_NODE {
        node_of(topo, &req.peer)?;
    }
    if let Some(m) = req.missing() {
        anyhow::bail!("{m}");
    }
    let b = if link {
        if req.peer == ANY_PEER {
            anyhow::bail!("--link needs one peer, not '*'");
        }
        Some(node_of(topo, &req.peer)?)
    } else {
        None
    };
    // Refused as the node would refuse it, naming the node.
    let fault = req
        .fault()
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.name))?;
    let mirror = b.map(|b| (b, mirror(&fault, &a.name)));
    let fault = fault.to_proto();
    let stored = call(
        &a,
        clients
            .control(&a)?
            .add_fault(AddFaultRequest { fault: Some(fault) }),
    )
    .await?
    .fault
    .unwrap_or_default();
    said.push(format!("{}: added {}", a.name, describe_wire(&stored)));
    if let Some((b, fault)) = mirror {
        let r = call(
            &b,
            clients.control(&b)?.add_fault(AddFaultRequest {
                fault: Some(fault.to_proto()),
            }),
        )
        .await;
        match r {
            Ok(r) => said.push(format!(
                "{}: added {}",
                b.name,
                describe_wire(&r.fault.unwrap_or_default())
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
            Ok(r) => rows.extend(typed(&r.faults).into_iter().map(|f| (n.name.clone(), f))),
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
            f.kind.name(),
            f.peer,
            f.direction,
            f.kind.detail()
        );
    }
    Ok(())
}

/// The faults a node sent, typed; one it could not have sent is shown, not hidden.
fn typed(wire: &[WireFault]) -> Vec<Fault> {
    wire.iter()
        .filter_map(|w| match Fault::from_proto(w) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("fault {}: {e}", w.name);
                None
            }
        })
        .collect()
}

fn describe(f: &Fault) -> String {
    let d = f.kind.detail();
    let d = if d.is_empty() { d } else { format!(" {d}") };
    format!(
        "{} ({}{}, {} with {})",
        f.name,
        f.kind.name(),
        d,
        f.direction,
        f.peer
    )
}

fn describe_wire(w: &WireFault) -> String {
    typed(std::slice::from_ref(w))
        .first()
        .map(describe)
        .unwrap_or_else(|| w.name.clone())
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
        for f in typed(&listed.faults)
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

#[cfg(test)]
mod tests {
    use super::*;
    use pvmlab_common::fault::{Direction, Kind};

    fn req(kind: &str, settings: Settings) -> Request {
        Request {
            kind: kind.into(),
            peer: "sys2".into(),
            direction: "up".into(),
            settings,
            ..Default::default()
        }
    }

    #[test]
    fn a_kind_without_its_setting_asks_for_the_flag() {
        assert_eq!(
            req("bandwidth", Settings::default()).missing(),
            Some("a bandwidth fault needs --rate, e.g. --rate 1gbit")
        );
        let jitter = Settings {
            jitter_ms: 5,
            ..Default::default()
        };
        assert_eq!(req("latency", jitter).missing(), None);
        assert_eq!(req("cut", Settings::default()).missing(), None);
        assert!(req("slicer", Settings::default()).missing().is_some());
    }

    #[test]
    fn a_setting_of_another_kind_is_refused_and_a_link_mirrors() {
        let rate = Settings {
            rate_bytes_per_s: 1_000_000,
            ..Default::default()
        };
        let e = req("cut", rate).fault().unwrap_err();
        assert_eq!(e.to_string(), "rate does not apply to a cut fault");
        let f = req("bandwidth", rate).fault().expect("a bandwidth fault");
        let m = mirror(&f, "sys1");
        assert_eq!((m.peer.as_str(), m.direction), ("sys1", Direction::Down));
        assert!(matches!(m.kind, Kind::Bandwidth(b) if b.rate == 1_000_000));
        let named = Fault {
            name: "bw".into(),
            ..f
        };
        assert_eq!(
            describe(&named),
            "bw (bandwidth 8mbit (1000000 B/s), up with sys2)"
        );
    }
}
