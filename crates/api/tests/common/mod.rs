//! The test harness: a real Parley server (the production listener on a free port)
//! over a per-test database, plus a small JSON client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::Method;
use parley_api::{AppState, Settings};
use parley_store::Backend;
use parley_store::testing::TestDb;
use serde_json::Value;

/// A registered user as tests hold them.
pub struct Member {
    pub token: String,
    pub id: i64,
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Where the suite's logs and the secrets it handled go (`PARLEY_TEST_LOG_DIR`, set by
/// `scripts/test-all`), so `scripts/check-log-hygiene` can prove no secret was logged.
fn log_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("PARLEY_TEST_LOG_DIR").map(std::path::PathBuf::from)
}

/// Sends this test process's logs (JSON, debug for Parley's crates) to the log directory.
pub fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Some(dir) = log_dir() else { return };
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!(
            "{}-{}.log",
            std::env::current_exe()
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .unwrap_or_default(),
            std::process::id()
        );
        let file = std::fs::File::create(dir.join(name)).unwrap();
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,parley_api=debug,parley_store=debug,parley_realtime=debug,parley_auth=debug",
            ))
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    });
}

/// Records secrets the suite saw (tokens, invite codes, reset links) for the log check.
pub fn record_secrets(body: &Value) {
    let Some(dir) = log_dir() else { return };
    let mut found = Vec::new();
    collect_secrets(body, &mut found);
    if found.is_empty() {
        return;
    }
    use std::io::Write;
    let path = dir.join(format!("secrets-{}.txt", std::process::id()));
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        for secret in found {
            let _ = writeln!(f, "{secret}");
        }
    }
}

fn collect_secrets(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            // An invite's code is its secret.
            if map.contains_key("uses")
                && let Some(code) = map.get("code").and_then(Value::as_str)
            {
                out.push(code.to_owned());
            }
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("access_token" | "refresh_token" | "token", Some(s)) if s.len() >= 16 => {
                        out.push(s.to_owned())
                    }
                    ("url", Some(s)) => {
                        if let Some((_, t)) = s.split_once("#token=") {
                            out.push(t.to_owned());
                        }
                    }
                    _ => collect_secrets(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_secrets(v, out)),
        _ => {}
    }
}

/// The shared Redis of the test machine, or `None` (a failure under CI).
pub fn test_redis() -> Option<String> {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => panic!("TEST_REDIS_URL must be set under CI"),
        Err(_) => {
            eprintln!("skipping Redis test: TEST_REDIS_URL is unset");
            None
        }
    }
}

/// A key prefix of this test's own, so parallel tests share one Redis safely.
pub fn unique_prefix() -> String {
    format!(
        "parley_test_{}_{}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Declares `mod NAME { sqlite, postgres }` tests that call `NAME(backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name(parley_store::Backend::Sqlite).await;
            }
            #[actix_web::test]
            async fn postgres() {
                super::$name(parley_store::Backend::Postgres).await;
            }
        }
    )*};
}

/// The server as `parley serve` runs it ([`parley_api::listener`]), one worker unless
/// asked for more, on a free loopback port; stopped when dropped.
pub struct TestServer {
    addr: std::net::SocketAddr,
    handle: actix_web::dev::ServerHandle,
    client: awc::Client,
}

impl TestServer {
    fn start(state: AppState, workers: usize) -> TestServer {
        let listener = parley_api::listener::bind("127.0.0.1:0")
            .expect("bind")
            .pop()
            .expect("one listener");
        let addr = listener.local_addr().unwrap();
        let builder = actix_web::dev::Server::build()
            .workers(workers)
            .disable_signals()
            .shutdown_timeout(1);
        let server = parley_api::listener::listen(builder, listener, state)
            .expect("listen")
            .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .finish();
        TestServer {
            addr,
            handle,
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn request(&self, method: Method, url: impl AsRef<str>) -> awc::ClientRequest {
        self.client.request(method, url.as_ref())
    }

    pub fn get(&self, path: &str) -> awc::ClientRequest {
        self.request(Method::GET, self.url(path))
    }

    pub fn post(&self, path: &str) -> awc::ClientRequest {
        self.request(Method::POST, self.url(path))
    }

    pub fn patch(&self, path: &str) -> awc::ClientRequest {
        self.request(Method::PATCH, self.url(path))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

pub struct TestApp {
    pub server: TestServer,
    pub state: AppState,
    pub db: std::sync::Arc<TestDb>,
    pub outbox: tempfile::TempDir,
}

/// One HTTP answer, body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and, for errors, the problem document's shape and code.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        &self.body
    }

    #[track_caller]
    pub fn expect_problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        for key in ["type", "title", "detail"] {
            assert!(
                self.body[key].is_string(),
                "problem lacks {key}: {}",
                self.body
            );
        }
        &self.body
    }
}

impl TestApp {
    /// A server over a fresh database of `backend`; `None` when that backend is not
    /// available here (PostgreSQL without `TEST_DATABASE_URL`, outside CI).
    pub async fn start(backend: Backend) -> Option<TestApp> {
        let db = TestDb::new(backend)?;
        Some(Self::start_on(db, |_| {}).await)
    }

