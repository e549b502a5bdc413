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

/// A client that stops reading for good: once the server's writes to it have made no
/// progress for `write_stall_secs` (by default a ping's interval and its pong's timeout;
/// here 1 s), the server gives the connection up and resets it, instead of holding it,
/// and the kernel's unsent bytes, for as long as the client keeps its zero window open.
#[actix_web::test]
async fn a_reader_that_never_reads_again_is_let_go() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::start_on(TestDb::sqlite(), |s| {
        s.gateway.queue_bytes = 16 * 1024;
        s.gateway.write_stall_secs = Some(1);
        s.rate_limits = false;
    })
    .await;
    let author = app.member("author").await;
    let stalled = app.member("stalled").await;
    let rid = app.public_room(&author, "firehose", &[&stalled]).await;

    // A raw client with a small receive buffer, authenticated in its first write.
    let host = common::host_port(&app);
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut raw = socket.connect(host.parse().unwrap()).await.unwrap();
    let auth = json!({"type": "auth", "token": stalled.token}).to_string();
    let mut hello = common::upgrade_request(&host, "/ws", "").into_bytes();
    hello.extend(common::client_text_frame(&auth));
    raw.write_all(&hello).await.unwrap();
    let mut head = [0u8; 12];
    raw.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");

    // From here on the client reads nothing: ~6 MB for it, more than its queue and both
    // kernels' buffers.
    let pad = "x".repeat(3990);
    for i in 0..MESSAGES {
        app.post(
            "/api/messages",
            Some(&author.token),
            json!({"room_id": rid, "body": format!("{i:06} {pad}")}),
        )
        .await
        .expect(201);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Reading now, the client finds the bytes its kernel held, then the reset: not the
    // rest of the stream and a close.
    let mut sink = vec![0u8; 64 * 1024];
    let mut read = 0usize;
    let end = loop {
        match tokio::time::timeout(Duration::from_secs(10), raw.read(&mut sink)).await {
            Ok(Ok(0)) => break "end of stream".to_owned(),
            Ok(Ok(n)) => read += n,
            Ok(Err(err)) => break format!("{:?}", err.kind()),
            Err(_) => break "silence".to_owned(),
        }
    };
    assert_eq!(end, "ConnectionReset", "after {read} bytes");
}
