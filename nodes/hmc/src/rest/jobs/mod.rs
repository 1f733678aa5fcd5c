//! The REST job model: `GET …/{uuid}/do/{Op}` gives a JobRequest
//! template; `PUT` it (with JobParameters) and the job runs in the
//! background; `GET /rest/api/uom/jobs/{id}` shows its status
//! (NOT_STARTED, RUNNING, COMPLETED_OK, COMPLETED_WITH_ERROR) and results;
//! `POST jobs/{id}/cancel` and `DELETE jobs/{id}`. Each operation is the
//! HMC command an administrator would type (`chsysstate`, `migrlpar`,
//! `rrstartlpar`), built as a typed command (`command.rs`) and applied
//! with the job's user, so REST and the command line are one HMC. The
//! jobs are kept in `store.rs`; their XML is `document.rs`'.

mod command;
mod document;
mod store;
mod vios;

pub use store::Jobs;

use super::{Reply, Rest, error, xml};
use axum::http::StatusCode;
use document::{request_xml, response};
use pvmlab_common::model::Partition;
use pvmlab_common::proto::hmc::FrameView;
use store::{Job, millis};

/// The partition a job names, and its frame: the copy that is not a
/// migration's destination shell (which has the same UUID) if there are two.
pub(in crate::rest) fn target(rest: &Rest, uuid: &str) -> Option<(FrameView, Partition)> {
    let mut found: Vec<(FrameView, Partition)> = Vec::new();
    for f in rest.hmc.view.frames() {
        for p in f
            .partitions
            .iter()
            .filter(|p| super::partition::uuid(&f.name, p) == uuid)
        {
            found.push(((*f).clone(), p.clone()));
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
    if !command::OPS.iter().any(|(o, _)| *o == op) && !vios::is_op(group, op) {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("{op} is not an operation of {group}."),
        );
    }
    let e = xml::web_entry(
        "JobRequest",
        &crate::ids::uuid("JobRequest", op),
        None,
        "V1_0",
        &request_xml(op, group, &[]),
    );
    Reply::ok(xml::media_type("web", "JobRequest"), e)
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
    if vios::is_op(group, op) {
        return vios::start(rest, user, &f, &p, op, body, uri);
    }
    let Some(known) = command::params_of(op) else {
        return error(
            StatusCode::NOT_FOUND,
            uri,
            "Not Found",
            &format!("{op} is not an operation of {group}."),
        );
    };
    let mut params = match job_params(body, uri, op) {
        Ok(p) => p,
        Err(e) => return e,
    };
    if let Some((k, _)) = params.iter().find(|(k, _)| !known.contains(&k.as_str())) {
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
            None => params.push(("targetManagedSystem".into(), frame.name.clone())),
        }
    }
    let run = match command::command(op, &f, &p, &params) {
        Ok(c) => c,
        Err(m) => return error(StatusCode::BAD_REQUEST, uri, "Bad Request", &m),
    };
    let id = rest.jobs.new_id();
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
        results: Vec::new(),
    };
    rest.jobs.insert(job.clone());
    let (r, user) = (rest.clone(), user.to_string());
    tokio::spawn(async move {
        let (out, code) = run.apply_as(&r.hmc, &user).await;
        r.jobs.finish(id, out, code);
    });
    response(rest, &job)
}

/// How a job of the HMC's own work (not one command) ended: a template's
/// check, transform or deploy, a VIOS's GetFreePhysicalVolumes.
pub(in crate::rest) struct Outcome {
    pub ok: bool,
    /// The `result` parameter: the answer, or why it failed.
    pub output: String,
    pub results: Vec<(String, String)>,
}

/// Starts `work` as a job on `target` (`url` what the client PUT to):
/// the JobResponse of the running job, which `work`'s outcome completes.
pub(in crate::rest) fn run_job<F>(
    rest: &std::sync::Arc<Rest>,
    group: &str,
    target: &str,
    url: String,
    op: &str,
    params: Vec<(String, String)>,
    work: F,
) -> Reply
where
    F: std::future::Future<Output = Outcome> + Send + 'static,
{
    let id = rest.jobs.new_id();
    let job = Job {
        id,
        op: op.to_string(),
        group: group.to_string(),
        target: target.to_string(),
        url,
        params,
        status: "RUNNING",
        started: millis(),
        completed: 0,
        output: String::new(),
        results: Vec::new(),
    };
    rest.jobs.insert(job.clone());
    let r = rest.clone();
    tokio::spawn(async move {
        let o = work.await;
        r.jobs
            .finish_with(id, o.output, if o.ok { 0 } else { 1 }, o.results);
    });
    response(rest, &job)
}

/// The JobParameters of a JobRequest body, or the error that says why not.
/// The OperationName, where the body gives one, names the operation of
/// the URI (in any case).
pub(in crate::rest) fn job_params(
    body: &str,
    uri: &str,
    op: &str,
) -> Result<Vec<(String, String)>, Reply> {
    let doc = super::parse(body, uri, "JobRequest")?;
    let root = doc.root_element();
    if super::text_of(root, "OperationName").is_some_and(|n| !n.eq_ignore_ascii_case(op)) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            uri,
            "Bad Request",
            &format!("The JobRequest's OperationName is not {op}."),
        ));
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
            return Err(error(
                StatusCode::BAD_REQUEST,
                uri,
                "Bad Request",
                "A JobParameter needs a ParameterName and a ParameterValue.",
            ));
        };
        params.push((k, v));
    }
    Ok(params)
}

/// GET, DELETE, POST …/cancel on /rest/api/uom/jobs/{id}.
pub fn job(rest: &Rest, method: &axum::http::Method, rest_of_path: &[&str], uri: &str) -> Reply {
    let not_found = || error(StatusCode::NOT_FOUND, uri, "Not Found", "No such job.");
    let Some(id) = rest_of_path.first().and_then(|s| s.parse::<u64>().ok()) else {
        return not_found();
    };
    let Some(j) = rest.jobs.get(id) else {
        return not_found();
    };
    match (method.as_str(), &rest_of_path[1..]) {
        ("GET", []) => response(rest, &j),
        // A job never runs again once finished, so one seen finished may go.
        ("DELETE", []) if j.status == "RUNNING" => error(
            StatusCode::CONFLICT,
            uri,
            "Conflict",
            "A running job cannot be deleted; cancel it first.",
        ),
        ("DELETE", []) => {
            rest.jobs.remove(id);
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
