//! The access-control matrix: every operation of the OpenAPI document that names a room,
//! message, organisation, invite, report, session or user (in its path or its body) is
//! called, with the document's own example body, by a stranger, a banned member, a
//! kicked member and a plain member without a role. Outsiders get 403/404 with nothing
//! of the room in the body, except on the documented open routes; the plain member is
//! refused exactly the moderation operations. Then: whoever left or was kicked reads
//! nothing posted after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::Method;
use common::{Member, TestApp};
use parley_store::Backend;
use serde_json::{Value, json};

on_both_backends!(every_id_taking_route_checks_access);

const SECRET: &str = "SECRET";
const TITLE: &str = "Hidden Room";

/// The ids the paths and bodies are filled with.
struct Ids {
    room: i64,
    org: i64,
    target: i64,
    code: String,
    report: i64,
    session: i64,
}

fn fill(template: &str, ids: &Ids) -> String {
    template
        .replace("{room_id}", &ids.room.to_string())
        .replace("{seq}", "1")
        .replace("{org_id}", &ids.org.to_string())
        .replace("{user_id}", &ids.target.to_string())
        .replace("{code}", &ids.code)
        .replace("{report_id}", &ids.report.to_string())
        .replace("{session_id}", &ids.session.to_string())
        .replace("{emoji}", "%F0%9F%91%8D")
}

/// The example body of an operation, its ids pointed at the fixture.
fn body(doc: &Value, op: &Value, ids: &Ids) -> Option<Value> {
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let reference = schema["$ref"].as_str()?;
    let name = reference.rsplit('/').next()?;
    let mut example = doc["components"]["schemas"][name]["example"].clone();
    if let Some(object) = example.as_object_mut() {
        for (key, value) in object.iter_mut() {
            match key.as_str() {
                "room_id" => *value = json!(ids.room),
                "org_id" => *value = json!(ids.org),
                "user_id" => *value = json!(ids.target),
                "seq" => *value = json!(1),
                _ => {}
            }
        }
    }
    Some(example)
}

/// Every operation that takes one of the fixture's ids.
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let body_ids = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .and_then(|r| {
                    doc["components"]["schemas"][r.rsplit('/').next().unwrap()]["example"]
                        .as_object()
                })
                .is_some_and(|e| e.contains_key("room_id") || e.contains_key("org_id"));
            if path.contains('{') || body_ids {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                out.push((method, path.clone(), op.clone()));
            }
        }
    }
    out
}

/// Open to any signed-in user, whatever their relation to the room: profiles, blocks,
/// invite previews (acceptance is checked on its own below).
fn open_to_anyone(method: &Method, path: &str) -> bool {
    matches!(
        (method.as_str(), path),
        ("GET", "/api/users/{user_id}")
            | ("POST" | "DELETE", "/api/users/{user_id}/block")
            | ("GET", "/api/invites/{code}")
            | ("POST", "/api/invites/{code}/accept")
    )
}

/// What a plain member (no role) of the room and organisation is refused.
fn refused_to_members(method: &Method, path: &str) -> bool {
    let m = method.as_str();
    path.starts_with("/api/admin/")
        || path.starts_with("/api/reports/")
        || matches!(
            (m, path),
            ("PATCH" | "DELETE", "/api/rooms/{room_id}")
                | (_, "/api/rooms/{room_id}/bans")
                | (_, "/api/rooms/{room_id}/bans/{user_id}")
                | (_, "/api/rooms/{room_id}/invites")
                | ("POST", "/api/rooms/{room_id}/members")
                | (_, "/api/rooms/{room_id}/members/{user_id}")
                | ("POST", "/api/rooms/{room_id}/transfer")
                | ("DELETE" | "PATCH", "/api/messages/{room_id}/{seq}")
                | (_, "/api/messages/{room_id}/{seq}/pin")
                | ("DELETE", "/api/invites/{code}")
                | ("PATCH" | "DELETE", "/api/orgs/{org_id}")
                | ("POST", "/api/orgs/{org_id}/announcements")
                | (_, "/api/orgs/{org_id}/invites")
                | ("POST", "/api/orgs/{org_id}/members")
                | (_, "/api/orgs/{org_id}/members/{user_id}")
        )
}

/// State-changing operations a member may perform that would spoil the rest of the
/// walk (leaving, for instance); they are covered by their own tests.
fn spoils_the_fixture(method: &Method, path: &str) -> bool {
    matches!(
        (method.as_str(), path),
        ("POST", "/api/rooms/{room_id}/leave")
            | ("DELETE", "/api/sessions/{session_id}")
            | ("POST", "/api/invites/{code}/accept")
            | ("POST", "/api/rooms/{room_id}/clear")
    )
}

async fn say(app: &TestApp, who: &Member, rid: i64, body: &str) -> i64 {
    app.post(
        "/api/messages",
        Some(&who.token),
        json!({"room_id": rid, "body": body}),
    )
    .await
    .expect(201)["seq"]
        .as_i64()
        .unwrap()
}

