//! Presence announcements, coalesced. A user's first socket anywhere makes them online,
//! their last one gone offline (CONTRACT §4); co-members are told through each shared
//! room. Announcing every transition at once costs one frame to every co-member per
//! connect: O(n²) frames over a connect storm. Transitions are collected for a short
//! tick (a user who flaps within it is announced once, with the latest status) and
//! addressed to the rooms the socket already loaded (no co-member query). Each room then
//! gets the contract's `presence` frame per changed user, except that sockets opened with
//! the `presence.batch` capability get one `presence.batch` frame per room and tick
//! instead when several users changed: clients built to the contract keep its frame,
//! clients that opt in make a connect storm linear. Presence frames are ephemeral
//! (DESIGN §3): not logged, dropped first when a socket's queue is full.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use parley_realtime::{Audience, BusEvent};
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

    /// Takes everything recorded, as frames per room and audience: the `presence` frame
    /// for a lone change; for several, one `presence.batch` frame for the sockets that
    /// asked for it and a `presence` frame per user for the others.
    fn take_frames(&self) -> Vec<(i64, Audience, String)> {
        let rooms = {
            let mut pending = self.lock();
            pending.scheduled = false;
            std::mem::take(&mut pending.rooms)
        };
        let mut frames = Vec::new();
        for (room_id, users) in rooms {
            let single = |user_id: &i64, status: &Status| {
                json!({"type": "presence", "user_id": user_id, "status": status.as_str()})
                    .to_string()
            };
            if users.len() == 1 {
                for (user_id, status) in &users {
                    frames.push((room_id, Audience::Everyone, single(user_id, status)));
                }
                continue;
            }
            let with = |wanted: Status| -> Vec<i64> {
                users
                    .iter()
                    .filter(|(_, s)| **s == wanted)
                    .map(|(u, _)| *u)
                    .collect()
            };
            let batch = json!({"type": "presence.batch", "online": with(Status::Online), "offline": with(Status::Offline)});
            frames.push((room_id, Audience::PresenceBatch, batch.to_string()));
            for (user_id, status) in &users {
                frames.push((room_id, Audience::PlainPresence, single(user_id, status)));
            }
        }
        frames
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
        for (room_id, audience, frame) in state.hub.presence.take_frames() {
            state.bus.publish(BusEvent::Ephemeral {
                room_id,
                frame: frame.into(),
                audience,
            });
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_lone_change_is_the_contract_frame_several_are_batched_for_those_who_asked() {
        let batch = PresenceBatch::default();
        assert!(batch.record(1, Status::Online, [10, 11]));
        assert!(!batch.record(2, Status::Online, [10]));
        assert!(!batch.record(3, Status::Online, [10]));
        assert!(!batch.record(3, Status::Offline, [10])); // the latest status wins
        let mut frames: Vec<(i64, Audience, serde_json::Value)> = batch
            .take_frames()
            .into_iter()
            .map(|(room, audience, f)| (room, audience, serde_json::from_str(&f).unwrap()))
            .collect();
        frames.sort_by_key(|(room, audience, f)| (*room, *audience as u8, f["user_id"].as_i64()));
        let presence = |user_id: i64, status: &str| json!({"type": "presence", "user_id": user_id, "status": status});
        assert_eq!(
            frames,
            vec![
                (
                    10,
                    Audience::PresenceBatch,
                    json!({"type": "presence.batch", "online": [1, 2], "offline": [3]})
                ),
                (10, Audience::PlainPresence, presence(1, "online")),
                (10, Audience::PlainPresence, presence(2, "online")),
                (10, Audience::PlainPresence, presence(3, "offline")),
                (11, Audience::Everyone, presence(1, "online")),
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
