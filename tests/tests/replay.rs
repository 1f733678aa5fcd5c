//! A replay of what the real clients send: every HMC command line and REST
//! request of IBM's `ibm.power_hmc` Ansible collection (its module_utils,
//! modules and inventory plugin) and of hmc-mcp (`ssh_commands.py`, its
//! cheatsheet, its REST client), written down as data in `tests/replay/*.txt`
//! with what each client's parser needs from the answer. One lab runs them
//! all, in order, and the test fails once, listing every case that did not
//! get the answer its client needs, so a fix can be checked against all of
//! them at once.
//!
//! The case format is described at the top of `tests/replay/ansible.txt`.

use pvmlab_tests::Lab;
use regex::Regex;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const FILES: &[(&str, &str)] = &[
    ("ansible.txt", include_str!("../replay/ansible.txt")),
    ("hmc_mcp.txt", include_str!("../replay/hmc_mcp.txt")),
];

#[derive(Debug, Clone)]
enum Action {
    Cli(String),
    Rest { method: String, path: String },
}

#[derive(Debug, Clone)]
enum Expect {
    /// `exit 0`, `exit 1`, `exit !0`.
    Exit {
        not: bool,
        code: i64,
    },
    /// `status 200|204`.
    Status(Vec<i64>),
    Match(String),
    NoMatch(String),
    /// Every key=value record (line) has these attributes.
    Keys(Vec<String>),
    /// Every -F line has exactly these values (and the first line is
    /// them, where the command asked for `--header`).
    Fields(Vec<String>),
    /// How many non-empty lines: `>=1`, `=2`, `<=3`.
    Records(char, usize),
    /// The body is JSON; every object (of an array, or the one) has these keys.
    Json(Vec<String>),
    /// The body has these XML elements (with or without a namespace prefix).
    Xml(Vec<String>),
    /// The response has this header.
    Header(String),
    Empty,
}

#[derive(Debug, Clone)]
struct Case {
    id: String,
    at: String,
    from: String,
    part: String,
    todo: Option<String>,
    hmc: String,
    action: Option<Action>,
    headers: Vec<(String, String)>,
    body: Option<String>,
    body_var: Option<String>,
    edits: Vec<(String, String)>,
    expects: Vec<Expect>,
    captures: Vec<(String, String)>,
    wait: u64,
    /// Cases whose failure leaves this one nothing to check.
    needs: Vec<String>,
}

fn parse_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn parse_expect(v: &str) -> Result<Expect, String> {
    let (kind, rest) = v.split_once(' ').unwrap_or((v, ""));
    let rest = rest.trim_start();
    Ok(match kind {
        "exit" => match rest.strip_prefix('!') {
            Some(c) => Expect::Exit {
                not: true,
                code: c.parse().map_err(|_| format!("bad exit {rest}"))?,
            },
            None => Expect::Exit {
                not: false,
                code: rest.parse().map_err(|_| format!("bad exit {rest}"))?,
            },
        },
        "status" => Expect::Status(
            rest.split('|')
                .map(|s| s.trim().parse().map_err(|_| format!("bad status {rest}")))
                .collect::<Result<_, _>>()?,
        ),
        "match" => Expect::Match(rest.to_string()),
        "nomatch" => Expect::NoMatch(rest.to_string()),
        "keys" => Expect::Keys(parse_list(rest)),
        "fields" => Expect::Fields(parse_list(rest)),
        "records" => {
            let op = rest.chars().next().ok_or("records needs a count")?;
            let n = rest.trim_start_matches(['>', '<', '=']);
            Expect::Records(op, n.parse().map_err(|_| format!("bad records {rest}"))?)
        }
        "json" => Expect::Json(parse_list(rest)),
        "xml" => Expect::Xml(parse_list(rest)),
        "header" => Expect::Header(rest.to_string()),
        "empty" => Expect::Empty,
        _ => return Err(format!("unknown expectation {kind}")),
    })
}

