//! Properties of the one permission rule, over every combination proptest draws:
//! nothing leaks the existence of an invisible room, power only grows with the role,
//! nobody is promoted to owner or removes an equal, bans and archives hold.
#![allow(clippy::unwrap_used)]

use parley_domain::DomainError;
use parley_domain::room::{
    CallerFacts, OrgAction, Role, RoomAction, RoomFacts, RoomKind, Visibility, can_see, check,
    check_org,
};
use proptest::prelude::*;

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Member), Just(Role::Admin), Just(Role::Owner)]
}

fn room() -> impl Strategy<Value = RoomFacts> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(group, public, in_org, archived)| RoomFacts {
            kind: if group {
                RoomKind::Group
            } else {
                RoomKind::Direct
            },
            visibility: if public {
                Visibility::Public
            } else {
                Visibility::Private
            },
            in_org,
            archived,
        },
    )
}

fn caller() -> impl Strategy<Value = CallerFacts> {
    (proptest::option::of(role()), any::<bool>(), any::<bool>()).prop_map(
        |(role, org_member, banned)| CallerFacts {
            role,
            org_member,
            banned,
        },
    )
}

fn action() -> impl Strategy<Value = RoomAction> {
    prop_oneof![
        Just(RoomAction::View),
        Just(RoomAction::Post),
        Just(RoomAction::Join),
        Just(RoomAction::Leave),
        Just(RoomAction::Update),
        Just(RoomAction::Delete),
        Just(RoomAction::TransferOwnership),
        Just(RoomAction::Invite),
        Just(RoomAction::Moderate),
        role().prop_map(|target| RoomAction::Remove { target }),
        (role(), role()).prop_map(|(target, to)| RoomAction::ChangeRole { target, to }),
    ]
}

fn org_action() -> impl Strategy<Value = OrgAction> {
    prop_oneof![
        Just(OrgAction::View),
        Just(OrgAction::Leave),
        Just(OrgAction::Update),
        Just(OrgAction::Delete),
        Just(OrgAction::Administer),
        role().prop_map(|target| OrgAction::Remove { target }),
        (role(), role()).prop_map(|(target, to)| OrgAction::ChangeRole { target, to }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// A room the caller cannot see answers "not found" to everything, never
    /// "forbidden", which would confirm that it exists.
    #[test]
    fn invisible_rooms_are_not_found(room in room(), caller in caller(), action in action()) {
        if !can_see(&room, &caller) {
            prop_assert!(matches!(check(&room, &caller, action), Err(DomainError::NotFound(_))));
        }
    }

    /// Members see their rooms; outsiders only public group rooms (of their organisation).
    #[test]
    fn visibility(room in room(), caller in caller()) {
        let expected = caller.role.is_some()
            || (room.kind == RoomKind::Group
                && room.visibility == Visibility::Public
                && (!room.in_org || caller.org_member));
        prop_assert_eq!(can_see(&room, &caller), expected);
    }

    /// Outsiders may view (what they can see) and try to join; nothing else.
    #[test]
    fn outsiders_only_view_and_join(room in room(), mut caller in caller(), action in action()) {
        caller.role = None;
        if check(&room, &caller, action).is_ok() {
            prop_assert!(matches!(action, RoomAction::View | RoomAction::Join), "{action:?}");
        }
    }

    /// The banned never join; nobody posts in an archived room or a room they are not in.
    #[test]
    fn bans_archives_and_membership_hold(room in room(), caller in caller()) {
        if caller.banned {
            prop_assert!(check(&room, &caller, RoomAction::Join).is_err());
        }
        if room.archived || caller.role.is_none() {
            prop_assert!(check(&room, &caller, RoomAction::Post).is_err());
        }
    }

    /// Whatever a role may do, every higher role may do too.
    #[test]
    fn power_grows_with_the_role(room in room(), caller in caller(), action in action(), higher in role()) {
        if let Some(r) = caller.role
            && higher >= r
            && check(&room, &caller, action).is_ok()
        {
            let promoted = CallerFacts { role: Some(higher), ..caller };
            prop_assert!(check(&room, &promoted, action).is_ok(), "{r:?} may {action:?} but {higher:?} may not");
        }
    }

    /// Ownership moves only by transfer; nobody removes or re-roles an equal or higher.
    #[test]
    fn no_one_acts_on_equals_or_makes_owners(room in room(), caller in caller(), target in role(), to in role()) {
        let make_owner = RoomAction::ChangeRole { target, to: Role::Owner };
        prop_assert!(check(&room, &caller, make_owner).is_err());
        if let Some(r) = caller.role && target >= r {
            let remove = RoomAction::Remove { target };
            let change = RoomAction::ChangeRole { target, to };
            prop_assert!(check(&room, &caller, remove).is_err());
            prop_assert!(check(&room, &caller, change).is_err());
        }
    }

    /// Direct chats have no administrators: nobody updates, invites, moderates or kicks.
    #[test]
    fn direct_chats_have_no_moderation(mut room in room(), caller in caller(), target in role()) {
        room.kind = RoomKind::Direct;
        for action in [RoomAction::Update, RoomAction::Invite, RoomAction::Moderate, RoomAction::Remove { target }] {
            prop_assert!(check(&room, &caller, action).is_err(), "{action:?}");
        }
    }

    /// Organisations: outsiders get "not found"; power grows with the role; no owner
    /// is made by a role change.
    #[test]
    fn organisation_rules(role in proptest::option::of(role()), action in org_action(), higher in role()) {
        let verdict = check_org(role, action);
        match role {
            None => prop_assert!(matches!(verdict, Err(DomainError::NotFound(_)))),
            Some(r) => {
                if verdict.is_ok() && higher >= r {
                    prop_assert!(check_org(Some(higher), action).is_ok());
                }
            }
        }
        if let OrgAction::ChangeRole { to: Role::Owner, .. } = action {
            prop_assert!(verdict.is_err());
        }
    }
}
