//! The HMC's part of Live Partition Mobility: it validates, then drives
//! both frames, the VIOS partitions and the source mover service partition
//! step by step, as the Redbook describes. It never touches a page: the
//! memory goes from MSP to MSP. What it has done is written into the
//! migration record the FSPs keep with the partition, so `migrlpar -o r`
//! can finish or undo a migration from any point, even after this HMC
//! restarted.

pub mod remote;
pub mod validate;

use crate::cli::hscl::Hscl;
use crate::cli::{CmdError, Ctx, conn};
use pvmlab_common::model::{
    Migration, MigrationStats, Partition, ViosDevices, ViosSlot, VirtualFcAdapter,
    VirtualScsiAdapter, lpar_state, migration_state,
};
use pvmlab_common::net::Chan;
use pvmlab_common::failure;
use pvmlab_common::proto::fsp::migration_step::{self as ms, Kind as Step};
use pvmlab_common::proto::fsp::{AdapterKind, ChangeAdapterRequest, MigrationRequest, MigrationStep};
use pvmlab_common::proto::model::Reason;
use pvmlab_common::proto::hmc::FrameView;
use pvmlab_common::proto::mover::MigrateRequest;
use pvmlab_common::proto::mover::mover_client::MoverClient;
use pvmlab_common::proto::vios::MapRequest;
use pvmlab_common::proto::vios::vios_client::ViosClient;
use pvmlab_common::topology::vios_node_name;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};
use validate::{Asked, Plan};

/// Migrations this HMC runs now, and the per-frame limits.
#[derive(Default)]
pub struct Registry {
    /// Each running migration's stop switch, by partition name.
    stops: Mutex<HashMap<String, watch::Sender<bool>>>,
    frames: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// One migration at a time plans a destination frame's VIOS slots,
    /// from its validation until its shell (which records them) shows.
    planning: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Registry {
    fn frame_slots(&self, f: &FrameView) -> Arc<Semaphore> {
        let n = f
            .frame
            .as_ref()
            .map(|f| f.num_active_migrations_supported)
            .filter(|n| *n > 0)
            .unwrap_or(16);
        self.frames
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(f.name.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(n as usize)))
            .clone()
    }

    pub fn running(&self, lpar: &str) -> bool {
        self.stops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(lpar)
    }

    /// Asks a running migration to stop; false if this HMC runs none.
    pub fn stop(&self, lpar: &str) -> bool {
        match self
            .stops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(lpar)
        {
            Some(s) => {
                let _ = s.send(true);
                true
            }
            None => false,
        }
    }
}

/// Removes the stop switch when the migration ends, however it ends.
struct Running<'a>(&'a Registry, String);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0
            .stops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.1);
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> CmdError {
    CmdError::Usage(format!(
        "HSCLA2FF An internal HMC error occurred while {what}: {e}"
    ))
}

/// One migration step on one frame's FSP.
pub async fn step(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    lpar_id: u32,
    s: Step,
) -> Result<Partition, CmdError> {
    // Boxed: the request and the RPC's future (36 KB in a debug build)
    // would otherwise be part of every caller's future.
    Box::pin(step_or_reason(ctx, frame, lpar_id, s))
        .await
        .map_err(|(e, _)| e)
}

/// A step as another HMC asks it of a frame of this HMC (remote migration).
pub(crate) async fn step_of(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    lpar_id: u32,
    s: Option<Step>,
) -> Result<Partition, CmdError> {
    let s = s.ok_or_else(|| CmdError::Usage("unknown migration step".into()))?;
    step(ctx, frame, lpar_id, s).await
}

/// The step's name in the HMC's messages.
fn step_name(s: &Step) -> &'static str {
    match s {
        Step::Begin(_) => "begin",
        Step::Shell(_) => "shell",
        Step::Check(_) => "check",
        Step::Prepare(_) => "prepare",
        Step::Post(_) => "post",
        Step::Update(_) => "update",
        Step::Finish(_) => "finish",
        Step::Rollback(_) => "rollback",
        Step::Fail(_) => "fail",
        Step::Remove(_) => "remove",
    }
}

