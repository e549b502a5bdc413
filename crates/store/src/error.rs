use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What the persistence layer can fail with. Only `NotFound` and unique
/// violations are interpreted; everything else is propagated, never guessed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint rejected the write; the string names the constraint when known.
    #[error("unique violation: {0}")]
    UniqueViolation(String),
    /// The database could not be reached (pool checkout timed out, connection refused).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(DieselError),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("configuration: {0}")]
    Config(String),
}

impl From<DieselError> for StoreError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::UniqueViolation(
                    info.constraint_name()
                        .map(str::to_owned)
                        .unwrap_or_else(|| info.message().to_owned()),
                )
            }
            // A dead connection shows as any of these kinds, depending on when the
            // server went away (mid-query, or before the command could be sent).
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => StoreError::Unavailable(info.message().to_owned()),
            DieselError::DatabaseError(_, ref info) if is_connection_failure(info.message()) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            other => StoreError::Database(other),
        }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(err: r2d2::Error) -> Self {
        StoreError::Unavailable(err.to_string())
    }
}

fn is_connection_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("server closed the connection")
        || m.contains("connection refused")
        || m.contains("could not connect")
        || m.contains("terminating connection")
        || m.contains("no connection to the server")
}

impl StoreError {
    /// True when the write failed only because a unique index already holds the row.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::UniqueViolation(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
