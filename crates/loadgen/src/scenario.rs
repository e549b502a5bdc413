//! A load scenario: N sockets over R rooms, S senders posting in a window or at a fixed
//! rate for D seconds; every delivery is checked against who should get what.
//!
//! Each message body is `lg:SENDER:COUNTER:SENT_AT_US` (padded): receivers compute the
//! end-to-end latency from the wall clock (the same clock in every process on the
//! machine) and track per sender the counters seen, so lost and duplicated deliveries
//! are exact: every member of the sender's room must see each acknowledged message once.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, oneshot, watch};

use crate::hist::{AtomicHist, Hist};
use crate::ws::{self, WsUrl};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    /// A name for the report (`parley-sqlite`, `ceiling`, ...).
    pub label: String,
    /// Free text stated in the report: rate limits, backend, build.
    pub note: String,
    /// `ws://IP:PORT/ws`; with several, socket `i` goes to `urls[i % len]`.
    pub urls: Vec<String>,
    /// `parley admin seed` output (`user_id room_id token` lines); `None`: synthetic
    /// members for the ceiling, socket `i` in room `i % rooms + 1`.
    pub tokens: Option<PathBuf>,
    pub conns: usize,
    pub rooms: usize,
    pub senders: usize,
    /// In-flight sends per sender (window mode).
    pub window: usize,
    /// Total messages per second over all senders (fixed-rate mode) instead of a window.
    pub rate: Option<f64>,
    pub warmup_secs: f64,
    pub duration_secs: f64,
    /// Longest wait for the last acks and deliveries after sending stops.
    pub drain_secs: f64,
    pub body_bytes: usize,
    /// Source addresses, used round-robin (127.0.0.2, 127.0.0.3, ...).
    pub sources: Vec<IpAddr>,
    pub connect_concurrency: usize,
    /// Authenticate with `Authorization: Bearer` on the upgrade instead of a first frame.
    pub header_auth: bool,
    /// Cooperating processes (each holds `conns / procs` sockets).
    pub procs: usize,
    /// Runtime threads per process.
    pub threads: usize,
    /// Servers whose memory and CPU the report states.
    pub server_pids: Vec<u32>,
    /// Pause between the last connection and the idle memory sample.
    pub settle_secs: f64,
}

/// Socket `i`'s identity.
#[derive(Debug, Clone)]
pub struct Member {
    pub token: String,
    pub room: i64,
}

/// Who connects as whom: the token file's lines in order, or synthetic members.
pub fn plan(sc: &Scenario) -> Result<Vec<Member>, String> {
    let Some(path) = &sc.tokens else {
        let rooms = sc.rooms.max(1);
        return Ok((0..sc.conns)
            .map(|i| Member {
                token: format!("ceiling-{i}"),
                room: (i % rooms) as i64 + 1,
            })
            .collect());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let members: Vec<Member> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .take(sc.conns)
        .map(|l| {
            let mut parts = l.split_whitespace();
            let _user = parts.next();
            let room = parts.next().and_then(|r| r.parse().ok());
            let token = parts.next();
            match (room, token) {
                (Some(room), Some(token)) => Ok(Member {
                    token: token.to_owned(),
                    room,
                }),
                _ => Err(format!("{}: bad line {l:?}", path.display())),
            }
        })
        .collect::<Result<_, _>>()?;
    if members.len() < sc.conns {
        return Err(format!(
            "{} holds {} tokens; {} sockets asked for",
            path.display(),
            members.len(),
            sc.conns
        ));
    }
    Ok(members)
}

/// Microseconds since the Unix epoch: one clock for every process on the machine.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

async fn sleep_until_us(at: u64) {
    let now = now_us();
    if at > now {
        tokio::time::sleep(Duration::from_micros(at - now)).await;
    }
}

/// When sending starts, when the measured window opens, when sending stops.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Timing {
    pub start_us: u64,
    pub window_us: u64,
    pub end_us: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SetupStats {
    pub connected: usize,
    pub failed: usize,
    pub first_us: u64,
    pub last_us: u64,
    pub setup: Hist,
    pub errors: BTreeMap<String, u64>,
}

/// What a sender did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SenderOut {
    pub index: u32,
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
}