async fn every_id_taking_route_checks_access(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let doc: Value = serde_json::to_value(parley_api::openapi::document()).unwrap();
    let owner = app.member("owner").await;
    let member = app.member("member").await;
    let stranger = app.member("stranger").await;
    let banned = app.member("banned").await;
    let kicked = app.member("kicked").await;

    let room = app
        .post(
            "/api/rooms",
            Some(&owner.token),
            json!({"title": TITLE, "visibility": "private"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    for m in [&member, &banned, &kicked] {
        app.post(
            &format!("/api/rooms/{room}/members"),
            Some(&owner.token),
            json!({"user_id": m.id}),
        )
        .await
        .expect(201);
    }
    say(&app, &owner, room, &format!("{SECRET} before")).await;
    let org = app
        .post(
            "/api/orgs",
            Some(&owner.token),
            json!({"name": "Hidden Org"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/orgs/{org}/members"),
        Some(&owner.token),
        json!({"user_id": member.id}),
    )
    .await
    .expect(201);
    let code = app
        .post(
            &format!("/api/rooms/{room}/invites"),
            Some(&owner.token),
            json!({}),
        )
        .await
        .expect(201)["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = app
        .post(
            "/api/reports",
            Some(&owner.token),
            json!({"room_id": room, "seq": 1, "reason": "test"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let session = app
        .get("/api/sessions", Some(&owner.token))
        .await
        .expect(200)["items"][0]["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/rooms/{room}/bans"),
        Some(&owner.token),
        json!({"user_id": banned.id}),
    )
    .await
    .expect(204);
    app.delete(
        &format!("/api/rooms/{room}/members/{}", kicked.id),
        Some(&owner.token),
    )
    .await
    .expect(204);
    let after = say(&app, &owner, room, &format!("{SECRET} after")).await;

    let ids = Ids {
        room,
        org,
        target: owner.id,
        code: code.clone(),
        report,
        session,
    };
    let ops = operations(&doc);
    assert!(
        ops.len() >= 50,
        "the walk covers the document: {}",
        ops.len()
    );

    // Outsiders: nothing but 403/404, and nothing of the room in the answer.
    let mut cases = 0;
    for (who, caller) in [
        ("stranger", &stranger),
        ("banned", &banned),
        ("kicked", &kicked),
    ] {
        for (method, path, op) in &ops {
            if open_to_anyone(method, path) {
                continue;
            }
            let url = fill(path, &ids);
            let res = app
                .call(
                    method.clone(),
                    &url,
                    Some(&caller.token),
                    body(&doc, op, &ids),
                )
                .await;
            cases += 1;
            assert!(
                res.status == 403 || res.status == 404,
                "{who}: {method} {path} answered {}: {}",
                res.status,
                res.body
            );
            let text = res.body.to_string();
            assert!(
                !text.contains(SECRET) && !text.contains(TITLE),
                "{who}: {method} {path} leaked: {text}"
            );
        }
    }

    // The plain member: refused exactly the moderation operations, served the rest.
    for (method, path, op) in &ops {
        if open_to_anyone(method, path) || spoils_the_fixture(method, path) {
            continue;
        }
        let url = fill(path, &ids);
        let res = app
            .call(
                method.clone(),
                &url,
                Some(&member.token),
                body(&doc, op, &ids),
            )
            .await;
        cases += 1;
        if path.starts_with("/api/reports/") {
            // Reports are visible only to those who handle them: not even their existence.
            assert_eq!(res.status, 404, "member: {method} {path}: {}", res.body);
        } else if refused_to_members(method, path) {
            assert_eq!(res.status, 403, "member: {method} {path}: {}", res.body);
        } else {
            assert!(
                res.status < 400 || res.status == 409 || res.status == 422,
                "member: {method} {path} answered {}: {}",
                res.status,
                res.body
            );
        }
    }
    eprintln!("access matrix: {} operations, {cases} calls", ops.len());

    // Invites: the preview is open; a banned user cannot get back in through one.
    app.get(&format!("/api/invites/{code}"), Some(&banned.token))
        .await
        .expect(200);
    app.post(
        &format!("/api/invites/{code}/accept"),
        Some(&banned.token),
        json!({}),
    )
    .await
    .expect_problem(403, "forbidden");

    // Whoever was kicked or left reads nothing posted after, by any route.
    app.post(
        &format!("/api/rooms/{room}/leave"),
        Some(&member.token),
        json!({}),
    )
    .await
    .expect(204);
    for gone in [&kicked, &member, &banned] {
        for path in [
            format!("/api/messages/{room}"),
            format!("/api/messages/{room}?around={after}"),
            format!("/api/messages/{room}/{after}/thread"),
            format!("/api/rooms/{room}/events?after=0"),
            format!("/api/rooms/{room}/pins"),
        ] {
            let res = app.get(&path, Some(&gone.token)).await;
            assert_eq!(res.status, 404, "{path}: {}", res.body);
        }
        let found = app
            .get(&format!("/api/search?q={SECRET}"), Some(&gone.token))
            .await;
        assert!(
            !found.expect(200).to_string().contains(SECRET),
            "search leaks: {}",
            found.body
        );
    }
}
