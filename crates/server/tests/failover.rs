//! Two real `parley` processes over one PostgreSQL and one Redis: one is killed with
//! SIGKILL mid-conversation; its client reconnects to the other and resumes without
//! losing or duplicating anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{connect, next_message, post, start, wait_healthy};
use parley_store::testing::TestDb;
use serde_json::json;

#[actix_web::test]
async fn a_killed_instance_loses_nothing() {
    let Some(db) = TestDb::postgres() else { return };
    let Ok(redis) = std::env::var("TEST_REDIS_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "TEST_REDIS_URL must be set under CI"
        );
        return;
    };
    parley_store::run_migrations(&db.pool(1)).unwrap();
    let prefix = format!("parley_failover_{}", rand::random::<u32>());
    let mut a = Some(start(&db.url, &redis, &prefix));
    let b = start(&db.url, &redis, &prefix);
    let (a_port, b_port) = (a.as_ref().unwrap().port, b.port);
    wait_healthy(a_port).await;
    wait_healthy(b_port).await;

    let register = |name: &'static str| async move {
        let pair = post(b_port, "/api/register", None, json!({"username": name, "email": format!("{name}@example.com"), "password": "a long enough passphrase"})).await;
        pair["access_token"].as_str().unwrap().to_owned()
    };
    let alice = register("alice").await;
    let bob = register("bob").await;
    let room = post(
        b_port,
        "/api/rooms",
        Some(&alice),
        json!({"title": "failover", "visibility": "public"}),
    )
    .await;
    let rid = room["id"].as_i64().unwrap();
    post(
        b_port,
        &format!("/api/rooms/{rid}/join"),
        Some(&bob),
        json!({}),
    )
    .await;

    // Bob listens on A; Alice writes through B.
    let mut ws = connect(a_port, json!({"type": "auth", "token": bob})).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    post(
        b_port,
        "/api/messages",
        Some(&alice),
        json!({"room_id": rid, "body": "one"}),
    )
    .await;
    let first = next_message(&mut ws).await;
    assert_eq!(first["message"]["seq"], 1);
    let seen = first["event_seq"].as_i64().unwrap();

    // A dies without a word; Alice keeps writing.
    let mut dead = a.take().unwrap();
    dead.child.kill().unwrap();
    dead.child.wait().unwrap();
    for body in ["two", "three"] {
        post(
            b_port,
            "/api/messages",
            Some(&alice),
            json!({"room_id": rid, "body": body}),
        )
        .await;
    }

    // Bob's client reconnects to B and resumes from what it saw.
    let mut ws = connect(
        b_port,
        json!({"type": "auth", "token": bob, "resume": {rid.to_string(): seen}}),
    )
    .await;
    let mut bodies = Vec::new();
    for _ in 0..2 {
        bodies.push(
            next_message(&mut ws).await["message"]["body"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        bodies,
        ["two", "three"],
        "the missed messages, in order, once"
    );
    post(
        b_port,
        "/api/messages",
        Some(&alice),
        json!({"room_id": rid, "body": "four"}),
    )
    .await;
    assert_eq!(next_message(&mut ws).await["message"]["body"], "four");
}
