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
