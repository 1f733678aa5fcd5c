//! `rrstartlpar -o validate|restart|cleanup|cancel|recover -m <src> [-t
//! <dst>] (-p <lpar> | --id <id>) [-d <level>] [-v] [--redundantvios
//! 0|1|2] [--mpio 1|2] [--vlanbridge 1|2] [-w <min>] [--retaindev]
//! [--force] [--noconnection] [--usecurrdata] [--nodetails]`:
//! remote restart of a partition whose frame is down (see `crate::rr`).

use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use crate::lpm::validate;
use crate::rr;

const SPEC: &[opts::Opt] = &[
    value(&["-o"]),
    value(&["-m"]),
    value(&["-t"]),
    value(&["-p"]),
    value(&["--id"]),
    value(&["-d"]),
    flag(&["-v"]),
    value(&["--redundantvios"]),
    flag(&["--retaindev"]),
    flag(&["--force"]),
    flag(&["--noconnection"]),
    flag(&["--usecurrdata"]),
    value(&["--ip"]),
    value(&["-u"]),
    value(&["--mpio"]),
    value(&["--vlanbridge"]),
    value(&["-w"]),
    flag(&["--nodetails"]),
];

const OPS: &[&str] = &["validate", "restart", "cleanup", "cancel", "recover"];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let op = o.require("-o")?;
    if !OPS.contains(&op) {
        return Err(format!(
            "An invalid value was entered for the -o parameter: {op}. Valid values are {}.",
            OPS.join(", ")
        )
        .into());
    }
    if o.get("--ip").is_some() {
        return Err("Remote restart between managed systems of two management consoles (--ip) is not supported: the source and destination managed systems must be managed by the same management console.".to_string().into());
    }
    o.at_most("-d", 5)
        .map_err(|e| format!("{e} Valid values are 0 through 5."))?;
    // Checked as migrlpar's is; a remote restart runs no migration
    // scripts for it to bound.
    o.at_most("-w", pvmlab_common::model::MAX_WAIT_MINUTES)?;
    // --redundantvios, where given, supersedes --mpio (as for migrlpar).
    let mpio = o.choice("--mpio", &["1", "2"], 2)?;
    let redundantvios = match o.get("--redundantvios") {
        Some(_) => o.choice("--redundantvios", &["0", "1", "2"], 2)?,
        None => mpio,
    };
    let vlanbridge = o.choice("--vlanbridge", &["1", "2"], 1)?;
    let src = find_frame(ctx, o.require("-m")?)?;
    ctx.may_change()?;
    let lpar = match (o.get("-p"), o.get("--id")) {
        (Some(n), None) => n.to_string(),
        (None, Some(id)) => src
            .partitions
            .iter()
            .find(|p| p.id.to_string() == id)
            .map(|p| p.name.clone())
            .ok_or_else(|| Hscl::PartitionNotFound(id.into()))?,
        _ => {
            return Err("Specify the partition with either -p or --id."
                .to_string()
                .into());
        }
    };
    let opts = rr::Opts {
        noconnection: o.has("--noconnection"),
        force: o.has("--force"),
        retaindev: o.has("--retaindev"),
        usecurrdata: o.has("--usecurrdata"),
        redundantvios,
        vlanbridge,
    };
    let target = || -> Result<_, CmdError> {
        let dst = find_frame(ctx, o.require("-t")?)?;
        Ok(dst)
    };
    match op {
        "validate" => {
            let dst = target()?;
            let (_, plan) = rr::check(ctx, &src, &dst, &lpar, &opts).await?;
            let report = validate::report(&plan);
            if plan.errors.is_empty() {
                Ok(report)
            } else {
                Err(CmdError::Usage(report.trim_end().to_string()))
            }
        }
        "restart" => {
            let dst = target()?;
            rr::restart(ctx, &src, &dst, &lpar, &opts).await
        }
        "cleanup" => {
            if o.get("-t").is_some() {
                return Err("The -t parameter is not valid with -o cleanup."
                    .to_string()
                    .into());
            }
            rr::cleanup(ctx, &src, &lpar, &opts).await?;
            Ok(String::new())
        }
        "cancel" => {
            rr::cancel(ctx, &src, &lpar).await?;
            Ok(String::new())
        }
        _ => {
            rr::recover(ctx, &src, &lpar).await?;
            Ok(String::new())
        }
    }
}
