-- A deleted user keeps an anonymous row, so their messages stay as tombstones
-- attributed to "Deleted user" and foreign keys hold.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
-- Actions taken from the operator's command line have no acting user.
ALTER TABLE audit_log ALTER COLUMN actor_id DROP NOT NULL;
