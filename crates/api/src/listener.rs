//! The HTTP listener. Every request, WebSocket upgrades included, is answered by the
//! actix-web application ([`crate::app::build`]); what differs is who carries a
//! connection once it has become a WebSocket.
//!
//! actix-http's HTTP/1 dispatcher keeps an 8 KiB read and an 8 KiB write buffer for the
//! whole life of a connection, and copies every outgoing frame into the latter. For a
//! socket that idles most of its life, those buffers were most of its memory
//! (docs/BENCHMARKS.md). So the dispatcher hands WebSocket upgrade requests over
//! ([`upgraded`]): the same application answers them, and once the answer is `101` the
//! connection is carried here. Reads go through a buffer on the stack and reach the
//! handler's payload as exactly-sized chunks; the body's frames are written from their
//! shared bytes with vectored writes. An idle socket keeps no buffer at all.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use actix_codec::{Encoder, Framed, FramedParts};
use actix_http::body::{BoxBody, MessageBody};
use actix_http::error::PayloadError;
use actix_http::h1;
use actix_http::{ConnectionType, HttpService, Request, Response, StatusCode};
use actix_server::ServerBuilder;
use actix_service::{IntoServiceFactory, Service, ServiceFactory, fn_factory, fn_service};
use actix_web::dev::{AppConfig, ServiceResponse};
use actix_web::rt::net::TcpStream;
use bytes::{Buf, Bytes, BytesMut};
use futures_util::Stream;

use crate::state::AppState;

/// Bytes taken from a socket's body before one write, as actix-http's dispatcher does
/// (its `h1_write_buffer_size`): past that the body keeps its frames, its queue fills,
/// and the hub sees a slow consumer.
const WRITE_BATCH_BYTES: usize = 32 * 1024;
/// Frames in one vectored write.
const WRITE_BATCH_FRAMES: usize = 64;
/// One read's buffer, on the stack (client frames are small; a bigger one takes more
/// reads).
const READ_CHUNK: usize = 4 * 1024;

/// Binds every address `addr` resolves to, as actix-web's `HttpServer::bind` does
/// (address reuse, a backlog of 1,024).
pub fn bind(addr: &str) -> io::Result<Vec<TcpListener>> {
    use socket2::{Domain, Protocol, Socket, Type};
    let mut listeners = Vec::new();
    for addr in addr.to_socket_addrs()? {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(1024)?;
        listeners.push(TcpListener::from(socket));
    }
    if listeners.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{addr} resolves to no address"),
        ));
    }
    Ok(listeners)
}

/// Serves the application on `listener` (one instance per worker of `builder`).
pub fn listen(
    builder: ServerBuilder,
    listener: TcpListener,
    state: AppState,
) -> io::Result<ServerBuilder> {
    let addr = listener.local_addr()?;
    let shutdown = builder.graceful_shutdown_signal();
    let gateway = &state.settings.gateway;
    let stall_limit = Duration::from_secs(
        gateway
            .write_stall_secs
            .unwrap_or(gateway.ping_interval_secs + gateway.pong_timeout_secs),
    );
    builder.listen(format!("parley-{addr}"), listener, move || {
        // One application per worker for plain requests and upgrades alike, built by
        // whichever of actix-http's two factories starts first.
        let shared = Rc::new(tokio::sync::OnceCell::new());
        let state = state.clone();
        let instance = move || {
            let (shared, state) = (shared.clone(), state.clone());
            async move {
                let app = shared
                    .get_or_try_init(|| async move {
                        let factory = crate::app::build(state).into_factory();
                        factory.new_service(app_config(addr)).await.map(Rc::new)
                    })
                    .await?;
                Ok::<_, ()>(app.clone())
            }
        };
        let plain = fn_factory({
            let instance = instance.clone();
            move || {
                let app = instance();
                async move {
                    let app = app.await?;
                    Ok::<_, ()>(fn_service(move |req: Request| app.call(req)))
                }
            }
        });
        let upgrade = fn_factory(move || {
            let app = instance();
            async move {
                let app = app.await?;
                Ok::<_, ()>(fn_service(
                    move |(req, framed): (Request, Framed<TcpStream, h1::Codec>)| {
                        upgraded(app.clone(), stall_limit, req, framed)
                    },
                ))
            }
        });
        let signal = shutdown.clone();
        // actix-web's `HttpServer` settings, which this listener replaces.
        HttpService::build()
            .graceful_shutdown_signal(move || {
                let signal = signal.clone();
                async move { signal.notified().await }
            })
            .client_request_timeout(Duration::from_secs(5))
            .client_disconnect_timeout(Duration::from_secs(1))
            // Small frames (an ack, then the sender's own `message.created`) must not
            // wait for the client's delayed ACK (~40 ms) behind Nagle's algorithm.
            .tcp_nodelay(true)
            .local_addr(addr)
            .upgrade(upgrade)
            .finish(plain)
            .tcp()
    })
}

