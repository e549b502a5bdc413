//! Fan-out across instances through Redis pub/sub (DESIGN §4): per-room and per-user
//! channels under `PARLEY_REDIS_PREFIX`, a small pool for publishing, and **one
//! subscriber connection per instance** subscribed to exactly the rooms and users with
//! local sockets. Redis pub/sub is at-most-once; what it loses, the receiving side
//! heals from the room's event log (on the next event's gap, and on every
//! (re)subscription).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_redis::redis::{self, AsyncCommands};
use futures_util::{FutureExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::bus::BusEvent;

/// Changes of what an instance listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    Room(i64, bool),
    User(i64, bool),
}

/// Where events from other instances go (the hub).
pub trait RemoteSink: Send + Sync + 'static {
    /// Events in the order the subscriber read them: every one it had at hand, so the
    /// sink can serve them in one pass.
    fn deliver(&self, events: Vec<BusEvent>);
    /// A room channel (or, with `None`, every channel after a reconnection) is now
    /// subscribed: read the log for what may have passed meanwhile.
    fn subscribed(&self, room_id: Option<i64>);
}

#[derive(Deserialize)]
struct Envelope {
    /// The publishing instance: it serves its own sockets directly.
    o: String,
    e: BusEvent,
}

/// [`Envelope`] as published, borrowing the event.
#[derive(Serialize)]
struct EnvelopeRef<'a> {
    o: &'a str,
    e: &'a BusEvent,
}

/// Events published in one pipeline (one round trip), and read from the subscription
/// before they are handed on, at most.
const BATCH: usize = 256;

/// One instance's link to Redis.
pub struct RedisLink {
    pub url: String,
    pub prefix: String,
    pub instance: String,
    pub pool: deadpool_redis::Pool,
    publish_rx: Mutex<Option<mpsc::Receiver<Arc<BusEvent>>>>,
    publish_tx: mpsc::Sender<Arc<BusEvent>>,
    subscribed: AtomicBool,
}

impl RedisLink {
    pub fn new(url: &str, prefix: &str) -> Result<Arc<Self>, crate::RealtimeError> {
        let pool = crate::redis_pool(url)?;
        let (publish_tx, publish_rx) = mpsc::channel(65_536);
        Ok(Arc::new(RedisLink {
            url: url.to_owned(),
            prefix: prefix.to_owned(),
            instance: format!("{:016x}", rand_u64()),
            pool,
            publish_rx: Mutex::new(Some(publish_rx)),
            publish_tx,
            subscribed: AtomicBool::new(false),
        }))
    }

    /// The queue the bus forwards events into.
    pub fn publisher(&self) -> mpsc::Sender<Arc<BusEvent>> {
        self.publish_tx.clone()
    }

    /// Whether the subscriber connection is up.
    pub fn is_subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    pub fn room_channel(&self, room_id: i64) -> String {
        format!("{}:room:{room_id}", self.prefix)
    }

    pub fn user_channel(&self, user_id: i64) -> String {
        format!("{}:user:{user_id}", self.prefix)
    }

    fn channels(&self, event: &BusEvent) -> Vec<String> {
        match event {
            BusEvent::Room { room_id, .. } | BusEvent::Ephemeral { room_id, .. } => {
                vec![self.room_channel(*room_id)]
            }
            BusEvent::User { user_ids, .. } => {
                user_ids.iter().map(|u| self.user_channel(*u)).collect()
            }
            BusEvent::Membership { user_id, .. } | BusEvent::SessionsRevoked { user_id, .. } => {
                vec![self.user_channel(*user_id)]
            }
        }
    }

