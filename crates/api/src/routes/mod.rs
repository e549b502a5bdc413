//! Handlers, one module per resource; `configure` registers them all and, through
//! utoipa-actix-web, collects their OpenAPI paths from the same code.

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

pub mod admin;
pub mod auth;
pub mod health;
pub mod invites;
pub mod members;
pub mod messages;
pub mod orgs;
pub mod passwords;
pub mod reading;
pub mod reports;
pub mod rooms;
pub mod sessions;
pub mod users;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api")
            .route(
                "/openapi.json",
                actix_web::web::get().to(crate::openapi::serve),
            )
            .service(health::get_health)
            .service(auth::register_user)
            .service(auth::login_user)
            .service(auth::rotate_refresh_token)
            .service(auth::logout_user)
            .service(auth::logout_all_sessions)
            .service(passwords::verify_email)
            .service(passwords::resend_verification)
            .service(passwords::forgot_password)
            .service(passwords::reset_password)
            .service(passwords::create_password_reset_link)
            .service(admin::deactivate_user)
            .service(admin::reactivate_user)
            .service(admin::promote_user)
            .service(admin::demote_user)
            .service(admin::list_admin_users)
            .service(admin::get_stats)
            .service(admin::list_audit)
            .service(admin::delete_user)
            .service(admin::export_user)
            .service(admin::list_admin_rooms)
            .service(admin::delete_admin_room)
            .service(sessions::list_sessions)
            .service(sessions::delete_other_sessions)
            .service(sessions::delete_session)
            // `/users/me` before `/users/{user_id}`.
            .service(users::get_me)
            .service(users::list_blocks)
            .service(users::update_me)
            .service(users::change_password)
            .service(users::search_users)
            .service(users::get_user)
            .service(users::block_user)
            .service(users::unblock_user)
            // `/rooms/public` and `/rooms/direct` before `/rooms/{room_id}`.
            .service(rooms::list_public_rooms)
            .service(rooms::open_direct_room)
            .service(rooms::create_room)
            .service(rooms::list_rooms)
            .service(rooms::get_room)
            .service(rooms::update_room)
            .service(rooms::delete_room)
            .service(rooms::join_room)
            .service(rooms::leave_room)
            .service(rooms::transfer_room)
            .service(members::list_room_members)
            .service(members::add_room_member)
            .service(members::remove_room_member)
            .service(members::update_room_member)
            .service(members::ban_room_member)
            .service(members::list_room_bans)
            .service(members::unban_room_member)
            .service(members::create_room_invite)
            .service(members::list_room_invites)
            .service(invites::get_invite)
            .service(invites::accept_invite)
            .service(invites::revoke_invite)
            .service(orgs::create_org)
            .service(orgs::list_orgs)
            .service(orgs::get_org)
            .service(orgs::update_org)
            .service(orgs::delete_org)
            .service(orgs::list_org_members)
            .service(orgs::add_org_member)
            .service(orgs::remove_org_member)
            .service(orgs::update_org_member)
            .service(orgs::create_org_invite)
            .service(orgs::list_org_invites)
            .service(orgs::create_announcement)
            .service(orgs::list_announcements)
            .service(messages::create_message)
            .service(messages::list_messages)
            .service(messages::update_message)
            .service(messages::delete_message)
            .service(messages::list_message_edits)
            .service(messages::list_thread)
            .service(messages::add_reaction)
            .service(messages::remove_reaction)
            .service(messages::pin_message)
            .service(messages::unpin_message)
            .service(messages::list_pins)
            .service(reading::mark_read)
            .service(reading::list_reads)
            .service(reading::clear_room)
            .service(reading::update_membership)
            .service(reading::list_room_events)
            .service(reading::search_messages)
            .service(reading::list_notifications)
            .service(reading::read_notifications)
            .service(reports::create_report)
            .service(reports::list_reports)
            .service(reports::handle_report),
    );
}
