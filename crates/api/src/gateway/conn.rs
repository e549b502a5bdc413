//! One socket: authentication, the client's frames, and ordered delivery per room
//! (replay from the event log on resume or join, then live events above it).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actix_ws::{CloseCode, CloseReason, Message, MessageStream, ProtocolError};
use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use parley_realtime::BusEvent;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::hub::{ConnHandle, Kill, Outbound};
use super::presence;
use super::wire::{Frame, Outbox as Session};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::models::User;
use crate::service::messages::{self as messages, Actor, SendInput, Sent};
use crate::state::AppState;

/// Frames a client may send (besides `auth`, handled first).
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum ClientFrame {
    #[serde(rename = "message.send")]
    Send {
        room_id: i64,
        #[serde(default, alias = "message")]
        body: String,
        client_msg_id: Option<String>,
        parent_seq: Option<i64>,
    },
    #[serde(rename = "typing")]
    Typing { room_id: i64 },
    #[serde(rename = "typing.stop")]
    TypingStop { room_id: i64 },
    #[serde(rename = "read")]
    Read { room_id: i64, seq: i64 },
    #[serde(rename = "resume")]
    Resume { rooms: HashMap<String, i64> },
    #[serde(rename = "ping")]
    Ping,
}

/// Delivery state of one room on this socket.
#[derive(Default)]
struct Cursor {
    /// The next `event_seq` to deliver; `None`: deliver live events as they come.
    next: Option<i64>,
    /// Events that arrived ahead of `next` while the log is being replayed.
    ahead: BTreeMap<i64, Frame>,
    /// The user left at this event (their `member.left`), which the replay has not
    /// written yet: delivery ends once it has.
    until: Option<i64>,
}

/// Events buffered ahead of a replay before the client is told to resync instead.
const MAX_AHEAD: usize = 10_000;
const REPLAY_BATCH: i64 = 500;

/// Sends a socket may have in flight (queued for commit, not yet answered). Past this
/// the socket reads no further frame until one is answered, so a pipelining client is
/// slowed by TCP rather than queued without bound.
pub const MAX_SENDS_IN_FLIGHT: usize = 32;

/// What a reply to a client frame echoes.
struct ReplyTo {
    reference: Option<Value>,
    client_msg_id: Option<String>,
}

/// `message.ack`: `client_msg_id` (null when the send had none), `ref` when it had one.
#[derive(serde::Serialize)]
struct Ack<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    client_msg_id: Option<&'a str>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<&'a Value>,
    message: &'a crate::models::Message,
}

/// A queued send: resolves to its outcome, with what its reply echoes.
type InFlight = Pin<Box<dyn Future<Output = (ReplyTo, Result<Sent, ApiError>)>>>;

struct Replay {
    room_id: i64,
    rows: Vec<(i64, String)>,
    resync: bool,
}

struct Socket {
    state: AppState,
    session: Session,
    auth: AuthUser,
    handle: ConnHandle,
    cursors: HashMap<i64, Cursor>,
    /// Log reads for replays, created on the first one (most sockets never replay).
    replay: Option<(mpsc::Sender<Replay>, mpsc::Receiver<Replay>)>,
    /// Sends queued for commit, answered in the order they were sent.
    in_flight: FuturesOrdered<InFlight>,
    /// Times of the sends inside the current window, oldest first.
    sends: VecDeque<Instant>,
    violations: u32,
    typing: HashMap<i64, Instant>,
}

