//! The REST job model: `GET …/{uuid}/do/{Op}` gives a JobRequest
//! template; `PUT` it (with JobParameters) and the job runs in the
//! background; `GET /rest/api/uom/jobs/{id}` shows its status
//! (NOT_STARTED, RUNNING, COMPLETED_OK, COMPLETED_WITH_ERROR) and results;
//! `POST jobs/{id}/cancel` and `DELETE jobs/{id}`. Each operation is the
//! HMC command an administrator would type (`chsysstate`, `migrlpar`,
//! `rrstartlpar`), run with the job's user, so REST and the command line
//! are one HMC.

use super::{Reply, Rest, error, xml};
use axum::http::StatusCode;
use pvmlab_common::model::Partition;
use pvmlab_common::proto::hmc::FrameView;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The operations on a partition, and the parameters each takes.
const OPS: &[(&str, &[&str])] = &[
    ("PowerOn", &["bootmode", "keylock", "force", "novsi"]),
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
fn params_of(op: &str) -> Option<Vec<&'static str>> {
    let (_, own) = OPS.iter().find(|(o, _)| *o == op)?;
    let mut all = own.to_vec();
    if *own == MIGRATE_PARAMS {
        all.extend(MIGRATE_ATTRS.iter().map(|(param, _)| *param));
    }
    Some(all)
}

/// Jobs kept at most (finished ones go first).
const KEEP: usize = 1000;

#[derive(Clone)]
struct Job {
    id: u64,
    op: String,
    group: String,
    target: String,
    url: String,
    params: Vec<(String, String)>,
    status: &'static str,
    started: u64,
    completed: u64,
    output: String,
}

#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<u64, Job>>,
}

fn millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

fn params_xml(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            xml::group(
                "JobParameter",
                None,
                &[
                    xml::el("ParameterName", "CUR", k),
                    xml::el("ParameterValue", "CUR", v),
                ],
            )
        })
        .collect()
}

fn request_xml(op: &str, group: &str, params: &[(String, String)]) -> String {
    xml::group(
        "RequestedOperation",
        Some("CUR"),
        &[
            xml::el("OperationName", "ROR", op),
            xml::el("GroupName", "ROR", group),
        ],
    ) + &xml::group("JobParameters", Some("CUR"), &[params_xml(params)])
}

/// The job's progress in the recorded form (NLS messages of the tasks
/// done); a migration's says how much memory has moved.
fn progress(rest: &Rest, j: &Job) -> String {
    let mut tasks = vec![("Waiting".to_string(), "WAITING")];
    if j.op.starts_with("Migrate") && j.status == "RUNNING" {
        if let Some((_, p)) = target(rest, &j.target) {
            if let Some(m) = &p.migration {
                let st = m.stats.clone().unwrap_or_default();
                tasks.push((
                    format!(
                        "{}: {}% ({} bytes transmitted, {} remaining)",
                        m.state, st.progress, st.bytes_transmitted, st.bytes_remaining
                    ),
                    "IN_PROGRESS",
                ));
            }
        }
    }
    if j.status.starts_with("COMPLETED") {
        tasks.push(("Complete".into(), "COMPLETE"));
    }
    let msgs: Vec<String> = tasks
        .iter()
        .map(|(m, k)| {
            xml::group(
                "NLSMessage",
                None,
                &[
                    xml::el("UntranslatedMessage", "ROR", m),
                    xml::el("MessageKey", "ROR", k),
                ],
            )
        })
        .collect();
    xml::group(
        "Progress",
        Some("ROO"),
        &[xml::group("CompletedTasks", Some("ROR"), &msgs)],
    )
}

