//! Organisations: members with roles, invites, rooms inside them, announcements.

use parley_domain::room::{OrgAction, Role, check_org};
use parley_realtime::BusEvent;
use parley_store::models::{OrgMemberRow, OrgRow};
use parley_store::repo::{announcements, members, orgs, rooms, users};
use parley_store::{DbConn, StoreError, write_tx};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::models::{Announcement, Author, Org, OrgMember, utc};
use crate::service::rooms::{existing_user, remove_member};
use crate::state::AppState;

/// The organisation and the caller's membership, after checking `action`.
pub fn authorize(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
    action: OrgAction,
) -> ApiResult<(OrgRow, Option<OrgMemberRow>)> {
    let org =
        orgs::find_optional(conn, org_id)?.ok_or_else(|| ApiError::not_found("organisation"))?;
    let member = orgs::member(conn, org_id, user_id)?;
    check_org(member.as_ref().and_then(|m| Role::parse(&m.role)), action)?;
    Ok((org, member))
}

pub fn org_view(conn: &mut DbConn, org: &OrgRow, member: Option<&OrgMemberRow>) -> ApiResult<Org> {
    Ok(Org {
        id: org.id,
        name: org.name.clone(),
        description: org.description.clone(),
        created_by: org.created_by,
        created_at: utc(org.created_at),
        member_count: orgs::member_count(conn, org.id)?,
        role: member.map(|m| m.role.clone()),
    })
}

pub async fn create(
    state: &AppState,
    user_id: i64,
    name: String,
    description: String,
) -> ApiResult<Org> {
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let now = parley_store::now();
                let org = orgs::insert(conn, name.trim(), description.trim(), user_id, now)?;
                let member = orgs::add_member(conn, org.id, user_id, Role::Owner.as_str(), now)?;
                org_view(conn, &org, Some(&member))
            })
        })
        .await
}

pub async fn list(state: &AppState, user_id: i64) -> ApiResult<Vec<Org>> {
    state
        .db(move |conn| {
            orgs::list_for_user(conn, user_id)?
                .iter()
                .map(|(org, m)| org_view(conn, org, Some(m)))
                .collect()
        })
        .await
}

pub async fn get(state: &AppState, user_id: i64, org_id: i64) -> ApiResult<Org> {
    state
        .db(move |conn| {
            let (org, member) = authorize(conn, org_id, user_id, OrgAction::View)?;
            org_view(conn, &org, member.as_ref())
        })
        .await
}

pub async fn update(
    state: &AppState,
    user_id: i64,
    org_id: i64,
    changes: orgs::OrgChanges,
) -> ApiResult<Org> {
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let (_, member) = authorize(conn, org_id, user_id, OrgAction::Update)?;
                let org = orgs::update(conn, org_id, &changes)?;
                org_view(conn, &org, member.as_ref())
            })
        })
        .await
}

/// Deletes the organisation and every room in it.
pub async fn delete(state: &AppState, user_id: i64, org_id: i64) -> ApiResult<()> {
    let events = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<BusEvent>> {
                authorize(conn, org_id, user_id, OrgAction::Delete)?;
                let mut out = Vec::new();
                for room_id in rooms::in_org(conn, org_id)? {
                    let room = rooms::find(conn, room_id)?;
                    let frame = parley_store::repo::events::frame(
                        room_id,
                        room.last_event_seq + 1,
                        "room.deleted",
                        json!({}),
                    );
                    out.push(BusEvent::Room {
                        room_id,
                        event_seq: room.last_event_seq + 1,
                        frame: frame.to_string().into(),
                        effect: parley_realtime::RoomEffect::Deleted,
                    });
                    for member in members::user_ids(conn, room_id)? {
                        out.push(BusEvent::Membership {
                            room_id,
                            user_id: member,
                            member: false,
                            event_seq: room.last_event_seq + 1,
                        });
                    }
                }
                orgs::delete(conn, org_id)?;
                Ok(out)
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(())
}

pub async fn add_member(
    state: &AppState,
    user_id: i64,
    org_id: i64,
    new_member: i64,
) -> ApiResult<OrgMember> {
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                authorize(conn, org_id, user_id, OrgAction::Administer)?;
                let user = existing_user(conn, new_member)?;
                let member = orgs::add_member(
                    conn,
                    org_id,
                    new_member,
                    Role::Member.as_str(),
                    parley_store::now(),
                )
                .map_err(|e| match e {
                    StoreError::UniqueViolation(_) => {
                        ApiError::Conflict("already a member of this organisation".into())
                    }
                    other => other.into(),
                })?;
                Ok(OrgMember {
                    user: (&user).into(),
                    role: member.role,
                    joined_at: utc(member.joined_at),
                })
            })
        })
        .await
}

