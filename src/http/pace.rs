//! Minimum data rates: a connection that moves data too slowly is closed, whichever way the
//! data goes.
//!
//! A slowloris client holds a connection by sending a request body a byte at a time, or by
//! never reading the answer. Timeouts on the whole request cannot tell it from a survivor
//! uploading a video over a bad line for half an hour; a rate can. As Kestrel and nginx do, the
//! rate is measured only over the time the gateway was actually waiting on the network (a
//! handler busy stretching a token does not count against the client), and only after a grace
//! period, so that a phone switching cells does not lose its upload.
//!
//! - [`PacedBody`] meters a request body as the handler reads it.
//! - [`PacedIo`] meters writes: a write that cannot proceed means the client is not reading.
//!
//! Both share their figures with the connection table (`pool`), which under pressure closes the
//! slowest connections first.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// How slowly a connection may move data, `[limits]` in the configuration.
///
/// Each connection earns time by moving bytes and spends it waiting: it starts with
/// [`Pace::grace`], earns a second per [`Pace::min_bytes_per_second`] bytes, holds at most
/// [`Pace::stall`], and is closed when its time runs out. So no wait without a byte lasts longer
/// than `stall` (nginx's `client_body_timeout` and `send_timeout`), and over a long transfer the
/// average cannot fall below the minimum (Kestrel's minimum data rates), however fast an early
/// burst was.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pace {
    pub min_bytes_per_second: u64,
    pub grace: Duration,
    pub stall: Duration,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            // Far below any phone network, even GPRS; Kestrel's default is 240 B/s.
            min_bytes_per_second: 256,
            // A cell handover can stall a phone for several seconds.
            grace: Duration::from_secs(10),
            stall: Duration::from_secs(60),
        }
    }
}

/// Bytes moved in one direction, and how long the gateway waited on the network for them.
#[derive(Debug)]
pub struct Meter {
    pace: Pace,
    state: Mutex<Reading>,
}

#[derive(Debug, Clone, Copy)]
struct Reading {
    /// How long the gateway may still wait for this client.
    credit: Duration,
    /// Since when it waits, if it does.
    waiting_since: Option<Instant>,
    /// The current measure for the table's judgement under pressure: since the first wait,
    /// and the bytes moved since.
    first_wait: Option<Instant>,
    bytes: u64,
}

impl Reading {
    fn fresh(pace: Pace) -> Reading {
        Reading {
            credit: pace.grace.min(pace.stall),
            waiting_since: None,
            first_wait: None,
            bytes: 0,
        }
    }
}

