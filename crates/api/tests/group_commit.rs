//! The send path's group commit: concurrent sends, some refused, in several rooms.
//! Every accepted send is answered after its commit with a dense seq, a refused one gets
//! its own error (the others in its batch are unaffected), and listeners receive each
//! room's events once, in gap-free `event_seq` order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use futures_util::future::join_all;
use parley_store::Backend;
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
