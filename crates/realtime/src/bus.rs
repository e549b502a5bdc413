//! The bus every committed change is published to. Services publish only after their
//! transaction commits; each instance's dispatcher feeds them to its local sockets.
//! With Redis, events also go to the other instances (see `redis`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

/// What a room event does to delivery itself. Applied where the event is dispatched, in
/// `event_seq` order, so nothing after a removal reaches the removed user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoomEffect {
    None,
    /// `member.left`: this user stops receiving the room after this event.
    Removes(i64),
    /// `room.deleted`: nobody receives the room after this event.
    Deleted,
}

/// Which sockets of a room an ephemeral frame is for: presence comes batched to sockets
/// that asked for `presence.batch` and as the contract's per-user frames to the others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    #[default]
    Everyone,
    /// Sockets opened with the `presence.batch` capability.
    PresenceBatch,
    /// Sockets without it.
    PlainPresence,
}

/// One thing that happened, addressed to a room's members or to users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BusEvent {
    /// A persistent room event: `frame` is the exact JSON clients receive, carrying
    /// `type`, `room_id` and the gap-free `event_seq`.
    Room {
        room_id: i64,
        event_seq: i64,
        frame: Arc<str>,
        effect: RoomEffect,
    },
    /// A room event that is not logged (typing, read positions, presence): no
    /// `event_seq`, and the first to be dropped under pressure.
    Ephemeral {
        room_id: i64,
        frame: Arc<str>,
        /// Which of the room's sockets get it (absent from older instances: everyone).
        #[serde(default)]
        audience: Audience,
    },
    /// An event for specific users (notifications, announcements, presence).
    User { user_ids: Vec<i64>, frame: Arc<str> },
    /// Membership changed: sockets of `user_id` start (from the `member.joined` event at
    /// `event_seq`) or stop receiving `room_id`.
    Membership {
        room_id: i64,
        user_id: i64,
        member: bool,
        event_seq: i64,
    },
    /// These sessions ended: their sockets close (4003).
    SessionsRevoked { user_id: i64, session_ids: Vec<i64> },
}

/// Publishes to this instance's dispatcher and, when configured, to Redis.
#[derive(Clone)]
pub struct Bus {
    local: broadcast::Sender<Arc<BusEvent>>,
    remote: Option<mpsc::Sender<Arc<BusEvent>>>,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    /// In-process only (one instance).
    pub fn new() -> Self {
        let (local, _) = broadcast::channel(16_384);
        Bus {
            local,
            remote: None,
        }
    }

    /// Also forwards every event to the Redis publisher.
    pub fn with_remote(remote: mpsc::Sender<Arc<BusEvent>>) -> Self {
        Bus {
            remote: Some(remote),
            ..Self::new()
        }
    }

    pub fn publish(&self, event: BusEvent) {
        let event = Arc::new(event);
        if let Some(remote) = &self.remote
            && remote.try_send(event.clone()).is_err()
        {
            // Room events heal from the log on the other instances (next event or
            // resubscription); this instance's own sockets are served below regardless.
            tracing::warn!("redis publish queue full: event not forwarded");
        }
        // No subscriber is fine: nobody is listening on this instance.
        let _ = self.local.send(event);
    }

    pub fn publish_all(&self, events: impl IntoIterator<Item = BusEvent>) {
        for event in events {
            self.publish(event);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.local.subscribe()
    }
}
