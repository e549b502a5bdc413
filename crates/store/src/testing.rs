//! Per-test databases: a temporary SQLite file, or a fresh PostgreSQL database on
//! the server named by `TEST_DATABASE_URL`. Each test owns its data, so suites run
//! in parallel; the database is removed when the `TestDb` is dropped.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;

use crate::db::{Backend, Db, PoolOptions, pg_establish};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct TestDb {
    pub backend: Backend,
    /// The `DATABASE_URL` of this test's database.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>, // (admin url, database name)
}

impl TestDb {
    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite()),
            Backend::Postgres => Self::postgres(),
        }
    }

    pub fn sqlite() -> TestDb {
        #[allow(clippy::expect_used)]
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("parley.db").display());
        TestDb {
            backend: Backend::Sqlite,
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A new empty database, or `None` when `TEST_DATABASE_URL` is unset. Under CI
    /// (`CI` set) an unset URL is a failure: PostgreSQL tests must never skip silently.
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            if std::env::var_os("CI").is_some() {
                panic!("TEST_DATABASE_URL must be set under CI: PostgreSQL tests may not skip");
            }
            eprintln!("skipping PostgreSQL test: TEST_DATABASE_URL is unset");
            return None;
        };
        let name = format!(
            "parley_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let mut admin = pg_establish(&admin_url)
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin_url} unreachable: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Some(TestDb {
            backend: Backend::Postgres,
            url: url.to_string(),
            _dir: None,
            postgres: Some((admin_url, name)),
        })
    }

    /// A pool over this database (not yet migrated).
    #[allow(clippy::expect_used)]
    pub fn pool(&self, max_size: u32) -> Db {
        Db::connect(
            &self.url,
            &PoolOptions {
                max_size,
                ..PoolOptions::default()
            },
        )
        .expect("test database url")
    }

    /// A pool over this database with every migration applied.
    #[allow(clippy::expect_used)]
    pub fn migrated(&self, max_size: u32) -> Db {
        let db = self.pool(max_size);
        crate::run_migrations(&db).expect("migrations apply");
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = pg_establish(admin_url)
        {
            let _ =
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}
