//! Faults against real processes: the database going away under a running server, and
//! SIGTERM while clients are sending. Nothing acknowledged is lost, nothing half-written
//! is published, and the server recovers by itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Instance, free_port, log_sink, next, post};
use futures_util::{SinkExt, StreamExt};
use parley_store::testing::TestDb;
use serde_json::{Value, json};

/// A private PostgreSQL cluster this test may stop and start.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    fn bin(name: &str) -> String {
        let versions = std::fs::read_dir("/usr/lib/postgresql").unwrap();
        let mut versions: Vec<_> = versions.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        versions.sort();
        format!("{}/bin/{name}", versions.last().unwrap().display())
    }

    fn as_postgres(args: &[&str]) -> bool {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Command::new("chown")
            .args(["postgres:postgres", dir.path().to_str().unwrap()])
            .status()
            .unwrap();
        let data = dir.path().join("data");
        assert!(
            Self::as_postgres(&[
                &Self::bin("initdb"),
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ]),
            "initdb"
        );
        let pg = PrivatePostgres {
            dir,
            port: free_port(),
        };
        pg.start();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        assert!(
            Self::as_postgres(&[
                &Self::bin("pg_ctl"),
                "-D",
                &self.data(),
                "-o",
                &opts,
                "-w",
                "start"
            ]),
            "pg_ctl start"
        );
    }

    fn stop(&self) {
        assert!(
            Self::as_postgres(&[
                &Self::bin("pg_ctl"),
                "-D",
                &self.data(),
                "-m",
                "immediate",
                "-w",
                "stop"
            ]),
            "pg_ctl stop"
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = Self::as_postgres(&[
            &Self::bin("pg_ctl"),
            "-D",
            &self.data(),
            "-m",
            "immediate",
            "stop",
        ]);
    }
}

fn serve(database_url: &str, extra: &[(&str, &str)]) -> Instance {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parley"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
        .env("PARLEY_RATE_LIMITS", "off")
        .env("PARLEY_LOG_FORMAT", "json")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(log_sink());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    Instance {
        child: cmd.spawn().unwrap(),
        port,
    }
}

/// (status, body) of a request, whatever the status.
async fn call(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(20))
        .finish();
    let req = client
        .request(
            awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("http://127.0.0.1:{port}{path}"),
        )
        .bearer_auth(token);
    let mut res = match body {
        Some(body) => req.send_json(&body).await.unwrap(),
        None => req.send().await.unwrap(),
    };
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn wait_until(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what} within {within:?}");
}

#[actix_web::test]
async fn the_database_going_away_is_a_503_and_the_server_recovers() {
    if !Path::new("/usr/lib/postgresql").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL binaries are needed under CI"
        );
        return;
    }
    let pg = PrivatePostgres::new();
    let server = serve(&pg.url(), &[("PARLEY_DB_TIMEOUT_MS", "1000")]);
    common::wait_healthy(server.port).await;
    let port = server.port;
    let alice = post(
        port,
        "/api/register",
        None,
        json!({"username": "alice", "email": "alice@example.com", "password": "correct horse battery"}),
    )
    .await;
    let token = alice["access_token"].as_str().unwrap().to_owned();
    let room = post(port, "/api/rooms", Some(&token), json!({"title": "r"})).await["id"]
        .as_i64()
        .unwrap();
    let mut ws = common::connect(port, json!({"type": "auth", "token": token})).await;

    pg.stop();
    // REST sends and socket sends are refused as unavailable; health says so.
    let (status, body) = call(
        port,
        "POST",
        "/api/messages",
        &token,
        Some(json!({"room_id": room, "body": "lost"})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("service_unavailable")),
        "{body}"
    );
    ws.send(awc::ws::Message::Text(
        json!({"type": "message.send", "room_id": room, "body": "lost too", "client_msg_id": "c1", "ref": "r1"})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let reply = loop {
        let frame = next(&mut ws).await;
        if frame["type"] == "error" || frame["type"] == "message.ack" {
            break frame;
        }
    };
    assert_eq!(reply["code"], "service_unavailable", "{reply}");
    assert_eq!(reply["client_msg_id"], "c1");
    let (status, _) = call(port, "GET", "/api/health", "", None).await;
    assert_eq!(status, 503);

    // The database returns: the server recovers without a restart.
    pg.start();
    wait_until("healthy again", Duration::from_secs(30), async || {
        call(port, "GET", "/api/health", "", None).await.0 == 200
    })
    .await;
    let (status, sent) = call(
        port,
        "POST",
        "/api/messages",
        &token,
        Some(json!({"room_id": room, "body": "after"})),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["seq"], 1, "the refused sends took no seq");
    // Nothing half-written was published: the first message the socket sees is "after".
    let created = loop {
        let frame = next(&mut ws).await;
        if frame["type"] == "message.created" {
            break frame;
        }
    };
    assert_eq!(created["message"]["body"], "after");
    let (_, page) = call(port, "GET", &format!("/api/messages/{room}"), &token, None).await;
    let bodies: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["after"]);
}

