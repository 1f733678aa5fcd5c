//! Logging and tracing for every process. Each node logs with `tracing` to
//! stderr (the controller sends that to the node's log file); when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans also go out over OTLP/HTTP, and
//! the W3C trace context rides in gRPC metadata so one operation is one trace
//! across processes.

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{Context, global};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::task::{Context as TaskContext, Poll};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the OTLP exporter alive; `shutdown` flushes the spans still queued.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Some(p) = self.provider {
            let _ = p.shutdown();
        }
    }
}

/// Sets up logging and, if asked for by the environment, OTLP export.
/// Call before starting the async runtime: the OTLP HTTP client blocks.
pub fn init(service: &str) -> Telemetry {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .filter(|s| !s.is_empty());
    let provider = endpoint.and_then(|_| {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .map_err(|e| eprintln!("OTLP export disabled: {e}"))
            .ok()?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name(service.to_string())
            .build();
        Some(
            SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource)
                .build(),
        )
    });
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer(service.to_string()))
            .with_filter(EnvFilter::new("info"))
    });
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .try_init();
    Telemetry { provider }
}

struct MetaInjector<'a>(&'a mut MetadataMap);

impl Injector for MetaInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(k, v);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Client side: puts the current span's trace context into each call.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceInject;

impl tonic::service::Interceptor for TraceInject {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let cx = tracing::Span::current().context();
        global::get_text_map_propagator(|p| {
            p.inject_context(&cx, &mut MetaInjector(req.metadata_mut()))
        });
        Ok(req)
    }
}

/// Server side: every incoming RPC runs in a span whose parent is the
/// caller's, taken from the request's `traceparent`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceLayer;

impl<S> tower::Layer<S> for TraceLayer {
    type Service = TraceService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        TraceService { inner }
    }
}

#[derive(Clone, Debug)]
pub struct TraceService<S> {
    inner: S,
}

impl<S, B> tower::Service<http::Request<B>> for TraceService<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Timed<tracing::instrument::Instrumented<S::Future>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let parent: Context =
            global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(req.headers())));
        let span = tracing::info_span!("rpc", method = %req.uri().path());
        let _ = span.set_parent(parent);
        let method = req.uri().path().to_string();
        // The caller, from its certificate: read once here, for the
        // latency metric and for the handler's authorization.
        let peer = req
            .extensions()
            .get::<tonic::transport::server::TlsConnectInfo<tonic::transport::server::TcpConnectInfo>>()
            .and_then(|i| i.peer_certs())
            .and_then(|c| crate::pki::peer_in(c.as_slice()));
        let name = peer.as_ref().map(|p| p.name.clone()).unwrap_or_default();
        if let Some(p) = peer {
            req.extensions_mut().insert(p);
        }
        Timed {
            inner: self.inner.call(req).instrument(span),
            start: std::time::Instant::now(),
            labels: Some(crate::metrics::RpcLabels { peer: name, method }),
        }
    }
}

pin_project_lite::pin_project! {
    /// An RPC's future, timed from the call to its answer (the response
    /// headers, for a stream) into `pvmlab_rpc_seconds`.
    pub struct Timed<F> {
        #[pin]
        inner: F,
        start: std::time::Instant,
        labels: Option<crate::metrics::RpcLabels>,
    }
}

impl<F: std::future::Future> std::future::Future for Timed<F> {
    type Output = F::Output;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let out = std::task::ready!(this.inner.poll(cx));
        if let Some(l) = this.labels.take() {
            crate::metrics::metrics()
                .rpc_seconds
                .get_or_create(&l)
                .observe(this.start.elapsed().as_secs_f64());
        }
        Poll::Ready(out)
    }
}
