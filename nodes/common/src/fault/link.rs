//! The link: the wrapper under one connection, which applies on every read
//! and write the plan its link's faults make, kind after kind: a cut fails
//! at once; timeout and reset_peer hold or fail the bytes; limit_data and
//! slicer bound how many may move; latency and bandwidth shape the rest;
//! slow_close waits at the close. Each kind's per-stream state and what it
//! does with it live in the kind's file; this file only chains them.
//!
//! The fast path is here too: a direction whose plan is clear goes straight
//! to the socket, after one atomic load that tells the plan has not moved.

use super::bandwidth::{self, Bucket};
use super::latency::{Delayed, Latency};
use super::slicer::Slicer;
use super::{StreamWakers, cut, limit_data, registry, reset_peer, slicer, slow_close, timeout};
use futures::task::AtomicWaker;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// What the faults of one link do to one direction; each kind's
/// [`super::FaultKind::plan`] puts its part in.
#[derive(Default, Clone)]
pub struct DirPlan {
    pub(super) cut: bool,
    pub(super) buckets: Vec<Arc<Bucket>>,
    pub(super) delay: Option<Latency>,
    /// timeout: bytes held; fail this long after the stall (Duration::MAX: never).
    pub(super) hold: Option<Duration>,
    pub(super) reset_after: Option<Duration>,
    pub(super) limit: Option<u64>,
    pub(super) slow_close: Option<Duration>,
    pub(super) slice: Option<Slicer>,
}

impl DirPlan {
    fn is_clear(&self) -> bool {
        !self.cut
            && self.buckets.is_empty()
            && self.delay.is_none()
            && self.hold.is_none()
            && self.reset_after.is_none()
            && self.limit.is_none()
            && self.slow_close.is_none()
            && self.slice.is_none()
    }
}

#[derive(Default, Clone)]
pub(super) struct Plan {
    pub(super) up: DirPlan,
    pub(super) down: DirPlan,
}

/// A sleep kept in the stream and re-armed, so a shaped stream does not
/// allocate a timer per read or write.
#[derive(Default)]
pub(super) struct Timer {
    sleep: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl Timer {
    pub(super) fn arm(&mut self, at: Instant) {
        match &mut self.sleep {
            Some(s) => s.as_mut().reset(at),
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(at))),
        }
        self.armed = true;
    }

    pub(super) fn disarm(&mut self) {
        self.armed = false;
    }

    /// Ready when nothing is armed or the deadline has passed.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.armed {
            return Poll::Ready(());
        }
        if let Some(s) = &mut self.sleep {
            ready!(s.as_mut().poll(cx));
        }
        self.armed = false;
        Poll::Ready(())
    }
}

/// Per-direction state of one stream, one part per kind that keeps any.
#[derive(Default)]
struct DirState {
    bandwidth: Timer,
    delayed: Delayed,
    reset: reset_peer::Countdown,
    hold: timeout::Hold,
    limit: limit_data::Count,
    slice: slicer::Pace,
}

impl DirState {
    /// Before any byte moves: Ready(Ok) to go on, Pending while held
    /// (woken at the deadline or by a registry change), or the failure.
    fn poll_gate(
        &mut self,
        plan: &DirPlan,
        peer: &str,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.reset.poll(plan.reset_after, peer, cx))?;
        self.hold.poll(plan.hold, peer, cx)
    }

    /// How many bytes may move now (limit_data, slicer); waits out a
    /// slicer's pause. Zero: the limit is reached.
    fn poll_allowance(&mut self, plan: &DirPlan, cx: &mut Context<'_>) -> Poll<usize> {
        let n = self.limit.allowance(plan.limit);
        let s = ready!(self.slice.poll_allowance(plan.slice.as_ref(), cx));
        Poll::Ready(n.min(s))
    }

    /// After `n` bytes moved.
    fn moved(&mut self, plan: &DirPlan, n: usize) {
        self.limit.moved(plan.limit, n);
        self.slice.moved(plan.slice.as_ref(), n);
    }

    /// A new plan: what no longer applies starts afresh.
    fn reload(&mut self, plan: &DirPlan) {
        self.bandwidth.disarm();
        self.delayed.timer.disarm();
        self.reset.reload(plan.reset_after.is_some());
        self.hold.reload(plan.hold.is_some());
        self.limit.reload(plan.limit.is_some());
        self.slice.reload();
    }
}

