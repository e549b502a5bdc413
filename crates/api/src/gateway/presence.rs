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
//!
//! A large room is flushed less often: every tick a room's frame goes to each of its
//! sockets, so a storm into a few rooms of 2,000 members cost ~200,000 frames/s (39 % of
//! the server's CPU while 19,900 sockets connected). A room waits one tick per
//! `SOCKETS_PER_TICK` of its local sockets after its last flush (from twice that many
//! on: smaller rooms keep every tick).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    /// Large rooms flushed lately, and when they may be flushed again.
    not_before: HashMap<i64, Instant>,
    scheduled: bool,
}

/// Local sockets a room's presence reaches per tick before it waits longer between
/// flushes (a room of 2,000 sockets is flushed every 7 ticks).
const SOCKETS_PER_TICK: usize = 256;

/// How long a room with `sockets` local sockets waits between flushes.
fn room_interval(tick: Duration, sockets: usize) -> Duration {
    let ticks = (sockets / SOCKETS_PER_TICK).clamp(1, 20);
    tick * ticks as u32
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

    /// Takes what is due, as frames per room and audience: the `presence` frame for a
    /// lone change; for several, one `presence.batch` frame for the sockets that asked
    /// for it and a `presence` frame per user for the others. A flushed room waits
    /// `hold_of` its id before its next flush (zero: none), pending meanwhile; the
    /// answer's flag says whether anything is pending (the flush stays scheduled).
    /// `hold_of` runs under this batch's lock (it may take the hub's, never the reverse).
    fn take_frames(
        &self,
        now: Instant,
        hold_of: impl Fn(i64) -> Duration,
    ) -> (Vec<(i64, Audience, String)>, bool) {
        let (rooms, more) = {
            let mut pending = self.lock();
            pending.not_before.retain(|_, at| *at > now);
            let Pending {
                rooms, not_before, ..
            } = &mut *pending;
            let mut due = HashMap::new();
            rooms.retain(|room_id, users| {
                if not_before.contains_key(room_id) {
                    return true;
                }
                let hold = hold_of(*room_id);
                if hold > Duration::ZERO {
                    not_before.insert(*room_id, now + hold);
                }
                due.insert(*room_id, std::mem::take(users));
                false
            });
            let more = !pending.rooms.is_empty();
            pending.scheduled = more;
            (due, more)
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
        (frames, more)
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
        // Large rooms skip ticks, the others are flushed at each: the task wakes every
        // tick while anything is pending.
        loop {
            if !tick.is_zero() {
                actix_web::rt::time::sleep(tick).await;
            }
            let (frames, more) = state.hub.presence.take_frames(Instant::now(), |room_id| {
                let interval = room_interval(tick, state.hub.room_sockets(room_id));
                // Held to half a tick before the wake-up that ends its interval.
                if interval > tick {
                    interval - tick / 2
                } else {
                    Duration::ZERO
                }
            });
            for (room_id, audience, frame) in frames {
                state.bus.publish(BusEvent::Ephemeral {
                    room_id,
                    frame: frame.into(),
                    audience,
                });
            }
            if !more {
                return;
            }
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
        let (frames, more) = batch.take_frames(Instant::now(), |_| Duration::ZERO);
        assert!(!more);
        let mut frames: Vec<(i64, Audience, serde_json::Value)> = frames
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
        assert!(
            batch
                .take_frames(Instant::now(), |_| Duration::ZERO)
                .0
                .is_empty()
        );
        assert!(batch.record(4, Status::Offline, [12]));
    }

    #[test]
    fn a_large_room_is_held_between_flushes_and_keeps_what_changed_meanwhile() {
        let batch = PresenceBatch::default();
        let t0 = Instant::now();
        let hold = |room: i64| {
            if room == 10 {
                Duration::from_millis(650)
            } else {
                Duration::ZERO
            }
        };
        batch.record(1, Status::Online, [10, 11]);
        let (frames, more) = batch.take_frames(t0, hold);
        assert_eq!(frames.len(), 2);
        assert!(!more);
        // Within room 10's hold: its changes wait (and coalesce), room 11's go out.
        assert!(batch.record(2, Status::Online, [10, 11]));
        batch.record(3, Status::Online, [10]);
        batch.record(2, Status::Offline, [10]);
        let (frames, more) = batch.take_frames(t0 + Duration::from_millis(100), hold);
        assert_eq!(
            frames.iter().map(|(room, ..)| *room).collect::<Vec<_>>(),
            vec![11]
        );
        assert!(more, "room 10 is still pending");
        assert!(!batch.record(4, Status::Online, [11]), "still scheduled");
        let (frames, more) = batch.take_frames(t0 + Duration::from_millis(600), hold);
        assert_eq!(
            frames.iter().map(|(room, ..)| *room).collect::<Vec<_>>(),
            vec![11]
        );
        assert!(more);
        // Past the hold: room 10's changes in one frame, the latest status each.
        let (frames, more) = batch.take_frames(t0 + Duration::from_millis(700), hold);
        assert!(!more);
        let frame: serde_json::Value = serde_json::from_str(&frames[0].2).unwrap();
        assert_eq!(frames[0].0, 10);
        assert_eq!(
            frame,
            json!({"type": "presence.batch", "online": [3], "offline": [2]})
        );
    }

    #[test]
    fn rooms_up_to_one_tick_of_sockets_are_not_held() {
        let tick = Duration::from_millis(100);
        assert_eq!(room_interval(tick, 0), tick);
        assert_eq!(room_interval(tick, SOCKETS_PER_TICK - 1), tick);
        assert_eq!(room_interval(tick, 2_000), tick * 7);
        assert_eq!(room_interval(tick, 1_000_000), tick * 20);
    }

    #[test]
    fn a_user_in_no_room_schedules_nothing() {
        let batch = PresenceBatch::default();
        assert!(!batch.record(1, Status::Online, []));
        assert!(
            batch
                .take_frames(Instant::now(), |_| Duration::ZERO)
                .0
                .is_empty()
        );
    }
}
