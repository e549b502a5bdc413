//! Presence claims in Redis, against the server at `TEST_REDIS_URL`: holders counted
//! across instances, every key expiring (the instances set too), and the refresh
//! renewing claims in bulk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use deadpool_redis::redis::AsyncCommands;
use parley_realtime::RedisLink;

const TTL: Duration = Duration::from_secs(30);

fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Each test its own key space: all tests share one Redis.
fn unique_prefix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test-presence-{}-{nanos}", std::process::id())
}

/// Two instances' links sharing a fresh prefix; `None` without `TEST_REDIS_URL`.
fn two_instances() -> Option<(String, std::sync::Arc<RedisLink>, std::sync::Arc<RedisLink>)> {
    let url = redis_url()?;
    let prefix = unique_prefix();
    let a = RedisLink::new(&url, &prefix).unwrap();
    let b = RedisLink::new(&url, &prefix).unwrap();
    Some((prefix, a, b))
}

#[tokio::test]
async fn holders_are_counted_across_instances_and_keys_expire() {
    let Some((prefix, a, b)) = two_instances() else {
        return;
    };
    assert_eq!(a.hold(7, TTL).await, Some(1));
    assert_eq!(b.hold(7, TTL).await, Some(2));
    assert_eq!(
        a.hold(7, TTL).await,
        Some(2),
        "a renewal is not another holder"
    );
    let key = format!("{prefix}:presence:7");
    let mut conn = a.pool.get().await.unwrap();
    let left: i64 = conn.ttl(&key).await.unwrap();
    assert!(
        left > 0 && left <= 2 * TTL.as_secs() as i64,
        "the key expires: {left}"
    );
    assert_eq!(a.release(7).await, Some(1));
    assert_eq!(b.holders(7).await, Some(1));
    assert_eq!(b.release(7).await, Some(0));
    let exists: bool = conn.exists(&key).await.unwrap();
    assert!(!exists, "the last release leaves no key behind");
}

#[tokio::test]
async fn the_refresh_renews_every_claim_and_drops_expired_ones() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix();
    let link = RedisLink::new(&url, &prefix).unwrap();
    let mut conn = link.pool.get().await.unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // A crashed instance's claim, expired a minute ago, on one user.
    let stale = format!("{prefix}:presence:5");
    let () = conn.zadd(&stale, "crashed", now - 60).await.unwrap();
    // More users than one pipeline takes.
    let users: Vec<i64> = (1..=1300).collect();
    link.hold_all(&users, TTL).await.unwrap();
    for &user in &users {
        let key = format!("{prefix}:presence:{user}");
        let claims: Vec<(String, i64)> = conn.zrange_withscores(&key, 0, -1).await.unwrap();
        assert_eq!(claims.len(), 1, "user {user}: {claims:?}");
        assert_eq!(claims[0].0, link.instance);
        assert!(
            claims[0].1 >= now + TTL.as_secs() as i64,
            "user {user}: {claims:?}"
        );
        let left: i64 = conn.ttl(&key).await.unwrap();
        assert!(left > 0, "user {user}'s key expires");
    }
    assert_eq!(link.holders(5).await, Some(1));
    let keys: Vec<String> = users
        .iter()
        .map(|u| format!("{prefix}:presence:{u}"))
        .collect();
    let _: i64 = conn.del(keys).await.unwrap();
}

#[tokio::test]
async fn the_instances_set_expires_with_its_last_heartbeat() {
    let Some((prefix, a, b)) = two_instances() else {
        return;
    };
    a.heartbeat(TTL).await.unwrap();
    b.heartbeat(TTL).await.unwrap();
    assert_eq!(a.instances().await, Some(2));
    let key = format!("{prefix}:instances");
    let mut conn = a.pool.get().await.unwrap();
    let left: i64 = conn.ttl(&key).await.unwrap();
    assert!(
        left > 0 && left <= TTL.as_secs() as i64,
        "the set expires: {left}"
    );
    b.retire().await.unwrap();
    assert_eq!(a.instances().await, Some(1));
}
