//! `migrlpar -o m|v|s|r -m <src> [-t <dst>] (-p <lpar> | --id <id>) [-n
//! <profile>] [-i <data> | -f <file>] [-w <min>] [--force] [-d <level>]
//! [-v] [--mpio 1|2] [--vlanbridge 1|2] [--redundantvios 0|1|2] [--ip <hmc>
//! [-u <user>]]`: validate, migrate, stop or recover a partition migration
//! (see `crate::lpm`); with --ip, to a frame that another HMC manages
//! (`crate::lpm::remote`). `-p a,b`, `--id 3,4` and `--all` name several
//! partitions (`Migrlpars`, as Ansible's powervm_lpar_migration sends
//! them): each is validated or moved in turn, and each failure is printed
//! under its partition's name.

use super::Command;
use super::input::{LparRef, input_attrs};
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::lpm::{self, validate::Asked, validate::INPUT_ATTRS};
use pvmlab_common::model::{MAX_WAIT_MINUTES, migration_state};

const SPEC: &[opts::Opt] = &[
    value(&["-o"]),
    value(&["-m"]),
    value(&["-t"]),
    value(&["-p"]),
    value(&["--id"]),
    value(&["-n"]),
    value(&["-i"]),
    value(&["-f"]),
    value(&["-w"]),
    flag(&["--force"]),
    value(&["-d"]),
    flag(&["-v"]),
    value(&["--mpio"]),
    value(&["--vlanbridge"]),
    value(&["--redundantvios"]),
    value(&["--ip"]),
    value(&["-u"]),
    flag(&["--all"]),
];

/// One migrlpar: the partition, where it is, and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrlpar {
    /// -m: the frame the partition is on.
    pub frame: String,
    /// -p or --id.
    pub lpar: LparRef,
    pub op: Op,
}

/// -o, with what each operation takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// -o m; -v prints what the migration did.
    Migrate { to: Move, verbose: bool },
    /// -o v.
    Validate(Move),
    /// -o s: stops a migration this HMC started, while it is starting.
    Stop,
    /// -o r [--force]: undoes what a failed migration left.
    Recover { force: bool },
}

/// What a migration or its validation is asked: the destination and the
/// inputs `crate::lpm` validates and runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// -t: the destination frame.
    pub target: String,
    /// --ip [-u]: the HMC that manages the destination, if not this one.
    pub remote: Option<RemoteHmc>,
    /// -i or -f.
    pub input: Input,
    /// --redundantvios (or --mpio before it): 0 not required, 1 required,
    /// 2 if possible.
    pub mpio: u8,
    /// --vlanbridge: 1 required, 2 if possible.
    pub vlanbridge: u8,
    /// -n: the profile the partition gets at the destination.
    pub new_profile: Option<String>,
    /// -w: minutes the partition's migration scripts may take.
    pub wait_minutes: Option<u32>,
    /// -d: the detail asked of the partition's scripts, 0-5.
    pub detail: u32,
}

/// --ip and -u.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHmc {
    pub ip: String,
    /// The user there; this HMC's user without -u.
    pub user: Option<String>,
}

/// The migration's attributes (virtual_scsi_mappings, dest_msp_name …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// -i, checked, or none.
    Attrs(Vec<(String, String)>),
    /// -f: a file of them, read and checked when the command runs.
    File(String),
}

impl Input {
    fn parse(o: &opts::Parsed) -> Result<Input, CmdError> {
        match (o.get("-i"), o.get("-f")) {
            (Some(_), Some(_)) => Err("The -i and -f parameters cannot be used together."
                .to_string()
                .into()),
            (Some(i), None) => Ok(Input::Attrs(attrs(i)?)),
            (None, Some(f)) => Ok(Input::File(f.to_string())),
            (None, None) => Ok(Input::Attrs(Vec::new())),
        }
    }

    async fn attrs(self) -> Result<Vec<(String, String)>, CmdError> {
        match self {
            Input::Attrs(a) => Ok(a),
            Input::File(f) => {
                let text = crate::files::read_input(&f)?;
                attrs(text.trim())
            }
        }
    }
}

fn attrs(input: &str) -> Result<Vec<(String, String)>, CmdError> {
    if input.is_empty() {
        Ok(Vec::new())
    } else {
        input_attrs(input, INPUT_ATTRS)
    }
}

