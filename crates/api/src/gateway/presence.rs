//! Presence announcements, coalesced. A user's first socket anywhere makes them online,
//! their last one gone offline (CONTRACT §4); co-members are told through each shared
//! room. Announcing every transition at once costs one frame to every co-member per
//! connect: O(n²) frames over a connect storm. Transitions are collected for a short
//! tick, so a user who flaps within it is announced once with their latest status, and
//! they are addressed to the rooms the socket already loaded (no co-member query). Each
//! room then gets the contract's `presence` frame per changed user: CONTRACT §4 pins
//! that frame, so a batched form would leave clients built to it blind to presence
//! during bursts. Presence frames are ephemeral (DESIGN §3): not logged, dropped first
//! when a socket's queue is full.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use parley_realtime::BusEvent;
use serde_json::json;

use crate::state::AppState;

/// Online or offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Online,
    Offline,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Offline => "offline",
        }
    }
}

/// Transitions waiting for the next tick, by room then user (the latest status wins).
#[derive(Default)]
pub struct PresenceBatch {
    inner: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    rooms: HashMap<i64, BTreeMap<i64, Status>>,
    scheduled: bool,
}

impl PresenceBatch {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a transition for the user's rooms; answers true when a flush needs
    /// scheduling (the first transition since the last flush).
    fn record(&self, user_id: i64, status: Status, rooms: impl IntoIterator<Item = i64>) -> bool {
        let mut pending = self.lock();
        for room_id in rooms {
            pending
                .rooms
                .entry(room_id)
                .or_default()
                .insert(user_id, status);
        }
        let schedule = !pending.scheduled && !pending.rooms.is_empty();
        if schedule {
            pending.scheduled = true;
        }
        schedule
    }

    /// Takes everything recorded, as one `presence` frame per room and changed user.
    fn take_frames(&self) -> Vec<(i64, String)> {
        let rooms = {
            let mut pending = self.lock();
            pending.scheduled = false;
            std::mem::take(&mut pending.rooms)
        };
        rooms
            .into_iter()
            .flat_map(|(room_id, users)| {
                users.into_iter().map(move |(user_id, status)| {
                    let frame =
                        json!({"type": "presence", "user_id": user_id, "status": status.as_str()});
                    (room_id, frame.to_string())
                })
            })
            .collect()
    }
}

/// Tells the members of `rooms` (on every instance) that `user_id` went `status`, at the
/// end of the current tick.
pub fn announce(
    state: &AppState,
    user_id: i64,
    status: Status,
    rooms: impl IntoIterator<Item = i64>,
) {
    if !state.hub.presence.record(user_id, status, rooms) {
        return;
    }
    let state = state.clone();
    let tick = Duration::from_millis(state.settings.gateway.presence_tick_ms);
    actix_web::rt::spawn(async move {
        if !tick.is_zero() {
            actix_web::rt::time::sleep(tick).await;
        }
        for (room_id, frame) in state.hub.presence.take_frames() {
            state.bus.publish(BusEvent::Ephemeral {
                room_id,
                frame: frame.into(),
            });
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn each_room_hears_each_user_once_with_the_latest_status() {
        let batch = PresenceBatch::default();
        assert!(batch.record(1, Status::Online, [10, 11]));
        assert!(!batch.record(2, Status::Online, [10]));
        assert!(!batch.record(3, Status::Online, [10]));
        assert!(!batch.record(3, Status::Offline, [10])); // the latest status wins
        let mut frames: Vec<(i64, serde_json::Value)> = batch
            .take_frames()
            .into_iter()
            .map(|(room, f)| (room, serde_json::from_str(&f).unwrap()))
            .collect();
        frames.sort_by_key(|(room, f)| (*room, f["user_id"].as_i64()));
        let presence = |user_id: i64, status: &str| json!({"type": "presence", "user_id": user_id, "status": status});
        assert_eq!(
            frames,
            vec![
                (10, presence(1, "online")),
                (10, presence(2, "online")),
                (10, presence(3, "offline")),
                (11, presence(1, "online")),
            ]
        );
        // Taken: the next change schedules a new flush.
        assert!(batch.take_frames().is_empty());
        assert!(batch.record(4, Status::Offline, [12]));
    }

    #[test]
    fn a_user_in_no_room_schedules_nothing() {
        let batch = PresenceBatch::default();
        assert!(!batch.record(1, Status::Online, []));
        assert!(batch.take_frames().is_empty());
    }
}
