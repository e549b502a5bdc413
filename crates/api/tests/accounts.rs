//! Accounts over HTTP on both backends: registration, login, refresh rotation and
//! reuse revocation, logout, sessions, passwords, mail tokens, throttling, tokens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::http::Method;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{PASSWORD, TestApp};
use parley_store::Backend;
use parley_store::repo::users;
use serde_json::{Value, json};

on_both_backends!(
    register_answers_a_token_pair_and_the_account,
    register_names_every_failing_field,
    usernames_and_emails_are_unique_ignoring_case,
    login_by_username_or_email_and_identical_failures,
    refresh_rotates_and_reuse_revokes_the_session,
    logout_and_logout_all_end_sessions,
    sessions_are_listed_and_revocable,
    password_change_ends_other_sessions,
    password_reset_is_single_use_and_expires,
    email_verification_and_email_change,
    malformed_tokens_are_refused,
    failed_logins_are_throttled,
    password_length_limits,
    inactive_users_lose_access,
    weak_hashes_are_upgraded_at_login,
    profiles_and_user_search,
    admins_issue_reset_links,
    framework_errors_are_problem_documents,
    the_admin_surface_is_for_admins_and_audited,
);

async fn register_answers_a_token_pair_and_the_account(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let res = app
        .post(
            "/api/register",
            None,
            json!({"username": "Alice", "email": "Alice@Example.com", "password": PASSWORD, "display_name": " Alice L. "}),
        )
        .await;
    let pair = res.expect(201);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert!(pair["refresh_token"].as_str().unwrap().len() >= 40);
    let user = &pair["user"];
    assert_eq!(user["username"], "Alice");
    assert_eq!(user["display_name"], "Alice L.");
    assert_eq!(user["email"], "Alice@Example.com");
    assert_eq!(user["email_verified"], false);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    let token = pair["access_token"].as_str().unwrap();
    let me = app.get("/api/users/me", Some(token)).await;
    assert_eq!(me.expect(200)["id"], user["id"]);
    // The stored password is an argon2id hash, never the password.
    let row = users::find(&mut app.conn(), user["id"].as_i64().unwrap()).unwrap();
    assert!(
        row.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    // A trailing slash is the same route.
    app.post(
        "/api/register/",
        None,
        json!({"username": "bob", "email": "bob@example.com", "password": PASSWORD}),
    )
    .await
    .expect(201);
}

async fn register_names_every_failing_field(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let res = app
        .post(
            "/api/register",
            None,
            json!({"username": "a b", "email": "nope", "password": "short", "display_name": ""}),
        )
        .await;
    let errors = res.expect_problem(422, "validation_failed")["errors"]
        .as_object()
        .unwrap()
        .clone();
    let mut fields: Vec<_> = errors.keys().cloned().collect();
    fields.sort();
    assert_eq!(fields, ["display_name", "email", "password", "username"]);
    // Missing fields are named too.
    let res = app.post("/api/register", None, json!({})).await;
    let errors = res.expect_problem(422, "validation_failed")["errors"]
        .as_object()
        .unwrap()
        .clone();
    assert!(
        errors.contains_key("username")
            && errors.contains_key("email")
            && errors.contains_key("password")
    );
    // Common passwords are refused.
    let res = app
        .post(
            "/api/register",
            None,
            json!({"username": "carol", "email": "c@example.com", "password": "Password123"}),
        )
        .await;
    assert!(
        res.expect_problem(422, "validation_failed")["errors"]["password"][0]
            .as_str()
            .unwrap()
            .contains("common")
    );
    // A wrong type is a bad request, not a validation error.
    app.post(
        "/api/register",
        None,
        json!({"username": 5, "email": "c@example.com", "password": PASSWORD}),
    )
    .await
    .expect_problem(400, "bad_request");
}

async fn usernames_and_emails_are_unique_ignoring_case(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.register("dana").await;
    let res = app
        .post(
            "/api/register",
            None,
            json!({"username": "DANA", "email": "other@example.com", "password": PASSWORD}),
        )
        .await;
    assert!(
        res.expect_problem(409, "conflict")["detail"]
            .as_str()
            .unwrap()
            .contains("username")
    );
    let res = app
        .post(
            "/api/register",
            None,
            json!({"username": "dana2", "email": "DANA@EXAMPLE.COM", "password": PASSWORD}),
        )
        .await;
    assert!(
        res.expect_problem(409, "conflict")["detail"]
            .as_str()
            .unwrap()
            .contains("email")
    );
}

async fn login_by_username_or_email_and_identical_failures(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.register("erin").await;
    let by_name = app.login("ERIN", PASSWORD).await;
    assert_eq!(by_name.expect(200)["user"]["username"], "erin");
    app.login("erin@example.com", PASSWORD).await.expect(200);
    let wrong_password = app.login("erin", "not the password").await;
    let unknown_user = app.login("nobody", "not the password").await;
    wrong_password.expect_problem(401, "invalid_credentials");
    unknown_user.expect_problem(401, "invalid_credentials");
    assert_eq!(
        wrong_password.body, unknown_user.body,
        "same answer whether or not the user exists"
    );
}

async fn refresh_rotates_and_reuse_revokes_the_session(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let first = app.register("frank").await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let second = app
        .post("/api/token/refresh", None, json!({"refresh_token": r1}))
        .await
        .expect(200)
        .clone();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    let access2 = second["access_token"].as_str().unwrap();
    app.get("/api/users/me", Some(access2)).await.expect(200);
    // r1 again: reuse. The whole session is revoked: r2 and access2 stop working.
    app.post("/api/token/refresh", None, json!({"refresh_token": r1}))
        .await
        .expect_problem(401, "unauthorized");
    app.post("/api/token/refresh", None, json!({"refresh_token": r2}))
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/users/me", Some(access2))
        .await
        .expect_problem(401, "unauthorized");
    // Garbage and access tokens are not refresh tokens.
    app.post(
        "/api/token/refresh",
        None,
        json!({"refresh_token": "garbage"}),
    )
    .await
    .expect_problem(401, "unauthorized");
    app.post("/api/token/refresh", None, json!({"refresh_token": ""}))
        .await
        .expect_problem(422, "validation_failed");
    // Other sessions are untouched.
    let other = app.login("frank", PASSWORD).await.expect(200).clone();
    app.get("/api/users/me", other["access_token"].as_str())
        .await
        .expect(200);
}

async fn logout_and_logout_all_end_sessions(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let pair = app.register("gina").await;
    let (access, refresh) = (
        pair["access_token"].as_str().unwrap(),
        pair["refresh_token"].as_str().unwrap(),
    );
    app.post("/api/logout", Some(access), json!({}))
        .await
        .expect(204);
    app.get("/api/users/me", Some(access))
        .await
        .expect_problem(401, "unauthorized");
    app.post(
        "/api/token/refresh",
        None,
        json!({"refresh_token": refresh}),
    )
    .await
    .expect_problem(401, "unauthorized");
    // No body at all is fine too; logging out needs a token.
    let a = app.login("gina", PASSWORD).await.expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(Method::POST, "/api/logout", Some(&a), None)
        .await
        .expect(204);
    app.call(Method::POST, "/api/logout", None, None)
        .await
        .expect_problem(401, "unauthorized");
    // logout/all ends every session.
    let a = app.login("gina", PASSWORD).await.expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app.login("gina", PASSWORD).await.expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post("/api/logout/all", Some(&a), json!({}))
        .await
        .expect(204);
    app.get("/api/users/me", Some(&a))
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/users/me", Some(&b))
        .await
        .expect_problem(401, "unauthorized");
}

async fn sessions_are_listed_and_revocable(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let a = app.user("hank").await;
    let b = app.login("hank", PASSWORD).await.expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = app.login("hank", PASSWORD).await.expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = app.get("/api/sessions", Some(&a)).await.expect(200).clone();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(items[0]["user_agent"], "parley-tests");
    assert_eq!(items[0]["ip"], "127.0.0.1");
    // End session b by id.
    let b_id = app.get("/api/sessions", Some(&b)).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    app.delete(&format!("/api/sessions/{b_id}"), Some(&a))
        .await
        .expect(204);
    app.get("/api/users/me", Some(&b))
        .await
        .expect_problem(401, "unauthorized");
    // Another user's session is not found.
    let other = app.user("ivy").await;
    app.delete(&format!("/api/sessions/{b_id}"), Some(&other))
        .await
        .expect_problem(404, "not_found");
    // End every other session: c goes, a stays.
    app.delete("/api/sessions", Some(&a)).await.expect(204);
    app.get("/api/users/me", Some(&c))
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/users/me", Some(&a)).await.expect(200);
}

async fn password_change_ends_other_sessions(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let a = app.user("jack").await;
    let b = app.login("jack", PASSWORD).await.expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post(
            "/api/users/me/password",
            Some(&a),
            json!({"current_password": "wrong password", "new_password": "a brand new passphrase"}),
        )
        .await;
    assert!(res.expect_problem(422, "validation_failed")["errors"]["current_password"].is_array());
    app.post(
        "/api/users/me/password",
        Some(&a),
        json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
    )
    .await
    .expect(204);
    app.get("/api/users/me", Some(&a)).await.expect(200);
    app.get("/api/users/me", Some(&b))
        .await
        .expect_problem(401, "unauthorized");
    app.login("jack", PASSWORD)
        .await
        .expect_problem(401, "invalid_credentials");
    app.login("jack", "a brand new passphrase")
        .await
        .expect(200);
}

async fn password_reset_is_single_use_and_expires(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let a = app.user("kate").await;
    // Unknown addresses get the same 202 and no mail.
    app.post(
        "/api/password/forgot",
        None,
        json!({"email": "ghost@example.com"}),
    )
    .await
    .expect(202);
    app.post(
        "/api/password/forgot",
        None,
        json!({"email": "KATE@example.com"}),
    )
    .await
    .expect(202);
    let token = app.mailed_token("kate@example.com", "Reset").await;
    assert!(app.mails_to("ghost@example.com").is_empty());
    let mail = app
        .mails_to("kate@example.com")
        .into_iter()
        .find(|m| m.contains("Reset"))
        .unwrap();
    assert!(
        mail.contains("http://parley.test/reset-password#token="),
        "{mail}"
    );
    // A weak new password is refused without spending the token.
    app.post(
        "/api/password/reset",
        None,
        json!({"token": token, "new_password": "short"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/password/reset",
        None,
        json!({"token": token, "new_password": "reset passphrase here"}),
    )
    .await
    .expect(204);
    app.get("/api/users/me", Some(&a))
        .await
        .expect_problem(401, "unauthorized");
    app.login("kate", "reset passphrase here").await.expect(200);
    // Single use.
    app.post(
        "/api/password/reset",
        None,
        json!({"token": token, "new_password": "another passphrase here"}),
    )
    .await
    .expect_problem(400, "bad_request");
    // Expiry: a token whose time is up is refused.
    app.post(
        "/api/password/forgot",
        None,
        json!({"email": "kate@example.com"}),
    )
    .await
    .expect(202);
    let mut token2 = app.mailed_token("kate@example.com", "Reset").await;
    for _ in 0..50 {
        if token2 != token {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        token2 = app.mailed_token("kate@example.com", "Reset").await;
    }
    assert_ne!(token2, token);
    {
        use parley_store::diesel::prelude::*;
        use parley_store::schema::user_tokens;
        let past = parley_store::now() - chrono::Duration::minutes(1);
        parley_store::diesel::update(
            user_tokens::table
                .filter(user_tokens::token_hash.eq(parley_auth::token::hash(&token2))),
        )
        .set(user_tokens::expires_at.eq(past))
        .execute(&mut *app.conn())
        .unwrap();
    }
    app.post(
        "/api/password/reset",
        None,
        json!({"token": token2, "new_password": "another passphrase here"}),
    )
    .await
    .expect_problem(400, "bad_request");
}

async fn email_verification_and_email_change(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let a = app.user("liam").await;
    let token = app.mailed_token("liam@example.com", "Confirm").await;
    app.post("/api/email/verify", None, json!({"token": token}))
        .await
        .expect(204);
    assert_eq!(
        app.get("/api/users/me", Some(&a)).await.body["email_verified"],
        true
    );
    app.post("/api/email/verify", None, json!({"token": token}))
        .await
        .expect_problem(400, "bad_request");
    // Changing the email needs the password, and takes effect once confirmed.
    let res = app
        .patch(
            "/api/users/me",
            Some(&a),
            json!({"email": "liam@new.example"}),
        )
        .await;
    assert!(res.expect_problem(422, "validation_failed")["errors"]["current_password"].is_array());
    app.patch(
        "/api/users/me",
        Some(&a),
        json!({"email": "liam@new.example", "current_password": "wrong password"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.register("mia").await;
    app.patch(
        "/api/users/me",
        Some(&a),
        json!({"email": "MIA@example.com", "current_password": PASSWORD}),
    )
    .await
    .expect_problem(409, "conflict");
    let me = app
        .patch(
            "/api/users/me",
            Some(&a),
            json!({"email": "liam@new.example", "current_password": PASSWORD}),
        )
        .await;
    assert_eq!(
        me.expect(200)["email"],
        "liam@example.com",
        "unchanged until confirmed"
    );
    let token = app.mailed_token("liam@new.example", "Confirm").await;
    app.post("/api/email/verify", None, json!({"token": token}))
        .await
        .expect(204);
    let me = app.get("/api/users/me", Some(&a)).await;
    assert_eq!(me.body["email"], "liam@new.example");
    assert_eq!(me.body["email_verified"], true);
    app.login("liam@new.example", PASSWORD).await.expect(200);
}

async fn malformed_tokens_are_refused(backend: Backend) {
    let Some(db) = parley_store::testing::TestDb::new(backend) else {
        return;
    };
    let secret = "a test secret that is long enough for HS256!";
    let app = TestApp::start_on(db, |s| s.auth.jwt_secret = Some(secret.into())).await;
    let pair = app.register("nina").await;
    let good = pair["access_token"].as_str().unwrap();
    app.get("/api/users/me", Some(good)).await.expect(200);
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(good.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let sign = |claims: &Value, key: &str| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
        )
        .unwrap()
    };
    let with = |key: &str, value: Value| {
        let mut c = claims.clone();
        c[key] = value;
        c
    };
    // Sanity: re-signing the same claims with the right key works.
    app.get("/api/users/me", Some(&sign(&claims, secret)))
        .await
        .expect(200);
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        good.split('.').nth(1).unwrap()
    );
    let cases = [
        ("garbage", "not-a-token".to_owned()),
        ("alg none", none),
        (
            "another key",
            sign(&claims, "some other secret that is long enough!!"),
        ),
        (
            "wrong audience",
            sign(&with("aud", json!("someone-else")), secret),
        ),
        (
            "wrong issuer",
            sign(&with("iss", json!("someone-else")), secret),
        ),
        (
            "not an access token",
            sign(&with("typ", json!("refresh")), secret),
        ),
        (
            "refresh token as access token",
            pair["refresh_token"].as_str().unwrap().to_owned(),
        ),
        (
            "unknown session",
            sign(&with("sid", json!(999_999)), secret),
        ),
    ];
    for (case, token) in cases {
        let res = app.get("/api/users/me", Some(&token)).await;
        assert_eq!(res.status, 401, "{case}: {}", res.body);
        assert_eq!(res.body["code"], "unauthorized", "{case}");
    }
    let expired = with("exp", json!(chrono::Utc::now().timestamp() - 3600));
    app.get("/api/users/me", Some(&sign(&expired, secret)))
        .await
        .expect_problem(401, "token_expired");
    app.get("/api/users/me", None)
        .await
        .expect_problem(401, "unauthorized");
    let res = app
        .server
        .get("/api/users/me")
        .insert_header(("Authorization", format!("Basic {good}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

async fn failed_logins_are_throttled(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.register("olga").await;
    app.register("paul").await;
    for _ in 0..5 {
        app.login("olga", "wrong password!")
            .await
            .expect_problem(401, "invalid_credentials");
        app.login("ghost", "wrong password!")
            .await
            .expect_problem(401, "invalid_credentials");
    }
    let known = app.login("olga", "wrong password!").await;
    let unknown = app.login("ghost", "wrong password!").await;
    known.expect_problem(429, "rate_limited");
    unknown.expect_problem(429, "rate_limited");
    assert_eq!(known.body, unknown.body);
    let retry: u64 = known.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry));
    // Even the right password waits; another account is unaffected.
    app.login("olga", PASSWORD)
        .await
        .expect_problem(429, "rate_limited");
    app.login("paul", PASSWORD).await.expect(200);
}

async fn password_length_limits(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let long = "p".repeat(127) + "!";
    app.post(
        "/api/register",
        None,
        json!({"username": "quinn", "email": "q@example.com", "password": long}),
    )
    .await
    .expect(201);
    app.login("quinn", &long).await.expect(200);
    let huge = "x".repeat(10_000);
    let res = app
        .post(
            "/api/register",
            None,
            json!({"username": "rita", "email": "r@example.com", "password": huge}),
        )
        .await;
    assert!(res.expect_problem(422, "validation_failed")["errors"]["password"].is_array());
    app.login("quinn", &huge)
        .await
        .expect_problem(422, "validation_failed");
    // Whitespace is kept, not trimmed.
    app.post(
        "/api/register",
        None,
        json!({"username": "sam", "email": "s@example.com", "password": "  spaced out pass  "}),
    )
    .await
    .expect(201);
    app.login("sam", "spaced out pass")
        .await
        .expect_problem(401, "invalid_credentials");
    app.login("sam", "  spaced out pass  ").await.expect(200);
}

async fn inactive_users_lose_access(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let pair = app.register("tara").await;
    let token = pair["access_token"].as_str().unwrap();
    users::set_active(&mut app.conn(), pair["user"]["id"].as_i64().unwrap(), false).unwrap();
    app.get("/api/users/me", Some(token))
        .await
        .expect_problem(401, "unauthorized");
    app.login("tara", PASSWORD)
        .await
        .expect_problem(401, "invalid_credentials");
    app.post(
        "/api/token/refresh",
        None,
        json!({"refresh_token": pair["refresh_token"]}),
    )
    .await
    .expect_problem(401, "unauthorized");
}

async fn weak_hashes_are_upgraded_at_login(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let pair = app.register("uma").await;
    let id = pair["user"]["id"].as_i64().unwrap();
    let weak = parley_auth::password::hash_weak_for_tests(PASSWORD).unwrap();
    users::set_password_hash(&mut app.conn(), id, &weak).unwrap();
    app.login("uma", PASSWORD).await.expect(200);
    let stored = users::find(&mut app.conn(), id).unwrap().password_hash;
    assert_ne!(stored, weak);
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    app.login("uma", PASSWORD).await.expect(200);
}

async fn profiles_and_user_search(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let a = app.user("victor").await;
    for name in ["vera", "vince", "walt", "vi_c"] {
        app.register(name).await;
    }
    let me = app.patch("/api/users/me", Some(&a), json!({"display_name": "Victor V", "bio": "hi", "avatar_url": "https://img.example/v.png"})).await;
    let me = me.expect(200).clone();
    assert_eq!(
        (me["display_name"].as_str(), me["bio"].as_str()),
        (Some("Victor V"), Some("hi"))
    );
    app.patch(
        "/api/users/me",
        Some(&a),
        json!({"avatar_url": "javascript:alert(1)", "display_name": "  "}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let vera_id = app.login("vera", PASSWORD).await.body["user"]["id"]
        .as_i64()
        .unwrap();
    let vera = app.get(&format!("/api/users/{vera_id}"), Some(&a)).await;
    assert_eq!(vera.expect(200)["username"], "vera");
    assert!(
        vera.body.get("email").is_none(),
        "PublicUser never carries email"
    );
    app.get("/api/users/999999", Some(&a))
        .await
        .expect_problem(404, "not_found");
    app.get("/api/users/abc", Some(&a))
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/users/{vera_id}"), None)
        .await
        .expect_problem(401, "unauthorized");
    // Prefix search, paged with an opaque cursor; `_` is not a wildcard.
    let page1 = app
        .get("/api/users?q=V&limit=2", Some(&a))
        .await
        .expect(200)
        .clone();
    let names = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&page1), ["vera", "vi_c"]);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(&format!("/api/users?q=v&limit=2&cursor={cursor}"), Some(&a))
        .await
        .expect(200)
        .clone();
    assert_eq!(names(&page2), ["victor", "vince"]);
    assert!(page2["next_cursor"].is_null());
    assert!(page2["items"][0].get("email").is_none());
    let underscore = app
        .get("/api/users?q=vi_", Some(&a))
        .await
        .expect(200)
        .clone();
    assert_eq!(names(&underscore), ["vi_c"]);
    app.get("/api/users?limit=0", Some(&a))
        .await
        .expect_problem(422, "validation_failed");
    app.get("/api/users?limit=abc", Some(&a))
        .await
        .expect_problem(400, "bad_request");
    app.get("/api/users?cursor=%%%", Some(&a)).await;
    app.get("/api/users?cursor=!!", Some(&a))
        .await
        .expect_problem(400, "bad_request");
}

async fn admins_issue_reset_links(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let admin = app.register("root_user").await;
    users::set_admin(&mut app.conn(), admin["user"]["id"].as_i64().unwrap(), true).unwrap();
    let admin_token = admin["access_token"].as_str().unwrap();
    let user = app.register("xena").await;
    let user_token = user["access_token"].as_str().unwrap();
    let path = format!("/api/admin/users/{}/password-reset", user["user"]["id"]);
    app.post(&path, Some(user_token), json!({}))
        .await
        .expect_problem(403, "forbidden");
    let link = app
        .post(&path, Some(admin_token), json!({}))
        .await
        .expect(201)
        .clone();
    let url = link["url"].as_str().unwrap();
    let token = url.split("#token=").nth(1).unwrap();
    app.post(
        "/api/password/reset",
        None,
        json!({"token": token, "new_password": "admin set passphrase"}),
    )
    .await
    .expect(204);
    app.login("xena", "admin set passphrase").await.expect(200);
    app.post(
        "/api/admin/users/999999/password-reset",
        Some(admin_token),
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");
}

async fn framework_errors_are_problem_documents(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    app.send_raw(
        Method::POST,
        "/api/register",
        Some("application/json"),
        b"{not json".to_vec(),
    )
    .await
    .expect_problem(400, "bad_request");
    app.send_raw(
        Method::POST,
        "/api/register",
        Some("text/plain"),
        b"{}".to_vec(),
    )
    .await
    .expect_problem(415, "unsupported_media_type");
    app.send_raw(Method::POST, "/api/register", None, b"{}".to_vec())
        .await
        .expect_problem(415, "unsupported_media_type");
    let big = format!(r#"{{"username":"{}"}}"#, "x".repeat(70 * 1024));
    app.send_raw(
        Method::POST,
        "/api/register",
        Some("application/json"),
        big.into_bytes(),
    )
    .await
    .expect_problem(413, "payload_too_large");
    // The same limit on the optional logout body.
    let token = app.user("yuri").await;
    let res = app
        .server
        .post("/api/logout")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/json"))
        .send_body(vec![b' '; 70 * 1024])
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let res = app
        .send_raw(
            Method::PUT,
            "/api/register",
            Some("application/json"),
            b"{}".to_vec(),
        )
        .await;
    res.expect_problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("POST"));
}

#[actix_web::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let ip_of_session = |app: &TestApp| {
        let db = app.state.db.clone();
        move || {
            let mut conn = db.get().unwrap();
            use parley_store::diesel::prelude::*;
            parley_store::schema::sessions::table
                .order(parley_store::schema::sessions::id.desc())
                .select(parley_store::schema::sessions::ip)
                .get_result::<Option<String>>(&mut *conn)
                .unwrap()
        }
    };
    let login = |app: &TestApp| {
        app.server
            .post("/api/login")
            .insert_header(("X-Forwarded-For", "198.51.100.1, 203.0.113.9"))
            .send_json(&json!({"username": "proxied", "password": PASSWORD}))
    };
    // Untrusted peer: the header is ignored.
    let app = TestApp::start_on(parley_store::testing::TestDb::sqlite(), |_| {}).await;
    app.register("proxied").await;
    assert_eq!(login(&app).await.unwrap().status().as_u16(), 200);
    assert_eq!(ip_of_session(&app)(), Some("127.0.0.1".to_owned()));
    // Trusted proxy range: the nearest untrusted hop is the client.
    let app = TestApp::start_on(parley_store::testing::TestDb::sqlite(), |s| {
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    app.register("proxied").await;
    assert_eq!(login(&app).await.unwrap().status().as_u16(), 200);
    assert_eq!(ip_of_session(&app)(), Some("203.0.113.9".to_owned()));
}

async fn the_admin_surface_is_for_admins_and_audited(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let root = app.register("root_admin").await;
    let root_id = root["user"]["id"].as_i64().unwrap();
    users::set_admin(&mut app.conn(), root_id, true).unwrap();
    let admin = root["access_token"].as_str().unwrap();
    let plain = app.register("plain").await;
    let plain_token = plain["access_token"].as_str().unwrap();
    let plain_id = plain["user"]["id"].as_i64().unwrap();
    // Every admin operation refuses a non-admin.
    for (method, path) in [
        (Method::GET, "/api/admin/users".to_owned()),
        (Method::GET, "/api/admin/stats".to_owned()),
        (Method::GET, "/api/admin/audit".to_owned()),
        (Method::POST, format!("/api/admin/users/{root_id}/demote")),
        (
            Method::POST,
            format!("/api/admin/users/{root_id}/deactivate"),
        ),
        (Method::POST, format!("/api/admin/users/{plain_id}/promote")),
        (
            Method::POST,
            format!("/api/admin/users/{plain_id}/reactivate"),
        ),
        (
            Method::POST,
            format!("/api/admin/users/{root_id}/password-reset"),
        ),
    ] {
        let res = app
            .call(method.clone(), &path, Some(plain_token), Some(json!({})))
            .await;
        assert_eq!(res.status, 403, "{method} {path}: {}", res.body);
    }
    // Admins act, and each action is audited.
    app.post(
        &format!("/api/admin/users/{plain_id}/promote"),
        Some(admin),
        json!({}),
    )
    .await
    .expect(204);
    assert_eq!(
        app.get("/api/users/me", Some(plain_token)).await.body["is_admin"],
        true
    );
    app.post(
        &format!("/api/admin/users/{plain_id}/demote"),
        Some(admin),
        json!({}),
    )
    .await
    .expect(204);
    app.post(
        &format!("/api/admin/users/{plain_id}/deactivate"),
        Some(admin),
        json!({}),
    )
    .await
    .expect(204);
    app.post(
        &format!("/api/admin/users/{plain_id}/reactivate"),
        Some(admin),
        json!({}),
    )
    .await
    .expect(204);
    app.post(
        &format!("/api/admin/users/{plain_id}/password-reset"),
        Some(admin),
        json!({}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/admin/users/{root_id}/demote"),
        Some(admin),
        json!({}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post("/api/admin/users/999999/promote", Some(admin), json!({}))
        .await
        .expect_problem(404, "not_found");
    let audit = app
        .get("/api/admin/audit", Some(admin))
        .await
        .expect(200)
        .clone();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user.reset_link",
            "user.reactivate",
            "user.deactivate",
            "user.demote",
            "user.promote"
        ]
    );
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor_id"] == root_id && e["target_id"] == plain_id)
    );
    // Listing includes deactivated users; stats count what exists.
    app.post(
        &format!("/api/admin/users/{plain_id}/deactivate"),
        Some(admin),
        json!({}),
    )
    .await
    .expect(204);
    let listed = app
        .get("/api/admin/users?q=pla", Some(admin))
        .await
        .expect(200)
        .clone();
    assert_eq!(listed["items"][0]["is_active"], false);
    assert_eq!(listed["items"][0]["email"], "plain@example.com");
    let stats = app
        .get("/api/admin/stats", Some(admin))
        .await
        .expect(200)
        .clone();
    assert_eq!(
        (stats["users"].as_i64(), stats["rooms"].as_i64()),
        (Some(2), Some(0))
    );
}
