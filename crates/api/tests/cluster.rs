//! Two instances over one database and one Redis: cross-instance delivery, live
//! membership across instances, per-room order under concurrent senders on both, and
//! no loss across a Redis restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command};
use std::time::Duration;

use common::{TestApp, Ws, test_redis, unique_prefix};
use parley_store::Backend;
use parley_store::testing::TestDb;
use serde_json::{Value, json};

on_both_backends!(
    events_cross_instances,
    a_kick_on_one_instance_stops_delivery_on_the_other,
    per_room_order_holds_with_senders_on_both_instances,
    a_burst_crosses_whole_and_in_order,
    nothing_is_lost_across_a_redis_restart,
    stats_count_the_live_instances,
    failed_logins_count_across_instances,
);

async fn pair(backend: Backend, url: &str) -> Option<(TestApp, TestApp)> {
    let db = std::sync::Arc::new(TestDb::new(backend)?);
    let prefix = unique_prefix();
    let a = TestApp::instance(db.clone(), Some((url, &prefix)), |_| {}).await;
    let b = a.peer(Some((url, &prefix))).await;
    // Let both subscribers connect.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    Some((a, b))
}

async fn token(app: &TestApp, name: &str) -> (String, i64) {
    let pair = app.register(name).await;
    (
        pair["access_token"].as_str().unwrap().to_owned(),
        pair["user"]["id"].as_i64().unwrap(),
    )
}

async fn stats_count_the_live_instances(backend: Backend) {
    let Some(url) = test_redis() else { return };
    let Some((a, b)) = pair(backend, &url).await else {
        return;
    };
    let (root, root_id) = token(&a, "root").await;
    parley_store::repo::users::set_admin(&mut a.conn(), root_id, true).unwrap();
    let stats = instances_seen(&b, &root, 2).await;
    assert_eq!(stats["instances"], 2, "{stats}");
    // A third instance under the same prefix counts; another prefix's does not.
    let prefix = a.state.redis_link.as_ref().unwrap().prefix.clone();
    let c = a.peer(Some((&url, &prefix))).await;
    let elsewhere = a.peer(Some((&url, &unique_prefix()))).await;
    // The other prefix's instance has announced itself before the count is read.
    assert_eq!(instances_seen(&elsewhere, &root, 1).await["instances"], 1);
    let stats = instances_seen(&c, &root, 3).await;
    assert_eq!(stats["instances"], 3, "{stats}");
    // A retired instance leaves the count at once.
    c.state.redis_link.as_ref().unwrap().retire().await;
    let stats = a
        .get("/api/admin/stats", Some(&root))
        .await
        .expect(200)
        .clone();
    assert_eq!(stats["instances"], 2, "{stats}");
}

