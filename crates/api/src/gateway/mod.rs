//! The WebSocket gateway at `GET /ws` (CONTRACT §4): one socket per client carrying the
//! events of every room its user belongs to.

pub mod conn;
pub mod hub;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::state::AppState;

/// Upgrades to a WebSocket after checking `Origin` (browsers only; clients without one
/// are allowed). Authentication happens on the socket: the `Authorization` header of
/// the upgrade, or a first `auth` frame.
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let allowed = origin.to_str().is_ok_and(|o| {
            state
                .settings
                .allowed_origins
                .iter()
                .any(|a| a == o.trim_end_matches('/'))
        });
        if !allowed {
            return Err(ApiError::Forbidden(
                "this origin may not open sockets".into(),
            ));
        }
    }
    let header_token = crate::auth::bearer_token(&req).ok().map(str::to_owned);
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::BadRequest(format!("not a WebSocket upgrade: {e}")))?;
    let stream = stream.max_frame_size(state.settings.gateway.max_frame_bytes);
    let state = state.get_ref().clone();
    actix_web::rt::spawn(conn::run(state, session, stream, header_token));
    Ok(response)
}

/// Feeds this instance's bus to its hub. Lagging (a burst beyond the channel) heals by
/// reading every room's log.
pub fn start_dispatcher(state: &AppState) {
    let mut events = state.bus.subscribe();
    let hub = state.hub.clone();
    actix_web::rt::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => hub.dispatch(&event),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "dispatcher lagged; catching up from the logs");
                    hub.fill_all();
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
