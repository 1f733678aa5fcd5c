//! `chsysstate`: power a managed system on or off, or activate, shut down
//! and restart partitions. The forms are the ones MAAS, fence_lpar and
//! Ansible send:
//!   chsysstate -r sys -m <sys> -o on|off|onstandby [--immed]
//!   chsysstate -r lpar -m <sys> (-n <lpar> | --id <id>) -o on [-f <profile>] [-b|--bootstring <s>]
//!   chsysstate -r lpar -m <sys> (-n <lpar> | --id <id>) -o shutdown|osshutdown|restart [--immed]

use super::Command;
use super::input::LparRef;
use super::opts::{self, flag, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame};
use crate::hscl::Hscl;
use pvmlab_common::model::PartitionExt as _;
use pvmlab_common::proto::fsp::{
    ActivateLparRequest, PowerFrameRequest, PowerOperation, ShutdownLparRequest,
};
use pvmlab_common::proto::model::Reason;

const SPEC: &[opts::Opt] = &[
    value(&["-r"]),
    value(&["-m"]),
    value(&["-o"]),
    value(&["-n"]),
    value(&["--id"]),
    value(&["-f"]),
    value(&["-b", "--bootstring"]),
    flag(&["--immed"]),
    flag(&["--force"]),
];

/// Maps the hypervisor's refusal to the HMC's message.
fn refused(e: tonic::Status, system: &str, lpar: Option<&str>, state: &str) -> CmdError {
    if let Some(l) = crate::error::locked(&e) {
        return l;
    }
    let reason = pvmlab_common::failure::reason(&e);
    match (e.code(), lpar) {
        (tonic::Code::Unavailable, _) => Hscl::NoConnection(system.to_string()).into(),
        (tonic::Code::FailedPrecondition, _)
            if matches!(
                reason,
                Reason::InsufficientMemory | Reason::InsufficientProcessors
            ) =>
        {
            Hscl::Resources(e.message().to_string()).into()
        }
        (tonic::Code::FailedPrecondition, Some(l)) if reason == Reason::PartitionState => {
            Hscl::PartitionState {
                lpar: l.to_string(),
                state: state.to_string(),
            }
            .into()
        }
        (tonic::Code::FailedPrecondition, _) => Hscl::SystemState {
            system: system.to_string(),
            state: state.to_string(),
        }
        .into(),
        _ => CmdError::Usage(e.message().to_string()),
    }
}

/// What to change, and on what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chsysstate {
    /// -m: the managed system.
    pub frame: String,
    pub target: Target,
}

/// -r and what it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// -r sys: the managed system itself.
    Sys { op: SysOp, immediate: bool },
    /// -r lpar, the partition by -n or --id.
    Lpar { lpar: LparRef, op: LparOp },
}

/// -o of -r sys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysOp {
    On,
    Off,
    OnStandby,
}

impl SysOp {
    fn parse(word: &str) -> Result<SysOp, CmdError> {
        match word {
            "on" => Ok(SysOp::On),
            "off" => Ok(SysOp::Off),
            "onstandby" => Ok(SysOp::OnStandby),
            _ => Err(format!("An invalid value was entered for the -o parameter: {word}. Valid values for -r sys are on, off, onstandby.").into()),
        }
    }

    /// The operation as the FSP's PowerFrame names it.
    fn operation(self) -> PowerOperation {
        match self {
            SysOp::On => PowerOperation::On,
            SysOp::Off => PowerOperation::Off,
            SysOp::OnStandby => PowerOperation::OnStandby,
        }
    }
}

/// -o of -r lpar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LparOp {
    /// -o on: with -f's profile (the partition's default without it) and
    /// -b's boot string (none without it).
    Activate {
        profile: Option<String>,
        bootstring: String,
    },
    /// -o shutdown|osshutdown|restart [--immed].
    Shutdown { how: Shutdown, immediate: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// -o shutdown: the hypervisor stops the partition.
    Hard,
    /// -o osshutdown: its operating system shuts down, over RMC.
    Os,
    /// -o restart.
    Restart,
}

