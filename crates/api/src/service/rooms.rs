//! Rooms, direct chats and membership. Every change writes its room event in the same
//! transaction and is published on the bus after commit.

use std::collections::HashMap;

use parley_domain::DomainError;
use parley_domain::room::{self, CallerFacts, Role, RoomAction, RoomFacts, RoomKind, Visibility};
use parley_realtime::{BusEvent, RoomEffect};
use parley_store::models::{MemberRow, NewRoom, RoomRow, UserRow};
use parley_store::repo::{bans, events, members, orgs, rooms, users};
use parley_store::{DbConn, StoreError, write_tx};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::models::{
    Member, Membership, Message, PublicUser, Room, RoomList, RoomListItem, RoomView,
};
use crate::state::AppState;

/// Largest group direct chat, the caller included.
pub const MAX_GROUP_DM: usize = 10;

/// A room, the caller's membership of it, and what the permission rule needs.
pub struct Access {
    pub room: RoomRow,
    pub member: Option<MemberRow>,
    pub facts: RoomFacts,
    pub caller: CallerFacts,
}

impl Access {
    pub fn role(&self) -> Option<Role> {
        self.caller.role
    }
}

pub fn room_facts(room: &RoomRow) -> RoomFacts {
    RoomFacts {
        kind: RoomKind::parse(&room.kind).unwrap_or(RoomKind::Group),
        visibility: Visibility::parse(&room.visibility).unwrap_or(Visibility::Private),
        in_org: room.org_id.is_some(),
        archived: room.archived_at.is_some(),
    }
}

/// Loads the room and checks `action` for `user_id`: 404 when the room is invisible to
/// the caller, 403 when visible but not allowed.
pub fn authorize(
    conn: &mut DbConn,
    room_id: i64,
    user_id: i64,
    action: RoomAction,
) -> ApiResult<Access> {
    let room = rooms::find_optional(conn, room_id)?.ok_or_else(|| ApiError::not_found("room"))?;
    let member = members::find(conn, room_id, user_id)?;
    let facts = room_facts(&room);
    let org_member = match (room.org_id, &member) {
        (Some(org_id), None) => orgs::member(conn, org_id, user_id)?.is_some(),
        _ => true,
    };
    let banned = matches!(action, RoomAction::Join) && bans::is_banned(conn, room_id, user_id)?;
    let caller = CallerFacts {
        role: member.as_ref().and_then(|m| Role::parse(&m.role)),
        org_member,
        banned,
    };
    room::check(&facts, &caller, action)?;
    Ok(Access {
        room,
        member,
        facts,
        caller,
    })
}

/// Each (room, user) pair's access, or why it is refused.
pub type Accesses = HashMap<(i64, i64), ApiResult<Access>>;

/// `authorize` for many (room, user) pairs: the rooms and the memberships are read in one
/// query each. A pair that needs more than those (an org room's non-member, the ban check
/// of a join) goes through `authorize` itself, so the answers are the same. Also answers
/// the users of the memberships found, read with them (a batch's authors, without a
/// query of their own).
pub fn authorize_many(
    conn: &mut DbConn,
    pairs: &[(i64, i64)],
    action: RoomAction,
) -> ApiResult<(Accesses, Vec<UserRow>)> {
    let mut room_ids: Vec<i64> = pairs.iter().map(|p| p.0).collect();
    room_ids.sort_unstable();
    room_ids.dedup();
    let rooms: HashMap<i64, RoomRow> = rooms::find_many(conn, &room_ids)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let found = members::find_pairs_with_users(conn, pairs)?;
    let mut users = Vec::with_capacity(found.len());
    let mut members: HashMap<(i64, i64), MemberRow> = HashMap::with_capacity(found.len());
    for (member, user) in found {
        members.insert((member.room_id, member.user_id), member);
        users.push(user);
    }
    let mut out = HashMap::with_capacity(pairs.len());
    for &(room_id, user_id) in pairs {
        let Some(room) = rooms.get(&room_id) else {
            out.insert((room_id, user_id), Err(ApiError::not_found("room")));
            continue;
        };
        let member = members.remove(&(room_id, user_id));
        if matches!(action, RoomAction::Join) || (room.org_id.is_some() && member.is_none()) {
            out.insert(
                (room_id, user_id),
                checked_access(authorize(conn, room_id, user_id, action))?,
            );
            continue;
        }
        let facts = room_facts(room);
        let caller = CallerFacts {
            role: member.as_ref().and_then(|m| Role::parse(&m.role)),
            org_member: true,
            banned: false,
        };
        let access = room::check(&facts, &caller, action)
            .map(|()| Access {
                room: room.clone(),
                member,
                facts,
                caller,
            })
            .map_err(ApiError::from);
        out.insert((room_id, user_id), access);
    }
    Ok((out, users))
}

