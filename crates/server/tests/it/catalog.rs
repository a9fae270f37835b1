//! Dataset metadata, permissions and the classification rules.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn dataset_crud_with_every_field() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (st, v) = create_dataset(&s, &cast.alice, "bus-lines", json!({
        "description": "公交线路", "themes": ["交通出行"], "tags": ["公交", "bus"], "update_frequency": "monthly",
        "license": "CC BY 4.0", "spatial": "杭州市", "temporal": "2026", "contact": "0571-1",
        "domain": "government", "opening_type": "unconditional", "importance": "ordinary"
    })).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["organization"]["name"], "transport");
    assert_eq!(v["grade"], "L1");
    assert_eq!(v["opening_type"], "unconditional");
    assert_eq!(v["themes"], json!(["交通出行"]));

    let url = s.url("/api/v1/datasets/bus-lines");
    let (st, v) = call(Method::GET, &url, None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["tags"], json!(["公交", "bus"]));
    assert_eq!(v["can_edit"], false);

    let (st, v) = call(
        Method::PATCH,
        &url,
        Some(&cast.alice),
        Some(json!({"title": "公交线路（新）", "tags": ["a"]})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["dataset"]["title"], "公交线路（新）");
    assert_eq!(
        v["dataset"]["license"], "CC BY 4.0",
        "untouched fields stay"
    );

    // Others may not change it.
    let (st, v) = call(
        Method::PATCH,
        &url,
        Some(&cast.bob),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (st, _) = call(
        Method::PATCH,
        &url,
        Some(&cast.carol),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = call(Method::PATCH, &url, None, Some(json!({"title": "x"}))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // The authority may.
    let (st, _) = call(
        Method::PATCH,
        &url,
        Some(&cast.admin),
        Some(json!({"contact": "new"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    // Publishers publish only for their own organization.
    let (st, v) = create_dataset(
        &s,
        &cast.bob,
        "sneaky",
        json!({"organization": "transport"}),
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (st, _) = create_dataset(&s, &cast.carol, "citizen-data", json!({})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/datasets?organization=transport"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["total"], 1);
    let (_, v) = call(
        Method::GET,
        &s.url("/api/v1/datasets?organization=health"),
        None,
        None,
    )
    .await;
    assert_eq!(v["total"], 0);

    let (st, _) = call(Method::DELETE, &url, Some(&cast.bob), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = call(Method::DELETE, &url, Some(&cast.alice), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, v) = call(Method::GET, &url, None, None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::NOT_FOUND, "dataset_not_found")
    );
}

#[tokio::test]
async fn bad_bodies_get_clear_errors() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let url = s.url("/api/v1/datasets");
    let r = client()
        .post(&url)
        .bearer_auth(&cast.alice)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let (st, v) = parse(r).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "invalid_json"),
        "{v}"
    );
    let (st, v) = create_dataset(&s, &cast.alice, "ok-name", json!({"colour": "red"})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "unknown_field"),
        "{v}"
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("colour"));
    let (st, v) = create_dataset(&s, &cast.alice, "Bad Name", json!({})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_name")
    );
    let (st, v) = create_dataset(
        &s,
        &cast.alice,
        "ok-name",
        json!({"grade_of_doom": 1, "opening_type": "wide_open"}),
    )
    .await;
    assert!(st.is_client_error(), "{v}");
    let (st, v) = create_dataset(
        &s,
        &cast.alice,
        "ok-name",
        json!({"opening_type": "wide_open"}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        "{v}"
    );
    let (st, _) = create_dataset(&s, &cast.alice, "ok-name", json!({})).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, v) = create_dataset(&s, &cast.alice, "ok-name", json!({})).await;
    assert_eq!((st, error_code(&v)), (StatusCode::CONFLICT, "name_taken"));
    let (st, v) = call(
        Method::PATCH,
        &s.url("/api/v1/datasets/ok-name"),
        Some(&cast.alice),
        Some(json!({"nmae": "x"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "unknown_field"),
        "{v}"
    );
    let (st, v) = call(Method::GET, &s.url("/api/v1/nothing-here"), None, None).await;
    assert_eq!((st, error_code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/datasets?limit=100000"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
}

#[tokio::test]
async fn important_datasets_are_never_open_and_lowering_needs_the_authority() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (st, v) = create_dataset(
        &s,
        &cast.alice,
        "pipes",
        json!({"importance": "important", "opening_type": "unconditional"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(v["opening_type"], "not_open", "important data is not open");
    let url = s.url("/api/v1/datasets/pipes/opening-type");
    let (st, v) = call(
        Method::PUT,
        &url,
        Some(&cast.alice),
        Some(json!({"opening_type": "conditional", "reason": "x"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "opening_type_not_allowed")
    );

    let (_, _) = create_dataset(
        &s,
        &cast.alice,
        "stops",
        json!({"opening_type": "not_open"}),
    )
    .await;
    let url = s.url("/api/v1/datasets/stops/opening-type");
    // Loosening without a reason is refused; with one it becomes a request.
    let (st, v) = call(
        Method::PUT,
        &url,
        Some(&cast.alice),
        Some(json!({"opening_type": "unconditional"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = call(
        Method::PUT,
        &url,
        Some(&cast.alice),
        Some(json!({"opening_type": "unconditional", "reason": "all L1"})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["outcome"], "request_filed");
    let id = v["request"]["id"].as_str().unwrap().to_string();
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/stops"), None, None).await;
    assert_eq!(d["opening_type"], "not_open", "unchanged until approved");

    // Staff cannot approve, the authority can, and only once.
    let decision = s.url(&format!("/api/v1/change-requests/{id}/decision"));
    let (st, _) = call(
        Method::POST,
        &decision,
        Some(&cast.alice),
        Some(json!({"approve": true})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/change-requests?status=pending"),
        Some(&cast.admin),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["requests"].as_array().unwrap().len(), 1);
    let (_, v) = call(
        Method::GET,
        &s.url("/api/v1/change-requests?status=pending"),
        Some(&cast.bob),
        None,
    )
    .await;
    assert_eq!(
        v["requests"].as_array().unwrap().len(),
        0,
        "other departments do not see it"
    );
    let (st, v) = call(
        Method::POST,
        &decision,
        Some(&cast.admin),
        Some(json!({"approve": true, "note": "ok"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/stops"), None, None).await;
    assert_eq!(d["opening_type"], "unconditional");
    let (st, v) = call(
        Method::POST,
        &decision,
        Some(&cast.admin),
        Some(json!({"approve": false})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided")
    );

    // Tightening is immediate.
    let (st, v) = call(
        Method::PUT,
        &url,
        Some(&cast.alice),
        Some(json!({"opening_type": "conditional"})),
    )
    .await;
    assert_eq!(
        (st, v["outcome"].as_str()),
        (StatusCode::OK, Some("applied"))
    );
}

#[tokio::test]
async fn review_rules_hold() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    // Leaving the personal domain is the authority's decision.
    create_dataset(&s, &cast.alice, "people", json!({"domain": "personal"})).await;
    let url = s.url("/api/v1/datasets/people");
    let (st, v) = call(
        Method::PATCH,
        &url,
        Some(&cast.alice),
        Some(json!({"domain": "government"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{v}"
    );
    let (st, _) = call(
        Method::PATCH,
        &url,
        Some(&cast.admin),
        Some(json!({"domain": "government"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);

    // A refused update changes nothing at all.
    create_dataset(
        &s,
        &cast.alice,
        "closed",
        json!({"opening_type": "not_open", "importance": "important"}),
    )
    .await;
    let url = s.url("/api/v1/datasets/closed");
    let (st, v) = call(
        Method::PATCH,
        &url,
        Some(&cast.alice),
        Some(json!({"title": "Changed", "opening_type": "conditional"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "opening_type_not_allowed")
    );
    let (_, d) = call(Method::GET, &url, None, None).await;
    assert_eq!(d["title"], "Title of closed");

    // A request whose starting point changed since it was filed cannot be approved.
    create_dataset(
        &s,
        &cast.alice,
        "stale",
        json!({"opening_type": "conditional"}),
    )
    .await;
    let (st, v) = call(
        Method::PUT,
        &s.url("/api/v1/datasets/stale/opening-type"),
        Some(&cast.alice),
        Some(json!({"opening_type": "unconditional", "reason": "all L1"})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let id = v["request"]["id"].as_str().unwrap().to_string();
    let (st, _) = call(
        Method::PUT,
        &s.url("/api/v1/datasets/stale/opening-type"),
        Some(&cast.alice),
        Some(json!({"opening_type": "not_open"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let decision = s.url(&format!("/api/v1/change-requests/{id}/decision"));
    let (st, v) = call(
        Method::POST,
        &decision,
        Some(&cast.admin),
        Some(json!({"approve": true})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "stale_request"),
        "{v}"
    );
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/stale"), None, None).await;
    assert_eq!(d["opening_type"], "not_open");
    let (st, _) = call(
        Method::POST,
        &decision,
        Some(&cast.admin),
        Some(json!({"approve": false})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);

    // Tokens minted through the API must expire, and not after the token that minted them.
    let tokens = s.url("/api/v1/tokens");
    let (st, v) = call(
        Method::POST,
        &tokens,
        Some(&cast.alice),
        Some(json!({"name": "forever"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (_, short) = call(
        Method::POST,
        &tokens,
        Some(&cast.alice),
        Some(json!({"name": "short", "days": 1})),
    )
    .await;
    let secret = short["secret"].as_str().unwrap();
    let (st, long) = call(
        Method::POST,
        &tokens,
        Some(secret),
        Some(json!({"name": "long", "days": 300})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    assert!(long["expires_at"].as_i64().unwrap() <= short["expires_at"].as_i64().unwrap());
}

/// Two servers on one database, each with its own search index: a dataset created, renamed and
/// deleted through one is found, found under its new title and then no longer found through the
/// other, which follows the catalog change feed.
#[tokio::test]
async fn a_change_on_one_server_reaches_the_search_of_another() {
    let shared = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", shared.path().join("shared.db").display());
    let a = TestServer::start_with(|c| c.database_url = Some(url.clone())).await;
    let b = TestServer::start_with(|c| c.database_url = Some(url.clone())).await;
    let cast = a.standard_cast().await;
    let names = |s: &TestServer, q: &str| {
        let url = s.url(&format!("/api/3/action/package_search?q={q}"));
        async move {
            let (st, v) = call(Method::GET, &url, None, None).await;
            assert_eq!(st, StatusCode::OK, "{v}");
            v["result"]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    // Eventually, not by a deadline: the follower reads the feed twice a second.
    async fn until<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) {
        for _ in 0..600 {
            if check().await {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the other server's index never caught up");
    }

    let (st, v) =
        create_dataset(&a, &cast.alice, "ferry-piers", json!({"title": "轮渡码头"})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    until(|| async { names(&b, "ferry").await == ["ferry-piers"] }).await;

    let (st, v) = call(
        Method::PATCH,
        &a.url("/api/v1/datasets/ferry-piers"),
        Some(&cast.alice),
        Some(json!({"title": "Waterbus landings"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    until(|| async { names(&b, "waterbus").await == ["ferry-piers"] }).await;

    let (st, v) = call(
        Method::DELETE,
        &a.url("/api/v1/datasets/ferry-piers"),
        Some(&cast.alice),
        None,
    )
    .await;
    assert!(st.is_success(), "{st} {v}");
    until(|| async { names(&b, "ferry").await.is_empty() }).await;
}
