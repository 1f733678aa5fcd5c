//! The HMC's REST API (HTTPS on `rest_port`, 12443 by default, and on 443
//! where the HMC may bind it), as pypowervm and Ansible's REST modules use
//! it: `PUT /rest/api/web/Logon` gives an `X-API-Session` token for a
//! user of this HMC, `DELETE` ends it; every other call needs a live token
//! (401 otherwise). Feeds and entries are Atom around the UOM objects
//! (`xml.rs`), built from the same view of the frames the command line
//! uses, so both faces always agree.
//!
//! What is here so far: logon and logoff (the token in the LogonResponse
//! and in an `X-API-Session` header), the job model (`jobs/`), events
//! (`events.rs`), `ManagementConsole`, `ManagedSystem` (feed, entry by
//! UUID, `search/(…)` with quoted or bare values, `quick` forms in JSON,
//! `VirtualSwitch`, `VirtualNetwork`, `SharedProcessorPool`),
//! `LogicalPartition` and `VirtualIOServer` (at the root and under their
//! frame; by UUID, searches, `quick`; a VIOS with the mappings, SEAs and
//! trunk adapters its own devices show), `Cluster`, `SharedStoragePool`
//! and `Job` as an HMC without them answers, the web resources `HmcUser`,
//! `HmcPasswordPolicy` and `HmcLdapServer`, ETags with `If-None-Match`,
//! an empty feed as 204 No Content, and the HMC's `HttpErrorResponse` for
//! bad sessions, unknown paths and bad requests. Links carry the address
//! the client used (its Host header).

mod adapter;
mod cluster;
mod console;
pub mod events;
mod jobs;
mod lpar_write;
mod network;
mod partition;
mod pcm;
mod pool;
mod quick;
mod search;
mod system;
mod templates;
mod vios;
mod vios_write;
mod web;
mod write;
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
    /// A feed of `kind`'s entries; none is 204 No Content, as the HMC
    /// answers an empty feed or a search that finds nothing (pypowervm
    /// and Ansible's REST client read it so).
    fn feed(kind: &str, entries: &[String]) -> Reply {
        if entries.is_empty() {
            return Reply::no_content();
        }
        Reply::ok("application/atom+xml".into(), xml::feed(kind, entries))
    }

    fn no_content() -> Reply {
        Reply {
            status: StatusCode::NO_CONTENT,
            media: String::new(),
            body: String::new(),
            etag: None,
        }
    }

    /// A `quick` answer: JSON, as the HMC sends it.
    fn json(v: &serde_json::Value) -> Reply {
        Reply::ok("application/json".into(), v.to_string())
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

    /// The LogonResponse and the new session's token, or the refusal.
    async fn logon(&self, uri: &str, body: &[u8]) -> Result<(Reply, String), Reply> {
        let text = String::from_utf8_lossy(body);
        let doc = parse(&text, uri, "LogonRequest")?;
        let root = doc.root_element();
        let (Some(user), Some(password)) = (text_of(root, "UserID"), text_of(root, "Password"))
        else {
            return Err(error(
                StatusCode::BAD_REQUEST,
                uri,
                "Bad Request",
                "The LogonRequest must hold a UserID and a Password.",
            ));
        };
        if !self.hmc.users.check_password(&user, &password) {
            tracing::warn!(%user, "REST logon refused");
            return Err(error(
                StatusCode::UNAUTHORIZED,
                uri,
                "Unauthorized",
                "Logon failed: the user name or password is not correct.",
            ));
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
        let reply = Reply {
            status: StatusCode::OK,
            media: xml::media_type("web", "LogonResponse"),
            body,
            etag: None,
        };
        Ok((reply, token))
    }
}

/// One GET as the client asked it: who asked, and the address it used,
/// which every link in the answer carries (a client that came in on 443
/// follows links to 443, not to 12443).
pub struct Get<'a> {
    pub rest: &'a Arc<Rest>,
    /// `https://<host>[:<port>]`.
    pub base: String,
    pub user: String,
}

impl Get<'_> {
    pub fn hmc(&self) -> &Hmc {
        &self.rest.hmc
    }

    /// The core's context for this user, for what the REST API reads
    /// from the nodes (a VIOS's devices).
    fn ctx(&self) -> Option<crate::hmc::Ctx<'_>> {
        crate::hmc::Ctx::of(&self.rest.hmc, &self.user)
    }

    /// GET under /rest/api/uom/.
    pub(super) async fn read(&self, path: &str, uri: &str) -> Reply {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let found = match parts.first().copied() {
            Some("ManagementConsole") => console::read(self, &parts[1..]).await,
            Some("ManagedSystem") => system::read(self, &parts[1..]).await,
            Some(kind) if partition::KINDS.contains(&kind) => {
                let frames = self.hmc().view.frames();
                partition::read(self, kind, &frames, &parts[1..]).await
            }
            Some(kind) if cluster::KINDS.contains(&kind) => cluster::read(kind, &parts[1..]),
            _ => None,
        };
        found.unwrap_or_else(|| not_found(uri))
    }
}

/// The HMC's 404 for a path it has nothing at.
fn not_found(uri: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        uri,
        "Not Found",
        &format!("The requested resource {uri} was not found on this management console."),
    )
}