/// `step`, with the typed reason the FSP refused it for. Through another
/// HMC (a remote frame) only its message comes back, so no reason.
async fn step_or_reason(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    lpar_id: u32,
    s: Step,
) -> Result<Partition, (CmdError, Reason)> {
    let untyped = |e: CmdError| (e, Reason::Unspecified);
    let name = step_name(&s);
    let s = Some(MigrationStep { kind: Some(s) });
    if let Some(r) = remote::of(ctx, frame) {
        let req = pvmlab_common::proto::hmc::RemoteRequest {
            frame: frame.name.clone(),
            step: s,
            lpar_id,
            ..Default::default()
        };
        let r = r.map_err(untyped)?;
        let reply = r.call("step", req).await.map_err(untyped)?;
        return Ok(reply.partition.unwrap_or_default());
    }
    let c = conn(ctx, frame).map_err(untyped)?;
    let mut fsp = c.fsp;
    fsp.migration(MigrationRequest {
        session: c.session,
        lpar_id,
        step: s,
    })
    .await
    .map(|r| r.into_inner().partition.unwrap_or_default())
    .map_err(|e| {
        (
            failed(&format!("{name} on {}", frame.name), e.message()),
            failure::reason(&e),
        )
    })
}

/// The FSP's kind of a virtual adapter the HMC names eth, scsi or fc.
pub(crate) fn adapter_kind(kind: &str) -> Option<AdapterKind> {
    match kind {
        "eth" => Some(AdapterKind::Eth),
        "scsi" => Some(AdapterKind::Scsi),
        "fc" => Some(AdapterKind::Fc),
        _ => None,
    }
}

pub(crate) fn vios_client(
    ctx: &Ctx<'_>,
    frame: &str,
    vios: &Partition,
) -> Result<ViosClient<Chan>, CmdError> {
    if vios.rmc_state != "active" || vios.rmc_ipaddr.is_empty() {
        return Err(CmdError::Usage(format!(
            "HSCLA29A The RMC command issued to partition {} failed.",
            vios.name
        )));
    }
    Ok(ViosClient::new(crate::cli::vios_channel(ctx, frame, vios)?))
}

/// The devices of every VIOS of a frame that answers over RMC.
pub(crate) async fn devices(ctx: &Ctx<'_>, f: &FrameView) -> HashMap<u32, ViosDevices> {
    let mut out = HashMap::new();
    if let Some(r) = remote::of(ctx, f) {
        if let Ok(r) = r {
            out = r.devices(&f.name).await.unwrap_or_default();
        }
        return out;
    }
    for v in f.partitions.iter().filter(|p| p.lpar_env == "vioserver") {
        let Ok(mut c) = vios_client(ctx, &f.name, v) else {
            continue;
        };
        let r = tokio::time::timeout(
            Duration::from_secs(2),
            c.devices(pvmlab_common::proto::vios::DevicesRequest {}),
        )
        .await;
        if let Ok(Ok(d)) = r {
            out.insert(v.id, d.into_inner());
        }
    }
    out
}

/// Validation, as `migrlpar -o v` and the start of `-o m` run it.
pub async fn validate(
    ctx: &Ctx<'_>,
    src: &FrameView,
    dst: &FrameView,
    lpar: &Partition,
    asked: &Asked,
) -> Plan {
    let (sd, dd) = tokio::join!(devices(ctx, src), devices(ctx, dst));
    // The operating system's check phase (drmgr -m -c pmig -p check),
    // its scripts given the wait time.
    let check_failed = if lpar.state == lpar_state::RUNNING {
        let wait = Migration {
            wait_minutes: asked.wait_minutes,
            ..Default::default()
        };
        let check = Step::Check(ms::Check {
            wait_minutes: wait.wait_minutes,
        });
        match Box::pin(step_or_reason(ctx, src, lpar.id, check)).await {
            Err((_, Reason::OsRefused)) => Some(format!(
                "The operating system of partition {} refused the migration.",
                lpar.name
            )),
            Err((_, Reason::ScriptsTimedOut)) => Some(format!(
                "The migration scripts of partition {} did not finish within the wait time of {} minutes.",
                lpar.name,
                pvmlab_common::model::wait_minutes(Some(&wait))
            )),
            _ => None,
        }
    } else {
        None
    };
    validate::validate(&validate::Inputs {
        src,
        dst,
        lpar,
        src_devices: &sd,
        dst_devices: &dd,
        asked,
        check_failed,
        remote_restart: false,
    })
}

pub(crate) fn frame_by(ctx: &Ctx<'_>, name: &str) -> Option<FrameView> {
    ctx.hmc.view.frames().into_iter().find(|f| f.name == name)
}

/// A frame of a migration as it is now: this HMC's own, or, in a remote
/// migration, the other HMC's through it. None if neither can tell.
pub(crate) async fn frame_of(ctx: &Ctx<'_>, name: &str, mig: &Migration) -> Option<FrameView> {
    if let Some(f) = frame_by(ctx, name) {
        return Some(f);
    }
    remote::of_migration(ctx, name, mig)?
        .frame(name, None)
        .await
        .ok()
}