fn parse_cases(file: &str, text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let value = value.trim_start().to_string();
        let at = format!("{file}:{}", n + 1);
        if key == "case" {
            cases.push(Case {
                id: value,
                at,
                from: String::new(),
                part: String::new(),
                todo: None,
                hmc: "hmc1".into(),
                action: None,
                headers: Vec::new(),
                body: None,
                body_var: None,
                edits: Vec::new(),
                expects: Vec::new(),
                captures: Vec::new(),
                wait: 0,
                needs: Vec::new(),
            });
            continue;
        }
        let c = cases
            .last_mut()
            .unwrap_or_else(|| panic!("{at}: `{key}` before the first `case`"));
        match key {
            "from" => c.from = value,
            "part" => c.part = value,
            "todo" => c.todo = Some(value),
            "hmc" => c.hmc = value,
            "cli" => c.action = Some(Action::Cli(value)),
            "rest" => {
                let (m, p) = value
                    .split_once(' ')
                    .unwrap_or_else(|| panic!("{at}: rest METHOD PATH"));
                c.action = Some(Action::Rest {
                    method: m.into(),
                    path: p.trim().into(),
                });
            }
            "header" => {
                let (k, v) = value
                    .split_once(':')
                    .unwrap_or_else(|| panic!("{at}: header Name: value"));
                c.headers.push((k.trim().into(), v.trim().into()));
            }
            "body" => c.body = Some(value),
            "body-var" => c.body_var = Some(value),
            "edit" => {
                let (re, with) = value
                    .split_once(" => ")
                    .unwrap_or_else(|| panic!("{at}: edit REGEX => REPLACEMENT"));
                c.edits.push((re.into(), with.into()));
            }
            "expect" => c
                .expects
                .push(parse_expect(&value).unwrap_or_else(|e| panic!("{at}: {e}"))),
            "capture" => {
                let (name, re) = value
                    .split_once(' ')
                    .unwrap_or_else(|| panic!("{at}: capture NAME REGEX"));
                c.captures.push((name.into(), re.trim_start().into()));
            }
            "needs" => c.needs.extend(parse_list(&value)),
            "wait" => c.wait = value.parse().unwrap_or_else(|_| panic!("{at}: wait SECS")),
            _ => panic!("{at}: unknown key `{key}`"),
        }
    }
    for (i, c) in cases.iter().enumerate() {
        for n in &c.needs {
            assert!(
                cases[..i].iter().any(|e| e.id == *n),
                "{}: case {} needs {n}, which is not an earlier case",
                c.at,
                c.id
            );
        }
        assert!(
            c.action.is_some(),
            "{}: case {} has no cli or rest",
            c.at,
            c.id
        );
        assert!(!c.part.is_empty(), "{}: case {} has no part", c.at, c.id);
    }
    cases
}

/// `{name}` replaced by the variable's value; an unknown name is an error.
fn subst(s: &str, vars: &HashMap<String, String>) -> Result<String, String> {
    let re = Regex::new(r"\{([A-Za-z_][A-Za-z0-9_]*)\}").unwrap();
    let mut missing = Vec::new();
    let out = re.replace_all(s, |c: &regex::Captures| match vars.get(&c[1]) {
        Some(v) => v.clone(),
        None => {
            missing.push(c[1].to_string());
            String::new()
        }
    });
    if missing.is_empty() {
        Ok(out.into_owned())
    } else {
        Err(format!(
            "blocked: needs {{{}}}, which an earlier case did not capture",
            missing.join("}, {")
        ))
    }
}

/// One line of HMC output split as the HMC quotes it: a value holding a
/// comma is wrapped in double quotes, a quote inside one is doubled.
fn split_hmc(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    let mut at_start = true;
    while let Some(ch) = chars.next() {
        if quoted {
            if ch == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(ch);
            }
        } else if ch == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if ch == ',' {
            out.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(ch);
            at_start = false;
        }
    }
    out.push(cur);
    out
}

struct Answer {
    /// Exit status (command line) or HTTP status (REST).
    status: i64,
    headers: String,
    body: String,
}

