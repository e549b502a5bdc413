//! `parley admin seed`: users, rooms, memberships and live sessions in bulk, for
//! benchmarks and load tests, with an access token per user written to a file.
//!
//! Every seeded user shares one password hash (computed once), so seeding 20,000 users
//! costs one argon2 hash, not 20,000. Rows go in with multi-row INSERTs inside one
//! write transaction per batch. User `i` (0-based) belongs to room `i % rooms`; the
//! first member of each room owns it.

use std::io::Write;
use std::path::Path;

use parley_store::diesel::prelude::*;
use parley_store::schema::{room_members, sessions, users};
use parley_store::{Db, DbConn, StoreError, write_tx};

use parley_server::admin::AdminError;
use parley_server::config::Config;
use parley_server::serve::ServeError;

/// What to create.
#[derive(Debug, Clone)]
pub struct SeedSpec {
    pub users: usize,
    pub rooms: usize,
    /// Usernames are `{prefix}{i}`, room titles `{prefix} room {j}`.
    pub prefix: String,
    /// Lifetime of the written access tokens (seconds).
    pub token_ttl_secs: i64,
    /// The shared password of every seeded user (random when `None`: nobody can log in).
    pub password: Option<String>,
}

/// What was created: one entry per user, in seeding order.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub room_ids: Vec<i64>,
    /// (user id, room id, access token).
    pub users: Vec<(i64, i64, String)>,
}

const BATCH: usize = 1000;

/// Rows per multi-row INSERT (keeps SQLite under its bound-parameter limit).
const CHUNK: usize = 500;

