//! `pvmlab toxiproxy [--listen 127.0.0.1:8474]`: Toxiproxy's HTTP API over
//! the lab's fault layer, so that toxiproxy-python, chaostoolkit-toxiproxy
//! and toxiproxy-cli drive pvmlab unmodified.
//!
//! A proxy is a link between two nodes of the lab: `listen` is one node
//! (A) and `upstream` the other (B), each as `address:port` as Toxiproxy
//! shows them. The lab's links come ready-made (`hmc1--sys1`,
//! `sys1--sys1-vios1`, `sys1-vios1--sys2-vios1` …); POST /proxies adds
//! others between any two nodes. A toxic is a fault held by A with B as
//! peer, named `<proxy>.<toxic>`: `upstream` is what A sends, `downstream`
//! what A receives. Every connection between the two passes A's fault
//! layer, whichever side dialled. A disabled proxy is a cut link. The
//! toxics live in the nodes, so this process keeps no state but the
//! proxies added by hand (`<lab>/toxiproxy.json`).

use crate::client::Clients;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use pvmlab_common::lab::LabDir;
use pvmlab_common::proto::chaos::{
    AddFaultRequest, Fault as WireFault, ListFaultsRequest, RemoveFaultRequest,
};
use pvmlab_common::topology::{NodeDef, Topology, vios_node_name};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const VERSION: &str = "2.12.0";
const DISABLED: &str = "disabled";

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
struct Proxy {
    name: String,
    listen: String,
    upstream: String,
}

struct Api {
    lab: LabDir,
    topo: Topology,
    clients: Clients,
    /// Proxies added through the API, kept in the lab directory.
    added: Mutex<Vec<Proxy>>,
}

/// Toxiproxy's error body: `{"error": …, "status": …}`.
struct Error(StatusCode, String);

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({"error": self.1, "status": self.0.as_u16()})),
        )
            .into_response()
    }
}

fn bad(m: impl Into<String>) -> Error {
    Error(StatusCode::BAD_REQUEST, m.into())
}

fn not_found(m: impl Into<String>) -> Error {
    Error(StatusCode::NOT_FOUND, m.into())
}

type R<T> = Result<T, Error>;

pub fn run(lab: &LabDir, listen: &str) -> anyhow::Result<()> {
    let topo = crate::lab_topology(lab)?;
    let added = std::fs::read(lab.root().join("toxiproxy.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let api = Arc::new(Api {
            lab: lab.clone(),
            topo,
            clients: Clients::new(lab)?,
            added: Mutex::new(added),
        });
        let app = Router::new()
            .route("/version", get(|| async { VERSION }))
            .route("/reset", axum::routing::post(reset))
            .route("/populate", axum::routing::post(populate))
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
            .with_state(api);
        let listener = tokio::net::TcpListener::bind(listen).await?;
        println!(
            "Toxiproxy API for lab {} on http://{}",
            lab.root().display(),
            listener.local_addr()?
        );
        axum::serve(listener, app).await?;
        anyhow::Ok(())
    })
}

impl Api {
    /// The lab's links, then the proxies added by hand.
    fn all(&self) -> Vec<Proxy> {
        let t = &self.topo;
        let ep = |n: &str| t.node(n).map(|n| n.endpoint()).unwrap_or_default();
        let link = |a: &str, b: &str| Proxy {
            name: format!("{a}--{b}"),
            listen: ep(a),
            upstream: ep(b),
        };
        let mut out = Vec::new();
        for f in &t.frame {
            let frame = f.name.get_ref();
            let vioses: Vec<String> = f
                .vios
                .iter()
                .map(|v| vios_node_name(frame, v.name.get_ref()))
                .collect();
            for h in f.managed_by.get_ref() {
                out.push(link(h, frame));
                out.extend(vioses.iter().map(|v| link(h, v)));
            }
            out.extend(vioses.iter().map(|v| link(frame, v)));
        }
        let msps: Vec<(String, String)> = t
            .frame
            .iter()
            .flat_map(|f| {
                f.vios.iter().filter(|v| v.msp).map(|v| {
                    (
                        f.name.get_ref().clone(),
                        vios_node_name(f.name.get_ref(), v.name.get_ref()),
                    )
                })
            })
            .collect();
        for (i, (fa, a)) in msps.iter().enumerate() {
            for (fb, b) in &msps[i + 1..] {
                if fa != fb {
                    out.push(link(a, b));
                }
            }
        }
        for (i, a) in t.hmc.iter().enumerate() {
            for b in &t.hmc[i + 1..] {
                out.push(link(a.name.get_ref(), b.name.get_ref()));
            }
        }
        out.extend(self.added.lock().unwrap_or_else(|e| e.into_inner()).clone());
        out
    }

