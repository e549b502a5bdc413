//! The HTTP layer's part of the configuration, built once by the server from the
//! environment and passed in: no globals.

use std::path::PathBuf;

/// Settings the API reads at request time.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where users reach the server (links in mails; the server's own origin).
    pub public_url: String,
    /// Browser origins allowed for CORS and WebSocket upgrades.
    pub allowed_origins: Vec<String>,
    /// Largest accepted JSON body, in bytes.
    pub json_limit: usize,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `false` disables every rate limit (benchmarks, black-box runs).
    pub rate_limits: bool,
    /// Request budgets of the HTTP API and socket upgrades.
    pub http_rates: RateSettings,
    /// The web client's build (`index.html` and its assets), served for paths outside
    /// the API; `None` serves no client.
    pub static_dir: Option<PathBuf>,
    /// `GET /metrics` on the main listener; off when it has a bind of its own.
    pub metrics_on_main: bool,
    pub auth: AuthSettings,
    pub mail: MailSettings,
    pub gateway: GatewaySettings,
}

/// WebSocket limits (CONTRACT §4); each is configurable.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Largest inbound frame; bigger ones close the socket with 1009.
    pub max_frame_bytes: usize,
    /// Outbound bytes queued for one socket before it is closed as too slow (4008).
    pub queue_bytes: usize,
    /// `message.send` frames allowed per window; more answer `rate_limited`, and a
    /// client that keeps going is closed with 4029.
    pub send_limit: u32,
    pub send_window_secs: u64,
    pub ping_interval_secs: u64,
    /// A socket that has not answered for this long after a ping is closed.
    pub pong_timeout_secs: u64,
    /// A connection whose writes make no progress for this long is reset (its client
    /// reads nothing, not even pings); `None`: a ping's interval and its pong's timeout.
    pub write_stall_secs: Option<u64>,
    /// Unauthenticated sockets are closed after this long.
    pub auth_timeout_secs: u64,
    pub max_connections_per_user: usize,
    /// Every this many seconds open sockets are checked against their sessions, so a
    /// revocation whose event was lost still closes them.
    pub session_sweep_secs: u64,
    /// The room event log keeps this many days ...
    pub log_retention_days: i64,
    /// ... and at most this many events per room.
    pub log_retention_events: i64,
    /// Presence transitions are collected this long, then announced with one frame per
    /// room (`gateway::presence`).
    pub presence_tick_ms: u64,
    /// A socket sent more than `linger_rate` frames per second is written at most once
    /// per `linger_ms` (`gateway::wire::Pacing`); 0 writes every frame at once.
    pub linger_ms: u64,
    pub linger_rate: u32,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            max_frame_bytes: 64 * 1024,
            queue_bytes: 1024 * 1024,
            send_limit: 30,
            send_window_secs: 10,
            ping_interval_secs: 25,
            pong_timeout_secs: 10,
            write_stall_secs: None,
            auth_timeout_secs: 10,
            max_connections_per_user: 20,
            session_sweep_secs: 30,
            log_retention_days: 7,
            log_retention_events: 10_000,
            presence_tick_ms: 100,
            linger_ms: 25,
            linger_rate: 200,
        }
    }
}

/// Sustained requests per second and bursts, per user and per client address.
#[derive(Debug, Clone)]
pub struct RateSettings {
    pub user_per_second: u32,
    pub user_burst: u32,
    pub address_per_second: u32,
    pub address_burst: u32,
}

impl Default for RateSettings {
    /// Generous for people (the web client opens with a few dozen requests), tight
    /// enough that one client cannot monopolise an instance. Addresses get more: many
    /// users may share one behind NAT.
    fn default() -> Self {
        RateSettings {
            user_per_second: 20,
            user_burst: 200,
            address_per_second: 50,
            address_burst: 400,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// `JWT_SECRET`; when unset a secret is generated once and kept in the database.
    pub jwt_secret: Option<String>,
    pub access_ttl_secs: i64,
    /// Sliding lifetime of a session: each refresh extends it by this much.
    pub refresh_ttl_days: i64,
    /// Unverified users may not post when set.
    pub require_email_verification: bool,
    /// Failed logins allowed per account within `login_window_secs` (4x per address).
    pub login_max_failures: u32,
    pub login_window_secs: u64,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://` or `smtps://` URL; unset writes mails to `outbox_dir` instead (dev mode).
    pub smtp_url: Option<String>,
    pub from: String,
    pub outbox_dir: PathBuf,
}

impl Settings {
    /// Defaults for tests and tools: everything as the server would pick with no environment.
    pub fn for_public_url(public_url: &str) -> Self {
        Settings {
            public_url: public_url.trim_end_matches('/').to_owned(),
            allowed_origins: default_origins(public_url),
            json_limit: 64 * 1024,
            trusted_proxies: Vec::new(),
            rate_limits: true,
            http_rates: RateSettings::default(),
            static_dir: None,
            metrics_on_main: true,
            auth: AuthSettings {
                jwt_secret: None,
                access_ttl_secs: 15 * 60,
                refresh_ttl_days: 30,
                require_email_verification: false,
                login_max_failures: 5,
                login_window_secs: 15 * 60,
            },
            mail: MailSettings {
                smtp_url: None,
                from: "Parley <noreply@localhost>".to_owned(),
                outbox_dir: PathBuf::from("outbox"),
            },
            gateway: GatewaySettings::default(),
        }
    }
}

/// The server's own origin and the SPA's dev server (CONTRACT §1).
pub fn default_origins(public_url: &str) -> Vec<String> {
    let own = url::Url::parse(public_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| public_url.trim_end_matches('/').to_owned());
    vec![own, "http://localhost:5173".to_owned()]
}
