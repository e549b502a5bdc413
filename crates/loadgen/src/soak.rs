//! The bounded soak: many clients with reconnect churn across several Parley instances
//! for a fixed time, ending with a reconciliation against the database as the server
//! sees it.
//!
//! Each client holds one socket at a time to one of the servers and moves to the next
//! server on every reconnect. A connection lives a random time (exponential, mean
//! `churn_secs`) and then ends abruptly (TCP reset, or FIN without a close frame) or,
//! sometimes, with a clean close. The client reconnects after a short random delay with
//! the auth frame's `resume` map (its rooms' last `event_seq`), checks that every room's
//! events arrive gap-free, and answers `resync_required` by catching up over
//! `GET /api/messages/{room}?after=LAST_SEQ`. Senders post at a fixed total rate with
//! a `client_msg_id` and resend what was not acknowledged after reconnecting, with the
//! same id. Every client records, per room, every message id it received and how often.
//!
//! At the end sending stops, the last sends drain, every client reconnects once more
//! and resumes, waits until it has reached each room's last `seq`, and then the history
//! of every room is read over REST: for every client and room, the ids received must be
//! exactly the room's messages, and every acknowledged id must be stored once.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{Semaphore, watch};

use crate::http;
use crate::procfs;
use crate::scenario::now_us;
use crate::ws::{self, WsReader, WsUrl, WsWriter};

/// What to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SoakConfig {
    /// `ws://IP:PORT/ws` of every instance; client `i` starts on `urls[i % len]`.
    pub urls: Vec<String>,
    /// `parley admin seed` output: `user_id room_id access_token` lines.
    pub tokens: PathBuf,
    pub clients: usize,
    /// Clients that also send (the first `senders` of them).
    pub senders: usize,
    /// Total messages per second over all senders.
    pub rate: f64,
    /// Seconds of sending with churn.
    pub duration_secs: f64,
    /// Mean lifetime of a connection in seconds (exponential).
    pub churn_secs: f64,
    /// Share of connection ends that are a clean close (close frame 1000).
    pub clean_close: f64,
    /// Share of the abrupt ends that are a TCP reset (the others: FIN, no close frame).
    pub reset: f64,
    /// Longest pause before a reconnect, in milliseconds (uniform from a tenth of it).
    pub reconnect_delay_ms: u64,
    /// Share of resumes that claim a cursor beyond the server's log, which the server
    /// answers with `resync_required`: exercises the REST catch-up path even when the
    /// log never runs short during the run.
    pub resync_fraction: f64,
    /// Servers whose memory is sampled (procfs).
    pub server_pids: Vec<u32>,
    /// Seconds between memory samples and progress lines.
    pub sample_secs: f64,
    /// Longest wait for the last sends to be acknowledged after sending stops.
    pub drain_secs: f64,
    /// Longest wait for the final reconnect, and then for every client to catch up.
    pub final_timeout_secs: f64,
    pub body_bytes: usize,
    /// Loopback source addresses, used round-robin; empty lets the kernel pick.
    pub sources: Vec<IpAddr>,
    pub connect_concurrency: usize,
    /// Seed of the clients' random choices.
    pub seed: u64,
    /// Fail when the servers' RSS at the end exceeds the start by more than this.
    pub max_rss_growth_pct: Option<f64>,
    /// No progress lines on stderr.
    pub quiet: bool,
}

/// One memory sample: seconds since the run started, RSS (KiB) of each server.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RssSample {
    pub t_secs: f64,
    pub kib: Vec<u64>,
}

/// What happened, and whether the reconciliation passed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SoakReport {
    pub config: Option<SoakConfig>,
    pub started_unix: u64,
    pub elapsed_secs: f64,
    pub rooms: usize,
    /// Clients whose first connection was up before sending started.
    pub connected_at_start: usize,
    pub connections: u64,
    pub reconnects: u64,
    pub clean_closes: u64,
    pub fin_drops: u64,
    pub resets: u64,
    pub connect_failures: u64,
    /// Connections the server ended (close frame or EOF), by reason.
    pub server_ends: BTreeMap<String, u64>,
    pub resumes: u64,
    pub resyncs: u64,
    pub forced_resyncs: u64,
    pub rest_catchups: u64,
    pub rest_messages: u64,
    /// Messages the senders created (each with its own `client_msg_id`).
    pub sent: u64,
    /// `message.send` frames written, retries included.
    pub send_frames: u64,
    /// Sends written again after a reconnect (same `client_msg_id`).
    pub resent: u64,
    pub acked: u64,
    pub unacked: u64,
    pub send_failed: u64,
    /// An acknowledgement naming another message than an earlier one for the same id.
    pub ack_mismatches: u64,
    /// `message.created` frames received (before deduplication).
    pub deliveries: u64,
    /// Frames of a message a client already had from the socket.
    pub duplicates: u64,
    /// Messages fetched over REST that the client also got from the socket.
    pub rest_overlap: u64,
    /// A room event whose `event_seq` skipped ahead without `resync_required`.
    pub event_gaps: u64,
    /// A room event at or below the last `event_seq` already seen.
    pub event_repeats: u64,
    /// Messages in the database over the clients' rooms.
    pub stored_messages: u64,
    /// Sum over clients of the messages in their rooms: each must be received once.
    pub expected: u64,
    pub received_distinct: u64,
    pub missing: u64,
    pub extra: u64,
    pub acked_not_stored: u64,
    /// Stored messages sharing an author and `client_msg_id` (idempotency broken).
    pub stored_duplicates: u64,
    pub clients_not_caught_up: usize,
    pub examples: Vec<String>,
    /// A few of the duplicate deliveries, for diagnosis.
    pub duplicate_examples: Vec<String>,
    pub errors: BTreeMap<String, u64>,
    pub rss_start: RssSample,
    pub rss_end: RssSample,
    pub rss_after_close: RssSample,
    pub rss_samples: Vec<RssSample>,
    pub rss_growth_pct: f64,
    /// Growth over the second half of the run (the sample nearest its middle to the
    /// end): warm-up excluded, the better sign of a leak.
    pub rss_late_growth_pct: f64,
    pub failures: Vec<String>,
    pub passed: bool,
}

