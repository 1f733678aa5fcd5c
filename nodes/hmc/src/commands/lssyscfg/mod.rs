//! `lssyscfg -r sys|lpar|prof [-m system] [-F attrs] [--header] [--filter ...]`.
//! The records follow the reference's attribute order; attributes that do
//! not apply are left out. Each resource type's record has its own file.

mod lpar;
mod prof;
mod sys;

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use crate::render::{self, Fields, Filter, Form, Record};
use pvmlab_common::attrs::PROFILE_ATTRS;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Lssyscfg {
    pub resource: Resource,
    pub form: Form,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Resource {
    /// The managed systems: the one `-m` names, or all of them.
    Sys { frame: Option<String> },
    /// The partitions of a frame.
    Lpar { frame: String },
    /// The partition profiles of a frame.
    Prof { frame: String },
    /// The system profiles of a frame: the lab makes none (`mksyscfg -r
    /// sysprof` is not here), so the listing says so.
    Sysprof { frame: String },
}

impl Command for Lssyscfg {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        // -F's syntax was always checked first, before -r.
        o.get("-F").map(Fields::parse).transpose()?;
        let resource = match o.require("-r")? {
            "sys" => Resource::Sys {
                frame: o.get("-m").map(str::to_string),
            },
            "lpar" => Resource::Lpar {
                frame: o.require("-m")?.to_string(),
            },
            "prof" => Resource::Prof {
                frame: o.require("-m")?.to_string(),
            },
            "sysprof" => Resource::Sysprof {
                frame: o.require("-m")?.to_string(),
            },
            other => {
                return Err(opts::invalid_value(
                    "-r",
                    other,
                    "Valid values are sys, lpar, prof, sysprof.",
                )
                .into());
            }
        };
        Ok(Lssyscfg {
            resource,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        // Some attributes print only when -F asks for them.
        let asked = self.form.fields.is_some();
        let (records, known, filters): (Vec<Record>, Vec<&str>, &[(&str, &str)]) =
            match &self.resource {
                Resource::Sys { frame } => {
                    let frames = match frame {
                        Some(m) => vec![find_frame(ctx, m)?],
                        None => ctx.hmc.view.frames(),
                    };
                    let since_v8 = crate::hmc::level(&ctx.hmc.version) >= (8, 0);
                    (
                        frames
                            .iter()
                            .map(|f| {
                                let mut r = sys::record(f, since_v8);
                                if asked {
                                    r.extend(sys::asked_only(f));
                                }
                                r
                            })
                            .collect(),
                        sys::ATTRS.to_vec(),
                        &[("names", "name")],
                    )
                }
                Resource::Lpar { frame } => {
                    let f = find_frame(ctx, frame)?;
                    let fr = f.frame.clone().unwrap_or_default();
                    (
                        f.partitions
                            .iter()
                            .map(|p| {
                                let mut r = lpar::record(&f, &fr, p);
                                if asked {
                                    r.extend(lpar::asked_only(p));
                                }
                                r
                            })
                            .collect(),
                        lpar::ATTRS.to_vec(),
                        &[
                            ("lpar_names", "name"),
                            ("lpar_ids", "lpar_id"),
                            ("work_group_ids", "work_group_id"),
                        ],
                    )
                }
                Resource::Sysprof { frame } => {
                    find_frame(ctx, frame)?;
                    (
                        Vec::new(),
                        vec!["name", "lpar_names", "lpar_ids", "profile_names"],
                        &[("names", "name"), ("profile_names", "name")],
                    )
                }
                Resource::Prof { frame } => {
                    let f = find_frame(ctx, frame)?;
                    let fr = f.frame.clone().unwrap_or_default();
                    let recs = f
                        .partitions
                        .iter()
                        .flat_map(|p| {
                            p.profiles
                                .iter()
                                .map(|prof| prof::record(&ctx.hmc.version, &fr, p, prof))
                                .collect::<Vec<_>>()
                        })
                        .collect();
                    let mut known: Vec<&str> = vec!["name", "lpar_name", "lpar_id", "lpar_env"];
                    known.extend(PROFILE_ATTRS.iter().map(|a| a.name));
                    known.push("shared_proc_pool_name");
                    (
                        recs,
                        known,
                        &[
                            ("lpar_names", "lpar_name"),
                            ("lpar_ids", "lpar_id"),
                            ("profile_names", "name"),
                        ],
                    )
                }
            };
        let records = match self.form.filter.as_deref() {
            Some(spec) => {
                let filter = Filter::parse(spec, filters)?;
                records.into_iter().filter(|r| filter.matches(r)).collect()
            }
            None => records,
        };
        if records.is_empty()
            && let Some(name) = self.form.filter.as_deref().and_then(absent_partition)
        {
            return Err(Hscl::PartitionNotFound(name).into());
        }
        let fields = self.form.fields.as_deref().map(Fields::parse).transpose()?;
        Ok(render::print(
            &records,
            fields.as_ref(),
            self.form.header,
            &known,
        )?)
    }
}

/// A filter on a partition name that matches nothing names the partition,
/// as the HMC does (clients treat HSCL8012 as "absent"): the first name.
fn absent_partition(filter: &str) -> Option<String> {
    filter
        .split(',')
        .find_map(|i| i.strip_prefix("lpar_names="))
        .map(|name| name.trim_matches('"').to_string())
}

/// A flag as listings print it.
fn b(v: bool) -> &'static str {
    if v { "1" } else { "0" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    fn err(line: &str) -> Option<String> {
        Lssyscfg::parse(&args(line)).err().map(|e| e.to_string())
    }

    #[test]
    fn parses_the_resource_and_its_frame() {
        assert_eq!(
            Lssyscfg::parse(&args("-r sys -F name,state")).ok(),
            Some(Lssyscfg {
                resource: Resource::Sys { frame: None },
                form: Form {
                    fields: Some("name,state".into()),
                    ..Form::default()
                }
            })
        );
        assert_eq!(
            Lssyscfg::parse(&args("-m sys2 -r lpar --header --filter lpar_names=lnx01")).ok(),
            Some(Lssyscfg {
                resource: Resource::Lpar {
                    frame: "sys2".into()
                },
                form: Form {
                    fields: None,
                    header: true,
                    filter: Some("lpar_names=lnx01".into()),
                }
            })
        );
        assert_eq!(
            Lssyscfg::parse(&args("-r prof -m 8286-42A*21A5E8V"))
                .ok()
                .map(|l| l.resource),
            Some(Resource::Prof {
                frame: "8286-42A*21A5E8V".into()
            })
        );
    }

    #[test]
    fn refuses_bad_syntax_in_the_old_order() {
        assert_eq!(err("-r lpar"), Some("The -m parameter is required.".into()));
        assert_eq!(err("-r prof"), Some("The -m parameter is required.".into()));
        assert_eq!(
            err("-r sysprof"),
            Some("The -m parameter is required.".into())
        );
        assert_eq!(
            err("-r sys -x"),
            Some("The parameter -x is not valid for this command.".into())
        );
        assert_eq!(
            err("-r io"),
            Some("An invalid value was entered for the -r parameter: io. Valid values are sys, lpar, prof, sysprof.".into())
        );
        assert_eq!(err("-m sys1"), Some("The -r parameter is required.".into()));
        assert_eq!(
            err("-r io -F ,"),
            Some("The -F parameter requires attribute names.".into())
        );
    }

    #[test]
    fn an_empty_listing_by_partition_name_names_the_partition() {
        assert_eq!(absent_partition("lpar_names=nope"), Some("nope".into()));
        assert_eq!(
            absent_partition("profile_names=p,lpar_names=\"a\""),
            Some("a".into())
        );
        assert_eq!(absent_partition("lpar_ids=3"), None);
    }
}
