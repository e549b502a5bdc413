//! The send path and everything around messages. `send` is the one function both the
//! REST handler and the WebSocket gateway call (DESIGN §1).

use std::collections::HashMap;

use parley_domain::DomainError;
use parley_domain::message::{self as rules, SMALL_ROOM};
use parley_domain::room::{Role, RoomAction, RoomKind};
use parley_realtime::BusEvent;
use parley_store::models::{MemberRow, MessageRow, UserRow};
use parley_store::repo::{bans, events, members, messages, notifications};
use parley_store::{DbConn, StoreError, write_tx};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::models::{Message, Reaction, utc};
use crate::service::rooms::{Access, authorize, authorize_many};
use crate::state::AppState;

/// Who is sending.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user_id: i64,
    pub email_verified: bool,
}

impl From<&crate::auth::AuthUser> for Actor {
    fn from(auth: &crate::auth::AuthUser) -> Self {
        Actor {
            user_id: auth.user_id,
            email_verified: auth.email_verified,
        }
    }
}

pub struct SendInput {
    pub room_id: i64,
    pub body: String,
    pub client_msg_id: Option<String>,
    pub parent_seq: Option<i64>,
}

/// The outcome of a send: `created` is false when `client_msg_id` matched an earlier
/// message of the author, which is answered instead (and nothing is published).
pub struct Sent {
    pub message: Message,
    pub created: bool,
}

/// Validates, persists and (after commit) publishes one message.
pub async fn send(state: &AppState, actor: Actor, input: SendInput) -> ApiResult<Sent> {
    let prepared = prepare(state, actor, input).await?;
    enqueue(state, prepared).await
}

/// A send that passed validation, ready to be queued with [`enqueue`].
pub struct Prepared(Work);

/// Validates a send and looks up what it needs before the write (`@here`'s online
/// members). Answers at once, without awaiting anything, unless the body says `@here`.
pub async fn prepare(state: &AppState, actor: Actor, input: SendInput) -> ApiResult<Prepared> {
    let body = rules::check_send(
        &input.body,
        input.client_msg_id.as_deref(),
        input.parent_seq,
    )
    .map_err(|mut errors| {
        if input.room_id < 1 {
            errors.add("room_id", "must be a room id");
        }
        DomainError::Validation(errors)
    })?;
    if input.room_id < 1 {
        return Err(DomainError::field("room_id", "must be a room id").into());
    }
    if state.settings.auth.require_email_verification && !actor.email_verified {
        return Err(ApiError::Forbidden(
            "confirm your email address before posting".into(),
        ));
    }
    // `@here` reaches members online on any instance: look them up before the write.
    let online = if rules::mentions(&body).here {
        let room = input.room_id;
        let ids = state
            .db(move |conn| Ok(members::user_ids(conn, room)?))
            .await
            .unwrap_or_default();
        let mut online = std::collections::HashSet::new();
        for id in ids {
            if crate::gateway::is_online(state, id).await {
                online.insert(id);
            }
        }
        online
    } else {
        std::collections::HashSet::new()
    };
    Ok(Prepared(Work {
        user_id: actor.user_id,
        room_id: input.room_id,
        body,
        client_msg_id: input.client_msg_id,
        parent_seq: input.parent_seq,
        online,
    }))
}

/// Queues a prepared send **now** (before returning) and answers a future of its outcome.
/// Sends queued one after another commit in that order within their room, so a socket
/// may keep several in flight and still see its messages stored in the order it sent
/// them.
pub fn enqueue(
    state: &AppState,
    prepared: Prepared,
) -> impl std::future::Future<Output = ApiResult<Sent>> + 'static {
    let Prepared(work) = prepared;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let queue = &state.hub.sends;
    let start = {
        let mut inner = queue.lock();
        inner.pending.push_back(Pending {
            work: work.clone(),
            reply: tx,
        });
        // Another worker only when the running ones fall behind: more than a batch
        // queued, or no batch begun for `STALLED` (a slow commit must not hold up every
        // room). On PostgreSQL each transaction costs ~1 ms of CPU whatever its size, so
        // a worker per trickle of sends would split them into small, costly batches.
        let behind = inner.pending.len() > queue.max_batch
            || inner
                .last_batch
                .is_some_and(|began| began.elapsed() > STALLED);
        let start = inner.running == 0 || (inner.running < queue.workers && behind);
        if start {
            inner.running += 1;
        }
        start
    };
    if start {
        actix_web::rt::spawn(write_batches(state.clone()));
    }
    let state = state.clone();
    async move {
        match rx.await {
            Ok(outcome) => outcome,
            // Its worker died (a panic): write it alone.
            Err(_) => send_alone(&state, &work).await,
        }
    }
}

/// One send in its own transaction (a unique-index race on `client_msg_id` means a
/// concurrent retry won: the next attempt reads its row).
async fn send_alone(state: &AppState, work: &Work) -> ApiResult<Sent> {
    let work = work.clone();
    let (sent, events) = state.db(move |conn| write_alone(conn, &work)).await?;
    state.bus.publish_all(events);
    Ok(sent)
}

/// `send_alone`'s transaction, on the caller's connection.
fn write_alone(conn: &mut DbConn, work: &Work) -> ApiResult<(Sent, Vec<BusEvent>)> {
    for _ in 0..2 {
        match write_tx(conn, |conn| send_tx(conn, work, &mut Seen::default())?) {
            Err(ApiError::Conflict(reason)) if reason == RACE => continue,
            other => return other,
        }
    }
    Err(ApiError::Conflict(
        "the message could not be stored; retry".into(),
    ))
}

