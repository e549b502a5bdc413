//! Prometheus metrics, served at `GET /metrics`: HTTP traffic, sockets, fan-out, the
//! database pool and Redis. One registry per server state (no globals), so tests and
//! instances in one process do not mix their numbers.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub ws_connections: IntGauge,
    pub events_fanned_out: IntCounter,
    pub events_from_log: IntCounter,
    pub ws_writes_held: IntCounter,
    pub fanout_seconds: prometheus::Histogram,
    pub send_batch_size: prometheus::Histogram,
    pub send_batch_seconds: prometheus::Histogram,
    pub send_batches_rewritten: IntCounter,
    pub search_catch_up_seconds: prometheus::Histogram,
    pub db_pool: IntGaugeVec,
    pub redis_up: IntGauge,
}

impl Metrics {
    #[allow(clippy::expect_used)] // static metric definitions: a failure is a programming error
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("parley".into()), None).expect("registry");
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route pattern and status",
            ),
            &["method", "route", "status"],
        )
        .expect("metric");
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route pattern",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["method", "route"],
        )
        .expect("metric");
        let ws_connections =
            IntGauge::new("ws_connections", "Open WebSocket connections").expect("metric");
        let events_fanned_out = IntCounter::new(
            "events_fanned_out_total",
            "Event frames queued to local sockets",
        )
        .expect("metric");
        let events_from_log = IntCounter::new(
            "events_from_log_total",
            "Room events read from a room's log because the bus had not brought them (a gap, a resubscription after Redis was away)",
        )
        .expect("metric");
        let ws_writes_held = IntCounter::new(
            "ws_writes_held_total",
            "Socket writes held back to share a write with later frames (the socket was sent more than PARLEY_WS_LINGER_RATE frames/s)",
        )
        .expect("metric");
        let fanout_seconds = prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "fanout_seconds",
                "Time for a worker thread to hand one room event to its sockets",
            )
            .buckets(vec![
                0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05,
            ]),
        )
        .expect("metric");
        let send_batch_size = prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "send_batch_size",
                "Sends written by one group-commit transaction",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]),
        )
        .expect("metric");
        let send_batch_seconds = prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "send_batch_seconds",
                "Time of one group-commit transaction with its commit (and the pool checkout when a worker takes its connection)",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
        )
        .expect("metric");
        let send_batches_rewritten = IntCounter::new(
            "send_batches_rewritten_total",
            "Group-commit batches written a second time because a send repeated an earlier client_msg_id",
        )
        .expect("metric");
        let search_catch_up_seconds = prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "search_catch_up_seconds",
                "Time of one bulk catch-up of SQLite's search index between send batches",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
        )
        .expect("metric");
        let db_pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections"),
            &["state"],
        )
        .expect("metric");
        let redis_up = IntGauge::new(
            "redis_up",
            "1 when the Redis subscriber is connected (0 when down or disabled)",
        )
        .expect("metric");
        for collector in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_duration.clone()),
            Box::new(ws_connections.clone()),
            Box::new(events_fanned_out.clone()),
            Box::new(events_from_log.clone()),
            Box::new(ws_writes_held.clone()),
            Box::new(fanout_seconds.clone()),
            Box::new(send_batch_size.clone()),
            Box::new(send_batch_seconds.clone()),
            Box::new(send_batches_rewritten.clone()),
            Box::new(search_catch_up_seconds.clone()),
            Box::new(db_pool.clone()),
            Box::new(redis_up.clone()),
        ] {
            registry.register(collector).expect("unique metric");
        }
        Metrics {
            registry,
            http_requests,
            http_duration,
            ws_connections,
            events_fanned_out,
            events_from_log,
            ws_writes_held,
            fanout_seconds,
            send_batch_size,
            send_batch_seconds,
            send_batches_rewritten,
            search_catch_up_seconds,
            db_pool,
            redis_up,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// `GET /metrics`: samples the gauges, then renders everything.
pub async fn serve(state: actix_web::web::Data<crate::state::AppState>) -> actix_web::HttpResponse {
    let metrics = &state.metrics;
    metrics.ws_connections.set(state.hub.connections() as i64);
    let pool = state.db.pool_state();
    metrics
        .db_pool
        .with_label_values(&["open"])
        .set(i64::from(pool.connections));
    metrics
        .db_pool
        .with_label_values(&["idle"])
        .set(i64::from(pool.idle_connections));
    metrics
        .db_pool
        .with_label_values(&["in_use"])
        .set(i64::from(pool.connections - pool.idle_connections));
    metrics.redis_up.set(i64::from(
        state.redis_link.as_ref().is_some_and(|l| l.is_subscribed()),
    ));
    actix_web::HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}
