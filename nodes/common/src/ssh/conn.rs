//! One SSH connection: authentication through the [`Shell`], its session
//! channels, and what each runs (one exec, or an interactive shell).

use super::Shell;
use super::shell::run_shell;
use super::term::Term;
use russh::keys::PublicKey;
use russh::server::{Auth, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tracing::{info, warn};

pub(super) fn methods() -> MethodSet {
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
pub(super) struct Conn {
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
    /// The channel itself, kept until a request says what it runs: only
    /// SFTP reads it as a stream; exec and shell drop it (see
    /// `channel_open_session`).
    channel: Option<Channel<Msg>>,
    /// Runs the SFTP subsystem, which ends when the client's EOF comes.
    sftp: bool,
}

impl Conn {
    pub(super) fn new(shell: Arc<dyn Shell>, hostname: Arc<str>, peer: SocketAddr) -> Conn {
        Conn {
            shell,
            hostname,
            peer,
            user: String::new(),
            chans: HashMap::new(),
        }
    }

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
        Term::new(session.handle(), ch, pty)
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
        // `channel` is kept only until its request: exec and shell take their
        // input through the handler callbacks, and a kept but unread Channel
        // would stall the session once its queue fills.
        self.chans.insert(
            channel.id(),
            Chan {
                channel: Some(channel),
                ..Chan::default()
            },
        );
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
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let home = self.shell.home(&self.user);
        let channel = match (name, home.is_some(), self.idle(ch)) {
            ("sftp", true, Some(_)) => self.chans.get_mut(&ch).and_then(|c| c.channel.take()),
            _ => None,
        };
        let (Some(channel), Some(home)) = (channel, home) else {
            return reply(session, ch, false);
        };
        reply(session, ch, true)?;
        info!(user = %self.user, peer = %self.peer, "SFTP session");
        if let Some(c) = self.chans.get_mut(&ch) {
            c.sftp = true;
        }
        russh_sftp::server::run(channel.into_stream(), super::sftp::Sftp::new(home)).await;
        Ok(())
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
        if let Some(c) = self.chans.get_mut(&ch) {
            c.channel = None;
        }
        // `scp -t` / `scp -f`: the old file copy protocol, on the user's home.
        if let (Some(scp), Some(home)) = (super::scp::parse(&line), self.shell.home(&self.user)) {
            let (tx, rx) = mpsc::unbounded_channel();
            let term = self.term(session, ch, false);
            let task = tokio::spawn(super::scp::run(term, home, scp, rx));
            if let Some(c) = self.chans.get_mut(&ch) {
                c.input = Some(tx);
                c.task = Some(task.abort_handle());
            }
            return Ok(());
        }
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
        if let Some(c) = self.chans.get_mut(&ch) {
            c.channel = None;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let term = self.term(session, ch, pty);
        let prompt = self.shell.prompt(&self.user, &self.hostname);
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

    async fn channel_eof(
        &mut self,
        ch: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.chans.get_mut(&ch) {
            c.input = None;
            // The client has every answer it waited for: the subsystem ends
            // with a status, as OpenSSH's sftp-server does (scp checks it).
            if c.sftp {
                session.exit_status_request(ch, 0)?;
                session.eof(ch)?;
                session.close(ch)?;
            }
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
