//! The partition template library under `/rest/api/templates/`, as
//! Ansible's `powervm_lpar_instance state=present` and hmc-mcp drive it:
//! `GET PartitionTemplate[?draft=false]` (the feed), `…/{uuid}`,
//! `…/search/(partitionTemplateName==x)`; `PUT PartitionTemplate` makes a
//! template (a copy: the client sends a template body under a new name),
//! `POST …/{uuid}` changes one, `DELETE …/{uuid}` removes it with its
//! drafts. The jobs `…/{uuid}/do/check` (checks the template against a
//! managed system and makes a draft: `TEMPLATE_UUID`), `do/transform` (a
//! draft made ready for that system) and `do/deploy` (the partition
//! created on the frame by the command line's `mksyscfg`:
//! `PartitionUuid`), polled at `/rest/api/templates/jobs/{id}`.

pub(super) mod spec;
mod store;

use super::jobs::{self, Outcome, run_job};
use super::{Reply, Rest, error, xml};
use crate::commands::apply_as;
use crate::hscl::Hscl;
use axum::http::{Method, StatusCode};
use std::sync::Arc;
use store::Template;

pub const TEMPLATES_NS: &str =
    "http://www.ibm.com/xmlns/systems/power/firmware/templates/mc/2012_10/";
const KIND: &str = "PartitionTemplate";

/// `application/vnd.ibm.powervm.templates+xml; type=PartitionTemplate`.
fn media() -> String {
    xml::media_type("templates", KIND)
}

/// One template as an Atom entry.
fn entry(base: &str, t: &Template) -> String {
    let content = content(t);
    format!(
        "<entry><id>{id}</id><title>{KIND}</title><published>{ts}</published>\
    <link rel=\"SELF\" href=\"{base}/rest/api/templates/{KIND}/{id}\"/>\
    <author><name>{gen}</name></author>\
    <etag:etag xmlns:etag=\"{uom}\">{etag}</etag:etag>\
    <content type=\"{mt}\">{content}</content></entry>",
        id = t.uuid,
        ts = xml::now(),
        gen = xml::GENERATOR,
        uom = xml::UOM_NS,
        etag = xml::etag(&content),
        mt = media(),
    )
}

/// The PartitionTemplate element itself.
fn content(t: &Template) -> String {
    format!(
        "<{KIND}:{KIND} xmlns:{KIND}=\"{TEMPLATES_NS}\" xmlns=\"{TEMPLATES_NS}\" schemaVersion=\"V1_0\">\
<Metadata><Atom><AtomID>{}</AtomID><AtomCreated>{}</AtomCreated></Atom></Metadata>{}</{KIND}:{KIND}>",
        t.uuid, t.created, t.body
    )
}

/// A template body a client sent: its name and its elements after the
/// Metadata, checked to read as a template.
fn read_body(text: &str, uri: &str) -> Result<(String, String), Reply> {
    let doc = super::parse(text, uri, KIND)?;
    let root = doc.root_element();
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, uri, "Bad Request", m);
    let body: String = root
        .children()
        .filter(|n| !(n.is_element() && n.tag_name().name() == "Metadata"))
        .filter(|n| n.is_element())
        .map(|n| &text[n.range()])
        .collect();
    let name = super::text_of(root, "partitionTemplateName")
        .map(|n| n.trim().to_string())
        .unwrap_or_default();
    if name.is_empty() {
        return Err(bad(
            "The PartitionTemplate must have a partitionTemplateName.",
        ));
    }
    // What it says must read as a template in the HMC's schema.
    let again = format!("<{KIND} xmlns=\"{TEMPLATES_NS}\">{body}</{KIND}>");
    let ok = roxmltree::Document::parse(&again)
        .map_err(|e| e.to_string())
        .and_then(|d| spec::Spec::parse(d.root_element()).map(|_| ()));
    if let Err(m) = ok {
        return Err(bad(&m));
    }
    Ok((name, body))
}

fn spec_of(t: &Template) -> Result<spec::Spec, String> {
    let doc = format!("<{KIND} xmlns=\"{TEMPLATES_NS}\">{}</{KIND}>", t.body);
    let d = roxmltree::Document::parse(&doc).map_err(|e| e.to_string())?;
    spec::Spec::parse(d.root_element())
}

fn not_found(uri: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        uri,
        "Not Found",
        &format!("The requested resource {uri} was not found on this management console."),
    )
}

fn no_content() -> Reply {
    Reply {
        status: StatusCode::NO_CONTENT,
        media: String::new(),
        body: String::new(),
        etag: None,
    }
}

