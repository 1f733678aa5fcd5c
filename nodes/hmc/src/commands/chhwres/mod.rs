//! `chhwres -r mem|proc -m <sys> -o a|r|m (-p <lpar> | --id <id>)
//! [-t <target> | --tid <id>] [-q <MB>] [--procs <n>] [--procunits <units>]`:
//! dynamic LPAR on running partitions, within each profile's min and max;
//! `chhwres -r virtualio -m <sys> -o a|r -p <lpar> --rsubtype eth|scsi|fc
//! -s <slot> [-a "<attrs>"]` adds or removes a virtual adapter;
//! `chhwres -r rspool -m <sys> -o a|r [-a vios_names=...]` and `-o a|r -p
//! <vios> --rsubtype rsdev --device <hdisk> [--manual]` build the reserved
//! storage device pool (remote restart, see `crate::rr::rsdp`);
//! `chhwres -r mem -m <sys> -o s -a "..."` the system's memory settings
//! (`memsys`).

mod memsys;

use super::Command;
use super::input::{LparRef, NotOne, input_attrs};
use super::opts::{self, flag, not_one_of, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, conn, find_frame, wait_partition};
use crate::hscl::Hscl;
use pvmlab_common::model::{AdapterKind, AdapterKindExt as _, Partition};
use pvmlab_common::proto::fsp::DlparRequest;
use pvmlab_common::proto::hmc::FrameView;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-o"]),
    value(&["-p"]),
    value(&["--id"]),
    value(&["-t"]),
    value(&["--tid"]),
    value(&["-q"]),
    value(&["--procs"]),
    value(&["--procunits"]),
    value(&["-w"]),
    value(&["-d"]),
    value(&["--rsubtype"]),
    value(&["-s"]),
    value(&["-a"]),
    flag(&["--force"]),
    value(&["--device"]),
    flag(&["--manual"]),
];

/// The `-a` attributes of a virtual adapter, in the names `lshwres` prints.
const ADAPTER_ATTRS: &[&str] = &[
    "ieee_virtual_eth",
    "port_vlan_id",
    "addl_vlan_ids",
    "is_trunk",
    "trunk_priority",
    "vswitch",
    "mac_addr",
    "is_required",
    "adapter_type",
    "remote_lpar_id",
    "remote_lpar_name",
    "remote_slot_num",
    "wwpns",
];

#[derive(Debug, PartialEq)]
pub struct Chhwres {
    pub frame: String,
    pub change: Change,
}

#[derive(Debug, PartialEq)]
pub enum Change {
    /// Memory, in MB, to add, remove or move.
    Mem {
        lpar: LparRef,
        op: Op,
        mb: u64,
    },
    Proc {
        lpar: LparRef,
        op: Op,
        procs: Option<u32>,
        units: Option<f64>,
    },
    Adapter {
        lpar: LparRef,
        kind: AdapterKind,
        slot: u32,
        /// The adapter to add, in the profile layout; None removes.
        add: Option<String>,
    },
    Pool(PoolChange),
    /// `-r mem -o s`: the system's memory settings.
    MemSettings(memsys::MemChange),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    /// To another running partition of the frame.
    Move {
        to: LparRef,
    },
}

/// `--rsubtype eth|scsi|fc`.
fn adapter_kind(v: &str) -> Result<AdapterKind, CmdError> {
    AdapterKind::of_word(v)
        .ok_or_else(|| not_one_of("--rsubtype", v, &["eth", "scsi", "fc"]).into())
}

/// A change of the reserved storage device pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolChange {
    /// Creates the pool, or adds VIOS to it: the names as given.
    AddVioses(String),
    /// Removes the pool, which must hold no devices.
    Remove,
    AddDevice {
        vios: LparRef,
        device: String,
        manual: bool,
    },
    RemoveDevice {
        vios: LparRef,
        device: String,
    },
}

