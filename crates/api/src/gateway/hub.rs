//! The per-instance registry of sockets and the ordered fan-out of room events
//! (DESIGN §2–3). Each room with local listeners keeps the last `event_seq` it
//! dispatched: the next one goes out at once, one that jumps ahead waits briefly for the
//! gap to fill, and then the gap is read from the room's event log. Frames are shared
//! bytes, handed to every recipient's bounded queue; no lock is held while sending. One
//! thread (the dispatcher's) dispatches and hands each worker thread its sockets' pushes
//! in dispatch order ([`super::lane`]), so no two dispatches' sends interleave.
//!
//! Membership changes take effect at their place in that order, not when their bus
//! message arrives (another instance's may come before the room's events): a leave ends
//! delivery when its `member.left` goes out, a join that the room has not reached yet
//! attaches the user's sockets when its `member.joined` does. A deletion goes out at
//! once, after whatever the slot holds: its gap went with the room's log.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use parley_realtime::{Audience, BusEvent, Interest, RemoteSink, RoomEffect};
use parley_store::Db;
use tokio::sync::{Notify, mpsc};

use super::lane::{Group, Lane, Pushes, groups};
use super::wire::{Frame, Sink};

pub type ConnId = u64;

/// How long an out-of-order event waits for the events before it.
const GAP_WAIT: Duration = Duration::from_millis(50);

/// What the hub hands a connection.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A persistent room event, in `event_seq` order per room.
    Room {
        room_id: i64,
        event_seq: i64,
        frame: Frame,
    },
    /// Anything else (ephemeral room events, user events).
    Frame(Frame),
    /// The user joined `room_id`: deliver it from `event_seq` (the join event) on.
    Joined { room_id: i64, event_seq: i64 },
    /// The user no longer receives `room_id` after `event_seq` (their `member.left`,
    /// queued just before this).
    Left { room_id: i64, event_seq: i64 },
    /// The room was deleted, its log with it: `frame` (`room.deleted`) goes out after
    /// whatever the socket still holds of the room, and delivery ends.
    Gone { room_id: i64, frame: Frame },
}

/// The sending side of one socket, as the hub sees it.
#[derive(Clone)]
pub struct ConnHandle {
    pub id: ConnId,
    pub user_id: i64,
    pub session_id: i64,
    queue: Arc<ConnQueue>,
    /// Opened with the `presence.batch` capability.
    presence_batch: bool,
    /// The worker thread the socket lives on, where its pushes run.
    pub(super) lane: Option<Arc<Lane>>,
}

/// A close request: the code, and a wake-up for the socket task.
#[derive(Default)]
pub struct Kill {
    pub code: AtomicU16,
    pub notify: Notify,
}

/// Frames a drained queue keeps room for; a burst's larger buffer is given back.
const QUEUE_KEEP: usize = 8;

/// One socket's outbound queue, shared by the hub's handle and the socket's inbox:
/// bounded in frames and in bytes, and allocating nothing until a frame is queued (a
/// tokio channel took ~2 KiB per socket at creation, idle or not). One allocation holds
/// the queue, its byte count and the close request.
pub struct ConnQueue {
    items: Mutex<Items>,
    ready: Notify,
    max_frames: usize,
    max_bytes: usize,
    /// Bytes of the frames queued and not yet written.
    pub queued_bytes: AtomicUsize,
    pub kill: Kill,
    /// The socket's wire, for frames that need nothing from the socket task.
    wire: Option<Sink>,
}

#[derive(Default)]
struct Items {
    frames: VecDeque<Outbound>,
    /// The socket task is gone: nothing is queued any more.
    closed: bool,
    /// Frames go straight to the wire: the socket task said every room of the socket is
    /// live and no send awaits its ack, and nothing is queued here since.
    direct: bool,
}

