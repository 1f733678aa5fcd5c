//! pvm-fsp: one frame's service processor and hypervisor. It owns the truth
//! about the frame and its partitions, persists it, and streams every change
//! to each HMC that manages the frame.

mod frame;
mod lock;
mod memory;
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

fn main() -> ExitCode {
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
