//! Response schemas shared by several resources.

use chrono::{DateTime, NaiveDateTime, Utc};
use parley_store::models::{SessionRow, UserRow};
use serde::Serialize;
use utoipa::ToSchema;

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// The caller's own account (the only schema that carries `email`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "username": "alice", "display_name": "Alice", "email": "alice@example.com",
    "email_verified": false, "bio": "", "avatar_url": null, "is_admin": false,
    "created_at": "2026-11-22T10:00:00Z"
}))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub email_verified: bool,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&UserRow> for User {
    fn from(row: &UserRow) -> Self {
        User {
            id: row.id,
            username: row.username.clone(),
            display_name: row.display_name.clone(),
            email: row.email.clone(),
            email_verified: row.email_verified_at.is_some(),
            bio: row.bio.clone(),
            avatar_url: row.avatar_url.clone(),
            is_admin: row.is_admin,
            created_at: utc(row.created_at),
        }
    }
}

/// Anyone else's account: never the email.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null,
    "created_at": "2026-11-22T10:00:00Z"
}))]
pub struct PublicUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Whether the user has a socket open anywhere (in profile and member answers; not
    /// in events, where `presence` events carry it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub online: Option<bool>,
    /// Present (and true) only for an account an administrator deleted: its messages
    /// remain as tombstones attributed to "Deleted user".
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(default = false)]
    pub deleted: bool,
}

impl From<&UserRow> for PublicUser {
    fn from(row: &UserRow) -> Self {
        PublicUser {
            id: row.id,
            username: row.username.clone(),
            display_name: row.display_name.clone(),
            bio: row.bio.clone(),
            avatar_url: row.avatar_url.clone(),
            created_at: utc(row.created_at),
            online: None,
            deleted: row.deleted_at.is_some(),
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null, "created_at": "2026-11-22T10:00:00Z", "online": true}], "next_cursor": "aTI"}))]
pub struct PublicUserPage {
    pub items: Vec<PublicUser>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Credentials answered by register, login and refresh.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "user": {"id": 1, "username": "alice", "display_name": "Alice", "email": "alice@example.com",
             "email_verified": false, "bio": "", "avatar_url": null, "is_admin": false,
             "created_at": "2026-11-22T10:00:00Z"},
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
    "refresh_token": "kq3n0cX2Vh1n3m5Qp0YhJ4o2gS0l8wHqgkq4l0Zr5cA",
    "token_type": "Bearer",
    "expires_in": 900
}))]
pub struct TokenPair {
    pub user: User,
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single use: each refresh answers a new one and spends this one.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
}

/// One signed-in device or browser.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 4, "created_at": "2026-11-22T10:00:00Z", "last_used_at": "2026-11-22T10:10:00Z", "expires_at": "2026-12-22T10:10:00Z", "user_agent": "Mozilla/5.0", "ip": "203.0.113.7", "current": true}))]
pub struct Session {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// Last login or token refresh in this session.
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// True for the session of the token making this request.
    pub current: bool,
}

impl Session {
    pub fn from_row(row: &SessionRow, current_session: i64) -> Self {
        Session {
            id: row.id,
            created_at: utc(row.created_at),
            last_used_at: utc(row.last_used_at),
            expires_at: utc(row.expires_at),
            user_agent: row.user_agent.clone(),
            ip: row.ip.clone(),
            current: row.id == current_session,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 4, "created_at": "2026-11-22T10:00:00Z", "last_used_at": "2026-11-22T10:10:00Z", "expires_at": "2026-12-22T10:10:00Z", "user_agent": "Mozilla/5.0", "ip": "203.0.113.7", "current": true}]}))]
pub struct SessionList {
    pub items: Vec<Session>,
}

/// A room as everyone sees it (events carry this); list and detail answers add the
/// caller's own view.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "org_id": null, "title": "general", "description": "", "kind": "group",
    "visibility": "public", "created_by": 1, "created_at": "2026-11-22T10:00:00Z",
    "member_count": 3, "last_seq": 42, "last_event_seq": 57, "archived": false
}))]
pub struct Room {
    pub id: i64,
    pub org_id: Option<i64>,
    /// For direct chats, the other members' display names (per viewer; empty in events).
    pub title: String,
    pub description: String,
    /// `group` or `direct`.
    pub kind: String,
    /// `public` or `private` (direct chats are always private).
    pub visibility: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub member_count: i64,
    /// Seq of the newest message (0 when empty).
    pub last_seq: i64,
    /// Seq of the newest event in the room's log.
    pub last_event_seq: i64,
    pub archived: bool,
}

