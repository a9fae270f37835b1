//! The contribution index and the incentive report (C9): figures gathered from the catalog, the
//! versions, their quality and the access log; enterprises and departments ranked apart; the
//! report in CSV and XLSX; publication once per finished period with its SHA-256 in the log.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

async fn get(s: &TestServer, path: &str) -> (StatusCode, Value) {
    call(Method::GET, &s.url(path), None, None).await
}

fn csv(rows: usize, empty_every: usize) -> Vec<u8> {
    let mut out = String::from("id,name,amount\n");
    for i in 0..rows {
        let name = if empty_every > 0 && i % empty_every == 0 {
            String::new()
        } else {
            format!("站点{i}")
        };
        out.push_str(&format!("{i},{name},{}\n", i * 7));
    }
    out.into_bytes()
}

#[tokio::test]
async fn enterprises_and_departments_are_ranked_and_reports_are_published_once() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    use model::role::OrgKind;
    s.org("firm-a", OrgKind::Enterprise, Some("91350100M000100Y43"))
        .await;
    let second = format!(
        "91350100M000200Y4{}",
        model::ident::uscc_check_char("91350100M000200Y4").unwrap()
    );
    s.org("firm-b", OrgKind::Enterprise, Some(&second)).await;
    let a = s
        .user("anna", model::Role::Enterprise, Some("firm-a"))
        .await;
    let b = s
        .user("bert", model::Role::Enterprise, Some("firm-b"))
        .await;
    // A: monthly, described, two clean versions; B: no frequency, one version with gaps.
    let (st, v) = create_dataset(
        &s,
        &a,
        "a-sales",
        json!({"description": "月度门店销售汇总，按门店统计。Monthly store sales.", "update_frequency": "monthly", "license": "CC-BY-4.0", "tags": ["销售"]}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = create_dataset(&s, &b, "b-stock", json!({})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    for bytes in [csv(40, 0), csv(50, 0)] {
        let (st, v) = upload(&s, &a, "a-sales", "sales", "sales.csv", bytes).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v) = upload(&s, &b, "b-stock", "stock", "stock.csv", csv(30, 2)).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    // A's data is used: three queries by its own staff, each a leaf of the log.
    for _ in 0..3 {
        let (st, v) = call(
            Method::GET,
            &s.url("/api/v1/datasets/a-sales/query?limit=5"),
            Some(&a),
            None,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }

    // Per dataset and period: the three queries and the 15 rows they delivered.
    let (st, u) = get(&s, "/api/v1/datasets/a-sales/usage").await;
    assert_eq!(st, StatusCode::OK, "{u}");
    assert_eq!(
        (u["usage"]["queries"].as_i64(), u["usage"]["rows"].as_i64()),
        (Some(3), Some(15)),
        "{u}"
    );
    let (st, u) = get(&s, "/api/v1/datasets/a-sales/usage?period=2025").await;
    assert_eq!(
        (st, u["usage"]["queries"].as_i64()),
        (StatusCode::OK, Some(0))
    );
    let (st, v) = get(&s, "/api/v1/datasets/a-sales/usage?period=soon").await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );

    let (st, board) = get(&s, "/api/v1/contribution?kind=enterprise").await;
    assert_eq!(st, StatusCode::OK, "{board}");
    let entries = board["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{board}");
    let (first, second) = (&entries[0], &entries[1]);
    assert_eq!(first["figures"]["name"], "firm-a", "{board}");
    assert_eq!(
        (first["rank"].as_i64(), second["rank"].as_i64()),
        (Some(1), Some(2))
    );
    let f = &first["figures"];
    assert_eq!(
        (
            f["datasets"].as_i64(),
            f["rows"].as_i64(),
            f["versions"].as_i64()
        ),
        (Some(1), Some(50), Some(2))
    );
    assert_eq!(f["usage"]["queries"], 3, "{board}");
    assert_eq!(f["usage"]["rows"], 15, "{board}");
    assert_eq!(first["regularity"], 1.0);
    assert_eq!(second["regularity"], 0.5);
    assert!(first["quality"].as_f64().unwrap() > second["quality"].as_f64().unwrap());
    assert!(first["responsiveness"].is_null());
    assert!(first["index"].as_f64().unwrap() > second["index"].as_f64().unwrap());

    // Departments are ranked apart, with responsiveness (no demand due: 1).
    let (_, deps) = get(&s, "/api/v1/contribution?kind=department").await;
    let names: Vec<&str> = deps["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["figures"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{deps}");
    assert!(names.contains(&"transport") && names.contains(&"health"));
    assert_eq!(deps["entries"][0]["responsiveness"], 1.0);

    // The report's table in CSV and XLSX; bad periods and kinds are refused.
    let r = client()
        .get(s.url("/api/v1/contribution?kind=enterprise&format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("rank,organization,title,index"));
    assert!(lines[1].starts_with("1,firm-a,"));
    let r = client()
        .get(s.url("/api/v1/contribution?kind=enterprise&format=xlsx"))
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    for q in ["period=2026-13", "period=yesterday", "kind=citizens"] {
        let (st, v) = get(&s, &format!("/api/v1/contribution?{q}")).await;
        assert_eq!(
            (st, error_code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            "{q}"
        );
    }

    // Publication: the authority only, a finished period only, once.
    let url = s.url("/api/v1/incentive-reports");
    let this_month = board["period"].as_str().unwrap().to_string();
    let body = |period: &str| Some(json!({"period": period, "kind": "enterprise"}));
    let (st, v) = call(Method::POST, &url, Some(&a), body("2025-12")).await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (st, v) = call(Method::POST, &url, Some(&cast.admin), body(&this_month)).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        "{v}"
    );
    let (st, report) = call(Method::POST, &url, Some(&cast.admin), body("2025-12")).await;
    assert_eq!(st, StatusCode::CREATED, "{report}");
    assert_eq!(report["entries"], 2);
    let (st, v) = call(Method::POST, &url, Some(&cast.admin), body("2025-12")).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided")
    );
    // The CSV kept is the one hashed, and its hash is in the public leaf.
    let id = report["id"].as_str().unwrap();
    let bytes = client()
        .get(s.url(&format!("/api/v1/incentive-reports/{id}/report.csv")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(report["sha256"], sha);
    let index = report["log_index"].as_i64().unwrap();
    let leaf = client()
        .get(s.url(&format!("/log/entries?start={index}&end={}", index + 1)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        leaf.contains("incentive.published") && leaf.contains(&sha),
        "{leaf}"
    );
    let (_, list) = get(&s, "/api/v1/incentive-reports").await;
    assert_eq!(list[0]["id"], id);
    let (st, v) = get(&s, "/api/v1/incentive-reports/nope").await;
    assert_eq!((st, error_code(&v)), (StatusCode::NOT_FOUND, "not_found"));

    // The portal: the leaderboard with its chart, the reports, the formula; the authority
    // publishes through the form.
    let html = page_text(&client(), s.url("/contribution")).await;
    assert!(
        html.contains("id=\"contribution\"") && html.contains(&sha),
        "{html}"
    );
    assert!(!html.contains("action=\"/contribution/publish\""));
    let r = client()
        .get(s.url("/contribution/chart.svg?kind=department"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = page_text(&client(), s.url("/contribution/formula")).await;
    assert!(html.contains("0.25 V + 0.30 Q"), "{html}");
    let admin = sign_in(&s, "admin").await;
    let html = page_text(&admin, s.url("/contribution")).await;
    let csrf = hidden(&html, "csrf");
    let r = admin
        .post(s.url("/contribution/publish"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("period", "2025"),
            ("kind", "department"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post(s.url("/contribution/publish"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("period", "2025"),
            ("kind", "department"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
}

#[tokio::test]
async fn catalog_harvests_count_in_usage_but_not_in_the_index() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    for name in ["stop-counts", "bus-lines"] {
        let (st, v) = create_dataset(&s, &cast.alice, name, json!({})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let harvests = |name: &'static str| {
        let url = s.url(&format!("/api/v1/datasets/{name}/usage"));
        async move {
            let (st, u) = call(Method::GET, &url, None, None).await;
            assert_eq!(st, StatusCode::OK, "{u}");
            u["usage"]["harvests"].as_i64().unwrap()
        }
    };
    let (_, deps) = get(&s, "/api/v1/contribution?kind=department").await;
    let index_before = deps["entries"][0]["index"].clone();
    assert_eq!(
        (harvests("stop-counts").await, harvests("bus-lines").await),
        (0, 0)
    );

    // CKAN: two package_show of one record, one package_search; DCAT: the catalog in both
    // serialisations and one dataset document.
    for _ in 0..2 {
        let (st, v) = get(&s, "/api/3/action/package_show?id=stop-counts").await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let (st, found) = get(&s, "/api/3/action/package_search?rows=10").await;
    assert_eq!(st, StatusCode::OK, "{found}");
    let listed = |name: &str| {
        found["result"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == name)
            .count() as i64
    };
    // A search that returns no records harvests nothing.
    let (st, _) = get(&s, "/api/3/action/package_search?rows=0").await;
    assert_eq!(st, StatusCode::OK);
    for path in [
        "/catalog.ttl",
        "/catalog.jsonld",
        "/dataset/stop-counts.ttl",
    ] {
        let r = client().get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    // A plain page view is not a harvest.
    let r = client()
        .get(s.url("/dataset/stop-counts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    assert_eq!(harvests("stop-counts").await, 2 + listed("stop-counts") + 3);
    assert_eq!(harvests("bus-lines").await, listed("bus-lines") + 2);
    // Reported with the organization's usage, but not weighted in its index.
    let (_, deps) = get(&s, "/api/v1/contribution?kind=department").await;
    let transport = deps["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["figures"]["name"] == "transport")
        .unwrap();
    assert_eq!(
        transport["figures"]["usage"]["harvests"].as_i64(),
        Some((2 + listed("stop-counts") + 3) + (listed("bus-lines") + 2)),
        "{deps}"
    );
    assert_eq!(deps["entries"][0]["index"], index_before, "{deps}");
    // The report lists them.
    let r = client()
        .get(s.url("/api/v1/contribution?kind=department&format=csv"))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(text.lines().next().unwrap().contains("harvests"), "{text}");
}
