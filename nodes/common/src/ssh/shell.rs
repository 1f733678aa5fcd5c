//! The interactive shell of a channel (fence_lpar, paramiko, people): a
//! line editor that echoes on a pty, runs each line through the [`Shell`]
//! and prompts again.

use super::Shell;
use super::term::Term;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::info;

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
pub(super) async fn run_shell(
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
