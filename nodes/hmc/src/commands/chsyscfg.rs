//! `chsyscfg -r lpar|prof -m <sys> -i "<attrs>" | -f <file>` changes a
//! partition's or a profile's attributes; `chsyscfg -r lpar -m <sys> -o apply
//! -p <lpar> -n <profile>` applies a profile to a running partition;
//! `chsyscfg -r sys -m <sys> -i "new_name=...,power_off_policy=0|1,
//! power_on_lpar_start_policy=autostart|userinit|autorecovery,description=..."`
//! renames the managed system or sets its policies; the FSP keeps them.

use super::Command;
use super::config::{self, Attrs, ProfileInput, required};
use super::input::LparRef;
use super::opts::{self, not_one_of, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use pvmlab_common::model::{FrameExt as _, PartitionExt as _};
use pvmlab_common::proto::hmc::FrameView;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-i"]),
    value(&["-f"]),
    value(&["-o"]),
    value(&["-p"]),
    value(&["-n"]),
];

#[derive(Debug, PartialEq)]
pub struct Chsyscfg {
    pub frame: String,
    pub change: Change,
}

#[derive(Debug, PartialEq)]
pub enum Change {
    /// `-o apply`: the profile becomes the partition's current one.
    Apply {
        lpar: String,
        profile: String,
    },
    Lpars(Vec<LparChange>),
    Profiles(Vec<ProfileChange>),
    /// One request to the frame per record.
    Sys(Vec<Vec<SysAttr>>),
}

/// One `-r lpar` record: the partition and its changes, in input order.
#[derive(Debug, PartialEq)]
pub struct LparChange {
    pub lpar: LparRef,
    pub attrs: Vec<LparAttr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LparAttr {
    NewName(String),
    DefaultProfile(String),
    AvailPriority(u32),
    /// Only a VIOS has it; for another partition it is an invalid attribute.
    Msp(bool),
    MigrationDisabled(bool),
    RemoteRestart {
        simplified: bool,
        want: bool,
    },
    PrimaryRsVios(String),
    SecondaryRsVios(String),
    RsDevice(String),
    Description(String),
}

/// One `-r prof` record: the profile, its partition and the new values.
#[derive(Debug, PartialEq)]
pub struct ProfileChange {
    pub name: String,
    pub lpar: LparRef,
    pub profile: ProfileInput,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SysAttr {
    /// The name administrators see; not another managed system's.
    NewName(String),
    PowerOffPolicy(u32),
    StartPolicy(String),
    Description(String),
}

const START_POLICIES: &[&str] = &["autostart", "userinit", "autorecovery"];

/// A description the HMC takes: one line of at most 255 characters.
fn description(v: &str) -> Result<String, CmdError> {
    if v.len() > 255 || v.contains(['\n', '\r']) {
        return Err(format!("An invalid attribute value was entered: description={v}").into());
    }
    Ok(v.to_string())
}

impl Command for Chsyscfg {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let resource = o.require("-r")?;
        let frame = o.require("-m")?.to_string();
        if let Some(op) = o.get("-o") {
            if op != "apply" || resource != "lpar" {
                return Err(format!("An invalid value was entered for the -o parameter: {op}. Valid value is apply with -r lpar.").into());
            }
            let change = Change::Apply {
                lpar: o.require("-p")?.to_string(),
                profile: o.require("-n")?.to_string(),
            };
            return Ok(Chsyscfg { frame, change });
        }
        let records = config::records(o.get("-i"), o.get("-f"), &config::allowed())?;
        let change = match resource {
            "lpar" => Change::Lpars(
                records
                    .iter()
                    .map(LparChange::parse)
                    .collect::<Result<_, _>>()?,
            ),
            "prof" => Change::Profiles(
                records
                    .iter()
                    .map(ProfileChange::parse)
                    .collect::<Result<_, _>>()?,
            ),
            "sys" => Change::Sys(records.iter().map(sys_attrs).collect::<Result<_, _>>()?),
            other => return Err(not_one_of("-r", other, &["lpar", "prof", "sys"]).into()),
        };
        Ok(Chsyscfg { frame, change })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let frame = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        match self.change {
            Change::Apply { lpar, profile } => {
                return apply_profile(ctx, &frame, &lpar, &profile).await;
            }
            Change::Lpars(changes) => {
                for c in changes {
                    c.apply(ctx, &*find_frame(ctx, &frame.name)?).await?;
                }
            }
            Change::Profiles(changes) => {
                for c in changes {
                    c.apply(ctx, &*find_frame(ctx, &frame.name)?).await?;
                }
            }
            Change::Sys(records) => {
                for attrs in records {
                    change_sys(ctx, &*find_frame(ctx, &frame.name)?, attrs).await?;
                }
            }
        }
        Ok(String::new())
    }
}

fn invalid_attr(k: &str) -> CmdError {
    format!("An invalid attribute was entered: {k}").into()
}

impl LparChange {
    fn parse(a: &Attrs) -> Result<LparChange, CmdError> {
        let lpar = config::lpar_ref(a, "name")?;
        let mut attrs = Vec::new();
        for (k, v) in a {
            attrs.push(match k.as_str() {
                "name" | "lpar_id" => continue,
                "new_name" => LparAttr::NewName(v.clone()),
                "default_profile" => LparAttr::DefaultProfile(v.clone()),
                "lpar_avail_priority" => LparAttr::AvailPriority(
                    v.parse()
                        .map_err(|_| format!("An invalid attribute value was entered: {k}={v}"))?,
                ),
                "msp" => LparAttr::Msp(config::flag_value(k, v)?),
                "migration_disabled" => LparAttr::MigrationDisabled(config::flag_value(k, v)?),
                "remote_restart_capable" | "simplified_remote_restart_capable" => {
                    LparAttr::RemoteRestart {
                        simplified: k == "simplified_remote_restart_capable",
                        want: config::flag_value(k, v)?,
                    }
                }
                "primary_rs_vios_name" => LparAttr::PrimaryRsVios(v.clone()),
                "secondary_rs_vios_name" => LparAttr::SecondaryRsVios(v.clone()),
                "rs_device_name" => LparAttr::RsDevice(v.clone()),
                "description" => LparAttr::Description(description(v)?),
                other => return Err(invalid_attr(other)),
            });
        }
        Ok(LparChange { lpar, attrs })
    }

