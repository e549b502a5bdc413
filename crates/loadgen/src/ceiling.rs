//! The reference ceiling: a minimal in-memory WebSocket fan-out server on the same
//! stack as Parley (actix-web + actix-ws, one task per socket, a bounded outbound
//! queue per socket), with no authentication, no persistence, no ordering machinery.
//! It speaks the subset of Parley's protocol the load generator uses: an `auth` frame
//! (whose `room_id` picks the room), `ready`, `message.send` → `message.ack` to the
//! sender and one `message.created` frame, serialised once, to every socket of the room.
//! What Parley delivers per second, divided by what this delivers on the same machine
//! in the same run, is the ratio every report states.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use actix_ws::Message;
use bytestring::ByteString;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

/// Frames queued per socket before it is closed as too slow (Parley's default).
const QUEUE_FRAMES: usize = 4096;

#[derive(Default)]
struct Room {
    last_seq: i64,
    conns: Vec<(u64, mpsc::Sender<ByteString>)>,
}

#[derive(Default)]
pub struct Ceiling {
    rooms: Mutex<HashMap<i64, Room>>,
    next_id: AtomicU64,
}

#[derive(Deserialize)]
struct Send {
    room_id: i64,
    #[serde(default)]
    body: String,
    client_msg_id: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<serde_json::Value>,
}

impl Ceiling {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Room>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    hub: web::Data<Ceiling>,
) -> Result<HttpResponse, actix_web::Error> {
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(64 * 1024);
    actix_web::rt::spawn(run(hub.into_inner(), session, stream));
    Ok(response)
}

async fn run(
    hub: Arc<Ceiling>,
    mut session: actix_ws::Session,
    mut stream: actix_ws::MessageStream,
) {
    // The first frame names the room; the token is ignored.
    let room_id = loop {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                break v["room_id"].as_i64().unwrap_or(1);
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return,
        }
    };
    let id = hub.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let (tx, mut rx) = mpsc::channel::<ByteString>(QUEUE_FRAMES);
    hub.lock().entry(room_id).or_default().conns.push((id, tx));
    let ready = json!({"type": "ready", "user": {"id": id, "username": format!("c{id}")}});
    let mut ok = session.text(ready.to_string()).await.is_ok();
    while ok {
        tokio::select! {
            frame = rx.recv() => match frame {
                Some(frame) => ok = session.text(frame).await.is_ok(),
                None => break, // dropped as too slow
            },
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    ok = on_send(&hub, id, &mut session, &text).await;
                }
                Some(Ok(Message::Ping(bytes))) => ok = session.pong(&bytes).await.is_ok(),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    if let Some(room) = hub.lock().get_mut(&room_id) {
        room.conns.retain(|(c, _)| *c != id);
    }
    let _ = session.close(None).await;
}

async fn on_send(hub: &Ceiling, user_id: u64, session: &mut actix_ws::Session, text: &str) -> bool {
    let Ok(send) = serde_json::from_str::<Send>(text) else {
        let error =
            json!({"type": "error", "code": "bad_request", "message": "not a message.send"});
        return session.text(error.to_string()).await.is_ok();
    };
    let now = chrono_like_now();
    let (frame, message, targets) = {
        let mut rooms = hub.lock();
        let room = rooms.entry(send.room_id).or_default();
        room.last_seq += 1;
        let seq = room.last_seq;
        // The same shape and size as Parley's message.created.
        let message = json!({
            "id": seq, "room_id": send.room_id, "seq": seq,
            "author": {"id": user_id, "username": format!("c{user_id}"), "display_name": format!("c{user_id}")},
            "body": send.body, "client_msg_id": send.client_msg_id, "parent_seq": null,
            "reply_count": 0, "last_reply_at": null, "created_at": now, "edited_at": null,
            "deleted": false, "reactions": [],
        });
        let frame = json!({"type": "message.created", "room_id": send.room_id, "event_seq": seq, "message": message});
        let frame = ByteString::from(frame.to_string());
        let targets: Vec<mpsc::Sender<ByteString>> =
            room.conns.iter().map(|(_, tx)| tx.clone()).collect();
        (frame, message, targets)
    };
    for tx in targets {
        // A full queue drops the socket (its task sees the channel close), like 4008.
        let _ = tx.try_send(frame.clone());
    }
    let mut ack =
        json!({"type": "message.ack", "client_msg_id": send.client_msg_id, "message": message});
    if let Some(r) = send.reference {
        ack["ref"] = r;
    }
    session.text(ack.to_string()).await.is_ok()
}

/// An RFC 3339 UTC timestamp (without pulling in chrono).
fn chrono_like_now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:06}Z", d.as_secs(), d.subsec_micros())
}

/// Builds the ceiling's HTTP server on `bind` with `workers` threads. `nodelay` turns
/// Nagle's algorithm off on accepted sockets (actix leaves it on).
pub fn server(
    bind: &str,
    workers: usize,
    nodelay: bool,
) -> std::io::Result<(actix_web::dev::Server, Vec<SocketAddr>)> {
    let hub = web::Data::new(Ceiling::default());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(hub.clone())
            .route("/ws", web::get().to(upgrade))
            .route(
                "/api/health",
                web::get().to(|| async { HttpResponse::Ok().body("ok") }),
            )
    })
    .on_connect(move |conn, _| {
        if nodelay && let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    // Otherwise the listener settings are Parley's (actix defaults), so setup rates compare.
    .workers(workers.max(1))
    .bind(bind)?;
    let addrs = server.addrs();
    Ok((server.run(), addrs))
}

/// Runs the ceiling on a thread of its own (tests); answers its address and a handle.
pub fn spawn(
    bind: &str,
    workers: usize,
) -> std::io::Result<(SocketAddr, actix_web::dev::ServerHandle)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let bind = bind.to_owned();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match server(&bind, workers, false) {
                Ok((server, addrs)) => {
                    let _ = tx.send(Ok((addrs[0], server.handle())));
                    let _ = server.await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
    });
    rx.recv().map_err(std::io::Error::other)?
}