impl Command for Chhwres {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let resource = o.require("-r")?;
        let frame = o.require("-m")?.to_string();
        let op = o.require("-o")?;
        if resource == "rspool" {
            let change = Change::Pool(pool_change(op, &o)?);
            return Ok(Chhwres { frame, change });
        }
        if resource == "mem" && op == "s" {
            let change = Change::MemSettings(memsys::MemChange::parse(o.get("-a"))?);
            return Ok(Chhwres { frame, change });
        }
        let lpar = lpar_ref(o.get("-p"), o.get("--id"), "source")?;
        let op = match op {
            "a" => Op::Add,
            "r" => Op::Remove,
            "m" => Op::Move {
                to: lpar_ref(o.get("-t"), o.get("--tid"), "target")?,
            },
            other => return Err(not_one_of("-o", other, &["a", "r", "m"]).into()),
        };
        let change = match resource {
            "mem" => Change::Mem {
                lpar,
                op,
                mb: num(&o, "-q")?.ok_or_else(|| "The -q parameter is required.".to_string())?,
            },
            "proc" => {
                let procs: Option<u32> = num(&o, "--procs")?;
                let units: Option<f64> = num(&o, "--procunits")?;
                if procs.is_none() && units.is_none() {
                    return Err("The --procs or --procunits parameter is required."
                        .to_string()
                        .into());
                }
                Change::Proc {
                    lpar,
                    op,
                    procs,
                    units,
                }
            }
            "virtualio" => adapter_change(lpar, &op, &o)?,
            other => return Err(not_one_of("-r", other, &["mem", "proc"]).into()),
        };
        Ok(Chhwres { frame, change })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let frame = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        match self.change {
            Change::Pool(change) => rspool(ctx, &frame, change).await,
            Change::MemSettings(c) => memsys::apply(ctx, &frame, c).await,
            Change::Adapter {
                lpar,
                kind,
                slot,
                add,
            } => virtual_adapter(ctx, &frame, lpar.find(&frame)?, kind, slot, add).await,
            Change::Mem { lpar, op, mb } => {
                let (source, mut req) = dlpar_request(&frame, &lpar, &op)?;
                req.mem_mb = sign(&op) * mb as i64;
                dlpar(ctx, &frame, source, req).await
            }
            Change::Proc {
                lpar,
                op,
                procs,
                units,
            } => {
                let (source, mut req) = dlpar_request(&frame, &lpar, &op)?;
                let sign = sign(&op);
                req.procs = sign as i32 * procs.unwrap_or(0) as i32;
                req.proc_units = f64::from(sign as i32) * units.unwrap_or(0.0);
                dlpar(ctx, &frame, source, req).await
            }
        }
    }
}

/// The partition `-p`/`--id` (or `-t`/`--tid`) names; `what` it is in
/// the messages.
fn lpar_ref(name: Option<&str>, id: Option<&str>, what: &str) -> Result<LparRef, CmdError> {
    LparRef::one_of(name, id).map_err(|e| {
        CmdError::Usage(match e {
            NotOne::Both => format!("Specify the {what} partition by name or by id, not both."),
            NotOne::Neither => format!("The {what} partition is required."),
        })
    })
}

fn num<T: std::str::FromStr>(o: &opts::Parsed, k: &str) -> Result<Option<T>, CmdError> {
    o.get(k)
        .map(|v| {
            v.parse::<T>().map_err(|_| {
                CmdError::Usage(format!(
                    "An invalid value was entered for the {k} parameter: {v}"
                ))
            })
        })
        .transpose()
}

fn sign(op: &Op) -> i64 {
    if *op == Op::Remove { -1 } else { 1 }
}