    pub async fn start_on(db: TestDb, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        Self::instance(std::sync::Arc::new(db), None, tweak).await
    }

    /// Another instance over the same database, sharing `redis` (url, prefix) with
    /// this one when given.
    pub async fn peer(&self, redis: Option<(&str, &str)>) -> TestApp {
        Self::instance(self.db.clone(), redis, |_| {}).await
    }

    /// An instance over `db`, with Redis fan-out when `redis` is given.
    pub async fn instance(
        db: std::sync::Arc<TestDb>,
        redis: Option<(&str, &str)>,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestApp {
        Self::instance_with_workers(db, redis, 1, tweak).await
    }

    /// `instance`, its connections spread over `workers` threads.
    pub async fn instance_with_workers(
        db: std::sync::Arc<TestDb>,
        redis: Option<(&str, &str)>,
        workers: usize,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestApp {
        capture_logs();
        let outbox = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_public_url("http://parley.test");
        settings.mail.outbox_dir = outbox.path().to_owned();
        tweak(&mut settings);
        let pool = db.migrated(4);
        let link = redis
            .map(|(url, prefix)| parley_realtime::RedisLink::new(url, prefix).expect("redis url"));
        let state = AppState::new(settings, pool, link).expect("state");
        parley_api::gateway::start_dispatcher(&state);
        let server = TestServer::start(state.clone(), workers);
        TestApp {
            server,
            state,
            db,
            outbox,
        }
    }

    /// Registers `username` (password `PASSWORD`) and answers the token pair.
    pub async fn register(&self, username: &str) -> Value {
        let res = self
            .post(
                "/api/register",
                None,
                serde_json::json!({
                    "username": username,
                    "email": format!("{username}@example.com"),
                    "password": PASSWORD,
                }),
            )
            .await;
        res.expect(201).clone()
    }

    /// Registers `username` and answers its token and id.
    pub async fn member(&self, username: &str) -> Member {
        let pair = self.register(username).await;
        Member {
            token: pair["access_token"].as_str().unwrap().to_owned(),
            id: pair["user"]["id"].as_i64().unwrap(),
        }
    }

    /// A public room of `owner` titled `title`, which `members` have joined.
    pub async fn public_room(&self, owner: &Member, title: &str, members: &[&Member]) -> i64 {
        let rid = self
            .post(
                "/api/rooms",
                Some(&owner.token),
                serde_json::json!({"title": title, "visibility": "public"}),
            )
            .await
            .expect(201)["id"]
            .as_i64()
            .unwrap();
        for m in members {
            self.post(
                &format!("/api/rooms/{rid}/join"),
                Some(&m.token),
                serde_json::json!({}),
            )
            .await
            .expect(200);
        }
        rid
    }

    /// Registers `username` and answers its access token.
    pub async fn user(&self, username: &str) -> String {
        self.register(username).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn login(&self, login: &str, password: &str) -> Resp {
        self.post(
            "/api/login",
            None,
            serde_json::json!({"username": login, "password": password}),
        )
        .await
    }

    /// The mails written to the outbox for `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(self.outbox.path())
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        names.sort();
        names
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter(|text| text.lines().next() == Some(format!("To: {to}").as_str()))
            .collect()
    }

    /// Waits for the newest mail to `to` whose subject contains `subject` and answers
    /// the token in its link.
    pub async fn mailed_token(&self, to: &str, subject: &str) -> String {
        for _ in 0..100 {
            let mails = self.mails_to(to);
            let matching = mails
                .iter()
                .rev()
                .find(|m| m.lines().nth(1).is_some_and(|line| line.contains(subject)));
            if let Some(mail) = matching {
                let start = mail.find("#token=").expect("mail has a link") + "#token=".len();
                let token = mail[start..].split_whitespace().next().unwrap().to_owned();
                record_secrets(&serde_json::json!({ "token": token }));
                return token;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("no mail to {to}");
    }

    /// The value `GET /metrics` gives `series` now (a metric's name, with its labels
    /// as exposed).
    pub async fn metric(&self, series: &str) -> f64 {
        let mut res = self.server.get("/metrics").send().await.unwrap();
        let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    }

    /// A connection to this test's database, for checks and setup.
    pub fn conn(&self) -> parley_store::PooledConn {
        self.state.db.get().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self
            .server
            .request(method, self.server.url(path))
            .insert_header(("User-Agent", "parley-tests"));
        if let Some(token) = token {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        let mut res = match body {
            Some(body) => req.send_json(&body).await,
            None => req.send().await,
        }
        .expect("request sent");
        let bytes = res.body().limit(16 * 1024 * 1024).await.expect("body read");
        let resp = Resp {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        };
        record_secrets(&resp.body);
        resp
    }

    /// Sends raw bytes with the given content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut req = self.server.request(method, self.server.url(path));
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        let mut res = req.send_body(body).await.expect("request sent");
        let bytes = res.body().limit(16 * 1024 * 1024).await.expect("body read");
        let resp = Resp {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        };
        record_secrets(&resp.body);
        resp
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Resp {
        self.call(Method::DELETE, path, token, None).await
    }
}

/// A WebSocket client speaking Parley's JSON frames.
pub struct Ws {
    pub framed: actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>,
}

impl TestApp {
    /// Opens `/ws` authenticated by header.
    pub async fn ws(&self, token: &str) -> Ws {
        let (_, framed) = awc::Client::new()
            .ws(self.server.url("/ws").replace("http", "ws"))
            .max_frame_size(1024 * 1024)
            .bearer_auth(token)
            .connect()
            .await
            .expect("ws connect");
        let mut ws = Ws { framed };
        let ready = ws.recv().await;
        assert_eq!(ready["type"], "ready", "{ready}");
        ws
    }

    /// Opens `/ws` without credentials.
    pub async fn ws_raw(&self) -> Ws {
        let (_, framed) = awc::Client::new()
            .ws(self.server.url("/ws").replace("http", "ws"))
            .max_frame_size(1024 * 1024)
            .connect()
            .await
            .expect("ws connect");
        Ws { framed }
    }
}

/// What the socket did next.
#[derive(Debug)]
pub enum WsEvent {
    Frame(Value),
    Closed(Option<u16>),
    Silent,
}

/// Validators for every frame of `openapi/asyncapi.yaml`, by message name.
fn frame_schemas() -> &'static std::collections::HashMap<String, jsonschema::Validator> {
    static SCHEMAS: std::sync::OnceLock<std::collections::HashMap<String, jsonschema::Validator>> =
        std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/asyncapi.yaml");
        let text = std::fs::read_to_string(path).expect("asyncapi.yaml");
        // The document is JSON syntax (a subset of YAML) after its comment line.
        let json: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let doc: Value = serde_json::from_str(&json).expect("asyncapi.yaml is JSON syntax");
        doc["components"]["messages"]
            .as_object()
            .expect("messages")
            .keys()
            .map(|name| {
                let schema = serde_json::json!({
                    "$ref": format!("#/components/messages/{name}/payload"),
                    "components": doc["components"],
                });
                (
                    name.clone(),
                    jsonschema::validator_for(&schema).expect("valid schema"),
                )
            })
            .collect()
    })
}

/// Fails the test when `frame` does not match its AsyncAPI message.
#[track_caller]
pub fn check_frame(direction: &str, frame: &Value) {
    let kind = frame["type"].as_str().unwrap_or_default();
    let name = match (direction, kind) {
        ("server", "typing" | "typing.stop" | "read") => {
            format!("server_{}_event", kind.replace('.', "_"))
        }
        _ => format!("{direction}_{}", kind.replace('.', "_")),
    };
    let validator = frame_schemas()
        .get(&name)
        .unwrap_or_else(|| panic!("{name} is not in asyncapi.yaml: {frame}"));
    if let Err(error) = validator.validate(frame) {
        panic!("{name} does not match asyncapi.yaml: {error}\n{frame}");
    }
}

impl Ws {
    /// Sends a frame, checking it against the AsyncAPI document first.
    pub async fn send(&mut self, frame: Value) {
        check_frame("client", &frame);
        self.send_invalid(frame).await;
    }

    /// Sends a frame the document does not allow (to test refusals).
    pub async fn send_invalid(&mut self, frame: Value) {
        use futures_util::SinkExt;
        self.framed
            .send(awc::ws::Message::Text(frame.to_string().into()))
            .await
            .expect("ws send");
    }

    pub async fn send_text(&mut self, text: String) {
        use futures_util::SinkExt;
        let _ = self.framed.send(awc::ws::Message::Text(text.into())).await;
    }

    /// The next frame, close, or silence within `wait`.
    pub async fn next_within(&mut self, wait: std::time::Duration) -> WsEvent {
        use futures_util::{SinkExt, StreamExt};
        loop {
            let item = match actix_web::rt::time::timeout(wait, self.framed.next()).await {
                Err(_) => return WsEvent::Silent,
                Ok(item) => item,
            };
            match item {
                Some(Ok(awc::ws::Frame::Text(bytes))) => {
                    let frame: Value = serde_json::from_slice(&bytes).expect("JSON frame");
                    check_frame("server", &frame);
                    return WsEvent::Frame(frame);
                }
                Some(Ok(awc::ws::Frame::Ping(p))) => {
                    let _ = self.framed.send(awc::ws::Message::Pong(p)).await;
                }
                Some(Ok(awc::ws::Frame::Close(reason))) => {
                    return WsEvent::Closed(reason.map(|r| u16::from(r.code)));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return WsEvent::Closed(None),
            }
        }
    }

    /// The next frame (panics on close or 5 s of silence).
    pub async fn recv(&mut self) -> Value {
        match self.next_within(std::time::Duration::from_secs(5)).await {
            WsEvent::Frame(v) => v,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    /// The next frame of `kind`, skipping others (presence, typing, ...).
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        for _ in 0..50 {
            let frame = self.recv().await;
            if frame["type"] == kind {
                return frame;
            }
        }
        panic!("no {kind} frame");
    }

    /// The status `user_id` is next announced with, skipping everything else.
    pub async fn recv_presence(&mut self, user_id: i64) -> String {
        for _ in 0..200 {
            let frame = self.recv().await;
            if let Some(status) = presence_in(&frame, user_id) {
                return status;
            }
        }
        panic!("no presence of user {user_id}");
    }

    /// Asserts nothing but frames of the `allowed` types arrives within `wait`.
    pub async fn quiet(&mut self, wait: std::time::Duration, allowed: &[&str]) {
        loop {
            match self.next_within(wait).await {
                WsEvent::Silent => return,
                WsEvent::Frame(f) if allowed.iter().any(|a| f["type"] == *a) => {}
                other => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// Waits for the close and answers its code.
    pub async fn closed(&mut self) -> Option<u16> {
        for _ in 0..100 {
            match self.next_within(std::time::Duration::from_secs(15)).await {
                WsEvent::Closed(code) => return code,
                WsEvent::Silent => panic!("socket stayed open"),
                WsEvent::Frame(_) => {}
            }
        }
        panic!("socket kept talking")
    }
}

/// The status a `presence` frame gives `user_id`, if it is about them.
pub fn presence_in(frame: &Value, user_id: i64) -> Option<String> {
    (frame["type"] == "presence" && frame["user_id"] == user_id)
        .then(|| frame["status"].as_str().map(str::to_owned))
        .flatten()
}

/// The server's `host:port`, for raw TCP clients.
pub fn host_port(app: &TestApp) -> String {
    app.url("").trim_start_matches("http://").to_owned()
}

/// A WebSocket upgrade request for `path` on a raw connection, `extra` header lines
/// (each ending in CRLF) added.
pub fn upgrade_request(host: &str, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
}

/// A masked client text frame as bytes (the zero mask leaves the payload as it is).
pub fn client_text_frame(text: &str) -> Vec<u8> {
    let mut out = vec![0x81u8];
    match text.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(text.as_bytes());
    out
}