    /// Publishes queued events until the bus goes away, all that are queued in one
    /// pipeline: one round trip however many events a group commit released at once.
    /// A failed publish is logged and dropped: this instance's own sockets were already
    /// served, and other instances heal the gap from the room's log.
    pub async fn run_publisher(self: Arc<Self>) {
        let Some(mut rx) = self
            .publish_rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return;
        };
        let mut events = Vec::with_capacity(BATCH);
        while rx.recv_many(&mut events, BATCH).await > 0 {
            let mut pipe = redis::pipe();
            for event in events.drain(..) {
                let envelope = EnvelopeRef {
                    o: &self.instance,
                    e: &event,
                };
                let Ok(payload) = serde_json::to_string(&envelope) else {
                    continue;
                };
                for channel in self.channels(&event) {
                    pipe.publish(channel, &payload).ignore();
                }
            }
            let sent = async {
                let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
                pipe.query_async::<()>(&mut *conn)
                    .await
                    .map_err(|e| e.to_string())
            };
            if let Err(err) = tokio::time::timeout(Duration::from_secs(2), sent)
                .await
                .unwrap_or(Err("timeout".into()))
            {
                tracing::warn!(error = %err, "redis publish failed");
            }
        }
    }

    /// The instance's one subscriber: follows `interest`, delivers other instances'
    /// events to `sink`, and reconnects with backoff.
    pub async fn run_subscriber(
        self: Arc<Self>,
        mut interest: mpsc::UnboundedReceiver<Interest>,
        sink: Arc<dyn RemoteSink>,
    ) {
        let mut wanted: HashSet<String> = HashSet::new();
        let mut backoff = Duration::from_millis(100);
        loop {
            let connected = match redis::Client::open(self.url.as_str()) {
                Ok(client) => {
                    tokio::time::timeout(Duration::from_secs(3), client.get_async_pubsub())
                        .await
                        .ok()
                        .and_then(Result::ok)
                }
                Err(_) => None,
            };
            if let Some(pubsub) = connected {
                let (mut sink_half, mut stream) = pubsub.split();
                let mut ok = true;
                for channel in &wanted {
                    if sink_half.subscribe(channel).await.is_err() {
                        ok = false;
                        break;
                    }
                }
                if ok {
                    backoff = Duration::from_millis(100);
                    self.subscribed.store(true, Ordering::Relaxed);
                    tracing::info!(channels = wanted.len(), "redis subscriber connected");
                    sink.subscribed(None);
                    loop {
                        tokio::select! {
                            change = interest.recv() => {
                                let Some(change) = change else { return };
                                let (channel, on, room) = match change {
                                    Interest::Room(id, on) => (self.room_channel(id), on, Some(id)),
                                    Interest::User(id, on) => (self.user_channel(id), on, None),
                                };
                                let result = if on {
                                    wanted.insert(channel.clone());
                                    sink_half.subscribe(&channel).await
                                } else {
                                    wanted.remove(&channel);
                                    sink_half.unsubscribe(&channel).await
                                };
                                if result.is_err() {
                                    break;
                                }
                                if on && let Some(room_id) = room {
                                    sink.subscribed(Some(room_id));
                                }
                            }
                            message = stream.next() => {
                                let Some(message) = message else { break };
                                // And whatever else has already arrived: one pass of the
                                // sink serves a burst (a group commit's events) at once.
                                let mut events = Vec::new();
                                let mut ended = false;
                                self.decode(&message, &mut events);
                                for _ in 1..BATCH {
                                    match stream.next().now_or_never() {
                                        Some(Some(message)) => self.decode(&message, &mut events),
                                        Some(None) => {
                                            ended = true;
                                            break;
                                        }
                                        None => break,
                                    }
                                }
                                if !events.is_empty() {
                                    sink.deliver(events);
                                }
                                if ended {
                                    break;
                                }
                            }
                        }
                    }
                }
                self.subscribed.store(false, Ordering::Relaxed);
                tracing::warn!("redis subscriber disconnected; reconnecting");
            }
            // Keep following interest while disconnected.
            let sleep = tokio::time::sleep(backoff);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    change = interest.recv() => match change {
                        None => return,
                        Some(Interest::Room(id, on)) => { toggle(&mut wanted, self.room_channel(id), on); }
                        Some(Interest::User(id, on)) => { toggle(&mut wanted, self.user_channel(id), on); }
                    },
                }
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// Adds another instance's event from `message` to `events` (this instance's own
    /// come back too, and are skipped).
    fn decode(&self, message: &redis::Msg, events: &mut Vec<BusEvent>) {
        let Ok(payload) = message.get_payload::<String>() else {
            return;
        };
        match serde_json::from_str::<Envelope>(&payload) {
            Ok(envelope) if envelope.o != self.instance => events.push(envelope.e),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "undecodable bus message"),
        }
    }

    fn presence_key(&self, user_id: i64) -> String {
        format!("{}:presence:{user_id}", self.prefix)
    }

    /// Records this instance holding `user_id` (until `ttl`); answers how many instances
    /// hold the user now. One atomic round trip: the claim never lands without the key's
    /// expiry (a connection that failed between the two left keys that never expired).
    pub async fn hold(&self, user_id: i64, ttl: Duration) -> Option<i64> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        self.claim(&mut pipe, user_id, now_secs(), ttl);
        pipe.zcard(self.presence_key(user_id));
        let mut conn = self.pool.get().await.ok()?;
        let (holders,): (i64,) = pipe.query_async(&mut *conn).await.ok()?;
        Some(holders)
    }

    /// Renews this instance's claim on every user in `user_ids` (the presence refresh):
    /// one round trip per 512 users, so an instance holding tens of thousands of users
    /// renews them all well within the claims' lifetime. Stops at the first failure
    /// (Redis away): the next refresh tries again.
    pub async fn hold_all(&self, user_ids: &[i64], ttl: Duration) -> Option<()> {
        let mut conn = self.pool.get().await.ok()?;
        for chunk in user_ids.chunks(512) {
            let mut pipe = redis::pipe();
            pipe.atomic();
            let now = now_secs();
            for &user_id in chunk {
                self.claim(&mut pipe, user_id, now, ttl);
            }
            let () = pipe.query_async(&mut *conn).await.ok()?;
        }
        Some(())
    }

    /// The commands that claim `user_id` for this instance until `now + ttl`, drop expired
    /// claims, and keep the key no longer than its claims need (their results ignored).
    fn claim(&self, pipe: &mut redis::Pipeline, user_id: i64, now: i64, ttl: Duration) {
        let key = self.presence_key(user_id);
        pipe.zadd(&key, &self.instance, now + ttl.as_secs() as i64)
            .ignore()
            .zrembyscore(&key, "-inf", now)
            .ignore()
            .expire(&key, ttl.as_secs() as i64 * 2)
            .ignore();
    }

    /// How many instances hold `user_id` now (claims not expired).
    pub async fn holders(&self, user_id: i64) -> Option<i64> {
        let mut conn = self.pool.get().await.ok()?;
        conn.zcount(self.presence_key(user_id), now_secs(), "+inf")
            .await
            .ok()
    }

    /// Forgets this instance holding `user_id`; answers how many instances still do.
    pub async fn release(&self, user_id: i64) -> Option<i64> {
        let key = self.presence_key(user_id);
        let mut conn = self.pool.get().await.ok()?;
        let (holders,): (i64,) = redis::pipe()
            .atomic()
            .zrem(&key, &self.instance)
            .ignore()
            .zrembyscore(&key, "-inf", now_secs())
            .ignore()
            .zcard(&key)
            .query_async(&mut *conn)
            .await
            .ok()?;
        Some(holders)
    }

    fn counter_key(&self, scope: &str, key: &str) -> String {
        format!("{}:throttle:{scope}:{key}", self.prefix)
    }

    /// Adds one to a counter every instance shares; it lives for `window` from its
    /// first hit (a fixed window). Answers the new count.
    pub async fn count_hit(&self, scope: &str, key: &str, window: Duration) -> Option<i64> {
        let key = self.counter_key(scope, key);
        let mut conn = self.pool.get().await.ok()?;
        let (count, _): (i64, i64) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window.as_secs().max(1))
            .arg("NX")
            .query_async(&mut *conn)
            .await
            .ok()?;
        Some(count)
    }

    /// A shared counter's value and the seconds its window has left.
    pub async fn hits(&self, scope: &str, key: &str) -> Option<(i64, i64)> {
        let key = self.counter_key(scope, key);
        let mut conn = self.pool.get().await.ok()?;
        let (count, ttl): (Option<i64>, i64) = redis::pipe()
            .get(&key)
            .ttl(&key)
            .query_async(&mut *conn)
            .await
            .ok()?;
        Some((count.unwrap_or(0), ttl))
    }

    /// Drops a shared counter.
    pub async fn forget(&self, scope: &str, key: &str) -> Option<()> {
        let mut conn = self.pool.get().await.ok()?;
        let _: i64 = conn.del(self.counter_key(scope, key)).await.ok()?;
        Some(())
    }

    fn instances_key(&self) -> String {
        format!("{}:instances", self.prefix)
    }

    /// Announces this instance alive until `ttl` from now. The set expires with its
    /// latest entry, so a prefix no instance uses any more leaves no key behind.
    pub async fn heartbeat(&self, ttl: Duration) -> Option<()> {
        let mut conn = self.pool.get().await.ok()?;
        let key = self.instances_key();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .zadd(&key, &self.instance, now_secs() + ttl.as_secs() as i64)
            .ignore()
            .expire(&key, ttl.as_secs() as i64)
            .ignore();
        pipe.query_async::<()>(&mut *conn).await.ok()
    }

    /// Instances whose heartbeat has not expired; `None` when Redis cannot be asked.
    pub async fn instances(&self) -> Option<i64> {
        let now = now_secs();
        let key = self.instances_key();
        let mut conn = self.pool.get().await.ok()?;
        let _: i64 = conn.zrembyscore(&key, "-inf", now).await.ok()?;
        conn.zcount(&key, now, "+inf").await.ok()
    }

    /// Forgets this instance (on shutdown), so the count drops at once.
    pub async fn retire(&self) -> Option<()> {
        let mut conn = self.pool.get().await.ok()?;
        let _: i64 = conn.zrem(self.instances_key(), &self.instance).await.ok()?;
        Some(())
    }
}

fn toggle(set: &mut HashSet<String>, channel: String, on: bool) {
    if on {
        set.insert(channel);
    } else {
        set.remove(&channel);
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    h.finish()
}
