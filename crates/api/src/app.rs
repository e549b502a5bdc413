//! The actix-web application factory.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, web};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::fallback::{self, RouteTable};
use crate::middleware::{log_request, trim_api_trailing_slash};
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
    let (app, doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    let route_table = web::Data::new(RouteTable::from_openapi(&doc));
    let settings = state.settings.clone();
    app.app_data(web::Data::new(state))
        .app_data(extract::json_config(settings.json_limit))
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        .app_data(route_table)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api/openapi.json", doc))
        .default_service(web::to(fallback::not_matched))
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
