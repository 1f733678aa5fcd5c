//! `viosvrcmd -m <sys> (-p <vios> | --id <id>) -c "<padmin command>"`: runs
//! a command on a VIOS over its RMC connection and prints what it printed.

use super::Command;
use super::input::LparRef;
use super::opts::{self, value};
use crate::error::{CmdError, CmdResult};
use crate::hmc::{Ctx, find_frame, vios_channel};
use pvmlab_common::model::{PartitionExt as _, lpar_state};
use pvmlab_common::proto::vios::vios_client::ViosClient;
use pvmlab_common::proto::vios::{Client, RunReply, RunRequest};

const SPEC: &[opts::Opt] = &[
    value(&["-m"]),
    value(&["-p"]),
    value(&["--id"]),
    value(&["-c"]),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Viosvrcmd {
    pub frame: String,
    pub vios: LparRef,
    /// The padmin command line, as the VIOS's own shell parses it.
    pub line: String,
}

impl Command for Viosvrcmd {
    fn parse(args: &[String]) -> Result<Self, CmdError> {
        let o = opts::parse(SPEC, args)?;
        let frame = o.require("-m")?.to_string();
        let line = o.require("-c")?.to_string();
        let vios = LparRef::one_of(o.get("-p"), o.get("--id")).map_err(|_| {
            CmdError::Usage("Specify the VIOS with -p <name> or --id <id>.".to_string())
        })?;
        Ok(Viosvrcmd { frame, vios, line })
    }

    async fn apply(self, ctx: &Ctx<'_>) -> CmdResult {
        let frame = find_frame(ctx, &self.frame)?;
        let vios = self.vios.find(&frame)?;
        if !vios.is_vios() {
            return Err(format!(
                "The partition {} is not a Virtual I/O Server partition.",
                vios.name
            )
            .into());
        }
        if vios.rmc_state != "active" || vios.rmc_ipaddr.is_empty() {
            return Err(format!("The Virtual I/O Server partition {} does not have an active RMC connection, so the command cannot be run.", vios.name).into());
        }
        let clients = frame
            .partitions
            .iter()
            .map(|p| Client {
                lpar_id: p.id,
                name: p.name.clone(),
                os: if p.os_version.starts_with("Linux") {
                    "Linux".into()
                } else {
                    "AIX".into()
                },
                running: p.state == lpar_state::RUNNING,
            })
            .collect();
        let reply = ViosClient::new(vios_channel(ctx, &frame.name, vios)?)
            .run(RunRequest {
                line: self.line,
                clients,
            })
            .await
            .map_err(|e| {
                CmdError::Usage(format!(
                    "The command could not be run on {}: {}",
                    vios.name,
                    e.message()
                ))
            })?
            .into_inner();
        answer(reply)
    }
}

/// What viosvrcmd prints for the VIOS's answer: the command's output as it
/// is when it succeeded; otherwise the VIOS's words as the error, so that
/// viosvrcmd itself fails (scripts test its status, the Ansible module its
/// stderr).
fn answer(r: RunReply) -> CmdResult {
    if r.exit_status == 0 {
        Ok(r.output)
    } else {
        Err(CmdError::Usage(r.output.trim_end().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::opts::args;

    #[test]
    fn parses_the_vios_and_the_command_line() {
        assert_eq!(
            Viosvrcmd::parse(&args(&[
                "-m",
                "sys2",
                "-p",
                "vios1",
                "-c",
                "lsmap -all -npiv"
            ]))
            .ok(),
            Some(Viosvrcmd {
                frame: "sys2".into(),
                vios: LparRef::Name("vios1".into()),
                line: "lsmap -all -npiv".into()
            })
        );
        assert_eq!(
            Viosvrcmd::parse(&args(&["-m", "sys2", "--id", "1", "-c", "lspv"]))
                .ok()
                .map(|v| v.vios),
            Some(LparRef::Id("1".into()))
        );
    }

    #[test]
    fn the_vioss_status_decides_success_and_its_words_are_kept() {
        let reply = |output: &str, exit_status| RunReply {
            output: output.into(),
            exit_status,
        };
        assert_eq!(
            answer(reply("3.1.4.10\n", 0)).ok(),
            Some("3.1.4.10\n".into())
        );
        assert_eq!(answer(reply("", 0)).ok(), Some(String::new()));
        let e = answer(reply("Device 'hdisk9' is not known.\n", 1)).err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("Device 'hdisk9' is not known.".into())
        );
        assert!(answer(reply("Unknown command: \"x\"\n", 127)).is_err());
    }

    #[test]
    fn refuses_a_missing_or_doubly_named_vios_or_command() {
        for bad in [
            &["-m", "sys2", "-c", "lspv"][..],
            &["-m", "sys2", "-p", "vios1", "--id", "1", "-c", "lspv"],
            &["-m", "sys2", "-p", "vios1"],
            &["-p", "vios1", "-c", "lspv"],
        ] {
            assert!(Viosvrcmd::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
