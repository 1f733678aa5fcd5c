//! The HMC's REST API (HTTPS on `rest_port`, 12443 by default, and on 443
//! where the HMC may bind it), as pypowervm and Ansible's REST modules use
//! it: `PUT /rest/api/web/Logon` gives an `X-API-Session` token for a
//! user of this HMC, `DELETE` ends it; every other call needs a live token
//! (401 otherwise). Feeds and entries are Atom around the UOM objects
//! (`xml.rs`), built from the same view of the frames the command line
//! uses, so both faces always agree.
//!
//! What is here so far: logon and logoff, the job model (`jobs/`),
//! events (`events.rs`), `ManagementConsole`,
//! `ManagedSystem` (feed, entry by UUID, `search/(SystemName==…)`, `quick`),
//! `LogicalPartition` and `VirtualIOServer` (at the root and under their
//! frame; by UUID, `search/(PartitionName==…)`, `quick`),
//! ETags with `If-None-Match`, and the HMC's `HttpErrorResponse` for bad
//! sessions, unknown paths and bad requests.

mod adapter;
mod console;
pub mod events;
mod jobs;
mod partition;
mod pcm;
mod pool;
mod system;
pub mod xml;

use crate::hmc::Hmc;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a session lives without being used.
const IDLE: Duration = Duration::from_secs(2 * 3600);

pub struct Rest {
    hmc: Arc<Hmc>,
    /// Jobs run the HMC's own commands.
    jobs: jobs::Jobs,
    events: events::Events,
    /// `https://<address>:<port>`, for links.
    base: String,
    sessions: Mutex<HashMap<String, (String, Instant)>>,
}

/// The REST API's answer: status, media type, body, ETag.
pub struct Reply {
    status: StatusCode,
    media: String,
    body: String,
    etag: Option<String>,
}

impl Reply {
    fn ok(media: String, body: String) -> Reply {
        let etag = Some(xml::etag(&body));
        Reply {
            status: StatusCode::OK,
            media,
            body,
            etag,
        }
    }
}

impl Reply {
    /// A feed of `kind`'s entries.
    fn feed(kind: &str, entries: &[String]) -> Reply {
        Reply::ok("application/atom+xml".into(), xml::feed(kind, entries))
    }

    /// One entry of `kind` on its own.
    fn entry(kind: &str, entry: &str) -> Reply {
        Reply::ok(xml::media_type("uom", kind), xml::document(entry))
    }
}

/// A collection of `kind`, as (UUID, entry): the feed, or one by its UUID.
fn collection(kind: &str, entries: Vec<(String, String)>, rest_of_path: &[&str]) -> Option<Reply> {
    match rest_of_path {
        [] => Some(Reply::feed(
            kind,
            &entries.into_iter().map(|(_, e)| e).collect::<Vec<_>>(),
        )),
        [id] => entries
            .into_iter()
            .find(|(u, _)| u == id)
            .map(|(_, e)| Reply::entry(kind, &e)),
        _ => None,
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut r = (self.status, self.body).into_response();
        if let Some(v) = HeaderValue::from_str(&self.media)
            .ok()
            .filter(|_| !self.media.is_empty())
        {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        if let Some(e) = self.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            r.headers_mut().insert(header::ETAG, e);
        }
        r
    }
}

/// The HMC's error document: an Atom entry around an HttpErrorResponse
/// (pypowervm's `fake_httperror.txt`), which pypowervm wraps to read the
/// message.
pub fn error(status: StatusCode, uri: &str, reason: &str, message: &str) -> Reply {
    let kind = "HttpErrorResponse";
    let fields = [
        xml::el("HTTPStatus", "ROR", &status.as_u16().to_string()),
        xml::el("RequestURI", "ROR", uri),
        xml::el("ReasonCode", "ROR", reason),
        xml::el("Message", "ROO", message),
        "<RequestBody kb=\"ROO\" kxe=\"false\"/>".to_string(),
    ];
    let id = crate::ids::uuid(kind, &format!("{uri}/{}", session_token()));
    let body = xml::web_entry(kind, &id, None, "V1_2_0", &fields.concat());
    Reply {
        status,
        media: "application/atom+xml".into(),
        body,
        etag: None,
    }
}

