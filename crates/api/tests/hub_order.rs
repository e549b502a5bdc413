//! The hub's order when the bus's events arrive out of order, as they may from other
//! instances through Redis (a room's channel and a user's are not ordered together, and
//! a publish can be lost): membership changes take effect at their place in the room's
//! `event_seq` order, whatever order their messages came in, and a deletion ends
//! delivery even when the events before it went with the room's log.
//!
//! A second hub over the same database plays the other instance: the REST API writes
//! the log (its own hub dispatches as usual), and the test hands the second hub the
//! bus's events in the order under test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Member, TestApp};
use parley_api::gateway::hub::{ConnInbox, Hub, Outbound};
use parley_realtime::{BusEvent, RoomEffect};
use parley_store::Backend;
use serde_json::json;

on_both_backends!(
    a_leave_the_hub_has_not_reached_ends_delivery_after_it,
    a_rejoin_before_the_leave_is_dispatched_skips_the_time_between,
    a_deletion_behind_a_gap_still_ends_delivery,
    a_deletion_whose_event_was_lost_is_found_in_the_database,
    a_burst_longer_than_a_dispatch_pass_is_dispatched_whole,
);

/// What a socket's inbox got, in order: `room N`, `left N`, `joined N`, `gone`.
fn drain(inbox: &ConnInbox, into: &mut Vec<String>) {
    while let Some(item) = inbox.try_recv() {
        inbox.sent(&item);
        into.push(match item {
            Outbound::Room { event_seq, .. } => format!("room {event_seq}"),
            Outbound::Left { event_seq, .. } => format!("left {event_seq}"),
            Outbound::Joined { event_seq, .. } => format!("joined {event_seq}"),
            Outbound::Gone { .. } => "gone".to_owned(),
            Outbound::Frame(_) => "frame".to_owned(),
        });
    }
}

