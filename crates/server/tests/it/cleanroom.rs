//! The fusion clean room (C6) over HTTP on the demo: the researcher's clean room over the
//! department's insured wages and the enterprise's roster, refusals that name their rule, who may
//! see and query, the grant's details, the ε budget charged and exhausted, the auditor's detail,
//! and applying for a clean room.

use crate::access::{demo, token};
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const EXAMPLE: &str = app::demo::EXAMPLE_CLEANROOM_SQL;

/// Calls and expects the refusal `(status, code)`.
async fn refused(
    method: Method,
    url: &str,
    who: Option<&str>,
    body: Option<Value>,
    expected: (StatusCode, &str),
) {
    let (st, v) = call(method, url, who, body).await;
    assert_eq!((st, error_code(&v)), expected, "{v}");
}

async fn room_id(s: &TestServer, research: &str) -> String {
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/cleanrooms"),
        Some(research),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["cleanrooms"][0]["id"].as_str().unwrap().to_string()
}

async fn run(
    s: &TestServer,
    who: &str,
    room: &str,
    sql: &str,
    epsilon: Option<f64>,
) -> (StatusCode, Value, Option<String>) {
    let mut body = json!({"cleanroom": room, "sql": sql});
    if let Some(e) = epsilon {
        body["epsilon"] = json!(e);
    }
    let resp = client()
        .post(s.url("/api/v1/cleanroom/query"))
        .bearer_auth(who)
        .json(&body)
        .send()
        .await
        .unwrap();
    let header = resp
        .headers()
        .get("Gongshu-Log-Index")
        .map(|h| h.to_str().unwrap().to_string());
    let (st, v) = parse(resp).await;
    (st, v, header)
}

