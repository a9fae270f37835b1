//! DCAT-AP 3 exports (validated with pyshacl against the official shapes in
//! `../shared/fixtures/dcat-ap-3.0.0/`, or the directory `GONGSHU_DCAT_SHAPES` names, when
//! `GONGSHU_PYSHACL` is set), Frictionless Data Packages (validated
//! with `frictionless` when `GONGSHU_FRICTIONLESS` is set), the opening list, search in the
//! portal, and the Prometheus metrics.

use crate::access::{demo, token};
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::process::Command;

async fn fetch(s: &TestServer, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = client().get(s.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn pyshacl(file: &std::path::Path, format: &str) -> Option<(bool, String)> {
    let Ok(bin) = std::env::var("GONGSHU_PYSHACL") else {
        eprintln!("pyshacl skipped: set GONGSHU_PYSHACL to run it");
        return None;
    };
    let shapes = std::env::var_os("GONGSHU_DCAT_SHAPES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/fixtures/dcat-ap-3.0.0")
        })
        .join("dcat-ap-SHACL.ttl");
    assert!(
        shapes.exists(),
        "the DCAT-AP shapes are missing at {}",
        shapes.display()
    );
    let out = Command::new(bin)
        .arg("-s")
        .arg(&shapes)
        .args(["-df", format])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    Some((
        out.status.success() && text.contains("Conforms: True"),
        text,
    ))
}

