//! Serves the web client's production build (`PARLEY_STATIC_DIR`), so a small
//! deployment is one process. Files are served as they are; any other GET outside the
//! API that accepts HTML gets `index.html`, and the client's router takes over.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

/// The policy for the SPA's own documents: scripts and styles only from this origin,
/// sockets back to it, no framing, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// Paths that belong to the server, never to the client's router: their misses stay
/// problem documents.
const SERVER_PREFIXES: [&str; 4] = ["/api", "/ws", "/docs", "/metrics"];

/// The answer for a request no route took, when a static directory is configured;
/// `None` leaves the request to the problem+json fallback.
pub fn serve(req: &HttpRequest, dir: &Path) -> Option<HttpResponse> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return None;
    }
    let path = req.path();
    if SERVER_PREFIXES
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        return None;
    }
    if let Some(file) = file_under(dir, path) {
        // Vite's hashed bundles never change under one name; everything else may.
        let immutable = path.starts_with("/assets/");
        return Some(respond(req, file, immutable));
    }
    if accepts_html(req) {
        return Some(respond(req, dir.join("index.html"), false));
    }
    None
}

fn respond(req: &HttpRequest, file: PathBuf, immutable: bool) -> HttpResponse {
    let Ok(named) = NamedFile::open(&file) else {
        return HttpResponse::NotFound().finish();
    };
    let mut res = named.into_response(req);
    let headers = res.headers_mut();
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    res
}

/// The regular file `path` names inside `dir`, if any. Hidden names, `..` and encoded
/// characters are refused outright rather than normalised, so nothing escapes `dir`.
fn file_under(dir: &Path, path: &str) -> Option<PathBuf> {
    let mut file = dir.to_path_buf();
    let mut any = false;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains(['%', '\\', ':']) {
            return None;
        }
        file.push(segment);
        any = true;
    }
    (any && file.is_file()).then_some(file)
}

fn accepts_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
