//! The WebSocket gateway with a real client over the production listener, on both
//! backends: auth, every event type, live membership, resume, resync and close codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use actix_web::http::Method;
use common::{TestApp, WsEvent, presence_in};
use parley_store::Backend;
use parley_store::testing::TestDb;
use serde_json::{Value, json};

on_both_backends!(
    sockets_authenticate_by_header_or_first_frame,
    sends_are_acknowledged_and_fanned_out,
    every_change_reaches_the_room,
    typing_reads_and_presence,
    membership_applies_live,
    resume_replays_what_was_missed,
    a_resumed_socket_joins_the_live_stream_exactly_once,
    a_resume_frame_mid_stream_replays_then_goes_on_in_order,
    resync_when_the_log_no_longer_reaches_back,
    session_revocation_and_shutdown_close_sockets,
    pipelined_sends_keep_order_and_are_all_answered,
    sends_in_flight_are_answered_before_a_close,
    presence_is_coalesced_and_complete,
    room_order_holds_across_workers,
);

use common::Member as Who;

async fn who(app: &TestApp, name: &str) -> Who {
    app.member(name).await
}

async fn shared_room(app: &TestApp, owner: &Who, others: &[&Who]) -> i64 {
    let rid = app
        .post(
            "/api/rooms",
            Some(&owner.token),
            json!({"title": "live", "visibility": "public"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    for o in others {
        app.post(&format!("/api/rooms/{rid}/join"), Some(&o.token), json!({}))
            .await
            .expect(200);
    }
    rid
}

async fn sockets_authenticate_by_header_or_first_frame(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = who(&app, "alice").await;
    let rid = shared_room(&app, &alice, &[]).await;
    let mut ws = app.ws(&alice.token).await;
    ws.send(json!({"type": "ping", "ref": "p1"})).await;
    assert_eq!(ws.recv_type("pong").await["ref"], "p1");
    // First-frame auth, with the ready frame listing the rooms.
    let mut raw = app.ws_raw().await;
    raw.send(json!({"type": "auth", "token": alice.token}))
        .await;
    let ready = raw.recv().await;
    assert_eq!(ready["type"], "ready");
    assert_eq!(ready["user"]["username"], "alice");
    assert_eq!(ready["rooms"][0]["room_id"], rid);
    assert!(ready["rooms"][0]["last_event_seq"].as_i64().unwrap() >= 1);
    // A bad token: an error, then 4001.
    let mut bad = app.ws_raw().await;
    bad.send(json!({"type": "auth", "token": "nope"})).await;
    assert_eq!(bad.recv().await["code"], "unauthorized");
    assert_eq!(bad.closed().await, Some(4001));
    // Not an auth frame first.
    let mut rude = app.ws_raw().await;
    rude.send(json!({"type": "ping"})).await;
    assert_eq!(rude.recv().await["code"], "unauthorized");
    assert_eq!(rude.closed().await, Some(4001));
    // A disallowed browser origin is refused before the upgrade.
    let refused = awc::Client::new()
        .ws(app.url("/ws").replace("http", "ws"))
        .origin("https://evil.example")
        .connect()
        .await;
    assert!(refused.is_err());
    let allowed = awc::Client::new()
        .ws(app.url("/ws").replace("http", "ws"))
        .origin("http://localhost:5173")
        .bearer_auth(&alice.token)
        .connect()
        .await;
    assert!(allowed.is_ok());
    // Unknown frames and bad JSON answer errors, echoing `ref`.
    ws.send_invalid(json!({"type": "nonsense", "ref": "r9"}))
        .await;
    let err = ws.recv_type("error").await;
    assert_eq!(
        (err["code"].as_str(), err["ref"].as_str()),
        (Some("bad_request"), Some("r9"))
    );
    ws.send_text("{not json".into()).await;
    assert_eq!(ws.recv_type("error").await["code"], "bad_request");
}

#[actix_web::test]
async fn unauthenticated_sockets_time_out() {
    let app = TestApp::start_on(TestDb::sqlite(), |s| s.gateway.auth_timeout_secs = 1).await;
    let mut raw = app.ws_raw().await;
    assert_eq!(raw.recv().await["code"], "unauthorized");
    assert_eq!(raw.closed().await, Some(4001));
}

async fn sends_are_acknowledged_and_fanned_out(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = who(&app, "alice").await;
    let bob = who(&app, "bob").await;
    let rid = shared_room(&app, &alice, &[&bob]).await;
    let mut a = app.ws(&alice.token).await;
    let mut b1 = app.ws(&bob.token).await;
    let mut b2 = app.ws(&bob.token).await;
    a.send(json!({"type": "message.send", "room_id": rid, "body": "hi bob", "client_msg_id": "c1", "ref": "s1"})).await;
    // The sender gets its ack and its own message.created (in either order: sends are
    // pipelined, so the socket does not hold deliveries while a send is in flight).
    let (mut ack, mut own) = (None, None);
    while ack.is_none() || own.is_none() {
        let frame = a.recv().await;
        match frame["type"].as_str() {
            Some("message.ack") => ack = Some(frame),
            Some("message.created") => own = Some(frame),
            _ => {}
        }
    }
    let (ack, own) = (ack.unwrap(), own.unwrap());
    assert_eq!(
        (ack["client_msg_id"].as_str(), ack["ref"].as_str()),
        (Some("c1"), Some("s1"))
    );
    assert_eq!(ack["message"]["seq"], 1);
    assert_eq!(own["message"]["body"], "hi bob");
    for socket in [&mut b1, &mut b2] {
        let created = socket.recv_type("message.created").await;
        assert_eq!(created["room_id"], rid);
        assert_eq!(created["message"]["body"], "hi bob");
        assert!(created["event_seq"].as_i64().unwrap() > 0);
    }
    // A retry answers the same message and publishes nothing.
    a.send(
        json!({"type": "message.send", "room_id": rid, "body": "hi bob", "client_msg_id": "c1"}),
    )
    .await;
    assert_eq!(
        a.recv_type("message.ack").await["message"]["id"],
        ack["message"]["id"]
    );
    b1.quiet(Duration::from_millis(300), &["presence"]).await;
    // Errors echo client_msg_id.
    a.send_invalid(json!({"type": "message.send", "room_id": rid, "body": "", "client_msg_id": "c2", "ref": "s2"}))
        .await;
    let err = a.recv_type("error").await;
    assert_eq!(
        (
            err["code"].as_str(),
            err["client_msg_id"].as_str(),
            err["ref"].as_str()
        ),
        (Some("validation_failed"), Some("c2"), Some("s2"))
    );
    a.send(json!({"type": "message.send", "room_id": 999999, "body": "x"}))
        .await;
    assert_eq!(a.recv_type("error").await["code"], "not_found");
    // REST sends reach sockets too.
    app.post(
        "/api/messages",
        Some(&bob.token),
        json!({"room_id": rid, "body": "from rest"}),
    )
    .await
    .expect(201);
    assert_eq!(
        a.recv_type("message.created").await["message"]["body"],
        "from rest"
    );
}

async fn every_change_reaches_the_room(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = who(&app, "alice").await;
    let bob = who(&app, "bob").await;
    let carol = who(&app, "carol").await;
    let rid = shared_room(&app, &alice, &[&bob]).await;
    let mut b = app.ws(&bob.token).await;
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "v1"}),
    )
    .await
    .expect(201);
    app.patch(
        &format!("/api/messages/{rid}/1"),
        Some(&alice.token),
        json!({"body": "v2"}),
    )
    .await
    .expect(200);
    app.call(
        Method::PUT,
        &format!("/api/messages/{rid}/1/reactions/ok"),
        Some(&bob.token),
        None,
    )
    .await
    .expect(204);
    app.delete(
        &format!("/api/messages/{rid}/1/reactions/ok"),
        Some(&bob.token),
    )
    .await
    .expect(204);
    app.patch(
        &format!("/api/rooms/{rid}"),
        Some(&alice.token),
        json!({"title": "renamed"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/rooms/{rid}/join"),
        Some(&carol.token),
        json!({}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/rooms/{rid}/members/{}", carol.id),
        Some(&alice.token),
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    app.delete(&format!("/api/messages/{rid}/1"), Some(&alice.token))
        .await
        .expect(204);
    app.post(
        &format!("/api/rooms/{rid}/leave"),
        Some(&carol.token),
        json!({}),
    )
    .await
    .expect(204);
    let expected = [
        "message.created",
        "message.updated",
        "reaction.added",
        "reaction.removed",
        "room.updated",
        "member.joined",
        "member.updated",
        "message.deleted",
        "member.left",
    ];
    let mut last_seq: Option<i64> = None;
    for kind in expected {
        let frame = loop {
            let f = b.recv().await;
            if f.get("event_seq").is_some() {
                break f;
            }
        };
        assert_eq!(frame["type"], kind, "{frame}");
        let seq = frame["event_seq"].as_i64().unwrap();
        if let Some(previous) = last_seq {
            assert_eq!(seq, previous + 1, "gap-free order");
        }
        last_seq = Some(seq);
        match kind {
            "reaction.added" => assert_eq!(
                frame,
                json!({"type": "reaction.added", "room_id": rid, "event_seq": seq, "seq": 1, "emoji": "ok", "user_id": bob.id})
            ),
            "message.updated" => assert_eq!(frame["message"]["body"], "v2"),
            "member.updated" => assert_eq!(
                (frame["user_id"].as_i64(), frame["role"].as_str()),
                (Some(carol.id), Some("admin"))
            ),
            "member.left" => assert_eq!(frame["reason"], "left"),
            "message.deleted" => assert_eq!(frame["message"]["deleted"], true),
            _ => {}
        }
    }
    // Announcements reach org members' sockets.
    let org = app
        .post("/api/orgs", Some(&bob.token), json!({"name": "Org"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/orgs/{org}/announcements"),
        Some(&bob.token),
        json!({"body": "all hands"}),
    )
    .await
    .expect(201);
    assert_eq!(
        b.recv_type("announcement").await["announcement"]["body"],
        "all hands"
    );
    // Notifications arrive live.
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "ping @bob"}),
    )
    .await
    .expect(201);
    assert_eq!(
        b.recv_type("notification").await["notification"]["kind"],
        "mention"
    );
}

async fn typing_reads_and_presence(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = who(&app, "alice").await;
    let bob = who(&app, "bob").await;
    let rid = shared_room(&app, &alice, &[&bob]).await;
    let mut b = app.ws(&bob.token).await;
    let mut a = app.ws(&alice.token).await;
    assert_eq!(b.recv_presence(alice.id).await, "online");
    a.send(json!({"type": "typing", "room_id": rid})).await;
    let typing = b.recv_type("typing").await;
    assert_eq!(
        typing,
        json!({"type": "typing", "room_id": rid, "user_id": alice.id})
    );
    // At most one per 3 s: a second one right away is not relayed.
    a.send(json!({"type": "typing", "room_id": rid})).await;
    a.send(json!({"type": "typing.stop", "room_id": rid})).await;
    assert_eq!(b.recv_type("typing.stop").await["user_id"], alice.id);
    // Read positions, from the socket and from REST, reach the room.
    app.post(
        "/api/messages",
        Some(&bob.token),
        json!({"room_id": rid, "body": "read me"}),
    )
    .await
    .expect(201);
    a.send(json!({"type": "read", "room_id": rid, "seq": 1}))
        .await;
    let read = b.recv_type("read").await;
    assert_eq!(
        (read["user_id"].as_i64(), read["seq"].as_i64()),
        (Some(alice.id), Some(1))
    );
    let reads = app
        .get(&format!("/api/rooms/{rid}/reads"), Some(&bob.token))
        .await
        .expect(200)
        .clone();
    assert!(
        reads["items"]
            .as_array()
            .unwrap()
            .contains(&json!({"user_id": alice.id, "last_read_seq": 1}))
    );
    // Typing in a room one is not in is refused.
    a.send(json!({"type": "typing", "room_id": 999999})).await;
    assert_eq!(a.recv_type("error").await["code"], "not_found");
    // Profiles and member lists carry presence.
    assert_eq!(
        app.get(&format!("/api/users/{}", alice.id), Some(&bob.token))
            .await
            .body["online"],
        true
    );
    let members = app
        .get(&format!("/api/rooms/{rid}/members"), Some(&bob.token))
        .await
        .expect(200)
        .clone();
    assert!(
        members["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["user"]["online"] == true)
    );
    drop(a);
    assert_eq!(b.recv_presence(alice.id).await, "offline");
}

async fn membership_applies_live(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = who(&app, "alice").await;
    let bob = who(&app, "bob").await;
    let rid = shared_room(&app, &alice, &[]).await;
    let mut b = app.ws(&bob.token).await;
    // Joining starts delivery at once, from the join event on.
    app.post(
        &format!("/api/rooms/{rid}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "welcome"}),
    )
    .await
    .expect(201);
    let joined = b.recv_type("member.joined").await;
    assert_eq!(joined["user"]["id"], bob.id);
    assert_eq!(
        b.recv_type("message.created").await["message"]["body"],
        "welcome"
    );
    // A kick: the removed user is told, then hears nothing more of the room.
    app.delete(
        &format!("/api/rooms/{rid}/members/{}", bob.id),
        Some(&alice.token),
    )
    .await
    .expect(204);
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "after the kick"}),
    )
    .await
    .expect(201);
    let left = b.recv_type("member.left").await;
    assert_eq!(
        (left["user_id"].as_i64(), left["reason"].as_str()),
        (Some(bob.id), Some("kicked"))
    );
    b.quiet(Duration::from_millis(400), &["presence"]).await;
    // Invited back through a link, then banned.
    let code = app
        .post(
            &format!("/api/rooms/{rid}/invites"),
            Some(&alice.token),
            json!({}),
        )
        .await
        .expect(201)["code"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/invites/{code}/accept"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    assert_eq!(b.recv_type("member.joined").await["user"]["id"], bob.id);
    app.post(
        &format!("/api/rooms/{rid}/bans"),
        Some(&alice.token),
        json!({"user_id": bob.id}),
    )
    .await
    .expect(204);
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "after the ban"}),
    )
    .await
    .expect(201);
    assert_eq!(b.recv_type("member.left").await["reason"], "banned");
    b.quiet(Duration::from_millis(400), &["presence"]).await;
    // Room deletion reaches members and ends delivery.
    let bob_room = app
        .post("/api/rooms", Some(&bob.token), json!({"title": "mine"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    assert_eq!(b.recv_type("member.joined").await["room_id"], bob_room);
    app.delete(&format!("/api/rooms/{bob_room}"), Some(&bob.token))
        .await
        .expect(204);
    assert_eq!(b.recv_type("room.deleted").await["room_id"], bob_room);
}

async fn resume_replays_what_was_missed(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = who(&app, "alice").await;
    let bob = who(&app, "bob").await;
    let rid = shared_room(&app, &alice, &[&bob]).await;
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "seen"}),
    )
    .await
    .expect(201);
    let mut b = app.ws(&bob.token).await;
    let seen = last_event_seq(&app, &bob, rid).await;
    drop(b);
    // While Bob is away: a message, an edit, a delete.
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "missed"}),
    )
    .await
    .expect(201);
    app.patch(
        &format!("/api/messages/{rid}/2"),
        Some(&alice.token),
        json!({"body": "missed, edited"}),
    )
    .await
    .expect(200);
    app.delete(&format!("/api/messages/{rid}/1"), Some(&alice.token))
        .await
        .expect(204);
    let mut raw = app.ws_raw().await;
    raw.send(json!({"type": "auth", "token": bob.token, "resume": {rid.to_string(): seen}}))
        .await;
    assert_eq!(raw.recv().await["type"], "ready");
    let mut kinds = Vec::new();
    let mut seqs = Vec::new();
    while kinds.len() < 3 {
        let f = raw.recv().await;
        if let Some(seq) = f["event_seq"].as_i64() {
            kinds.push(f["type"].as_str().unwrap().to_owned());
            seqs.push(seq);
        }
    }
    assert_eq!(
        kinds,
        ["message.created", "message.updated", "message.deleted"]
    );
    assert_eq!(seqs, [seen + 1, seen + 2, seen + 3]);
    // Then live events continue above the replay.
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "live"}),
    )
    .await
    .expect(201);
    let live = raw.recv_type("message.created").await;
    assert_eq!(live["event_seq"], seen + 4);
    // A header-authenticated client resumes with a frame.
    b = app.ws(&bob.token).await;
    b.send(json!({"type": "resume", "rooms": {rid.to_string(): seen + 2}}))
        .await;
    assert_eq!(b.recv_type("message.deleted").await["event_seq"], seen + 3);
    assert_eq!(b.recv_type("message.created").await["event_seq"], seen + 4);
}