/// What one receiver saw of one sender: distinct counters, duplicates, gaps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Seen {
    pub sender: u32,
    pub next: u64,
    pub distinct: u64,
    pub dups: u64,
    pub gaps: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShardResult {
    pub setup: SetupStats,
    pub senders: Vec<SenderOut>,
    /// (socket index, the senders it heard from).
    pub receivers: Vec<(u32, Vec<Seen>)>,
    pub deliveries_total: u64,
    pub deliveries_window: u64,
    pub acks_window: u64,
    pub latency: Hist,
    pub ack_latency: Hist,
    pub errors: BTreeMap<String, u64>,
    pub disconnects: u64,
    /// This process's CPU time during the measured window (clock ticks).
    pub cpu_ticks_window: u64,
}

/// Shared by the tasks of one shard.
struct Ctx {
    sc: Scenario,
    urls: Vec<WsUrl>,
    members: Vec<Member>,
    /// sender index → its send interval (µs) in fixed-rate mode.
    interval_us: Option<f64>,
    run_id: u64,
    connect: Semaphore,
    latency: AtomicHist,
    ack_latency: AtomicHist,
    setup: AtomicHist,
    deliveries_total: AtomicU64,
    deliveries_window: AtomicU64,
    acks_window: AtomicU64,
    inflight: AtomicU64,
    last_delivery_us: AtomicU64,
    pad: String,
}

struct ConnOut {
    index: u32,
    ok: bool,
    error: Option<String>,
    sender: Option<SenderOut>,
    seen: Vec<Seen>,
    errors: BTreeMap<String, u64>,
    disconnected: bool,
}