impl Room {
    pub fn from_row(row: &parley_store::models::RoomRow, member_count: i64) -> Self {
        Room {
            id: row.id,
            org_id: row.org_id,
            title: row.title.clone(),
            description: row.description.clone(),
            kind: row.kind.clone(),
            visibility: row.visibility.clone(),
            created_by: row.created_by,
            created_at: utc(row.created_at),
            member_count,
            last_seq: row.last_seq,
            last_event_seq: row.last_event_seq,
            archived: row.archived_at.is_some(),
        }
    }
}

/// The caller's membership of a room.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"role": "member", "joined_at": "2026-11-22T10:00:00Z", "last_read_seq": 40, "cleared_before_seq": 0, "notify": null}))]
pub struct Membership {
    /// `owner`, `admin` or `member`.
    pub role: String,
    pub joined_at: DateTime<Utc>,
    /// Highest seq the caller has read.
    pub last_read_seq: i64,
    /// Messages up to this seq are hidden for the caller (cleared history).
    pub cleared_before_seq: i64,
    /// `all`, `mentions` or `none`; null for the default.
    pub notify: Option<String>,
}

impl From<&parley_store::models::MemberRow> for Membership {
    fn from(row: &parley_store::models::MemberRow) -> Self {
        Membership {
            role: row.role.clone(),
            joined_at: utc(row.joined_at),
            last_read_seq: row.last_read_seq,
            cleared_before_seq: row.cleared_before_seq,
            notify: row.notify.clone(),
        }
    }
}

/// A room with the caller's view of it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "org_id": null, "title": "general", "description": "", "kind": "group", "visibility": "public", "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "member_count": 3, "last_seq": 42, "last_event_seq": 57, "archived": false, "membership": {"role": "member", "joined_at": "2026-11-22T10:00:00Z", "last_read_seq": 40, "cleared_before_seq": 0, "notify": null}}))]
pub struct RoomView {
    #[serde(flatten)]
    pub room: Room,
    /// The caller's membership; null when previewing a public room.
    pub membership: Option<Membership>,
}

/// An entry of the caller's room list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "org_id": null, "title": "general", "description": "", "kind": "group", "visibility": "public", "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "member_count": 3, "last_seq": 42, "last_event_seq": 57, "archived": false, "membership": {"role": "member", "joined_at": "2026-11-22T10:00:00Z", "last_read_seq": 40, "cleared_before_seq": 0, "notify": null}, "unread_count": 2, "last_message": {"id": 101, "room_id": 7, "seq": 42, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "client_msg_id": "c-1", "parent_seq": null, "created_at": "2026-11-22T10:00:00Z", "edited_at": null, "deleted": false, "reply_count": 0, "last_reply_at": null, "reactions": [{"emoji": "👍", "count": 2, "me": true}]}}))]
pub struct RoomListItem {
    #[serde(flatten)]
    pub room: Room,
    pub membership: Membership,
    /// Messages by others after the caller's read position.
    pub unread_count: i64,
    pub last_message: Option<Message>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 7, "org_id": null, "title": "general", "description": "", "kind": "group", "visibility": "public", "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "member_count": 3, "last_seq": 42, "last_event_seq": 57, "archived": false, "membership": {"role": "member", "joined_at": "2026-11-22T10:00:00Z", "last_read_seq": 40, "cleared_before_seq": 0, "notify": null}, "unread_count": 2, "last_message": {"id": 101, "room_id": 7, "seq": 42, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "client_msg_id": "c-1", "parent_seq": null, "created_at": "2026-11-22T10:00:00Z", "edited_at": null, "deleted": false, "reply_count": 0, "last_reply_at": null, "reactions": [{"emoji": "👍", "count": 2, "me": true}]}}]}))]
pub struct RoomList {
    pub items: Vec<RoomListItem>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 7, "org_id": null, "title": "general", "description": "", "kind": "group", "visibility": "public", "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "member_count": 3, "last_seq": 42, "last_event_seq": 57, "archived": false}], "next_cursor": null}))]
pub struct RoomPage {
    pub items: Vec<Room>,
    pub next_cursor: Option<String>,
}

/// A message's author, as messages carry it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": 1, "username": "alice", "display_name": "Alice"}))]
pub struct Author {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

impl From<&UserRow> for Author {
    fn from(row: &UserRow) -> Self {
        Author {
            id: row.id,
            username: row.username.clone(),
            display_name: row.display_name.clone(),
        }
    }
}

/// One message. Deleted messages keep their `seq`, with an empty body.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 101, "room_id": 7, "seq": 42,
    "author": {"id": 1, "username": "alice", "display_name": "Alice"},
    "body": "hello", "client_msg_id": "c-1", "parent_seq": null, "created_at": "2026-11-22T10:00:00Z",
    "edited_at": null, "deleted": false, "reply_count": 0, "last_reply_at": null
}))]
pub struct Message {
    pub id: i64,
    pub room_id: i64,
    pub seq: i64,
    pub author: Author,
    pub body: String,
    pub client_msg_id: Option<String>,
    /// The thread root this message replies to.
    pub parent_seq: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    /// Replies to this message (when it is a thread root).
    pub reply_count: i64,
    pub last_reply_at: Option<DateTime<Utc>>,
    /// Reactions by emoji, in the order they first appeared.
    pub reactions: Vec<Reaction>,
}

