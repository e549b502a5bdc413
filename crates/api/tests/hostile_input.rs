//! Hostile input against every operation of the OpenAPI document: broken bodies (invalid
//! UTF-8, deep nesting, NaN, duplicate keys, arrays, the wrong content type), numbers
//! beyond 2^53 and negative, absurd path ids and huge query strings. The answer is
//! always a 4xx problem document (or a success where the value is legal), never a 5xx.
//! Fields a client must not set (`author`, `seq`, `created_at`, `is_admin`) are never
//! applied.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::Method;
use common::{Resp, TestApp};
use parley_store::Backend;
use serde_json::{Value, json};

on_both_backends!(
    hostile_bodies_and_ids_are_client_errors,
    clients_cannot_set_server_fields
);

fn assert_client_error(what: &str, res: &Resp) {
    assert!(
        (400..500).contains(&res.status),
        "{what}: answered {}: {}",
        res.status,
        res.body
    );
    assert_eq!(
        res.header("content-type"),
        Some("application/problem+json"),
        "{what}: {}",
        res.body
    );
}

/// Never a server error; a refusal is a problem document.
fn assert_handled(what: &str, res: &Resp) {
    assert!(
        res.status < 500,
        "{what}: answered {}: {}",
        res.status,
        res.body
    );
    if res.status >= 400 {
        assert_client_error(what, res);
    }
}

async fn send(
    app: &TestApp,
    method: &Method,
    path: &str,
    token: &str,
    ct: &str,
    body: Vec<u8>,
) -> Resp {
    let mut req = app
        .server
        .request(method.clone(), app.url(path))
        .insert_header(("Authorization", format!("Bearer {token}")));
    if !ct.is_empty() {
        req = req.insert_header(("Content-Type", ct));
    }
    let mut res = req.send_body(body).await.expect("request sent");
    let bytes = res.body().limit(1 << 20).await.unwrap_or_default();
    Resp {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
    }
}

/// The operations' paths with ids filled, their methods and example bodies.
fn operations(doc: &Value, room: i64) -> Vec<(Method, String, Option<Value>)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let example = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .map(|r| {
                    doc["components"]["schemas"][r.rsplit('/').next().unwrap()]["example"].clone()
                });
            let filled = path
                .replace("{room_id}", &room.to_string())
                .replace("{seq}", "1")
                .replace("{emoji}", "%F0%9F%91%8D")
                .replace("{code}", "nosuchcode")
                .replace(['{', '}'], "")
                .replace("org_id", "1")
                .replace("user_id", "1")
                .replace("report_id", "1")
                .replace("session_id", "1");
            out.push((method, filled, example));
        }
    }
    out
}