/// Everything under /rest/api/templates (`rel` the rest of the path).
pub async fn route(
    rest: &Arc<Rest>,
    user: &str,
    method: &Method,
    rel: &str,
    query: &str,
    body: &[u8],
    uri: &str,
) -> Reply {
    let segs: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let st = rest.hmc.users.store();
    let may_change = || rest.hmc.users.get(user).is_some_and(|u| u.may_change());
    let forbidden = || {
        error(
            StatusCode::FORBIDDEN,
            uri,
            "Forbidden",
            &Hscl::NoAuthority.to_string(),
        )
    };
    let text = String::from_utf8_lossy(body);
    match (method.as_str(), segs.as_slice()) {
        (_, ["jobs", more @ ..]) => jobs::job(rest, method, more, uri),
        ("GET", [KIND]) => {
            let draft = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("draft="))
                .map(|v| v.eq_ignore_ascii_case("true"));
            let list: Vec<String> = store::all(st)
                .iter()
                .filter(|t| t.draft == draft.unwrap_or(false))
                .map(|t| entry(&rest.base, t))
                .collect();
            Reply::ok("application/atom+xml".into(), xml::feed(KIND, &list))
        }
        ("GET", [KIND, "search", q]) => {
            let q = q.trim_start_matches('(').trim_end_matches(')');
            let Some(name) = q.strip_prefix("partitionTemplateName==") else {
                return not_found(uri);
            };
            let name = name.trim_matches('\'').trim_matches('"');
            let list: Vec<String> = store::all(st)
                .iter()
                .filter(|t| !t.draft && t.name == name)
                .map(|t| entry(&rest.base, t))
                .collect();
            if list.is_empty() {
                return no_content();
            }
            Reply::ok("application/atom+xml".into(), xml::feed(KIND, &list))
        }
        ("GET", [KIND, id]) => match store::get(st, id) {
            Some(t) => Reply::ok(media(), xml::document(&entry(&rest.base, &t))),
            None => not_found(uri),
        },
        ("PUT", [KIND]) => {
            if !may_change() {
                return forbidden();
            }
            let (name, body) = match read_body(&text, uri) {
                Ok(x) => x,
                Err(e) => return e,
            };
            if store::all(st).iter().any(|t| !t.draft && t.name == name) {
                return error(
                    StatusCode::CONFLICT,
                    uri,
                    "Conflict",
                    &format!("A partition template named {name} already exists."),
                );
            }
            if store::kept(st) >= store::KEEP {
                return error(
                    StatusCode::CONFLICT,
                    uri,
                    "Conflict",
                    &format!(
                        "The template library is full ({} templates): delete templates first.",
                        store::KEEP
                    ),
                );
            }
            let t = Template {
                uuid: crate::ids::uuid(KIND, &super::session_token()),
                name,
                draft: false,
                source: String::new(),
                transformed: false,
                body,
                created: millis(),
                builtin: false,
            };
            save(rest, &t, uri)
        }
        ("POST", [KIND, id]) => {
            if !may_change() {
                return forbidden();
            }
            let Some(old) = store::get(st, id) else {
                return not_found(uri);
            };
            if old.builtin {
                return error(
                    StatusCode::FORBIDDEN,
                    uri,
                    "Forbidden",
                    &format!(
                        "The predefined template {} cannot be changed: copy it and change the copy.",
                        old.name
                    ),
                );
            }
            let (name, body) = match read_body(&text, uri) {
                Ok(x) => x,
                Err(e) => return e,
            };
            if !old.draft
                && name != old.name
                && store::all(st).iter().any(|t| !t.draft && t.name == name)
            {
                return error(
                    StatusCode::CONFLICT,
                    uri,
                    "Conflict",
                    &format!("A partition template named {name} already exists."),
                );
            }
            let t = Template {
                name,
                body,
                // A changed draft must be transformed again.
                transformed: false,
                ..old
            };
            save(rest, &t, uri)
        }
        ("DELETE", [KIND, id]) => {
            if !may_change() {
                return forbidden();
            }
            match store::get(st, id) {
                None => not_found(uri),
                Some(t) if t.builtin => error(
                    StatusCode::FORBIDDEN,
                    uri,
                    "Forbidden",
                    &format!("The predefined template {} cannot be deleted.", t.name),
                ),
                Some(_) => match store::remove(st, id) {
                    Ok(()) => no_content(),
                    Err(e) => error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        uri,
                        "Internal Server Error",
                        &e.to_string(),
                    ),
                },
            }
        }
        ("GET", [KIND, id, "do", op]) => match (store::get(st, id), job_name(op)) {
            (Some(_), Some(op)) => {
                let e = xml::web_entry(
                    "JobRequest",
                    &crate::ids::uuid("JobRequest", op),
                    None,
                    "V1_0",
                    &job_request(op),
                );
                Reply::ok(xml::media_type("web", "JobRequest"), e)
            }
            _ => not_found(uri),
        },
        ("PUT", [KIND, id, "do", op]) => {
            let Some(op) = job_name(op) else {
                return not_found(uri);
            };
            if !may_change() {
                return forbidden();
            }
            let Some(t) = store::get(st, id) else {
                return not_found(uri);
            };
            let params = match jobs::job_params(&text, uri, op) {
                Ok(p) => p,
                Err(e) => return e,
            };
            let Some(target) = params
                .iter()
                .find(|(k, _)| k == "TargetUuid")
                .map(|(_, v)| v.clone())
            else {
                return error(
                    StatusCode::BAD_REQUEST,
                    uri,
                    "Bad Request",
                    "The job needs the TargetUuid parameter: the managed system's UUID.",
                );
            };
            // The session memento is the client's own token: not kept.
            let shown: Vec<(String, String)> = params
                .into_iter()
                .filter(|(k, _)| k != "K_X_API_SESSION_MEMENTO")
                .collect();
            let (r, user) = (rest.clone(), user.to_string());
            let url = format!("{KIND}/{id}/do/{}", op.to_ascii_lowercase());
            run_job(rest, KIND, id, url, op, shown, async move {
                match run(&r, &user, op, t, &target).await {
                    Ok(results) => Outcome {
                        ok: true,
                        output: String::new(),
                        results,
                    },
                    Err(why) => Outcome {
                        ok: false,
                        output: why,
                        results: Vec::new(),
                    },
                }
            })
        }
        _ => not_found(uri),
    }
}