impl LparOp {
    /// The operation `word` (-o) names, with the options it takes; the
    /// REST API's PowerOn and PowerOff jobs build theirs here too, so that
    /// a word chsysstate does not have is refused in its words.
    pub fn parse(
        word: &str,
        profile: Option<String>,
        bootstring: String,
        immediate: bool,
    ) -> Result<LparOp, CmdError> {
        let how = match word {
            "on" => return Ok(LparOp::Activate { profile, bootstring }),
            "shutdown" => Shutdown::Hard,
            "osshutdown" => Shutdown::Os,
            "restart" => Shutdown::Restart,
            other => return Err(format!("An invalid value was entered for the -o parameter: {other}. Valid values for -r lpar are on, shutdown, osshutdown, restart.").into()),
        };
        Ok(LparOp::Shutdown { how, immediate })
    }
}

/// The partition as chsysstate names it: -n (not -p) or --id.
fn lpar_ref(o: &opts::Parsed) -> Result<LparRef, CmdError> {
    match (o.get("-n"), o.get("--id")) {
        (Some(n), None) => Ok(LparRef::Name(n.to_string())),
        (None, Some(id)) => Ok(LparRef::Id(id.to_string())),
        (Some(_), Some(_)) => Err("Specify either -n or --id, not both.".to_string().into()),
        (None, None) => Err("The -n or --id parameter is required.".to_string().into()),
    }
}