/// A refusal is the pair's answer; a database failure is everyone's.
fn checked_access(result: ApiResult<Access>) -> ApiResult<ApiResult<Access>> {
    match result {
        Err(err @ (ApiError::Internal | ApiError::ServiceUnavailable)) => Err(err),
        other => Ok(other),
    }
}

/// Appends a room event and queues it for publication after commit.
pub fn emit(
    conn: &mut DbConn,
    out: &mut Vec<BusEvent>,
    room_id: i64,
    kind: &str,
    payload: serde_json::Value,
) -> ApiResult<i64> {
    emit_with(conn, out, room_id, kind, payload, RoomEffect::None)
}

/// `emit` for events that change who receives the room.
pub fn emit_with(
    conn: &mut DbConn,
    out: &mut Vec<BusEvent>,
    room_id: i64,
    kind: &str,
    payload: serde_json::Value,
    effect: RoomEffect,
) -> ApiResult<i64> {
    let row = events::append(conn, room_id, kind, payload)?;
    out.push(BusEvent::Room {
        room_id,
        event_seq: row.event_seq,
        frame: row.payload.into(),
        effect,
    });
    Ok(row.event_seq)
}

/// The room as the caller sees it (direct chats titled from the other members).
pub fn view(
    conn: &mut DbConn,
    room: &RoomRow,
    member: Option<&MemberRow>,
    viewer: i64,
) -> ApiResult<RoomView> {
    let count = members::count(conn, room.id)?;
    let mut shown = Room::from_row(room, count);
    if room.kind == RoomKind::Direct.as_str() {
        shown.title = direct_title(conn, room.id, viewer)?;
    }
    Ok(RoomView {
        room: shown,
        membership: member.map(Membership::from),
    })
}

/// "Bob, Carol": the other members of a direct chat, as the viewer sees it.
fn direct_title(conn: &mut DbConn, room_id: i64, viewer: i64) -> ApiResult<String> {
    let others: Vec<String> = members::list(conn, room_id, 0, MAX_GROUP_DM as i64 + 1)?
        .into_iter()
        .filter(|(m, _)| m.user_id != viewer)
        .map(|(_, u)| u.display_name)
        .collect();
    Ok(if others.is_empty() {
        "Only you".to_owned()
    } else {
        others.join(", ")
    })
}

/// The neutral room shape events carry.
fn event_room(conn: &mut DbConn, room: &RoomRow) -> ApiResult<serde_json::Value> {
    let count = members::count(conn, room.id)?;
    let mut shown = Room::from_row(room, count);
    if room.kind == RoomKind::Direct.as_str() {
        shown.title = String::new();
    }
    Ok(serde_json::to_value(shown).unwrap_or_default())
}

/// Adds `user` to the room with `role`, logging `member.joined`.
pub fn add_member(
    conn: &mut DbConn,
    out: &mut Vec<BusEvent>,
    room_id: i64,
    user: &UserRow,
    role: Role,
) -> ApiResult<MemberRow> {
    let member = members::insert(conn, room_id, user.id, role.as_str(), parley_store::now())
        .map_err(|e| match e {
            StoreError::UniqueViolation(_) => {
                ApiError::Conflict("already a member of this room".into())
            }
            other => other.into(),
        })?;
    let event_seq = emit(
        conn,
        out,
        room_id,
        "member.joined",
        json!({"user": PublicUser::from(user), "role": role.as_str()}),
    )?;
    // The user's sockets receive the room from their own join event on.
    out.push(BusEvent::Membership {
        room_id,
        user_id: user.id,
        member: true,
        event_seq,
    });
    Ok(member)
}