    fn find(&self, name: &str) -> R<Proxy> {
        self.all()
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| not_found("proxy not found"))
    }

    /// The node an address names: `address:port`, or a node name.
    fn node_at(&self, addr: &str) -> R<NodeDef> {
        self.topo
            .nodes()
            .into_iter()
            .find(|n| n.endpoint() == addr || n.name == addr)
            .ok_or_else(|| {
                bad(format!(
                    "{addr} is not a node of the lab: a pvmlab proxy is a link between two nodes, given as listen and upstream (address:port or node name)"
                ))
            })
    }

    fn save(&self) {
        let added = self.added.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Ok(b) = serde_json::to_vec_pretty(&added) {
            let _ = std::fs::write(self.lab.root().join("toxiproxy.json"), b);
        }
    }

    /// The faults A holds for this proxy: (toxic name, fault).
    /// Every fault the node at `addr` holds (one RPC).
    async fn node_faults(&self, addr: &str) -> R<Vec<WireFault>> {
        let a = self.node_at(addr)?;
        let mut c = self.clients.control(&a).map_err(internal)?;
        Ok(rpc(c.list_faults(ListFaultsRequest {})).await?.faults)
    }

    async fn faults(&self, p: &Proxy) -> R<Vec<(String, WireFault)>> {
        Ok(of_proxy(p, self.node_faults(&p.listen).await?))
    }

    /// Every proxy with its faults, each listening node asked once; a
    /// node that does not answer (down, perhaps by chaos) holds none.
    async fn all_with_faults(&self) -> Vec<(Proxy, Vec<(String, WireFault)>)> {
        let mut by_node: HashMap<String, Vec<WireFault>> = HashMap::new();
        let mut out = Vec::new();
        for p in self.all() {
            if !by_node.contains_key(&p.listen) {
                let f = self.node_faults(&p.listen).await.unwrap_or_default();
                by_node.insert(p.listen.clone(), f);
            }
            let faults = of_proxy(&p, by_node[&p.listen].clone());
            out.push((p, faults));
        }
        out
    }

    async fn json(&self, p: &Proxy) -> R<Value> {
        Ok(json_of(p, &self.faults(p).await?))
    }
}

/// A proxy's own faults among its listening node's, by toxic name.
fn of_proxy(p: &Proxy, faults: Vec<WireFault>) -> Vec<(String, WireFault)> {
    let prefix = format!("{}.", p.name);
    faults
        .into_iter()
        .filter_map(|f| Some((f.name.strip_prefix(&prefix)?.to_string(), f)))
        .collect()
}

/// A proxy as Toxiproxy shows it.
fn json_of(p: &Proxy, faults: &[(String, WireFault)]) -> Value {
    let enabled = !faults.iter().any(|(t, _)| t == DISABLED);
    let toxics: Vec<Value> = faults
        .iter()
        .filter(|(t, _)| t != DISABLED)
        .map(|(t, f)| toxic_json(t, f))
        .collect();
    json!({
        "name": p.name, "listen": p.listen, "upstream": p.upstream,
        "enabled": enabled, "toxics": toxics,
    })
}

impl Api {
    async fn add(&self, p: &Proxy, f: WireFault) -> R<WireFault> {
        let a = self.node_at(&p.listen)?;
        let mut c = self.clients.control(&a).map_err(internal)?;
        let r = rpc(c.add_fault(AddFaultRequest { fault: Some(f) })).await?;
        Ok(r.fault.unwrap_or_default())
    }

    async fn remove(&self, p: &Proxy, toxic: &str) -> R<()> {
        let a = self.node_at(&p.listen)?;
        let mut c = self.clients.control(&a).map_err(internal)?;
        rpc(c.remove_fault(RemoveFaultRequest {
            name: format!("{}.{toxic}", p.name),
            all: false,
        }))
        .await
        .map(|_| ())
    }

