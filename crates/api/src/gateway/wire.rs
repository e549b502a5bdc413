//! The socket's outbound side: frames encoded once, appended to the socket's outgoing
//! bytes, and handed by the response body to the connection's writer
//! ([`crate::listener`]), which writes them without copying.
//!
//! actix-ws sends every frame through a tokio channel (a semaphore permit, a wake-up of
//! the body, and the frame encoded again for each recipient). A room event goes to
//! every member's socket, so here the hub encodes it once ([`Frame`]) and each socket
//! queues a reference to those bytes: one lock and, for the first frame of a burst, one
//! wake-up of the connection's writer. While no room of the
//! socket is replaying its log, the hub appends live frames itself ([`Sink`]) and the
//! socket task is not woken at all. actix-ws still does the handshake and reads the
//! client's frames.
//!
//! A socket sent a firehose of broadcast frames is written at a bounded rate
//! ([`Pacing`]): each write to it costs the kernel's whole TCP path, and under load
//! those writes, not the frames' bytes, are what the server and its clients spend.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use actix_http::ws::{CloseReason, OpCode, Parser};
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::rt::time::{Sleep, sleep_until};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, web};

/// A text frame encoded for the wire (server frames are not masked), shared by every
/// socket it goes to.
#[derive(Clone, Debug)]
pub struct Frame(Bytes);

impl Frame {
    pub fn text(text: &str) -> Frame {
        let mut buf = BytesMut::with_capacity(text.len() + 10);
        Parser::write_message(&mut buf, text, OpCode::Text, true, false);
        Frame(buf.freeze())
    }

    /// Bytes on the wire, header included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Frame {
    fn from(text: &str) -> Frame {
        Frame::text(text)
    }
}

impl From<String> for Frame {
    fn from(text: String) -> Frame {
        Frame::text(&text)
    }
}

/// Frames queued before a writer waits for the body to take them (actix-ws's channel
/// held 32), and the bytes that make a queue full whatever its count.
const MAX_FRAMES: usize = 32;
const MAX_BYTES: usize = 64 * 1024;

/// When a socket's broadcast frames wait to share a write.
///
/// A socket sent more than `rate` frames per second (over its last 100 ms or more of
/// writes) is written at most once per `linger`: frames the hub appends ([`Sink`]) that
/// come sooner wait for the next write. What the socket task queues ([`Outbox`]: acks,
/// replies, pongs, the close, and the room events it relays while a send of its own
/// awaits its ack or a room replays its log) never waits, and takes what is queued with
/// it; nor does a queue half full. At the fixed rates of chat rooms no socket comes near
/// `rate`, so nothing waits (a socket that just took a replay of more than `rate` / 10
/// frames may be paced for one window); under a firehose a client gets the same frames
/// in fewer, fuller writes, up to `linger` later.
#[derive(Clone, Debug)]
pub struct Pacing {
    pub rate: u32,
    /// Zero: every frame is written as soon as the connection's writer runs.
    pub linger: Duration,
    /// Counts the writes that waited.
    pub held: Option<prometheus::IntCounter>,
}

impl Pacing {
    pub fn off() -> Pacing {
        Pacing {
            rate: u32::MAX,
            linger: Duration::ZERO,
            held: None,
        }
    }
}

/// How often a socket's rate is measured.
const RATE_WINDOW: Duration = Duration::from_millis(100);

/// The writer's side is gone or closed the socket.
#[derive(Debug)]
pub struct Closed;

#[derive(Default)]
struct Queue {
    /// Frames not yet taken by the body: shared bytes, written from where they are.
    frames: VecDeque<Bytes>,
    bytes: usize,
    /// The body, waiting for a frame.
    body: Option<Waker>,
    /// The writer, waiting for room.
    writer: Option<Waker>,
    /// The close frame is queued, or the writer is gone: end the body once drained.
    ending: bool,
    /// The socket task queued a frame that the body has not taken yet: it goes without
    /// waiting.
    urgent: bool,
    /// The body, holding its frames until its next write is due: woken early only by an
    /// urgent frame, a queue half full, or the end.
    holding: Option<Waker>,
    /// The body is gone: the connection ended.
    gone: bool,
}

impl Queue {
    fn full(&self) -> bool {
        self.frames.len() >= MAX_FRAMES || self.bytes >= MAX_BYTES
    }

    fn half_full(&self) -> bool {
        self.frames.len() >= MAX_FRAMES / 2 || self.bytes >= MAX_BYTES / 2
    }