/// The regex of an expectation with `{name}` replaced by the variable's
/// value, escaped (a regex's own `{n}` counts are left alone).
fn subst_re(re: &str, vars: &HashMap<String, String>) -> Result<String, String> {
    let names = Regex::new(r"\{([A-Za-z_][A-Za-z0-9_]*)\}").unwrap();
    let escaped: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.clone(), regex::escape(v)))
        .collect();
    if names.is_match(re) {
        subst(re, &escaped)
    } else {
        Ok(re.to_string())
    }
}

fn check(e: &Expect, a: &Answer, line: &str) -> Option<String> {
    let lines: Vec<&str> = a.body.lines().filter(|l| !l.trim().is_empty()).collect();
    match e {
        Expect::Exit { not, code } => {
            let ok = (a.status == *code) != *not;
            (!ok).then(|| {
                format!(
                    "exit status {}{code}, got {}",
                    if *not { "not " } else { "" },
                    a.status
                )
            })
        }
        Expect::Status(s) => (!s.contains(&a.status)).then(|| {
            format!(
                "HTTP status {}, got {}",
                s.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("|"),
                a.status
            )
        }),
        Expect::Match(re) => match Regex::new(&format!("(?m){re}")) {
            Ok(r) => (!r.is_match(&a.body)).then(|| format!("output matching /{re}/")),
            Err(err) => Some(format!("bad regex /{re}/: {err}")),
        },
        Expect::NoMatch(re) => match Regex::new(&format!("(?m){re}")) {
            Ok(r) => r
                .is_match(&a.body)
                .then(|| format!("output not matching /{re}/")),
            Err(err) => Some(format!("bad regex /{re}/: {err}")),
        },
        Expect::Keys(keys) => {
            if lines.is_empty() {
                return Some(format!(
                    "key=value records with {}, got none",
                    keys.join(",")
                ));
            }
            for (i, l) in lines.iter().enumerate() {
                let have: Vec<String> = split_hmc(l)
                    .iter()
                    .filter_map(|f| f.split_once('=').map(|(k, _)| k.to_string()))
                    .collect();
                let missing: Vec<&String> = keys.iter().filter(|k| !have.contains(k)).collect();
                if !missing.is_empty() {
                    return Some(format!(
                        "record {} lacks {}",
                        i + 1,
                        missing
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    ));
                }
            }
            None
        }
        Expect::Fields(fields) => {
            let mut rows = lines.as_slice();
            if line.contains("--header") {
                match rows.split_first() {
                    Some((h, rest)) if split_hmc(h) == *fields => rows = rest,
                    _ => return Some(format!("a header line {}", fields.join(","))),
                }
            }
            if rows.is_empty() {
                return Some(format!("rows of {}, got none", fields.join(",")));
            }
            rows.iter().enumerate().find_map(|(i, r)| {
                let n = split_hmc(r).len();
                (n != fields.len()).then(|| {
                    format!(
                        "row {} has {n} values, {} wanted ({})",
                        i + 1,
                        fields.len(),
                        fields.join(",")
                    )
                })
            })
        }
        Expect::Records(op, n) => {
            let have = lines.len();
            let ok = match op {
                '>' => have >= *n,
                '<' => have <= *n,
                _ => have == *n,
            };
            (!ok).then(|| format!("{op}{n} records, got {have}"))
        }
        Expect::Json(keys) => match serde_json::from_str::<serde_json::Value>(&a.body) {
            Err(err) => Some(format!("JSON ({err})")),
            Ok(v) => {
                let objs: Vec<&serde_json::Value> = match &v {
                    serde_json::Value::Array(a) => a.iter().collect(),
                    o => vec![o],
                };
                if objs.is_empty() {
                    return Some("a JSON array with entries, got []".into());
                }
                objs.iter().enumerate().find_map(|(i, o)| {
                    let missing: Vec<&String> = keys
                        .iter()
                        .filter(|k| o.get(k.as_str()).is_none())
                        .collect();
                    (!missing.is_empty()).then(|| {
                        format!(
                            "JSON object {} lacks {}",
                            i + 1,
                            missing
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(",")
                        )
                    })
                })
            }
        },
        Expect::Xml(els) => {
            let missing: Vec<&String> = els
                .iter()
                .filter(|el| {
                    !Regex::new(&format!(r"<(?:[A-Za-z0-9_]+:)?{}[\s/>]", regex::escape(el)))
                        .map(|r| r.is_match(&a.body))
                        .unwrap_or(false)
                })
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "XML elements {}",
                    missing
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
        }
        Expect::Header(h) => {
            let want = h.to_ascii_lowercase();
            (!a.headers
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with(&format!("{want}:"))))
            .then(|| format!("response header {h}"))
        }
        Expect::Empty => (!a.body.trim().is_empty()).then(|| "no output".to_string()),
    }
}

