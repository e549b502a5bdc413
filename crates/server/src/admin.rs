//! Operator commands that work on the database directly.

use std::io::BufRead;

use parley_store::models::NewUser;
use parley_store::repo::users;
use parley_store::{Db, write_tx};

use crate::config::Config;
use crate::serve::ServeError;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Serve(#[from] ServeError),
    #[error("database: {0}")]
    Store(#[from] parley_store::StoreError),
    #[error("{0}")]
    Api(#[from] parley_api::ApiError),
}

/// `parley create-admin`: creates the user as an administrator, or promotes an
/// existing user of that name (whose password is then left unchanged).
pub fn create_admin(config: &Config, username: &str, email: &str) -> Result<(), AdminError> {
    let db = Db::connect(&config.database_url, &config.pool).map_err(ServeError::from)?;
    parley_store::run_migrations(&db).map_err(ServeError::from)?;
    let mut conn = db.get()?;
    if let Some(existing) = users::find_by_username(&mut conn, username)? {
        users::set_admin(&mut conn, existing.id, true)?;
        println!(
            "promoted {} (id {}) to administrator",
            existing.username, existing.id
        );
        return Ok(());
    }
    let mut problems = Vec::new();
    for (field, check) in [
        ("username", parley_domain::validate::username(username)),
        ("email", parley_domain::validate::email(email)),
    ] {
        if let Err(message) = check {
            problems.push(format!("{field} {message}"));
        }
    }
    if !problems.is_empty() {
        return Err(AdminError::Invalid(problems.join("; ")));
    }
    let password = read_password()?;
    parley_domain::password::check(&password)
        .map_err(|m| AdminError::Invalid(format!("password {m}")))?;
    let hash =
        parley_auth::password::hash(&password).map_err(|e| AdminError::Invalid(e.to_string()))?;
    let user = write_tx(&mut conn, |conn| {
        users::insert(
            conn,
            &NewUser {
                username,
                username_lower: &username.to_lowercase(),
                email,
                email_lower: &email.to_lowercase(),
                display_name: username,
                password_hash: &hash,
                is_admin: true,
                is_active: true,
                created_at: parley_store::now(),
            },
        )
    })
    .map_err(|e| match e {
        parley_store::StoreError::UniqueViolation(_) => {
            AdminError::Invalid("the email is already registered".into())
        }
        other => other.into(),
    })?;
    println!("created administrator {} (id {})", user.username, user.id);
    Ok(())
}

/// `PARLEY_ADMIN_PASSWORD`, or one line from standard input.
fn read_password() -> Result<String, AdminError> {
    if let Ok(password) = std::env::var("PARLEY_ADMIN_PASSWORD") {
        return Ok(password);
    }
    eprint!("password for the new administrator: ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| AdminError::Invalid(format!("reading the password: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(AdminError::Invalid(
            "no password given (set PARLEY_ADMIN_PASSWORD or type it)".into(),
        ));
    }
    Ok(password)
}

/// What `parley admin` can do to a user without the HTTP API.
#[derive(Debug, Clone, Copy)]
pub enum UserAction {
    Deactivate,
    Reactivate,
    Promote,
    Demote,
    Delete,
    ResetLink,
    Export,
}

/// `parley admin <action> USER`: the same change the admin API makes, recorded in the
/// audit log with no acting user. With `REDIS_URL` set the change reaches running
/// instances at once (sockets of a deactivated user close); without it, their session
/// sweep closes them within `PARLEY_WS_SESSION_SWEEP_SECS`.
pub fn user_action(config: &Config, action: UserAction, who: &str) -> Result<(), AdminError> {
    let state = crate::serve::build_state(config)?;
    let who = who.to_owned();
    actix_web::rt::System::new().block_on(async move {
        let flush = state.redis_link.clone().map(|link| {
            let publisher = link.publisher();
            actix_web::rt::spawn(link.run_publisher());
            publisher
        });
        let lookup = who.clone();
        let user = state
            .db(move |conn| {
                let by_id = lookup.parse::<i64>().ok();
                Ok(match by_id {
                    Some(id) => users::find(conn, id).ok(),
                    None => users::find_by_login(conn, &lookup)?,
                })
            })
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or_else(|| AdminError::Invalid(format!("no user {who:?}")))?;
        let (id, name) = (user.id, user.username.clone());
        use parley_api::service::admin;
        match action {
            UserAction::Deactivate => admin::set_active(&state, None, id, false).await,
            UserAction::Reactivate => admin::set_active(&state, None, id, true).await,
            UserAction::Promote => admin::set_admin(&state, None, id, true).await,
            UserAction::Demote => admin::set_admin(&state, None, id, false).await,
            UserAction::Delete => admin::delete_user(&state, None, id).await,
            UserAction::ResetLink => {
                let (url, expires_at) =
                    parley_api::service::accounts::admin_reset_link_by(&state, None, id).await?;
                println!("{url}");
                eprintln!("the link for {name} expires at {expires_at} UTC");
                Ok(())
            }
            UserAction::Export => {
                let export = admin::export_user(&state, id).await?;
                state
                    .db(move |conn| {
                        Ok(parley_store::repo::admin::record(
                            conn,
                            None,
                            "user.export",
                            "user",
                            id,
                            "",
                            parley_store::now(),
                        )?)
                    })
                    .await?;
                println!(
                    "{}",
                    serde_json::to_string_pretty(&export).unwrap_or_default()
                );
                Ok(())
            }
        }?;
        if !matches!(action, UserAction::ResetLink | UserAction::Export) {
            eprintln!("{action:?} {name} (id {id}): done");
        }
        // Let the publisher hand the change's events to Redis before the process ends.
        if let Some(publisher) = flush {
            for _ in 0..100 {
                if publisher.capacity() == publisher.max_capacity() {
                    break;
                }
                actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        Ok(())
    })
}