const RACE: &str = "client_msg_id race";

/// Group commit of the send path. Sends arriving while earlier ones are being written
/// queue up, and a worker writes everything queued in **one** transaction: one commit
/// (one WAL flush on PostgreSQL, one write lock on SQLite) for many messages instead of
/// one each. The guarantees are the single send's: each message runs the same
/// `send_tx` (so `seq` and `event_seq` stay dense, taken under the room row lock in
/// commit order), and nothing leaves before the commit: then, in the batch's order, each
/// caller is answered (the socket's ack) and its events are published.
///
/// Order: a room is written by at most one batch at a time, and a batch takes a room's
/// sends in queue order, so within a room sends commit in the order they were queued
/// (what lets a socket pipeline its sends). It also means concurrent batches never wait
/// on each other's room locks.
///
/// A send refused by its checks (not a member, unknown parent, ...) has written nothing
/// and is answered its error; the rest of its batch commits. If the transaction itself
/// fails, the worker writes the batch's sends again one by one, in order, each in its
/// own transaction, so every caller gets its own outcome. There is no waiting for a
/// batch to fill: a lone send is written at once.
pub struct SendQueue {
    inner: std::sync::Mutex<QueueInner>,
    /// Most batches written at once: 1 on SQLite (one writer anyway; this also keeps the
    /// instance's writers out of SQLite's sleeping busy handler), up to 4 on PostgreSQL
    /// when sends queue faster than one worker writes them.
    workers: usize,
    /// Largest batch: bounds how long one transaction holds its rooms' locks (tens of
    /// milliseconds at 256 on a saturated two-core machine). PostgreSQL spends ~1 ms of
    /// CPU per transaction whatever its size, so it takes 256 (64 gave batches of ~55 and
    /// 15-17k messages/s where 256 gives ~230 and 20-22k: docs/BENCHMARKS.md). SQLite
    /// keeps 64: there a batch of 256 took ~5x as long as one of 64 and was no faster
    /// in all (not profiled; its `client_msg_id` lookup probes authors x ids).
    max_batch: usize,
    /// Sends committed since SQLite's search index last caught up (it is not kept in
    /// step by the send transaction: `repo::search::catch_up`).
    unindexed: std::sync::atomic::AtomicUsize,
}

#[derive(Default)]
struct QueueInner {
    pending: std::collections::VecDeque<Pending>,
    running: usize,
    /// Rooms a running batch is writing.
    busy: std::collections::HashSet<i64>,
    /// When the latest batch was taken.
    last_batch: Option<std::time::Instant>,
}

/// How long the running workers may go without starting a batch before a send starts
/// another worker (fan-out batches take ~6 ms on a saturated two-core machine).
const STALLED: std::time::Duration = std::time::Duration::from_millis(10);

/// One send's data, as the transaction needs it.
#[derive(Clone)]
struct Work {
    user_id: i64,
    room_id: i64,
    body: String,
    client_msg_id: Option<String>,
    parent_seq: Option<i64>,
    /// Members online when the send was prepared (for `@here`).
    online: std::collections::HashSet<i64>,
}

struct Pending {
    work: Work,
    reply: tokio::sync::oneshot::Sender<ApiResult<Sent>>,
}

