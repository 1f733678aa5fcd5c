//! `lslparmigr -r sys|lpar|msp|virtualio -m <sys> [-t <sys>] [--filter
//! lpar_ids=|lpar_names=] [-F [attrs]] [--header]`: what can migrate and
//! what is migrating, in the Redbook's formats (§5.6.2), plus per-migration
//! statistics in the style of QEMU's for active migrations.

use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use crate::lpm::validate::Asked;
use crate::render::{Record, listing};
use pvmlab_common::model::{FrameExt as _, PartitionExt as _, lpar_state, migration_state};

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-t"]),
    value(&["--filter"]),
    value(&["-F"]),
    flag(&["--header"]),
];

const SYS: &[&str] = &[
    "inactive_lpar_mobility_capable",
    "num_inactive_migrations_supported",
    "num_inactive_migrations_in_progress",
    "active_lpar_mobility_capable",
    "num_active_migrations_supported",
    "num_active_migrations_in_progress",
];

const LPAR: &[&str] = &[
    "name",
    "lpar_id",
    "migration_state",
    "migration_type",
    "source_sys_name",
    "dest_sys_name",
    "source_lpar_id",
    "dest_lpar_id",
    "source_msp_name",
    "source_msp_id",
    "dest_msp_name",
    "dest_msp_id",
    "bytes_transmitted",
    "bytes_remaining",
    "progress",
    "pages_sent",
    "passes",
    "dirty_rate_pages_s",
    "throughput_mb_s",
    "downtime_us",
];

const MSP: &[&str] = &[
    "source_msp_name",
    "source_msp_id",
    "dest_msp_names",
    "dest_msp_ids",
];
const VIRTUALIO: &[&str] = &[
    "suggested_virtual_scsi_mappings",
    "suggested_virtual_fc_mappings",
];
const FILTERS: &[(&str, &str)] = &[("lpar_ids", "lpar_id"), ("lpar_names", "name")];

