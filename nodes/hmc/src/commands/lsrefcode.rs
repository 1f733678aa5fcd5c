//! `lsrefcode -r lpar|sys -m <sys> [--filter "lpar_names=..."] [-F attrs]`:
//! the latest reference code of each partition, or of the frame.

use super::opts::{self, flag, value};
use crate::error::CmdResult;
use crate::hmc::{Ctx, find_frame};
use crate::render::{self, Record};

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-F"]),
    flag(&["--header"]),
    value(&["--filter"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let f = find_frame(ctx, o.require("-m")?)?;
    let time = super::lssyscfg::sys_time();
    let records: Vec<Record> = match o.require("-r")? {
        "lpar" => f
            .partitions
            .iter()
            .map(|p| {
                let code = if p.ref_code.is_empty() { "00000000" } else { &p.ref_code };
                vec![
                    ("lpar_name".into(), p.name.clone()),
                    ("lpar_id".into(), p.id.to_string()),
                    ("time_stamp".into(), time.clone()),
                    ("refcode".into(), code.to_string()),
                    ("word2".into(), "03000000".into()),
                ]
            })
            .collect(),
        "sys" => vec![vec![
            ("time_stamp".into(), time),
            ("refcode".into(), "00000000".into()),
            ("word2".into(), "00000000".into()),
        ]],
        other => return Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are lpar, sys.").into()),
    };
    Ok(render::listing(
        records,
        &o.form(),
        &[("lpar_names", "lpar_name"), ("lpar_ids", "lpar_id")],
        &[],
    )?)
}
