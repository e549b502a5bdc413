//! `parley admin ...` against a running server: each command changes the database,
//! is audited with no acting user, and reaches the server's open sockets (through
//! Redis at once, or through the session sweep without it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Instance, connect, free_port, post, wait_healthy};
use futures_util::StreamExt;
use parley_store::testing::TestDb;
use serde_json::{Value, json};

/// `parley admin ARGS` over `database_url` (and Redis when given); (success, stdout, stderr).
fn admin(database_url: &str, redis: Option<(&str, &str)>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parley"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("PARLEY_PUBLIC_URL", "https://chat.example.com")
        .current_dir(std::env::temp_dir())
        .arg("admin")
        .args(args);
    if let Some((url, prefix)) = redis {
        cmd.env("REDIS_URL", url).env("PARLEY_REDIS_PREFIX", prefix);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn serve(database_url: &str, extra: &[(&str, &str)]) -> Instance {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parley"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
        .env("PARLEY_RATE_LIMITS", "off")
        .env("PARLEY_LOG", "info,parley_api=debug")
        .env("PARLEY_LOG_FORMAT", "json")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(common::log_sink());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    Instance {
        child: cmd.spawn().unwrap(),
        port,
    }
}

/// Waits up to `within` for the socket to close; answers the close code.
async fn closed_within(ws: &mut common::Socket, within: Duration) -> Option<u16> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match actix_web::rt::time::timeout(left, ws.next()).await {
            Err(_) => panic!("socket still open after {within:?}"),
            Ok(Some(Ok(awc::ws::Frame::Close(reason)))) => {
                return reason.map(|r| u16::from(r.code));
            }
            Ok(None | Some(Err(_))) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

async fn register(port: u16, name: &str) -> Value {
    post(
        port,
        "/api/register",
        None,
        json!({"username": name, "email": format!("{name}@example.com"),
            "password": "correct horse battery"}),
    )
    .await
}

#[actix_web::test]
async fn admin_commands_change_users_and_are_audited() {
    let db = TestDb::sqlite();
    let server = serve(&db.url, &[("PARLEY_WS_SESSION_SWEEP_SECS", "1")]);
    wait_healthy(server.port).await;
    let eve = register(server.port, "eve").await;
    let token = eve["access_token"].as_str().unwrap();
    let eve_id = eve["user"]["id"].as_i64().unwrap();
    let mut ws = connect(server.port, json!({"type": "auth", "token": token})).await;

    // No bus reaches this embedded server: its session sweep closes the socket.
    let (ok, _, err) = admin(&db.url, None, &["deactivate", "eve"]);
    assert!(ok, "{err}");
    assert_eq!(
        closed_within(&mut ws, Duration::from_secs(10)).await,
        Some(4003)
    );

    // Users are named by username, email or id.
    let (ok, _, err) = admin(&db.url, None, &["reactivate", "eve@example.com"]);
    assert!(ok, "{err}");
    let (ok, _, err) = admin(&db.url, None, &["promote", &eve_id.to_string()]);
    assert!(ok, "{err}");
    let (ok, link, err) = admin(&db.url, None, &["reset-link", "eve"]);
    assert!(ok, "{err}");
    assert!(
        link.trim()
            .starts_with("https://chat.example.com/reset-password#token="),
        "{link}"
    );
    let (ok, export, err) = admin(&db.url, None, &["export", "eve"]);
    assert!(ok, "{err}");
    let export: Value = serde_json::from_str(&export).unwrap();
    assert_eq!(export["user"]["email"], "eve@example.com");
    assert_eq!(export["user"]["is_admin"], true);

    // Refusals: unknown users, and deletion without --yes.
    let (ok, _, err) = admin(&db.url, None, &["demote", "nobody"]);
    assert!(!ok && err.contains("no user"), "{err}");
    let (ok, _, err) = admin(&db.url, None, &["delete-user", "eve"]);
    assert!(!ok && err.contains("--yes"), "{err}");
    let (ok, _, err) = admin(&db.url, None, &["delete-user", "eve", "--yes"]);
    assert!(ok, "{err}");

    let pool = db.pool(1);
    let mut conn = pool.get().unwrap();
    let user = parley_store::repo::users::find(&mut conn, eve_id).unwrap();
    assert!(user.deleted_at.is_some() && !user.is_active);
    assert_eq!(user.display_name, "Deleted user");
    let audit = parley_store::repo::admin::list(&mut conn, None, 50).unwrap();
    let actions: Vec<&str> = audit.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.deactivate",
            "user.reactivate",
            "user.promote",
            "user.reset_link",
            "user.export",
            "user.delete"
        ]
    );
    assert!(
        audit
            .iter()
            .all(|e| e.actor_id.is_none() && e.target_id == eve_id)
    );
}

#[actix_web::test]
async fn with_redis_a_deactivation_closes_sockets_at_once() {
    let Ok(redis) = std::env::var("TEST_REDIS_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "TEST_REDIS_URL must be set under CI"
        );
        return;
    };
    let db = TestDb::sqlite();
    let prefix = format!("cli{}", free_port());
    // The sweep is slow here (an hour): only the Redis path can close the socket in time.
    let server = serve(
        &db.url,
        &[
            ("REDIS_URL", redis.as_str()),
            ("PARLEY_REDIS_PREFIX", prefix.as_str()),
            ("PARLEY_WS_SESSION_SWEEP_SECS", "3600"),
        ],
    );
    wait_healthy(server.port).await;
    let fay = register(server.port, "fay").await;
    let mut ws = connect(
        server.port,
        json!({"type": "auth", "token": fay["access_token"]}),
    )
    .await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let (ok, _, err) = admin(&db.url, Some((&redis, &prefix)), &["deactivate", "fay"]);
    assert!(ok, "{err}");
    assert_eq!(
        closed_within(&mut ws, Duration::from_secs(5)).await,
        Some(4003)
    );
}
