//! `chhwres -r mem|proc -m <sys> -o a|r|m (-p <lpar> | --id <id>)
//! [-t <target> | --tid <id>] [-q <MB>] [--procs <n>] [--procunits <units>]`:
//! dynamic LPAR on running partitions, within each profile's min and max;
//! `chhwres -r virtualio -m <sys> -o a|r -p <lpar> --rsubtype eth|scsi|fc
//! -s <slot> [-a "<attrs>"]` adds or removes a virtual adapter;
//! `chhwres -r rspool -m <sys> -o a|r [-a vios_names=...]` and `-o a|r -p
//! <vios> --rsubtype rsdev --device <hdisk> [--manual]` build the reserved
//! storage device pool (remote restart, see `crate::rr::rsdp`).

use super::hscl::Hscl;
use super::opts::{self, flag, value};
use super::{CmdError, CmdResult, Ctx, conn, find_frame, wait_partition};
use pvmlab_common::model::Partition;
use pvmlab_common::proto::fsp::DlparRequest;
use pvmlab_common::proto::model::Reason;
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

fn lpar<'a>(
    f: &'a FrameView,
    name: Option<&str>,
    id: Option<&str>,
    what: &str,
) -> Result<&'a Partition, CmdError> {
    match (name, id) {
        (Some(n), None) => f
            .partitions
            .iter()
            .find(|p| p.name == n)
            .ok_or_else(|| Hscl::PartitionNotFound(n.into()).into()),
        (None, Some(i)) => f
            .partitions
            .iter()
            .find(|p| p.id.to_string() == i)
            .ok_or_else(|| Hscl::PartitionNotFound(i.into()).into()),
        (Some(_), Some(_)) => {
            Err(format!("Specify the {what} partition by name or by id, not both.").into())
        }
        (None, None) => Err(format!("The {what} partition is required.").into()),
    }
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

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let resource = o.require("-r")?;
    let frame = find_frame(ctx, o.require("-m")?)?;
    let op = o.require("-o")?;
    ctx.may_change()?;
    if resource == "rspool" {
        return rspool(ctx, &frame, op, &o).await;
    }
    let source = lpar(&frame, o.get("-p"), o.get("--id"), "source")?;
    let target = match op {
        "m" => Some(lpar(&frame, o.get("-t"), o.get("--tid"), "target")?),
        "a" | "r" => None,
        other => return Err(format!(
            "An invalid value was entered for the -o parameter: {other}. Valid values are a, r, m."
        )
        .into()),
    };
    let sign = if op == "r" { -1 } else { 1 };
    let mut req = DlparRequest {
        lpar_id: source.id,
        target_lpar_id: target.map(|t| t.id).unwrap_or(0),
        ..Default::default()
    };
    match resource {
        "mem" => {
            let q: u64 = num(&o, "-q")?.ok_or_else(|| "The -q parameter is required.".to_string())?;
            req.mem_mb = sign * q as i64;
        }
        "proc" => {
            let procs: Option<u32> = num(&o, "--procs")?;
            let units: Option<f64> = num(&o, "--procunits")?;
            if procs.is_none() && units.is_none() {
                return Err("The --procs or --procunits parameter is required.".to_string().into());
            }
            req.procs = sign as i32 * procs.unwrap_or(0) as i32;
            req.proc_units = f64::from(sign as i32) * units.unwrap_or(0.0);
        }
        "virtualio" => return virtual_adapter(ctx, &frame, source, op, &o).await,
        other => return Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are mem, proc.").into()),
    }
    let conn = conn(ctx, &frame)?;
    req.session = conn.session;
    let mut fsp = conn.fsp;
    let done = fsp.dlpar(req).await.map_err(|e| match e.code() {
        _ if super::locked(&e).is_some() => CmdError::Usage(e.message().to_string()),
        tonic::Code::FailedPrecondition
            if matches!(
                pvmlab_common::failure::reason(&e),
                Reason::InsufficientMemory | Reason::InsufficientProcessors
            ) =>
        {
            Hscl::Resources(e.message().to_string()).into()
        }
        tonic::Code::FailedPrecondition => CmdError::Usage(format!(
            "The partition {} must be running for a dynamic change: {}.",
            source.name,
            e.message()
        )),
        _ => CmdError::Usage(format!(
            "An error occurred while changing the resources of partition {}: {}.",
            source.name,
            e.message()
        )),
    })?;
    let want = done.into_inner().partition.and_then(|p| p.curr);
    wait_partition(ctx, &frame.name, source.id, |p| p.curr == want).await;
    Ok(String::new())
}

