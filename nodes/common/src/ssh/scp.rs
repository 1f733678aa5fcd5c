//! The old scp protocol over an exec channel (`scp -O`, and clients older
//! than OpenSSH 9): `scp -t PATH` receives files into the user's home,
//! `scp -f PATH` sends one from it. Only files of the home, through
//! `crate::files`; `-r` directories are received as directories of it.

use super::term::Term;
use crate::files::{Home, MAX_FILE};
use std::collections::VecDeque;
use std::io::{Read, Write};
use tokio::sync::mpsc;

/// An scp command line: sink (`-t`) or source (`-f`), and its path.
#[derive(Debug, PartialEq)]
pub(super) enum Scp {
    To { path: String, dir: bool },
    From { path: String },
}

/// Recognises `scp -t …` / `scp -f …` as OpenSSH's client sends them.
pub(super) fn parse(line: &str) -> Option<Scp> {
    let words = shell_words(line)?;
    let (cmd, args) = words.split_first()?;
    if cmd != "scp" {
        return None;
    }
    let (mut to, mut from, mut dir, mut path) = (false, false, false, None);
    let mut rest = args.iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--" => {
                path = rest.next().cloned();
                break;
            }
            s if s.starts_with('-') => {
                for c in s[1..].chars() {
                    match c {
                        't' => to = true,
                        'f' => from = true,
                        'd' => dir = true,
                        'r' | 'p' | 'v' | 'q' => {}
                        _ => return None,
                    }
                }
            }
            s => {
                path = Some(s.to_string());
                break;
            }
        }
    }
    let path = path.unwrap_or_else(|| ".".into());
    match (to, from) {
        (true, false) => Some(Scp::To { path, dir }),
        (false, true) => Some(Scp::From { path }),
        _ => None,
    }
}

/// The client quotes the path as a shell word (`'my file'`).
fn shell_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let (mut sq, mut dq, mut any) = (false, false, false);
    let mut it = line.chars();
    while let Some(c) = it.next() {
        match c {
            '\'' if !dq => {
                sq = !sq;
                any = true;
            }
            '"' if !sq => {
                dq = !dq;
                any = true;
            }
            '\\' if !sq => cur.push(it.next()?),
            c if c.is_whitespace() && !sq && !dq => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => cur.push(c),
        }
    }
    if sq || dq {
        return None;
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    Some(words)
}

/// The channel's input as a byte stream.
struct Reader {
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    buf: VecDeque<u8>,
}

impl Reader {
    async fn fill(&mut self) -> bool {
        match self.rx.recv().await {
            Some(d) => {
                self.buf.extend(d);
                true
            }
            None => false,
        }
    }

    async fn byte(&mut self) -> Option<u8> {
        while self.buf.is_empty() {
            if !self.fill().await {
                return None;
            }
        }
        self.buf.pop_front()
    }

    /// A protocol line (without its newline), bounded in length.
    async fn line(&mut self) -> Option<String> {
        let mut l = Vec::new();
        loop {
            match self.byte().await? {
                b'\n' => return Some(String::from_utf8_lossy(&l).into_owned()),
                b => {
                    if l.len() > 4096 {
                        return None;
                    }
                    l.push(b);
                }
            }
        }
    }

    /// `n` bytes into `out`, chunk by chunk.
    async fn copy(&mut self, mut n: u64, out: &mut impl Write) -> Result<(), String> {
        while n > 0 {
            if self.buf.is_empty() && !self.fill().await {
                return Err("lost connection".into());
            }
            let take = (self.buf.len() as u64).min(n) as usize;
            let chunk: Vec<u8> = self.buf.drain(..take).collect();
            out.write_all(&chunk).map_err(|e| e.kind().to_string())?;
            n -= take as u64;
        }
        Ok(())
    }
}

/// Runs one scp exec to its end, with the channel's exit status.
pub(super) async fn run(term: Term, home: Home, scp: Scp, rx: mpsc::UnboundedReceiver<Vec<u8>>) {
    let mut r = Reader {
        rx,
        buf: VecDeque::new(),
    };
    let status = match scp {
        Scp::To { path, dir } => sink(&term, &home, &path, dir, &mut r).await,
        Scp::From { path } => source(&term, &home, &path, &mut r).await,
    };
    term.finish(status).await;
}

async fn fatal(term: &Term, msg: &str) -> u32 {
    let _ = term
        .write_bytes(format!("\x01scp: {msg}\n").into_bytes())
        .await;
    1
}

