//! A socket sent a firehose is written at a bounded rate (`gateway::wire::Pacing`): its
//! broadcast frames wait to share writes, yet every one arrives, once and in order, and
//! neither the socket's own answers nor a queue half full wait for the linger, while
//! what is left waiting is written when the linger ends. A socket at a chat room's pace
//! is never held.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::TestApp;
use parley_store::Backend;
use parley_store::testing::TestDb;
use serde_json::json;

/// Far longer than any wait below: a frame that only the linger's timer would write
/// makes the test time out, so each one must come from a write that a reply, a queue
/// half full, or the socket's pace started.
const FOREVER_MS: u64 = 60_000;

/// A socket sent more than `rate` frames/s is written at most every `linger_ms`.
async fn paced_app(backend: Backend, rate: u32, linger_ms: u64) -> Option<TestApp> {
    let db = TestDb::new(backend)?;
    Some(
        TestApp::start_on(db, |s| {
            s.rate_limits = false;
            s.gateway.linger_ms = linger_ms;
            s.gateway.linger_rate = rate;
        })
        .await,
    )
}

fn send(room: i64, body: String) -> serde_json::Value {
    json!({"type": "message.send", "room_id": room, "body": body, "client_msg_id": body})
}

const ROUNDS: usize = 30;
const PER_ROUND: usize = 10;

/// 30 rounds of 10 sends, each round acked before a 20 ms pause: the reader is sent
/// hundreds of frames a second for far longer than the 100 ms its rate is measured
/// over (at 20 frames/s, a round may take 400 ms and still count). The author's acks
/// are its own answers: they come at once even while its socket is paced.
async fn firehose(app: &TestApp, rate: u32, linger_ms: u64) -> (common::Ws, common::Ws) {
    let author = app.member("author").await;
    let reader = app.member("reader").await;
    let rid = app.public_room(&author, "firehose", &[&reader]).await;
    let mut author_ws = app.ws(&author.token).await;
    let reader_ws = app.ws(&reader.token).await;
    for round in 0..ROUNDS {
        for i in 0..PER_ROUND {
            author_ws.send(send(rid, format!("{round}.{i}"))).await;
        }
        let mut acks = 0;
        while acks < PER_ROUND {
            if author_ws.recv().await["type"] == "message.ack" {
                acks += 1;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        app.metric("parley_ws_writes_held_total").await >= 1.0,
        "no write was held under a firehose (over {rate} frames/s, {linger_ms} ms)"
    );
    (author_ws, reader_ws)
}

fn all_seqs() -> Vec<i64> {
    (1..=(ROUNDS * PER_ROUND) as i64).collect()
}

async fn a_firehose_is_paced_and_arrives_whole(backend: Backend) {
    let Some(app) = paced_app(backend, 20, FOREVER_MS).await else {
        return;
    };
    let (_author_ws, mut reader_ws) = firehose(&app, 20, FOREVER_MS).await;

    // What the reader's socket still holds comes out with the answer to a ping. The
    // last events may reach its queue after the pong, so it pings until it has them all.
    let mut seqs = Vec::new();
    for _ in 0..20 {
        reader_ws.send(json!({"type": "ping"})).await;
        loop {
            let frame = reader_ws.recv().await;
            match frame["type"].as_str() {
                Some("message.created") => seqs.push(frame["message"]["seq"].as_i64().unwrap()),
                Some("pong") => break,
                _ => {}
            }
        }
        if seqs.len() >= ROUNDS * PER_ROUND {
            break;
        }
    }
    assert_eq!(seqs, all_seqs(), "the reader's events, in order, once each");
}
on_both_backends!(a_firehose_is_paced_and_arrives_whole);

/// A reader that sends nothing: what waits at the end of the firehose (fewer frames
/// than half a queue, within the linger of the last write) is written by the linger's
/// timer alone.
async fn the_linger_ends_and_what_waited_is_written(backend: Backend) {
    let Some(app) = paced_app(backend, 20, 500).await else {
        return;
    };
    let (_author_ws, mut reader_ws) = firehose(&app, 20, 500).await;
    let mut seqs = Vec::new();
    while seqs.len() < ROUNDS * PER_ROUND {
        let frame = reader_ws.recv().await;
        if frame["type"] == "message.created" {
            seqs.push(frame["message"]["seq"].as_i64().unwrap());
        }
    }
    assert_eq!(seqs, all_seqs(), "the reader's events, in order, once each");
}
on_both_backends!(the_linger_ends_and_what_waited_is_written);

async fn a_socket_at_a_rooms_pace_is_never_held(backend: Backend) {
    // The default rate, 200 frames/s: twenty times what this room sends.
    let Some(app) = paced_app(backend, 200, FOREVER_MS).await else {
        return;
    };
    let author = app.member("author").await;
    let reader = app.member("reader").await;
    let rid = app.public_room(&author, "chat", &[&reader]).await;
    let mut author_ws = app.ws(&author.token).await;
    let mut reader_ws = app.ws(&reader.token).await;

    // ~10 messages a second: each one comes to the reader as it is sent (a held frame
    // would wait out the linger, past `recv`'s 5 s).
    for i in 0..10 {
        author_ws.send(send(rid, format!("m{i}"))).await;
        author_ws.recv_type("message.ack").await;
        let created = reader_ws.recv_type("message.created").await;
        assert_eq!(created["message"]["seq"], i + 1);
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.metric("parley_ws_writes_held_total").await, 0.0);
}
on_both_backends!(a_socket_at_a_rooms_pace_is_never_held);