/// The jobs of a template, by the URL's word.
fn job_name(op: &str) -> Option<&'static str> {
    match op.to_ascii_lowercase().as_str() {
        "check" => Some("Check"),
        "transform" => Some("Transform"),
        "deploy" => Some("Deploy"),
        _ => None,
    }
}

fn job_request(op: &str) -> String {
    xml::group(
        "RequestedOperation",
        Some("CUR"),
        &[
            xml::el("OperationName", "ROR", op),
            xml::el("GroupName", "ROR", KIND),
        ],
    ) + &xml::group("JobParameters", Some("CUR"), &[])
}

fn millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Keeps `t` and answers with it as it is now.
fn save(rest: &Rest, t: &Template, uri: &str) -> Reply {
    match store::put(rest.hmc.users.store(), t) {
        Ok(()) => Reply::ok(media(), xml::document(&entry(&rest.base, t))),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            uri,
            "Internal Server Error",
            &format!("The template could not be saved: {e}"),
        ),
    }
}

/// A template job's work: its named results, or why it failed.
async fn run(
    rest: &Rest,
    user: &str,
    op: &str,
    t: Template,
    target: &str,
) -> Result<Vec<(String, String)>, String> {
    let st = rest.hmc.users.store();
    let frame = super::system::by_uuid(rest.hmc.view.frames(), target).ok_or_else(|| {
        format!("No managed system {target} is managed by this management console.")
    })?;
    let spec = spec_of(&t)?;
    match op {
        "Check" => {
            spec.check(&frame)?;
            if store::kept(st) >= store::KEEP {
                return Err("The template library is full: delete templates first.".into());
            }
            let draft = Template {
                uuid: crate::ids::uuid(KIND, &super::session_token()),
                draft: true,
                source: t.uuid.clone(),
                transformed: false,
                created: millis(),
                builtin: false,
                ..t
            };
            store::put(st, &draft).map_err(|e| e.to_string())?;
            Ok(vec![("TEMPLATE_UUID".into(), draft.uuid)])
        }
        "Transform" => {
            if !t.draft {
                return Err(format!(
                    "The template {} is not a draft: check it against the managed system first.",
                    t.name
                ));
            }
            spec.check(&frame)?;
            let done = Template {
                transformed: true,
                ..t
            };
            store::put(st, &done).map_err(|e| e.to_string())?;
            Ok(vec![("TEMPLATE_UUID".into(), done.uuid)])
        }
        _ => {
            if !t.draft {
                return Err(format!(
                    "The template {} is not a draft: check it against the managed system first.",
                    t.name
                ));
            }
            spec.check(&frame)?;
            let cmd = spec.command(&frame)?;
            let (out, code) = apply_as(&rest.hmc, user, "mksyscfg", Ok(cmd)).await;
            if code != 0 {
                return Err(out.trim_end().to_string());
            }
            let p = rest
                .hmc
                .view
                .frames()
                .into_iter()
                .find(|f| f.name == frame.name)
                .and_then(|f| {
                    f.partitions
                        .iter()
                        .find(|p| p.name == spec.lpar_name)
                        .cloned()
                })
                .ok_or_else(|| {
                    format!(
                        "The partition {} was created but is not yet shown by the managed system {}.",
                        spec.lpar_name, frame.name
                    )
                })?;
            // Its storage through the VIOS; a refusal takes the partition
            // away again, so a failed deploy leaves nothing behind.
            if let Err(e) = map_storage(rest, user, &frame.name, &spec, p.id).await {
                let rm = crate::commands::rmsyscfg::Rmsyscfg {
                    frame: frame.name.clone(),
                    target: crate::commands::rmsyscfg::Target::Lpar(
                        crate::commands::input::LparRef::Name(p.name.clone()),
                    ),
                };
                let (out, code) = apply_as(&rest.hmc, user, "rmsyscfg", Ok(rm)).await;
                if code != 0 {
                    tracing::warn!(lpar = %p.name, %out, "a failed deploy's partition could not be removed");
                }
                return Err(e);
            }
            // The draft has served; the template it came from stays.
            if let Err(e) = store::remove(st, &t.uuid) {
                tracing::warn!("a deployed draft template could not be removed: {e}");
            }
            Ok(vec![
                ("PartitionUuid".into(), crate::ids::partition(&p)),
                ("PartitionName".into(), p.name.clone()),
                ("PartitionID".into(), p.id.to_string()),
            ])
        }
    }
}

