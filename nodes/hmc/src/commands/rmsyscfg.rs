//! `rmsyscfg -r lpar -m <sys> -n <lpar> [--vioscfg] [--vdisk]` deletes a
//! partition that is not running; `rmsyscfg -r prof -m <sys> -n <profile>
//! -p <lpar>` deletes a profile other than the default one. `--vioscfg`
//! and `--vdisk` are accepted because scripts written for a real HMC pass
//! them; they have no effect of their own here.

use super::Command;
use super::input::LparRef;
use super::opts::{self, flag, not_one_of, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-n"]),
    value(&["-p"]),
    value(&["--id"]),
    flag(&["--vioscfg"]),
    flag(&["--vdisk"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Rmsyscfg {
    pub frame: String,
    pub target: Target,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    Lpar(LparRef),
    Profile { name: String, lpar: String },
}

impl Command for Rmsyscfg {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let resource = o.require("-r")?;
        let frame = o.require("-m")?.to_string();
        let target = match resource {
            // -n wins over --id, as it always has here.
            "lpar" => Target::Lpar(match (o.get("-n"), o.get("--id")) {
                (Some(n), _) => LparRef::Name(n.to_string()),
                (None, Some(id)) => LparRef::Id(id.to_string()),
                (None, None) => {
                    return Err("The -n or --id parameter is required.".to_string().into());
                }
            }),
            "prof" => Target::Profile {
                name: o.require("-n")?.to_string(),
                lpar: o.require("-p")?.to_string(),
            },
            other => return Err(not_one_of("-r", other, &["lpar", "prof"]).into()),
        };
        Ok(Rmsyscfg { frame, target })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let frame = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        match self.target {
            Target::Lpar(lpar) => {
                let lpar = lpar.find(&frame)?;
                crate::partitions::remove(ctx, &frame, lpar).await?;
            }
            Target::Profile { name, lpar: lname } => {
                let lpar = frame
                    .partitions
                    .iter()
                    .find(|p| p.name == lname)
                    .ok_or_else(|| Hscl::PartitionNotFound(lname.clone()))?;
                if !lpar.profiles.iter().any(|p| p.name == name) {
                    return Err(Hscl::ProfileNotFound {
                        profile: name,
                        lpar: lname,
                    }
                    .into());
                }
                if lpar.default_profile == name {
                    return Err(format!("The profile {name} is the default profile of partition {lname} and cannot be deleted.").into());
                }
                let mut p = lpar.clone();
                p.profiles.retain(|x| x.name != name);
                crate::partitions::put(
                    ctx,
                    &frame,
                    p,
                    false,
                    &format!("deleting the partition profile named {name}"),
                )
                .await?;
            }
        }
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Rmsyscfg, CmdError> {
        Rmsyscfg::parse(&s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn parses_a_partition_or_a_profile() {
        assert_eq!(
            parse("-r lpar -m sys1 -n aix61b --vioscfg --vdisk").ok(),
            Some(Rmsyscfg {
                frame: "sys1".into(),
                target: Target::Lpar(LparRef::Name("aix61b".into()))
            })
        );
        assert_eq!(
            parse("-r lpar -m sys1 --id 4").ok().map(|r| r.target),
            Some(Target::Lpar(LparRef::Id("4".into())))
        );
        assert_eq!(
            parse("-r lpar -m sys1 --id 4 -n a").ok().map(|r| r.target),
            Some(Target::Lpar(LparRef::Name("a".into())))
        );
        assert_eq!(
            parse("-r prof -m sys1 -n small -p aix61b")
                .ok()
                .map(|r| r.target),
            Some(Target::Profile {
                name: "small".into(),
                lpar: "aix61b".into()
            })
        );
    }

    #[test]
    fn refuses_what_names_nothing_to_remove() {
        for bad in [
            "-r lpar -m sys1",
            "-r prof -m sys1 -n small",
            "-r prof -m sys1 -p aix61b",
            "-r sys -m sys1 -n x",
            "-m sys1 -n x",
            "-r lpar -n x",
            "-r lpar -m sys1 -n x --force",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