impl Rest {
    pub fn new(hmc: Arc<Hmc>, base: String) -> Arc<Rest> {
        Arc::new(Rest {
            hmc,
            jobs: jobs::Jobs::default(),
            events: events::Events::default(),
            base,
            sessions: Mutex::default(),
        })
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user of a live session, which this use keeps alive.
    fn user_of(&self, headers: &HeaderMap) -> Option<String> {
        let token = headers.get("X-API-Session")?.to_str().ok()?;
        let mut s = self.sessions();
        let now = Instant::now();
        s.retain(|_, (_, at)| now.duration_since(*at) < IDLE);
        let (user, at) = s.get_mut(token)?;
        *at = now;
        Some(user.clone())
    }

    async fn logon(&self, uri: &str, body: &[u8]) -> Reply {
        let text = String::from_utf8_lossy(body);
        let doc = match parse(&text, uri, "LogonRequest") {
            Ok(d) => d,
            Err(e) => return e,
        };
        let root = doc.root_element();
        let (Some(user), Some(password)) = (text_of(root, "UserID"), text_of(root, "Password"))
        else {
            return error(
                StatusCode::BAD_REQUEST,
                uri,
                "Bad Request",
                "The LogonRequest must hold a UserID and a Password.",
            );
        };
        if !self.hmc.users.check_password(&user, &password) {
            tracing::warn!(%user, "REST logon refused");
            return error(
                StatusCode::UNAUTHORIZED,
                uri,
                "Unauthorized",
                "Logon failed: the user name or password is not correct.",
            );
        }
        let token = session_token();
        self.sessions()
            .insert(token.clone(), (user.clone(), Instant::now()));
        tracing::info!(%user, "REST logon");
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<LogonResponse xmlns=\"{}\" schemaVersion=\"V1_1_0\"><Metadata><Atom/></Metadata>{}</LogonResponse>",
            xml::WEB_NS,
            xml::el("X-API-Session", "ROR", &token)
        );
        Reply {
            status: StatusCode::OK,
            media: xml::media_type("web", "LogonResponse"),
            body,
            etag: None,
        }
    }

    /// GET under /rest/api/uom/.
    fn read(&self, path: &str, uri: &str) -> Reply {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let found = match parts.first().copied() {
            Some("ManagementConsole") => console::read(self, &parts[1..]),
            Some("ManagedSystem") => system::read(self, &parts[1..]),
            Some(kind) if partition::KINDS.contains(&kind) => {
                partition::read(self, kind, &self.hmc.view.frames(), &parts[1..])
            }
            _ => None,
        };
        found.unwrap_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                uri,
                "Not Found",
                &format!("The requested resource {uri} was not found on this management console."),
            )
        })
    }
}

/// A request body read as XML, or the HttpErrorResponse that says why not.
fn parse<'a>(text: &'a str, uri: &str, root: &str) -> Result<roxmltree::Document<'a>, Reply> {
    let doc = roxmltree::Document::parse(text).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            uri,
            "Bad Request",
            &format!("The request body is not well-formed XML: {e}."),
        )
    })?;
    if doc.root_element().tag_name().name() != root {
        return Err(error(
            StatusCode::BAD_REQUEST,
            uri,
            "Bad Request",
            &format!("The body must be a {root}."),
        ));
    }
    Ok(doc)
}

/// The text of the first element called `name` (any namespace) under `node`.
fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.descendants()
        .find(|n| n.tag_name().name() == name)
        .map(|n| n.text().unwrap_or_default().to_string())
}

fn session_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for _ in 0..4 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

