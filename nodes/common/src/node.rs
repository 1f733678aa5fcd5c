//! What every node binary does the same way: read its place in the lab from
//! the command line, load the topology and its certificate, answer the
//! controller's health checks and fault requests, and stop cleanly on SIGTERM.

use crate::fault::{self, Fault, Registry};
use crate::lab::LabDir;
use crate::model::Role;
use crate::net::{Identity, authorize};
use crate::proto::chaos::node_control_server::{NodeControl, NodeControlServer};
use crate::proto::chaos::{
    AddFaultReply, AddFaultRequest, HealthReply, HealthRequest, ListFaultsReply, ListFaultsRequest,
    RemoveFaultReply, RemoveFaultRequest,
};
use crate::topology::{NodeDef, Topology};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use tonic::{Request, Response, Status};

#[derive(Debug, clap::Parser)]
pub struct NodeArgs {
    /// The lab directory (topology, certificates, data).
    #[arg(long)]
    pub lab: PathBuf,
    /// This node's name in the topology.
    #[arg(long)]
    pub name: String,
}

/// Everything a node knows at start.
#[derive(Clone)]
pub struct NodeCtx {
    pub lab: LabDir,
    pub topo: Arc<Topology>,
    pub me: NodeDef,
    pub id: Identity,
    pub health: Health,
}

/// Whether the node is ready, and if not what it is waiting for.
#[derive(Clone, Default)]
pub struct Health(Arc<Mutex<(bool, String)>>);