    /// Frames are queued that may wait for the socket's next write: none is the socket
    /// task's own, the body is not ending, and the queue is not half full.
    fn may_wait(&self) -> bool {
        !(self.frames.is_empty() || self.urgent || self.ending || self.half_full())
    }

    /// Queues `bytes`, answering the body's waker if it waits for them (one wake-up per
    /// burst: only a body that found the queue empty waits).
    fn append(&mut self, bytes: Bytes) -> Option<Waker> {
        self.bytes += bytes.len();
        self.frames.push_back(bytes);
        self.body.take()
    }
}

#[derive(Default)]
struct Shared(Mutex<Queue>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The socket task's writer (in place of actix-ws's `Session`).
pub struct Outbox {
    shared: Arc<Shared>,
}

/// Another writer of the same socket that never waits: the hub, queuing live room
/// events straight to the wire while the socket task has nothing to add to them.
#[derive(Clone)]
pub struct Sink(Arc<Shared>);

impl Sink {
    /// Queues `frame` unless the queue is full or the socket is ending.
    pub fn try_push(&self, frame: &Frame) -> bool {
        let mut queue = self.0.lock();
        if queue.gone || queue.ending || queue.full() {
            return false;
        }
        let mut body = queue.append(frame.0.clone());
        if body.is_none() && queue.half_full() {
            body = queue.holding.take();
        }
        drop(queue);
        if let Some(body) = body {
            body.wake();
        }
        true
    }
}

impl Outbox {
    pub fn sink(&self) -> Sink {
        Sink(self.shared.clone())
    }

    /// Queues a text frame, waiting while the body has not taken enough of the last ones
    /// (a client that stops reading stops its writer here).
    pub async fn text(&mut self, frame: impl Into<Frame>) -> Result<(), Closed> {
        self.push(frame.into().0, false).await
    }

    pub async fn ping(&mut self, payload: &[u8]) -> Result<(), Closed> {
        self.push(control(payload, OpCode::Ping), false).await
    }

    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), Closed> {
        self.push(control(payload, OpCode::Pong), false).await
    }

    /// Queues the close frame; the body ends after it.
    pub async fn close(mut self, reason: Option<CloseReason>) -> Result<(), Closed> {
        let mut buf = BytesMut::new();
        Parser::write_close(&mut buf, reason.map(trim_reason), false);
        self.push(buf.freeze(), true).await
    }

    async fn push(&mut self, bytes: Bytes, last: bool) -> Result<(), Closed> {
        let mut bytes = Some(bytes);
        poll_fn(|cx| {
            let mut queue = self.shared.lock();
            if queue.gone || queue.ending {
                return Poll::Ready(Err(Closed));
            }
            if queue.full() {
                set_waker(&mut queue.writer, cx);
                return Poll::Pending;
            }
            let Some(bytes) = bytes.take() else {
                return Poll::Ready(Ok(()));
            };
            let body = queue.append(bytes);
            queue.ending = last;
            queue.urgent = true;
            let body = body.or_else(|| queue.holding.take());
            drop(queue);
            if let Some(body) = body {
                body.wake();
            }
            Poll::Ready(Ok(()))
        })
        .await
    }
}

impl Drop for Outbox {
    /// Ends the body once what is queued is written (as actix-ws does when its last
    /// `Session` is dropped).
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.ending = true;
        let body = queue.body.take().or_else(|| queue.holding.take());
        drop(queue);
        if let Some(body) = body {
            body.wake();
        }
    }
}

fn set_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// RFC 6455: a control frame's payload is at most 125 bytes.
fn control(payload: &[u8], op: OpCode) -> Bytes {
    let payload = &payload[..payload.len().min(125)];
    let mut buf = BytesMut::with_capacity(payload.len() + 2);
    Parser::write_message(&mut buf, payload, op, true, false);
    buf.freeze()
}

