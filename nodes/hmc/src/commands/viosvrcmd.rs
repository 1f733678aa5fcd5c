//! `viosvrcmd -m <sys> (-p <vios> | --id <id>) -c "<padmin command>"`: runs
//! a command on a VIOS over its RMC connection and prints what it printed.

use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame, vios_channel};
use crate::hscl::Hscl;
use pvmlab_common::model::{PartitionExt as _, lpar_state};
use pvmlab_common::proto::vios::vios_client::ViosClient;
use pvmlab_common::proto::vios::{Client, RunRequest};

const SPEC: &[opts::Opt] = &[
    value(&["-m"]),
    value(&["-p"]),
    value(&["--id"]),
    value(&["-c"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let frame = find_frame(ctx, o.require("-m")?)?;
    let line = o.require("-c")?;
    let vios = match (o.get("-p"), o.get("--id")) {
        (Some(n), None) => frame
            .partitions
            .iter()
            .find(|p| p.name == n)
            .ok_or_else(|| Hscl::PartitionNotFound(n.into()))?,
        (None, Some(id)) => frame
            .partitions
            .iter()
            .find(|p| p.id.to_string() == id)
            .ok_or_else(|| Hscl::PartitionNotFound(id.into()))?,
        _ => {
            return Err("Specify the VIOS with -p <name> or --id <id>."
                .to_string()
                .into());
        }
    };
    if !vios.is_vios() {
        return Err(format!(
            "The partition {} is not a Virtual I/O Server partition.",
            vios.name
        )
        .into());
    }
    if vios.rmc_state != "active" || vios.rmc_ipaddr.is_empty() {
        return Err(format!("The Virtual I/O Server partition {} does not have an active RMC connection, so the command cannot be run.", vios.name).into());
    }
    let clients = frame
        .partitions
        .iter()
        .map(|p| Client {
            lpar_id: p.id,
            name: p.name.clone(),
            os: if p.os_version.starts_with("Linux") {
                "Linux".into()
            } else {
                "AIX".into()
            },
            running: p.state == lpar_state::RUNNING,
        })
        .collect();
    let reply = ViosClient::new(vios_channel(ctx, &frame.name, vios)?)
        .run(RunRequest {
            line: line.to_string(),
            clients,
        })
        .await
        .map_err(|e| {
            CmdError::Usage(format!(
                "The command could not be run on {}: {}",
                vios.name,
                e.message()
            ))
        })?
        .into_inner();
    if reply.exit_status == 0 {
        Ok(reply.output)
    } else {
        Err(CmdError::Usage(reply.output.trim_end().to_string()))
    }
}
