//! Two real `parley` processes over one PostgreSQL and one Redis: one is killed with
//! SIGKILL mid-conversation; its client reconnects to the other and resumes without
//! losing or duplicating anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use parley_store::testing::TestDb;
use serde_json::{Value, json};

struct Instance {
    child: Child,
    port: u16,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(database_url: &str, redis_url: &str, prefix: &str) -> Instance {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis_url)
        .env("PARLEY_REDIS_PREFIX", prefix)
        .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
        .env("PARLEY_RATE_LIMITS", "off")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Instance { child, port }
}

async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = awc::Client::new();
    while Instant::now() < deadline {
        if let Ok(res) = client
            .get(format!("http://127.0.0.1:{port}/api/health"))
            .send()
            .await
            && res.status().is_success()
        {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("instance on {port} did not become healthy");
}

async fn post(port: u16, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = awc::Client::new().post(format!("http://127.0.0.1:{port}{path}"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let mut res = req.send_json(&body).await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap_or(Value::Null)
}

type Socket = actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>;

async fn connect(port: u16, auth: Value) -> Socket {
    let (_, mut ws) = awc::Client::new()
        .ws(format!("ws://127.0.0.1:{port}/ws"))
        .connect()
        .await
        .unwrap();
    ws.send(awc::ws::Message::Text(auth.to_string().into()))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["type"], "ready");
    ws
}

async fn next(ws: &mut Socket) -> Value {
    loop {
        let frame = actix_web::rt::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time");
        match frame {
            Some(Ok(awc::ws::Frame::Text(bytes))) => {
                return serde_json::from_slice(&bytes).unwrap();
            }
            Some(Ok(_)) => continue,
            other => panic!("socket ended: {other:?}"),
        }
    }
}

/// The next `message.created` frame (skipping presence and the like).
async fn next_message(ws: &mut Socket) -> Value {
    loop {
        let frame = next(ws).await;
        if frame["type"] == "message.created" {
            return frame;
        }
    }
}

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
