//! The bus every committed change is published to. Services publish only after their
//! transaction commits; the gateway subscribes and fans out to sockets.

use std::sync::Arc;

use tokio::sync::broadcast;

/// One thing that happened, addressed to a room's members or to users.
#[derive(Debug, Clone, PartialEq)]
pub enum BusEvent {
    /// A persistent room event: `frame` is the exact JSON clients receive, carrying
    /// `type`, `room_id` and the gap-free `event_seq`.
    Room {
        room_id: i64,
        event_seq: i64,
        frame: Arc<str>,
    },
    /// A room event that is not logged (typing, read positions): no `event_seq`, and
    /// the first to be dropped under pressure.
    Ephemeral { room_id: i64, frame: Arc<str> },
    /// An event for specific users (notifications, announcements, a removal notice).
    User { user_ids: Vec<i64>, frame: Arc<str> },
    /// Membership changed: sockets of `user_id` start or stop receiving `room_id`.
    Membership {
        room_id: i64,
        user_id: i64,
        member: bool,
    },
    /// These sessions ended: their sockets close (4003).
    SessionsRevoked { user_id: i64, session_ids: Vec<i64> },
}

/// In-process fan-out of bus events to local subscribers.
#[derive(Clone)]
pub struct Bus {
    local: broadcast::Sender<Arc<BusEvent>>,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    pub fn new() -> Self {
        let (local, _) = broadcast::channel(4096);
        Bus { local }
    }

    pub fn publish(&self, event: BusEvent) {
        // No subscriber is fine: nobody is listening on this instance.
        let _ = self.local.send(Arc::new(event));
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
