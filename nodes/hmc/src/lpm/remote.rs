//! Remote migration (`migrlpar … --ip <hmc> -u <user>`): the HMC that
//! manages the destination frame does the destination's part of the
//! migration (the frame's lock, the shell, the VIOS adapters and mappings)
//! for the HMC that runs it, over gRPC with mutual TLS, as one of its users
//! that trusts the asking HMC (`mkauthkeys --ip`, seed 002: "SSH key
//! authentication to the remote HMC"). Memory still goes MSP to MSP.
//!
//! A remote frame is a `FrameView` with `remote_hmc` set; `FrameOps`
//! (ops.rs) sends what a migration does to such a frame through here.
//! Each call is an RPC of its own (hmc.proto); a refusal carries the text
//! people see and a typed reason, so neither side reads the other's words
//! to decide anything.

use super::adapters::{AdapterKind, AdapterMove};
use super::{lease, local, mappings};
use crate::error::CmdError;
use crate::hmc::{Ctx, Hmc};
use crate::hscl::Hscl;
use pvmlab_common::failure;
use pvmlab_common::model::AdapterKind as WireKind;
use pvmlab_common::model::{Migration, Partition, Reason, ViosDevices, ViosSlot};
use pvmlab_common::net::Chan;
use pvmlab_common::proto::fsp::MigrationRequest;
use pvmlab_common::proto::hmc::hmc_client::HmcClient;
use pvmlab_common::proto::hmc::{self as api, FrameView};
use std::collections::HashMap;
use std::future::Future;
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
        .ok_or_else(|| not_reached(ip))?;
    Ok(Remote {
        name: name.to_string(),
        user: user.to_string(),
        client: HmcClient::new(chan.clone())
            .max_decoding_message_size(pvmlab_common::net::MAX_VIEW_MESSAGE),
    })
}