/// Removes `user_id` from the room, logging `member.left` with `reason`. The removed user
/// receives the event before their delivery stops.
pub fn remove_member(
    conn: &mut DbConn,
    out: &mut Vec<BusEvent>,
    room: &RoomRow,
    user_id: i64,
    reason: &str,
) -> ApiResult<()> {
    let was_owner =
        members::find(conn, room.id, user_id)?.is_some_and(|m| m.role == Role::Owner.as_str());
    if was_owner && let Some(heir) = members::successor(conn, room.id, user_id)? {
        members::set_role(conn, room.id, heir.user_id, Role::Owner.as_str())?;
        emit(
            conn,
            out,
            room.id,
            "member.updated",
            json!({"user_id": heir.user_id, "role": "owner"}),
        )?;
    }
    members::delete(conn, room.id, user_id)?;
    let event_seq = emit_with(
        conn,
        out,
        room.id,
        "member.left",
        json!({"user_id": user_id, "reason": reason}),
        RoomEffect::Removes(user_id),
    )?;
    out.push(BusEvent::Membership {
        room_id: room.id,
        user_id,
        member: false,
        event_seq,
    });
    if room.kind == RoomKind::Group.as_str() && members::count(conn, room.id)? == 0 {
        rooms::update(
            conn,
            room.id,
            &rooms::RoomChanges {
                archived_at: Some(Some(parley_store::now())),
                ..Default::default()
            },
        )?;
    }
    Ok(())
}

pub struct NewRoomInput {
    pub title: String,
    pub description: String,
    pub visibility: Visibility,
    pub org_id: Option<i64>,
}

pub async fn create(state: &AppState, user_id: i64, input: NewRoomInput) -> ApiResult<RoomView> {
    let (view, events) = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                if let Some(org_id) = input.org_id {
                    orgs::find_optional(conn, org_id)?
                        .ok_or_else(|| ApiError::not_found("organisation"))?;
                    orgs::member(conn, org_id, user_id)?
                        .ok_or_else(|| ApiError::not_found("organisation"))?;
                }
                let now = parley_store::now();
                let room = rooms::insert(
                    conn,
                    &NewRoom {
                        org_id: input.org_id,
                        kind: RoomKind::Group.as_str(),
                        visibility: input.visibility.as_str(),
                        title: input.title.trim(),
                        description: input.description.trim(),
                        created_by: user_id,
                        created_at: now,
                        last_activity_at: now,
                        dm_key: None,
                    },
                )?;
                let mut out = Vec::new();
                let creator = users::find(conn, user_id)?;
                let member = add_member(conn, &mut out, room.id, &creator, Role::Owner)?;
                let room = rooms::find(conn, room.id)?;
                Ok((view(conn, &room, Some(&member), user_id)?, out))
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(view)
}

pub async fn list(state: &AppState, user_id: i64) -> ApiResult<RoomList> {
    state
        .db(move |conn| {
            let entries = rooms::list_for_user(conn, user_id)?;
            let ids: Vec<i64> = entries.iter().map(|(r, _)| r.id).collect();
            let counts: HashMap<i64, i64> = members::counts(conn, &ids)?.into_iter().collect();
            let unread: HashMap<i64, i64> =
                rooms::unread_counts(conn, user_id)?.into_iter().collect();
            let mut last: HashMap<i64, Message> = rooms::last_messages(conn, &ids)?
                .iter()
                .map(|(m, u)| (m.room_id, Message::from_rows(m, u)))
                .collect();
            let mut items = Vec::with_capacity(entries.len());
            for (room, member) in entries {
                let mut shown = Room::from_row(&room, counts.get(&room.id).copied().unwrap_or(0));
                if room.kind == RoomKind::Direct.as_str() {
                    shown.title = direct_title(conn, room.id, user_id)?;
                }
                let last_message = last
                    .remove(&room.id)
                    .filter(|m| m.seq > member.cleared_before_seq);
                items.push(RoomListItem {
                    room: shown,
                    membership: Membership::from(&member),
                    unread_count: unread.get(&room.id).copied().unwrap_or(0),
                    last_message,
                });
            }
            Ok(RoomList { items })
        })
        .await
}

pub async fn get(state: &AppState, user_id: i64, room_id: i64) -> ApiResult<RoomView> {
    state
        .db(move |conn| {
            let access = authorize(conn, room_id, user_id, RoomAction::View)?;
            view(conn, &access.room, access.member.as_ref(), user_id)
        })
        .await
}