/// The source partition, then the target, looked up in that order, and a
/// request naming both.
fn dlpar_request<'a>(
    frame: &'a FrameView,
    lpar: &LparRef,
    op: &Op,
) -> Result<(&'a Partition, DlparRequest), CmdError> {
    let source = lpar.find(frame)?;
    let target = match op {
        Op::Move { to } => Some(to.find(frame)?),
        Op::Add | Op::Remove => None,
    };
    let req = DlparRequest {
        lpar_id: source.id,
        target_lpar_id: target.map(|t| t.id).unwrap_or(0),
        ..Default::default()
    };
    Ok((source, req))
}

async fn dlpar(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    source: &Partition,
    mut req: DlparRequest,
) -> CmdResult {
    let conn = conn(ctx, frame)?;
    req.session = conn.session;
    let mut fsp = conn.fsp;
    let done = fsp
        .dlpar(req)
        .await
        .map_err(|e| dlpar_refused(&source.name, &e))?;
    let want = done.into_inner().partition.and_then(|p| p.curr);
    wait_partition(ctx, &frame.name, source.id, |p| p.curr == want).await;
    Ok(String::new())
}

/// What a refused dynamic change of `lpar` tells the user, by the typed
/// reason the hypervisor gives: lack of memory or processors is the
/// catalogue's resource refusal, another precondition the partition's
/// state; the lock refusal keeps the FSP's words, which name the holder.
fn dlpar_refused(lpar: &str, e: &tonic::Status) -> CmdError {
    use pvmlab_common::proto::model::Reason;
    if let Some(locked) = crate::error::locked(e) {
        return locked;
    }
    match pvmlab_common::failure::reason(e) {
        Reason::InsufficientMemory | Reason::InsufficientProcessors => {
            Hscl::Resources(e.message().to_string()).into()
        }
        r if matches!(r, Reason::PartitionState | Reason::FrameState)
            || e.code() == tonic::Code::FailedPrecondition =>
        {
            CmdError::Usage(format!(
                "The partition {lpar} must be running for a dynamic change: {}.",
                e.message()
            ))
        }
        _ => CmdError::Usage(format!(
            "An error occurred while changing the resources of partition {lpar}: {}.",
            e.message()
        )),
    }
}

/// `-r virtualio`: the adapter, built from `-a` attributes when added.
fn adapter_change(lpar: LparRef, op: &Op, o: &opts::Parsed) -> Result<Change, CmdError> {
    let kind = o.require("--rsubtype")?;
    let slot: u32 = num(o, "-s")?.ok_or_else(|| "The -s parameter is required.".to_string())?;
    let add = match op {
        Op::Add => true,
        Op::Remove => false,
        Op::Move { .. } => return Err("An invalid value was entered for the -o parameter: m. Valid values for -r virtualio are a, r.".to_string().into()),
    };
    let attrs = o
        .get("-a")
        .map(|a| input_attrs(a, ADAPTER_ATTRS))
        .transpose()?
        .unwrap_or_default();
    let kind = adapter_kind(kind)?;
    Ok(Change::Adapter {
        lpar,
        kind,
        slot,
        add: add.then(|| adapter_spec(kind, slot, &attrs)).transpose()?,
    })
}

/// Builds the adapter from `-a` attributes in the profile layout, so the
/// hypervisor parses it with the same code as a profile's adapters.
fn adapter_spec(kind: AdapterKind, slot: u32, a: &[(String, String)]) -> Result<String, CmdError> {
    let get = |k: &str, d: &str| {
        a.iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| d.to_string())
    };
    Ok(match kind {
        AdapterKind::Unspecified => {
            return Err(not_one_of("--rsubtype", "", &["eth", "scsi", "fc"]).into());
        }
        AdapterKind::Eth => {
            let pvid = get("port_vlan_id", "");
            if pvid.is_empty() {
                return Err("The port_vlan_id attribute is required.".to_string().into());
            }
            let trunk = if get("is_trunk", "0") == "1" {
                get("trunk_priority", "1")
            } else {
                "0".into()
            };
            format!(
                "{slot}/{}/{pvid}/{}/{trunk}/{}/{}/{}/all/none",
                get("ieee_virtual_eth", "0"),
                get("addl_vlan_ids", ""),
                get("is_required", "0"),
                get("vswitch", "ETHERNET0"),
                get("mac_addr", "")
            )
        }
        AdapterKind::Scsi | AdapterKind::Fc => {
            let mut s = format!(
                "{slot}/{}/{}/{}/{}",
                get("adapter_type", "client"),
                get("remote_lpar_id", "any"),
                get("remote_lpar_name", ""),
                get("remote_slot_num", "any")
            );
            if kind == AdapterKind::Fc {
                s.push_str(&format!("/{}", get("wwpns", "")));
            }
            s.push_str(&format!("/{}", get("is_required", "0")));
            s
        }
    })
}

