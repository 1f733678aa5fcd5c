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
//! proxies added by hand (`store.rs`).
//!
//! Here: the server, its errors and its calls to the nodes; the routes in
//! `routes.rs`; the mapping between Toxiproxy's JSON and faults in `model.rs`.

mod model;
mod routes;
mod store;

use crate::client::Clients;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::{Proxy, json_of, of_proxy};
use pvmlab_common::fault::Fault;
use pvmlab_common::lab::LabDir;
use pvmlab_common::proto::chaos::{AddFaultRequest, ListFaultsRequest, RemoveFaultRequest};
use pvmlab_common::topology::{NodeDef, Topology};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const DISABLED: &str = "disabled";

struct Api {
    topo: Topology,
    clients: Clients,
    /// Proxies added through the API.
    added: store::Store,
}

/// Toxiproxy's error body: `{"error": …, "status": …}`.
#[derive(Debug)]
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

fn internal(e: impl std::fmt::Display) -> Error {
    Error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

type R<T> = Result<T, Error>;

pub fn run(lab: &LabDir, listen: &str) -> anyhow::Result<()> {
    let topo = crate::lab_topology(lab)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let api = Arc::new(Api {
            topo,
            clients: Clients::new(lab)?,
            added: store::Store::load(lab),
        });
        let listener = tokio::net::TcpListener::bind(listen).await?;
        println!(
            "Toxiproxy API for lab {} on http://{}",
            lab.root().display(),
            listener.local_addr()?
        );
        axum::serve(listener, routes::router(api)).await?;
        anyhow::Ok(())
    })
}

impl Api {
    /// The lab's links, then the proxies added by hand.
    fn all(&self) -> Vec<Proxy> {
        let mut out = model::lab_links(&self.topo);
        out.extend(self.added.list());
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

    /// Every fault the node at `addr` holds (one RPC).
    async fn node_faults(&self, addr: &str) -> R<Vec<Fault>> {
        let a = self.node_at(addr)?;
        let mut c = self.clients.control(&a).map_err(internal)?;
        let listed = rpc(c.list_faults(ListFaultsRequest {})).await?.faults;
        listed
            .iter()
            .map(|w| Fault::from_proto(w).map_err(internal))
            .collect()
    }

    /// The faults A holds for this proxy: (toxic name, fault).
    async fn faults(&self, p: &Proxy) -> R<Vec<(String, Fault)>> {
        Ok(of_proxy(p, self.node_faults(&p.listen).await?))
    }

    /// Every proxy with its faults, each listening node asked once; a
    /// node that does not answer (down, perhaps by chaos) holds none.
    async fn all_with_faults(&self) -> Vec<(Proxy, Vec<(String, Fault)>)> {
        let mut by_node: HashMap<String, Vec<Fault>> = HashMap::new();
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

    /// Adds a fault to A; returns it as A stored it.
    async fn add(&self, p: &Proxy, f: Fault) -> R<Fault> {
        let a = self.node_at(&p.listen)?;
        let mut c = self.clients.control(&a).map_err(internal)?;
        let r = rpc(c.add_fault(AddFaultRequest {
            fault: Some(f.to_proto()),
        }))
        .await?;
        let stored = r
            .fault
            .ok_or_else(|| internal("the node stored no fault"))?;
        Fault::from_proto(&stored).map_err(internal)
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
        self.add(p, model::disabled(p, &peer)).await.map(|_| ())
    }
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
