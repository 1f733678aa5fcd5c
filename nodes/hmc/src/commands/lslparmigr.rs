//! `lslparmigr -r sys|lpar|msp|virtualio -m <sys> [-t <sys>] [--filter
//! lpar_ids=|lpar_names=] [-F [attrs]] [--header]`: what can migrate and
//! what is migrating, in the Redbook's formats (§5.6.2), plus per-migration
//! statistics in the style of QEMU's for active migrations.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use crate::lpm::validate::Asked;
use crate::render::{Filter, Form, Record, kv, listing};
use pvmlab_common::model::{
    FrameExt as _, Partition, PartitionExt as _, lpar_state, migration_state,
};
use pvmlab_common::proto::hmc::FrameView;

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

#[derive(Debug, PartialEq, Eq)]
pub struct Lslparmigr {
    pub frame: String,
    pub resource: Resource,
    pub form: Form,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Resource {
    /// The frame's migration capabilities and migrations under way.
    Sys,
    /// Each partition's migration state.
    Lpar,
    /// The mover service partition pairs a migration could use.
    Msp(Toward),
    /// The VIOS mappings a migration would make on the destination.
    Virtualio(Toward),
}

/// What `-r msp` and `-r virtualio` ask about: moving the one partition
/// that `--filter` picks (it picks, so it does not filter the records) to
/// frame `-t`.
#[derive(Debug, PartialEq, Eq)]
pub struct Toward {
    pub target: String,
    pub filter: String,
}

impl Command for Lslparmigr {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        // -r comes first: it says what a bare -F stands for.
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
            other => {
                return Err(opts::invalid_value(
                    "-r",
                    other,
                    "Valid values are lpar, msp, sys, virtualio.",
                )
                .into());
            }
        };
        // A bare -F lists every attribute.
        let mut args = args.to_vec();
        if let Some(i) = args.iter().position(|a| a == "-F")
            && args.get(i + 1).is_none_or(|n| n.starts_with('-'))
        {
            args.insert(i + 1, all.join(","));
        }
        let o = opts::parse(SPEC, &args)?;
        let frame = o.require("-m")?.to_string();
        let mut form = o.form();
        let resource = match r.as_str() {
            "sys" => Resource::Sys,
            "lpar" => Resource::Lpar,
            kind => {
                let target = o.require("-t")?.to_string();
                let filter = form.filter.take().ok_or_else(|| {
                    "The --filter parameter is required with -r msp and -r virtualio.".to_string()
                })?;
                Filter::parse(&filter, FILTERS)?;
                let toward = Toward { target, filter };
                if kind == "msp" {
                    Resource::Msp(toward)
                } else {
                    Resource::Virtualio(toward)
                }
            }
        };
        Ok(Lslparmigr {
            frame,
            resource,
            form,
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        match self.resource {
            Resource::Sys => Ok(listing(vec![sys_record(ctx, &f)], &self.form, &[], SYS)?),
            Resource::Lpar => {
                let recs = f.partitions.iter().map(lpar_record);
                // The default form shows what applies: the Redbook's record
                // for a migration starts with the type and the destination.
                let recs: Vec<Record> = if self.form.fields.is_some() {
                    recs.collect()
                } else {
                    recs.map(applying).collect()
                };
                Ok(listing(recs, &self.form, FILTERS, LPAR)?)
            }
            Resource::Msp(t) => {
                let (dst, _) = toward(ctx, &f, &t)?;
                Ok(listing(msp_records(&f, &dst), &self.form, &[], MSP)?)
            }
            Resource::Virtualio(t) => {
                let (dst, lpar) = toward(ctx, &f, &t)?;
                let plan = crate::lpm::validate(ctx, &f, &dst, lpar, &Asked::default()).await;
                let maps = |kind: &str| {
                    plan.moves
                        .iter()
                        .filter(|m| m.kind == kind)
                        .map(|m| format!("{}/{}/{}", m.client_slot, m.dest_vios_name, m.dest_vios))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let rec: Record = vec![
                    kv("suggested_virtual_scsi_mappings", maps("scsi")),
                    kv("suggested_virtual_fc_mappings", maps("fc")),
                ];
                Ok(listing(vec![rec], &self.form, &[], VIRTUALIO)?)
            }
        }
    }
}

/// The frame's capabilities and how many migrations it is the source of.
fn sys_record(ctx: &Ctx<'_>, f: &FrameView) -> Record {
    let frame = f.frame.clone().unwrap_or_default();
    let count = |t: &str| {
        ctx.hmc
            .view
            .frames()
            .iter()
            .flat_map(|v| v.partitions.iter())
            .filter(|p| {
                p.migration.as_ref().is_some_and(|m| {
                    m.r#type == t
                        && m.state != migration_state::INVALID
                        && (m.source_sys_name == f.name || m.dest_sys_name == f.name)
                        && m.source
                })
            })
            .count()
    };
    let cap = |c: &str| u8::from(frame.has_capability(c));
    vec![
        kv(SYS[0], cap("inactive_lpar_mobility_capable")),
        kv(SYS[1], frame.num_inactive_migrations_supported),
        kv(SYS[2], count("inactive")),
        kv(SYS[3], cap("active_lpar_mobility_capable")),
        kv(SYS[4], frame.num_active_migrations_supported),
        kv(SYS[5], count("active")),
    ]
}

/// A partition's migration record, every attribute its migration has.
fn lpar_record(p: &Partition) -> Record {
    let mut r: Record = vec![kv("name", &p.name), kv("lpar_id", p.id)];
    let Some(m) = &p.migration else {
        r.push(kv("migration_state", migration_state::NOT_MIGRATING));
        return r;
    };
    let id = |n: u32| {
        if n == 0 {
            "unavailable".to_string()
        } else {
            n.to_string()
        }
    };
    r.extend([
        kv("migration_state", &m.state),
        kv("migration_type", &m.r#type),
        kv("source_sys_name", &m.source_sys_name),
        kv("dest_sys_name", &m.dest_sys_name),
        kv("source_lpar_id", m.source_lpar_id),
        kv("dest_lpar_id", m.dest_lpar_id),
        kv("source_msp_name", &m.source_msp_name),
        kv("source_msp_id", id(m.source_msp_id)),
        kv("dest_msp_name", &m.dest_msp_name),
        kv("dest_msp_id", id(m.dest_msp_id)),
    ]);
    if let (Some(s), "active") = (&m.stats, m.r#type.as_str()) {
        r.extend([
            kv("bytes_transmitted", s.bytes_transmitted),
            kv("bytes_remaining", s.bytes_remaining),
            kv("progress", s.progress),
            kv("pages_sent", s.pages_sent),
            kv("passes", s.passes),
            kv("dirty_rate_pages_s", format!("{:.0}", s.dirty_rate_pages_s)),
            kv("throughput_mb_s", format!("{:.1}", s.throughput_mb_s)),
            kv("downtime_us", s.downtime_us),
        ]);
    }
    r
}

/// A migration record in the default form: without the source (the frame
/// listed), and without movers for an inactive migration, which has none.
fn applying(r: Record) -> Record {
    let inactive = r
        .iter()
        .any(|(k, v)| k == "migration_type" && v == "inactive");
    r.into_iter()
        .filter(|(k, _)| {
            !matches!(k.as_str(), "source_sys_name" | "source_lpar_id")
                && !(inactive && k.contains("_msp_"))
        })
        .collect()
}

/// The destination frame and the one partition `--filter` picks, which a
/// VIOS cannot be (it does not migrate).
fn toward<'a>(
    ctx: &Ctx<'_>,
    f: &'a FrameView,
    t: &Toward,
) -> Result<(FrameView, &'a Partition), CmdError> {
    let dst = find_frame(ctx, &t.target)?;
    let filter = Filter::parse(&t.filter, FILTERS)?;
    let matched: Vec<&Partition> = f
        .partitions
        .iter()
        .filter(|p| filter.matches(&vec![kv("name", &p.name), kv("lpar_id", p.id)]))
        .collect();
    let [lpar] = matched.as_slice() else {
        return Err(
            "Exactly one partition name or ID must be specified with -r msp and -r virtualio."
                .to_string()
                .into(),
        );
    };
    if lpar.is_vios() {
        return Err(Hscl::PartitionNotFound(lpar.name.clone()).into());
    }
    Ok((std::sync::Arc::unwrap_or_clone(dst), lpar))
}

/// Each ready mover on the source with every ready mover on the
/// destination; none at all when the destination has none.
fn msp_records(f: &FrameView, dst: &FrameView) -> Vec<Record> {
    let ready = |p: &&Partition| p.msp && p.state == lpar_state::RUNNING && p.rmc_state == "active";
    let dests: Vec<&Partition> = dst.partitions.iter().filter(ready).collect();
    if dests.is_empty() {
        return Vec::new();
    }
    let names = dests
        .iter()
        .map(|d| d.name.clone())
        .collect::<Vec<_>>()
        .join(",");
    let ids = dests
        .iter()
        .map(|d| d.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    f.partitions
        .iter()
        .filter(ready)
        .map(|s| {
            vec![
                kv("source_msp_name", &s.name),
                kv("source_msp_id", s.id),
                kv("dest_msp_names", &names),
                kv("dest_msp_ids", &ids),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    fn err(line: &str) -> Option<String> {
        Lslparmigr::parse(&args(line)).err().map(|e| e.to_string())
    }

    #[test]
    fn a_bare_f_lists_every_attribute_of_the_resource() {
        let l = Lslparmigr::parse(&args("-r sys -m sys2 -F")).ok();
        assert_eq!(
            l,
            Some(Lslparmigr {
                frame: "sys2".into(),
                resource: Resource::Sys,
                form: Form {
                    fields: Some(SYS.join(",")),
                    ..Form::default()
                }
            })
        );
        let l = Lslparmigr::parse(&args("-r lpar -F --header -m sys2")).ok();
        assert_eq!(l.and_then(|l| l.form.fields), Some(LPAR.join(",")));
        let l = Lslparmigr::parse(&args("-r lpar -m sys2 -F name --filter lpar_names=a")).ok();
        assert_eq!(
            l.map(|l| l.form),
            Some(Form {
                fields: Some("name".into()),
                header: false,
                filter: Some("lpar_names=a".into()),
            })
        );
    }

    #[test]
    fn msp_and_virtualio_take_the_partition_from_the_filter() {
        assert_eq!(
            Lslparmigr::parse(&args(
                "-r msp -m sys2 -t sys3 --filter lpar_names=aix72a --header"
            ))
            .ok(),
            Some(Lslparmigr {
                frame: "sys2".into(),
                resource: Resource::Msp(Toward {
                    target: "sys3".into(),
                    filter: "lpar_names=aix72a".into(),
                }),
                form: Form {
                    header: true,
                    ..Form::default()
                }
            })
        );
        assert!(matches!(
            Lslparmigr::parse(&args("-r virtualio -m sys2 -t sys3 --filter lpar_ids=4"))
                .map(|l| l.resource),
            Ok(Resource::Virtualio(_))
        ));
        assert_eq!(
            err("-r msp -m sys2 -t sys3"),
            Some("The --filter parameter is required with -r msp and -r virtualio.".into())
        );
        assert_eq!(
            err("-r msp -m sys2 --filter lpar_names=a"),
            Some("The -t parameter is required.".into())
        );
        assert_eq!(
            err("-r virtualio -m sys2 -t sys3 --filter names=a"),
            Some("An invalid filter was entered: names".into())
        );
    }

    #[test]
    fn r_is_checked_before_anything_else() {
        assert_eq!(
            err("-m sys2 -x"),
            Some("The -r parameter is required.".into())
        );
        assert_eq!(
            err("-x -r io"),
            Some("An invalid value was entered for the -r parameter: io. Valid values are lpar, msp, sys, virtualio.".into())
        );
        assert_eq!(err("-r lpar"), Some("The -m parameter is required.".into()));
        assert_eq!(
            err("-r lpar -m sys2 -x"),
            Some("The parameter -x is not valid for this command.".into())
        );
    }

    #[test]
    fn the_default_form_leaves_out_what_does_not_apply() {
        let r = vec![
            kv("name", "a"),
            kv("migration_type", "inactive"),
            kv("source_sys_name", "sys2"),
            kv("dest_sys_name", "sys3"),
            kv("source_msp_name", "vios1"),
        ];
        assert_eq!(
            applying(r),
            vec![
                kv("name", "a"),
                kv("migration_type", "inactive"),
                kv("dest_sys_name", "sys3"),
            ]
        );
        let idle = Partition {
            name: "a".into(),
            id: 3,
            ..Default::default()
        };
        assert_eq!(
            lpar_record(&idle),
            vec![
                kv("name", "a"),
                kv("lpar_id", 3),
                kv("migration_state", migration_state::NOT_MIGRATING),
            ]
        );
    }

    #[test]
    fn movers_pair_only_when_the_destination_has_one_ready() {
        let msp = |name: &str, id: u32, rmc: &str| Partition {
            name: name.into(),
            id,
            msp: true,
            state: lpar_state::RUNNING.into(),
            rmc_state: rmc.into(),
            ..Default::default()
        };
        let frame = |ps: Vec<Partition>| FrameView {
            partitions: ps,
            ..Default::default()
        };
        let src = frame(vec![msp("vios1", 1, "active"), msp("vios2", 2, "inactive")]);
        let dst = frame(vec![msp("vios3", 1, "active"), msp("vios4", 2, "active")]);
        assert_eq!(
            msp_records(&src, &dst),
            vec![vec![
                kv("source_msp_name", "vios1"),
                kv("source_msp_id", 1),
                kv("dest_msp_names", "vios3,vios4"),
                kv("dest_msp_ids", "1,2"),
            ]]
        );
        let down = frame(vec![msp("vios3", 1, "inactive")]);
        assert!(msp_records(&src, &down).is_empty());
    }
}