async fn virtual_adapter(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    lpar: &Partition,
    kind: AdapterKind,
    slot: u32,
    add: Option<String>,
) -> CmdResult {
    conn(ctx, frame)?;
    let done = crate::hmc::change_adapter(ctx, frame, lpar.id, kind, slot, add, false)
        .await
        .map_err(|e| {
            CmdError::Usage(format!(
                "An error occurred while changing the virtual adapters of partition {}: {e}.",
                lpar.name
            ))
        })?;
    let want = done.curr;
    wait_partition(ctx, &frame.name, lpar.id, |p| p.curr == want).await;
    Ok(String::new())
}

/// `-r rspool`, by `-o` and `--rsubtype`.
fn pool_change(op: &str, o: &opts::Parsed) -> Result<PoolChange, CmdError> {
    Ok(match (op, o.get("--rsubtype")) {
        ("a", None) => {
            let a = o
                .get("-a")
                .ok_or_else(|| "The -a parameter with vios_names is required.".to_string())?;
            let names = a.strip_prefix("vios_names=").ok_or_else(|| {
                format!("An invalid attribute was entered: {a}. Valid attributes are vios_names.")
            })?;
            PoolChange::AddVioses(names.trim_matches('"').to_string())
        }
        ("r", None) => PoolChange::Remove,
        (op @ ("a" | "r"), Some("rsdev")) => {
            let vios = lpar_ref(o.get("-p"), o.get("--id"), "Virtual I/O Server")?;
            let device = o
                .get("--device")
                .ok_or_else(|| "The --device parameter is required.".to_string())?
                .to_string();
            if op == "a" {
                PoolChange::AddDevice {
                    vios,
                    device,
                    manual: o.has("--manual"),
                }
            } else {
                PoolChange::RemoveDevice { vios, device }
            }
        }
        (_, Some(other)) => return Err(not_one_of("--rsubtype", other, &["rsdev"]).into()),
        (other, None) => return Err(not_one_of("-o", other, &["a", "r"]).into()),
    })
}

async fn rspool(ctx: &Ctx<'_>, frame: &FrameView, change: PoolChange) -> CmdResult {
    use crate::rr::rsdp;
    let pool = match change {
        PoolChange::AddVioses(names) => rsdp::add_vioses(frame, &names)?,
        PoolChange::Remove => {
            let pool = rsdp::pool(frame);
            if !pool.devices.is_empty() {
                return Err(format!(
                    "The reserved storage device pool of {} still has {} devices; remove them first.",
                    frame.name,
                    pool.devices.len()
                )
                .into());
            }
            Default::default()
        }
        PoolChange::AddDevice {
            vios,
            device,
            manual,
        } => {
            let vios = vios.find(frame)?;
            let devices = crate::lpm::devices(ctx, frame).await;
            rsdp::add_device(frame, vios, &device, manual, &devices)?
        }
        PoolChange::RemoveDevice { vios, device } => {
            rsdp::remove_device(frame, vios.find(frame)?, &device)?
        }
    };
    rsdp::set_pool(ctx, frame, pool).await?;
    Ok(String::new())
}

#[cfg(test)]
mod tests;
