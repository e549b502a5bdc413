//! The connection type over both backends, its pool, and the few places where
//! the backends differ (write transactions, upserts, locks).

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

use crate::error::{StoreError, StoreResult};

/// One connection, to whichever database `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// The database family, picked from the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// A parsed `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// What the driver is given: the libpq URL, or the SQLite file path.
    pub target: String,
}

impl DatabaseUrl {
    /// `sqlite://PATH` (also `sqlite:PATH`) or `postgres://...` / `postgresql://...`.
    pub fn parse(url: &str) -> StoreResult<Self> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                backend: Backend::Postgres,
                target: url.to_owned(),
            });
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StoreError::Config(
                    "DATABASE_URL: sqlite:// needs a file path".into(),
                ));
            }
            return Ok(DatabaseUrl {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            });
        }
        let scheme = url.split(':').next().unwrap_or_default();
        Err(StoreError::Config(format!(
            "DATABASE_URL: unsupported scheme {scheme:?}; use sqlite://PATH or postgres://..."
        )))
    }
}

/// SQLite needs these on every new connection: WAL so readers never block the writer,
/// a busy timeout so writers queue instead of failing, and foreign keys enforced.
/// Temporary storage in memory: a multi-row insert keeps a statement journal (to undo
/// just that statement), which past 64 KiB spilled to a temporary file, so a batch of
/// sends wrote its pages twice through the file system (5 % of the server's CPU in a
/// fan-out run). It holds at most the pages one statement touches.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 10000;
PRAGMA foreign_keys = ON;
PRAGMA temp_store = MEMORY;";

/// r2d2 manager that opens the backend named by the URL.
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DatabaseUrl,
}

impl DbManager {
    pub fn new(url: DatabaseUrl) -> Self {
        DbManager { url }
    }

    pub fn connect(&self) -> Result<DbConn, diesel::ConnectionError> {
        match self.url.backend {
            Backend::Postgres => pg_establish(&self.url.target).map(DbConn::Postgres),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url.target)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        DbManager::connect(self).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

/// Pool settings; the pool is never larger than the blocking thread pool that uses it.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub checkout_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 20,
            checkout_timeout: Duration::from_secs(5),
        }
    }
}

pub type DbPool = r2d2::Pool<DbManager>;
pub type PooledConn = r2d2::PooledConnection<DbManager>;

/// The database handle shared by the whole server.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    backend: Backend,
}

impl Db {
    /// Builds the pool lazily (no connection is required to start), so a server can come
    /// up while its database is briefly unreachable and answer 503 meanwhile.
    pub fn connect(url: &str, options: &PoolOptions) -> StoreResult<Self> {
        let url = DatabaseUrl::parse(url)?;
        let backend = url.backend;
        // SQLite allows one writer at a time; more connections only add lock waits,
        // but readers in WAL mode do proceed in parallel, so keep a few.
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.checkout_timeout)
            .test_on_check_out(false)
            .build_unchecked(DbManager::new(url));
        Ok(Db { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn get(&self) -> StoreResult<PooledConn> {
        Ok(self.pool.get()?)
    }

    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    /// SQLite only: copies the write-ahead log back into the database from a thread of
    /// its own every `every`. Without it the connection whose commit pushes the log past
    /// 1,000 pages runs the checkpoint (and its fsync) inline, and with one writer that
    /// stall holds up every send queued behind it. A `PASSIVE` checkpoint never waits for
    /// readers or the writer. The thread lives as long as the process (a server's).
    pub fn spawn_wal_checkpointer(&self, every: Duration) {
        if self.backend != Backend::Sqlite {
            return;
        }
        let pool = self.pool.clone();
        let spawned = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(every);
                    if let Ok(mut conn) = pool.get()
                        && let Err(error) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
                    {
                        tracing::warn!(%error, "WAL checkpoint failed");
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "no WAL checkpoint thread: commits checkpoint inline");
        }
    }

    /// Round-trips to the database: the health check.
    pub fn ping(&self) -> StoreResult<()> {
        ping(&mut *self.get()?)
    }
}

/// Opens a PostgreSQL connection, first telling OpenSSL (which the bundled libpq uses
/// for TLS) not to register its cleanup at process exit: run then, it frees what
/// threads still holding connections are using, and the process dies at exit with
/// "double free or corruption" (seen once in the test suite; diesel-rs/diesel#3441).
/// The operating system reclaims that memory anyway.
pub fn pg_establish(url: &str) -> diesel::ConnectionResult<PgConnection> {
    static OPENSSL: std::sync::Once = std::sync::Once::new();
    OPENSSL.call_once(openssl_sys::init);
    PgConnection::establish(url)
}

/// One round trip on an open connection.
pub fn ping(conn: &mut DbConn) -> StoreResult<()> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// Runs `f` in a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so a
/// transaction that reads before it writes never deadlocks upgrading its lock
/// (SQLITE_BUSY); on PostgreSQL row locks taken by the writes order the writers.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let DbConn::Sqlite(inner) = conn else {
        return conn.transaction(f);
    };
    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    let result = f(conn);
    if let DbConn::Sqlite(inner) = conn {
        match &result {
            Ok(_) => AnsiTransactionManager::commit_transaction(inner)?,
            // The original error matters more than a failed rollback.
            Err(_) => {
                let _ = AnsiTransactionManager::rollback_transaction(inner);
            }
        }
    }
    result
}