/// The (column, role) pairs of a part's clean-room view.
fn roles(part: &Value) -> Vec<(String, String)> {
    part["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every citizen ID of the demo's clean-room tables, read as their owner.
async fn citizen_ids(s: &TestServer) -> Vec<String> {
    let hrss = token(s, "hrss").await;
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/datasets/employment-insurance-wages/query?limit=2000&fields=身份证号"),
        Some(&hrss),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["身份证号"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_demo_clean_room_answers_aggregates_and_refuses_the_rest() {
    let s = demo().await;
    let research = token(&s, "research").await;
    let room = room_id(&s, &research).await;
    let (st, v) = call(
        Method::GET,
        &s.url(&format!("/api/v1/cleanrooms/{room}")),
        Some(&research),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["ready"], true, "{v}");
    assert_eq!(v["min_entities"], 10);
    assert_eq!(v["parts"][0]["table"], "employment_insurance_wages");
    assert_eq!(v["parts"][1]["join_keys"], json!(["身份证号"]));
    let roles = roles(&v["parts"][0]);
    assert!(
        roles.contains(&("身份证号".into(), "join_key".into())),
        "{roles:?}"
    );
    assert!(
        roles.contains(&("月缴费工资".into(), "measure".into())),
        "{roles:?}"
    );
    assert!(
        roles.contains(&("所在区".into(), "dimension".into())),
        "{roles:?}"
    );

    let ids = citizen_ids(&s).await;
    assert!(ids.len() > 1000);
    let (st, v, header) = run(&s, &research, &room, EXAMPLE, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let text = v.to_string();
    assert!(
        !ids.iter().any(|id| text.contains(id.as_str())),
        "a raw ID in {text}"
    );
    assert!(
        v["suppressed_groups"].as_u64().unwrap() >= 1,
        "淳安县's few people: {v}"
    );
    assert!(!text.contains("淳安县"), "{text}");
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 20, "five districts by four industries: {v}");
    for r in records {
        assert!(r["人数"].as_i64().unwrap() >= 10, "{r}");
    }
    assert_eq!(v["epsilon_spent"], 0.0, "the demo's policies need no noise");
    // One leaf per dataset read, in the header and the body.
    let indexes: Vec<u64> = header
        .unwrap()
        .split(',')
        .map(|i| i.trim().parse().unwrap())
        .collect();
    assert_eq!(indexes.len(), 2);
    assert_eq!(v["log_index"], json!(indexes));
    // The auditor reads the query and the number of groups removed in the private detail.
    let auditor = token(&s, "auditor").await;
    let (st, d) = call(
        Method::GET,
        &s.url(&format!("/api/v1/log/entries/{}/detail", indexes[0])),
        Some(&auditor),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    let detail = d.to_string();
    assert!(detail.contains("suppressed_groups"), "{detail}");
    assert!(detail.contains("flexible_workers"), "{detail}");

    // Refusals name their rule; none carries a raw identifier.
    for (sql, rule) in [
        ("SELECT 身份证号 FROM employment_insurance_wages", "must_aggregate"),
        (
            "SELECT 身份证号, COUNT(*) FROM employment_insurance_wages GROUP BY 身份证号",
            "identifier_use",
        ),
        (
            "SELECT 所在区, MAX(月缴费工资) FROM employment_insurance_wages GROUP BY 所在区",
            "extremes",
        ),
        (
            "SELECT 月缴费工资, COUNT(*) FROM employment_insurance_wages GROUP BY 月缴费工资",
            "dimension_grade",
        ),
        (
            "SELECT w.所在区, COUNT(*) FROM employment_insurance_wages w JOIN flexible_workers f ON w.所在区 = f.行业 GROUP BY w.所在区",
            "join_condition",
        ),
    ] {
        let (st, v, header) = run(&s, &research, &room, sql, None).await;
        assert_eq!(
            (st, error_code(&v)),
            (StatusCode::BAD_REQUEST, "cleanroom_refused"),
            "{sql}: {v}"
        );
        assert!(v["error"]["message"].as_str().unwrap().contains(rule), "{sql}: {v}");
        assert!(header.is_none(), "a refusal is not a delivery");
        let text = v.to_string();
        assert!(!ids.iter().any(|id| text.contains(id.as_str())), "{text}");
    }

    // The owners see the clean room but do not query it; others do not see it.
    let hrss = token(&s, "hrss").await;
    let (st, _) = call(
        Method::GET,
        &s.url(&format!("/api/v1/cleanrooms/{room}")),
        Some(&hrss),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v, _) = run(&s, &hrss, &room, EXAMPLE, None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{v}"
    );
    let citizen = token(&s, "citizen").await;
    for (st, v) in [
        call(
            Method::GET,
            &s.url(&format!("/api/v1/cleanrooms/{room}")),
            Some(&citizen),
            None,
        )
        .await,
        {
            let (st, v, _) = run(&s, &citizen, &room, EXAMPLE, None).await;
            (st, v)
        },
    ] {
        assert_eq!(
            (st, error_code(&v)),
            (StatusCode::NOT_FOUND, "cleanroom_not_found"),
            "{v}"
        );
    }

    // The grant's details name the clean room, its datasets, the join keys and the budget.
    let (st, grants) = call(Method::GET, &s.url("/api/v1/grants"), Some(&research), None).await;
    assert_eq!(st, StatusCode::OK, "{grants}");
    let grant_id = grants["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["dataset"] == "flexible-workers")
        .and_then(|g| g["id"].as_str())
        .unwrap()
        .to_string();
    let (st, g) = call(
        Method::GET,
        &s.url(&format!("/api/v1/grants/{grant_id}")),
        Some(&research),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{g}");
    assert_eq!(g["cleanroom"]["id"], json!(room), "{g}");
    assert_eq!(g["cleanroom"]["join_keys"], json!(["身份证号"]));
    assert_eq!(
        g["cleanroom"]["datasets"],
        json!(["employment-insurance-wages", "flexible-workers"])
    );
    assert_eq!(g["cleanroom"]["epsilon_budget"], 1.0);
}

#[tokio::test]
async fn noise_spends_the_budget_until_it_is_exhausted() {
    let s = demo().await;
    let research = token(&s, "research").await;
    let hrss = token(&s, "hrss").await;
    let room = room_id(&s, &research).await;
    // The department now requires noise on its table.
    let (st, v) = call(
        Method::PUT,
        &s.url("/api/v1/datasets/employment-insurance-wages/cleanroom-policy"),
        Some(&hrss),
        Some(json!({
            "entity_columns": ["身份证号"],
            "join_keys": ["身份证号"],
            "noise": true,
            "bounds": [{"column": "月缴费工资", "lower": 0, "upper": 50000}],
        })),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["policy"]["noise"], true);
    assert_eq!(v["policy"]["min_entities"], 10);
    // The policy is public; a citizen may read it but not change it.
    let citizen = token(&s, "citizen").await;
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/datasets/employment-insurance-wages/cleanroom-policy"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (st, v["policy"]["noise"].clone()),
        (StatusCode::OK, json!(true))
    );
    refused(
        Method::PUT,
        &s.url("/api/v1/datasets/employment-insurance-wages/cleanroom-policy"),
        Some(&citizen),
        Some(json!({"entity_columns": ["身份证号"]})),
        (StatusCode::FORBIDDEN, "forbidden"),
    )
    .await;
    refused(
        Method::PUT,
        &s.url("/api/v1/datasets/employment-insurance-wages/cleanroom-policy"),
        Some(&hrss),
        Some(json!({"entity_columns": ["nope"]})),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy"),
    )
    .await;

    let sql = "SELECT 所在区, COUNT(*) AS n, SUM(月缴费工资) AS total FROM employment_insurance_wages GROUP BY 所在区";
    let mut left = 1.0;
    for _ in 0..2 {
        let (st, v, _) = run(&s, &research, &room, sql, Some(0.4)).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        left -= 0.4;
        assert!(
            (v["epsilon_spent"].as_f64().unwrap() - 0.4).abs() < 1e-9,
            "{v}"
        );
        assert!(
            (v["epsilon_left"].as_f64().unwrap() - left).abs() < 1e-9,
            "{v}"
        );
        assert_eq!(v["noisy_values"], 2);
    }
    let (st, v, header) = run(&s, &research, &room, sql, Some(0.4)).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "budget_exhausted"),
        "{v}"
    );
    assert!(header.is_none());
    // What is left can still be spent; then nothing noisy runs, at any ε.
    let (st, v, _) = run(&s, &research, &room, sql, Some(0.2)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["epsilon_left"].as_f64().unwrap().abs() < 1e-9, "{v}");
    let (st, v, _) = run(&s, &research, &room, sql, Some(0.01)).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "budget_exhausted"),
        "{v}"
    );
    // A bad ε is the caller's error.
    let (st, v, _) = run(&s, &research, &room, sql, Some(-1.0)).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        "{v}"
    );
    let (st, v) = call(
        Method::GET,
        &s.url(&format!("/api/v1/cleanrooms/{room}")),
        Some(&research),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["epsilon_spent"], 1.0, "{v}");
}

#[tokio::test]
async fn a_clean_room_is_one_application_per_dataset() {
    let s = demo().await;
    let carol = token(&s, "citizen").await;
    let (st, agreement) = call(Method::GET, &s.url("/api/v1/agreement"), None, None).await;
    assert_eq!(st, StatusCode::OK);
    let hash = agreement["sha256"].as_str().unwrap();
    let input = |datasets: Value| {
        json!({
            "title": "测试融合",
            "datasets": datasets,
            "purpose_category": "research",
            "purpose": "研究",
            "scenario": "聚合分析",
            "duration_days": 30,
            "accept_agreement": hash,
        })
    };
    let part = |d: &str, c: &[&str]| json!({"dataset": d, "columns": c});
    // A dataset without a clean-room policy cannot be fused; one dataset is not a clean room.
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/cleanrooms"),
        Some(&carol),
        Some(input(json!([
            part("flexible-workers", &["身份证号", "行业"]),
            part("social-insurance-payers", &["所在区"]),
        ]))),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "no_cleanroom_policy"),
        "{v}"
    );
    refused(
        Method::POST,
        &s.url("/api/v1/cleanrooms"),
        Some(&carol),
        Some(input(json!([part("flexible-workers", &["行业"])]))),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_terms"),
    )
    .await;
    let (st, apps) = call(
        Method::GET,
        &s.url("/api/v1/applications"),
        Some(&carol),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let before = apps["applications"].as_array().unwrap().len();
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/cleanrooms"),
        Some(&carol),
        Some(input(json!([
            part(
                "employment-insurance-wages",
                &["身份证号", "所在区", "月缴费工资"]
            ),
            part("flexible-workers", &["身份证号", "行业", "月薪"]),
        ]))),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["ready"], false);
    assert_eq!(v["epsilon_budget"], 1.0);
    for p in v["parts"].as_array().unwrap() {
        assert_eq!(p["status"], "submitted", "{p}");
        assert!(p["grant_id"].is_null());
    }
    let (_, apps) = call(
        Method::GET,
        &s.url("/api/v1/applications"),
        Some(&carol),
        None,
    )
    .await;
    assert_eq!(apps["applications"].as_array().unwrap().len(), before + 2);
    // Each part waits in its owner's queue; until all are granted, queries wait too.
    let enterprise = token(&s, "enterprise").await;
    let (_, queue) = call(
        Method::GET,
        &s.url("/api/v1/reviews"),
        Some(&enterprise),
        None,
    )
    .await;
    let part_id = v["parts"][1]["application_id"].as_str().unwrap();
    assert!(
        queue["applications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == part_id),
        "{queue}"
    );
    let room = v["id"].as_str().unwrap();
    let (st, v, _) = run(&s, &carol, room, EXAMPLE, None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "cleanroom_not_ready"),
        "{v}"
    );
}