/// `n` sends from socket `a` to `room`, pipelined; answers once all are acknowledged.
async fn send_many(a: &mut common::Ws, room: i64, tag: &str, n: usize) {
    for i in 0..n {
        a.send(json!({"type": "message.send", "room_id": room, "body": format!("{tag}{i}")}))
            .await;
    }
    let mut acks = 0;
    while acks < n {
        if a.recv().await["type"] == "message.ack" {
            acks += 1;
        }
    }
}

/// The room's `last_event_seq` as `member` reads it.
async fn last_event_seq(app: &TestApp, member: &Who, rid: i64) -> i64 {
    app.get(&format!("/api/rooms/{rid}"), Some(&member.token))
        .await
        .body["last_event_seq"]
        .as_i64()
        .unwrap()
}

/// A server that lets a socket send as fast as it likes, Alice and Bob in one room, and
/// the room's `last_event_seq` before anything is posted.
async fn busy_room(backend: Backend) -> Option<(TestApp, Who, Who, i64, i64)> {
    let db = TestDb::new(backend)?;
    let app = TestApp::start_on(db, |s| s.gateway.send_limit = 100_000).await;
    let alice = who(&app, "alice").await;
    let bob = who(&app, "bob").await;
    let rid = shared_room(&app, &alice, &[&bob]).await;
    let seen = last_event_seq(&app, &bob, rid).await;
    Some((app, alice, bob, rid, seen))
}

