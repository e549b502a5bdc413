//! The WebSocket gateway at `GET /ws` (CONTRACT §4): one socket per client carrying the
//! events of every room its user belongs to.

pub mod conn;
pub mod hub;
pub mod lane;
pub mod presence;
pub mod wire;

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
    // Optional features the client understands, e.g. `?capabilities=presence.batch`;
    // unknown ones are ignored so clients can ask before servers know them.
    let presence_batch =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| {
                let caps = q.get("capabilities")?;
                Some(caps.split(',').any(|c| c.trim() == "presence.batch"))
            })
            .unwrap_or(false);
    let gateway = &state.settings.gateway;
    let pacing = wire::Pacing {
        rate: gateway.linger_rate,
        linger: std::time::Duration::from_millis(gateway.linger_ms),
        held: Some(state.metrics.ws_writes_held.clone()),
    };
    let (response, session, stream) = wire::handle(&req, body, pacing)
        .map_err(|e| ApiError::BadRequest(format!("not a WebSocket upgrade: {e}")))?;
    let stream = stream.max_frame_size(state.settings.gateway.max_frame_bytes);
    let state = state.get_ref().clone();
    actix_web::rt::spawn(conn::run(
        state,
        session,
        stream,
        header_token,
        presence_batch,
    ));
    Ok(response)
}

/// Events one dispatch pass takes before handing its frames on.
const DISPATCH_PASS: usize = 64;

/// How long an instance's claim on an online user lasts without a refresh.
const PRESENCE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// Starts the instance's realtime tasks: the dispatcher from the local bus to the hub
/// and, with Redis, the publisher, the one subscriber, and the presence refresh.
pub fn start_dispatcher(state: &AppState) {
    state.hub.dispatch_here();
    start_retention(state);
    start_session_sweep(state);
    if let Some(link) = state.redis_link.clone() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        state.hub.watch_interest(tx);
        actix_web::rt::spawn(link.clone().run_publisher());
        let sink = std::sync::Arc::new(hub::HubSink(state.hub.clone()));
        actix_web::rt::spawn(link.clone().run_subscriber(rx, sink));
        let presence = state.presence.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(PRESENCE_TTL / 3);
            loop {
                tick.tick().await;
                link.heartbeat(PRESENCE_TTL).await;
                link.hold_all(&presence.online_users(), PRESENCE_TTL).await;
            }
        });
    }
    let mut events = state.bus.subscribe();
    let hub = state.hub.clone();
    actix_web::rt::spawn(async move {
        use tokio::sync::broadcast::error::{RecvError, TryRecvError};
        loop {
            let mut next = Some(events.recv().await);
            // One pass over what has arrived (a group commit's batch, say): each socket's
            // worker is handed the pass's frames at once (`lane`). An event is taken from
            // the bus only when this pass will dispatch it.
            let mut out = hub.pushes();
            let mut taken = 0;
            while let Some(received) = next.take() {
                match received {
                    Ok(event) => hub.dispatch_into(&event, &mut out),
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "dispatcher lagged; catching up from the logs");
                        hub.fill_all();
                    }
                    Err(RecvError::Closed) => {
                        let _ = out.flush();
                        return;
                    }
                }
                taken += 1;
                if taken == DISPATCH_PASS {
                    break;
                }
                next = match events.try_recv() {
                    Ok(event) => Some(Ok(event)),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Lagged(missed)) => Some(Err(RecvError::Lagged(missed))),
                    Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
                };
            }
            if let Some(lane) = out.flush() {
                // A worker is behind: the bus holds what comes meanwhile.
                lane.drained().await;
            }
        }
    });
}

/// This socket made the user online here; true when they were offline everywhere.
pub async fn came_online(state: &AppState, user_id: i64) -> bool {
    if !state.presence.connect(user_id) {
        return false;
    }
    match &state.redis_link {
        // Unknown (Redis down): say online; a duplicate presence event is harmless.
        Some(link) => link
            .hold(user_id, PRESENCE_TTL)
            .await
            .is_none_or(|holders| holders <= 1),
        None => true,
    }
}

/// This socket closed; true when the user has no socket left anywhere.
pub async fn went_offline(state: &AppState, user_id: i64) -> bool {
    if !state.presence.disconnect(user_id) {
        return false;
    }
    match &state.redis_link {
        Some(link) => link
            .release(user_id)
            .await
            .is_none_or(|holders| holders == 0),
        None => true,
    }
}

/// Prunes the room event logs hourly (any instance may; pruning is idempotent).
/// Closes sockets whose session ended without this instance hearing of it: the
/// revocation's event was lost (Redis down at the time) or came from the operator's
/// command line, which has no bus. Revocation events close sockets at once; this bounds
/// the delay when they cannot.
fn start_session_sweep(state: &AppState) {
    let state = state.clone();
    actix_web::rt::spawn(async move {
        let every =
            std::time::Duration::from_secs(state.settings.gateway.session_sweep_secs.max(1));
        let mut tick = actix_web::rt::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let live = state.hub.live_sessions();
            if live.is_empty() {
                continue;
            }
            let ended = state
                .db(move |conn| {
                    let now = parley_store::now();
                    let mut ended = Vec::new();
                    for chunk in live.chunks(500) {
                        ended.extend(parley_store::repo::sessions::ended_among(conn, chunk, now)?);
                    }
                    Ok(ended)
                })
                .await;
            match ended {
                Ok(ended) if !ended.is_empty() => {
                    tracing::info!(sessions = ended.len(), "closing sockets of ended sessions");
                    state.hub.close_sessions(&ended.into_iter().collect());
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "session sweep failed"),
            }
        }
    });
}

fn start_retention(state: &AppState) {
    let limits = state.limits.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            limits.sweep();
        }
    });
    let state = state.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let gateway = state.settings.gateway.clone();
            let pruned = state
                .db(move |conn| {
                    let cutoff =
                        parley_store::now() - chrono::Duration::days(gateway.log_retention_days);
                    Ok(parley_store::repo::events::prune(
                        conn,
                        cutoff,
                        gateway.log_retention_events,
                    )?)
                })
                .await;
            match pruned {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "event log pruned"),
                Err(err) => tracing::warn!(error = %err, "event log pruning failed"),
            }
        }
    });
}

/// Whether `user_id` has a socket open on any instance.
pub async fn is_online(state: &AppState, user_id: i64) -> bool {
    if state.presence.is_online(user_id) {
        return true;
    }
    match &state.redis_link {
        Some(link) => link.holders(user_id).await.is_some_and(|n| n > 0),
        None => false,
    }
}
