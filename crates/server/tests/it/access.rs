//! The governed data service end to end on the demo: who reads what, the application flow,
//! quotas, revocation, and downloads in every format.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A token for a demo user.
pub async fn token(s: &TestServer, username: &str) -> String {
    let user = app::accounts::user_by_username(&s.app, username)
        .await
        .unwrap();
    let (_, secret) = app::auth::create_token(&s.app, &user, "test", None, None)
        .await
        .unwrap();
    secret
}

pub async fn demo() -> TestServer {
    TestServer::start_with(|c| {
        c.demo = true;
        c.max_upload_bytes = 64 << 20;
    })
    .await
}

async fn get(s: &TestServer, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    call(Method::GET, &s.url(path), token, None).await
}

fn field_names(v: &Value) -> Vec<String> {
    v["fields"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn who_reads_what_and_the_application_flow() {
    let s = demo().await;
    let citizen = token(&s, "citizen").await;
    let health = token(&s, "health").await;
    let admin = token(&s, "admin").await;
    let auditor = token(&s, "auditor").await;

    // Unconditional data: anyone reads its L1 columns.
    let (st, v) = get(&s, "/api/v1/datasets/bus-stops/preview", None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["row_count"].as_u64().unwrap() > 0);
    assert_eq!(v["access"]["basis"], "open");

    // Conditional and not-open data: no rows without a grant, for everyone but the owner,
    // the authority and auditors included.
    for who in [
        None,
        Some(citizen.as_str()),
        Some(admin.as_str()),
        Some(auditor.as_str()),
    ] {
        for name in ["outpatient-stats", "water-network"] {
            let (st, v) = get(&s, &format!("/api/v1/datasets/{name}/preview"), who).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{name}: {v}");
            assert_eq!(error_code(&v), "no_access");
        }
    }
    let (st, owner_view) = get(
        &s,
        "/api/v1/datasets/outpatient-stats/preview",
        Some(&health),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(owner_view["access"]["basis"], "owner");
    let all_columns = field_names(&owner_view);
    assert_eq!(all_columns.len(), 4, "{owner_view}");

    // Not-open datasets take no applications.
    let agreement = get(&s, "/api/v1/agreement", None).await.1;
    let hash = agreement["sha256"].as_str().unwrap().to_string();
    let application = |dataset: &str, columns: Vec<String>| {
        json!({
            "dataset": dataset, "columns": columns, "modes": ["api", "download"],
            "duration_days": 30, "daily_row_quota": 25, "purpose_category": "research",
            "purpose": "测试", "scenario": "测试场景", "accept_agreement": hash,
        })
    };
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/applications"),
        Some(&citizen),
        Some(application("water-network", vec!["x".into()])),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_accepting_applications"
        ),
        "{v}"
    );
    // Unknown columns, a wrong agreement hash, a too-long duration: clear 4xx.
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/applications"),
        Some(&citizen),
        Some(application("outpatient-stats", vec!["nope".into()])),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_terms"),
        "{v}"
    );
    let mut stale = application("outpatient-stats", all_columns.clone());
    stale["accept_agreement"] = json!("0".repeat(64));
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/applications"),
        Some(&citizen),
        Some(stale),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "agreement_mismatch"),
        "{v}"
    );
    let mut long = application("outpatient-stats", all_columns.clone());
    long["duration_days"] = json!(400);
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/applications"),
        Some(&citizen),
        Some(long),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_terms"),
        "{v}"
    );

    // The citizen applies for every column; the department narrows to three and approves.
    let (st, app) = call(
        Method::POST,
        &s.url("/api/v1/applications"),
        Some(&citizen),
        Some(application("outpatient-stats", all_columns.clone())),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{app}");
    assert_eq!(app["status"], "submitted");
    assert_eq!(app["agreement_sha256"], json!(hash));
    let id = app["id"].as_str().unwrap().to_string();
    // Only the owning department may review; the applicant may not approve their own.
    for who in [&citizen, &admin] {
        let (st, v) = call(
            Method::POST,
            &s.url(&format!("/api/v1/applications/{id}/review")),
            Some(who),
            Some(json!({"decision": "approve"})),
        )
        .await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    }
    // A reviewer may not widen.
    let (st, v) = call(
        Method::POST,
        &s.url(&format!("/api/v1/applications/{id}/review")),
        Some(&health),
        Some(json!({"decision": "approve", "daily_row_quota": 1000})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_terms"),
        "{v}"
    );
    let granted: Vec<String> = all_columns[..3].to_vec();
    let (st, app) = call(
        Method::POST,
        &s.url(&format!("/api/v1/applications/{id}/review")),
        Some(&health),
        Some(json!({"decision": "approve", "columns": granted, "note": "ok"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{app}");
    assert_eq!(
        app["status"], "approved",
        "no authority step for L1/L2 government data: {app}"
    );
    let grant_id = app["grant_id"].as_str().unwrap().to_string();
    // Deciding twice is a conflict, not a second grant.
    let (st, v) = call(
        Method::POST,
        &s.url(&format!("/api/v1/applications/{id}/review")),
        Some(&health),
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");

    // Now the citizen reads exactly the granted columns; 20 preview rows come off the quota of 25.
    let (st, v) = get(
        &s,
        "/api/v1/datasets/outpatient-stats/preview",
        Some(&citizen),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(field_names(&v), granted);
    assert_eq!(v["access"]["basis"], "grant");
    assert_eq!(v["access"]["quota_remaining"], 5);
    // A query asking for more than is left gets only what is left; then the quota is spent.
    let (st, v) = get(
        &s,
        "/api/v1/datasets/outpatient-stats/query?limit=100",
        Some(&citizen),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["row_count"], 5);
    let (st, v) = get(
        &s,
        "/api/v1/datasets/outpatient-stats/query",
        Some(&citizen),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::TOO_MANY_REQUESTS, "quota_exhausted"),
        "{v}"
    );
    let (st, v) = get(
        &s,
        "/api/v1/datasets/outpatient-stats/download?format=csv",
        Some(&citizen),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::TOO_MANY_REQUESTS, "quota_exhausted"),
        "{v}"
    );

    // The grantee reports a result; it is public.
    let (st, v) = call(
        Method::POST,
        &s.url(&format!("/api/v1/grants/{grant_id}/results")),
        Some(&citizen),
        Some(json!({"kind": "app", "title": "候诊地图", "url": "https://example.org/map"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let result_id = v["id"].as_str().unwrap().to_string();
    assert!(v["accepted_at"].is_null(), "{v}");
    let (_, v) = get(&s, "/api/v1/datasets/outpatient-stats/results", None).await;
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["title"] == "候诊地图"),
        "{v}"
    );

    // The owning department accepts it (the grantee cannot): the reporter earns the result's
    // points once, and a second acceptance is refused.
    let points = |v: &Value| v["lifetime"].as_i64().unwrap();
    let (_, me) = get(&s, "/api/v1/me/points", Some(&citizen)).await;
    let before = points(&me);
    let accept = s.url(&format!("/api/v1/results/{result_id}/accept"));
    let (st, v) = call(Method::POST, &accept, Some(&citizen), None).await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (st, v) = call(Method::POST, &accept, Some(&health), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["accepted_at"].is_i64(), "{v}");
    let (st, v) = call(Method::POST, &accept, Some(&health), None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided")
    );
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/results/nope/accept"),
        Some(&health),
        None,
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::NOT_FOUND, "result_not_found")
    );
    let (_, me) = get(&s, "/api/v1/me/points", Some(&citizen)).await;
    assert_eq!(points(&me) - before, 30, "{me}");

    // Revocation: by the owner (not by the grantee), with a reason; then no access.
    let (st, _) = call(
        Method::POST,
        &s.url(&format!("/api/v1/grants/{grant_id}/revoke")),
        Some(&citizen),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = call(
        Method::POST,
        &s.url(&format!("/api/v1/grants/{grant_id}/revoke")),
        Some(&health),
        Some(json!({"reason": ""})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_terms")
    );
    let (st, v) = call(
        Method::POST,
        &s.url(&format!("/api/v1/grants/{grant_id}/revoke")),
        Some(&health),
        Some(json!({"reason": "用途变更"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "revoked");
    let (st, v) = get(
        &s,
        "/api/v1/datasets/outpatient-stats/preview",
        Some(&citizen),
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "no_access"));
}

#[tokio::test]
async fn personal_data_needs_two_approvals_and_is_masked() {
    let s = demo().await;
    let citizen = token(&s, "citizen").await;
    let hrss = token(&s, "hrss").await;
    let admin = token(&s, "admin").await;

    // The demo citizen already holds a grant on the personal table, scoped to 西湖区.
    let (st, v) = get(
        &s,
        "/api/v1/datasets/social-insurance-payers/query?limit=500&include_total=true",
        Some(&citizen),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let fields = field_names(&v);
    assert!(
        !fields.contains(&"身份证号".to_string()),
        "L4 never without approval: {fields:?}"
    );
    assert!(fields.contains(&"手机号".to_string()));
    let masked: Vec<&str> = v["access"]["masked_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        masked.contains(&"手机号") && masked.contains(&"姓名"),
        "{masked:?}"
    );
    for r in v["records"].as_array().unwrap() {
        assert_eq!(r["所在区"], "西湖区", "the row scope holds");
        let m = r["手机号"].as_str().unwrap();
        assert!(m.contains("****") && m.len() == 11, "masked mobile {m}");
    }
    let (_, owner) = get(
        &s,
        "/api/v1/datasets/social-insurance-payers/query?limit=10&filters={\"所在区\":\"西湖区\"}",
        Some(&hrss),
    )
    .await;
    assert!(owner["records"][0]["手机号"]
        .as_str()
        .unwrap()
        .chars()
        .all(|c| c.is_ascii_digit()));
    assert!(owner["fields"].as_array().unwrap().len() > fields.len());

    // A new application naming the L4 column goes to the authority after the department.
    let hash = get(&s, "/api/v1/agreement", None).await.1["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, app) = call(Method::POST, &s.url("/api/v1/applications"), Some(&citizen), Some(json!({
        "dataset": "social-insurance-payers", "columns": ["身份证号", "所在区"], "modes": ["api"],
        "duration_days": 10, "purpose_category": "public_service", "purpose": "核验", "scenario": "核验场景",
        "accept_agreement": hash,
    }))).await;
    assert_eq!(st, StatusCode::CREATED, "{app}");
    assert_eq!(app["needs_authority"], true);
    let id = app["id"].as_str().unwrap();
    let (st, app) = call(
        Method::POST,
        &s.url(&format!("/api/v1/applications/{id}/review")),
        Some(&hrss),
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{app}");
    assert_eq!(
        (app["status"].as_str(), app["step"].as_str()),
        (Some("submitted"), Some("authority"))
    );
    let (_, queue) = get(&s, "/api/v1/reviews", Some(&admin)).await;
    assert!(queue["applications"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == id));
    // Rejection needs a reason, shown to the applicant.
    let (st, v) = call(
        Method::POST,
        &s.url(&format!("/api/v1/applications/{id}/review")),
        Some(&admin),
        Some(json!({"decision": "reject"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_terms")
    );
    let (st, app) = call(
        Method::POST,
        &s.url(&format!("/api/v1/applications/{id}/review")),
        Some(&admin),
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{app}");
    assert_eq!(app["status"], "approved");
    // With the authority's approval the L4 column is usable masked: first six, last four.
    let (st, v) = get(
        &s,
        "/api/v1/datasets/social-insurance-payers/query?fields=身份证号,所在区&limit=5",
        Some(&citizen),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    for r in v["records"].as_array().unwrap() {
        let id = r["身份证号"].as_str().unwrap();
        assert_eq!(&id[6..14], "********", "{id}");
    }
}

#[tokio::test]
async fn downloads_stream_every_format_with_the_policy_applied() {
    let s = demo().await;
    let citizen = token(&s, "citizen").await;
    for format in ["csv", "json", "ndjson", "parquet", "xlsx"] {
        let resp = client()
            .get(s.url(&format!(
                "/api/v1/datasets/social-insurance-payers/download?format={format}"
            )))
            .bearer_auth(&citizen)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{format}");
        let rows: u64 = resp.headers()["gongshu-row-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(rows > 0);
        let bytes = resp.bytes().await.unwrap();
        match format {
            "csv" => {
                let text = String::from_utf8(bytes.to_vec()).unwrap();
                let mut lines = text.lines();
                let header = lines.next().unwrap();
                assert!(!header.contains("身份证号"), "{header}");
                assert_eq!(lines.count() as u64, rows);
                assert!(!text.lines().skip(1).any(|l| !l.contains("西湖区")));
            }
            "json" => {
                let v: Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(v.as_array().unwrap().len() as u64, rows);
            }
            "ndjson" => assert_eq!(
                bytes
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .count() as u64,
                rows
            ),
            "parquet" => assert_eq!(&bytes[..4], b"PAR1"),
            "xlsx" => assert_eq!(&bytes[..2], b"PK"),
            _ => unreachable!(),
        }
    }
    // Without access there is no download; unknown formats are refused.
    let (st, v) = get(
        &s,
        "/api/v1/datasets/social-insurance-payers/download?format=csv",
        None,
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "no_access"));
    let (st, v) = get(&s, "/api/v1/datasets/bus-stops/download?format=exe", None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
}

#[tokio::test]
async fn rest_query_bad_input_gets_clear_errors() {
    let s = demo().await;
    let cases: &[(&str, &str)] = &[
        ("filters=not-json", "bad_filter"),
        (
            "filters=[{\"column\":\"x\",\"op\":\"drop\",\"value\":1}]",
            "bad_filter",
        ),
        ("filters={\"no_such_column\":1}", "column_not_found"),
        ("fields=no_such_column", "column_not_found"),
        ("sort=no_such_column", "column_not_found"),
        ("sort=-", "bad_sort"),
        ("limit=100000000", "bad_request"),
        ("limit=-1", "bad_request"),
        ("distinct=maybe", "bad_request"),
        ("unknown=1", "bad_request"),
    ];
    for (qs, code) in cases {
        let (st, v) = get(&s, &format!("/api/v1/datasets/bus-stops/query?{qs}"), None).await;
        assert!(st.is_client_error(), "{qs}: {st} {v}");
        assert_eq!(error_code(&v), *code, "{qs}: {v}");
    }
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/sql"),
        None,
        Some(json!({"sql": "DROP TABLE \"bus-stops\""})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "sql_not_select"),
        "{v}"
    );
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/sql"),
        None,
        Some(json!({"sql": "SELEC 1"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "sql_syntax"),
        "{v}"
    );
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/sql"),
        Some("gs_not_a_token"),
        Some(json!({"sql": "SELECT 1"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNAUTHORIZED, "invalid_token"),
        "{v}"
    );
    // A good query for contrast, with a filter that is a DataFusion expression, not SQL text.
    let (st, v) = get(
        &s,
        "/api/v1/datasets/bus-stops/query?limit=3&include_total=true",
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["row_count"], 3);
    assert!(v["total"].as_u64().unwrap() >= 3);
}