fn not_reached(hmc: &str) -> CmdError {
    CmdError::Usage(format!(
        "The remote management console {hmc} could not be reached."
    ))
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

impl Remote {
    /// One call to the other HMC, bounded in time. Its refusal's text is
    /// what the user sees; only the transport's own code is read here.
    async fn call<T>(
        &self,
        rpc: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, CmdError> {
        match tokio::time::timeout(Duration::from_secs(60), rpc).await {
            Ok(Ok(r)) => Ok(r.into_inner()),
            Ok(Err(s)) if s.code() == tonic::Code::Unavailable => Err(not_reached(&self.name)),
            Ok(Err(s)) => Err(CmdError::Usage(s.message().to_string())),
            Err(_) => Err(CmdError::Usage(format!(
                "The remote management console {} did not answer in time.",
                self.name
            ))),
        }
    }

    /// `mkauthkeys --ip --passwd`: the remote user trusts this HMC.
    pub async fn trust(&self, password: &str) -> Result<(), CmdError> {
        let mut c = self.client.clone();
        let req = api::TrustRequest {
            user: self.user.clone(),
            password: password.to_string(),
        };
        self.call(c.trust(req)).await.map(|_| ())
    }

    /// `mkauthkeys --ip --test`: whether the remote user trusts this HMC.
    pub async fn test(&self) -> Result<(), CmdError> {
        let mut c = self.client.clone();
        let req = api::TestRequest {
            user: self.user.clone(),
        };
        self.call(c.test(req)).await.map(|_| ())
    }

    /// A frame the remote HMC manages, as it sees it now; with the
    /// partition to migrate, the remote HMC first checks that it can take
    /// it (HSCLA318/HSCLA335).
    pub async fn frame(&self, name: &str, lpar: Option<&Partition>) -> Result<FrameView, CmdError> {
        let mut c = self.client.clone();
        let req = api::RemoteFrameRequest {
            user: self.user.clone(),
            frame: name.to_string(),
            partition: lpar.cloned(),
        };
        let mut f = self
            .call(c.remote_frame(req))
            .await?
            .frame
            .unwrap_or_default();
        f.remote_hmc = self.name.clone();
        f.remote_user = self.user.clone();
        Ok(f)
    }

    pub async fn devices(&self, frame: &str) -> Result<HashMap<u32, ViosDevices>, CmdError> {
        let mut c = self.client.clone();
        let req = api::RemoteDevicesRequest {
            user: self.user.clone(),
            frame: frame.to_string(),
        };
        Ok(self.call(c.remote_devices(req)).await?.devices)
    }

    /// One migration step on the remote frame's FSP: the request as this
    /// HMC would send it to an FSP of its own.
    pub async fn step(&self, frame: &str, step: MigrationRequest) -> Result<Partition, CmdError> {
        let mut c = self.client.clone();
        let req = api::RemoteStepRequest {
            user: self.user.clone(),
            frame: frame.to_string(),
            step: Some(step),
        };
        Ok(self
            .call(c.remote_step(req))
            .await?
            .partition
            .unwrap_or_default())
    }

    pub async fn map(
        &self,
        frame: &str,
        dest_id: u32,
        lpar: &Partition,
        moves: &[AdapterMove],
    ) -> Result<(), CmdError> {
        let mut c = self.client.clone();
        let req = api::RemoteMapRequest {
            user: self.user.clone(),
            frame: frame.to_string(),
            partition: Some(lpar.clone()),
            lpar_id: dest_id,
            moves: moves.iter().map(to_wire).collect(),
        };
        self.call(c.remote_map(req)).await.map(|_| ())
    }

    pub async fn unmap(
        &self,
        frame: &str,
        client_id: u32,
        slots: &[(u32, u32, AdapterKind)],
        profile: bool,
    ) -> Result<(), CmdError> {
        let mut c = self.client.clone();
        let req = api::RemoteUnmapRequest {
            user: self.user.clone(),
            frame: frame.to_string(),
            lpar_id: client_id,
            slots: slots
                .iter()
                .map(|(vios_id, slot, kind)| ViosSlot {
                    vios_id: *vios_id,
                    slot: *slot,
                    kind: kind.as_str().into(),
                })
                .collect(),
            profile,
        };
        self.call(c.remote_unmap(req)).await.map(|_| ())
    }

    pub async fn lock(&self, frame: &str, what: &str, release: bool) -> Result<(), CmdError> {
        let mut c = self.client.clone();
        let req = api::RemoteLockRequest {
            user: self.user.clone(),
            frame: frame.to_string(),
            what: what.to_string(),
            release,
        };
        self.call(c.remote_lock(req)).await.map(|_| ())
    }
}

pub fn to_wire(m: &AdapterMove) -> api::AdapterMove {
    api::AdapterMove {
        kind: match m.kind {
            AdapterKind::Scsi => WireKind::Scsi,
            AdapterKind::Fc => WireKind::Fc,
        } as i32,
        client_slot: m.client_slot,
        dest_vios: m.dest_vios,
        dest_vios_name: m.dest_vios_name.clone(),
        dest_slot: m.dest_slot,
        luns: m.luns.clone(),
    }
}

fn from_wire(m: api::AdapterMove) -> Result<AdapterMove, CmdError> {
    let kind = match m.kind() {
        WireKind::Scsi => AdapterKind::Scsi,
        WireKind::Fc => AdapterKind::Fc,
        WireKind::Unspecified | WireKind::Eth => {
            return Err(CmdError::Usage(format!(
                "The adapter move for client slot {} names no adapter kind.",
                m.client_slot
            )));
        }
    };
    Ok(AdapterMove {
        kind,
        client_slot: m.client_slot,
        dest_vios: m.dest_vios,
        dest_vios_name: m.dest_vios_name,
        dest_slot: m.dest_slot,
        luns: m.luns,
    })
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
    let level = crate::hmc::level(version);
    CAPABILITIES
        .iter()
        .filter(|(_, since, needs)| needs(p) && level < *since)
        .map(|(code, _, _)| code.to_string())
        .collect()
}

/// This HMC's side: what another HMC (`peer`, from its certificate) asks,
/// one function per RPC. Each refusal becomes a status by `status`.
pub mod serve {
    use super::*;

    /// The typed reason an HMC refusal carries to the asking HMC.
    fn reason(e: &CmdError) -> Reason {
        match e {
            CmdError::Hscl(h) => match h {
                Hscl::RemoteTrust(_) => Reason::NotTrusted,
                Hscl::RemoteCapabilities(_) => Reason::MissingCapabilities,
                Hscl::SystemNotFound(_) => Reason::NoFrame,
                Hscl::NoConnection(_) => Reason::NoConnection,
                Hscl::PartitionNotFound(_) => Reason::NoPartition,
                Hscl::PartitionState { .. } => Reason::PartitionState,
                Hscl::SystemState { .. } => Reason::FrameState,
                _ => Reason::Unspecified,
            },
            CmdError::Usage(_) => Reason::Unspecified,
        }
    }

    /// A refusal as the asking HMC gets it: the text as this HMC would
    /// print it, and its reason.
    pub fn status(e: CmdError) -> tonic::Status {
        let r = reason(&e);
        failure::with_reason(tonic::Code::FailedPrecondition, e.to_string(), r)
    }

    fn wrong_password(hmc: &Hmc, user: &str) -> tonic::Status {
        failure::with_reason(
            tonic::Code::FailedPrecondition,
            format!(
                "The password for user {user} on the remote host {} is not correct.",
                hmc.name
            ),
            Reason::WrongPassword,
        )
    }

    fn reply(hmc: &Hmc) -> api::PeerReply {
        api::PeerReply {
            hmc_name: hmc.name.clone(),
            version: hmc.version.clone(),
        }
    }

    /// The user `name` of this HMC, as whom `peer` acts, if it trusts it.
    fn trusted<'h>(hmc: &'h Hmc, peer: &str, name: &str) -> Result<Ctx<'h>, CmdError> {
        let user = hmc
            .users
            .get(name)
            .ok_or_else(|| Hscl::RemoteTrust(name.to_string()))?;
        if !user.trusted_hmcs.iter().any(|h| h == peer) {
            return Err(Hscl::RemoteTrust(name.to_string()).into());
        }
        Ok(Ctx { hmc, user })
    }

    fn frame(ctx: &Ctx<'_>, name: &str) -> Result<FrameView, CmdError> {
        super::super::frame_by(ctx, name)
            .map(std::sync::Arc::unwrap_or_clone)
            .ok_or_else(|| Hscl::SystemNotFound(name.into()).into())
    }

    pub fn trust(
        hmc: &Hmc,
        peer: &str,
        r: api::TrustRequest,
    ) -> Result<api::PeerReply, tonic::Status> {
        let user = hmc
            .users
            .get(&r.user)
            .ok_or_else(|| status(Hscl::RemoteTrust(r.user.clone()).into()))?;
        if user.password != r.password {
            return Err(wrong_password(hmc, &r.user));
        }
        hmc.users
            .trust(&r.user, peer)
            .map_err(|e| status(CmdError::Usage(e)))?;
        Ok(reply(hmc))
    }

    pub fn test(hmc: &Hmc, peer: &str, r: api::TestRequest) -> Result<api::PeerReply, CmdError> {
        trusted(hmc, peer, &r.user)?;
        Ok(reply(hmc))
    }

    pub fn frame_view(
        hmc: &Hmc,
        peer: &str,
        r: api::RemoteFrameRequest,
    ) -> Result<api::RemoteFrameReply, CmdError> {
        let ctx = trusted(hmc, peer, &r.user)?;
        let f = frame(&ctx, &r.frame)?;
        if let Some(p) = &r.partition {
            let missing = missing_capabilities(&hmc.version, p);
            if !missing.is_empty() {
                return Err(Hscl::RemoteCapabilities(missing).into());
            }
        }
        Ok(api::RemoteFrameReply { frame: Some(f) })
    }

    pub async fn devices(
        hmc: &Hmc,
        peer: &str,
        r: api::RemoteDevicesRequest,
    ) -> Result<api::RemoteDevicesReply, CmdError> {
        let ctx = trusted(hmc, peer, &r.user)?;
        let f = frame(&ctx, &r.frame)?;
        Ok(api::RemoteDevicesReply {
            devices: local::devices(&ctx, &f).await,
        })
    }

    pub async fn step(
        hmc: &Hmc,
        peer: &str,
        r: api::RemoteStepRequest,
    ) -> Result<api::RemoteStepReply, CmdError> {
        let ctx = trusted(hmc, peer, &r.user)?;
        let f = frame(&ctx, &r.frame)?;
        let s = r.step.unwrap_or_default();
        let step = s
            .step
            .and_then(|s| s.kind)
            .ok_or_else(|| CmdError::Usage("The migration step is missing.".into()))?;
        let partition = local::step(&ctx, &f, s.lpar_id, step)
            .await
            .map_err(|(e, _)| e)?;
        Ok(api::RemoteStepReply {
            partition: Some(partition),
        })
    }

    pub async fn map(
        hmc: &Hmc,
        peer: &str,
        r: api::RemoteMapRequest,
    ) -> Result<api::RemoteMapReply, CmdError> {
        let ctx = trusted(hmc, peer, &r.user)?;
        let f = frame(&ctx, &r.frame)?;
        let moves = r
            .moves
            .into_iter()
            .map(from_wire)
            .collect::<Result<Vec<_>, _>>()?;
        let lpar = r.partition.unwrap_or_default();
        mappings::map_destination(&ctx, &f, r.lpar_id, &lpar, &moves).await?;
        Ok(api::RemoteMapReply {})
    }

    pub async fn unmap(
        hmc: &Hmc,
        peer: &str,
        r: api::RemoteUnmapRequest,
    ) -> Result<api::RemoteUnmapReply, CmdError> {
        let ctx = trusted(hmc, peer, &r.user)?;
        let f = frame(&ctx, &r.frame)?;
        let slots: Vec<(u32, u32, AdapterKind)> = r
            .slots
            .into_iter()
            .filter_map(|s| Some((s.vios_id, s.slot, AdapterKind::of_name(&s.kind)?)))
            .collect();
        mappings::unmap(&ctx, &f, r.lpar_id, &slots, r.profile).await;
        Ok(api::RemoteUnmapReply {})
    }

    pub async fn lock(
        hmc: &Hmc,
        peer: &str,
        r: api::RemoteLockRequest,
    ) -> Result<api::RemoteLockReply, CmdError> {
        let ctx = trusted(hmc, peer, &r.user)?;
        let f = frame(&ctx, &r.frame)?;
        lease::Lock::Own(crate::hmc::conn(&ctx, &f)?)
            .set(&r.what, r.release)
            .await?;
        Ok(api::RemoteLockReply {})
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_refusal_carries_its_text_and_reason() {
            let s = status(Hscl::RemoteTrust("hscroot".into()).into());
            assert_eq!(failure::reason(&s), Reason::NotTrusted);
            assert!(s.message().starts_with("HSCL3653 "));
            let s = status(Hscl::RemoteCapabilities(vec!["x".into()]).into());
            assert_eq!(failure::reason(&s), Reason::MissingCapabilities);
            let s = status(CmdError::Usage("no".into()));
            assert_eq!(failure::reason(&s), Reason::Unspecified);
            assert_eq!(s.message(), "no");
        }

        #[test]
        fn adapter_moves_cross_the_wire_whole() {
            for kind in [AdapterKind::Scsi, AdapterKind::Fc] {
                let m = AdapterMove {
                    kind,
                    client_slot: 4,
                    dest_vios: 2,
                    dest_vios_name: "vios2".into(),
                    dest_slot: 11,
                    luns: vec!["lun1".into()],
                };
                let back = from_wire(to_wire(&m)).ok();
                assert_eq!(
                    back.map(|b| (b.kind, b.dest_slot, b.luns)),
                    Some((kind, 11, m.luns))
                );
            }
            let bad = api::AdapterMove::default();
            assert!(from_wire(bad).is_err());
        }
    }
}
