//! pvm-fsp: one frame's service processor and hypervisor. It owns the truth
//! about the frame and its partitions, persists it, and streams every change
//! to each HMC that manages the frame.

mod clientio;
mod frame;
mod lock;
mod memory;
mod os;
mod pages;
mod service;
mod vasi;
mod workload;

use pvmlab_common::model::Role;
use pvmlab_common::node::{self, BoxError, NodeCtx};
use pvmlab_common::telemetry::TraceLayer;
use pvmlab_common::window::Windows;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The node's entry point: its own binary's `main`, and the multi-call
/// `pvmlab` binary's when it is run under this node's name (the image).
pub fn main() -> ExitCode {
    node::run(Role::Fsp, run)
}

async fn run(ctx: NodeCtx) -> Result<(), BoxError> {
    let def = ctx
        .topo
        .frame(&ctx.me.name)
        .ok_or_else(|| format!("no frame {} in the topology", ctx.me.name))?
        .clone();
    let hyp = Arc::new(frame::Hypervisor::open(&ctx.data_dir(), &ctx.topo, &def)?);
    let endpoint = ctx.me.endpoint();
    let incoming = pvmlab_common::net::tls_incoming(&endpoint, ctx.id.server_config()?).await?;
    tracing::info!(frame = %ctx.me.name, addr = %ctx.me.endpoint(), "service processor listening");
    hyp.clone().boot();
    start_client_io(&ctx, &def, &hyp)?;
    ctx.health.set(true, "");
    tonic::transport::Server::builder()
        .layer(TraceLayer)
        .add_service(ctx.control_service())
        .add_service(
            service::FspService::new(
                hyp.clone(),
                def.password.clone(),
                Windows::serve(&ctx.data_dir().join("vasi.sock")),
            )
            .into_server()
            // A resume lists the pages still to come in one message.
            .max_decoding_message_size(64 << 20),
        )
        .serve_with_incoming_shutdown(incoming, node::shutdown_signal())
        .await?;
    hyp.stop_cleanly();
    Ok(())
}

/// Gives the hypervisor a channel to each VIOS of the frame, so that it
/// carries its clients' I/O, and starts the I/O of partitions as they come
/// to run.
fn start_client_io(
    ctx: &NodeCtx,
    def: &pvmlab_common::topology::FrameDef,
    hyp: &Arc<frame::Hypervisor>,
) -> Result<(), BoxError> {
    let lab = &ctx.topo.lab;
    let mut vios = std::collections::HashMap::new();
    for v in &def.vios {
        let node = pvmlab_common::topology::vios_node_name(def.name.get_ref(), v.name.get_ref());
        let addr = format!("{}:{}", v.address.get_ref(), lab.grpc_port);
        let client =
            pvmlab_common::proto::vios::vios_client::ViosClient::new(ctx.id.channel(&node, &addr)?);
        vios.insert(*v.id.get_ref(), (v.name.get_ref().clone(), client));
    }
    let env = Arc::new(clientio::IoEnv {
        vios,
        hcheck_interval: Duration::from_millis(lab.hcheck_interval_ms.max(10)),
        io_timeout: Duration::from_millis(lab.io_timeout_ms.max(10)),
        sea_detect: Duration::from_millis(lab.sea_detect_ms.max(20)),
    });
    let _ = hyp.io.set(env.clone());
    let weak = Arc::downgrade(hyp);
    tokio::spawn(async move {
        // Partitions come to run by activation, migration or remote
        // restart, each a change of the frame: a look after every change
        // finds them. Now and then it looks whether the hypervisor is
        // still there.
        loop {
            let Some(hyp) = weak.upgrade() else { return };
            clientio::start_new(&hyp, &env);
            let _ = tokio::time::timeout(Duration::from_secs(10), hyp.started.notified()).await;
        }
    });
    Ok(())
}
