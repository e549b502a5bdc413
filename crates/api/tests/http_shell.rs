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

/// GET `path` with an `Accept` header; answers status, content type, cache and CSP
/// headers and the body as text.
async fn fetch(app: &TestApp, path: &str, accept: &str) -> (u16, String, String, String, String) {
    let mut res = app
        .server
        .get(path)
        .insert_header(("Accept", accept))
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (ct, cache, csp) = (
        header("content-type"),
        header("cache-control"),
        header("content-security-policy"),
    );
    let body = String::from_utf8_lossy(&res.body().await.unwrap()).into_owned();
    (res.status().as_u16(), ct, cache, csp, body)
}

#[actix_web::test]
async fn the_web_client_is_served_with_an_spa_fallback() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::create_dir(dist.path().join("assets")).unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><p>parley app",
    )
    .unwrap();
    std::fs::write(dist.path().join("assets/app-1a2b.js"), "console.log(1)").unwrap();
    std::fs::write(dist.path().join(".secret"), "HIDDEN-CONTENT").unwrap();
    let secret_outside = dist.path().parent().unwrap().join("outside.txt");
    let dir = dist.path().to_owned();
    let app = TestApp::start_on(TestDb::sqlite(), move |s| s.static_dir = Some(dir)).await;
    let html = "text/html,application/xhtml+xml,*/*;q=0.8";

    // The root and any client route give index.html, with the SPA's policy.
    for path in ["/", "/rooms/42", "/login?next=%2Frooms"] {
        let (status, ct, cache, csp, body) = fetch(&app, path, html).await;
        assert_eq!(status, 200, "{path}");
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert_eq!(cache, "no-cache");
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert!(body.contains("parley app"));
    }
    // Hashed assets are immutable and typed.
    let (status, ct, cache, _, body) = fetch(&app, "/assets/app-1a2b.js", "*/*").await;
    assert_eq!((status, body.as_str()), (200, "console.log(1)"));
    assert!(ct.contains("javascript"), "{ct}");
    assert!(cache.contains("immutable"));
    // A missing asset fetched by a script is a 404 problem, not index.html.
    let (status, ct, ..) = fetch(&app, "/assets/gone.js", "*/*").await;
    assert_eq!(status, 404);
    assert_eq!(ct, "application/problem+json");
    // Hidden files and escapes are never served.
    std::fs::write(&secret_outside, "OUTSIDE-CONTENT").unwrap();
    for path in [
        "/.secret",
        "/../outside.txt",
        "/assets/%2e%2e/%2e%2e/outside.txt",
    ] {
        let (_, _, _, _, body) = fetch(&app, path, "*/*").await;
        assert!(
            !body.contains("HIDDEN-CONTENT") && !body.contains("OUTSIDE-CONTENT"),
            "{path}: {body}"
        );
    }
    // The API keeps its problem documents, even for browsers.
    for path in ["/api/nothing", "/docs/nothing-here.js", "/ws/x"] {
        let (status, ct, ..) = fetch(&app, path, html).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(ct, "application/problem+json", "{path}");
    }
    app.get("/api/health", None).await.expect(200);
    // Other methods are not the client's.
    app.call(Method::POST, "/rooms/42", None, None)
        .await
        .expect_problem(404, "not_found");
    std::fs::remove_file(secret_outside).unwrap();
}

#[actix_web::test]
async fn a_panicking_handler_answers_a_problem_and_the_worker_lives_on() {
    use actix_web::{App, middleware::from_fn, web};
    // One worker: if the panic took it down, the later requests would fail.
    let server = actix_test::start_with(actix_test::config().workers(1), || {
        App::new()
            .wrap(from_fn(parley_api::middleware::catch_panic))
            .route(
                "/boom/{n}",
                web::get().to(|n: web::Path<u32>| async move {
                    let n = n.into_inner();
                    if n > 10 {
                        panic!("boom {n}");
                    }
                    format!("fine {n}")
                }),
            )
    });
    for _ in 0..3 {
        let mut res = server.get("/boom/99").send().await.unwrap();
        assert_eq!(res.status().as_u16(), 500);
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "internal_error");
        assert!(
            !body.to_string().contains("boom"),
            "no panic text leaks: {body}"
        );
    }
    let mut res = server.get("/boom/1").send().await.unwrap();
    assert_eq!(res.body().await.unwrap(), "fine 1");
}
