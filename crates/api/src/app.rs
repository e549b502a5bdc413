//! The actix-web application factory.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::{App, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::fallback::{self, RouteTable};
use crate::middleware::{catch_panic, log_request, trim_api_trailing_slash};
use crate::openapi::ApiDoc;
use crate::settings::Settings;
use crate::state::AppState;
use crate::{extract, routes};

/// Builds the whole application over `state`: the API, the spec, Swagger UI.
pub fn build(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    crate::openapi::finish(&mut doc);
    let route_table = web::Data::new(RouteTable::from_openapi(&doc));
    let settings = state.settings.clone();
    app.app_data(web::Data::new(state))
        .app_data(extract::json_config(settings.json_limit))
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .app_data(web::PayloadConfig::new(settings.json_limit))
        .app_data(route_table)
        .route("/ws", web::get().to(crate::gateway::upgrade))
        .configure(|cfg| {
            if settings.metrics_on_main {
                cfg.route("/metrics", web::get().to(crate::metrics::serve));
            }
        })
        .app_data(web::Data::new(crate::openapi::DocumentJson(
            serde_json::to_string(&doc).unwrap_or_default(),
        )))
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::from("/api/openapi.json")),
        )
        .default_service(web::to(fallback::not_matched))
        .wrap(from_fn(catch_panic))
        .wrap(from_fn(crate::rate_limit::limit))
        .wrap(ErrorHandlers::new().default_handler(problemize))
        .wrap(cors(&settings))
        .wrap(
            DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::REFERRER_POLICY, "no-referrer")),
        )
        .wrap(from_fn(log_request))
        .wrap(from_fn(trim_api_trailing_slash))
}

fn cors(settings: &Settings) -> Cors {
    let allowed = settings.allowed_origins.clone();
    Cors::default()
        .allowed_origin_fn(move |origin, _head| {
            origin
                .to_str()
                .is_ok_and(|o| allowed.iter().any(|a| a == o))
        })
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::RETRY_AFTER, header::LOCATION])
        .max_age(3600)
}

/// Turns any error response the framework or a library produced on its own (plain
/// text, empty) into a problem document, so every error has the same shape.
fn problemize<B: MessageBody>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our own answers are JSON already (problems, and the health document's 503).
    let is_json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(b"application/") && v.as_bytes().ends_with(b"json")
    });
    let replacement = if is_json {
        None
    } else {
        crate::ApiError::for_status(res.status())
    };
    let Some(error) = replacement else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let (req, _) = res.into_parts();
    let response = actix_web::ResponseError::error_response(&error);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}
