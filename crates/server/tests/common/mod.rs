//! Real `parley` processes and a small HTTP/WebSocket client for the binary's tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The process's stderr: a log file in `PARLEY_TEST_LOG_DIR` (checked for secrets by
/// `scripts/check-log-hygiene`), or nothing.
pub fn log_sink() -> Stdio {
    let Some(dir) = std::env::var_os("PARLEY_TEST_LOG_DIR") else {
        return Stdio::null();
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!(
        "parley-{}-{}.log",
        std::process::id(),
        rand::random::<u32>()
    );
    Stdio::from(std::fs::File::create(dir.join(name)).unwrap())
}

/// Records a response's tokens for the log check.
pub fn record_secrets(body: &Value) {
    let Some(dir) = std::env::var_os("PARLEY_TEST_LOG_DIR") else {
        return;
    };
    use std::io::Write;
    let path =
        std::path::PathBuf::from(dir).join(format!("secrets-srv-{}.txt", std::process::id()));
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        for key in ["access_token", "refresh_token"] {
            if let Some(s) = body[key].as_str() {
                let _ = writeln!(f, "{s}");
            }
        }
    }
}

pub struct Instance {
    pub child: Child,
    pub port: u16,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(database_url: &str, redis_url: &str, prefix: &str) -> Instance {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis_url)
        .env("PARLEY_REDIS_PREFIX", prefix)
        .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
        .env("PARLEY_RATE_LIMITS", "off")
        .env("PARLEY_LOG", "info,parley_api=debug,parley_realtime=debug")
        .env("PARLEY_LOG_FORMAT", "json")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(log_sink())
        .spawn()
        .unwrap();
    Instance { child, port }
}

pub async fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = awc::Client::new();
    while Instant::now() < deadline {
        if let Ok(res) = client
            .get(format!("http://127.0.0.1:{port}/api/health"))
            .send()
            .await
            && res.status().is_success()
        {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("instance on {port} did not become healthy");
}

pub async fn post(port: u16, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = awc::Client::new().post(format!("http://127.0.0.1:{port}{path}"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let mut res = req.send_json(&body).await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    let body = res.json().await.unwrap_or(Value::Null);
    record_secrets(&body);
    body
}

pub type Socket = actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>;

pub async fn connect(port: u16, auth: Value) -> Socket {
    let (_, mut ws) = awc::Client::new()
        .ws(format!("ws://127.0.0.1:{port}/ws"))
        .connect()
        .await
        .unwrap();
    ws.send(awc::ws::Message::Text(auth.to_string().into()))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["type"], "ready");
    ws
}

pub async fn next(ws: &mut Socket) -> Value {
    loop {
        let frame = actix_web::rt::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time");
        match frame {
            Some(Ok(awc::ws::Frame::Text(bytes))) => {
                return serde_json::from_slice(&bytes).unwrap();
            }
            Some(Ok(_)) => continue,
            other => panic!("socket ended: {other:?}"),
        }
    }
}

/// The next `message.created` frame (skipping presence and the like).
pub async fn next_message(ws: &mut Socket) -> Value {
    loop {
        let frame = next(ws).await;
        if frame["type"] == "message.created" {
            return frame;
        }
    }
}
