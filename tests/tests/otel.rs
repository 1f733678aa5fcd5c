//! With OTEL_EXPORTER_OTLP_ENDPOINT set, every process exports its spans over
//! OTLP/HTTP, and the W3C trace context carried in gRPC metadata makes one
//! operation one trace across processes. A small OTLP receiver checks it.

use axum::{Router, body::Bytes, extract::State, routing::post};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;
use pvmlab_tests::Lab;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// trace id → (service, span name) pairs seen.
type Seen = Arc<Mutex<BTreeMap<Vec<u8>, BTreeSet<(String, String)>>>>;

async fn receive(State(seen): State<Seen>, body: Bytes) -> Vec<u8> {
    if let Ok(req) = ExportTraceServiceRequest::decode(body) {
        let mut seen = seen.lock().unwrap();
        for rs in req.resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .and_then(|a| a.value.as_ref()?.value.as_ref())
                .map(|v| match v {
                    Value::StringValue(s) => s.clone(),
                    other => format!("{other:?}"),
                })
                .unwrap_or_default();
            for ss in rs.scope_spans {
                for span in ss.spans {
                    seen.entry(span.trace_id)
                        .or_default()
                        .insert((service.clone(), span.name));
                }
            }
        }
    }
    ExportTraceServiceResponse::default().encode_to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_is_one_trace_across_processes() {
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Router::new()
        .route("/v1/traces", post(receive))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let lab = Lab::new("127.43.7")
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            &format!("http://127.0.0.1:{port}"),
        )
        .env("OTEL_BSP_SCHEDULE_DELAY", "100");
    lab.up();
    // `pvmlab status` asks every node for its health and every HMC for its view.
    assert!(lab.pvmlab(&["status"]).status.success());

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = {
            let seen = seen.lock().unwrap();
            seen.values()
                .find(|spans| {
                    let services: BTreeSet<&str> = spans.iter().map(|(s, _)| s.as_str()).collect();
                    spans.iter().any(|(_, n)| n == "pvmlab.status")
                        && ["pvmlab", "hmc1", "hmc2", "sys1"]
                            .iter()
                            .all(|s| services.contains(s))
                })
                .cloned()
        };
        if let Some(spans) = found {
            let services: BTreeSet<_> = spans.iter().map(|(s, _)| s.clone()).collect();
            println!(
                "the status trace spans {} processes: {services:?}",
                services.len()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no trace spanning processes; seen: {:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The HMC's connection to a frame is one trace across the HMC and the FSP too.
    assert!(seen.lock().unwrap().values().any(|spans| {
        spans.contains(&("hmc1".into(), "hmc.connect_frame".into()))
            && spans.iter().any(|(s, _)| s.starts_with("sys"))
    }));

    // One migration is one trace across the HMC, both FSPs and both MSPs.
    let out = lab.pvmlab(&[
        "hmc",
        "hmc1",
        "--",
        "migrlpar -o m -m sys2 -t sys3 -p aix72a",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let want = ["hmc1", "sys2", "sys3", "sys2-vios1", "sys3-vios1"];
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = seen.lock().unwrap().values().any(|spans| {
            let services: BTreeSet<&str> = spans.iter().map(|(s, _)| s.as_str()).collect();
            spans.iter().any(|(_, n)| n == "msp.source")
                && want.iter().all(|s| services.contains(s))
        });
        if found {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no migration trace across {want:?}; seen: {:?}",
            seen.lock()
                .unwrap()
                .values()
                .filter(|s| s.iter().any(|(_, n)| n.starts_with("msp")))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
