//! Embedded migrations, applied under a database-wide lock so that several
//! instances starting together over one database are safe.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::db::{Db, DbConn};
use crate::error::{StoreError, StoreResult};

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Arbitrary constant naming Parley's advisory lock ("parley" in ASCII).
const PG_MIGRATION_LOCK: i64 = 0x7061_726c_6579;

/// Applies every pending migration; returns how many ran.
pub fn run_migrations(db: &Db) -> StoreResult<usize> {
    let mut conn = db.get()?;
    migrate_conn(&mut conn)
}

pub fn migrate_conn(conn: &mut DbConn) -> StoreResult<usize> {
    let applied = match conn {
        DbConn::Postgres(pg) => {
            // Session-level advisory lock: a second instance waits here, then finds nothing pending.
            pg.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))?;
            let result = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))?;
            result
        }
        // BEGIN IMMEDIATE takes SQLite's write lock for the whole run; each migration
        // then runs in a savepoint inside it.
        DbConn::Sqlite(lite) => lite.immediate_transaction(|lite| {
            lite.run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len())
        }),
    };
    let applied = applied.map_err(|e| StoreError::Migration(e.to_string()))?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(applied)
}
