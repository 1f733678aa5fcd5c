//! Prometheus metrics: every node serves `GET /metrics` over HTTP on its
//! own address (`metrics_port` in the topology, 9464 by default), in the
//! text exposition format. One set of metrics for all roles; a node shows
//! the ones its role moves (migrations on HMCs, bytes on MSPs, lock waits
//! on FSPs, faults and RPC latencies everywhere).

use axum::Router;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RpcLabels {
    pub peer: String,
    pub method: String,
}

/// A client partition's disk I/O on one MPIO path.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PathLabels {
    pub lpar: String,
    pub disk: String,
    pub path: String,
    pub vios: String,
    /// completed, retried (completed here after failing on another path),
    /// failed (an attempt that failed on this path).
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LparLabels {
    pub lpar: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LparResult {
    pub lpar: String,
    pub result: String,
}

type Buckets = fn() -> Histogram;

pub struct Metrics {
    /// Migrations this HMC ran, by how they ended: completed, failed,
    /// stopped, refused.
    pub migrations: Family<ResultLabel, Counter>,
    /// Partition memory this MSP moved, in bytes.
    pub bytes_moved: Counter,
    /// Downtime of completed migrations, seen by the partition's heartbeat.
    pub downtime: Histogram,
    pub faults_active: Gauge,
    /// Operations that found another HMC's hold on this frame's lock.
    pub lock_waits: Counter,
    pub lock_wait_seconds: Histogram,
    /// Time to answer an RPC, by calling node and method.
    pub rpc_seconds: Family<RpcLabels, Histogram, Buckets>,
    /// Client partitions' disk I/Os by path (on FSPs).
    pub client_ios: Family<PathLabels, Counter>,
    /// Client disk I/Os that took longer than a second, end to end.
    pub client_io_stalls: Family<LparLabels, Counter>,
    /// The longest a client disk I/O has taken, end to end.
    pub client_io_longest_stall: Family<LparLabels, Gauge<f64, AtomicU64>>,
    /// Client packets beyond the frame: sent, delivered, retransmitted, lost.
    pub client_packets: Family<LparResult, Counter>,
    registry: Registry,
}

fn rpc_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 4.0, 10))
}

pub fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(|| {
        let mut m = Metrics {
            migrations: Family::default(),
            bytes_moved: Counter::default(),
            downtime: Histogram::new(exponential_buckets(0.001, 2.0, 12)),
            faults_active: Gauge::default(),
            lock_waits: Counter::default(),
            lock_wait_seconds: Histogram::new(exponential_buckets(0.01, 2.0, 10)),
            rpc_seconds: Family::new_with_constructor(rpc_buckets),
            client_ios: Family::default(),
            client_io_stalls: Family::default(),
            client_io_longest_stall: Family::default(),
            client_packets: Family::default(),
            registry: Registry::with_prefix("pvmlab"),
        };
        let r = &mut m.registry;
        r.register(
            "migrations",
            "Migrations run by this HMC, by result",
            m.migrations.clone(),
        );
        r.register(
            "migration_bytes",
            "Partition memory moved by this mover service partition, in bytes",
            m.bytes_moved.clone(),
        );
        r.register(
            "migration_downtime_seconds",
            "Downtime of completed migrations, from the partition's heartbeat",
            m.downtime.clone(),
        );
        r.register(
            "faults_active",
            "Faults in this node's fault layer",
            m.faults_active.clone(),
        );
        r.register(
            "lock_waits",
            "Operations that waited for another HMC's hold on this frame",
            m.lock_waits.clone(),
        );
        r.register(
            "lock_wait_seconds",
            "How long those operations waited",
            m.lock_wait_seconds.clone(),
        );
        r.register(
            "rpc_seconds",
            "Time to answer a gRPC call, by calling node and method",
            m.rpc_seconds.clone(),
        );
        r.register(
            "client_ios",
            "Client partitions' disk I/Os through their VIOS, by MPIO path and result",
            m.client_ios.clone(),
        );
        r.register(
            "client_io_stalls",
            "Client disk I/Os that took longer than a second",
            m.client_io_stalls.clone(),
        );
        r.register(
            "client_io_longest_stall_seconds",
            "The longest a client disk I/O has taken",
            m.client_io_longest_stall.clone(),
        );
        r.register(
            "client_packets",
            "Client packets to hosts beyond the frame, by result",
            m.client_packets.clone(),
        );
        m
    })
}

/// The text exposition of this process's metrics now.
pub fn render() -> String {
    let m = metrics();
    m.faults_active
        .set(crate::fault::registry().list().len() as i64);
    let mut out = String::new();
    // Writing into a String does not fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &m.registry);
    out
}

/// Counts a migration's end at the HMC, with its downtime if it completed.
pub fn migration_ended(result: &str, downtime: Option<Duration>) {
    let m = metrics();
    m.migrations
        .get_or_create(&ResultLabel {
            result: result.into(),
        })
        .inc();
    if let Some(d) = downtime {
        m.downtime.observe(d.as_secs_f64());
    }
}

/// Counts one client disk I/O event on a path.
pub fn client_io(lpar: &str, disk: &str, path: &str, vios: &str, result: &str) {
    metrics()
        .client_ios
        .get_or_create(&PathLabels {
            lpar: lpar.into(),
            disk: disk.into(),
            path: path.into(),
            vios: vios.into(),
            result: result.into(),
        })
        .inc();
}

/// Notes how long a client disk I/O took end to end (a stall past `stall`).
pub fn client_io_took(lpar: &str, took: Duration, stall: Duration) {
    let m = metrics();
    let l = LparLabels { lpar: lpar.into() };
    if took >= stall {
        m.client_io_stalls.get_or_create(&l).inc();
    }
    let g = m.client_io_longest_stall.get_or_create(&l);
    if took.as_secs_f64() > g.get() {
        g.set(took.as_secs_f64());
    }
}

/// Counts one client packet event: sent, delivered, retransmitted, lost.
pub fn client_packet(lpar: &str, result: &str) {
    metrics()
        .client_packets
        .get_or_create(&LparResult {
            lpar: lpar.into(),
            result: result.into(),
        })
        .inc();
}

/// Serves `GET /metrics` on `addr` until the process ends. A port that is
/// taken costs the metrics, not the node: it is logged.
pub async fn serve(addr: String) {
    let app = Router::new().route("/metrics", get(|| async { render() }));
    match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => {
            if let Err(e) = axum::serve(l, app).await {
                tracing::warn!("metrics on {addr}: {e}");
            }
        }
        Err(e) => tracing::warn!("metrics cannot listen on {addr}: {e}"),
    }
}