fn response(rest: &Rest, j: &Job) -> Reply {
    let results = if j.status.starts_with("COMPLETED") {
        xml::group(
            "Results",
            Some("ROR"),
            &[params_xml(&[(
                "result".into(),
                j.output.trim().to_string(),
            )])],
        )
    } else {
        String::new()
    };
    let exception = if j.status == "COMPLETED_WITH_ERROR" {
        xml::group(
            "ResponseException",
            Some("ROR"),
            &[xml::el("Message", "ROR", j.output.trim())],
        )
    } else {
        String::new()
    };
    let body = format!(
        "<RequestURL kb=\"ROR\" kxe=\"false\" href=\"{}\" rel=\"via\" title=\"The URL to which the JobRequest was submitted.\"/>{}{}{}{}{}\
{}{}{results}{exception}",
        xml::escape(&j.url),
        xml::el("TargetUuid", "ROR", &j.target),
        xml::el("JobID", "ROR", &j.id.to_string()),
        xml::el("TimeStarted", "ROR", &j.started.to_string()),
        xml::el("TimeCompleted", "ROR", &j.completed.to_string()),
        xml::el("Status", "ROR", j.status),
        xml::group(
            "JobRequestInstance",
            Some("ROR"),
            &[request_xml(&j.op, &j.group, &j.params)]
        ),
        progress(rest, j),
    );
    let e = xml::web_entry(
        "JobResponse",
        &xml::uuid("JobResponse", &j.id.to_string()),
        Some(&format!("{}/rest/api/uom/jobs/{}", rest.base, j.id)),
        "V1_0",
        &body,
    );
    Reply::ok(xml::media_type("web", "JobResponse"), e)
}

/// The partition a job names, and its frame: the copy that is not a
/// migration's destination shell (which has the same UUID) if there are two.
fn target(rest: &Rest, uuid: &str) -> Option<(FrameView, Partition)> {
    let mut found: Vec<(FrameView, Partition)> = Vec::new();
    for f in rest.hmc.view.frames() {
        for p in f
            .partitions
            .iter()
            .filter(|p| super::partition::uuid(&f.name, p) == uuid)
        {
            found.push((f.clone(), p.clone()));
        }
    }
    found.sort_by_key(|(_, p)| p.migration.as_ref().is_some_and(|m| !m.source));
    found.into_iter().next()
}

/// GET …/{uuid}/do/{op}: the template.
pub fn template(rest: &Rest, group: &str, uuid: &str, op: &str, uri: &str) -> Reply {
    if target(rest, uuid).is_none() {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("No {group} {uuid} is managed by this management console."),
        );
    }
    if !OPS.iter().any(|(o, _)| *o == op) {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("{op} is not an operation of {group}."),
        );
    }
    let e = xml::web_entry(
        "JobRequest",
        &xml::uuid("JobRequest", op),
        None,
        "V1_0",
        &request_xml(op, group, &[]),
    );
    Reply::ok(xml::media_type("web", "JobRequest"), e)
}

