//! The routes of Toxiproxy's HTTP API, each as Toxiproxy answers it.

use super::model::{Proxy, json_of, toxic_fault, toxic_json};
use super::{Api, DISABLED, Error, R, bad, not_found};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::sync::Arc;

const VERSION: &str = "2.12.0";

pub(super) fn router(api: Arc<Api>) -> Router {
    Router::new()
        .route("/version", get(|| async { VERSION }))
        .route("/reset", post(reset))
        .route("/populate", post(populate))
        .route("/proxies", get(proxies).post(create))
        .route(
            "/proxies/{proxy}",
            get(proxy).post(update).delete(delete_proxy),
        )
        .route("/proxies/{proxy}/toxics", get(toxics).post(add_toxic))
        .route(
            "/proxies/{proxy}/toxics/{toxic}",
            get(toxic).post(update_toxic).delete(delete_toxic),
        )
        .with_state(api)
}

type St = State<Arc<Api>>;

async fn proxies(State(api): St) -> R<Json<Value>> {
    let mut out = serde_json::Map::new();
    for (p, faults) in api.all_with_faults().await {
        out.insert(p.name.clone(), json_of(&p, &faults));
    }
    Ok(Json(Value::Object(out)))
}

async fn proxy(State(api): St, Path(name): Path<String>) -> R<Json<Value>> {
    let p = api.find(&name)?;
    Ok(Json(api.json(&p).await?))
}

async fn create(State(api): St, Json(body): Json<Value>) -> R<(StatusCode, Json<Value>)> {
    let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let name = field("name").ok_or_else(|| bad("a proxy needs a name"))?;
    if name.is_empty()
        || name.len() > 40
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
    {
        return Err(bad(format!(
            "bad proxy name {name:?}: 1 to 40 letters, digits, '-' or '_'"
        )));
    }
    if api.find(&name).is_ok() {
        return Err(Error(StatusCode::CONFLICT, "proxy already exists".into()));
    }
    let a = api.node_at(&field("listen").unwrap_or_default())?;
    let b = api.node_at(&field("upstream").unwrap_or_default())?;
    if a.name == b.name {
        return Err(bad("listen and upstream are the same node"));
    }
    let p = Proxy {
        name,
        listen: a.endpoint(),
        upstream: b.endpoint(),
    };
    api.added.add(p.clone());
    if body.get("enabled").and_then(Value::as_bool) == Some(false) {
        api.set_enabled(&p, false).await?;
    }
    Ok((StatusCode::CREATED, Json(api.json(&p).await?)))
}

async fn update(
    State(api): St,
    Path(name): Path<String>,
    Json(body): Json<Value>,
) -> R<Json<Value>> {
    let p = api.find(&name)?;
    for k in ["listen", "upstream"] {
        if let Some(v) = body.get(k).and_then(Value::as_str) {
            if api.node_at(v)?.endpoint()
                != if k == "listen" {
                    &p.listen
                } else {
                    &p.upstream
                }
                .as_str()
            {
                return Err(bad(format!(
                    "the {k} of a pvmlab proxy is a node of its link and cannot change; delete the proxy and create another"
                )));
            }
        }
    }
    if let Some(e) = body.get("enabled") {
        let e = e
            .as_bool()
            .ok_or_else(|| bad("enabled must be true or false"))?;
        api.set_enabled(&p, e).await?;
    }
    Ok(Json(api.json(&p).await?))
}

async fn delete_proxy(State(api): St, Path(name): Path<String>) -> R<StatusCode> {
    let p = api.find(&name)?;
    for (t, _) in api.faults(&p).await? {
        api.remove(&p, &t).await?;
    }
    api.added.remove(&name);
    // The lab's own links stay listed: they are the lab's wiring.
    Ok(StatusCode::NO_CONTENT)
}

async fn toxics(State(api): St, Path(name): Path<String>) -> R<Json<Value>> {
    let p = api.find(&name)?;
    let list: Vec<Value> = api
        .faults(&p)
        .await?
        .iter()
        .filter(|(t, _)| t != DISABLED)
        .map(|(t, f)| toxic_json(t, f))
        .collect();
    Ok(Json(Value::Array(list)))
}

async fn add_toxic(
    State(api): St,
    Path(name): Path<String>,
    Json(body): Json<Value>,
) -> R<Json<Value>> {
    let p = api.find(&name)?;
    let peer = api.node_at(&p.upstream)?.name;
    let (toxic, f) = toxic_fault(&p, &peer, &body, None)?;
    if toxic == DISABLED {
        return Err(bad("the toxic name disabled is pvmlab's own"));
    }
    if api.faults(&p).await?.iter().any(|(t, _)| *t == toxic) {
        return Err(Error(StatusCode::CONFLICT, "toxic already exists".into()));
    }
    let stored = api.add(&p, f).await?;
    Ok(Json(toxic_json(&toxic, &stored)))
}

async fn toxic(State(api): St, Path((name, toxic)): Path<(String, String)>) -> R<Json<Value>> {
    let p = api.find(&name)?;
    api.faults(&p)
        .await?
        .iter()
        .find(|(t, _)| *t == toxic && t != DISABLED)
        .map(|(t, f)| Json(toxic_json(t, f)))
        .ok_or_else(|| not_found("toxic not found"))
}

async fn update_toxic(
    State(api): St,
    Path((name, toxic)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> R<Json<Value>> {
    let p = api.find(&name)?;
    let old = api
        .faults(&p)
        .await?
        .into_iter()
        .find(|(t, _)| *t == toxic && t != DISABLED)
        .map(|(t, f)| toxic_json(&t, &f))
        .ok_or_else(|| not_found("toxic not found"))?;
    let peer = api.node_at(&p.upstream)?.name;
    let mut body = body;
    if let Some(o) = body.as_object_mut() {
        o.insert("name".into(), Value::String(toxic.clone()));
    }
    // Checked before the old one goes, so a bad update changes nothing.
    let (_, f) = toxic_fault(&p, &peer, &body, Some(&old))?;
    api.remove(&p, &toxic).await?;
    let stored = api.add(&p, f).await?;
    Ok(Json(toxic_json(&toxic, &stored)))
}

async fn delete_toxic(
    State(api): St,
    Path((name, toxic)): Path<(String, String)>,
) -> R<StatusCode> {
    let p = api.find(&name)?;
    if toxic == DISABLED {
        return Err(not_found("toxic not found"));
    }
    api.remove(&p, &toxic).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every proxy enabled, every toxic gone.
async fn reset(State(api): St) -> R<StatusCode> {
    for (p, faults) in api.all_with_faults().await {
        for (t, _) in faults {
            api.remove(&p, &t).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn populate(State(api): St, Json(body): Json<Value>) -> R<(StatusCode, Json<Value>)> {
    let list = body
        .as_array()
        .ok_or_else(|| bad("populate takes an array of proxies"))?;
    let mut out = Vec::new();
    for p in list {
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let v = match api.find(name) {
            Ok(existing) => api.json(&existing).await?,
            Err(_) => create(State(api.clone()), Json(p.clone())).await?.1.0,
        };
        out.push(v);
    }
    Ok((StatusCode::CREATED, Json(json!({ "proxies": out }))))
}
