//! Handlers, one module per resource; `configure` registers them all and, through
//! utoipa-actix-web, collects their OpenAPI paths from the same code.

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

pub mod health;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(scope::scope("/api").service(health::get_health));
}
