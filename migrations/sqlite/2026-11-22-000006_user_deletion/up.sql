-- A deleted user keeps an anonymous row, so their messages stay as tombstones
-- attributed to "Deleted user" and foreign keys hold.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
-- Actions taken from the operator's command line have no acting user (SQLite cannot
-- drop NOT NULL in place: the table is rebuilt).
CREATE TABLE audit_log_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    BIGINT REFERENCES users (id),
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   BIGINT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
INSERT INTO audit_log_new SELECT id, actor_id, action, target_type, target_id, detail, created_at FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