impl Health {
    pub fn set(&self, ready: bool, detail: impl Into<String>) {
        if let Ok(mut h) = self.0.lock() {
            *h = (ready, detail.into());
        }
    }
    fn get(&self) -> (bool, String) {
        self.0.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

struct Control {
    name: String,
    role: Role,
    health: Health,
    /// The process's fault registry; tests give a control its own.
    faults: &'static Registry,
}

#[tonic::async_trait]
impl NodeControl for Control {
    async fn health(&self, req: Request<HealthRequest>) -> Result<Response<HealthReply>, Status> {
        authorize(&req, "Health", &[Role::Controller])?;
        let (ready, detail) = self.health.get();
        Ok(Response::new(HealthReply {
            name: self.name.clone(),
            role: self.role.as_str().into(),
            ready,
            detail,
            pid: std::process::id(),
        }))
    }

    async fn add_fault(
        &self,
        req: Request<AddFaultRequest>,
    ) -> Result<Response<AddFaultReply>, Status> {
        let caller = authorize(&req, "AddFault", &[Role::Controller])?;
        let wire = req
            .into_inner()
            .fault
            .ok_or_else(|| Status::invalid_argument("AddFault needs a fault"))?;
        let fault = self.faults.add(Fault::from_proto(&wire)?)?;
        tracing::info!(by = %caller.name, %fault, "fault added");
        Ok(Response::new(AddFaultReply {
            fault: Some(fault.to_proto()),
        }))
    }

    async fn remove_fault(
        &self,
        req: Request<RemoveFaultRequest>,
    ) -> Result<Response<RemoveFaultReply>, Status> {
        let caller = authorize(&req, "RemoveFault", &[Role::Controller])?;
        let r = req.into_inner();
        let removed = match (r.all, r.name.trim()) {
            (true, "") => self.faults.clear(),
            (true, _) => {
                return Err(Status::invalid_argument(
                    "give either a fault name or all, not both",
                ));
            }
            (false, "") => {
                return Err(Status::invalid_argument(
                    "give the name of the fault to remove, or all",
                ));
            }
            (false, name) => vec![self.faults.remove(name)?],
        };
        for fault in &removed {
            tracing::info!(by = %caller.name, %fault, "fault removed");
        }
        Ok(Response::new(RemoveFaultReply {
            removed: removed.iter().map(Fault::to_proto).collect(),
        }))
    }

    async fn list_faults(
        &self,
        req: Request<ListFaultsRequest>,
    ) -> Result<Response<ListFaultsReply>, Status> {
        authorize(&req, "ListFaults", &[Role::Controller])?;
        Ok(Response::new(ListFaultsReply {
            node: self.name.clone(),
            faults: self.faults.list().iter().map(Fault::to_proto).collect(),
        }))
    }
}

impl NodeCtx {
    pub fn control_service(&self) -> NodeControlServer<impl NodeControl> {
        NodeControlServer::new(Control {
            name: self.me.name.clone(),
            role: self.me.role,
            health: self.health.clone(),
            faults: fault::registry(),
        })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.lab.data(&self.me.name)
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The topology as this node needs it, when the controller wrote a slice
/// for this topology (see `topology::slice`): an FSP or VIOS its frame's,
/// an HMC every frame's head (it learns the rest from the frames); the SAN
/// (every VIOS's zoning) the whole file.
fn load_topology(lab: &LabDir, name: &str, role: Role) -> Result<Topology, BoxError> {
    let full = Topology::read(&lab.topology())?;
    let slice = match role {
        Role::Fsp => Some(lab.frame_topology(name)),
        // A VIOS node is named `<frame>-<vios>`; frame names may hold '-'.
        Role::Vios => name
            .rmatch_indices('-')
            .map(|(i, _)| lab.frame_topology(&name[..i]))
            .find(|p| p.exists()),
        Role::Hmc => Some(lab.heads_topology()),
        _ => None,
    };
    if let Some(path) = slice {
        if let Ok(text) = std::fs::read_to_string(&path) {
            if crate::topology::slice::matches(&text, &full) {
                return Ok(Topology::parse_slice(&path.display().to_string(), &text)?);
            }
        }
    }
    Ok(Topology::parse(
        &lab.topology().display().to_string(),
        &full,
    )?)
}

/// Runs a node: parses the arguments, checks the node belongs to the lab
/// with the expected role, sets up telemetry, and runs `body` until it
/// returns or the process is asked to stop.
pub fn run<F, Fut>(role: Role, body: F) -> ExitCode
where
    F: FnOnce(NodeCtx) -> Fut,
    Fut: std::future::Future<Output = Result<(), BoxError>>,
{
    let args = <NodeArgs as clap::Parser>::parse();
    let telemetry = crate::telemetry::init(&args.name);
    let result = (|| -> Result<(), BoxError> {
        let lab = LabDir::new(&args.lab);
        let topo = load_topology(&lab, &args.name, role)?;
        let me = topo.node(&args.name).ok_or_else(|| {
            format!(
                "no node named {} in {}",
                args.name,
                lab.topology().display()
            )
        })?;
        if me.role != role {
            return Err(format!("node {} is a {}, not a {role}", me.name, me.role).into());
        }
        let id = Identity::load(&lab, &me.name)?;
        fault::registry().set_local_node(&me.name);
        let ctx = NodeCtx {
            lab,
            topo: Arc::new(topo),
            me,
            id,
            health: Health::default(),
        };
        // One worker thread: a lab runs several nodes per core, so they
        // already run in parallel as processes, and a second worker in each
        // only added wake-ups from thread to thread (an IPI each, costly in
        // a VM). Measured on a 2-core VM, 4 GiB migrations (1 GiB written):
        // goodput 310-390 MB/s with two workers per node, 420-510 with one.
        // Blocking work goes to spawn_blocking's own threads as before.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            // A debug build's poll chain (an HMC command down through
            // tonic and hyper) outgrew the default 2 MiB (migrlpar -o m
            // overflowed it); release builds need far less.
            .thread_stack_size(8 << 20)
            .enable_all()
            .build()?;
        rt.spawn(crate::metrics::serve(format!(
            "{}:{}",
            ctx.me.address, ctx.topo.lab.metrics_port
        )));
        let r = rt.block_on(body(ctx));
        rt.shutdown_timeout(std::time::Duration::from_secs(1));
        r
    })();
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("{}: {e}", args.name);
            ExitCode::FAILURE
        }
    }
}

/// Resolves when the process gets SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return futures::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
    tracing::info!("stopping on signal");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::chaos::node_control_client::NodeControlClient;
    use crate::proto::chaos::{self as pb, Fault as WireFault, fault as wire};
    use crate::testutil::TestLab;
    use std::time::Duration;
    use tonic::Code;

    /// The fault RPCs over real mutual TLS, against a registry of the test's own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fault_rpcs_refuse_bad_faults_and_change_nothing() {
        let lab = TestLab::new(&[
            ("rpc-node", Role::Fsp),
            (crate::lab::CONTROLLER_NODE, Role::Controller),
            ("rpc-hmc", Role::Hmc),
        ]);
        let faults: &'static Registry = Box::leak(Box::new(Registry::new()));
        faults.set_local_node("rpc-node");
        let (addr, incoming) = lab.serve("rpc-node").await;
        let control = NodeControlServer::new(Control {
            name: "rpc-node".into(),
            role: Role::Fsp,
            health: Health::default(),
            faults,
        });
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(control)
                .serve_with_incoming(incoming),
        );
        let chan = lab
            .id(crate::lab::CONTROLLER_NODE)
            .channel("rpc-node", &addr)
            .expect("channel");
        let mut c = NodeControlClient::new(chan);
        let add = |f: WireFault| AddFaultRequest { fault: Some(f) };
        let cut = |peer: &str| WireFault {
            peer: peer.into(),
            kind: Some(wire::Kind::Cut(pb::Cut {})),
            ..Default::default()
        };
        tokio::time::timeout(Duration::from_secs(20), async {
            let bad = [
                WireFault {
                    kind: None,
                    ..cut("sys2")
                },
                WireFault {
                    kind: Some(wire::Kind::Bandwidth(pb::Bandwidth::default())),
                    ..cut("sys2")
                },
                WireFault {
                    kind: Some(wire::Kind::Latency(pb::Latency {
                        latency_ms: 61_000,
                        jitter_ms: 0,
                    })),
                    ..cut("sys2")
                },
                WireFault {
                    direction: 7,
                    ..cut("sys2")
                },
                cut("rpc-node"),
                cut(crate::lab::CONTROLLER_NODE),
                cut(""),
            ];
            for f in bad {
                let e = c.add_fault(add(f.clone())).await.expect_err("a bad fault");
                assert_eq!(e.code(), Code::InvalidArgument, "{f:?}: {}", e.message());
            }
            let e = c
                .add_fault(AddFaultRequest { fault: None })
                .await
                .expect_err("no fault");
            assert_eq!(e.code(), Code::InvalidArgument);
            let listed = c
                .list_faults(ListFaultsRequest {})
                .await
                .expect("list")
                .into_inner();
            assert_eq!(listed.node, "rpc-node");
            assert!(listed.faults.is_empty(), "{:?}", listed.faults);

            let stored = c
                .add_fault(add(WireFault {
                    direction: pb::Direction::Up.into(),
                    kind: Some(wire::Kind::Bandwidth(pb::Bandwidth {
                        rate_bytes_per_s: 125_000_000,
                    })),
                    ..cut("sys2")
                }))
                .await
                .expect("a good fault")
                .into_inner()
                .fault
                .expect("the stored fault");
            assert_eq!(stored.name, "bandwidth_up_sys2");
            let e = c
                .add_fault(add(WireFault {
                    name: stored.name.clone(),
                    ..cut("sys3")
                }))
                .await
                .expect_err("a name in use");
            assert_eq!(e.code(), Code::AlreadyExists);
            let e = c
                .remove_fault(RemoveFaultRequest {
                    name: "nothing".into(),
                    all: false,
                })
                .await
                .expect_err("no such fault");
            assert_eq!(e.code(), Code::NotFound);
            let e = c
                .remove_fault(RemoveFaultRequest {
                    name: String::new(),
                    all: false,
                })
                .await
                .expect_err("nothing named");
            assert_eq!(e.code(), Code::InvalidArgument);
            let listed = c
                .list_faults(ListFaultsRequest {})
                .await
                .expect("list")
                .into_inner();
            assert_eq!(listed.faults, vec![stored.clone()]);

            // Only the controller may change faults.
            let other = lab
                .id("rpc-hmc")
                .channel("rpc-node", &addr)
                .expect("channel");
            let e = NodeControlClient::new(other)
                .add_fault(add(cut("sys2")))
                .await
                .expect_err("an HMC adding a fault");
            assert_eq!(e.code(), Code::PermissionDenied);

            let removed = c
                .remove_fault(RemoveFaultRequest {
                    name: String::new(),
                    all: true,
                })
                .await
                .expect("remove all")
                .into_inner()
                .removed;
            assert_eq!(removed, vec![stored]);
            assert!(faults.list().is_empty());
        })
        .await
        .expect("test took too long");
        server.abort();
    }
}
