//! Mutual TLS for every gRPC connection a node makes or accepts. The accept
//! loop and the connector are our own (not tonic's built-in TLS) so that a
//! refused handshake is logged with the peer's address, and so that the fault
//! layer has one place under every connection.

use crate::fault::{FaultStream, registry};
use crate::lab::LabDir;
use crate::model::Role;
use crate::pki::name_and_role;
/// Who a certificate names lives with the lab CA that names it; kept
/// reachable here, where the callers of RPCs are checked.
pub use crate::pki::{Peer, peer_in};
use crate::telemetry::TraceInject;
use futures::Stream;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status};

/// A gRPC channel whose calls carry the caller's trace context.
pub type Chan = InterceptedService<Channel, TraceInject>;

/// A connection a node accepted: TLS over the fault layer over TCP.
pub type ServerStream = tokio_rustls::server::TlsStream<FaultStream<TcpStream>>;
/// A connection a node made: TLS over the fault layer over TCP.
pub type ClientStream = tokio_rustls::client::TlsStream<FaultStream<TcpStream>>;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{path}: {msg}")]
    Material { path: String, msg: String },
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("client verifier: {0}")]
    Verifier(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("bad endpoint {0}")]
    Endpoint(String),
}

/// A node's certificate, key and the lab CA, loaded once at start.
#[derive(Clone)]
pub struct Identity {
    pub node: String,
    ca: Vec<CertificateDer<'static>>,
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
}

fn material_err(path: &Path, msg: impl ToString) -> NetError {
    NetError::Material {
        path: path.display().to_string(),
        msg: msg.to_string(),
    }
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let pem = std::fs::read(path).map_err(|e| material_err(path, e))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| material_err(path, e))?;
    if certs.is_empty() {
        return Err(material_err(path, "no certificate in the file"));
    }
    Ok(certs)
}

impl Identity {
    pub fn load(lab: &LabDir, node: &str) -> Result<Identity, NetError> {
        Identity::from_files(
            node,
            &lab.ca_cert(),
            &lab.node_cert(node),
            &lab.node_key(node),
        )
    }

    pub fn from_files(
        node: &str,
        ca: &Path,
        cert: &Path,
        key: &Path,
    ) -> Result<Identity, NetError> {
        let key_pem = std::fs::read(key).map_err(|e| material_err(key, e))?;
        let key_der = rustls_pemfile::private_key(&mut key_pem.as_slice())
            .map_err(|e| material_err(key, e))?
            .ok_or_else(|| material_err(key, "no private key in the file"))?;
        Ok(Identity {
            node: node.to_string(),
            ca: load_certs(ca)?,
            chain: load_certs(cert)?,
            key: Arc::new(key_der),
        })
    }

    fn roots(&self) -> Result<RootCertStore, NetError> {
        let mut roots = RootCertStore::empty();
        for c in &self.ca {
            roots.add(c.clone())?;
        }
        Ok(roots)
    }

    pub fn server_config(&self) -> Result<Arc<ServerConfig>, NetError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(self.roots()?), provider.clone())
                .build()
                .map_err(|e| NetError::Verifier(e.to_string()))?;
        let mut cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.chain.clone(), self.key.clone_key())?;
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(cfg))
    }

    /// The REST API's TLS: this node's certificate, no client certificate
    /// asked for (REST clients log on with a user and password), HTTP/2 or
    /// HTTP/1.1.
    pub fn rest_server_config(&self) -> Result<Arc<ServerConfig>, NetError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())?;
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }

    pub fn client_config(&self) -> Result<Arc<ClientConfig>, NetError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(self.roots()?)
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())?;
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(cfg))
    }

    /// A lazily connecting channel to `peer` (a node name, checked against
    /// its certificate) at `addr` (host:port). Calls fail fast while the peer
    /// is down and the channel reconnects by itself when it is back.
    pub fn channel(&self, peer: &str, addr: &str) -> Result<Chan, NetError> {
        let tls = TlsConnector::from(self.client_config()?);
        let server_name = ServerName::try_from(peer.to_string())
            .map_err(|_| NetError::Endpoint(format!("{peer} is not a valid node name")))?;
        let addr = addr.to_string();
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| NetError::Endpoint(format!("{addr}: {e}")))?
            .connect_timeout(Duration::from_secs(2))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(2))
            .keep_alive_timeout(Duration::from_secs(3))
            .initial_stream_window_size(MOVER_WINDOW)
            .initial_connection_window_size(MOVER_WINDOW);
        let peer = peer.to_string();
        let connector = tower::service_fn(move |_uri: http::Uri| {
            let tls = tls.clone();
            let server_name = server_name.clone();
            let addr = addr.clone();
            let peer = peer.clone();
            async move {
                let stream = dial(&tls, server_name, &peer, &addr).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        });
        let channel = endpoint.connect_with_connector_lazy(connector);
        Ok(InterceptedService::new(channel, TraceInject))
    }

    /// One mutual-TLS connection to `peer` at `addr`, under the fault layer,
    /// for byte streams that are not gRPC.
    pub async fn connect(&self, peer: &str, addr: &str) -> std::io::Result<ClientStream> {
        let tls = TlsConnector::from(
            self.client_config()
                .map_err(|e| std::io::Error::other(e.to_string()))?,
        );
        let server_name = ServerName::try_from(peer.to_string()).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{peer} is not a valid node name"),
            )
        })?;
        dial(&tls, server_name, peer, addr).await
    }
}