    async fn set_enabled(&self, p: &Proxy, enabled: bool) -> R<()> {
        let is = !self.faults(p).await?.iter().any(|(t, _)| t == DISABLED);
        if is == enabled {
            return Ok(());
        }
        if enabled {
            return self.remove(p, DISABLED).await;
        }
        let peer = self.node_at(&p.upstream)?.name;
        self.add(
            p,
            WireFault {
                name: format!("{}.{DISABLED}", p.name),
                kind: "cut".into(),
                peer,
                direction: "both".into(),
                ..Default::default()
            },
        )
        .await
        .map(|_| ())
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// One call to a node: its refusals are the client's errors (400, 404,
/// 409), a node that does not answer the server's (503).
async fn rpc<T>(f: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>) -> R<T> {
    match tokio::time::timeout(Duration::from_secs(3), f).await {
        Ok(Ok(r)) => Ok(r.into_inner()),
        Ok(Err(s)) => Err(match s.code() {
            tonic::Code::AlreadyExists => Error(StatusCode::CONFLICT, s.message().into()),
            tonic::Code::NotFound => not_found(s.message()),
            tonic::Code::InvalidArgument | tonic::Code::ResourceExhausted => bad(s.message()),
            _ => Error(StatusCode::SERVICE_UNAVAILABLE, s.message().into()),
        }),
        Err(_) => Err(Error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the node did not answer".into(),
        )),
    }
}

fn toxic_json(name: &str, f: &WireFault) -> Value {
    let attributes = match f.kind.as_str() {
        "latency" => json!({"latency": f.latency_ms, "jitter": f.jitter_ms}),
        "bandwidth" => json!({"rate": f.rate_bytes_per_s / 1000}),
        "timeout" | "reset_peer" => json!({"timeout": f.timeout_ms}),
        "slow_close" => json!({"delay": f.delay_ms}),
        "limit_data" => json!({"bytes": f.limit_bytes}),
        "slicer" => json!({
            "average_size": f.slice_average_size,
            "size_variation": f.slice_size_variation,
            "delay": f.slice_delay_us,
        }),
        _ => json!({}),
    };
    json!({
        "name": name,
        "type": f.kind,
        "stream": if f.direction == "up" { "upstream" } else { "downstream" },
        "toxicity": 1.0,
        "attributes": attributes,
    })
}

/// A toxic's JSON as Toxiproxy takes it, into a fault held by A.
fn toxic_fault(p: &Proxy, peer: &str, body: &Value, old: Option<&Value>) -> R<(String, WireFault)> {
    let get = |k: &str| body.get(k).or_else(|| old.and_then(|o| o.get(k)));
    let kind = get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("a toxic needs a type"))?
        .to_string();
    if !pvmlab_common::fault::KINDS.contains(&kind.as_str()) || kind == "cut" {
        return Err(bad(format!(
            "Bad toxic type: {kind}; pvmlab has latency, bandwidth, slow_close, timeout, reset_peer, slicer and limit_data"
        )));
    }
    let stream = get("stream")
        .and_then(Value::as_str)
        .unwrap_or("downstream");
    let direction = match stream {
        "upstream" => "up",
        "downstream" => "down",
        s => return Err(bad(format!("Bad stream {s:?}: use upstream or downstream"))),
    };
    let toxicity = get("toxicity").and_then(Value::as_f64).unwrap_or(1.0);
    if toxicity != 1.0 {
        return Err(bad(format!(
            "toxicity {toxicity}: pvmlab applies a toxic to every connection of its link (toxicity 1.0)"
        )));
    }
    let name = get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{kind}_{stream}"));
    let mut attrs: BTreeMap<String, Value> = old
        .and_then(|o| o.get("attributes"))
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .unwrap_or_default();
    if let Some(a) = body.get("attributes") {
        let a: BTreeMap<String, Value> =
            serde_json::from_value(a.clone()).map_err(|_| bad("attributes must be an object"))?;
        attrs.extend(a);
    }
    let allowed: &[&str] = match kind.as_str() {
        "latency" => &["latency", "jitter"],
        "bandwidth" => &["rate"],
        "timeout" | "reset_peer" => &["timeout"],
        "slow_close" => &["delay"],
        "limit_data" => &["bytes"],
        _ => &["average_size", "size_variation", "delay"],
    };
    let mut n = BTreeMap::new();
    for (k, v) in &attrs {
        if !allowed.contains(&k.as_str()) {
            return Err(bad(format!(
                "a {kind} toxic has no attribute {k}; it takes {}",
                allowed.join(", ")
            )));
        }
        let x = v.as_u64().ok_or_else(|| {
            bad(format!(
                "attribute {k} must be a whole number above or at 0"
            ))
        })?;
        n.insert(k.as_str(), x);
    }
    let at = |k: &str| n.get(k).copied().unwrap_or(0);
    let at32 =
        |k: &str| u32::try_from(at(k)).map_err(|_| bad(format!("attribute {k} is too large")));
    let mut f = WireFault {
        name: format!("{}.{name}", p.name),
        kind: kind.clone(),
        peer: peer.to_string(),
        direction: direction.into(),
        ..Default::default()
    };
    match kind.as_str() {
        "latency" => {
            f.latency_ms = at32("latency")?;
            f.jitter_ms = at32("jitter")?;
        }
        "bandwidth" => f.rate_bytes_per_s = at("rate").saturating_mul(1000),
        "timeout" | "reset_peer" => f.timeout_ms = at32("timeout")?,
        "slow_close" => f.delay_ms = at32("delay")?,
        "limit_data" => f.limit_bytes = at("bytes"),
        _ => {
            f.slice_average_size = at32("average_size")?;
            f.slice_size_variation = at32("size_variation")?;
            f.slice_delay_us = at32("delay")?;
        }
    }
    Ok((name, f))
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
    api.added
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(p.clone());
    api.save();
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
    let mut added = api.added.lock().unwrap_or_else(|e| e.into_inner());
    let before = added.len();
    added.retain(|x| x.name != name);
    let changed = added.len() != before;
    drop(added);
    if changed {
        api.save();
    }
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