/// The HMC command a job runs, as arguments; or what is wrong with it.
fn command(
    op: &str,
    f: &FrameView,
    p: &Partition,
    params: &[(String, String)],
) -> Result<(&'static str, Vec<String>), String> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut a: Vec<String> = Vec::new();
    let mut push = |x: &[&str]| a.extend(x.iter().map(|s| s.to_string()));
    // The HMC that manages the other frame (--ip, -u), from the two
    // parameters that name it (spelt differently by different jobs).
    let remote_hmc = |push: &mut dyn FnMut(&[&str]), ip: &str, user: &str| {
        if let Some(ip) = get(ip) {
            push(&["--ip", ip]);
            if let Some(u) = get(user) {
                push(&["-u", u]);
            }
        }
    };
    let cmd = match op {
        "PowerOn" => {
            let prof = if p.last_activated_profile.is_empty() {
                &p.default_profile
            } else {
                &p.last_activated_profile
            };
            push(&[
                "-r", "lpar", "-m", &f.name, "-n", &p.name, "-o", "on", "-f", prof,
            ]);
            "chsysstate"
        }
        "PowerOff" => {
            let how = match get("operation").unwrap_or("shutdown") {
                "osshutdown" => "osshutdown",
                "shutdown" | "vsp" => "shutdown",
                "dumprestart" => "dumprestart",
                other => {
                    return Err(format!(
                        "operation {other} is not one of shutdown, osshutdown, dumprestart"
                    ));
                }
            };
            let how = if get("restart") == Some("true") {
                "restart"
            } else {
                how
            };
            push(&["-r", "lpar", "-m", &f.name, "-n", &p.name, "-o", how]);
            if get("immediate") == Some("true") {
                push(&["--immed"]);
            }
            "chsysstate"
        }
        "MigrateValidate" | "Migrate" => {
            let to = get("TargetManagedSystemName").ok_or("TargetManagedSystemName is required")?;
            let o = if op == "Migrate" { "m" } else { "v" };
            push(&["-o", o, "-m", &f.name, "-t", to, "-p", &p.name]);
            remote_hmc(
                &mut push,
                "TargetRemoteHMCIPAddress",
                "TargetRemoteHMCUserID",
            );
            if let Some(n) = get("TargetProfileName").filter(|v| !v.is_empty()) {
                push(&["-n", n]);
            }
            // Minutes, as migrlpar -w (the migration scripts' wait).
            if let Some(w) = get("WaitTime").filter(|v| !v.is_empty()) {
                push(&["-w", w]);
            }
            let mut input = Vec::new();
            for (param, attr) in MIGRATE_ATTRS {
                if let Some(v) = get(param).filter(|v| !v.is_empty()) {
                    // The HMC's -i quoting: a value with commas in double quotes.
                    input.push(if v.contains(',') {
                        format!("\"{attr}={v}\"")
                    } else {
                        format!("{attr}={v}")
                    });
                }
            }
            if !input.is_empty() {
                push(&["-i", &input.join(",")]);
            }
            if get("VLANBridgeOverride") == Some("2") {
                push(&["--vlanbridge", "2"]);
            }
            "migrlpar"
        }
        "MigrateAbort" => {
            push(&["-o", "s", "-m", &f.name, "-p", &p.name]);
            "migrlpar"
        }
        "MigrateRecover" => {
            push(&["-o", "r", "-m", &f.name, "-p", &p.name]);
            remote_hmc(
                &mut push,
                "TargetRemoteHMCIPAddress",
                "TargetRemoteHMCUserID",
            );
            if get("Force").or(get("force")) == Some("true") {
                push(&["--force"]);
            }
            "migrlpar"
        }
        _ => {
            // Without an Operation, a restart (what hmc-mcp asks for).
            let o = get("Operation").unwrap_or("restart");
            push(&["-o", o, "-m", &f.name, "-p", &p.name]);
            if let Some(to) = get("targetManagedSystem").or(get("TargetManagedSystemName")) {
                push(&["-t", to]);
            }
            remote_hmc(
                &mut push,
                "targetRemoteHMCIPAddress",
                "targetRemoteHMCUserId",
            );
            for (param, option) in [
                ("Redundancy", "--redundantvios"),
                ("vlanbridge", "--vlanbridge"),
            ] {
                if let Some(v) = get(param) {
                    push(&[option, v]);
                }
            }
            let on = |k: &str| get(k) == Some("true");
            for (yes, flag) in [
                (on("force") || on("Force"), "--force"),
                (on("usecurrdata"), "--usecurrdata"),
                (on("retaindev"), "--retaindev"),
                (on("Verbose"), "-v"),
                // A frame the HMC has lost: its partitions' stored
                // configuration, asked for or not.
                (
                    on("noconnection")
                        || f.state == pvmlab_common::model::frame_state::NO_CONNECTION,
                    "--noconnection",
                ),
            ] {
                if yes {
                    push(&[flag]);
                }
            }
            "rrstartlpar"
        }
    };
    Ok((cmd, a))
}

