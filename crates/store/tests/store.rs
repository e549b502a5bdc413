//! The store on both backends: migrations, the seq counter under concurrency, secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::thread;

use parley_store::models::{NewRoom, NewUser};
use parley_store::repo::{messages, rooms, secrets, users};
use parley_store::testing::TestDb;
use parley_store::{Backend, Db, StoreError, run_migrations, write_tx};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(parley_store::Backend::Sqlite);
            }
            #[test]
            fn postgres() {
                super::$name(parley_store::Backend::Postgres);
            }
        }
    )*};
}

on_both_backends!(
    migrations_apply_from_empty_once,
    concurrent_instances_migrate_safely,
    seq_stays_dense_under_eight_concurrent_writers,
    secret_creation_agrees_across_racers,
    unique_violations_are_reported_as_such,
    the_event_log_is_pruned_by_age_and_count,
    pages_answer_the_size_asked_for_each_time,
);

/// The send path's hand-written statements are prepared once per connection and reused
/// (diesel would parse and plan each of them on every call), and the rows they write
/// are the rows asked for.
#[test]
fn the_send_paths_statements_stay_prepared_on_postgres() {
    use diesel::prelude::*;
    use parley_store::DbConn;
    use parley_store::repo::events;
    let Some((_test_db, db, author_id, room_id)) = postgres_with_room() else {
        return;
    };
    let mut conn = db.get().unwrap();
    let send_once = |conn: &mut DbConn, round: i64| {
        write_tx(conn, |conn| -> Result<(), StoreError> {
            let (row, event_seq) = messages::append(
                conn,
                room_id,
                author_id,
                "lone",
                Some(&format!("a{round}")),
                None,
            )?;
            let logged = events::append_at(
                conn,
                room_id,
                event_seq,
                "message.created",
                serde_json::json!({}),
            )?;
            assert_eq!((logged.room_id, logged.event_seq), (room_id, event_seq));
            let ids = [format!("b{round}"), format!("c{round}")];
            let list: Vec<messages::Append<'_>> = ids
                .iter()
                .map(|id| messages::Append {
                    room_id,
                    author_id,
                    body: "batched",
                    client_msg_id: Some(id),
                })
                .collect();
            let written = messages::append_many(conn, &list)?;
            assert_eq!(written[0].0.seq, row.seq + 1);
            assert_eq!(written[1].0.seq, row.seq + 2);
            let framed: Vec<(i64, i64, &str, &str)> = written
                .iter()
                .map(|(m, e)| (m.room_id, *e, "message.created", "{}"))
                .collect();
            events::append_framed(conn, &framed)?;
            let keys = [(author_id, ids[0].as_str()), (author_id, "never sent")];
            let found = messages::find_by_client_ids(conn, &keys)?;
            assert_eq!(found.len(), 1);
            assert_eq!(found[&(author_id, ids[0].clone())].seq, row.seq + 1);
            Ok(())
        })
        .unwrap();
    };
    #[derive(QueryableByName)]
    struct Statement {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement: String,
    }
    let prepared = |conn: &mut DbConn| -> Vec<String> {
        let DbConn::Postgres(pg) = conn else {
            unreachable!()
        };
        diesel::sql_query("SELECT statement FROM pg_prepared_statements")
            .load::<Statement>(pg)
            .unwrap()
            .into_iter()
            .map(|s| s.statement)
            .collect()
    };
    send_once(&mut conn, 1);
    let after_one = prepared(&mut conn);
    for start in [
        "UPDATE rooms SET last_seq = last_seq + $1",
        "INSERT INTO messages (room_id, seq, author_id, body, client_msg_id, parent_seq",
        "INSERT INTO room_events (room_id, event_seq, kind, payload, created_at) VALUES",
        "UPDATE rooms SET last_seq = last_seq + ($1::int8[])",
        "INSERT INTO messages (room_id, seq, author_id, body, client_msg_id, created_at) SELECT",
        "INSERT INTO room_events (room_id, event_seq, kind, payload, created_at) SELECT",
        "SELECT m.* FROM unnest($1::int8[], $2::text[]) AS k",
    ] {
        assert!(
            after_one.iter().any(|s| s.starts_with(start)),
            "not prepared: {start}\nprepared: {after_one:#?}"
        );
    }
    send_once(&mut conn, 2);
    send_once(&mut conn, 3);
    assert_eq!(
        prepared(&mut conn).len(),
        after_one.len(),
        "reused, not prepared again"
    );
    let room = rooms::find(&mut conn, room_id).unwrap();
    assert_eq!((room.last_seq, room.last_event_seq), (9, 9));
}

