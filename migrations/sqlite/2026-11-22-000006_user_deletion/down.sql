CREATE TABLE audit_log_old (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    BIGINT NOT NULL REFERENCES users (id),
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   BIGINT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
INSERT INTO audit_log_old SELECT * FROM audit_log WHERE actor_id IS NOT NULL;
DROP TABLE audit_log;
ALTER TABLE audit_log_old RENAME TO audit_log;
ALTER TABLE users DROP COLUMN deleted_at;
