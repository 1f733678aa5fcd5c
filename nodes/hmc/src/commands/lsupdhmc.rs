//! `lsupdhmc [-t ibmwebsite|ftp|sftp|nfs|disk] [-h <host> -u <user> ...]
//! [-d <dir>]`: the HMC updates a repository offers. None can be reached
//! from the lab (see [`super::upgsource`]).

use super::Command;
use super::opts::{self, flag, value};
use super::upgsource::Source;
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;

const SPEC: &[opts::Opt] = &[
    value(&["-t"]),
    value(&["-h"]),
    value(&["-u"]),
    value(&["--passwd"]),
    value(&["-k"]),
    value(&["-l"]),
    value(&["-d"]),
    value(&["-F"]),
    flag(&["--header"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Lsupdhmc {
    pub source: Source,
}

impl Command for Lsupdhmc {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let kind = o.get("-t").unwrap_or("ibmwebsite");
        Ok(Lsupdhmc {
            source: Source::parse(
                kind,
                &o,
                "-d",
                &["ibmwebsite", "ftp", "sftp", "nfs", "disk"],
            )?,
        })
    }

    async fn apply(self, _ctx: &Ctx<'_>) -> CmdResult {
        Err(self.source.refusal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn the_default_is_ibms_site() {
        assert_eq!(
            Lsupdhmc::parse(&args("")).ok(),
            Some(Lsupdhmc {
                source: Source::IbmWebsite
            })
        );
        assert!(Lsupdhmc::parse(&args("-t sftp -u me -d /x")).is_err());
    }
}
