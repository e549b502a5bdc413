//! What every handler shares: settings, the database, credentials machinery, mail.

use std::sync::Arc;
use std::time::Duration;

use parley_auth::JwtKeys;
use parley_store::{Db, DbConn};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};
use crate::mail::Mailer;
use crate::settings::Settings;
use crate::throttle::Throttle;

/// Cheap to clone; handed to actix as `web::Data`.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub redis: Option<parley_realtime::RedisPool>,
    /// Fan-out and presence across instances, when `REDIS_URL` is set.
    pub redis_link: Option<Arc<parley_realtime::RedisLink>>,
    pub auth: Arc<AuthRuntime>,
    pub mailer: Arc<Mailer>,
    /// Committed changes are published here (after commit, never before).
    pub bus: parley_realtime::Bus,
    pub presence: parley_realtime::Presence,
    /// This instance's sockets and the ordered fan-out to them.
    pub hub: Arc<crate::gateway::hub::Hub>,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub limits: Arc<crate::rate_limit::RateLimits>,
}

/// Credentials machinery: the JWT keys, bounded password hashing, login throttles.
pub struct AuthRuntime {
    pub keys: JwtKeys,
    /// Argon2 is slow by design; at most this many hashes run at once so a login
    /// flood cannot starve the blocking pool the database work also needs.
    hashing: Semaphore,
    /// Verified against when the user does not exist, so both cases take as long.
    dummy_hash: String,
    pub login_by_account: Throttle,
    pub login_by_address: Throttle,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{0}")]
    Store(#[from] parley_store::StoreError),
    #[error("{0}")]
    Mail(#[from] crate::mail::MailError),
    #[error("JWT_SECRET must be at least {min} bytes", min = parley_auth::jwt::MIN_SECRET_BYTES)]
    ShortSecret,
    #[error("password hashing: {0}")]
    Hash(#[from] parley_auth::password::HashError),
}

impl AppState {
    /// Builds the state over a migrated database: resolves the JWT secret (configured,
    /// or generated once and shared through the database) and the mailer.
    pub fn new(
        settings: Settings,
        db: Db,
        redis_link: Option<Arc<parley_realtime::RedisLink>>,
    ) -> Result<Self, StateError> {
        let secret = match &settings.auth.jwt_secret {
            Some(secret) if secret.len() < parley_auth::jwt::MIN_SECRET_BYTES => {
                return Err(StateError::ShortSecret);
            }
            Some(secret) => secret.clone(),
            None => {
                let candidate = parley_auth::token::generate() + &parley_auth::token::generate();
                let mut conn = db.get()?;
                parley_store::repo::secrets::get_or_create(&mut conn, "jwt_secret", &candidate)?
            }
        };
        let window = Duration::from_secs(settings.auth.login_window_secs);
        let max = settings.auth.login_max_failures;
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        let auth = AuthRuntime {
            keys: JwtKeys::new(secret.as_bytes()),
            hashing: Semaphore::new(permits),
            dummy_hash: parley_auth::password::hash(&parley_auth::token::generate())?,
            login_by_account: Throttle::new("login_account", max, window),
            login_by_address: Throttle::new("login_address", max.saturating_mul(4), window),
        };
        let mailer = Mailer::from_settings(&settings.mail)?;
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let hub = crate::gateway::hub::Hub::new(
            db.clone(),
            settings.gateway.queue_bytes,
            metrics.clone(),
        );
        let limits = Arc::new(crate::rate_limit::RateLimits::new(&settings.http_rates));
        Ok(AppState {
            limits,
            settings: Arc::new(settings),
            db,
            redis: redis_link.as_ref().map(|l| l.pool.clone()),
            bus: match &redis_link {
                Some(link) => parley_realtime::Bus::with_remote(link.publisher()),
                None => parley_realtime::Bus::new(),
            },
            redis_link,
            auth: Arc::new(auth),
            mailer: Arc::new(mailer),
            presence: parley_realtime::Presence::new(),
            hub,
            metrics,
        })
    }

    /// Runs diesel work on the blocking pool, pool checkout included, so async
    /// workers never wait on the database.
    pub async fn db<T, F>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.db.clone();
        actix_web::web::block(move || {
            let mut conn = db.get()?;
            work(&mut conn)
        })
        .await
        .map_err(ApiError::from)?
    }
}

impl AuthRuntime {
    pub async fn hash_password(&self, password: String) -> ApiResult<String> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| ApiError::internal("hashing", e))?;
        actix_web::web::block(move || parley_auth::password::hash(&password))
            .await?
            .map_err(|e| ApiError::internal("hashing", e))
    }

    /// Verifies `password` against `stored`, or against a dummy hash when there is no
    /// user, so an unknown name costs the same time as a wrong password.
    pub async fn verify_password(
        &self,
        password: String,
        stored: Option<String>,
    ) -> ApiResult<bool> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| ApiError::internal("hashing", e))?;
        let exists = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let matched =
            actix_web::web::block(move || parley_auth::password::verify(&password, &stored))
                .await?
                .map_err(|e| ApiError::internal("password verification", e))?;
        Ok(exists && matched)
    }
}