/// A socket resuming from far back (more than one replay batch) while the room keeps
/// receiving messages gets every event once, in order, and then the live stream.
async fn a_resumed_socket_joins_the_live_stream_exactly_once(backend: Backend) {
    let Some((app, alice, bob, rid, seen)) = busy_room(backend).await else {
        return;
    };
    let mut a = app.ws(&alice.token).await;
    const MISSED: usize = 520;
    const DURING: usize = 200;
    send_many(&mut a, rid, "m", MISSED).await;
    let mut b = app.ws_raw().await;
    b.send(json!({"type": "auth", "token": bob.token, "resume": {rid.to_string(): seen}}))
        .await;
    assert_eq!(b.recv().await["type"], "ready");
    // Alice keeps sending while Bob's replay runs.
    let during = actix_web::rt::spawn(async move {
        send_many(&mut a, rid, "d", DURING).await;
        a
    });
    let mut got = Vec::new();
    let last = seen + (MISSED + DURING) as i64;
    while got.last().is_none_or(|s| *s < last) {
        let frame = b.recv().await;
        if frame["room_id"] == rid
            && let Some(seq) = frame["event_seq"].as_i64()
        {
            got.push(seq);
        }
    }
    assert_eq!(got, ((seen + 1)..=last).collect::<Vec<_>>());
    let mut a = during.await.unwrap();
    // Then the live stream, once each.
    send_many(&mut a, rid, "l", 3).await;
    let mut live = Vec::new();
    while live.len() < 3 {
        let frame = b.recv().await;
        if let Some(seq) = frame["event_seq"].as_i64() {
            live.push(seq);
        }
    }
    assert_eq!(live, [last + 1, last + 2, last + 3]);
    b.quiet(Duration::from_millis(300), &["presence", "presence.batch"])
        .await;
}