impl SendQueue {
    pub fn new(backend: parley_store::Backend) -> Self {
        SendQueue {
            inner: std::sync::Mutex::new(QueueInner::default()),
            unindexed: Default::default(),
            workers: match backend {
                parley_store::Backend::Sqlite => 1,
                parley_store::Backend::Postgres => 4,
            },
            max_batch: match backend {
                parley_store::Backend::Sqlite => 64,
                parley_store::Backend::Postgres => 256,
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl QueueInner {
    /// Takes up to `max` queued sends of rooms no other batch is writing, in queue
    /// order, and marks their rooms busy. A room's later sends stay queued behind it.
    fn take_batch(&mut self, max: usize) -> Vec<Pending> {
        let mut batch = Vec::new();
        // Skipped sends go back in front, in order; the rest of the queue is not touched
        // (moving all of it for every batch was visible in a profile at 2,000 queued).
        let mut skipped = Vec::new();
        while batch.len() < max {
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            if self.busy.contains(&p.work.room_id) {
                skipped.push(p);
            } else {
                batch.push(p);
            }
        }
        for p in skipped.into_iter().rev() {
            self.pending.push_front(p);
        }
        for p in &batch {
            self.busy.insert(p.work.room_id);
        }
        if !batch.is_empty() {
            self.last_batch = Some(std::time::Instant::now());
        }
        batch
    }
}

/// Gives the worker's slot back however it ends. If it ends early (a panic), its batch's
/// callers see their reply dropped and write alone; the rooms it held are released, and
/// if no worker is left, whatever is still queued is written alone too.
struct WorkerSlot {
    state: AppState,
    rooms: Vec<i64>,
    done: bool,
}

impl Drop for WorkerSlot {
    fn drop(&mut self) {
        if self.done {
            return; // released in order
        }
        let orphans: Vec<Pending> = {
            let mut inner = self.state.hub.sends.lock();
            for room in &self.rooms {
                inner.busy.remove(room);
            }
            inner.running -= 1;
            if inner.running == 0 {
                inner.pending.drain(..).collect()
            } else {
                Vec::new()
            }
        };
        // Dropping their reply makes each caller write alone.
        drop(orphans);
    }
}

/// A worker: writes batches until the queue holds nothing it may take. The loop runs on
/// one blocking thread with one pooled connection, so the next batch starts as soon as
/// the last one is answered, without waiting for an actix worker to poll a task
/// between batches (on SQLite's single writer that wait was part of every batch).
async fn write_batches(state: AppState) {
    let slot = WorkerSlot {
        state,
        rooms: Vec::new(),
        done: false,
    };
    // A panic inside drops the slot, which hands its queue on.
    let _ = actix_web::web::block(move || run_batches(slot)).await;
}

fn run_batches(mut slot: WorkerSlot) {
    // Kept across batches; a batch that fails (perhaps with the connection) puts it
    // back, and the next write takes a fresh one.
    let mut held: Option<parley_store::PooledConn> = None;
    loop {
        let state = slot.state.clone();
        let mut batch: Vec<Pending> = {
            let mut inner = state.hub.sends.lock();
            for room in slot.rooms.drain(..) {
                inner.busy.remove(&room);
            }
            let batch = inner.take_batch(state.hub.sends.max_batch);
            if batch.is_empty() {
                // Under the lock: a send queued from here on starts a new worker, and
                // one left queued belongs to a room a running worker will come back for.
                inner.running -= 1;
                drop(inner);
                slot.done = true;
                return;
            }
            batch
        };
        slot.rooms = batch.iter().map(|p| p.work.room_id).collect();
        slot.rooms.dedup();
        batch.sort_by_key(|p| p.work.room_id); // stable: queue order within a room
        let (works, replies): (Vec<Work>, Vec<_>) =
            batch.into_iter().map(|p| (p.work, p.reply)).unzip();
        state.metrics.send_batch_size.observe(works.len() as f64);
        let timer = state.metrics.send_batch_seconds.start_timer();
        let written = match held.take().map_or_else(|| state.db.get(), Ok) {
            Ok(mut conn) => {
                let mut written = write_tx(&mut conn, |conn| write_batch(conn, &works, false));
                if matches!(&written, Err(ApiError::Conflict(reason)) if reason == RACE) {
                    // A `client_msg_id` was used before (a retry): the batch again, this
                    // time looking its sends' ids up first.
                    state.metrics.send_batches_rewritten.inc();
                    written = write_tx(&mut conn, |conn| write_batch(conn, &works, true));
                }
                if written.is_ok() {
                    held = Some(conn);
                }
                written
            }
            Err(e) => Err(ApiError::from(e)),
        };
        timer.observe_duration();
        match written {
            Ok(steps) => {
                // Committed: answer, then publish, in batch order (answering first lets a
                // sender's socket usually write its ack before its own message.created).
                for (step, reply) in steps.into_iter().zip(replies) {
                    match step {
                        Ok((sent, events)) => {
                            let _ = reply.send(Ok(sent));
                            state.bus.publish_all(events);
                        }
                        Err(refused) => {
                            let _ = reply.send(Err(refused));
                        }
                    }
                }
                if let Some(conn) = held.as_mut() {
                    catch_up_search(&state, conn, works.len());
                }
            }
            Err(_) => {
                // Nothing of the batch was written: each send alone, still in order, on a
                // fresh connection.
                for (work, reply) in works.iter().zip(replies) {
                    let outcome = state
                        .db
                        .get()
                        .map_err(ApiError::from)
                        .and_then(|mut conn| write_alone(&mut conn, work))
                        .map(|(sent, events)| {
                            state.bus.publish_all(events);
                            sent
                        });
                    let _ = reply.send(outcome);
                }
            }
        }
    }
}

/// Counts `sent` committed sends and, every `CATCH_UP_EVERY`, indexes them for search
/// in a transaction of their own, between batches (SQLite only: one segment flush for
/// all of them). A failure is only logged: the next catch-up or search takes them.
fn catch_up_search(state: &AppState, conn: &mut DbConn, sent: usize) {
    use std::sync::atomic::Ordering;
    if !matches!(conn, DbConn::Sqlite(_)) {
        return;
    }
    let sends = &state.hub.sends;
    let due = sends.unindexed.fetch_add(sent, Ordering::Relaxed) + sent
        >= parley_store::repo::search::CATCH_UP_EVERY;
    if !due {
        return;
    }
    sends.unindexed.store(0, Ordering::Relaxed);
    let timer = state.metrics.search_catch_up_seconds.start_timer();
    if let Err(err) = write_tx(conn, parley_store::repo::search::catch_up) {
        tracing::warn!(error = %err, "search index catch-up failed; the next one retries");
    }
    timer.observe_duration();
}

/// Writes a batch (sorted by room, queue order within a room) inside the caller's
/// transaction and answers one step per send, in order.
///
/// Plain top-level messages (no thread, no mention, not a direct chat: what nearly all
/// traffic is) are written together: the checks and the authors are read for the whole
/// batch in one query each, and their rooms' counters, messages and events are written
/// with one statement per table. A room holding anything else (a reply, a mention, a
/// repeated `client_msg_id`, a refusal) is written send by send with `send_tx`, in
/// order, so its answers are exactly a single send's.
///
/// `client_msg_id`s are looked up only when `lookup` is set. Without it the batch
/// counts on the unique index: a repeated id (a client's retry, rare) fails the insert
/// with `RACE`, and the caller writes the batch again with `lookup`. The lookup was
/// ~10 % of SQLite's writer and a round trip per batch on PostgreSQL, spent on every
/// batch to find nothing.
fn write_batch(conn: &mut DbConn, works: &[Work], lookup: bool) -> ApiResult<Vec<Step>> {
    let mut seen = Seen::default();
    let mut keys: Vec<(i64, &str)> = works
        .iter()
        .filter_map(|w| Some((w.user_id, w.client_msg_id.as_deref()?)))
        .collect();
    let repeats = keys.len();
    keys.sort_unstable();
    keys.dedup();
    // Steps are large: collected into a Vec of unknown size they would be moved at
    // every growth (a profile showed it).
    let mut steps = Vec::with_capacity(works.len());
    // A `client_msg_id` repeated within the batch must find its first send's row.
    if works.len() == 1 || keys.len() != repeats {
        for work in works {
            steps.push(send_tx(conn, work, &mut seen)?);
        }
        return Ok(steps);
    }
    let mut pairs: Vec<(i64, i64)> = works.iter().map(|w| (w.room_id, w.user_id)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let (checked, members) = authorize_many(conn, &pairs, RoomAction::Post)?;
    for (pair, access) in checked {
        if let Ok(access) = access {
            seen.access.insert(pair, std::rc::Rc::new(access));
        }
    }
    for user in members {
        seen.authors.insert(user.id, user);
    }
    let used = if lookup {
        messages::find_by_client_ids(conn, &keys)?
    } else {
        HashMap::new()
    };
    let plain = |w: &Work| {
        let Some(access) = seen.access.get(&(w.room_id, w.user_id)) else {
            return false; // refused: `send_tx` answers why
        };
        let found = rules::mentions(&w.body);
        w.parent_seq.is_none()
            && access.facts.kind != RoomKind::Direct
            && !found.room
            && !found.here
            && found.usernames.is_empty()
            && w.client_msg_id
                .as_ref()
                .is_none_or(|id| !used.contains_key(&(w.user_id, id.clone())))
    };
    let one_by_one: std::collections::HashSet<i64> = works
        .iter()
        .filter(|w| !plain(w))
        .map(|w| w.room_id)
        .collect();
    let together: Vec<usize> = (0..works.len())
        .filter(|&i| !one_by_one.contains(&works[i].room_id))
        .collect();

    // Authors came with their memberships; one who may post without one (an org
    // room's member) is read here.
    let mut authors: Vec<i64> = together
        .iter()
        .map(|&i| works[i].user_id)
        .filter(|id| !seen.authors.contains_key(id))
        .collect();
    authors.sort_unstable();
    authors.dedup();
    if !authors.is_empty() {
        for user in parley_store::repo::users::find_many(conn, &authors)? {
            seen.authors.insert(user.id, user);
        }
    }
    let list: Vec<messages::Append<'_>> = together
        .iter()
        .map(|&i| &works[i])
        .map(|w| messages::Append {
            room_id: w.room_id,
            author_id: w.user_id,
            body: &w.body,
            client_msg_id: w.client_msg_id.as_deref(),
        })
        .collect();
    let appended = messages::append_many(conn, &list).map_err(|e| match e {
        StoreError::UniqueViolation(_) => ApiError::Conflict(RACE.into()),
        other => other.into(),
    })?;
    let mut written: Vec<Option<(Sent, Vec<BusEvent>)>> = works.iter().map(|_| None).collect();
    let mut frames = Vec::with_capacity(appended.len());
    for (&i, (row, event_seq)) in together.iter().zip(appended) {
        let author = seen
            .authors
            .get(&works[i].user_id)
            .ok_or_else(|| ApiError::not_found("user"))?;
        let message = Message::from_rows(&row, author);
        let frame = serde_json::to_string(&CreatedFrame {
            kind: "message.created",
            room_id: row.room_id,
            event_seq,
            message: &message,
        })
        .map_err(|e| ApiError::internal("message.created frame", e))?;
        frames.push((row.room_id, event_seq, frame.clone()));
        let event = BusEvent::Room {
            room_id: row.room_id,
            event_seq,
            frame: frame.into(),
            effect: parley_realtime::RoomEffect::None,
        };
        let sent = Sent {
            message,
            created: true,
        };
        written[i] = Some((sent, vec![event]));
    }
    let framed: Vec<(i64, i64, &str, &str)> = frames
        .iter()
        .map(|(room, seq, frame)| (*room, *seq, "message.created", frame.as_str()))
        .collect();
    events::append_framed(conn, &framed)?;

    for (work, done) in works.iter().zip(written) {
        steps.push(match done {
            Some(done) => Ok(done),
            None => send_tx(conn, work, &mut seen)?,
        });
    }
    Ok(steps)
}

/// `message.created` as `events::frame` builds it, serialised straight from the message:
/// no `serde_json::Value` tree for the one frame every message has.
#[derive(serde::Serialize)]
struct CreatedFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    room_id: i64,
    event_seq: i64,
    message: &'a Message,
}

/// What one send did inside a (possibly shared) transaction: written (or, for a
/// repeated `client_msg_id`, found), with the answer and the events to publish after
/// commit; or refused by a check before it wrote anything, the rest of the transaction
/// standing.
type Step = Result<(Sent, Vec<BusEvent>), ApiError>;

/// Runs one send's checks: a refusal becomes `Step::Refused` (nothing was written, the
/// transaction goes on); a database failure aborts the transaction.
fn checked<T>(result: ApiResult<T>) -> ApiResult<Result<T, ApiError>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(err @ (ApiError::Internal | ApiError::ServiceUnavailable)) => Err(err),
        Err(refused) => Ok(Err(refused)),
    }
}

/// What earlier sends of the same transaction already read: a batch holds many sends
/// of one author to one room, and their permission check and author row do not change
/// within it (sends change neither).
#[derive(Default)]
struct Seen {
    access: HashMap<(i64, i64), std::rc::Rc<Access>>,
    authors: HashMap<i64, UserRow>,
}

impl Seen {
    fn access(
        &mut self,
        conn: &mut DbConn,
        room_id: i64,
        user_id: i64,
    ) -> ApiResult<std::rc::Rc<Access>> {
        if let Some(access) = self.access.get(&(room_id, user_id)) {
            return Ok(access.clone());
        }
        let access = std::rc::Rc::new(authorize(conn, room_id, user_id, RoomAction::Post)?);
        self.access.insert((room_id, user_id), access.clone());
        Ok(access)
    }

    fn author(&mut self, conn: &mut DbConn, user_id: i64) -> ApiResult<UserRow> {
        if let Some(author) = self.authors.get(&user_id) {
            return Ok(author.clone());
        }
        let author = parley_store::repo::users::find(conn, user_id)?;
        self.authors.insert(user_id, author.clone());
        Ok(author)
    }
}

/// One send inside a write transaction. Everything that can refuse it runs before its
/// first write; an error after that aborts the whole transaction.
fn send_tx(conn: &mut DbConn, work: &Work, seen: &mut Seen) -> ApiResult<Step> {
    let Work {
        user_id,
        room_id,
        ref body,
        ref client_msg_id,
        parent_seq,
        ref online,
    } = *work;
    let client_msg_id = client_msg_id.as_deref();
    let checks = checked((|| -> ApiResult<_> {
        let access = seen.access(conn, room_id, user_id)?;
        if let Some(id) = client_msg_id
            && let Some(existing) = messages::find_by_client_id(conn, user_id, id)?
        {
            if existing.room_id != room_id {
                return Err(ApiError::Conflict(
                    "client_msg_id was already used for another room".into(),
                ));
            }
            let author = parley_store::repo::users::find(conn, user_id)?;
            let mut message = Message::from_rows(&existing, &author);
            attach_reactions(conn, std::slice::from_mut(&mut message), Some(user_id))?;
            return Ok(Err(message));
        }
        // Replies attach to the thread root.
        let root = match parent_seq {
            None => None,
            Some(seq) => {
                let parent = messages::find(conn, room_id, seq)?.ok_or_else(|| {
                    DomainError::field("parent_seq", "must be a message of this room")
                })?;
                Some(parent.parent_seq.unwrap_or(parent.seq))
            }
        };
        Ok(Ok((access, root)))
    })())?;
    let (access, root) = match checks {
        Ok(Ok(found)) => found,
        Ok(Err(existing)) => {
            return Ok(Ok((
                Sent {
                    message: existing,
                    created: false,
                },
                Vec::new(),
            )));
        }
        Err(refused) => return Ok(Err(refused)),
    };
    let (row, event_seq) = messages::append(conn, room_id, user_id, body, client_msg_id, root)
        .map_err(|e| match e {
            StoreError::UniqueViolation(_) => ApiError::Conflict(RACE.into()),
            other => other.into(),
        })?;
    // Only a direct chat or a body with mentions can notify anyone: a plain message in a
    // group room needs its author, not the whole roster (one row, not one per member).
    let found = rules::mentions(body);
    let may_notify = access.facts.kind == RoomKind::Direct
        || found.room
        || found.here
        || !found.usernames.is_empty();
    let roster = if may_notify {
        members::all_with_users(conn, room_id)?
    } else {
        Vec::new()
    };
    let author = match roster.iter().find(|(m, _)| m.user_id == user_id) {
        Some((_, u)) => u.clone(),
        None if may_notify => return Err(ApiError::not_found("room")),
        None => seen.author(conn, user_id)?,
    };
    let message = Message::from_rows(&row, &author);
    let mut out = Vec::new();
    let logged = events::append_at(
        conn,
        room_id,
        event_seq,
        "message.created",
        json!({"message": message}),
    )?;
    out.push(BusEvent::Room {
        room_id,
        event_seq,
        frame: logged.payload.into(),
        effect: parley_realtime::RoomEffect::None,
    });
    if let Some(root) = root {
        let parent = messages::add_reply(conn, room_id, root, row.created_at)?;
        emit_updated(conn, &mut out, &parent)?;
    }
    if may_notify {
        notify(conn, &mut out, &access, &row, &author, &roster, online)?;
    }
    Ok(Ok((
        Sent {
            message,
            created: true,
        },
        out,
    )))
}

/// Logs and queues `message.updated` for `row`.
fn emit_updated(conn: &mut DbConn, out: &mut Vec<BusEvent>, row: &MessageRow) -> ApiResult<()> {
    let author = parley_store::repo::users::find(conn, row.author_id)?;
    let mut message = Message::from_rows(row, &author);
    attach_reactions(conn, std::slice::from_mut(&mut message), None)?;
    crate::service::rooms::emit(
        conn,
        out,
        row.room_id,
        "message.updated",
        json!({"message": message}),
    )?;
    Ok(())
}

/// The member's notification level: explicit, else `all` in small rooms and direct
/// chats, `mentions` in big rooms.
fn level(member: &MemberRow, room_size: i64, direct: bool) -> &str {
    match member.notify.as_deref() {
        Some(level) => level,
        None if direct || room_size < SMALL_ROOM => "all",
        None => "mentions",
    }
}

/// Stores notifications for mentions and direct messages, and queues their live push.
/// `all`: @username, @here, @room and direct messages; `mentions`: @username and direct
/// messages; `none`: nothing. Users who blocked the author are never notified by them.
fn notify(
    conn: &mut DbConn,
    out: &mut Vec<BusEvent>,
    access: &Access,
    row: &MessageRow,
    author: &UserRow,
    roster: &[(MemberRow, UserRow)],
    online: &std::collections::HashSet<i64>,
) -> ApiResult<()> {
    let found = rules::mentions(&row.body);
    let direct = access.facts.kind == RoomKind::Direct;
    let size = roster.len() as i64;
    let broad_allowed = access.role().is_some_and(|r| r >= Role::Admin) || size < SMALL_ROOM;
    let mentioned: Vec<i64> = roster
        .iter()
        .filter(|(_, u)| found.usernames.contains(&u.username_lower))
        .map(|(m, _)| m.user_id)
        .collect();
    messages::add_mentions(conn, row.id, &mentioned)?;
    let excerpt: String = row.body.chars().take(140).collect();
    for (member, user) in roster {
        if member.user_id == author.id {
            continue;
        }
        let level = level(member, size, direct);
        let named = mentioned.contains(&member.user_id);
        let broad =
            broad_allowed && (found.room || (found.here && online.contains(&member.user_id)));
        let kind = match level {
            "none" => None,
            _ if direct => Some("direct"),
            _ if named => Some("mention"),
            "all" if broad => Some("mention"),
            _ => None,
        };
        let Some(kind) = kind else { continue };
        if bans::is_blocked(conn, member.user_id, author.id)? {
            continue;
        }
        let stored = notifications::insert(
            conn,
            &notifications::NewNotification {
                user_id: user.id,
                kind,
                room_id: Some(row.room_id),
                seq: Some(row.seq),
                actor_id: Some(author.id),
                body: &excerpt,
            },
            row.created_at,
        )?;
        let view = crate::models::Notification::from_row(&stored, Some(author));
        out.push(BusEvent::User {
            user_ids: vec![user.id],
            frame: json!({"type": "notification", "notification": view})
                .to_string()
                .into(),
        });
    }
    Ok(())
}

/// Fills in each message's reactions (`me` only when a viewer is given).
pub fn attach_reactions(
    conn: &mut DbConn,
    list: &mut [Message],
    viewer: Option<i64>,
) -> ApiResult<()> {
    let ids: Vec<i64> = list.iter().filter(|m| !m.deleted).map(|m| m.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut by_message: HashMap<i64, Vec<Reaction>> = HashMap::new();
    for (message_id, emoji, user_id) in messages::reactions_of(conn, &ids)? {
        let entry = by_message.entry(message_id).or_default();
        let mine = viewer.map(|v| v == user_id);
        match entry.iter_mut().find(|r| r.emoji == emoji) {
            Some(r) => {
                r.count += 1;
                if let (Some(me), Some(true)) = (r.me.as_mut(), mine) {
                    *me = true;
                }
            }
            None => entry.push(Reaction {
                emoji,
                count: 1,
                me: mine,
            }),
        }
    }
    for message in list {
        message.reactions = by_message.remove(&message.id).unwrap_or_default();
    }
    Ok(())
}

/// Where a history page starts.
#[derive(Debug, Clone, Copy)]
pub enum Anchor {
    Latest,
    Before(i64),
    After(i64),
    Around(i64),
}

pub struct HistoryPage {
    pub items: Vec<Message>,
    /// More messages in the paging direction (older for latest/before, newer for after).
    pub has_more: bool,
    pub has_older: bool,
    pub has_newer: bool,
}

/// A page of history: members read; so does anyone who can see a public room.
pub async fn history(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    anchor: Anchor,
    limit: i64,
) -> ApiResult<HistoryPage> {
    use parley_store::repo::messages::Direction;
    state
        .db(move |conn| {
            let access = authorize(conn, room_id, user_id, RoomAction::View)?;
            let floor = access.member.as_ref().map_or(0, |m| m.cleared_before_seq);
            let older = |conn: &mut DbConn,
                         below: i64,
                         n: i64|
             -> ApiResult<(Vec<(MessageRow, UserRow)>, bool)> {
                let mut rows =
                    messages::page(conn, room_id, Direction::Before(below), floor, n + 1)?;
                let more = rows.len() as i64 > n;
                rows.truncate(n as usize);
                rows.reverse();
                Ok((rows, more))
            };
            let newer = |conn: &mut DbConn,
                         above: i64,
                         n: i64|
             -> ApiResult<(Vec<(MessageRow, UserRow)>, bool)> {
                let mut rows =
                    messages::page(conn, room_id, Direction::After(above), floor, n + 1)?;
                let more = rows.len() as i64 > n;
                rows.truncate(n as usize);
                Ok((rows, more))
            };
            let (rows, has_more, has_older, has_newer) = match anchor {
                Anchor::Latest => {
                    let (rows, more) = older(conn, i64::MAX, limit)?;
                    (rows, more, more, false)
                }
                Anchor::Before(seq) => {
                    let (rows, more) = older(conn, seq, limit)?;
                    let newer_exists = access.room.last_seq >= seq;
                    (rows, more, more, newer_exists)
                }
                Anchor::After(seq) => {
                    let (rows, more) = newer(conn, seq, limit)?;
                    (rows, more, seq > floor && seq > 1, more)
                }
                Anchor::Around(seq) => {
                    let before_count = limit / 2;
                    let (mut rows, older_more) = older(conn, seq, before_count)?;
                    let (after_rows, newer_more) = newer(conn, seq - 1, limit - before_count)?;
                    rows.extend(after_rows);
                    (rows, older_more || newer_more, older_more, newer_more)
                }
            };
            let mut items: Vec<Message> =
                rows.iter().map(|(m, u)| Message::from_rows(m, u)).collect();
            attach_reactions(conn, &mut items, Some(user_id))?;
            Ok(HistoryPage {
                items,
                has_more,
                has_older,
                has_newer,
            })
        })
        .await
}

/// Replies of a thread, oldest first.
pub async fn thread(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    seq: i64,
    after: i64,
    limit: i64,
) -> ApiResult<(Message, Vec<Message>, bool)> {
    state
        .db(move |conn| {
            let access = authorize(conn, room_id, user_id, RoomAction::View)?;
            let floor = access.member.as_ref().map_or(0, |m| m.cleared_before_seq);
            let root = visible_message(conn, room_id, seq, floor)?;
            let root_author = parley_store::repo::users::find(conn, root.author_id)?;
            let mut rows = messages::thread(conn, room_id, seq, after, floor, limit + 1)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let mut items: Vec<Message> =
                rows.iter().map(|(m, u)| Message::from_rows(m, u)).collect();
            let mut root = vec![Message::from_rows(&root, &root_author)];
            attach_reactions(conn, &mut items, Some(user_id))?;
            attach_reactions(conn, &mut root, Some(user_id))?;
            Ok((root.remove(0), items, more))
        })
        .await
}

fn visible_message(conn: &mut DbConn, room_id: i64, seq: i64, floor: i64) -> ApiResult<MessageRow> {
    messages::find(conn, room_id, seq)?
        .filter(|m| m.seq > floor)
        .ok_or_else(|| ApiError::not_found("message"))
}

/// Replaces the body of one's own message; the old body goes to the edit history.
pub async fn edit(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    seq: i64,
    body: String,
) -> ApiResult<Message> {
    let body = rules::body(&body).map_err(|m| DomainError::field("body", m))?;
    let (message, events) = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<(Message, Vec<BusEvent>)> {
                let access = authorize(conn, room_id, user_id, RoomAction::View)?;
                let floor = access.member.as_ref().map_or(0, |m| m.cleared_before_seq);
                let row = visible_message(conn, room_id, seq, floor)?;
                if row.deleted_at.is_some() {
                    return Err(ApiError::not_found("message"));
                }
                if row.author_id != user_id || access.member.is_none() {
                    return Err(ApiError::Forbidden(
                        "only the author may edit a message".into(),
                    ));
                }
                let mut out = Vec::new();
                let row = if row.body == body {
                    row
                } else {
                    messages::edit(conn, &row, &body, parley_store::now())?
                };
                emit_updated(conn, &mut out, &row)?;
                let author = parley_store::repo::users::find(conn, user_id)?;
                let mut message = Message::from_rows(&row, &author);
                attach_reactions(conn, std::slice::from_mut(&mut message), Some(user_id))?;
                Ok((message, out))
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(message)
}

/// Deletes a message (its author, or a room admin): it becomes a tombstone.
pub async fn delete(state: &AppState, user_id: i64, room_id: i64, seq: i64) -> ApiResult<()> {
    let events = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<BusEvent>> {
                let access = authorize(conn, room_id, user_id, RoomAction::View)?;
                let floor = access.member.as_ref().map_or(0, |m| m.cleared_before_seq);
                let row = visible_message(conn, room_id, seq, floor)?;
                if row.deleted_at.is_some() {
                    return Err(ApiError::not_found("message"));
                }
                if row.author_id != user_id {
                    authorize(conn, room_id, user_id, RoomAction::Moderate).map_err(|_| {
                        ApiError::Forbidden(
                            "only the author or a room admin may delete a message".into(),
                        )
                    })?;
                }
                let row = messages::tombstone(conn, &row, parley_store::now())?;
                let author = parley_store::repo::users::find(conn, row.author_id)?;
                let mut out = Vec::new();
                let message = Message::from_rows(&row, &author);
                crate::service::rooms::emit(
                    conn,
                    &mut out,
                    room_id,
                    "message.deleted",
                    json!({"message": message}),
                )?;
                Ok(out)
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(())
}

/// The previous bodies of a message (members only), oldest first.
pub async fn edit_history(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    seq: i64,
) -> ApiResult<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
    state
        .db(move |conn| {
            let access = authorize(conn, room_id, user_id, RoomAction::View)?;
            let Some(member) = access.member else {
                return Err(ApiError::Forbidden("members only".into()));
            };
            let row = visible_message(conn, room_id, seq, member.cleared_before_seq)?;
            Ok(messages::edits(conn, row.id)?
                .into_iter()
                .map(|(b, at)| (b, utc(at)))
                .collect())
        })
        .await
}

/// Adds or removes the caller's reaction.
pub async fn react(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    seq: i64,
    emoji: String,
    add: bool,
) -> ApiResult<()> {
    rules::emoji(&emoji).map_err(|m| DomainError::field("emoji", m))?;
    let events = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<BusEvent>> {
                let access = authorize(conn, room_id, user_id, RoomAction::Post)?;
                let floor = access.member.as_ref().map_or(0, |m| m.cleared_before_seq);
                let row = visible_message(conn, room_id, seq, floor)?;
                if row.deleted_at.is_some() {
                    return Err(ApiError::not_found("message"));
                }
                let now = parley_store::now();
                let changed = if add {
                    messages::react(conn, row.id, user_id, &emoji, now)?
                } else {
                    messages::unreact(conn, row.id, user_id, &emoji)?
                };
                let mut out = Vec::new();
                if changed {
                    let kind = if add {
                        "reaction.added"
                    } else {
                        "reaction.removed"
                    };
                    crate::service::rooms::emit(
                        conn,
                        &mut out,
                        room_id,
                        kind,
                        json!({"seq": seq, "emoji": emoji, "user_id": user_id}),
                    )?;
                }
                Ok(out)
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(())
}

/// Pins or unpins a message (room admins).
pub async fn pin(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    seq: i64,
    pinned: bool,
) -> ApiResult<()> {
    let events = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<BusEvent>> {
                authorize(conn, room_id, user_id, RoomAction::Moderate)?;
                let row = visible_message(conn, room_id, seq, 0)?;
                if row.deleted_at.is_some() {
                    return Err(ApiError::not_found("message"));
                }
                let changed = if pinned {
                    messages::pin(conn, room_id, seq, user_id, parley_store::now())?
                } else {
                    messages::unpin(conn, room_id, seq)?
                };
                let mut out = Vec::new();
                if changed {
                    let kind = if pinned {
                        "message.pinned"
                    } else {
                        "message.unpinned"
                    };
                    crate::service::rooms::emit(
                        conn,
                        &mut out,
                        room_id,
                        kind,
                        json!({"seq": seq, "user_id": user_id}),
                    )?;
                }
                Ok(out)
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(())
}

pub async fn pins(state: &AppState, user_id: i64, room_id: i64) -> ApiResult<Vec<Message>> {
    state
        .db(move |conn| {
            let access = authorize(conn, room_id, user_id, RoomAction::View)?;
            let floor = access.member.as_ref().map_or(0, |m| m.cleared_before_seq);
            let mut items: Vec<Message> = messages::pinned(conn, room_id)?
                .iter()
                .filter(|(m, _)| m.seq > floor)
                .map(|(m, u)| Message::from_rows(m, u))
                .collect();
            attach_reactions(conn, &mut items, Some(user_id))?;
            Ok(items)
        })
        .await
}

/// Moves the caller's read position (forward only unless `force`); answers it.
pub async fn mark_read(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    seq: i64,
    force: bool,
) -> ApiResult<i64> {
    let position = state
        .db(move |conn| {
            let access = authorize(conn, room_id, user_id, RoomAction::Leave)?;
            if seq < 0 || seq > access.room.last_seq {
                return Err(DomainError::field(
                    "seq",
                    format!("must be between 0 and {}", access.room.last_seq),
                )
                .into());
            }
            Ok(members::set_read(conn, room_id, user_id, seq, force)?)
        })
        .await?;
    let frame = json!({"type": "read", "room_id": room_id, "user_id": user_id, "seq": position})
        .to_string();
    state.bus.publish(BusEvent::Ephemeral {
        room_id,
        frame: frame.into(),
        audience: Default::default(),
    });
    Ok(position)
}

/// Hides the room's history up to now, for the caller only.
pub async fn clear(state: &AppState, user_id: i64, room_id: i64) -> ApiResult<MemberRow> {
    state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<MemberRow> {
                let access = authorize(conn, room_id, user_id, RoomAction::Leave)?;
                let member = members::clear(conn, room_id, user_id, access.room.last_seq)?;
                notifications::clear_room(conn, user_id, room_id, access.room.last_seq)?;
                Ok(member)
            })
        })
        .await
}

/// Search hits: the message and where the words matched (character offsets).
pub struct Hit {
    pub message: Message,
    pub highlights: Vec<(usize, usize)>,
}

pub async fn search(
    state: &AppState,
    user_id: i64,
    room_id: Option<i64>,
    q: String,
    offset: i64,
    limit: i64,
) -> ApiResult<Vec<Hit>> {
    state
        .db(move |conn| {
            if let Some(room_id) = room_id {
                authorize(conn, room_id, user_id, RoomAction::Leave)?;
            }
            // SQLite indexes behind the send path: what was acknowledged is found.
            if parley_store::repo::search::lagging(conn)? {
                write_tx(conn, |conn| {
                    parley_store::repo::search::catch_up(conn).map_err(ApiError::from)
                })?;
            }
            let ids =
                parley_store::repo::search::search(conn, user_id, room_id, &q, offset, limit)?;
            let mut found: HashMap<i64, Message> = messages::by_ids(conn, &ids)?
                .iter()
                .map(|(m, u)| (m.id, Message::from_rows(m, u)))
                .collect();
            let mut ordered: Vec<Message> = ids.iter().filter_map(|id| found.remove(id)).collect();
            attach_reactions(conn, &mut ordered, Some(user_id))?;
            let words: Vec<String> = q
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect();
            Ok(ordered
                .into_iter()
                .map(|message| Hit {
                    highlights: highlights(&message.body, &words),
                    message,
                })
                .collect())
        })
        .await
}

/// Character ranges of the words of `body` equal to one of `words`, ignoring case.
fn highlights(body: &str, words: &[String]) -> Vec<(usize, usize)> {
    let chars: Vec<char> = body.chars().collect();
    let mut ranges = Vec::new();
    let mut start = None;
    for (i, c) in chars.iter().chain(std::iter::once(&' ')).enumerate() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let word: String = chars[s..i].iter().collect::<String>().to_lowercase();
                if words.contains(&word) {
                    ranges.push((s, i));
                }
                start = None;
            }
            _ => {}
        }
    }
    ranges
}

/// Sets the caller's notification level for a room (`None`: the default).
pub async fn set_notify(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    notify: Option<String>,
) -> ApiResult<MemberRow> {
    state
        .db(move |conn| {
            authorize(conn, room_id, user_id, RoomAction::Leave)?;
            Ok(members::set_notify(
                conn,
                room_id,
                user_id,
                notify.as_deref(),
            )?)
        })
        .await
}

/// Each member's read position (for "seen by").
pub async fn reads(state: &AppState, user_id: i64, room_id: i64) -> ApiResult<Vec<(i64, i64)>> {
    state
        .db(move |conn| {
            authorize(conn, room_id, user_id, RoomAction::View)?;
            Ok(members::read_positions(conn, room_id)?)
        })
        .await
}