impl ConnQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Items> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `item` (`len` bytes) unless the queue is full or closed.
    fn try_push(&self, item: &Outbound, len: usize) -> bool {
        {
            let mut items = self.lock();
            if items.closed {
                return false;
            }
            if items.direct {
                if let (Outbound::Room { frame, .. } | Outbound::Frame(frame), Some(wire)) =
                    (item, &self.wire)
                    && wire.try_push(frame)
                {
                    return true;
                }
                // A full wire, a join or a leave: this and what follows wait for the
                // socket task, in order.
                items.direct = false;
            }
            if items.frames.len() >= self.max_frames {
                return false;
            }
            items.frames.push_back(item.clone());
            // Counted before the socket task can take it, so the count never underflows.
            self.queued_bytes.fetch_add(len, Ordering::Relaxed);
        }
        self.ready.notify_one();
        true
    }

    /// The next item, if one is queued.
    pub fn try_recv(&self) -> Option<Outbound> {
        let mut items = self.lock();
        let item = items.frames.pop_front();
        if items.frames.is_empty() && items.frames.capacity() > QUEUE_KEEP {
            items.frames = VecDeque::new();
        }
        item
    }

    /// Lets the hub write frames straight to the wire if nothing is queued: the socket
    /// task's promise that no room is replaying its log (no frame needs its cursor) and
    /// no send awaits its ack (which goes out before the sender's copy of the message).
    /// The socket task then wakes only for joins, leaves, sends and a full wire.
    pub fn go_direct(&self) {
        let mut items = self.lock();
        if self.wire.is_some() && items.frames.is_empty() && !items.closed {
            items.direct = true;
        }
    }

    /// The socket task takes the frames again (it has a send awaiting its ack).
    pub fn stop_direct(&self) {
        self.lock().direct = false;
    }

    /// Waits for the next item. Cancel-safe: an item is taken only when answered.
    pub async fn recv(&self) -> Outbound {
        loop {
            // A push between this check and the wait leaves a permit: no wake-up is lost.
            if let Some(item) = self.try_recv() {
                return item;
            }
            self.ready.notified().await;
        }
    }

    /// Accounts a frame as written.
    pub fn sent(&self, item: &Outbound) {
        if let Outbound::Room { frame, .. } | Outbound::Frame(frame) = item {
            self.queued_bytes.fetch_sub(frame.len(), Ordering::Relaxed);
        }
    }
}

impl ConnHandle {
    /// Queues a frame; a full queue (by count or bytes) closes the socket with 4008
    /// instead of growing memory. Ephemeral frames are simply dropped when full.
    pub(super) fn push(&self, item: &Outbound, droppable: bool) {
        let len = match item {
            Outbound::Room { frame, .. } | Outbound::Frame(frame) => frame.len(),
            _ => 0,
        };
        let over = self.queue.queued_bytes.load(Ordering::Relaxed) + len > self.queue.max_bytes;
        if over && droppable {
            return;
        }
        if (over || !self.queue.try_push(item, len)) && !droppable {
            self.close(4008);
        }
    }

    /// See [`ConnQueue::go_direct`].
    pub fn go_direct(&self) {
        self.queue.go_direct();
    }

    /// See [`ConnQueue::stop_direct`].
    pub fn stop_direct(&self) {
        self.queue.stop_direct();
    }

    pub fn close(&self, code: u16) {
        let kill = &self.queue.kill;
        if kill
            .code
            .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            kill.notify.notify_one();
        }
    }
}

/// The receiving side, owned by the socket task: the queue's `recv`, `sent`,
/// `queued_bytes` and `kill`.
pub struct ConnInbox {
    queue: Arc<ConnQueue>,
}

impl std::ops::Deref for ConnInbox {
    type Target = ConnQueue;

    fn deref(&self) -> &ConnQueue {
        &self.queue
    }
}

impl Drop for ConnInbox {
    /// Frees what is still queued; handles the hub still holds queue nothing more.
    fn drop(&mut self) {
        let mut items = self.queue.lock();
        items.closed = true;
        items.direct = false;
        items.frames = VecDeque::new();
    }
}