/// The inbox's items once `want` have come (or 5 s passed), and whatever follows them
/// within 300 ms.
async fn received(inbox: &ConnInbox, want: usize) -> Vec<String> {
    let mut got = Vec::new();
    for _ in 0..100 {
        drain(inbox, &mut got);
        if got.len() >= want {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    drain(inbox, &mut got);
    got
}

/// The other instance: a hub over the same database, fed by hand.
fn other_hub(app: &TestApp) -> Arc<Hub> {
    Hub::new(
        app.state.db.clone(),
        1 << 20,
        Arc::new(parley_api::metrics::Metrics::new()),
    )
}

/// Alice's public room, which Bob has joined (events 1 and 2).
async fn room_with_bob(app: &TestApp) -> (Member, Member, i64) {
    let alice = app.member("alice").await;
    let bob = app.member("bob").await;
    let rid = app.public_room(&alice, "order", &[&bob]).await;
    (alice, bob, rid)
}

async fn post(app: &TestApp, who: &Member, rid: i64, body: &str) {
    app.post(
        "/api/messages",
        Some(&who.token),
        json!({"room_id": rid, "body": body}),
    )
    .await
    .expect(201);
}

fn room_event(rid: i64, event_seq: i64, effect: RoomEffect) -> BusEvent {
    BusEvent::Room {
        room_id: rid,
        event_seq,
        frame: format!(r#"{{"type":"x","room_id":{rid},"event_seq":{event_seq}}}"#).into(),
        effect,
    }
}

fn membership(rid: i64, user_id: i64, member: bool, event_seq: i64) -> BusEvent {
    BusEvent::Membership {
        room_id: rid,
        user_id,
        member,
        event_seq,
    }
}

async fn a_leave_the_hub_has_not_reached_ends_delivery_after_it(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (alice, bob, rid) = room_with_bob(&app).await;
    let hub = other_hub(&app);
    let (_bob_socket, inbox) = hub.register(bob.id, 1, &[(rid, 2)]);
    post(&app, &alice, rid, "before the kick").await; // 3
    app.delete(
        &format!("/api/rooms/{rid}/members/{}", bob.id),
        Some(&alice.token),
    )
    .await
    .expect(204); // 4: member.left
    post(&app, &alice, rid, "after the kick").await; // 5
    // The kick reaches this instance, but the message before it has not yet.
    hub.dispatch(&room_event(rid, 4, RoomEffect::Removes(bob.id)));
    hub.dispatch(&membership(rid, bob.id, false, 4));
    // Bob gets everything up to his member.left, in order, and nothing after it.
    assert_eq!(
        received(&inbox, 3).await,
        ["room 3", "room 4", "left 4"],
        "the leave took effect before the events ahead of it"
    );
    assert_eq!(hub.room_sockets(rid), 0);
}

async fn a_rejoin_before_the_leave_is_dispatched_skips_the_time_between(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (alice, bob, rid) = room_with_bob(&app).await;
    let hub = other_hub(&app);
    let (_bob_socket, inbox) = hub.register(bob.id, 1, &[(rid, 2)]);
    app.delete(
        &format!("/api/rooms/{rid}/members/{}", bob.id),
        Some(&alice.token),
    )
    .await
    .expect(204); // 3: member.left
    post(&app, &alice, rid, "while bob is out").await; // 4
    app.post(
        &format!("/api/rooms/{rid}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200); // 5: member.joined
    post(&app, &alice, rid, "bob is back").await; // 6
    // Bob's leave and return reach this instance before any of the room's events.
    hub.dispatch(&membership(rid, bob.id, false, 3));
    hub.dispatch(&membership(rid, bob.id, true, 5));
    hub.dispatch(&room_event(rid, 6, RoomEffect::None));
    // His leave ends delivery at its place, the message while he was out is not his,
    // and his return starts it again at his join.
    assert_eq!(
        received(&inbox, 5).await,
        ["room 3", "left 3", "joined 5", "room 5", "room 6"]
    );
    assert_eq!(hub.room_sockets(rid), 1);
}

async fn a_deletion_behind_a_gap_still_ends_delivery(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (alice, bob, rid) = room_with_bob(&app).await;
    let hub = other_hub(&app);
    let (_bob_socket, inbox) = hub.register(bob.id, 1, &[(rid, 2)]);
    // The registration's catch-up read of the log usually ends first; if it reads late,
    // it finds event 3, which then rightly goes out before the deletion.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    post(&app, &alice, rid, "last words").await; // 3
    app.delete(&format!("/api/rooms/{rid}"), Some(&alice.token))
        .await
        .expect(204); // 4: room.deleted, not logged; the log is gone with the room
    // The deletion arrives, the message before it never will.
    hub.dispatch(&room_event(rid, 4, RoomEffect::Deleted));
    hub.dispatch(&membership(rid, bob.id, false, 4));
    let got = received(&inbox, 1).await;
    assert!(got == ["gone"] || got == ["room 3", "gone"], "{got:?}");
    assert_eq!(hub.room_sockets(rid), 0);
}

async fn a_deletion_whose_event_was_lost_is_found_in_the_database(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (alice, bob, rid) = room_with_bob(&app).await;
    let hub = other_hub(&app);
    let (_bob_socket, inbox) = hub.register(bob.id, 1, &[(rid, 2)]);
    app.delete(&format!("/api/rooms/{rid}"), Some(&alice.token))
        .await
        .expect(204); // 3: room.deleted
    // Only the end of Bob's membership arrives: the room's own event was lost.
    hub.dispatch(&membership(rid, bob.id, false, 3));
    assert_eq!(received(&inbox, 1).await, ["gone"]);
    assert_eq!(hub.room_sockets(rid), 0);
}

/// Every event the bus carries reaches the sockets, however many arrive at once: the
/// instance's dispatcher takes them in passes of bounded size, and none falls between
/// two passes. The events are the bus's only copy (not in the log), so one skipped would
/// leave the rest waiting behind its gap.
async fn a_burst_longer_than_a_dispatch_pass_is_dispatched_whole(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (_alice, bob, rid) = room_with_bob(&app).await;
    let (_handle, inbox) = app.state.hub.register(bob.id, 0, &[(rid, 2)]);
    // The registration's catch-up read of the log (nothing after event 2).
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    const BURST: i64 = 300;
    app.state
        .bus
        .publish_all((3..3 + BURST).map(|seq| room_event(rid, seq, RoomEffect::None)));
    let got = received(&inbox, BURST as usize).await;
    let want: Vec<String> = (3..3 + BURST).map(|seq| format!("room {seq}")).collect();
    assert_eq!(got, want);
}
