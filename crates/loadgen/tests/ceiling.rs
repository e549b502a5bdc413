//! The load generator against the reference ceiling, a few sockets for a couple of
//! seconds: everything sent is acked and delivered exactly once to every member.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};

use parley_loadgen::{Scenario, ceiling, drive};

fn scenario(url: String, procs: usize, rate: Option<f64>) -> Scenario {
    Scenario {
        label: "test".into(),
        note: String::new(),
        urls: vec![url],
        tokens: None,
        conns: 40,
        rooms: 4,
        senders: 4,
        window: 4,
        rate,
        warmup_secs: 0.5,
        duration_secs: 1.5,
        drain_secs: 10.0,
        body_bytes: 64,
        sources: vec![
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)),
        ],
        connect_concurrency: 16,
        header_auth: false,
        procs,
        threads: 1,
        server_pids: vec![std::process::id()],
        settle_secs: 0.1,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_mode_loses_nothing() {
    let (addr, server) = ceiling::spawn("127.0.0.1:0", 1).unwrap();
    let report = drive(scenario(format!("ws://{addr}/ws"), 1, None))
        .await
        .unwrap();
    println!("{}", parley_loadgen::table(&report));
    assert_eq!((report.connected, report.connect_failed), (40, 0));
    assert!(report.acked > 0 && report.deliveries_per_sec > 0.0);
    assert_eq!(report.unacked, 0);
    assert_eq!(
        (report.lost, report.duplicated, report.disconnects),
        (0, 0, 0)
    );
    assert_eq!(report.expected_deliveries, report.acked * 10);
    assert_eq!(report.deliveries, report.expected_deliveries);
    assert!(report.latency.samples > 0 && report.latency.p50_ms > 0.0);
    assert_eq!(report.rooms, 4);
    server.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_rate_over_two_processes_loses_nothing() {
    let (addr, server) = ceiling::spawn("127.0.0.1:0", 1).unwrap();
    let mut sc = scenario(format!("ws://{addr}/ws"), 2, Some(200.0));
    sc.server_pids.clear();
    let report =
        parley_loadgen::driver::drive_with(sc, Some(env!("CARGO_BIN_EXE_parley-loadgen").into()))
            .await
            .unwrap();
    println!("{}", parley_loadgen::table(&report));
    assert_eq!((report.connected, report.procs), (40, 2));
    assert!(
        (report.msgs_per_sec - 200.0).abs() < 40.0,
        "{}",
        report.msgs_per_sec
    );
    assert_eq!((report.lost, report.duplicated, report.unacked), (0, 0, 0));
    assert_eq!(report.deliveries, report.acked * 10);
    server.stop(false).await;
}