/// HTTP/2 flow-control window for streams that carry pages: 4 MiB, room
/// for several 1 MiB messages in flight (hyper's default, 1 MiB on the
/// server side, held a mover stream to one message per round trip).
pub const MOVER_WINDOW: u32 = 4 << 20;

/// The largest message a client of a whole lab's or frame's state takes: a
/// view of 10,000 partitions is some 8 MB, twice tonic's default limit.
pub const MAX_VIEW_MESSAGE: usize = 256 << 20;

/// Connects under the fault layer: a cut link is refused before any packet
/// leaves, and the peer is known from the start so every byte is faulted.
async fn dial(
    tls: &TlsConnector,
    server_name: ServerName<'static>,
    peer: &str,
    addr: &str,
) -> std::io::Result<ClientStream> {
    registry().check_link(peer)?;
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    tls.connect(server_name, FaultStream::new(tcp, Some(peer.to_string())))
        .await
}

/// Binds `addr` and yields every connection that completes a mutual-TLS
/// handshake. A refused handshake (plaintext, a foreign CA, no client
/// certificate) is logged and dropped, and so is a peer whose link is cut.
/// The fault layer learns the peer from its certificate once the handshake
/// is done; the handshake's own bytes are not faulted.
pub async fn tls_incoming(
    addr: &str,
    config: Arc<ServerConfig>,
) -> Result<impl Stream<Item = Result<ServerStream, std::io::Error>> + use<>, NetError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| NetError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let acceptor = TlsAcceptor::from(config);
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let tcp = FaultStream::new(tcp, None);
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(mut tls)) => {
                        if let Some(name) = tls
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|c| c.first())
                            .and_then(|der| name_and_role(der.as_ref()))
                            .map(|(name, _)| name)
                        {
                            if let Err(e) = registry().check_link(&name) {
                                log_refused(peer, &e.to_string());
                                return;
                            }
                            tls.get_mut().0.set_peer(name);
                        }
                        let _ = tx.send(Ok(tls)).await;
                    }
                    Ok(Err(e)) => log_refused(peer, &e.to_string()),
                    Err(_) => log_refused(peer, "TLS handshake timed out"),
                }
            });
        }
    });
    Ok(tokio_stream::wrappers::ReceiverStream::new(rx))
}

fn log_refused(peer: SocketAddr, why: &str) {
    tracing::warn!(%peer, "refused connection: {why}");
}

/// The caller of an RPC: as the server's trace layer found it (it reads
/// the certificate once per call, for its metrics), else from the
/// certificate itself.
pub fn peer_of<T>(req: &Request<T>) -> Option<Peer> {
    if let Some(p) = req.extensions().get::<Peer>() {
        return Some(p.clone());
    }
    peer_in(req.peer_certs()?.as_slice())
}

/// Each RPC names the roles that may call it; anyone else is refused and logged.
pub fn authorize<T>(req: &Request<T>, rpc: &str, allowed: &[Role]) -> Result<Peer, Status> {
    let Some(peer) = peer_of(req) else {
        tracing::warn!(rpc, "refused call: no verified client certificate");
        return Err(Status::unauthenticated(
            "a client certificate from the lab CA is required",
        ));
    };
    if allowed.contains(&peer.role) {
        Ok(peer)
    } else {
        let allowed: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        tracing::warn!(rpc, peer = %peer.name, role = %peer.role, "refused call: role not allowed");
        Err(Status::permission_denied(format!(
            "{} (role {}) may not call {rpc}; allowed roles: {}",
            peer.name,
            peer.role,
            allowed.join(", ")
        )))
    }
}