/// Builds the adapter from `-a` attributes in the profile layout, so the
/// hypervisor parses it with the same code as a profile's adapters.
fn adapter_spec(kind: &str, slot: u32, a: &[(String, String)]) -> Result<String, CmdError> {
    let get = |k: &str, d: &str| {
        a.iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| d.to_string())
    };
    Ok(match kind {
        "eth" => {
            let pvid = get("port_vlan_id", "");
            if pvid.is_empty() {
                return Err("The port_vlan_id attribute is required.".to_string().into());
            }
            let trunk = if get("is_trunk", "0") == "1" { get("trunk_priority", "1") } else { "0".into() };
            format!(
                "{slot}/{}/{pvid}/{}/{trunk}/{}/{}/{}/all/none",
                get("ieee_virtual_eth", "0"),
                get("addl_vlan_ids", ""),
                get("is_required", "0"),
                get("vswitch", "ETHERNET0"),
                get("mac_addr", "")
            )
        }
        "scsi" | "fc" => {
            let mut s = format!(
                "{slot}/{}/{}/{}/{}",
                get("adapter_type", "client"),
                get("remote_lpar_id", "any"),
                get("remote_lpar_name", ""),
                get("remote_slot_num", "any")
            );
            if kind == "fc" {
                s.push_str(&format!("/{}", get("wwpns", "")));
            }
            s.push_str(&format!("/{}", get("is_required", "0")));
            s
        }
        other => return Err(format!("An invalid value was entered for the --rsubtype parameter: {other}. Valid values are eth, scsi, fc.").into()),
    })
}

async fn virtual_adapter(
    ctx: &Ctx<'_>,
    frame: &FrameView,
    lpar: &Partition,
    op: &str,
    o: &opts::Parsed,
) -> CmdResult {
    let kind = o.require("--rsubtype")?;
    let slot: u32 = num(o, "-s")?.ok_or_else(|| "The -s parameter is required.".to_string())?;
    let add = match op {
        "a" => true,
        "r" => false,
        other => return Err(format!("An invalid value was entered for the -o parameter: {other}. Valid values for -r virtualio are a, r.").into()),
    };
    let allowed = [
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
    let attrs = o
        .get("-a")
        .map(|a| super::input_attrs(a, &allowed))
        .transpose()?
        .unwrap_or_default();
    let spec = if add {
        adapter_spec(kind, slot, &attrs)?
    } else {
        String::new()
    };
    let conn = conn(ctx, &frame)?;
    let mut fsp = conn.fsp;
    let Some(kind) = crate::lpm::adapter_kind(kind) else {
        return Err(CmdError::Usage(format!(
            "An error occurred while changing the virtual adapters of partition {}: unknown adapter type {kind}.",
            lpar.name
        )));
    };
    let req = pvmlab_common::proto::fsp::ChangeAdapterRequest {
        session: conn.session,
        lpar_id: lpar.id,
        add,
        kind: kind as i32,
        slot,
        spec,
        profile: false,
    };
    let done = fsp.change_adapter(req).await.map_err(|e| {
        CmdError::Usage(format!(
            "An error occurred while changing the virtual adapters of partition {}: {}.",
            lpar.name,
            e.message()
        ))
    })?;
    let want = done.into_inner().partition.and_then(|p| p.curr);
    wait_partition(ctx, &frame.name, lpar.id, |p| p.curr == want).await;
    Ok(String::new())
}

async fn rspool(ctx: &Ctx<'_>, frame: &FrameView, op: &str, o: &opts::Parsed) -> CmdResult {
    use crate::rr::rsdp;
    let pool = match (op, o.get("--rsubtype")) {
        ("a", None) => {
            let a = o
                .get("-a")
                .ok_or_else(|| "The -a parameter with vios_names is required.".to_string())?;
            let names = a
                .strip_prefix("vios_names=")
                .ok_or_else(|| {
                    format!(
                        "An invalid attribute was entered: {a}. Valid attributes are vios_names."
                    )
                })?
                .trim_matches('"');
            rsdp::add_vioses(frame, names)?
        }
        ("r", None) => {
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
        (op @ ("a" | "r"), Some("rsdev")) => {
            let vios = lpar(frame, o.get("-p"), o.get("--id"), "Virtual I/O Server")?;
            let device = o
                .get("--device")
                .ok_or_else(|| "The --device parameter is required.".to_string())?;
            if op == "a" {
                let devices = crate::lpm::devices(ctx, frame).await;
                rsdp::add_device(frame, vios, device, o.has("--manual"), &devices)?
            } else {
                rsdp::remove_device(frame, vios, device)?
            }
        }
        (_, Some(other)) => {
            return Err(format!(
                "An invalid value was entered for the --rsubtype parameter: {other}. Valid values are rsdev."
            )
            .into());
        }
        (other, _) => {
            return Err(format!(
                "An invalid value was entered for the -o parameter: {other}. Valid values are a, r."
            )
            .into());
        }
    };
    rsdp::set_pool(ctx, frame, pool).await?;
    Ok(String::new())
}
