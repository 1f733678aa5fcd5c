//! The `bandwidth` fault: a token bucket that lets at most `rate` bytes per
//! second through, shared by every connection the fault covers (a link's
//! capacity, not a per-connection quota).
//!
//! Accuracy comes from two choices. Tokens refill from the clock, not per
//! tick, so the average rate holds whatever the timer's granularity. And the
//! bucket holds 10 ms worth of bytes (at least one Ethernet frame): tokio
//! sleeps in whole milliseconds, so a smaller bucket would overflow while a
//! stream sleeps and the link would deliver less than its rate. A stream
//! that finds the bucket low sleeps until an eighth of it is back, which
//! keeps wake-ups near one per millisecond at any rate.

use super::FaultError;
use super::kind::{FaultKind, LinkState, Settings};
use super::link::{DirPlan, Timer};
use crate::proto::chaos as pb;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// At most `rate` bytes per second, shared by every connection the fault covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bandwidth {
    pub rate: u64,
}

impl FaultKind for Bandwidth {
    const NAME: &'static str = "bandwidth";
    const TAKES: &'static [&'static str] = &["rate"];
    type Wire = pb::Bandwidth;

    fn from_wire(w: &pb::Bandwidth) -> Self {
        Bandwidth {
            rate: w.rate_bytes_per_s,
        }
    }

    fn to_wire(&self) -> pb::Bandwidth {
        pb::Bandwidth {
            rate_bytes_per_s: self.rate,
        }
    }

    fn from_settings(s: &Settings) -> Self {
        Bandwidth {
            rate: s.rate_bytes_per_s,
        }
    }

    fn validate(&self) -> Result<(), FaultError> {
        if self.rate == 0 {
            return Err(FaultError::ZeroRate);
        }
        Ok(())
    }

    fn detail(&self) -> String {
        format!("{} ({} B/s)", format_rate(self.rate), self.rate)
    }

    /// One bucket per direction, so a link's rate is shared by all its
    /// connections as on a real wire.
    fn link_state(&self) -> Option<LinkState> {
        Some(Arc::new(Bucket::new(self.rate)))
    }

    fn plan(&self, state: Option<&LinkState>, dir: &mut DirPlan) {
        if let Some(b) = state.and_then(|s| s.clone().downcast::<Bucket>().ok()) {
            dir.buckets.push(b);
        }
    }
}

/// How much time's worth of bytes the bucket holds.
const BURST: Duration = Duration::from_millis(10);
/// The smallest bucket: one Ethernet frame, so slow links still move whole packets.
const MIN_BURST: f64 = 1500.0;

pub(crate) struct Bucket {
    rate: f64,
    burst: f64,
    /// What a stream waits for when the bucket is low.
    chunk: f64,
    state: Mutex<State>,
}

struct State {
    /// May go below zero when streams race; the debt is paid back in time.
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub(crate) fn new(rate: u64) -> Bucket {
        let rate = rate.max(1) as f64;
        let burst = (rate * BURST.as_secs_f64()).max(MIN_BURST);
        Bucket {
            rate,
            burst,
            chunk: (burst / 8.0).max(1.0),
            state: Mutex::new(State {
                tokens: burst,
                last: Instant::now(),
            }),
        }
    }

    fn with<T>(&self, now: Instant, f: impl FnOnce(&mut State) -> T) -> T {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
        s.tokens = (s.tokens + elapsed * self.rate).min(self.burst);
        s.last = s.last.max(now);
        f(&mut s)
    }

    fn put_back(&self, n: usize) {
        if n > 0 {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            s.tokens = (s.tokens + n as f64).min(self.burst);
        }
    }
}

/// How many of `want` bytes may move now through every bucket (taken from
/// them), or when to ask again.
fn grant(buckets: &[Arc<Bucket>], want: usize, now: Instant) -> Result<usize, Instant> {
    let mut allowed = want as f64;
    let mut wait = 0f64;
    for b in buckets {
        let tokens = b.with(now, |s| s.tokens);
        let need = (want as f64).min(b.chunk);
        if tokens < need {
            wait = wait.max((need - tokens) / b.rate);
        }
        allowed = allowed.min(tokens.floor());
    }
    if wait > 0.0 || allowed < 1.0 {
        // A microsecond more so that float rounding cannot leave us just short.
        return Err(now + Duration::from_secs_f64(wait) + Duration::from_micros(1));
    }
    let n = allowed as usize;
    for b in buckets {
        b.with(now, |s| s.tokens -= n as f64);
    }
    Ok(n)
}

fn refund(buckets: &[Arc<Bucket>], n: usize) {
    for b in buckets {
        b.put_back(n);
    }
}

/// Waits until the buckets let some of `want` bytes through; returns how many.
fn poll_grant(
    buckets: &[Arc<Bucket>],
    timer: &mut Timer,
    want: usize,
    cx: &mut Context<'_>,
) -> Poll<usize> {
    loop {
        ready!(timer.poll(cx));
        match grant(buckets, want, Instant::now()) {
            Ok(n) => return Poll::Ready(n),
            Err(at) => timer.arm(at),
        }
    }
}

/// A read of at most what the buckets allow; unused tokens go back.
pub(super) fn poll_read<S: AsyncRead + Unpin>(
    inner: &mut S,
    buckets: &[Arc<Bucket>],
    timer: &mut Timer,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    if buckets.is_empty() || buf.remaining() == 0 {
        return Pin::new(inner).poll_read(cx, buf);
    }
    let n = ready!(poll_grant(buckets, timer, buf.remaining(), cx));
    let (r, got) = {
        let mut part = ReadBuf::new(buf.initialize_unfilled_to(n));
        let r = Pin::new(inner).poll_read(cx, &mut part);
        (r, part.filled().len())
    };
    buf.advance(got);
    refund(buckets, n - got);
    r
}

