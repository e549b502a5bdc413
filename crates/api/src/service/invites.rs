//! Invite links to rooms and organisations, and user blocks.

use chrono::Duration;
use parley_domain::room::{OrgAction, Role, RoomAction};
use parley_realtime::BusEvent;
use parley_store::models::InviteRow;
use parley_store::repo::{bans, invites, members, orgs, rooms, users};
use parley_store::{DbConn, StoreError, write_tx};

use crate::error::{ApiError, ApiResult};
use crate::models::{Invite, InviteAccepted, InvitePreview, PublicUser, Room, utc};
use crate::service::{orgs as org_service, rooms as room_service};
use crate::state::AppState;

/// Where an invite points.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Room(i64),
    Org(i64),
}

pub fn invite_view(state: &AppState, row: &InviteRow) -> Invite {
    Invite {
        code: row.code.clone(),
        room_id: row.room_id,
        org_id: row.org_id,
        created_by: row.created_by,
        created_at: utc(row.created_at),
        expires_at: row.expires_at.map(utc),
        max_uses: row.max_uses,
        uses: row.uses,
        url: format!("{}/invite/{}", state.settings.public_url, row.code),
    }
}

fn authorize_target(conn: &mut DbConn, user_id: i64, target: Target) -> ApiResult<()> {
    match target {
        Target::Room(room_id) => {
            room_service::authorize(conn, room_id, user_id, RoomAction::Invite).map(|_| ())
        }
        Target::Org(org_id) => {
            org_service::authorize(conn, org_id, user_id, OrgAction::Administer).map(|_| ())
        }
    }
}

pub async fn create(
    state: &AppState,
    user_id: i64,
    target: Target,
    expires_in_secs: Option<i64>,
    max_uses: Option<i64>,
) -> ApiResult<Invite> {
    let row = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                authorize_target(conn, user_id, target)?;
                let now = parley_store::now();
                // 96 random bits, URL-safe: unguessable, short enough to share.
                let code: String = parley_auth::token::generate().chars().take(16).collect();
                let (room_id, org_id) = match target {
                    Target::Room(id) => (Some(id), None),
                    Target::Org(id) => (None, Some(id)),
                };
                Ok(invites::insert(
                    conn,
                    &invites::NewInvite {
                        code: &code,
                        room_id,
                        org_id,
                        created_by: user_id,
                        expires_at: expires_in_secs.map(|s| now + Duration::seconds(s)),
                        max_uses,
                    },
                    now,
                )?)
            })
        })
        .await?;
    Ok(invite_view(state, &row))
}

pub async fn list(state: &AppState, user_id: i64, target: Target) -> ApiResult<Vec<Invite>> {
    let rows = state
        .db(move |conn| {
            authorize_target(conn, user_id, target)?;
            let (room, org) = match target {
                Target::Room(id) => (Some(id), None),
                Target::Org(id) => (None, Some(id)),
            };
            Ok(invites::list(conn, room, org, parley_store::now())?)
        })
        .await?;
    Ok(rows.iter().map(|r| invite_view(state, r)).collect())
}

/// The invite if it can still be used; unknown, revoked, expired and used-up invites
/// are all simply not found.
fn usable(conn: &mut DbConn, code: &str) -> ApiResult<InviteRow> {
    let now = parley_store::now();
    invites::find_by_code(conn, code)?
        .filter(|i| i.revoked_at.is_none())
        .filter(|i| i.expires_at.is_none_or(|at| at > now))
        .filter(|i| i.max_uses.is_none_or(|max| i.uses < max))
        .ok_or_else(|| ApiError::not_found("invite"))
}

pub async fn preview(state: &AppState, code: String) -> ApiResult<InvitePreview> {
    state
        .db(move |conn| {
            let invite = usable(conn, &code)?;
            let inviter = users::find(conn, invite.created_by)?;
            let room = match invite.room_id {
                Some(room_id) => {
                    let room = rooms::find(conn, room_id)?;
                    Some(Room::from_row(&room, members::count(conn, room_id)?))
                }
                None => None,
            };
            let org = match invite.org_id {
                Some(org_id) => {
                    let org = orgs::find_optional(conn, org_id)?
                        .ok_or_else(|| ApiError::not_found("invite"))?;
                    Some(org_service::org_view(conn, &org, None)?)
                }
                None => None,
            };
            Ok(InvitePreview {
                code: invite.code,
                room,
                org,
                inviter: PublicUser::from(&inviter),
                expires_at: invite.expires_at.map(utc),
            })
        })
        .await
}