    async fn apply(self, ctx: &Ctx<'_>, frame: &FrameView) -> Result<(), CmdError> {
        let lpar = self.lpar.find(frame)?;
        let mut p = lpar.clone();
        let fr = frame.frame.clone().unwrap_or_default();
        for attr in self.attrs {
            match attr {
                LparAttr::NewName(v) => p.name = v,
                LparAttr::DefaultProfile(v) => p.default_profile = v,
                LparAttr::AvailPriority(v) => p.lpar_avail_priority = v,
                LparAttr::Msp(_) if !p.is_vios() => return Err(invalid_attr("msp")),
                LparAttr::Msp(v) => p.msp = v,
                LparAttr::MigrationDisabled(v) => p.migration_disabled = v,
                LparAttr::RemoteRestart { simplified, want } => {
                    let (k, cap) = if simplified {
                        (
                            "simplified_remote_restart_capable",
                            "powervm_lpar_simplified_remote_restart_capable",
                        )
                    } else {
                        (
                            "remote_restart_capable",
                            "powervm_lpar_remote_restart_capable",
                        )
                    };
                    // A POWER7-class frame fixes this at creation (reference, seed 000).
                    if fr.proc_generation.starts_with("POWER7")
                        || fr.proc_generation.starts_with("POWER6")
                    {
                        if want != p.remote_restart_capable {
                            return Err(format!(
                                "An error occurred while changing the partition named {}. The managed system does not support changing the remote restart capability of a partition. You must delete the partition and recreate it with the desired remote restart capability.",
                                p.name
                            )
                            .into());
                        }
                        continue;
                    }
                    if want && !fr.has_capability(cap) {
                        return Err(format!("The managed system does not support {k}.").into());
                    }
                    if simplified {
                        p.simplified_remote_restart_capable = want;
                        p.remote_restart_capable |= want;
                    } else {
                        p.remote_restart_capable = want;
                    }
                }
                LparAttr::PrimaryRsVios(v) => p.primary_rs_vios_name = v,
                LparAttr::SecondaryRsVios(v) => p.secondary_rs_vios_name = v,
                LparAttr::RsDevice(v) => p.rs_device_name = v,
                LparAttr::Description(v) => p.description = v,
            }
        }
        crate::rr::rsdp::check_assignment(frame, &p)?;
        let done = crate::partitions::put(
            ctx,
            frame,
            p,
            false,
            &format!("changing the partition named {}", lpar.name),
        )
        .await?;
        // put waits for the name and profiles; the rest of the record too,
        // so a listing right after shows every change.
        crate::hmc::wait_partition(ctx, &frame.name, done.id, |x| {
            x.description == done.description
                && x.msp == done.msp
                && x.lpar_avail_priority == done.lpar_avail_priority
        })
        .await;
        Ok(())
    }
}

impl ProfileChange {
    fn parse(a: &Attrs) -> Result<ProfileChange, CmdError> {
        let name = required(a, "name")?.to_string();
        let lpar = config::lpar_ref(a, "lpar_name")?;
        if let Some((k, _)) = a.iter().find(|(k, _)| {
            !matches!(
                k.as_str(),
                "name" | "lpar_name" | "lpar_id" | "shared_proc_pool_name"
            ) && config::LPAR_INPUT.contains(&k.as_str())
        }) {
            return Err(invalid_attr(k));
        }
        Ok(ProfileChange {
            name,
            lpar,
            profile: ProfileInput::parse(a)?,
        })
    }