impl Meter {
    pub fn new(pace: Pace) -> Meter {
        Meter {
            pace,
            state: Mutex::new(Reading::fresh(pace)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Reading> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The gateway starts, or goes on, waiting on the network. Returns when its time for this
    /// client runs out if nothing arrives.
    pub fn waiting(&self, now: Instant) -> Instant {
        let mut r = self.lock();
        let since = *r.waiting_since.get_or_insert(now);
        r.first_wait.get_or_insert(now);
        since + r.credit
    }

    /// `bytes` moved: the wait, if any, is over, and the bytes earn time.
    pub fn moved(&self, bytes: u64, now: Instant) {
        let mut r = self.lock();
        if let Some(since) = r.waiting_since.take() {
            r.credit = r
                .credit
                .saturating_sub(now.saturating_duration_since(since));
        }
        let earned = Duration::from_secs_f64(bytes as f64 / self.pace.min_bytes_per_second as f64);
        r.credit = (r.credit + earned).min(self.pace.stall);
        if r.first_wait.is_some() {
            r.bytes += bytes;
        }
    }

    /// Starts a new measure (a new request body, or a client that caught up with the answer).
    pub fn reset(&self) {
        let mut r = self.lock();
        *r = Reading {
            // A client that caught up keeps what it earned.
            credit: r.credit.max(self.pace.grace.min(self.pace.stall)),
            ..Reading::fresh(self.pace)
        };
    }

    /// The rate since the gateway first waited on this client in the current measure, while it
    /// waits, once that is `at_least` ago; `None` when it is not waiting (nothing is held up).
    pub fn stalled_rate(&self, now: Instant, at_least: Duration) -> Option<f64> {
        let r = *self.lock();
        r.waiting_since?;
        let over = now.saturating_duration_since(r.first_wait?);
        (over >= at_least && !over.is_zero()).then(|| r.bytes as f64 / over.as_secs_f64())
    }
}

/// Both directions of one connection, and the signal that closes it.
#[derive(Debug)]
pub struct Meters {
    /// The current request's body.
    pub body: Meter,
    /// Writes of answers, since the client last caught up.
    pub writes: Meter,
    /// Notified to close the connection (too slow, or shed under pressure).
    pub close: Notify,
}

impl Meters {
    pub fn new(pace: Pace) -> Meters {
        Meters {
            body: Meter::new(pace),
            writes: Meter::new(pace),
            close: Notify::new(),
        }
    }
}

/// Waits until `deadline`, re-armed as the deadline moves.
#[derive(Debug, Default)]
struct Alarm(Option<Pin<Box<tokio::time::Sleep>>>);

impl Alarm {
    /// Ready once `deadline` has passed; otherwise registers the task to be woken then.
    fn poll(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = tokio::time::Instant::from_std(deadline);
        let sleep = self
            .0
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        sleep.as_mut().poll(cx)
    }
}

/// What a handler reading a body too slowly is told (it answers 408 or closes).
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
pub struct TooSlow;

/// A request body that fails, and closes its connection, once it arrives slower than its
/// [`Pace`] allows.
pub struct PacedBody<B> {
    inner: B,
    meters: Arc<Meters>,
    alarm: Alarm,
}

impl<B> PacedBody<B> {
    pub fn new(inner: B, meters: Arc<Meters>) -> Self {
        meters.body.reset();
        PacedBody {
            inner,
            meters,
            alarm: Alarm::default(),
        }
    }
}

impl<B> Body for PacedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let len = match &frame {
                    Some(Ok(f)) => f.data_ref().map_or(0, |d| d.len() as u64),
                    _ => 0,
                };
                this.meters.body.moved(len, Instant::now());
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let deadline = this.meters.body.waiting(Instant::now());
                ready!(this.alarm.poll(deadline, cx));
                this.meters.close.notify_one();
                Poll::Ready(Some(Err(Box::new(TooSlow))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection whose writes fail once the client reads slower than its [`Pace`] allows
/// (a client that never reads its answers would otherwise hold the connection,
/// and the memory of what it was sent, for ever).
pub struct PacedIo<T> {
    inner: T,
    meters: Arc<Meters>,
    alarm: Alarm,
}

impl<T> PacedIo<T> {
    pub fn new(inner: T, meters: Arc<Meters>) -> Self {
        PacedIo {
            inner,
            meters,
            alarm: Alarm::default(),
        }
    }

    /// A write or flush that cannot proceed: the client is not reading.
    fn stalled<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let deadline = self.meters.writes.waiting(Instant::now());
        ready!(self.alarm.poll(deadline, cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client reads its answers too slowly",
        )))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for PacedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for PacedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                self.meters.writes.moved(n as u64, Instant::now());
                Poll::Ready(Ok(n))
            }
            Poll::Pending => self.stalled(cx),
            other => other,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => {
                self.meters.writes.moved(n as u64, Instant::now());
                Poll::Ready(Ok(n))
            }
            Poll::Pending => self.stalled(cx),
            other => other,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(Ok(())) => {
                // Everything written has left: the client has caught up, and a later stall is
                // measured afresh.
                self.meters.writes.reset();
                Poll::Ready(Ok(()))
            }
            Poll::Pending => self.stalled(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACE: Pace = Pace {
        min_bytes_per_second: 100,
        grace: Duration::from_secs(10),
        stall: Duration::from_secs(60),
    };

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_client_starts_with_the_grace_and_earns_a_second_per_minimum_rate_of_bytes() {
        let meter = Meter::new(PACE);
        let t0 = Instant::now();
        assert_eq!(meter.waiting(t0), t0 + secs(10));
        meter.moved(400, t0 + secs(3)); // 10 - 3 + 4
        let t1 = t0 + secs(20);
        assert_eq!(meter.waiting(t1), t1 + secs(11));
    }

    #[test]
    fn an_early_burst_buys_at_most_the_longest_stall() {
        let meter = Meter::new(PACE);
        let t0 = Instant::now();
        meter.moved(50_000_000, t0);
        assert_eq!(meter.waiting(t0), t0 + secs(60));
    }

    #[test]
    fn time_the_gateway_was_not_waiting_does_not_count_against_the_client() {
        let meter = Meter::new(PACE);
        let t0 = Instant::now();
        meter.waiting(t0);
        meter.moved(0, t0 + secs(1));
        // A minute later (a handler stretching a token), the client has 9 s left, not none.
        let later = t0 + secs(60);
        assert_eq!(meter.waiting(later), later + secs(9));
    }

    #[test]
    fn a_stalled_rate_is_known_only_while_waiting_and_after_the_least_wait() {
        let meter = Meter::new(PACE);
        let t0 = Instant::now();
        assert_eq!(meter.stalled_rate(t0, secs(1)), None);
        meter.waiting(t0);
        assert_eq!(meter.stalled_rate(t0, secs(1)), None);
        meter.moved(1000, t0 + secs(2));
        meter.waiting(t0 + secs(2));
        let rate = meter.stalled_rate(t0 + secs(4), secs(1)).unwrap();
        assert!((rate - 250.0).abs() < 1e-6, "{rate}");
        meter.reset();
        assert_eq!(meter.stalled_rate(t0 + secs(5), Duration::ZERO), None);
    }
}