/// What `HttpServer` gives the application: plain HTTP, the listener's address as the
/// host of last resort (requests carry their own `Host`). actix-web builds it only for
/// its own server and its test server, hence the test constructor.
fn app_config(addr: SocketAddr) -> AppConfig {
    AppConfig::__priv_test_new(false, addr.to_string(), addr)
}

/// Answers an upgrade request through the application, then carries the WebSocket
/// until its body ends (the socket closed) or the connection fails.
async fn upgraded<S, B>(
    app: Rc<S>,
    stall_limit: Duration,
    req: Request,
    framed: Framed<TcpStream, h1::Codec>,
) -> Result<(), actix_web::Error>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    let FramedParts {
        io,
        mut codec,
        read_buf,
        ..
    } = framed.into_parts();
    let io = Rc::new(io);
    let inbound = Inbound {
        io: io.clone(),
        // The client's first frames, if it sent them right behind the request.
        early: (!read_buf.is_empty()).then(|| read_buf.freeze()),
        ended: false,
    };
    let (req, _) = req.replace_payload(actix_http::Payload::Stream {
        payload: Box::pin(inbound) as actix_http::BoxedPayloadStream,
    });
    let res: Response<BoxBody> = match app.call(req).await {
        Ok(res) => res.map_into_boxed_body().into_parts().1.into(),
        Err(err) => err.error_response().into(),
    };
    let (mut head, body) = res.into_parts();
    let upgrade = head.status() == StatusCode::SWITCHING_PROTOCOLS;
    if !upgrade {
        // A refusal (origin, handshake, rate limit): answered, then the connection ends.
        head.head_mut().set_connection_type(ConnectionType::Close);
    }
    let mut out = Outgoing::default();
    let result = match encode_head(&mut codec, head, body.size(), &mut out) {
        Ok(()) if upgrade => {
            drop(codec);
            carry(&io, out, body, stall_limit).await
        }
        Ok(()) => match encode_body(&mut codec, body, &mut out).await {
            Ok(()) => carry(&io, out, BoxBody::new(()), stall_limit).await,
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    if let Err(err) = result {
        // A peer that vanished is not the server's error.
        tracing::debug!(error = %err, "websocket connection ended");
    }
    Ok(())
}

fn encode_head(
    codec: &mut h1::Codec,
    head: Response<()>,
    size: actix_http::body::BodySize,
    out: &mut Outgoing,
) -> io::Result<()> {
    let mut buf = BytesMut::new();
    codec.encode(h1::Message::Item((head, size)), &mut buf)?;
    out.push(buf.freeze());
    Ok(())
}

/// A non-upgrade answer's whole body, framed as its head announced.
async fn encode_body(codec: &mut h1::Codec, body: BoxBody, out: &mut Outgoing) -> io::Result<()> {
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = poll_fn(|cx| body.as_mut().poll_next(cx)).await {
        let chunk = chunk.map_err(|err| io::Error::other(err.to_string()))?;
        let mut buf = BytesMut::new();
        codec.encode(h1::Message::Chunk(Some(chunk)), &mut buf)?;
        out.push(buf.freeze());
    }
    let mut buf = BytesMut::new();
    codec.encode(h1::Message::Chunk(None), &mut buf)?;
    out.push(buf.freeze());
    Ok(())
}

/// Writes what is in `out`, then `body`'s frames as they come, until the body ends and
/// all is written.
///
/// Writes that make no progress for longer than a ping and its pong may take
/// (`stall_limit`, `write_stall_secs`) cannot be for a live client: past that the
/// connection is given up and reset, rather than kept, with the kernel's unsent bytes,
/// for a client that may keep a zero window open for ever.
async fn carry(
    io: &TcpStream,
    mut out: Outgoing,
    body: BoxBody,
    stall_limit: Duration,
) -> io::Result<()> {
    let mut body = std::pin::pin!(body);
    let mut stall: Option<Pin<Box<actix_web::rt::time::Sleep>>> = None;
    let mut stalled = false;
    let carried = poll_fn(|cx| {
        let written = out.written;
        let drained = out.poll_drain(io, body.as_mut(), cx);
        if out.written != written || out.frames.is_empty() {
            stalled = false;
        }
        if drained.is_pending() && !out.frames.is_empty() {
            let deadline = actix_web::rt::time::Instant::now() + stall_limit;
            // One timer per connection, made at its first stall and then re-armed.
            let timer =
                stall.get_or_insert_with(|| Box::pin(actix_web::rt::time::sleep_until(deadline)));
            if !stalled {
                timer.as_mut().reset(deadline);
                stalled = true;
            }
            if timer.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
            }
        }
        drained
    })
    .await;
    if carried.is_err() {
        // Given up on (or failed): reset rather than leave the kernel holding unsent
        // bytes for a peer that may never take them.
        let _ = socket2::SockRef::from(io).set_linger(Some(Duration::ZERO));
    }
    carried
}