/// -w, wherever it comes from (a REST job's WaitTime too): at most a day.
pub fn wait_minutes(v: Option<&str>) -> Result<Option<u32>, CmdError> {
    Ok(opts::at_most("-w", v, MAX_WAIT_MINUTES)?)
}

impl Command for Migrlpar {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let (frame, op) = parse_op(&o)?;
        let lpar = LparRef::parse(&o)?;
        Ok(Migrlpar { frame, lpar, op })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        self.run(ctx).await
    }
}

/// `-o` and what it takes, checked in the HMC's order (the partition is
/// named after the frame).
fn parse_op(o: &opts::Parsed) -> Result<(String, Op), CmdError> {
    {
        let word = o.require("-o")?;
        if !matches!(word, "m" | "v" | "s" | "r") {
            return Err(format!(
                "An invalid value was entered for the -o parameter: {word}. Valid values are m, r, s, v."
            )
            .into());
        }
        let frame = o.require("-m")?.to_string();
        if !o.has("--all") && o.get("-p").is_none() && o.get("--id").is_none() {
            return Err("Specify the partition with either -p or --id."
                .to_string()
                .into());
        }
        // Checked whatever the operation, though only m and v use them.
        let wait_minutes = wait_minutes(o.get("-w"))?;
        let detail = o.at_most("-d", 5)?.unwrap_or(1);
        let op = match word {
            "s" => Op::Stop,
            "r" => Op::Recover {
                force: o.has("--force"),
            },
            _ => {
                let to = Move {
                    target: o.require("-t")?.to_string(),
                    remote: o.get("--ip").map(|ip| RemoteHmc {
                        ip: ip.to_string(),
                        user: o.get("-u").map(str::to_string),
                    }),
                    input: Input::parse(o)?,
                    // --redundantvios, where given, supersedes --mpio (later HMCs).
                    mpio: match o.get("--redundantvios") {
                        Some(_) => o.choice("--redundantvios", &["0", "1", "2"], 1)?,
                        None => o.choice("--mpio", &["1", "2"], 1)?,
                    },
                    vlanbridge: o.choice("--vlanbridge", &["1", "2"], 1)?,
                    new_profile: o.get("-n").map(str::to_string),
                    wait_minutes,
                    detail,
                };
                if word == "m" {
                    Op::Migrate {
                        to,
                        verbose: o.has("-v"),
                    }
                } else {
                    Op::Validate(to)
                }
            }
        };
        Ok((frame, op))
    }
}

impl Migrlpar {
    async fn run(self, ctx: &Ctx<'_>) -> CmdResult {
        let src = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        let lpar = self.lpar.find(&src)?.clone();
        match self.op {
            Op::Stop => {
                let m = lpar.migration.as_ref().ok_or_else(|| {
                    CmdError::Usage(format!("The partition {} is not migrating.", lpar.name))
                })?;
                if m.hmc != ctx.hmc.name {
                    return Err(format!("The migration of partition {} was started by the management console {}. A stop operation must be issued on the management console that started the migration.", lpar.name, m.hmc).into());
                }
                if m.state != migration_state::STARTING || !ctx.hmc.lpm.running(&lpar.name) {
                    return Err(format!("The migration of partition {} cannot be stopped because it is in the {} state. A migration can be stopped only in the Migration Starting state.", lpar.name, m.state).into());
                }
                ctx.hmc.lpm.stop(&lpar.name);
                // The migration's own task rolls back; wait for it.
                let id = lpar.id;
                crate::hmc::wait_partition(ctx, &src.name, id, |p| p.migration.is_none()).await;
                Ok(String::new())
            }
            Op::Recover { force } => {
                let m = lpar.migration.clone().ok_or_else(|| {
                    CmdError::Usage(format!(
                        "The partition {} is not migrating; there is nothing to recover.",
                        lpar.name
                    ))
                })?;
                if ctx.hmc.lpm.running(&lpar.name) {
                    return Err(format!("The migration of partition {} is still in progress. Wait for it to end, or stop it with migrlpar -o s.", lpar.name).into());
                }
                lpm::recover(ctx, &lpar.name, &m, force).await?;
                Ok(String::new())
            }
            Op::Validate(to) => {
                let (dst, asked) = to.resolve(ctx, &lpar).await?;
                let plan = lpm::validate(ctx, &src, &dst, &lpar, &asked).await;
                let report = crate::lpm::validate::report(&plan);
                if plan.errors.is_empty() {
                    Ok(report)
                } else {
                    Err(CmdError::Usage(report.trim_end().to_string()))
                }
            }
            Op::Migrate { to, verbose } => {
                let (dst, asked) = to.resolve(ctx, &lpar).await?;
                let out = lpm::migrate(ctx, std::sync::Arc::unwrap_or_clone(src), dst, lpar, asked)
                    .await?;
                Ok(if verbose { out } else { String::new() })
            }
        }
    }
}