#[tokio::test]
async fn dcat_exports_conform_to_dcat_ap_3() {
    let s = demo().await;
    let dir = tempfile::tempdir().unwrap();
    for (path, format, kind) in [
        ("/catalog.ttl", "turtle", "text/turtle"),
        ("/catalog.jsonld", "json-ld", "application/ld+json"),
        ("/dataset/bus-stops.ttl", "turtle", "text/turtle"),
        (
            "/dataset/social-insurance-payers.jsonld",
            "json-ld",
            "application/ld+json",
        ),
    ] {
        let r = fetch(&s, path, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(kind));
        let body = r.text().await.unwrap();
        assert!(
            body.contains("bus-stops") || path.contains("social"),
            "{path}"
        );
        if format == "json-ld" {
            let v: Value = serde_json::from_str(&body).unwrap();
            assert!(v["@context"].is_object() || v["@context"].is_array());
        } else {
            // Every demo dataset has a measured version: its score is a DQV measurement.
            assert!(body.contains("dqv:QualityMeasurement"), "{path}");
        }
        let file = dir
            .path()
            .join(path.trim_start_matches('/').replace('/', "_"));
        std::fs::write(&file, &body).unwrap();
        if let Some((ok, report)) = pyshacl(&file, format) {
            assert!(ok, "{path} does not conform:\n{report}");
        }
    }
    let r = fetch(&s, "/dataset/nope.ttl", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn data_packages_describe_what_the_caller_may_see() {
    let s = demo().await;
    let r = fetch(&s, "/dataset/bus-stops/datapackage.json", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["name"], "bus-stops");
    let fields = p["resources"][0]["schema"]["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f["name"] == "站点名称"));
    assert!(p["resources"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("http://"));

    // Conditional data: nothing to download without a grant.
    let (st, v) = call(
        Method::GET,
        &s.url("/dataset/social-insurance-payers/datapackage.json"),
        None,
        None,
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "no_access"));
    // The demo citizen's grant: granted columns only, masked ones as strings, the ID absent.
    let citizen = token(&s, "citizen").await;
    let (st, p) = call(
        Method::GET,
        &s.url("/dataset/social-insurance-payers/datapackage.json"),
        Some(&citizen),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let fields = p["resources"][0]["schema"]["fields"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(!names.contains(&"身份证号"), "{names:?}");
    assert!(names.contains(&"所在区"));
    let phone = fields
        .iter()
        .find(|f| f["name"] == "手机号")
        .expect("granted, masked");
    assert_eq!(phone["type"], "string");

    // The real validator downloads the CSV and checks it against the schema.
    let Ok(frictionless) = std::env::var("GONGSHU_FRICTIONLESS") else {
        eprintln!("frictionless skipped: set GONGSHU_FRICTIONLESS to run it");
        return;
    };
    let url = s.url("/dataset/air-quality-daily/datapackage.json");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(frictionless)
            .args(["validate", "--trusted", &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_opening_list_in_three_formats() {
    let s = demo().await;
    let (st, v) = call(Method::GET, &s.url("/api/v1/opening-list"), None, None).await;
    assert_eq!(st, StatusCode::OK);
    let rows = v["datasets"].as_array().unwrap();
    assert_eq!(v["count"].as_u64().unwrap() as usize, rows.len());
    let water = rows.iter().find(|r| r["name"] == "water-network").unwrap();
    assert_eq!(water["opening_type"], "not_open");
    assert!(water["conditions"].as_str().unwrap().contains("不予开放"));
    let payers = rows
        .iter()
        .find(|r| r["name"] == "social-insurance-payers")
        .unwrap();
    assert!(payers["conditions"]
        .as_str()
        .unwrap()
        .contains("数据主管部门复核"));

    let r = fetch(&s, "/api/v1/opening-list?format=csv", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.bytes().await.unwrap();
    assert!(
        csv.starts_with("\u{feff}".as_bytes()),
        "a BOM for spreadsheet programs"
    );
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), rows.len() + 1);
    let r = fetch(&s, "/api/v1/opening-list?format=xlsx", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/opening-list?format=pdf"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );

    let html = page_text(&client(), s.url("/opening-list")).await;
    assert!(html.contains("data-dataset=\"water-network\""));
}

#[tokio::test]
async fn the_portal_searches_with_facets_and_highlights() {
    let s = demo().await;
    let c = client();
    let html = page_text(&c, s.url("/?q=%E7%A9%BA%E6%B0%94%E8%B4%A8%E9%87%8F")).await;
    assert!(
        html.contains("data-dataset=\"air-quality-daily\""),
        "空气质量 finds the air data"
    );
    assert!(html.contains("<mark>"), "matches are highlighted");
    assert!(html.contains("data-facet=\"organization\""));
    // A facet link narrows the result and shows as selected.
    let html = page_text(&c, s.url("/?opening_type=not_open")).await;
    assert!(html.contains("data-dataset=\"water-network\""));
    assert!(!html.contains("data-dataset=\"bus-stops\""));
    assert!(html.contains("aria-current=\"true\""));
    // Odd input is searched, not an error.
    for q in ["%22", "(", "a%3Ab", "AND", "%3Cscript%3E"] {
        let r = c.get(s.url(&format!("/?q={q}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{q}");
        assert!(!r.text().await.unwrap().contains("<script>"));
    }
    // Pinyin finds Chinese titles.
    let html = page_text(&c, s.url("/?q=gongjiao")).await;
    assert!(
        html.contains("data-dataset=\"bus-stops\""),
        "gongjiao → 公交"
    );

    // The index follows catalog changes at once.
    let transport = token(&s, "transport").await;
    let (st, v) = call(
        Method::PATCH,
        &s.url("/api/v1/datasets/bus-stops"),
        Some(&transport),
        Some(serde_json::json!({"description": "含无障碍设施信息 wheelchair access"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let html = page_text(&c, s.url("/?q=wheelchair")).await;
    assert!(html.contains("data-dataset=\"bus-stops\""));
}

#[tokio::test]
async fn metrics_count_requests_deliveries_and_the_log() {
    let s = demo().await;
    for _ in 0..3 {
        assert_eq!(
            fetch(&s, "/api/v1/datasets/bus-stops/preview", None)
                .await
                .status(),
            StatusCode::OK
        );
    }
    let r = fetch(&s, "/metrics", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .to_string()
    };
    let requests = line("gongshu_http_requests_total{route=\"/api/v1/datasets/{name}/preview\",method=\"GET\",status=\"200\"}");
    assert!(requests.ends_with(" 3"), "{requests}");
    assert!(line("gongshu_data_deliveries_total{kind=\"preview\"}").ends_with(" 3"));
    line("gongshu_http_request_duration_seconds_bucket{");
    let log: u64 = line("gongshu_log_entries ")
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(log >= 3);
    let bytes: u64 = line("gongshu_ingested_bytes ")
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(bytes > 0);
}
