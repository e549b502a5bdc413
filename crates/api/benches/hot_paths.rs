//! Micro-benchmarks of the per-message hot paths (docs/BENCHMARKS.md):
//! - `event_serialise`: a stored message to its `message.created` frame (once per message);
//! - `fanout_1000`: the hub handing one room event to 1,000 local sockets' queues, taken
//!   by their socket tasks (sockets replaying a room, or with a send in flight);
//! - `fanout_1000_direct`: the same when the hub appends to the sockets' wires itself
//!   (every other socket), each wire then drained as actix-http's dispatcher does;
//! - `send_tx/{sqlite,postgres}`: the whole send path (validation, the write transaction,
//!   publish) for a plain message in a 100-member room.
//!
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p parley-api
//! --bench hot_paths` (without `TEST_DATABASE_URL` the PostgreSQL case is skipped).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use parley_api::gateway::hub::Hub;
use parley_api::gateway::wire;
use parley_api::models::Message;
use parley_api::service::messages::{self, Actor, SendInput};
use parley_api::{AppState, Settings};
use parley_realtime::{BusEvent, RoomEffect};
use parley_store::models::{MessageRow, NewRoom, NewUser, UserRow};
use parley_store::repo::{events, members, rooms, users};
use parley_store::testing::TestDb;
use parley_store::{Backend, write_tx};
use serde_json::json;

fn user_row() -> UserRow {
    let now = parley_store::now();
    UserRow {
        id: 42,
        username: "ada".into(),
        username_lower: "ada".into(),
        email: "ada@example.com".into(),
        email_lower: "ada@example.com".into(),
        email_verified_at: None,
        display_name: "Ada Lovelace".into(),
        bio: String::new(),
        avatar_url: None,
        password_hash: "x".into(),
        is_admin: false,
        is_active: true,
        created_at: now,
        last_seen_at: None,
        deleted_at: None,
    }
}

fn message_row() -> MessageRow {
    MessageRow {
        id: 1234,
        room_id: 7,
        seq: 99,
        author_id: 42,
        body: "lg:3:1234:1795334843000000 a message of about sixty-four bytes..".into(),
        client_msg_id: Some("1795334843-3-1234".into()),
        parent_seq: None,
        reply_count: 0,
        last_reply_at: None,
        created_at: parley_store::now(),
        edited_at: None,
        deleted_at: None,
    }
}

fn event_serialise(c: &mut Criterion) {
    let (row, author) = (message_row(), user_row());
    c.bench_function("event_serialise", |b| {
        b.iter(|| {
            let message = Message::from_rows(&row, &author);
            events::frame(7, 99, "message.created", json!({ "message": message })).to_string()
        })
    });
}

/// A `message.created` frame of `room`, as the bus carries it.
fn room_frame(room: i64) -> Arc<str> {
    events::frame(
        room,
        1,
        "message.created",
        json!({"message": Message::from_rows(&message_row(), &user_row())}),
    )
    .to_string()
    .into()
}

/// Users `bench0`, `bench1`, ... and a public group room owned by the first, with all
/// of them members: answers the room and the users' ids.
fn insert_room_of(
    conn: &mut parley_store::DbConn,
    size: usize,
) -> Result<(i64, Vec<i64>), parley_store::StoreError> {
    let now = parley_store::now();
    let mut ids = Vec::new();
    for i in 0..size {
        let name = format!("bench{i}");
        let email = format!("{name}@example.com");
        let user = NewUser {
            username: &name,
            username_lower: &name,
            email: &email,
            email_lower: &email,
            display_name: &name,
            password_hash: "x",
            is_admin: false,
            is_active: true,
            created_at: now,
        };
        ids.push(users::insert(conn, &user)?.id);
    }
    let room = rooms::insert(
        conn,
        &NewRoom {
            org_id: None,
            kind: "group",
            visibility: "public",
            title: "bench",
            description: "",
            created_by: ids[0],
            created_at: now,
            last_activity_at: now,
            dm_key: None,
        },
    )?;
    for (i, id) in ids.iter().enumerate() {
        let role = if i == 0 { "owner" } else { "member" };
        members::insert(conn, room.id, *id, role, now)?;
    }
    Ok((room.id, ids))
}

/// A database holding one room: the hub ends delivery to a room its database does not
/// have (as if it had been deleted), so the sockets' room must exist.
fn db_with_a_room() -> (TestDb, parley_store::Db, i64) {
    let test_db = TestDb::sqlite();
    let db = test_db.migrated(2);
    let mut conn = db.get().unwrap();
    let (room, _) = write_tx(&mut conn, |conn| insert_room_of(conn, 1)).unwrap();
    drop(conn);
    (test_db, db, room)
}

