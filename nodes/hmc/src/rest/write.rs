//! Where the REST API's writes go: the template library
//! (`/rest/api/templates/…`, `templates/`) and changes of a partition
//! (`POST …/LogicalPartition/{uuid}`, `lpar_write.rs`), new VIOS mappings
//! (`POST …/VirtualIOServer/{uuid}`, `vios_write.rs`). Reads stay with
//! `Rest::read`; what is not a write here is left to it.

use super::{Reply, Rest, lpar_write, templates, vios_write};
use axum::http::{Method, request::Parts};
use std::sync::Arc;

/// The answer to a write `handle` should give, if the request is one.
pub async fn route(rest: &Arc<Rest>, user: &str, parts: &Parts, body: &[u8]) -> Option<Reply> {
    let uri = parts.uri.path();
    let path = uri.trim_end_matches('/');
    if let Some(rel) = path.strip_prefix("/rest/api/templates") {
        let query = parts.uri.query().unwrap_or("");
        return Some(templates::route(rest, user, &parts.method, rel, query, body, uri).await);
    }
    let rel = path.strip_prefix("/rest/api/uom")?;
    let segs: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let tail = match segs.as_slice() {
        ["ManagedSystem", _, more @ ..] => more,
        all => all,
    };
    match (&parts.method, segs.as_slice(), tail) {
        (&Method::POST, _, ["VirtualIOServer", uuid]) => {
            Some(vios_write::post(rest, user, uuid, rel, body, uri).await)
        }
        (&Method::POST, _, ["LogicalPartition", uuid]) => {
            Some(lpar_write::post(rest, user, uuid, rel, &parts.headers, body, uri).await)
        }
        (&Method::PUT, ["ManagedSystem", ms, "LogicalPartition"], _) => {
            Some(lpar_write::create(rest, user, ms, body, uri).await)
        }
        (&Method::DELETE, _, ["LogicalPartition", uuid]) => {
            Some(lpar_write::delete(rest, user, uuid, uri).await)
        }
        _ => None,
    }
}