// Phases of the run, in order (a `watch` of one of these).
const CONNECTING: u8 = 0;
const RUNNING: u8 = 1;
const DRAINING: u8 = 2;
const FINAL: u8 = 3;
const DONE: u8 = 4;

/// A small deterministic generator (splitmix64): reproducible runs, no dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

struct Member {
    room: i64,
    token: String,
}

fn read_tokens(path: &PathBuf, n: usize) -> Result<Vec<Member>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let members: Vec<Member> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .take(n)
        .map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            match (parts.get(1).and_then(|r| r.parse().ok()), parts.get(2)) {
                (Some(room), Some(token)) => Ok(Member {
                    room,
                    token: (*token).to_owned(),
                }),
                _ => Err(format!("{}: bad line {l:?}", path.display())),
            }
        })
        .collect::<Result<_, _>>()?;
    if members.len() < n {
        return Err(format!(
            "{} holds {} tokens; {n} clients asked for",
            path.display(),
            members.len()
        ));
    }
    Ok(members)
}

/// Live counters of all clients, for progress lines and the driver's waits.
#[derive(Default)]
struct Counters {
    first_ready: AtomicU64,
    connected: AtomicU64,
    reconnects: AtomicU64,
    resyncs: AtomicU64,
    sent: AtomicU64,
    acked: AtomicU64,
    /// Created and neither acknowledged nor failed.
    outstanding: AtomicU64,
    deliveries: AtomicU64,
    final_ready: AtomicU64,
    caught_up: AtomicU64,
}

struct Shared {
    cfg: SoakConfig,
    urls: Vec<WsUrl>,
    run_id: u64,
    pad: String,
    connect: Semaphore,
    /// When the senders' schedules start (µs since the epoch), set as sending starts.
    schedule_start_us: AtomicU64,
    senders: usize,
    n: Counters,
}

/// What one client knows of one room.
#[derive(Default)]
struct RoomState {
    /// The last `event_seq` seen; `None` after a resync, until the next event.
    last_event_seq: Option<i64>,
    /// Every message `seq` below this was received.
    seq_next: i64,
    seqs_ahead: BTreeSet<i64>,
    /// Message id → (frames from the socket, copies from REST).
    got: HashMap<i64, (u32, u32)>,
    needs_catchup: bool,
}

impl RoomState {
    fn new(last_event_seq: Option<i64>) -> RoomState {
        RoomState {
            last_event_seq,
            seq_next: 1,
            ..RoomState::default()
        }
    }

    fn record(&mut self, id: i64, seq: i64, rest: bool) {
        let entry = self.got.entry(id).or_default();
        if rest {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
        if seq >= self.seq_next {
            self.seqs_ahead.insert(seq);
            while self.seqs_ahead.remove(&self.seq_next) {
                self.seq_next += 1;
            }
        }
    }
}

struct Outgoing {
    client_msg_id: String,
    frame: String,
}

/// A sending client's queue: created but not yet written on this connection, and
/// written but not yet acknowledged.
struct Sender {
    room: i64,
    interval_us: f64,
    next_send_us: f64,
    counter: u64,
    queue: VecDeque<Outgoing>,
    inflight: VecDeque<Outgoing>,
    acked: HashMap<String, i64>,
    failed: u64,
    send_frames: u64,
    resent: u64,
    ack_mismatches: u64,
}

/// A client's state across its connections, and what it reports at the end.
struct Client {
    index: usize,
    token: String,
    rooms: BTreeMap<i64, RoomState>,
    sender: Option<Sender>,
    url: usize,
    connections: u64,
    reconnects: u64,
    clean_closes: u64,
    fin_drops: u64,
    resets: u64,
    connect_failures: u64,
    server_ends: BTreeMap<String, u64>,
    resumes: u64,
    resyncs: u64,
    forced_resyncs: u64,
    rest_catchups: u64,
    rest_messages: u64,
    deliveries: u64,
    event_gaps: u64,
    event_repeats: u64,
    errors: BTreeMap<String, u64>,
    final_counted: bool,
    caught_up: bool,
    duplicate_examples: Vec<String>,
}

enum End {
    /// The connection's lifetime ran out (churn).
    Lifetime,
    /// Sending stopped: reconnect once more for the final resume.
    Final,
    /// The run is over.
    Done,
    /// The server or the network ended it.
    Lost(String),
}

impl Client {
    fn http_addr(&self, sh: &Shared) -> SocketAddr {
        sh.urls[self.url].addr
    }

    fn error(&mut self, what: impl Into<String>) {
        *self.errors.entry(what.into()).or_default() += 1;
    }

