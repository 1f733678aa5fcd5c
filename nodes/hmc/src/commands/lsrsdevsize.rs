//! `lsrsdevsize -m <sys> -p <lpar>`: how large a reserved storage device a
//! remote restart capable partition needs (seed 000 §1.7).

use super::Command;
use super::input::LparRef;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};

const SPEC: &[opts::Opt] = &[value(&["-m"]), value(&["-p"]), value(&["--id"])];

#[derive(Debug, PartialEq, Eq)]
pub struct Lsrsdevsize {
    pub frame: String,
    pub lpar: LparRef,
}

impl Command for Lsrsdevsize {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        Ok(Lsrsdevsize {
            frame: o.require("-m")?.to_string(),
            lpar: LparRef::parse(&o)?,
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let f = find_frame(ctx, &self.frame)?;
        let p = self.lpar.find(&f)?;
        Ok(format!("size={}\n", crate::rr::rsdp::needed_mb(p)))
    }
}