/// A write of at most what the buckets allow; unused tokens go back.
pub(super) fn poll_write<S: AsyncWrite + Unpin>(
    inner: &mut S,
    buckets: &[Arc<Bucket>],
    timer: &mut Timer,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    if buckets.is_empty() || buf.is_empty() {
        return Pin::new(inner).poll_write(cx, buf);
    }
    let n = ready!(poll_grant(buckets, timer, buf.len(), cx));
    let r = Pin::new(inner).poll_write(cx, &buf[..n]);
    let used = match &r {
        Poll::Ready(Ok(k)) => (*k).min(n),
        _ => 0,
    };
    refund(buckets, n - used);
    r
}

/// Reads a rate as people write it: a plain number is bytes per second;
/// a unit may follow, `b` for bytes or `bit` (also `bps`) for bits, with an
/// SI prefix (`k`, `m`, `g`, `t`: powers of 1000) or a binary one (`ki`,
/// `mi`, `gi`, `ti`: powers of 1024), and an optional `/s`. Case does not
/// matter, so `125MB` is bytes and `1Gbit` bits: spell bits out.
/// Examples: `1gbit`, `100mbit`, `125mb`, `64kib`, `1.5gbit`, `1000000`.
pub fn parse_rate(s: &str) -> Result<u64, FaultError> {
    let bad = || FaultError::Rate(s.to_string());
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix("/s").unwrap_or(&t).trim_end();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().map_err(|_| bad())?;
    let unit = unit.trim();
    let (prefix, rest) = match unit.chars().next() {
        Some(c @ ('k' | 'm' | 'g' | 't')) => (Some(c), &unit[1..]),
        _ => (None, unit),
    };
    let (binary, rest) = match rest.strip_prefix('i') {
        Some(r) if prefix.is_some() => (true, r),
        _ => (false, rest),
    };
    let bits = match rest {
        "" | "b" | "byte" | "bytes" => false,
        "bit" | "bits" | "bps" => true,
        _ => return Err(bad()),
    };
    let base: f64 = if binary { 1024.0 } else { 1000.0 };
    let power = match prefix {
        None => 0,
        Some('k') => 1,
        Some('m') => 2,
        Some('g') => 3,
        _ => 4,
    };
    let mut rate = num * base.powi(power);
    if bits {
        rate /= 8.0;
    }
    if !rate.is_finite() || rate >= u64::MAX as f64 {
        return Err(bad());
    }
    let rate = rate.round() as u64;
    if rate == 0 {
        return Err(FaultError::ZeroRate);
    }
    Ok(rate)
}

/// A rate for people: in bits with the largest SI prefix that keeps it
/// whole (as link speeds are quoted), else in bytes per second.
pub fn format_rate(bytes_per_s: u64) -> String {
    let Some(bits) = bytes_per_s.checked_mul(8) else {
        return format!("{bytes_per_s}B/s");
    };
    for (unit, div) in [
        ("tbit", 1_000_000_000_000u64),
        ("gbit", 1_000_000_000),
        ("mbit", 1_000_000),
        ("kbit", 1_000),
    ] {
        if bits >= div && bits % div == 0 {
            return format!("{}{unit}", bits / div);
        }
    }
    format!("{bytes_per_s}B/s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_as_people_write_them() {
        assert_eq!(parse_rate("1gbit"), Ok(125_000_000));
        assert_eq!(parse_rate("1Gbit/s"), Ok(125_000_000));
        assert_eq!(parse_rate("100mbit"), Ok(12_500_000));
        assert_eq!(parse_rate("100Mbps"), Ok(12_500_000));
        assert_eq!(parse_rate("125mb"), Ok(125_000_000));
        assert_eq!(parse_rate("125MB"), Ok(125_000_000));
        assert_eq!(parse_rate("64kib"), Ok(65_536));
        assert_eq!(parse_rate("1.5gbit"), Ok(187_500_000));
        assert_eq!(parse_rate("1000000"), Ok(1_000_000));
        assert_eq!(parse_rate(" 10 kb "), Ok(10_000));
        for bad in ["", "fast", "1gbitz", "-5", "1..2mb", "1xb", "1e999", "1i"] {
            assert!(
                matches!(parse_rate(bad), Err(FaultError::Rate(_))),
                "{bad:?} accepted"
            );
        }
        assert_eq!(parse_rate("0"), Err(FaultError::ZeroRate));
        assert_eq!(parse_rate("1bit"), Err(FaultError::ZeroRate));
        assert_eq!(
            parse_rate("99999999999tb"),
            Err(FaultError::Rate("99999999999tb".into()))
        );
    }

    #[test]
    fn rates_print_as_link_speeds() {
        assert_eq!(format_rate(125_000_000), "1gbit");
        assert_eq!(format_rate(12_500_000), "100mbit");
        assert_eq!(format_rate(1000), "8kbit");
        assert_eq!(format_rate(3), "3B/s");
        assert_eq!(parse_rate(&format_rate(187_500_000)), Ok(187_500_000));
    }

    #[test]
    fn a_bucket_holds_ten_milliseconds() {
        let now = Instant::now();
        let b = [Arc::new(Bucket::new(1_000_000))];
        // The first 10 ms worth goes at once, then a wait for an eighth of it.
        assert_eq!(grant(&b, 1 << 20, now), Ok(10_000));
        let at = grant(&b, 1 << 20, now).unwrap_err();
        let waited = at - now;
        assert!(
            waited >= Duration::from_micros(1250) && waited < Duration::from_micros(1300),
            "{waited:?}"
        );
        refund(&b, 500);
        assert_eq!(grant(&b, 100, now), Ok(100));
    }
}
