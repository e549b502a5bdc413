//! The soak subcommand for a few seconds against two real `parley` instances over one
//! PostgreSQL database and one Redis: clients churn between the instances, and the
//! reconciliation with the database passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use parley_loadgen::{http, soak};
use parley_store::testing::TestDb;

/// The `parley` binary: `PARLEY_BIN`, or this profile's, brought up to date with
/// `cargo build -p parley-server` (another package's binary, so Cargo does not build it
/// for this test; a no-op when it is current).
fn parley_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PARLEY_BIN") {
        return path.into();
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "-p", "parley-server", "--bin", "parley"]);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build.status().unwrap();
    assert!(status.success(), "building parley failed");
    profile_dir.join("parley")
}

struct Instance {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_sink() -> Stdio {
    match std::env::var_os("PARLEY_TEST_LOG_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            let name = format!("parley-soak-{}-{}.log", std::process::id(), rand_suffix());
            Stdio::from(std::fs::File::create(dir.join(name)).unwrap())
        }
        None => Stdio::null(),
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Rate limits on, with the budgets the soak needs raised (as scripts/soak does).
fn start(parley: &PathBuf, database_url: &str, redis_url: &str, prefix: &str) -> Instance {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let child = Command::new(parley)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis_url)
        .env("PARLEY_REDIS_PREFIX", prefix)
        .env("PARLEY_BIND", addr.to_string())
        .env("PARLEY_RATE_LIMITS", "on")
        .env("PARLEY_WS_SEND_LIMIT", "1000000")
        .env("PARLEY_HTTP_ADDRESS_RATE", "1000000")
        .env("PARLEY_HTTP_ADDRESS_BURST", "1000000")
        .env("PARLEY_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(log_sink())
        .spawn()
        .unwrap();
    Instance { child, addr }
}

async fn wait_healthy(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(res) = http::get(addr, "/api/health", "-", Duration::from_secs(2)).await
            && res.status == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("instance on {addr} did not become healthy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_across_two_instances_loses_nothing() {
    let Some(db) = TestDb::postgres() else { return };
    let Ok(redis) = std::env::var("TEST_REDIS_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "TEST_REDIS_URL must be set under CI"
        );
        return;
    };
    let parley = parley_binary();
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.txt");
    let seeded = Command::new(&parley)
        .args([
            "admin", "seed", "--users", "40", "--rooms", "4", "--prefix", "soak",
        ])
        .arg("--out")
        .arg(&tokens)
        .args(["--token-ttl-secs", "3600"])
        .env("DATABASE_URL", &db.url)
        .env("PARLEY_LOG", "warn")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(seeded.success(), "parley admin seed failed");
    let prefix = format!("parley_soak_{}", std::process::id());
    let a = start(&parley, &db.url, &redis, &prefix);
    let b = start(&parley, &db.url, &redis, &prefix);
    wait_healthy(a.addr).await;
    wait_healthy(b.addr).await;

    let cfg = soak::SoakConfig {
        urls: vec![format!("ws://{}/ws", a.addr), format!("ws://{}/ws", b.addr)],
        tokens,
        clients: 40,
        senders: 8,
        rate: 40.0,
        duration_secs: 6.0,
        churn_secs: 1.0,
        clean_close: 0.2,
        reset: 0.5,
        reconnect_delay_ms: 300,
        resync_fraction: 0.1,
        server_pids: vec![a.child.id(), b.child.id()],
        sample_secs: 2.0,
        drain_secs: 10.0,
        final_timeout_secs: 10.0,
        body_bytes: 64,
        sources: vec![
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)),
        ],
        connect_concurrency: 16,
        seed: 7,
        max_rss_growth_pct: None,
        quiet: false,
    };
    let report = soak::run(cfg).await.unwrap();
    println!("{}", soak::summary(&report));
    assert!(report.passed, "{:?}", report.failures);
    assert!(report.reconnects > 0, "no churn happened");
    assert!(report.acked > 0 && report.stored_messages >= report.acked);
    assert_eq!((report.missing, report.extra, report.unacked), (0, 0, 0));
    assert_eq!(report.expected, report.received_distinct);
    assert!(
        report.resyncs > 0 && report.rest_catchups > 0,
        "the resync path was not exercised"
    );
    assert!(report.rss_start.kib.iter().all(|k| *k > 0));
}
