//! The SSH server against a dummy [`Shell`], with russh's client and with
//! OpenSSH's where it is installed.

use super::*;
use russh::keys::PrivateKey;
use russh::keys::PrivateKeyWithHashAlg;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::{Channel, ChannelMsg, client};
use std::future::Future;
use std::time::Duration;

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
    fn home(&self, user: &str) -> Option<crate::files::Home> {
        (user == "hscroot").then(|| crate::files::Files::new(homes()).home(user))
    }
}

/// The dummy's homes: one directory for the whole test binary.
fn homes() -> std::path::PathBuf {
    static D: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    D.get_or_init(|| tempfile::tempdir().unwrap())
        .path()
        .to_path_buf()
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
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
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

/// Reads the channel until `n` bytes came (or it ends).
async fn bytes(ch: &mut Channel<client::Msg>, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < n {
        match t(ch.wait()).await {
            Some(ChannelMsg::Data { data }) => out.extend_from_slice(&data),
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => break,
            Some(_) => {}
        }
    }
    out
}

async fn status(ch: &mut Channel<client::Msg>) -> Option<u32> {
    loop {
        match t(ch.wait()).await {
            Some(ChannelMsg::ExitStatus { exit_status }) => return Some(exit_status),
            None => return None,
            Some(_) => {}
        }
    }
}

#[tokio::test]
async fn scp_protocol_into_and_out_of_the_home() {
    let port = start().await;
    let c = login(port).await;
    // Receive (`scp -t`): ready, file line, data, each acknowledged.
    let mut ch = t(c.channel_open_session()).await.unwrap();
    t(ch.exec(true, "scp -t -- proto.txt")).await.unwrap();
    assert_eq!(bytes(&mut ch, 1).await, [0]);
    t(ch.data(&b"C0644 6 proto.txt\n"[..])).await.unwrap();
    assert_eq!(bytes(&mut ch, 1).await, [0]);
    t(ch.data(&b"hello\n\0"[..])).await.unwrap();
    assert_eq!(bytes(&mut ch, 1).await, [0]);
    t(ch.eof()).await.unwrap();
    assert_eq!(status(&mut ch).await, Some(0));
    assert_eq!(
        std::fs::read_to_string(homes().join("hscroot/proto.txt")).unwrap(),
        "hello\n"
    );
    // Send (`scp -f`).
    let mut ch = t(c.channel_open_session()).await.unwrap();
    t(ch.exec(true, "scp -f /home/hscroot/proto.txt"))
        .await
        .unwrap();
    t(ch.data(&b"\0"[..])).await.unwrap();
    assert_eq!(bytes(&mut ch, 18).await, b"C0644 6 proto.txt\n");
    t(ch.data(&b"\0"[..])).await.unwrap();
    assert_eq!(bytes(&mut ch, 7).await, b"hello\n\0");
    t(ch.data(&b"\0"[..])).await.unwrap();
    assert_eq!(status(&mut ch).await, Some(0));
    // A host file is refused with scp's error line, its content unsent.
    let mut ch = t(c.channel_open_session()).await.unwrap();
    t(ch.exec(true, "scp -f /etc/passwd")).await.unwrap();
    t(ch.data(&b"\0"[..])).await.unwrap();
    let err = String::from_utf8_lossy(&bytes(&mut ch, 200).await).into_owned();
    assert!(
        err.starts_with("\x01scp: /etc/passwd: Permission denied."),
        "{err:?}"
    );
    let mut ch = t(c.channel_open_session()).await.unwrap();
    t(ch.exec(true, "scp -t /tmp")).await.unwrap();
    assert_eq!(bytes(&mut ch, 1).await, [0]);
    t(ch.data(&b"C0644 1 x\n"[..])).await.unwrap();
    assert_eq!(bytes(&mut ch, 1).await, [0]);
    t(ch.data(&b"x\0"[..])).await.unwrap();
    t(ch.eof()).await.unwrap();
    let err = String::from_utf8_lossy(&bytes(&mut ch, 200).await).into_owned();
    assert!(
        err.starts_with("\x01scp: /tmp: Permission denied."),
        "{err:?}"
    );
}

/// OpenSSH's scp through sshpass; `extra` is e.g. `-O` for the old protocol.
async fn openssh_scp(port: u16, extra: &[&str], from: &str, to: &str) -> std::process::Output {
    let child = tokio::process::Command::new("sshpass")
        .args([
            "-p",
            "abc123",
            "scp",
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
        .args(["-o", "PubkeyAuthentication=no", "-P", &port.to_string()])
        .args(extra)
        .args([from, to])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    t(child.wait_with_output()).await.unwrap()
}

#[tokio::test]
async fn openssh_scp_both_protocols() {
    if !std::process::Command::new("sh")
        .args(["-c", "command -v sshpass && command -v scp"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("sshpass or scp not installed: skipping the OpenSSH scp test");
        return;
    }
    let port = start().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("p.txt");
    std::fs::write(&src, "name=p,lpar_name=a\n").unwrap();
    for (extra, name) in [(&[][..], "sftp.txt"), (&["-O"][..], "legacy.txt")] {
        let out = openssh_scp(
            port,
            extra,
            src.to_str().unwrap(),
            &format!("hscroot@127.0.0.1:{name}"),
        )
        .await;
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(homes().join("hscroot").join(name)).unwrap(),
            "name=p,lpar_name=a\n"
        );
        let back = dir.path().join(format!("back-{name}"));
        let out = openssh_scp(
            port,
            extra,
            &format!("hscroot@127.0.0.1:{name}"),
            back.to_str().unwrap(),
        )
        .await;
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(&back).unwrap(),
            "name=p,lpar_name=a\n"
        );
        let out = openssh_scp(
            port,
            extra,
            "hscroot@127.0.0.1:/etc/passwd",
            dir.path().join("x").to_str().unwrap(),
        )
        .await;
        assert!(!out.status.success(), "{extra:?} copied /etc/passwd");
        assert!(!dir.path().join("x").exists());
    }
    // A directory with -r, both ways.
    let tree = dir.path().join("profiles");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("sub/a.txt"), "a\n").unwrap();
    for (extra, name) in [(&["-r"][..], "tree1"), (&["-r", "-O"][..], "tree2")] {
        let out = openssh_scp(
            port,
            extra,
            tree.to_str().unwrap(),
            &format!("hscroot@127.0.0.1:{name}"),
        )
        .await;
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(homes().join("hscroot").join(name).join("sub/a.txt")).unwrap(),
            "a\n"
        );
    }
}