/// Times `iters` dispatches of `room`'s next events, each followed by `drain` (untimed).
fn time_dispatches(
    hub: &Arc<Hub>,
    room: i64,
    frame: &Arc<str>,
    seq: &mut i64,
    iters: u64,
    mut drain: impl FnMut(),
) -> Duration {
    let mut spent = Duration::ZERO;
    for _ in 0..iters {
        *seq += 1;
        let event = BusEvent::Room {
            room_id: room,
            event_seq: *seq,
            frame: frame.clone(),
            effect: RoomEffect::None,
        };
        let started = Instant::now();
        hub.dispatch(&event);
        spent += started.elapsed();
        drain();
    }
    spent
}

fn fanout_1000(c: &mut Criterion) {
    let (_test_db, db, room) = db_with_a_room();
    actix_web::rt::System::new().block_on(async {
        let hub = Hub::new(db, 1 << 20, Arc::new(parley_api::metrics::Metrics::new()));
        let mut inboxes = Vec::new();
        for user in 0..1000 {
            inboxes.push(hub.register(user, user, &[(room, 0)]).1);
        }
        // Let the registration's catch-up reads (an empty log) finish.
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        let frame = room_frame(room);
        let mut seq = 0;
        c.bench_function("fanout_1000", |b| {
            b.iter_custom(|iters| {
                time_dispatches(&hub, room, &frame, &mut seq, iters, || {
                    for inbox in &inboxes {
                        let mut taken = 0;
                        while let Some(item) = inbox.try_recv() {
                            inbox.sent(&item);
                            taken += 1;
                        }
                        // Every socket got the event (a bench that delivers nothing
                        // would time nothing).
                        assert_eq!(taken, 1);
                    }
                })
            })
        });
    });
}

fn fanout_1000_direct(c: &mut Criterion) {
    use actix_web::body::MessageBody;
    let (_test_db, db, room) = db_with_a_room();
    actix_web::rt::System::new().block_on(async {
        let hub = Hub::new(db, 1 << 20, Arc::new(parley_api::metrics::Metrics::new()));
        let mut sockets = Vec::new();
        for user in 0..1000 {
            let (outbox, body) = wire::detached();
            let (handle, inbox) =
                hub.register_with(user, user, &[(room, 0)], false, Some(outbox.sink()), None);
            handle.go_direct();
            sockets.push((outbox, body, inbox));
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        let frame = room_frame(room);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut seq = 0;
        c.bench_function("fanout_1000_direct", |b| {
            b.iter_custom(|iters| {
                time_dispatches(&hub, room, &frame, &mut seq, iters, || {
                    for (_, body, inbox) in &mut sockets {
                        let mut taken = 0;
                        while let std::task::Poll::Ready(Some(_)) =
                            std::pin::Pin::new(&mut *body).poll_next(&mut cx)
                        {
                            taken += 1;
                        }
                        // Every frame went to the wire, none through the socket task.
                        assert_eq!(taken, 1);
                        assert!(inbox.try_recv().is_none());
                    }
                })
            })
        });
    });
}

/// A room of 100 members; answers the state, the room and one member's id.
fn room_of_100(backend: Backend) -> Option<(TestDb, AppState, i64, i64)> {
    let test_db = TestDb::new(backend)?;
    let db = test_db.migrated(4);
    let mut conn = db.get().unwrap();
    let (room, ids) = write_tx(&mut conn, |conn| insert_room_of(conn, 100)).unwrap();
    let author = ids[1];
    drop(conn);
    let state = AppState::new(Settings::for_public_url("http://127.0.0.1:8080"), db, None).unwrap();
    Some((test_db, state, room, author))
}

fn send_tx(c: &mut Criterion) {
    let mut group = c.benchmark_group("send_tx");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((_db, state, room, author)) = room_of_100(backend) else {
            continue;
        };
        let system = actix_web::rt::System::new();
        let mut n = 0u64;
        group.bench_function(backend.name(), |b| {
            b.iter(|| {
                n += 1;
                system
                    .block_on(messages::send(
                        &state,
                        Actor {
                            user_id: author,
                            email_verified: true,
                        },
                        SendInput {
                            room_id: room,
                            body: format!("a plain message number {n} of some ordinary length"),
                            client_msg_id: Some(format!("bench-{n}")),
                            parent_seq: None,
                        },
                    ))
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    event_serialise,
    fanout_1000,
    fanout_1000_direct,
    send_tx
);
criterion_main!(benches);
