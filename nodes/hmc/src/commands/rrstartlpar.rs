//! `rrstartlpar -o validate|restart|cleanup|cancel|recover -m <src> [-t
//! <dst>] (-p <lpar> | --id <id>) [-d <level>] [-v] [--redundantvios
//! 0|1|2] [--mpio 1|2] [--vlanbridge 1|2] [-w <min>] [--retaindev]
//! [--force] [--noconnection] [--usecurrdata] [--nodetails]`:
//! remote restart of a partition whose frame is down (see `crate::rr`).

use super::Command;
use super::input::LparRef;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use crate::lpm::validate;
use crate::rr;

const SPEC: &[opts::Opt] = &[
    value(&["-o"]),
    value(&["-m"]),
    value(&["-t"]),
    value(&["-p"]),
    value(&["--id"]),
    value(&["-d"]),
    flag(&["-v"]),
    value(&["--redundantvios"]),
    flag(&["--retaindev"]),
    flag(&["--force"]),
    flag(&["--noconnection"]),
    flag(&["--usecurrdata"]),
    value(&["--ip"]),
    value(&["-u"]),
    value(&["--mpio"]),
    value(&["--vlanbridge"]),
    value(&["-w"]),
    flag(&["--nodetails"]),
];

const OPS: &[&str] = &["validate", "restart", "cleanup", "cancel", "recover"];

/// One rrstartlpar: the partition, the frame it was on, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rrstartlpar {
    /// -m: the frame that is down.
    pub frame: String,
    /// -p (as named: the frame may not show it) or --id.
    pub lpar: LparRef,
    pub op: Op,
    pub opts: Options,
}

/// -o, with the destination (-t) where the operation takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Validate {
        to: String,
    },
    Restart {
        to: String,
    },
    /// Removes the copy left on the source frame once it is back.
    Cleanup,
    Cancel,
    Recover,
}

impl Op {
    /// The operation `word` names, and its destination `to`; a REST job's
    /// Operation and target come here too.
    pub fn parse(word: &str, to: Option<&str>) -> Result<Op, CmdError> {
        if !OPS.contains(&word) {
            return Err(format!(
                "An invalid value was entered for the -o parameter: {word}. Valid values are {}.",
                OPS.join(", ")
            )
            .into());
        }
        let target = || -> Result<String, CmdError> {
            Ok(to
                .ok_or("The -t parameter is required.".to_string())?
                .to_string())
        };
        Ok(match word {
            "validate" => Op::Validate { to: target()? },
            "restart" => Op::Restart { to: target()? },
            "cleanup" if to.is_some() => {
                return Err("The -t parameter is not valid with -o cleanup."
                    .to_string()
                    .into());
            }
            "cleanup" => Op::Cleanup,
            "cancel" => Op::Cancel,
            _ => Op::Recover,
        })
    }
}

/// What the options ask of a restart (`rr::Opts`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub noconnection: bool,
    pub force: bool,
    pub retaindev: bool,
    pub usecurrdata: bool,
    /// --redundantvios: 0 not required, 1 required, 2 if possible.
    pub redundantvios: u8,
    /// --vlanbridge: 1 required, 2 if possible.
    pub vlanbridge: u8,
}

impl Options {
    fn rr(&self) -> rr::Opts {
        rr::Opts {
            noconnection: self.noconnection,
            force: self.force,
            retaindev: self.retaindev,
            usecurrdata: self.usecurrdata,
            redundantvios: self.redundantvios,
            vlanbridge: self.vlanbridge,
        }
    }
}

/// Refuses another HMC's frames (--ip, a REST job's remote HMC).
pub fn local_only(ip: Option<&str>) -> Result<(), CmdError> {
    match ip {
        Some(_) => Err("Remote restart between managed systems of two management consoles (--ip) is not supported: the source and destination managed systems must be managed by the same management console.".to_string().into()),
        None => Ok(()),
    }
}

/// --redundantvios, where given, supersedes --mpio (as for migrlpar);
/// both default to 2.
pub fn redundancy(mpio: Option<&str>, redundantvios: Option<&str>) -> Result<u8, CmdError> {
    let mpio = opts::choice("--mpio", mpio, &["1", "2"], 2)?;
    Ok(match redundantvios {
        Some(_) => opts::choice("--redundantvios", redundantvios, &["0", "1", "2"], 2)?,
        None => mpio,
    })
}

pub fn vlanbridge(v: Option<&str>) -> Result<u8, CmdError> {
    Ok(opts::choice("--vlanbridge", v, &["1", "2"], 1)?)
}