/// PUT …/{uuid}/do/{op}: starts the job.
pub fn start(
    rest: &std::sync::Arc<Rest>,
    user: &str,
    group: &str,
    uuid: &str,
    op: &str,
    body: &str,
    uri: &str,
) -> Reply {
    let Some((f, p)) = target(rest, uuid) else {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("No {group} {uuid} is managed by this management console."),
        );
    };
    let Some(known) = params_of(op) else {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("{op} is not an operation of {group}."),
        );
    };
    let doc = match super::parse(body, uri, "JobRequest") {
        Ok(d) => d,
        Err(e) => return e,
    };
    let root = doc.root_element();
    if super::text_of(root, "OperationName").is_some_and(|n| n != op) {
        return error(
            StatusCode::BAD_REQUEST,
            uri,
            "Bad Request",
            &format!("The JobRequest's OperationName is not {op}."),
        );
    }
    let mut params = Vec::new();
    for jp in root
        .descendants()
        .filter(|n| n.tag_name().name() == "JobParameter")
    {
        let (Some(k), Some(v)) = (
            super::text_of(jp, "ParameterName"),
            super::text_of(jp, "ParameterValue"),
        ) else {
            return error(
                StatusCode::BAD_REQUEST,
                uri,
                "Bad Request",
                "A JobParameter needs a ParameterName and a ParameterValue.",
            );
        };
        if !known.contains(&k.as_str()) {
            return error(
                StatusCode::BAD_REQUEST,
                uri,
                "Bad Request",
                &format!(
                    "{k} is not a parameter of {op}; it takes {}.",
                    known.join(", ")
                ),
            );
        }
        params.push((k, v));
    }
    // A target frame by its UUID: the frame's name for the command.
    if let Some(i) = params
        .iter()
        .position(|(k, _)| k == "targetManagedSystemUUID")
    {
        let (_, want) = params.remove(i);
        let Some(frame) = super::system::by_uuid(rest.hmc.view.frames(), &want) else {
            return error(
                StatusCode::BAD_REQUEST,
                uri,
                "Bad Request",
                &format!("No ManagedSystem {want} is managed by this management console."),
            );
        };
        match params.iter().find(|(k, _)| k == "targetManagedSystem") {
            // IBM: given both, they must be the same frame (MTMS or name).
            Some((_, other)) if !crate::hmc::names_frame(&frame, other) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    uri,
                    "Bad Request",
                    &format!(
                        "targetManagedSystem {other} and targetManagedSystemUUID {want} are not the same managed system."
                    ),
                );
            }
            Some(_) => {}
            None => params.push(("targetManagedSystem".into(), frame.name)),
        }
    }
    let (cmd, args) = match command(op, &f, &p, &params) {
        Ok(c) => c,
        Err(m) => return error(StatusCode::BAD_REQUEST, uri, "Bad Request", &m),
    };
    let id = millis() * 1000 + rest.jobs.next.fetch_add(1, Ordering::Relaxed) % 1000;
    let job = Job {
        id,
        op: op.to_string(),
        group: group.to_string(),
        target: uuid.to_string(),
        url: format!("{group}/{uuid}/do/{op}"),
        params,
        status: "RUNNING",
        started: millis(),
        completed: 0,
        output: String::new(),
    };
    {
        let mut jobs = rest.jobs.jobs.lock().unwrap_or_else(|e| e.into_inner());
        // Finished jobs a client never deleted go, the oldest first.
        while jobs.len() >= KEEP {
            let Some(old) = jobs
                .values()
                .filter(|j| j.status != "RUNNING")
                .map(|j| j.id)
                .min()
            else {
                break;
            };
            jobs.remove(&old);
        }
        jobs.insert(id, job.clone());
    }
    let (r, user) = (rest.clone(), user.to_string());
    tokio::spawn(async move {
        let (out, code) = crate::commands::run_as(&r.hmc, &user, cmd, &args).await;
        if let Some(j) = r
            .jobs
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&id)
        {
            j.status = if code == 0 {
                "COMPLETED_OK"
            } else {
                "COMPLETED_WITH_ERROR"
            };
            j.completed = millis();
            j.output = out;
        }
    });
    response(rest, &job)
}

