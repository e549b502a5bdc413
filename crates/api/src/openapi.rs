//! The OpenAPI document: paths are collected from the handlers by utoipa-actix-web;
//! this adds the info, tags, shared schemas and the bearer security scheme.

use actix_web::App;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parley API",
        description = "Real-time chat: accounts, organisations, rooms, direct chats and messages. \
            Every error is an RFC 9457 problem document (`application/problem+json`) with a stable \
            `code`. Real-time events arrive over the WebSocket at `/ws` (see `openapi/asyncapi.yaml`).",
        license(name = "MIT"),
    ),
    tags(
        (name = "health", description = "Instance health"),
        (name = "auth", description = "Registration, sign-in, tokens, email verification, password reset"),
        (name = "users", description = "Profiles"),
        (name = "sessions", description = "Signed-in devices"),
        (name = "rooms", description = "Group rooms and direct chats"),
        (name = "members", description = "Room membership, roles and bans"),
        (name = "invites", description = "Invite links to rooms and organisations"),
        (name = "orgs", description = "Organisations, their members and announcements"),
        (name = "messages", description = "Messages, history, threads, reactions, pins, search"),
        (name = "reads", description = "Read positions, cleared history, notification levels"),
        (name = "notifications", description = "Mentions, direct messages, invites, announcements"),
        (name = "reports", description = "Reports of messages and users"),
        (name = "admin", description = "Server administration (administrators only)"),
    ),
    components(schemas(Problem)),
    security(("bearer" = [])),
    modifiers(&BearerScheme),
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        scheme.description = Some(
            "An access token from `POST /api/login`, `POST /api/register` or `POST /api/token/refresh`."
                .to_owned(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The full document, as served at `/api/openapi.json` and printed by `parley openapi`.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts()
        .1;
    finish(&mut doc);
    doc
}

/// What holds for every operation once all are collected: each can answer 429 (the
/// request budgets of `rate_limit`), except the health probe, which is exempt.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{
        ContentBuilder, HeaderBuilder, ObjectBuilder, RefOr, ResponseBuilder, Type,
    };
    let limited = ResponseBuilder::new()
        .description(
            "Too many requests from this user or address (or, at login, failed attempts); \
             retry after `Retry-After` seconds.",
        )
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                ))
                .description(Some("Seconds to wait"))
                .build(),
        )
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Problem",
                ))))
                .build(),
        )
        .build();
    for (path, item) in doc.paths.paths.iter_mut() {
        if path == "/api/health" {
            continue;
        }
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            op.responses
                .responses
                .entry("429".to_owned())
                .or_insert_with(|| RefOr::T(limited.clone()));
        }
    }
}

/// The document as served, serialised once at start-up.
pub struct DocumentJson(pub String);

/// `GET /api/openapi.json` (registered inside the `/api` scope, outside the document).
pub async fn serve(doc: actix_web::web::Data<DocumentJson>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}
