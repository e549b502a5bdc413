//! Request rate limits for the HTTP API and socket upgrades: one budget per user (from a
//! valid access token) and one per client address (behind trusted proxies, the address
//! they forwarded). A request over either budget answers 429 `rate_limited` with
//! `Retry-After`. GCRA buckets (governor) keep one timestamp per key, so a flood of
//! addresses costs little memory; idle keys are swept.
//!
//! Budgets are per instance: behind a load balancer spreading a client over N
//! instances, the effective limit is up to N times the configured one.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;
use crate::settings::RateSettings;
use crate::state::AppState;

pub struct RateLimits {
    by_user: DefaultKeyedRateLimiter<i64>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(burst)
}

impl RateLimits {
    pub fn new(settings: &RateSettings) -> Self {
        RateLimits {
            by_user: RateLimiter::keyed(quota(settings.user_per_second, settings.user_burst)),
            by_address: RateLimiter::keyed(quota(
                settings.address_per_second,
                settings.address_burst,
            )),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(retry_after_secs)` when the user's or the address's budget is spent. The
    /// address is charged even for authenticated requests, so one address cannot
    /// multiply its budget by holding many accounts.
    pub fn check(&self, user: Option<i64>, address: Option<IpAddr>) -> Result<(), u64> {
        let now = self.clock.now();
        let wait = |not_until: governor::NotUntil<_>| {
            not_until.wait_time_from(now).as_secs_f64().ceil().max(1.0) as u64
        };
        if let Some(ip) = address {
            self.by_address.check_key(&ip).map_err(wait)?;
        }
        if let Some(user) = user {
            self.by_user.check_key(&user).map_err(wait)?;
        }
        Ok(())
    }

    /// Forgets keys whose buckets are full again (called periodically).
    pub fn sweep(&self) {
        self.by_user.retain_recent();
        self.by_address.retain_recent();
        self.by_user.shrink_to_fit();
        self.by_address.shrink_to_fit();
    }
}

/// Paths outside every budget: orchestrators' probes and the documents.
fn exempt(path: &str) -> bool {
    path == "/api/health"
        || path == "/api/openapi.json"
        || !(path.starts_with("/api/") || path == "/ws")
}

pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let verdict = match req.app_data::<actix_web::web::Data<AppState>>() {
        Some(state) if state.settings.rate_limits && !exempt(req.path()) => {
            let address =
                crate::client_ip::client_ip(req.request(), &state.settings.trusted_proxies);
            // Only a token that verifies names a user: a forged `sub` must not spend
            // someone else's budget.
            let user = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .and_then(|token| state.auth.keys.verify(token.trim()).ok())
                .and_then(|claims| claims.user_id());
            state.limits.check(user, address)
        }
        _ => Ok(()),
    };
    if let Err(retry_after_secs) = verdict {
        let response = ApiError::RateLimited { retry_after_secs }.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