fn kv(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let r = args
        .iter()
        .position(|a| a == "-r")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_default();
    let all: &[&str] = match r.as_str() {
        "sys" => SYS,
        "lpar" => LPAR,
        "msp" => MSP,
        "virtualio" => VIRTUALIO,
        "" => return Err("The -r parameter is required.".to_string().into()),
        other => return Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are lpar, msp, sys, virtualio.").into()),
    };
    // A bare -F lists every attribute.
    let mut args = args.to_vec();
    if let Some(i) = args.iter().position(|a| a == "-F") {
        if args.get(i + 1).is_none_or(|n| n.starts_with('-')) {
            args.insert(i + 1, all.join(","));
        }
    }
    let o = opts::parse(SPEC, &args)?;
    let f = find_frame(ctx, o.require("-m")?)?;
    let frame = f.frame.clone().unwrap_or_default();
    match r.as_str() {
        "sys" => {
            let count = |t: &str| {
                ctx.hmc.view.frames().iter().flat_map(|v| v.partitions.iter()).filter(|p| {
                    p.migration.as_ref().is_some_and(|m| m.r#type == t && m.state != migration_state::INVALID && (m.source_sys_name == f.name || m.dest_sys_name == f.name) && m.source)
                }).count()
            };
            let cap = |c: &str| u8::from(frame.has_capability(c));
            let rec: Record = vec![
                kv(SYS[0], cap("inactive_lpar_mobility_capable")),
                kv(SYS[1], frame.num_inactive_migrations_supported),
                kv(SYS[2], count("inactive")),
                kv(SYS[3], cap("active_lpar_mobility_capable")),
                kv(SYS[4], frame.num_active_migrations_supported),
                kv(SYS[5], count("active")),
            ];
            Ok(listing(vec![rec], &o.form(), &[], SYS)?)
        }
        "lpar" => {
            let recs = f.partitions.iter().map(|p| {
                let mut r: Record = vec![kv("name", &p.name), kv("lpar_id", p.id)];
                match &p.migration {
                    None => r.push(kv("migration_state", migration_state::NOT_MIGRATING)),
                    Some(m) => {
                        r.push(kv("migration_state", &m.state));
                        r.push(kv("migration_type", &m.r#type));
                        r.push(kv("source_sys_name", &m.source_sys_name));
                        r.push(kv("dest_sys_name", &m.dest_sys_name));
                        r.push(kv("source_lpar_id", m.source_lpar_id));
                        r.push(kv("dest_lpar_id", m.dest_lpar_id));
                        let id = |n: u32| if n == 0 { "unavailable".to_string() } else { n.to_string() };
                        r.push(kv("source_msp_name", &m.source_msp_name));
                        r.push(kv("source_msp_id", id(m.source_msp_id)));
                        r.push(kv("dest_msp_name", &m.dest_msp_name));
                        r.push(kv("dest_msp_id", id(m.dest_msp_id)));
                        if let (Some(s), "active") = (&m.stats, m.r#type.as_str()) {
                            r.push(kv("bytes_transmitted", s.bytes_transmitted));
                            r.push(kv("bytes_remaining", s.bytes_remaining));
                            r.push(kv("progress", s.progress));
                            r.push(kv("pages_sent", s.pages_sent));
                            r.push(kv("passes", s.passes));
                            r.push(kv("dirty_rate_pages_s", format!("{:.0}", s.dirty_rate_pages_s)));
                            r.push(kv("throughput_mb_s", format!("{:.1}", s.throughput_mb_s)));
                            r.push(kv("downtime_us", s.downtime_us));
                        }
                    }
                }
                r
            });
            // The default form shows what applies: the Redbook's record
            // for a migration starts with the type and the destination.
            let recs: Vec<Record> = if o.get("-F").is_some() {
                recs.collect()
            } else {
                recs.map(|r| {
                    let inactive = r.iter().any(|(k, v)| k == "migration_type" && v == "inactive");
                    r.into_iter()
                        .filter(|(k, _)| {
                            !matches!(k.as_str(), "source_sys_name" | "source_lpar_id")
                                && !(inactive && k.contains("_msp_"))
                        })
                        .collect()
                })
                .collect()
            };
            Ok(listing(recs, &o.form(), FILTERS, LPAR)?)
        }
        _ => {
            let dst = find_frame(ctx, o.require("-t")?)?;
            let spec = o.get("--filter").ok_or_else(|| CmdError::Usage("The --filter parameter is required with -r msp and -r virtualio.".into()))?;
            let filter = crate::render::Filter::parse(spec, FILTERS)?;
            let matched: Vec<_> = f.partitions.iter().filter(|p| filter.matches(&vec![kv("name", &p.name), kv("lpar_id", p.id)])).collect();
            let [lpar] = matched.as_slice() else {
                return Err("Exactly one partition name or ID must be specified with -r msp and -r virtualio.".to_string().into());
            };
            if lpar.is_vios() {
                return Err(Hscl::PartitionNotFound(lpar.name.clone()).into());
            }
            if r == "msp" {
                let ready = |p: &&pvmlab_common::model::Partition| p.msp && p.state == lpar_state::RUNNING && p.rmc_state == "active";
                let dests: Vec<_> = dst.partitions.iter().filter(ready).collect();
                let recs: Vec<Record> = if dests.is_empty() { Vec::new() } else {
                    f.partitions.iter().filter(ready).map(|s| vec![
                        kv("source_msp_name", &s.name),
                        kv("source_msp_id", s.id),
                        kv("dest_msp_names", dests.iter().map(|d| d.name.clone()).collect::<Vec<_>>().join(",")),
                        kv("dest_msp_ids", dests.iter().map(|d| d.id.to_string()).collect::<Vec<_>>().join(",")),
                    ]).collect()
                };
                let o2 = without_filter(&args)?;
                return Ok(listing(recs, &o2.form(), &[], MSP)?);
            }
            let plan = crate::lpm::validate(ctx, &f, &dst, lpar, &Asked::default()).await;
            let maps = |kind: &str| plan.moves.iter().filter(|m| m.kind == kind).map(|m| format!("{}/{}/{}", m.client_slot, m.dest_vios_name, m.dest_vios)).collect::<Vec<_>>().join(",");
            let rec: Record = vec![
                kv("suggested_virtual_scsi_mappings", maps("scsi")),
                kv("suggested_virtual_fc_mappings", maps("fc")),
            ];
            let o2 = without_filter(&args)?;
            Ok(listing(vec![rec], &o2.form(), &[], VIRTUALIO)?)
        }
    }
    .map_err(|e: String| CmdError::Usage(e))
}

/// The options again without --filter, which chose the partition rather
/// than the records.
fn without_filter(args: &[String]) -> Result<opts::Parsed, String> {
    let mut a = args.to_vec();
    if let Some(i) = a.iter().position(|x| x == "--filter") {
        a.drain(i..(i + 2).min(a.len()));
    }
    opts::parse(SPEC, &a)
}