impl Command for Chsysstate {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let resource = o.require("-r")?;
        let word = o.require("-o")?;
        let frame = o.require("-m")?.to_string();
        let immediate = o.has("--immed");
        let target = match resource {
            "sys" => Target::Sys {
                op: SysOp::parse(word)?,
                immediate,
            },
            "lpar" => {
                let lpar = lpar_ref(&o)?;
                let profile = o.get("-f").map(str::to_string);
                let bootstring = o.get("-b").unwrap_or_default().to_string();
                Target::Lpar {
                    lpar,
                    op: LparOp::parse(word, profile, bootstring, immediate)?,
                }
            }
            other => {
                return Err(format!("An invalid value was entered for the -r parameter: {other}. Valid values are sys, lpar.").into());
            }
        };
        Ok(Chsysstate { frame, target })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let frame = find_frame(ctx, &self.frame)?;
        ctx.may_change()?;
        let conn = crate::hmc::conn(ctx, &frame)?;
        let mut fsp = conn.fsp.clone();
        match self.target {
            Target::Sys { op, immediate } => {
                let req = PowerFrameRequest {
                    session: conn.session,
                    operation: op.operation() as i32,
                    immediate,
                };
                fsp.power_frame(req)
                    .await
                    .map_err(|e| refused(e, &frame.name, None, &frame.state))?;
                Ok(String::new())
            }
            Target::Lpar { lpar, op } => {
                let lpar = lpar.find(&frame)?;
                let refuse = |e| refused(e, &frame.name, Some(&lpar.name), &lpar.state);
                match op {
                    LparOp::Activate {
                        profile,
                        bootstring,
                    } => {
                        let profile = profile.unwrap_or_else(|| lpar.default_profile.clone());
                        if lpar.profile(&profile).is_none() {
                            return Err(Hscl::ProfileNotFound {
                                profile,
                                lpar: lpar.name.clone(),
                            }
                            .into());
                        }
                        // A copy this HMC restarted elsewhere, before its frame
                        // has been told (it was out of reach).
                        if let Some(r) = ctx.hmc.rr.restarted(&frame.name, &lpar.name) {
                            return Err(format!(
                                "The partition {} cannot be activated because it was remote restarted on another managed system ({}). Run rrstartlpar -o cleanup -m {} -p {} to remove this copy.",
                                lpar.name, r.dest, frame.name, lpar.name
                            ).into());
                        }
                        let req = ActivateLparRequest {
                            session: conn.session,
                            lpar_id: lpar.id,
                            profile,
                            bootstring,
                            boot: None,
                        };
                        fsp.activate_lpar(req).await.map_err(refuse)?;
                    }
                    LparOp::Shutdown { how, immediate } => {
                        if how == Shutdown::Os && lpar.rmc_state != "active" {
                            return Err(CmdError::Usage(format!(
                                "The partition {} does not have an active RMC connection, which an operating system shutdown needs. Use -o shutdown instead.",
                                lpar.name
                            )));
                        }
                        let req = ShutdownLparRequest {
                            session: conn.session,
                            lpar_id: lpar.id,
                            immediate,
                            restart: how == Shutdown::Restart,
                        };
                        fsp.shutdown_lpar(req).await.map_err(refuse)?;
                    }
                }
                crate::hmc::wait_partition(ctx, &frame.name, lpar.id, |p| p.state != lpar.state)
                    .await;
                Ok(String::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Chsysstate, String> {
        let args: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        Chsysstate::parse(&args).map_err(|e| e.to_string())
    }

    fn lpar(name: &str, op: LparOp) -> Chsysstate {
        Chsysstate {
            frame: "sys1".into(),
            target: Target::Lpar {
                lpar: LparRef::Name(name.into()),
                op,
            },
        }
    }

    #[test]
    fn parses_the_forms_maas_fence_lpar_and_ansible_send() {
        assert_eq!(
            parse("-r sys -m sys1 -o onstandby --immed"),
            Ok(Chsysstate {
                frame: "sys1".into(),
                target: Target::Sys {
                    op: SysOp::OnStandby,
                    immediate: true
                }
            })
        );
        assert_eq!(
            parse("-r lpar -m sys1 -n lnx01 -o on -f normal -b xyz"),
            Ok(lpar(
                "lnx01",
                LparOp::Activate {
                    profile: Some("normal".into()),
                    bootstring: "xyz".into()
                }
            ))
        );
        assert_eq!(
            parse("-r lpar -m sys1 -n lnx01 -o on"),
            Ok(lpar(
                "lnx01",
                LparOp::Activate {
                    profile: None,
                    bootstring: String::new()
                }
            ))
        );
        assert_eq!(
            parse("-r lpar -m sys1 --id 3 -o osshutdown --immed").map(|c| c.target),
            Ok(Target::Lpar {
                lpar: LparRef::Id("3".into()),
                op: LparOp::Shutdown {
                    how: Shutdown::Os,
                    immediate: true
                }
            })
        );
        assert_eq!(
            parse("-r lpar -m sys1 -n lnx01 -o restart --force"),
            Ok(lpar(
                "lnx01",
                LparOp::Shutdown {
                    how: Shutdown::Restart,
                    immediate: false
                }
            ))
        );
        // -r sys takes no partition, and does not look at one given.
        assert!(parse("-r sys -m sys1 -o off -n lnx01").is_ok());
    }

    #[test]
    fn refuses_what_chsysstate_does_not_have_in_its_words() {
        assert_eq!(
            parse("-r sys -m sys1 -o shutdown"),
            Err("An invalid value was entered for the -o parameter: shutdown. Valid values for -r sys are on, off, onstandby.".into())
        );
        assert_eq!(
            parse("-r lpar -m sys1 -n a -o dumprestart"),
            Err("An invalid value was entered for the -o parameter: dumprestart. Valid values for -r lpar are on, shutdown, osshutdown, restart.".into())
        );
        assert_eq!(
            parse("-r frame -m sys1 -o on"),
            Err("An invalid value was entered for the -r parameter: frame. Valid values are sys, lpar.".into())
        );
        assert_eq!(
            parse("-r lpar -m sys1 -n a --id 3 -o on"),
            Err("Specify either -n or --id, not both.".into())
        );
        assert_eq!(
            parse("-r lpar -m sys1 -o on"),
            Err("The -n or --id parameter is required.".into())
        );
        assert_eq!(
            parse("-r lpar -n a -o on"),
            Err("The -m parameter is required.".into())
        );
        assert!(parse("-r lpar -m sys1 -n a -o on -x").is_err());
    }
}
