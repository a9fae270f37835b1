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
    // metadata 1 − 0.3/5 (neither the resource nor its columns are described):
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
            ("missing_column_descriptions", "", 3),
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

/// The first version's rows with ids that break the key: row 18 has no id, row 19 repeats id 3
/// with other values (a repeated key, not a repeated row).
fn keyed_csv() -> Vec<u8> {
    let mut csv = String::from("id,a,b\n");
    for i in 0..20 {
        let id = match i {
            18 => String::new(),
            19 => "3".to_string(),
            _ => i.to_string(),
        };
        csv.push_str(&format!("{id},站点{i},{}.5\n", i * 3));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn the_data_dictionary_describes_columns_and_its_key_is_checked_from_the_next_upload() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (st, v) = create_dataset(
        &s,
        &cast.alice,
        "stop-counts",
        json!({
            "description": "全市公交站点每月客流统计，按站点汇总。Monthly passenger counts by stop.",
            "opening_type": "unconditional"
        }),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let path = "/api/v1/datasets/stop-counts/resources/counts/dictionary";
    let put = |token: Option<&str>, body: Value| {
        let (url, token) = (s.url(path), token.map(str::to_string));
        async move { call(Method::PUT, &url, token.as_deref(), Some(body)).await }
    };
    // No resource yet, then a resource but nothing to describe before a version exists.
    let (st, _) = get(&s, path).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
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
    let (st, d) = get(&s, path).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    let names: Vec<&str> = d["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["id", "a", "b"]);
    assert_eq!(
        (d["version"].as_i64(), d["described"].as_i64()),
        (Some(1), Some(0))
    );
    let (_, q) = get(&s, "/api/v1/datasets/stop-counts/quality").await;
    let before = q["score"].as_f64().unwrap();

    // Bad input: a clear 4xx that changes nothing.
    let good = json!({"columns": [
        {"column": "id", "description": "站点编号", "key": true},
        {"column": "a", "description": "站点名称"},
        {"column": "b", "description": "月客流，万人次"}
    ]});
    let (st, _) = put(None, good.clone()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = put(Some(&cast.bob), good.clone()).await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    for (body, needle) in [
        (
            json!({"columns": [{"column": "区县", "description": "x"}]}),
            "区县",
        ),
        (
            json!({"columns": [{"column": "a"}, {"column": "a"}]}),
            "twice",
        ),
        (
            json!({"columns": [{"column": "a", "description": "长".repeat(501)}]}),
            "500",
        ),
        (
            json!({"columns": [{"column": "a", "description": "联系 13812345678"}]}),
            "public",
        ),
        (json!({"columns": [{"column": "a", "description": 5}]}), ""),
    ] {
        let (st, v) = put(Some(&cast.alice), body.clone()).await;
        assert!(st.is_client_error(), "{body} → {st} {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(needle),
            "{v}"
        );
    }
    let (_, d) = get(&s, path).await;
    assert_eq!(d["described"], 0, "{d}");

    // Saved: descriptions count in the metadata quality at once.
    let (st, d) = put(Some(&cast.alice), good).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(
        (d["described"].as_i64(), d["key"].clone()),
        (Some(3), json!(["id"]))
    );
    assert_eq!(d["columns"][2]["description"], "月客流，万人次");
    let (_, q) = get(&s, "/api/v1/datasets/stop-counts/quality").await;
    assert!(close(&q["score"], before + 0.45), "{before} → {q}");
    assert!(
        !q["issues"]
            .to_string()
            .contains("missing_column_descriptions"),
        "{q}"
    );
    // The dataset view and the Frictionless schema carry them.
    let (_, view) = get(&s, "/api/v1/datasets/stop-counts").await;
    assert_eq!(view["resources"][0]["columns"][0]["key"], true, "{view}");
    assert_eq!(
        view["resources"][0]["columns"][1]["description"],
        "站点名称"
    );
    let (st, pkg) = get(&s, "/dataset/stop-counts/datapackage.json").await;
    assert_eq!(st, StatusCode::OK, "{pkg}");
    let schema = &pkg["resources"][0]["schema"];
    assert_eq!(schema["primaryKey"], json!(["id"]), "{pkg}");
    assert_eq!(schema["fields"][1]["description"], "站点名称");
    // CKAN's DataStore gives them as its data dictionary does (`info.notes`).
    let (_, p) = get(&s, "/api/3/action/package_show?id=stop-counts").await;
    let id = p["result"]["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, ds) = get(
        &s,
        &format!("/api/3/action/datastore_search?resource_id={id}&limit=1"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{ds}");
    let fields = ds["result"]["fields"].as_array().unwrap();
    let b = fields.iter().find(|f| f["id"] == "b").unwrap();
    assert_eq!(b["info"]["notes"], "月客流，万人次", "{ds}");

    // The next upload checks the key: one repeated id and one empty id, no repeated row.
    let (st, v) = upload(
        &s,
        &cast.alice,
        "stop-counts",
        "counts",
        "counts.csv",
        keyed_csv(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, q) = get(&s, "/api/v1/datasets/stop-counts/quality").await;
    let found: Vec<(String, String, u64)> = q["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["dimension"] == "uniqueness")
        .map(|i| {
            (
                i["rule"].as_str().unwrap().to_string(),
                i["column"].as_str().unwrap_or("").to_string(),
                i["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("duplicate_keys".to_string(), "id".to_string(), 1),
            ("empty_keys".to_string(), "id".to_string(), 1)
        ],
        "{q}"
    );
    let uniqueness = q["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dimension"] == "uniqueness")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert!((uniqueness - 0.9).abs() < 1e-9, "{q}");

    // The portal: the owner's form keeps what was typed when refused, then saves.
    let c = sign_in(&s, "alice").await;
    let form = page_text(&c, s.url("/dataset/stop-counts/dictionary?resource=counts")).await;
    assert!(form.contains("月客流，万人次"), "{form}");
    // No row order yet: "none" is the choice.
    assert!(
        form.contains(r#"id="o-none" type="radio" name="order" value="" checked"#),
        "{form}"
    );
    let csrf = hidden(&form, "csrf");
    let send = |a: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("resource", "counts".to_string()),
            ("column", "id".to_string()),
            ("description", "站点编号".to_string()),
            ("key", "id".to_string()),
            ("column", "a".to_string()),
            ("description", a.to_string()),
            ("column", "b".to_string()),
            ("description", "客流量（新说明）".to_string()),
            ("order", "b".to_string()),
        ]
    };
    let r = c
        .post(s.url("/dataset/stop-counts/dictionary"))
        .form(&send("身份证 11010519491231002X"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\"") && html.contains("客流量（新说明）"),
        "{html}"
    );
    // The chosen order comes back with the rest of what was typed.
    assert!(html.contains(r#"name="order" value="b" checked"#), "{html}");
    let r = c
        .post(s.url("/dataset/stop-counts/dictionary"))
        .form(&send("站点中文名"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = page_text(&c, s.url("/dataset/stop-counts?msg=dictionary")).await;
    assert!(
        page.contains("站点中文名") && page.contains("客流量（新说明）"),
        "{page}"
    );
    assert!(page.contains("行顺序"), "{page}");
    // Another department's staff cannot open the form.
    let other = sign_in(&s, "bob").await;
    let r = other
        .get(s.url("/dataset/stop-counts/dictionary?resource=counts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_not_open_datasets_dictionary_is_withheld_like_its_columns() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (st, v) = create_dataset(
        &s,
        &cast.alice,
        "closed-counts",
        json!({"opening_type": "not_open"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = upload(
        &s,
        &cast.alice,
        "closed-counts",
        "counts",
        "counts.csv",
        first_csv(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let path = "/api/v1/datasets/closed-counts/resources/counts/dictionary";
    let (st, v) = call(
        Method::PUT,
        &s.url(path),
        Some(&cast.alice),
        Some(json!({"columns": [{"column": "a", "description": "站点名称"}]})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, d) = get(&s, path).await;
    assert_eq!(
        (
            d["withheld"].as_bool(),
            d["columns"].as_array().map(Vec::len)
        ),
        (Some(true), Some(0)),
        "{d}"
    );
    assert!(!d.to_string().contains("站点名称"));
    let (_, d) = call(Method::GET, &s.url(path), Some(&cast.bob), None).await;
    assert_eq!(d["withheld"], true);
    let (_, d) = call(Method::GET, &s.url(path), Some(&cast.alice), None).await;
    assert_eq!(
        (d["withheld"].as_bool(), d["described"].as_i64()),
        (Some(false), Some(1)),
        "{d}"
    );
}

/// A CSV with a `day` column out of order and a `seq` column numbering the rows as they came.
fn days_csv() -> Vec<u8> {
    let mut csv = String::from("seq,day,count\n");
    for i in 0..40 {
        let day = (i * 17) % 28 + 1;
        csv.push_str(&format!("{i},2026-02-{day:02},{}\n", i * 3));
    }
    csv.into_bytes()
}

/// The `day` column of a dataset's download, in the order the file holds the rows.
async fn downloaded_days(s: &TestServer, dataset: &str) -> Vec<String> {
    let r = client()
        .get(s.url(&format!("/api/v1/datasets/{dataset}/download?format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect()
}

/// The stored layout of a resource's version `number`.
async fn stored(s: &TestServer, dataset: &str, number: i64) -> ingest::StoredLayout {
    let d = app::catalog::load_dataset(&s.app, dataset).await.unwrap();
    let r = app::catalog::resources(&s.app, &d).await.unwrap().remove(0);
    let v = app::catalog::versions(&s.app, &r)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.number == number)
        .unwrap();
    ingest::stored_layout(&s.data_dir.join(&v.path)).unwrap()
}

#[tokio::test]
async fn a_declared_row_order_sorts_the_next_upload_and_earlier_versions_only_when_rewritten() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (st, v) = create_dataset(
        &s,
        &cast.alice,
        "daily-counts",
        json!({"opening_type": "unconditional"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = upload(
        &s,
        &cast.alice,
        "daily-counts",
        "counts",
        "d.csv",
        days_csv(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let came = downloaded_days(&s, "daily-counts").await;
    let mut sorted = came.clone();
    sorted.sort();
    assert_ne!(came, sorted, "the upload is out of order");

    let path = "/api/v1/datasets/daily-counts/resources/counts/dictionary";
    let put = |body: Value| {
        let (url, token) = (s.url(path), cast.alice.clone());
        async move { call(Method::PUT, &url, Some(&token), Some(body)).await }
    };
    // One order at most, with the reason.
    let (st, v) = put(json!({"columns": [
        {"column": "day", "order": true}, {"column": "seq", "order": true}
    ]}))
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("one column"),
        "{v}"
    );
    let (st, d) = put(json!({"columns": [{"column": "day", "order": true}]})).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["order"], "day", "{d}");
    let day = d["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "day")
        .unwrap();
    assert_eq!(day["order"], true);
    // The dataset page marks the column.
    let (_, page) = get(&s, "/api/v1/datasets/daily-counts").await;
    assert!(page.to_string().contains("\"order\":true"), "{page}");

    // The stored version is not touched by the declaration.
    assert_eq!(
        stored(&s, "daily-counts", 1).await.sorted_by.as_deref(),
        Some("seq")
    );
    assert_eq!(downloaded_days(&s, "daily-counts").await, came);

    // The next upload is written in the declared order.
    let (st, v) = upload(
        &s,
        &cast.alice,
        "daily-counts",
        "counts",
        "d.csv",
        days_csv(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(
        stored(&s, "daily-counts", 2).await.sorted_by.as_deref(),
        Some("day")
    );
    assert_eq!(downloaded_days(&s, "daily-counts").await, sorted);

    // The explicit rewrite sorts version 1, and leaves version 2, already in order, alone.
    let done = app::catalog::rewrite_versions(&s.app, Some("daily-counts"), false)
        .await
        .unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(
        (done[0].number, done[0].sorted_by.as_deref()),
        (1, Some("day"))
    );
    assert_eq!(
        stored(&s, "daily-counts", 1).await.sorted_by.as_deref(),
        Some("day")
    );
    let again = app::catalog::rewrite_versions(&s.app, Some("daily-counts"), false)
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
}
