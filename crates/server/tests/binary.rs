//! The `parley` binary itself: start-up on both backends, subcommands, SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use parley_store::testing::TestDb;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn parley() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parley"));
    // Keep the developer's .env and environment out of the way.
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir());
    cmd
}

/// A blocking `GET`, answering (status, body).
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

fn wait_healthy(child: &mut Child, port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("parley exited early: {status}");
        }
        if let Some((200, body)) = http_get(port, "/api/health") {
            return body;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("parley did not become healthy");
}

fn sigterm_and_wait(child: &mut Child) -> std::process::ExitStatus {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "parley did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn serve_and_stop(database_url: &str) {
    let port = free_port();
    let mut child = parley()
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let body = wait_healthy(&mut child, port);
    assert!(body.contains(r#""database":"ok""#), "{body}");
    let status = sigterm_and_wait(&mut child);
    assert_eq!(status.code(), Some(0), "SIGTERM exits 0");
}

#[test]
fn serves_on_sqlite_and_exits_zero_on_sigterm() {
    let db = TestDb::sqlite();
    serve_and_stop(&db.url);
}

#[test]
fn serves_on_an_empty_postgres_database() {
    let Some(db) = TestDb::postgres() else { return };
    serve_and_stop(&db.url);
}

#[test]
fn migrate_applies_and_exits() {
    for db in [Some(TestDb::sqlite()), TestDb::postgres()]
        .into_iter()
        .flatten()
    {
        let out = parley()
            .arg("migrate")
            .env("DATABASE_URL", &db.url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            parley_store::run_migrations(&db.pool(1)).unwrap(),
            0,
            "nothing left pending"
        );
    }
}

#[test]
fn an_unknown_database_scheme_is_refused_clearly() {
    let out = parley()
        .arg("migrate")
        .env("DATABASE_URL", "mysql://localhost/x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unsupported scheme"), "{stderr}");
}

#[test]
fn openapi_prints_the_document() {
    let out = parley().arg("openapi").output().unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/health"]["get"].is_object());
}

#[test]
fn create_admin_creates_then_promotes() {
    let db = TestDb::sqlite();
    let out = parley()
        .args([
            "create-admin",
            "--username",
            "root",
            "--email",
            "root@example.com",
        ])
        .env("DATABASE_URL", &db.url)
        .env("PARLEY_ADMIN_PASSWORD", "a long admin passphrase")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pool = db.pool(1);
    let mut conn = pool.get().unwrap();
    let root = parley_store::repo::users::find_by_username(&mut conn, "root")
        .unwrap()
        .unwrap();
    assert!(root.is_admin);
    assert!(parley_auth::password::verify("a long admin passphrase", &root.password_hash).unwrap());

    // An existing user is promoted; the password comes from stdin when the variable is unset.
    parley_store::repo::users::set_admin(&mut conn, root.id, false).unwrap();
    let mut child = parley()
        .args([
            "create-admin",
            "--username",
            "ROOT",
            "--email",
            "ignored@example.com",
        ])
        .env("DATABASE_URL", &db.url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"unused\n").unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        parley_store::repo::users::find(&mut conn, root.id)
            .unwrap()
            .is_admin
    );

    // A common password is refused.
    let out = parley()
        .args([
            "create-admin",
            "--username",
            "other",
            "--email",
            "o@example.com",
        ])
        .env("DATABASE_URL", &db.url)
        .env("PARLEY_ADMIN_PASSWORD", "password123")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn metrics_can_have_a_listener_of_their_own() {
    let db = TestDb::sqlite();
    let (port, metrics_port) = (free_port(), free_port());
    let mut child = parley()
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
        .env("PARLEY_METRICS_BIND", format!("127.0.0.1:{metrics_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(&mut child, port);
    let (status, body) = http_get(metrics_port, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("parley_http_requests_total"), "{body}");
    // The public listener no longer answers it; the metrics one serves nothing else.
    let (status, body) = http_get(port, "/metrics").unwrap();
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("not_found"));
    let (status, _) = http_get(metrics_port, "/api/health").unwrap();
    assert_eq!(status, 404);
    assert_eq!(sigterm_and_wait(&mut child).code(), Some(0));
}

#[test]
fn the_static_dir_must_hold_the_client() {
    let db = TestDb::sqlite();
    let empty = tempfile::tempdir().unwrap();
    let out = parley()
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("PARLEY_STATIC_DIR", empty.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PARLEY_STATIC_DIR") && err.contains("index.html"),
        "{err}"
    );
}