/// GET, DELETE, POST …/cancel on /rest/api/uom/jobs/{id}.
pub fn job(rest: &Rest, method: &axum::http::Method, rest_of_path: &[&str], uri: &str) -> Reply {
    let not_found = || error(StatusCode::NOT_FOUND, uri, "Not Found", "No such job.");
    let Some(id) = rest_of_path.first().and_then(|s| s.parse::<u64>().ok()) else {
        return not_found();
    };
    let mut jobs = rest.jobs.jobs.lock().unwrap_or_else(|e| e.into_inner());
    let Some(j) = jobs.get(&id).cloned() else {
        return not_found();
    };
    match (method.as_str(), &rest_of_path[1..]) {
        ("GET", []) => response(rest, &j),
        ("DELETE", []) if j.status == "RUNNING" => error(
            StatusCode::CONFLICT,
            uri,
            "Conflict",
            "A running job cannot be deleted; cancel it first.",
        ),
        ("DELETE", []) => {
            jobs.remove(&id);
            Reply {
                status: StatusCode::NO_CONTENT,
                media: String::new(),
                body: String::new(),
                etag: None,
            }
        }
        // The command under way is not interrupted; a migration is stopped
        // with MigrateAbort, as on the HMC.
        ("POST", ["cancel"]) => response(rest, &j),
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            uri,
            "Method Not Allowed",
            "Jobs take GET, DELETE and POST …/cancel.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(op: &str, params: &[(&str, &str)]) -> String {
        let f = FrameView {
            name: "sys2".into(),
            ..Default::default()
        };
        let p = Partition {
            name: "aix72a".into(),
            ..Default::default()
        };
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (cmd, args) = command(op, &f, &p, &params).unwrap_or(("refused", Vec::new()));
        format!("{cmd} {}", args.join(" "))
    }

    #[test]
    fn migration_jobs_become_the_migrlpar_an_administrator_would_type() {
        assert_eq!(
            line(
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
            "migrlpar -o m -m sys2 -t sys3 -p aix72a --ip hmc2 -u hscroot -n moved -w 2 \
             -i \"vlan_mappings=1/vios1,2/vios1\",dest_lpar_id=9,dest_msp_ipaddr=127.0.0.5"
        );
        // The names POWER10's documentation adds for the movers and the pool.
        assert_eq!(
            line(
                "MigrateValidate",
                &[
                    ("TargetManagedSystemName", "sys3"),
                    ("SourceMSPName", "vios2"),
                    ("DestMSPName", "vios1"),
                    ("SharedProcPoolName", "DefaultPool"),
                ]
            ),
            "migrlpar -o v -m sys2 -t sys3 -p aix72a \
             -i shared_proc_pool_name=DefaultPool,source_msp_name=vios2,dest_msp_name=vios1"
        );
        // IBM's documentation writes `force`, pypowervm `Force`.
        for force in ["force", "Force"] {
            assert_eq!(
                line(
                    "MigrateRecover",
                    &[(force, "true"), ("TargetRemoteHMCIPAddress", "hmc2")]
                ),
                "migrlpar -o r -m sys2 -p aix72a --ip hmc2 --force"
            );
        }
        assert_eq!(line("Migrate", &[]), "refused ");
        // RemoteRestart as IBM documents it, and as hmc-mcp sends it.
        assert_eq!(
            line(
                "RemoteRestart",
                &[
                    ("Operation", "validate"),
                    ("targetManagedSystem", "sys3"),
                    ("Redundancy", "1"),
                    ("force", "true"),
                    ("usecurrdata", "true"),
                    ("Verbose", "false"),
                ]
            ),
            "rrstartlpar -o validate -m sys2 -p aix72a -t sys3 --redundantvios 1 --force --usecurrdata"
        );
        assert_eq!(
            line("RemoteRestart", &[("TargetManagedSystemName", "sys3")]),
            "rrstartlpar -o restart -m sys2 -p aix72a -t sys3"
        );
    }
}
