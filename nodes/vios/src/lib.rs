//! pvm-vios: the operating system of one Virtual I/O Server partition. It
//! attaches to its frame's hypervisor (the partition is Running while it
//! is attached), keeps its adapters, LUNs and mappings, and answers the
//! HMC as RMC would.

mod cmd;
mod errlog;
mod io;
mod mover;
mod sea;
mod service;
mod ssh;

use pvmlab_common::model::Role;
use pvmlab_common::net::MOVER_WINDOW;
use pvmlab_common::node::{self, BoxError, NodeCtx};
use pvmlab_common::proto::fsp::fsp_client::FspClient;
use pvmlab_common::proto::fsp::{AttachViosRequest, vios_command};
use pvmlab_common::proto::san::san_client::SanClient;
use pvmlab_common::telemetry::TraceLayer;
use pvmlab_common::topology::SAN_NODE;
use std::process::ExitCode;
use std::time::Duration;
use tracing::Instrument;

/// The node's entry point: its own binary's `main`, and the multi-call
/// `pvmlab` binary's when it is run under this node's name (the image).
pub fn main() -> ExitCode {
    node::run(Role::Vios, run)
}

async fn run(ctx: NodeCtx) -> Result<(), BoxError> {
    let (frame, vios) = ctx
        .topo
        .frame
        .iter()
        .find_map(|f| {
            f.vios
                .iter()
                .find(|v| {
                    pvmlab_common::topology::vios_node_name(f.name.get_ref(), v.name.get_ref())
                        == ctx.me.name
                })
                .map(|v| (f.clone(), v.clone()))
        })
        .ok_or_else(|| format!("no VIOS {} in the topology", ctx.me.name))?;
    let (type_model, serial) =
        pvmlab_common::topology::parse_mtms(frame.mtms.get_ref()).unwrap_or_default();
    let profile = vios.first_profile();
    let site = cmd::Site {
        type_model,
        serial,
        lpar_id: *vios.id.get_ref(),
        level: vios.os_version.clone(),
        proc_generation: frame.proc_generation.get_ref().clone(),
        procs: profile.desired_procs,
        virtual_eth: profile.virtual_eth_adapters,
        virtual_scsi: profile.virtual_scsi_adapters,
        booted: Some(std::time::Instant::now()),
    };
    let errlog = errlog::Errlog::default();
    // Whether the partition runs this operating system now: a mover stops
    // moving when its partition is shut down, and no I/O passes.
    let attached = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let san_addr = format!("{}:{}", ctx.topo.san_address(), ctx.topo.lab.grpc_port);
    let san = SanClient::new(ctx.id.channel(SAN_NODE, &san_addr)?);
    let lab = &ctx.topo.lab;
    let shared = std::sync::Arc::new(service::Shared::open(
        &ctx.data_dir(),
        site,
        errlog.clone(),
        attached.clone(),
        san,
        Duration::from_millis(lab.io_timeout_ms),
        || vios.devices(&ctx.topo, &frame),
    )?);
    let endpoint = ctx.me.endpoint();
    let incoming = pvmlab_common::net::tls_incoming(&endpoint, ctx.id.server_config()?).await?;
    tracing::info!(addr = %endpoint, "VIOS listening");
    ctx.health.set(true, "");
    let fsp_addr = format!("{}:{}", frame.address.get_ref(), ctx.topo.lab.grpc_port);
    let fsp = FspClient::new(ctx.id.channel(frame.name.get_ref(), &fsp_addr)?)
        // The pages left at suspend are listed in one message.
        .max_decoding_message_size(64 << 20);
    let msps = ctx
        .topo
        .frame
        .iter()
        .flat_map(|f| {
            f.vios.iter().filter(|v| v.msp).map(|v| {
                pvmlab_common::topology::vios_node_name(f.name.get_ref(), v.name.get_ref())
            })
        })
        .collect();
    let padmin = ssh::Padmin {
        shared: shared.clone(),
        password: vios.padmin_password.clone(),
        keys: vios.padmin_keys.clone(),
        files: pvmlab_common::files::Files::new(ctx.data_dir().join("home")),
    };
    let ssh = pvmlab_common::ssh::SshConfig {
        listen: format!("{}:{}", vios.address.get_ref(), lab.ssh_port).parse()?,
        host_key: ctx.data_dir().join("ssh_host_ed25519_key"),
        hostname: vios.name.get_ref().clone(),
    };
    tokio::spawn(async move {
        if let Err(e) = pvmlab_common::ssh::serve(ssh, std::sync::Arc::new(padmin)).await {
            tracing::error!("padmin SSH: {e}");
        }
    });
    tokio::spawn(sea::run(
        shared.clone(),
        fsp.clone(),
        *vios.id.get_ref(),
        sea::Timing {
            heartbeat: Duration::from_millis(lab.sea_heartbeat_ms.max(10)),
            detect: Duration::from_millis(lab.sea_detect_ms.max(20)),
        },
    ));
    let mover = mover::MoverService {
        attached: attached.clone(),
        fsp: fsp.clone(),
        id: ctx.id.clone(),
        is_msp: vios.msp,
        msps: std::sync::Arc::new(msps),
        slots: std::sync::Arc::new(tokio::sync::Semaphore::new(
            vios.max_migrations.max(1) as usize
        )),
        errlog,
    };
    tokio::spawn(attach_loop(
        attached,
        fsp,
        *vios.id.get_ref(),
        vios.os_version.clone(),
        vios.address.get_ref().clone(),
    ));
    tonic::transport::Server::builder()
        // Room for several 1 MiB messages of pages in flight on the
        // mover stream, so the sender never waits for a window update.
        .initial_stream_window_size(MOVER_WINDOW)
        .initial_connection_window_size(MOVER_WINDOW)
        // 1 MiB DATA frames: the sender's HTTP/2 layer writes (and wakes)
        // once per frame, 64 times per MiB at the default 16 KiB.
        .max_frame_size(1 << 20)
        .layer(TraceLayer)
        .add_service(ctx.control_service())
        .add_service(service::ViosService(shared).into_server())
        .add_service(mover.into_server().max_decoding_message_size(64 << 20))
        .serve_with_incoming_shutdown(incoming, node::shutdown_signal())
        .await?;
    Ok(())
}

