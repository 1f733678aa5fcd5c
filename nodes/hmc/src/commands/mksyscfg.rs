//! `mksyscfg -r lpar|prof -m <sys> -i "<attrs>" | -f <file>`: create
//! partitions (aixlinux or vioserver) with their first profile, or add
//! profiles to a partition. In `-r lpar` input `name` is the partition and
//! `profile_name` the profile; in `-r prof` input `name` is the profile.

use super::Command;
use super::config::{self, Attrs, ProfileInput, get, required};
use super::input::LparRef;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use pvmlab_common::attrs::default_profile;
use pvmlab_common::model::{FrameExt as _, LPAR_ENV_AIXLINUX, LPAR_ENV_VIOS, Partition};
use pvmlab_common::proto::hmc::FrameView;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-i"]),
    value(&["-f"]),
];

#[derive(Debug, PartialEq)]
pub struct Mksyscfg {
    pub frame: String,
    pub records: New,
}

/// What the records create, by `-r`.
#[derive(Debug, PartialEq)]
pub enum New {
    Lpars(Vec<NewLpar>),
    Profiles(Vec<NewProfile>),
}

/// A partition to create, with its first profile.
#[derive(Debug, PartialEq)]
pub struct NewLpar {
    pub name: String,
    pub env: LparEnv,
    pub profile_name: String,
    /// 0: the hypervisor picks the next free id.
    pub id: u32,
    pub remote_restart: bool,
    pub simplified_remote_restart: bool,
    pub msp: bool,
    pub avail_priority: u32,
    pub profile: ProfileInput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LparEnv {
    AixLinux,
    Vios,
}

impl LparEnv {
    pub fn as_str(self) -> &'static str {
        match self {
            LparEnv::AixLinux => LPAR_ENV_AIXLINUX,
            LparEnv::Vios => LPAR_ENV_VIOS,
        }
    }
}

/// A profile to add to an existing partition.
#[derive(Debug, PartialEq)]
pub struct NewProfile {
    pub name: String,
    pub lpar: LparRef,
    pub profile: ProfileInput,
}

impl Command for Mksyscfg {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let resource = o.require("-r")?;
        let frame = o.require("-m")?.to_string();
        let records = config::records(o.get("-i"), o.get("-f"), &config::allowed())?;
        let records = match resource {
            "lpar" => New::Lpars(records.iter().map(NewLpar::parse).collect::<Result<_, _>>()?),
            "prof" => New::Profiles(
                records
                    .iter()
                    .map(NewProfile::parse)
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are lpar, prof.").into()),
        };
        Ok(Mksyscfg { frame, records })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let frame = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        match self.records {
            New::Lpars(lpars) => {
                for l in lpars {
                    l.create(ctx, &*find_frame(ctx, &frame.name)?).await?;
                }
            }
            New::Profiles(profiles) => {
                for p in profiles {
                    p.add(ctx, &*find_frame(ctx, &frame.name)?).await?;
                }
            }
        }
        Ok(String::new())
    }
}

impl NewLpar {
    fn parse(a: &Attrs) -> Result<NewLpar, CmdError> {
        let name = required(a, "name")?;
        let env = match required(a, "lpar_env")? {
            LPAR_ENV_AIXLINUX => LparEnv::AixLinux,
            LPAR_ENV_VIOS => LparEnv::Vios,
            env => {
                return Err(format!(
                    "An invalid attribute value was entered: lpar_env={env} (aixlinux or vioserver)"
                )
                .into());
            }
        };
        let profile_name = required(a, "profile_name")?;
        let id = match get(a, "lpar_id") {
            Some(v) => v
                .parse()
                .map_err(|_| format!("An invalid attribute value was entered: lpar_id={v}"))?,
            None => 0,
        };
        Ok(NewLpar {
            name: name.to_string(),
            env,
            profile_name: profile_name.to_string(),
            id,
            remote_restart: config::flag(a, "remote_restart_capable")?.unwrap_or(false),
            simplified_remote_restart: config::flag(a, "simplified_remote_restart_capable")?
                .unwrap_or(false),
            profile: ProfileInput::parse(a)?,
            msp: config::flag(a, "msp")?.unwrap_or(false),
            // As the HMC does, a priority that is no number is the default.
            avail_priority: get(a, "lpar_avail_priority")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        })
    }