/// A live socket that sends `resume` while its room is busy gets the log from that
/// point in order, and the live stream after it, without a live frame slipping in
/// between replayed ones.
async fn a_resume_frame_mid_stream_replays_then_goes_on_in_order(backend: Backend) {
    let Some((app, alice, bob, rid, seen)) = busy_room(backend).await else {
        return;
    };
    let mut b = app.ws(&bob.token).await;
    let mut a = app.ws(&alice.token).await;
    const SENT: usize = 300;
    let sending = actix_web::rt::spawn(async move {
        send_many(&mut a, rid, "x", SENT).await;
    });
    let last = seen + SENT as i64;
    let mut got: Vec<i64> = Vec::new();
    let mut restart = None;
    loop {
        let frame = b.recv().await;
        let Some(seq) = frame["event_seq"].as_i64() else {
            continue;
        };
        if got.is_empty() {
            b.send(json!({"type": "resume", "rooms": {rid.to_string(): seen}}))
                .await;
        } else if restart.is_none() && seq <= *got.last().unwrap() {
            restart = Some(got.len());
        }
        got.push(seq);
        if restart.is_some() && seq == last {
            break;
        }
    }
    sending.await.unwrap();
    let restart = restart.unwrap();
    // Live until the resume took effect, then the log from `seen` on and the live
    // stream above it: each part gap-free and in order.
    assert_eq!(
        got[..restart],
        ((seen + 1)..=got[restart - 1]).collect::<Vec<_>>()
    );
    assert_eq!(got[restart..], ((seen + 1)..=last).collect::<Vec<_>>());
}

