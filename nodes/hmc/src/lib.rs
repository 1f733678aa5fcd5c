//! pvm-hmc: a Hardware Management Console. It connects to every frame it
//! manages, keeps a live view of each from the frame's own stream of
//! changes, and serves that view to the controller and tools.

mod api;
mod cli;
mod commands;
mod error;
mod files;
mod frames;
mod hmc;
mod hscl;
mod ids;
mod lpm;
mod migrations;
mod partitions;
mod power;
mod pwdpolicy;
mod render;
mod rest;
mod restarts;
mod rr;
mod users;
mod utilization;
mod vmap;

use pvmlab_common::model::Role;
use pvmlab_common::node::{self, BoxError, NodeCtx};
use pvmlab_common::ssh;
use pvmlab_common::telemetry::TraceLayer;
use std::process::ExitCode;

/// The node's entry point: its own binary's `main`, and the multi-call
/// `pvmlab` binary's when it is run under this node's name (the image).
pub fn main() -> ExitCode {
    let code = node::run(Role::Hmc, run);
    // hmcshutdown -r: the node has stopped; it starts again in place.
    if let Some(e) = power::restart_if_asked() {
        eprintln!("the HMC could not restart: {e}");
        return ExitCode::FAILURE;
    }
    code
}

async fn run(ctx: NodeCtx) -> Result<(), BoxError> {
    let hmc = ctx
        .topo
        .hmc(&ctx.me.name)
        .ok_or_else(|| format!("no HMC {} in the topology", ctx.me.name))?
        .clone();
    let view = frames::View::default();
    for f in ctx
        .topo
        .frame
        .iter()
        .filter(|f| f.managed_by.get_ref().contains(&ctx.me.name))
    {
        view.add(f.name.get_ref());
        let addr = format!("{}:{}", f.address.get_ref(), ctx.topo.lab.grpc_port);
        let chan = ctx.id.channel(f.name.get_ref(), &addr)?;
        let password = hmc
            .frame_passwords
            .get(f.name.get_ref())
            .unwrap_or(&f.password);
        tokio::spawn(frames::manage(
            view.clone(),
            ctx.me.name.clone(),
            f.name.get_ref().clone(),
            password.clone(),
            chan,
        ));
    }
    let store = pvmlab_common::store::Store::open(&ctx.data_dir().join("hmc.redb"))?;
    let power = power::Power::default();
    let cli = cli::Cli::new(std::sync::Arc::new(hmc::Hmc {
        name: ctx.me.name.clone(),
        version: hmc.version.clone(),
        address: ctx.me.address.clone(),
        view: view.clone(),
        users: users::Users::open(store)?,
        id: ctx.id.clone(),
        grpc_port: ctx.topo.lab.grpc_port,
        lpm: Default::default(),
        rr: restarts::Configs::open(&ctx.data_dir().join("rr.redb"))?,
        rr_auto_cleanup: hmc.rr_auto_cleanup,
        peers: ctx
            .topo
            .hmc
            .iter()
            .filter(|h| h.name.get_ref() != &ctx.me.name)
            .map(|h| {
                let (name, addr) = (h.name.get_ref().clone(), h.address.get_ref().clone());
                let chan = ctx
                    .id
                    .channel(&name, &format!("{addr}:{}", ctx.topo.lab.grpc_port))?;
                Ok((name, addr, chan))
            })
            .collect::<Result<_, pvmlab_common::net::NetError>>()?,
        util: utilization::Util::open(&ctx.data_dir().join("util.redb"))?,
        power: power.clone(),
        files: files::Files::new(ctx.data_dir().join("home")),
    }));
    tokio::spawn(rr::keep(cli.hmc_arc()));
    tokio::spawn(utilization::run(cli.hmc_arc()));
    // The REST API on the lab's REST port and, where it may, on 443.
    let rest_tls = ctx.id.rest_server_config()?;
    let api = rest::Rest::new(
        cli.hmc_arc(),
        format!("https://{}:{}", ctx.me.address, ctx.topo.lab.rest_port),
    );
    tokio::spawn(rest::events::watch(api.clone()));
    for port in [ctx.topo.lab.rest_port, 443] {
        let addr = format!("{}:{port}", ctx.me.address);
        tokio::spawn(rest::serve(api.clone(), addr, rest_tls.clone()));
    }
    let ssh = ssh::SshConfig {
        listen: format!("{}:{}", ctx.me.address, ctx.topo.lab.ssh_port).parse()?,
        host_key: ctx.data_dir().join("ssh_host_ed25519_key"),
        hostname: ctx.me.name.clone(),
    };
    let ssh_shell: std::sync::Arc<dyn ssh::Shell> = std::sync::Arc::new(cli.clone());
    let ssh_server = tokio::spawn(ssh::serve(ssh, ssh_shell));
    let endpoint = ctx.me.endpoint();
    let incoming = pvmlab_common::net::tls_incoming(&endpoint, ctx.id.server_config()?).await?;
    tracing::info!(addr = %endpoint, version = %hmc.version, "HMC listening");
    tokio::spawn(frames::report_health(
        view.clone(),
        cli.hmc().rr.gathering(),
        ctx.health.clone(),
    ));
    tonic::transport::Server::builder()
        .layer(TraceLayer)
        .add_service(ctx.control_service())
        .add_service(api::HmcApi::new(cli).into_server())
        .serve_with_incoming_shutdown(incoming, async {
            tokio::select! {
                _ = node::shutdown_signal() => {}
                r = power.wait() => tracing::warn!(?r, "the HMC shuts down (hmcshutdown)"),
                // SSH could not start (port taken): the HMC stops with its error.
                _ = wait_ssh(ssh_server) => {}
            }
        })
        .await?;
    Ok(())
}

async fn wait_ssh(server: tokio::task::JoinHandle<Result<(), ssh::SshError>>) {
    match server.await {
        Ok(Err(e)) => {
            tracing::error!("{e}");
            eprintln!("{e}");
            std::process::exit(1);
        }
        _ => futures::future::pending().await,
    }
}