/// A connection under the fault layer. It applies, on every read and write,
/// the registry's current faults for the link with its peer.
pub struct FaultStream<S> {
    inner: S,
    peer: Option<String>,
    seen: u64,
    plan: Plan,
    up_clear: bool,
    down_clear: bool,
    wakers: Arc<StreamWakers>,
    read: DirState,
    write: DirState,
    /// A slow_close in progress.
    closing: slow_close::Closing,
}

impl<S> FaultStream<S> {
    /// Wraps a connection with `peer` (None until it is known, as when
    /// accepting: then call [`FaultStream::set_peer`] after the handshake).
    pub fn new(inner: S, peer: Option<String>) -> FaultStream<S> {
        let wakers = Arc::new(StreamWakers::default());
        registry().register(&wakers);
        let mut s = FaultStream {
            inner,
            peer,
            seen: 0,
            plan: Plan::default(),
            up_clear: true,
            down_clear: true,
            wakers,
            read: DirState::default(),
            write: DirState::default(),
            closing: slow_close::Closing::default(),
        };
        s.reload();
        s
    }

    pub fn set_peer(&mut self, peer: String) {
        self.peer = Some(peer);
        self.reload();
    }

    pub fn peer(&self) -> Option<&str> {
        self.peer.as_deref()
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    fn refresh(&mut self) {
        if registry().generation.load(Ordering::Acquire) != self.seen {
            self.reload();
        }
    }

    fn reload(&mut self) {
        let (generation, plan) = registry().plan(self.peer.as_deref());
        self.seen = generation;
        self.up_clear = plan.up.is_clear();
        self.down_clear = plan.down.is_clear();
        // A timer armed for the old plan may be moot: the next poll decides afresh.
        self.read.reload(&plan.down);
        self.write.reload(&plan.up);
        self.plan = plan;
    }

    /// Leaves `w` to be woken by a registry change, and wakes at once if one
    /// slipped in since the plan was read.
    fn park(&self, w: &AtomicWaker, cx: &mut Context<'_>) {
        w.register(cx.waker());
        if registry().generation.load(Ordering::SeqCst) != self.seen {
            cx.waker().wake_by_ref();
        }
    }

    fn peer_name(&self) -> &str {
        self.peer.as_deref().unwrap_or("?")
    }
}

impl<S> fmt::Debug for FaultStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultStream")
            .field("peer", &self.peer)
            .field("clear", &(self.up_clear && self.down_clear))
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> FaultStream<S> {
    fn poll_read_faulty(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.plan.down.cut {
            return Poll::Ready(Err(cut::reset(self.peer_name())));
        }
        let peer = self.peer.as_deref().unwrap_or("?");
        ready!(self.read.poll_gate(&self.plan.down, peer, cx))?;
        let allowed = ready!(self.read.poll_allowance(&self.plan.down, cx));
        if allowed == 0 {
            // limit_data: the end of the stream.
            return Poll::Ready(Ok(()));
        }
        if allowed < buf.remaining() {
            let unfilled = buf.initialize_unfilled_to(allowed);
            let mut sub = ReadBuf::new(unfilled);
            let r = self.poll_read_shaped(cx, &mut sub);
            let n = sub.filled().len();
            buf.advance(n);
            self.read.moved(&self.plan.down, n);
            return r;
        }
        let before = buf.filled().len();
        let r = self.poll_read_shaped(cx, buf);
        let n = buf.filled().len() - before;
        self.read.moved(&self.plan.down, n);
        r
    }

    /// Reads under the bandwidth and latency faults.
    fn poll_read_shaped(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let FaultStream {
            inner, plan, read, ..
        } = self;
        match plan.down.delay {
            None if read.delayed.is_idle() => {
                bandwidth::poll_read(inner, &plan.down.buckets, &mut read.bandwidth, cx, buf)
            }
            delay => {
                if let Some(d) = delay {
                    read.delayed
                        .fill(inner, &plan.down.buckets, &mut read.bandwidth, cx, d);
                }
                read.delayed.poll_take(cx, buf, delay.is_some())
            }
        }
    }

    /// Sends what the write-side delay queue holds and is due.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let FaultStream {
            inner, plan, write, ..
        } = self;
        write.delayed.poll_drain(
            inner,
            &plan.up.buckets,
            &mut write.bandwidth,
            cx,
            plan.up.delay.is_some(),
        )
    }

    fn poll_write_faulty(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.plan.up.cut {
            return Poll::Ready(Err(cut::reset(self.peer_name())));
        }
        let peer = self.peer.as_deref().unwrap_or("?");
        ready!(self.write.poll_gate(&self.plan.up, peer, cx))?;
        let allowed = ready!(self.write.poll_allowance(&self.plan.up, cx));
        if allowed == 0 && !buf.is_empty() {
            let bytes = self.plan.up.limit.unwrap_or(0);
            return Poll::Ready(Err(limit_data::closed(self.peer_name(), bytes)));
        }
        let buf = &buf[..buf.len().min(allowed)];
        let r = self.poll_write_shaped(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.write.moved(&self.plan.up, n);
        }
        r
    }

    /// Writes under the bandwidth and latency faults.
    fn poll_write_shaped(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(d) = self.plan.up.delay {
            if let Poll::Ready(Err(e)) = self.poll_drain(cx) {
                return Poll::Ready(Err(e));
            }
            if buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            let n = self.write.delayed.push(buf, d);
            if n == 0 {
                // Full: the drain above armed a timer or parked on the socket.
                return Poll::Pending;
            }
            // Arm the timer for the new bytes, so they go out even if nobody flushes.
            let _ = self.poll_drain(cx);
            return Poll::Ready(Ok(n));
        }
        // No delay now: the backlog of a removed one goes first, bytes stay in order.
        ready!(self.poll_drain(cx))?;
        let FaultStream {
            inner, plan, write, ..
        } = self;
        bandwidth::poll_write(inner, &plan.up.buckets, &mut write.bandwidth, cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for FaultStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.refresh();
        if !this.write.delayed.is_idle() && !this.plan.up.cut {
            // The connection's task may only be reading: let delayed writes out too.
            let _ = this.poll_drain(cx);
        }
        let r = if this.down_clear && this.read.delayed.is_idle() {
            Pin::new(&mut this.inner).poll_read(cx, buf)
        } else {
            this.poll_read_faulty(cx, buf)
        };
        if r.is_pending() {
            this.park(&this.wakers.read, cx);
        }
        r
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for FaultStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.refresh();
        let r = if this.up_clear && this.write.delayed.is_idle() {
            Pin::new(&mut this.inner).poll_write(cx, buf)
        } else {
            this.poll_write_faulty(cx, buf)
        };
        if r.is_pending() {
            this.park(&this.wakers.write, cx);
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.refresh();
        if this.up_clear && this.write.delayed.is_idle() {
            let r = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
            if r.is_pending() {
                this.park(&this.wakers.write, cx);
            }
            return r;
        }
        let first = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &**b);
        Pin::new(this).poll_write(cx, first)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.refresh();
        if this.plan.up.cut {
            return Poll::Ready(Err(cut::reset(this.peer_name())));
        }
        let r = match this.poll_drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        };
        if r.is_pending() {
            this.park(&this.wakers.write, cx);
        }
        r
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.refresh();
        let delay = this.plan.up.slow_close.or(this.plan.down.slow_close);
        ready!(this.closing.poll(delay, cx));
        // A cut link drops what it still held; closing the socket is still allowed.
        let r = if this.plan.up.cut {
            Pin::new(&mut this.inner).poll_shutdown(cx)
        } else {
            match this.poll_drain(cx) {
                Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
                other => other,
            }
        };
        if r.is_pending() {
            this.park(&this.wakers.write, cx);
        }
        r
    }
}

impl<S: tonic::transport::server::Connected> tonic::transport::server::Connected
    for FaultStream<S>
{
    type ConnectInfo = S::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}
