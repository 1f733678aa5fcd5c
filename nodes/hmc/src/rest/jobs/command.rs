//! What each job of a partition takes and the HMC command it is: the
//! parameter tables, and the typed command (`chsysstate`, `migrlpar`,
//! `rrstartlpar`) built from a job's parameters as the command line
//! builds it from what an administrator types, so that REST and the
//! command line are one HMC.

use crate::commands::apply_as;
use crate::commands::chsysstate::{Chsysstate, LparOp, Target};
use crate::commands::input::LparRef;
use crate::commands::migrlpar::{self, Input, Migrlpar, Move, RemoteHmc};
use crate::commands::rrstartlpar::{self, Rrstartlpar};
use crate::error::CmdError;
use crate::hmc::Hmc;
use pvmlab_common::model::Partition;
use pvmlab_common::proto::hmc::FrameView;

/// The operations on a partition, and the parameters each takes.
pub(super) const OPS: &[(&str, &[&str])] = &[
    // Ansible names the profile by its UUID (LogicalPartitionProfile);
    // iIPLsource is IBM i's, which no partition here runs.
    (
        "PowerOn",
        &[
            "bootmode",
            "keylock",
            "force",
            "novsi",
            "LogicalPartitionProfile",
            "iIPLsource",
        ],
    ),
    ("PowerOff", &["operation", "immediate", "restart"]),
    ("MigrateValidate", MIGRATE_PARAMS),
    ("Migrate", MIGRATE_PARAMS),
    ("MigrateAbort", &[]),
    // IBM's documentation spells it `force`; pypowervm sends `Force`.
    (
        "MigrateRecover",
        &[
            "force",
            "Force",
            "TargetRemoteHMCIPAddress",
            "TargetRemoteHMCUserID",
        ],
    ),
    ("RemoteRestart", REMOTE_RESTART_PARAMS),
];

/// IBM's documented parameters (LogicalPartition_RemoteRestart), and the
/// `TargetManagedSystemName` and `Force` that hmc-mcp and pypowervm's
/// generic jobs send. IBM's shared processor pool and virtual FC mapping
/// parameters are not taken: rrstartlpar here has no `-i`.
const REMOTE_RESTART_PARAMS: &[&str] = &[
    "Operation",
    "targetManagedSystem",
    "targetManagedSystemUUID",
    "TargetManagedSystemName",
    "Redundancy",
    "Verbose",
    "vlanbridge",
    "force",
    "Force",
    "usecurrdata",
    "retaindev",
    "noconnection",
    "targetRemoteHMCIPAddress",
    "targetRemoteHMCUserId",
];

/// Migrate's and MigrateValidate's parameters of their own; they take
/// `MIGRATE_ATTRS`' besides (see `params_of`), listed once there so that
/// no parameter can be taken and then dropped.
const MIGRATE_PARAMS: &[&str] = &[
    "TargetManagedSystemName",
    "TargetRemoteHMCIPAddress",
    "TargetRemoteHMCUserID",
    "TargetProfileName",
    "VLANBridgeOverride",
    "WaitTime",
];

/// The migration parameters that are `-i` attributes of migrlpar.
const MIGRATE_ATTRS: &[(&str, &str)] = &[
    ("VirtualSCSIMappings", "virtual_scsi_mappings"),
    ("VirtualFCMappings", "virtual_fc_mappings"),
    ("VlanMappings", "vlan_mappings"),
    ("SharedProcPoolID", "shared_proc_pool_id"),
    ("SharedProcPoolName", "shared_proc_pool_name"),
    ("DestinationLparID", "dest_lpar_id"),
    ("SourceMSPIPaddr", "source_msp_ipaddr"),
    ("DestMSPIPaddr", "dest_msp_ipaddr"),
    ("SourceMSPName", "source_msp_name"),
    ("DestMSPName", "dest_msp_name"),
];

/// The parameters `op` takes, if it is an operation of a partition.
pub(super) fn params_of(op: &str) -> Option<Vec<&'static str>> {
    let (_, own) = OPS.iter().find(|(o, _)| *o == op)?;
    let mut all = own.to_vec();
    if *own == MIGRATE_PARAMS {
        all.extend(MIGRATE_ATTRS.iter().map(|(param, _)| *param));
    }
    Some(all)
}

