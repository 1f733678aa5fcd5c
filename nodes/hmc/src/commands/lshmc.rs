//! `lshmc -V | -n | -v | -b`: the HMC's version, network settings, VPD and
//! BIOS. Ansible reads `-V` line by line for `Version:`, `Release:`,
//! `Service Pack:`, `HMC Build level` and `base_version=`.

use super::Command;
use super::opts::{self, flag};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;

const SPEC: &[opts::Opt] = &[flag(&["-V"]), flag(&["-n"]), flag(&["-v"]), flag(&["-b"])];

#[derive(Debug, PartialEq, Eq)]
pub struct Lshmc {
    pub show: Show,
}

/// What `lshmc` shows; given several flags, the first of -V, -n, -v, -b
/// wins, as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Version,
    Network,
    Vpd,
    Bios,
}

impl Command for Lshmc {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        [
            ("-V", Show::Version),
            ("-n", Show::Network),
            ("-v", Show::Vpd),
            ("-b", Show::Bios),
        ]
        .into_iter()
        .find(|(f, _)| o.has(f))
        .map(|(_, show)| Lshmc { show })
        .ok_or_else(|| "Usage: lshmc -V | -n | -v | -b".to_string().into())
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let hmc = ctx.hmc;
        let (ver, rel, sp) = crate::hmc::version_parts(&hmc.version);
        Ok(match self.show {
            Show::Version => format!(
                "\"version= Version: {ver}\n Release: {rel}\n Service Pack: {sp}\nHMC Build level 2507111519\n\",\"base_version=V{ver}R{rel}\n\"\n"
            ),
            Show::Network => format!(
                "hostname={},domain=pvmlab.local,ipaddr={},networkmask=255.0.0.0,gateway=,nameserver=,domainsuffix=,ssh={},remote_webui_access=enable,lparcomm=enable\n",
                hmc.name,
                hmc.address,
                if hmc.users.hmc_settings().ssh {
                    "enable"
                } else {
                    "disable"
                }
            ),
            Show::Vpd => format!(
                "\"vpd=*FC ????????\n*VC 20.0\n*N2 Fri Jul 11 15:19:00 UTC 2025\n*FC ????????\n*DS Hardware Management Console\n*TM 7063-CR2\n*SE {}\n*MN IBM\n*PN N/A\n*SZ 32768\n*OS Embedded Operating System\n*NA {}\n*FC ????????\n*DS Platform Firmware\n*RM V{ver}R{rel}M{sp}\n\"\n",
                serial(&hmc.name),
                hmc.address
            ),
            Show::Bios => "bios=Hardware Management Console\n".into(),
        })
    }
}

/// A stable made-up serial number per HMC name.
fn serial(name: &str) -> String {
    let h = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("21{:05X}", h & 0xFFFFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_what_to_show_in_the_old_order_of_precedence() {
        assert_eq!(
            Lshmc::parse(&args("-V")).ok(),
            Some(Lshmc {
                show: Show::Version
            })
        );
        assert_eq!(
            Lshmc::parse(&args("-b -v")).ok(),
            Some(Lshmc { show: Show::Vpd })
        );
        assert_eq!(
            Lshmc::parse(&args("-n -V")).ok(),
            Some(Lshmc {
                show: Show::Version
            })
        );
        assert_eq!(
            Lshmc::parse(&args("-b")).ok(),
            Some(Lshmc { show: Show::Bios })
        );
        assert_eq!(
            Lshmc::parse(&args("")).err().map(|e| e.to_string()),
            Some("Usage: lshmc -V | -n | -v | -b".into())
        );
        assert!(Lshmc::parse(&args("-V -x")).is_err());
    }

    #[test]
    fn serials_are_stable_per_name() {
        assert_eq!(serial("hmc1"), serial("hmc1"));
        assert_ne!(serial("hmc1"), serial("hmc2"));
        assert_eq!(serial("hmc1").len(), 7);
    }
}