/// Authenticates the socket, registers it with the hub and says `ready`.
async fn open(
    state: AppState,
    mut session: Session,
    mut stream: MessageStream,
    header_token: Option<String>,
    presence_batch: bool,
) -> Option<(Socket, super::hub::ConnInbox, MessageStream)> {
    let gateway = &state.settings.gateway;
    // 1. Authenticate: the upgrade's header, or a first `auth` frame within the deadline.
    let (token, resume) = match header_token {
        Some(token) => (token, HashMap::new()),
        None => {
            let deadline = Duration::from_secs(gateway.auth_timeout_secs);
            match actix_web::rt::time::timeout(deadline, first_auth_frame(&mut stream)).await {
                Ok(Some(found)) => found,
                Ok(None) => {
                    let _ =
                        send_error(&mut session, "unauthorized", "expected an auth frame", None)
                            .await;
                    close(session, 4001, "unauthorized").await;
                    return None;
                }
                Err(_) => {
                    let _ = send_error(&mut session, "unauthorized", "no auth frame in time", None)
                        .await;
                    close(session, 4001, "authentication timeout").await;
                    return None;
                }
            }
        }
    };
    // The session check, the user and their rooms: one trip to the database.
    let (auth, user, rooms) = match crate::auth::authenticate_socket(&state, &token).await {
        Ok(found) => found,
        Err(err @ (ApiError::ServiceUnavailable | ApiError::Internal)) => {
            let _ = send_error(&mut session, "service_unavailable", &err.to_string(), None).await;
            close(session, 1011, "unavailable").await;
            return None;
        }
        Err(err) => {
            let code = match err {
                ApiError::TokenExpired => "token_expired",
                _ => "unauthorized",
            };
            let _ = send_error(&mut session, code, &err.to_string(), None).await;
            close(session, 4001, "unauthorized").await;
            return None;
        }
    };
    if state.hub.user_connections(auth.user_id) >= gateway.max_connections_per_user {
        let _ = send_error(
            &mut session,
            "too_many_connections",
            "too many open sockets for this user",
            None,
        )
        .await;
        close(session, 1008, "too many connections").await;
        return None;
    }
    // 2. Subscribe to the user's rooms, then say ready.
    let user_id = auth.user_id;
    let slots: Vec<(i64, i64)> = rooms.iter().map(|(id, last, _)| (*id, *last)).collect();
    let (handle, inbox) = state.hub.register_with(
        user_id,
        auth.session_id,
        &slots,
        presence_batch,
        Some(session.sink()),
        super::lane::Lane::current(),
    );
    let ready = json!({
        "type": "ready",
        "user": User::from(&user),
        "rooms": rooms.iter().map(|(id, event_seq, seq)| json!({"room_id": id, "last_event_seq": event_seq, "last_seq": seq})).collect::<Vec<_>>(),
    });
    if session.text(ready.to_string()).await.is_err() {
        state.hub.unregister(handle.id);
        return None;
    }
    if super::came_online(&state, user_id).await {
        presence::announce(
            &state,
            user_id,
            presence::Status::Online,
            slots.iter().map(|(room, _)| *room),
        );
    }
    let mut socket = Socket {
        state,
        session,
        auth,
        handle,
        cursors: slots
            .iter()
            .map(|(id, _)| (*id, Cursor::default()))
            .collect(),
        replay: None,
        in_flight: FuturesOrdered::new(),
        sends: VecDeque::new(),
        violations: 0,
        typing: HashMap::new(),
    };
    for (room, last) in resume {
        socket.resume(room, last);
    }
    Some((socket, inbox, stream))
}

