//! Data demands (C8) through the API: filing with the personal-information check, supports,
//! comments, the department's answer, fulfilment, transfer, merging, the log, and bad input
//! that changes nothing.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn file(s: &TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    call(
        Method::POST,
        &s.url("/api/v1/demands"),
        Some(token),
        Some(body),
    )
    .await
}

fn demand(title: &str, department: &str) -> Value {
    json!({
        "title": title,
        "description": "按月的公交站点客流，用于线路优化研究。",
        "fields": ["站点", "月份", "客流"],
        "purpose_category": "research",
        "department": department,
    })
}

async fn post(s: &TestServer, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    call(Method::POST, &s.url(path), Some(token), Some(body)).await
}

async fn get(s: &TestServer, path: &str) -> Value {
    let (st, v) = call(Method::GET, &s.url(path), None, None).await;
    assert_eq!(st, StatusCode::OK, "{path}: {v}");
    v
}

#[tokio::test]
async fn a_demand_is_filed_supported_answered_and_fulfilled_in_public() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (st, d) = file(&s, &cast.carol, demand("公交站点月客流", "transport")).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let id = d["id"].as_str().unwrap().to_string();
    assert_eq!(d["status"], "open");
    assert_eq!(d["department"], "transport");
    assert_eq!(d["target_title"], "transport title");
    assert_eq!(d["enterprise"], false);
    assert_eq!(d["overdue"], false);
    assert_eq!(d["fields"], json!(["站点", "月份", "客流"]));

    // Support: once per person, not one's own, withdrawable.
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/support"),
        &cast.bob,
        json!({}),
    )
    .await;
    assert_eq!(
        (st, v["support_count"].clone()),
        (StatusCode::OK, json!(1)),
        "{v}"
    );
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/support"),
        &cast.bob,
        json!({}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_supported")
    );
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/support"),
        &cast.carol,
        json!({}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (st, v) = call(
        Method::DELETE,
        &s.url(&format!("/api/v1/demands/{id}/support")),
        Some(&cast.bob),
        None,
    )
    .await;
    assert_eq!((st, v["support_count"].clone()), (StatusCode::OK, json!(0)));
    post(
        &s,
        &format!("/api/v1/demands/{id}/support"),
        &cast.admin,
        json!({}),
    )
    .await;

    // A comment, then the list.
    let (st, c) = post(
        &s,
        &format!("/api/v1/demands/{id}/comments"),
        &cast.bob,
        json!({"body": "卫健委也需要这份数据。"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let list = get(&s, &format!("/api/v1/demands/{id}/comments")).await;
    assert_eq!(list["comments"].as_array().unwrap().len(), 1);

    // Only the department asked answers; the authority does not answer for it.
    let today = time::OffsetDateTime::now_utc().date();
    let planned = (today + time::Duration::days(30)).to_string();
    let accept = json!({"decision": "accept", "planned_date": planned, "text": "计划下月开放。"});
    for wrong in [&cast.bob, &cast.admin, &cast.carol] {
        let (st, v) = post(
            &s,
            &format!("/api/v1/demands/{id}/answer"),
            wrong,
            accept.clone(),
        )
        .await;
        assert_eq!(
            (st, error_code(&v)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{v}"
        );
    }
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/answer"),
        &cast.alice,
        accept.clone(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["answer"], "计划下月开放。");
    assert!(v["planned_at"].as_i64().is_some());
    // Answering twice is refused and changes nothing.
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/answer"),
        &cast.alice,
        json!({"decision": "reject", "reason": "other", "text": "改主意了"}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided"),
        "{v}"
    );
    assert_eq!(
        get(&s, &format!("/api/v1/demands/{id}")).await["status"],
        "accepted"
    );

    // Fulfilled by the department's own dataset only.
    create_dataset(&s, &cast.bob, "clinic-visits", json!({})).await;
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/fulfil"),
        &cast.alice,
        json!({"dataset": "clinic-visits"}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    create_dataset(&s, &cast.alice, "stop-flows", json!({})).await;
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/fulfil"),
        &cast.alice,
        json!({"dataset": "stop-flows"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "fulfilled");
    assert_eq!(v["fulfilled_dataset"], "stop-flows");

    // No more supports or comments on a closed demand.
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/comments"),
        &cast.bob,
        json!({"body": "谢谢"}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "demand_closed")
    );

    // The public history, and the log's leaves.
    let h = get(&s, &format!("/api/v1/demands/{id}/history")).await;
    let kinds: Vec<&str> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["filed", "accept", "fulfil"]);
    let log = get(&s, "/log/entries?start=0&end=100").await;
    let leaves: Vec<Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str(e["data"].as_str().unwrap()).unwrap())
        .collect();
    let demand_kinds: Vec<&str> = leaves
        .iter()
        .filter_map(|l| l["kind"].as_str())
        .filter(|k| k.starts_with("demand."))
        .collect();
    assert_eq!(
        demand_kinds,
        ["demand.filed", "demand.accepted", "demand.fulfilled"]
    );
    let fulfilled = leaves
        .iter()
        .find(|l| l["kind"] == "demand.fulfilled")
        .unwrap();
    assert_eq!(fulfilled["dataset"], "stop-flows");
    assert_eq!(fulfilled["purpose"], "research");
    // The citizen appears under a pseudonym, the department by name.
    let filed = leaves.iter().find(|l| l["kind"] == "demand.filed").unwrap();
    assert!(
        filed["actor"].as_str().unwrap().starts_with("user:"),
        "{filed}"
    );
    assert!(!filed.to_string().contains("carol"));
}

#[tokio::test]
async fn personal_information_in_a_demand_is_refused_without_echoing_it() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let mut body = demand("需要数据", "transport");
    body["description"] = json!("请联系我 13812345678。");
    let (st, v) = file(&s, &cast.carol, body).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "personal_information")
    );
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("mobile number"), "{msg}");
    assert!(!msg.contains("13812345678"), "{msg}");
    let mut body = demand("身份证 11010519491231002X 的记录", "transport");
    body["fields"] = json!([]);
    let (st, v) = file(&s, &cast.carol, body).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "personal_information")
    );
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("citizen ID"));
    // Nothing was filed.
    assert_eq!(get(&s, "/api/v1/demands").await["total"], 0);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let cases = [
        (
            json!({"title": "x", "description": "y", "purpose_category": "research"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"title": "x", "description": "y", "purpose_category": "research", "department": "transport", "theme": "交通"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"title": "x", "description": "y", "purpose_category": "research", "department": "authority"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"title": "x", "description": "y", "purpose_category": "research", "department": "nowhere"}),
            StatusCode::NOT_FOUND,
            "organization_not_found",
        ),
        (
            json!({"title": "x", "description": "y", "purpose_category": "research", "department": "transport", "extends": "nothing"}),
            StatusCode::NOT_FOUND,
            "dataset_not_found",
        ),
        (
            json!({"title": "", "description": "y", "purpose_category": "research", "department": "transport"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"title": "字".repeat(201), "description": "y", "purpose_category": "research", "department": "transport"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"title": "x", "description": "y", "purpose_category": "gossip", "department": "transport"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            json!({"title": "x", "description": "y", "purpose_category": "research", "department": "transport", "color": "red"}),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
    ];
    for (body, status, code) in cases {
        let (st, v) = file(&s, &cast.carol, body.clone()).await;
        assert_eq!((st, error_code(&v)), (status, code), "{body}: {v}");
    }
    // Anonymous callers cannot file.
    let (st, _) = call(
        Method::POST,
        &s.url("/api/v1/demands"),
        None,
        Some(demand("x", "transport")),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&s, "/api/v1/demands").await["total"], 0);

    let (_, d) = file(&s, &cast.carol, demand("公交客流", "transport")).await;
    let id = d["id"].as_str().unwrap();
    let answer = format!("/api/v1/demands/{id}/answer");
    let yesterday = (time::OffsetDateTime::now_utc().date() - time::Duration::days(2)).to_string();
    for (body, code) in [
        (json!({"decision": "accept"}), "invalid_field"),
        (
            json!({"decision": "accept", "planned_date": yesterday}),
            "invalid_field",
        ),
        (
            json!({"decision": "accept", "planned_date": "next week"}),
            "invalid_field",
        ),
        (
            json!({"decision": "reject", "text": "不行"}),
            "invalid_field",
        ),
        (
            json!({"decision": "reject", "reason": "other"}),
            "invalid_field",
        ),
        (
            json!({"decision": "reject", "reason": "other", "text": "请拨打 13812345678"}),
            "invalid_field",
        ),
    ] {
        let (st, v) = post(&s, &answer, &cast.alice, body.clone()).await;
        assert_eq!(
            (st, error_code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{body}: {v}"
        );
    }
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/fulfil"),
        &cast.alice,
        json!({"dataset": "x"}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::NOT_FOUND, "dataset_not_found"),
        "{v}"
    );
    create_dataset(&s, &cast.alice, "flows", json!({})).await;
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/fulfil"),
        &cast.alice,
        json!({"dataset": "flows"}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided"),
        "an open demand is not fulfilled: {v}"
    );
    let (st, v) = call(Method::GET, &s.url("/api/v1/demands/nope"), None, None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::NOT_FOUND, "demand_not_found")
    );
    let v = get(&s, &format!("/api/v1/demands/{id}")).await;
    assert_eq!(v["status"], "open");
    let h = get(&s, &format!("/api/v1/demands/{id}/history")).await;
    assert_eq!(h["history"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_authority_transfers_and_merges_and_supports_are_counted_once() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let dave = s.user("dave", model::Role::Citizen, None).await;
    let (_, a) = file(&s, &cast.carol, demand("医院门诊量", "transport")).await;
    let a = a["id"].as_str().unwrap().to_string();
    // Misrouted: only the authority moves it; the new department answers.
    let (st, _) = post(
        &s,
        &format!("/api/v1/demands/{a}/transfer"),
        &cast.alice,
        json!({"department": "health"}),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{a}/transfer"),
        &cast.admin,
        json!({"department": "health"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["department"], "health");
    assert_eq!(v["status"], "open");

    let (_, b) = file(&s, &dave, demand("门诊量数据", "health")).await;
    let b = b["id"].as_str().unwrap().to_string();
    // Bob and Dave support A; Bob and Carol support B. After merging B into A, A counts Bob
    // once: Bob, Dave, Carol.
    post(
        &s,
        &format!("/api/v1/demands/{a}/support"),
        &cast.bob,
        json!({}),
    )
    .await;
    post(
        &s,
        &format!("/api/v1/demands/{a}/support"),
        &dave,
        json!({}),
    )
    .await;
    post(
        &s,
        &format!("/api/v1/demands/{b}/support"),
        &cast.bob,
        json!({}),
    )
    .await;
    post(
        &s,
        &format!("/api/v1/demands/{b}/support"),
        &cast.carol,
        json!({}),
    )
    .await;
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{b}/merge"),
        &cast.alice,
        json!({"into": a}),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{b}/merge"),
        &cast.bob,
        json!({"into": a}),
    )
    .await;
    assert_eq!(
        st,
        StatusCode::OK,
        "staff of the department both ask may merge: {v}"
    );
    assert_eq!(v["id"], a);
    assert_eq!(v["support_count"], 3);
    let merged = get(&s, &format!("/api/v1/demands/{b}")).await;
    assert_eq!(merged["status"], "merged");
    assert_eq!(merged["merged_into"], a);
    assert_eq!(merged["support_count"], 0);
    // Merged duplicates leave the default list.
    let list = get(&s, "/api/v1/demands").await;
    assert_eq!(list["total"], 1);
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{b}/merge"),
        &cast.bob,
        json!({"into": a}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided")
    );
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{a}/merge"),
        &cast.admin,
        json!({"into": a}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // Rejected with a reason; listing by state and department.
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{a}/answer"),
        &cast.bob,
        json!({"decision": "reject", "reason": "security_or_law", "text": "涉及患者隐私，依法不予开放。"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["rejection_reason"], "security_or_law");
    let list = get(&s, "/api/v1/demands?status=rejected&department=health").await;
    assert_eq!(list["total"], 1);
    let list = get(&s, "/api/v1/demands?status=open").await;
    assert_eq!(list["total"], 0);
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/demands?sort=loudest"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (st, _) = call(Method::GET, &s.url("/api/v1/demands?limit=0"), None, None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn theme_demands_are_answered_by_the_authority() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let mut body = demand("城市低空经济数据", "transport");
    body.as_object_mut().unwrap().remove("department");
    body["theme"] = json!("低空经济");
    let (st, d) = file(&s, &cast.carol, body).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    assert_eq!(d["target_title"], "低空经济");
    assert_eq!(d["department"], Value::Null);
    let id = d["id"].as_str().unwrap();
    let reject = json!({"decision": "reject", "reason": "no_such_data", "text": "暂无此类数据。"});
    let (st, _) = post(
        &s,
        &format!("/api/v1/demands/{id}/answer"),
        &cast.alice,
        reject.clone(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{id}/answer"),
        &cast.admin,
        reject,
    )
    .await;
    assert_eq!(
        (st, v["status"].clone()),
        (StatusCode::OK, json!("rejected")),
        "{v}"
    );
    let list = get(
        &s,
        "/api/v1/demands?theme=%E4%BD%8E%E7%A9%BA%E7%BB%8F%E6%B5%8E",
    )
    .await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn statistics_plan_and_exports_count_what_was_filed_and_answered() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    s.org(
        "acme",
        model::role::OrgKind::Enterprise,
        Some("91350100M000100Y43"),
    )
    .await;
    let acme = s.user("erin", model::Role::Enterprise, Some("acme")).await;
    let mut ids = Vec::new();
    for (who, title) in [
        (&cast.carol, "公交站点月客流"),
        (&acme, "公交线路调度"),
        (&cast.carol, "出租车上客点"),
    ] {
        let (st, d) = file(&s, who, demand(title, "transport")).await;
        assert_eq!(st, StatusCode::CREATED, "{d}");
        ids.push(d["id"].as_str().unwrap().to_string());
    }
    let mut theme = demand("低空航线", "transport");
    theme.as_object_mut().unwrap().remove("department");
    theme["theme"] = json!("低空经济");
    let (st, _) = file(&s, &cast.carol, theme).await;
    assert_eq!(st, StatusCode::CREATED);
    post(
        &s,
        &format!("/api/v1/demands/{}/support", ids[0]),
        &cast.bob,
        json!({}),
    )
    .await;
    let planned = (time::OffsetDateTime::now_utc().date() + time::Duration::days(30)).to_string();
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{}/answer", ids[0]),
        &cast.alice,
        json!({"decision": "accept", "planned_date": planned, "text": "下月开放。"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = post(
        &s,
        &format!("/api/v1/demands/{}/answer", ids[1]),
        &cast.alice,
        json!({"decision": "reject", "reason": "security_or_law", "text": "涉及运营安全。"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");

    let stats = get(&s, "/api/v1/demands/stats").await;
    let t = &stats["departments"][0];
    assert_eq!(stats["departments"].as_array().unwrap().len(), 1, "{stats}");
    assert_eq!(t["key"], "transport");
    assert_eq!(t["title"], "transport title");
    assert_eq!(
        (
            &t["demands"],
            &t["enterprise"],
            &t["supports"],
            &t["open"],
            &t["accepted"],
            &t["rejected"],
            &t["fulfilled"],
            &t["overdue"],
        ),
        (
            &json!(3),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(1),
            &json!(0),
            &json!(0)
        ),
        "{t}"
    );
    assert_eq!(t["acceptance_rate"], 0.5);
    assert_eq!(t["fulfilment_rate"], 0.0);
    assert_eq!(t["median_days_to_answer"], 0.0);
    let th = &stats["themes"][0];
    assert_eq!(
        (&th["key"], &th["demands"]),
        (&json!("低空经济"), &json!(1))
    );
    assert_eq!(th["acceptance_rate"], Value::Null);
    assert_eq!(stats["total"]["demands"], 4);
    assert_eq!(stats["total"]["kind"], "all");
    // A support after that shows at once (the served statistics follow every change).
    post(
        &s,
        &format!("/api/v1/demands/{}/support", ids[2]),
        &cast.bob,
        json!({}),
    )
    .await;
    let again = get(&s, "/api/v1/demands/stats").await;
    assert_eq!(again["departments"][0]["supports"], 2, "{again}");

    // CSV and XLSX carry the same rows.
    let resp = client()
        .get(s.url("/api/v1/demands/stats?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_end().lines().collect();
    assert!(lines[0].starts_with("\u{feff}类别 kind,"), "{csv}");
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1].starts_with("department,transport,transport title,3,1,2,1,1,1,0,0,0,0.5,0,0"),
        "{csv}"
    );
    assert!(lines[3].starts_with("all,,,4,"), "{csv}");
    let resp = client()
        .get(s.url("/api/v1/demands/stats?format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("demand-stats.xlsx"));
    assert_eq!(&resp.bytes().await.unwrap()[..2], b"PK");
    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/demands/stats?format=pdf"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );

    // The opening plan: accepted demands by planned date.
    let plan = get(&s, "/api/v1/demands?status=accepted&sort=planned").await;
    assert_eq!(plan["total"], 1);
    assert_eq!(plan["demands"][0]["id"], ids[0].as_str());

    // The portal pages and charts.
    let c = client();
    let html = page_text(&c, s.url("/demands/stats")).await;
    assert!(html.contains("transport title"), "{html}");
    assert!(html.contains("src=\"/demands/stats/volume.svg\""));
    assert!(html.contains("低空经济"));
    for chart in ["volume.svg", "acceptance.svg"] {
        let resp = c
            .get(s.url(&format!("/demands/stats/{chart}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{chart}");
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml"));
        let svg = resp.text().await.unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("transport title"),
            "{svg}"
        );
        assert!(svg.contains("主题：低空经济"), "{svg}");
    }
    let resp = c
        .get(s.url("/demands/stats/other.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let html = page_text(&c, s.url("/demands/plan")).await;
    assert!(html.contains("公交站点月客流"), "{html}");
    assert!(html.contains(&planned), "{html}");
    assert!(
        !html.contains("公交线路调度"),
        "rejected demands are not planned"
    );
}

#[tokio::test]
async fn demands_are_found_by_words_and_pinyin_and_beside_the_catalog() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (_, bus) = file(&s, &cast.carol, demand("公交站点月客流", "transport")).await;
    let mut beds = demand("医院床位实时数据", "health");
    beds["description"] = json!("用于就医指引。");
    beds["fields"] = json!(["医院", "床位"]);
    file(&s, &cast.carol, beds).await;
    let ids = |v: &Value| -> Vec<String> {
        v["demands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["title"].as_str().unwrap().to_string())
            .collect()
    };
    let found = get(&s, "/api/v1/demands?q=%E5%85%AC%E4%BA%A4").await; // 公交
    assert_eq!(ids(&found), ["公交站点月客流"], "{found}");
    assert_eq!(found["total"], 1);
    let found = get(&s, "/api/v1/demands?q=gongjiao").await;
    assert_eq!(ids(&found), ["公交站点月客流"], "{found}");
    // Wanted fields and the department's title are searched too.
    let found = get(&s, "/api/v1/demands?q=%E5%BA%8A%E4%BD%8D").await; // 床位
    assert_eq!(ids(&found), ["医院床位实时数据"], "{found}");
    let found = get(&s, "/api/v1/demands?q=%E5%85%AC%E4%BA%A4&department=health").await;
    assert_eq!(found["total"], 0, "{found}");
    // The index follows a change of state.
    let id = bus["id"].as_str().unwrap();
    let found = get(&s, "/api/v1/demands?q=%E5%85%AC%E4%BA%A4&status=rejected").await;
    assert_eq!(found["total"], 0);
    let (st, _) = post(
        &s,
        &format!("/api/v1/demands/{id}/answer"),
        &cast.alice,
        json!({"decision": "reject", "reason": "other", "text": "暂无。"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let found = get(&s, "/api/v1/demands?q=%E5%85%AC%E4%BA%A4&status=rejected").await;
    assert_eq!(ids(&found), ["公交站点月客流"], "{found}");
    let found = get(&s, "/api/v1/demands?q=%E5%85%AC%E4%BA%A4&overdue=true").await;
    assert_eq!(found["total"], 0);
    // The catalog's search page shows the demands its words find.
    let html = page_text(&client(), s.url("/?q=%E5%85%AC%E4%BA%A4")).await;
    assert!(html.contains("related-demands"), "{html}");
    assert!(html.contains("公交站点月客流"));
    assert!(html.contains(&format!("/demands/{id}")));
    let html = page_text(&client(), s.url("/demands?q=gongjiao")).await;
    assert!(html.contains("公交站点月客流") && !html.contains("医院床位实时数据"));
}

#[tokio::test]
async fn my_activity_lists_what_i_filed_supported_and_said_with_the_answers() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let (_, mine) = file(&s, &cast.carol, demand("公交站点月客流", "transport")).await;
    let (_, other) = file(&s, &cast.bob, demand("出租车上客点", "transport")).await;
    let (mine, other) = (
        mine["id"].as_str().unwrap().to_string(),
        other["id"].as_str().unwrap().to_string(),
    );
    post(
        &s,
        &format!("/api/v1/demands/{other}/support"),
        &cast.carol,
        json!({}),
    )
    .await;
    post(
        &s,
        &format!("/api/v1/demands/{other}/comments"),
        &cast.carol,
        json!({"body": "我也需要。"}),
    )
    .await;
    let (st, _) = post(
        &s,
        &format!("/api/v1/demands/{mine}/answer"),
        &cast.alice,
        json!({"decision": "reject", "reason": "already_open", "text": "已在公交站点数据集中开放。"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = call(Method::GET, &s.url("/api/v1/me/activity"), None, None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let (st, a) = call(
        Method::GET,
        &s.url("/api/v1/me/activity"),
        Some(&cast.carol),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert_eq!(a["filed"].as_array().unwrap().len(), 1);
    assert_eq!(a["filed"][0]["answer"], "已在公交站点数据集中开放。");
    assert_eq!(a["filed"][0]["rejection_reason"], "already_open");
    assert_eq!(a["supported"][0]["id"], other.as_str());
    assert_eq!(a["comments"][0]["demand_title"], "出租车上客点");
    assert_eq!(a["comments"][0]["body"], "我也需要。");
    // Bob's own activity holds none of Carol's.
    let (_, b) = call(
        Method::GET,
        &s.url("/api/v1/me/activity"),
        Some(&cast.bob),
        None,
    )
    .await;
    assert_eq!(b["filed"][0]["id"], other.as_str());
    assert!(b["supported"].as_array().unwrap().is_empty());
    assert!(b["comments"].as_array().unwrap().is_empty());
    // The page, signed in; without a session it sends to the login form.
    let resp = client().get(s.url("/activity")).send().await.unwrap();
    assert!(resp.status().is_redirection());
    let c = sign_in(&s, "carol").await;
    let html = page_text(&c, s.url("/activity")).await;
    assert!(html.contains("已在公交站点数据集中开放。"), "{html}");
    assert!(html.contains("出租车上客点") && html.contains("我也需要。"));
}