async fn hostile_bodies_and_ids_are_client_errors(backend: Backend) {
    let Some(db) = parley_store::testing::TestDb::new(backend) else {
        return;
    };
    let app = TestApp::start_on(db, |s| s.rate_limits = false).await;
    let doc: Value = serde_json::to_value(parley_api::openapi::document()).unwrap();
    let token = app.user("mallory").await;
    let room = app
        .post("/api/rooms", Some(&token), json!({"title": "target"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    // Operations that would end the caller's session are left out: the battery needs it.
    let ops: Vec<_> = operations(&doc, room)
        .into_iter()
        .filter(|(_, p, _)| !p.starts_with("/api/logout") && p != "/api/sessions")
        .collect();
    let mut cases = 0;

    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes();
    let garbage: [(&str, Vec<u8>); 6] = [
        ("invalid UTF-8", b"{\"body\": \"\xff\xfe\xfd\"}".to_vec()),
        ("deep nesting", deep),
        ("NaN", b"{\"body\": NaN, \"room_id\": Infinity}".to_vec()),
        ("truncated", b"{\"body\": \"x".to_vec()),
        ("an array", b"[]".to_vec()),
        ("a scalar", b"12".to_vec()),
    ];
    for (method, path, example) in &ops {
        let Some(example) = example else { continue };
        for (what, bytes) in &garbage {
            let res = send(
                &app,
                method,
                path,
                &token,
                "application/json",
                bytes.clone(),
            )
            .await;
            cases += 1;
            assert_client_error(&format!("{method} {path} with {what}"), &res);
        }
        // Valid JSON, wrong type: 415.
        let text = example.to_string().into_bytes();
        let res = send(&app, method, path, &token, "text/plain", text.clone()).await;
        cases += 1;
        assert_client_error(&format!("{method} {path} as text/plain"), &res);
        assert_eq!(res.status, 415, "{method} {path}: {}", res.body);
        // Duplicate keys: the first key repeated with another value.
        if let Some((key, _)) = example.as_object().and_then(|o| o.iter().next()) {
            let dup = format!("{{\"{key}\": 1, {}", &example.to_string()[1..]);
            let res = send(
                &app,
                method,
                path,
                &token,
                "application/json",
                dup.into_bytes(),
            )
            .await;
            cases += 1;
            assert_client_error(&format!("{method} {path} with a duplicate {key}"), &res);
        }
        // Every integer field beyond 2^53, beyond i64, negative, fractional.
        for (key, value) in example.as_object().into_iter().flatten() {
            if !value.is_i64() {
                continue;
            }
            for raw in [
                "9007199254740993",
                "99999999999999999999999",
                "-1",
                "-9223372036854775808",
                "1.5",
                "1e400",
            ] {
                let mut body = example.to_string();
                let from = format!("\"{key}\":{value}");
                body = body.replace(&from, &format!("\"{key}\":{raw}"));
                let res = send(
                    &app,
                    method,
                    path,
                    &token,
                    "application/json",
                    body.into_bytes(),
                )
                .await;
                cases += 1;
                assert_handled(&format!("{method} {path} with {key}={raw}"), &res);
            }
        }
    }

    // Absurd ids in every path that takes one.
    for (method, template, _) in operations(&doc, room)
        .into_iter()
        .filter(|(_, p, _)| p.contains(&format!("/{room}")))
    {
        for bad in [
            "99999999999999999999",
            "-1",
            "0",
            "1.5",
            "NaN",
            "%00",
            "1e3",
            "%F0%9F%91%8D",
        ] {
            let path = template.replacen(&room.to_string(), bad, 1);
            let res = app
                .call(method.clone(), &path, Some(&token), Some(json!({})))
                .await;
            cases += 1;
            assert_client_error(&format!("{method} {path}"), &res);
        }
    }

    // Huge and repeated query strings.
    for path in [
        format!("/api/rooms/public?q={}", "a".repeat(16 * 1024)),
        format!("/api/messages/{room}?{}", "limit=1&".repeat(2000)),
        format!("/api/search?q={}", "%FF".repeat(2000)),
        format!("/api/messages/{room}?before=9223372036854775807&after=-9223372036854775808"),
        format!("/api/messages/{room}?around=99999999999999999999"),
    ] {
        let res = app.get(&path, Some(&token)).await;
        cases += 1;
        assert_handled(&format!("GET {}...", &path[..path.len().min(60)]), &res);
    }
    eprintln!("hostile input: {cases} cases over {} operations", ops.len());
}

async fn clients_cannot_set_server_fields(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    // Registration cannot make an administrator.
    let pair = app
        .post(
            "/api/register",
            None,
            json!({"username": "eve", "email": "eve@example.com", "password": common::PASSWORD,
                "is_admin": true, "is_active": false, "id": 1}),
        )
        .await;
    if pair.status == 201 {
        assert_eq!(pair.body["user"]["is_admin"], false);
    } else {
        assert_client_error("register with is_admin", &pair);
    }
    let token = app.user("eve2").await;
    let me_before = app
        .get("/api/users/me", Some(&token))
        .await
        .expect(200)
        .clone();
    let res = app
        .patch(
            "/api/users/me",
            Some(&token),
            json!({"display_name": "Eve", "is_admin": true, "email_verified": true, "id": 1}),
        )
        .await;
    assert!(
        res.status == 200 || (400..500).contains(&res.status),
        "{}",
        res.body
    );
    let me = app
        .get("/api/users/me", Some(&token))
        .await
        .expect(200)
        .clone();
    assert_eq!(me["is_admin"], false);
    assert_eq!(me["id"], me_before["id"]);
    // A message's author, seq and time are the server's.
    let room = app
        .post("/api/rooms", Some(&token), json!({"title": "r"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let other = app.member("victim").await;
    let res = app
        .post(
            "/api/messages",
            Some(&token),
            json!({"room_id": room, "body": "hi", "seq": 999, "author_id": other.id,
                "author": {"id": other.id, "username": "victim"},
                "created_at": "2000-01-01T00:00:00Z", "id": 1, "deleted": true}),
        )
        .await;
    if res.status == 201 {
        let m = &res.body;
        assert_eq!(m["seq"], 1);
        assert_eq!(m["author"]["id"], me["id"]);
        assert_eq!(m["deleted"], false);
        assert!(!m["created_at"].as_str().unwrap().starts_with("2000"));
    } else {
        assert_client_error("send with server fields", &res);
    }
    let page = app
        .get(&format!("/api/messages/{room}"), Some(&token))
        .await;
    for m in page.expect(200)["items"].as_array().unwrap() {
        assert_eq!(m["author"]["id"], me["id"]);
        assert!(m["seq"].as_i64().unwrap() < 999);
    }
}