/// One emoji's reactions on a message.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"emoji": "👍", "count": 2, "me": true}))]
pub struct Reaction {
    pub emoji: String,
    pub count: i64,
    /// Whether the caller reacted with it; absent in events (clients derive it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub me: Option<bool>,
}

impl Message {
    pub fn from_rows(row: &parley_store::models::MessageRow, author: &UserRow) -> Self {
        let deleted = row.deleted_at.is_some();
        Message {
            id: row.id,
            room_id: row.room_id,
            seq: row.seq,
            author: Author::from(author),
            body: if deleted {
                String::new()
            } else {
                row.body.clone()
            },
            client_msg_id: row.client_msg_id.clone(),
            parent_seq: row.parent_seq,
            created_at: utc(row.created_at),
            edited_at: row.edited_at.map(utc),
            deleted,
            reply_count: row.reply_count,
            last_reply_at: row.last_reply_at.map(utc),
            reactions: Vec::new(),
        }
    }
}

/// A room member.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user": {"id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null, "created_at": "2026-11-22T10:00:00Z", "online": true}, "role": "admin", "joined_at": "2026-11-22T10:00:00Z", "last_read_seq": 40}))]
pub struct Member {
    pub user: PublicUser,
    /// `owner`, `admin` or `member`.
    pub role: String,
    pub joined_at: DateTime<Utc>,
    pub last_read_seq: i64,
}

