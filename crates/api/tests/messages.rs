//! Messages over HTTP on both backends: the send path, history, edits, deletes,
//! threads, reactions, mentions, notifications, pins, reads, clearing and search.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::Method;
use common::TestApp;
use parley_store::Backend;
use serde_json::{Value, json};

on_both_backends!(
    send_answers_messages_with_dense_seqs,
    send_validates_and_checks_membership,
    history_pages_by_seq,
    edits_keep_history_and_deletes_leave_tombstones,
    threads_count_replies,
    reactions_are_one_per_user_per_emoji,
    mentions_and_direct_messages_notify,
    pins_are_for_admins,
    read_positions_drive_unread_counts,
    clearing_hides_history_for_the_caller_only,
    search_covers_only_the_callers_rooms,
    search_sees_every_change_however_far_its_index_lags,
    the_search_index_catches_up_in_bulk_between_batches,
    idempotency_survives_a_restart,
    sixteen_concurrent_senders_keep_seq_dense,
    the_event_log_serves_every_change,
);

use common::Member as Pair;

async fn user(app: &TestApp, name: &str) -> Pair {
    app.member(name).await
}

async fn room(app: &TestApp, owner: &Pair, visibility: &str, members: &[&Pair]) -> i64 {
    let room = app
        .post(
            "/api/rooms",
            Some(&owner.token),
            json!({"title": "room", "visibility": visibility}),
        )
        .await;
    let rid = room.expect(201)["id"].as_i64().unwrap();
    for m in members {
        app.post(
            &format!("/api/rooms/{rid}/members"),
            Some(&owner.token),
            json!({"user_id": m.id}),
        )
        .await
        .expect(201);
    }
    rid
}

async fn send(app: &TestApp, who: &Pair, rid: i64, body: &str) -> Value {
    app.post(
        "/api/messages",
        Some(&who.token),
        json!({"room_id": rid, "body": body}),
    )
    .await
    .expect(201)
    .clone()
}

