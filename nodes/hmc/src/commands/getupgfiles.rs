//! `getupgfiles -r ftp|sftp|nfs|disk -h <host> -u <user> [--passwd <pw> |
//! -k <key>] [-l <mount>] -d <directory>`: fetches the network upgrade
//! files (Ansible's hmc_update_upgrade `upgraded`). See [`super::upgsource`]
//! for why it never gets them here.

use super::Command;
use super::mkhmcusr::superadmin;
use super::opts::{self, value};
use super::upgsource::Source;
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-h"]),
    value(&["-u"]),
    value(&["--passwd"]),
    value(&["-k"]),
    value(&["-l"]),
    value(&["-d"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Getupgfiles {
    pub source: Source,
}

impl Command for Getupgfiles {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let kind = o.require("-r")?;
        o.require("-d")?;
        Ok(Getupgfiles {
            source: Source::parse(kind, &o, "-d", &["ftp", "sftp", "nfs", "disk"])?,
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        Err(self.source.refusal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_ansibles_lines() {
        assert_eq!(
            Getupgfiles::parse(&args("-r sftp -h fs1 -u me --passwd pw -d /upg")).ok(),
            Some(Getupgfiles {
                source: Source::Server { host: "fs1".into() }
            })
        );
        assert!(Getupgfiles::parse(&args("-r disk -d /home/hscroot/network_install")).is_ok());
        assert!(Getupgfiles::parse(&args("-r disk")).is_err());
        assert!(Getupgfiles::parse(&args("-r usb -d /x")).is_err());
    }
}
