//! History page latency in a room of 1 million messages, on SQLite and PostgreSQL, so a
//! page that scans instead of seeking the `(room_id, seq)` index shows up.
//!
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p
//! parley-store --bench history` (without `TEST_DATABASE_URL` only SQLite runs;
//! `HISTORY_MESSAGES` overrides the room size).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use parley_store::models::{NewRoom, NewUser};
use parley_store::repo::messages::{self, Direction};
use parley_store::repo::{rooms, users};
use parley_store::testing::TestDb;
use parley_store::{Backend, DbConn};

fn room_size() -> i64 {
    std::env::var("HISTORY_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// A database with one room of `n` messages, written in bulk by the database itself.
/// SQLite is not analysed, as the server never analyses it: with `sqlite_stat4` samples
/// its planner reads a range's bound values, and every run compiles the page again.
fn seeded(backend: Backend, n: i64) -> Option<(TestDb, parley_store::Db, i64)> {
    let test_db = TestDb::new(backend)?;
    let db = test_db.migrated(2);
    let mut conn = db.get().unwrap();
    let now = parley_store::now();
    let user = users::insert(
        &mut conn,
        &NewUser {
            username: "bench",
            username_lower: "bench",
            email: "bench@example.com",
            email_lower: "bench@example.com",
            display_name: "Bench",
            password_hash: "x",
            is_admin: false,
            is_active: true,
            created_at: now,
        },
    )
    .unwrap();
    let room = rooms::insert(
        &mut conn,
        &NewRoom {
            org_id: None,
            kind: "group",
            visibility: "public",
            title: "big",
            description: "",
            created_by: user.id,
            created_at: now,
            last_activity_at: now,
            dm_key: None,
        },
    )
    .unwrap();
    let (room_id, author) = (room.id, user.id);
    let sql = match &*conn {
        DbConn::Postgres(_) => format!(
            "INSERT INTO messages (room_id, seq, author_id, body, created_at) \
             SELECT {room_id}, g, {author}, 'message number ' || g, now() FROM generate_series(1, {n}) g; \
             UPDATE rooms SET last_seq = {n} WHERE id = {room_id}; ANALYZE messages;"
        ),
        DbConn::Sqlite(_) => format!(
            "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) \
             INSERT INTO messages (room_id, seq, author_id, body, created_at) \
             SELECT {room_id}, i, {author}, 'message number ' || i, datetime('now') FROM g; \
             UPDATE rooms SET last_seq = {n} WHERE id = {room_id};"
        ),
    };
    conn.batch_execute(&sql).unwrap();
    drop(conn);
    Some((test_db, db, room_id))
}

fn history(c: &mut Criterion) {
    let n = room_size();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((_keep, db, room_id)) = seeded(backend, n) else {
            continue;
        };
        let mut conn = db.get().unwrap();
        let mut group = c.benchmark_group(format!("history_{}_{}", backend.name(), n));
        group.bench_function("newest_50", |b| {
            b.iter(|| {
                messages::page(&mut conn, room_id, Direction::Before(i64::MAX), 0, 50).unwrap()
            })
        });
        group.bench_function("before_middle_50", |b| {
            b.iter(|| messages::page(&mut conn, room_id, Direction::Before(n / 2), 0, 50).unwrap())
        });
        group.bench_function("after_oldest_50", |b| {
            b.iter(|| messages::page(&mut conn, room_id, Direction::After(1), 0, 50).unwrap())
        });
        group.finish();
        tail(backend, n, &mut conn, room_id);
    }
}

/// Criterion reports the centre; the target is on the tail. Reads 2,000 pages at anchors
/// spread over the whole room (a stride through it, so the pages are not all cached
/// neighbours) and prints the latency percentiles.
fn tail(backend: Backend, n: i64, conn: &mut DbConn, room_id: i64) {
    const READS: i64 = 2_000;
    let mut micros: Vec<u128> = (0..READS)
        .map(|i| {
            let anchor = 51 + (i * 7_919) % (n - 50).max(1);
            let started = std::time::Instant::now();
            let page = messages::page(conn, room_id, Direction::Before(anchor), 0, 50).unwrap();
            assert_eq!(page.len(), 50.min(anchor as usize - 1));
            started.elapsed().as_micros()
        })
        .collect();
    micros.sort_unstable();
    let at = |q: f64| micros[((micros.len() as f64 * q) as usize).min(micros.len() - 1)];
    println!(
        "history_{}_{n} tail: {READS} pages of 50 at anchors across the room: \
         p50 {} µs, p99 {} µs, p99.9 {} µs, max {} µs",
        backend.name(),
        at(0.5),
        at(0.99),
        at(0.999),
        micros[micros.len() - 1]
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = history
}
criterion_main!(benches);