struct RoomSlot {
    conns: HashSet<ConnId>,
    /// How many of `conns` take the contract's presence frames (no `presence.batch`):
    /// a presence frame meant only for one kind skips the rooms holding none of it.
    plain: usize,
    last: i64,
    pending: BTreeMap<i64, (Frame, RoomEffect)>,
    filling: bool,
    /// Joins (`event_seq`, user) this slot has not dispatched yet: the user's sockets are
    /// attached when their join event goes out, after any leave of theirs before it.
    joining: Vec<(i64, i64)>,
    /// The room's deletion waits in `pending`: it goes out without waiting for a gap
    /// before it, which the log (deleted with the room) can no longer fill.
    deleting: bool,
    /// `conns`' handles by lane, as dispatch hands events to them, made at the first
    /// event after a change of `conns`: a reference counted per event and lane instead of
    /// a lookup and a clone per socket (4 % of the server's time in the fan-out profile).
    targets: Option<Arc<[Group]>>,
}

#[derive(Default)]
struct Inner {
    conns: HashMap<ConnId, (ConnHandle, HashSet<i64>)>,
    rooms: HashMap<i64, RoomSlot>,
    users: HashMap<i64, HashSet<ConnId>>,
}

pub struct Hub {
    inner: Mutex<Inner>,
    db: Db,
    next_id: AtomicU64,
    /// Told when a room or user gains its first or loses its last local socket.
    interest: Mutex<Option<mpsc::UnboundedSender<Interest>>>,
    pub queue_frames: usize,
    pub queue_bytes: usize,
    metrics: Arc<crate::metrics::Metrics>,
    /// This instance's group commit of sends (`service::messages`).
    pub(crate) sends: crate::service::messages::SendQueue,
    /// Presence transitions waiting for the next tick.
    pub(crate) presence: super::presence::PresenceBatch,
    /// The dispatcher's runtime. Fills run there too, so one thread dispatches every
    /// room event: two dispatches of a room never interleave their pushes (which each
    /// socket's lane runs after the lock is released, in the order the passes were
    /// flushed) and a socket gets each room's events in order.
    dispatcher: std::sync::OnceLock<tokio::runtime::Handle>,
}

