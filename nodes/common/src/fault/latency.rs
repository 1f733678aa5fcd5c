//! The `latency` fault: every chunk of bytes crosses the link `latency` ±
//! `jitter` later, as Toxiproxy's latency toxic does, but in order (a TCP
//! link never reorders) and without slowing the link down: bytes are taken
//! in at once and held in a queue stamped with when they may go on, so a
//! 20 ms link still carries a full window, like a long wire would.
//!
//! Received bytes wait in the reading side's queue until due. Sent bytes are
//! accepted into the writing side's queue and go out when due, driven by a
//! timer armed on the connection's task (hyper and h2 flush and read on it),
//! so they leave even if the writer has gone quiet.

use super::kind::{FaultKind, LinkState, Settings, at_most_max, ms, to_ms};
use super::link::{DirPlan, Timer};
use super::{FaultError, bandwidth};
use crate::proto::chaos as pb;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Bytes one direction of one connection may hold in flight: enough for a
/// fast link with a long delay, bounded so a stalled reader cannot make a
/// node buffer without limit.
const IN_FLIGHT: usize = 4 << 20;
/// How much one read from the socket takes in.
const READ_CHUNK: usize = 16 << 10;

/// Each chunk of bytes arrives `latency` ± `jitter` later, in order;
/// several latency faults on one direction of a link add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub latency: Duration,
    pub jitter: Duration,
}

impl Latency {
    fn plus(self, other: Latency) -> Latency {
        Latency {
            latency: self.latency + other.latency,
            jitter: self.jitter + other.jitter,
        }
    }
}

impl FaultKind for Latency {
    const NAME: &'static str = "latency";
    const TAKES: &'static [&'static str] = &["latency/jitter"];
    type Wire = pb::Latency;

    fn from_wire(w: &pb::Latency) -> Self {
        Latency {
            latency: ms(w.latency_ms),
            jitter: ms(w.jitter_ms),
        }
    }

    fn to_wire(&self) -> pb::Latency {
        pb::Latency {
            latency_ms: to_ms(self.latency),
            jitter_ms: to_ms(self.jitter),
        }
    }

    fn from_settings(s: &Settings) -> Self {
        Latency {
            latency: ms(s.latency_ms),
            jitter: ms(s.jitter_ms),
        }
    }

    fn validate(&self) -> Result<(), FaultError> {
        if self.latency.is_zero() && self.jitter.is_zero() {
            return Err(FaultError::ZeroLatency);
        }
        at_most_max(self.latency)?;
        at_most_max(self.jitter)
    }

    fn detail(&self) -> String {
        format!(
            "{} ms ± {} ms",
            self.latency.as_millis(),
            self.jitter.as_millis()
        )
    }

    fn plan(&self, _: Option<&LinkState>, dir: &mut DirPlan) {
        dir.delay = Some(dir.delay.map_or(*self, |d| d.plus(*self)));
    }
}

struct Chunk {
    due: Instant,
    data: Vec<u8>,
    pos: usize,
}

enum End {
    Eof,
    Err(io::Error),
}

/// The bytes one direction of a connection holds back, oldest first.
#[derive(Default)]
pub(super) struct Delayed {
    chunks: VecDeque<Chunk>,
    bytes: usize,
    /// How the socket ended, told to the reader after the bytes before it.
    end: Option<End>,
    pub(super) timer: Timer,
    last_due: Option<Instant>,
    rng: u64,
    spare: Vec<u8>,
}

impl Delayed {
    /// Nothing held and nothing to tell: the stream may go straight to the socket.
    pub(super) fn is_idle(&self) -> bool {
        self.chunks.is_empty() && self.end.is_none()
    }

