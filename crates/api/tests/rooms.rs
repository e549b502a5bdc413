//! Rooms, direct chats, organisations and membership over HTTP on both backends: every
//! permission rule with an allowed and a refused caller.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use parley_realtime::BusEvent;
use parley_store::Backend;
use serde_json::{Value, json};

on_both_backends!(
    create_list_and_get_rooms,
    private_rooms_are_invisible_to_strangers,
    roles_decide_administration,
    ownership_passes_on_and_empty_rooms_are_archived,
    bans_keep_users_out,
    invites_expire_run_out_and_can_be_revoked,
    direct_chats_are_unique_per_pair,
    group_direct_chats_and_blocks,
    organisations_scope_their_rooms,
    unread_counts_follow_messages,
    public_discovery_searches_and_pages,
    changes_publish_gap_free_room_events,
);

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn create_room(app: &TestApp, token: &str, title: &str, visibility: &str) -> Value {
    app.post(
        "/api/rooms",
        Some(token),
        json!({"title": title, "visibility": visibility}),
    )
    .await
    .expect(201)
    .clone()
}

async fn create_list_and_get_rooms(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = app.user("alice").await;
    let room = create_room(&app, &alice, "  general  ", "public").await;
    assert_eq!(room["title"], "general");
    assert_eq!(room["kind"], "group");
    assert_eq!(room["visibility"], "public");
    assert_eq!(room["member_count"], 1);
    assert_eq!(room["membership"]["role"], "owner");
    let list = app
        .get("/api/rooms", Some(&alice))
        .await
        .expect(200)
        .clone();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["unread_count"], 0);
    assert!(items[0]["last_message"].is_null());
    let got = app
        .get(&format!("/api/rooms/{}/", id(&room)), Some(&alice))
        .await;
    assert_eq!(got.expect(200)["id"], room["id"]);
    let res = app
        .post(
            "/api/rooms",
            Some(&alice),
            json!({"title": "", "description": "x".repeat(1001), "visibility": "secret"}),
        )
        .await;
    let errors = res.expect_problem(422, "validation_failed")["errors"]
        .as_object()
        .unwrap()
        .clone();
    assert!(
        errors.contains_key("title")
            && errors.contains_key("description")
            && errors.contains_key("visibility")
    );
    app.post(
        "/api/rooms",
        Some(&alice),
        json!({"title": "t".repeat(101)}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/rooms",
        Some(&alice),
        json!({"title": "ok", "org_id": 424242}),
    )
    .await
    .expect_problem(404, "not_found");
    app.post("/api/rooms", None, json!({"title": "ok"}))
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/rooms/999999", Some(&alice))
        .await
        .expect_problem(404, "not_found");
}

async fn private_rooms_are_invisible_to_strangers(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let private = create_room(&app, &alice, "secret", "private").await;
    let rid = id(&private);
    // Every route answers 404 to a stranger, with no room data in the body.
    for (method, path) in [
        ("GET", format!("/api/rooms/{rid}")),
        ("PATCH", format!("/api/rooms/{rid}")),
        ("DELETE", format!("/api/rooms/{rid}")),
        ("POST", format!("/api/rooms/{rid}/join")),
        ("POST", format!("/api/rooms/{rid}/leave")),
        ("POST", format!("/api/rooms/{rid}/transfer")),
        ("GET", format!("/api/rooms/{rid}/members")),
        ("POST", format!("/api/rooms/{rid}/members")),
        ("DELETE", format!("/api/rooms/{rid}/members/1")),
        ("PATCH", format!("/api/rooms/{rid}/members/1")),
        ("POST", format!("/api/rooms/{rid}/bans")),
        ("GET", format!("/api/rooms/{rid}/bans")),
        ("DELETE", format!("/api/rooms/{rid}/bans/1")),
        ("POST", format!("/api/rooms/{rid}/invites")),
        ("GET", format!("/api/rooms/{rid}/invites")),
    ] {
        let body = match method {
            "GET" | "DELETE" => None,
            _ => Some(json!({"user_id": 1, "role": "member", "title": "x"})),
        };
        let res = app
            .call(method.parse().unwrap(), &path, Some(&bob), body)
            .await;
        assert_eq!(res.status, 404, "{method} {path}: {}", res.body);
        assert!(
            !res.body.to_string().contains("secret"),
            "{method} {path} leaks: {}",
            res.body
        );
    }
    // Public rooms: visible, previewable, joinable; posting needs membership (later issue).
    let public = create_room(&app, &alice, "lobby", "public").await;
    let pid = id(&public);
    let seen = app.get(&format!("/api/rooms/{pid}"), Some(&bob)).await;
    assert!(seen.expect(200)["membership"].is_null());
    app.get(&format!("/api/rooms/{pid}/members"), Some(&bob))
        .await
        .expect(200);
    app.post(&format!("/api/rooms/{pid}/invites"), Some(&bob), json!({}))
        .await
        .expect_problem(403, "forbidden");
    app.post(&format!("/api/rooms/{pid}/leave"), Some(&bob), json!({}))
        .await
        .expect_problem(403, "forbidden");
    let joined = app
        .post(&format!("/api/rooms/{pid}/join"), Some(&bob), json!({}))
        .await;
    assert_eq!(joined.expect(200)["membership"]["role"], "member");
    assert_eq!(joined.body["member_count"], 2);
    app.post(&format!("/api/rooms/{pid}/join"), Some(&bob), json!({}))
        .await
        .expect_problem(409, "conflict");
    // A private room cannot be joined even when visible to a member's friend.
    app.post(&format!("/api/rooms/{rid}/join"), Some(&bob), json!({}))
        .await
        .expect_problem(404, "not_found");
}

