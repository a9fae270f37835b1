//! Organizations, users, tokens, login and throttling.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn health_and_readiness() {
    let s = TestServer::start().await;
    let r = client().get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = client().get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Where uploads are staged cannot be written: not ready, and the answer says why.
    let staging = s.data_dir.join("staging");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::write(&staging, b"not a directory").unwrap();
    let r = client().get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.text().await.unwrap(), "file storage unavailable");
    let r = client().get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "alive all the same");
    std::fs::remove_file(&staging).unwrap();
    let r = client().get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn organizations_validate_credit_codes() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let url = s.url("/api/v1/organizations");
    let (st, v) = call(
        Method::POST,
        &url,
        Some(&cast.admin),
        Some(json!({"name": "acme", "title": "Acme", "kind": "enterprise"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_uscc"),
        "{v}"
    );
    let (st, v) = call(Method::POST, &url, Some(&cast.admin), Some(json!({"name": "acme", "title": "Acme", "kind": "enterprise", "uscc": "91350100M000100Y44"}))).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_uscc"),
        "{v}"
    );
    let (st, v) = call(Method::POST, &url, Some(&cast.admin), Some(json!({"name": "acme", "title": "Acme", "kind": "enterprise", "uscc": "91350100M000100Y43"}))).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    // Only the authority manages organizations.
    let (st, v) = call(
        Method::POST,
        &url,
        Some(&cast.alice),
        Some(json!({"name": "x-org", "title": "X", "kind": "department"})),
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (st, v) = call(
        Method::POST,
        &url,
        Some(&cast.admin),
        Some(json!({"name": "acme", "title": "Again", "kind": "department"})),
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::CONFLICT, "name_taken"));
    let (st, v) = call(Method::GET, &url, None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["organizations"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn users_must_match_their_organization_kind() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let url = s.url("/api/v1/users");
    let (st, v) = call(Method::POST, &url, Some(&cast.admin), Some(json!({"username": "dave", "role": "enterprise", "organization": "transport", "password": "long enough"}))).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        "{v}"
    );
    let (st, v) = call(Method::POST, &url, Some(&cast.admin), Some(json!({"username": "dave", "role": "staff", "organization": "transport", "password": "short"}))).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        "{v}"
    );
    let (st, v) = call(Method::POST, &url, Some(&cast.admin), Some(json!({"username": "dave", "role": "staff", "organization": "transport", "password": "long enough"}))).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert!(
        v.get("password_hash").is_none(),
        "hash must never be served: {v}"
    );
}

#[tokio::test]
async fn tokens_are_shown_once_revocable_and_expire() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (st, me) = call(Method::GET, &s.url("/api/v1/me"), Some(&cast.alice), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(me["username"], "alice");

    let (st, created) = call(
        Method::POST,
        &s.url("/api/v1/tokens"),
        Some(&cast.alice),
        Some(json!({"name": "etl", "days": 30})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("gs_"));
    let (_, list) = call(Method::GET, &s.url("/api/v1/tokens"), Some(&secret), None).await;
    let listed = list.to_string();
    assert!(!listed.contains(&secret), "secret must not be listed");
    assert!(!listed.contains("token_hash"));

    let id = created["id"].as_str().unwrap();
    let (st, _) = call(
        Method::DELETE,
        &s.url(&format!("/api/v1/tokens/{id}")),
        Some(&cast.alice),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, v) = call(Method::GET, &s.url("/api/v1/me"), Some(&secret), None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
    // Someone else's token cannot be revoked by id.
    let (st, _) = call(
        Method::DELETE,
        &s.url(&format!("/api/v1/tokens/{id}")),
        Some(&cast.bob),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // An expired token is refused.
    let store = s.store().await;
    let alice = store.get_user_by_username("alice").await.unwrap();
    let expired = store::ApiToken {
        id: "expired".into(),
        user_id: alice.id.clone(),
        name: "old".into(),
        token_hash: app::auth::secret_hash("gs_expired"),
        created_at: 0,
        expires_at: Some(1),
        revoked_at: None,
    };
    store.create_token(expired).await.unwrap();
    let (st, v) = call(Method::GET, &s.url("/api/v1/me"), Some("gs_expired"), None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("expired"));
    let (st, v) = call(Method::GET, &s.url("/api/v1/me"), Some("gs_nonsense"), None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
    let (st, v) = call(Method::GET, &s.url("/api/v1/me"), None, None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
}

#[tokio::test]
async fn portal_login_sets_a_safe_cookie_and_throttles() {
    let s = TestServer::start().await;
    s.standard_cast().await;
    let c = client();
    let csrf = login_form_token(&c, &s).await;
    // Without the double-submit token the login is refused.
    let r = post_login(&c, &s, "alice", "alice-password", "wrong").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Each rendering of the form issues a fresh token.
    let stale = post_login(&c, &s, "alice", "alice-password", &csrf).await;
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);
    let csrf = login_form_token(&c, &s).await;
    let r = post_login(&c, &s, "alice", "alice-password", &csrf).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = session_cookie(&r);
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http has no Secure: {cookie}"
    );
    let page = page_text(&c, s.url("/")).await;
    assert!(page.contains("alice"), "signed in");

    // Three wrong passwords lock the account, even with the right one afterwards.
    let c2 = client();
    for _ in 0..3 {
        let csrf = login_form_token(&c2, &s).await;
        let r = post_login(&c2, &s, "bob", "nope-nope", &csrf).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let csrf = login_form_token(&c2, &s).await;
    let r = post_login(&c2, &s, "bob", "bob-password", &csrf).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn secure_cookie_behind_tls() {
    let s =
        TestServer::start_with(|c| c.public_url = Some("https://data.example.gov.cn".into())).await;
    s.standard_cast().await;
    let c = client();
    let csrf = login_form_token(&c, &s).await;
    let r = post_login(&c, &s, "alice", "alice-password", &csrf).await;
    let cookie = session_cookie(&r);
    assert!(cookie.contains("Secure"), "{cookie}");
}

/// Behind a trusted load balancer, login failures count against the address the balancer names
/// in X-Forwarded-For; from any other peer the header changes nothing.
#[tokio::test]
async fn throttling_counts_the_forwarded_client_only_behind_a_trusted_proxy() {
    let forwarded = |c: &reqwest::Client, s: &TestServer, user: &str, csrf: &str, from: &str| {
        c.post(s.url("/login"))
            .header("x-forwarded-for", from)
            .form(&[
                ("username", user),
                ("password", "wrong-wrong"),
                ("csrf", csrf),
            ])
            .send()
    };
    // The tests' requests come from 127.0.0.1, here the balancer.
    let s =
        TestServer::start_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    s.standard_cast().await;
    let c = client();
    for user in ["u1", "u2", "u3"] {
        let csrf = login_form_token(&c, &s).await;
        let r = forwarded(&c, &s, user, &csrf, "203.0.113.7").await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let csrf = login_form_token(&c, &s).await;
    let r = forwarded(&c, &s, "u4", &csrf, "203.0.113.7").await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "that client is locked out"
    );
    let csrf = login_form_token(&c, &s).await;
    let r = post_login(&c, &s, "alice", "alice-password", &csrf).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "another client is not");

    // Without trusted proxies the header is the client's own claim, and is ignored.
    let s = TestServer::start().await;
    s.standard_cast().await;
    for (user, from) in [
        ("u1", "198.51.100.1"),
        ("u2", "198.51.100.2"),
        ("u3", "198.51.100.3"),
    ] {
        let csrf = login_form_token(&c, &s).await;
        let r = forwarded(&c, &s, user, &csrf, from).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let csrf = login_form_token(&c, &s).await;
    let r = post_login(&c, &s, "alice", "alice-password", &csrf).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one peer, one count"
    );
}
