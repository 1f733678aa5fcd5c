//! The HMC's SSH server: the way admins, Ansible (OpenSSH + sshpass, one exec
//! per connection), paramiko (MAAS) and fence_lpar (interactive shell, reads
//! until the prompt) drive a real HMC. Only the SSH side lives here; what a
//! command line does is up to the [`Shell`] implementation.

use futures::future::BoxFuture;
use russh::keys::ssh_key::{LineEnding, private::Ed25519Keypair};
use russh::keys::{PrivateKey, PublicKey};
use russh::server::{
    Auth, Config, Handle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, Disconnect, MethodKind, MethodSet};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tracing::{debug, info, warn};

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
    info!(addr = %cfg.listen, "HMC SSH listening");
    serve_listener(listener, key, cfg.hostname, shell).await;
    Ok(())
}

/// Serves SSH on an already-bound listener. Never completes on its own: dropping
/// the future stops accepting and disconnects every client.
pub async fn serve_listener(
    listener: TcpListener,
    host_key: PrivateKey,
    hostname: String,
    shell: Arc<dyn Shell>,
) {
    let config = Arc::new(Config {
        methods: methods(),
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
        let conn = Conn {
            shell: shell.clone(),
            hostname: hostname.clone(),
            peer,
            user: String::new(),
            chans: HashMap::new(),
        };
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

/// Reads the OpenSSH-format host key at `path`, or creates an Ed25519 one there.
/// Blocking file I/O is fine: it runs once, at startup.
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

pub fn load_or_create_host_key(path: &Path) -> Result<PrivateKey, SshError> {
    let err = |msg: String| SshError::HostKey {
        path: path.to_owned(),
        msg,
    };
    match std::fs::read_to_string(path) {
        Ok(pem) => {
            let key = PrivateKey::from_openssh(pem.as_bytes())
                .map_err(|e| err(format!("not an OpenSSH private key: {e}")))?;
            // An encrypted key would need a passphrase nobody is there to type.
            if key.is_encrypted() {
                return Err(err("the key is encrypted".into()));
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = new_ed25519_key().map_err(|e| err(format!("cannot generate: {e}")))?;
            let pem = key
                .to_openssh(LineEnding::LF)
                .map_err(|e| err(format!("cannot encode: {e}")))?;
            // Write a 0600 temporary and rename it, so a crash never leaves half a key behind.
            let tmp = path.with_extension("tmp");
            let written = (|| {
                let _ = std::fs::remove_file(&tmp); // a leftover could have other permissions
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let mut f = std::fs::OpenOptions::new();
                std::os::unix::fs::OpenOptionsExt::mode(&mut f, 0o600);
                let mut f = f.write(true).create(true).truncate(true).open(&tmp)?;
                f.write_all(pem.as_bytes())?;
                f.sync_all()?;
                std::fs::rename(&tmp, path)
            })();
            written.map_err(|e| err(format!("cannot save: {e}")))?;
            info!(path = %path.display(), "generated a new SSH host key");
            Ok(key)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// russh's key generation wants a rand_core RNG this crate does not depend on;
/// an Ed25519 key is just 32 random bytes, which the kernel provides.
fn new_ed25519_key() -> std::io::Result<PrivateKey> {
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut seed)?;
    let mut key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    key.set_comment("pvm-hmc host key");
    Ok(key)
}

fn methods() -> MethodSet {
    MethodSet::from(&[MethodKind::Password, MethodKind::PublicKey][..])
}

/// A rejection that keeps every method on offer: russh otherwise drops a
/// rejected method, and OpenSSH clients would get no second password prompt.
fn retry() -> Auth {
    Auth::Reject {
        proceed_with_methods: Some(methods()),
        partial_success: false,
    }
}

/// One SSH connection.
struct Conn {
    shell: Arc<dyn Shell>,
    hostname: Arc<str>,
    peer: SocketAddr,
    /// The authenticated user (empty before authentication).
    user: String,
    chans: HashMap<ChannelId, Chan>,
}

/// A session channel, which runs either one exec or one shell.
#[derive(Default)]
struct Chan {
    pty: bool,
    /// The shell's input queue. Unbounded because the russh handler must never
    /// wait on the shell task, which may itself wait on the session to send output.
    /// Dropping it is how the shell learns of the client's EOF.
    input: Option<mpsc::UnboundedSender<Vec<u8>>>,
    task: Option<AbortHandle>,
}

impl Conn {
    fn accept(&mut self, user: &str, method: &str) -> Auth {
        info!(user, peer = %self.peer, method, "SSH login");
        self.user = user.to_owned();
        Auth::Accept
    }

    fn key_ok(&self, user: &str, key: &PublicKey) -> bool {
        key.to_openssh()
            .is_ok_and(|k| self.shell.check_key(user, &k))
    }

    /// The pty flag of a channel that is open and runs nothing yet (one exec or shell per channel).
    fn idle(&self, ch: ChannelId) -> Option<bool> {
        self.chans
            .get(&ch)
            .filter(|c| c.task.is_none())
            .map(|c| c.pty)
    }

    fn term(&self, session: &Session, ch: ChannelId, pty: bool) -> Term {
        Term {
            h: session.handle(),
            ch,
            pty,
        }
    }
}

/// Commands killed with their connection, like a real shell getting SIGHUP.
impl Drop for Conn {
    fn drop(&mut self) {
        self.chans
            .values()
            .filter_map(|c| c.task.as_ref())
            .for_each(AbortHandle::abort);
    }
}

fn reply(session: &mut Session, ch: ChannelId, ok: bool) -> Result<(), russh::Error> {
    if ok {
        session.channel_success(ch)
    } else {
        session.channel_failure(ch)
    }
}

impl Handler for Conn {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if self.shell.check_password(user, password) {
            return Ok(self.accept(user, "password"));
        }
        warn!(user, peer = %self.peer, "SSH password rejected");
        Ok(retry())
    }

    // Checked before the client signs, as OpenSSH does, so clients move on
    // to their next key (or the password) quickly.
    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        if self.key_ok(user, offer.public_key) {
            return Ok(Auth::Accept);
        }
        info!(user, peer = %self.peer, "SSH public key rejected");
        Ok(retry())
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        if self.key_ok(user, key.public_key) {
            return Ok(self.accept(user, "publickey"));
        }
        warn!(user, peer = %self.peer, "SSH public key rejected");
        Ok(retry())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _: &mut Session,
    ) -> Result<(), Self::Error> {
        // `channel` is dropped: everything arrives through the handler callbacks,
        // and a kept but unread Channel would stall the session once its queue fills.
        self.chans.insert(channel.id(), Chan::default());
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        ch: ChannelId,
        _: &str,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        _: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let ok = self.chans.get_mut(&ch).map(|c| c.pty = true).is_some();
        reply(session, ch, ok)
    }

    // OpenSSH sends LANG and friends; a HMC has nothing to do with them.
    async fn env_request(
        &mut self,
        ch: ChannelId,
        _: &str,
        _: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply(session, ch, true)
    }

    async fn window_change_request(
        &mut self,
        ch: ChannelId,
        _: u32,
        _: u32,
        _: u32,
        _: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply(session, ch, true)
    }

    // russh's defaults send no reply at all, which leaves a client waiting forever.
    async fn subsystem_request(
        &mut self,
        ch: ChannelId,
        _: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply(session, ch, false)
    }

    async fn x11_request(
        &mut self,
        ch: ChannelId,
        _: bool,
        _: &str,
        _: &str,
        _: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        reply(session, ch, false)
    }

    async fn exec_request(
        &mut self,
        ch: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(pty) = self.idle(ch) else {
            return reply(session, ch, false);
        };
        // Success goes out before the task can send any output.
        reply(session, ch, true)?;
        let line = String::from_utf8_lossy(data).into_owned();
        info!(user = %self.user, peer = %self.peer, %line, "SSH exec");
        let (term, shell, user) = (
            self.term(session, ch, pty),
            self.shell.clone(),
            self.user.clone(),
        );
        // Commands can take minutes; the session must keep running meanwhile.
        let task = tokio::spawn(async move {
            let (out, status) = shell.run(&user, &line).await;
            if term.write(&out).await {
                term.finish(status).await;
            }
        });
        if let Some(c) = self.chans.get_mut(&ch) {
            c.task = Some(task.abort_handle());
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        ch: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(pty) = self.idle(ch) else {
            return reply(session, ch, false);
        };
        reply(session, ch, true)?;
        info!(user = %self.user, peer = %self.peer, pty, "SSH shell");
        let (tx, rx) = mpsc::unbounded_channel();
        let term = self.term(session, ch, pty);
        let prompt = format!("{}@{}:~> ", self.user, self.hostname);
        let task = tokio::spawn(run_shell(
            term,
            self.shell.clone(),
            self.user.clone(),
            self.peer,
            prompt,
            rx,
        ));
        if let Some(c) = self.chans.get_mut(&ch) {
            c.input = Some(tx);
            c.task = Some(task.abort_handle());
        }
        Ok(())
    }

    async fn data(
        &mut self,
        ch: ChannelId,
        data: &[u8],
        _: &mut Session,
    ) -> Result<(), Self::Error> {
        // Input on an exec channel (or before the shell starts) has no reader: dropped.
        if let Some(tx) = self.chans.get(&ch).and_then(|c| c.input.as_ref()) {
            let _ = tx.send(data.to_vec());
        }
        Ok(())
    }

    async fn channel_eof(&mut self, ch: ChannelId, _: &mut Session) -> Result<(), Self::Error> {
        if let Some(c) = self.chans.get_mut(&ch) {
            c.input = None;
        }
        Ok(())
    }

    async fn channel_close(&mut self, ch: ChannelId, _: &mut Session) -> Result<(), Self::Error> {
        if let Some(task) = self.chans.remove(&ch).and_then(|c| c.task) {
            task.abort();
        }
        Ok(())
    }
}

/// The output side of a channel, usable from a task outside the russh handler.
struct Term {
    h: Handle,
    ch: ChannelId,
    pty: bool,
}

impl Term {
    /// Sends command output or a prompt, with a tty's `\n` → `\r\n` translation
    /// when a pty was requested. False once the client is gone.
    async fn write(&self, text: &str) -> bool {
        let text = if self.pty {
            crlf(text)
        } else {
            text.to_owned()
        };
        text.is_empty() || self.h.data(self.ch, text.into_bytes()).await.is_ok()
    }

    /// Sends the pending echo, if the client has a terminal to show it on.
    async fn echo(&self, echo: &mut Vec<u8>) -> bool {
        let echo = std::mem::take(echo);
        !self.pty || echo.is_empty() || self.h.data(self.ch, echo).await.is_ok()
    }

    async fn finish(&self, status: u32) {
        let _ = self.h.exit_status_request(self.ch, status).await;
        let _ = self.h.eof(self.ch).await;
        let _ = self.h.close(self.ch).await;
    }
}

fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut prev = '\0';
    for c in text.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

/// Where the line editor is within a terminal escape sequence (arrow keys, ...).
#[derive(Clone, Copy, PartialEq)]
enum Esc {
    No,
    Start,
    Seq,
}

/// The interactive shell of one channel. Bytes are handled strictly in order,
/// so when a client sends several lines at once (fence_lpar, paramiko), command
/// N+1 starts only after command N's output and the next prompt went out, and
/// the transcript reads like a terminal's.
async fn run_shell(
    term: Term,
    shell: Arc<dyn Shell>,
    user: String,
    peer: SocketAddr,
    prompt: String,
    mut input: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let (mut line, mut echo) = (Vec::new(), Vec::new());
    let (mut status, mut esc, mut after_cr) = (0, Esc::No, false);
    if !term.write(&prompt).await {
        return;
    }
    while let Some(chunk) = input.recv().await {
        for b in chunk {
            // Swallow escape sequences (arrow keys...): ESC, then '[' or 'O' with
            // parameters up to a final byte, or ESC and one other byte.
            let was = esc;
            match (esc, b) {
                (Esc::No, 0x1b) => esc = Esc::Start,
                (Esc::No, _) => {}
                (Esc::Start, b'[' | b'O') => esc = Esc::Seq,
                (Esc::Seq, 0x20..=0x3f) => {}
                (Esc::Start | Esc::Seq, _) => esc = Esc::No,
            }
            if was != Esc::No || esc != Esc::No {
                continue;
            }
            // "\r\n" is one line end, not a line and a blank one.
            let lf_after_cr = b == b'\n' && after_cr;
            after_cr = b == b'\r';
            match b {
                _ if lf_after_cr => {}
                b'\r' | b'\n' => {
                    echo.extend_from_slice(b"\r\n");
                    if !term.echo(&mut echo).await {
                        return;
                    }
                    let text = String::from_utf8_lossy(&std::mem::take(&mut line))
                        .trim()
                        .to_owned();
                    match text.as_str() {
                        "" => {}
                        "exit" | "quit" => return term.finish(0).await,
                        _ => {
                            info!(%user, %peer, line = %text, "SSH shell command");
                            let (out, st) = shell.run(&user, &text).await;
                            status = st;
                            if !term.write(&out).await {
                                return;
                            }
                        }
                    }
                    if !term.write(&prompt).await {
                        return;
                    }
                }
                0x7f | 0x08 => {
                    if pop_char(&mut line) {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
                // Ctrl-C abandons the line, as in bash.
                0x03 => {
                    line.clear();
                    echo.extend_from_slice(b"^C\r\n");
                    if !term.echo(&mut echo).await || !term.write(&prompt).await {
                        return;
                    }
                }
                0x04 if line.is_empty() => {
                    let _ = term.echo(&mut echo).await;
                    return term.finish(0).await;
                }
                b if b < 0x20 && b != b'\t' => {}
                b => {
                    line.push(b);
                    echo.push(b);
                }
            }
        }
        if !term.echo(&mut echo).await {
            return;
        }
    }
    // The client sent EOF (a script piped into `ssh`): end like sh does.
    term.finish(status).await;
}

/// Removes the last UTF-8 character: its continuation bytes, then its first byte.
fn pop_char(line: &mut Vec<u8>) -> bool {
    while line.last().is_some_and(|b| b & 0xc0 == 0x80) {
        line.pop();
    }
    line.pop().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::ChannelMsg;
    use russh::client;
    use russh::keys::PrivateKeyWithHashAlg;
    use std::future::Future;

    const PROMPT: &str = "hscroot@hmc1:~> ";

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
    }

    /// hscroot / abc123, or the key of seed 7.
    struct Dummy;

    impl Shell for Dummy {
        fn check_password(&self, user: &str, password: &str) -> bool {
            user == "hscroot" && password == "abc123"
        }
        fn check_key(&self, user: &str, key_openssh: &str) -> bool {
            let ours = key(7).public_key().to_openssh().unwrap_or_default();
            let words = |k: &str| {
                k.split_whitespace()
                    .take(2)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            };
            user == "hscroot" && words(key_openssh) == words(&ours)
        }
        fn run(&self, _: &str, line: &str) -> BoxFuture<'static, (String, u32)> {
            let line = line.to_owned();
            Box::pin(async move {
                if line.starts_with("sleep") {
                    // Makes an out-of-order reply visible.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                (format!("ran: {line}\n"), if line == "fail" { 1 } else { 0 })
            })
        }
    }

    async fn t<F: Future>(f: F) -> F::Output {
        tokio::time::timeout(Duration::from_secs(5), f)
            .await
            .expect("timed out")
    }

    async fn start() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(serve_listener(
            listener,
            key(1),
            "hmc1".into(),
            Arc::new(Dummy),
        ));
        port
    }

    struct Client;
    impl client::Handler for Client {
        type Error = russh::Error;
        async fn check_server_key(
            &mut self,
            _: &russh::keys::PublicKeyOrCertificate,
        ) -> Result<bool, Self::Error> {
            Ok(true)
        }
    }

    async fn connect(port: u16) -> client::Handle<Client> {
        let cfg = Arc::new(client::Config::default());
        t(client::connect(cfg, ("127.0.0.1", port), Client))
            .await
            .unwrap()
    }

    async fn login(port: u16) -> client::Handle<Client> {
        let mut c = connect(port).await;
        assert!(
            t(c.authenticate_password("hscroot", "abc123"))
                .await
                .unwrap()
                .success()
        );
        c
    }

    /// Reads the channel until `until` holds; returns the output and the exit status.
    async fn read(
        ch: &mut Channel<client::Msg>,
        until: impl Fn(&str, Option<u32>) -> bool,
    ) -> (String, Option<u32>) {
        let (mut out, mut status) = (String::new(), None);
        while !until(&out, status) {
            match t(ch.wait()).await {
                Some(ChannelMsg::Data { data }) => out.push_str(&String::from_utf8_lossy(&data)),
                Some(ChannelMsg::ExitStatus { exit_status }) => status = Some(exit_status),
                Some(_) => {}
                None => break,
            }
        }
        (out, status)
    }

    async fn exec(c: &client::Handle<Client>, line: &str) -> (String, Option<u32>) {
        let mut ch = t(c.channel_open_session()).await.unwrap();
        t(ch.exec(true, line)).await.unwrap();
        read(&mut ch, |_, _| false).await // until the server closes the channel
    }

    #[tokio::test]
    async fn password_auth_with_retries() {
        let port = start().await;
        let mut c = connect(port).await;
        assert!(
            !t(c.authenticate_password("hscroot", "wrong"))
                .await
                .unwrap()
                .success()
        );
        assert!(
            !t(c.authenticate_password("nobody", "abc123"))
                .await
                .unwrap()
                .success()
        );
        assert!(
            t(c.authenticate_password("hscroot", "abc123"))
                .await
                .unwrap()
                .success()
        );
    }

    #[tokio::test]
    async fn key_auth() {
        let port = start().await;
        let mut c = connect(port).await;
        let with = |k: PrivateKey| PrivateKeyWithHashAlg::new(Arc::new(k), None);
        assert!(
            !t(c.authenticate_publickey("hscroot", with(key(8))))
                .await
                .unwrap()
                .success()
        );
        assert!(
            t(c.authenticate_publickey("hscroot", with(key(7))))
                .await
                .unwrap()
                .success()
        );
        assert_eq!(
            exec(&c, "lshmc -V").await,
            ("ran: lshmc -V\n".into(), Some(0))
        );
    }

    #[tokio::test]
    async fn exec_output_and_status() {
        let c = login(start().await).await;
        assert_eq!(
            exec(&c, "lssyscfg -r sys").await,
            ("ran: lssyscfg -r sys\n".into(), Some(0))
        );
        assert_eq!(exec(&c, "fail").await, ("ran: fail\n".into(), Some(1)));
    }

    #[tokio::test]
    async fn interactive_shell_with_pty() {
        let c = login(start().await).await;
        let mut ch = t(c.channel_open_session()).await.unwrap();
        t(ch.request_pty(true, "xterm", 80, 24, 0, 0, &[]))
            .await
            .unwrap();
        t(ch.request_shell(true)).await.unwrap();
        assert_eq!(read(&mut ch, |o, _| o.ends_with(PROMPT)).await.0, PROMPT);
        // Two lines in one write, the first slower than the second; an arrow
        // key and a typo fixed with backspace on the way.
        t(ch.data_bytes(&b"sleep 1\nlsx\x7fhmc\x1b[A\r\n"[..]))
            .await
            .unwrap();
        let (out, _) = read(&mut ch, |o, _| o.matches(PROMPT).count() == 2).await;
        assert_eq!(
            out,
            format!("sleep 1\r\nran: sleep 1\r\n{PROMPT}lsx\x08 \x08hmc\r\nran: lshmc\r\n{PROMPT}")
        );
        t(ch.data_bytes(&b"\r"[..])).await.unwrap();
        assert_eq!(
            read(&mut ch, |o, _| o.ends_with(PROMPT)).await.0,
            format!("\r\n{PROMPT}")
        );
        t(ch.data_bytes(&b"exit\r"[..])).await.unwrap();
        assert_eq!(
            read(&mut ch, |_, _| false).await,
            ("exit\r\n".into(), Some(0))
        );
    }

    #[tokio::test]
    async fn shell_without_pty_and_ctrl_d() {
        let c = login(start().await).await;
        let mut ch = t(c.channel_open_session()).await.unwrap();
        t(ch.request_shell(true)).await.unwrap();
        t(ch.data_bytes(&b"one\ntwo\n\x04"[..])).await.unwrap();
        let (out, status) = read(&mut ch, |_, _| false).await;
        assert_eq!(out, format!("{PROMPT}ran: one\n{PROMPT}ran: two\n{PROMPT}"));
        assert_eq!(status, Some(0));
    }

    #[tokio::test]
    async fn host_key_is_created_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("pvm-hmc-ssh-test-{}", std::process::id()));
        let path = dir.join("sub/ssh_host_ed25519_key");
        let first = load_or_create_host_key(&path).unwrap();
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            load_or_create_host_key(&path).unwrap().public_key(),
            first.public_key()
        );
        std::fs::write(&path, "garbage").unwrap();
        assert!(matches!(
            load_or_create_host_key(&path),
            Err(SshError::HostKey { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn bind_failure_is_an_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dir = std::env::temp_dir().join(format!("pvm-hmc-ssh-bind-{}", std::process::id()));
        let cfg = SshConfig {
            listen: taken.local_addr().unwrap(),
            host_key: dir.join("key"),
            hostname: "hmc1".into(),
        };
        let r = t(serve(cfg, Arc::new(Dummy))).await;
        let _ = std::fs::remove_dir_all(&dir);
        assert!(matches!(r, Err(SshError::Bind { .. })), "{r:?}");
    }

    /// Runs OpenSSH through sshpass as Ansible does, `input` on its stdin.
    async fn openssh(port: u16, args: &[&str], input: &str) -> std::process::Output {
        use tokio::io::AsyncWriteExt;
        let mut child = tokio::process::Command::new("sshpass")
            .args([
                "-p",
                "abc123",
                "ssh",
                "-F",
                "/dev/null",
                "-o",
                "LogLevel=ERROR",
            ])
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
            ])
            .args(["-o", "PubkeyAuthentication=no", "-p", &port.to_string()])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        t(stdin.write_all(input.as_bytes())).await.unwrap();
        drop(stdin);
        t(child.wait_with_output()).await.unwrap()
    }

    #[tokio::test]
    async fn openssh_client() {
        if !std::process::Command::new("sh")
            .args(["-c", "command -v sshpass && command -v ssh"])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            eprintln!("sshpass or ssh not installed: skipping the OpenSSH test");
            return;
        }
        let port = start().await;
        let out = openssh(port, &["hscroot@127.0.0.1", "lssyscfg -r sys"], "").await;
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "ran: lssyscfg -r sys\n"
        );
        assert_eq!(out.status.code(), Some(0));
        let out = openssh(port, &["hscroot@127.0.0.1", "fail"], "").await;
        assert_eq!(out.status.code(), Some(1));
        // A pty shell fed by a script, as fence_lpar does.
        let out = openssh(port, &["-tt", "hscroot@127.0.0.1"], "lshmc -V\nexit\n").await;
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{PROMPT}lshmc -V\r\nran: lshmc -V\r\n{PROMPT}exit\r\n")
        );
        assert_eq!(out.status.code(), Some(0));
    }
}
