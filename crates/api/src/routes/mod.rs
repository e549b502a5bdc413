//! Handlers, one module per resource; `configure` registers them all and, through
//! utoipa-actix-web, collects their OpenAPI paths from the same code.

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

pub mod auth;
pub mod health;
pub mod passwords;
pub mod sessions;
pub mod users;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api")
            .service(health::get_health)
            .service(auth::register_user)
            .service(auth::login_user)
            .service(auth::refresh_token)
            .service(auth::logout_user)
            .service(auth::logout_all_sessions)
            .service(passwords::verify_email)
            .service(passwords::resend_verification)
            .service(passwords::forgot_password)
            .service(passwords::reset_password)
            .service(passwords::create_password_reset_link)
            .service(sessions::list_sessions)
            .service(sessions::delete_other_sessions)
            .service(sessions::delete_session)
            // `/users/me` before `/users/{user_id}`.
            .service(users::get_me)
            .service(users::update_me)
            .service(users::change_password)
            .service(users::search_users)
            .service(users::get_user),
    );
}
