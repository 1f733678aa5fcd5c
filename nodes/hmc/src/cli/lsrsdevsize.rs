//! `lsrsdevsize -m <sys> -p <lpar>`: how large a reserved storage device a
//! remote restart capable partition needs (seed 000 §1.7).

use super::opts::{self, value};
use super::{CmdResult, Ctx, find_frame};

const SPEC: &[opts::Opt] = &[value(&["-m"]), value(&["-p"]), value(&["--id"])];

pub async fn run(ctx: &Ctx<'_>, args: &[String]) -> CmdResult {
    let o = opts::parse(SPEC, args)?;
    let f = find_frame(ctx, o.require("-m")?)?;
    let p = super::lpar_arg(&f, &o)?;
    Ok(format!("size={}\n", crate::rr::rsdp::needed_mb(p)))
}