impl Hub {
    pub fn new(db: Db, queue_bytes: usize, metrics: Arc<crate::metrics::Metrics>) -> Arc<Self> {
        Arc::new(Hub {
            sends: crate::service::messages::SendQueue::new(db.backend()),
            presence: Default::default(),
            inner: Mutex::new(Inner::default()),
            db,
            next_id: AtomicU64::new(1),
            interest: Mutex::new(None),
            queue_frames: 4096,
            queue_bytes,
            metrics,
            dispatcher: std::sync::OnceLock::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reports interest changes to `tx` (the Redis subscriber), starting with the
    /// current set.
    pub fn watch_interest(&self, tx: mpsc::UnboundedSender<Interest>) {
        let inner = self.lock();
        for room in inner.rooms.keys() {
            let _ = tx.send(Interest::Room(*room, true));
        }
        for user in inner.users.keys() {
            let _ = tx.send(Interest::User(*user, true));
        }
        *self.interest.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
    }

    fn tell(&self, changes: Vec<Interest>) {
        if let Some(tx) = self
            .interest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            for change in changes {
                let _ = tx.send(change);
            }
        }
    }

    pub fn connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// This instance's sockets in a room.
    pub fn room_sockets(&self, room_id: i64) -> usize {
        self.lock().rooms.get(&room_id).map_or(0, |r| r.conns.len())
    }

    /// The sessions with a socket on this instance.
    pub fn live_sessions(&self) -> Vec<i64> {
        let inner = self.lock();
        let sessions: HashSet<i64> = inner.conns.values().map(|(h, _)| h.session_id).collect();
        sessions.into_iter().collect()
    }

    /// Closes (4003) every socket of the given sessions.
    pub fn close_sessions(&self, session_ids: &HashSet<i64>) {
        let handles: Vec<ConnHandle> = {
            let inner = self.lock();
            inner
                .conns
                .values()
                .filter(|(h, _)| session_ids.contains(&h.session_id))
                .map(|(h, _)| h.clone())
                .collect()
        };
        for handle in handles {
            handle.close(4003);
        }
    }

    pub fn user_connections(&self, user_id: i64) -> usize {
        self.lock().users.get(&user_id).map_or(0, HashSet::len)
    }

    /// Registers a socket receiving `rooms` (each with its `last_event_seq` as read when
    /// the socket was set up). Answers the handle's inbox.
    pub fn register(
        self: &Arc<Self>,
        user_id: i64,
        session_id: i64,
        rooms: &[(i64, i64)],
    ) -> (ConnHandle, ConnInbox) {
        self.register_with(user_id, session_id, rooms, false, None, None)
    }

    /// `register`, for a socket that asked for batched presence or not, writing to `wire`
    /// (frames go through the socket task's inbox only when no wire is given), its
    /// pushes run on `lane` (on the dispatching thread without one).
    pub fn register_with(
        self: &Arc<Self>,
        user_id: i64,
        session_id: i64,
        rooms: &[(i64, i64)],
        presence_batch: bool,
        wire: Option<Sink>,
        lane: Option<Arc<Lane>>,
    ) -> (ConnHandle, ConnInbox) {
        let queue = Arc::new(ConnQueue {
            wire,
            items: Mutex::default(),
            ready: Notify::new(),
            max_frames: self.queue_frames,
            max_bytes: self.queue_bytes,
            queued_bytes: AtomicUsize::new(0),
            kill: Kill::default(),
        });
        let handle = ConnHandle {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            user_id,
            session_id,
            queue: queue.clone(),
            presence_batch,
            lane,
        };
        let mut changes = Vec::new();
        let mut new_rooms = Vec::new();
        {
            let mut inner = self.lock();
            let users = inner.users.entry(user_id).or_default();
            if users.is_empty() {
                changes.push(Interest::User(user_id, true));
            }
            users.insert(handle.id);
            inner
                .conns
                .insert(handle.id, (handle.clone(), HashSet::new()));
            for (room_id, last) in rooms {
                if Self::attach(&mut inner, handle.id, *room_id, *last) {
                    changes.push(Interest::Room(*room_id, true));
                    new_rooms.push(*room_id);
                }
            }
        }
        self.tell(changes);
        for room_id in new_rooms {
            // Catch up whatever was published between reading `last` and listening.
            self.schedule_fill(room_id, Duration::ZERO);
        }
        (handle, ConnInbox { queue })
    }

    /// Adds a connection to a room slot; true when the slot is new.
    fn attach(inner: &mut Inner, conn: ConnId, room_id: i64, last: i64) -> bool {
        let mut created = false;
        let slot = inner.rooms.entry(room_id).or_insert_with(|| {
            created = true;
            RoomSlot {
                conns: HashSet::new(),
                plain: 0,
                last,
                pending: BTreeMap::new(),
                filling: false,
                joining: Vec::new(),
                deleting: false,
                targets: None,
            }
        });
        let plain = inner
            .conns
            .get(&conn)
            .is_some_and(|(h, _)| !h.presence_batch);
        if slot.conns.insert(conn) {
            slot.targets = None;
            if plain {
                slot.plain += 1;
            }
        }
        if let Some((_, rooms)) = inner.conns.get_mut(&conn) {
            rooms.insert(room_id);
        }
        created
    }

    /// Removes a connection from a room; answers the interest change if the room emptied.
    fn detach(inner: &mut Inner, conn: ConnId, room_id: i64) -> Option<Interest> {
        let plain = match inner.conns.get_mut(&conn) {
            Some((handle, rooms)) => {
                rooms.remove(&room_id);
                !handle.presence_batch
            }
            None => false,
        };
        Self::detach_from_slot(inner, conn, room_id, plain)
    }

    /// `detach`'s part on the room's side (also for a connection already unregistered).
    fn detach_from_slot(
        inner: &mut Inner,
        conn: ConnId,
        room_id: i64,
        plain: bool,
    ) -> Option<Interest> {
        let slot = inner.rooms.get_mut(&room_id)?;
        if slot.conns.remove(&conn) {
            slot.targets = None;
            if plain {
                slot.plain -= 1;
            }
        }
        // A join still to be dispatched keeps the slot (and its pending events).
        if slot.conns.is_empty() && slot.joining.is_empty() {
            inner.rooms.remove(&room_id);
            return Some(Interest::Room(room_id, false));
        }
        None
    }

    pub fn unregister(&self, conn: ConnId) {
        let mut changes = Vec::new();
        {
            let mut inner = self.lock();
            let Some((handle, rooms)) = inner.conns.remove(&conn) else {
                return;
            };
            for room_id in rooms {
                changes.extend(Self::detach_from_slot(
                    &mut inner,
                    conn,
                    room_id,
                    !handle.presence_batch,
                ));
            }
            if let Some(users) = inner.users.get_mut(&handle.user_id) {
                users.remove(&conn);
                if users.is_empty() {
                    inner.users.remove(&handle.user_id);
                    changes.push(Interest::User(handle.user_id, false));
                }
            }
        }
        self.tell(changes);
    }

    /// A dispatch pass's pushes, to be flushed before the dispatching task yields.
    pub fn pushes(&self) -> Pushes {
        Pushes::new(self.metrics.clone())
    }

    /// Feeds one bus event (from this instance or another) to the local sockets.
    pub fn dispatch(self: &Arc<Self>, event: &BusEvent) {
        let mut out = self.pushes();
        self.dispatch_into(event, &mut out);
        let _ = out.flush();
    }

    /// `dispatch`, with the pushes gathered in `out` (one pass over several events).
    pub fn dispatch_into(self: &Arc<Self>, event: &BusEvent, out: &mut Pushes) {
        match event {
            BusEvent::Room {
                room_id,
                event_seq,
                frame,
                effect,
            } => self.dispatch_room(*room_id, *event_seq, Frame::text(frame), *effect, out),
            BusEvent::Ephemeral {
                room_id,
                frame,
                audience,
            } => {
                let frame = Outbound::Frame(Frame::text(frame));
                out.add(
                    &groups(self.room_audience(*room_id, *audience)),
                    &frame,
                    true,
                );
            }
            BusEvent::User { user_ids, frame } => {
                let frame = Outbound::Frame(Frame::text(frame));
                out.add(&groups(self.user_conns(user_ids)), &frame, false);
            }
            BusEvent::Membership {
                room_id,
                user_id,
                member: true,
                event_seq,
            } => self.join(*user_id, *room_id, *event_seq, out),
            BusEvent::Membership {
                room_id,
                member: false,
                event_seq,
                ..
            } => self.leave(*room_id, *event_seq),
            BusEvent::SessionsRevoked {
                user_id,
                session_ids,
            } => {
                for handle in self.user_conns(&[*user_id]) {
                    if session_ids.contains(&handle.session_id) {
                        handle.close(4003);
                    }
                }
            }
        }
    }

    /// The room's sockets an ephemeral frame is for. A presence burst sends each room a
    /// frame per changed user for the sockets without `presence.batch`: a room without
    /// such sockets is skipped whole, and only the wanted handles are cloned.
    fn room_audience(&self, room_id: i64, audience: Audience) -> Vec<ConnHandle> {
        let inner = self.lock();
        let Some(slot) = inner.rooms.get(&room_id) else {
            return Vec::new();
        };
        let none = match audience {
            Audience::Everyone => false,
            Audience::PresenceBatch => slot.plain == slot.conns.len(),
            Audience::PlainPresence => slot.plain == 0,
        };
        if none {
            return Vec::new();
        }
        slot.conns
            .iter()
            .filter_map(|c| inner.conns.get(c).map(|(h, _)| h))
            .filter(|h| match audience {
                Audience::Everyone => true,
                Audience::PresenceBatch => h.presence_batch,
                Audience::PlainPresence => !h.presence_batch,
            })
            .cloned()
            .collect()
    }

    fn user_conns(&self, user_ids: &[i64]) -> Vec<ConnHandle> {
        let inner = self.lock();
        user_ids
            .iter()
            .filter_map(|u| inner.users.get(u))
            .flatten()
            .filter_map(|c| inner.conns.get(c).map(|(h, _)| h.clone()))
            .collect()
    }

    fn dispatch_room(
        self: &Arc<Self>,
        room_id: i64,
        event_seq: i64,
        frame: Frame,
        effect: RoomEffect,
        out: &mut Pushes,
    ) {
        let mut delivered = 0u64;
        let mut changes = Vec::new();
        let mut gap = false;
        {
            let mut inner = self.lock();
            let inner = &mut *inner;
            let Some(slot) = inner.rooms.get_mut(&room_id) else {
                return;
            };
            if event_seq <= slot.last {
                return; // a duplicate
            }
            if matches!(effect, RoomEffect::Deleted) {
                slot.deleting = true;
            }
            slot.pending.insert(event_seq, (frame, effect));
            // Dispatch everything that is now contiguous.
            while let Some(slot) = inner.rooms.get_mut(&room_id) {
                let next = slot.last + 1;
                let (seq, (frame, effect)) = match slot.pending.remove(&next) {
                    Some(entry) => (next, entry),
                    // What is missing before a deletion went with the room's log.
                    None if slot.deleting => match slot.pending.pop_first() {
                        Some(entry) => entry,
                        None => break,
                    },
                    None => {
                        gap = !slot.pending.is_empty();
                        break;
                    }
                };
                slot.last = seq;
                if !slot.joining.is_empty() {
                    let joiners: Vec<i64> = slot
                        .joining
                        .iter()
                        .filter(|(at, _)| *at == seq)
                        .map(|(_, user)| *user)
                        .collect();
                    slot.joining.retain(|(at, _)| *at > seq);
                    for user_id in joiners {
                        let (joined, _) = Self::attach_user(inner, user_id, room_id, seq);
                        let item = Outbound::Joined {
                            room_id,
                            event_seq: seq,
                        };
                        out.add(&groups(joined), &item, false);
                    }
                }
                let Some(slot) = inner.rooms.get_mut(&room_id) else {
                    break;
                };
                if slot.conns.is_empty() && slot.joining.is_empty() {
                    // Kept for a join whose user has no socket here any more.
                    inner.rooms.remove(&room_id);
                    changes.push(Interest::Room(room_id, false));
                    break;
                }
                let conns = &inner.conns;
                let targets = slot
                    .targets
                    .get_or_insert_with(|| {
                        groups(
                            slot.conns
                                .iter()
                                .filter_map(|c| conns.get(c).map(|(h, _)| h.clone())),
                        )
                        .into()
                    })
                    .clone();
                delivered += targets.iter().map(Group::len).sum::<usize>() as u64;
                match effect {
                    RoomEffect::None => {
                        let item = Outbound::Room {
                            room_id,
                            event_seq: seq,
                            frame,
                        };
                        out.add(&targets, &item, false);
                    }
                    RoomEffect::Removes(user_id) => {
                        let item = Outbound::Room {
                            room_id,
                            event_seq: seq,
                            frame,
                        };
                        out.add(&targets, &item, false);
                        let leaving: Vec<ConnId> = inner
                            .users
                            .get(&user_id)
                            .into_iter()
                            .flatten()
                            .filter(|c| slot.conns.contains(c))
                            .copied()
                            .collect();
                        let mut told = Vec::with_capacity(leaving.len());
                        for conn in leaving {
                            if let Some((handle, _)) = inner.conns.get(&conn) {
                                told.push(handle.clone());
                            }
                            changes.extend(Self::detach(inner, conn, room_id));
                        }
                        let item = Outbound::Left {
                            room_id,
                            event_seq: seq,
                        };
                        out.add(&groups(told), &item, false);
                    }
                    RoomEffect::Deleted => {
                        out.add(&targets, &Outbound::Gone { room_id, frame }, false);
                        let conns: Vec<ConnId> = slot.conns.iter().copied().collect();
                        for conn in conns {
                            changes.extend(Self::detach(inner, conn, room_id));
                        }
                        break;
                    }
                }
            }
        }
        if delivered > 0 {
            self.metrics.events_fanned_out.inc_by(delivered);
        }
        self.tell(changes);
        if gap {
            self.schedule_fill(room_id, GAP_WAIT);
        }
    }

    /// After `wait`, reads the room's log past the last dispatched seq and dispatches it.
    pub fn schedule_fill(self: &Arc<Self>, room_id: i64, wait: Duration) {
        {
            let mut inner = self.lock();
            let Some(slot) = inner.rooms.get_mut(&room_id) else {
                return;
            };
            if slot.filling {
                return;
            }
            slot.filling = true;
        }
        let hub = self.clone();
        let fill = async move {
            if !wait.is_zero() {
                actix_web::rt::time::sleep(wait).await;
            }
            hub.fill(room_id).await;
        };
        match self.dispatcher.get() {
            Some(runtime) => drop(runtime.spawn(fill)),
            None => drop(actix_web::rt::spawn(fill)),
        }
    }

    /// Runs fills on the calling thread's runtime from now on: the thread that
    /// dispatches the bus's events (see `dispatcher`).
    pub fn dispatch_here(&self) {
        let _ = self.dispatcher.set(tokio::runtime::Handle::current());
    }

    async fn fill(self: &Arc<Self>, room_id: i64) {
        let after = {
            let mut inner = self.lock();
            let Some(slot) = inner.rooms.get_mut(&room_id) else {
                return;
            };
            slot.filling = false;
            slot.last
        };
        let db = self.db.clone();
        let read = actix_web::web::block(move || -> Result<_, parley_store::StoreError> {
            let mut conn = db.get()?;
            let rows = parley_store::repo::events::list_after(&mut conn, room_id, after, 1000)?;
            // Nothing new: the room may be gone, its log and `room.deleted` with it.
            let gone = rows.is_empty()
                && parley_store::repo::rooms::find_optional(&mut conn, room_id)?.is_none();
            Ok((rows, gone))
        })
        .await;
        let rows = match read {
            Ok(Ok((_, true))) => {
                // The deletion's event never reached this instance: end delivery as it would.
                let seq = {
                    let inner = self.lock();
                    let Some(slot) = inner.rooms.get(&room_id) else {
                        return;
                    };
                    slot.pending
                        .keys()
                        .next_back()
                        .copied()
                        .unwrap_or(slot.last)
                        + 1
                };
                let frame = parley_store::repo::events::frame(
                    room_id,
                    seq,
                    "room.deleted",
                    serde_json::json!({}),
                );
                let mut out = self.pushes();
                self.dispatch_room(
                    room_id,
                    seq,
                    Frame::text(&frame.to_string()),
                    RoomEffect::Deleted,
                    &mut out,
                );
                let _ = out.flush();
                return;
            }
            Ok(Ok((rows, false))) => rows,
            Ok(Err(err)) => {
                tracing::warn!(room_id, error = %err, "event log read failed; retrying");
                self.schedule_fill(room_id, Duration::from_millis(500));
                return;
            }
            Err(_) => return,
        };
        let full = rows.len() == 1000;
        self.metrics.events_from_log.inc_by(rows.len() as u64);
        let mut out = self.pushes();
        for row in rows {
            let effect = effect_of(&row.kind, &row.payload);
            let frame = Frame::text(&row.payload);
            self.dispatch_room(room_id, row.event_seq, frame, effect, &mut out);
        }
        let _ = out.flush();
        if full {
            self.schedule_fill(room_id, Duration::ZERO);
        }
    }

    /// Catches every subscribed room up from the log (after a Redis reconnection).
    pub fn fill_all(self: &Arc<Self>) {
        let rooms: Vec<i64> = self.lock().rooms.keys().copied().collect();
        for room_id in rooms {
            self.schedule_fill(room_id, Duration::ZERO);
        }
    }

    /// The user's sockets start receiving `room_id` from the join event at `event_seq`:
    /// at once if the hub is past it (the sockets read what they missed from the log),
    /// else when it is dispatched, after what comes before it (a leave among it).
    fn join(self: &Arc<Self>, user_id: i64, room_id: i64, event_seq: i64, out: &mut Pushes) {
        let mut changes = Vec::new();
        let mut fill = None;
        let mut told = Vec::new();
        {
            let mut inner = self.lock();
            let inner = &mut *inner;
            match inner.rooms.get_mut(&room_id) {
                Some(slot) if event_seq > slot.last => {
                    slot.joining.push((event_seq, user_id));
                    if !slot.pending.contains_key(&event_seq) {
                        fill = Some(GAP_WAIT); // unless its event comes by then
                    }
                }
                _ => {
                    let created;
                    (told, created) = Self::attach_user(inner, user_id, room_id, event_seq - 1);
                    if created {
                        changes.push(Interest::Room(room_id, true));
                        fill = Some(Duration::ZERO);
                    }
                }
            }
        }
        out.add(
            &groups(told),
            &Outbound::Joined { room_id, event_seq },
            false,
        );
        self.tell(changes);
        if let Some(wait) = fill {
            self.schedule_fill(room_id, wait);
        }
    }

    /// Attaches the user's sockets not yet in the room; answers their handles, and
    /// whether that created the room's slot (at `last`).
    fn attach_user(
        inner: &mut Inner,
        user_id: i64,
        room_id: i64,
        last: i64,
    ) -> (Vec<ConnHandle>, bool) {
        let conns: Vec<ConnId> = inner
            .users
            .get(&user_id)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        let mut attached = Vec::new();
        let mut created = false;
        for conn in conns {
            let already = inner
                .conns
                .get(&conn)
                .is_some_and(|(_, rooms)| rooms.contains(&room_id));
            if already {
                continue;
            }
            created |= Self::attach(inner, conn, room_id, last);
            if let Some((handle, _)) = inner.conns.get(&conn) {
                attached.push(handle.clone());
            }
        }
        (attached, created)
    }

    /// The user left `room_id` at `event_seq`. Delivery ends when that event is
    /// dispatched (its `RoomEffect`), in order after what came before it; this only
    /// hurries a hub that has not seen it yet to read it from the log.
    fn leave(self: &Arc<Self>, room_id: i64, event_seq: i64) {
        let behind = self
            .lock()
            .rooms
            .get(&room_id)
            .is_some_and(|slot| slot.last < event_seq);
        if behind {
            self.schedule_fill(room_id, GAP_WAIT);
        }
    }

    /// Closes every socket (1001 on shutdown).
    pub fn close_all(&self, code: u16) {
        let handles: Vec<ConnHandle> = self.lock().conns.values().map(|(h, _)| h.clone()).collect();
        for handle in handles {
            handle.close(code);
        }
    }
}

/// The delivery effect of a logged event, for events read back from the log.
pub fn effect_of(kind: &str, frame: &str) -> RoomEffect {
    match kind {
        "member.left" => serde_json::from_str::<serde_json::Value>(frame)
            .ok()
            .and_then(|v| v["user_id"].as_i64())
            .map_or(RoomEffect::None, RoomEffect::Removes),
        "room.deleted" => RoomEffect::Deleted,
        _ => RoomEffect::None,
    }
}

/// Events from other instances enter the hub here.
pub struct HubSink(pub Arc<Hub>);

impl RemoteSink for HubSink {
    fn deliver(&self, events: Vec<BusEvent>) {
        let mut out = self.0.pushes();
        for event in &events {
            self.0.dispatch_into(event, &mut out);
        }
        let _ = out.flush();
    }

    fn subscribed(&self, room_id: Option<i64>) {
        match room_id {
            Some(room_id) => self.0.schedule_fill(room_id, Duration::ZERO),
            None => self.0.fill_all(),
        }
    }
}