/// The partition as the destination shell gets it: its current
/// configuration, all its profiles, the migration profile replacing the
/// last activated one (or named by -n), client adapters pointing at their
/// destination VIOS slots, physical I/O left behind.
pub(crate) fn shell_of(lpar: &Partition, plan: &Plan, new_profile: Option<&str>) -> Partition {
    let mut s = lpar.clone();
    s.migration = None;
    if let Some(id) = plan.dest_lpar_id {
        s.id = id;
    }
    let remap_scsi = |a: &mut VirtualScsiAdapter| {
        if let Some(m) = plan
            .moves
            .iter()
            .find(|m| m.kind == "scsi" && m.client_slot == a.slot && !a.server)
        {
            a.remote_lpar_id = m.dest_vios.to_string();
            a.remote_lpar_name = m.dest_vios_name.clone();
            a.remote_slot = m.dest_slot.to_string();
        }
    };
    let remap_fc = |a: &mut VirtualFcAdapter| {
        if let Some(m) = plan
            .moves
            .iter()
            .find(|m| m.kind == "fc" && m.client_slot == a.slot && !a.server)
        {
            a.remote_lpar_id = m.dest_vios.to_string();
            a.remote_lpar_name = m.dest_vios_name.clone();
            a.remote_slot = m.dest_slot.to_string();
        }
    };
    if let Some(c) = s.curr.as_mut() {
        c.scsi.iter_mut().for_each(remap_scsi);
        c.fc.iter_mut().for_each(remap_fc);
        c.shared_proc_pool_id = plan.pool_id;
    }
    let base = validate::moving_profile(lpar).cloned().unwrap_or_default();
    let mut mp = base.clone();
    mp.name = new_profile.map(str::to_string).unwrap_or(base.name.clone());
    mp.io_slots.clear();
    mp.shared_proc_pool_id = plan.pool_id;
    if let Some(c) = &lpar.curr {
        mp.desired_mem = c.mem_mb;
        mp.desired_proc_units = c.proc_units;
        mp.desired_procs = c.procs;
    }
    mp.virtual_scsi_adapters.iter_mut().for_each(remap_scsi);
    mp.virtual_fc_adapters.iter_mut().for_each(remap_fc);
    s.profiles.retain(|p| p.name != mp.name);
    s.profiles.push(mp.clone());
    s.curr_profile = if lpar.curr.is_some() {
        mp.name.clone()
    } else {
        String::new()
    };
    s.last_activated_profile = mp.name;
    s
}

/// How long a migration's hold on a frame's lock lasts unless renewed:
/// what another HMC waits for, at most, after this one died.
const LEASE: Duration = Duration::from_secs(6);

/// A migration's hold on its frames' locks (Redbook §5.3: "The HMC that
/// initiates a migration takes a lock on both managed systems and the lock
/// is released when migration is completed"), renewed while it lasts and
/// released when dropped.
struct Holds {
    renew: tokio::task::AbortHandle,
    locks: Vec<Lock>,
}

/// A frame's lock: this HMC's own session with the frame, or, for another
/// HMC's frame (remote migration), that HMC holding it for this one.
#[derive(Clone)]
pub(crate) enum Lock {
    Own(crate::frames::Conn),
    Remote(remote::Remote, String),
}

impl Lock {
    pub(crate) async fn set(self, what: &str, release: bool) -> Result<(), CmdError> {
        let lease_ms = LEASE.as_millis() as u64;
        match self {
            Lock::Own(c) => {
                let mut fsp = c.fsp;
                fsp.lock(pvmlab_common::proto::fsp::LockRequest {
                    session: c.session,
                    what: what.to_string(),
                    lease_ms,
                    release,
                    force: false,
                })
                .await
                .map(|_| ())
                .map_err(|e| CmdError::Usage(e.message().to_string()))
            }
            Lock::Remote(r, frame) => {
                let req = pvmlab_common::proto::hmc::RemoteRequest {
                    frame,
                    what: what.to_string(),
                    release,
                    ..Default::default()
                };
                r.call("lock", req).await.map(|_| ())
            }
        }
    }
}

impl Drop for Holds {
    fn drop(&mut self) {
        self.renew.abort();
        for l in self.locks.drain(..) {
            tokio::spawn(async move {
                let _ = l.set("", true).await;
            });
        }
    }
}