async fn resync_when_the_log_no_longer_reaches_back(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = who(&app, "alice").await;
    let rid = shared_room(&app, &alice, &[]).await;
    for i in 0..3 {
        app.post(
            "/api/messages",
            Some(&alice.token),
            json!({"room_id": rid, "body": format!("{i}")}),
        )
        .await
        .expect(201);
    }
    {
        // Retention removed the oldest events.
        use parley_store::diesel::prelude::*;
        use parley_store::schema::room_events;
        parley_store::diesel::delete(
            room_events::table
                .filter(room_events::room_id.eq(rid))
                .filter(room_events::event_seq.le(2)),
        )
        .execute(&mut *app.conn())
        .unwrap();
    }
    let mut ws = app.ws(&alice.token).await;
    ws.send(json!({"type": "resume", "rooms": {rid.to_string(): 0}}))
        .await;
    assert_eq!(ws.recv_type("resync_required").await["room_id"], rid);
    let log = app
        .get(
            &format!("/api/rooms/{rid}/events?after=0"),
            Some(&alice.token),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(log["resync_required"], true);
    // Resuming from a point still in the log works.
    ws.send(json!({"type": "resume", "rooms": {rid.to_string(): 3}}))
        .await;
    assert_eq!(ws.recv_type("message.created").await["event_seq"], 4);
}

async fn session_revocation_and_shutdown_close_sockets(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = who(&app, "alice").await;
    let other = app.login("alice", common::PASSWORD).await.expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ws = app.ws(&alice.token).await;
    let mut ws_other = app.ws(&other).await;
    app.post("/api/logout", Some(&alice.token), json!({}))
        .await
        .expect(204);
    assert_eq!(ws.closed().await, Some(4003));
    // The other session's socket is untouched.
    ws_other.send(json!({"type": "ping"})).await;
    assert_eq!(ws_other.recv_type("pong").await["type"], "pong");
    // Deactivating a user ends every session and closes its sockets.
    let admin = app.register("root").await;
    parley_store::repo::users::set_admin(
        &mut app.conn(),
        admin["user"]["id"].as_i64().unwrap(),
        true,
    )
    .unwrap();
    let admin_token = admin["access_token"].as_str().unwrap();
    let bob = who(&app, "bob").await;
    let mut bob_ws = app.ws(&bob.token).await;
    let path = format!("/api/admin/users/{}/deactivate", bob.id);
    app.post(&path, Some(&other), json!({}))
        .await
        .expect_problem(403, "forbidden");
    app.post(&path, Some(admin_token), json!({}))
        .await
        .expect(204);
    assert_eq!(bob_ws.closed().await, Some(4003));
    app.get("/api/users/me", Some(&bob.token))
        .await
        .expect_problem(401, "unauthorized");
    app.post(
        &format!("/api/admin/users/{}/reactivate", bob.id),
        Some(admin_token),
        json!({}),
    )
    .await
    .expect(204);
    app.login("bob", common::PASSWORD).await.expect(200);
    // Shutdown tells every socket 1001.
    app.state.hub.close_all(1001);
    assert_eq!(ws_other.closed().await, Some(1001));
}

#[actix_web::test]
async fn oversized_frames_close_with_1009() {
    let app = TestApp::start_on(TestDb::sqlite(), |_| {}).await;
    let token = app.user("big").await;
    let mut ws = app.ws(&token).await;
    ws.send_text(format!(
        r#"{{"type":"ping","pad":"{}"}}"#,
        "x".repeat(70 * 1024)
    ))
    .await;
    assert_eq!(ws.closed().await, Some(1009));
}

#[actix_web::test]
async fn flooding_senders_are_throttled_then_closed() {
    let app = TestApp::start_on(TestDb::sqlite(), |s| {
        s.gateway.send_limit = 3;
        s.gateway.send_window_secs = 60;
    })
    .await;
    let flood = app.register("flood").await;
    let calm = app.register("calm").await;
    let (ft, ct) = (
        flood["access_token"].as_str().unwrap(),
        calm["access_token"].as_str().unwrap(),
    );
    let rid = app
        .post("/api/rooms", Some(ft), json!({"title": "r"}))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    app.post(&format!("/api/rooms/{rid}/join"), Some(ct), json!({}))
        .await
        .expect(200);
    let mut f = app.ws(ft).await;
    let mut c = app.ws(ct).await;
    for i in 0..3 {
        f.send(json!({"type": "message.send", "room_id": rid, "body": format!("{i}")}))
            .await;
        f.recv_type("message.ack").await;
    }
    f.send(
        json!({"type": "message.send", "room_id": rid, "body": "too many", "client_msg_id": "x"}),
    )
    .await;
    let err = f.recv_type("error").await;
    assert_eq!(
        (err["code"].as_str(), err["client_msg_id"].as_str()),
        (Some("rate_limited"), Some("x"))
    );
    // Others are unaffected.
    c.send(json!({"type": "message.send", "room_id": rid, "body": "fine"}))
        .await;
    c.recv_type("message.ack").await;
    let mut code = None;
    for _ in 0..20 {
        f.send(json!({"type": "message.send", "room_id": rid, "body": "more"}))
            .await;
    }
    for _ in 0..40 {
        match f.next_within(Duration::from_secs(5)).await {
            WsEvent::Closed(c) => {
                code = c;
                break;
            }
            WsEvent::Silent => break,
            WsEvent::Frame(_) => {}
        }
    }
    assert_eq!(code, Some(4029));
}

#[actix_web::test]
async fn slow_consumers_are_cut_off_not_buffered() {
    let app = TestApp::start_on(TestDb::sqlite(), |s| s.gateway.queue_bytes = 4096).await;
    let hub = app.state.hub.clone();
    // A registered socket whose task never drains its queue.
    let (handle, inbox) = hub.register(1, 1, &[(42, 0)]);
    let frame: std::sync::Arc<str> =
        format!(r#"{{"type":"x","pad":"{}"}}"#, "y".repeat(1000)).into();
    for seq in 1..=10 {
        hub.dispatch(&parley_realtime::BusEvent::Room {
            room_id: 42,
            event_seq: seq,
            frame: frame.clone(),
            effect: parley_realtime::RoomEffect::None,
        });
    }
    assert_eq!(
        inbox.kill.code.load(std::sync::atomic::Ordering::SeqCst),
        4008
    );
    assert!(inbox.queued_bytes.load(std::sync::atomic::Ordering::SeqCst) <= 4096);
    hub.unregister(handle.id);
    let _: Value = json!(null);
}

#[test]
fn the_asyncapi_document_rejects_frames_it_does_not_describe() {
    common::check_frame("server", &json!({"type": "pong"}));
    for bad in [
        json!({"type": "message.created", "room_id": 1}),
        json!({"type": "member.left", "room_id": 1, "event_seq": 2, "user_id": 3, "reason": "vanished"}),
        json!({"type": "no.such.frame"}),
    ] {
        assert!(
            std::panic::catch_unwind(|| common::check_frame("server", &bad)).is_err(),
            "{bad} accepted"
        );
    }
}

#[actix_web::test]
async fn at_here_notifies_members_with_open_sockets_only() {
    let app = TestApp::start_on(TestDb::sqlite(), |_| {}).await;
    let alice = who(&app, "alice").await;
    let bob = who(&app, "bob").await;
    let carol = who(&app, "carol").await;
    let rid = shared_room(&app, &alice, &[&bob, &carol]).await;
    let mut b = app.ws(&bob.token).await;
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "@here standup"}),
    )
    .await
    .expect(201);
    assert_eq!(
        b.recv_type("notification").await["notification"]["kind"],
        "mention"
    );
    let carol_notes = app
        .get("/api/notifications", Some(&carol.token))
        .await
        .expect(200)
        .clone();
    assert!(
        carol_notes["items"].as_array().unwrap().is_empty(),
        "carol is offline: {carol_notes}"
    );
}

