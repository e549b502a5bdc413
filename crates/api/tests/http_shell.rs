//! The HTTP shell: health, problem documents for what the framework fails on,
//! trailing slashes, CORS.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::Method;
use common::TestApp;
use parley_store::Backend;
use parley_store::testing::TestDb;

on_both_backends!(
    health_reports_database_ok,
    unknown_paths_and_methods_are_problems
);

async fn health_reports_database_ok(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let res = app.get("/api/health", None).await;
    assert_eq!(
        res.expect(200),
        &serde_json::json!({"status": "ok", "database": "ok", "redis": "disabled"})
    );
    // A trailing slash is the same path.
    app.get("/api/health/", None).await.expect(200);
}

async fn unknown_paths_and_methods_are_problems(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.get("/api/no/such/thing", None)
        .await
        .expect_problem(404, "not_found");
    app.get("/nothing-here", None)
        .await
        .expect_problem(404, "not_found");
    let res = app.call(Method::DELETE, "/api/health", None, None).await;
    res.expect_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    // Same through the trailing-slash form.
    let res = app.call(Method::PUT, "/api/health/", None, None).await;
    res.expect_problem(405, "method_not_allowed");
}

#[actix_web::test]
async fn health_is_503_when_the_database_is_unreachable() {
    // A SQLite file in a directory that does not exist cannot be opened.
    let sqlite = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let broken = format!("sqlite://{}/missing/dir/parley.db", dir.path().display());
    let app = TestApp::start_on(sqlite, |_| {}).await;
    let state = parley_api::AppState {
        db: parley_store::Db::connect(
            &broken,
            &parley_store::PoolOptions {
                max_size: 1,
                checkout_timeout: std::time::Duration::from_millis(300),
            },
        )
        .unwrap(),
        ..app.state.clone()
    };
    let server = actix_test::start(move || parley_api::app::build(state.clone()));
    let mut res = server.get("/api/health").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "down");
    // Any request that needs the database answers a 503 problem, not a 500.
    let mut res = server
        .post("/api/login")
        .send_json(&serde_json::json!({"username": "alice", "password": "whatever it is"}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "service_unavailable");

    // PostgreSQL on a port where nothing listens.
    let state = parley_api::AppState {
        db: parley_store::Db::connect(
            "postgres://postgres@127.0.0.1:9/parley",
            &parley_store::PoolOptions {
                max_size: 1,
                checkout_timeout: std::time::Duration::from_millis(300),
            },
        )
        .unwrap(),
        ..app.state.clone()
    };
    let server = actix_test::start(move || parley_api::app::build(state.clone()));
    let res = server.get("/api/health").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 503);
}

#[actix_web::test]
async fn cors_allows_configured_origins_only() {
    let app = TestApp::start_on(TestDb::sqlite(), |s| {
        s.allowed_origins = vec!["https://chat.example".into()]
    })
    .await;
    let res = app
        .server
        .request(Method::OPTIONS, app.url("/api/health"))
        .insert_header(("Origin", "https://chat.example"))
        .insert_header(("Access-Control-Request-Method", "GET"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://chat.example")
    );
    let res = app
        .server
        .get("/api/health")
        .insert_header(("Origin", "https://evil.example"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    // No Origin header: a non-browser client, allowed.
    app.get("/api/health", None).await.expect(200);
}

#[actix_web::test]
async fn security_headers_are_set() {
    let app = TestApp::start_on(TestDb::sqlite(), |_| {}).await;
    let res = app.get("/api/health", None).await;
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
}