async fn hold(ctx: &Ctx<'_>, frames: &[&FrameView], what: &str) -> Result<Holds, CmdError> {
    let mut locks = Vec::new();
    for f in frames {
        locks.push(match remote::of(ctx, f) {
            Some(r) => Lock::Remote(r?, f.name.clone()),
            None => Lock::Own(conn(ctx, f)?),
        });
    }
    let take = |locks: Vec<Lock>, what: String| async move {
        for l in locks {
            l.set(&what, false).await?;
        }
        Ok::<(), CmdError>(())
    };
    take(locks.clone(), what.to_string()).await?;
    let (again, what) = (locks.clone(), what.to_string());
    let renew = tokio::spawn(async move {
        loop {
            tokio::time::sleep(LEASE / 3).await;
            if let Err(e) = take(again.clone(), what.clone()).await {
                tracing::warn!("renewing the migration's lock: {}", msg(e));
            }
        }
    })
    .abort_handle();
    Ok(Holds { renew, locks })
}

/// Migrates a partition (`migrlpar -o m`): active if it runs, inactive if
/// it is not activated. Returns what -v prints.
pub async fn migrate(
    ctx: &Ctx<'_>,
    src: FrameView,
    dst: FrameView,
    lpar: Partition,
    asked: Asked,
) -> Result<String, CmdError> {
    let _holds = hold(ctx, &[&src, &dst], &format!("migration of {}", lpar.name)).await?;
    let planning = ctx
        .hmc
        .lpm
        .planning
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(dst.name.clone())
        .or_default()
        .clone();
    let planned = planning.lock().await;
    // The destination as it is now that no other migration plans it.
    let dst = if dst.remote_hmc.is_empty() {
        frame_by(ctx, &dst.name).unwrap_or(dst)
    } else {
        dst
    };
    let plan = validate(ctx, &src, &dst, &lpar, &asked).await;
    if !plan.errors.is_empty() {
        return Err(CmdError::Usage(
            validate::report(&plan).trim_end().to_string(),
        ));
    }
    let reg = &ctx.hmc.lpm;
    let (stop_tx, mut stop) = watch::channel(false);
    {
        let mut stops = reg.stops.lock().unwrap_or_else(|e| e.into_inner());
        if stops.contains_key(&lpar.name) {
            return Err(CmdError::Usage(format!(
                "The partition {} is already being migrated.",
                lpar.name
            )));
        }
        stops.insert(lpar.name.clone(), stop_tx);
    }
    let _running = Running(reg, lpar.name.clone());
    // Beyond the frames' limits a migration waits its turn.
    let (s1, s2) = (reg.frame_slots(&src), reg.frame_slots(&dst));
    let _p1 = s1.acquire_owned().await.map_err(|e| failed("queuing", e))?;
    let _p2 = s2.acquire_owned().await.map_err(|e| failed("queuing", e))?;
    let start = Instant::now();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut mig = Migration {
        id: format!("{}-{}-{nanos}", ctx.hmc.name, lpar.id),
        state: migration_state::STARTING.into(),
        r#type: if plan.active { "active" } else { "inactive" }.into(),
        source: true,
        source_sys_name: src.name.clone(),
        dest_sys_name: dst.name.clone(),
        source_lpar_id: lpar.id,
        dest_lpar_id: pvmlab_common::model::NO_DEST_LPAR_ID,
        source_msp_name: plan
            .source_msp
            .as_ref()
            .map(|m| m.1.clone())
            .unwrap_or_default(),
        source_msp_id: plan.source_msp.as_ref().map(|m| m.0).unwrap_or_default(),
        dest_msp_name: plan
            .dest_msp
            .as_ref()
            .map(|m| m.1.clone())
            .unwrap_or_default(),
        dest_msp_id: plan.dest_msp.as_ref().map(|m| m.0).unwrap_or_default(),
        hmc: ctx.hmc.name.clone(),
        source_hmc: ctx.hmc.name.clone(),
        dest_hmc: if dst.remote_hmc.is_empty() {
            ctx.hmc.name.clone()
        } else {
            dst.remote_hmc.clone()
        },
        remote_user: dst.remote_user.clone(),
        new_profile: asked.new_profile.clone().unwrap_or_default(),
        wait_minutes: asked.wait_minutes,
        dest_vios_slots: plan
            .moves
            .iter()
            .map(|m| ViosSlot {
                vios_id: m.dest_vios,
                slot: m.dest_slot,
                kind: m.kind.into(),
            })
            .collect(),
        stats: Some(MigrationStats {
            memory_mb: lpar.curr.as_ref().map(|c| c.mem_mb).unwrap_or(0),
            ..Default::default()
        }),
        ..Default::default()
    };
    tracing::info!(lpar = %lpar.name, from = %src.name, to = %dst.name, r#type = %mig.r#type, "migration starts");
    step(ctx, &src, lpar.id, Step::Begin(ms::Begin { migration: Some(mig.clone()) })).await?;
    let shell = shell_of(&lpar, &plan, asked.new_profile.as_deref());
    let made = match step(ctx, &dst, shell.id, Step::Shell(ms::Shell { migration: Some(mig.clone()), partition: Some(shell) })).await {
        Ok(p) => p,
        Err(e) => {
            let _ = step(ctx, &src, lpar.id, Step::Rollback(ms::Rollback { migration_id: mig.id.clone() })).await;
            return Err(e);
        }
    };
    mig.dest_lpar_id = made.id;
    if dst.remote_hmc.is_empty() {
        let id = made.id;
        crate::cli::wait_partition(ctx, &dst.name, id, |p| p.migration.is_some()).await;
    }
    drop(planned);
    let result = run(ctx, &src, &dst, &lpar, &plan, &mut mig, &mut stop).await;
    let ended = match &result {
        Ok(()) => "completed",
        Err(Abort::Stopped) => "stopped",
        Err(Abort::Refused(_)) => "refused",
        Err(Abort::Failed(_)) => "failed",
    };
    let downtime = mig
        .stats
        .as_ref()
        .filter(|_| result.is_ok() && plan.active)
        .map(|s| Duration::from_micros(s.downtime_us));
    pvmlab_common::metrics::migration_ended(ended, downtime);
    match result {
        Ok(()) => {}
        Err(Abort::Stopped) | Err(Abort::Refused(_)) => {
            let why = match &result {
                Err(Abort::Refused(m)) => m.clone(),
                _ => String::new(),
            };
            roll_back(ctx, &src.name, &dst.name, &mig).await?;
            if why.is_empty() {
                return Ok(String::new());
            }
            return Err(CmdError::Usage(why));
        }
        Err(Abort::Failed(m)) => {
            mig.error = m.clone();
            let _ = step(ctx, &src, lpar.id, Step::Fail(ms::Fail { migration: Some(source_rec(&mig)) })).await;
            let _ = step(
                ctx,
                &dst,
                mig.dest_lpar_id,
                Step::Fail(ms::Fail { migration: Some(dest_rec(&mig)) }),
            )
            .await;
            return Err(CmdError::Usage(format!(
                "HSCLA2FF The migration of partition {} failed: {m}. The partition runs on the managed system {} if it ran before; run migrlpar -o r -m {} -p {} to recover.",
                lpar.name,
                if mig.resumed { &dst.name } else { &src.name },
                src.name,
                lpar.name
            )));
        }
    }
    complete(ctx, &src.name, &dst.name, &mig).await?;
    let st = mig.stats.clone().unwrap_or_default();
    tracing::info!(lpar = %lpar.name, ms = start.elapsed().as_millis() as u64, "migration completed");
    Ok(summary(&mig, &st, start.elapsed()))
}

fn summary(mig: &Migration, st: &MigrationStats, took: Duration) -> String {
    format!(
        "migration_type={},total_ms={},passes={},pages_sent={},zero_pages={},bytes_transmitted={},throughput_mb_s={:.1},dirty_rate_pages_s={:.0},downtime_us={},demand_pages={},source_digest={},dest_digest={},memory_integrity={}\n",
        mig.r#type,
        took.as_millis(),
        st.passes,
        st.pages_sent,
        st.zero_pages,
        st.bytes_transmitted,
        st.throughput_mb_s,
        st.dirty_rate_pages_s,
        st.downtime_us,
        st.demand_pages,
        st.source_digest,
        st.dest_digest,
        if st.source_digest == st.dest_digest {
            "ok"
        } else {
            "MISMATCH"
        }
    )
}

fn source_rec(m: &Migration) -> Migration {
    Migration {
        source: true,
        ..m.clone()
    }
}

fn dest_rec(m: &Migration) -> Migration {
    Migration {
        source: false,
        ..m.clone()
    }
}

enum Abort {
    /// migrlpar -o s, in Migration Starting.
    Stopped,
    /// Refused before anything moved: rolled back at once.
    Refused(String),
    /// Stopped on an error: a recovery decides.
    Failed(String),
}

/// The steps between the shell and completion.
async fn run(
    ctx: &Ctx<'_>,
    src: &FrameView,
    dst: &FrameView,
    lpar: &Partition,
    plan: &Plan,
    mig: &mut Migration,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), Abort> {
    step(ctx, src, lpar.id, Step::Update(ms::Update { migration: Some(source_rec(mig)) }))
        .await
        .map_err(|e| Abort::Failed(msg(e)))?;
    if plan.active {
        // The prepare event: the operating system may still say no.
        if let Err(e) = step(ctx, src, lpar.id, Step::Prepare(ms::Prepare { migration_id: mig.id.clone(), wait_minutes: mig.wait_minutes })).await {
            return Err(Abort::Refused(format!(
                "HSCLA257 The migrating partition has returned a failure response to the HMC's request to prepare for migration. {}",
                msg(e)
            )));
        }
    }
    // Destination VIOS adapters and mappings, from the plan.
    map_destination(ctx, dst, mig.dest_lpar_id, lpar, &plan.moves)
        .await
        .map_err(|e| Abort::Refused(msg(e)))?;
    if *stop.borrow() {
        return Err(Abort::Stopped);
    }
    if !plan.active {
        return Ok(());
    }
    let (sm, dm) = (
        plan.source_msp.clone().unwrap_or_default(),
        plan.dest_msp.clone().unwrap_or_default(),
    );
    let smsp = src
        .partitions
        .iter()
        .find(|p| p.id == sm.0)
        .cloned()
        .unwrap_or_default();
    let dmsp = dst
        .partitions
        .iter()
        .find(|p| p.id == dm.0)
        .cloned()
        .unwrap_or_default();
    let chan =
        crate::cli::vios_channel(ctx, &src.name, &smsp).map_err(|e| Abort::Failed(msg(e)))?;
    let req = MigrateRequest {
        migration_id: mig.id.clone(),
        source_lpar_id: lpar.id,
        dest_msp_node: vios_node_name(&dst.name, &dmsp.name),
        dest_msp_addr: format!("{}:{}", dmsp.rmc_ipaddr, ctx.hmc.grpc_port),
        dest_lpar_id: mig.dest_lpar_id,
        max_downtime_ms: 20,
        max_passes: 30,
        timeout_ms: 600_000,
    };
    let mut events = MoverClient::new(chan)
        .migrate(req)
        .await
        .map_err(|e| Abort::Failed(e.message().to_string()))?
        .into_inner();
    let mut last_update = Instant::now();
    loop {
        let ev = tokio::select! {
            ev = events.message() => ev,
            _ = stop.changed() => {
                if mig.state == migration_state::STARTING {
                    return Err(Abort::Stopped);
                }
                continue;
            }
        };
        let ev = match ev {
            Ok(Some(ev)) => ev,
            Ok(None) => {
                return Err(Abort::Failed(
                    "the mover service partition ended the migration early".into(),
                ));
            }
            Err(e) => {
                // The MSP has rolled the source back if it could; whether
                // the partition resumed on the destination is the
                // destination's to say.
                if let Some(f) = frame_of(ctx, &dst.name, mig).await {
                    if f.partitions.iter().any(|p| {
                        p.id == mig.dest_lpar_id && p.migration.as_ref().is_some_and(|m| m.resumed)
                    }) {
                        mig.resumed = true;
                    }
                }
                return Err(Abort::Failed(e.message().to_string()));
            }
        };
        mig.stats = ev.stats.clone();
        let mut persist = last_update.elapsed() >= Duration::from_millis(250);
        match ev.phase.as_str() {
            "suspended" => {
                mig.state = migration_state::IN_PROGRESS.into();
                persist = true;
            }
            "resumed" => {
                mig.resumed = true;
                persist = true;
            }
            "completed" => {
                let _ = step(ctx, src, lpar.id, Step::Update(ms::Update { migration: Some(source_rec(mig)) })).await;
                return Ok(());
            }
            _ => {}
        }
        if persist {
            last_update = Instant::now();
            let _ = step(ctx, src, lpar.id, Step::Update(ms::Update { migration: Some(source_rec(mig)) })).await;
        }
    }
}

pub(crate) fn msg(e: CmdError) -> String {
    match e {
        CmdError::Hscl(h) => h.to_string(),
        CmdError::Usage(m) => m,
    }
}

/// Server adapters on the destination VIOS partitions and the disks
/// mapped to them, before any memory moves.
pub(crate) async fn map_destination(
    ctx: &Ctx<'_>,
    dst: &FrameView,
    dest_id: u32,
    lpar: &Partition,
    moves: &[validate::AdapterMove],
) -> Result<(), CmdError> {
    if let Some(r) = remote::of(ctx, dst) {
        let req = pvmlab_common::proto::hmc::RemoteRequest {
            frame: dst.name.clone(),
            lpar_id: dest_id,
            partition: Some(lpar.clone()),
            moves: moves.iter().map(remote::to_wire).collect(),
            ..Default::default()
        };
        return r?.call("map", req).await.map(|_| ());
    }
    for m in moves {
        let vios = dst
            .partitions
            .iter()
            .find(|p| p.id == m.dest_vios)
            .ok_or_else(|| Hscl::PartitionNotFound(m.dest_vios_name.clone()))?;
        let spec = if m.kind == "scsi" {
            pvmlab_common::attrs::fmt_scsi(&VirtualScsiAdapter {
                slot: m.dest_slot,
                server: true,
                remote_lpar_id: dest_id.to_string(),
                remote_lpar_name: lpar.name.clone(),
                remote_slot: m.client_slot.to_string(),
                required: false,
            })
        } else {
            pvmlab_common::attrs::fmt_fc(&VirtualFcAdapter {
                slot: m.dest_slot,
                server: true,
                remote_lpar_id: dest_id.to_string(),
                remote_lpar_name: lpar.name.clone(),
                remote_slot: m.client_slot.to_string(),
                wwpns: Vec::new(),
                required: false,
            })
        };
        let c = conn(ctx, dst)?;
        let mut fsp = c.fsp;
        fsp.change_adapter(ChangeAdapterRequest {
            session: c.session,
            lpar_id: vios.id,
            add: true,
            kind: adapter_kind(m.kind).unwrap_or_default() as i32,
            slot: m.dest_slot,
            spec,
            profile: false,
        })
        .await
        .map_err(|e| {
            failed(
                &format!("creating adapter {} on {}", m.dest_slot, vios.name),
                e.message(),
            )
        })?;
        let mut v = vios_client(ctx, &dst.name, vios)?;
        let req = if m.kind == "scsi" {
            MapRequest {
                add_vscsi: m
                    .luns
                    .iter()
                    .map(|lun| pvmlab_common::model::VscsiMapping {
                        server_slot: m.dest_slot,
                        client_lpar_id: dest_id,
                        lun_id: lun.clone(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }
        } else {
            MapRequest {
                add_npiv: vec![pvmlab_common::model::NpivMapping {
                    server_slot: m.dest_slot,
                    client_lpar_id: dest_id,
                    client_slot: m.client_slot,
                    ..Default::default()
                }],
                ..Default::default()
            }
        };
        v.map(req).await.map_err(|e| {
            CmdError::Usage(format!(
                "HSCLA356 The RMC command issued to partition {} failed. This means that destination VIOS partition {} cannot host the virtual adapter {} on the migrating partition. {}",
                vios.name, vios.name, m.client_slot, e.message()
            ))
        })?;
    }
    Ok(())
}

/// Removes a client's adapters and mappings from a frame's VIOS
/// partitions: on the source after completion, on the destination after
/// a rollback. With `profile`, the slots also go from the VIOS partitions'
/// current profiles, as the HMC does on a migration's source (Redbook
/// §2.4.4: "the HMC removes the slots from the source VIOS's profile").
/// Best effort: a VIOS that cannot be reached keeps them.
pub(crate) async fn unmap(
    ctx: &Ctx<'_>,
    f: &FrameView,
    client_id: u32,
    slots: &[(u32, u32, String)],
    profile: bool,
) {
    if let Some(r) = remote::of(ctx, f) {
        let req = pvmlab_common::proto::hmc::RemoteRequest {
            frame: f.name.clone(),
            lpar_id: client_id,
            slots: slots
                .iter()
                .map(|(vios_id, slot, kind)| ViosSlot {
                    vios_id: *vios_id,
                    slot: *slot,
                    kind: kind.clone(),
                })
                .collect(),
            profile,
            ..Default::default()
        };
        if let Ok(r) = r {
            let _ = r.call("unmap", req).await;
        }
        return;
    }
    for v in f.partitions.iter().filter(|p| p.lpar_env == "vioserver") {
        if let Ok(mut c) = vios_client(ctx, &f.name, v) {
            let _ = c
                .map(MapRequest {
                    remove_client_lpar_id: client_id,
                    ..Default::default()
                })
                .await;
        }
    }
    let Ok(c) = conn(ctx, f) else { return };
    for (vios, slot, kind) in slots {
        let mut fsp = c.fsp.clone();
        let _ = fsp
            .change_adapter(ChangeAdapterRequest {
                session: c.session.clone(),
                lpar_id: *vios,
                add: false,
                kind: adapter_kind(kind).unwrap_or_default() as i32,
                slot: *slot,
                spec: String::new(),
                profile,
            })
            .await;
    }
}

/// The source VIOS server adapters that served a client.
pub(crate) fn serving_slots(f: &FrameView, client: &Partition) -> Vec<(u32, u32, String)> {
    let mut out = Vec::new();
    for v in f.partitions.iter().filter(|p| p.lpar_env == "vioserver") {
        if let Some(c) = &v.curr {
            for a in c
                .scsi
                .iter()
                .filter(|a| a.server && a.remote_lpar_id == client.id.to_string())
            {
                out.push((v.id, a.slot, "scsi".to_string()));
            }
            for a in
                c.fc.iter()
                    .filter(|a| a.server && a.remote_lpar_id == client.id.to_string())
            {
                out.push((v.id, a.slot, "fc".to_string()));
            }
        }
    }
    out
}

/// Finishes a migration past its point of no return (or an inactive one):
/// the source VIOS mappings and the source partition go, the destination
/// partition leaves the migration. Either side may already be done.
pub async fn complete(
    ctx: &Ctx<'_>,
    src: &str,
    dst: &str,
    mig: &Migration,
) -> Result<(), CmdError> {
    if let Some(s) = frame_of(ctx, src, mig).await.filter(|f| f.connected) {
        if let Some(l) = s
            .partitions
            .iter()
            .find(|p| p.migration.as_ref().is_some_and(|m| m.id == mig.id))
        {
            unmap(ctx, &s, l.id, &serving_slots(&s, l), true).await;
            step(ctx, &s, l.id, Step::Remove(ms::Remove { migration_id: mig.id.clone() })).await?;
        }
    }
    let d = frame_of(ctx, dst, mig)
        .await
        .filter(|f| f.connected)
        .ok_or_else(|| Hscl::NoConnection(dst.to_string()))?;
    if let Some(l) = d
        .partitions
        .iter()
        .find(|p| p.migration.as_ref().is_some_and(|m| m.id == mig.id))
    {
        if mig.r#type == "active" {
            let _ = step(ctx, &d, l.id, Step::Post(ms::Post { migration_id: mig.id.clone(), wait_minutes: mig.wait_minutes })).await;
        }
        step(ctx, &d, l.id, Step::Finish(ms::Finish { migration_id: mig.id.clone() })).await?;
        if d.remote_hmc.is_empty() {
            let id = l.id;
            crate::cli::wait_partition(ctx, dst, id, |p| p.migration.is_none()).await;
        }
    }
    Ok(())
}

/// Undoes a migration before its point of no return: the destination's
/// adapters, mappings and shell go, and the source partition leaves the
/// migration (a suspended one runs on). Either side may be unreachable
/// (with --force) or already clean.
pub async fn roll_back(
    ctx: &Ctx<'_>,
    src: &str,
    dst: &str,
    mig: &Migration,
) -> Result<(), CmdError> {
    if let Some(d) = frame_of(ctx, dst, mig).await.filter(|f| f.connected) {
        if let Some(l) = d
            .partitions
            .iter()
            .find(|p| p.migration.as_ref().is_some_and(|m| m.id == mig.id))
        {
            let slots: Vec<(u32, u32, String)> = l
                .migration
                .as_ref()
                .map(|m| {
                    m.dest_vios_slots
                        .iter()
                        .map(|s| (s.vios_id, s.slot, s.kind.clone()))
                        .collect()
                })
                .unwrap_or_default();
            unmap(ctx, &d, l.id, &slots, false).await;
            step(ctx, &d, l.id, Step::Remove(ms::Remove { migration_id: mig.id.clone() })).await?;
        }
    }
    if let Some(s) = frame_of(ctx, src, mig).await.filter(|f| f.connected) {
        if let Some(l) = s
            .partitions
            .iter()
            .find(|p| p.migration.as_ref().is_some_and(|m| m.id == mig.id))
        {
            let id = l.id;
            step(ctx, &s, id, Step::Rollback(ms::Rollback { migration_id: mig.id.clone() })).await?;
            if s.remote_hmc.is_empty() {
                crate::cli::wait_partition(ctx, src, id, |p| p.migration.is_none()).await;
            }
        }
    }
    Ok(())
}

/// `migrlpar -o r`: finishes the migration if the partition resumed on
/// the destination (or the migration was inactive and its shell is
/// complete), else undoes it.
pub async fn recover(
    ctx: &Ctx<'_>,
    lpar: &str,
    mig: &Migration,
    force: bool,
) -> Result<(), CmdError> {
    let (src, dst) = (mig.source_sys_name.clone(), mig.dest_sys_name.clone());
    for f in [&src, &dst] {
        let up = frame_of(ctx, f, mig).await.is_some_and(|v| v.connected);
        if !up && !force {
            return Err(Hscl::NoConnection(f.clone()).into());
        }
    }
    // The destination's record says whether the partition runs there; a
    // partition of that name there outside any migration finished it
    // already (the source was lost meanwhile), and only the stale source
    // copy is left to remove. Rolling back then would make two.
    let resumed = mig.resumed
        || frame_of(ctx, &dst, mig).await.is_some_and(|d| {
            d.partitions.iter().any(|p| match &p.migration {
                Some(m) => m.id == mig.id && m.resumed,
                None => p.name == lpar,
            })
        });
    if resumed {
        complete(ctx, &src, &dst, mig).await
    } else {
        roll_back(ctx, &src, &dst, mig).await
    }
}