pub async fn accept(state: &AppState, user_id: i64, code: String) -> ApiResult<InviteAccepted> {
    let (accepted, events) = state
        .db(move |conn| {
            write_tx(conn, |conn| -> ApiResult<(InviteAccepted, Vec<BusEvent>)> {
                let invite = usable(conn, &code)?;
                let mut out = Vec::new();
                let user = users::find(conn, user_id)?;
                let accepted = if let Some(room_id) = invite.room_id {
                    let room = rooms::find(conn, room_id)?;
                    if bans::is_banned(conn, room_id, user_id)? {
                        return Err(ApiError::Forbidden("you are banned from this room".into()));
                    }
                    if let Some(org_id) = room.org_id
                        && orgs::member(conn, org_id, user_id)?.is_none()
                    {
                        return Err(ApiError::Forbidden("join the organisation first".into()));
                    }
                    if members::find(conn, room_id, user_id)?.is_some() {
                        return Err(ApiError::Conflict("already a member of this room".into()));
                    }
                    if !invites::take_use(conn, invite.id, parley_store::now())? {
                        return Err(ApiError::not_found("invite"));
                    }
                    let member =
                        room_service::add_member(conn, &mut out, room_id, &user, Role::Member)?;
                    let room = rooms::find(conn, room_id)?;
                    InviteAccepted {
                        room: Some(room_service::view(conn, &room, Some(&member), user_id)?),
                        org: None,
                    }
                } else if let Some(org_id) = invite.org_id {
                    if !invites::take_use(conn, invite.id, parley_store::now())? {
                        return Err(ApiError::not_found("invite"));
                    }
                    let member = orgs::add_member(
                        conn,
                        org_id,
                        user_id,
                        Role::Member.as_str(),
                        parley_store::now(),
                    )
                    .map_err(|e| match e {
                        StoreError::UniqueViolation(_) => {
                            ApiError::Conflict("already a member of this organisation".into())
                        }
                        other => other.into(),
                    })?;
                    let org = orgs::find_optional(conn, org_id)?
                        .ok_or_else(|| ApiError::not_found("invite"))?;
                    InviteAccepted {
                        room: None,
                        org: Some(org_service::org_view(conn, &org, Some(&member))?),
                    }
                } else {
                    return Err(ApiError::not_found("invite"));
                };
                Ok((accepted, out))
            })
        })
        .await?;
    state.bus.publish_all(events);
    Ok(accepted)
}

pub async fn revoke(state: &AppState, user_id: i64, code: String) -> ApiResult<()> {
    state
        .db(move |conn| {
            let invite = invites::find_by_code(conn, &code)?
                .filter(|i| i.revoked_at.is_none())
                .ok_or_else(|| ApiError::not_found("invite"))?;
            let target = match (invite.room_id, invite.org_id) {
                (Some(room), _) => Target::Room(room),
                (None, Some(org)) => Target::Org(org),
                _ => return Err(ApiError::not_found("invite")),
            };
            authorize_target(conn, user_id, target)?;
            invites::revoke(conn, invite.id, parley_store::now())?;
            Ok(())
        })
        .await
}

pub async fn block(state: &AppState, user_id: i64, target: i64, blocked: bool) -> ApiResult<()> {
    if target == user_id {
        return Err(parley_domain::DomainError::field("user_id", "cannot block yourself").into());
    }
    state
        .db(move |conn| {
            room_service::existing_user(conn, target)?;
            if blocked {
                bans::block(conn, user_id, target, parley_store::now())?;
            } else {
                bans::unblock(conn, user_id, target)?;
            }
            Ok(())
        })
        .await
}

pub async fn blocked(state: &AppState, user_id: i64) -> ApiResult<Vec<PublicUser>> {
    state
        .db(move |conn| {
            Ok(bans::blocked_by(conn, user_id)?
                .iter()
                .map(PublicUser::from)
                .collect())
        })
        .await
}
