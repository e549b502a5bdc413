//! Presence in a connect burst: sockets opened with `?capabilities=presence.batch` get
//! one `presence.batch` frame per room and tick; every other socket gets the contract's
//! `presence` frame per user.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestApp, Ws, WsEvent};
use parley_store::testing::TestDb;
use serde_json::{Value, json};

async fn ws_with_query(app: &TestApp, token: &str, query: &str) -> Ws {
    let (_, framed) = awc::Client::new()
        .ws(app.server.url(&format!("/ws{query}")).replace("http", "ws"))
        .bearer_auth(token)
        .connect()
        .await
        .expect("ws connect");
    let mut ws = Ws { framed };
    assert_eq!(ws.recv().await["type"], "ready");
    ws
}

/// Every frame until the socket has been quiet for `quiet`.
async fn drain(ws: &mut Ws, quiet: Duration) -> Vec<Value> {
    let mut frames = Vec::new();
    while let WsEvent::Frame(frame) = ws.next_within(quiet).await {
        frames.push(frame);
    }
    frames
}

#[actix_web::test]
async fn batched_presence_goes_only_to_sockets_that_ask_for_it() {
    // A long tick, so the burst below surely falls into one.
    let app = TestApp::start_on(TestDb::sqlite(), |s| s.gateway.presence_tick_ms = 1500).await;
    let owner = app.member("owner").await;
    let mut members = Vec::new();
    for name in ["plain", "batched", "anna", "bert", "carl"] {
        members.push(app.member(name).await);
    }
    app.public_room(&owner, "lobby", &members.iter().collect::<Vec<_>>())
        .await;
    let mut plain = app.ws(&members[0].token).await;
    let mut batched = ws_with_query(&app, &members[1].token, "?capabilities=presence.batch").await;
    // Let the observers' own announcements pass.
    drain(&mut plain, Duration::from_millis(2500)).await;
    drain(&mut batched, Duration::from_millis(500)).await;

    // A burst: three members connect within one tick.
    let mut burst = Vec::new();
    for m in &members[2..] {
        burst.push(app.ws(&m.token).await);
    }
    let mut ids: Vec<i64> = members[2..].iter().map(|m| m.id).collect();
    ids.sort_unstable();

    let got = drain(&mut batched, Duration::from_millis(2500)).await;
    let batches: Vec<&Value> = got
        .iter()
        .filter(|f| f["type"] == "presence.batch")
        .collect();
    assert_eq!(batches.len(), 1, "{got:?}");
    assert_eq!(batches[0]["online"], json!(ids));
    assert_eq!(batches[0]["offline"], json!([]));
    common::check_frame("server", batches[0]);
    assert!(
        !got.iter().any(|f| f["type"] == "presence"),
        "a batching socket also got single frames: {got:?}"
    );

    let got = drain(&mut plain, Duration::from_millis(500)).await;
    assert!(
        !got.iter().any(|f| f["type"] == "presence.batch"),
        "{got:?}"
    );
    let mut announced: Vec<i64> = got
        .iter()
        .filter(|f| f["type"] == "presence" && f["status"] == "online")
        .map(|f| f["user_id"].as_i64().unwrap())
        .collect();
    announced.sort_unstable();
    assert_eq!(announced, ids, "{got:?}");
    for frame in got.iter().filter(|f| f["type"] == "presence") {
        common::check_frame("server", frame);
    }

    // A lone change is the contract's frame for everyone, batching or not.
    drop(burst.pop());
    let c = members[4].id;
    for ws in [&mut plain, &mut batched] {
        let got = drain(ws, Duration::from_millis(2500)).await;
        let presence: Vec<&Value> = got
            .iter()
            .filter(|f| f["type"].as_str().unwrap_or("").starts_with("presence"))
            .collect();
        assert_eq!(
            presence,
            vec![&json!({"type": "presence", "user_id": c, "status": "offline"})],
            "{got:?}"
        );
    }
}