/// A kept statement keeps the plan PostgreSQL chose for it, and a fresh database starts
/// with empty tables: the batch's `client_msg_id` lookup must probe the index however
/// small `messages` was when it was planned (a join planned on the empty table scanned
/// all of it for every batch, twice PostgreSQL's CPU per message in a fresh fan-out run).
#[test]
fn a_kept_lookup_probes_its_index_even_when_planned_on_an_empty_table() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use parley_store::DbConn;
    let Some((_test_db, db, author_id, _)) = postgres_with_room() else {
        return;
    };
    let mut conn = db.get().unwrap();
    messages::find_by_client_ids(&mut conn, &[(author_id, "nothing yet")]).unwrap();
    let DbConn::Postgres(pg) = &mut *conn else {
        unreachable!()
    };
    #[derive(QueryableByName)]
    struct Named {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let name = diesel::sql_query(
        "SELECT name FROM pg_prepared_statements WHERE statement LIKE 'SELECT m.* FROM unnest%'",
    )
    .get_result::<Named>(pg)
    .unwrap()
    .name;
    // The plan the statement keeps once PostgreSQL stops planning it per call.
    pg.batch_execute("SET plan_cache_mode = force_generic_plan")
        .unwrap();
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let plan: Vec<String> = diesel::sql_query(format!(
        "EXPLAIN EXECUTE {name}('{{1,2}}'::int8[], '{{a,b}}'::text[])"
    ))
    .load::<Line>(pg)
    .unwrap()
    .into_iter()
    .map(|l| l.line)
    .collect();
    let plan = plan.join("\n");
    assert!(
        plan.contains("Index Scan using messages_author_id_client_msg_id_key"),
        "{plan}"
    );
    assert!(!plan.contains("Seq Scan on messages"), "{plan}");
}

/// A kept statement whose placeholders do not match its binds is refused before it
/// reaches the server.
#[test]
fn kept_statements_refuse_placeholders_that_do_not_match_their_binds() {
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;
    use parley_store::DbConn;
    use parley_store::keep;
    let Some(test_db) = TestDb::postgres() else {
        return;
    };
    let db = test_db.pool(1);
    let mut conn = db.get().unwrap();
    let DbConn::Postgres(pg) = &mut *conn else {
        unreachable!()
    };
    #[derive(QueryableByName, Debug)]
    struct Pair {
        #[diesel(sql_type = BigInt)]
        a: i64,
        #[diesel(sql_type = BigInt)]
        b: i64,
    }
    let ok: Pair = keep!("SELECT $1::int8 AS a, $2::int8 AS b")
        .bind::<BigInt, _>(7)
        .bind::<BigInt, _>(8)
        .get_result(pg)
        .unwrap();
    assert_eq!((ok.a, ok.b), (7, 8));
    let refused = |r: QueryResult<Pair>| {
        let err = r.unwrap_err();
        assert!(
            matches!(err, diesel::result::Error::QueryBuilderError(_)),
            "{err:?}"
        );
    };
    refused(
        keep!("SELECT $2::int8 AS a, $1::int8 AS b")
            .bind::<BigInt, _>(7)
            .bind::<BigInt, _>(8)
            .get_result(pg),
    );
    refused(
        keep!("SELECT $1::int8 AS a, $1::int8 AS b")
            .bind::<BigInt, _>(7)
            .bind::<BigInt, _>(8)
            .get_result(pg),
    );
    refused(
        keep!("SELECT $1::int8 AS a, $2::int8 AS b")
            .bind::<BigInt, _>(7)
            .get_result(pg),
    );
    refused(
        keep!("SELECT $1::int8 AS a, 2::int8 AS b")
            .bind::<BigInt, _>(7)
            .bind::<BigInt, _>(8)
            .get_result(pg),
    );
}

