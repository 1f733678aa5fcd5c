//! `lsviosbk [-t viosbk|viosioconfig|ssp] [--filter ...] [-F attrs]
//! [--header]` (HMC V10R1 and later): the VIOS backups the HMC keeps. The
//! lab's HMC takes none (there is no `mkviosbk`), so there are none.

use super::Command;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::render::{self, Form};

const SPEC: &[opts::Opt] = &[
    value(&["-t"]),
    value(&["--filter"]),
    value(&["-F"]),
    flag(&["--header"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Lsviosbk {
    pub form: Form,
}

impl Command for Lsviosbk {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        if let Some(t) = o.get("-t") {
            opts::one_of(
                "-t",
                t,
                &[("viosbk", ()), ("viosioconfig", ()), ("ssp", ())],
                "Valid values are viosbk, viosioconfig, ssp.",
            )?;
        }
        Ok(Lsviosbk { form: o.form() })
    }

    async fn apply(self, _ctx: &Ctx<'_>) -> CmdResult {
        // What a backup lists: its name, kind and VIOS (none here).
        Ok(render::listing(
            Vec::new(),
            &self.form,
            &[
                ("names", "name"),
                ("vios_names", "vios_name"),
                ("vios_uuids", "vios_uuid"),
                ("vios_ids", "vios_id"),
            ],
            &[
                "name",
                "type",
                "vios_name",
                "vios_uuid",
                "vios_id",
                "file_size",
                "time",
            ],
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_kind_of_backup() {
        assert!(Lsviosbk::parse(&args("-t viosbk -F name,type --header")).is_ok());
        assert!(Lsviosbk::parse(&args("--filter vios_names=vios1")).is_ok());
        assert!(Lsviosbk::parse(&args("-t all")).is_err());
    }
}
