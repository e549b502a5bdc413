-- Parley's core data model (SQLite). Times are UTC, stored without zone.
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    username           TEXT NOT NULL,
    username_lower     TEXT NOT NULL UNIQUE,
    email              TEXT NOT NULL,
    email_lower        TEXT NOT NULL UNIQUE,
    email_verified_at  TIMESTAMP,
    display_name       TEXT NOT NULL,
    bio                TEXT NOT NULL DEFAULT '',
    avatar_url         TEXT,
    password_hash      TEXT NOT NULL,
    is_admin           BOOLEAN NOT NULL DEFAULT 0,
    is_active          BOOLEAN NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    last_seen_at       TIMESTAMP
);
CREATE INDEX users_display_name_lower ON users (lower(display_name));

-- A session is one refresh-token family (one device/login).
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    user_agent    TEXT,
    ip            TEXT,
    revoked_at    TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Every refresh token ever issued, so the reuse of a spent one is recognised.
CREATE TABLE refresh_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    issued_at   TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Single-use mailed tokens: email verification and password reset.
CREATE TABLE user_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    email       TEXT,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

CREATE TABLE orgs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    created_by   BIGINT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE org_members (
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    joined_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

-- last_seq / last_event_seq are the per-room counters: the row lock taken by
-- incrementing them orders the writers of one room (dense seq in commit order).
CREATE TABLE rooms (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           BIGINT REFERENCES orgs (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    visibility       TEXT NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    created_by       BIGINT NOT NULL REFERENCES users (id),
    created_at       TIMESTAMP NOT NULL,
    last_seq         BIGINT NOT NULL DEFAULT 0,
    last_event_seq   BIGINT NOT NULL DEFAULT 0,
    last_activity_at TIMESTAMP NOT NULL,
    archived_at      TIMESTAMP,
    -- "min:max" user ids of a one-on-one chat: the unique index makes creation race-safe.
    dm_key           TEXT UNIQUE
);
CREATE INDEX rooms_org ON rooms (org_id);
CREATE INDEX rooms_public_title ON rooms (visibility, lower(title));

CREATE TABLE room_members (
    room_id             BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id             BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role                TEXT NOT NULL,
    joined_at           TIMESTAMP NOT NULL,
    last_read_seq       BIGINT NOT NULL DEFAULT 0,
    cleared_before_seq  BIGINT NOT NULL DEFAULT 0,
    notify              TEXT,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user ON room_members (user_id);

CREATE TABLE messages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id        BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq            BIGINT NOT NULL,
    author_id      BIGINT NOT NULL REFERENCES users (id),
    body           TEXT NOT NULL,
    client_msg_id  TEXT,
    parent_seq     BIGINT,
    reply_count    BIGINT NOT NULL DEFAULT 0,
    last_reply_at  TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    edited_at      TIMESTAMP,
    deleted_at     TIMESTAMP,
    UNIQUE (room_id, seq),
    UNIQUE (author_id, client_msg_id)
);
CREATE INDEX messages_thread ON messages (room_id, parent_seq, seq) WHERE parent_seq IS NOT NULL;

-- The durable per-room event log that resume and gap filling read.
CREATE TABLE room_events (
    room_id     BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    event_seq   BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (room_id, event_seq)
);