/// Runs shard `shard` of `shards`: connects its sockets (`i % shards == shard`), says
/// so through `ready`, waits for `go`, runs, and answers what it saw.
pub async fn run_shard(
    sc: Scenario,
    shard: usize,
    shards: usize,
    ready: oneshot::Sender<SetupStats>,
    go: oneshot::Receiver<Timing>,
) -> Result<ShardResult, String> {
    let members = plan(&sc)?;
    let urls = sc
        .urls
        .iter()
        .map(|u| WsUrl::parse(u))
        .collect::<Result<Vec<_>, _>>()?;
    if urls.is_empty() {
        return Err("no --url".into());
    }
    let interval_us = sc
        .rate
        .map(|rate| 1e6 * sc.senders.max(1) as f64 / rate.max(0.001));
    let pad_len = sc.body_bytes.saturating_sub(40);
    let ctx = Arc::new(Ctx {
        interval_us,
        urls,
        members,
        run_id: now_us() / 1000,
        connect: Semaphore::new(sc.connect_concurrency.max(1)),
        latency: AtomicHist::default(),
        ack_latency: AtomicHist::default(),
        setup: AtomicHist::default(),
        deliveries_total: AtomicU64::new(0),
        deliveries_window: AtomicU64::new(0),
        acks_window: AtomicU64::new(0),
        inflight: AtomicU64::new(0),
        last_delivery_us: AtomicU64::new(0),
        pad: "x".repeat(pad_len),
        sc,
    });
    let (timing_tx, timing_rx) = watch::channel::<Option<Timing>>(None);
    let (done_tx, done_rx) = watch::channel(false);
    let (up_tx, mut up_rx) = tokio::sync::mpsc::unbounded_channel::<Result<(), String>>();
    let first_us = now_us();
    let mine: Vec<usize> = (0..ctx.sc.conns).filter(|i| i % shards == shard).collect();
    let mut tasks = Vec::with_capacity(mine.len());
    for i in &mine {
        tasks.push(tokio::spawn(conn_task(
            *i,
            ctx.clone(),
            up_tx.clone(),
            timing_rx.clone(),
            done_rx.clone(),
        )));
    }
    drop(up_tx);
    let mut setup = SetupStats {
        first_us,
        ..SetupStats::default()
    };
    for _ in 0..mine.len() {
        match up_rx.recv().await {
            Some(Ok(())) => setup.connected += 1,
            Some(Err(e)) => {
                setup.failed += 1;
                *setup.errors.entry(e).or_default() += 1;
            }
            None => break,
        }
    }
    setup.last_us = now_us();
    setup.setup = ctx.setup.snapshot();
    let _ = ready.send(setup.clone());
    let timing = go.await.map_err(|_| "the driver went away".to_owned())?;
    let _ = timing_tx.send(Some(timing));
    // Own CPU over the measured window.
    let cpu = tokio::spawn(async move {
        sleep_until_us(timing.window_us).await;
        let a = crate::procfs::cpu_ticks(None);
        sleep_until_us(timing.end_us).await;
        crate::procfs::cpu_ticks(None).saturating_sub(a)
    });
    // Drain: wait for the last acks, then for a quiet second, or the deadline.
    sleep_until_us(timing.end_us).await;
    let deadline = timing.end_us + (ctx.sc.drain_secs * 1e6) as u64;
    loop {
        let now = now_us();
        let quiet = now.saturating_sub(ctx.last_delivery_us.load(Ordering::Relaxed)) > 1_000_000;
        if (ctx.inflight.load(Ordering::Relaxed) == 0 && quiet) || now > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = done_tx.send(true);
    let mut result = ShardResult {
        setup,
        cpu_ticks_window: cpu.await.unwrap_or(0),
        ..ShardResult::default()
    };
    for task in tasks {
        let Ok(out) = task.await else { continue };
        if !out.ok {
            continue;
        }
        if out.disconnected {
            result.disconnects += 1;
        }
        if let Some(e) = out.error {
            *result.errors.entry(e).or_default() += 1;
        }
        for (k, v) in out.errors {
            *result.errors.entry(k).or_default() += v;
        }
        if let Some(s) = out.sender {
            result.senders.push(s);
        }
        result.receivers.push((out.index, out.seen));
    }
    result.deliveries_total = ctx.deliveries_total.load(Ordering::Relaxed);
    result.deliveries_window = ctx.deliveries_window.load(Ordering::Relaxed);
    result.acks_window = ctx.acks_window.load(Ordering::Relaxed);
    result.latency = ctx.latency.snapshot();
    result.ack_latency = ctx.ack_latency.snapshot();
    Ok(result)
}

/// A needle the read loop looks for in frames, with its searcher built once:
/// `memmem::find` builds one at every call, which was 2.5 % of the whole machine in a
/// fan-out profile (three searches per frame).
type Needle = std::sync::LazyLock<memchr::memmem::Finder<'static>>;

static READY: Needle = Needle::new(|| memchr::memmem::Finder::new(b"\"type\":\"ready\""));
static ERROR: Needle = Needle::new(|| memchr::memmem::Finder::new(b"\"type\":\"error\""));
static CREATED: Needle =
    Needle::new(|| memchr::memmem::Finder::new(b"\"type\":\"message.created\""));
static ACK: Needle = Needle::new(|| memchr::memmem::Finder::new(b"\"type\":\"message.ack\""));
static CLIENT_MSG_ID: Needle = Needle::new(|| memchr::memmem::Finder::new(b"\"client_msg_id\""));
static MARKER: Needle = Needle::new(|| memchr::memmem::Finder::new(b"\"body\":\"lg:"));
static CODE: Needle = Needle::new(|| memchr::memmem::Finder::new(b"\"code\":\""));

/// Finds `needle` in `hay`.
fn has(hay: &[u8], needle: &Needle) -> bool {
    needle.find(hay).is_some()
}

/// Reads the decimal number at the start of `s`; answers it and the rest after one
/// separator byte.
fn number(s: &[u8]) -> Option<(u64, &[u8])> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let n = std::str::from_utf8(&s[..digits]).ok()?.parse().ok()?;
    Some((n, s.get(digits + 1..).unwrap_or(&[])))
}

/// `lg:SENDER:COUNTER:SENT_AT_US` from a frame carrying one of our messages.
fn marker(frame: &[u8]) -> Option<(u32, u64, u64)> {
    let at = MARKER.find(frame)? + 11;
    let (sender, rest) = number(&frame[at..])?;
    let (counter, rest) = number(rest)?;
    let (sent_at, _) = number(rest)?;
    Some((sender as u32, counter, sent_at))
}

fn error_code(frame: &[u8]) -> String {
    let code = CODE.find(frame).and_then(|at| {
        let rest = &frame[at + 8..];
        let end = memchr::memchr(b'"', rest)?;
        std::str::from_utf8(&rest[..end]).ok().map(str::to_owned)
    });
    format!("error frame: {}", code.unwrap_or_else(|| "?".into()))
}

