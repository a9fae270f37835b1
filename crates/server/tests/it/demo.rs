//! The demo content covers every grade, opening type and generated format.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeSet;

#[tokio::test]
async fn demo_covers_grades_opening_types_and_formats() {
    let s = TestServer::start_with(|c| {
        c.demo = true;
        c.max_upload_bytes = 64 << 20;
    })
    .await;
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/datasets?limit=100"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let mut grades = BTreeSet::new();
    let mut opening = BTreeSet::new();
    let mut formats = BTreeSet::new();
    let mut encodings = BTreeSet::new();
    let mut column_grades = BTreeSet::new();
    for d in v["datasets"].as_array().unwrap() {
        grades.insert(d["grade"].as_str().unwrap().to_string());
        opening.insert(d["opening_type"].as_str().unwrap().to_string());
        let name = d["name"].as_str().unwrap();
        let (_, full) = call(
            Method::GET,
            &s.url(&format!("/api/v1/datasets/{name}")),
            None,
            None,
        )
        .await;
        for r in full["resources"].as_array().unwrap() {
            for ver in r["versions"].as_array().unwrap() {
                formats.insert(ver["source_format"].as_str().unwrap().to_string());
                if let Some(e) = ver["source_encoding"].as_str() {
                    encodings.insert(e.to_string());
                }
            }
            for c in r["columns"].as_array().unwrap() {
                column_grades.insert(c["grade"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(
        column_grades,
        ["L1", "L2", "L3", "L4"].map(String::from).into()
    );
    assert!(
        grades.contains("L4") && grades.contains("L1") && grades.contains("L2"),
        "{grades:?}"
    );
    assert_eq!(
        opening,
        ["conditional", "not_open", "unconditional"]
            .map(String::from)
            .into()
    );
    for f in ["csv", "tsv", "xlsx", "json", "ndjson", "parquet"] {
        assert!(formats.contains(f), "missing {f}: {formats:?}");
    }
    assert!(
        encodings.contains("GBK") || encodings.contains("GB18030"),
        "{encodings:?}"
    );

    // The personal table's IDs were found and graded L4, the mobiles L3.
    let (_, si) = call(
        Method::GET,
        &s.url("/api/v1/datasets/social-insurance-payers"),
        None,
        None,
    )
    .await;
    let cols = si["resources"][0]["columns"].as_array().unwrap();
    let find = |n: &str| cols.iter().find(|c| c["name"] == n).unwrap();
    assert_eq!(find("身份证号")["grade"], "L4");
    assert_eq!(find("手机号")["grade"], "L3");
    assert_eq!(find("姓名")["grade"], "L3");
    assert_eq!(si["domain"], "personal");

    // A not-open dataset shows its catalog record only, except to its owner.
    let (_, water) = call(
        Method::GET,
        &s.url("/api/v1/datasets/water-network"),
        None,
        None,
    )
    .await;
    assert_eq!(water["columns_withheld"], true);
    assert_eq!(water["resources"][0]["columns"], serde_json::json!([]));
    assert!(water["resources"][0]["versions"]
        .as_array()
        .is_some_and(|v| !v.is_empty()));

    // Loading again is a no-op.
    app::demo::load(&s.app).await.unwrap();
    let (_, again) = call(
        Method::GET,
        &s.url("/api/v1/datasets?limit=100"),
        None,
        None,
    )
    .await;
    assert_eq!(again["total"], v["total"]);
}

#[tokio::test]
async fn demo_refuses_a_database_with_other_content() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let built = server::build(cfg.clone()).await.unwrap();
    app::accounts::create_org(
        &built.app,
        app::accounts::NewOrgInput {
            name: "real-dept".into(),
            title: "A real department".into(),
            kind: model::role::OrgKind::Department,
            uscc: None,
            description: String::new(),
        },
        0,
    )
    .await
    .unwrap_or_else(|e| panic!("{}", e.message));
    drop(built);
    let err = server::build(server::Config { demo: true, ..cfg })
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("empty"), "{err}");
}

#[tokio::test]
async fn demo_demands_cover_every_state_and_an_overdue_one() {
    let s = TestServer::start_with(|c| {
        c.demo = true;
        c.max_upload_bytes = 64 << 20;
    })
    .await;
    let mut states = BTreeSet::new();
    for status in ["open", "accepted", "rejected", "fulfilled", "merged"] {
        let (st, v) = call(
            Method::GET,
            &s.url(&format!("/api/v1/demands?status={status}")),
            None,
            None,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        if v["total"].as_i64().unwrap() > 0 {
            states.insert(status);
        }
    }
    assert_eq!(states.len(), 5, "{states:?}");
    let (_, v) = call(
        Method::GET,
        &s.url("/api/v1/demands?overdue=true"),
        None,
        None,
    )
    .await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["demands"][0]["overdue"], true);
    let (_, v) = call(Method::GET, &s.url("/api/v1/demands"), None, None).await;
    // The most supported comes first: the real-time arrivals, with its duplicate's supports.
    assert_eq!(v["demands"][0]["title"], "公交车辆实时到站数据");
    assert_eq!(v["demands"][0]["support_count"], 2);
    assert_eq!(v["demands"][0]["enterprise"], true);
    // The statistics show the overdue one, and every page of the demands has content.
    let (_, v) = call(Method::GET, &s.url("/api/v1/demands/stats"), None, None).await;
    assert_eq!(v["total"]["overdue"], 1, "{v}");
    assert!(v["total"]["fulfilled"].as_i64().unwrap() >= 1, "{v}");
    assert!(!v["themes"].as_array().unwrap().is_empty(), "{v}");
    let c = client();
    let plan = page_text(&c, s.url("/demands/plan")).await;
    assert!(plan.contains("/demands/"), "{plan}");
    assert!(!plan.contains("暂无已受理"), "{plan}");
}

#[tokio::test]
async fn demo_consultations_are_open_published_and_overdue_and_their_pages_render() {
    let s = TestServer::start_with(|c| {
        c.demo = true;
        c.max_upload_bytes = 64 << 20;
    })
    .await;
    let (st, v) = call(Method::GET, &s.url("/api/v1/consultations"), None, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let list = v["consultations"].as_array().unwrap();
    let phases: BTreeSet<&str> = list.iter().map(|c| c["phase"].as_str().unwrap()).collect();
    assert_eq!(
        phases,
        BTreeSet::from(["open", "closed", "published"]),
        "{v}"
    );
    assert!(list.iter().any(|c| c["overdue"] == true), "{v}");
    let c = client();
    for item in list {
        let id = item["id"].as_str().unwrap();
        let html = page_text(&c, s.url(&format!("/consultations/{id}"))).await;
        assert!(html.contains(item["title"].as_str().unwrap()), "{html}");
        let (st, stats) = call(
            Method::GET,
            &s.url(&format!("/api/v1/consultations/{id}/stats")),
            None,
            None,
        )
        .await;
        assert_eq!(st, StatusCode::OK);
        if item["phase"] == "published" {
            assert_eq!(stats["unanswered"], 0, "{stats}");
            assert_eq!(
                (&stats["smes"], &stats["private_enterprises"]),
                (&json!(1), &json!(1)),
                "{stats}"
            );
            assert!(html.contains("chart/stances.svg"), "{html}");
            let resp = c
                .get(s.url(&format!("/consultations/{id}/chart/participants.svg")))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
        }
    }
    let html = page_text(&c, s.url("/consultations")).await;
    assert!(html.contains("反馈已逾期"), "{html}");
    // The open draft has its explanatory note attached, and it downloads as a PDF.
    let open = list.iter().find(|c| c["phase"] == "open").unwrap();
    let (_, detail) = call(
        Method::GET,
        &s.url(&format!(
            "/api/v1/consultations/{}",
            open["id"].as_str().unwrap()
        )),
        None,
        None,
    )
    .await;
    let a = &detail["attachments"][0];
    assert_eq!(a["name"], "起草说明.pdf", "{detail}");
    let resp = c
        .get(s.url(&format!(
            "/api/v1/consultations/{}/attachments/{}",
            open["id"].as_str().unwrap(),
            a["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4") && bytes.ends_with(b"%%EOF\n"));

    // Every file of the demo (versions, feedback photos, this attachment) belongs to a row: a
    // sweep that would take any file however young removes none of them.
    let files = |s: &TestServer| {
        let root = s.data_dir.clone();
        move |dir: &str| {
            let mut n = 0;
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    if e.path().is_dir() {
                        stack.push(e.path());
                    } else {
                        n += 1;
                    }
                }
            }
            n
        }
    };
    let count = files(&s);
    let before: Vec<usize> = ["versions", "feedback", "attachments"]
        .iter()
        .map(|d| count(d))
        .collect();
    assert!(before.iter().all(|n| *n > 0), "{before:?}");
    let swept = app::catalog::sweep_files(&s.app, app::clock::now_ms() + 60_000)
        .await
        .unwrap();
    assert_eq!(swept, 0);
    let after: Vec<usize> = ["versions", "feedback", "attachments"]
        .iter()
        .map(|d| count(d))
        .collect();
    assert_eq!(after, before);
}

#[tokio::test]
async fn demo_results_are_accepted_on_the_dataset_page() {
    let s = TestServer::start_with(|c| {
        c.demo = true;
        c.max_upload_bytes = 64 << 20;
    })
    .await;
    // One demo result is accepted, the other waits; the public sees which, without the form.
    let page = "/dataset/social-insurance-payers";
    let public = page_text(&client(), s.url(page)).await;
    assert_eq!(public.matches("已认可").count(), 1, "{public}");
    assert!(!public.contains("/accept\""), "{public}");

    // The owning department accepts the waiting one through the portal form.
    let c = client();
    let csrf = login_form_token(&c, &s).await;
    let r = post_login(&c, &s, "hrss", "hrss-demo-2026", &csrf).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page_text(&c, s.url(page)).await;
    let start = html.find("action=\"/access/results/").expect("accept form") + 8;
    let action = &html[start..start + html[start..].find('"').unwrap()];
    let csrf = hidden(&html, "csrf");
    let r = c
        .post(s.url(action))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("{page}?msg=result_accepted"));
    let html = page_text(&c, s.url(&to)).await;
    assert!(html.contains("已认可该成果。"), "{html}");
    assert_eq!(html.matches("已认可</span>").count(), 2, "{html}");
    assert!(!html.contains("action=\"/access/results/"), "{html}");
}

#[tokio::test]
async fn demo_enterprises_differ_in_quality_and_fill_the_leaderboard() {
    let s = TestServer::start_with(|c| {
        c.demo = true;
        c.max_upload_bytes = 64 << 20;
    })
    .await;
    let (_, q) = call(
        Method::GET,
        &s.url("/api/v1/datasets/qiantang-deliveries/quality"),
        None,
        None,
    )
    .await;
    let scores: Vec<f64> = q["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().unwrap())
        .collect();
    assert_eq!(scores.len(), 3, "{q}");
    assert!(scores[0] < scores[1] && scores[1] < scores[2], "{scores:?}");
    assert!(scores[0] < 90.0 && scores[2] >= 90.0, "{scores:?}");
    let (_, board) = call(
        Method::GET,
        &s.url("/api/v1/contribution?kind=enterprise"),
        None,
        None,
    )
    .await;
    let names: Vec<&str> = board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["figures"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{board}");
    assert!(names.contains(&"xihu-tech") && names.contains(&"qiantang-logistics"));
    assert!(board["entries"][0]["index"].as_f64().unwrap() > 0.0);
    let html = page_text(&client(), s.url("/contribution")).await;
    assert!(html.contains("杭州钱塘物流科技有限公司"), "{html}");
}
