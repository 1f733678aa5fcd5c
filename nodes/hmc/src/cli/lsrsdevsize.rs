//! `lsrsdevsize -m <sys> -p <lpar>`: how large a reserved storage device a
//! remote restart capable partition needs (seed 000 §1.7).

use super::opts::{self, value};
use super::{CmdResult, Ctx, find_frame, hscl::Hscl};

const SPEC: &[opts::Opt] = &[value(&["-m"]), value(&["-p"]), value(&["--id"])];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let f = find_frame(ctx, o.require("-m")?)?;
    let p = match (o.get("-p"), o.get("--id")) {
        (Some(n), None) => f.partitions.iter().find(|p| p.name == n),
        (None, Some(id)) => f.partitions.iter().find(|p| p.id.to_string() == id),
        _ => {
            return Err("Specify the partition with either -p or --id."
                .to_string()
                .into());
        }
    }
    .ok_or_else(|| Hscl::PartitionNotFound(o.get("-p").or(o.get("--id")).unwrap_or("").into()))?;
    Ok(format!("size={}\n", crate::rr::rsdp::needed_mb(p)))
}