pub struct RoomUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
}

pub async fn update(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    change: RoomUpdate,
) -> ApiResult<RoomView> {
    let (view, events) = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let access = authorize(conn, room_id, user_id, RoomAction::Update)?;
                let room = rooms::update(
                    conn,
                    room_id,
                    &rooms::RoomChanges {
                        title: change.title.map(|t| t.trim().to_owned()),
                        description: change.description.map(|d| d.trim().to_owned()),
                        visibility: change.visibility.map(|v| v.as_str().to_owned()),
                        archived_at: None,
                    },
                )?;
                let mut out = Vec::new();
                let shown = event_room(conn, &room)?;
                emit(
                    conn,
                    &mut out,
                    room_id,
                    "room.updated",
                    json!({"room": shown}),
                )?;
                let room = rooms::find(conn, room_id)?;
                Ok((view(conn, &room, access.member.as_ref(), user_id)?, out))
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(view)
}

pub async fn delete(state: &AppState, user_id: i64, room_id: i64) -> ApiResult<()> {
    let events = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<BusEvent>> {
                let access = authorize(conn, room_id, user_id, RoomAction::Delete)?;
                remove_room(conn, &access.room)
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(())
}

/// Deletes `room` with its messages and log, answering the events that tell its members:
/// `room.deleted` (published, not stored: the log goes with the room) and the end of
/// each membership.
pub fn remove_room(conn: &mut DbConn, room: &RoomRow) -> ApiResult<Vec<BusEvent>> {
    let room_id = room.id;
    let member_ids = members::user_ids(conn, room_id)?;
    let event_seq = room.last_event_seq + 1;
    let frame = events::frame(room_id, event_seq, "room.deleted", json!({})).to_string();
    rooms::delete(conn, room_id)?;
    let mut out = vec![BusEvent::Room {
        room_id,
        event_seq,
        frame: frame.into(),
        effect: RoomEffect::Deleted,
    }];
    out.extend(member_ids.into_iter().map(|user_id| BusEvent::Membership {
        room_id,
        user_id,
        member: false,
        event_seq,
    }));
    Ok(out)
}

pub async fn join(state: &AppState, user_id: i64, room_id: i64) -> ApiResult<RoomView> {
    let (view, events) = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                authorize(conn, room_id, user_id, RoomAction::Join)?;
                let mut out = Vec::new();
                let user = users::find(conn, user_id)?;
                let member = add_member(conn, &mut out, room_id, &user, Role::Member)?;
                let room = rooms::find(conn, room_id)?;
                Ok((view(conn, &room, Some(&member), user_id)?, out))
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(view)
}

pub async fn leave(state: &AppState, user_id: i64, room_id: i64) -> ApiResult<()> {
    let events = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<BusEvent>> {
                let access = authorize(conn, room_id, user_id, RoomAction::Leave)?;
                let mut out = Vec::new();
                remove_member(conn, &mut out, &access.room, user_id, "left")?;
                Ok(out)
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(())
}

pub async fn transfer(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    to_user: i64,
) -> ApiResult<RoomView> {
    let (view, events) = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                authorize(conn, room_id, user_id, RoomAction::TransferOwnership)?;
                if to_user == user_id {
                    return Err(DomainError::field("user_id", "is already the owner").into());
                }
                members::find(conn, room_id, to_user)?
                    .ok_or_else(|| DomainError::field("user_id", "is not a member of this room"))?;
                let mut out = Vec::new();
                members::set_role(conn, room_id, to_user, Role::Owner.as_str())?;
                emit(
                    conn,
                    &mut out,
                    room_id,
                    "member.updated",
                    json!({"user_id": to_user, "role": "owner"}),
                )?;
                let me = members::set_role(conn, room_id, user_id, Role::Admin.as_str())?;
                emit(
                    conn,
                    &mut out,
                    room_id,
                    "member.updated",
                    json!({"user_id": user_id, "role": "admin"}),
                )?;
                let room = rooms::find(conn, room_id)?;
                Ok((view(conn, &room, Some(&me), user_id)?, out))
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(view)
}

/// The active user `user_id`, or a 404 naming the field.
pub fn existing_user(conn: &mut DbConn, user_id: i64) -> ApiResult<UserRow> {
    match users::find(conn, user_id) {
        Ok(user) if user.is_active => Ok(user),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::not_found("user")),
        Err(e) => Err(e.into()),
    }
}

pub async fn add(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    new_member: i64,
) -> ApiResult<Member> {
    let (member, events) = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let access = authorize(conn, room_id, user_id, RoomAction::Invite)?;
                let user = existing_user(conn, new_member)?;
                if bans::is_banned(conn, room_id, new_member)? {
                    return Err(ApiError::Forbidden(
                        "the user is banned from this room; unban them first".into(),
                    ));
                }
                if let Some(org_id) = access.room.org_id
                    && orgs::member(conn, org_id, new_member)?.is_none()
                {
                    return Err(ApiError::Forbidden(
                        "the user is not a member of the organisation".into(),
                    ));
                }
                let mut out = Vec::new();
                let member = add_member(conn, &mut out, room_id, &user, Role::Member)?;
                let stored = parley_store::repo::notifications::insert(
                    conn,
                    &parley_store::repo::notifications::NewNotification {
                        user_id: new_member,
                        kind: "invite",
                        room_id: Some(room_id),
                        seq: None,
                        actor_id: Some(user_id),
                        body: &access.room.title,
                    },
                    parley_store::now(),
                )?;
                let actor = users::find(conn, user_id)?;
                let note = crate::models::Notification::from_row(&stored, Some(&actor));
                out.push(BusEvent::User {
                    user_ids: vec![new_member],
                    frame: json!({"type": "notification", "notification": note})
                        .to_string()
                        .into(),
                });
                Ok((Member::from_rows(&member, &user), out))
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(member)
}

/// Kicks (or, with `ban`, bans) `target` from the room.
pub async fn remove(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    target: i64,
    ban: Option<String>,
) -> ApiResult<()> {
    let events = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<BusEvent>> {
                let target_member = members::find(conn, room_id, target)?;
                let target_role = target_member
                    .as_ref()
                    .and_then(|m| Role::parse(&m.role))
                    .unwrap_or(Role::Member);
                let access = authorize(
                    conn,
                    room_id,
                    user_id,
                    RoomAction::Remove {
                        target: target_role,
                    },
                )?;
                if target == user_id {
                    return Err(ApiError::Forbidden("use leave to remove yourself".into()));
                }
                let mut out = Vec::new();
                match &ban {
                    Some(reason) => {
                        existing_user(conn, target)?;
                        if !bans::ban(conn, room_id, target, user_id, reason, parley_store::now())?
                        {
                            return Err(ApiError::Conflict("the user is already banned".into()));
                        }
                        if target_member.is_some() {
                            remove_member(conn, &mut out, &access.room, target, "banned")?;
                        }
                    }
                    None => {
                        if target_member.is_none() {
                            return Err(ApiError::not_found("member"));
                        }
                        remove_member(conn, &mut out, &access.room, target, "kicked")?;
                    }
                }
                Ok(out)
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(())
}

pub async fn unban(state: &AppState, user_id: i64, room_id: i64, target: i64) -> ApiResult<()> {
    state
        .db(move |conn| {
            authorize(conn, room_id, user_id, RoomAction::Moderate)?;
            if bans::unban(conn, room_id, target)? {
                Ok(())
            } else {
                Err(ApiError::not_found("ban"))
            }
        })
        .await
}

pub async fn set_role(
    state: &AppState,
    user_id: i64,
    room_id: i64,
    target: i64,
    to: Role,
) -> ApiResult<Member> {
    let (member, events) = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let current = members::find(conn, room_id, target)?;
                let target_role = current
                    .as_ref()
                    .and_then(|m| Role::parse(&m.role))
                    .unwrap_or(Role::Member);
                authorize(
                    conn,
                    room_id,
                    user_id,
                    RoomAction::ChangeRole {
                        target: target_role,
                        to,
                    },
                )?;
                if current.is_none() {
                    return Err(ApiError::not_found("member"));
                }
                let mut out = Vec::new();
                let member = members::set_role(conn, room_id, target, to.as_str())?;
                emit(
                    conn,
                    &mut out,
                    room_id,
                    "member.updated",
                    json!({"user_id": target, "role": to.as_str()}),
                )?;
                let user = users::find(conn, target)?;
                Ok((Member::from_rows(&member, &user), out))
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(member)
}

/// The one direct chat between the caller and `other`, created on first use. The
/// unique `dm_key` makes concurrent first uses end with one room.
pub async fn open_direct(
    state: &AppState,
    user_id: i64,
    other: i64,
) -> ApiResult<(RoomView, bool)> {
    if other == user_id {
        return Err(DomainError::field("user_id", "must be someone else").into());
    }
    let key = format!("{}:{}", user_id.min(other), user_id.max(other));
    for _ in 0..3 {
        let key = key.clone();
        let attempt = state
            .db(move |conn| {
                write_tx(conn, |conn| -> ApiResult<(RoomView, bool, Vec<BusEvent>)> {
                    let other_user = existing_user(conn, other)?;
                    if bans::is_blocked(conn, other, user_id)? {
                        return Err(ApiError::Forbidden(
                            "this user does not accept direct messages from you".into(),
                        ));
                    }
                    let mut out = Vec::new();
                    if let Some(room) = rooms::find_by_dm_key(conn, &key)? {
                        // Someone who left comes back into the same chat.
                        let member = match members::find(conn, room.id, user_id)? {
                            Some(m) => m,
                            None => {
                                let me = users::find(conn, user_id)?;
                                add_member(conn, &mut out, room.id, &me, Role::Member)?
                            }
                        };
                        let room = rooms::find(conn, room.id)?;
                        return Ok((view(conn, &room, Some(&member), user_id)?, false, out));
                    }
                    let room = insert_direct(conn, user_id, Some(&key))?;
                    let me = users::find(conn, user_id)?;
                    let member = add_member(conn, &mut out, room.id, &me, Role::Member)?;
                    add_member(conn, &mut out, room.id, &other_user, Role::Member)?;
                    let room = rooms::find(conn, room.id)?;
                    Ok((view(conn, &room, Some(&member), user_id)?, true, out))
                })
            })
            .await;
        match attempt {
            Ok((view, created, events)) => {
                state.bus.publish_all(events);
                return Ok((view, created));
            }
            // A concurrent request created it first: read the winner's room.
            Err(ApiError::Conflict(_)) => continue,
            Err(other) => return Err(other),
        }
    }
    Err(ApiError::Conflict(
        "could not open the direct chat; retry".into(),
    ))
}

/// A new group direct chat with `others` (up to 10 people in all).
pub async fn open_group_direct(
    state: &AppState,
    user_id: i64,
    others: Vec<i64>,
) -> ApiResult<RoomView> {
    let mut others: Vec<i64> = others.into_iter().filter(|id| *id != user_id).collect();
    others.sort_unstable();
    others.dedup();
    if others.is_empty() || others.len() + 1 > MAX_GROUP_DM {
        return Err(DomainError::field(
            "user_ids",
            format!("must name 1 to {} other users", MAX_GROUP_DM - 1),
        )
        .into());
    }
    let (view, events) = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let mut invitees = Vec::new();
                for id in &others {
                    let user = existing_user(conn, *id)?;
                    if bans::is_blocked(conn, *id, user_id)? {
                        return Err(ApiError::Forbidden(format!(
                            "user {id} does not accept direct messages from you"
                        )));
                    }
                    invitees.push(user);
                }
                let room = insert_direct(conn, user_id, None)?;
                let mut out = Vec::new();
                let me = users::find(conn, user_id)?;
                let member = add_member(conn, &mut out, room.id, &me, Role::Member)?;
                for user in &invitees {
                    add_member(conn, &mut out, room.id, user, Role::Member)?;
                }
                let room = rooms::find(conn, room.id)?;
                Ok((view(conn, &room, Some(&member), user_id)?, out))
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(view)
}

/// A new direct chat (private, untitled: each viewer sees the other members' names).
fn insert_direct(conn: &mut DbConn, created_by: i64, dm_key: Option<&str>) -> ApiResult<RoomRow> {
    let now = parley_store::now();
    Ok(rooms::insert(
        conn,
        &NewRoom {
            org_id: None,
            kind: RoomKind::Direct.as_str(),
            visibility: Visibility::Private.as_str(),
            title: "",
            description: "",
            created_by,
            created_at: now,
            last_activity_at: now,
            dm_key,
        },
    )?)
}
