//! `chhmc -c ssh|xntp|syslog|altdiskboot -s enable|disable|add|remove
//! [-h <host>] [--mode install|upgrade]`: the HMC settings clients change,
//! kept in the HMC's database. `-c altdiskboot --mode upgrade -s enable`
//! (Ansible's hmc_update_upgrade, after getupgfiles) needs upgrade files,
//! which the lab never gets. The network, routes, date and Kerberos come
//! from the lab itself and are not changed from here.

use super::Command;
use super::mkhmcusr::superadmin;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::Ctx;
use crate::hscl::Hscl;

const SPEC: &[opts::Opt] = &[
    value(&["-c"]),
    value(&["-s"]),
    value(&["-h"]),
    value(&["--mode"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Enable,
    Disable,
    Add,
    Remove,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Chhmc {
    Ssh(bool),
    Xntp(Op, Option<String>),
    Syslog(Op, String),
    AltDiskBoot { enable: bool },
}

impl Command for Chhmc {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let what = o.require("-c")?;
        let op = o.word(
            "-s",
            &[
                ("enable", Op::Enable),
                ("disable", Op::Disable),
                ("add", Op::Add),
                ("remove", Op::Remove),
            ],
            "Valid values are enable, disable, add, remove.",
        )?;
        let on_off = |op: Op| match op {
            Op::Enable => Ok(true),
            Op::Disable => Ok(false),
            _ => Err(CmdError::from(opts::not_one_of(
                "-s",
                if op == Op::Add { "add" } else { "remove" },
                &["enable", "disable"],
            ))),
        };
        Ok(match what {
            "ssh" => Chhmc::Ssh(on_off(op)?),
            "xntp" => {
                let host = o.get("-h").map(str::to_string);
                if matches!(op, Op::Add | Op::Remove) && host.is_none() {
                    o.require("-h")?;
                }
                Chhmc::Xntp(op, host)
            }
            "syslog" => {
                if !matches!(op, Op::Add | Op::Remove) {
                    return Err(opts::not_one_of("-s", "enable", &["add", "remove"]).into());
                }
                Chhmc::Syslog(op, o.require("-h")?.to_string())
            }
            "altdiskboot" => {
                opts::one_of(
                    "--mode",
                    o.require("--mode")?,
                    &[("install", ()), ("upgrade", ())],
                    "Valid values are install, upgrade.",
                )?;
                Chhmc::AltDiskBoot {
                    enable: on_off(op)?,
                }
            }
            "network" | "netroute" | "date" | "kerberos" => {
                return Err(format!(
                    "The {what} settings of this HMC come from the lab's topology and cannot be changed with chhmc."
                )
                .into());
            }
            other => {
                return Err(opts::not_one_of(
                    "-c",
                    other,
                    &[
                        "ssh",
                        "xntp",
                        "syslog",
                        "altdiskboot",
                        "network",
                        "netroute",
                        "date",
                        "kerberos",
                    ],
                )
                .into());
            }
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        superadmin(ctx)?;
        let host_ok = |h: &str| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c))
        };
        match self {
            Chhmc::AltDiskBoot { enable: true } => return Err(Hscl::NoUpgradeFiles.into()),
            Chhmc::AltDiskBoot { enable: false } => {}
            Chhmc::Ssh(on) => ctx.hmc.users.change_hmc_settings(|s| {
                s.ssh = on;
                Ok(())
            })?,
            Chhmc::Xntp(op, host) => {
                if let Some(h) = &host
                    && !host_ok(h)
                {
                    return Err(
                        format!("An invalid value was entered for the -h parameter: {h}.").into(),
                    );
                }
                ctx.hmc.users.change_hmc_settings(|s| {
                    match (op, host) {
                        (Op::Enable, _) => s.xntp = true,
                        (Op::Disable, _) => s.xntp = false,
                        (Op::Add, Some(h)) if !s.ntp_servers.contains(&h) => s.ntp_servers.push(h),
                        (Op::Remove, Some(h)) => {
                            let before = s.ntp_servers.len();
                            s.ntp_servers.retain(|x| *x != h);
                            if s.ntp_servers.len() == before {
                                return Err(format!("The NTP server {h} is not configured."));
                            }
                        }
                        _ => {}
                    }
                    Ok(())
                })?
            }
            Chhmc::Syslog(op, h) => {
                if !host_ok(&h) {
                    return Err(
                        format!("An invalid value was entered for the -h parameter: {h}.").into(),
                    );
                }
                ctx.hmc.users.change_hmc_settings(|s| {
                    if op == Op::Add {
                        if !s.syslog_servers.contains(&h) {
                            s.syslog_servers.push(h);
                        }
                    } else {
                        let before = s.syslog_servers.len();
                        s.syslog_servers.retain(|x| *x != h);
                        if s.syslog_servers.len() == before {
                            return Err(format!("The syslog server {h} is not configured."));
                        }
                    }
                    Ok(())
                })?
            }
        }
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_the_settings_clients_change() {
        assert_eq!(
            Chhmc::parse(&args("-c altdiskboot --mode upgrade -s enable")).ok(),
            Some(Chhmc::AltDiskBoot { enable: true })
        );
        assert_eq!(
            Chhmc::parse(&args("-c ssh -s disable")).ok(),
            Some(Chhmc::Ssh(false))
        );
        assert_eq!(
            Chhmc::parse(&args("-c xntp -s add -h ntp1")).ok(),
            Some(Chhmc::Xntp(Op::Add, Some("ntp1".into())))
        );
        for bad in [
            "-c ssh -s add",
            "-c xntp -s add",
            "-c syslog -s enable -h x",
            "-c altdiskboot -s enable",
            "-c network -s modify",
            "-c network -s enable",
            "-c bogus -s enable",
            "-c ssh",
        ] {
            assert!(Chhmc::parse(&args(bad)).is_err(), "{bad}");
        }
    }
}