/// The partitions a command line names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lpars {
    /// `-p a,b` or `--id 3,4` (one or more).
    Listed(Vec<LparRef>),
    /// `--all`: every client partition of the frame.
    All,
}

impl Lpars {
    fn parse(o: &opts::Parsed) -> Result<Lpars, CmdError> {
        let list = |v: &str, f: fn(String) -> LparRef| -> Result<Vec<LparRef>, CmdError> {
            let mut out: Vec<LparRef> = Vec::new();
            for item in v.split(',') {
                let item = item.trim();
                if item.is_empty() {
                    return Err(format!("The partition list {v} is not valid.").into());
                }
                let r = f(item.to_string());
                if out.contains(&r) {
                    return Err(
                        format!("The partition {item} was specified more than once.").into(),
                    );
                }
                out.push(r);
            }
            Ok(out)
        };
        match (o.get("-p"), o.get("--id"), o.has("--all")) {
            (Some(p), None, false) => Ok(Lpars::Listed(list(p, LparRef::Name)?)),
            (None, Some(id), false) => Ok(Lpars::Listed(list(id, LparRef::Id)?)),
            (None, None, true) => Ok(Lpars::All),
            _ => Err(
                "Specify the partitions with exactly one of -p, --id or --all."
                    .to_string()
                    .into(),
            ),
        }
    }
}

/// migrlpar as the command line takes it: one partition runs as
/// `Migrlpar`, its output and errors its own; several run one after the
/// other, each failure printed under its partition's name, and the command
/// fails if any did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrlpars {
    pub frame: String,
    pub lpars: Lpars,
    pub op: Op,
}

impl Command for Migrlpars {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let (frame, op) = parse_op(&o)?;
        let lpars = Lpars::parse(&o)?;
        let several = lpars == Lpars::All || matches!(&lpars, Lpars::Listed(l) if l.len() > 1);
        if several {
            match &op {
                Op::Recover { .. } => {
                    return Err(
                        "Only one partition can be specified for a recover operation."
                            .to_string()
                            .into(),
                    );
                }
                Op::Stop if lpars == Lpars::All => {
                    return Err("The --all parameter is valid only with -o m or -o v."
                        .to_string()
                        .into());
                }
                Op::Migrate { to, .. } | Op::Validate(to) if to.new_profile.is_some() => {
                    return Err(
                        "The -n parameter cannot be used when more than one partition is specified."
                            .to_string()
                            .into(),
                    );
                }
                _ => {}
            }
        }
        Ok(Migrlpars { frame, lpars, op })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let refs = match self.lpars {
            Lpars::Listed(mut l) if l.len() == 1 => {
                let lpar = l.remove(0);
                return Migrlpar {
                    frame: self.frame,
                    lpar,
                    op: self.op,
                }
                .run(ctx)
                .await;
            }
            Lpars::Listed(l) => l,
            Lpars::All => {
                let src = find_frame(ctx, &self.frame)?;
                let all = all_clients(&src);
                if all.is_empty() {
                    return Err(format!(
                        "There are no partitions to migrate on the managed system {}.",
                        src.name
                    )
                    .into());
                }
                all
            }
        };
        // Every partition named must exist before any is touched.
        let src = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        for r in &refs {
            r.find(&src)?;
        }
        let mut results = Vec::new();
        for lpar in refs {
            let name = lpar.find(&src).map(|p| p.name.clone()).unwrap_or_default();
            let one = Migrlpar {
                frame: self.frame.clone(),
                lpar,
                op: self.op.clone(),
            };
            results.push((name, one.run(ctx).await));
        }
        several_results(results)
    }
}

/// `--all`: the frame's client partitions (a VIOS does not migrate), by id.
fn all_clients(f: &pvmlab_common::proto::hmc::FrameView) -> Vec<LparRef> {
    use pvmlab_common::model::PartitionExt as _;
    let mut ids: Vec<u32> = f
        .partitions
        .iter()
        .filter(|p| !p.is_vios())
        .map(|p| p.id)
        .collect();
    ids.sort_unstable();
    ids.into_iter()
        .map(|i| LparRef::Id(i.to_string()))
        .collect()
}

