//! Small request middlewares: `/api` trailing slashes, request logging, security headers,
//! and the last line of defence against a panicking handler.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::middleware::Next;

/// `/api/rooms/` is `/api/rooms` (CONTRACT §2). Only `/api` paths: `/docs/` needs its slash.
pub async fn trim_api_trailing_slash(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    if path.len() > 1 && path.ends_with('/') && (path.starts_with("/api/") || path == "/api/") {
        let trimmed = path.trim_end_matches('/');
        let new_path = match req.query_string() {
            "" => trimmed.to_owned(),
            query => format!("{trimmed}?{query}"),
        };
        if let Ok(uri) = new_path.parse::<Uri>() {
            let head = req.head_mut();
            head.uri = uri.clone();
            req.match_info_mut().get_mut().update(&uri);
        }
    }
    next.call(req).await
}

/// Logs one line per request: method, the matched route *pattern* (never the raw
/// path, which may hold an invite code), status and latency. Headers are not logged.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let response = next.call(req).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    let elapsed_ms = elapsed * 1000.0;
    if let Some(state) = response
        .request()
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
    {
        let method = method.as_str();
        state
            .metrics
            .http_requests
            .with_label_values(&[method, &route, &status.to_string()])
            .inc();
        state
            .metrics
            .http_duration
            .with_label_values(&[method, &route])
            .observe(elapsed);
    }
    if status >= 500 {
        tracing::warn!(%method, %route, status, elapsed_ms, "request");
    } else {
        tracing::info!(%method, %route, status, elapsed_ms, "request");
    }
    Ok(response)
}

/// Turns a panic anywhere below into a 500 problem document instead of a dropped
/// connection. A panic is a bug: it is logged as an error (method only: the raw path may
/// hold an invite code), and the client learns nothing of it but `internal_error`. The
/// answer goes up as an error, which actix renders with `ApiError`'s problem document
/// (the request itself went down with the panic).
pub async fn catch_panic(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use futures_util::FutureExt;
    let method = req.method().clone();
    match std::panic::AssertUnwindSafe(next.call(req))
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(_) => {
            tracing::error!(%method, "handler panicked");
            Err(crate::error::ApiError::Internal.into())
        }
    }
}
