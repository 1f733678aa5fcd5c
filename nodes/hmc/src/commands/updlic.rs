//! `updlic -m <sys> -o a|u -t sys -r ibmwebsite|ftp|sftp|disk|dvd|mountpoint
//! -l latest|<level> [-h <host> -u <user> -d <dir> --passwd <pw> | -k <key>]`
//! retrieves, installs and activates a firmware update (`a`) or upgrade
//! (`u`); `updlic -m <sys> -o c` accepts the active level. Ansible's
//! firmware_update sends these. The lab reaches no repository and holds no
//! firmware media, so an update fails as a real HMC's does when it cannot
//! get one and the frame's levels stay; accepting succeeds, as the
//! frame's active level is already its accepted one.

use super::Command;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;

const SPEC: &[opts::Opt] = &[
    value(&["-m"]),
    value(&["-o"]),
    value(&["-t"]),
    value(&["-r"]),
    value(&["-l"]),
    value(&["-h"]),
    value(&["-u"]),
    value(&["-d"]),
    value(&["--passwd"]),
    value(&["-k"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Updlic {
    pub frame: String,
    pub op: Op,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Op {
    /// Accept: the temporary side becomes the permanent one.
    Accept,
    /// Remove the temporary level and run the permanent one.
    Remove,
    /// Retrieve, install and activate (`a`) or upgrade (`u`) from a repository.
    Update { repo: Repo },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repo {
    IbmWebsite,
    Server(String),
    Disk(String),
    Dvd,
}

impl Command for Updlic {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let frame = o.require("-m")?.to_string();
        let op = match o.require("-o")? {
            "c" => Op::Accept,
            "r" => Op::Remove,
            "a" | "u" => {
                if let Some(t) = o.get("-t") {
                    opts::one_of(
                        "-t",
                        t,
                        &[("sys", ()), ("power", ()), ("syspower", ())],
                        "Valid values are sys, power, syspower.",
                    )?;
                }
                o.require("-l")?;
                let repo = match o.require("-r")? {
                    "ibmwebsite" => {
                        if o.has("-h") || o.has("-u") || o.has("-d") {
                            return Err(
                                "The -h, -u and -d parameters are not valid with -r ibmwebsite."
                                    .to_string()
                                    .into(),
                            );
                        }
                        Repo::IbmWebsite
                    }
                    "ftp" | "sftp" => {
                        o.require("-u")?;
                        o.require("-d")?;
                        if o.has("--passwd") && o.has("-k") {
                            return Err("The --passwd and -k parameters are mutually exclusive."
                                .to_string()
                                .into());
                        }
                        Repo::Server(o.require("-h")?.to_string())
                    }
                    "disk" | "mountpoint" => Repo::Disk(o.get("-d").unwrap_or("/").to_string()),
                    "dvd" => Repo::Dvd,
                    other => {
                        return Err(opts::not_one_of(
                            "-r",
                            other,
                            &["ibmwebsite", "ftp", "sftp", "disk", "dvd", "mountpoint"],
                        )
                        .into());
                    }
                };
                Op::Update { repo }
            }
            other => return Err(opts::not_one_of("-o", other, &["a", "u", "c", "r"]).into()),
        };
        Ok(Updlic { frame, op })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        match self.op {
            // The frame runs its one level on both sides already.
            Op::Accept | Op::Remove => Ok(String::new()),
            Op::Update { repo } => Err(match repo {
                Repo::IbmWebsite => Hscl::FirmwareRepositoryUnreachable("ibmwebsite".into()),
                Repo::Server(host) => Hscl::FirmwareRepositoryUnreachable(host),
                Repo::Disk(dir) => Hscl::MediaInvalid(dir),
                Repo::Dvd => Hscl::NoMediaDevice("DVD".into()),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::words as args;

    #[test]
    fn parses_firmware_updates_lines() {
        assert_eq!(
            Updlic::parse(&args("-m sys1 -o a -t sys -r ibmwebsite -l latest")).ok(),
            Some(Updlic {
                frame: "sys1".into(),
                op: Op::Update {
                    repo: Repo::IbmWebsite
                }
            })
        );
        assert_eq!(
            Updlic::parse(&args(
                "-m sys1 -o u -t sys -r sftp -l latest -h fs1 -u me -d /fw --passwd pw"
            ))
            .ok()
            .map(|u| u.op),
            Some(Op::Update {
                repo: Repo::Server("fs1".into())
            })
        );
        assert_eq!(
            Updlic::parse(&args("-m sys1 -o c")).ok().map(|u| u.op),
            Some(Op::Accept)
        );
        for bad in [
            "-o c",
            "-m sys1",
            "-m sys1 -o x",
            "-m sys1 -o a -r ibmwebsite",
            "-m sys1 -o a -l latest -r ibmwebsite -h fs1",
            "-m sys1 -o a -l latest -r sftp -h fs1 -d /fw",
            "-m sys1 -o a -l latest -r tape",
            "-m sys1 -o a -t bmc -l latest -r ibmwebsite",
        ] {
            assert!(Updlic::parse(&args(bad)).is_err(), "{bad}");
        }
    }
}
