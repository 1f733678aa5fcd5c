//! Remote migration (`migrlpar … --ip <hmc> -u <user>`): the HMC that
//! manages the destination frame does the destination's part of the
//! migration (the frame's lock, the shell, the VIOS adapters and mappings)
//! for the HMC that runs it, over gRPC with mutual TLS, as one of its users
//! that trusts the asking HMC (`mkauthkeys --ip`, seed 002: "SSH key
//! authentication to the remote HMC"). Memory still goes MSP to MSP.
//!
//! A remote frame is a `FrameView` with `remote_hmc` set; the migration
//! steps in `crate::lpm` send what they do to such a frame through here.

use super::validate::AdapterMove;
use crate::cli::hscl::Hscl;
use crate::cli::{CmdError, Ctx, Hmc, conn};
use pvmlab_common::model::{Migration, Partition, ViosDevices, ViosSlot};
use pvmlab_common::net::Chan;
use pvmlab_common::proto::hmc::hmc_client::HmcClient;
use pvmlab_common::proto::hmc::{self as api, FrameView, RemoteReply, RemoteRequest};
use std::collections::HashMap;
use std::time::Duration;

/// The other HMC of a remote migration, and the user this HMC acts as there.
#[derive(Clone)]
pub struct Remote {
    pub name: String,
    pub user: String,
    client: HmcClient<Chan>,
}

/// The HMC that `--ip` names (its node name or its address) and the user
/// to act as there.
pub fn peer(ctx: &Ctx<'_>, ip: &str, user: &str) -> Result<Remote, CmdError> {
    let (name, _, chan) = ctx
        .hmc
        .peers
        .iter()
        .find(|(n, a, _)| n == ip || a == ip)
        .ok_or_else(|| {
            CmdError::Usage(format!(
                "The remote management console {ip} could not be reached."
            ))
        })?;
    Ok(Remote {
        name: name.to_string(),
        user: user.to_string(),
        client: HmcClient::new(chan.clone()),
    })
}

/// The remote HMC through which a frame is reached, if it is another
/// HMC's frame.
pub fn of(ctx: &Ctx<'_>, f: &FrameView) -> Option<Result<Remote, CmdError>> {
    (!f.remote_hmc.is_empty()).then(|| peer(ctx, &f.remote_hmc, &f.remote_user))
}

impl Remote {
    pub async fn call(&self, op: &str, mut req: RemoteRequest) -> Result<RemoteReply, CmdError> {
        req.op = op.to_string();
        req.user = self.user.clone();
        let mut c = self.client.clone();
        match tokio::time::timeout(Duration::from_secs(60), c.remote(req)).await {
            Ok(Ok(r)) => Ok(r.into_inner()),
            Ok(Err(s)) if s.code() == tonic::Code::Unavailable => Err(CmdError::Usage(format!(
                "The remote management console {} could not be reached.",
                self.name
            ))),
            Ok(Err(s)) => Err(CmdError::Usage(s.message().to_string())),
            Err(_) => Err(CmdError::Usage(format!(
                "The remote management console {} did not answer in time.",
                self.name
            ))),
        }
    }

    /// A frame the remote HMC manages, as it sees it now; with the
    /// partition to migrate, the remote HMC first checks that it can take
    /// it (HSCLA318/HSCLA335).
    pub async fn frame(&self, name: &str, lpar: Option<&Partition>) -> Result<FrameView, CmdError> {
        let r = self
            .call(
                "view",
                RemoteRequest {
                    frame: name.to_string(),
                    partition: lpar.cloned(),
                    ..Default::default()
                },
            )
            .await?;
        let mut f = r.frame.unwrap_or_default();
        f.remote_hmc = self.name.clone();
        f.remote_user = self.user.clone();
        Ok(f)
    }

    pub async fn devices(&self, frame: &str) -> Result<HashMap<u32, ViosDevices>, CmdError> {
        let r = self
            .call(
                "devices",
                RemoteRequest {
                    frame: frame.to_string(),
                    ..Default::default()
                },
            )
            .await?;
        Ok(r.devices)
    }
}

/// The remote HMC that manages the other frame of a migration this HMC
/// sees, where it is another HMC's.
pub fn of_migration(ctx: &Ctx<'_>, frame: &str, mig: &Migration) -> Option<Remote> {
    let hmc = if frame == mig.dest_sys_name {
        &mig.dest_hmc
    } else if frame == mig.source_sys_name {
        &mig.source_hmc
    } else {
        return None;
    };
    if hmc.is_empty() || hmc == &ctx.hmc.name {
        return None;
    }
    // The source HMC acts as the user named with -u; the destination HMC,
    // recovering, as its own user (trusted there through mkauthkeys -g).
    let user = if hmc == &mig.dest_hmc && !mig.remote_user.is_empty() {
        &mig.remote_user
    } else {
        &ctx.user.name
    };
    peer(ctx, hmc, user).ok()
}