/// A client signed in to the portal as a demo user.
async fn demo_sign_in(s: &TestServer, user: &str) -> reqwest::Client {
    let c = client();
    let csrf = login_form_token(&c, s).await;
    let r = post_login(&c, s, user, &format!("{user}-demo-2026"), &csrf).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    c
}

#[tokio::test]
async fn the_portal_explains_the_rules_runs_queries_and_takes_policies_and_applications() {
    let s = demo().await;
    let ids = citizen_ids(&s).await;
    let research = demo_sign_in(&s, "research").await;
    let overview = page_text(&research, s.url("/cleanroom")).await;
    assert!(
        overview.contains("灵活就业人员收入与参保研究"),
        "{overview}"
    );
    for rule in [
        "identifier_use",
        "extremes",
        "must_aggregate",
        "join_condition",
    ] {
        assert!(overview.contains(rule), "the rules are listed: {rule}");
    }
    let marker = "href=\"/cleanroom/";
    let start = overview.find(marker).unwrap() + marker.len();
    let id: String = overview[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let page = page_text(&research, s.url(&format!("/cleanroom/{id}"))).await;
    assert!(page.contains("employment_insurance_wages"), "{page}");
    assert!(
        page.contains("JOIN flexible_workers"),
        "the example is filled in"
    );
    let csrf = hidden(&page, "csrf");
    let post = |sql: &str| {
        research
            .post(s.url(&format!("/cleanroom/{id}")))
            .form(&[("csrf", csrf.as_str()), ("sql", sql), ("epsilon", "")])
            .send()
    };
    let r = post(EXAMPLE).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"cleanroom-result\""), "{html}");
    let at = html.find("id=\"suppressed\">").unwrap() + "id=\"suppressed\">".len();
    let suppressed: u64 = html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    assert!(suppressed >= 1, "淳安县's groups are removed: {html}");
    assert!(!ids.iter().any(|i| html.contains(i.as_str())));
    let r = post("SELECT 身份证号, COUNT(*) FROM employment_insurance_wages GROUP BY 身份证号")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("identifier_use"), "{html}");
    assert!(
        html.contains("GROUP BY 身份证号</textarea>"),
        "the query is kept: {html}"
    );

    // The owner declares a stricter policy on the dataset page.
    let hrss = demo_sign_in(&s, "hrss").await;
    let page = page_text(&hrss, s.url("/dataset/employment-insurance-wages")).await;
    assert!(page.contains("action=\"/dataset/employment-insurance-wages/cleanroom-policy\""));
    let r = hrss
        .post(s.url("/dataset/employment-insurance-wages/cleanroom-policy"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("entity_columns", "身份证号"),
            ("join_keys", "身份证号"),
            ("min_entities", "15"),
            ("bounds", "月缴费工资 0 60000"),
            ("max_rows_per_entity", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = call(
        Method::GET,
        &s.url("/api/v1/datasets/employment-insurance-wages/cleanroom-policy"),
        None,
        None,
    )
    .await;
    assert_eq!(v["policy"]["min_entities"], 15, "{v}");
    assert_eq!(v["policy"]["bounds"][0]["upper"], 60000.0, "{v}");
    // Someone else's dataset page shows the policy without the form.
    let citizen = demo_sign_in(&s, "citizen").await;
    let page = page_text(&citizen, s.url("/dataset/employment-insurance-wages")).await;
    assert!(page.contains("id=\"cleanroom\""));
    assert!(!page.contains("/cleanroom-policy\""));

    // A citizen applies through the form; the choices are kept after an error.
    let form = page_text(&citizen, s.url("/cleanroom/apply")).await;
    let csrf = hidden(&form, "csrf");
    let sha = hidden(&form, "agreement_sha256");
    let mut fields: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("agreement_sha256", &sha),
        ("title", "门户申请"),
        ("dataset", "employment-insurance-wages"),
        ("columns:employment-insurance-wages", "身份证号"),
        ("columns:employment-insurance-wages", "所在区"),
        ("dataset", "flexible-workers"),
        ("columns:flexible-workers", "身份证号"),
        ("columns:flexible-workers", "行业"),
        ("purpose_category", "research"),
        ("purpose", "研究"),
        ("scenario", "聚合"),
        ("duration_days", "30"),
        ("epsilon_budget", "2"),
    ];
    let r = citizen
        .post(s.url("/cleanroom/apply"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the agreement is not ticked"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"门户申请\""), "{html}");
    fields.push(("accept", "yes"));
    let r = citizen
        .post(s.url("/cleanroom/apply"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let overview = page_text(&citizen, s.url("/cleanroom?msg=applied")).await;
    assert!(overview.contains("门户申请"), "{overview}");
}

#[tokio::test]
async fn an_organization_fuses_its_own_data_under_the_same_rules() {
    let s = demo().await;
    let enterprise = token(&s, "enterprise").await;
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/cleanrooms"),
        Some(&enterprise),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let own = v["cleanrooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "本企业灵活就业人员的参保情况")
        .unwrap_or_else(|| panic!("the demo's own-data clean room: {v}"))
        .clone();
    // Its own part has no application; the bureau's was approved; so it is ready.
    assert_eq!(own["holder"], true, "{own}");
    let (mine, theirs) = (&own["parts"][0], &own["parts"][1]);
    assert_eq!(mine["dataset"], "flexible-workers");
    assert_eq!(
        (
            mine["own"].as_bool(),
            mine["application_id"].is_null(),
            mine["status"].is_null()
        ),
        (Some(true), true, true),
        "{mine}"
    );
    assert_eq!(
        (theirs["own"].as_bool(), theirs["status"].as_str()),
        (Some(false), Some("approved"))
    );
    assert_eq!(own["ready"], true, "{own}");
    // Its own identifiers are pseudonyms like the bureau's, and k counts on both tables.
    let roles = roles(mine);
    assert!(
        roles.contains(&("身份证号".to_string(), "join_key".to_string())),
        "{roles:?}"
    );
    let room = own["id"].as_str().unwrap();
    let sql = "SELECT w.所在区, COUNT(*) AS 人数, AVG(w.参保月数) AS 平均参保月数 \
               FROM flexible_workers f JOIN employment_insurance_wages w ON f.身份证号 = w.身份证号 \
               GROUP BY w.所在区";
    let (st, v, receipt) = run(&s, &enterprise, room, sql, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(receipt.is_some());
    let rows = v["records"].as_array().unwrap();
    assert!(!rows.is_empty(), "{v}");
    assert!(
        rows.iter().all(|r| r["人数"].as_i64().unwrap() >= 10),
        "{v}"
    );
    let text = v.to_string();
    for id in citizen_ids(&s).await {
        assert!(!text.contains(&id));
    }
    // Its own identifier column cannot be output or grouped on either.
    for bad in [
        "SELECT f.身份证号, COUNT(*) FROM flexible_workers f JOIN employment_insurance_wages w ON f.身份证号 = w.身份证号 GROUP BY f.身份证号",
        "SELECT w.所在区, MAX(f.月薪) FROM flexible_workers f JOIN employment_insurance_wages w ON f.身份证号 = w.身份证号 GROUP BY w.所在区",
    ] {
        let (st, v, _) = run(&s, &enterprise, room, bad, None).await;
        assert_eq!((st, error_code(&v)), (StatusCode::BAD_REQUEST, "cleanroom_refused"), "{bad}: {v}");
    }
    // The bureau sees the clean room its data is in, and may not query it.
    let hrss = token(&s, "hrss").await;
    let (_, v) = call(Method::GET, &s.url("/api/v1/cleanrooms"), Some(&hrss), None).await;
    let seen = v["cleanrooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == room)
        .unwrap()
        .clone();
    assert_eq!(seen["holder"], false);
    let (st, v, _) = run(&s, &hrss, room, sql, None).await;
    assert!(st.is_client_error(), "{v}");

    // A clean room of nothing but its own data is refused: it may query that directly.
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/datasets"),
        Some(&enterprise),
        Some(json!({"name": "worker-shifts", "title": "班次记录"})),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let mut csv = String::from("身份证号,班次\n");
    for id in citizen_ids(&s).await.iter().take(30) {
        csv.push_str(&format!("{id},早班\n"));
    }
    let (st, v) = upload(
        &s,
        &enterprise,
        "worker-shifts",
        "shifts",
        "shifts.csv",
        csv.into_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = call(
        Method::PUT,
        &s.url("/api/v1/datasets/worker-shifts/cleanroom-policy"),
        Some(&enterprise),
        Some(json!({"entity_columns": ["身份证号"], "join_keys": ["身份证号"]})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, agreement) = call(Method::GET, &s.url("/api/v1/agreement"), None, None).await;
    let (st, v) = call(
        Method::POST,
        &s.url("/api/v1/cleanrooms"),
        Some(&enterprise),
        Some(json!({
            "title": "只有自己的数据",
            "datasets": [
                {"dataset": "flexible-workers", "columns": []},
                {"dataset": "worker-shifts", "columns": []}
            ],
            "purpose_category": "research",
            "purpose": "研究",
            "scenario": "聚合分析",
            "duration_days": 30,
            "accept_agreement": agreement["sha256"],
        })),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_terms"),
        "{v}"
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("own"),
        "{v}"
    );
}

/// The files in the data directory's keyed copies.
fn keyed_copies(s: &TestServer) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(s.data_dir.join(app::catalog::KEYED_DIR))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test]
async fn keyed_copies_are_made_once_and_go_with_their_versions() {
    let s = demo().await;
    let research = token(&s, "research").await;
    let room = room_id(&s, &research).await;
    let (st, first, _) = run(&s, &research, &room, EXAMPLE, None).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    let copies = keyed_copies(&s);
    assert_eq!(copies.len(), 2, "one per dataset of the room: {copies:?}");
    let (st, second, _) = run(&s, &research, &room, EXAMPLE, None).await;
    assert_eq!(st, StatusCode::OK, "{second}");
    assert_eq!(first["records"], second["records"]);
    assert_eq!(keyed_copies(&s), copies, "read, not written again");
    // Files in the keyed directory that belong to no version, or were left half written, are
    // removed at start; the copies of versions that exist are kept.
    std::fs::write(s.data_dir.join("keyed/0000-gone.0123.parquet"), b"PAR1").unwrap();
    let half = copies[0].with_extension("parquet.00ff.tmp");
    std::fs::write(&half, b"PAR1").unwrap();
    let store = store::connect(&s.config.effective_database_url())
        .await
        .unwrap();
    let removed = app::catalog::clean_data_dir(&store, &s.data_dir)
        .await
        .unwrap();
    assert_eq!(removed, 2);
    assert_eq!(keyed_copies(&s), copies);
    // Deleting a dataset deletes its copies with its versions.
    let hrss = token(&s, "hrss").await;
    let (st, v) = call(
        Method::DELETE,
        &s.url("/api/v1/datasets/employment-insurance-wages"),
        Some(&hrss),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{v}");
    assert_eq!(keyed_copies(&s).len(), 1, "{:?}", keyed_copies(&s));
}
