//! What every node binary does the same way: read its place in the lab from
//! the command line, load the topology and its certificate, answer the
//! controller's health checks, and stop cleanly on SIGTERM.

use crate::lab::LabDir;
use crate::model::Role;
use crate::net::{Identity, authorize};
use crate::proto::chaos::node_control_server::{NodeControl, NodeControlServer};
use crate::proto::chaos::{HealthReply, HealthRequest};
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
}

impl NodeCtx {
    pub fn control_service(&self) -> NodeControlServer<impl NodeControl> {
        NodeControlServer::new(Control {
            name: self.me.name.clone(),
            role: self.me.role,
            health: self.health.clone(),
        })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.lab.data(&self.me.name)
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
        let topo = Topology::load(&lab.topology())?;
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
        let ctx = NodeCtx {
            lab,
            topo: Arc::new(topo),
            me,
            id,
            health: Health::default(),
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
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