/// `https://` and the Host the client sent (HTTP/2: the authority), when
/// it is a plain host[:port]; else the address the HMC listens on.
fn base_of(parts: &axum::http::request::Parts, fallback: &str) -> String {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    match host {
        Some(h)
            if !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c)) =>
        {
            format!("https://{h}")
        }
        _ => fallback.to_string(),
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
    // Clients send search values as they are (`'sys2'`) or encoded
    // (`%27sys2%27`); both name the same thing.
    let uri = percent_encoding::percent_decode_str(parts.uri.path())
        .decode_utf8_lossy()
        .into_owned();
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
    if path == "/rest/api/web/Logon" {
        return match parts.method {
            Method::PUT if !media_ok(&parts, "LogonRequest") => wrong_media(&uri, "LogonRequest"),
            Method::PUT => {
                let (reply, token) = match rest.logon(&uri, &body).await {
                    Ok((reply, token)) => (reply, Some(token)),
                    Err(refused) => (refused, None),
                };
                let mut r = reply.into_response();
                // What pypowervm reads to tell an HMC from NovaLink.
                r.headers_mut()
                    .insert("X-MC-Type", HeaderValue::from_static("HMC"));
                // The token in the body is where pypowervm, Ansible and
                // hmc-mcp read it; power-hmc-mcp reads this header.
                if let Some(v) = token.and_then(|t| HeaderValue::from_str(&t).ok()) {
                    r.headers_mut().insert("X-API-Session", v);
                }
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
    if let Some(r) = write::route(&rest, &user, &parts, &body).await {
        return r.into_response();
    }
    let g = Get {
        rest: &rest,
        base: base_of(&parts, &rest.base),
        user,
    };
    // One line per API root. `uom` and `web` are here; another root (the
    // templates, PCM) is one more line of its own.
    let Some(rel) = path.strip_prefix("/rest/api/") else {
        return not_found(&uri).into_response();
    };
    let (root, rel) = rel.split_once('/').unwrap_or((rel, ""));
    match root {
        "uom" => uom(&g, &parts, &body, rel, &uri).await,
        "pcm" => pcm::handle(g.rest, &g.user, &parts, rel, &body).into_response(),
        "web" => web::handle(
            &g,
            &parts.method,
            rel,
            parts.uri.query().unwrap_or(""),
            &uri,
        )
        .into_response(),
        _ => not_found(&uri).into_response(),
    }
}

/// Under /rest/api/uom/: events, jobs, a partition's operations, then the
/// objects.
async fn uom(
    g: &Get<'_>,
    parts: &axum::http::request::Parts,
    body: &Bytes,
    rel: &str,
    uri: &str,
) -> Response {
    let rest = g.rest;
    let segs: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    if segs == ["Event"] && parts.method == Method::GET {
        return events::poll(rest, parts.uri.query().unwrap_or(""))
            .await
            .into_response();
    }
    if segs.first() == Some(&"jobs") {
        return jobs::job(rest, &parts.method, &segs[1..], uri).into_response();
    }
    // `Job/{id}` is the same job (hmc-mcp reads it there); the HMC lists
    // no jobs at `Job` itself.
    match segs.as_slice() {
        ["Job"] if parts.method == Method::GET => return Reply::no_content().into_response(),
        ["Job", more @ ..] => return jobs::job(rest, &parts.method, more, uri).into_response(),
        _ => {}
    }
    // …/{LogicalPartition|VirtualIOServer}/{uuid}/do/{op}, at the root or
    // under its ManagedSystem.
    let tail = match segs.as_slice() {
        ["ManagedSystem", _, more @ ..] if more.len() == 4 => more,
        all => all,
    };
    if let [group, uuid, "do", op] = tail
        && partition::KINDS.contains(group)
    {
        return match parts.method {
            Method::GET => jobs::template(rest, group, uuid, op, uri),
            Method::PUT if !media_ok(parts, "JobRequest") => {
                return wrong_media(uri, "JobRequest");
            }
            Method::PUT => jobs::start(
                rest,
                &g.user,
                group,
                uuid,
                op,
                &String::from_utf8_lossy(body),
                uri,
            ),
            _ => error(
                StatusCode::METHOD_NOT_ALLOWED,
                uri,
                "Method Not Allowed",
                "A job is read with GET and run with PUT.",
            ),
        }
        .into_response();
    }
    if parts.method != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            uri,
            "Method Not Allowed",
            &format!(
                "{} is not supported on {uri} by this management console.",
                parts.method
            ),
        )
        .into_response();
    }
    let reply = g.read(rel, uri).await;
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

/// A body must say what it is, as the HMC's media types do.
fn media_ok(parts: &axum::http::request::Parts, kind: &str) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.contains("application/vnd.ibm.powervm.web+xml") && v.contains(&format!("type={kind}"))
        })
}

fn wrong_media(uri: &str, kind: &str) -> Response {
    error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        uri,
        "Unsupported Media Type",
        &format!(
            "The request body must be sent as {}.",
            xml::media_type("web", kind)
        ),
    )
    .into_response()
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
    fn links_carry_the_host_the_client_used() {
        let parts = |host: Option<&str>| {
            let mut b = axum::http::Request::builder().uri("/rest/api/uom/ManagedSystem");
            if let Some(h) = host {
                b = b.header(axum::http::header::HOST, h);
            }
            b.body(()).unwrap().into_parts().0
        };
        let fallback = "https://10.0.0.1:12443";
        assert_eq!(
            super::base_of(&parts(Some("hmc1.example.com:443")), fallback),
            "https://hmc1.example.com:443"
        );
        assert_eq!(
            super::base_of(&parts(Some("[::1]:12443")), fallback),
            "https://[::1]:12443"
        );
        assert_eq!(super::base_of(&parts(None), fallback), fallback);
        // Nothing but a host and port goes into a link.
        assert_eq!(
            super::base_of(&parts(Some("x\"><script>")), fallback),
            fallback
        );
    }

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