/// `parley admin seed`: seeds the database named by the configuration and writes
/// `user_id room_id access_token` lines to `out`.
pub fn run(config: &Config, spec: &SeedSpec, out: &Path) -> Result<(), AdminError> {
    let db = Db::connect(&config.database_url, &config.pool).map_err(ServeError::from)?;
    parley_store::run_migrations(&db).map_err(ServeError::from)?;
    let started = std::time::Instant::now();
    let seeded = seed(&db, config.api.auth.jwt_secret.as_deref(), spec)?;
    write_tokens(out, &seeded)
        .map_err(|e| AdminError::Invalid(format!("writing {}: {e}", out.display())))?;
    println!(
        "seeded {} users, {} rooms, {} memberships, {} sessions in {:.1}s; tokens in {}",
        seeded.users.len(),
        seeded.room_ids.len(),
        seeded.users.len(),
        seeded.users.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// Writes one `user_id room_id token` line per user, after a `#` header line.
pub fn write_tokens(out: &Path, seeded: &Seeded) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    writeln!(file, "# user_id room_id access_token")?;
    for (user_id, room_id, token) in &seeded.users {
        writeln!(file, "{user_id} {room_id} {token}")?;
    }
    file.flush()
}

/// Creates what `spec` says over a migrated database. `jwt_secret` is the configured
/// secret, if any; otherwise the database's (created if absent, as the server does).
pub fn seed(db: &Db, jwt_secret: Option<&str>, spec: &SeedSpec) -> Result<Seeded, AdminError> {
    if spec.users == 0 || spec.rooms == 0 || spec.rooms > spec.users {
        return Err(AdminError::Invalid(
            "--users and --rooms must be at least 1, and rooms at most users".into(),
        ));
    }
    let width = spec.users.saturating_sub(1).to_string().len();
    if spec.prefix.len() + width > 32 || spec.prefix.len() + width < 3 {
        return Err(AdminError::Invalid(
            "usernames ({prefix}{number}) must be 3-32 characters".into(),
        ));
    }
    if let Err(message) =
        parley_domain::validate::username(&format!("{}{:0width$}", spec.prefix, 0))
    {
        return Err(AdminError::Invalid(format!("--prefix: username {message}")));
    }
    let mut conn = db.get()?;
    let secret = match jwt_secret {
        Some(secret) => secret.to_owned(),
        None => {
            let candidate = parley_auth::token::generate() + &parley_auth::token::generate();
            parley_store::repo::secrets::get_or_create(&mut conn, "jwt_secret", &candidate)?
        }
    };
    let keys = parley_auth::JwtKeys::new(secret.as_bytes());
    let password = spec
        .password
        .clone()
        .unwrap_or_else(parley_auth::token::generate);
    // The one argon2 hash of the whole seed.
    let hash =
        parley_auth::password::hash(&password).map_err(|e| AdminError::Invalid(e.to_string()))?;
    let now = parley_store::now();
    let expires = now + chrono::Duration::days(365);
    let names: Vec<String> = (0..spec.users)
        .map(|i| format!("{}{i:0width$}", spec.prefix))
        .collect();
    let lowers: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let emails: Vec<String> = lowers.iter().map(|n| format!("{n}@seed.invalid")).collect();

    // 1. Users, in batches; their ids are read back by username.
    let mut user_ids = Vec::with_capacity(spec.users);
    for start in (0..spec.users).step_by(BATCH) {
        let end = (start + BATCH).min(spec.users);
        let ids = write_tx(&mut conn, |conn| -> Result<Vec<i64>, StoreError> {
            let rows: Vec<_> = (start..end)
                .map(|i| {
                    (
                        users::username.eq(&names[i]),
                        users::username_lower.eq(&lowers[i]),
                        users::email.eq(&emails[i]),
                        users::email_lower.eq(&emails[i]),
                        users::display_name.eq(&names[i]),
                        users::password_hash.eq(&hash),
                        users::is_admin.eq(false),
                        users::is_active.eq(true),
                        users::created_at.eq(now),
                    )
                })
                .collect();
            for chunk in rows.chunks(CHUNK) {
                insert_users(conn, chunk)?;
            }
            let found: Vec<(i64, String)> = users::table
                .filter(users::username_lower.eq_any(&lowers[start..end]))
                .select((users::id, users::username_lower))
                .load(conn)?;
            let by_name: std::collections::HashMap<&str, i64> =
                found.iter().map(|(id, n)| (n.as_str(), *id)).collect();
            (start..end)
                .map(|i| {
                    by_name
                        .get(lowers[i].as_str())
                        .copied()
                        .ok_or(StoreError::NotFound)
                })
                .collect()
        })
        .map_err(|e| match e {
            StoreError::UniqueViolation(_) => AdminError::Invalid(format!(
                "users named {}... already exist; pick another --prefix",
                spec.prefix
            )),
            other => other.into(),
        })?;
        user_ids.extend(ids);
    }

    // 2. Rooms (owned by their first member) and memberships.
    let room_ids = write_tx(&mut conn, |conn| -> Result<Vec<i64>, StoreError> {
        let mut room_ids = Vec::with_capacity(spec.rooms);
        for (j, owner) in user_ids.iter().take(spec.rooms).enumerate() {
            let room = parley_store::repo::rooms::insert(
                conn,
                &parley_store::models::NewRoom {
                    org_id: None,
                    kind: "group",
                    visibility: "public",
                    title: &format!("{} room {j}", spec.prefix),
                    description: "seeded for benchmarks",
                    created_by: *owner,
                    created_at: now,
                    last_activity_at: now,
                    dm_key: None,
                },
            )?;
            room_ids.push(room.id);
        }
        Ok(room_ids)
    })?;
    let room_of = |i: usize| room_ids[i % spec.rooms];
    for start in (0..spec.users).step_by(BATCH) {
        let end = (start + BATCH).min(spec.users);
        write_tx(&mut conn, |conn| -> Result<(), StoreError> {
            let rows: Vec<_> = (start..end)
                .map(|i| {
                    (
                        room_members::room_id.eq(room_of(i)),
                        room_members::user_id.eq(user_ids[i]),
                        room_members::role.eq(if i < spec.rooms { "owner" } else { "member" }),
                        room_members::joined_at.eq(now),
                    )
                })
                .collect();
            for chunk in rows.chunks(CHUNK) {
                insert_members(conn, chunk)?;
            }
            Ok(())
        })?;
    }

    // 3. One live session per user, and its access token.
    let agent = format!("parley admin seed ({})", spec.prefix);
    let mut session_of = std::collections::HashMap::with_capacity(spec.users);
    for start in (0..spec.users).step_by(BATCH) {
        let end = (start + BATCH).min(spec.users);
        let found = write_tx(&mut conn, |conn| -> Result<Vec<(i64, i64)>, StoreError> {
            let rows: Vec<_> = (start..end)
                .map(|i| {
                    (
                        sessions::user_id.eq(user_ids[i]),
                        sessions::created_at.eq(now),
                        sessions::last_used_at.eq(now),
                        sessions::expires_at.eq(expires),
                        sessions::user_agent.eq(Some(agent.as_str())),
                    )
                })
                .collect();
            for chunk in rows.chunks(CHUNK) {
                insert_sessions(conn, chunk)?;
            }
            Ok(sessions::table
                .filter(sessions::user_id.eq_any(&user_ids[start..end]))
                .filter(sessions::user_agent.eq(agent.as_str()))
                .select((sessions::user_id, sessions::id))
                .load(conn)?)
        })?;
        session_of.extend(found);
    }
    let mut out = Vec::with_capacity(spec.users);
    for (i, user_id) in user_ids.iter().enumerate() {
        let session_id = *session_of
            .get(user_id)
            .ok_or_else(|| AdminError::Invalid(format!("no session for user {user_id}")))?;
        let token = keys
            .issue(*user_id, session_id, spec.token_ttl_secs)
            .map_err(|e| AdminError::Invalid(e.to_string()))?;
        out.push((*user_id, room_of(i), token));
    }
    Ok(Seeded {
        room_ids,
        users: out,
    })
}

/// A multi-row INSERT on whichever backend `conn` is (the multi-backend connection
/// type does not take batch inserts itself).
macro_rules! insert_many {
    ($name:ident, $table:path, $row:ty) => {
        fn $name(conn: &mut DbConn, rows: &[$row]) -> Result<(), StoreError> {
            match conn {
                DbConn::Postgres(pg) => {
                    diesel::insert_into($table).values(rows).execute(pg)?;
                }
                DbConn::Sqlite(lite) => {
                    diesel::insert_into($table).values(rows).execute(lite)?;
                }
            }
            Ok(())
        }
    };
}

use parley_store::diesel;
use parley_store::diesel::dsl::Eq;

type UserValues<'a> = (
    Eq<users::username, &'a String>,
    Eq<users::username_lower, &'a String>,
    Eq<users::email, &'a String>,
    Eq<users::email_lower, &'a String>,
    Eq<users::display_name, &'a String>,
    Eq<users::password_hash, &'a String>,
    Eq<users::is_admin, bool>,
    Eq<users::is_active, bool>,
    Eq<users::created_at, chrono::NaiveDateTime>,
);
type MemberValues<'a> = (
    Eq<room_members::room_id, i64>,
    Eq<room_members::user_id, i64>,
    Eq<room_members::role, &'a str>,
    Eq<room_members::joined_at, chrono::NaiveDateTime>,
);
type SessionValues<'a> = (
    Eq<sessions::user_id, i64>,
    Eq<sessions::created_at, chrono::NaiveDateTime>,
    Eq<sessions::last_used_at, chrono::NaiveDateTime>,
    Eq<sessions::expires_at, chrono::NaiveDateTime>,
    Eq<sessions::user_agent, Option<&'a str>>,
);

insert_many!(insert_users, users::table, UserValues<'_>);
insert_many!(insert_members, room_members::table, MemberValues<'_>);
insert_many!(insert_sessions, sessions::table, SessionValues<'_>);
