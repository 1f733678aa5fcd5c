//! The SSH server of the HMC and of each VIOS (padmin): the way admins, Ansible (OpenSSH + sshpass, one exec
//! per connection), paramiko (MAAS) and fence_lpar (interactive shell, reads
//! until the prompt) drive a real HMC. Only the SSH side lives here; what a
//! command line does is up to the [`Shell`] implementation.
//!
//! `server.rs` accepts connections, `host_key.rs` keeps the server's key,
//! `conn.rs` is one connection (authentication, its channels, exec),
//! `shell.rs` the interactive shell of a channel and `term.rs` the output
//! side of one; `sftp.rs` and `scp.rs` put files into (and take them from)
//! the user's home on the HMC, as `scp` to a real HMC does.

mod conn;
mod host_key;
mod scp;
mod server;
mod sftp;
mod shell;
mod term;
#[cfg(test)]
mod tests;

pub use host_key::load_or_create_host_key;
pub use server::serve_listener;

use futures::future::BoxFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tracing::info;

/// What the SSH layer needs from the HMC.
pub trait Shell: Send + Sync + 'static {
    /// Password authentication for an HMC user.
    fn check_password(&self, user: &str, password: &str) -> bool;
    /// Public-key authentication: `key` is the client's key in OpenSSH
    /// authorized_keys form ("ssh-rsa AAAA... [comment]" — compare on the type and base64 only).
    fn check_key(&self, user: &str, key_openssh: &str) -> bool;
    /// Runs one command line for `user` and returns (output, exit status).
    /// The output already ends with a newline where it should.
    fn run(&self, user: &str, line: &str) -> BoxFuture<'static, (String, u32)>;
    /// The user's home on the HMC, where `scp` and SFTP read and write;
    /// None when the user has none.
    fn home(&self, user: &str) -> Option<crate::files::Home>;
    /// The interactive shell's prompt: the HMC's `user@host:~> `; a VIOS's
    /// restricted shell has `$ `.
    fn prompt(&self, user: &str, hostname: &str) -> String {
        format!("{user}@{hostname}:~> ")
    }
}

pub struct SshConfig {
    pub listen: SocketAddr,
    pub host_key: PathBuf,
    pub hostname: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("cannot listen for SSH on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("SSH host key {path}: {msg}")]
    HostKey { path: PathBuf, msg: String },
}

/// Loads the host key from `host_key` (OpenSSH private key format), or generates an
/// Ed25519 key and saves it there (0600) on first start, so the key survives restarts.
/// Binds `listen` (error if it cannot), then serves until the returned future is dropped.
pub async fn serve(cfg: SshConfig, shell: Arc<dyn Shell>) -> Result<(), SshError> {
    let key = load_or_create_host_key(&cfg.host_key)?;
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| SshError::Bind {
            addr: cfg.listen,
            source,
        })?;
    info!(addr = %cfg.listen, "SSH listening");
    serve_listener(listener, key, cfg.hostname, shell).await;
    Ok(())
}
