//! docker/nginx.conf, run on loopback in front of two real `parley` processes: `/api`
//! is proxied to both and `/ws` upgrades through it, with events crossing instances.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{connect, free_port, next_message, post, start, wait_healthy};
use parley_store::testing::TestDb;
use serde_json::json;

struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[actix_web::test]
async fn nginx_proxies_api_and_websockets_to_two_instances() {
    if Command::new("nginx")
        .arg("-v")
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "nginx must be installed under CI (scripts/check-docker installs it)"
        );
        eprintln!("skipping: nginx is not installed");
        return;
    }
    let Some(db) = TestDb::postgres() else { return };
    let Ok(redis) = std::env::var("TEST_REDIS_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "TEST_REDIS_URL must be set under CI"
        );
        return;
    };
    parley_store::run_migrations(&db.pool(1)).unwrap();
    let prefix = format!("parley_nginx_{}", rand::random::<u32>());
    let a = start(&db.url, &redis, &prefix);
    let b = start(&db.url, &redis, &prefix);
    wait_healthy(a.port).await;
    wait_healthy(b.port).await;

    // The production config, pointed at loopback.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("html")).unwrap();
    std::fs::write(
        dir.path().join("html/index.html"),
        "<!doctype html><title>Parley</title>",
    )
    .unwrap();
    let port = free_port();
    let config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docker/nginx.conf"
    ))
    .unwrap()
    .replace("parley1:8080", &format!("127.0.0.1:{}", a.port))
    .replace("parley2:8080", &format!("127.0.0.1:{}", b.port))
    .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
    .replace(
        "/usr/share/nginx/html",
        &dir.path().join("html").display().to_string(),
    )
    .replace("access_log /dev/stdout;", "access_log off;");
    std::fs::write(dir.path().join("nginx.conf"), config).unwrap();
    let _nginx = Nginx(
        Command::new("nginx")
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .args([
                "-g",
                &format!("daemon off; pid {}/nginx.pid;", dir.path().display()),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_healthy(port).await;

    // The SPA is served, /api is proxied (to either instance).
    let mut spa = awc::Client::new()
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&spa.body().await.unwrap()).contains("Parley"));
    let register = |name: &'static str| async move {
        let pair = post(port, "/api/register", None, json!({"username": name, "email": format!("{name}@example.com"), "password": "a long enough passphrase"})).await;
        pair["access_token"].as_str().unwrap().to_owned()
    };
    let alice = register("alice").await;
    let bob = register("bob").await;
    let room = post(
        port,
        "/api/rooms",
        Some(&alice),
        json!({"title": "via nginx", "visibility": "public"}),
    )
    .await;
    let rid = room["id"].as_i64().unwrap();
    post(
        port,
        &format!("/api/rooms/{rid}/join"),
        Some(&bob),
        json!({}),
    )
    .await;

    // Sockets upgrade through nginx; messages sent through it reach them, whichever
    // instance each landed on.
    let mut bob_ws = connect(port, json!({"type": "auth", "token": bob})).await;
    let mut alice_ws = connect(port, json!({"type": "auth", "token": alice})).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    for i in 0..4 {
        post(
            port,
            "/api/messages",
            Some(&alice),
            json!({"room_id": rid, "body": format!("m{i}")}),
        )
        .await;
    }
    for ws in [&mut bob_ws, &mut alice_ws] {
        for i in 0..4 {
            assert_eq!(next_message(ws).await["message"]["body"], format!("m{i}"));
        }
    }
}