/// What several partitions' runs print together: each partition's output
/// (with -v), then each failure under the name of its partition; an error
/// if any failed.
pub fn several_results(results: Vec<(String, CmdResult)>) -> CmdResult {
    let mut out = String::new();
    let mut failed = String::new();
    for (name, r) in results {
        match r {
            Ok(text) if text.is_empty() => {}
            Ok(text) => out.push_str(&format!("Partition {name}:\n{text}")),
            Err(e) => failed.push_str(&format!(
                "Partition {name}:\n{}\n",
                e.to_string().trim_end()
            )),
        }
    }
    if failed.is_empty() {
        Ok(out)
    } else {
        Err(CmdError::Usage(
            format!("{out}{failed}").trim_end().to_string(),
        ))
    }
}

impl Move {
    /// The destination frame and what `crate::lpm` is asked.
    async fn resolve(
        self,
        ctx: &Ctx<'_>,
        lpar: &pvmlab_common::model::Partition,
    ) -> Result<(pvmlab_common::proto::hmc::FrameView, Asked), CmdError> {
        // With --ip the destination is another HMC's frame: that HMC
        // first says whether it can take the partition (HSCLA318).
        let dst = match &self.remote {
            Some(r) => {
                let user = r.user.as_deref().unwrap_or(&ctx.user.name);
                lpm::remote::peer(ctx, &r.ip, user)?
                    .frame(&self.target, Some(lpar))
                    .await?
            }
            None => (*find_frame(ctx, &self.target)?).clone(),
        };
        let asked = Asked {
            attrs: self.input.attrs().await?,
            mpio: self.mpio,
            vlanbridge: self.vlanbridge,
            new_profile: self.new_profile,
            wait_minutes: self.wait_minutes,
            detail: self.detail,
        };
        Ok((dst, asked))
    }
}

