//! The CKAN Action API: CKAN's envelope and error shapes, package dicts, search with facets and
//! filter queries, the DataStore actions through the governed data service, and the real
//! `ckanapi` client from PyPI (when `GONGSHU_CKANAPI` names it; the test script sets it).

use crate::access::{demo, token};
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn action(s: &TestServer, name: &str, body: Value, key: Option<&str>) -> (StatusCode, Value) {
    let mut req = client()
        .post(s.url(&format!("/api/3/action/{name}")))
        .json(&body);
    if let Some(k) = key {
        req = req.header("X-CKAN-API-Key", k);
    }
    parse(req.send().await.unwrap()).await
}

fn names(v: &Value) -> Vec<String> {
    v["result"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn catalog_actions_answer_like_ckan() {
    let s = demo().await;
    // GET with query parameters, on both URL forms.
    for path in [
        "/api/3/action/package_show?id=bus-stops",
        "/api/action/package_show?id=bus-stops",
    ] {
        let (st, v) = call(Method::GET, &s.url(path), None, None).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["success"], true);
        assert!(v["help"]
            .as_str()
            .unwrap()
            .ends_with("help_show?name=package_show"));
        let p = &v["result"];
        assert_eq!(p["name"], "bus-stops");
        assert_eq!(p["organization"]["name"], "transport");
        assert_eq!(p["owner_org"], p["organization"]["id"]);
        assert!(p["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "公交"));
        let extras = p["extras"].as_array().unwrap();
        for key in [
            "grade",
            "opening_type",
            "domain",
            "quality_score",
            "quality_letter",
        ] {
            assert!(extras.iter().any(|e| e["key"] == key), "{key} in extras");
        }
        let r = &p["resources"][0];
        assert_eq!(r["name"], "stops");
        assert_eq!(r["datastore_active"], true);
        assert_eq!(r["format"], "CSV");
    }
    let (_, list) = action(&s, "package_list", json!({}), None).await;
    let list = list["result"].as_array().unwrap().clone();
    assert!(list.len() >= 8);
    let (_, orgs) = action(&s, "organization_list", json!({"all_fields": true}), None).await;
    assert!(orgs["result"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "transport" && o["package_count"].as_u64().unwrap() >= 2));
    let (_, org) = action(&s, "organization_show", json!({"id": "health"}), None).await;
    assert_eq!(org["result"]["is_organization"], true);
    let (_, groups) = action(&s, "group_list", json!({}), None).await;
    assert!(groups["result"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g == "交通出行"));
    let (_, tags) = action(&s, "tag_list", json!({}), None).await;
    assert!(tags["result"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "bus"));
    let (_, status) = action(&s, "status_show", json!({}), None).await;
    assert!(status["result"]["ckan_version"]
        .as_str()
        .unwrap()
        .starts_with("2."));

    // Search: Chinese words, facets, filter queries, paging.
    let (st, v) = action(
        &s,
        "package_search",
        json!({"q": "公交", "facet.field": ["organization", "tags", "res_format"], "rows": 5}),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(names(&v).contains(&"bus-stops".to_string()), "{v}");
    assert_eq!(
        v["result"]["count"].as_u64().unwrap() as usize,
        names(&v).len()
    );
    assert!(
        v["result"]["facets"]["organization"]["transport"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert!(v["result"]["search_facets"]["tags"]["items"].is_array());
    let (_, v) = action(
        &s,
        "package_search",
        json!({"fq": "organization:health", "rows": 100}),
        None,
    )
    .await;
    let health = names(&v);
    assert!(!health.is_empty());
    for n in &health {
        let (_, p) = action(&s, "package_show", json!({"id": n}), None).await;
        assert_eq!(p["result"]["organization"]["name"], "health");
    }
    let (_, all) = action(&s, "package_search", json!({"rows": 1, "start": 0}), None).await;
    assert_eq!(
        all["result"]["count"].as_u64().unwrap() as usize,
        list.len()
    );
    assert_eq!(names(&all).len(), 1);
    let (_, v) = action(
        &s,
        "package_search",
        json!({"fq": "+res_format:XLSX opening_type:unconditional"}),
        None,
    )
    .await;
    for n in names(&v) {
        let (_, p) = action(&s, "package_show", json!({"id": n}), None).await;
        assert!(p["result"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["format"] == "XLSX"));
    }
}

#[tokio::test]
async fn errors_have_ckans_shape() {
    let s = demo().await;
    let cases: Vec<(Method, &str, Option<Value>, StatusCode, &str)> = vec![
        (
            Method::GET,
            "/api/3/action/no_such_action",
            None,
            StatusCode::BAD_REQUEST,
            "Bad request",
        ),
        (
            Method::GET,
            "/api/3/action/package_show?id=nope",
            None,
            StatusCode::NOT_FOUND,
            "Not Found Error",
        ),
        (
            Method::GET,
            "/api/3/action/package_show",
            None,
            StatusCode::CONFLICT,
            "Validation Error",
        ),
        (
            Method::GET,
            "/api/3/action/package_search?rows=5000",
            None,
            StatusCode::CONFLICT,
            "Validation Error",
        ),
        (
            Method::GET,
            "/api/3/action/package_search?rows=ten",
            None,
            StatusCode::CONFLICT,
            "Validation Error",
        ),
        (
            Method::GET,
            "/api/3/action/package_search?fq=colour:red",
            None,
            StatusCode::BAD_REQUEST,
            "Search Query Error",
        ),
        (
            Method::GET,
            "/api/3/action/package_search?fq=tags:%22open",
            None,
            StatusCode::BAD_REQUEST,
            "Search Query Error",
        ),
        (
            Method::GET,
            "/api/3/action/package_search?facet.field=%5B%22colour%22%5D",
            None,
            StatusCode::CONFLICT,
            "Validation Error",
        ),
        (
            Method::GET,
            "/api/3/action/package_search?sort=colour%20asc",
            None,
            StatusCode::CONFLICT,
            "Validation Error",
        ),
        (
            Method::GET,
            "/api/3/action/resource_show?id=nope",
            None,
            StatusCode::NOT_FOUND,
            "Not Found Error",
        ),
        (
            Method::GET,
            "/api/3/action/datastore_search?resource_id=nope",
            None,
            StatusCode::NOT_FOUND,
            "Not Found Error",
        ),
        (
            Method::GET,
            "/api/3/action/datastore_search_sql?sql=DROP%20TABLE%20x",
            None,
            StatusCode::CONFLICT,
            "Validation Error",
        ),
        (
            Method::DELETE,
            "/api/3/action/package_show",
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "Bad request",
        ),
    ];
    for (method, path, body, status, kind) in cases {
        let (st, v) = call(method, &s.url(path), None, body).await;
        assert_eq!(st, status, "{path}: {v}");
        assert_eq!(v["success"], false, "{path}: {v}");
        assert_eq!(v["error"]["__type"], kind, "{path}: {v}");
        assert!(v["help"].is_string());
    }
    // Malformed JSON bodies.
    for body in ["{", "[1, 2]"] {
        let r = client()
            .post(s.url("/api/3/action/package_search"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (st, v) = parse(r).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["__type"], "Bad request");
    }
    // A wrong key is refused, not ignored.
    let (st, v) = action(&s, "package_list", json!({}), Some("gs_wrong")).await;
    assert_eq!(
        (st, v["error"]["__type"].as_str()),
        (StatusCode::FORBIDDEN, Some("Authorization Error"))
    );
}

#[tokio::test]
async fn datastore_actions_go_through_the_data_service() {
    let s = demo().await;
    let (_, p) = action(&s, "package_show", json!({"id": "bus-stops"}), None).await;
    let open_id = p["result"]["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, v) = action(
        &s,
        "datastore_search",
        json!({"resource_id": open_id, "limit": 3, "filters": {"所在区": "西湖区"}}),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let records = v["result"]["records"].as_array().unwrap();
    assert!(!records.is_empty() && records.len() <= 3);
    assert!(records.iter().all(|r| r["所在区"] == "西湖区"));
    assert!(v["result"]["total"].as_u64().unwrap() >= records.len() as u64);
    assert!(v["result"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "站点名称"));
    // The access is logged like any other.
    let index = v["result"]["gongshu_log_index"][0].as_u64().unwrap();
    let (_, e) = call(
        Method::GET,
        &s.url(&format!("/log/entries?start={index}&end={}", index + 1)),
        None,
        None,
    )
    .await;
    assert!(e["entries"][0]["data"]
        .as_str()
        .unwrap()
        .contains("data.datastore"));

    // SQL names tables by resource id, as CKAN does.
    let (st, v) = action(
        &s,
        "datastore_search_sql",
        json!({"sql": format!("SELECT count(*) AS n FROM \"{open_id}\"")}),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["result"]["records"][0]["n"].as_u64().unwrap() > 0);

    // Conditional data: no rows without a grant, whichever way it is asked for.
    let (_, p) = action(&s, "package_show", json!({"id": "outpatient-stats"}), None).await;
    let closed_id = p["result"]["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, v) = action(
        &s,
        "datastore_search",
        json!({"resource_id": closed_id}),
        None,
    )
    .await;
    assert_eq!(
        (st, v["error"]["__type"].as_str()),
        (StatusCode::FORBIDDEN, Some("Authorization Error")),
        "{v}"
    );
    let (st, v) = action(
        &s,
        "datastore_search_sql",
        json!({"sql": format!("SELECT * FROM \"{closed_id}\"")}),
        None,
    )
    .await;
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "reported like a table that does not exist: {v}"
    );
    // The owner reads it with a key in either header.
    let health = token(&s, "health").await;
    let (st, v) = action(
        &s,
        "datastore_search",
        json!({"resource_id": closed_id}),
        Some(&health),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let r = client()
        .get(s.url(&format!(
            "/api/3/action/datastore_search?resource_id={closed_id}&limit=1"
        )))
        .header("Authorization", &health)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// The real client from PyPI.
#[tokio::test]
async fn the_ckanapi_client_reads_the_catalog() {
    let Ok(ckanapi) = std::env::var("GONGSHU_CKANAPI") else {
        eprintln!("skipped: set GONGSHU_CKANAPI to the ckanapi executable to run it");
        return;
    };
    let s = demo().await;
    let base = s.base.clone();
    let run = move |args: Vec<String>| {
        let ckanapi = ckanapi.clone();
        let base = base.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                // `dump` starts worker processes named `ckanapi` from PATH.
                let dir = std::path::Path::new(&ckanapi).parent().unwrap();
                let path = format!(
                    "{}:{}",
                    dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                );
                let out = std::process::Command::new(&ckanapi)
                    .env("PATH", path)
                    .args(&args)
                    .args(["-r", &base])
                    .output()
                    .unwrap();
                (
                    out.status.success(),
                    String::from_utf8_lossy(&out.stdout).to_string(),
                    String::from_utf8_lossy(&out.stderr).to_string(),
                )
            })
            .await
            .unwrap()
        }
    };
    let (ok, out, err) = run(vec![
        "action".into(),
        "package_show".into(),
        "id=bus-stops".into(),
    ])
    .await;
    assert!(ok, "{err}");
    let p: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["name"], "bus-stops");

    let (ok, out, err) = run(vec![
        "action".into(),
        "package_search".into(),
        "q=空气质量".into(),
        "rows:5".into(),
    ])
    .await;
    assert!(ok, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert!(
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "air-quality-daily"),
        "{out}"
    );

    // A missing dataset is CKAN's NotFound in the client.
    let (ok, _, err) = run(vec![
        "action".into(),
        "package_show".into(),
        "id=nope".into(),
    ])
    .await;
    assert!(!ok);
    assert!(err.contains("NotFound"), "{err}");

    // `ckanapi dump datasets --all` walks package_list and package_show.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("datasets.jsonl");
    let (ok, _, err) = run(vec![
        "dump".into(),
        "datasets".into(),
        "--all".into(),
        "-O".into(),
        file.to_str().unwrap().into(),
    ])
    .await;
    assert!(ok, "{err}");
    let dumped: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (_, list) = action(&s, "package_list", json!({}), None).await;
    assert_eq!(dumped.len(), list["result"].as_array().unwrap().len());
    assert!(dumped.iter().all(|p| p["organization"]["name"].is_string()));
}