impl Member {
    pub fn from_rows(member: &parley_store::models::MemberRow, user: &UserRow) -> Self {
        Member {
            user: PublicUser::from(user),
            role: member.role.clone(),
            joined_at: utc(member.joined_at),
            last_read_seq: member.last_read_seq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"user": {"id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null, "created_at": "2026-11-22T10:00:00Z", "online": true}, "role": "admin", "joined_at": "2026-11-22T10:00:00Z", "last_read_seq": 40}], "next_cursor": "aTI"}))]
pub struct MemberPage {
    pub items: Vec<Member>,
    pub next_cursor: Option<String>,
}

/// A ban of a user from a room.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user": {"id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null, "created_at": "2026-11-22T10:00:00Z", "online": true}, "banned_by": 1, "reason": "spam", "created_at": "2026-11-22T10:00:00Z"}))]
pub struct Ban {
    pub user: PublicUser,
    pub banned_by: i64,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"user": {"id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null, "created_at": "2026-11-22T10:00:00Z", "online": true}, "banned_by": 1, "reason": "spam", "created_at": "2026-11-22T10:00:00Z"}]}))]
pub struct BanList {
    pub items: Vec<Ban>,
}

/// An organisation (workspace).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "name": "Acme", "description": "Acme's workspace", "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "member_count": 12, "role": "admin"}))]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub member_count: i64,
    /// The caller's role; null for non-members.
    pub role: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 3, "name": "Acme", "description": "Acme's workspace", "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "member_count": 12, "role": "admin"}]}))]
pub struct OrgList {
    pub items: Vec<Org>,
}

/// An organisation member.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user": {"id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null, "created_at": "2026-11-22T10:00:00Z", "online": true}, "role": "member", "joined_at": "2026-11-22T10:00:00Z"}))]
pub struct OrgMember {
    pub user: PublicUser,
    pub role: String,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"user": {"id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null, "created_at": "2026-11-22T10:00:00Z", "online": true}, "role": "member", "joined_at": "2026-11-22T10:00:00Z"}], "next_cursor": null}))]
pub struct OrgMemberPage {
    pub items: Vec<OrgMember>,
    pub next_cursor: Option<String>,
}

/// An invite link to a room or an organisation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "pX3k9QvT2mWb8LrN", "room_id": 7, "org_id": null, "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "expires_at": "2026-11-23T10:00:00Z", "max_uses": 10, "uses": 1, "url": "https://chat.example.com/invite/pX3k9QvT2mWb8LrN"}))]
pub struct Invite {
    pub code: String,
    pub room_id: Option<i64>,
    pub org_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    /// Where the SPA accepts it.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"code": "pX3k9QvT2mWb8LrN", "room_id": 7, "org_id": null, "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "expires_at": "2026-11-23T10:00:00Z", "max_uses": 10, "uses": 1, "url": "https://chat.example.com/invite/pX3k9QvT2mWb8LrN"}]}))]
pub struct InviteList {
    pub items: Vec<Invite>,
}

/// What an invite leads to, shown before accepting.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "pX3k9QvT2mWb8LrN", "room": {"id": 7, "org_id": null, "title": "general", "description": "", "kind": "group", "visibility": "public", "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "member_count": 3, "last_seq": 42, "last_event_seq": 57, "archived": false}, "org": null, "inviter": {"id": 2, "username": "bob", "display_name": "Bob", "bio": "", "avatar_url": null, "created_at": "2026-11-22T10:00:00Z", "online": true}, "expires_at": "2026-11-23T10:00:00Z"}))]
pub struct InvitePreview {
    pub code: String,
    pub room: Option<Room>,
    pub org: Option<Org>,
    pub inviter: PublicUser,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What accepting an invite joined.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"room": {"id": 7, "org_id": null, "title": "general", "description": "", "kind": "group", "visibility": "public", "created_by": 1, "created_at": "2026-11-22T10:00:00Z", "member_count": 3, "last_seq": 42, "last_event_seq": 57, "archived": false, "membership": {"role": "member", "joined_at": "2026-11-22T10:00:00Z", "last_read_seq": 40, "cleared_before_seq": 0, "notify": null}}, "org": null}))]
pub struct InviteAccepted {
    pub room: Option<RoomView>,
    pub org: Option<Org>,
}

/// An organisation announcement.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": 5, "org_id": 3, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "The office is closed on Friday.", "created_at": "2026-11-22T10:00:00Z"}))]
pub struct Announcement {
    pub id: i64,
    pub org_id: i64,
    pub author: Author,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 5, "org_id": 3, "author": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "The office is closed on Friday.", "created_at": "2026-11-22T10:00:00Z"}], "next_cursor": null}))]
pub struct AnnouncementPage {
    pub items: Vec<Announcement>,
    pub next_cursor: Option<String>,
}

/// Something that happened for the caller: a mention, a direct message, an invite, an
/// announcement.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": 9, "kind": "mention", "room_id": 7, "seq": 42, "actor": {"id": 1, "username": "alice", "display_name": "Alice"}, "body": "hello @bob", "created_at": "2026-11-22T10:00:00Z", "read": false}))]
pub struct Notification {
    pub id: i64,
    /// `mention`, `direct`, `invite` or `announcement`.
    pub kind: String,
    pub room_id: Option<i64>,
    pub seq: Option<i64>,
    pub actor: Option<Author>,
    /// An excerpt of what it is about.
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

impl Notification {
    pub fn from_row(row: &parley_store::models::NotificationRow, actor: Option<&UserRow>) -> Self {
        Notification {
            id: row.id,
            kind: row.kind.clone(),
            room_id: row.room_id,
            seq: row.seq,
            actor: actor.map(Author::from),
            body: row.body.clone(),
            created_at: utc(row.created_at),
            read: row.read_at.is_some(),
        }
    }
}
