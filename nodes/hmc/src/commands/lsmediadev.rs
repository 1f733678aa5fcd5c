//! `lsmediadev [-F attrs] [--header]`: the removable media devices of the
//! HMC. A virtual HMC in the lab has no DVD drive or USB flash memory
//! attached, so there are none (and updhmc/saveupgdata refuse them).

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::render::{self, Form};

const SPEC: &[opts::Opt] = &[value(&["-F"]), flag(&["--header"])];

#[derive(Debug, PartialEq, Eq)]
pub struct Lsmediadev {
    pub form: Form,
}

impl Command for Lsmediadev {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        Ok(Lsmediadev { form: o.form() })
    }

    async fn apply(self, _ctx: &Ctx<'_>) -> CmdResult {
        Ok(render::listing(
            Vec::new(),
            &self.form,
            &[],
            &["device", "type", "description", "mount_point"],
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn takes_only_the_form() {
        assert!(Lsmediadev::parse(&args("-F device,type")).is_ok());
        assert!(Lsmediadev::parse(&args("-r usb")).is_err());
    }
}
