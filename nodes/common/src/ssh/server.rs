//! Accepting SSH connections: the server's settings, one task per
//! connection, and the socket options that keep logins fast.

use super::Shell;
use super::conn::Conn;
use russh::Disconnect;
use russh::keys::PrivateKey;
use russh::server::Config;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tracing::{debug, info, warn};

/// Serves SSH on an already-bound listener. Never completes on its own: dropping
/// the future stops accepting and disconnects every client.
pub async fn serve_listener(
    listener: TcpListener,
    host_key: PrivateKey,
    hostname: String,
    shell: Arc<dyn Shell>,
) {
    let config = Arc::new(Config {
        methods: super::conn::methods(),
        // Constant-time rejection, except for the "none" probe OpenSSH always starts with.
        auth_rejection_time: Duration::from_secs(1),
        auth_rejection_time_initial: Some(Duration::ZERO),
        max_auth_attempts: 6, // OpenSSH's MaxAuthTries
        keys: vec![host_key],
        // HMC commands (migrations, power operations) can run silently for long;
        // dead peers are found by keepalives instead of an idle timeout.
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(60)),
        keepalive_max: 3,
        ..Config::default()
    });
    let hostname: Arc<str> = hostname.into();
    // Connection tasks watch this; it closes when this future is dropped.
    let (_stop, stopped) = tokio::sync::watch::channel(());
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Per-connection failures and fd exhaustion are transient: keep serving.
                warn!(error = %e, "SSH accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Echo and prompts are tiny writes; Nagle would delay each interactive round trip.
        let _ = sock.set_nodelay(true);
        let sock = QuickAck(sock);
        info!(%peer, "SSH connection");
        let conn = Conn::new(shell.clone(), hostname.clone(), peer);
        let (config, mut stopped) = (config.clone(), stopped.clone());
        tokio::spawn(async move {
            let session = tokio::select! {
                s = russh::server::run_stream(config, sock, conn) => s,
                _ = stopped.changed() => return,
            };
            let session = match session {
                Ok(s) => s,
                Err(e) => return debug!(%peer, error = %e, "SSH handshake failed"),
            };
            let handle = session.handle();
            tokio::select! {
                r = session => match r {
                    Ok(()) => info!(%peer, "SSH connection closed"),
                    Err(e) => info!(%peer, error = %e, "SSH connection ended"),
                },
                _ = stopped.changed() => {
                    let _ = handle
                        .disconnect(Disconnect::ByApplication, "HMC shutting down".into(), "en".into())
                        .await;
                }
            }
        });
    }
}

/// A connection that ACKs what it reads at once. OpenSSH's client sends its
/// key-exchange packets back to back with Nagle on, so a delayed ACK here
/// stalled every login by the 40 ms delayed-ACK timer (seen with
/// `pvmlab bench ssh`). Linux leaves quick-ACK mode on its own, so it is set
/// again after every read.
struct QuickAck(tokio::net::TcpStream);

impl tokio::io::AsyncRead for QuickAck {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let r = std::pin::Pin::new(&mut self.0).poll_read(cx, buf);
        if r.is_ready() {
            quick_ack(&self.0);
        }
        r
    }
}

impl tokio::io::AsyncWrite for QuickAck {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

fn quick_ack(sock: &tokio::net::TcpStream) {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket fd and a pointer to a c_int of the given size.
    unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(sock),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
