//! The administrators' user and room operations beyond the account basics: deleting a
//! user (tombstones, anonymised row, memberships), exporting a user's data, listing and
//! deleting rooms, instances in the statistics. Each is refused to non-admins and
//! audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::Method;
use common::{Member, PASSWORD, TestApp};
use parley_store::Backend;
use parley_store::repo::users;
use serde_json::{Value, json};

on_both_backends!(
    admin_operations_refuse_non_admins,
    deleting_a_user_leaves_tombstones_by_a_deleted_user,
    exporting_a_user_gives_their_data,
    admins_list_and_delete_any_room,
);

async fn admin(app: &TestApp, name: &str) -> Member {
    let m = app.member(name).await;
    users::set_admin(&mut app.conn(), m.id, true).unwrap();
    m
}

async fn room(app: &TestApp, owner: &Member, title: &str, visibility: &str) -> i64 {
    app.post(
        "/api/rooms",
        Some(&owner.token),
        json!({"title": title, "visibility": visibility}),
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .unwrap()
}

async fn say(app: &TestApp, who: &Member, rid: i64, body: &str) -> Value {
    app.post(
        "/api/messages",
        Some(&who.token),
        json!({"room_id": rid, "body": body}),
    )
    .await
    .expect(201)
    .clone()
}

async fn audit_actions(app: &TestApp, admin: &Member) -> Vec<(String, i64, Value)> {
    app.get("/api/admin/audit", Some(&admin.token))
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["target_id"].as_i64().unwrap(),
                e["actor_id"].clone(),
            )
        })
        .collect()
}

async fn admin_operations_refuse_non_admins(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let boss = admin(&app, "boss").await;
    let plain = app.member("plain").await;
    let rid = room(&app, &plain, "plain-room", "public").await;
    for (method, path) in [
        (Method::DELETE, format!("/api/admin/users/{}", boss.id)),
        (Method::GET, format!("/api/admin/users/{}/export", boss.id)),
        (Method::GET, "/api/admin/rooms".to_owned()),
        (Method::DELETE, format!("/api/admin/rooms/{rid}")),
    ] {
        let res = app
            .call(method.clone(), &path, Some(&plain.token), None)
            .await;
        res.expect_problem(403, "forbidden");
    }
    // Nothing happened: the room and the admin are there, and nothing was audited.
    app.get(&format!("/api/rooms/{rid}"), Some(&plain.token))
        .await
        .expect(200);
    app.get("/api/users/me", Some(&boss.token))
        .await
        .expect(200);
    assert!(audit_actions(&app, &boss).await.is_empty());
    // Administrators cannot delete themselves; unknown users are 404.
    app.delete(&format!("/api/admin/users/{}", boss.id), Some(&boss.token))
        .await
        .expect_problem(403, "forbidden");
    app.delete("/api/admin/users/999999", Some(&boss.token))
        .await
        .expect_problem(404, "not_found");
    app.get("/api/admin/users/999999/export", Some(&boss.token))
        .await
        .expect_problem(404, "not_found");
    app.delete("/api/admin/rooms/999999", Some(&boss.token))
        .await
        .expect_problem(404, "not_found");
}

