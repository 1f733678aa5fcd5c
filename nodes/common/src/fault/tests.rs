//! The fault layer on real mutual-TLS connections over loopback. The
//! registry is per process and tests run in parallel, so each test uses node
//! names of its own and addresses faults to them, never to "*".

use super::*;
use crate::lab::CONTROLLER_NODE;
use crate::model::Role;
use crate::testutil::TestLab;
use futures::StreamExt;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(20);

fn bandwidth(name: &str, peer: &str, direction: Direction, rate: u64) -> Fault {
    Fault {
        name: name.into(),
        peer: peer.into(),
        direction,
        kind: Kind::Bandwidth(Bandwidth { rate }),
    }
}

fn cut(name: &str, peer: &str) -> Fault {
    Fault {
        name: name.into(),
        peer: peer.into(),
        direction: Direction::Both,
        kind: Kind::Cut(Cut),
    }
}

/// Sends `bytes` from `w` to `r` and returns the receiving rate in bytes
/// per second, timed from the first byte received to the last, and `w`.
async fn transfer<W, R>(mut w: W, r: &mut R, bytes: usize) -> (f64, W)
where
    W: AsyncWrite + Unpin + Send + 'static,
    R: AsyncRead + Unpin,
{
    let writer = tokio::spawn(async move {
        let chunk = vec![0x5au8; 64 << 10];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(chunk.len());
            w.write_all(&chunk[..n]).await.expect("write");
            left -= n;
        }
        w.flush().await.expect("flush");
        w
    });
    let mut buf = vec![0u8; 64 << 10];
    let mut got = 0;
    let mut first = None;
    while got < bytes {
        let n = r.read(&mut buf).await.expect("read");
        assert!(n > 0, "early end after {got} bytes");
        first.get_or_insert_with(std::time::Instant::now);
        got += n;
    }
    let secs = first.map_or(0.0, |t| t.elapsed().as_secs_f64());
    let w = writer.await.expect("writer");
    (got as f64 / secs, w)
}

