//! `lsrefcode -r lpar|sys -m <sys> [--filter "lpar_names=..."] [-F attrs]
//! [--header]`: the latest reference code of each partition, or of the
//! frame.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Form, Record, kv};
use pvmlab_common::model::Partition;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Lpar,
    Sys,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Lsrefcode {
    pub resource: Resource,
    pub frame: String,
    pub form: Form,
}

impl Command for Lsrefcode {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let frame = o.require("-m")?.to_string();
        let resource = o.word(
            "-r",
            &[("lpar", Resource::Lpar), ("sys", Resource::Sys)],
            "Valid values are lpar, sys.",
        )?;
        Ok(Lsrefcode {
            resource,
            frame,
            form: o.form(),
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        let time = render::sys_time();
        let records: Vec<Record> = match self.resource {
            Resource::Lpar => f.partitions.iter().map(|p| lpar_record(p, &time)).collect(),
            Resource::Sys => vec![vec![
                kv("time_stamp", time),
                kv("refcode", "00000000"),
                kv("word2", "00000000"),
            ]],
        };
        Ok(render::listing(
            records,
            &self.form,
            &[("lpar_names", "lpar_name"), ("lpar_ids", "lpar_id")],
            &[],
        )?)
    }
}

/// A partition that has shown no code yet shows zeros.
fn lpar_record(p: &Partition, time: &str) -> Record {
    let code = if p.ref_code.is_empty() {
        "00000000"
    } else {
        &p.ref_code
    };
    vec![
        kv("lpar_name", &p.name),
        kv("lpar_id", p.id),
        kv("time_stamp", time),
        kv("refcode", code),
        kv("word2", "03000000"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_resource_type() {
        assert_eq!(
            Lsrefcode::parse(&args(
                "-r lpar -m sys3 -F refcode --filter lpar_names=web01"
            ))
            .ok(),
            Some(Lsrefcode {
                resource: Resource::Lpar,
                frame: "sys3".into(),
                form: Form {
                    fields: Some("refcode".into()),
                    header: false,
                    filter: Some("lpar_names=web01".into()),
                }
            })
        );
        assert_eq!(
            Lsrefcode::parse(&args("-r sys -m sys3"))
                .ok()
                .map(|l| l.resource),
            Some(Resource::Sys)
        );
        assert_eq!(
            Lsrefcode::parse(&args("-r io -m sys3")).err().map(|e| e.to_string()),
            Some("An invalid value was entered for the -r parameter: io. Valid values are lpar, sys.".into())
        );
        assert_eq!(
            Lsrefcode::parse(&args("-r lpar"))
                .err()
                .map(|e| e.to_string()),
            Some("The -m parameter is required.".into())
        );
    }

    #[test]
    fn partitions_without_a_code_show_zeros() {
        let p = Partition {
            name: "web01".into(),
            id: 4,
            ..Default::default()
        };
        let r = lpar_record(&p, "t");
        assert!(r.contains(&kv("refcode", "00000000")));
        assert!(r.contains(&kv("lpar_id", "4")));
    }
}
