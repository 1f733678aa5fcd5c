//! `updhmc -t disk|dvd|ftp|sftp|nfs|usb [-h <host> -u <user> --passwd <pw>
//! | -k <key>] [-l <mount>] -f <file> [-c] [-r]`: installs a corrective
//! service file on the HMC (Ansible's hmc_update_upgrade `updated`). See
//! [`super::upgsource`] for why it never gets one here; it neither
//! installs nor restarts anything.

use super::Command;
use super::mkhmcusr::superadmin;
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
    value(&["-f"]),
    // -c: remove the file from the disk after; -r: restart after; -n: no
    // prompt. None matters when nothing is installed.
    flag(&["-c"]),
    flag(&["-r"]),
    flag(&["-n"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Updhmc {
    pub source: Source,
}

impl Command for Updhmc {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let kind = o.require("-t")?;
        let source = Source::parse(
            kind,
            &o,
            "-f",
            &["disk", "dvd", "ftp", "sftp", "nfs", "usb"],
        )?;
        if matches!(source, Source::Disk(_)) {
            o.require("-f")?;
        }
        Ok(Updhmc { source })
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
            Updhmc::parse(&args("-t sftp -h fs1 -u me --passwd pw -f /upg/x.iso -r")).ok(),
            Some(Updhmc {
                source: Source::Server { host: "fs1".into() }
            })
        );
        assert_eq!(
            Updhmc::parse(&args(
                "-t disk -c -f /home/hscroot/network_install/x.iso -r"
            ))
            .ok(),
            Some(Updhmc {
                source: Source::Disk("/home/hscroot/network_install/x.iso".into())
            })
        );
        assert!(Updhmc::parse(&args("-t disk -r")).is_err());
        assert!(Updhmc::parse(&args("-t sftp -u me -f x")).is_err());
        assert!(Updhmc::parse(&args("-t tape -f x")).is_err());
    }
}
