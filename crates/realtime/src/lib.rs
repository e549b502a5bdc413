//! Parley's fan-out bus and presence. Without Redis everything stays in-process;
//! with `REDIS_URL` events and presence cross instances through Redis.

use std::time::Duration;

pub mod bus;
pub mod presence;
pub mod redis;

pub use bus::{Audience, Bus, BusEvent, RoomEffect};
pub use presence::Presence;
pub use redis::{Interest, RedisLink, RemoteSink};

pub use deadpool_redis::Pool as RedisPool;

#[derive(Debug, thiserror::Error)]
pub enum RealtimeError {
    #[error("redis configuration: {0}")]
    Config(String),
}

/// A small publish/command pool. Connections open lazily, so an instance starts
/// (and reports `degraded`) while Redis is down.
pub fn redis_pool(url: &str) -> Result<RedisPool, RealtimeError> {
    let mut config = deadpool_redis::Config::from_url(url);
    config.pool = Some(deadpool_redis::PoolConfig {
        max_size: 8,
        timeouts: deadpool_redis::Timeouts {
            wait: Some(Duration::from_secs(2)),
            create: Some(Duration::from_secs(2)),
            recycle: Some(Duration::from_secs(2)),
        },
        ..Default::default()
    });
    config
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .map_err(|e| RealtimeError::Config(e.to_string()))
}

/// `PING` with a short deadline: true when Redis answers.
pub async fn redis_ping(pool: &RedisPool) -> bool {
    let attempt = async {
        let mut conn = pool.get().await.ok()?;
        deadpool_redis::redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Some(_))
    )
}
