//! `migrlpar -o m|v|s|r -m <src> [-t <dst>] (-p <lpar> | --id <id>) [-n
//! <profile>] [-i <data> | -f <file>] [-w <min>] [--force] [-d <level>]
//! [-v] [--mpio 1|2] [--vlanbridge 1|2] [--redundantvios 0|1|2] [--ip <hmc>
//! [-u <user>]]`: validate, migrate, stop or recover a partition migration
//! (see `crate::lpm`); with --ip, to a frame that another HMC manages
//! (`crate::lpm::remote`).

use super::input::input_attrs;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::lpm::{self, validate::Asked, validate::INPUT_ATTRS};
use pvmlab_common::model::migration_state;

const SPEC: &[opts::Opt] = &[
    value(&["-o"]),
    value(&["-m"]),
    value(&["-t"]),
    value(&["-p"]),
    value(&["--id"]),
    value(&["-n"]),
    value(&["-i"]),
    value(&["-f"]),
    value(&["-w"]),
    flag(&["--force"]),
    value(&["-d"]),
    flag(&["-v"]),
    value(&["--mpio"]),
    value(&["--vlanbridge"]),
    value(&["--redundantvios"]),
    value(&["--ip"]),
    value(&["-u"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let op = o.require("-o")?;
    if !matches!(op, "m" | "v" | "s" | "r") {
        return Err(format!(
            "An invalid value was entered for the -o parameter: {op}. Valid values are m, r, s, v."
        )
        .into());
    }
    let src = find_frame(ctx, o.require("-m")?)?;
    ctx.may_change()?;
    let lpar = super::input::lpar_arg(&src, &o)?.clone();
    let wait_minutes = o.at_most("-w", pvmlab_common::model::MAX_WAIT_MINUTES)?;
    let detail = o.at_most("-d", 5)?.unwrap_or(1);
    match op {
        "s" => {
            let m = lpar.migration.as_ref().ok_or_else(|| {
                CmdError::Usage(format!("The partition {} is not migrating.", lpar.name))
            })?;
            if m.hmc != ctx.hmc.name {
                return Err(format!("The migration of partition {} was started by the management console {}. A stop operation must be issued on the management console that started the migration.", lpar.name, m.hmc).into());
            }
            if m.state != migration_state::STARTING || !ctx.hmc.lpm.running(&lpar.name) {
                return Err(format!("The migration of partition {} cannot be stopped because it is in the {} state. A migration can be stopped only in the Migration Starting state.", lpar.name, m.state).into());
            }
            ctx.hmc.lpm.stop(&lpar.name);
            // The migration's own task rolls back; wait for it.
            let id = lpar.id;
            crate::hmc::wait_partition(ctx, &src.name, id, |p| p.migration.is_none()).await;
            Ok(String::new())
        }
        "r" => {
            let m = lpar.migration.clone().ok_or_else(|| {
                CmdError::Usage(format!(
                    "The partition {} is not migrating; there is nothing to recover.",
                    lpar.name
                ))
            })?;
            if ctx.hmc.lpm.running(&lpar.name) {
                return Err(format!("The migration of partition {} is still in progress. Wait for it to end, or stop it with migrlpar -o s.", lpar.name).into());
            }
            lpm::recover(ctx, &lpar.name, &m, o.has("--force")).await?;
            Ok(String::new())
        }
        _ => {
            // With --ip the destination is another HMC's frame: that HMC
            // first says whether it can take the partition (HSCLA318).
            let dst = match o.get("--ip") {
                Some(ip) => {
                    let user = o.get("-u").unwrap_or(&ctx.user.name);
                    lpm::remote::peer(ctx, ip, user)?
                        .frame(o.require("-t")?, Some(&lpar))
                        .await?
                }
                None => find_frame(ctx, o.require("-t")?)?,
            };
            let input = match (o.get("-i"), o.get("-f")) {
                (Some(_), Some(_)) => {
                    return Err("The -i and -f parameters cannot be used together."
                        .to_string()
                        .into());
                }
                (Some(i), None) => i.to_string(),
                (None, Some(f)) => std::fs::read_to_string(f)
                    .map_err(|e| CmdError::Usage(format!("The file {f} cannot be read: {e}")))?
                    .trim()
                    .to_string(),
                (None, None) => String::new(),
            };
            let attrs = if input.is_empty() {
                Vec::new()
            } else {
                input_attrs(&input, INPUT_ATTRS)?
            };
            let asked = Asked {
                attrs,
                // --redundantvios, where given, supersedes --mpio (later HMCs).
                mpio: match o.get("--redundantvios") {
                    Some(_) => o.choice("--redundantvios", &["0", "1", "2"], 1)?,
                    None => o.choice("--mpio", &["1", "2"], 1)?,
                },
                vlanbridge: o.choice("--vlanbridge", &["1", "2"], 1)?,
                new_profile: o.get("-n").map(str::to_string),
                wait_minutes,
                detail,
            };
            if op == "v" {
                let plan = lpm::validate(ctx, &src, &dst, &lpar, &asked).await;
                let report = crate::lpm::validate::report(&plan);
                return if plan.errors.is_empty() {
                    Ok(report)
                } else {
                    Err(CmdError::Usage(report.trim_end().to_string()))
                };
            }
            let out = lpm::migrate(ctx, src, dst, lpar, asked).await?;
            Ok(if o.has("-v") { out } else { String::new() })
        }
    }
}