/// Receives files: `C<mode> <size> <name>`, `D…`/`E` for directories and
/// `T…` times, each answered with a zero byte.
async fn sink(term: &Term, home: &Home, target: &str, dir_wanted: bool, r: &mut Reader) -> u32 {
    let target_is_dir = home.metadata(target).is_ok_and(|(_, m)| m.is_dir());
    if dir_wanted && !target_is_dir {
        return fatal(term, &format!("{target}: Not a directory")).await;
    }
    if !term.write_bytes(vec![0]).await {
        return 1;
    }
    // The directories `D` opened (their paths), innermost last.
    let mut stack: Vec<String> = Vec::new();
    let mut status = 0;
    loop {
        let Some(first) = r.byte().await else {
            return status;
        };
        let Some(rest) = r.line().await else {
            return 1;
        };
        match first {
            b'T' => {}
            b'E' => {
                stack.pop();
            }
            b'C' | b'D' => {
                let mut parts = rest.splitn(3, ' ');
                let (_mode, size, name) = (parts.next(), parts.next(), parts.next());
                let (Some(size), Some(name)) = (size.and_then(|s| s.parse::<u64>().ok()), name)
                else {
                    return fatal(term, "protocol error: bad file line").await;
                };
                if name.is_empty() || name.contains('/') || name == ".." || name == "." {
                    return fatal(term, &format!("error: unexpected filename: {name}")).await;
                }
                // Inside the directory being received, or the target one;
                // else the target itself is the name (of a file or directory).
                let parent = stack
                    .last()
                    .cloned()
                    .or_else(|| target_is_dir.then(|| target.trim_end_matches('/').to_string()));
                let base = match parent {
                    Some(p) => format!("{p}/{name}"),
                    None => target.to_string(),
                };
                if first == b'D' {
                    if let Err(e) = home.mkdir(&base)
                        && !home.metadata(&base).is_ok_and(|(_, m)| m.is_dir())
                    {
                        return fatal(term, &e.to_string()).await;
                    }
                    stack.push(base);
                } else {
                    if size > MAX_FILE {
                        return fatal(term, &format!("{base}: the file is too large for the HMC"))
                            .await;
                    }
                    match home.open_write(&base, true) {
                        Ok((_, mut f)) => {
                            if !term.write_bytes(vec![0]).await {
                                return 1;
                            }
                            if let Err(e) = r.copy(size, &mut f).await {
                                return fatal(term, &format!("{base}: {e}")).await;
                            }
                            // The client ends the data with a zero byte.
                            if r.byte().await != Some(0) {
                                return 1;
                            }
                        }
                        Err(e) => {
                            // As OpenSSH's sink does: take the file's bytes,
                            // then answer them with the warning, and go on.
                            if !term.write_bytes(vec![0]).await {
                                return 1;
                            }
                            if r.copy(size, &mut std::io::sink()).await.is_err() {
                                return 1;
                            }
                            let _ = r.byte().await;
                            let _ = term
                                .write_bytes(format!("\x01scp: {e}\n").into_bytes())
                                .await;
                            status = 1;
                            continue;
                        }
                    }
                }
            }
            b'\x01' | b'\x02' => return 1,
            _ => return fatal(term, "protocol error: unexpected line").await,
        }
        if !term.write_bytes(vec![0]).await {
            return 1;
        }
    }
}

/// Sends one file of the home.
async fn source(term: &Term, home: &Home, path: &str, r: &mut Reader) -> u32 {
    if r.byte().await != Some(0) {
        return 1;
    }
    let (resolved, mut f) = match home.open_read(path) {
        Ok(x) => x,
        Err(e) => return fatal(term, &e.to_string()).await,
    };
    let mut data = Vec::new();
    if f.read_to_end(&mut data).is_err() {
        return fatal(term, &format!("{path}: read error")).await;
    }
    let name = resolved.rel.last().cloned().unwrap_or_default();
    let header = format!("C0644 {} {name}\n", data.len());
    if !term.write_bytes(header.into_bytes()).await || r.byte().await != Some(0) {
        return 1;
    }
    data.push(0);
    if !term.write_bytes(data).await || r.byte().await != Some(0) {
        return 1;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_lines() {
        assert_eq!(
            parse("scp -t -- /home/hscroot/p.txt"),
            Some(Scp::To {
                path: "/home/hscroot/p.txt".into(),
                dir: false
            })
        );
        assert_eq!(
            parse("scp -d -t .").unwrap(),
            Scp::To {
                path: ".".into(),
                dir: true
            }
        );
        assert_eq!(
            parse("scp -f 'my file'"),
            Some(Scp::From {
                path: "my file".into()
            })
        );
        assert_eq!(parse("scp a b"), None);
        assert_eq!(parse("lssyscfg -r sys"), None);
        assert_eq!(parse("scp -t 'open"), None);
    }
}