/// Serves one socket from its upgrade to its close.
///
/// The socket task lives as long as the socket, and its future's size is memory per
/// socket. Setup (token, database, Redis) is boxed before the task's future is built, so
/// the task keeps neither it nor its arguments; the rarer handlers below are boxed while
/// they run, so an idle socket keeps only the serving loop's state.
pub fn run(
    state: AppState,
    session: Session,
    stream: MessageStream,
    header_token: Option<String>,
    presence_batch: bool,
) -> impl Future<Output = ()> {
    let setup = Box::pin(open(state, session, stream, header_token, presence_batch));
    // One future for the whole socket, arguments moved into locals (not a second async
    // fn, whose arguments its state would keep twice).
    async move {
        let Some((mut socket, inbox, mut stream)) = setup.await else {
            return;
        };
        let gateway = &socket.state.settings.gateway;
        let mut ping =
            actix_web::rt::time::interval(Duration::from_secs(gateway.ping_interval_secs.max(1)));
        let pong_deadline =
            Duration::from_secs(gateway.ping_interval_secs + gateway.pong_timeout_secs);
        // Serve until either side ends it.
        ping.tick().await;
        let mut last_heard = Instant::now();
        let kill = &inbox.kill;
        socket.maybe_direct();
        let close_code: u16 = loop {
            tokio::select! {
                biased;
                _ = kill.notify.notified() => break kill.code.load(Ordering::SeqCst),
                // Answers before deliveries: a sender's ack, ready first, goes out first.
                Some((reply_to, sent)) = socket.in_flight.next(), if !socket.in_flight.is_empty() => {
                    match unless_killed(kill, Box::pin(socket.answer_send(reply_to, sent))).await {
                        Err(code) => break code,
                        Ok(Err(())) => break 1006,
                        Ok(Ok(())) => socket.maybe_direct(),
                    }
                }
                item = inbox.recv() => {
                    // What else is queued goes out in the same turn (up to DRAIN_BURST):
                    // one wake-up and one pass through this select for a burst, not one
                    // per frame.
                    let mut item = item;
                    let mut written = 0;
                    let ended = loop {
                        inbox.sent(&item);
                        // A client that stopped reading blocks this write; the hub's 4008
                        // must still end the task rather than leave it parked on the
                        // socket. A live frame is written in place; the rest (held back
                        // behind a replay, joins, leaves) is boxed, as its future is larger
                        // than the loop's own state.
                        let outcome = match socket.live_frame(item) {
                            Ok(frame) => unless_killed(kill, socket.session.text(frame))
                                .await
                                .map(|w| w.map_err(|_| ())),
                            Err(item) => unless_killed(kill, Box::pin(socket.deliver(item))).await,
                        };
                        match outcome {
                            Err(code) => break Some(code),
                            Ok(Err(())) => break Some(1006),
                            Ok(Ok(())) => {}
                        }
                        written += 1;
                        if written == DRAIN_BURST {
                            break None; // the rest on the next turn (`recv` looks first)
                        }
                        match inbox.try_recv() {
                            Some(next) => item = next,
                            None => {
                                socket.maybe_direct();
                                break None;
                            }
                        }
                    };
                    if let Some(code) = ended {
                        break code;
                    }
                }
                Some(batch) = async {
                    match socket.replay.as_mut() {
                        Some((_, rx)) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                }, if socket.replay.is_some() => {
                    match unless_killed(kill, Box::pin(socket.replayed(batch))).await {
                        Err(code) => break code,
                        Ok(Err(())) => break 1006,
                        Ok(Ok(())) => socket.maybe_direct(),
                    }
                }
                msg = stream.next(), if socket.in_flight.len() < MAX_SENDS_IN_FLIGHT => {
                    last_heard = Instant::now();
                    match msg {
                        Some(Ok(Message::Text(text))) => match Box::pin(socket.on_frame(&text)).await {
                            Ok(None) => {}
                            Ok(Some(code)) => break code,
                            Err(()) => break 1006,
                        },
                        Some(Ok(Message::Ping(bytes))) => {
                            if Box::pin(socket.session.pong(&bytes)).await.is_err() {
                                break 1006;
                            }
                        }
                        Some(Ok(Message::Pong(_))) => {}
                        Some(Ok(Message::Binary(_))) => {
                            let _ = Box::pin(send_error(&mut socket.session, "bad_request", "frames are JSON text", None)).await;
                        }
                        Some(Ok(Message::Close(_))) | None => break 1000,
                        Some(Ok(_)) => {}
                        Some(Err(ProtocolError::Overflow)) => break 1009,
                        Some(Err(_)) => break 1002,
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > pong_deadline {
                        break 1001;
                    }
                    match unless_killed(kill, Box::pin(socket.session.ping(b""))).await {
                        Err(code) => break code,
                        Ok(Err(_)) => break 1006,
                        Ok(Ok(())) => {}
                    }
                }
            }
        };
        Box::pin(finish(socket, close_code)).await;
    }
}

/// How long a closing socket waits for the outcomes of its sends still in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Unregisters the socket, answers the sends still in flight (they commit regardless;
/// a client told of its sends before the close need not resend them), announces the
/// user offline if it was their last socket, and closes. A socket cut off as too slow
/// (4008) or already gone (1006) is not answered: its client resumes instead.
async fn finish(mut socket: Socket, close_code: u16) {
    socket.state.hub.unregister(socket.handle.id);
    if close_code != 1006 && close_code != 4008 {
        let drain = async {
            while let Some((reply_to, sent)) = socket.in_flight.next().await {
                if socket.answer_send(reply_to, sent).await.is_err() {
                    break;
                }
            }
        };
        let _ = actix_web::rt::time::timeout(DRAIN_TIMEOUT, drain).await;
    }
    let state = &socket.state;
    let user_id = socket.auth.user_id;
    if super::went_offline(state, user_id).await {
        presence::announce(
            state,
            user_id,
            presence::Status::Offline,
            socket.cursors.keys().copied(),
        );
    }
    let reason = match close_code {
        1001 => "going away",
        1009 => "frame too large",
        4003 => "session revoked",
        4008 => "too slow",
        4029 => "rate limited",
        _ => "",
    };
    if close_code != 1006 {
        // Bounded: a stalled client may never take the close frame.
        let _ = actix_web::rt::time::timeout(
            Duration::from_secs(5),
            close(socket.session, close_code, reason),
        )
        .await;
    }
}

/// Runs a write unless the hub asks the socket to close first (answering its code).
async fn unless_killed<T>(kill: &Kill, write: impl Future<Output = T>) -> Result<T, u16> {
    let mut write = std::pin::pin!(write);
    // Most writes finish at once: only a write that waits registers for the kill (a
    // kill sent before it is seen by the serve loop's next turn).
    if let std::task::Poll::Ready(done) = futures_util::poll!(write.as_mut()) {
        return Ok(done);
    }
    tokio::select! {
        biased;
        _ = kill.notify.notified() => Err(kill.code.load(Ordering::SeqCst)),
        done = write => Ok(done),
    }
}

/// Frames a socket task writes from its queue in one turn of its serve loop.
const DRAIN_BURST: usize = 32;

/// Reads frames until an `auth` frame (answering its token and resume map).
async fn first_auth_frame(stream: &mut MessageStream) -> Option<(String, HashMap<i64, i64>)> {
    while let Some(msg) = stream.next().await {
        match msg {
            Ok(Message::Text(text)) => {
                let value: Value = serde_json::from_str(&text).ok()?;
                if value["type"] != "auth" {
                    return None;
                }
                let token = value["token"].as_str()?.to_owned();
                return Some((token, parse_resume(&value["resume"])));
            }
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            _ => return None,
        }
    }
    None
}

fn parse_resume(value: &Value) -> HashMap<i64, i64> {
    value
        .as_object()
        .map(|rooms| {
            rooms
                .iter()
                .filter_map(|(room, seq)| Some((room.parse().ok()?, seq.as_i64()?)))
                .collect()
        })
        .unwrap_or_default()
}

async fn send_error(
    session: &mut Session,
    code: &str,
    message: &str,
    context: Option<&Value>,
) -> Result<(), ()> {
    let mut frame = json!({"type": "error", "code": code, "message": message});
    if let Some(context) = context {
        for key in ["ref", "client_msg_id"] {
            if let Some(v) = context.get(key).filter(|v| !v.is_null()) {
                frame[key] = v.clone();
            }
        }
    }
    session.text(frame.to_string()).await.map_err(|_| ())
}

async fn close(session: Session, code: u16, reason: &str) {
    let _ = session
        .close(Some(CloseReason {
            code: CloseCode::from(code),
            description: Some(reason.to_owned()),
        }))
        .await;
}

impl Socket {
    /// Lets the hub write this socket's frames itself while there is nothing to order
    /// them against: every room live (none replaying its log), no send awaiting its ack.
    fn maybe_direct(&self) {
        if self.in_flight.is_empty() && self.cursors.values().all(|c| c.next.is_none()) {
            self.handle.go_direct();
        }
    }

    /// The frame to write at once when `item` is one (anything but a room event held
    /// back behind a replay, a join or a leave); `deliver` takes the others.
    fn live_frame(&mut self, item: Outbound) -> Result<Frame, Outbound> {
        match item {
            Outbound::Frame(frame) => Ok(frame),
            Outbound::Room {
                room_id,
                event_seq,
                frame,
            } => {
                if self.cursors.entry(room_id).or_default().next.is_none() {
                    Ok(frame)
                } else {
                    Err(Outbound::Room {
                        room_id,
                        event_seq,
                        frame,
                    })
                }
            }
            other => Err(other),
        }
    }

    /// Writes one item from the hub, keeping each room's events in order.
    async fn deliver(&mut self, item: Outbound) -> Result<(), ()> {
        match item {
            Outbound::Frame(frame) => self.session.text(frame).await.map_err(|_| ()),
            Outbound::Room {
                room_id,
                event_seq,
                frame,
            } => self.accept(room_id, event_seq, frame, true).await,
            Outbound::Joined { room_id, event_seq } => {
                if self
                    .cursors
                    .get(&room_id)
                    .is_some_and(|c| c.until.is_some())
                {
                    // Back before the replay reached the leave: the client reloads the
                    // room rather than see the time between.
                    self.resync(room_id).await?;
                }
                // Deliver from the join event on, reading what already passed from the log.
                self.cursors.entry(room_id).or_default();
                self.resume(room_id, event_seq - 1);
                Ok(())
            }
            Outbound::Left { room_id, event_seq } => {
                match self.cursors.get_mut(&room_id) {
                    // Still replaying towards the leave: the rest up to it is written first.
                    Some(cursor) if cursor.next.is_some_and(|next| next <= event_seq) => {
                        cursor.until = Some(event_seq);
                    }
                    _ => {
                        self.cursors.remove(&room_id);
                    }
                }
                Ok(())
            }
            Outbound::Gone { room_id, frame } => {
                // What is held of the room goes first; the rest went with its log.
                if let Some(cursor) = self.cursors.remove(&room_id) {
                    for (_, held) in cursor.ahead {
                        self.session.text(held).await.map_err(|_| ())?;
                    }
                }
                self.session.text(frame).await.map_err(|_| ())
            }
        }
    }

    /// Delivers one of the room's events, from the hub (`live`) or from its log, in
    /// `event_seq` order without duplicates.
    async fn accept(
        &mut self,
        room_id: i64,
        event_seq: i64,
        frame: Frame,
        live: bool,
    ) -> Result<(), ()> {
        if !live && !self.cursors.contains_key(&room_id) {
            return Ok(()); // a replay of a room the socket has left
        }
        let cursor = self.cursors.entry(room_id).or_default();
        match cursor.next {
            // Caught up with the hub: the log has nothing it will not also send.
            None if !live => return Ok(()),
            None => return self.session.text(frame).await.map_err(|_| ()),
            Some(next) if event_seq < next => {
                // The hub's event just before the cursor: the hub's next one is the
                // cursor's, and the hub sends a room's events gap-free and in order.
                if live && event_seq + 1 == next && cursor.ahead.is_empty() {
                    cursor.next = None;
                }
                return Ok(());
            }
            Some(next) if event_seq > next => {
                cursor.ahead.insert(event_seq, frame);
                if cursor.ahead.len() > MAX_AHEAD {
                    return self.resync(room_id).await;
                }
                return Ok(());
            }
            Some(_) => {}
        }
        self.session.text(frame).await.map_err(|_| ())?;
        let cursor = self.cursors.entry(room_id).or_default();
        let mut next = event_seq + 1;
        let mut ready = Vec::new();
        while let Some(frame) = cursor.ahead.remove(&next) {
            ready.push(frame);
            next += 1;
        }
        // The last event written came from the hub and none waits behind a gap: the
        // cursor has caught up with the hub, whose events need no more checking.
        cursor.next = if (live || !ready.is_empty()) && cursor.ahead.is_empty() {
            None
        } else {
            Some(next)
        };
        if cursor.until.is_some_and(|until| next > until) {
            self.cursors.remove(&room_id); // the leave is written: delivery ends
        }
        for frame in ready {
            self.session.text(frame).await.map_err(|_| ())?;
        }
        Ok(())
    }

    /// Tells the client to reload the room, then goes on with live events.
    async fn resync(&mut self, room_id: i64) -> Result<(), ()> {
        let old = self.cursors.remove(&room_id).unwrap_or_default();
        // A socket that has left the room keeps no cursor for it.
        if old.until.is_none() {
            self.cursors.insert(room_id, Cursor::default());
        }
        let ahead = old.ahead;
        let frame = json!({"type": "resync_required", "room_id": room_id});
        self.session.text(frame.to_string()).await.map_err(|_| ())?;
        for (_, frame) in ahead {
            self.session.text(frame).await.map_err(|_| ())?;
        }
        Ok(())
    }

    /// Starts delivering `room_id` after `last` (the client's last seen `event_seq`).
    fn resume(&mut self, room_id: i64, last: i64) {
        if !self.cursors.contains_key(&room_id) {
            return; // not a room of this user
        }
        // The room's live frames go through `accept` again, after its log.
        self.handle.stop_direct();
        let cursor = self.cursors.entry(room_id).or_default();
        cursor.next = Some(last.saturating_add(1));
        cursor.ahead.retain(|seq, _| *seq > last);
        self.fetch(room_id, last);
    }

    /// Reads a batch of the room's log after `after` in the background.
    fn fetch(&mut self, room_id: i64, after: i64) {
        let db = self.state.db.clone();
        let tx = self
            .replay
            .get_or_insert_with(|| mpsc::channel(16))
            .0
            .clone();
        actix_web::rt::spawn(async move {
            let read =
                actix_web::web::block(move || -> Result<Replay, parley_store::StoreError> {
                    let mut conn = db.get()?;
                    let oldest = parley_store::repo::events::oldest_seq(&mut conn, room_id)?;
                    let last = parley_store::repo::rooms::find_optional(&mut conn, room_id)?
                        .map_or(0, |r| r.last_event_seq);
                    // The log no longer reaches back, or the client is ahead of the server.
                    let resync =
                        oldest.is_some_and(|o| o > after.saturating_add(1)) || after > last;
                    let rows = if resync {
                        Vec::new()
                    } else {
                        parley_store::repo::events::list_after(
                            &mut conn,
                            room_id,
                            after,
                            REPLAY_BATCH,
                        )?
                        .into_iter()
                        .map(|r| (r.event_seq, r.payload))
                        .collect()
                    };
                    Ok(Replay {
                        room_id,
                        rows,
                        resync,
                    })
                })
                .await;
            if let Ok(Ok(batch)) = read {
                let _ = tx.send(batch).await;
            }
        });
    }

    async fn replayed(&mut self, batch: Replay) -> Result<(), ()> {
        if batch.resync {
            return self.resync(batch.room_id).await;
        }
        let full = batch.rows.len() as i64 == REPLAY_BATCH;
        let mut last = None;
        for (event_seq, frame) in batch.rows {
            last = Some(event_seq);
            self.accept(batch.room_id, event_seq, Frame::from(frame), false)
                .await?;
        }
        let caught_up = self
            .cursors
            .get(&batch.room_id)
            .is_none_or(|c| c.next.is_none());
        if full
            && !caught_up
            && let Some(last) = last
        {
            self.fetch(batch.room_id, last);
        }
        Ok(())
    }

    /// Handles one client frame; `Some(code)` closes the socket.
    async fn on_frame(&mut self, text: &str) -> Result<Option<u16>, ()> {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            send_error(
                &mut self.session,
                "bad_request",
                "frames are JSON objects",
                None,
            )
            .await?;
            return Ok(None);
        };
        let frame = match serde_json::from_value::<ClientFrame>(value.clone()) {
            Ok(frame) => frame,
            Err(err) => {
                let message = if value["type"] == "auth" {
                    "already authenticated".to_owned()
                } else {
                    err.to_string()
                };
                send_error(&mut self.session, "bad_request", &message, Some(&value)).await?;
                return Ok(None);
            }
        };
        match frame {
            ClientFrame::Ping => {
                let mut pong = json!({"type": "pong"});
                if let Some(r) = value.get("ref") {
                    pong["ref"] = r.clone();
                }
                self.session.text(pong.to_string()).await.map_err(|_| ())?;
            }
            ClientFrame::Send {
                room_id,
                body,
                client_msg_id,
                parent_seq,
            } => {
                if let Some(code) = self.throttle_send(&value).await? {
                    return Ok(Some(code));
                }
                let reply_to = ReplyTo {
                    reference: value.get("ref").cloned(),
                    client_msg_id: client_msg_id.clone(),
                };
                // Checked now (awaiting only for `@here`), queued now: this socket's sends
                // commit in the order it sent them, while several are in flight.
                let prepared = messages::prepare(
                    &self.state,
                    Actor::from(&self.auth),
                    SendInput {
                        room_id,
                        body,
                        client_msg_id,
                        parent_seq,
                    },
                )
                .await;
                let outcome: InFlight = match prepared {
                    Ok(prepared) => {
                        let sent = messages::enqueue(&self.state, prepared);
                        Box::pin(async move { (reply_to, sent.await) })
                    }
                    Err(err) => Box::pin(std::future::ready((reply_to, Err(err)))),
                };
                // Its ack goes out before the hub's copy of the message, as the serve
                // loop answers sends before it delivers.
                self.handle.stop_direct();
                self.in_flight.push_back(outcome);
            }
            ClientFrame::Typing { room_id } | ClientFrame::TypingStop { room_id } => {
                if !self.cursors.contains_key(&room_id) {
                    send_error(
                        &mut self.session,
                        "not_found",
                        "room not found",
                        Some(&value),
                    )
                    .await?;
                    return Ok(None);
                }
                let stop = matches!(value["type"].as_str(), Some("typing.stop"));
                let recent = self
                    .typing
                    .get(&room_id)
                    .is_some_and(|at| at.elapsed() < Duration::from_secs(3));
                if stop {
                    self.typing.remove(&room_id);
                } else if recent {
                    return Ok(None);
                } else {
                    self.typing.insert(room_id, Instant::now());
                }
                let kind = if stop { "typing.stop" } else { "typing" };
                let frame = json!({"type": kind, "room_id": room_id, "user_id": self.auth.user_id})
                    .to_string();
                self.state.bus.publish(BusEvent::Ephemeral {
                    room_id,
                    frame: frame.into(),
                    audience: Default::default(),
                });
            }
            ClientFrame::Read { room_id, seq } => {
                if let Err(err) =
                    messages::mark_read(&self.state, self.auth.user_id, room_id, seq, false).await
                {
                    self.reply_error(&err, &value).await?;
                }
            }
            ClientFrame::Resume { rooms } => {
                for (room, last) in rooms {
                    if let Ok(room_id) = room.parse::<i64>() {
                        self.resume(room_id, last);
                    }
                }
            }
        }
        Ok(None)
    }

    /// Per-socket send rate: over the limit answers `rate_limited`; a client that keeps
    /// going is closed (4029).
    async fn throttle_send(&mut self, context: &Value) -> Result<Option<u16>, ()> {
        let settings = &self.state.settings;
        if !settings.rate_limits {
            return Ok(None);
        }
        let window = Duration::from_secs(settings.gateway.send_window_secs);
        // Oldest first: drop the expired from the front (amortised O(1) per send; a
        // `retain` over the whole log cost O(limit) per send at raised limits).
        while self.sends.front().is_some_and(|at| at.elapsed() >= window) {
            self.sends.pop_front();
        }
        if self.sends.len() < settings.gateway.send_limit as usize {
            self.sends.push_back(Instant::now());
            self.violations = 0;
            return Ok(None);
        }
        self.violations += 1;
        if self.violations > settings.gateway.send_limit.max(10) {
            return Ok(Some(4029));
        }
        send_error(
            &mut self.session,
            "rate_limited",
            "too many messages; slow down",
            Some(context),
        )
        .await?;
        Ok(None)
    }

    /// Answers a send: its ack, or its error, echoing `ref` and `client_msg_id`.
    async fn answer_send(
        &mut self,
        reply_to: ReplyTo,
        sent: Result<Sent, ApiError>,
    ) -> Result<(), ()> {
        match sent {
            Ok(sent) => {
                // Serialised straight from the message: no `Value` tree per ack.
                let ack = serde_json::to_string(&Ack {
                    kind: "message.ack",
                    client_msg_id: reply_to.client_msg_id.as_deref(),
                    reference: reply_to.reference.as_ref(),
                    message: &sent.message,
                })
                .map_err(|_| ())?;
                self.session.text(ack).await.map_err(|_| ())
            }
            Err(err) => {
                let mut context = json!({"client_msg_id": reply_to.client_msg_id});
                if let Some(reference) = reply_to.reference {
                    context["ref"] = reference;
                }
                self.reply_error(&err, &context).await
            }
        }
    }

    async fn reply_error(&mut self, err: &ApiError, context: &Value) -> Result<(), ()> {
        let problem = err.problem();
        let mut frame = json!({"type": "error", "code": problem.code, "message": problem.detail});
        if let Some(errors) = problem.errors {
            frame["errors"] = json!(errors);
        }
        for key in ["ref", "client_msg_id"] {
            if let Some(v) = context.get(key).filter(|v| !v.is_null()) {
                frame[key] = v.clone();
            }
        }
        self.session.text(frame.to_string()).await.map_err(|_| ())
    }
}

/// Decodes one client frame as the socket loop does (JSON, then the frame type, and a
/// `resume` map): the entry point of the `ws_frame` fuzz target.
pub fn decode_frame(text: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let _ = parse_resume(&value["resume"]);
    serde_json::from_value::<ClientFrame>(value)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