fn percent(got: f64, rate: u64) -> f64 {
    got / rate as f64 * 100.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bandwidth_shapes_a_tls_stream_to_its_rate() {
    timeout(LIMIT, async {
        let lab = TestLab::new(&[("bw-cli", Role::Hmc), ("bw-srv", Role::Fsp)]);
        let (addr, mut incoming) = lab.serve("bw-srv").await;
        let rate = parse_rate("100mbit").expect("rate");
        registry()
            .add(bandwidth("bw-test", "bw-srv", Direction::Up, rate))
            .expect("add");
        let client = lab.id("bw-cli").connect("bw-srv", &addr).await.expect("connect");
        let mut server = incoming.next().await.expect("accepted").expect("tls");
        let (got, _client) = transfer(client, &mut server, 20_000_000).await;
        registry().remove("bw-test").expect("remove");
        println!(
            "bandwidth up 100mbit on a connection made, 20 MB over one TLS stream: {:.2} MB/s = {:.1}% of the rate",
            got / 1e6,
            percent(got, rate)
        );
        assert!((90.0..=110.0).contains(&percent(got, rate)), "{:.1}% of the rate", percent(got, rate));
    })
    .await
    .expect("test took too long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bandwidth_on_an_accepted_stream_applies_and_lifts_mid_stream() {
    timeout(LIMIT, async {
        let lab = TestLab::new(&[("bw2-cli", Role::Hmc), ("bw2-srv", Role::Fsp)]);
        let (addr, mut incoming) = lab.serve("bw2-srv").await;
        let client = lab
            .id("bw2-cli")
            .connect("bw2-srv", &addr)
            .await
            .expect("connect");
        let mut server = incoming.next().await.expect("accepted").expect("tls");
        // The accepting side learnt its peer from the certificate.
        assert_eq!(server.get_ref().0.peer(), Some("bw2-cli"));
        // Added while the connection is open; the server's downstream is what the client sends.
        let rate = 12_500_000;
        registry()
            .add(bandwidth("bw2-test", "bw2-cli", Direction::Down, rate))
            .expect("add");
        let (shaped, client) = transfer(client, &mut server, 10_000_000).await;
        println!(
            "bandwidth down 100mbit on a connection accepted, 10 MB: {:.2} MB/s = {:.1}%",
            shaped / 1e6,
            percent(shaped, rate)
        );
        assert!(
            (90.0..=110.0).contains(&percent(shaped, rate)),
            "{:.1}% of the rate",
            percent(shaped, rate)
        );
        registry().remove("bw2-test").expect("remove");
        let (free, _client) = transfer(client, &mut server, 40_000_000).await;
        println!(
            "the same stream once the fault is removed: {:.2} MB/s",
            free / 1e6
        );
        assert!(
            free > 3.0 * rate as f64,
            "still shaped after removal: {:.2} MB/s",
            free / 1e6
        );
    })
    .await
    .expect("test took too long");
}

/// Waits for a read to end: Err, or Ok(0) at end of stream.
async fn read_ends<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<usize> {
    let mut buf = [0u8; 64];
    loop {
        match r.read(&mut buf).await {
            Ok(0) => return Ok(0),
            Ok(_) => continue,
            Err(e) => return Err(e),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_breaks_open_connections_and_refuses_new_ones() {
    timeout(LIMIT, async {
        let lab = TestLab::new(&[("cut-cli", Role::Hmc), ("cut-srv", Role::Fsp)]);
        let (addr, mut incoming) = lab.serve("cut-srv").await;
        let mut client = lab
            .id("cut-cli")
            .connect("cut-srv", &addr)
            .await
            .expect("connect");
        let mut server = incoming.next().await.expect("accepted").expect("tls");
        client.write_all(b"ping").await.expect("write");
        client.flush().await.expect("flush");
        let mut buf = [0u8; 4];
        server.read_exact(&mut buf).await.expect("read");

        // The server is parked in a read on a quiet connection when the cut comes.
        let parked = tokio::spawn(async move {
            let mut buf = [0u8; 16];
            let r = server.read(&mut buf).await;
            (r, std::time::Instant::now())
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let t = std::time::Instant::now();
        registry().add(cut("cut-in", "cut-cli")).expect("add");
        let (r, woke) = parked.await.expect("reader");
        let e = r.expect_err("a read on a cut link fails");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
        let broke = woke - t;
        println!("a parked read failed {broke:?} after the cut");
        assert!(broke < Duration::from_secs(1), "{broke:?}");
        // The server's end is gone, so the client's end ends too.
        timeout(Duration::from_secs(1), read_ends(&mut client))
            .await
            .expect("the client's end ends within a second")
            .ok();

        // A new connection is dropped by the accepting side, whose link is cut.
        if let Ok(mut c) = lab.id("cut-cli").connect("cut-srv", &addr).await {
            timeout(Duration::from_secs(1), read_ends(&mut c))
                .await
                .expect("a refused connection ends within a second")
                .ok();
        }
        assert!(
            timeout(Duration::from_millis(300), incoming.next())
                .await
                .is_err(),
            "a connection from a cut peer was accepted"
        );
        // And the connecting side refuses before any packet leaves.
        registry().add(cut("cut-out", "cut-srv")).expect("add");
        let e = lab
            .id("cut-cli")
            .connect("cut-srv", &addr)
            .await
            .expect_err("connecting over a cut link");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
        assert!(e.to_string().contains("cut-out"), "{e}");

        // With the cuts gone the link works again.
        registry().remove("cut-in").expect("remove");
        registry().remove("cut-out").expect("remove");
        let mut client = lab
            .id("cut-cli")
            .connect("cut-srv", &addr)
            .await
            .expect("connect");
        let mut server = incoming.next().await.expect("accepted").expect("tls");
        client.write_all(b"pong").await.expect("write");
        client.flush().await.expect("flush");
        server.read_exact(&mut buf).await.expect("read");
        assert_eq!(&buf, b"pong");
    })
    .await
    .expect("test took too long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_way_cut_fails_only_its_direction() {
    timeout(LIMIT, async {
        let lab = TestLab::new(&[("cut1-cli", Role::Hmc), ("cut1-srv", Role::Fsp)]);
        let (addr, mut incoming) = lab.serve("cut1-srv").await;
        let mut client = lab
            .id("cut1-cli")
            .connect("cut1-srv", &addr)
            .await
            .expect("connect");
        let mut server = incoming.next().await.expect("accepted").expect("tls");
        let mut f = cut("cut1-up", "cut1-srv");
        f.direction = Direction::Up;
        registry().add(f).expect("add");
        // What the client receives still arrives...
        server.write_all(b"hi").await.expect("write");
        server.flush().await.expect("flush");
        let mut buf = [0u8; 2];
        client
            .read_exact(&mut buf)
            .await
            .expect("reading over a link cut upstream");
        assert_eq!(&buf, b"hi");
        // ...what it sends does not.
        let e = client
            .write_all(b"x")
            .await
            .err()
            .or(client.flush().await.err());
        let e = e.expect("writing over a link cut upstream fails");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
        registry().remove("cut1-up").expect("remove");
    })
    .await
    .expect("test took too long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_each_way_and_keeps_order() {
    timeout(LIMIT, async {
        let lab = TestLab::new(&[("lat-cli", Role::Hmc), ("lat-srv", Role::Fsp)]);
        let (addr, mut incoming) = lab.serve("lat-srv").await;
        let mut client = lab
            .id("lat-cli")
            .connect("lat-srv", &addr)
            .await
            .expect("connect");
        let mut server = incoming.next().await.expect("accepted").expect("tls");
        // One round trip before the faults, so TLS session tickets are out of the way.
        client.write_all(b"0").await.expect("write");
        let mut one = [0u8; 1];
        server.read_exact(&mut one).await.expect("read");
        for (name, direction) in [("lat-down", Direction::Down), ("lat-up", Direction::Up)] {
            registry()
                .add(Fault {
                    name: name.into(),
                    peer: "lat-cli".into(),
                    direction,
                    kind: Kind::Latency(Latency {
                        latency: Duration::from_millis(40),
                        jitter: Duration::from_millis(10),
                    }),
                })
                .expect("add");
        }
        // An echo server on the faulted side: every round trip crosses both delays.
        let echo = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                match server.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if server.write_all(&buf[..n]).await.is_err()
                            || server.flush().await.is_err()
                        {
                            return;
                        }
                    }
                }
            }
        });
        let mut rtts = Vec::new();
        for i in 0u32..10 {
            let msg = i.to_be_bytes();
            let t = std::time::Instant::now();
            client.write_all(&msg).await.expect("write");
            client.flush().await.expect("flush");
            let mut back = [0u8; 4];
            client.read_exact(&mut back).await.expect("read");
            rtts.push(t.elapsed());
            assert_eq!(back, msg, "bytes out of order");
        }
        // Many small writes at once: jitter must not reorder them.
        let sent: Vec<u8> = (0..2000u32).flat_map(|i| i.to_be_bytes()).collect();
        for c in sent.chunks(8) {
            client.write_all(c).await.expect("write");
            client.flush().await.expect("flush");
        }
        let mut back = vec![0u8; sent.len()];
        client.read_exact(&mut back).await.expect("read");
        assert!(back == sent, "bytes out of order under jitter");
        for name in ["lat-down", "lat-up"] {
            registry().remove(name).expect("remove");
        }
        let t = std::time::Instant::now();
        client.write_all(b"done").await.expect("write");
        let mut back = [0u8; 4];
        client.read_exact(&mut back).await.expect("read");
        let after = t.elapsed();
        drop(client);
        let _ = echo.await;
        let min = rtts.iter().min().copied().unwrap_or_default();
        let max = rtts.iter().max().copied().unwrap_or_default();
        println!(
            "latency 40±10 ms each way: round trips {min:?}..{max:?}; after removal {after:?}"
        );
        assert!(min >= Duration::from_millis(60), "{min:?}");
        assert!(max < Duration::from_millis(200), "{max:?}");
        assert!(after < Duration::from_millis(30), "{after:?}");
    })
    .await
    .expect("test took too long");
}

/// Bookkeeping on a registry of its own, so other tests' faults do not show.
#[test]
fn bad_faults_are_refused_and_change_nothing() {
    let r = Registry::new();
    r.set_local_node("sys1");
    let good = bandwidth("", "vios1", Direction::Up, 1000);
    let stored = r.add(good.clone()).expect("a good fault");
    assert_eq!(stored.name, "bandwidth_up_vios1");
    let before = r.list();

    let bad = [
        (
            bandwidth("x", "vios1", Direction::Up, 0),
            FaultError::ZeroRate,
        ),
        (
            bandwidth("x", "pvmlab", Direction::Up, 5),
            FaultError::ControllerLink,
        ),
        (
            bandwidth("x", "sys1", Direction::Up, 5),
            FaultError::SelfLink("sys1".into()),
        ),
        (
            bandwidth("x", "", Direction::Up, 5),
            FaultError::Peer("".into()),
        ),
        (
            bandwidth("x", "a b", Direction::Up, 5),
            FaultError::Peer("a b".into()),
        ),
        (
            bandwidth("no/slash", "vios1", Direction::Up, 5),
            FaultError::Name("no/slash".into()),
        ),
        (
            bandwidth("bandwidth_up_vios1", "vios2", Direction::Up, 5),
            FaultError::Exists("bandwidth_up_vios1".into()),
        ),
        (
            Fault {
                name: "x".into(),
                peer: "vios1".into(),
                direction: Direction::Down,
                kind: Kind::Latency(Latency {
                    latency: Duration::ZERO,
                    jitter: Duration::ZERO,
                }),
            },
            FaultError::ZeroLatency,
        ),
        (
            Fault {
                name: "x".into(),
                peer: "vios1".into(),
                direction: Direction::Down,
                kind: Kind::Latency(Latency {
                    latency: Duration::from_secs(61),
                    jitter: Duration::ZERO,
                }),
            },
            FaultError::LatencyTooLarge,
        ),
    ];
    for (f, want) in bad {
        assert_eq!(r.add(f.clone()), Err(want), "{f:?}");
        assert_eq!(r.list(), before, "{f:?} changed the registry");
    }
    assert_eq!(
        r.remove("nothing"),
        Err(FaultError::NotFound("nothing".into()))
    );

    // As people give them, settings that do not fit the kind are pointed out.
    let loose = |kind: &str, dir: &str, rate: u64, lat: u32| {
        let s = Settings {
            rate_bytes_per_s: rate,
            latency_ms: lat,
            ..Default::default()
        };
        Fault::from_settings("w", "vios1", dir, kind, &s)
    };
    assert_eq!(
        loose("warp", "", 0, 0),
        Err(FaultError::Kind("warp".into()))
    );
    assert_eq!(
        loose("cut", "sideways", 0, 0),
        Err(FaultError::Direction("sideways".into()))
    );
    assert!(matches!(
        loose("cut", "", 5, 0),
        Err(FaultError::NotApplicable { .. })
    ));
    assert!(matches!(
        loose("bandwidth", "", 5, 5),
        Err(FaultError::NotApplicable { .. })
    ));
    assert!(matches!(
        loose("latency", "", 5, 5),
        Err(FaultError::NotApplicable { .. })
    ));
    let f = loose("Cut", "", 0, 0).expect("a cut");
    assert_eq!(f.direction, Direction::Both);
    assert_eq!(Fault::from_proto(&f.to_proto()), Ok(f));
    // Off the wire, a fault with no kind or an unknown direction is refused.
    let mut p = cut("w", "vios1").to_proto();
    p.direction = 7;
    assert_eq!(
        Fault::from_proto(&p),
        Err(FaultError::Direction("7".into()))
    );
    p.kind = None;
    p.direction = 0;
    assert_eq!(Fault::from_proto(&p), Err(FaultError::NoKind));
    assert_eq!(r.list(), before);

    assert_eq!(r.clear(), before);
    assert!(r.list().is_empty());
}

/// "*" covers every peer but the controller, whose link must stay up to remove faults.
#[test]
fn any_peer_spares_the_controller() {
    let f = cut("c", ANY_PEER);
    assert!(f.matches("sys1"));
    assert!(!f.matches(CONTROLLER_NODE));
    let r = Registry::new();
    r.add(f).expect("add");
    assert!(r.check_link("sys1").is_err());
    assert!(r.check_link(CONTROLLER_NODE).is_ok());
}

/// Figures, not a check: `cargo test -p pvmlab-common --release -- --ignored --nocapture one_gbit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn one_gbit_figures() {
    let lab = TestLab::new(&[("fig-cli", Role::Hmc), ("fig-srv", Role::Fsp)]);
    let (addr, mut incoming) = lab.serve("fig-srv").await;
    let client = lab
        .id("fig-cli")
        .connect("fig-srv", &addr)
        .await
        .expect("connect");
    let mut server = incoming.next().await.expect("accepted").expect("tls");
    let (free, client) = transfer(client, &mut server, 200_000_000).await;
    println!(
        "one TLS stream over loopback, no fault: {:.1} MB/s",
        free / 1e6
    );
    let rate = parse_rate("1gbit").expect("rate");
    registry()
        .add(bandwidth("fig-1g", "fig-srv", Direction::Up, rate))
        .expect("add");
    let (got, _client) = transfer(client, &mut server, 250_000_000).await;
    registry().remove("fig-1g").expect("remove");
    println!(
        "shaped to 1gbit (125 MB/s), 250 MB: {:.1} MB/s = {:.1}% of the rate",
        got / 1e6,
        percent(got, rate)
    );
}

fn fault(name: &str, peer: &str, direction: Direction, kind: Kind) -> Fault {
    Fault {
        name: name.into(),
        peer: peer.into(),
        direction,
        kind,
    }
}

/// A connected client and server of two fresh node names.
async fn pair(
    cli: &str,
    srv: &str,
) -> (TestLab, crate::net::ClientStream, crate::net::ServerStream) {
    let lab = TestLab::new(&[(cli, Role::Hmc), (srv, Role::Fsp)]);
    let (addr, mut incoming) = lab.serve(srv).await;
    let client = lab.id(cli).connect(srv, &addr).await.expect("connect");
    let server = incoming.next().await.expect("accepted").expect("tls");
    (lab, client, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_holds_the_bytes_then_lets_them_through_intact() {
    timeout(LIMIT, async {
        let (_lab, mut client, mut server) = pair("to-cli", "to-srv").await;
        let hold = Kind::Timeout(Timeout {
            timeout: Duration::ZERO,
        });
        registry()
            .add(fault("to-up", "to-srv", Direction::Up, hold))
            .expect("add");
        client.write_all(b"held").await.expect("write");
        let _ = timeout(Duration::from_millis(100), client.flush()).await;
        let mut buf = [0u8; 4];
        assert!(
            timeout(Duration::from_millis(400), server.read_exact(&mut buf))
                .await
                .is_err(),
            "nothing gets through a blackhole"
        );
        registry().remove("to-up").expect("remove");
        // The flush that was parked goes on once the fault is gone.
        let flush = tokio::spawn(async move {
            client.flush().await.expect("flush");
            client
        });
        server.read_exact(&mut buf).await.expect("read");
        assert_eq!(&buf, b"held");
        let mut client = flush.await.expect("flusher");

        // With a timeout the connection fails that long after it stalled.
        let t = std::time::Instant::now();
        registry()
            .add(fault(
                "to-down",
                "to-srv",
                Direction::Down,
                Kind::Timeout(Timeout {
                    timeout: Duration::from_millis(300),
                }),
            ))
            .expect("add");
        let e = client.read(&mut buf).await.expect_err("timed out");
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
        assert!(
            t.elapsed() >= Duration::from_millis(290),
            "{:?}",
            t.elapsed()
        );
        registry().remove("to-down").expect("remove");
    })
    .await
    .expect("test took too long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_peer_resets_after_its_timeout() {
    timeout(LIMIT, async {
        let (_lab, mut client, mut server) = pair("rp-cli", "rp-srv").await;
        let t = std::time::Instant::now();
        registry()
            .add(fault(
                "rp",
                "rp-cli",
                Direction::Both,
                Kind::ResetPeer(ResetPeer {
                    timeout: Duration::from_millis(200),
                }),
            ))
            .expect("add");
        // Bytes pass until the timeout...
        client.write_all(b"ok").await.expect("write");
        client.flush().await.expect("flush");
        let mut buf = [0u8; 2];
        server
            .read_exact(&mut buf)
            .await
            .expect("read before the reset");
        // ...then a parked read is reset.
        let e = server.read(&mut buf).await.expect_err("reset");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
        assert!(
            t.elapsed() >= Duration::from_millis(190),
            "{:?}",
            t.elapsed()
        );
        registry().remove("rp").expect("remove");
    })
    .await
    .expect("test took too long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_data_closes_after_its_bytes_and_slicer_keeps_them_intact() {
    timeout(LIMIT, async {
        let (_lab, mut client, mut server) = pair("ld-cli", "ld-srv").await;
        // Slices of about 100 bytes with a pause between: every byte arrives, in order.
        registry()
            .add(fault(
                "sl",
                "ld-srv",
                Direction::Up,
                Kind::Slicer(Slicer {
                    average_size: 100,
                    size_variation: 50,
                    delay: Duration::from_micros(50),
                }),
            ))
            .expect("add");
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let sent = data.clone();
        let w = tokio::spawn(async move {
            client.write_all(&sent).await.expect("write");
            client.flush().await.expect("flush");
            client
        });
        let mut got = vec![0u8; data.len()];
        server.read_exact(&mut got).await.expect("read");
        assert_eq!(got, data);
        let mut client = w.await.expect("writer");
        registry().remove("sl").expect("remove");

        // 2000 bytes, then the connection closes.
        registry()
            .add(fault(
                "ld",
                "ld-cli",
                Direction::Down,
                Kind::LimitData(LimitData { bytes: 2000 }),
            ))
            .expect("add");
        let w = tokio::spawn(async move {
            let _ = client.write_all(&vec![1u8; 100_000]).await;
            let _ = client.flush().await;
            client
        });
        let mut n = 0;
        let mut buf = vec![0u8; 4096];
        loop {
            match server.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        assert!(
            n < 2000,
            "the stream ended within the limit: {n} bytes read"
        );
        drop(w);
        registry().remove("ld").expect("remove");
    })
    .await
    .expect("test took too long");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_close_delays_the_close() {
    timeout(LIMIT, async {
        let (_lab, mut client, _server) = pair("sc-cli", "sc-srv").await;
        registry()
            .add(fault(
                "sc",
                "sc-srv",
                Direction::Both,
                Kind::SlowClose(SlowClose {
                    delay: Duration::from_millis(300),
                }),
            ))
            .expect("add");
        let t = std::time::Instant::now();
        client.shutdown().await.expect("shutdown");
        assert!(
            t.elapsed() >= Duration::from_millis(290),
            "{:?}",
            t.elapsed()
        );
        registry().remove("sc").expect("remove");
    })
    .await
    .expect("test took too long");
}

#[test]
fn every_kind_goes_over_the_wire_and_back() {
    let kinds = [
        Kind::Timeout(Timeout {
            timeout: Duration::from_millis(5),
        }),
        Kind::ResetPeer(ResetPeer {
            timeout: Duration::ZERO,
        }),
        Kind::LimitData(LimitData { bytes: 7 }),
        Kind::SlowClose(SlowClose {
            delay: Duration::from_millis(9),
        }),
        Kind::Slicer(Slicer {
            average_size: 10,
            size_variation: 2,
            delay: Duration::from_micros(30),
        }),
    ];
    for k in kinds {
        let f = fault("w", "peer", Direction::Up, k);
        assert_eq!(Fault::from_proto(&f.to_proto()).expect("back"), f);
    }
    let s = Settings {
        timeout_ms: 3,
        ..Default::default()
    };
    assert_eq!(
        Fault::from_settings("w", "peer", "up", "limit_data", &s).unwrap_err(),
        FaultError::NotApplicable {
            field: "timeout",
            kind: "limit_data"
        }
    );
    let r = Registry::new();
    for (k, e) in [
        (
            Kind::LimitData(LimitData { bytes: 0 }),
            FaultError::ZeroLimit,
        ),
        (
            Kind::SlowClose(SlowClose {
                delay: Duration::ZERO,
            }),
            FaultError::ZeroDelay,
        ),
        (
            Kind::Slicer(Slicer {
                average_size: 0,
                size_variation: 0,
                delay: Duration::ZERO,
            }),
            FaultError::ZeroSlice,
        ),
    ] {
        assert_eq!(r.add(fault("", "peer", Direction::Up, k)).unwrap_err(), e);
    }
    assert!(r.list().is_empty());
}