/// A move to `target` with nothing else asked, as the tests build them.
#[cfg(test)]
impl Move {
    pub fn to(target: &str) -> Move {
        Move {
            target: target.into(),
            remote: None,
            input: Input::Attrs(Vec::new()),
            mpio: 1,
            vlanbridge: 1,
            new_profile: None,
            wait_minutes: None,
            detail: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Migrlpar, String> {
        let args: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        Migrlpar::parse(&args).map_err(|e| e.to_string())
    }

    fn to(target: &str) -> Move {
        Move::to(target)
    }

    #[test]
    fn parses_each_operation_with_what_it_takes() {
        assert_eq!(
            parse("-o s -m sys2 -p web01"),
            Ok(Migrlpar {
                frame: "sys2".into(),
                lpar: LparRef::Name("web01".into()),
                op: Op::Stop
            })
        );
        assert_eq!(
            parse("-o r -m sys2 --id 4 --force").map(|m| (m.lpar, m.op)),
            Ok((LparRef::Id("4".into()), Op::Recover { force: true }))
        );
        assert_eq!(
            parse("-o v -m sys2 -t sys3 -p web01").map(|m| m.op),
            Ok(Op::Validate(to("sys3")))
        );
        assert_eq!(
            parse(
                "-o m -m sys2 -t sys3 -p web01 --ip hmc2 -u hscroot -n moved -w 2 -d 3 -v \
                 --redundantvios 2 --mpio 1 --vlanbridge 2 -i dest_lpar_id=9,source_msp_name=vios1"
            )
            .map(|m| m.op),
            Ok(Op::Migrate {
                to: Move {
                    remote: Some(RemoteHmc {
                        ip: "hmc2".into(),
                        user: Some("hscroot".into())
                    }),
                    input: Input::Attrs(vec![
                        ("dest_lpar_id".into(), "9".into()),
                        ("source_msp_name".into(), "vios1".into())
                    ]),
                    mpio: 2,
                    vlanbridge: 2,
                    new_profile: Some("moved".into()),
                    wait_minutes: Some(2),
                    detail: 3,
                    ..to("sys3")
                },
                verbose: true
            })
        );
        assert_eq!(
            parse("-o m -m sys2 -t sys3 -p web01 -f /tmp/in --mpio 2").map(|m| m.op),
            Ok(Op::Migrate {
                to: Move {
                    input: Input::File("/tmp/in".into()),
                    mpio: 2,
                    ..to("sys3")
                },
                verbose: false
            })
        );
    }

    #[test]
    fn refuses_bad_syntax_before_looking_at_the_lab() {
        let bad = |s: &str| parse(s).err().unwrap_or_default();
        assert_eq!(
            bad("-o x -m sys2 -p a"),
            "An invalid value was entered for the -o parameter: x. Valid values are m, r, s, v."
        );
        assert_eq!(bad("-o m -p a -t sys3"), "The -m parameter is required.");
        assert_eq!(bad("-o m -m sys2 -p a"), "The -t parameter is required.");
        assert_eq!(
            bad("-o m -m sys2 -t sys3"),
            "Specify the partition with either -p or --id."
        );
        assert_eq!(
            bad("-o s -m sys2 -p a -w 1441"),
            "An invalid value was entered for the -w parameter: 1441."
        );
        assert_eq!(
            bad("-o v -m sys2 -t sys3 -p a -d 6"),
            "An invalid value was entered for the -d parameter: 6."
        );
        assert_eq!(
            bad("-o v -m sys2 -t sys3 -p a -i dest_lpar_id=1 -f x"),
            "The -i and -f parameters cannot be used together."
        );
        assert_eq!(
            bad("-o v -m sys2 -t sys3 -p a -i color=red"),
            "An invalid attribute was entered: color"
        );
        assert_eq!(
            bad("-o v -m sys2 -t sys3 -p a --mpio 0"),
            "An invalid value was entered for the --mpio parameter: 0. Valid values are 1, 2."
        );
        // Stop and recover do not look at what only a move takes.
        assert!(parse("-o s -m sys2 -p a -i color=red --mpio 9").is_ok());
    }

    fn many(s: &str) -> Result<Migrlpars, String> {
        Migrlpars::parse(&crate::commands::opts::words(s)).map_err(|e| e.to_string())
    }

    #[test]
    fn several_partitions_are_named_as_ansible_sends_them() {
        let m = many("-o m -m sys2 -t sys3 -p aix1,aix2 -w 5").unwrap();
        assert_eq!(
            m.lpars,
            Lpars::Listed(vec![
                LparRef::Name("aix1".into()),
                LparRef::Name("aix2".into())
            ])
        );
        assert!(matches!(m.op, Op::Migrate { .. }));
        assert_eq!(
            many("-o v -m sys2 -t sys3 --id 3,4").unwrap().lpars,
            Lpars::Listed(vec![LparRef::Id("3".into()), LparRef::Id("4".into())])
        );
        assert_eq!(
            many("-o m -m sys2 -t sys3 --all").unwrap().lpars,
            Lpars::All
        );
        assert_eq!(
            many("-o r -m sys2 -p a").unwrap().lpars,
            Lpars::Listed(vec![LparRef::Name("a".into())])
        );
        for (line, why) in [
            ("-o r -m sys2 -p a,b", "Only one partition"),
            ("-o r -m sys2 --all", "Only one partition"),
            ("-o s -m sys2 --all", "--all"),
            ("-o m -m sys2 -t sys3 -p a,a", "more than once"),
            ("-o m -m sys2 -t sys3 -p a,,b", "not valid"),
            ("-o m -m sys2 -t sys3 -p a --all", "exactly one"),
            ("-o m -m sys2 -t sys3 -p a,b -n p2", "-n parameter"),
            ("-o m -m sys2 -t sys3", "either -p or --id"),
        ] {
            let e = many(line).unwrap_err();
            assert!(e.contains(why), "{line}: {e}");
        }
    }

    #[test]
    fn several_results_name_each_failure() {
        assert_eq!(
            several_results(vec![
                ("a".into(), Ok(String::new())),
                ("b".into(), Ok(String::new()))
            ])
            .ok(),
            Some(String::new())
        );
        let e = several_results(vec![
            ("a".into(), Ok(String::new())),
            (
                "b".into(),
                Err(CmdError::Usage("HSCLA2FF it failed".into())),
            ),
            (
                "c".into(),
                Err(crate::hscl::Hscl::PartitionNotFound("c".into()).into()),
            ),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("Partition b:\nHSCLA2FF it failed\nPartition c:\nHSCL8012"),
            "{e}"
        );
        assert!(!e.contains("Partition a"));
    }

    #[test]
    fn a_wait_time_is_at_most_a_day() {
        assert_eq!(wait_minutes(Some("1440")).ok(), Some(Some(1440)));
        assert_eq!(wait_minutes(None).ok(), Some(None));
        assert!(wait_minutes(Some("soon")).is_err());
    }
}