async fn conn_task(
    index: usize,
    ctx: Arc<Ctx>,
    up: tokio::sync::mpsc::UnboundedSender<Result<(), String>>,
    mut timing_rx: watch::Receiver<Option<Timing>>,
    mut done: watch::Receiver<bool>,
) -> ConnOut {
    let member = &ctx.members[index];
    let mut out = ConnOut {
        index: index as u32,
        ok: false,
        error: None,
        sender: None,
        seen: Vec::new(),
        errors: BTreeMap::new(),
        disconnected: false,
    };
    // 1. Connect and authenticate.
    let url = &ctx.urls[index % ctx.urls.len()];
    let source = (!ctx.sc.sources.is_empty()).then(|| ctx.sc.sources[index % ctx.sc.sources.len()]);
    let setup = async {
        let _permit = ctx.connect.acquire().await.map_err(|e| e.to_string())?;
        let started = now_us();
        let bearer = format!("Bearer {}", member.token);
        let headers: Vec<(&str, &str)> = if ctx.sc.header_auth {
            vec![("Authorization", bearer.as_str())]
        } else {
            Vec::new()
        };
        let (mut rd, mut wr) = ws::connect(url, source, &headers)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        if !ctx.sc.header_auth {
            let auth =
                serde_json::json!({"type": "auth", "token": member.token, "room_id": member.room});
            wr.text(&auth.to_string())
                .await
                .map_err(|e| format!("auth: {e}"))?;
        }
        loop {
            let op = rd.next().await.map_err(|e| format!("before ready: {e}"))?;
            match op {
                ws::OP_TEXT if has(&rd.payload, &READY) => break,
                ws::OP_TEXT if has(&rd.payload, &ERROR) => {
                    return Err(error_code(&rd.payload));
                }
                ws::OP_CLOSE => return Err("closed before ready".into()),
                ws::OP_PING => {
                    let payload = rd.payload.clone();
                    wr.send(ws::OP_PONG, &payload)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                _ => {}
            }
        }
        ctx.setup.record(now_us() - started);
        Ok::<_, String>((rd, wr))
    };
    let (mut rd, mut wr) = match setup.await {
        Ok(pair) => {
            let _ = up.send(Ok(()));
            pair
        }
        Err(e) => {
            let _ = up.send(Err(e));
            return out;
        }
    };
    out.ok = true;

    // 2. Serve: read everything; senders post once the run starts.
    let is_sender = index < ctx.sc.senders;
    let mut sender = SenderOut {
        index: index as u32,
        ..SenderOut::default()
    };
    let mut timing: Option<Timing> = None;
    let mut next_send_us: f64 = 0.0;
    let window = ctx.sc.window.max(1) as u64;
    let max_inflight = if ctx.interval_us.is_some() {
        100_000
    } else {
        window
    };
    let mut inflight_since: std::collections::VecDeque<u64> = std::collections::VecDeque::new();
    let sending =
        |t: &Option<Timing>, now: u64| t.is_some_and(|t| now >= t.start_us && now < t.end_us);
    loop {
        // Window mode keeps `window` sends in flight; fixed rate sends on a schedule.
        let now = now_us();
        let want_send = is_sender
            && sending(&timing, now)
            && sender.sent - sender.acked - sender.failed < max_inflight
            && match ctx.interval_us {
                None => true,
                Some(_) => now as f64 >= next_send_us,
            };
        if want_send {
            let t = now_us();
            let frame = format!(
                "{{\"type\":\"message.send\",\"room_id\":{},\"body\":\"lg:{}:{}:{}{}\",\"client_msg_id\":\"{}-{}-{}\",\"ref\":\"{}\"}}",
                member.room,
                index,
                sender.sent,
                t,
                ctx.pad,
                ctx.run_id,
                index,
                sender.sent,
                sender.sent
            );
            if wr.text(&frame).await.is_err() {
                out.disconnected = true;
                break;
            }
            inflight_since.push_back(t);
            sender.sent += 1;
            ctx.inflight.fetch_add(1, Ordering::Relaxed);
            if let Some(iv) = ctx.interval_us {
                next_send_us += iv;
            }
            continue;
        }
        let wake_us = match (timing, ctx.interval_us) {
            (Some(t), Some(_)) if is_sender && now < t.end_us => {
                (next_send_us as u64).max(t.start_us).min(t.end_us)
            }
            (Some(t), None) if is_sender && now < t.start_us => t.start_us,
            (Some(t), _) if is_sender && now < t.end_us => t.end_us,
            _ => now + 3_600_000_000,
        };
        let sleep = tokio::time::sleep(Duration::from_micros(wake_us.saturating_sub(now)));
        tokio::select! {
            biased;
            _ = done.changed() => break,
            changed = timing_rx.changed(), if timing.is_none() => {
                if changed.is_err() { break; }
                timing = *timing_rx.borrow();
                if let (Some(t), Some(iv)) = (timing, ctx.interval_us) {
                    // Spread the senders' schedules over one interval.
                    next_send_us = t.start_us as f64 + iv * (index as f64 / ctx.sc.senders.max(1) as f64);
                }
            }
            op = rd.next() => {
                let op = match op {
                    Ok(op) => op,
                    Err(e) => {
                        out.disconnected = true;
                        out.error = Some(format!("read: {e}"));
                        break;
                    }
                };
                match op {
                    ws::OP_TEXT => {
                        let p = &rd.payload;
                        let now = now_us();
                        if has(p, &CREATED) {
                            let Some((from, counter, sent_at)) = marker(p) else { continue };
                            ctx.deliveries_total.fetch_add(1, Ordering::Relaxed);
                            ctx.last_delivery_us.store(now, Ordering::Relaxed);
                            if let Some(t) = timing {
                                if now >= t.window_us && now < t.end_us {
                                    ctx.deliveries_window.fetch_add(1, Ordering::Relaxed);
                                }
                                if sent_at >= t.window_us && sent_at < t.end_us {
                                    ctx.latency.record(now.saturating_sub(sent_at));
                                }
                            }
                            let seen = match out.seen.iter_mut().position(|s| s.sender == from) {
                                Some(i) => &mut out.seen[i],
                                None => {
                                    out.seen.push(Seen { sender: from, ..Seen::default() });
                                    out.seen.last_mut().unwrap_or_else(|| unreachable!())
                                }
                            };
                            if counter >= seen.next {
                                if counter > seen.next {
                                    seen.gaps += 1;
                                }
                                seen.distinct += 1;
                                seen.next = counter + 1;
                            } else {
                                seen.dups += 1;
                            }
                        } else if has(p, &ACK) {
                            sender.acked += 1;
                            ctx.inflight.fetch_sub(1, Ordering::Relaxed);
                            if let Some(sent_at) = inflight_since.pop_front()
                                && let Some(t) = timing
                                && now >= t.window_us
                                && now < t.end_us
                            {
                                ctx.acks_window.fetch_add(1, Ordering::Relaxed);
                                ctx.ack_latency.record(now.saturating_sub(sent_at));
                            }
                        } else if has(p, &ERROR) {
                            *out.errors.entry(error_code(p)).or_default() += 1;
                            if has(p, &CLIENT_MSG_ID) && inflight_since.pop_front().is_some() {
                                sender.failed += 1;
                                ctx.inflight.fetch_sub(1, Ordering::Relaxed);
                            }
                        }
                    }
                    ws::OP_PING => {
                        let payload = rd.payload.clone();
                        if wr.send(ws::OP_PONG, &payload).await.is_err() {
                            out.disconnected = true;
                            break;
                        }
                    }
                    ws::OP_CLOSE => {
                        let code = if rd.payload.len() >= 2 {
                            u16::from_be_bytes([rd.payload[0], rd.payload[1]])
                        } else {
                            1005
                        };
                        out.disconnected = true;
                        out.error = Some(format!("closed by the server: {code}"));
                        break;
                    }
                    _ => {}
                }
            }
            _ = sleep => {}
        }
    }
    if out.disconnected && is_sender {
        // Whatever was in flight will never be answered on this socket.
        let lost = sender.sent - sender.acked - sender.failed;
        ctx.inflight.fetch_sub(lost, Ordering::Relaxed);
    }
    if is_sender {
        out.sender = Some(sender);
    }
    let _ = wr.close().await;
    out
}
