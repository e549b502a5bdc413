//! The HTTP layer's part of the configuration, built once by the server from the
//! environment and passed in: no globals.

/// Settings the API reads at request time.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where users reach the server (links in mails; the server's own origin).
    pub public_url: String,
    /// Browser origins allowed for CORS and WebSocket upgrades.
    pub allowed_origins: Vec<String>,
    /// Largest accepted JSON body, in bytes.
    pub json_limit: usize,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `false` disables every rate limit (benchmarks, black-box runs).
    pub rate_limits: bool,
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
