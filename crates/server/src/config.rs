//! Typed configuration, read once from the environment (and `.env`) at start-up
//! and passed down. Every variable is listed with its default in `.env.example`.

use std::net::IpAddr;
use std::time::Duration;

use parley_api::Settings;
use parley_store::PoolOptions;

#[derive(Debug, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: String,
    pub database_url: String,
    pub pool: PoolOptions,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// A separate listen address for `GET /metrics`; when set, the main bind does not
    /// serve it, so scrapes stay on an internal interface.
    pub metrics_bind: Option<String>,
    pub workers: usize,
    pub shutdown_timeout: Duration,
    pub log_format: LogFormat,
    pub api: Settings,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let bind = var("PARLEY_BIND").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let public_url = var("PARLEY_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));
        url::Url::parse(&public_url).map_err(|e| ConfigError {
            name: "PARLEY_PUBLIC_URL",
            message: format!("not a URL: {e}"),
        })?;
        let mut api = Settings::for_public_url(&public_url);
        if let Some(origins) = var("PARLEY_ALLOWED_ORIGINS") {
            api.allowed_origins = list(&origins)
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect();
        }
        if let Some(proxies) = var("PARLEY_TRUSTED_PROXIES") {
            api.trusted_proxies = list(&proxies)
                .map(|p| {
                    // A plain address is a one-address network.
                    p.parse::<ipnet::IpNet>()
                        .or_else(|_| p.parse::<IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| ConfigError {
                            name: "PARLEY_TRUSTED_PROXIES",
                            message: format!("{p:?} is not an IP address or CIDR range"),
                        })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(dir) = var("PARLEY_STATIC_DIR") {
            let dir = std::path::PathBuf::from(dir);
            if !dir.join("index.html").is_file() {
                return Err(ConfigError {
                    name: "PARLEY_STATIC_DIR",
                    message: format!(
                        "{} holds no index.html (build the client: cd frontend && npm ci && npm run build)",
                        dir.display()
                    ),
                });
            }
            api.static_dir = Some(dir);
        }
        api.metrics_on_main = var("PARLEY_METRICS_BIND").is_none();
        let rates = &mut api.http_rates;
        for (name, field) in [
            ("PARLEY_HTTP_USER_RATE", &mut rates.user_per_second),
            ("PARLEY_HTTP_USER_BURST", &mut rates.user_burst),
            ("PARLEY_HTTP_ADDRESS_RATE", &mut rates.address_per_second),
            ("PARLEY_HTTP_ADDRESS_BURST", &mut rates.address_burst),
        ] {
            *field = parse(name, var(name), *field)?;
            if *field == 0 {
                return Err(ConfigError {
                    name,
                    message: "must be at least 1 (PARLEY_RATE_LIMITS=off disables limits)".into(),
                });
            }
        }
        api.rate_limits = parse_switch("PARLEY_RATE_LIMITS", var("PARLEY_RATE_LIMITS"), true)?;
        let auth = &mut api.auth;
        auth.jwt_secret = var("JWT_SECRET");
        if auth
            .jwt_secret
            .as_ref()
            .is_some_and(|s| s.len() < parley_auth::jwt::MIN_SECRET_BYTES)
        {
            return Err(ConfigError {
                name: "JWT_SECRET",
                message: format!(
                    "must be at least {} bytes",
                    parley_auth::jwt::MIN_SECRET_BYTES
                ),
            });
        }
        auth.access_ttl_secs = parse(
            "PARLEY_ACCESS_TOKEN_TTL_SECS",
            var("PARLEY_ACCESS_TOKEN_TTL_SECS"),
            auth.access_ttl_secs,
        )?;
        auth.refresh_ttl_days = parse(
            "PARLEY_REFRESH_TOKEN_TTL_DAYS",
            var("PARLEY_REFRESH_TOKEN_TTL_DAYS"),
            auth.refresh_ttl_days,
        )?;
        auth.require_email_verification = parse_switch(
            "PARLEY_REQUIRE_EMAIL_VERIFICATION",
            var("PARLEY_REQUIRE_EMAIL_VERIFICATION"),
            false,
        )?;
        auth.login_max_failures = parse(
            "PARLEY_LOGIN_MAX_FAILURES",
            var("PARLEY_LOGIN_MAX_FAILURES"),
            auth.login_max_failures,
        )?;
        auth.login_window_secs = parse(
            "PARLEY_LOGIN_WINDOW_SECS",
            var("PARLEY_LOGIN_WINDOW_SECS"),
            auth.login_window_secs,
        )?;
        let gw = &mut api.gateway;
        gw.max_frame_bytes = parse(
            "PARLEY_WS_MAX_FRAME_BYTES",
            var("PARLEY_WS_MAX_FRAME_BYTES"),
            gw.max_frame_bytes,
        )?;
        gw.queue_bytes = parse(
            "PARLEY_WS_QUEUE_BYTES",
            var("PARLEY_WS_QUEUE_BYTES"),
            gw.queue_bytes,
        )?;
        gw.send_limit = parse(
            "PARLEY_WS_SEND_LIMIT",
            var("PARLEY_WS_SEND_LIMIT"),
            gw.send_limit,
        )?;
        gw.send_window_secs = parse(
            "PARLEY_WS_SEND_WINDOW_SECS",
            var("PARLEY_WS_SEND_WINDOW_SECS"),
            gw.send_window_secs,
        )?;
        gw.ping_interval_secs = parse(
            "PARLEY_WS_PING_SECS",
            var("PARLEY_WS_PING_SECS"),
            gw.ping_interval_secs,
        )?;
        gw.pong_timeout_secs = parse(
            "PARLEY_WS_PONG_TIMEOUT_SECS",
            var("PARLEY_WS_PONG_TIMEOUT_SECS"),
            gw.pong_timeout_secs,
        )?;
        gw.auth_timeout_secs = parse(
            "PARLEY_WS_AUTH_TIMEOUT_SECS",
            var("PARLEY_WS_AUTH_TIMEOUT_SECS"),
            gw.auth_timeout_secs,
        )?;
        gw.max_connections_per_user = parse(
            "PARLEY_WS_MAX_CONNECTIONS_PER_USER",
            var("PARLEY_WS_MAX_CONNECTIONS_PER_USER"),
            gw.max_connections_per_user,
        )?;
        gw.session_sweep_secs = parse(
            "PARLEY_WS_SESSION_SWEEP_SECS",
            var("PARLEY_WS_SESSION_SWEEP_SECS"),
            gw.session_sweep_secs,
        )?;
        gw.linger_ms = parse(
            "PARLEY_WS_LINGER_MS",
            var("PARLEY_WS_LINGER_MS"),
            gw.linger_ms,
        )?;
        gw.linger_rate = parse(
            "PARLEY_WS_LINGER_RATE",
            var("PARLEY_WS_LINGER_RATE"),
            gw.linger_rate,
        )?;
        gw.log_retention_days = parse(
            "PARLEY_EVENT_LOG_DAYS",
            var("PARLEY_EVENT_LOG_DAYS"),
            gw.log_retention_days,
        )?;
        gw.log_retention_events = parse(
            "PARLEY_EVENT_LOG_EVENTS",
            var("PARLEY_EVENT_LOG_EVENTS"),
            gw.log_retention_events,
        )?;
        let mail = &mut api.mail;
        mail.smtp_url = var("SMTP_URL");
        if let Some(from) = var("PARLEY_MAIL_FROM") {
            mail.from = from;
        }
        if let Some(dir) = var("PARLEY_OUTBOX_DIR") {
            mail.outbox_dir = dir.into();
        }

        let default_workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Config {
            database_url: var("DATABASE_URL").unwrap_or_else(|| "sqlite://parley.db".to_owned()),
            pool: PoolOptions {
                max_size: parse("PARLEY_DB_POOL_SIZE", var("PARLEY_DB_POOL_SIZE"), 20)?,
                checkout_timeout: Duration::from_millis(parse(
                    "PARLEY_DB_TIMEOUT_MS",
                    var("PARLEY_DB_TIMEOUT_MS"),
                    5000,
                )?),
            },
            redis_url: var("REDIS_URL"),
            redis_prefix: var("PARLEY_REDIS_PREFIX").unwrap_or_else(|| "parley".to_owned()),
            metrics_bind: var("PARLEY_METRICS_BIND"),
            workers: parse("PARLEY_WORKERS", var("PARLEY_WORKERS"), default_workers)?,
            shutdown_timeout: Duration::from_secs(parse(
                "PARLEY_SHUTDOWN_TIMEOUT_SECS",
                var("PARLEY_SHUTDOWN_TIMEOUT_SECS"),
                10,
            )?),
            log_format: match var("PARLEY_LOG_FORMAT").as_deref() {
                None | Some("text") => LogFormat::Text,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError {
                        name: "PARLEY_LOG_FORMAT",
                        message: format!("{other:?}: use text or json"),
                    });
                }
            },
            bind,
            api,
        })
    }
}

fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse<T: std::str::FromStr>(
    name: &'static str,
    value: Option<String>,
    default: T,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| ConfigError {
            name,
            message: format!("{v:?} is not valid"),
        }),
    }
}

fn parse_switch(
    name: &'static str,
    value: Option<String>,
    default: bool,
) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("on" | "true" | "1" | "yes") => Ok(true),
        Some("off" | "false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError {
            name,
            message: format!("{other:?}: use on or off"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = config(&[]).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://parley.db");
        assert_eq!(c.api.public_url, "http://127.0.0.1:8080");
        assert_eq!(
            c.api.allowed_origins,
            vec!["http://127.0.0.1:8080", "http://localhost:5173"]
        );
        assert_eq!(c.redis_prefix, "parley");
        assert!(c.redis_url.is_none());
        assert!(c.api.rate_limits);
    }

    #[test]
    fn explicit_values_win_and_bad_ones_are_named() {
        let c = config(&[
            (
                "PARLEY_ALLOWED_ORIGINS",
                "https://a.example, https://b.example/",
            ),
            ("PARLEY_RATE_LIMITS", "off"),
            ("PARLEY_TRUSTED_PROXIES", "10.0.0.1,::1,172.16.0.0/12"),
        ])
        .unwrap();
        assert_eq!(
            c.api.allowed_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert!(!c.api.rate_limits);
        assert_eq!(c.api.trusted_proxies.len(), 3);
        assert!(c.api.trusted_proxies[2].contains(&"172.18.0.5".parse::<IpAddr>().unwrap()));
        let err = config(&[("PARLEY_DB_POOL_SIZE", "many")]).unwrap_err();
        assert_eq!(err.name, "PARLEY_DB_POOL_SIZE");
        let err = config(&[("JWT_SECRET", "too short")]).unwrap_err();
        assert_eq!(err.name, "JWT_SECRET");
        let err = config(&[("PARLEY_TRUSTED_PROXIES", "proxy.local")]).unwrap_err();
        assert_eq!(err.name, "PARLEY_TRUSTED_PROXIES");
    }
}