/// A migrated PostgreSQL database with one pooled connection, holding a room and its
/// author (see [`seed_room`]); `None` when PostgreSQL tests are off. Keep the `TestDb`:
/// dropping it drops the database.
fn postgres_with_room() -> Option<(TestDb, Db, i64, i64)> {
    let test_db = TestDb::postgres()?;
    let db = test_db.migrated(1);
    let (author_id, room_id) = seed_room(&db);
    Some((test_db, db, author_id, room_id))
}

fn seed_room(db: &Db) -> (i64, i64) {
    let mut conn = db.get().unwrap();
    let now = parley_store::now();
    let user = users::insert(
        &mut conn,
        &NewUser {
            username: "alice",
            username_lower: "alice",
            email: "alice@example.com",
            email_lower: "alice@example.com",
            display_name: "Alice",
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
            title: "general",
            description: "",
            created_by: user.id,
            created_at: now,
            last_activity_at: now,
            dm_key: None,
        },
    )
    .unwrap();
    (user.id, room.id)
}

fn migrations_apply_from_empty_once(backend: Backend) {
    let Some(test_db) = TestDb::new(backend) else {
        return;
    };
    let db = test_db.pool(2);
    assert!(
        run_migrations(&db).unwrap() >= 1,
        "first run applies the migrations"
    );
    assert_eq!(
        run_migrations(&db).unwrap(),
        0,
        "second run finds nothing pending"
    );
    let (_, room_id) = seed_room(&db);
    let room = rooms::find(&mut db.get().unwrap(), room_id).unwrap();
    assert_eq!((room.last_seq, room.last_event_seq), (0, 0));
}

fn concurrent_instances_migrate_safely(backend: Backend) {
    let Some(test_db) = TestDb::new(backend) else {
        return;
    };
    // Four "instances", each with its own pool, start at once over one empty database.
    let results: Vec<_> = thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let db = test_db.pool(1);
                s.spawn(move || run_migrations(&db))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let applied: usize = results.into_iter().map(|r| r.unwrap()).sum();
    let db = test_db.pool(1);
    assert_eq!(run_migrations(&db).unwrap(), 0);
    assert!(
        applied >= 1,
        "exactly one instance did the work; together they applied {applied}"
    );
    seed_room(&db);
}