/// Keeps the VIOS attached to its partition: whenever the hypervisor
/// activates the partition (frame power-on, chsysstate) the OS boots into it.
async fn attach_loop(
    attached: std::sync::Arc<std::sync::atomic::AtomicBool>,
    mut fsp: FspClient<pvmlab_common::net::Chan>,
    lpar_id: u32,
    os: String,
    ip: String,
) {
    let mut last_error = String::new();
    loop {
        let req = AttachViosRequest {
            lpar_id,
            os_version: os.clone(),
            rmc_ipaddr: ip.clone(),
        };
        let span = tracing::info_span!("vios.attach", lpar_id);
        match fsp.attach_vios(req).instrument(span).await {
            Ok(resp) => {
                let mut stream = resp.into_inner();
                last_error.clear();
                loop {
                    match stream.message().await {
                        Ok(Some(cmd)) => match cmd.kind {
                            Some(vios_command::Kind::Attached(a)) => {
                                attached.store(true, std::sync::atomic::Ordering::SeqCst);
                                tracing::info!(partition = %a.partition_name, "attached to the hypervisor; partition Running")
                            }
                            Some(vios_command::Kind::Shutdown(s)) => {
                                tracing::info!(
                                    immediate = s.immediate,
                                    "the hypervisor shuts this partition down"
                                );
                                break;
                            }
                            None => {}
                        },
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!("lost the hypervisor: {}", e.message());
                            break;
                        }
                    }
                }
                attached.store(false, std::sync::atomic::Ordering::SeqCst);
            }
            Err(e) => {
                // Not activated yet, or the FSP is down: try again shortly.
                if e.message() != last_error {
                    tracing::info!("not attached: {}", e.message());
                    last_error = e.message().to_string();
                }
            }
        }
        // A retry back-off, not a wait for an event: the hypervisor refuses
        // the attach until it activates the partition, and may itself be
        // down or unreachable; it offers nothing to wait on meanwhile.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
