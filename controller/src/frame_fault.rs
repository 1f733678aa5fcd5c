//! `pvmlab fault frame <frame> power-off|error|dump|lose|restore`: whole
//! frame failures. power-off, error and dump are the frame's own (its FSP
//! drops it into that state with every partition gone); lose kills the
//! frame's processes, FSP and VIOS, so that HMCs see No Connection;
//! restore brings the frame back as an administrator would, whichever way
//! it went down.

use crate::client::Clients;
use crate::launcher;
use anyhow::Context;
use pvmlab_common::lab::LabDir;
use pvmlab_common::model::Role;
use pvmlab_common::proto::fsp::{FrameFault, FrameFaultRequest};
use pvmlab_common::topology::{FrameDef, vios_node_name};
use std::time::Duration;

pub const ACTIONS: [&str; 5] = ["power-off", "error", "dump", "lose", "restore"];

/// A frame's processes: its FSP and the operating systems of its VIOS.
pub fn processes(def: &FrameDef) -> Vec<String> {
    let frame = def.name.get_ref();
    std::iter::once(frame.clone())
        .chain(
            def.vios
                .iter()
                .map(|v| vios_node_name(frame, v.name.get_ref())),
        )
        .collect()
}

pub fn run(lab: &LabDir, frame: &str, action: &str) -> anyhow::Result<()> {
    let topo = crate::lab_topology(lab)?;
    let procs = processes(crate::frame_def(&topo, frame)?);
    let lost = launcher::running_pid(lab, frame).is_none();
    match action {
        "lose" => {
            if lost {
                anyhow::bail!("frame {frame} is already lost (its FSP is not running)");
            }
            let n = launcher::kill_nodes(lab, &procs);
            println!("frame {frame} lost: {n} processes killed (FSP and VIOS)");
            Ok(())
        }
        "restore" if lost => {
            let n = launcher::restart_nodes(lab, &procs, 90)?;
            println!("frame {frame} restored: {n} processes started, the frame powered on");
            Ok(())
        }
        _ => {
            let node = topo.node(frame).context("frame node")?;
            debug_assert_eq!(node.role, Role::Fsp);
            let clients = Clients::new(lab)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let snap = rt.block_on(async {
                let mut fsp = clients.fsp(&node).await?;
                let fault = match action {
                    "power-off" => FrameFault::PowerOff,
                    "error" => FrameFault::Error,
                    "dump" => FrameFault::Dump,
                    "restore" => FrameFault::Restore,
                    other => anyhow::bail!(
                        "frame {frame}: unknown frame fault {other}; valid: power-off, error, dump"
                    ),
                };
                let req = FrameFaultRequest {
                    fault: fault as i32,
                };
                let r = tokio::time::timeout(Duration::from_secs(10), fsp.frame_fault(req))
                    .await
                    .map_err(|_| anyhow::anyhow!("frame {frame} did not answer in 10 s"))?;
                anyhow::Ok(r.map_err(|e| anyhow::anyhow!("frame {frame}: {}", e.message()))?)
            })?;
            let state = snap.into_inner().frame.map(|f| f.state).unwrap_or_default();
            println!("frame {frame}: {state}");
            Ok(())
        }
    }
}
