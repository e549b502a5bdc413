//! Properties of the send path under concurrency, over random workloads proptest draws:
//! each room's seqs are dense (1..=n, no gap, no duplicate) whatever the interleaving,
//! and a repeated `client_msg_id` is one message, answered identically every time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};

use common::TestApp;
use parley_store::Backend;
use parley_store::testing::TestDb;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

/// One send: (user 0..3, room 0..2, client_msg_id number or none).
type Op = (usize, usize, Option<u8>);

fn workload() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec((0..3usize, 0..2usize, proptest::option::of(0..4u8)), 1..30)
}

async fn run_case(backend: Backend, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let db = TestDb::new(backend).expect("backend available");
    let app = TestApp::start_on(db, |s| s.rate_limits = false).await;
    let mut users = Vec::new();
    for name in ["user0", "user1", "user2"] {
        users.push(app.member(name).await);
    }
    let mut rooms = Vec::new();
    for title in ["a", "b"] {
        let id = app
            .post(
                "/api/rooms",
                Some(&users[0].token),
                json!({"title": title, "visibility": "public"}),
            )
            .await
            .expect(201)["id"]
            .as_i64()
            .unwrap();
        for u in &users[1..] {
            app.post(&format!("/api/rooms/{id}/join"), Some(&u.token), json!({}))
                .await
                .expect(200);
        }
        rooms.push(id);
    }
    // Every send at once.
    let sends = ops.iter().map(|&(u, r, cid)| {
        let mut body = json!({"room_id": rooms[r], "body": format!("{u}:{r}:{cid:?}")});
        if let Some(c) = cid {
            body["client_msg_id"] = json!(format!("r{r}-c{c}"));
        }
        let token = users[u].token.clone();
        let app = &app;
        async move { app.post("/api/messages", Some(&token), body).await }
    });
    let answers = futures_util::future::join_all(sends).await;

    let mut by_key: HashMap<(usize, usize, u8), HashSet<(i64, i64)>> = HashMap::new();
    let mut expected = [0usize; 2];
    let mut keys = HashSet::new();
    for (&(u, r, cid), res) in ops.iter().zip(&answers) {
        prop_assert!(
            res.status == 201 || res.status == 200,
            "{}: {}",
            res.status,
            res.body
        );
        prop_assert_eq!(res.body["author"]["id"].as_i64(), Some(users[u].id));
        prop_assert_eq!(res.body["room_id"].as_i64(), Some(rooms[r]));
        let seq = res.body["seq"].as_i64().unwrap();
        let id = res.body["id"].as_i64().unwrap();
        match cid {
            Some(c) => {
                by_key.entry((u, r, c)).or_default().insert((id, seq));
                if keys.insert((u, r, c)) {
                    expected[r] += 1;
                }
            }
            None => expected[r] += 1,
        }
    }
    for (key, answers) in &by_key {
        prop_assert_eq!(
            answers.len(),
            1,
            "{:?} answered differently: {:?}",
            key,
            answers
        );
    }
    for (r, room) in rooms.iter().enumerate() {
        let page = app
            .get(
                &format!("/api/messages/{room}?after=0&limit=100"),
                Some(&users[0].token),
            )
            .await;
        let seqs: Vec<i64> = page.expect(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect();
        let dense: Vec<i64> = (1..=expected[r] as i64).collect();
        prop_assert_eq!(seqs, dense, "room {}", r);
    }
    Ok(())
}

fn property(backend: Backend, cases: u32) {
    if TestDb::new(backend).is_none() {
        return;
    }
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&workload(), |ops| {
            actix_web::rt::System::new().block_on(run_case(backend, ops))
        })
        .unwrap();
}

#[test]
fn seqs_stay_dense_and_sends_idempotent_on_sqlite() {
    property(Backend::Sqlite, 24);
}

#[test]
fn seqs_stay_dense_and_sends_idempotent_on_postgres() {
    property(Backend::Postgres, 8);
}