async fn deleting_a_user_leaves_tombstones_by_a_deleted_user(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let boss = admin(&app, "boss").await;
    let alice = app.member("alice").await;
    let bob = app.member("bob").await;
    let carol = app.member("carol").await;
    // Bob owns a room Alice and Carol joined, has a DM with Alice, and owns an org
    // where Carol is an admin.
    let rid = room(&app, &bob, "bobs-room", "public").await;
    for m in [&alice, &carol] {
        app.post(&format!("/api/rooms/{rid}/join"), Some(&m.token), json!({}))
            .await
            .expect(200);
    }
    let dm = app
        .post(
            "/api/rooms/direct",
            Some(&alice.token),
            json!({"user_id": bob.id}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let oid = app
        .post("/api/orgs", Some(&bob.token), json!({"name": "Bobco"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/orgs/{oid}/members"),
        Some(&bob.token),
        json!({"user_id": carol.id, "role": "admin"}),
    )
    .await
    .expect(201);
    say(&app, &bob, rid, "bob one").await;
    say(&app, &alice, rid, "alice one").await;
    say(&app, &bob, rid, "bob two").await;
    say(&app, &bob, dm, "bob in dm").await;

    let mut alice_ws = app.ws(&alice.token).await;
    let mut bob_ws = app.ws(&bob.token).await;
    app.delete(&format!("/api/admin/users/{}", bob.id), Some(&boss.token))
        .await
        .expect(204);

    // Bob's socket closes as revoked; his token and password stop working.
    assert_eq!(bob_ws.closed().await, Some(4003));
    app.get("/api/users/me", Some(&bob.token))
        .await
        .expect_problem(401, "unauthorized");
    app.login("bob", PASSWORD)
        .await
        .expect_problem(401, "invalid_credentials");
    app.login(&format!("deleted-{}", bob.id), "!")
        .await
        .expect_problem(401, "invalid_credentials");

    // Alice sees each of his messages become a tombstone, then his departure.
    let mut deleted = Vec::new();
    let mut left = None;
    while left.is_none() || deleted.len() < 3 {
        let frame = alice_ws.recv().await;
        match frame["type"].as_str().unwrap() {
            "message.deleted" => {
                let m = &frame["message"];
                assert_eq!(m["author"]["display_name"], "Deleted user");
                assert_eq!(m["body"], "");
                deleted.push((m["room_id"].as_i64().unwrap(), m["seq"].as_i64().unwrap()));
            }
            "member.left" => {
                assert_eq!(frame["reason"], "deleted");
                assert_eq!(frame["user_id"], bob.id);
                left = Some(frame["room_id"].as_i64().unwrap());
            }
            _ => {}
        }
    }
    deleted.sort_unstable();
    let mut expected = vec![(rid, 1), (rid, 3), (dm, 1)];
    expected.sort_unstable();
    assert_eq!(deleted, expected);
    assert_eq!(left, Some(rid));

    // History keeps the seqs, with tombstones attributed to the deleted user.
    let page = app
        .get(&format!("/api/messages/{rid}"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    let items = page["items"].as_array().unwrap();
    let shown: Vec<(i64, &str, bool)> = items
        .iter()
        .map(|m| {
            (
                m["seq"].as_i64().unwrap(),
                m["body"].as_str().unwrap(),
                m["deleted"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [(1, "", true), (2, "alice one", false), (3, "", true)]
    );
    assert_eq!(
        items[0]["author"]["username"],
        format!("deleted-{}", bob.id)
    );
    // Ownership passed on; the DM still reads, Bob still its partner.
    let members = app
        .get(&format!("/api/rooms/{rid}/members"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    let roles: Vec<(i64, &str)> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"]["id"].as_i64().unwrap(),
                m["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(roles.contains(&(alice.id, "owner")), "{roles:?}");
    assert!(!roles.iter().any(|(id, _)| *id == bob.id));
    app.get(&format!("/api/messages/{dm}"), Some(&alice.token))
        .await
        .expect(200);
    let org_members = app
        .get(&format!("/api/orgs/{oid}/members"), Some(&carol.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(org_members["items"].as_array().unwrap().len(), 1);
    assert_eq!(org_members["items"][0]["role"], "owner");
    // The profile is gone like a deactivated one's; the DM lists an anonymous partner;
    // search does not find it; a second delete is 404.
    app.get(&format!("/api/users/{}", bob.id), Some(&alice.token))
        .await
        .expect_problem(404, "not_found");
    let dm_members = app
        .get(&format!("/api/rooms/{dm}/members"), Some(&alice.token))
        .await
        .expect(200)
        .clone();
    let partner = dm_members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == bob.id)
        .expect("the partner stays")["user"]
        .clone();
    assert_eq!(partner["display_name"], "Deleted user");
    assert_eq!(partner["deleted"], true);
    assert_eq!(partner["bio"], "");
    let found = app.get("/api/users?q=bob", Some(&alice.token)).await;
    assert!(found.expect(200)["items"].as_array().unwrap().is_empty());
    app.delete(&format!("/api/admin/users/{}", bob.id), Some(&boss.token))
        .await
        .expect_problem(404, "not_found");
    // The admin list shows the anonymised row, and the audit log the deletion.
    let listed = app
        .get("/api/admin/users?q=deleted", Some(&boss.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        listed["items"][0]["email"],
        format!("deleted-{}@deleted.invalid", bob.id)
    );
    assert_eq!(listed["items"][0]["is_active"], false);
    assert_eq!(
        audit_actions(&app, &boss).await,
        [("user.delete".to_owned(), bob.id, json!(boss.id))]
    );
}

async fn exporting_a_user_gives_their_data(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let boss = admin(&app, "boss").await;
    let dana = app.member("dana").await;
    let rid = room(&app, &dana, "danas-room", "private").await;
    say(&app, &dana, rid, "first").await;
    let second = say(&app, &dana, rid, "second").await;
    app.delete(
        &format!("/api/messages/{rid}/{}", second["seq"]),
        Some(&dana.token),
    )
    .await
    .expect(204);
    let res = app
        .get(
            &format!("/api/admin/users/{}/export", dana.id),
            Some(&boss.token),
        )
        .await;
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert!(
        res.header("content-disposition")
            .is_some_and(|d| d.contains(&format!("parley-user-{}.json", dana.id)))
    );
    let export = res.expect(200);
    assert_eq!(export["user"]["username"], "dana");
    assert_eq!(export["user"]["email"], "dana@example.com");
    assert!(export["user"].get("password_hash").is_none());
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(export["rooms"][0]["name"], "danas-room");
    assert_eq!(export["rooms"][0]["role"], "owner");
    let bodies: Vec<&str> = export["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["first"], "deleted messages are not exported");
    assert_eq!(
        audit_actions(&app, &boss).await,
        [("user.export".to_owned(), dana.id, json!(boss.id))]
    );
}

async fn admins_list_and_delete_any_room(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let boss = admin(&app, "boss").await;
    let erin = app.member("erin").await;
    let frank = app.member("frank").await;
    let private = room(&app, &erin, "Secret Plans", "private").await;
    let public = room(&app, &erin, "lobby", "public").await;
    app.post(
        &format!("/api/rooms/{public}/join"),
        Some(&frank.token),
        json!({}),
    )
    .await
    .expect(200);
    say(&app, &erin, private, "psst").await;
    let dm = app
        .post(
            "/api/rooms/direct",
            Some(&erin.token),
            json!({"user_id": frank.id}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();

    // Every room, private and direct ones too, newest first, with counts.
    let all = app
        .get("/api/admin/rooms?limit=2", Some(&boss.token))
        .await
        .expect(200)
        .clone();
    let ids: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [dm, public]);
    assert_eq!(all["items"][0]["kind"], "direct");
    assert_eq!(all["items"][1]["member_count"], 2);
    let cursor = all["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/admin/rooms?limit=2&cursor={cursor}"),
            Some(&boss.token),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(rest["items"][0]["id"], private);
    assert_eq!(rest["items"][0]["message_count"], 1);
    assert_eq!(rest["items"][0]["visibility"], "private");
    assert!(rest["next_cursor"].is_null());
    let found = app
        .get("/api/admin/rooms?q=secret", Some(&boss.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    app.get("/api/admin/rooms?cursor=%%%", Some(&boss.token))
        .await
        .expect_problem(400, "bad_request");

    // Deleting a room the admin is no member of: members are told, the room is gone.
    let mut frank_ws = app.ws(&frank.token).await;
    app.delete(&format!("/api/admin/rooms/{public}"), Some(&boss.token))
        .await
        .expect(204);
    let gone = frank_ws.recv_type("room.deleted").await;
    assert_eq!(gone["room_id"], public);
    app.get(&format!("/api/rooms/{public}"), Some(&erin.token))
        .await
        .expect_problem(404, "not_found");
    let stats = app
        .get("/api/admin/stats", Some(&boss.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(stats["rooms"], 2);
    assert_eq!(stats["instances"], 1);
    assert_eq!(
        audit_actions(&app, &boss).await,
        [("room.delete".to_owned(), public, json!(boss.id))]
    );
}
