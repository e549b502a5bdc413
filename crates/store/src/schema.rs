//! One schema for both backends (see migrations/postgres and migrations/sqlite).
// @generated-style: kept by hand, in step with the migrations.

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        username_lower -> Text,
        email -> Text,
        email_lower -> Text,
        email_verified_at -> Nullable<Timestamp>,
        display_name -> Text,
        bio -> Text,
        avatar_url -> Nullable<Text>,
        password_hash -> Text,
        is_admin -> Bool,
        is_active -> Bool,
        created_at -> Timestamp,
        last_seen_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        session_id -> BigInt,
        token_hash -> Text,
        issued_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    user_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    orgs (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    org_members (org_id, user_id) {
        org_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    rooms (id) {
        id -> BigInt,
        org_id -> Nullable<BigInt>,
        kind -> Text,
        visibility -> Text,
        title -> Text,
        description -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        last_seq -> BigInt,
        last_event_seq -> BigInt,
        last_activity_at -> Timestamp,
        archived_at -> Nullable<Timestamp>,
        dm_key -> Nullable<Text>,
    }
}

diesel::table! {
    room_members (room_id, user_id) {
        room_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        joined_at -> Timestamp,
        last_read_seq -> BigInt,
        cleared_before_seq -> BigInt,
        notify -> Nullable<Text>,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        room_id -> BigInt,
        seq -> BigInt,
        author_id -> BigInt,
        body -> Text,
        client_msg_id -> Nullable<Text>,
        parent_seq -> Nullable<BigInt>,
        reply_count -> BigInt,
        last_reply_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    room_events (room_id, event_seq) {
        room_id -> BigInt,
        event_seq -> BigInt,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(org_members -> orgs (org_id));
diesel::joinable!(org_members -> users (user_id));
diesel::joinable!(rooms -> orgs (org_id));
diesel::joinable!(room_members -> rooms (room_id));
diesel::joinable!(room_members -> users (user_id));
diesel::joinable!(messages -> rooms (room_id));
diesel::joinable!(messages -> users (author_id));
diesel::joinable!(room_events -> rooms (room_id));

diesel::table! {
    invites (id) {
        id -> BigInt,
        code -> Text,
        room_id -> Nullable<BigInt>,
        org_id -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        max_uses -> Nullable<BigInt>,
        uses -> BigInt,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    room_bans (room_id, user_id) {
        room_id -> BigInt,
        user_id -> BigInt,
        banned_by -> BigInt,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_blocks (blocker_id, blocked_id) {
        blocker_id -> BigInt,
        blocked_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    announcements (id) {
        id -> BigInt,
        org_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(room_bans -> rooms (room_id));
diesel::joinable!(announcements -> orgs (org_id));
diesel::joinable!(announcements -> users (author_id));

diesel::table! {
    message_edits (id) {
        id -> BigInt,
        message_id -> BigInt,
        body -> Text,
        edited_at -> Timestamp,
    }
}

diesel::table! {
    reactions (message_id, user_id, emoji) {
        message_id -> BigInt,
        user_id -> BigInt,
        emoji -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mentions (message_id, user_id) {
        message_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    pins (room_id, seq) {
        room_id -> BigInt,
        seq -> BigInt,
        pinned_by -> BigInt,
        pinned_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        room_id -> Nullable<BigInt>,
        seq -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        body -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(message_edits -> messages (message_id));
diesel::joinable!(reactions -> messages (message_id));
diesel::joinable!(mentions -> messages (message_id));

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        target_type -> Text,
        target_id -> BigInt,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        reporter_id -> BigInt,
        room_id -> Nullable<BigInt>,
        seq -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        reason -> Text,
        status -> Text,
        created_at -> Timestamp,
        handled_by -> Nullable<BigInt>,
        handled_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    server_secrets,
    users,
    sessions,
    refresh_tokens,
    user_tokens,
    orgs,
    org_members,
    rooms,
    room_members,
    messages,
    room_events,
    invites,
    room_bans,
    user_blocks,
    announcements,
    message_edits,
    reactions,
    mentions,
    pins,
    notifications,
    audit_log,
    reports,
);
