//! Rooms, roles and the one place where room permissions are decided.

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomKind {
    Group,
    Direct,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Group => "group",
            RoomKind::Direct => "direct",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "group" => Some(RoomKind::Group),
            "direct" => Some(RoomKind::Direct),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

/// A member's role in a room (or an organisation), ordered by power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

/// What the permission check needs to know about a room.
#[derive(Debug, Clone, Copy)]
pub struct RoomFacts {
    pub kind: RoomKind,
    pub visibility: Visibility,
    pub in_org: bool,
    pub archived: bool,
}

/// What the permission check needs to know about the caller and the room.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallerFacts {
    /// The caller's role, if a member.
    pub role: Option<Role>,
    /// Member of the room's organisation (meaningless for rooms outside one).
    pub org_member: bool,
    pub banned: bool,
}

/// Everything one can try to do to a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomAction {
    /// See the room and (for public rooms) preview its history.
    View,
    /// Post messages, react, move one's read position.
    Post,
    Join,
    Leave,
    /// Rename, describe, change visibility.
    Update,
    Delete,
    TransferOwnership,
    /// Add someone, or create invite links.
    Invite,
    /// Kick or ban a member holding `target`.
    Remove {
        target: Role,
    },
    /// Give a member holding `target` the role `to`.
    ChangeRole {
        target: Role,
        to: Role,
    },
    /// Delete others' messages, pin, manage bans and invites.
    Moderate,
}

/// Is the room visible to the caller at all? Invisible rooms answer 404, never 403.
pub fn can_see(room: &RoomFacts, caller: &CallerFacts) -> bool {
    if caller.role.is_some() {
        return true;
    }
    room.kind == RoomKind::Group
        && room.visibility == Visibility::Public
        && (!room.in_org || caller.org_member)
}

/// The single permission rule of rooms: `Ok` or the refusal to answer.
pub fn check(
    room: &RoomFacts,
    caller: &CallerFacts,
    action: RoomAction,
) -> Result<(), DomainError> {
    if !can_see(room, caller) {
        return Err(DomainError::NotFound("room"));
    }
    let forbid = |why: &str| Err(DomainError::Forbidden(why.to_owned()));
    let role = caller.role;
    let group = room.kind == RoomKind::Group;
    match action {
        RoomAction::View => Ok(()),
        RoomAction::Join => {
            if role.is_some() {
                return Err(DomainError::Conflict(
                    "already a member of this room".into(),
                ));
            }
            if caller.banned {
                return forbid("you are banned from this room");
            }
            if !group || room.visibility != Visibility::Public || room.archived {
                return forbid("this room cannot be joined without an invitation");
            }
            Ok(())
        }
        RoomAction::Post => match role {
            None => forbid("join the room first"),
            Some(_) if room.archived => forbid("the room is archived"),
            Some(_) => Ok(()),
        },
        RoomAction::Leave => match role {
            None => forbid("not a member of this room"),
            Some(_) => Ok(()),
        },
        RoomAction::Update | RoomAction::Invite | RoomAction::Moderate => match role {
            Some(r) if r >= Role::Admin && group => Ok(()),
            Some(_) if !group => forbid("direct chats have no administrators"),
            _ => forbid("room administrators only"),
        },
        RoomAction::Delete | RoomAction::TransferOwnership => match role {
            Some(Role::Owner) => Ok(()),
            _ => forbid("the room owner only"),
        },
        RoomAction::Remove { target } => match role {
            Some(r) if group && r >= Role::Admin && target < r => Ok(()),
            Some(r) if group && r >= Role::Admin => {
                forbid("you cannot remove a member of equal or higher role")
            }
            _ => forbid("room administrators only"),
        },
        RoomAction::ChangeRole { target, to } => match role {
            _ if to == Role::Owner => forbid("use the ownership transfer"),
            Some(r) if group && r >= Role::Admin && target < r && to <= r => Ok(()),
            Some(r) if group && r >= Role::Admin => {
                forbid("you cannot change a role above your own")
            }
            _ => forbid("room administrators only"),
        },
    }
}

/// Everything one can try to do to an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgAction {
    View,
    Leave,
    /// Rename, describe.
    Update,
    Delete,
    /// Add members, create invites, post announcements.
    Administer,
    Remove {
        target: Role,
    },
    ChangeRole {
        target: Role,
        to: Role,
    },
}

