//! pvm-san: the lab's storage array and the network beyond its frames.
//! The VIOS reach it through their physical ports: block I/O on the LUNs
//! zoned to them (stored durably, group-committed), whole devices for
//! remote restart data, and packets to the hosts outside, which it echoes.

mod array;
mod service;

use pvmlab_common::model::Role;
use pvmlab_common::node::{self, BoxError, NodeCtx};
use pvmlab_common::telemetry::TraceLayer;
use std::process::ExitCode;

/// The node's entry point: its own binary's `main`, and the multi-call
/// `pvmlab` binary's when it is run under this node's name (the image).
pub fn main() -> ExitCode {
    node::run(Role::San, run)
}

async fn run(ctx: NodeCtx) -> Result<(), BoxError> {
    let array = array::Array::open(&ctx.data_dir().join("san.redb"), &ctx.topo)?;
    let endpoint = ctx.me.endpoint();
    let incoming = pvmlab_common::net::tls_incoming(&endpoint, ctx.id.server_config()?).await?;
    tracing::info!(addr = %endpoint, luns = ctx.topo.lun.len(), "SAN listening");
    ctx.health.set(true, "");
    tonic::transport::Server::builder()
        .layer(TraceLayer)
        .add_service(ctx.control_service())
        .add_service(service::SanService::new(array).into_server())
        .serve_with_incoming_shutdown(incoming, node::shutdown_signal())
        .await?;
    Ok(())
}
