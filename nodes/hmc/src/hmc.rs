//! The HMC itself: what every front-end (the command line, REST, the gRPC
//! API) and every orchestration (`lpm`, `rr`) works on, and the lookups
//! they share: a frame by name, its FSP connection, a VIOS's RMC channel,
//! and waiting until this HMC's view shows a change.

use crate::error::CmdError;
use crate::frames::{Conn, View};
use crate::hscl::Hscl;
use crate::users::{User, Users};
use pvmlab_common::model::Partition;
use pvmlab_common::net::{Chan, Identity};
use pvmlab_common::proto::hmc::FrameView;

/// This HMC and its view of the frames.
pub struct Hmc {
    pub name: String,
    pub version: String,
    pub address: String,
    pub view: View,
    pub users: Users,
    /// For reaching VIOS partitions over their RMC address.
    pub id: Identity,
    pub grpc_port: u16,
    /// The migrations this HMC runs.
    pub lpm: crate::migrations::Registry,
    /// Remote restart configurations and the restarts this HMC made.
    pub rr: crate::restarts::Configs,
    pub rr_auto_cleanup: bool,
    /// The lab's other HMCs (node name, address, a lazily connecting
    /// channel to it, shared by every remote call): what `--ip` may name.
    pub peers: Vec<(String, String, Chan)>,
    /// Utilization samples and their settings (lslparutil, PCM).
    pub util: crate::utilization::Util,
    /// `hmcshutdown`'s request to stop or restart this HMC.
    pub power: crate::power::Power,
    /// The users' home directories (`scp` puts files there, `-f` reads them).
    pub files: crate::files::Files,
}

/// One operation's view of who runs it and where.
pub struct Ctx<'a> {
    pub hmc: &'a Hmc,
    pub user: User,
}

impl<'a> Ctx<'a> {
    /// The context of HMC user `user`, if there is one (REST's requests
    /// and jobs act as their session's user).
    pub fn of(hmc: &'a Hmc, user: &str) -> Option<Ctx<'a>> {
        Some(Ctx {
            hmc,
            user: hmc.users.get(user)?,
        })
    }

    /// Operations that change anything call this first.
    pub fn may_change(&self) -> Result<(), CmdError> {
        if self.user.may_change() {
            Ok(())
        } else {
            Err(Hscl::NoAuthority.into())
        }
    }
}

/// V10R3M1050 → ("10", "3", "1050").
pub fn version_parts(version: &str) -> (String, String, String) {
    let v = version.trim_start_matches('V');
    let (ver, rest) = v.split_once('R').unwrap_or((v, "0M0"));
    let (rel, sp) = rest.split_once('M').unwrap_or((rest, "0"));
    (ver.to_string(), rel.to_string(), sp.to_string())
}

/// Version and release as numbers, to compare: V8R8.7 → (8, 8),
/// V7R7.9.0 → (7, 7), V10R3M1050 → (10, 3).
pub fn level(version: &str) -> (u32, u32) {
    let (ver, rel, _) = version_parts(version);
    let num = |s: &str| {
        s.split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (num(&ver), num(&rel))
}

/// Whether `name` names the frame: its name, `type-model*serial`, or
/// the name a user gave it.
pub fn names_frame(f: &FrameView, name: &str) -> bool {
    use pvmlab_common::model::FrameExt as _;
    f.name == name
        || f.frame.as_ref().is_some_and(|fr| {
            fr.mtms() == name || (!fr.user_name.is_empty() && fr.user_name == name)
        })
}

/// A frame named by its name or by `type-model*serial`.
pub fn find_frame(ctx: &Ctx<'_>, name: &str) -> Result<std::sync::Arc<FrameView>, CmdError> {
    ctx.hmc
        .view
        .frames()
        .into_iter()
        .find(|f| names_frame(f, name))
        .ok_or_else(|| Hscl::SystemNotFound(name.to_string()).into())
}

/// The logged-on connection to a frame's FSP.
pub fn conn(ctx: &Ctx<'_>, frame: &FrameView) -> Result<Conn, CmdError> {
    ctx.hmc
        .view
        .conn(&frame.name)
        .ok_or_else(|| Hscl::NoConnection(frame.name.clone()).into())
}

/// A virtual adapter the frame's hypervisor adds to (`spec`, in the
/// profile layout) or removes from (`None`) a running partition; a removal
/// with `profile` also takes it from the partition's current profile.
/// Err: the hypervisor's refusal, or why the frame cannot be reached.
pub(crate) async fn change_adapter(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    lpar_id: u32,
    kind: pvmlab_common::model::AdapterKind,
    slot: u32,
    spec: Option<String>,
    profile: bool,
) -> Result<Partition, String> {
    let c = conn(ctx, frame).map_err(|e| e.to_string())?;
    let mut fsp = c.fsp;
    let req = pvmlab_common::proto::fsp::ChangeAdapterRequest {
        session: c.session,
        lpar_id,
        add: spec.is_some(),
        kind: kind as i32,
        slot,
        spec: spec.unwrap_or_default(),
        profile,
    };
    fsp.change_adapter(req)
        .await
        .map(|r| r.into_inner().partition.unwrap_or_default())
        .map_err(|e| e.message().to_string())
}

/// A VIOS partition's RMC channel, refused where RMC is down.
pub(crate) fn vios_client(
    ctx: &Ctx<'_>,
    frame: &str,
    vios: &Partition,
) -> Result<pvmlab_common::proto::vios::vios_client::ViosClient<Chan>, CmdError> {
    if vios.rmc_state != "active" || vios.rmc_ipaddr.is_empty() {
        return Err(Hscl::RmcFailed {
            lpar: vios.name.clone(),
            detail: None,
        }
        .into());
    }
    Ok(pvmlab_common::proto::vios::vios_client::ViosClient::new(
        vios_channel(ctx, frame, vios)?,
    ))
}

/// A channel to a VIOS partition's operating system over its RMC address,
/// checked against the certificate of that VIOS node.
pub fn vios_channel(ctx: &Ctx<'_>, frame: &str, vios: &Partition) -> Result<Chan, CmdError> {
    ctx.hmc
        .id
        .channel(
            &pvmlab_common::topology::vios_node_name(frame, &vios.name),
            &format!("{}:{}", vios.rmc_ipaddr, ctx.hmc.grpc_port),
        )
        .map_err(|e| CmdError::Usage(e.to_string()))
}

/// Waits (2 s at most) until this HMC's view shows partition `id` of
/// `frame` as `done` says, so that a listing right after a change agrees
/// with it.
pub async fn wait_partition(
    ctx: &Ctx<'_>,
    frame: &str,
    id: u32,
    done: impl Fn(&Partition) -> bool,
) {
    ctx.hmc
        .view
        .wait_for(std::time::Duration::from_secs(2), |fs| {
            fs.iter()
                .any(|f| f.name == frame && f.partitions.iter().any(|p| p.id == id && done(p)))
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_the_hmc_orders_releases() {
        assert_eq!(
            version_parts("V10R3M1050"),
            ("10".into(), "3".into(), "1050".into())
        );
        assert_eq!(version_parts("V8R8"), ("8".into(), "8".into(), "0".into()));
        assert_eq!(level("V8R8.7"), (8, 8));
        assert_eq!(level("V7R7.9.0"), (7, 7));
        assert_eq!(level("V10R3M1050"), (10, 3));
        assert!(level("V8R8.0.0") >= (8, 8) && level("V8R7.1") < (8, 8));
    }
}