/// The close frame's reason fits its 123 bytes, cut at a character boundary.
fn trim_reason(mut reason: CloseReason) -> CloseReason {
    if let Some(text) = reason.description.as_mut()
        && text.len() > 123
    {
        let mut end = 123;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    reason
}

/// The response body: hands the queued frames to the connection's writer, which takes
/// up to 32 KiB of them for one vectored write.
struct WireBody {
    shared: Arc<Shared>,
    pace: Pace,
    /// actix-ws's own body, kept unpolled: dropping it tells its `MessageStream` that
    /// the connection ended, which is when this body is dropped.
    _actix_ws: BoxBody,
}

impl MessageBody for WireBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let mut queue = this.shared.lock();
        if !this.pace.taking && queue.may_wait() && this.pace.hold(cx) {
            set_waker(&mut queue.holding, cx);
            return Poll::Pending;
        }
        let Some(frame) = queue.frames.pop_front() else {
            if queue.ending {
                return Poll::Ready(None);
            }
            this.pace.written();
            // An idle socket keeps no slots.
            queue.frames = VecDeque::new();
            set_waker(&mut queue.body, cx);
            return Poll::Pending;
        };
        if !this.pace.taking {
            this.pace.taking = true;
            this.pace.waiting = false;
            queue.holding = None;
        }
        // A burst takes everything queued before it ends, an urgent frame included.
        queue.urgent = false;
        this.pace.frames += 1;
        queue.bytes -= frame.len();
        // The writer waits for a full queue; it may go on once a frame is taken.
        let writer = queue.writer.take();
        drop(queue);
        if let Some(writer) = writer {
            writer.wake();
        }
        Poll::Ready(Some(Ok(frame)))
    }
}

/// One socket's write pacing ([`Pacing`]).
struct Pace {
    pacing: Pacing,
    /// The writer is taking a burst of frames (for one write, or a few back to back).
    taking: bool,
    /// When the last burst was taken: about when it was written.
    last: Option<Instant>,
    /// Frames taken since `window` began, and whether the last window's rate was over
    /// the pacing's.
    window: Option<Instant>,
    frames: u32,
    busy: bool,
    /// Frames wait for the next write (counted once per wait).
    waiting: bool,
    /// Made at the socket's first wait, then re-armed.
    timer: Option<Pin<Box<Sleep>>>,
}

impl Pace {
    fn new(pacing: Pacing) -> Pace {
        Pace {
            pacing,
            taking: false,
            last: None,
            window: None,
            frames: 0,
            busy: false,
            waiting: false,
            timer: None,
        }
    }

    /// The burst is taken: measures the socket's rate once per window.
    fn written(&mut self) {
        if !self.taking {
            return;
        }
        self.taking = false;
        if self.pacing.linger.is_zero() {
            self.frames = 0;
            return;
        }
        let now = Instant::now();
        self.last = Some(now);
        let window = *self.window.get_or_insert(now);
        let elapsed = now - window;
        if elapsed >= RATE_WINDOW {
            self.busy =
                f64::from(self.frames) > f64::from(self.pacing.rate) * elapsed.as_secs_f64();
            self.window = Some(now);
            self.frames = 0;
        }
    }

    /// Whether frames that would start a burst wait (the timer then wakes the body).
    fn hold(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(last) = self.last.filter(|_| self.busy) else {
            return false;
        };
        let due = last + self.pacing.linger;
        if Instant::now() >= due {
            return false;
        }
        let due = due.into();
        let timer = self.timer.get_or_insert_with(|| Box::pin(sleep_until(due)));
        if timer.deadline() != due {
            timer.as_mut().reset(due);
        }
        if timer.as_mut().poll(cx).is_ready() {
            return false;
        }
        if !self.waiting {
            self.waiting = true;
            if let Some(held) = &self.pacing.held {
                held.inc();
            }
        }
        true
    }
}

impl Drop for WireBody {
    fn drop(&mut self) {
        let mut queue = self.shared.lock();
        queue.gone = true;
        queue.frames = VecDeque::new();
        let writer = queue.writer.take();
        drop(queue);
        if let Some(writer) = writer {
            writer.wake();
        }
    }
}

/// Answers the upgrade: the response (its body fed by the returned [`Outbox`]) and the
/// client's frames.
pub fn handle(
    req: &HttpRequest,
    body: web::Payload,
    pacing: Pacing,
) -> Result<(HttpResponse, Outbox, actix_ws::MessageStream), actix_web::Error> {
    let (response, session, stream) = actix_ws::handle(req, body)?;
    // Nothing is sent through actix-ws's channel.
    drop(session);
    let shared = Arc::new(Shared::default());
    let response = response.map_body(|_, actix_ws| {
        BoxBody::new(WireBody {
            shared: shared.clone(),
            pace: Pace::new(pacing),
            _actix_ws: actix_ws,
        })
    });
    Ok((response, Outbox { shared }, stream))
}

/// A wire without a connection (benchmarks): the writer, and the body a dispatcher would
/// poll.
pub fn detached() -> (Outbox, BoxBody) {
    let shared = Arc::new(Shared::default());
    let body = BoxBody::new(WireBody {
        shared: shared.clone(),
        pace: Pace::new(Pacing::off()),
        _actix_ws: BoxBody::new(()),
    });
    (Outbox { shared }, body)
}