fn seqs(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

async fn send_answers_messages_with_dense_seqs(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let rid = room(&app, &alice, "private", &[&bob]).await;
    let first = send(&app, &alice, rid, "  hello  ").await;
    assert_eq!(
        (first["seq"].as_i64(), first["body"].as_str()),
        (Some(1), Some("hello"))
    );
    assert_eq!(
        first["author"],
        json!({"id": alice.id, "username": "alice", "display_name": "alice"})
    );
    assert_eq!(first["deleted"], false);
    assert!(first["edited_at"].is_null() && first["parent_seq"].is_null());
    let second = app
        .post(
            "/api/messages",
            Some(&bob.token),
            json!({"room_id": rid, "message": "alias works"}),
        )
        .await;
    assert_eq!(second.expect(201)["seq"], 2);
    // Idempotent per author by client_msg_id.
    let a = app
        .post(
            "/api/messages",
            Some(&alice.token),
            json!({"room_id": rid, "body": "once", "client_msg_id": "c-1"}),
        )
        .await;
    let a = a.expect(201).clone();
    let again = app
        .post(
            "/api/messages",
            Some(&alice.token),
            json!({"room_id": rid, "body": "once", "client_msg_id": "c-1"}),
        )
        .await;
    assert_eq!(again.expect(200)["id"], a["id"]);
    assert_eq!(again.body["seq"], 3);
    // Another author may use the same client id.
    app.post(
        "/api/messages",
        Some(&bob.token),
        json!({"room_id": rid, "body": "mine", "client_msg_id": "c-1"}),
    )
    .await
    .expect(201);
    let other = room(&app, &alice, "private", &[]).await;
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": other, "body": "x", "client_msg_id": "c-1"}),
    )
    .await
    .expect_problem(409, "conflict");
    let history = app
        .get(&format!("/api/messages/{rid}"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(seqs(&history), [1, 2, 3, 4]);
}

async fn send_validates_and_checks_membership(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let eve = user(&app, "eve").await;
    let private = room(&app, &alice, "private", &[]).await;
    let public = room(&app, &alice, "public", &[]).await;
    let res = app
        .post("/api/messages", Some(&alice.token), json!({"room_id": private, "body": "   ", "client_msg_id": "x".repeat(65), "parent_seq": 0}))
        .await;
    let errors = res.expect_problem(422, "validation_failed")["errors"]
        .as_object()
        .unwrap()
        .clone();
    assert!(
        errors.contains_key("body")
            && errors.contains_key("client_msg_id")
            && errors.contains_key("parent_seq")
    );
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": private, "body": "x".repeat(4001)}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": private, "body": "é".repeat(4000)}),
    )
    .await
    .expect(201);
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": private, "body": "bell\u{7}"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"body": "no room"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": "7", "body": "x"}),
    )
    .await
    .expect_problem(400, "bad_request");
    // A room one cannot see: 404; one one can see but has not joined: 403.
    app.post(
        "/api/messages",
        Some(&eve.token),
        json!({"room_id": private, "body": "hi"}),
    )
    .await
    .expect_problem(404, "not_found");
    app.post(
        "/api/messages",
        Some(&eve.token),
        json!({"room_id": public, "body": "hi"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        "/api/messages",
        Some(&eve.token),
        json!({"room_id": 999999, "body": "hi"}),
    )
    .await
    .expect_problem(404, "not_found");
    // Previews: a public room's history is readable before joining; a private one is not.
    send(&app, &alice, public, "welcome").await;
    let preview = app
        .get(&format!("/api/messages/{public}"), Some(&eve.token))
        .await;
    assert_eq!(preview.expect(200)["items"][0]["body"], "welcome");
    app.get(&format!("/api/messages/{private}"), Some(&eve.token))
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/messages/{private}"), None)
        .await
        .expect_problem(401, "unauthorized");
}

async fn history_pages_by_seq(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let rid = room(&app, &alice, "private", &[]).await;
    for i in 1..=10 {
        send(&app, &alice, rid, &format!("m{i}")).await;
    }
    let path = |q: &str| format!("/api/messages/{rid}?{q}");
    let latest = app
        .get(&path("limit=3"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        (seqs(&latest), latest["has_more"].as_bool()),
        (vec![8, 9, 10], Some(true))
    );
    let before = app
        .get(&path("before=8&limit=3"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(seqs(&before), [5, 6, 7]);
    let oldest = app
        .get(&path("before=3&limit=5"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        (seqs(&oldest), oldest["has_more"].as_bool()),
        (vec![1, 2], Some(false))
    );
    let after = app
        .get(&path("after=7&limit=5"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        (seqs(&after), after["has_more"].as_bool()),
        (vec![8, 9, 10], Some(false))
    );
    let catch_up = app
        .get(&path("after=2&limit=3"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        (seqs(&catch_up), catch_up["has_more"].as_bool()),
        (vec![3, 4, 5], Some(true))
    );
    let around = app
        .get(&path("around=5&limit=4"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(seqs(&around), [3, 4, 5, 6]);
    assert_eq!(
        (around["has_older"].as_bool(), around["has_newer"].as_bool()),
        (Some(true), Some(true))
    );
    let all = app
        .get(&path(""), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(seqs(&all), (1..=10).collect::<Vec<_>>());
    app.get(&path("limit=0"), Some(&alice.token))
        .await
        .expect_problem(422, "validation_failed");
    app.get(&path("limit=101"), Some(&alice.token))
        .await
        .expect_problem(422, "validation_failed");
    app.get(&path("before=3&after=1"), Some(&alice.token))
        .await
        .expect_problem(422, "validation_failed");
    app.get(&path("before=abc"), Some(&alice.token))
        .await
        .expect_problem(400, "bad_request");
}

async fn edits_keep_history_and_deletes_leave_tombstones(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let eve = user(&app, "eve").await;
    let rid = room(&app, &alice, "private", &[&bob]).await;
    send(&app, &bob, rid, "first draft").await;
    let edited = app
        .patch(
            &format!("/api/messages/{rid}/1"),
            Some(&bob.token),
            json!({"body": "second draft"}),
        )
        .await;
    let edited = edited.expect(200).clone();
    assert_eq!(edited["body"], "second draft");
    assert!(edited["edited_at"].is_string());
    app.patch(
        &format!("/api/messages/{rid}/1"),
        Some(&alice.token),
        json!({"body": "hijack"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.patch(
        &format!("/api/messages/{rid}/1"),
        Some(&eve.token),
        json!({"body": "hijack"}),
    )
    .await
    .expect_problem(404, "not_found");
    app.patch(
        &format!("/api/messages/{rid}/1"),
        Some(&bob.token),
        json!({"body": ""}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/messages/{rid}/99"),
        Some(&bob.token),
        json!({"body": "x"}),
    )
    .await
    .expect_problem(404, "not_found");
    let history = app
        .get(
            &format!("/api/messages/{rid}/1/history"),
            Some(&alice.token),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(history["items"][0]["body"], "first draft");
    app.get(&format!("/api/messages/{rid}/1/history"), Some(&eve.token))
        .await
        .expect_problem(404, "not_found");
    // Members delete their own; admins anyone's; plain members not others'.
    send(&app, &alice, rid, "owner's words").await;
    app.delete(&format!("/api/messages/{rid}/2"), Some(&bob.token))
        .await
        .expect_problem(403, "forbidden");
    app.delete(&format!("/api/messages/{rid}/1"), Some(&alice.token))
        .await
        .expect(204);
    app.delete(&format!("/api/messages/{rid}/2"), Some(&alice.token))
        .await
        .expect(204);
    app.delete(&format!("/api/messages/{rid}/2"), Some(&alice.token))
        .await
        .expect_problem(404, "not_found");
    let page = app
        .get(&format!("/api/messages/{rid}"), Some(&bob.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(seqs(&page), [1, 2], "deleted messages keep their seq");
    for m in page["items"].as_array().unwrap() {
        assert_eq!(
            (m["deleted"].as_bool(), m["body"].as_str()),
            (Some(true), Some(""))
        );
    }
    app.patch(
        &format!("/api/messages/{rid}/1"),
        Some(&bob.token),
        json!({"body": "revive"}),
    )
    .await
    .expect_problem(404, "not_found");
    let history = app
        .get(&format!("/api/messages/{rid}/1/history"), Some(&bob.token))
        .await
        .expect(200)
        .clone();
    assert!(
        history["items"].as_array().unwrap().is_empty(),
        "a deleted message's old bodies go too"
    );
    assert_eq!(send(&app, &bob, rid, "next").await["seq"], 3);
}

async fn threads_count_replies(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let rid = room(&app, &alice, "private", &[]).await;
    let other = room(&app, &alice, "private", &[]).await;
    send(&app, &alice, rid, "root").await;
    send(&app, &alice, other, "elsewhere").await;
    let reply = app
        .post(
            "/api/messages",
            Some(&alice.token),
            json!({"room_id": rid, "body": "r1", "parent_seq": 1}),
        )
        .await;
    assert_eq!(reply.expect(201)["parent_seq"], 1);
    // A reply to a reply joins the root's thread.
    let nested = app
        .post(
            "/api/messages",
            Some(&alice.token),
            json!({"room_id": rid, "body": "r2", "parent_seq": 2}),
        )
        .await;
    assert_eq!(nested.expect(201)["parent_seq"], 1);
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "x", "parent_seq": 50}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let page = app
        .get(&format!("/api/messages/{rid}"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(page["items"][0]["reply_count"], 2);
    assert!(page["items"][0]["last_reply_at"].is_string());
    let thread = app
        .get(&format!("/api/messages/{rid}/1/thread"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(thread["root"]["body"], "root");
    assert_eq!(seqs(&thread), [2, 3]);
    let later = app
        .get(
            &format!("/api/messages/{rid}/1/thread?after=2"),
            Some(&alice.token),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(seqs(&later), [3]);
    app.get(&format!("/api/messages/{rid}/9/thread"), Some(&alice.token))
        .await
        .expect_problem(404, "not_found");
}

async fn reactions_are_one_per_user_per_emoji(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let eve = user(&app, "eve").await;
    let rid = room(&app, &alice, "private", &[&bob]).await;
    let public = room(&app, &alice, "public", &[]).await;
    send(&app, &alice, rid, "react to me").await;
    send(&app, &alice, public, "public").await;
    let app = &app;
    let put = |who: &Pair, path: String| {
        let token = who.token.clone();
        async move { app.call(Method::PUT, &path, Some(&token), None).await }
    };
    let thumbs = format!("/api/messages/{rid}/1/reactions/%F0%9F%91%8D");
    put(&alice, thumbs.clone()).await.expect(204);
    put(&alice, thumbs.clone()).await.expect(204);
    put(&bob, thumbs.clone()).await.expect(204);
    put(&bob, format!("/api/messages/{rid}/1/reactions/party"))
        .await
        .expect(204);
    let page = app
        .get(&format!("/api/messages/{rid}"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        page["items"][0]["reactions"],
        json!([{"emoji": "👍", "count": 2, "me": true}, {"emoji": "party", "count": 1, "me": false}])
    );
    app.delete(&thumbs, Some(&alice.token)).await.expect(204);
    let page = app
        .get(&format!("/api/messages/{rid}"), Some(&bob.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        page["items"][0]["reactions"][0],
        json!({"emoji": "👍", "count": 1, "me": true})
    );
    put(&eve, thumbs.clone())
        .await
        .expect_problem(404, "not_found");
    put(&eve, format!("/api/messages/{public}/1/reactions/x"))
        .await
        .expect_problem(403, "forbidden");
    put(
        &alice,
        format!("/api/messages/{rid}/1/reactions/{}", "x".repeat(33)),
    )
    .await
    .expect_problem(422, "validation_failed");
    put(&alice, format!("/api/messages/{rid}/7/reactions/x"))
        .await
        .expect_problem(404, "not_found");
}

async fn mentions_and_direct_messages_notify(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let carol = user(&app, "carol").await;
    let dave = user(&app, "dave").await;
    let rid = room(&app, &alice, "private", &[&bob, &carol, &dave]).await;
    for who in [&bob, &carol, &dave] {
        let added = app
            .get("/api/notifications", Some(&who.token))
            .await
            .expect(200)
            .clone();
        assert_eq!(
            added["items"][0]["kind"], "invite",
            "being added to a room notifies"
        );
        app.post(
            "/api/notifications/read",
            Some(&who.token),
            json!({"all": true}),
        )
        .await
        .expect(204);
    }
    let unread_only = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["read"] == false)
            .cloned()
            .collect::<Vec<_>>()
    };
    // Carol mutes the room; Dave blocks Alice.
    app.patch(
        &format!("/api/rooms/{rid}/membership"),
        Some(&carol.token),
        json!({"notify": "none"}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/rooms/{rid}/membership"),
        Some(&carol.token),
        json!({"notify": "loud"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        &format!("/api/users/{}/block", alice.id),
        Some(&dave.token),
        json!({}),
    )
    .await
    .expect(204);
    send(&app, &alice, rid, "hey @Bob @carol @dave and @nobody").await;
    let app = &app;
    let notes = |who: &Pair| {
        let token = who.token.clone();
        async move { app.get("/api/notifications", Some(&token)).await }
    };
    let bob_notes = unread_only(notes(&bob).await.expect(200));
    assert_eq!(bob_notes.len(), 1);
    let n = &bob_notes[0];
    assert_eq!(
        (n["kind"].as_str(), n["room_id"].as_i64(), n["seq"].as_i64()),
        (Some("mention"), Some(rid), Some(1))
    );
    assert_eq!(n["actor"]["username"], "alice");
    assert_eq!(n["read"], false);
    assert!(unread_only(&notes(&carol).await.body).is_empty(), "muted");
    assert!(
        unread_only(&notes(&dave).await.body).is_empty(),
        "blocked author"
    );
    // @room reaches everyone who did not mute (small room: anyone may use it).
    send(app, &bob, rid, "@room lunch?").await;
    assert_eq!(unread_only(&notes(&alice).await.body).len(), 1);
    // Direct messages notify.
    let dm = app
        .post(
            "/api/rooms/direct",
            Some(&alice.token),
            json!({"user_id": bob.id}),
        )
        .await
        .expect(201)
        .clone();
    send(app, &alice, dm["id"].as_i64().unwrap(), "psst").await;
    let bob_notes = notes(&bob).await.expect(200).clone();
    assert_eq!(bob_notes["items"][0]["kind"], "direct");
    assert_eq!(unread_only(&bob_notes).len(), 2);
    // Mark one read: unread ones come first.
    let first_id = bob_notes["items"][0]["id"].as_i64().unwrap();
    app.post(
        "/api/notifications/read",
        Some(&bob.token),
        json!({"ids": [first_id]}),
    )
    .await
    .expect(204);
    let bob_notes = notes(&bob).await.expect(200).clone();
    assert_eq!(
        (
            bob_notes["items"][0]["read"].as_bool(),
            bob_notes["items"][1]["read"].as_bool()
        ),
        (Some(false), Some(true))
    );
    app.post(
        "/api/notifications/read",
        Some(&bob.token),
        json!({"all": true}),
    )
    .await
    .expect(204);
    assert!(
        notes(&bob).await.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["read"] == true)
    );
    // Being added to a room is a notification too.
    let room2 = room(app, &carol, "private", &[&bob]).await;
    let invite = notes(&bob).await.body["items"][0].clone();
    assert_eq!(
        (invite["kind"].as_str(), invite["room_id"].as_i64()),
        (Some("invite"), Some(room2))
    );
}

async fn pins_are_for_admins(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let rid = room(&app, &alice, "private", &[&bob]).await;
    send(&app, &bob, rid, "pin me").await;
    app.call(
        Method::PUT,
        &format!("/api/messages/{rid}/1/pin"),
        Some(&bob.token),
        None,
    )
    .await
    .expect_problem(403, "forbidden");
    app.call(
        Method::PUT,
        &format!("/api/messages/{rid}/1/pin"),
        Some(&alice.token),
        None,
    )
    .await
    .expect(204);
    let pins = app
        .get(&format!("/api/rooms/{rid}/pins"), Some(&bob.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(pins["items"][0]["body"], "pin me");
    app.delete(&format!("/api/messages/{rid}/1/pin"), Some(&alice.token))
        .await
        .expect(204);
    assert!(
        app.get(&format!("/api/rooms/{rid}/pins"), Some(&bob.token))
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn read_positions_drive_unread_counts(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let rid = room(&app, &alice, "private", &[&bob]).await;
    for i in 0..5 {
        send(&app, &alice, rid, &format!("m{i}")).await;
    }
    let app = &app;
    let unread = |who: &Pair| {
        let token = who.token.clone();
        async move { app.get("/api/rooms", Some(&token)).await }
    };
    assert_eq!(unread(&bob).await.body["items"][0]["unread_count"], 5);
    let read = app
        .post(
            &format!("/api/rooms/{rid}/read"),
            Some(&bob.token),
            json!({"seq": 3}),
        )
        .await;
    assert_eq!(read.expect(200)["last_read_seq"], 3);
    assert_eq!(unread(&bob).await.body["items"][0]["unread_count"], 2);
    // Never backwards, unless forced ("mark unread").
    assert_eq!(
        app.post(
            &format!("/api/rooms/{rid}/read"),
            Some(&bob.token),
            json!({"seq": 1})
        )
        .await
        .body["last_read_seq"],
        3
    );
    let forced = app
        .post(
            &format!("/api/rooms/{rid}/read"),
            Some(&bob.token),
            json!({"seq": 1, "force": true}),
        )
        .await;
    assert_eq!(forced.body["last_read_seq"], 1);
    assert_eq!(unread(&bob).await.body["items"][0]["unread_count"], 4);
    app.post(
        &format!("/api/rooms/{rid}/read"),
        Some(&bob.token),
        json!({"seq": 6}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let reads = app
        .get(&format!("/api/rooms/{rid}/reads"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    assert!(
        reads["items"]
            .as_array()
            .unwrap()
            .contains(&json!({"user_id": bob.id, "last_read_seq": 1}))
    );
    let eve = user(app, "eve").await;
    app.post(
        &format!("/api/rooms/{rid}/read"),
        Some(&eve.token),
        json!({"seq": 1}),
    )
    .await
    .expect_problem(404, "not_found");
}

async fn clearing_hides_history_for_the_caller_only(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let rid = room(&app, &alice, "private", &[&bob]).await;
    send(&app, &alice, rid, "secret plans @bob").await;
    send(&app, &alice, rid, "more plans").await;
    let cleared = app
        .post(
            &format!("/api/rooms/{rid}/clear"),
            Some(&bob.token),
            json!({}),
        )
        .await;
    assert_eq!(cleared.expect(200)["cleared_before_seq"], 2);
    assert!(
        app.get(&format!("/api/messages/{rid}"), Some(&bob.token))
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        seqs(
            &app.get(&format!("/api/messages/{rid}"), Some(&alice.token))
                .await
                .body
        ),
        [1, 2]
    );
    let list = app
        .get("/api/rooms", Some(&bob.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(list["items"][0]["unread_count"], 0);
    assert!(list["items"][0]["last_message"].is_null());
    assert!(
        app.get("/api/search?q=plans", Some(&bob.token)).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get("/api/search?q=plans", Some(&alice.token))
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        app.get("/api/notifications", Some(&bob.token)).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    send(&app, &alice, rid, "after the clear").await;
    assert_eq!(
        seqs(
            &app.get(&format!("/api/messages/{rid}"), Some(&bob.token))
                .await
                .body
        ),
        [3]
    );
    app.get(&format!("/api/messages/{rid}/1/thread"), Some(&bob.token))
        .await
        .expect_problem(404, "not_found");
}

async fn search_covers_only_the_callers_rooms(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let shared = room(&app, &alice, "private", &[&bob]).await;
    let alone = room(&app, &alice, "private", &[]).await;
    send(&app, &alice, shared, "The quarterly Report is ready").await;
    send(&app, &alice, shared, "report report everywhere").await;
    send(&app, &alice, alone, "report in a private place").await;
    send(&app, &alice, shared, "nothing to see").await;
    let found = app
        .get("/api/search?q=report", Some(&bob.token))
        .await
        .expect(200)
        .clone();
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{found}");
    assert!(items.iter().all(|h| h["message"]["room_id"] == shared));
    let hit = items.iter().find(|h| h["message"]["seq"] == 1).unwrap();
    assert_eq!(hit["highlights"], json!([{"start": 14, "end": 20}]));
    assert_eq!(
        app.get("/api/search?q=report", Some(&alice.token))
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let one_room = app
        .get(
            &format!("/api/search?q=report&room_id={alone}"),
            Some(&alice.token),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(one_room["items"].as_array().unwrap().len(), 1);
    app.get(
        &format!("/api/search?q=report&room_id={alone}"),
        Some(&bob.token),
    )
    .await
    .expect_problem(404, "not_found");
    // Paging with an opaque cursor.
    let first = app
        .get("/api/search?q=report&limit=2", Some(&alice.token))
        .await
        .expect(200)
        .clone();
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/search?q=report&limit=2&cursor={cursor}"),
            Some(&alice.token),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    // Deleted messages never match; syntax in queries is literal.
    app.delete(&format!("/api/messages/{shared}/2"), Some(&alice.token))
        .await
        .expect(204);
    assert_eq!(
        app.get("/api/search?q=report", Some(&bob.token)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.get("/api/search?q=%22report%22%20OR%20*", Some(&bob.token))
        .await
        .expect(200);
    app.get("/api/search?q=", Some(&bob.token))
        .await
        .expect_problem(422, "validation_failed");
    app.get("/api/search", Some(&bob.token))
        .await
        .expect_problem(400, "bad_request");
}

async fn idempotency_survives_a_restart(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let rid = room(&app, &alice, "private", &[]).await;
    let body = json!({"room_id": rid, "body": "exactly once", "client_msg_id": "retry-me"});
    let first = app
        .post("/api/messages", Some(&alice.token), body.clone())
        .await
        .expect(201)
        .clone();
    // A new server process over the same database: fresh state, same rows.
    let fresh =
        parley_api::AppState::new((*app.state.settings).clone(), app.db.migrated(2), None).unwrap();
    let server = actix_test::start(move || parley_api::app::build(fresh.clone()));
    let mut res = server
        .post("/api/messages")
        .insert_header(("Authorization", format!("Bearer {}", alice.token)))
        .send_json(&body)
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        seqs(
            &app.get(&format!("/api/messages/{rid}"), Some(&alice.token))
                .await
                .body
        ),
        [1]
    );
}

async fn sixteen_concurrent_senders_keep_seq_dense(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let owner = user(&app, "owner").await;
    let mut senders = Vec::new();
    for i in 0..16 {
        senders.push(user(&app, &format!("sender{i:02}")).await);
    }
    let refs: Vec<&Pair> = senders.iter().collect();
    let rid = room(&app, &owner, "private", &refs).await;
    const EACH: usize = 5;
    let tasks = senders.iter().map(|s| async {
        for i in 0..EACH {
            let res = app
                .post("/api/messages", Some(&s.token), json!({"room_id": rid, "body": format!("{i}"), "client_msg_id": format!("{}-{i}", s.id)}))
                .await;
            assert_eq!(res.status, 201, "{}", res.body);
        }
    });
    futures_util::future::join_all(tasks).await;
    let total = (16 * EACH) as i64;
    let stored = parley_store::repo::messages::seqs(&mut app.conn(), rid).unwrap();
    assert_eq!(
        stored,
        (1..=total).collect::<Vec<_>>(),
        "no gap, no duplicate"
    );
}

async fn the_event_log_serves_every_change(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let eve = user(&app, "eve").await;
    let rid = room(&app, &alice, "private", &[]).await;
    let mut bus = app.state.bus.subscribe();
    send(&app, &alice, rid, "one").await;
    app.patch(
        &format!("/api/messages/{rid}/1"),
        Some(&alice.token),
        json!({"body": "uno"}),
    )
    .await
    .expect(200);
    app.call(
        Method::PUT,
        &format!("/api/messages/{rid}/1/reactions/ok"),
        Some(&alice.token),
        None,
    )
    .await
    .expect(204);
    app.delete(&format!("/api/messages/{rid}/1"), Some(&alice.token))
        .await
        .expect(204);
    let log = app
        .get(
            &format!("/api/rooms/{rid}/events?after=1"),
            Some(&alice.token),
        )
        .await
        .expect(200)
        .clone();
    let kinds: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "message.created",
            "message.updated",
            "reaction.added",
            "message.deleted"
        ]
    );
    let seqs: Vec<i64> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [2, 3, 4, 5]);
    assert_eq!(log["items"][1]["message"]["body"], "uno");
    assert_eq!(log["items"][3]["message"]["deleted"], true);
    assert_eq!(log["resync_required"], false);
    // The bus carried the same frames, in order, after each commit.
    let mut published = Vec::new();
    while let Ok(event) = bus.try_recv() {
        if let parley_realtime::BusEvent::Room { frame, .. } = event.as_ref() {
            published.push(serde_json::from_str::<Value>(frame).unwrap());
        }
    }
    assert_eq!(published, log["items"].as_array().unwrap().clone());
    app.get(&format!("/api/rooms/{rid}/events"), Some(&eve.token))
        .await
        .expect_problem(404, "not_found");
}

#[actix_web::test]
async fn unverified_users_may_not_post_when_verification_is_required() {
    let app = TestApp::start_on(parley_store::testing::TestDb::sqlite(), |s| {
        s.auth.require_email_verification = true
    })
    .await;
    let alice = user(&app, "alice").await;
    let rid = room(&app, &alice, "private", &[]).await;
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "hi"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let token = app.mailed_token("alice@example.com", "Confirm").await;
    app.post("/api/email/verify", None, json!({"token": token}))
        .await
        .expect(204);
    // The session's next request sees the verified address.
    app.post(
        "/api/messages",
        Some(&alice.token),
        json!({"room_id": rid, "body": "hi"}),
    )
    .await
    .expect(201);
}

#[actix_web::test]
async fn hostile_inputs_found_by_fuzzing_answer_problems() {
    let app = TestApp::start_on(parley_store::testing::TestDb::sqlite(), |_| {}).await;
    let alice = user(&app, "alice").await;
    let rid = room(&app, &alice, "private", &[]).await;
    // Seqs at the edge of i64 never overflow.
    let max = i64::MAX;
    let log = app
        .get(
            &format!("/api/rooms/{rid}/events?after={max}&limit=1"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(log.expect(200)["items"], json!([]));
    app.get(
        &format!("/api/messages/{rid}?after={max}"),
        Some(&alice.token),
    )
    .await
    .expect(200);
    app.get(
        &format!("/api/messages/{rid}?before={max}"),
        Some(&alice.token),
    )
    .await
    .expect(200);
    app.get(
        "/api/search?q=x&cursor=aTkyMjMzNzIwMzY4NTQ3NzU4MDc",
        Some(&alice.token),
    )
    .await
    .expect(200);
    // A JSON array is not an object, even when every field is optional.
    let res = app
        .server
        .patch("/api/users/me")
        .insert_header(("Authorization", format!("Bearer {}", alice.token)))
        .insert_header(("Content-Type", "application/json"))
        .send_body("[null, null]")
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    // A literal path with another method is 405, not a templated sibling's 404.
    let res = app
        .call(
            Method::PATCH,
            "/api/rooms/direct",
            Some(&alice.token),
            Some(json!({})),
        )
        .await;
    res.expect_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("POST"));
    // Logout's optional body follows its schema.
    app.post(
        "/api/logout",
        Some(&alice.token),
        json!({"refresh_token": "x".repeat(300)}),
    )
    .await
    .expect_problem(422, "validation_failed");
}

/// The seqs a search finds for the caller.
async fn found(app: &TestApp, who: &Pair, q: &str) -> Vec<i64> {
    let mut seqs: Vec<i64> = app
        .get(&format!("/api/search?q={q}"), Some(&who.token))
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["message"]["seq"].as_i64().unwrap())
        .collect();
    seqs.sort_unstable();
    seqs
}

/// On SQLite the search index is not written by the send transaction (it catches up
/// in bulk): edits and deletes of messages it has and has not indexed yet, and sends it
/// has not indexed, are all seen by the next search.
async fn search_sees_every_change_however_far_its_index_lags(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = user(&app, "alice").await;
    let rid = room(&app, &alice, "private", &[]).await;
    send(&app, &alice, rid, "alpha one").await;
    send(&app, &alice, rid, "alpha two").await;
    assert_eq!(found(&app, &alice, "alpha").await, [1, 2]);
    // Both are indexed now: an edit and a delete must take their old words out.
    app.patch(
        &format!("/api/messages/{rid}/1"),
        Some(&alice.token),
        json!({"body": "delta one"}),
    )
    .await
    .expect(200);
    app.delete(&format!("/api/messages/{rid}/2"), Some(&alice.token))
        .await
        .expect(204);
    // Not indexed yet when edited or deleted.
    send(&app, &alice, rid, "alpha three").await;
    app.patch(
        &format!("/api/messages/{rid}/3"),
        Some(&alice.token),
        json!({"body": "gamma three"}),
    )
    .await
    .expect(200);
    send(&app, &alice, rid, "alpha four").await;
    app.delete(&format!("/api/messages/{rid}/4"), Some(&alice.token))
        .await
        .expect(204);
    send(&app, &alice, rid, "alpha five").await;
    assert_eq!(found(&app, &alice, "alpha").await, [5]);
    assert_eq!(found(&app, &alice, "delta").await, [1]);
    assert_eq!(found(&app, &alice, "gamma").await, [3]);
    assert_eq!(found(&app, &alice, "four").await, Vec::<i64>::new());
    assert_eq!(found(&app, &alice, "two").await, Vec::<i64>::new());
}

/// The send queue's writer indexes for search itself once enough sends have gathered,
/// so a search after a burst finds most of it already indexed.
async fn the_search_index_catches_up_in_bulk_between_batches(backend: Backend) {
    let Some(db) = parley_store::testing::TestDb::new(backend) else {
        return;
    };
    // A thousand sends in a row are a flood to the default limits.
    let app = TestApp::start_on(db, |s| s.rate_limits = false).await;
    let alice = user(&app, "alice").await;
    let rid = room(&app, &alice, "private", &[]).await;
    let catch_ups = || {
        app.state
            .metrics
            .render()
            .lines()
            .find_map(|l| l.strip_prefix("parley_search_catch_up_seconds_count "))
            .map(|n| n.parse::<u64>().unwrap())
    };
    let every = parley_store::repo::search::CATCH_UP_EVERY;
    for i in 0..every - 1 {
        send(&app, &alice, rid, &format!("burst word{i}")).await;
    }
    assert_eq!(catch_ups(), Some(0));
    send(&app, &alice, rid, "the last of the burst").await;
    // It runs once the batch is answered.
    let expected = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 0, // indexed by each send's transaction
    };
    for _ in 0..100 {
        if catch_ups() == Some(expected) {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(catch_ups(), Some(expected));
    assert_eq!(found(&app, &alice, "word0").await, [1]);
    assert_eq!(found(&app, &alice, "word700").await, [701]);
    assert_eq!(found(&app, &alice, "last").await, [every as i64]);
}
