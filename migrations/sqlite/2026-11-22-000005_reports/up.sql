-- Reports of a message (room_id + seq) or of a user, for room and server admins.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id      BIGINT REFERENCES rooms (id) ON DELETE CASCADE,
    seq          BIGINT,
    user_id      BIGINT REFERENCES users (id) ON DELETE CASCADE,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open',
    created_at   TIMESTAMP NOT NULL,
    handled_by   BIGINT REFERENCES users (id),
    handled_at   TIMESTAMP
);
CREATE INDEX reports_room ON reports (room_id, id);
