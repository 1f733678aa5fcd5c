//! A job's XML as the HMC sends it: the JobRequest's operation and
//! parameters, and the JobResponse with status, progress and results.

use super::store::Job;
use crate::rest::{Reply, Rest, xml};

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

pub(super) fn request_xml(op: &str, group: &str, params: &[(String, String)]) -> String {
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
    if j.op.starts_with("Migrate")
        && j.status == "RUNNING"
        && let Some((_, p)) = super::target(rest, &j.target)
        && let Some(m) = &p.migration
    {
        let st = m.stats.clone().unwrap_or_default();
        tasks.push((
            format!(
                "{}: {}% ({} bytes transmitted, {} remaining)",
                m.state, st.progress, st.bytes_transmitted, st.bytes_remaining
            ),
            "IN_PROGRESS",
        ));
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

pub(super) fn response(rest: &Rest, j: &Job) -> Reply {
    let results = if j.status.starts_with("COMPLETED") {
        xml::group(
            "Results",
            Some("ROR"),
            &[params_xml(
                &std::iter::once(("result".to_string(), j.output.trim().to_string()))
                    .chain(j.results.iter().cloned())
                    .collect::<Vec<_>>(),
            )],
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
        &crate::ids::uuid("JobResponse", &j.id.to_string()),
        Some(&format!(
            "{}/rest/api/{}/jobs/{}",
            rest.base,
            if j.group == "PartitionTemplate" {
                "templates"
            } else {
                "uom"
            },
            j.id
        )),
        "V1_0",
        &body,
    );
    Reply::ok(xml::media_type("web", "JobResponse"), e)
}