/// Maps a deployed partition's storage through the VIOS the template
/// names, one mapping at a time on the frame as it is after the last.
async fn map_storage(
    rest: &Rest,
    user: &str,
    frame: &str,
    spec: &spec::Spec,
    client_id: u32,
) -> Result<(), String> {
    if spec.storage.is_empty() {
        return Ok(());
    }
    let ctx = crate::hmc::Ctx::of(&rest.hmc, user)
        .ok_or_else(|| crate::hscl::Hscl::NoAuthority.to_string())?;
    for s in &spec.storage {
        let f = crate::lpm::frame_by(&ctx, frame)
            .ok_or_else(|| crate::hscl::Hscl::NoConnection(frame.to_string()).to_string())?;
        let vios = f
            .partitions
            .iter()
            .find(|p| p.name == s.vios)
            .ok_or_else(|| format!("The Virtual I/O Server {} does not exist.", s.vios))?;
        let m = crate::vmap::NewMapping {
            vios_id: vios.id,
            client_id,
            backing: s.backing.clone(),
            server_slot: s.server_slot,
            client_slot: s.client_slot,
            wwpns: s.wwpns.clone(),
        };
        crate::vmap::add(&ctx, &f, m)
            .await
            .map_err(|e| e.to_string().trim_end().to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_as_ansible_sends_it_keeps_the_elements_and_drops_the_metadata() {
        // copyPartitionTemplate: the template it read, namespace stripped,
        // renamed, one default namespace put back on the root.
        let t = store::builtins().remove(0);
        let sent = content(&t)
            .replace(
                &format!("<{KIND}:{KIND} xmlns:{KIND}=\"{TEMPLATES_NS}\" xmlns=\"{TEMPLATES_NS}\""),
                &format!("<{KIND} xmlns=\"{TEMPLATES_NS}\" xmlns:ns2=\"http://www.w3.org/XML/1998/namespace/k2\""),
            )
            .replace(&format!("</{KIND}:{KIND}>"), &format!("</{KIND}>"))
            .replace(">QuickStart_lpar_rpa_2<", ">ansible_powervm_create_1234<");
        let (name, body) = read_body(&sent, "/").ok().unwrap();
        assert_eq!(name, "ansible_powervm_create_1234");
        assert!(!body.contains("AtomID"));
        assert!(body.starts_with("<partitionTemplateName"));
        // Read back as the HMC shows it, the copy is the template.
        let copy = Template {
            uuid: "u".into(),
            body,
            ..t
        };
        assert_eq!(spec_of(&copy).map(|s| s.dedicated), Ok(true));
        assert!(
            read_body(
                "<PartitionTemplate xmlns=\"t\"><description>x</description></PartitionTemplate>",
                "/"
            )
            .is_err()
        );
        assert!(read_body("<Other/>", "/").is_err());
    }

    #[test]
    fn entries_carry_the_atom_id_where_ansible_looks_for_it() {
        let t = store::builtins().remove(0);
        let e = entry("https://h:443", &t);
        let f = xml::feed(KIND, &[e]);
        let d = roxmltree::Document::parse(&f).unwrap();
        // partitionTemplateName's preceding sibling Metadata holds the AtomID.
        let name = d
            .descendants()
            .find(|n| n.tag_name().name() == "partitionTemplateName")
            .unwrap();
        let meta = name
            .prev_siblings()
            .find(|n| n.tag_name().name() == "Metadata")
            .unwrap();
        assert_eq!(
            crate::rest::text_of(meta, "AtomID").as_deref(),
            Some(t.uuid.as_str())
        );
        assert_eq!(job_name("check"), Some("Check"));
        assert_eq!(job_name("frobnicate"), None);
    }
}