impl Command for Rrstartlpar {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let op = Op::parse(o.require("-o")?, o.get("-t"))?;
        local_only(o.get("--ip"))?;
        o.at_most("-d", 5)
            .map_err(|e| format!("{e} Valid values are 0 through 5."))?;
        // Checked as migrlpar's is; a remote restart runs no migration
        // scripts for it to bound.
        o.at_most("-w", pvmlab_common::model::MAX_WAIT_MINUTES)?;
        let redundantvios = redundancy(o.get("--mpio"), o.get("--redundantvios"))?;
        let vlanbridge = vlanbridge(o.get("--vlanbridge"))?;
        let frame = o.require("-m")?.to_string();
        let lpar = LparRef::parse(&o)?;
        Ok(Rrstartlpar {
            frame,
            lpar,
            op,
            opts: Options {
                noconnection: o.has("--noconnection"),
                force: o.has("--force"),
                retaindev: o.has("--retaindev"),
                usecurrdata: o.has("--usecurrdata"),
                redundantvios,
                vlanbridge,
            },
        })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let src = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        // By name as given: a lost frame's view may not show the partition.
        let lpar = match self.lpar {
            LparRef::Name(n) => n,
            LparRef::Id(id) => src
                .partitions
                .iter()
                .find(|p| p.id.to_string() == id)
                .map(|p| p.name.clone())
                .ok_or(Hscl::PartitionNotFound(id))?,
        };
        let opts = self.opts.rr();
        match self.op {
            Op::Validate { to } => {
                let dst = find_frame(ctx, &to)?;
                let (_, plan) = rr::check(ctx, &src, &dst, &lpar, &opts).await?;
                let report = validate::report(&plan);
                if plan.errors.is_empty() {
                    Ok(report)
                } else {
                    Err(CmdError::Usage(report.trim_end().to_string()))
                }
            }
            Op::Restart { to } => {
                let dst = find_frame(ctx, &to)?;
                rr::restart(ctx, &src, &dst, &lpar, &opts).await
            }
            Op::Cleanup => {
                rr::cleanup(ctx, &src, &lpar, &opts).await?;
                Ok(String::new())
            }
            Op::Cancel => {
                rr::cancel(ctx, &src, &lpar).await?;
                Ok(String::new())
            }
            Op::Recover => {
                rr::recover(ctx, &src, &lpar).await?;
                Ok(String::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Rrstartlpar, String> {
        let args: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        Rrstartlpar::parse(&args).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_each_operation_and_the_options() {
        assert_eq!(
            parse("-o restart -m fr1 -t fr2 -p rr1"),
            Ok(Rrstartlpar {
                frame: "fr1".into(),
                lpar: LparRef::Name("rr1".into()),
                op: Op::Restart { to: "fr2".into() },
                opts: Options {
                    redundantvios: 2,
                    vlanbridge: 1,
                    ..Options::default()
                }
            })
        );
        assert_eq!(
            parse(
                "-o validate -m fr1 -t fr2 --id 3 --mpio 1 --vlanbridge 2 --force \
                 --noconnection --retaindev --usecurrdata -v -d 5 -w 10 --nodetails"
            )
            .map(|r| (r.lpar, r.op, r.opts)),
            Ok((
                LparRef::Id("3".into()),
                Op::Validate { to: "fr2".into() },
                Options {
                    noconnection: true,
                    force: true,
                    retaindev: true,
                    usecurrdata: true,
                    redundantvios: 1,
                    vlanbridge: 2,
                }
            ))
        );
        assert_eq!(
            parse("-o cleanup -m fr1 -p rr1 --redundantvios 0 --mpio 1")
                .map(|r| (r.op, r.opts.redundantvios)),
            Ok((Op::Cleanup, 0))
        );
        // Cancel and recover do not look at -t.
        assert_eq!(
            parse("-o cancel -m fr1 -t fr2 -p rr1").map(|r| r.op),
            Ok(Op::Cancel)
        );
        assert_eq!(
            parse("-o recover -m fr1 -p rr1").map(|r| r.op),
            Ok(Op::Recover)
        );
    }

    #[test]
    fn refuses_bad_syntax_in_the_hmcs_words() {
        let bad = |s: &str| parse(s).err().unwrap_or_default();
        assert_eq!(
            bad("-o bounce -m fr1 -t fr2 -p rr1"),
            "An invalid value was entered for the -o parameter: bounce. Valid values are validate, restart, cleanup, cancel, recover."
        );
        assert_eq!(
            bad("-o restart -m fr1 -p rr1"),
            "The -t parameter is required."
        );
        assert_eq!(
            bad("-o cleanup -m fr1 -t fr2 -p rr1"),
            "The -t parameter is not valid with -o cleanup."
        );
        assert!(
            bad("-o restart -m fr1 -t fr2 -p rr1 --ip hmc2").contains("(--ip) is not supported")
        );
        assert_eq!(
            bad("-o validate -m fr1 -t fr2 -p rr1 -d 6"),
            "An invalid value was entered for the -d parameter: 6. Valid values are 0 through 5."
        );
        assert_eq!(
            bad("-o validate -m fr1 -t fr2 -p rr1 -w soon"),
            "An invalid value was entered for the -w parameter: soon."
        );
        assert_eq!(
            bad("-o validate -m fr1 -t fr2 -p rr1 --redundantvios 3"),
            "An invalid value was entered for the --redundantvios parameter: 3. Valid values are 0, 1, 2."
        );
        assert_eq!(
            bad("-o validate -m fr1 -t fr2 -p rr1 --vlanbridge 0"),
            "An invalid value was entered for the --vlanbridge parameter: 0. Valid values are 1, 2."
        );
        assert_eq!(
            bad("-o validate -m fr1 -t fr2"),
            "Specify the partition with either -p or --id."
        );
        assert_eq!(
            bad("-o validate -t fr2 -p rr1"),
            "The -m parameter is required."
        );
    }
}