    /// Opens a socket to the current server and authenticates with the resume map.
    async fn open(&mut self, sh: &Shared, rng: &mut Rng) -> Result<(WsReader, WsWriter), String> {
        let _permit = sh.connect.acquire().await.map_err(|e| e.to_string())?;
        let url = &sh.urls[self.url];
        let sources = &sh.cfg.sources;
        let source = (!sources.is_empty()).then(|| sources[self.index % sources.len()]);
        let mut resume = serde_json::Map::new();
        for (room_id, room) in &mut self.rooms {
            let Some(last) = room.last_event_seq else {
                continue;
            };
            let claimed = if last > 0 && rng.chance(sh.cfg.resync_fraction) {
                // A cursor the server's log cannot serve: it must answer resync_required.
                self.forced_resyncs += 1;
                room.last_event_seq = None;
                last + 1_000_000
            } else {
                last
            };
            resume.insert(room_id.to_string(), Value::from(claimed));
        }
        let opened = async {
            let (mut rd, mut wr) = ws::connect(url, source, &[])
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let auth = serde_json::json!({"type": "auth", "token": self.token, "resume": resume});
            wr.text(&auth.to_string())
                .await
                .map_err(|e| format!("auth: {e}"))?;
            loop {
                match rd.next().await.map_err(|e| format!("before ready: {e}"))? {
                    ws::OP_TEXT => {
                        let v: Value = serde_json::from_slice(&rd.payload)
                            .map_err(|e| format!("before ready: {e}"))?;
                        match v["type"].as_str() {
                            Some("ready") => return Ok((rd, wr, v)),
                            Some("error") => {
                                return Err(format!(
                                    "auth error: {}",
                                    v["code"].as_str().unwrap_or("?")
                                ));
                            }
                            _ => {}
                        }
                    }
                    ws::OP_PING => {
                        let payload = rd.payload.clone();
                        wr.send(ws::OP_PONG, &payload)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    ws::OP_CLOSE => {
                        return Err(format!("closed before ready: {}", close_code(&rd)));
                    }
                    _ => {}
                }
            }
        };
        let (rd, wr, ready) = tokio::time::timeout(Duration::from_secs(15), opened)
            .await
            .map_err(|_| "connect: no ready within 15 s".to_owned())??;
        if !resume.is_empty() {
            self.resumes += 1;
        }
        // Rooms this client did not know: read them from the start.
        if let Some(rooms) = ready["rooms"].as_array() {
            for room in rooms {
                if let Some(room_id) = room["room_id"].as_i64() {
                    self.rooms.entry(room_id).or_insert_with(|| RoomState {
                        needs_catchup: true,
                        ..RoomState::new(None)
                    });
                }
            }
        }
        // A room with no cursor to resume from gets live events only: read the rest.
        for (room_id, room) in &mut self.rooms {
            if room.last_event_seq.is_none() && !resume.contains_key(&room_id.to_string()) {
                room.needs_catchup = true;
            }
        }
        Ok((rd, wr))
    }

    /// Reads what the rooms marked for it missed over REST, from their last contiguous
    /// `seq` on; a failed room stays marked for the next attempt.
    async fn catch_up(&mut self, sh: &Shared) {
        let addr = self.http_addr(sh);
        let marked: Vec<i64> = self
            .rooms
            .iter()
            .filter(|(_, r)| r.needs_catchup)
            .map(|(id, _)| *id)
            .collect();
        for room_id in marked {
            let mut after = self.rooms[&room_id].seq_next - 1;
            let result = loop {
                let path = format!("/api/messages/{room_id}?after={after}&limit=100");
                let page = match http::get_json(addr, &path, &self.token).await {
                    Ok(page) => page,
                    Err(e) => break Err(e),
                };
                let items = page["items"].as_array().cloned().unwrap_or_default();
                let Some(room) = self.rooms.get_mut(&room_id) else {
                    break Ok(());
                };
                for item in &items {
                    if let (Some(id), Some(seq)) = (item["id"].as_i64(), item["seq"].as_i64()) {
                        room.record(id, seq, true);
                        self.rest_messages += 1;
                        after = after.max(seq);
                    }
                }
                if items.is_empty() || page["has_more"] != Value::Bool(true) {
                    break Ok(());
                }
            };
            match result {
                Ok(()) => {
                    self.rest_catchups += 1;
                    if let Some(room) = self.rooms.get_mut(&room_id) {
                        room.needs_catchup = false;
                    }
                }
                Err(e) => self.error(format!("catch-up: {e}")),
            }
        }
    }

    /// Handles one text frame from the server.
    fn on_text(&mut self, sh: &Shared, payload: &[u8]) {
        let Ok(v) = serde_json::from_slice::<Value>(payload) else {
            self.error("unparsable frame");
            return;
        };
        let kind = v["type"].as_str().unwrap_or("");
        match kind {
            "message.ack" => {
                let (Some(cmid), Some(id)) =
                    (v["client_msg_id"].as_str(), v["message"]["id"].as_i64())
                else {
                    self.error("ack without client_msg_id or id");
                    return;
                };
                let Some(sender) = &mut self.sender else {
                    self.error("ack to a client that never sent");
                    return;
                };
                if let Some(i) = sender.inflight.iter().position(|o| o.client_msg_id == cmid) {
                    sender.inflight.remove(i);
                    sh.n.acked.fetch_add(1, Ordering::Relaxed);
                    sh.n.outstanding.fetch_sub(1, Ordering::Relaxed);
                }
                if let Some(before) = sender.acked.insert(cmid.to_owned(), id)
                    && before != id
                {
                    sender.ack_mismatches += 1;
                }
            }
            "resync_required" => {
                let Some(room_id) = v["room_id"].as_i64() else {
                    return;
                };
                self.resyncs += 1;
                sh.n.resyncs.fetch_add(1, Ordering::Relaxed);
                let room = self
                    .rooms
                    .entry(room_id)
                    .or_insert_with(|| RoomState::new(None));
                room.last_event_seq = None;
                room.needs_catchup = true;
            }
            "error" => {
                let code = v["code"].as_str().unwrap_or("?").to_owned();
                if let (Some(cmid), Some(sender)) = (v["client_msg_id"].as_str(), &mut self.sender)
                    && let Some(i) = sender.inflight.iter().position(|o| o.client_msg_id == cmid)
                {
                    sender.inflight.remove(i);
                    sender.failed += 1;
                    sh.n.outstanding.fetch_sub(1, Ordering::Relaxed);
                    self.error(format!("send error: {code}"));
                } else {
                    self.error(format!("error frame: {code}"));
                }
            }
            _ => {
                let (Some(room_id), Some(event_seq)) =
                    (v["room_id"].as_i64(), v["event_seq"].as_i64())
                else {
                    return; // presence, typing, pong, ...: not room events
                };
                let room = self.rooms.entry(room_id).or_insert_with(|| RoomState {
                    needs_catchup: true,
                    ..RoomState::new(None)
                });
                let before = room.last_event_seq;
                match before {
                    Some(last) if event_seq <= last => self.event_repeats += 1,
                    Some(last) if event_seq > last + 1 => {
                        self.event_gaps += 1;
                        room.last_event_seq = Some(event_seq);
                    }
                    _ => room.last_event_seq = Some(event_seq),
                }
                if kind == "message.created"
                    && let (Some(id), Some(seq)) =
                        (v["message"]["id"].as_i64(), v["message"]["seq"].as_i64())
                {
                    if room.got.get(&id).is_some_and(|(socket, _)| *socket > 0)
                        && self.duplicate_examples.len() < 3
                    {
                        self.duplicate_examples.push(format!(
                            "client {} room {room_id}: message {id} (seq {seq}, event_seq {event_seq}) again on connection {}; last event_seq before: {before:?}",
                            self.index, self.connections
                        ));
                    }
                    room.record(id, seq, false);
                    self.deliveries += 1;
                    sh.n.deliveries.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Whether every room has reached its target `seq` (the final phase).
    fn reached(&self, targets: &HashMap<i64, i64>) -> bool {
        self.rooms.iter().all(|(room_id, room)| {
            !room.needs_catchup && room.seq_next > targets.get(room_id).copied().unwrap_or(0)
        })
    }

    /// Creates the sends that are due.
    fn create_due(&mut self, sh: &Shared) {
        let Some(sender) = &mut self.sender else {
            return;
        };
        if sender.next_send_us == f64::MAX {
            // Spread the senders over one interval.
            let start = sh.schedule_start_us.load(Ordering::Relaxed) as f64;
            let share = self.index as f64 / sh.senders.max(1) as f64;
            sender.next_send_us = start + sender.interval_us * share;
        }
        let now = now_us() as f64;
        while now >= sender.next_send_us {
            let cmid = format!("soak-{}-{}-{}", sh.run_id, self.index, sender.counter);
            let frame = serde_json::json!({
                "type": "message.send",
                "room_id": sender.room,
                "body": format!("soak:{}:{}{}", self.index, sender.counter, sh.pad),
                "client_msg_id": cmid,
            })
            .to_string();
            sender.queue.push_back(Outgoing {
                client_msg_id: cmid,
                frame,
            });
            sender.counter += 1;
            sender.next_send_us += sender.interval_us;
            sh.n.sent.fetch_add(1, Ordering::Relaxed);
            sh.n.outstanding.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes the queued sends on this connection.
    async fn flush(&mut self, wr: &mut WsWriter) -> std::io::Result<()> {
        let Some(sender) = &mut self.sender else {
            return Ok(());
        };
        while let Some(out) = sender.queue.pop_front() {
            if let Err(e) = wr.text(&out.frame).await {
                sender.queue.push_front(out);
                return Err(e);
            }
            sender.send_frames += 1;
            sender.inflight.push_back(out);
        }
        Ok(())
    }

    /// After a connection ends, what it left unacknowledged is sent again, in order.
    fn requeue(&mut self) {
        if let Some(sender) = &mut self.sender {
            sender.resent += sender.inflight.len() as u64;
            while let Some(out) = sender.inflight.pop_back() {
                sender.queue.push_front(out);
            }
        }
    }

    /// Serves one connection until it ends.
    async fn serve(
        &mut self,
        sh: &Shared,
        (mut rd, mut wr): (WsReader, WsWriter),
        lifetime_end: Option<u64>,
        final_conn: bool,
        phase_rx: &mut watch::Receiver<u8>,
        targets_rx: &mut watch::Receiver<Option<Arc<HashMap<i64, i64>>>>,
    ) -> (End, Option<(WsReader, WsWriter)>) {
        let mut phase = *phase_rx.borrow();
        let mut targets_open = true;
        loop {
            if self.rooms.values().any(|r| r.needs_catchup) {
                self.catch_up(sh).await;
            }
            if final_conn && !self.final_counted {
                self.final_counted = true;
                sh.n.final_ready.fetch_add(1, Ordering::Relaxed);
            }
            if final_conn
                && !self.caught_up
                && let Some(targets) = targets_rx.borrow().clone()
                && self.reached(&targets)
            {
                self.caught_up = true;
                sh.n.caught_up.fetch_add(1, Ordering::Relaxed);
            }
            if phase == RUNNING {
                self.create_due(sh);
            }
            if let Err(e) = self.flush(&mut wr).await {
                return (End::Lost(format!("write: {}", e.kind())), None);
            }
            let now = now_us();
            let mut wake = now + 1_000_000;
            if let Some(end) = lifetime_end {
                wake = wake.min(end);
            }
            if phase == RUNNING
                && let Some(sender) = &self.sender
            {
                wake = wake.min(sender.next_send_us.max(0.0) as u64);
            }
            let sleep = tokio::time::sleep(Duration::from_micros(wake.saturating_sub(now)));
            tokio::select! {
                biased;
                changed = phase_rx.changed() => {
                    phase = if changed.is_err() { DONE } else { *phase_rx.borrow() };
                    if phase >= DONE {
                        return (End::Done, Some((rd, wr)));
                    }
                    if phase >= FINAL && !final_conn {
                        return (End::Final, Some((rd, wr)));
                    }
                }
                changed = targets_rx.changed(), if targets_open => {
                    targets_open = changed.is_ok();
                }
                op = rd.next() => match op {
                    Ok(ws::OP_TEXT) => {
                        let payload = std::mem::take(&mut rd.payload);
                        self.on_text(sh, &payload);
                    }
                    Ok(ws::OP_PING) => {
                        let payload = rd.payload.clone();
                        if let Err(e) = wr.send(ws::OP_PONG, &payload).await {
                            return (End::Lost(format!("write: {}", e.kind())), None);
                        }
                    }
                    Ok(ws::OP_CLOSE) => {
                        return (End::Lost(format!("closed by the server: {}", close_code(&rd))), None);
                    }
                    Ok(_) => {}
                    Err(e) => return (End::Lost(format!("read: {}", e.kind())), None),
                },
                _ = sleep => {
                    if lifetime_end.is_some_and(|end| now_us() >= end) {
                        return (End::Lifetime, Some((rd, wr)));
                    }
                }
            }
        }
    }

    /// Ends a connection the way a real client might: mostly abruptly.
    async fn drop_connection(
        &mut self,
        sh: &Shared,
        rng: &mut Rng,
        rd: WsReader,
        mut wr: WsWriter,
    ) {
        if rng.chance(sh.cfg.clean_close) {
            self.clean_closes += 1;
            let _ = tokio::time::timeout(Duration::from_secs(2), wr.close()).await;
        } else if rng.chance(sh.cfg.reset) {
            self.resets += 1;
            ws::abort(rd, wr);
        } else {
            self.fin_drops += 1;
        }
    }
}

fn close_code(rd: &WsReader) -> u16 {
    if rd.payload.len() >= 2 {
        u16::from_be_bytes([rd.payload[0], rd.payload[1]])
    } else {
        1005
    }
}

/// One client: connections one after another until the run is over.
async fn client_task(
    mut client: Client,
    sh: Arc<Shared>,
    mut phase_rx: watch::Receiver<u8>,
    mut targets_rx: watch::Receiver<Option<Arc<HashMap<i64, i64>>>>,
) -> Client {
    let mut rng = Rng(sh.cfg.seed ^ (client.index as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut first = true;
    loop {
        let phase = *phase_rx.borrow();
        if phase >= DONE {
            break;
        }
        let final_conn = phase >= FINAL;
        match client.open(&sh, &mut rng).await {
            Err(e) => {
                client.connect_failures += 1;
                client.error(e);
            }
            Ok((rd, wr)) => {
                client.connections += 1;
                if first {
                    first = false;
                    sh.n.first_ready.fetch_add(1, Ordering::Relaxed);
                }
                sh.n.connected.fetch_add(1, Ordering::Relaxed);
                let lifetime_end = (!final_conn).then(|| {
                    let secs = -sh.cfg.churn_secs * (1.0 - rng.unit()).ln();
                    let secs = secs.clamp(0.2, 10.0 * sh.cfg.churn_secs.max(0.02));
                    now_us() + (secs * 1e6) as u64
                });
                let (end, conn) = client
                    .serve(
                        &sh,
                        (rd, wr),
                        lifetime_end,
                        final_conn,
                        &mut phase_rx,
                        &mut targets_rx,
                    )
                    .await;
                sh.n.connected.fetch_sub(1, Ordering::Relaxed);
                match (end, conn) {
                    (End::Done, Some((_rd, mut wr))) => {
                        let _ = tokio::time::timeout(Duration::from_secs(2), wr.close()).await;
                        client.requeue();
                        break;
                    }
                    (End::Lifetime | End::Final, Some((rd, wr))) => {
                        client.drop_connection(&sh, &mut rng, rd, wr).await;
                    }
                    (End::Lost(reason), _) => {
                        *client.server_ends.entry(reason).or_default() += 1;
                    }
                    (_, None) => {}
                }
                client.reconnects += 1;
                sh.n.reconnects.fetch_add(1, Ordering::Relaxed);
            }
        }
        client.requeue();
        if *phase_rx.borrow() >= DONE {
            break;
        }
        let max = sh.cfg.reconnect_delay_ms.max(1) as f64;
        let delay = max * (0.1 + 0.9 * rng.unit());
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_micros((delay * 1000.0) as u64)) => {}
            _ = phase_rx.changed() => {}
        }
        client.url = (client.url + 1) % sh.urls.len();
    }
    client
}

/// The history of one room as the server has it: id → (seq, author id, client_msg_id).
async fn room_history(
    addr: SocketAddr,
    room_id: i64,
    token: &str,
) -> Result<Vec<(i64, i64, i64, Option<String>)>, String> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let path = format!("/api/messages/{room_id}?after={after}&limit=100");
        let page = http::get_json(addr, &path, token).await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        for item in &items {
            let (Some(id), Some(seq)) = (item["id"].as_i64(), item["seq"].as_i64()) else {
                return Err(format!("room {room_id}: a message without id or seq"));
            };
            out.push((
                id,
                seq,
                item["author"]["id"].as_i64().unwrap_or(0),
                item["client_msg_id"].as_str().map(str::to_owned),
            ));
            after = after.max(seq);
        }
        if items.is_empty() || page["has_more"] != Value::Bool(true) {
            return Ok(out);
        }
    }
}

fn rss_sample(cfg: &SoakConfig, started: Instant) -> RssSample {
    RssSample {
        t_secs: started.elapsed().as_secs_f64(),
        kib: cfg
            .server_pids
            .iter()
            .map(|p| procfs::rss_kib(*p))
            .collect(),
    }
}

fn progress(sh: &Shared, label: &str, started: Instant, rss: &RssSample) {
    if sh.cfg.quiet {
        return;
    }
    let n = &sh.n;
    eprintln!(
        "[{:>6.1} s] {label}: connected {}/{}, reconnects {}, sent {} acked {} outstanding {}, deliveries {}, resyncs {}, server RSS KiB {:?}",
        started.elapsed().as_secs_f64(),
        n.connected.load(Ordering::Relaxed),
        sh.cfg.clients,
        n.reconnects.load(Ordering::Relaxed),
        n.sent.load(Ordering::Relaxed),
        n.acked.load(Ordering::Relaxed),
        n.outstanding.load(Ordering::Relaxed),
        n.deliveries.load(Ordering::Relaxed),
        n.resyncs.load(Ordering::Relaxed),
        rss.kib,
    );
}

/// Waits until `done()` or `secs` pass, printing progress (and sampling memory) on the way.
async fn wait_for(
    sh: &Shared,
    label: &str,
    started: Instant,
    secs: f64,
    samples: &mut Vec<RssSample>,
    mut done: impl FnMut() -> bool,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let every = Duration::from_secs_f64(sh.cfg.sample_secs.max(0.5));
    let mut next_sample = Instant::now() + every;
    loop {
        if done() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        if now >= next_sample {
            let sample = rss_sample(&sh.cfg, started);
            progress(sh, label, started, &sample);
            samples.push(sample);
            next_sample += every;
        }
        tokio::time::sleep(Duration::from_millis(50).min(deadline - now)).await;
    }
}

/// Runs the soak and answers the report (whether it passed is in it).
pub async fn run(cfg: SoakConfig) -> Result<SoakReport, String> {
    let members = read_tokens(&cfg.tokens, cfg.clients)?;
    let urls = cfg
        .urls
        .iter()
        .map(|u| WsUrl::parse(u))
        .collect::<Result<Vec<_>, _>>()?;
    if urls.is_empty() {
        return Err("no --url".into());
    }
    let started = Instant::now();
    let mut report = SoakReport {
        config: Some(cfg.clone()),
        started_unix: now_us() / 1_000_000,
        ..SoakReport::default()
    };
    let sh = Arc::new(Shared {
        urls,
        run_id: now_us() / 1000,
        pad: " ".repeat(cfg.body_bytes.saturating_sub(24)) + ".",
        connect: Semaphore::new(cfg.connect_concurrency.max(1)),
        schedule_start_us: AtomicU64::new(0),
        senders: cfg.senders.min(cfg.clients),
        n: Counters::default(),
        cfg: cfg.clone(),
    });
    let (phase_tx, phase_rx) = watch::channel(CONNECTING);
    let (targets_tx, targets_rx) = watch::channel::<Option<Arc<HashMap<i64, i64>>>>(None);
    let senders = cfg.senders.min(cfg.clients);
    let interval_us = 1e6 * senders.max(1) as f64 / cfg.rate.max(0.001);
    let mut tasks = Vec::with_capacity(cfg.clients);
    for (index, member) in members.iter().enumerate() {
        let mut rooms = BTreeMap::new();
        // A fresh client resumes from the start of its room's log.
        rooms.insert(member.room, RoomState::new(Some(0)));
        let client = Client {
            index,
            token: member.token.clone(),
            rooms,
            sender: (index < senders).then(|| Sender {
                room: member.room,
                interval_us,
                next_send_us: f64::MAX,
                counter: 0,
                queue: VecDeque::new(),
                inflight: VecDeque::new(),
                acked: HashMap::new(),
                failed: 0,
                send_frames: 0,
                resent: 0,
                ack_mismatches: 0,
            }),
            url: index % sh.urls.len(),
            connections: 0,
            reconnects: 0,
            clean_closes: 0,
            fin_drops: 0,
            resets: 0,
            connect_failures: 0,
            server_ends: BTreeMap::new(),
            resumes: 0,
            resyncs: 0,
            forced_resyncs: 0,
            rest_catchups: 0,
            rest_messages: 0,
            deliveries: 0,
            event_gaps: 0,
            event_repeats: 0,
            errors: BTreeMap::new(),
            final_counted: false,
            caught_up: false,
            duplicate_examples: Vec::new(),
        };
        tasks.push(tokio::spawn(client_task(
            client,
            sh.clone(),
            phase_rx.clone(),
            targets_rx.clone(),
        )));
    }
    drop((phase_rx, targets_rx));
    let mut samples = Vec::new();

    // 1. Everyone connected once: the memory baseline, then sending starts.
    let all = cfg.clients as u64;
    wait_for(&sh, "connecting", started, 120.0, &mut samples, || {
        sh.n.first_ready.load(Ordering::Relaxed) >= all
    })
    .await;
    report.connected_at_start = sh.n.first_ready.load(Ordering::Relaxed) as usize;
    report.rss_start = rss_sample(&cfg, started);
    progress(&sh, "all connected", started, &report.rss_start);
    samples.push(report.rss_start.clone());
    // Senders' schedules spread over one interval from now.
    sh.schedule_start_us
        .store(now_us() + 100_000, Ordering::Relaxed);
    let _ = phase_tx.send(RUNNING);

    // 2. Churn and sending.
    wait_for(
        &sh,
        "running",
        started,
        cfg.duration_secs,
        &mut samples,
        || false,
    )
    .await;

    // 3. Stop sending; wait for the last acknowledgements (resent across reconnects).
    let _ = phase_tx.send(DRAINING);
    let drained = wait_for(
        &sh,
        "draining",
        started,
        cfg.drain_secs,
        &mut samples,
        || sh.n.outstanding.load(Ordering::Relaxed) == 0,
    )
    .await;
    if !drained {
        report.failures.push(format!(
            "{} sends still unacknowledged after {} s of draining",
            sh.n.outstanding.load(Ordering::Relaxed),
            cfg.drain_secs
        ));
    }

    // 4. The final reconnect and resume, then every client up to each room's last seq.
    let _ = phase_tx.send(FINAL);
    wait_for(
        &sh,
        "final reconnect",
        started,
        cfg.final_timeout_secs,
        &mut samples,
        || sh.n.final_ready.load(Ordering::Relaxed) >= all,
    )
    .await;
    let mut targets = HashMap::new();
    let mut readers: BTreeMap<i64, &Member> = BTreeMap::new();
    for m in &members {
        readers.entry(m.room).or_insert(m);
    }
    let addr = sh.urls[0].addr;
    for (room_id, member) in &readers {
        let room = http::get_json(addr, &format!("/api/rooms/{room_id}"), &member.token).await?;
        targets.insert(*room_id, room["last_seq"].as_i64().unwrap_or(0));
    }
    let _ = targets_tx.send(Some(Arc::new(targets)));
    wait_for(
        &sh,
        "catching up",
        started,
        cfg.final_timeout_secs,
        &mut samples,
        || sh.n.caught_up.load(Ordering::Relaxed) >= all,
    )
    .await;
    report.clients_not_caught_up =
        cfg.clients - sh.n.caught_up.load(Ordering::Relaxed).min(all) as usize;
    report.rss_end = rss_sample(&cfg, started);
    progress(&sh, "end", started, &report.rss_end);
    samples.push(report.rss_end.clone());

    // 5. Done: disconnect, then reconcile with the database.
    let _ = phase_tx.send(DONE);
    let mut clients = Vec::with_capacity(tasks.len());
    for task in tasks {
        clients.push(
            task.await
                .map_err(|e| format!("a client task failed: {e}"))?,
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    report.rss_after_close = rss_sample(&cfg, started);
    report.rss_samples = samples;
    reconcile(&sh, &clients, &mut report).await?;
    report.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Compares what every client received with the rooms' histories as the server has them.
async fn reconcile(sh: &Shared, clients: &[Client], report: &mut SoakReport) -> Result<(), String> {
    let mut readers: BTreeMap<i64, &Client> = BTreeMap::new();
    for client in clients {
        for room_id in client.rooms.keys() {
            readers.entry(*room_id).or_insert(client);
        }
    }
    let addr = sh.urls[0].addr;
    let mut truth: HashMap<i64, HashSet<i64>> = HashMap::new();
    let mut by_client_msg_id: HashMap<(i64, String), u64> = HashMap::new();
    for (room_id, reader) in &readers {
        let history = room_history(addr, *room_id, &reader.token).await?;
        report.stored_messages += history.len() as u64;
        let ids = truth.entry(*room_id).or_default();
        for (id, _seq, author, client_msg_id) in history {
            ids.insert(id);
            if let Some(cmid) = client_msg_id {
                *by_client_msg_id.entry((author, cmid)).or_default() += 1;
            }
        }
    }
    report.rooms = truth.len();
    report.stored_duplicates = by_client_msg_id.values().map(|n| n - 1).sum();
    let example = |report: &mut SoakReport, text: String| {
        if report.examples.len() < 20 {
            report.examples.push(text);
        }
    };
    let empty = HashSet::new();
    for c in clients {
        report.connections += c.connections;
        report.reconnects += c.reconnects;
        report.clean_closes += c.clean_closes;
        report.fin_drops += c.fin_drops;
        report.resets += c.resets;
        report.connect_failures += c.connect_failures;
        report.resumes += c.resumes;
        report.resyncs += c.resyncs;
        report.forced_resyncs += c.forced_resyncs;
        report.rest_catchups += c.rest_catchups;
        report.rest_messages += c.rest_messages;
        report.deliveries += c.deliveries;
        report.event_gaps += c.event_gaps;
        report.event_repeats += c.event_repeats;
        for e in &c.duplicate_examples {
            if report.duplicate_examples.len() < 10 {
                report.duplicate_examples.push(e.clone());
            }
        }
        for (k, v) in &c.server_ends {
            *report.server_ends.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &c.errors {
            *report.errors.entry(k.clone()).or_default() += v;
        }
        for (room_id, room) in &c.rooms {
            let stored = truth.get(room_id).unwrap_or(&empty);
            report.expected += stored.len() as u64;
            for (id, (from_socket, from_rest)) in &room.got {
                if stored.contains(id) {
                    report.received_distinct += 1;
                } else {
                    report.extra += 1;
                    example(
                        report,
                        format!(
                            "client {} room {room_id}: got message {id}, which is not stored",
                            c.index
                        ),
                    );
                }
                report.duplicates += u64::from(from_socket.saturating_sub(1));
                report.rest_overlap += u64::from(if *from_socket > 0 {
                    *from_rest
                } else {
                    from_rest.saturating_sub(1)
                });
            }
            for id in stored {
                if !room.got.contains_key(id) {
                    report.missing += 1;
                    example(
                        report,
                        format!(
                            "client {} room {room_id}: message {id} never arrived",
                            c.index
                        ),
                    );
                }
            }
        }
        if let Some(s) = &c.sender {
            report.sent += s.counter;
            report.acked += s.acked.len() as u64;
            report.unacked += (s.queue.len() + s.inflight.len()) as u64;
            report.send_failed += s.failed;
            report.send_frames += s.send_frames;
            report.resent += s.resent;
            report.ack_mismatches += s.ack_mismatches;
            let stored = truth.get(&s.room).unwrap_or(&empty);
            for (cmid, id) in &s.acked {
                if !stored.contains(id) {
                    report.acked_not_stored += 1;
                    example(
                        report,
                        format!(
                            "client {} acked {cmid} as message {id}, which is not stored",
                            c.index
                        ),
                    );
                }
            }
        }
    }
    let start: u64 = report.rss_start.kib.iter().sum();
    let end: u64 = report.rss_end.kib.iter().sum();
    if start > 0 {
        report.rss_growth_pct = 100.0 * (end as f64 - start as f64) / start as f64;
    }
    let middle = (report.rss_start.t_secs + report.rss_end.t_secs) / 2.0;
    if let Some(mid) = report.rss_samples.iter().min_by(|a, b| {
        (a.t_secs - middle)
            .abs()
            .total_cmp(&(b.t_secs - middle).abs())
    }) {
        let mid: u64 = mid.kib.iter().sum();
        if mid > 0 {
            report.rss_late_growth_pct = 100.0 * (end as f64 - mid as f64) / mid as f64;
        }
    }

    let r = &mut *report;
    let mut fail = |bad: bool, what: String| {
        if bad {
            r.failures.push(what);
        }
    };
    let clients_n = sh.cfg.clients;
    fail(
        r.connected_at_start < clients_n,
        format!(
            "{} of {clients_n} clients connected before sending started",
            r.connected_at_start
        ),
    );
    fail(
        r.missing > 0,
        format!("{} messages missing at clients", r.missing),
    );
    fail(
        r.extra > 0,
        format!("{} messages received that are not stored", r.extra),
    );
    fail(
        r.acked_not_stored > 0,
        format!("{} acknowledged messages not stored", r.acked_not_stored),
    );
    fail(
        r.stored_duplicates > 0,
        format!(
            "{} messages stored twice for one client_msg_id",
            r.stored_duplicates
        ),
    );
    fail(
        r.ack_mismatches > 0,
        format!(
            "{} acknowledgements named another message than before",
            r.ack_mismatches
        ),
    );
    fail(
        r.event_gaps > 0,
        format!("{} event_seq gaps without resync_required", r.event_gaps),
    );
    fail(
        r.clients_not_caught_up > 0,
        format!(
            "{} clients did not reach their rooms' last seq",
            r.clients_not_caught_up
        ),
    );
    if let Some(max) = sh.cfg.max_rss_growth_pct {
        fail(
            r.rss_growth_pct > max,
            format!("server RSS grew {:.1} % (limit {max} %)", r.rss_growth_pct),
        );
    }
    r.passed = r.failures.is_empty();
    Ok(())
}

fn mib(kib: &[u64]) -> String {
    let parts: Vec<String> = kib
        .iter()
        .map(|k| format!("{:.1}", *k as f64 / 1024.0))
        .collect();
    format!("{} MiB", parts.join(" + "))
}

/// The readable summary.
pub fn summary(r: &SoakReport) -> String {
    let mut s = String::new();
    let mut row = |k: &str, v: String| s.push_str(&format!("  {k:<24} {v}\n"));
    if let Some(c) = &r.config {
        row("target", c.urls.join(", "));
        row(
            "shape",
            format!(
                "{} clients over {} rooms, {} senders at {} msg/s total, {} s, churn mean {} s",
                c.clients,
                r.rooms,
                c.senders.min(c.clients),
                c.rate,
                c.duration_secs,
                c.churn_secs
            ),
        );
    }
    row("elapsed", format!("{:.1} s", r.elapsed_secs));
    row(
        "connections",
        format!(
            "{} ({} at start), {} reconnects: {} clean closes, {} FIN drops, {} resets, {} ended by the server, {} failed attempts",
            r.connections,
            r.connected_at_start,
            r.reconnects,
            r.clean_closes,
            r.fin_drops,
            r.resets,
            r.server_ends.values().sum::<u64>(),
            r.connect_failures
        ),
    );
    if !r.server_ends.is_empty() {
        row("server ends", format!("{:?}", r.server_ends));
    }
    row(
        "resume",
        format!(
            "{} resumes, {} resync_required ({} provoked), {} REST catch-ups ({} messages)",
            r.resumes, r.resyncs, r.forced_resyncs, r.rest_catchups, r.rest_messages
        ),
    );
    row(
        "sends",
        format!(
            "{} created, {} acked, {} unacked, {} failed; {} frames, {} resent after reconnect; {} ack mismatches",
            r.sent, r.acked, r.unacked, r.send_failed, r.send_frames, r.resent, r.ack_mismatches
        ),
    );
    row(
        "deliveries",
        format!(
            "{} message frames; {} duplicates (before dedup), {} REST overlaps; event_seq gaps {}, repeats {}",
            r.deliveries, r.duplicates, r.rest_overlap, r.event_gaps, r.event_repeats
        ),
    );
    row(
        "reconciliation",
        format!(
            "{} stored messages; {} expected (client x room), {} received, {} missing, {} extra; acked not stored {}, stored twice {}",
            r.stored_messages,
            r.expected,
            r.received_distinct,
            r.missing,
            r.extra,
            r.acked_not_stored,
            r.stored_duplicates
        ),
    );
    row(
        "server RSS",
        format!(
            "start {} (t={:.0} s), end {} (t={:.0} s), growth {:+.1} % ({:+.1} % over the second half); after disconnect {}",
            mib(&r.rss_start.kib),
            r.rss_start.t_secs,
            mib(&r.rss_end.kib),
            r.rss_end.t_secs,
            r.rss_growth_pct,
            r.rss_late_growth_pct,
            mib(&r.rss_after_close.kib)
        ),
    );
    if !r.rss_samples.is_empty() {
        let series: Vec<String> = r
            .rss_samples
            .iter()
            .map(|x| {
                format!(
                    "{:.0}s:{:.1}",
                    x.t_secs,
                    x.kib.iter().sum::<u64>() as f64 / 1024.0
                )
            })
            .collect();
        row("RSS series (sum MiB)", series.join(" "));
    }
    if !r.errors.is_empty() {
        row("client-side errors", format!("{:?}", r.errors));
    }
    for e in &r.examples {
        row("example", e.clone());
    }
    for e in &r.duplicate_examples {
        row("duplicate", e.clone());
    }
    if r.passed {
        row("RESULT", "PASSED".into());
    } else {
        row("RESULT", format!("FAILED: {}", r.failures.join("; ")));
    }
    s
}