    fn random(&mut self) -> u64 {
        if self.rng == 0 {
            self.rng = std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
                | 1;
        }
        // xorshift64*: jitter needs spread, not cryptography.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// When bytes arriving now may go on: never before earlier bytes.
    fn due(&mut self, d: Latency, now: Instant) -> Instant {
        let mut delay = d.latency;
        let j = u64::try_from(d.jitter.as_nanos()).unwrap_or(u64::MAX / 4);
        if j > 0 {
            let r = self.random() % (2 * j + 1);
            let l = u64::try_from(d.latency.as_nanos()).unwrap_or(u64::MAX / 4);
            delay = Duration::from_nanos((l + r).saturating_sub(j));
        }
        let due = (now + delay).max(self.last_due.unwrap_or(now));
        self.last_due = Some(due);
        due
    }

    fn push_at(&mut self, data: Vec<u8>, due: Instant) {
        self.bytes += data.len();
        self.chunks.push_back(Chunk { due, data, pos: 0 });
    }

    fn consume(&mut self, n: usize) {
        if let Some(head) = self.chunks.front_mut() {
            head.pos += n;
            self.bytes -= n;
            if head.pos >= head.data.len() {
                self.chunks.pop_front();
            }
        }
    }

    /// Takes in what the socket has (within the bandwidth faults), stamped
    /// with when the reader may see it.
    pub(super) fn fill<S: AsyncRead + Unpin>(
        &mut self,
        inner: &mut S,
        buckets: &[Arc<bandwidth::Bucket>],
        bw_timer: &mut Timer,
        cx: &mut Context<'_>,
        d: Latency,
    ) {
        while self.bytes < IN_FLIGHT && self.end.is_none() {
            self.spare.resize(READ_CHUNK, 0);
            let mut rb = ReadBuf::new(&mut self.spare);
            match bandwidth::poll_read(inner, buckets, bw_timer, cx, &mut rb) {
                Poll::Ready(Ok(())) => {
                    let got = rb.filled().to_vec();
                    if got.is_empty() {
                        self.end = Some(End::Eof);
                    } else {
                        let due = self.due(d, Instant::now());
                        self.push_at(got, due);
                    }
                }
                Poll::Ready(Err(e)) => self.end = Some(End::Err(e)),
                Poll::Pending => break,
            }
        }
    }

    /// Hands the reader the oldest bytes once due (at once when the delay
    /// was removed), then how the socket ended.
    pub(super) fn poll_take(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        honour_due: bool,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            let Some(head) = self.chunks.front() else {
                return match self.end.take() {
                    Some(End::Eof) => {
                        self.end = Some(End::Eof);
                        Poll::Ready(Ok(()))
                    }
                    Some(End::Err(e)) => Poll::Ready(Err(e)),
                    // `fill` left the socket's waker registered.
                    None => Poll::Pending,
                };
            };
            if honour_due && head.due > Instant::now() {
                let due = head.due;
                self.timer.arm(due);
                ready!(self.timer.poll(cx));
                continue;
            }
            let n = buf.remaining().min(head.data.len() - head.pos);
            buf.put_slice(&head.data[head.pos..head.pos + n]);
            self.consume(n);
            return Poll::Ready(Ok(()));
        }
    }

    /// Accepts up to the in-flight limit of `buf` to send after the delay;
    /// 0 when full.
    pub(super) fn push(&mut self, buf: &[u8], d: Latency) -> usize {
        let n = buf.len().min(IN_FLIGHT.saturating_sub(self.bytes));
        if n > 0 {
            let due = self.due(d, Instant::now());
            self.push_at(buf[..n].to_vec(), due);
        }
        n
    }

    /// Sends held bytes whose time has come (all of them when the delay was
    /// removed), within the bandwidth faults. Ready once nothing is held.
    pub(super) fn poll_drain<S: AsyncWrite + Unpin>(
        &mut self,
        inner: &mut S,
        buckets: &[Arc<bandwidth::Bucket>],
        bw_timer: &mut Timer,
        cx: &mut Context<'_>,
        honour_due: bool,
    ) -> Poll<io::Result<()>> {
        loop {
            let Some(head) = self.chunks.front() else {
                return Poll::Ready(Ok(()));
            };
            if honour_due && head.due > Instant::now() {
                let due = head.due;
                self.timer.arm(due);
                ready!(self.timer.poll(cx));
                continue;
            }
            let k = ready!(bandwidth::poll_write(
                inner,
                buckets,
                bw_timer,
                cx,
                &head.data[head.pos..]
            ))?;
            if k == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.consume(k);
        }
    }
}