/// The permission rule of organisations: non-members see nothing (404).
pub fn check_org(role: Option<Role>, action: OrgAction) -> Result<(), DomainError> {
    let Some(role) = role else {
        return Err(DomainError::NotFound("organisation"));
    };
    let forbid = |why: &str| Err(DomainError::Forbidden(why.to_owned()));
    match action {
        OrgAction::View | OrgAction::Leave => Ok(()),
        OrgAction::Update | OrgAction::Administer if role >= Role::Admin => Ok(()),
        OrgAction::Update | OrgAction::Administer => forbid("organisation administrators only"),
        OrgAction::Delete if role == Role::Owner => Ok(()),
        OrgAction::Delete => forbid("the organisation owner only"),
        OrgAction::Remove { target } if role >= Role::Admin && target < role => Ok(()),
        OrgAction::Remove { .. } => forbid("you cannot remove this member"),
        OrgAction::ChangeRole {
            to: Role::Owner, ..
        } => forbid("ownership cannot be given this way"),
        OrgAction::ChangeRole { target, to }
            if role >= Role::Admin && target < role && to <= role =>
        {
            Ok(())
        }
        OrgAction::ChangeRole { .. } => forbid("you cannot change a role above your own"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(visibility: Visibility) -> RoomFacts {
        RoomFacts {
            kind: RoomKind::Group,
            visibility,
            in_org: false,
            archived: false,
        }
    }

    fn member(role: Role) -> CallerFacts {
        CallerFacts {
            role: Some(role),
            ..Default::default()
        }
    }

    #[test]
    fn private_rooms_are_invisible_to_strangers() {
        let stranger = CallerFacts::default();
        assert_eq!(
            check(&room(Visibility::Private), &stranger, RoomAction::View),
            Err(DomainError::NotFound("room"))
        );
        assert!(check(&room(Visibility::Public), &stranger, RoomAction::View).is_ok());
        assert!(matches!(
            check(&room(Visibility::Public), &stranger, RoomAction::Post),
            Err(DomainError::Forbidden(_))
        ));
    }

    #[test]
    fn org_rooms_need_org_membership() {
        let org_room = RoomFacts {
            in_org: true,
            ..room(Visibility::Public)
        };
        assert!(!can_see(&org_room, &CallerFacts::default()));
        assert!(can_see(
            &org_room,
            &CallerFacts {
                org_member: true,
                ..Default::default()
            }
        ));
    }

    #[test]
    fn roles_order_what_may_be_done() {
        let r = room(Visibility::Public);
        assert!(
            check(
                &r,
                &member(Role::Admin),
                RoomAction::Remove {
                    target: Role::Member
                }
            )
            .is_ok()
        );
        assert!(
            check(
                &r,
                &member(Role::Admin),
                RoomAction::Remove {
                    target: Role::Admin
                }
            )
            .is_err()
        );
        assert!(
            check(
                &r,
                &member(Role::Owner),
                RoomAction::Remove {
                    target: Role::Admin
                }
            )
            .is_ok()
        );
        assert!(check(&r, &member(Role::Member), RoomAction::Update).is_err());
        assert!(
            check(
                &r,
                &member(Role::Admin),
                RoomAction::ChangeRole {
                    target: Role::Member,
                    to: Role::Admin
                }
            )
            .is_ok()
        );
        assert!(
            check(
                &r,
                &member(Role::Admin),
                RoomAction::ChangeRole {
                    target: Role::Admin,
                    to: Role::Member
                }
            )
            .is_err()
        );
        assert!(
            check(
                &r,
                &member(Role::Owner),
                RoomAction::ChangeRole {
                    target: Role::Member,
                    to: Role::Owner
                }
            )
            .is_err()
        );
        assert!(check(&r, &member(Role::Admin), RoomAction::Delete).is_err());
        assert!(check(&r, &member(Role::Owner), RoomAction::Delete).is_ok());
    }

    #[test]
    fn banned_users_cannot_join() {
        let banned = CallerFacts {
            banned: true,
            ..Default::default()
        };
        assert!(matches!(
            check(&room(Visibility::Public), &banned, RoomAction::Join),
            Err(DomainError::Forbidden(_))
        ));
        assert!(matches!(
            check(
                &room(Visibility::Public),
                &member(Role::Member),
                RoomAction::Join
            ),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn organisation_rules() {
        assert_eq!(
            check_org(None, OrgAction::View),
            Err(DomainError::NotFound("organisation"))
        );
        assert!(check_org(Some(Role::Member), OrgAction::View).is_ok());
        assert!(check_org(Some(Role::Member), OrgAction::Administer).is_err());
        assert!(check_org(Some(Role::Admin), OrgAction::Administer).is_ok());
        assert!(check_org(Some(Role::Admin), OrgAction::Delete).is_err());
        assert!(
            check_org(
                Some(Role::Admin),
                OrgAction::Remove {
                    target: Role::Admin
                }
            )
            .is_err()
        );
        assert!(
            check_org(
                Some(Role::Owner),
                OrgAction::Remove {
                    target: Role::Admin
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn direct_chats_have_no_administration() {
        let dm = RoomFacts {
            kind: RoomKind::Direct,
            visibility: Visibility::Private,
            in_org: false,
            archived: false,
        };
        assert!(check(&dm, &member(Role::Member), RoomAction::Post).is_ok());
        assert!(check(&dm, &member(Role::Member), RoomAction::Update).is_err());
        assert!(check(&dm, &CallerFacts::default(), RoomAction::View).is_err());
    }
}
