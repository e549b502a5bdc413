//! Wiring: open the database, migrate, build the app state, serve until a signal.

use actix_web::HttpServer;
use parley_api::AppState;
use parley_store::Db;

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("database: {0}")]
    Store(#[from] parley_store::StoreError),
    #[error("redis: {0}")]
    Realtime(#[from] parley_realtime::RealtimeError),
    #[error("{0}")]
    State(#[from] parley_api::state::StateError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// `parley migrate`.
pub fn migrate_only(config: &Config) -> Result<(), ServeError> {
    let db = Db::connect(&config.database_url, &config.pool)?;
    let applied = parley_store::run_migrations(&db)?;
    tracing::info!(
        applied,
        backend = db.backend().name(),
        "migrations up to date"
    );
    Ok(())
}

/// Everything a running server needs, built from the configuration.
pub fn build_state(config: &Config) -> Result<AppState, ServeError> {
    let db = Db::connect(&config.database_url, &config.pool)?;
    parley_store::run_migrations(&db)?;
    let redis = config
        .redis_url
        .as_deref()
        .map(|url| parley_realtime::RedisLink::new(url, &config.redis_prefix))
        .transpose()?;
    Ok(AppState::new(config.api.clone(), db, redis)?)
}

/// `parley serve`: runs until SIGTERM or SIGINT, then drains and returns.
pub fn run(config: Config) -> Result<(), ServeError> {
    actix_web::rt::System::new().block_on(serve(config))
}

async fn serve(config: Config) -> Result<(), ServeError> {
    let state = build_state(&config)?;
    tracing::info!(
        backend = state.db.backend().name(),
        redis = state.redis.is_some(),
        "state ready"
    );
    parley_api::gateway::start_dispatcher(&state);
    state
        .db
        .spawn_wal_checkpointer(std::time::Duration::from_millis(250));
    let mut server = actix_web::dev::Server::build()
        .workers(config.workers.max(1))
        // Signals are ours: sockets must be told (1001) before the listener stops.
        .disable_signals()
        .shutdown_timeout(config.shutdown_timeout.as_secs());
    for listener in parley_api::listener::bind(&config.bind)? {
        tracing::info!(addr = %listener.local_addr()?, "listening");
        server = parley_api::listener::listen(server, listener, state.clone())?;
    }
    let server = server.run();
    let handle = server.handle();
    let metrics = match &config.metrics_bind {
        Some(bind) => Some(metrics_server(&state, bind)?),
        None => None,
    };
    let hub = state.hub.clone();
    let link = state.redis_link.clone();
    actix_web::rt::spawn(async move {
        let signal = shutdown_signal().await;
        tracing::info!(
            signal,
            "shutting down: closing sockets, draining in-flight requests"
        );
        hub.close_all(1001);
        if let Some(link) = link {
            link.retire().await;
        }
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        handle.stop(true).await;
    });
    server.await?;
    tracing::info!("stopped");
    Ok(())
}

/// `GET /metrics` alone on its own listener (`PARLEY_METRICS_BIND`).
fn metrics_server(
    state: &AppState,
    bind: &str,
) -> Result<actix_web::dev::ServerHandle, ServeError> {
    let data = actix_web::web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        actix_web::App::new().app_data(data.clone()).route(
            "/metrics",
            actix_web::web::get().to(parley_api::metrics::serve),
        )
    })
    .workers(1)
    .disable_signals()
    .bind(bind)?;
    for addr in server.addrs() {
        tracing::info!(%addr, "metrics listening");
    }
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(handle)
}

/// Resolves on SIGTERM or SIGINT with the signal's name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