/// `/api/admin/stats` on `app` once it counts `want` instances, or after 5 s: an
/// instance announces itself from a task of its own soon after it starts (on a loaded
/// machine, later than a fixed pause allowed for).
async fn instances_seen(app: &TestApp, token: &str, want: i64) -> serde_json::Value {
    let mut stats = serde_json::Value::Null;
    for _ in 0..50 {
        stats = app
            .get("/api/admin/stats", Some(token))
            .await
            .expect(200)
            .clone();
        if stats["instances"] == want {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    stats
}

async fn failed_logins_count_across_instances(backend: Backend) {
    let Some(url) = test_redis() else { return };
    let Some((a, b)) = pair(backend, &url).await else {
        return;
    };
    a.register("target").await;
    let wrong = "not the password at all";
    // A success on either instance forgets the failures everywhere.
    for app in [&a, &b, &a, &b] {
        app.login("target", wrong)
            .await
            .expect_problem(401, "invalid_credentials");
    }
    b.login("target", common::PASSWORD).await.expect(200);
    // Five failures (the default limit) spread over both instances: neither saw five
    // itself, together they did, and both refuse the next attempt.
    for app in [&a, &b, &a, &b, &a] {
        app.login("target", wrong)
            .await
            .expect_problem(401, "invalid_credentials");
    }
    for app in [&a, &b] {
        let res = app.login("target", common::PASSWORD).await;
        res.expect_problem(429, "rate_limited");
        assert!(res.header("retry-after").is_some());
    }
}

async fn events_cross_instances(backend: Backend) {
    let Some(url) = test_redis() else { return };
    let Some((a, b)) = pair(backend, &url).await else {
        return;
    };
    let (alice, alice_id) = token(&a, "alice").await;
    let (bob, _) = token(&a, "bob").await;
    let rid = a
        .post("/api/rooms", Some(&alice), json!({"title": "x"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    b.post(&format!("/api/rooms/{rid}/join"), Some(&bob), json!({}))
        .await
        .expect(200);
    let mut on_b = b.ws(&bob).await;
    actix_web::rt::time::sleep(Duration::from_millis(150)).await;
    let mut on_a = a.ws(&alice).await;
    // Presence crosses instances.
    assert_eq!(on_b.recv_presence(alice_id).await, "online");
    on_a.send(json!({"type": "message.send", "room_id": rid, "body": "across"}))
        .await;
    on_a.recv_type("message.ack").await;
    assert_eq!(
        on_b.recv_type("message.created").await["message"]["body"],
        "across"
    );
    on_a.send(json!({"type": "typing", "room_id": rid})).await;
    assert_eq!(on_b.recv_type("typing").await["user_id"], alice_id);
    on_a.send(json!({"type": "read", "room_id": rid, "seq": 1}))
        .await;
    assert_eq!(on_b.recv_type("read").await["user_id"], alice_id);
    // REST on B reaches a socket on A.
    b.post(
        "/api/messages",
        Some(&bob),
        json!({"room_id": rid, "body": "back"}),
    )
    .await
    .expect(201);
    assert_eq!(
        on_a.recv_type("message.created").await["message"]["body"],
        "across",
        "the sender's own copy"
    );
    assert_eq!(
        on_a.recv_type("message.created").await["message"]["body"],
        "back"
    );
    // Health says Redis is up.
    assert_eq!(a.get("/api/health", None).await.body["redis"], "ok");
}

async fn a_kick_on_one_instance_stops_delivery_on_the_other(backend: Backend) {
    let Some(url) = test_redis() else { return };
    let Some((a, b)) = pair(backend, &url).await else {
        return;
    };
    let (alice, _) = token(&a, "alice").await;
    let (bob, bob_id) = token(&a, "bob").await;
    let rid = a
        .post("/api/rooms", Some(&alice), json!({"title": "x"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let mut on_b = b.ws(&bob).await;
    actix_web::rt::time::sleep(Duration::from_millis(150)).await;
    // Joining through A starts delivery on B.
    a.post(&format!("/api/rooms/{rid}/join"), Some(&bob), json!({}))
        .await
        .expect(200);
    a.post(
        "/api/messages",
        Some(&alice),
        json!({"room_id": rid, "body": "hello"}),
    )
    .await
    .expect(201);
    assert_eq!(
        on_b.recv_type("message.created").await["message"]["body"],
        "hello"
    );
    a.delete(&format!("/api/rooms/{rid}/members/{bob_id}"), Some(&alice))
        .await
        .expect(204);
    a.post(
        "/api/messages",
        Some(&alice),
        json!({"room_id": rid, "body": "secret"}),
    )
    .await
    .expect(201);
    assert_eq!(on_b.recv_type("member.left").await["reason"], "kicked");
    on_b.quiet(Duration::from_millis(500), &["presence"]).await;
}

async fn per_room_order_holds_with_senders_on_both_instances(backend: Backend) {
    let Some(url) = test_redis() else { return };
    let Some((a, b)) = pair(backend, &url).await else {
        return;
    };
    let (owner, _) = token(&a, "owner").await;
    let rid = a
        .post(
            "/api/rooms",
            Some(&owner),
            json!({"title": "busy", "visibility": "public"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let mut senders = Vec::new();
    for i in 0..8 {
        let (t, _) = token(&a, &format!("sender{i}")).await;
        a.post(&format!("/api/rooms/{rid}/join"), Some(&t), json!({}))
            .await
            .expect(200);
        senders.push(t);
    }
    let mut watch_a = a.ws(&owner).await;
    let mut watch_b = b.ws(&owner).await;
    actix_web::rt::time::sleep(Duration::from_millis(150)).await;
    const EACH: usize = 6;
    let tasks = senders.iter().enumerate().map(|(i, t)| {
        let instance = if i % 2 == 0 { &a } else { &b };
        async move {
            for n in 0..EACH {
                instance
                    .post(
                        "/api/messages",
                        Some(t),
                        json!({"room_id": rid, "body": format!("{i}-{n}")}),
                    )
                    .await
                    .expect(201);
            }
        }
    });
    futures_util::future::join_all(tasks).await;
    for watcher in [&mut watch_a, &mut watch_b] {
        let seqs = collect_messages(watcher, 8 * EACH).await;
        assert_eq!(
            seqs,
            (1..=(8 * EACH) as i64).collect::<Vec<_>>(),
            "every message, once, in seq order"
        );
    }
}

/// A socket's sends as fast as the server takes them: the group commit releases their
/// events in bursts, which cross in pipelines of up to 256 publishes and are handed to
/// the other instance's hub several at a time. Every one arrives once, in order.
async fn a_burst_crosses_whole_and_in_order(backend: Backend) {
    let Some(url) = test_redis() else { return };
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let db = std::sync::Arc::new(db);
    let prefix = unique_prefix();
    let unlimited = |s: &mut parley_api::settings::Settings| s.gateway.send_limit = 10_000;
    let a = TestApp::instance(db.clone(), Some((&url, &prefix)), unlimited).await;
    let b = TestApp::instance(db, Some((&url, &prefix)), unlimited).await;
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let (owner, watcher) = (a.member("owner").await, a.member("watcher").await);
    let rid = a.public_room(&owner, "burst", &[&watcher]).await;
    let mut on_b = b.ws(&watcher.token).await;
    let mut on_a = a.ws(&owner.token).await;
    actix_web::rt::time::sleep(Duration::from_millis(150)).await;
    const N: usize = 600;
    for n in 0..N {
        on_a.send(json!({"type": "message.send", "room_id": rid, "body": format!("b{n}"), "client_msg_id": format!("c{n}")}))
            .await;
    }
    let seqs = collect_messages(&mut on_b, N).await;
    assert_eq!(
        seqs,
        (1..=N as i64).collect::<Vec<_>>(),
        "every message, once, in seq order"
    );
}

/// Message seqs of the next `n` `message.created` frames, checking event order.
async fn collect_messages(ws: &mut Ws, n: usize) -> Vec<i64> {
    let mut seqs = Vec::new();
    let mut last_event = 0;
    while seqs.len() < n {
        let frame: Value = ws.recv().await;
        if let Some(event_seq) = frame["event_seq"].as_i64() {
            assert!(
                event_seq > last_event,
                "event_seq went back: {event_seq} after {last_event}"
            );
            last_event = event_seq;
        }
        if frame["type"] == "message.created" {
            seqs.push(frame["message"]["seq"].as_i64().unwrap());
        }
    }
    seqs
}

struct PrivateRedis {
    child: Child,
    port: u16,
    dir: Option<tempfile::TempDir>,
}

impl PrivateRedis {
    fn start(port: Option<u16>, dir: Option<tempfile::TempDir>) -> PrivateRedis {
        let port = port.unwrap_or_else(|| {
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        });
        let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        PrivateRedis {
            child,
            port,
            dir: Some(dir),
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn kill(mut self) -> (u16, tempfile::TempDir) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        (self.port, self.dir.take().unwrap())
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn nothing_is_lost_across_a_redis_restart(backend: Backend) {
    if test_redis().is_none() {
        return;
    }
    let redis = PrivateRedis::start(None, None);
    let Some((a, b)) = pair(backend, &redis.url()).await else {
        return;
    };
    let (alice, _) = token(&a, "alice").await;
    let (bob, _) = token(&a, "bob").await;
    let rid = a
        .post(
            "/api/rooms",
            Some(&alice),
            json!({"title": "x", "visibility": "public"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    a.post(&format!("/api/rooms/{rid}/join"), Some(&bob), json!({}))
        .await
        .expect(200);
    let mut on_b = b.ws(&bob).await;
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    a.post(
        "/api/messages",
        Some(&alice),
        json!({"room_id": rid, "body": "before"}),
    )
    .await
    .expect(201);
    assert_eq!(on_b.recv_type("message.created").await["message"]["seq"], 1);
    assert_eq!(
        b.metric("parley_events_from_log_total").await,
        0.0,
        "the bus brought it"
    );
    // Redis goes away: sends still commit, the instance says degraded.
    let (port, dir) = redis.kill();
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    for i in 0..3 {
        a.post(
            "/api/messages",
            Some(&alice),
            json!({"room_id": rid, "body": format!("during {i}")}),
        )
        .await
        .expect(201);
    }
    let health = a.get("/api/health", None).await;
    assert_eq!(
        (
            health.status,
            health.body["status"].as_str(),
            health.body["redis"].as_str()
        ),
        (200, Some("degraded"), Some("down"))
    );
    // Redis comes back on the same port: B's subscriber reconnects and catches up.
    let _redis = PrivateRedis::start(Some(port), Some(dir));
    let mut seqs: HashMap<i64, usize> = HashMap::new();
    let mut got = Vec::new();
    while got.len() < 3 {
        let frame = on_b.recv_type("message.created").await;
        let seq = frame["message"]["seq"].as_i64().unwrap();
        *seqs.entry(seq).or_default() += 1;
        got.push(seq);
    }
    assert_eq!(got, [2, 3, 4], "the missed events, in order, once");
    assert!(
        b.metric("parley_events_from_log_total").await >= 3.0,
        "B's metrics count the events it read from the log"
    );
    a.post(
        "/api/messages",
        Some(&alice),
        json!({"room_id": rid, "body": "after"}),
    )
    .await
    .expect(201);
    assert_eq!(on_b.recv_type("message.created").await["message"]["seq"], 5);
}
