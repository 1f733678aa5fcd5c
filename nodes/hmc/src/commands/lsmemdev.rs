//! `lsmemdev -r avail -m <sys> -p <vios>[,<vios>] [-F attrs] [--header]`:
//! the disks a VIOS partition can give the reserved storage device pool,
//! with the same LUN through a second VIOS where it sees it (seed 000
//! §1.6).

use super::opts::{self, flag, value};
use crate::error::CmdResult;
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use crate::render;
use pvmlab_common::model::PartitionExt as _;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-p"]),
    value(&["-F"]),
    flag(&["--header"]),
];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let f = find_frame(ctx, o.require("-m")?)?;
    match o.require("-r")? {
        "avail" => {}
        other => {
            return Err(format!(
                "An invalid value was entered for the -r parameter: {other}. Valid values are avail."
            )
            .into());
        }
    }
    let names: Vec<&str> = o.require("-p")?.split(',').map(str::trim).collect();
    if names.len() > 2 {
        return Err(
            "The -p parameter takes one or two Virtual I/O Server partitions."
                .to_string()
                .into(),
        );
    }
    let mut vioses = Vec::new();
    for n in &names {
        let v = f
            .partitions
            .iter()
            .find(|p| p.name == *n)
            .ok_or_else(|| Hscl::PartitionNotFound(n.to_string()))?;
        if !v.is_vios() {
            return Err(format!("The partition {n} is not a Virtual I/O Server partition.").into());
        }
        vioses.push(v);
    }
    let devices = crate::lpm::devices(ctx, &f).await;
    let records = crate::rr::rsdp::available_records(&f, &vioses, &devices)?;
    Ok(render::listing(records, &o.form(), &[], &[])?)
}