#[actix_web::test]
async fn sigterm_under_load_loses_no_acknowledged_message() {
    let db = TestDb::sqlite();
    let server = serve(&db.url, &[("PARLEY_WS_SEND_LIMIT", "100000")]);
    common::wait_healthy(server.port).await;
    let port = server.port;
    let owner = post(
        port,
        "/api/register",
        None,
        json!({"username": "owner", "email": "owner@example.com", "password": "correct horse battery"}),
    )
    .await;
    let token = owner["access_token"].as_str().unwrap().to_owned();
    let room = post(port, "/api/rooms", Some(&token), json!({"title": "busy"})).await["id"]
        .as_i64()
        .unwrap();

    // Four sockets send as fast as they are acknowledged, one send in flight each.
    let mut senders = Vec::new();
    for s in 0..4 {
        let token = token.clone();
        senders.push(actix_web::rt::spawn(async move {
            let (_, mut ws) = awc::Client::new()
                .ws(format!("ws://127.0.0.1:{port}/ws"))
                .connect()
                .await
                .unwrap();
            ws.send(awc::ws::Message::Text(json!({"type": "auth", "token": token}).to_string().into()))
                .await
                .unwrap();
            let mut acked = Vec::new();
            for i in 0.. {
                let id = format!("s{s}-{i}");
                let frame = json!({"type": "message.send", "room_id": room, "body": id, "client_msg_id": id});
                if ws.send(awc::ws::Message::Text(frame.to_string().into())).await.is_err() {
                    break;
                }
                // Wait for this send's ack (other frames pass by) or the end of the socket.
                let mut answered = false;
                while let Ok(Some(Ok(frame))) = actix_web::rt::time::timeout(Duration::from_secs(10), ws.next()).await {
                    let awc::ws::Frame::Text(bytes) = frame else {
                        if matches!(frame, awc::ws::Frame::Close(_)) {
                            break;
                        }
                        continue;
                    };
                    let v: Value = serde_json::from_slice(&bytes).unwrap();
                    if v["type"] == "message.ack" && v["client_msg_id"] == id.as_str() {
                        acked.push(id.clone());
                        answered = true;
                        break;
                    }
                }
                if !answered {
                    break;
                }
            }
            acked
        }));
    }
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let mut server = server;
    let ok = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let mut acked = HashSet::new();
    for sender in senders {
        acked.extend(sender.await.unwrap());
    }
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "SIGTERM exits cleanly");
    assert!(acked.len() > 20, "load was applied: {} acks", acked.len());

    // Every acknowledged message is stored; every stored one was acknowledged (an
    // in-flight send is answered before its socket closes); seqs are dense.
    let pool = db.pool(1);
    let mut conn = pool.get().unwrap();
    let stored = parley_store::repo::messages::page(
        &mut conn,
        room,
        parley_store::repo::messages::Direction::After(0),
        0,
        100_000,
    )
    .unwrap();
    let ids: HashSet<String> = stored
        .iter()
        .map(|(m, _)| m.client_msg_id.clone().unwrap())
        .collect();
    let missing: Vec<_> = acked.difference(&ids).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let unanswered: Vec<_> = ids.difference(&acked).collect();
    assert!(
        unanswered.is_empty(),
        "stored but never acknowledged: {unanswered:?}"
    );
    let seqs: Vec<i64> = stored.iter().map(|(m, _)| m.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
}