/// Removes `target` from the organisation (a kick, or leaving when it is the caller),
/// and from every room of the organisation.
pub async fn remove_member_from_org(
    state: &AppState,
    user_id: i64,
    org_id: i64,
    target: i64,
) -> ApiResult<()> {
    let events = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<Vec<BusEvent>> {
                let target_member = orgs::member(conn, org_id, target)?;
                if target == user_id {
                    let (_, member) = authorize(conn, org_id, user_id, OrgAction::Leave)?;
                    if member.is_some_and(|m| m.role == Role::Owner.as_str()) {
                        return Err(ApiError::Forbidden(
                            "the owner cannot leave; delete the organisation instead".into(),
                        ));
                    }
                } else {
                    let role = target_member
                        .as_ref()
                        .and_then(|m| Role::parse(&m.role))
                        .unwrap_or(Role::Member);
                    authorize(conn, org_id, user_id, OrgAction::Remove { target: role })?;
                    if target_member.is_none() {
                        return Err(ApiError::not_found("member"));
                    }
                }
                let mut out = Vec::new();
                for room_id in rooms::in_org(conn, org_id)? {
                    if members::find(conn, room_id, target)?.is_some() {
                        let room = rooms::find(conn, room_id)?;
                        let reason = if target == user_id { "left" } else { "kicked" };
                        remove_member(conn, &mut out, &room, target, reason)?;
                    }
                }
                orgs::remove_member(conn, org_id, target)?;
                Ok(out)
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(())
}

pub async fn set_role(
    state: &AppState,
    user_id: i64,
    org_id: i64,
    target: i64,
    to: Role,
) -> ApiResult<OrgMember> {
    state
        .db(move |conn| {
            write_tx(conn, |conn| {
                let current = orgs::member(conn, org_id, target)?;
                let role = current
                    .as_ref()
                    .and_then(|m| Role::parse(&m.role))
                    .unwrap_or(Role::Member);
                authorize(
                    conn,
                    org_id,
                    user_id,
                    OrgAction::ChangeRole { target: role, to },
                )?;
                if current.is_none() {
                    return Err(ApiError::not_found("member"));
                }
                let member = orgs::set_member_role(conn, org_id, target, to.as_str())?;
                let user = users::find(conn, target)?;
                Ok(OrgMember {
                    user: (&user).into(),
                    role: member.role,
                    joined_at: utc(member.joined_at),
                })
            })
        })
        .await
}

pub async fn list_members(
    state: &AppState,
    user_id: i64,
    org_id: i64,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<OrgMember>> {
    state
        .db(move |conn| {
            authorize(conn, org_id, user_id, OrgAction::View)?;
            Ok(orgs::list_members(conn, org_id, after, limit)?
                .into_iter()
                .map(|(m, u)| OrgMember {
                    user: (&u).into(),
                    role: m.role,
                    joined_at: utc(m.joined_at),
                })
                .collect())
        })
        .await
}

/// Stores an announcement and delivers it to every member of the organisation.
pub async fn announce(
    state: &AppState,
    user_id: i64,
    org_id: i64,
    body: String,
) -> ApiResult<Announcement> {
    let (announcement, recipients) = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<(Announcement, Vec<i64>)> {
                authorize(conn, org_id, user_id, OrgAction::Administer)?;
                let row =
                    announcements::insert(conn, org_id, user_id, body.trim(), parley_store::now())?;
                let author = users::find(conn, user_id)?;
                let recipients = orgs::member_ids(conn, org_id)?;
                let excerpt: String = row.body.chars().take(140).collect();
                for recipient in recipients.iter().filter(|id| **id != user_id) {
                    parley_store::repo::notifications::insert(
                        conn,
                        &parley_store::repo::notifications::NewNotification {
                            user_id: *recipient,
                            kind: "announcement",
                            room_id: None,
                            seq: None,
                            actor_id: Some(user_id),
                            body: &excerpt,
                        },
                        row.created_at,
                    )?;
                }
                Ok((
                    Announcement {
                        id: row.id,
                        org_id,
                        author: Author::from(&author),
                        body: row.body,
                        created_at: utc(row.created_at),
                    },
                    recipients,
                ))
            })
        })
        .await?;
    let frame = json!({"type": "announcement", "announcement": announcement}).to_string();
    state.bus.publish(BusEvent::User {
        user_ids: recipients,
        frame: frame.into(),
    });
    Ok(announcement)
}

pub async fn list_announcements(
    state: &AppState,
    user_id: i64,
    org_id: i64,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<Announcement>> {
    state
        .db(move |conn| {
            authorize(conn, org_id, user_id, OrgAction::View)?;
            Ok(announcements::list(conn, org_id, before, limit)?
                .into_iter()
                .map(|(a, u)| Announcement {
                    id: a.id,
                    org_id,
                    author: Author::from(&u),
                    body: a.body,
                    created_at: utc(a.created_at),
                })
                .collect())
        })
        .await
}