/// HTTPS for the REST cases: one request a connection, any certificate
/// (the lab's own CA signs the HMC's), as the clients run with
/// `verify=False`.
mod https {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[derive(Debug)]
    struct AnyCert(Arc<CryptoProvider>);

    impl ServerCertVerifier for AnyCert {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                m,
                c,
                d,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                m,
                c,
                d,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    pub struct Client {
        rt: tokio::runtime::Runtime,
        tls: tokio_rustls::TlsConnector,
        addr: String,
        port: u16,
    }

    impl Client {
        pub fn new(addr: &str, port: u16) -> Client {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
                .with_no_client_auth();
            Client {
                rt: tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime"),
                tls: tokio_rustls::TlsConnector::from(Arc::new(cfg)),
                addr: addr.into(),
                port,
            }
        }

        /// (status, header lines, body).
        pub fn send(
            &self,
            method: &str,
            path: &str,
            headers: &[(String, String)],
            body: &str,
        ) -> Result<(i64, String, String), String> {
            self.rt.block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(60),
                    self.go(method, path, headers, body),
                )
                .await
                .map_err(|_| "no answer within 60 s".to_string())?
            })
        }

        async fn go(
            &self,
            method: &str,
            path: &str,
            headers: &[(String, String)],
            body: &str,
        ) -> Result<(i64, String, String), String> {
            let tcp = tokio::net::TcpStream::connect((self.addr.as_str(), self.port))
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let name = ServerName::try_from(self.addr.clone()).map_err(|e| e.to_string())?;
            let mut s = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {e}"))?;
            let mut req = format!(
                "{method} {path} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
                self.addr,
                self.port,
                body.len()
            );
            for (k, v) in headers {
                req.push_str(&format!("{k}: {v}\r\n"));
            }
            req.push_str("\r\n");
            req.push_str(body);
            s.write_all(req.as_bytes())
                .await
                .map_err(|e| format!("write: {e}"))?;
            let mut raw = Vec::new();
            // A server that closes without TLS close_notify still sent it all.
            if let Err(e) = s.read_to_end(&mut raw).await
                && raw.is_empty()
            {
                return Err(format!("read: {e}"));
            }
            let text = String::from_utf8_lossy(&raw).into_owned();
            let (head, rest) = text
                .split_once("\r\n\r\n")
                .ok_or_else(|| format!("no HTTP head in {text:?}"))?;
            let mut lines = head.lines();
            let status: i64 = lines
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| format!("no status line in {head:?}"))?;
            let hdrs: Vec<&str> = lines.collect();
            let chunked = hdrs.iter().any(|h| {
                let h = h.to_ascii_lowercase();
                h.starts_with("transfer-encoding:") && h.contains("chunked")
            });
            let body = if chunked {
                dechunk(rest)
            } else {
                rest.to_string()
            };
            Ok((status, hdrs.join("\n"), body))
        }
    }

    fn dechunk(mut s: &str) -> String {
        let mut out = String::new();
        while let Some((size, rest)) = s.split_once("\r\n") {
            let n = usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16)
                .unwrap_or(0);
            if n == 0 || rest.len() < n {
                break;
            }
            out.push_str(&rest[..n]);
            s = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
        }
        out
    }
}

struct Outcome {
    case: Case,
    command: String,
    problems: Vec<String>,
    got: String,
}