    async fn apply(self, ctx: &Ctx<'_>, frame: &FrameView) -> Result<(), CmdError> {
        let name = &self.name;
        let lpar = self.lpar.find(frame)?;
        let mut p = lpar.clone();
        let prof = p
            .profiles
            .iter_mut()
            .find(|x| &x.name == name)
            .ok_or_else(|| Hscl::ProfileNotFound {
                profile: name.to_string(),
                lpar: lpar.name.clone(),
            })?;
        self.profile.apply(frame, prof)?;
        crate::partitions::put(
            ctx,
            frame,
            p,
            false,
            &format!("changing the partition profile named {name}"),
        )
        .await?;
        Ok(())
    }
}

/// A `-r sys` record's changes; `name` names the system `-m` already does.
fn sys_attrs(a: &Attrs) -> Result<Vec<SysAttr>, CmdError> {
    let mut out = Vec::new();
    for (k, v) in a {
        out.push(match k.as_str() {
            "name" => continue,
            "new_name" => SysAttr::NewName(v.clone()),
            "power_off_policy" => SysAttr::PowerOffPolicy(
                v.parse()
                    .ok()
                    .filter(|n| *n <= 1)
                    .ok_or_else(|| {
                        format!("An invalid attribute value was entered: power_off_policy={v}. Valid values are 0, 1.")
                    })?,
            ),
            "power_on_lpar_start_policy" => {
                if !START_POLICIES.contains(&v.as_str()) {
                    return Err(format!(
                        "An invalid attribute value was entered: power_on_lpar_start_policy={v}. Valid values are {}.",
                        START_POLICIES.join(", ")
                    )
                    .into());
                }
                SysAttr::StartPolicy(v.clone())
            }
            "description" => SysAttr::Description(description(v)?),
            other => return Err(invalid_attr(other)),
        });
    }
    Ok(out)
}

/// `-r sys`: the new name must not be another managed system's on this HMC.
async fn change_sys(ctx: &Ctx<'_>, frame: &FrameView, attrs: Vec<SysAttr>) -> Result<(), CmdError> {
    let mut req = pvmlab_common::proto::fsp::ChangeFrameRequest::default();
    for attr in attrs {
        match attr {
            SysAttr::NewName(v) => {
                if ctx.hmc.view.frames().iter().any(|f| {
                    f.name != frame.name
                        && (f.name == v || f.frame.as_ref().is_some_and(|x| x.user_name == v))
                }) {
                    return Err(
                        format!("The name {v} is already used by another managed system.").into(),
                    );
                }
                req.user_name = Some(v);
            }
            SysAttr::PowerOffPolicy(v) => req.power_off_policy = Some(v),
            SysAttr::StartPolicy(v) => req.power_on_lpar_start_policy = Some(v),
            SysAttr::Description(v) => req.description = Some(v),
        }
    }
    let conn = crate::hmc::conn(ctx, frame)?;
    req.session = conn.session;
    let mut fsp = conn.fsp;
    let done = fsp
        .change_frame(req)
        .await
        .map_err(|e| {
            CmdError::Usage(format!(
                "An error occurred while changing the managed system {}: {}.",
                frame.name,
                e.message()
            ))
        })?
        .into_inner();
    let epoch = done.frame.map(|f| f.epoch).unwrap_or(0);
    ctx.hmc
        .view
        .wait_for(std::time::Duration::from_secs(2), |fs| {
            fs.iter()
                .any(|f| f.name == frame.name && f.frame.as_ref().is_some_and(|x| x.epoch >= epoch))
        })
        .await;
    Ok(())
}

/// Applies a profile to a running partition: it becomes the current profile.
async fn apply_profile(ctx: &Ctx<'_>, frame: &FrameView, lpar: &str, profile: &str) -> CmdResult {
    let l = frame
        .partitions
        .iter()
        .find(|p| p.name == lpar)
        .ok_or_else(|| Hscl::PartitionNotFound(lpar.into()))?;
    if l.profile(profile).is_none() {
        return Err(Hscl::ProfileNotFound {
            profile: profile.into(),
            lpar: lpar.into(),
        }
        .into());
    }
    let mut p = l.clone();
    p.default_profile = profile.to_string();
    crate::partitions::put(
        ctx,
        frame,
        p,
        false,
        &format!("applying the profile {profile} to the partition named {lpar}"),
    )
    .await?;
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Chsyscfg, CmdError> {
        Chsyscfg::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn lpar(i: &str) -> Result<Chsyscfg, CmdError> {
        parse(&["-r", "lpar", "-m", "sys1", "-i", i])
    }

    #[test]
    fn parses_partition_changes_in_input_order() {
        let c = lpar("name=rrp7,rs_device_name=hdisk14,remote_restart_capable=1,msp=0,lpar_avail_priority=150,new_name=x").unwrap();
        assert_eq!(
            c.change,
            Change::Lpars(vec![LparChange {
                lpar: LparRef::Name("rrp7".into()),
                attrs: vec![
                    LparAttr::RsDevice("hdisk14".into()),
                    LparAttr::RemoteRestart {
                        simplified: false,
                        want: true
                    },
                    LparAttr::Msp(false),
                    LparAttr::AvailPriority(150),
                    LparAttr::NewName("x".into()),
                ],
            }])
        );
        assert_eq!(
            lpar("lpar_id=4,migration_disabled=1").unwrap().change,
            Change::Lpars(vec![LparChange {
                lpar: LparRef::Id("4".into()),
                attrs: vec![LparAttr::MigrationDisabled(true)],
            }])
        );
    }

    #[test]
    fn refuses_bad_partition_changes() {
        for i in [
            "rs_device_name=hdisk14",
            "name=x,desired_mem=2048",
            "name=x,lpar_env=aixlinux",
            "name=x,msp=yes",
            "name=x,lpar_avail_priority=high",
            "name=x,nosuch=1",
        ] {
            assert!(lpar(i).is_err(), "{i}");
        }
    }

    #[test]
    fn parses_profile_and_system_changes() {
        let c = parse(&[
            "-r",
            "prof",
            "-m",
            "s",
            "-i",
            "name=small,lpar_name=aix61b,desired_mem=3072",
        ])
        .unwrap();
        let Change::Profiles(p) = c.change else {
            panic!("profiles expected");
        };
        assert_eq!(
            (p[0].name.as_str(), &p[0].lpar),
            ("small", &LparRef::Name("aix61b".into()))
        );
        assert!(
            parse(&[
                "-r",
                "prof",
                "-m",
                "s",
                "-i",
                "name=small,lpar_name=a,msp=1"
            ])
            .is_err()
        );
        assert!(
            parse(&[
                "-r",
                "prof",
                "-m",
                "s",
                "-i",
                "name=small,lpar_name=a,desired_mem=x"
            ])
            .is_err()
        );
        assert!(parse(&["-r", "prof", "-m", "s", "-i", "lpar_name=a"]).is_err());

        let c = parse(&[
            "-r",
            "sys",
            "-m",
            "sys3",
            "-i",
            "name=sys3,new_name=S,power_off_policy=1",
        ])
        .unwrap();
        assert_eq!(
            c.change,
            Change::Sys(vec![vec![
                SysAttr::NewName("S".into()),
                SysAttr::PowerOffPolicy(1)
            ]])
        );
        assert!(parse(&["-r", "sys", "-m", "s", "-i", "power_off_policy=often"]).is_err());
        assert!(parse(&["-r", "sys", "-m", "s", "-i", "power_off_policy=2"]).is_err());
        assert_eq!(
            parse(&[
                "-r",
                "sys",
                "-m",
                "s",
                "-i",
                "power_on_lpar_start_policy=userinit,description=rack 4"
            ])
            .unwrap()
            .change,
            Change::Sys(vec![vec![
                SysAttr::StartPolicy("userinit".into()),
                SysAttr::Description("rack 4".into())
            ]])
        );
        assert!(
            parse(&[
                "-r",
                "sys",
                "-m",
                "s",
                "-i",
                "power_on_lpar_start_policy=always"
            ])
            .is_err()
        );
        assert!(parse(&["-r", "sys", "-m", "s", "-i", "desired_mem=1"]).is_err());
    }

    #[test]
    fn apply_takes_a_partition_and_a_profile() {
        assert_eq!(
            parse(&["-r", "lpar", "-m", "s", "-o", "apply", "-p", "a", "-n", "p"])
                .unwrap()
                .change,
            Change::Apply {
                lpar: "a".into(),
                profile: "p".into()
            }
        );
        assert!(parse(&["-r", "prof", "-m", "s", "-o", "apply", "-p", "a", "-n", "p"]).is_err());
        assert!(parse(&["-r", "lpar", "-m", "s", "-o", "on", "-p", "a", "-n", "p"]).is_err());
        assert!(parse(&["-r", "lpar", "-m", "s", "-o", "apply", "-p", "a"]).is_err());
        assert!(parse(&["-r", "bogus", "-m", "s", "-i", "name=x"]).is_err());
        assert!(parse(&["-r", "lpar", "-m", "s"]).is_err());
    }
}