#[actix_web::test]
async fn metrics_count_traffic_sockets_and_fan_out() {
    let app = TestApp::start_on(TestDb::sqlite(), |_| {}).await;
    let alice = who(&app, "alice").await;
    let rid = shared_room(&app, &alice, &[]).await;
    let mut ws = app.ws(&alice.token).await;
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "counted"}),
    )
    .await
    .expect(201);
    ws.recv_type("message.created").await;
    let mut res = app.server.get("/metrics").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    };
    assert!(
        value(r#"parley_http_requests_total{method="POST",route="/api/messages",status="201"}"#)
            >= 1.0
    );
    assert!(
        value(r#"parley_http_request_duration_seconds_count{method="POST",route="/api/messages"}"#)
            >= 1.0
    );
    assert_eq!(value("parley_ws_connections "), 1.0);
    assert!(value("parley_events_fanned_out_total ") >= 1.0);
    assert!(value("parley_fanout_seconds_count ") >= 1.0);
    // The one send went through the group commit alone.
    assert_eq!(value("parley_send_batch_size_count "), 1.0);
    assert_eq!(value("parley_send_batch_size_sum "), 1.0);
    assert_eq!(value("parley_send_batch_seconds_count "), 1.0);
    assert_eq!(value("parley_send_batches_rewritten_total "), 0.0);
    assert!(value(r#"parley_db_pool_connections{state="open"}"#) >= 1.0);
    assert_eq!(value("parley_redis_up "), 0.0);
}

/// Sends written without waiting for answers (more than a socket may have in flight),
/// over two rooms and from two sockets of one user, with refusals among them: every send
/// is answered in the order sent, echoing its `ref` and `client_msg_id`; each socket's
/// messages are stored in the order it sent them; listeners get each room in order.
async fn pipelined_sends_keep_order_and_are_all_answered(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let app = TestApp::start_on(db, |s| s.gateway.send_limit = 1000).await;
    let alice = who(&app, "alice").await;
    let bob = who(&app, "bob").await;
    let first = shared_room(&app, &alice, &[&bob]).await;
    let second = shared_room(&app, &alice, &[&bob]).await;
    let mut b = app.ws(&bob.token).await;
    let mut a = app.ws(&alice.token).await;
    let mut a2 = app.ws(&alice.token).await;
    const SENDS: usize = 50;
    let room_of = |i: usize| match i {
        20 => 999_999, // not a room: refused
        _ if i.is_multiple_of(3) => second,
        _ => first,
    };
    for i in 0..SENDS {
        let frame = json!({
            "type": "message.send",
            "room_id": room_of(i),
            "body": if i == 10 { String::new() } else { format!("a{i}") },
            "client_msg_id": format!("a{i}"),
            "ref": format!("r{i}"),
        });
        if i == 10 {
            a.send_invalid(frame).await; // an empty body: refused
        } else {
            a.send(frame).await;
        }
        a2.send(json!({"type": "message.send", "room_id": first, "body": format!("b{i}"), "client_msg_id": format!("b{i}")}))
            .await;
    }
    // Answers, in the order sent.
    let mut last_seq = std::collections::HashMap::new();
    for i in 0..SENDS {
        let reply = loop {
            let frame = a.recv().await;
            if frame["type"] == "message.ack" || frame["type"] == "error" {
                break frame;
            }
        };
        assert_eq!(reply["ref"], format!("r{i}"), "{reply}");
        assert_eq!(reply["client_msg_id"], format!("a{i}"), "{reply}");
        match i {
            10 => assert_eq!(reply["code"], "validation_failed"),
            20 => assert_eq!(reply["code"], "not_found"),
            _ => {
                assert_eq!(reply["type"], "message.ack", "{reply}");
                let seq = reply["message"]["seq"].as_i64().unwrap();
                let before = last_seq.insert(room_of(i), seq).unwrap_or(0);
                assert!(seq > before, "send {i} stored before an earlier one");
            }
        }
    }
    let mut last_b = 0;
    for i in 0..SENDS {
        let ack = loop {
            let frame = a2.recv().await;
            if frame["type"] == "message.ack" {
                break frame;
            }
        };
        assert_eq!(ack["client_msg_id"], format!("b{i}"));
        let seq = ack["message"]["seq"].as_i64().unwrap();
        assert!(seq > last_b, "b{i} stored before an earlier send");
        last_b = seq;
    }
    // Stored densely, and delivered in order with each socket's messages in send order.
    let accepted_first = (0..SENDS)
        .filter(|i| room_of(*i) == first && *i != 10)
        .count();
    let accepted_second = (0..SENDS).filter(|i| room_of(*i) == second).count();
    let mut conn = app.conn();
    assert_eq!(
        parley_store::repo::messages::seqs(&mut conn, first).unwrap(),
        (1..=(accepted_first + SENDS) as i64).collect::<Vec<_>>()
    );
    assert_eq!(
        parley_store::repo::messages::seqs(&mut conn, second).unwrap(),
        (1..=accepted_second as i64).collect::<Vec<_>>()
    );
    let mut seen: std::collections::HashMap<i64, (i64, Vec<String>)> = Default::default();
    for _ in 0..(accepted_first + accepted_second + SENDS) {
        let created = loop {
            let frame = b.recv().await;
            if frame["type"] == "message.created" {
                break frame;
            }
        };
        let room = created["room_id"].as_i64().unwrap();
        let event_seq = created["event_seq"].as_i64().unwrap();
        let (last, bodies) = seen.entry(room).or_default();
        assert!(event_seq > *last, "room {room} out of order");
        *last = event_seq;
        bodies.push(created["message"]["body"].as_str().unwrap().to_owned());
    }
    let index = |body: &String| body[1..].parse::<usize>().unwrap();
    for (room, (_, bodies)) in &seen {
        for socket in ["a", "b"] {
            let order: Vec<usize> = bodies
                .iter()
                .filter(|body| body.starts_with(socket))
                .map(index)
                .collect();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(order, sorted, "room {room}: socket {socket} out of order");
        }
    }
}

/// Presence transitions during one tick reach co-members (coalesced into one frame per
/// room when there are several), and so do the offline ones.
async fn presence_is_coalesced_and_complete(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    // A long tick, so the connects below usually share one (the test holds either way).
    let app = TestApp::start_on(db, |s| s.gateway.presence_tick_ms = 500).await;
    let watcher = who(&app, "watcher").await;
    let mut others = Vec::new();
    for name in ["ann", "ben", "cat", "dan", "eve"] {
        others.push(who(&app, name).await);
    }
    let refs: Vec<&Who> = others.iter().collect();
    shared_room(&app, &watcher, &refs).await;
    let mut w = app.ws(&watcher.token).await;
    let mut sockets = Vec::new();
    for other in &others {
        sockets.push(app.ws(&other.token).await);
    }
    // Reads the watcher's frames until every other user was last announced `status`.
    let ids: Vec<i64> = others.iter().map(|o| o.id).collect();
    let mut seen = std::collections::HashMap::new();
    async fn until_all(
        w: &mut common::Ws,
        ids: &[i64],
        seen: &mut std::collections::HashMap<i64, String>,
        status: &str,
    ) {
        while !ids
            .iter()
            .all(|id| seen.get(id).map(String::as_str) == Some(status))
        {
            let frame = w.recv().await;
            for id in ids {
                if let Some(announced) = presence_in(&frame, *id) {
                    seen.insert(*id, announced);
                }
            }
        }
    }
    until_all(&mut w, &ids, &mut seen, "online").await;
    drop(sockets);
    until_all(&mut w, &ids, &mut seen, "offline").await;
}

/// A socket closed by the server (here: shutdown, 1001) while sends are in flight answers
/// them first: every stored message was acknowledged, however many were in flight.
async fn sends_in_flight_are_answered_before_a_close(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let app = TestApp::start_on(db, |s| s.gateway.send_limit = 1000).await;
    let alice = who(&app, "alice").await;
    let room = shared_room(&app, &alice, &[]).await;
    let mut a = app.ws(&alice.token).await;
    for i in 0..30 {
        a.send(json!({"type": "message.send", "room_id": room, "body": format!("m{i}"), "client_msg_id": format!("m{i}")}))
            .await;
    }
    // Frames are read in order: once the ping is answered, every send has been queued
    // (fewer than MAX_SENDS_IN_FLIGHT), and most are still in flight.
    a.send(json!({"type": "ping", "ref": "barrier"})).await;
    let mut acked = std::collections::HashSet::new();
    loop {
        let frame = a.recv().await;
        match frame["type"].as_str() {
            Some("pong") => break,
            Some("message.ack") => {
                acked.insert(frame["client_msg_id"].as_str().unwrap().to_owned());
            }
            _ => {}
        }
    }
    app.state.hub.close_all(1001);
    let code = loop {
        match a.next_within(Duration::from_secs(15)).await {
            WsEvent::Frame(frame) if frame["type"] == "message.ack" => {
                acked.insert(frame["client_msg_id"].as_str().unwrap().to_owned());
            }
            WsEvent::Frame(_) => {}
            WsEvent::Closed(code) => break code,
            WsEvent::Silent => panic!("socket stayed open"),
        }
    };
    assert_eq!(code, Some(1001));
    let mut conn = app.conn();
    let stored: std::collections::HashSet<String> = parley_store::repo::messages::page(
        &mut conn,
        room,
        parley_store::repo::messages::Direction::After(0),
        0,
        1000,
    )
    .unwrap()
    .into_iter()
    .map(|(m, _)| m.client_msg_id.unwrap())
    .collect();
    assert_eq!(stored, acked, "stored and acknowledged differ");
}

/// The upgrade and the socket as bytes on a plain TCP connection, since the listener
/// carries upgraded connections itself: refusals are whole HTTP answers that end the
/// connection, a client's first frame sent right behind its request is not lost, a
/// frame split across writes is reassembled, and a close is answered and ends TCP.
#[actix_web::test]
async fn the_upgrade_on_the_wire() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let app = TestApp::start_on(TestDb::sqlite(), |_| {}).await;
    let token = app.user("wire").await;
    let addr = common::host_port(&app);
    let upgrade = |path: &str, extra: &str| common::upgrade_request(&addr, path, extra);
    let frame = common::client_text_frame;
    // Sends `request` on a new connection; the whole answer, once the server ends it.
    async fn answer_to(addr: &str, request: String) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut all = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut all))
            .await
            .expect("the server ends the connection")
            .unwrap();
        String::from_utf8_lossy(&all).into_owned()
    }

    // A disallowed origin: a whole 403 problem, then the connection ends.
    let answer = answer_to(&addr, upgrade("/ws", "Origin: https://evil.example\r\n")).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    let problem: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(problem["code"], "forbidden", "{problem}");

    // An upgrade to a path that is not the gateway: the API's 404 problem.
    let answer = answer_to(&addr, upgrade("/api/nowhere", "")).await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(answer.contains("\"code\":\"not_found\""), "{answer}");

    // The request and the `auth` frame in one write, then a ping split in two writes.
    let mut ws = TcpStream::connect(&addr).await.unwrap();
    let mut hello = upgrade("/ws", "").into_bytes();
    hello.extend(frame(&json!({"type": "auth", "token": token}).to_string()));
    ws.write_all(&hello).await.unwrap();
    let mut reader = ServerFrames::default();
    let head = reader.head(&mut ws).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let ready: Value = serde_json::from_str(&reader.text(&mut ws).await).unwrap();
    assert_eq!(ready["type"], "ready", "{ready}");
    let ping = frame(r#"{"type":"ping","ref":"split"}"#);
    ws.write_all(&ping[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    ws.write_all(&ping[5..]).await.unwrap();
    loop {
        let event: Value = serde_json::from_str(&reader.text(&mut ws).await).unwrap();
        if event["type"] == "pong" {
            assert_eq!(event["ref"], "split");
            break;
        }
    }
    // A close (1000): answered with a close frame, then TCP ends.
    ws.write_all(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])
        .await
        .unwrap();
    let rest = reader.rest(&mut ws).await;
    assert!(
        rest.windows(2).any(|w| w[0] == 0x88),
        "a close frame before the end: {rest:?}"
    );
}

/// Reads what the server sends on a raw socket: the HTTP head, then unmasked frames.
#[derive(Default)]
struct ServerFrames {
    buf: Vec<u8>,
}

impl ServerFrames {
    async fn fill(&mut self, stream: &mut tokio::net::TcpStream) -> usize {
        use tokio::io::AsyncReadExt;
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("the server answers")
            .unwrap();
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    async fn head(&mut self, stream: &mut tokio::net::TcpStream) -> String {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                return String::from_utf8(head).unwrap();
            }
            assert!(self.fill(stream).await > 0, "connection ended in the head");
        }
    }

    /// The next text frame's payload (server frames are never fragmented here).
    async fn text(&mut self, stream: &mut tokio::net::TcpStream) -> String {
        loop {
            if self.buf.len() >= 2 {
                assert_eq!(self.buf[0], 0x81, "a final text frame");
                let (len, at) = match self.buf[1] {
                    126 if self.buf.len() >= 4 => {
                        (u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize, 4)
                    }
                    127 if self.buf.len() >= 10 => (
                        u64::from_be_bytes(self.buf[2..10].try_into().unwrap()) as usize,
                        10,
                    ),
                    n if n < 126 => (n as usize, 2),
                    _ => (usize::MAX, 0),
                };
                if len != usize::MAX && self.buf.len() >= at + len {
                    let frame: Vec<u8> = self.buf.drain(..at + len).collect();
                    return String::from_utf8(frame[at..].to_vec()).unwrap();
                }
            }
            assert!(self.fill(stream).await > 0, "connection ended in a frame");
        }
    }

    /// Everything until the server ends the connection.
    async fn rest(&mut self, stream: &mut tokio::net::TcpStream) -> Vec<u8> {
        while self.fill(stream).await > 0 {}
        std::mem::take(&mut self.buf)
    }
}