async fn handle(State(rest): State<Arc<Rest>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let uri = parts.uri.path().to_string();
    let body: Bytes = match axum::body::to_bytes(body, 1 << 20).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &uri,
                "Payload Too Large",
                "The request body is larger than 1 MiB.",
            )
            .into_response();
        }
    };
    let path = uri.trim_end_matches('/');
    // A body must say what it is, as the HMC's media types do.
    let media_ok = |kind: &str| {
        parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.contains("application/vnd.ibm.powervm.web+xml")
                    && v.contains(&format!("type={kind}"))
            })
    };
    let wrong_media = |kind: &str| {
        error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &uri,
            "Unsupported Media Type",
            &format!(
                "The request body must be sent as {}.",
                xml::media_type("web", kind)
            ),
        )
        .into_response()
    };
    if path == "/rest/api/web/Logon" {
        return match parts.method {
            Method::PUT if !media_ok("LogonRequest") => wrong_media("LogonRequest"),
            Method::PUT => {
                let mut r = rest.logon(&uri, &body).await.into_response();
                // What pypowervm reads to tell an HMC from NovaLink.
                r.headers_mut()
                    .insert("X-MC-Type", HeaderValue::from_static("HMC"));
                r
            }
            Method::DELETE => {
                if let Some(t) = parts
                    .headers
                    .get("X-API-Session")
                    .and_then(|v| v.to_str().ok())
                {
                    rest.sessions().remove(t);
                }
                StatusCode::NO_CONTENT.into_response()
            }
            _ => error(
                StatusCode::METHOD_NOT_ALLOWED,
                &uri,
                "Method Not Allowed",
                "Logon takes PUT (log on) and DELETE (log off).",
            )
            .into_response(),
        };
    }
    let Some(user) = rest.user_of(&parts.headers) else {
        return error(
            StatusCode::UNAUTHORIZED,
            &uri,
            "Unauthorized",
            "The request has no valid X-API-Session: log on first (PUT /rest/api/web/Logon).",
        )
        .into_response();
    };
    if let Some(rel) = path.strip_prefix("/rest/api/pcm") {
        return pcm::handle(&rest, &user, &parts, rel, &body).into_response();
    }
    let Some(rel) = path.strip_prefix("/rest/api/uom") else {
        return rest.read("", &uri).into_response();
    };
    let segs: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    if segs == ["Event"] && parts.method == Method::GET {
        return events::poll(&rest, parts.uri.query().unwrap_or(""))
            .await
            .into_response();
    }
    if segs.first() == Some(&"jobs") {
        return jobs::job(&rest, &parts.method, &segs[1..], &uri).into_response();
    }
    // …/{LogicalPartition|VirtualIOServer}/{uuid}/do/{op}, at the root or
    // under its ManagedSystem.
    let tail = match segs.as_slice() {
        ["ManagedSystem", _, more @ ..] if more.len() == 4 => more,
        all => all,
    };
    if let [group, uuid, "do", op] = tail {
        if partition::KINDS.contains(group) {
            return match parts.method {
                Method::GET => jobs::template(&rest, group, uuid, op, &uri),
                Method::PUT if !media_ok("JobRequest") => return wrong_media("JobRequest"),
                Method::PUT => jobs::start(
                    &rest,
                    &user,
                    group,
                    uuid,
                    op,
                    &String::from_utf8_lossy(&body),
                    &uri,
                ),
                _ => error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &uri,
                    "Method Not Allowed",
                    "A job is read with GET and run with PUT.",
                ),
            }
            .into_response();
        }
    }
    if parts.method != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            &uri,
            "Method Not Allowed",
            &format!(
                "{} is not supported on {uri} by this management console.",
                parts.method
            ),
        )
        .into_response();
    }
    let reply = rest.read(rel, &uri);
    // A client that has this version already gets 304 and no body.
    let unchanged = reply.status == StatusCode::OK
        && reply.etag.as_deref().is_some_and(|e| {
            parts
                .headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim_matches('"') == e)
        });
    if unchanged {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    reply.into_response()
}

/// Serves HTTPS on `addr` with the HMC's own certificate until the process
/// ends. A port that cannot be bound is logged, not fatal.
pub async fn serve(rest: Arc<Rest>, addr: String, tls: Arc<rustls::ServerConfig>) {
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("REST API cannot listen on {addr}: {e}");
            return;
        }
    };
    tracing::info!(%addr, "REST API listening");
    let app = Router::new().fallback(handle).with_state(rest);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            else {
                return;
            };
            let svc = hyper_util::service::TowerToHyperService::new(app);
            let _ =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_bodies_are_read_as_xml() {
        let b = r#"<LogonRequest xmlns="x" schemaVersion="V1_1_0"><Metadata><Atom/></Metadata><UserID kb="CUR">hscroot</UserID><Password kb="CUR">a&amp;b</Password></LogonRequest>"#;
        let d = super::parse(b, "/", "LogonRequest").ok().unwrap();
        assert_eq!(
            super::text_of(d.root_element(), "Password").as_deref(),
            Some("a&b")
        );
        let p = r#"<j:JobRequest xmlns:j="x"><j:UserID>u</j:UserID></j:JobRequest>"#;
        let d = super::parse(p, "/", "JobRequest").ok().unwrap();
        assert_eq!(
            super::text_of(d.root_element(), "UserID").as_deref(),
            Some("u")
        );
        assert!(super::parse("<LogonRequest><UserID>", "/", "LogonRequest").is_err());
        assert!(super::parse("<Other/>", "/", "LogonRequest").is_err());
    }
}
