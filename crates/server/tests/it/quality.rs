//! Data quality (C9): a version's score from what ingest measured, the dataset's score with its
//! metadata and the clock, what to fix first, the history, the quality points, and the pages.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn get(s: &TestServer, path: &str) -> (StatusCode, Value) {
    call(Method::GET, &s.url(path), None, None).await
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 0.006)
}

/// 20 rows: `id` unique; `a` empty in rows 0..6; `b` numbers but `N/A` in row 5.
fn first_csv() -> Vec<u8> {
    let mut csv = String::from("id,a,b\n");
    for i in 0..20 {
        let a = if i < 6 {
            String::new()
        } else {
            format!("站点{i}")
        };
        let b = if i == 5 {
            "N/A".to_string()
        } else {
            format!("{}.5", i * 3)
        };
        csv.push_str(&format!("{i},{a},{b}\n"));
    }
    csv.into_bytes()
}

/// The same without `a`, rows 18 and 19 repeating rows 0 and 1.
fn second_csv() -> Vec<u8> {
    let mut csv = String::from("id,b\n");
    for i in 0..20 {
        let k = if i >= 18 { i - 18 } else { i };
        let b = if k == 5 {
            "N/A".to_string()
        } else {
            format!("{}.5", k * 3)
        };
        csv.push_str(&format!("{k},{b}\n"));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn versions_are_scored_as_documented_and_the_dataset_follows_the_clock() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (st, v) = create_dataset(
        &s,
        &cast.alice,
        "stop-counts",
        json!({
            "description": "全市公交站点每月客流统计，按站点汇总。Monthly passenger counts by stop.",
            "themes": ["交通出行"],
            "tags": ["公交"],
            "spatial": "杭州市",
            "temporal": "2026",
            "license": "CC-BY-4.0",
            "contact": "transport@example.gov.cn",
            "update_frequency": "monthly"
        }),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, q) = get(&s, "/api/v1/datasets/stop-counts/quality").await;
    assert_eq!(st, StatusCode::OK, "{q}");
    assert!(q["score"].is_null() && q["history"].as_array().unwrap().is_empty());

    let (st, v) = upload(
        &s,
        &cast.alice,
        "stop-counts",
        "counts",
        "counts.csv",
        first_csv(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, q) = get(&s, "/api/v1/datasets/stop-counts/quality").await;
    // completeness 1 − 6/60, validity 1 − 1/54, uniqueness, consistency and timeliness 1,
    // metadata 1 − 0.3/5 (the resource has no description):
    // 100 × (0.25 × 0.9 + 0.2 × 53/54 + 0.15 + 0.1 + 0.15 + 0.15 × 0.94) = 96.23.
    assert!(close(&q["score"], 96.23), "{q}");
    assert_eq!(q["letter"], "A");
    let values: Vec<f64> = q["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["value"].as_f64().unwrap())
        .collect();
    assert!(
        (values[0] - 0.9).abs() < 1e-9 && (values[1] - 53.0 / 54.0).abs() < 1e-9,
        "{q}"
    );
    let issues: Vec<(&str, &str, u64)> = q["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["rule"].as_str().unwrap(),
                i["column"].as_str().unwrap_or(""),
                i["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        issues,
        [
            ("empty_cells", "a", 6),
            ("missing_resource_descriptions", "", 0),
            ("invalid_cells", "b", 1)
        ],
        "{q}"
    );
    assert!(close(&q["issues"][0]["points"], 2.5), "{q}");
    // The dataset record carries the score for listings.
    let (_, d) = get(&s, "/api/v1/datasets/stop-counts").await;
    assert!(close(&d["quality_score"], 96.23), "{d}");

    // The second version drops `a` and repeats two rows: consistency 1 − 1/3, uniqueness 0.9.
    let (st, v) = upload(
        &s,
        &cast.alice,
        "stop-counts",
        "counts",
        "counts.csv",
        second_csv(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, q) = get(&s, "/api/v1/datasets/stop-counts/quality").await;
    // 100 × (0.25 + 0.2 × 39/40 + 0.15 × 0.9 + 0.1 × 2/3 + 0.15 + 0.141) = 93.77.
    assert!(close(&q["score"], 93.77), "{q}");
    let rules: Vec<&str> = q["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"duplicate_rows") && rules.contains(&"column_removed"),
        "{q}"
    );
    let history = q["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        (
            history[0]["version"].as_i64(),
            history[1]["version"].as_i64()
        ),
        (Some(1), Some(2))
    );
    assert!(close(&history[0]["score"], 96.23));

    // Both passed the threshold (80) in one month: the uploader earned the points once.
    let (_, me) = call(
        Method::GET,
        &s.url("/api/v1/me/points"),
        Some(&cast.alice),
        None,
    )
    .await;
    assert_eq!(me["lifetime"], 50, "{me}");

    // Timeliness over a simulated clock: monthly, 62 days later it is half; 93 days, none.
    let dataset = app::catalog::load_dataset(&s.app, "stop-counts")
        .await
        .unwrap();
    let now = app::clock::now_ms();
    let at = |days: i64| app::quality::of_dataset(&s.app, &dataset, now + days * 86_400_000);
    let timeliness = |q: &app::quality::DatasetQuality| q.current.as_ref().unwrap().dimensions[4].1;
    assert_eq!(timeliness(&at(30).await.unwrap()), 1.0);
    assert!((timeliness(&at(62).await.unwrap()) - 0.5).abs() < 0.02);
    let late = at(93).await.unwrap();
    assert_eq!(timeliness(&late), 0.0);
    let stale = late
        .current
        .unwrap()
        .issues
        .into_iter()
        .find(|i| i.rule == "stale")
        .unwrap();
    assert!(stale.count >= 61, "{stale:?}");

    // The pages: the dataset's section, its charts, and the formula.
    let html = page_text(&client(), s.url("/dataset/stop-counts")).await;
    assert!(
        html.contains("id=\"quality-issues\"") && html.contains("93.8"),
        "{html}"
    );
    for chart in ["history.svg", "dimensions.svg"] {
        let r = client()
            .get(s.url(&format!("/dataset/stop-counts/quality/{chart}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{chart}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml"));
    }
    let r = client()
        .get(s.url("/dataset/stop-counts/quality/nope.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let html = page_text(&client(), s.url("/quality")).await;
    assert!(html.contains("完整性") && html.contains("25.0"), "{html}");
    let (st, v) = get(&s, "/api/v1/datasets/nope/quality").await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::NOT_FOUND, "dataset_not_found")
    );
}