fn seq_stays_dense_under_eight_concurrent_writers(backend: Backend) {
    let Some(test_db) = TestDb::new(backend) else {
        return;
    };
    let db = test_db.migrated(8);
    let (author_id, room_id) = seed_room(&db);
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let event_seqs: Vec<i64> = thread::scope(|s| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let db = db.clone();
                s.spawn(move || {
                    let mut conn = db.get().unwrap();
                    (0..EACH)
                        .map(|i| {
                            write_tx(&mut conn, |conn| {
                                messages::append(
                                    conn,
                                    room_id,
                                    author_id,
                                    &format!("w{writer} m{i}"),
                                    Some(&format!("w{writer}-{i}")),
                                    None,
                                )
                            })
                            .map(|(_, event_seq)| event_seq)
                            .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let total = (WRITERS * EACH) as i64;
    let seqs = messages::seqs(&mut db.get().unwrap(), room_id).unwrap();
    assert_eq!(
        seqs,
        (1..=total).collect::<Vec<_>>(),
        "message seqs are 1..=N with no gap"
    );
    let unique: HashSet<_> = event_seqs.iter().copied().collect();
    assert_eq!(
        unique.len(),
        WRITERS * EACH,
        "event seqs are never handed out twice"
    );
    assert_eq!(unique.iter().max(), Some(&total));
    let room = rooms::find(&mut db.get().unwrap(), room_id).unwrap();
    assert_eq!((room.last_seq, room.last_event_seq), (total, total));
}

fn secret_creation_agrees_across_racers(backend: Backend) {
    let Some(test_db) = TestDb::new(backend) else {
        return;
    };
    let db = test_db.migrated(4);
    let values: Vec<String> = thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let db = db.clone();
                s.spawn(move || {
                    secrets::get_or_create(&mut db.get().unwrap(), "jwt", &format!("candidate-{i}"))
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        values.iter().all(|v| v == &values[0]),
        "all racers read one secret: {values:?}"
    );
    assert!(values[0].starts_with("candidate-"));
}

fn unique_violations_are_reported_as_such(backend: Backend) {
    let Some(test_db) = TestDb::new(backend) else {
        return;
    };
    let db = test_db.migrated(2);
    let (author_id, room_id) = seed_room(&db);
    let mut conn = db.get().unwrap();
    write_tx(&mut conn, |c| {
        messages::append(c, room_id, author_id, "a", Some("same"), None)
    })
    .unwrap();
    let err = write_tx(&mut conn, |c| {
        messages::append(c, room_id, author_id, "b", Some("same"), None)
    })
    .unwrap_err();
    assert!(matches!(err, StoreError::UniqueViolation(_)), "got {err:?}");
    // The failed transaction rolled back: the counter did not move.
    assert_eq!(rooms::find(&mut conn, room_id).unwrap().last_seq, 1);
}

fn the_event_log_is_pruned_by_age_and_count(backend: Backend) {
    use parley_store::repo::events;
    let Some(test_db) = TestDb::new(backend) else {
        return;
    };
    let db = test_db.migrated(2);
    let (_, room_id) = seed_room(&db);
    let mut conn = db.get().unwrap();
    for i in 0..5 {
        write_tx(&mut conn, |c| {
            events::append(c, room_id, "test", serde_json::json!({"i": i}))
        })
        .unwrap();
    }
    let far_past = parley_store::now() - chrono::Duration::days(30);
    assert_eq!(events::prune(&mut conn, far_past, 100).unwrap(), 0);
    assert_eq!(
        events::prune(&mut conn, far_past, 2).unwrap(),
        3,
        "keeps the newest two"
    );
    assert_eq!(events::oldest_seq(&mut conn, room_id).unwrap(), Some(4));
    let future = parley_store::now() + chrono::Duration::days(1);
    assert_eq!(
        events::prune(&mut conn, future, 100).unwrap(),
        2,
        "everything is older than tomorrow"
    );
    assert_eq!(events::oldest_seq(&mut conn, room_id).unwrap(), None);
}

/// The checkpoint thread copies committed pages from the write-ahead log into the
/// database file while the log is still far below SQLite's own 1,000-page threshold
/// (without it, the file stays at its size after the migrations).
#[test]
fn sqlite_wal_is_checkpointed_in_the_background() {
    use diesel::connection::SimpleConnection;
    let test = TestDb::sqlite();
    let db = test.migrated(2);
    let path = test.url.trim_start_matches("sqlite://").to_owned();
    {
        // Start from a fully checkpointed file, then write ~800 KB (~200 pages, in one
        // transaction) to the log.
        let mut conn = db.get().unwrap();
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE); CREATE TABLE filler (x BLOB)")
            .unwrap();
    }
    let before = std::fs::metadata(&path).unwrap().len();
    {
        let mut conn = db.get().unwrap();
        let inserts = "INSERT INTO filler VALUES (zeroblob(3000));".repeat(200);
        conn.batch_execute(&format!("BEGIN; {inserts} COMMIT;"))
            .unwrap();
    }
    assert!(
        std::fs::metadata(&path).unwrap().len() < before + 100_000,
        "checkpointed inline"
    );
    db.spawn_wal_checkpointer(std::time::Duration::from_millis(50));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::metadata(&path).unwrap().len() < before + 500_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the log was never checkpointed"
        );
        thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Every pooled SQLite connection gets the settings the store relies on: the log that
/// lets readers run beside the writer, foreign keys, a busy wait, temporary storage
/// (a multi-row insert's statement journal) kept in memory, and no per-call lock.
#[test]
fn sqlite_connections_are_configured() {
    use diesel::prelude::*;
    use parley_store::DbConn;
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let test = TestDb::sqlite();
    let db = test.migrated(2);
    // Both of the pool's connections, held at once.
    let mut conns = [db.get().unwrap(), db.get().unwrap()];
    for conn in &mut conns {
        let DbConn::Sqlite(lite) = &mut **conn else {
            unreachable!()
        };
        let mut read = |pragma: &str| {
            diesel::sql_query(format!(
                "SELECT CAST((SELECT * FROM pragma_{pragma}) AS TEXT) AS value"
            ))
            .get_result::<Setting>(lite)
            .unwrap()
            .value
        };
        assert_eq!(read("journal_mode"), "wal");
        assert_eq!(read("foreign_keys"), "1");
        assert_eq!(read("busy_timeout"), "10000");
        assert_eq!(read("temp_store"), "2", "temporary storage in memory");
        // .cargo/config.toml builds the bundled SQLite in multi-thread mode: no lock
        // around every call, as a connection is only ever used by one thread at a time.
        let options: Vec<String> =
            diesel::sql_query("SELECT compile_options AS value FROM pragma_compile_options")
                .load::<Setting>(lite)
                .unwrap()
                .into_iter()
                .map(|s| s.value)
                .collect();
        assert!(options.iter().any(|o| o == "THREADSAFE=2"), "{options:?}");
    }
}

/// Page sizes are written into the statement's text (SQLite compiles a statement with a
/// bound LIMIT again at every run), so a connection keeps one statement per size: each
/// size asked for, in any order on one connection, answers exactly that many rows, and
/// an offset skips as it did when bound.
fn pages_answer_the_size_asked_for_each_time(backend: Backend) {
    use parley_store::repo::messages::Direction;
    use parley_store::repo::{events, notifications};
    let Some(test_db) = TestDb::new(backend) else {
        return;
    };
    let db = test_db.migrated(1);
    let (author_id, room_id) = seed_room(&db);
    let mut conn = db.get().unwrap();
    for i in 1..=10 {
        let (message, event_seq) =
            messages::append(&mut conn, room_id, author_id, &format!("m{i}"), None, None).unwrap();
        events::append_at(
            &mut conn,
            room_id,
            event_seq,
            "message.created",
            serde_json::json!({"seq": message.seq}),
        )
        .unwrap();
        notifications::insert(
            &mut conn,
            &notifications::NewNotification {
                user_id: author_id,
                kind: "mention",
                room_id: Some(room_id),
                seq: Some(message.seq),
                actor_id: Some(author_id),
                body: "",
            },
            parley_store::now(),
        )
        .unwrap();
    }
    let seqs = |page: Vec<(
        parley_store::models::MessageRow,
        parley_store::models::UserRow,
    )>| { page.into_iter().map(|(m, _)| m.seq).collect::<Vec<_>>() };
    for (limit, newest, oldest) in [
        (3, vec![10, 9, 8], vec![1, 2, 3]),
        (7, vec![10, 9, 8, 7, 6, 5, 4], vec![1, 2, 3, 4, 5, 6, 7]),
        (3, vec![10, 9, 8], vec![1, 2, 3]),
        (0, vec![], vec![]),
        (50, (1..=10).rev().collect(), (1..=10).collect()),
    ] {
        let before =
            messages::page(&mut conn, room_id, Direction::Before(i64::MAX), 0, limit).unwrap();
        assert_eq!(seqs(before), newest, "newest {limit}");
        let after = messages::page(&mut conn, room_id, Direction::After(0), 0, limit).unwrap();
        assert_eq!(seqs(after), oldest, "oldest {limit}");
        let log: Vec<i64> = events::list_after(&mut conn, room_id, 0, limit)
            .unwrap()
            .into_iter()
            .map(|e| e.event_seq)
            .collect();
        assert_eq!(log.len(), oldest.len(), "event log {limit}");
    }
    let ids = |offset, limit| -> Vec<i64> {
        let mut conn = db.get().unwrap();
        notifications::list(&mut conn, author_id, offset, limit)
            .unwrap()
            .into_iter()
            .map(|n| n.seq.unwrap())
            .collect()
    };
    drop(conn);
    assert_eq!(ids(0, 3), vec![10, 9, 8]);
    assert_eq!(ids(3, 3), vec![7, 6, 5]);
    assert_eq!(ids(8, 5), vec![2, 1]);
    assert_eq!(ids(-1, 2), vec![10, 9], "a negative offset skips nothing");
}