    async fn create(self, ctx: &Ctx<'_>, frame: &FrameView) -> Result<(), CmdError> {
        let fr = frame.frame.clone().unwrap_or_default();
        let (rr, srr) = (self.remote_restart, self.simplified_remote_restart);
        if rr && !fr.has_capability("powervm_lpar_remote_restart_capable") {
            return Err(
                "The managed system does not support remote restart capable partitions."
                    .to_string()
                    .into(),
            );
        }
        if srr && !fr.has_capability("powervm_lpar_simplified_remote_restart_capable") {
            return Err(
                "The managed system does not support simplified remote restart capable partitions."
                    .to_string()
                    .into(),
            );
        }
        let mut prof = default_profile(&self.profile_name);
        self.profile.apply(frame, &mut prof)?;
        let what = format!("creating the partition named {}", self.name);
        let p = Partition {
            id: self.id,
            name: self.name,
            lpar_env: self.env.as_str().to_string(),
            default_profile: self.profile_name,
            msp: self.msp,
            remote_restart_capable: rr || srr,
            simplified_remote_restart_capable: srr,
            lpar_avail_priority: self.avail_priority,
            profiles: vec![prof],
            ..Default::default()
        };
        crate::partitions::put(ctx, frame, p, true, &what).await?;
        Ok(())
    }
}

impl NewProfile {
    fn parse(a: &Attrs) -> Result<NewProfile, CmdError> {
        Ok(NewProfile {
            name: required(a, "name")?.to_string(),
            lpar: config::lpar_ref(a, "lpar_name")?,
            profile: ProfileInput::parse(a)?,
        })
    }

    async fn add(self, ctx: &Ctx<'_>, frame: &FrameView) -> Result<(), CmdError> {
        let name = &self.name;
        let lpar = self.lpar.find(frame)?;
        if lpar.profiles.iter().any(|p| &p.name == name) {
            return Err(format!(
                "The profile {name} already exists for partition {}.",
                lpar.name
            )
            .into());
        }
        let mut prof = default_profile(name);
        self.profile.apply(frame, &mut prof)?;
        let mut p = lpar.clone();
        p.profiles.push(prof);
        crate::partitions::put(
            ctx,
            frame,
            p,
            false,
            &format!("creating the partition profile named {name}"),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::args;

    #[test]
    fn parses_a_partition_with_its_first_profile() {
        let m = Mksyscfg::parse(&args(&[
            "-r",
            "lpar",
            "-m",
            "sys1",
            "-i",
            "name=x,profile_name=p,lpar_env=vioserver,lpar_id=7,msp=1,remote_restart_capable=1,lpar_avail_priority=200,desired_mem=2048",
        ]))
        .unwrap();
        assert_eq!(m.frame, "sys1");
        let New::Lpars(l) = m.records else {
            panic!("partitions expected");
        };
        let l = &l[0];
        assert_eq!(
            (l.name.as_str(), l.env, l.profile_name.as_str(), l.id),
            ("x", LparEnv::Vios, "p", 7)
        );
        assert!(l.msp && l.remote_restart && !l.simplified_remote_restart);
        assert_eq!(l.avail_priority, 200);
    }

    #[test]
    fn parses_a_profile_for_a_partition() {
        let m = Mksyscfg::parse(&args(&[
            "-r",
            "prof",
            "-m",
            "sys1",
            "-i",
            "name=small,lpar_name=aix61b,desired_mem=2048",
        ]))
        .unwrap();
        let New::Profiles(p) = m.records else {
            panic!("profiles expected");
        };
        assert_eq!(p[0].name, "small");
        assert_eq!(p[0].lpar, LparRef::Name("aix61b".into()));
    }

    #[test]
    fn refuses_bad_input_before_looking_anything_up() {
        let bad = |i: &str| Mksyscfg::parse(&args(&["-r", "lpar", "-m", "sys1", "-i", i]));
        for i in [
            "profile_name=p,lpar_env=aixlinux",
            "name=x,profile_name=p",
            "name=x,profile_name=p,lpar_env=os400",
            "name=x,lpar_env=aixlinux",
            "name=x,profile_name=p,lpar_env=aixlinux,lpar_id=seven",
            "name=x,profile_name=p,lpar_env=aixlinux,msp=2",
            "name=x,profile_name=p,lpar_env=aixlinux,bogus=1",
            "name=x,profile_name=p,lpar_env=aixlinux,desired_mem=lots",
        ] {
            assert!(bad(i).is_err(), "{i}");
        }
        assert!(Mksyscfg::parse(&args(&["-r", "sys", "-m", "s", "-i", "name=x"])).is_err());
        assert!(Mksyscfg::parse(&args(&["-m", "s", "-i", "name=x"])).is_err());
        assert!(Mksyscfg::parse(&args(&["-r", "lpar", "-i", "name=x"])).is_err());
        assert!(Mksyscfg::parse(&args(&["-r", "lpar", "-m", "s"])).is_err());
        assert!(
            Mksyscfg::parse(&args(&["-r", "prof", "-m", "s", "-i", "name=p"])).is_err(),
            "no partition"
        );
    }
}