pub fn to_wire(m: &AdapterMove) -> api::AdapterMove {
    api::AdapterMove {
        kind: m.kind.to_string(),
        client_slot: m.client_slot,
        dest_vios: m.dest_vios,
        dest_vios_name: m.dest_vios_name.clone(),
        dest_slot: m.dest_slot,
        luns: m.luns.clone(),
    }
}

fn from_wire(m: api::AdapterMove) -> AdapterMove {
    AdapterMove {
        kind: if m.kind == "scsi" { "scsi" } else { "fc" },
        client_slot: m.client_slot,
        dest_vios: m.dest_vios,
        dest_vios_name: m.dest_vios_name,
        dest_slot: m.dest_slot,
        luns: m.luns,
    }
}

/// What a partition needs of the HMC that manages its destination, by the
/// capability code HSCLA335 names (seed 002 shows `AME_capability`; the
/// others are pvmlab's names), and the HMC level that brought it.
const CAPABILITIES: &[(&str, (u32, u32), fn(&Partition) -> bool)] = &[
    ("remote_restart_capability", (7, 8), |p| {
        p.remote_restart_capable
    }),
    ("simplified_remote_restart_capability", (8, 8), |p| {
        p.simplified_remote_restart_capable
    }),
];

pub fn missing_capabilities(version: &str, p: &Partition) -> Vec<String> {
    let level = crate::cli::lshmc::level(version);
    CAPABILITIES
        .iter()
        .filter(|(_, since, needs)| needs(p) && level < *since)
        .map(|(code, _, _)| code.to_string())
        .collect()
}

/// This HMC's side: what another HMC (`peer`, from its certificate) asks.
pub async fn serve(hmc: &Hmc, peer: &str, r: RemoteRequest) -> Result<RemoteReply, CmdError> {
    let user = hmc
        .users
        .get(&r.user)
        .ok_or_else(|| Hscl::RemoteTrust(r.user.clone()))?;
    if r.op == "trust" {
        if user.password != r.password {
            return Err(CmdError::Usage(format!(
                "The password for user {} on the remote host {} is not correct.",
                r.user, hmc.name
            )));
        }
        hmc.users.trust(&r.user, peer).map_err(CmdError::Usage)?;
        return Ok(reply(hmc));
    }
    if !user.trusted_hmcs.iter().any(|h| h == peer) {
        return Err(Hscl::RemoteTrust(r.user).into());
    }
    let ctx = Ctx { hmc, user };
    if r.op == "test" {
        return Ok(reply(hmc));
    }
    let f = super::frame_by(&ctx, &r.frame).ok_or_else(|| Hscl::SystemNotFound(r.frame.clone()))?;
    let mut out = reply(hmc);
    match r.op.as_str() {
        "view" => {
            if let Some(p) = &r.partition {
                let missing = missing_capabilities(&hmc.version, p);
                if !missing.is_empty() {
                    return Err(Hscl::RemoteCapabilities(missing).into());
                }
            }
            out.frame = Some(f);
        }
        "devices" => out.devices = super::devices(&ctx, &f).await,
        "step" => {
            out.partition =
                Some(super::step_of(&ctx, &f, r.lpar_id, r.step.and_then(|s| s.kind)).await?);
        }
        "map" => {
            let moves: Vec<AdapterMove> = r.moves.into_iter().map(from_wire).collect();
            let lpar = r.partition.unwrap_or_default();
            super::map_destination(&ctx, &f, r.lpar_id, &lpar, &moves).await?;
        }
        "unmap" => {
            let slots: Vec<(u32, u32, String)> = r
                .slots
                .into_iter()
                .map(|s: ViosSlot| (s.vios_id, s.slot, s.kind))
                .collect();
            super::unmap(&ctx, &f, r.lpar_id, &slots, r.profile).await;
        }
        "lock" => {
            super::Lock::Own(conn(&ctx, &f)?)
                .set(&r.what, r.release)
                .await?
        }
        op => return Err(CmdError::Usage(format!("unknown remote operation {op}"))),
    }
    Ok(out)
}

fn reply(hmc: &Hmc) -> RemoteReply {
    RemoteReply {
        hmc_name: hmc.name.clone(),
        version: hmc.version.clone(),
        ..Default::default()
    }
}
