//! The output side of a channel: command output and prompts, echo, and the
//! end of the channel with its exit status.

use russh::ChannelId;
use russh::server::Handle;

/// The output side of a channel, usable from a task outside the russh handler.
pub(super) struct Term {
    h: Handle,
    ch: ChannelId,
    pty: bool,
}

impl Term {
    pub(super) fn new(h: Handle, ch: ChannelId, pty: bool) -> Term {
        Term { h, ch, pty }
    }

    /// Sends command output or a prompt, with a tty's `\n` → `\r\n` translation
    /// when a pty was requested. False once the client is gone.
    pub(super) async fn write(&self, text: &str) -> bool {
        let text = if self.pty {
            crlf(text)
        } else {
            text.to_owned()
        };
        text.is_empty() || self.h.data(self.ch, text.into_bytes()).await.is_ok()
    }

    /// Sends bytes as they are (a file protocol's, never translated).
    pub(super) async fn write_bytes(&self, data: Vec<u8>) -> bool {
        data.is_empty() || self.h.data(self.ch, data).await.is_ok()
    }

    /// Sends the pending echo, if the client has a terminal to show it on.
    pub(super) async fn echo(&self, echo: &mut Vec<u8>) -> bool {
        let echo = std::mem::take(echo);
        !self.pty || echo.is_empty() || self.h.data(self.ch, echo).await.is_ok()
    }

    pub(super) async fn finish(&self, status: u32) {
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