/// The command a job runs. A parameter the command refuses (a WaitTime
/// over a day, an Operation rrstartlpar does not have) makes no command
/// but its refusal, which the job reports when it runs, as the command
/// line would print it.
#[derive(Debug)]
pub(super) enum Run {
    Chsysstate(Result<Chsysstate, CmdError>),
    Migrlpar(Result<Migrlpar, CmdError>),
    Rrstartlpar(Result<Rrstartlpar, CmdError>),
}

impl Run {
    /// Applies the command as `user`: its output and exit status.
    pub(super) async fn apply_as(self, hmc: &Hmc, user: &str) -> (String, u32) {
        match self {
            Run::Chsysstate(c) => apply_as(hmc, user, "chsysstate", c).await,
            Run::Migrlpar(c) => apply_as(hmc, user, "migrlpar", c).await,
            Run::Rrstartlpar(c) => apply_as(hmc, user, "rrstartlpar", c).await,
        }
    }
}

/// The command job `op` runs on partition `p` of frame `f`; or, for the
/// client at once, what is wrong with its parameters.
pub(super) fn command(
    op: &str,
    f: &FrameView,
    p: &Partition,
    params: &[(String, String)],
) -> Result<Run, String> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let given = |k: &str| get(k).filter(|v| !v.is_empty());
    let on = |k: &str| get(k) == Some("true");
    // The HMC that manages the other frame, from the two parameters that
    // name it (spelt differently by different jobs).
    let remote_hmc = |ip: &str, user: &str| {
        get(ip).map(|ip| RemoteHmc {
            ip: ip.to_string(),
            user: get(user).map(str::to_string),
        })
    };
    let frame = f.name.clone();
    let lpar = LparRef::Name(p.name.clone());
    let power = |op| Chsysstate {
        frame: frame.clone(),
        target: Target::Lpar {
            lpar: lpar.clone(),
            op,
        },
    };
    let migrlpar = |op| Migrlpar {
        frame: frame.clone(),
        lpar: lpar.clone(),
        op,
    };
    Ok(match op {
        "PowerOn" => {
            let by_uuid = given("LogicalPartitionProfile")
                .map(|want| {
                    // The UUID a LogicalPartitionProfile entry has (adapter.rs).
                    p.profiles
                        .iter()
                        .find(|pr| {
                            crate::ids::uuid(
                                "LogicalPartitionProfile",
                                &format!("{}/{}", crate::ids::partition(p), pr.name),
                            ) == want
                        })
                        .map(|pr| &pr.name)
                        .ok_or_else(|| {
                            format!(
                                "LogicalPartitionProfile {want} is not a profile of partition {}",
                                p.name
                            )
                        })
                })
                .transpose()?;
            let profile = if let Some(name) = by_uuid {
                name
            } else if p.last_activated_profile.is_empty() {
                &p.default_profile
            } else {
                &p.last_activated_profile
            };
            Run::Chsysstate(Ok(power(LparOp::Activate {
                profile: Some(profile.clone()),
                bootstring: String::new(),
            })))
        }
        "PowerOff" => {
            let how = match get("operation").unwrap_or("shutdown") {
                "osshutdown" => "osshutdown",
                "shutdown" | "vsp" => "shutdown",
                // chsysstate has no dump: the job says so when it runs.
                "dumprestart" => "dumprestart",
                other => {
                    return Err(format!(
                        "operation {other} is not one of shutdown, osshutdown, dumprestart"
                    ));
                }
            };
            let how = if on("restart") { "restart" } else { how };
            let op = LparOp::parse(how, None, String::new(), on("immediate"));
            Run::Chsysstate(op.map(power))
        }
        "MigrateValidate" | "Migrate" => {
            let to = get("TargetManagedSystemName").ok_or("TargetManagedSystemName is required")?;
            // Minutes, as migrlpar -w (the migration scripts' wait).
            let to = migrlpar::wait_minutes(given("WaitTime")).map(|wait_minutes| Move {
                target: to.to_string(),
                remote: remote_hmc("TargetRemoteHMCIPAddress", "TargetRemoteHMCUserID"),
                input: Input::Attrs(
                    MIGRATE_ATTRS
                        .iter()
                        .filter_map(|(param, attr)| {
                            // Trailing blanks go, as from an -i list.
                            given(param).map(|v| (attr.to_string(), v.trim_end().to_string()))
                        })
                        .collect(),
                ),
                mpio: 1,
                vlanbridge: if get("VLANBridgeOverride") == Some("2") {
                    2
                } else {
                    1
                },
                new_profile: given("TargetProfileName").map(str::to_string),
                wait_minutes,
                detail: 1,
            });
            Run::Migrlpar(to.map(|to| {
                migrlpar(if op == "Migrate" {
                    migrlpar::Op::Migrate { to, verbose: false }
                } else {
                    migrlpar::Op::Validate(to)
                })
            }))
        }
        "MigrateAbort" => Run::Migrlpar(Ok(migrlpar(migrlpar::Op::Stop))),
        // migrlpar -o r works from what the partition's migration records:
        // the remote HMC named besides is not needed.
        "MigrateRecover" => Run::Migrlpar(Ok(migrlpar(migrlpar::Op::Recover {
            force: get("Force").or(get("force")) == Some("true"),
        }))),
        _ => Run::Rrstartlpar((|| {
            // Without an Operation, a restart (what hmc-mcp asks for).
            let op = rrstartlpar::Op::parse(
                get("Operation").unwrap_or("restart"),
                get("targetManagedSystem").or(get("TargetManagedSystemName")),
            )?;
            rrstartlpar::local_only(get("targetRemoteHMCIPAddress"))?;
            let redundantvios = rrstartlpar::redundancy(None, get("Redundancy"))?;
            let vlanbridge = rrstartlpar::vlanbridge(get("vlanbridge"))?;
            Ok(Rrstartlpar {
                frame: frame.clone(),
                lpar: lpar.clone(),
                op,
                opts: rrstartlpar::Options {
                    // A frame the HMC has lost: its partitions' stored
                    // configuration, asked for or not.
                    noconnection: on("noconnection")
                        || f.state == pvmlab_common::model::frame_state::NO_CONNECTION,
                    force: on("force") || on("Force"),
                    retaindev: on("retaindev"),
                    usecurrdata: on("usecurrdata"),
                    redundantvios,
                    vlanbridge,
                },
            })
        })()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::chsysstate::Shutdown;

    fn run(op: &str, params: &[(&str, &str)]) -> Result<Run, String> {
        let f = FrameView {
            name: "sys2".into(),
            ..Default::default()
        };
        let p = Partition {
            name: "aix72a".into(),
            default_profile: "default".into(),
            profiles: vec![
                pvmlab_common::model::Profile {
                    name: "default".into(),
                    ..Default::default()
                },
                pvmlab_common::model::Profile {
                    name: "big".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        command(op, &f, &p, &params)
    }

    fn migrlpar(op: &str, params: &[(&str, &str)]) -> Result<Migrlpar, String> {
        match run(op, params)? {
            Run::Migrlpar(m) => m.map_err(|e| e.to_string()),
            other => Err(format!("{other:?}")),
        }
    }

    fn rrstartlpar(params: &[(&str, &str)]) -> Result<Rrstartlpar, String> {
        match run("RemoteRestart", params)? {
            Run::Rrstartlpar(r) => r.map_err(|e| e.to_string()),
            other => Err(format!("{other:?}")),
        }
    }

    fn chsysstate(op: &str, params: &[(&str, &str)]) -> Result<LparOp, String> {
        match run(op, params)? {
            Run::Chsysstate(Ok(Chsysstate {
                frame,
                target: Target::Lpar { lpar, op },
            })) if frame == "sys2" && lpar == LparRef::Name("aix72a".into()) => Ok(op),
            Run::Chsysstate(Err(e)) => Err(e.to_string()),
            other => Err(format!("{other:?}")),
        }
    }

    fn attrs(list: &[(&str, &str)]) -> Input {
        Input::Attrs(
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn migration_jobs_become_the_migrlpar_an_administrator_would_type() {
        // migrlpar -o m -m sys2 -t sys3 -p aix72a --ip hmc2 -u hscroot -n moved -w 2
        //   -i "vlan_mappings=1/vios1,2/vios1",dest_lpar_id=9,dest_msp_ipaddr=127.0.0.5
        assert_eq!(
            migrlpar(
                "Migrate",
                &[
                    ("TargetManagedSystemName", "sys3"),
                    ("TargetRemoteHMCIPAddress", "hmc2"),
                    ("TargetRemoteHMCUserID", "hscroot"),
                    ("TargetProfileName", "moved"),
                    ("WaitTime", "2"),
                    ("DestinationLparID", "9"),
                    ("DestMSPIPaddr", "127.0.0.5"),
                    ("VlanMappings", "1/vios1,2/vios1"),
                ]
            ),
            Ok(Migrlpar {
                frame: "sys2".into(),
                lpar: LparRef::Name("aix72a".into()),
                op: migrlpar::Op::Migrate {
                    to: Move {
                        remote: Some(RemoteHmc {
                            ip: "hmc2".into(),
                            user: Some("hscroot".into())
                        }),
                        input: attrs(&[
                            ("vlan_mappings", "1/vios1,2/vios1"),
                            ("dest_lpar_id", "9"),
                            ("dest_msp_ipaddr", "127.0.0.5"),
                        ]),
                        new_profile: Some("moved".into()),
                        wait_minutes: Some(2),
                        ..Move::to("sys3")
                    },
                    verbose: false
                }
            })
        );
        // The names POWER10's documentation adds for the movers and the
        // pool: migrlpar -o v -m sys2 -t sys3 -p aix72a
        //   -i shared_proc_pool_name=DefaultPool,source_msp_name=vios2,dest_msp_name=vios1
        assert_eq!(
            migrlpar(
                "MigrateValidate",
                &[
                    ("TargetManagedSystemName", "sys3"),
                    ("SourceMSPName", "vios2"),
                    ("DestMSPName", "vios1"),
                    ("SharedProcPoolName", "DefaultPool"),
                    ("VLANBridgeOverride", "2"),
                    ("TargetProfileName", ""),
                ]
            )
            .map(|m| m.op),
            Ok(migrlpar::Op::Validate(Move {
                input: attrs(&[
                    ("shared_proc_pool_name", "DefaultPool"),
                    ("source_msp_name", "vios2"),
                    ("dest_msp_name", "vios1"),
                ]),
                vlanbridge: 2,
                ..Move::to("sys3")
            }))
        );
        // IBM's documentation writes `force`, pypowervm `Force`:
        // migrlpar -o r -m sys2 -p aix72a --force.
        for force in ["force", "Force"] {
            assert_eq!(
                migrlpar(
                    "MigrateRecover",
                    &[(force, "true"), ("TargetRemoteHMCIPAddress", "hmc2")]
                )
                .map(|m| m.op),
                Ok(migrlpar::Op::Recover { force: true })
            );
        }
        assert_eq!(
            migrlpar("MigrateAbort", &[]).map(|m| m.op),
            Ok(migrlpar::Op::Stop)
        );
        // Refused at once without a target; a wait over a day when the job runs.
        assert_eq!(
            migrlpar("Migrate", &[]),
            Err("TargetManagedSystemName is required".into())
        );
        assert_eq!(
            migrlpar(
                "Migrate",
                &[("TargetManagedSystemName", "sys3"), ("WaitTime", "1441")]
            ),
            Err("An invalid value was entered for the -w parameter: 1441.".into())
        );
    }

    #[test]
    fn remote_restart_jobs_become_rrstartlpar() {
        // As IBM documents it: rrstartlpar -o validate -m sys2 -p aix72a
        // -t sys3 --redundantvios 1 --force --usecurrdata.
        assert_eq!(
            rrstartlpar(&[
                ("Operation", "validate"),
                ("targetManagedSystem", "sys3"),
                ("Redundancy", "1"),
                ("force", "true"),
                ("usecurrdata", "true"),
                ("Verbose", "false"),
            ]),
            Ok(Rrstartlpar {
                frame: "sys2".into(),
                lpar: LparRef::Name("aix72a".into()),
                op: rrstartlpar::Op::Validate { to: "sys3".into() },
                opts: rrstartlpar::Options {
                    force: true,
                    usecurrdata: true,
                    redundantvios: 1,
                    vlanbridge: 1,
                    ..Default::default()
                }
            })
        );
        // As hmc-mcp sends it: rrstartlpar -o restart -m sys2 -p aix72a -t sys3.
        assert_eq!(
            rrstartlpar(&[("TargetManagedSystemName", "sys3")]).map(|r| (r.op, r.opts)),
            Ok((
                rrstartlpar::Op::Restart { to: "sys3".into() },
                rrstartlpar::Options {
                    redundantvios: 2,
                    vlanbridge: 1,
                    ..Default::default()
                }
            ))
        );
        // What rrstartlpar refuses, in its words, when the job runs.
        let refused = |params: &[(&str, &str)]| rrstartlpar(params).err().unwrap_or_default();
        assert!(refused(&[("Operation", "bounce")]).contains("-o parameter: bounce"));
        assert!(
            refused(&[("Operation", "cleanup"), ("targetManagedSystem", "sys3")])
                .contains("-t parameter is not valid")
        );
        assert!(
            refused(&[
                ("TargetManagedSystemName", "sys3"),
                ("targetRemoteHMCIPAddress", "hmc2")
            ])
            .contains("(--ip) is not supported")
        );
        assert!(
            refused(&[("TargetManagedSystemName", "sys3"), ("Redundancy", "5")])
                .contains("--redundantvios parameter: 5")
        );
    }

    #[test]
    fn power_jobs_become_chsysstate() {
        // chsysstate -r lpar -m sys2 -n aix72a -o on -f default.
        assert_eq!(
            chsysstate("PowerOn", &[("bootmode", "norm")]),
            Ok(LparOp::Activate {
                profile: Some("default".into()),
                bootstring: String::new()
            })
        );
        // Ansible's poweronPartition names the profile by its entry's UUID:
        // chsysstate -r lpar -m sys2 -n aix72a -o on -f big.
        let big = crate::ids::uuid(
            "LogicalPartitionProfile",
            &format!("{}/big", crate::ids::uuid("LogicalPartition", "aix72a")),
        );
        assert_eq!(
            chsysstate(
                "PowerOn",
                &[
                    ("force", "false"),
                    ("novsi", "true"),
                    ("LogicalPartitionProfile", &big)
                ]
            ),
            Ok(LparOp::Activate {
                profile: Some("big".into()),
                bootstring: String::new()
            })
        );
        assert!(
            chsysstate("PowerOn", &[("LogicalPartitionProfile", "nope")])
                .is_err_and(|e| e.contains("not a profile of partition aix72a"))
        );
        // chsysstate -r lpar -m sys2 -n aix72a -o shutdown --immed.
        assert_eq!(
            chsysstate("PowerOff", &[("operation", "vsp"), ("immediate", "true")]),
            Ok(LparOp::Shutdown {
                how: Shutdown::Hard,
                immediate: true
            })
        );
        assert_eq!(
            chsysstate(
                "PowerOff",
                &[("operation", "osshutdown"), ("restart", "true")]
            ),
            Ok(LparOp::Shutdown {
                how: Shutdown::Restart,
                immediate: false
            })
        );
        assert_eq!(
            chsysstate("PowerOff", &[("operation", "osshutdown")]),
            Ok(LparOp::Shutdown {
                how: Shutdown::Os,
                immediate: false
            })
        );
        assert!(
            chsysstate("PowerOff", &[("operation", "dumprestart")])
                .is_err_and(|e| e.contains("-o parameter: dumprestart"))
        );
        assert_eq!(
            chsysstate("PowerOff", &[("operation", "halt")]),
            Err("operation halt is not one of shutdown, osshutdown, dumprestart".into())
        );
    }
}