/// The client's bytes, read by the handler's frame stream itself when it wants more (so
/// a client that floods is slowed by TCP), through a buffer on the stack.
struct Inbound {
    io: Rc<TcpStream>,
    early: Option<Bytes>,
    ended: bool,
}

impl Stream for Inbound {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(early) = self.early.take() {
            return Poll::Ready(Some(Ok(early)));
        }
        if self.ended {
            return Poll::Ready(None);
        }
        loop {
            if let Err(err) = ready!(self.io.poll_read_ready(cx)) {
                self.ended = true;
                return Poll::Ready(Some(Err(PayloadError::Io(err))));
            }
            let mut scratch = [0u8; READ_CHUNK];
            match self.io.try_read(&mut scratch) {
                Ok(0) => {
                    self.ended = true;
                    return Poll::Ready(None);
                }
                Ok(n) => return Poll::Ready(Some(Ok(Bytes::copy_from_slice(&scratch[..n])))),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                Err(err) => {
                    self.ended = true;
                    return Poll::Ready(Some(Err(PayloadError::Io(err))));
                }
            }
        }
    }
}

/// Frames taken from the body and not yet written, the first maybe in part.
#[derive(Default)]
struct Outgoing {
    frames: VecDeque<Bytes>,
    bytes: usize,
    /// Bytes written since the connection was upgraded.
    written: u64,
    /// The body has ended: the socket closes once this is written.
    ended: bool,
}

impl Outgoing {
    fn push(&mut self, frame: Bytes) {
        // Nothing to write (a sized body's end): a write of it would count as a failure.
        if frame.is_empty() {
            return;
        }
        self.bytes += frame.len();
        self.frames.push_back(frame);
    }

    fn full(&self) -> bool {
        self.bytes >= WRITE_BATCH_BYTES || self.frames.len() >= WRITE_BATCH_FRAMES
    }

    /// Writes the body's frames until the socket would block or the body has none
    /// ready; ready once the body has ended and all is written (the write side shut).
    fn poll_drain(
        &mut self,
        io: &TcpStream,
        mut body: Pin<&mut BoxBody>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            while !self.ended && !self.full() {
                match body.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(frame))) => self.push(frame),
                    Poll::Ready(Some(Err(err))) => {
                        return Poll::Ready(Err(io::Error::other(err.to_string())));
                    }
                    Poll::Ready(None) => self.ended = true,
                    Poll::Pending => break,
                }
            }
            if self.frames.is_empty() {
                if self.ended {
                    // The socket closes once the frame stream lets go of it too.
                    return Poll::Ready(Ok(()));
                }
                // An idle socket keeps no slots.
                self.frames = VecDeque::new();
                return Poll::Pending;
            }
            ready!(self.poll_write(io, cx))?;
        }
    }

    /// One vectored write of what is queued; the written part is dropped.
    fn poll_write(&mut self, io: &TcpStream, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut slices = [IoSlice::new(&[]); WRITE_BATCH_FRAMES];
        let mut count = 0;
        for (slot, frame) in slices.iter_mut().zip(&self.frames) {
            *slot = IoSlice::new(frame);
            count += 1;
        }
        let written = loop {
            ready!(io.poll_write_ready(cx))?;
            match io.try_write_vectored(&slices[..count]) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => break n,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                Err(err) => return Poll::Ready(Err(err)),
            }
        };
        self.bytes -= written;
        self.written += written as u64;
        let mut left = written;
        while left > 0 {
            let Some(front) = self.frames.front_mut() else {
                break;
            };
            if front.len() <= left {
                left -= front.len();
                self.frames.pop_front();
            } else {
                front.advance(left);
                left = 0;
            }
        }
        Poll::Ready(Ok(()))
    }
}