/// Sockets spread over two worker threads (each worker pushes its own sockets' frames),
/// with two sockets pipelining sends into one room and a member joining mid-stream:
/// every socket gets every room event once and gap-free, the joiner from its
/// `member.joined` on.
async fn room_order_holds_across_workers(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let app = TestApp::instance_with_workers(std::sync::Arc::new(db), None, 2, |s| {
        s.gateway.send_limit = 1000
    })
    .await;
    let alice = who(&app, "alice").await;
    let bob = who(&app, "bob").await;
    let carol = who(&app, "carol").await;
    let dave = who(&app, "dave").await;
    let rid = shared_room(&app, &alice, &[&bob, &carol]).await;
    let mut senders = [app.ws(&alice.token).await, app.ws(&bob.token).await];
    let mut listeners = Vec::new();
    for token in [
        &alice.token,
        &bob.token,
        &carol.token,
        &carol.token,
        &bob.token,
    ] {
        listeners.push(app.ws(token).await);
    }
    let mut joiner = app.ws(&dave.token).await;
    assert_eq!(app.state.hub.connections(), 8);
    const SENDS: usize = 40;
    for i in 0..SENDS {
        if i == SENDS / 2 {
            app.post(
                &format!("/api/rooms/{rid}/join"),
                Some(&dave.token),
                json!({}),
            )
            .await
            .expect(200);
        }
        for (n, ws) in senders.iter_mut().enumerate() {
            ws.send(json!({"type": "message.send", "room_id": rid, "body": format!("{n}-{i}")}))
                .await;
        }
    }
    // The room's events: every message, and dave's join among them.
    let total = 2 * SENDS + 1;
    let mut first_seq = None;
    for ws in senders.iter_mut().chain(listeners.iter_mut()) {
        let seqs = room_events(ws, rid, total).await;
        let first = *first_seq.get_or_insert(seqs[0]);
        let want: Vec<i64> = (first..first + total as i64).collect();
        assert_eq!(seqs, want, "a socket's room events out of order or missing");
    }
    // The joiner starts at its join, then has the rest in order.
    let first = first_seq.unwrap();
    let joined = loop {
        let frame = joiner.recv().await;
        if frame["room_id"] == rid && frame.get("event_seq").is_some() {
            break frame;
        }
    };
    assert_eq!(joined["type"], "member.joined", "{joined}");
    let at = joined["event_seq"].as_i64().unwrap();
    let rest = room_events(&mut joiner, rid, (first + total as i64 - at - 1) as usize).await;
    let want: Vec<i64> = (at + 1..first + total as i64).collect();
    assert_eq!(rest, want);
}

/// The `event_seq`s of the next `n` events of `rid` on `ws` (other frames skipped).
async fn room_events(ws: &mut common::Ws, rid: i64, n: usize) -> Vec<i64> {
    let mut seqs = Vec::with_capacity(n);
    while seqs.len() < n {
        let frame = ws.recv().await;
        if frame["room_id"] == rid
            && let Some(seq) = frame["event_seq"].as_i64()
        {
            seqs.push(seq);
        }
    }
    seqs
}