async fn roles_decide_administration(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let owner = app.user("owner").await;
    let admin_pair = app.register("admin").await;
    let admin = admin_pair["access_token"].as_str().unwrap().to_owned();
    let admin_id = id(&admin_pair["user"]);
    let member_pair = app.register("member").await;
    let member = member_pair["access_token"].as_str().unwrap().to_owned();
    let member_id = id(&member_pair["user"]);
    let carol_id = id(&app.register("carol").await["user"]);
    let room = create_room(&app, &owner, "team", "private").await;
    let rid = id(&room);
    // Owner adds people; adding twice conflicts; strangers cannot be added by members.
    for uid in [admin_id, member_id] {
        let added = app
            .post(
                &format!("/api/rooms/{rid}/members"),
                Some(&owner),
                json!({"user_id": uid}),
            )
            .await;
        assert_eq!(added.expect(201)["role"], "member");
    }
    app.post(
        &format!("/api/rooms/{rid}/members"),
        Some(&owner),
        json!({"user_id": admin_id}),
    )
    .await
    .expect_problem(409, "conflict");
    app.post(
        &format!("/api/rooms/{rid}/members"),
        Some(&owner),
        json!({"user_id": 999999}),
    )
    .await
    .expect_problem(404, "not_found");
    app.post(
        &format!("/api/rooms/{rid}/members"),
        Some(&member),
        json!({"user_id": carol_id}),
    )
    .await
    .expect_problem(403, "forbidden");
    // Promotion: the owner makes an admin; members cannot change roles.
    app.patch(
        &format!("/api/rooms/{rid}/members/{admin_id}"),
        Some(&member),
        json!({"role": "admin"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let promoted = app
        .patch(
            &format!("/api/rooms/{rid}/members/{admin_id}"),
            Some(&owner),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(promoted.expect(200)["role"], "admin");
    app.patch(
        &format!("/api/rooms/{rid}/members/{member_id}"),
        Some(&owner),
        json!({"role": "owner"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    // Admins rename, add and kick members, but not other admins or the owner.
    let renamed = app
        .patch(
            &format!("/api/rooms/{rid}"),
            Some(&admin),
            json!({"title": "crew", "description": "the crew"}),
        )
        .await;
    assert_eq!(renamed.expect(200)["title"], "crew");
    app.patch(
        &format!("/api/rooms/{rid}"),
        Some(&member),
        json!({"title": "mine"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        &format!("/api/rooms/{rid}/members"),
        Some(&admin),
        json!({"user_id": carol_id}),
    )
    .await
    .expect(201);
    app.delete(
        &format!("/api/rooms/{rid}/members/{carol_id}"),
        Some(&member),
    )
    .await
    .expect_problem(403, "forbidden");
    app.delete(
        &format!("/api/rooms/{rid}/members/{carol_id}"),
        Some(&admin),
    )
    .await
    .expect(204);
    let owner_id = room["created_by"].as_i64().unwrap();
    app.delete(
        &format!("/api/rooms/{rid}/members/{owner_id}"),
        Some(&admin),
    )
    .await
    .expect_problem(403, "forbidden");
    app.patch(
        &format!("/api/rooms/{rid}/members/{owner_id}"),
        Some(&admin),
        json!({"role": "member"}),
    )
    .await
    .expect_problem(403, "forbidden");
    // Only the owner deletes or transfers.
    app.delete(&format!("/api/rooms/{rid}"), Some(&admin))
        .await
        .expect_problem(403, "forbidden");
    app.post(
        &format!("/api/rooms/{rid}/transfer"),
        Some(&admin),
        json!({"user_id": member_id}),
    )
    .await
    .expect_problem(403, "forbidden");
    let transferred = app
        .post(
            &format!("/api/rooms/{rid}/transfer"),
            Some(&owner),
            json!({"user_id": member_id}),
        )
        .await;
    assert_eq!(transferred.expect(200)["membership"]["role"], "admin");
    app.delete(&format!("/api/rooms/{rid}"), Some(&owner))
        .await
        .expect_problem(403, "forbidden");
    app.delete(&format!("/api/rooms/{rid}"), Some(&member))
        .await
        .expect(204);
    app.get(&format!("/api/rooms/{rid}"), Some(&member))
        .await
        .expect_problem(404, "not_found");
    // A kicked member cannot see the private room any more.
    let room2 = create_room(&app, &owner, "second", "private").await;
    let r2 = id(&room2);
    app.post(
        &format!("/api/rooms/{r2}/members"),
        Some(&owner),
        json!({"user_id": member_id}),
    )
    .await
    .expect(201);
    app.get(&format!("/api/rooms/{r2}"), Some(&member))
        .await
        .expect(200);
    app.delete(
        &format!("/api/rooms/{r2}/members/{member_id}"),
        Some(&owner),
    )
    .await
    .expect(204);
    app.get(&format!("/api/rooms/{r2}"), Some(&member))
        .await
        .expect_problem(404, "not_found");
    app.delete(
        &format!("/api/rooms/{r2}/members/{member_id}"),
        Some(&owner),
    )
    .await
    .expect_problem(404, "not_found");
}

async fn ownership_passes_on_and_empty_rooms_are_archived(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let owner = app.user("owner").await;
    let first = app.user("first").await;
    let second_pair = app.register("second").await;
    let second = second_pair["access_token"].as_str().unwrap().to_owned();
    let rid = id(&create_room(&app, &owner, "hall", "public").await);
    app.post(&format!("/api/rooms/{rid}/join"), Some(&first), json!({}))
        .await
        .expect(200);
    app.post(&format!("/api/rooms/{rid}/join"), Some(&second), json!({}))
        .await
        .expect(200);
    // second is the admin, first the longest-standing member: the admin inherits.
    app.patch(
        &format!("/api/rooms/{rid}/members/{}", id(&second_pair["user"])),
        Some(&owner),
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    app.post(&format!("/api/rooms/{rid}/leave"), Some(&owner), json!({}))
        .await
        .expect(204);
    let seen = app.get(&format!("/api/rooms/{rid}"), Some(&second)).await;
    assert_eq!(seen.expect(200)["membership"]["role"], "owner");
    // Without admins the longest-standing member inherits.
    app.post(&format!("/api/rooms/{rid}/leave"), Some(&second), json!({}))
        .await
        .expect(204);
    assert_eq!(
        app.get(&format!("/api/rooms/{rid}"), Some(&first))
            .await
            .body["membership"]["role"],
        "owner"
    );
    app.post(&format!("/api/rooms/{rid}/leave"), Some(&first), json!({}))
        .await
        .expect(204);
    let archived = app.get(&format!("/api/rooms/{rid}"), Some(&first)).await;
    assert_eq!(archived.expect(200)["archived"], true);
    assert_eq!(archived.body["member_count"], 0);
    app.post(&format!("/api/rooms/{rid}/join"), Some(&first), json!({}))
        .await
        .expect_problem(403, "forbidden");
}

async fn bans_keep_users_out(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let owner = app.user("owner").await;
    let pest = app.register("pest").await;
    let pest_token = pest["access_token"].as_str().unwrap().to_owned();
    let pest_id = id(&pest["user"]);
    let rid = id(&create_room(&app, &owner, "club", "public").await);
    app.post(
        &format!("/api/rooms/{rid}/join"),
        Some(&pest_token),
        json!({}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/rooms/{rid}/bans"),
        Some(&pest_token),
        json!({"user_id": pest_id}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        &format!("/api/rooms/{rid}/bans"),
        Some(&owner),
        json!({"user_id": pest_id, "reason": "spam"}),
    )
    .await
    .expect(204);
    app.post(
        &format!("/api/rooms/{rid}/bans"),
        Some(&owner),
        json!({"user_id": pest_id}),
    )
    .await
    .expect_problem(409, "conflict");
    let bans = app
        .get(&format!("/api/rooms/{rid}/bans"), Some(&owner))
        .await
        .expect(200)
        .clone();
    assert_eq!(bans["items"][0]["reason"], "spam");
    let members = app
        .get(&format!("/api/rooms/{rid}/members"), Some(&owner))
        .await
        .expect(200)
        .clone();
    assert_eq!(members["items"].as_array().unwrap().len(), 1);
    app.post(
        &format!("/api/rooms/{rid}/join"),
        Some(&pest_token),
        json!({}),
    )
    .await
    .expect_problem(403, "forbidden");
    let invite = app
        .post(
            &format!("/api/rooms/{rid}/invites"),
            Some(&owner),
            json!({}),
        )
        .await
        .expect(201)
        .clone();
    let code = invite["code"].as_str().unwrap();
    app.post(
        &format!("/api/invites/{code}/accept"),
        Some(&pest_token),
        json!({}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        &format!("/api/rooms/{rid}/members"),
        Some(&owner),
        json!({"user_id": pest_id}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.delete(&format!("/api/rooms/{rid}/bans/{pest_id}"), Some(&owner))
        .await
        .expect(204);
    app.delete(&format!("/api/rooms/{rid}/bans/{pest_id}"), Some(&owner))
        .await
        .expect_problem(404, "not_found");
    app.post(
        &format!("/api/rooms/{rid}/join"),
        Some(&pest_token),
        json!({}),
    )
    .await
    .expect(200);
}

async fn invites_expire_run_out_and_can_be_revoked(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let owner = app.user("owner").await;
    let a = app.user("guest_a").await;
    let b = app.user("guest_b").await;
    let rid = id(&create_room(&app, &owner, "vip", "private").await);
    app.post(
        &format!("/api/rooms/{rid}/invites"),
        Some(&owner),
        json!({"max_uses": 0}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let once = app
        .post(
            &format!("/api/rooms/{rid}/invites"),
            Some(&owner),
            json!({"max_uses": 1}),
        )
        .await
        .expect(201)
        .clone();
    let code = once["code"].as_str().unwrap().to_owned();
    assert!(once["url"].as_str().unwrap().ends_with(&code));
    let preview = app
        .get(&format!("/api/invites/{code}"), Some(&a))
        .await
        .expect(200)
        .clone();
    assert_eq!(preview["room"]["title"], "vip");
    assert_eq!(preview["inviter"]["username"], "owner");
    let accepted = app
        .post(&format!("/api/invites/{code}/accept"), Some(&a), json!({}))
        .await;
    assert_eq!(accepted.expect(200)["room"]["membership"]["role"], "member");
    // Used up: the next person finds nothing.
    app.post(&format!("/api/invites/{code}/accept"), Some(&b), json!({}))
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/invites/{code}"), Some(&b))
        .await
        .expect_problem(404, "not_found");
    // Expired.
    let timed = app
        .post(
            &format!("/api/rooms/{rid}/invites"),
            Some(&owner),
            json!({"expires_in_secs": 3600}),
        )
        .await
        .expect(201)
        .clone();
    let timed_code = timed["code"].as_str().unwrap().to_owned();
    {
        use parley_store::diesel::prelude::*;
        use parley_store::schema::invites;
        parley_store::diesel::update(invites::table.filter(invites::code.eq(&timed_code)))
            .set(invites::expires_at.eq(Some(parley_store::now() - chrono::Duration::seconds(1))))
            .execute(&mut *app.conn())
            .unwrap();
    }
    app.post(
        &format!("/api/invites/{timed_code}/accept"),
        Some(&b),
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");
    // Revoked; only admins revoke; members cannot list.
    let open = app
        .post(
            &format!("/api/rooms/{rid}/invites"),
            Some(&owner),
            json!({}),
        )
        .await
        .expect(201)
        .clone();
    let open_code = open["code"].as_str().unwrap().to_owned();
    app.get(&format!("/api/rooms/{rid}/invites"), Some(&a))
        .await
        .expect_problem(403, "forbidden");
    let listed = app
        .get(&format!("/api/rooms/{rid}/invites"), Some(&owner))
        .await
        .expect(200)
        .clone();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == open_code.as_str())
    );
    app.delete(&format!("/api/invites/{open_code}"), Some(&a))
        .await
        .expect_problem(403, "forbidden");
    app.delete(&format!("/api/invites/{open_code}"), Some(&owner))
        .await
        .expect(204);
    app.post(
        &format!("/api/invites/{open_code}/accept"),
        Some(&b),
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");
    app.get("/api/invites/nonsense", Some(&b))
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/rooms/{rid}"), Some(&b))
        .await
        .expect_problem(404, "not_found");
}

async fn direct_chats_are_unique_per_pair(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice_pair = app.register("alice").await;
    let alice = alice_pair["access_token"].as_str().unwrap().to_owned();
    let bob_pair = app.register("bob").await;
    let bob = bob_pair["access_token"].as_str().unwrap().to_owned();
    let eve = app.user("eve").await;
    let bob_id = id(&bob_pair["user"]);
    let alice_id = id(&alice_pair["user"]);
    // Eight simultaneous first requests, from both sides, end with one room.
    let mut requests = Vec::new();
    for i in 0..8 {
        let (token, other) = if i % 2 == 0 {
            (&alice, bob_id)
        } else {
            (&bob, alice_id)
        };
        requests.push(app.post("/api/rooms/direct", Some(token), json!({"user_id": other})));
    }
    let answers = futures_util::future::join_all(requests).await;
    let ids: std::collections::HashSet<i64> = answers
        .iter()
        .map(|r| id(r.expect(if r.status == 201 { 201 } else { 200 })))
        .collect();
    assert_eq!(ids.len(), 1, "one room for the pair: {ids:?}");
    assert_eq!(
        answers.iter().filter(|r| r.status == 201).count(),
        1,
        "created exactly once"
    );
    let rid = *ids.iter().next().unwrap();
    let as_alice = app
        .get(&format!("/api/rooms/{rid}"), Some(&alice))
        .await
        .expect(200)
        .clone();
    let as_bob = app
        .get(&format!("/api/rooms/{rid}"), Some(&bob))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        (as_alice["kind"].as_str(), as_alice["visibility"].as_str()),
        (Some("direct"), Some("private"))
    );
    assert_eq!(as_alice["title"], "bob");
    assert_eq!(as_bob["title"], "alice");
    assert_eq!(as_alice["member_count"], 2);
    app.get(&format!("/api/rooms/{rid}"), Some(&eve))
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("/api/rooms/{rid}/join"), Some(&eve), json!({}))
        .await
        .expect_problem(404, "not_found");
    app.patch(
        &format!("/api/rooms/{rid}"),
        Some(&alice),
        json!({"title": "x"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        &format!("/api/rooms/{rid}/invites"),
        Some(&alice),
        json!({}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        "/api/rooms/direct",
        Some(&alice),
        json!({"user_id": alice_id}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/rooms/direct",
        Some(&alice),
        json!({"user_id": 999999}),
    )
    .await
    .expect_problem(404, "not_found");
    app.post("/api/rooms/direct", Some(&alice), json!({}))
        .await
        .expect_problem(422, "validation_failed");
}

async fn group_direct_chats_and_blocks(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = app.user("alice").await;
    let bob_pair = app.register("bob").await;
    let bob = bob_pair["access_token"].as_str().unwrap().to_owned();
    let carol_pair = app.register("carol").await;
    let ids = [id(&bob_pair["user"]), id(&carol_pair["user"])];
    let group = app
        .post("/api/rooms/direct", Some(&alice), json!({"user_ids": ids}))
        .await
        .expect(201)
        .clone();
    assert_eq!(group["member_count"], 3);
    assert_eq!(group["title"], "bob, carol");
    let too_many: Vec<i64> = (1000..1010).collect();
    app.post(
        "/api/rooms/direct",
        Some(&alice),
        json!({"user_ids": too_many}),
    )
    .await
    .expect_problem(422, "validation_failed");
    // Bob blocks Alice: she cannot open a chat with him; he still can with her.
    let alice_id = app.get("/api/users/me", Some(&alice)).await.body["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/users/{alice_id}/block"),
        Some(&bob),
        json!({}),
    )
    .await
    .expect(204);
    let blocks = app
        .get("/api/users/me/blocks", Some(&bob))
        .await
        .expect(200)
        .clone();
    assert_eq!(blocks["items"][0]["username"], "alice");
    app.post(
        "/api/rooms/direct",
        Some(&alice),
        json!({"user_id": ids[0]}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post("/api/rooms/direct", Some(&alice), json!({"user_ids": ids}))
        .await
        .expect_problem(403, "forbidden");
    app.post(
        "/api/rooms/direct",
        Some(&bob),
        json!({"user_id": alice_id}),
    )
    .await
    .expect(201);
    app.delete(&format!("/api/users/{alice_id}/block"), Some(&bob))
        .await
        .expect(204);
    app.post(
        "/api/rooms/direct",
        Some(&alice),
        json!({"user_id": ids[0]}),
    )
    .await
    .expect(200);
}

async fn organisations_scope_their_rooms(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let boss = app.user("boss").await;
    let worker_pair = app.register("worker").await;
    let worker = worker_pair["access_token"].as_str().unwrap().to_owned();
    let outsider = app.user("outsider").await;
    let org = app
        .post("/api/orgs", Some(&boss), json!({"name": "Acme"}))
        .await
        .expect(201)
        .clone();
    let oid = id(&org);
    assert_eq!(org["role"], "owner");
    let room = app
        .post(
            "/api/rooms",
            Some(&boss),
            json!({"title": "acme-general", "org_id": oid}),
        )
        .await
        .expect(201)
        .clone();
    let rid = id(&room);
    assert_eq!(room["org_id"], oid);
    // A public org room is invisible outside the organisation.
    app.get(&format!("/api/rooms/{rid}"), Some(&outsider))
        .await
        .expect_problem(404, "not_found");
    app.post(
        &format!("/api/rooms/{rid}/join"),
        Some(&outsider),
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");
    app.get(&format!("/api/orgs/{oid}"), Some(&outsider))
        .await
        .expect_problem(404, "not_found");
    app.post(
        "/api/rooms",
        Some(&outsider),
        json!({"title": "sneaky", "org_id": oid}),
    )
    .await
    .expect_problem(404, "not_found");
    // Join the org by invite; the room becomes visible and joinable.
    let invite = app
        .post(&format!("/api/orgs/{oid}/invites"), Some(&boss), json!({}))
        .await
        .expect(201)
        .clone();
    let code = invite["code"].as_str().unwrap();
    let accepted = app
        .post(
            &format!("/api/invites/{code}/accept"),
            Some(&worker),
            json!({}),
        )
        .await;
    assert_eq!(accepted.expect(200)["org"]["role"], "member");
    app.post(
        &format!("/api/invites/{code}/accept"),
        Some(&worker),
        json!({}),
    )
    .await
    .expect_problem(409, "conflict");
    app.post(&format!("/api/rooms/{rid}/join"), Some(&worker), json!({}))
        .await
        .expect(200);
    assert_eq!(
        app.get("/api/orgs", Some(&worker)).await.body["items"][0]["name"],
        "Acme"
    );
    // Announcements: admins post, members read, outsiders see nothing.
    let mut bus = app.state.bus.subscribe();
    app.post(
        &format!("/api/orgs/{oid}/announcements"),
        Some(&worker),
        json!({"body": "hi"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let posted = app
        .post(
            &format!("/api/orgs/{oid}/announcements"),
            Some(&boss),
            json!({"body": "Closed Friday"}),
        )
        .await;
    posted.expect(201);
    match bus.recv().await.unwrap().as_ref() {
        BusEvent::User { user_ids, frame } => {
            assert_eq!(user_ids.len(), 2);
            assert!(frame.contains("Closed Friday") && frame.contains("\"announcement\""));
        }
        other => panic!("unexpected event {other:?}"),
    }
    let listed = app
        .get(&format!("/api/orgs/{oid}/announcements"), Some(&worker))
        .await
        .expect(200)
        .clone();
    assert_eq!(listed["items"][0]["body"], "Closed Friday");
    app.get(&format!("/api/orgs/{oid}/announcements"), Some(&outsider))
        .await
        .expect_problem(404, "not_found");
    // Members see members; a removed member also leaves the org's rooms.
    let members = app
        .get(&format!("/api/orgs/{oid}/members"), Some(&worker))
        .await
        .expect(200)
        .clone();
    assert_eq!(members["items"].as_array().unwrap().len(), 2);
    let worker_id = id(&worker_pair["user"]);
    app.patch(
        &format!("/api/orgs/{oid}"),
        Some(&worker),
        json!({"name": "Mine"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.delete(&format!("/api/orgs/{oid}/members/{worker_id}"), Some(&boss))
        .await
        .expect(204);
    app.get(&format!("/api/rooms/{rid}"), Some(&worker))
        .await
        .expect_problem(404, "not_found");
    app.delete(&format!("/api/orgs/{oid}"), Some(&worker))
        .await
        .expect_problem(404, "not_found");
    app.delete(&format!("/api/orgs/{oid}"), Some(&boss))
        .await
        .expect(204);
    app.get(&format!("/api/rooms/{rid}"), Some(&boss))
        .await
        .expect_problem(404, "not_found");
}

async fn unread_counts_follow_messages(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice_pair = app.register("alice").await;
    let alice = alice_pair["access_token"].as_str().unwrap().to_owned();
    let bob_pair = app.register("bob").await;
    let bob = bob_pair["access_token"].as_str().unwrap().to_owned();
    let quiet = id(&create_room(&app, &alice, "quiet", "public").await);
    let busy = id(&create_room(&app, &alice, "busy", "public").await);
    for rid in [quiet, busy] {
        app.post(&format!("/api/rooms/{rid}/join"), Some(&bob), json!({}))
            .await
            .expect(200);
    }
    // Messages are written through the store until the messages endpoints exist.
    let (alice_id, bob_id) = (id(&alice_pair["user"]), id(&bob_pair["user"]));
    for (author, body) in [
        (alice_id, "one"),
        (alice_id, "two"),
        (bob_id, "mine"),
        (alice_id, "three"),
    ] {
        let mut conn = app.conn();
        parley_store::write_tx(&mut conn, |c| {
            parley_store::repo::messages::append(c, busy, author, body, None, None)
        })
        .unwrap();
    }
    let list = app.get("/api/rooms", Some(&bob)).await.expect(200).clone();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], busy, "most recent activity first");
    assert_eq!(items[0]["unread_count"], 3, "others' messages only");
    assert_eq!(items[0]["last_message"]["body"], "three");
    assert_eq!(items[0]["last_message"]["author"]["username"], "alice");
    assert_eq!(items[1]["unread_count"], 0);
    let alice_list = app
        .get("/api/rooms", Some(&alice))
        .await
        .expect(200)
        .clone();
    assert_eq!(alice_list["items"][0]["unread_count"], 1);
    parley_store::repo::members::set_read(&mut app.conn(), busy, bob_id, 2, false).unwrap();
    let list = app.get("/api/rooms", Some(&bob)).await.expect(200).clone();
    assert_eq!(list["items"][0]["unread_count"], 1);
}

async fn public_discovery_searches_and_pages(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    for title in ["Rust talk", "rustaceans", "Go talk", "100%_real"] {
        create_room(&app, &alice, title, "public").await;
    }
    create_room(&app, &alice, "rust secret", "private").await;
    let page1 = app
        .get("/api/rooms/public?q=RUST&limit=1", Some(&bob))
        .await
        .expect(200)
        .clone();
    assert_eq!(page1["items"].as_array().unwrap().len(), 1);
    assert_eq!(page1["items"][0]["title"], "rustaceans");
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(
            &format!("/api/rooms/public?q=rust&limit=1&cursor={cursor}"),
            Some(&bob),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(page2["items"][0]["title"], "Rust talk");
    assert!(page2["next_cursor"].is_null());
    let literal = app
        .get("/api/rooms/public?q=%25_", Some(&bob))
        .await
        .expect(200)
        .clone();
    assert_eq!(literal["items"].as_array().unwrap().len(), 1);
    let all = app
        .get("/api/rooms/public", Some(&bob))
        .await
        .expect(200)
        .clone();
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    app.get("/api/rooms/public?cursor=zzz", Some(&bob))
        .await
        .expect_problem(400, "bad_request");
    app.get("/api/rooms/public?limit=101", Some(&bob))
        .await
        .expect_problem(422, "validation_failed");
}

async fn changes_publish_gap_free_room_events(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let alice = app.user("alice").await;
    let bob_pair = app.register("bob").await;
    let bob = bob_pair["access_token"].as_str().unwrap().to_owned();
    let bob_id = id(&bob_pair["user"]);
    let rid = id(&create_room(&app, &alice, "events", "public").await);
    let mut bus = app.state.bus.subscribe();
    app.post(&format!("/api/rooms/{rid}/join"), Some(&bob), json!({}))
        .await
        .expect(200);
    app.patch(
        &format!("/api/rooms/{rid}"),
        Some(&alice),
        json!({"title": "renamed"}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/rooms/{rid}/members/{bob_id}"),
        Some(&alice),
        json!({"role": "admin"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/rooms/{rid}/bans"),
        Some(&alice),
        json!({"user_id": bob_id}),
    )
    .await
    .expect(204);
    let mut frames = Vec::new();
    let mut membership = Vec::new();
    while let Ok(event) = bus.try_recv() {
        match event.as_ref() {
            BusEvent::Room {
                room_id,
                event_seq,
                frame,
                ..
            } => {
                let frame: Value = serde_json::from_str(frame).unwrap();
                assert_eq!(
                    (frame["room_id"].as_i64(), frame["event_seq"].as_i64()),
                    (Some(*room_id), Some(*event_seq))
                );
                frames.push(frame);
            }
            BusEvent::Membership {
                user_id, member, ..
            } => membership.push((*user_id, *member)),
            other => panic!("unexpected {other:?}"),
        }
    }
    let kinds: Vec<&str> = frames.iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "member.joined",
            "room.updated",
            "member.updated",
            "member.left"
        ]
    );
    let seqs: Vec<i64> = frames
        .iter()
        .map(|f| f["event_seq"].as_i64().unwrap())
        .collect();
    // The creator's own join was event 1.
    assert_eq!(seqs, [2, 3, 4, 5]);
    assert_eq!(frames[0]["user"]["username"], "bob");
    assert!(frames[0]["user"].get("email").is_none());
    assert_eq!(frames[3]["reason"], "banned");
    assert_eq!(membership, [(bob_id, true), (bob_id, false)]);
    // The log holds the same frames.
    let log = parley_store::repo::events::list_after(&mut app.conn(), rid, 0, 100).unwrap();
    assert_eq!(log.len(), 5);
    assert_eq!(
        serde_json::from_str::<Value>(&log[4].payload).unwrap(),
        frames[3]
    );
}

on_both_backends!(reports_reach_room_admins_and_server_admins);

async fn reports_reach_room_admins_and_server_admins(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let owner = app.user("owner").await;
    let member_pair = app.register("member").await;
    let member = member_pair["access_token"].as_str().unwrap().to_owned();
    let troll_pair = app.register("troll").await;
    let troll = troll_pair["access_token"].as_str().unwrap().to_owned();
    let root = app.register("root").await;
    parley_store::repo::users::set_admin(&mut app.conn(), id(&root["user"]), true).unwrap();
    let root_token = root["access_token"].as_str().unwrap().to_owned();
    let rid = id(&create_room(&app, &owner, "reported", "public").await);
    for t in [&member, &troll] {
        app.post(&format!("/api/rooms/{rid}/join"), Some(t), json!({}))
            .await
            .expect(200);
    }
    app.post(
        "/api/messages",
        Some(&troll),
        json!({"room_id": rid, "body": "buy stuff"}),
    )
    .await
    .expect(201);
    let report = app
        .post(
            "/api/reports",
            Some(&member),
            json!({"room_id": rid, "seq": 1, "reason": "spam"}),
        )
        .await;
    let report = report.expect(201).clone();
    assert_eq!(report["status"], "open");
    let user_report = app
        .post(
            "/api/reports",
            Some(&member),
            json!({"user_id": id(&troll_pair["user"]), "reason": "harasses people"}),
        )
        .await
        .expect(201)
        .clone();
    app.post(
        "/api/reports",
        Some(&member),
        json!({"room_id": rid, "reason": "x"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/reports",
        Some(&member),
        json!({"room_id": rid, "seq": 99, "reason": "x"}),
    )
    .await
    .expect_problem(404, "not_found");
    let private = id(&create_room(&app, &owner, "hidden", "private").await);
    app.post(
        "/api/reports",
        Some(&member),
        json!({"room_id": private, "seq": 1, "reason": "x"}),
    )
    .await
    .expect_problem(404, "not_found");
    // The room owner sees the message report, not the user report; a member sees nothing.
    let owner_view = app
        .get("/api/reports", Some(&owner))
        .await
        .expect(200)
        .clone();
    let ids: Vec<i64> = owner_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(ids, [id(&report)]);
    assert!(
        app.get("/api/reports", Some(&member)).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The server admin sees both.
    assert_eq!(
        app.get("/api/reports", Some(&root_token)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Handling: room admins their rooms' reports, server admins any; others not at all.
    let path = format!("/api/reports/{}/handle", id(&report));
    app.post(&path, Some(&member), json!({"status": "resolved"}))
        .await
        .expect_problem(404, "not_found");
    app.post(&path, Some(&owner), json!({"status": "closed"}))
        .await
        .expect_problem(422, "validation_failed");
    let handled = app
        .post(&path, Some(&owner), json!({"status": "resolved"}))
        .await
        .expect(200)
        .clone();
    assert_eq!(handled["status"], "resolved");
    app.post(
        &format!("/api/reports/{}/handle", id(&user_report)),
        Some(&owner),
        json!({"status": "dismissed"}),
    )
    .await
    .expect_problem(404, "not_found");
    app.post(
        &format!("/api/reports/{}/handle", id(&user_report)),
        Some(&root_token),
        json!({"status": "dismissed"}),
    )
    .await
    .expect(200);
    assert!(
        app.get("/api/reports", Some(&root_token)).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let resolved = app
        .get("/api/reports?status=resolved", Some(&owner))
        .await
        .expect(200)
        .clone();
    assert_eq!(resolved["items"][0]["id"], report["id"]);
    assert!(resolved["items"][0]["handled_by"].is_i64());
    assert!(resolved["items"][0]["handled_at"].is_string());
}
