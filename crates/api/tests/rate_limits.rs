//! REST and socket-upgrade budgets: a flooding user or address gets 429 with
//! `Retry-After` while everyone else is served; forwarded addresses count only through
//! trusted proxies; probes are exempt.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use parley_store::testing::TestDb;

/// GET `path` with an optional token and `X-Forwarded-For`; (status, retry-after, code).
async fn get(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    forwarded: Option<&str>,
) -> (u16, Option<u64>, String) {
    let mut req = app.server.get(path);
    if let Some(token) = token {
        req = req.insert_header(("Authorization", format!("Bearer {token}")));
    }
    if let Some(ip) = forwarded {
        req = req.insert_header(("X-Forwarded-For", ip));
    }
    let mut res = req.send().await.unwrap();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    (
        res.status().as_u16(),
        retry,
        body["code"].as_str().unwrap_or_default().to_owned(),
    )
}

#[actix_web::test]
async fn a_flooding_user_is_throttled_and_others_are_not() {
    let app = TestApp::start_on(TestDb::sqlite(), |s| {
        s.http_rates.user_per_second = 1;
        s.http_rates.user_burst = 5;
    })
    .await;
    let flood = app.user("flood").await;
    let calm = app.user("calm").await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(get(&app, "/api/users/me", Some(&flood), None).await);
    }
    let ok = statuses.iter().filter(|s| s.0 == 200).count();
    assert_eq!(ok, 5, "the burst is served: {statuses:?}");
    let refused = statuses.last().unwrap();
    assert_eq!((refused.0, refused.2.as_str()), (429, "rate_limited"));
    assert!(
        refused.1.is_some_and(|s| (1..=2).contains(&s)),
        "{refused:?}"
    );
    // Another user from the same address is unaffected, and so are health probes.
    assert_eq!(get(&app, "/api/users/me", Some(&calm), None).await.0, 200);
    assert_eq!(get(&app, "/api/health", Some(&flood), None).await.0, 200);
    // A forged token naming the calm user does not spend the calm user's budget.
    let forged = format!("{}x", calm);
    for _ in 0..10 {
        get(&app, "/api/users/me", Some(&forged), None).await;
    }
    assert_eq!(get(&app, "/api/users/me", Some(&calm), None).await.0, 200);
    // The budget refills.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(get(&app, "/api/users/me", Some(&flood), None).await.0, 200);
}

#[actix_web::test]
async fn addresses_are_limited_and_cannot_be_spoofed() {
    // Behind a trusted proxy, each forwarded client has its own budget.
    let app = TestApp::start_on(TestDb::sqlite(), |s| {
        s.http_rates.address_per_second = 1;
        s.http_rates.address_burst = 3;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(
            get(&app, "/api/rooms/public", None, Some("203.0.113.1"))
                .await
                .0,
        );
    }
    assert_eq!(
        seen,
        [401, 401, 401, 429],
        "unauthenticated requests count too"
    );
    assert_eq!(
        get(&app, "/api/rooms/public", None, Some("203.0.113.2"))
            .await
            .0,
        401
    );
    // Socket upgrades share the address budget.
    let (status, ..) = get(&app, "/ws", None, Some("203.0.113.1")).await;
    assert_eq!(status, 429);

    // Without trusting the peer, X-Forwarded-For is ignored: rotating it gains nothing.
    let app = TestApp::start_on(TestDb::sqlite(), |s| {
        s.http_rates.address_per_second = 1;
        s.http_rates.address_burst = 3;
    })
    .await;
    let mut seen = Vec::new();
    for i in 0..4 {
        let spoofed = format!("198.51.100.{i}");
        seen.push(get(&app, "/api/rooms/public", None, Some(&spoofed)).await.0);
    }
    assert_eq!(seen, [401, 401, 401, 429]);

    // Through a trusted proxy chain, the client's own X-Forwarded-For entries come first
    // and the proxies append what they saw: only the nearest untrusted hop counts, so
    // rotating the entries a client writes itself gains nothing either.
    let app = TestApp::start_on(TestDb::sqlite(), |s| {
        s.http_rates.address_per_second = 1;
        s.http_rates.address_burst = 3;
        s.trusted_proxies = vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
    })
    .await;
    let mut seen = Vec::new();
    for i in 0..4 {
        let chain = format!("198.51.100.{i}, 203.0.113.7, 10.1.2.3");
        seen.push(get(&app, "/api/rooms/public", None, Some(&chain)).await.0);
    }
    assert_eq!(seen, [401, 401, 401, 429]);
    // Another client behind the same proxies keeps its own budget.
    let other = get(
        &app,
        "/api/rooms/public",
        None,
        Some("203.0.113.8, 10.1.2.3"),
    )
    .await;
    assert_eq!(other.0, 401);
}

#[actix_web::test]
async fn limits_can_be_switched_off() {
    let app = TestApp::start_on(TestDb::sqlite(), |s| {
        s.rate_limits = false;
        s.http_rates.address_per_second = 1;
        s.http_rates.address_burst = 1;
    })
    .await;
    for _ in 0..5 {
        assert_eq!(get(&app, "/api/rooms/public", None, None).await.0, 401);
    }
}
