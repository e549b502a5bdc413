//! What every handler shares: settings, the database, and (later) the bus.

use std::sync::Arc;

use parley_store::{Db, DbConn};

use crate::error::{ApiError, ApiResult};
use crate::settings::Settings;

/// Cheap to clone; handed to actix as `web::Data`.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub redis: Option<parley_realtime::RedisPool>,
}

impl AppState {
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
