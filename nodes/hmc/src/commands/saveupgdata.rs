//! `saveupgdata -r disk|diskusb|diskftp|disksftp [-h ... -u ... -d ...]
//! [-i ...] [--migrate] [--force]`: saves the HMC's data for an upgrade.
//! To its own disk this works (the data is the HMC's database, which is
//! kept anyway, so nothing visible changes); to USB memory or a server it
//! cannot, as the lab has neither.

use super::Command;
use super::mkhmcusr::superadmin;
use super::opts::{self, flag, value};
use super::upgsource::Source;
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-h"]),
    value(&["-u"]),
    value(&["--passwd"]),
    value(&["-k"]),
    value(&["-d"]),
    value(&["-i"]),
    flag(&["--migrate"]),
    flag(&["--force"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Saveupgdata {
    pub target: Source,
}

impl Command for Saveupgdata {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let kind = o.require("-r")?;
        let target = Source::parse(kind, &o, "-d", &["disk", "diskusb", "diskftp", "disksftp"])?;
        if matches!(target, Source::Server { .. }) {
            o.require("-d")?;
        }
        Ok(Saveupgdata { target })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        match self.target {
            Source::Disk(_) => Ok(String::new()),
            other => Err(other.refusal()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_where_to() {
        assert_eq!(
            Saveupgdata::parse(&args("-r disk")).ok(),
            Some(Saveupgdata {
                target: Source::Disk(String::new())
            })
        );
        assert_eq!(
            Saveupgdata::parse(&args("-r diskusb")).ok(),
            Some(Saveupgdata {
                target: Source::Usb
            })
        );
        assert!(
            Saveupgdata::parse(&args("-r diskftp -h fs1 -u me")).is_err(),
            "no -d"
        );
        assert!(Saveupgdata::parse(&args("-r ftp")).is_err());
    }
}
