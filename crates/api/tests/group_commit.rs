//! The send path's group commit: concurrent sends, some refused, in several rooms.
//! Every accepted send is answered after its commit with a dense seq, a refused one gets
//! its own error (the others in its batch are unaffected), and listeners receive each
//! room's events once, in gap-free `event_seq` order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use futures_util::future::join_all;
use parley_store::Backend;
use parley_store::testing::TestDb;
use serde_json::json;

async fn concurrent_sends_with_refusals(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let (alice, bob, carol) = (
        app.member("alice").await,
        app.member("bob").await,
        app.member("carol").await,
    );
    let public = app
        .post(
            "/api/rooms",
            Some(&alice.token),
            json!({"title": "open", "visibility": "public"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let private = app
        .post(
            "/api/rooms",
            Some(&alice.token),
            json!({"title": "closed", "visibility": "private"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/rooms/{public}/join"),
        Some(&bob.token),
        json!({}),
    )
    .await
    .expect(200);
    let mut listener = app.ws(&bob.token).await;

    let mut sends = Vec::new();
    for i in 0..10 {
        sends.push((&alice.token, public, format!("a{i}"), 201));
        sends.push((&bob.token, public, format!("b{i}"), 201));
        sends.push((&alice.token, private, format!("p{i}"), 201));
        if i < 5 {
            sends.push((&carol.token, private, format!("c{i}"), 404));
        }
    }
    let answers = join_all(sends.iter().map(|(token, room, id, _)| {
        app.post(
            "/api/messages",
            Some(token),
            json!({"room_id": room, "body": format!("hello {id}"), "client_msg_id": id}),
        )
    }))
    .await;
    for ((_, _, id, status), answer) in sends.iter().zip(&answers) {
        assert_eq!(answer.status, *status, "{id}: {:?}", answer.body);
    }

    let mut conn = app.conn();
    let seqs = |conn: &mut parley_store::PooledConn, room| {
        parley_store::repo::messages::seqs(conn, room).unwrap()
    };
    assert_eq!(seqs(&mut conn, public), (1..=20).collect::<Vec<i64>>());
    assert_eq!(seqs(&mut conn, private), (1..=10).collect::<Vec<i64>>());

    // The listener sees the public room's 20 messages once each, event_seq without gaps.
    let mut event_seqs = Vec::new();
    let mut bodies = std::collections::HashSet::new();
    while event_seqs.len() < 20 {
        let frame = listener.recv_type("message.created").await;
        assert_eq!(frame["room_id"], public);
        event_seqs.push(frame["event_seq"].as_i64().unwrap());
        assert!(bodies.insert(frame["message"]["body"].as_str().unwrap().to_owned()));
    }
    let first = event_seqs[0];
    assert_eq!(event_seqs, (first..first + 20).collect::<Vec<i64>>());

    // A retry of an accepted send is the same message (idempotency across batches).
    let again = app
        .post(
            "/api/messages",
            Some(&alice.token),
            json!({"room_id": public, "body": "hello a3", "client_msg_id": "a3"}),
        )
        .await;
    let first_a3 = answers[sends.iter().position(|s| s.2 == "a3").unwrap()].expect(201);
    assert_eq!(again.expect(200)["seq"], first_a3["seq"]);
}

on_both_backends!(concurrent_sends_with_refusals);

/// A pipelined burst mixing what the batch writes together (plain messages of several
/// rooms and authors, with and without `client_msg_id`) with what it writes send by
/// send (a reply, a mention, a retry of a stored `client_msg_id`, the same id twice in
/// flight, a refusal). Every send is answered in order, seqs and event seqs stay dense,
/// and the event log holds exactly the frames that were delivered.
async fn mixed_burst_is_stored_densely(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let app = TestApp::start_on(db, |s| s.gateway.send_limit = 10_000).await;
    let (alice, bob) = (app.member("alice").await, app.member("bob").await);
    let rooms = [
        app.public_room(&alice, "one", &[&bob]).await,
        app.public_room(&alice, "two", &[&bob]).await,
        app.public_room(&alice, "three", &[&bob]).await,
    ];
    let mut listener = app.ws(&bob.token).await;
    let mut a = app.ws(&alice.token).await;
    let mut b = app.ws(&bob.token).await;

    // Stored before the burst: its retry must answer the same message.
    a.send(json!({"type": "message.send", "room_id": rooms[0], "body": "first", "client_msg_id": "stored"}))
        .await;
    let stored = a.recv_type("message.ack").await["message"]["seq"].clone();
    listener.recv_type("message.created").await;

    // (room, body, client_msg_id, expected answer)
    let mut burst: Vec<(i64, String, Option<String>, &str)> = Vec::new();
    for i in 0..120 {
        let room = rooms[i % 3];
        let (body, id, answer) = match i {
            30 => ("again".to_owned(), Some("stored".to_owned()), "same"),
            31 => (
                "elsewhere".to_owned(),
                Some("stored".to_owned()),
                "conflict",
            ),
            45 | 46 => ("twice".to_owned(), Some("twice".to_owned()), "ack"),
            50 => ("hello @bob".to_owned(), Some(format!("m{i}")), "ack"),
            60 => ("in a thread".to_owned(), Some(format!("m{i}")), "reply"),
            70 => ("nowhere".to_owned(), Some(format!("m{i}")), "not_found"),
            _ if i % 4 == 0 => (format!("plain {i}"), None, "ack"),
            _ => (format!("plain {i}"), Some(format!("m{i}")), "ack"),
        };
        let room = match i {
            30 => rooms[0],
            31 => rooms[1],
            45 | 46 | 60 => rooms[0],
            70 => 999_999,
            _ => room,
        };
        burst.push((room, body, id, answer));
    }
    for (i, (room, body, id, answer)) in burst.iter().enumerate() {
        let mut frame =
            json!({"type": "message.send", "room_id": room, "body": body, "ref": format!("r{i}")});
        if let Some(id) = id {
            frame["client_msg_id"] = json!(id);
        }
        if *answer == "reply" {
            frame["parent_seq"] = stored.clone();
        }
        a.send(frame).await;
        // Another author in the same rooms at the same time.
        b.send(json!({"type": "message.send", "room_id": room.min(&rooms[2]), "body": format!("bob {i}"), "client_msg_id": format!("b{i}")}))
            .await;
    }

    let mut twice_seq = None;
    for (i, (_, _, _, answer)) in burst.iter().enumerate() {
        let reply = loop {
            let frame = a.recv().await;
            if frame["type"] == "message.ack" || frame["type"] == "error" {
                break frame;
            }
        };
        assert_eq!(reply["ref"], format!("r{i}"), "{reply}");
        match *answer {
            "same" => assert_eq!(reply["message"]["seq"], stored, "{reply}"),
            "conflict" => assert_eq!(reply["code"], "conflict", "{reply}"),
            "not_found" => assert_eq!(reply["code"], "not_found", "{reply}"),
            "reply" => assert_eq!(reply["message"]["parent_seq"], stored, "{reply}"),
            _ => assert_eq!(reply["type"], "message.ack", "{reply}"),
        }
        if i == 45 || i == 46 {
            let seq = reply["message"]["seq"].as_i64().unwrap();
            assert_eq!(*twice_seq.get_or_insert(seq), seq, "one id, one message");
        }
    }
    let mut acked = 0;
    while acked < burst.len() {
        let frame = b.recv().await;
        assert_ne!(frame["type"], "error", "{frame}");
        acked += usize::from(frame["type"] == "message.ack");
    }

    // Dense seqs; the log's message.created frames are the ones delivered, in order.
    let created_a = |room: i64| {
        burst
            .iter()
            .filter(|(r, _, _, answer)| *r == room && matches!(*answer, "ack" | "reply"))
            .count()
            - usize::from(room == rooms[0]) // "twice" is one message
    };
    let created_b = |room: i64| {
        burst
            .iter()
            .filter(|(r, ..)| (*r).min(rooms[2]) == room)
            .count()
    };
    let mut conn = app.conn();
    let mut expected_frames = 0;
    for (k, &room) in rooms.iter().enumerate() {
        let count = created_a(room) + created_b(room) + usize::from(k == 0);
        expected_frames += count;
        assert_eq!(
            parley_store::repo::messages::seqs(&mut conn, room).unwrap(),
            (1..=count as i64).collect::<Vec<_>>(),
            "room {k}"
        );
    }
    let mut delivered: std::collections::HashMap<(i64, i64), serde_json::Value> =
        Default::default();
    // The reply also updates its root (message.updated), which the log keeps too.
    while delivered.len() < expected_frames - 1 {
        let frame = listener.recv().await;
        if frame["type"] == "message.created" || frame["type"] == "message.updated" {
            let key = (
                frame["room_id"].as_i64().unwrap(),
                frame["event_seq"].as_i64().unwrap(),
            );
            assert!(delivered.insert(key, frame).is_none(), "delivered twice");
        }
    }
    for &room in &rooms {
        let log = parley_store::repo::events::list_after(&mut conn, room, 0, 1000).unwrap();
        let first = log[0].event_seq;
        for (k, event) in log.iter().enumerate() {
            assert_eq!(
                event.event_seq,
                first + k as i64,
                "room {room}: a gap in the log"
            );
            let stored: serde_json::Value = serde_json::from_str(&event.payload).unwrap();
            if let Some(frame) = delivered.get(&(room, event.event_seq)) {
                assert_eq!(&stored, frame, "the log and the wire differ");
            }
        }
    }
}

on_both_backends!(mixed_burst_is_stored_densely);

/// A retry of a stored `client_msg_id` in the middle of a pipelined burst of plain
/// sends. A batch does not look its ids up: the retry trips the unique index, and the
/// batch is written again with the lookup. The retry is answered its first message,
/// every other send is stored once with a dense seq, and
/// `parley_send_batches_rewritten_total` counts the rewrite.
async fn a_retry_inside_a_batch_is_answered_its_first_message(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let app = TestApp::start_on(db, |s| s.gateway.send_limit = 10_000).await;
    let (alice, bob) = (app.member("alice").await, app.member("bob").await);
    let room = app.public_room(&alice, "one", &[&bob]).await;
    let mut a = app.ws(&alice.token).await;
    a.send(json!({"type": "message.send", "room_id": room, "body": "first", "client_msg_id": "stored"}))
        .await;
    let stored = a.recv_type("message.ack").await["message"].clone();

    let rewritten = || app.metric("parley_send_batches_rewritten_total");
    assert_eq!(rewritten().await, 0.0);
    let mut last_seq = stored["seq"].as_i64().unwrap();
    // A burst's first send is usually written alone and the rest queue behind it; a
    // round whose retry still went alone (or first) is followed by another.
    for round in 0..5 {
        for i in 0..40 {
            let id = if i == 20 {
                "stored".to_owned()
            } else {
                format!("r{round}-{i}")
            };
            a.send(json!({"type": "message.send", "room_id": room, "body": format!("round {round} send {i}"),
                "client_msg_id": id, "ref": format!("{round}-{i}")}))
                .await;
        }
        for i in 0..40 {
            let answer = loop {
                let frame = a.recv().await;
                if frame["type"] == "message.ack" || frame["type"] == "error" {
                    break frame;
                }
            };
            assert_eq!(answer["type"], "message.ack", "{answer}");
            assert_eq!(answer["ref"], format!("{round}-{i}"), "{answer}");
            if i == 20 {
                assert_eq!(
                    answer["message"], stored,
                    "the retry answers the first message"
                );
            } else {
                last_seq += 1;
                assert_eq!(answer["message"]["seq"], last_seq, "{answer}");
                assert_eq!(answer["message"]["body"], format!("round {round} send {i}"));
            }
        }
        if rewritten().await >= 1.0 {
            break;
        }
    }
    assert!(rewritten().await >= 1.0, "no batch held the retry");
    let mut conn = app.conn();
    assert_eq!(
        parley_store::repo::messages::seqs(&mut conn, room).unwrap(),
        (1..=last_seq).collect::<Vec<_>>()
    );
}

on_both_backends!(a_retry_inside_a_batch_is_answered_its_first_message);

/// PostgreSQL: a batch stuck on a room's row lock (a long transaction elsewhere holds
/// it) does not hold up sends to other rooms. The queue runs one worker while it keeps
/// up, so the next send starts another once no batch has begun for a while.
#[actix_web::test]
async fn a_stuck_batch_does_not_hold_up_other_rooms() {
    use futures_util::future::{Either, select};
    use parley_store::diesel::connection::SimpleConnection;
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let alice = app.member("alice").await;
    let stuck_room = app.public_room(&alice, "stuck", &[]).await;
    let other_room = app.public_room(&alice, "other", &[]).await;

    let mut blocker = app.conn();
    blocker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM rooms WHERE id = {stuck_room} FOR UPDATE"
        ))
        .unwrap();
    let send = |room: i64, body: &'static str| {
        app.post(
            "/api/messages",
            Some(&alice.token),
            json!({"room_id": room, "body": body}),
        )
    };
    let stuck = std::pin::pin!(send(stuck_room, "waits for the lock"));
    let other = std::pin::pin!(async {
        // Long enough that the stuck batch has visibly stalled.
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        send(other_room, "goes ahead").await
    });
    let outcome =
        actix_web::rt::time::timeout(std::time::Duration::from_secs(20), select(stuck, other))
            .await
            .expect("the other room's send was held up by the stuck batch");
    let Either::Right((answer, stuck)) = outcome else {
        panic!("the send to the locked room finished while its lock was held");
    };
    assert_eq!(answer.expect(201)["seq"], 1);

    blocker.batch_execute("COMMIT").unwrap();
    assert_eq!(stuck.await.expect(201)["seq"], 1);
}
