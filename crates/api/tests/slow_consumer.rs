//! A real socket that stops reading: the server cuts it off (4008) once its bounded
//! queue is full, without waiting for it and without slowing anyone else.

mod common;

use std::time::{Duration, Instant};

use common::*;
use parley_store::testing::TestDb;
use serde_json::json;

const MESSAGES: usize = 1500;

#[actix_web::test]
async fn a_stalled_reader_is_cut_off_and_others_keep_their_pace() {
    let app = TestApp::start_on(TestDb::sqlite(), |s| {
        s.gateway.queue_bytes = 64 * 1024;
        s.rate_limits = false;
    })
    .await;
    let author = app.member("author").await;
    let fast = app.member("fast").await;
    let slow = app.member("slow").await;
    let rid = app.public_room(&author, "firehose", &[&fast, &slow]).await;
    let mut slow_ws = app.ws(&slow.token).await;
    let mut fast_ws = app.ws(&fast.token).await;

    // ~6 MB of messages: more than the kernel's socket buffers and the 64 KiB queue
    // together, so the stalled socket's queue must fill. The fast reader takes each one
    // as it comes; its delay after each post is its latency.
    let pad = "x".repeat(3990);
    let mut latencies = Vec::with_capacity(MESSAGES);
    let mut offline_seen = false;
    for i in 0..MESSAGES {
        let body = format!("{i:06} {pad}");
        let posted = Instant::now();
        let seq = app
            .post(
                "/api/messages",
                Some(&author.token),
                json!({"room_id": rid, "body": body}),
            )
            .await
            .expect(201)["seq"]
            .as_i64()
            .unwrap();
        loop {
            let frame = fast_ws.recv().await;
            if common::presence_in(&frame, slow.id).as_deref() == Some("offline") {
                offline_seen = true;
            }
            if frame["type"] == "message.created" {
                assert_eq!(frame["message"]["seq"], seq, "fast reader out of order");
                break;
            }
        }
        latencies.push(posted.elapsed());
    }
    // The stalled socket's task ended while its client still read nothing: the server
    // announced the slow user offline to the room instead of waiting on them.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !offline_seen && Instant::now() < deadline {
        if let WsEvent::Frame(frame) = fast_ws.next_within(Duration::from_millis(500)).await {
            offline_seen = common::presence_in(&frame, slow.id).as_deref() == Some("offline");
        }
    }
    assert!(offline_seen, "the stalled socket was never cut off");

    // Now the slow client reads: what the kernel held, then the close (or the end of
    // the connection); never all of the messages.
    let mut got = 0;
    let code = loop {
        match slow_ws.next_within(Duration::from_secs(10)).await {
            WsEvent::Frame(frame) => {
                if frame["type"] == "message.created" {
                    got += 1;
                }
            }
            WsEvent::Closed(code) => break code,
            WsEvent::Silent => panic!("the stalled socket was left open"),
        }
    };
    assert!(got < MESSAGES, "the stalled socket got every message");
    assert!(
        code.is_none() || code == Some(4008),
        "closed with {code:?}, not 4008"
    );

    // Reported, not asserted (timing never fails a test): the fast reader's latency
    // before and after the other socket stalled.
    let mean = |s: &[Duration]| s.iter().sum::<Duration>() / s.len() as u32;
    eprintln!(
        "fast reader latency: first 100 {:?}, last 100 {:?}; the stalled one got {got} of {MESSAGES} before 4008",
        mean(&latencies[..100]),
        mean(&latencies[MESSAGES - 100..])
    );
}
