//! Counters for throttling (failed logins): a sliding window in-process, and with Redis
//! a fixed window every instance shares, so a brute-force spread over the instances
//! behind a load balancer meets the same limit as one aimed at a single instance. When
//! Redis cannot be asked, each instance still holds its own limit.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use parley_realtime::RedisLink;

/// How long a throttle waits for Redis before deciding on its own count.
const SHARED_DEADLINE: Duration = Duration::from_millis(500);

/// Entries kept before stale keys are swept, bounding memory under a flood of names.
const SWEEP_AT: usize = 50_000;

pub struct Throttle {
    /// Names the shared counters in Redis (`{prefix}:throttle:{scope}:...`).
    scope: &'static str,
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    pub fn new(scope: &'static str, max: u32, window: Duration) -> Self {
        Throttle {
            scope,
            max: max.max(1) as usize,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Keys (account names, addresses) are hashed before they reach Redis.
    fn shared_key(key: &str) -> String {
        parley_auth::token::hash(key)
    }

    /// `check`, and the count every instance shares when `redis` is given.
    pub async fn check_shared(&self, redis: Option<&RedisLink>, key: &str) -> Result<(), u64> {
        self.check(key)?;
        let Some(link) = redis else { return Ok(()) };
        let key = Self::shared_key(key);
        if let Ok(Some((count, ttl))) =
            tokio::time::timeout(SHARED_DEADLINE, link.hits(self.scope, &key)).await
            && count >= self.max as i64
        {
            return Err(ttl.max(1) as u64);
        }
        Ok(())
    }

    /// `record`, here and in the shared count.
    pub async fn record_shared(&self, redis: Option<&RedisLink>, key: &str) {
        self.record(key);
        if let Some(link) = redis {
            let key = Self::shared_key(key);
            let hit = link.count_hit(self.scope, &key, self.window);
            let _ = tokio::time::timeout(SHARED_DEADLINE, hit).await;
        }
    }

    /// `clear`, here and in the shared count.
    pub async fn clear_shared(&self, redis: Option<&RedisLink>, key: &str) {
        self.clear(key);
        if let Some(link) = redis {
            let key = Self::shared_key(key);
            let _ = tokio::time::timeout(SHARED_DEADLINE, link.forget(self.scope, &key)).await;
        }
    }

    /// `Err(retry_after_secs)` when `key` already has `max` hits in the window.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let Some(times) = hits.get_mut(key) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.max {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }

    pub fn record(&self, key: &str) {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() >= SWEEP_AT {
            let window = self.window;
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = hits.entry(key.to_owned()).or_default();
        times.push_back(now);
        while times.len() > self.max {
            times.pop_front();
        }
    }

    pub fn clear(&self, key: &str) {
        self.hits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_within_the_window() {
        let t = Throttle::new("test", 2, Duration::from_secs(60));
        assert!(t.check("a").is_ok());
        t.record("a");
        t.record("a");
        let retry = t.check("a").unwrap_err();
        assert!((1..=60).contains(&retry));
        assert!(t.check("b").is_ok(), "other keys are unaffected");
        t.clear("a");
        assert!(t.check("a").is_ok());
    }
}