/// What came back, short: for the HMC's XML the messages, states and
/// job results it carries, for anything else its beginning.
fn excerpt(s: &str) -> String {
    let s = s.trim_end();
    let said = Regex::new(r"<(?:[A-Za-z0-9_]+:)?(Message|Status|ParameterName|ParameterValue|ReasonCode)[^>]*>([^<]{1,300})<")
        .unwrap();
    let items: Vec<String> = said
        .captures_iter(s)
        .take(8)
        .map(|c| format!("{}={}", &c[1], &c[2]))
        .collect();
    if !items.is_empty() {
        return format!(
            "{} … {}",
            s.chars().take(4).collect::<String>(),
            items.join(" | ")
        );
    }
    let mut e: String = s.chars().take(400).collect();
    if e.len() < s.len() {
        e.push_str(" …");
    }
    e.replace('\n', "\n        ")
}

#[test]
fn the_clients_command_lines_and_rest_requests_get_the_answers_their_parsers_need() {
    let cases: Vec<Case> = FILES.iter().flat_map(|(f, t)| parse_cases(f, t)).collect();
    let lab = Lab::new("127.43.190");
    lab.up();
    let t0 = Instant::now();
    let hmc1 = lab.topo.node("hmc1").expect("hmc1").address.clone();
    let hmc2 = lab.topo.node("hmc2").expect("hmc2").address.clone();
    let rest = https::Client::new(&hmc1, lab.topo.lab.rest_port);
    let bodies = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/replay/bodies"));
    let mut vars: HashMap<String, String> = HashMap::from([
        ("hmc1_ip".to_string(), hmc1.clone()),
        ("hmc2_ip".to_string(), hmc2),
        ("rest_port".to_string(), lab.topo.lab.rest_port.to_string()),
    ]);

    // A job that ended will not end otherwise: no use waiting on it.
    let ended = Regex::new(r"<Status[^>]*>(COMPLETED_\w+|FAILED\w*)<").unwrap();
    let mut outcomes: Vec<Outcome> = Vec::new();
    for case in cases {
        let failed: Vec<&String> = case
            .needs
            .iter()
            .filter(|n| {
                outcomes
                    .iter()
                    .any(|o| o.case.id == **n && !o.problems.is_empty())
            })
            .collect();
        if !failed.is_empty() {
            let problems = vec![format!(
                "blocked: needs case {}, which failed",
                failed
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )];
            outcomes.push(Outcome {
                command: format!("{:?}", case.action.as_ref().expect("action")),
                case,
                problems,
                got: String::new(),
            });
            continue;
        }
        let started = Instant::now();
        let mut command = String::new();
        let mut problems: Vec<String>;
        let mut got = String::new();
        loop {
            // An unknown command or path will not appear by waiting.
            let mut definitive = false;
            let answer = (|| -> Result<(String, Answer), String> {
                match case.action.as_ref().expect("action") {
                    Action::Cli(line) => {
                        let line = subst(line, &vars)?;
                        let (out, code) = lab.hmc(&case.hmc, &line);
                        Ok((
                            line,
                            Answer {
                                status: code as i64,
                                headers: String::new(),
                                body: out,
                            },
                        ))
                    }
                    Action::Rest { method, path } => {
                        let path = subst(path, &vars)?;
                        let mut body = match (&case.body, &case.body_var) {
                            (Some(f), _) => subst(
                                &std::fs::read_to_string(bodies.join(f))
                                    .map_err(|e| format!("body file {f}: {e}"))?,
                                &vars,
                            )?,
                            (None, Some(v)) => vars.get(v).cloned().ok_or_else(|| {
                                format!(
                                    "blocked: needs {{{v}}}, which an earlier case did not capture"
                                )
                            })?,
                            (None, None) => String::new(),
                        };
                        for (re, with) in &case.edits {
                            let r = Regex::new(re).map_err(|e| format!("bad edit /{re}/: {e}"))?;
                            if !r.is_match(&body) {
                                return Err(format!("edit /{re}/ finds nothing in the body"));
                            }
                            body = r.replacen(&body, 1, with.as_str()).into_owned();
                        }
                        let mut headers = Vec::new();
                        if let Some(tok) = vars.get("session")
                            && !case.headers.iter().any(|(k, _)| k == "X-API-Session")
                        {
                            headers.push(("X-API-Session".to_string(), tok.clone()));
                        }
                        for (k, v) in &case.headers {
                            headers.push((k.clone(), subst(v, &vars)?));
                        }
                        let (status, h, b) = rest.send(method, &path, &headers, &body)?;
                        Ok((
                            format!("{method} {path}"),
                            Answer {
                                status,
                                headers: h,
                                body: b,
                            },
                        ))
                    }
                }
            })();
            match answer {
                Err(e) => {
                    if command.is_empty() {
                        command = format!("{:?}", case.action.as_ref().expect("action"));
                    }
                    problems = vec![e];
                }
                Ok((c, a)) => {
                    command = c;
                    problems = case
                        .expects
                        .iter()
                        .filter_map(|e| {
                            let e = match e {
                                Expect::Match(re) => match subst_re(re, &vars) {
                                    Ok(r) => Expect::Match(r),
                                    Err(err) => return Some(err),
                                },
                                Expect::NoMatch(re) => match subst_re(re, &vars) {
                                    Ok(r) => Expect::NoMatch(r),
                                    Err(err) => return Some(err),
                                },
                                other => other.clone(),
                            };
                            check(&e, &a, &command)
                        })
                        .collect();
                    if problems.is_empty() {
                        for (name, re) in &case.captures {
                            match Regex::new(&format!("(?m){re}")).ok().and_then(|r| {
                                r.captures(&a.body)
                                    .and_then(|c| c.get(1).map(|m| m.as_str().to_string()))
                            }) {
                                Some(v) => {
                                    vars.insert(name.clone(), v);
                                }
                                None => {
                                    problems.push(format!("capture {name}: /{re}/ finds nothing"))
                                }
                            }
                        }
                    }
                    definitive = a.body.contains("command not found")
                        || ended.is_match(&a.body)
                        || (matches!(case.action, Some(Action::Rest { .. })) && a.status == 404);
                    got = format!("[{}] {}", a.status, a.body);
                }
            }
            if problems.is_empty()
                || definitive
                || problems.iter().any(|p| p.starts_with("blocked"))
                || started.elapsed() >= Duration::from_secs(case.wait)
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        outcomes.push(Outcome {
            case,
            command,
            problems,
            got,
        });
    }

    let mut report = String::new();
    let mut failing = 0;
    let mut by_part: Vec<(String, usize)> = Vec::new();
    for o in &outcomes {
        let state = match (o.problems.is_empty(), &o.case.todo) {
            (true, None) => "ok",
            (true, Some(_)) => "ok (todo: passes now)",
            (false, Some(_)) => "todo",
            (false, None) => "FAIL",
        };
        println!("{state:5} {} {} | {}", o.case.id, o.case.part, o.command);
        if o.problems.is_empty() || o.case.todo.is_some() {
            continue;
        }
        failing += 1;
        match by_part.iter_mut().find(|(p, _)| *p == o.case.part) {
            Some((_, n)) => *n += 1,
            None => by_part.push((o.case.part.clone(), 1)),
        }
        report.push_str(&format!(
            "\n- {} [{}] ({}; {})\n    sent: {}\n    wanted: {}\n    got: {}\n",
            o.case.id,
            o.case.part,
            o.case.at,
            o.case.from,
            o.command,
            o.problems.join("; "),
            excerpt(&o.got)
        ));
    }
    println!(
        "{} cases in {:?}, {failing} failing",
        outcomes.len(),
        t0.elapsed()
    );
    let parts: Vec<String> = by_part.iter().map(|(p, n)| format!("{p}: {n}")).collect();
    assert!(
        failing == 0,
        "{failing} of {} cases did not get the answer their client needs (by part: {}):{report}",
        outcomes.len(),
        parts.join(", ")
    );
}
