//! Policy consultations (C11) through the API: publishing a draft, comments on articles with
//! stances, edits, withdrawal, supports, moderation, answers after the close, the result and its
//! statistics, the enterprise attributes they count by, the log, and bad input that changes
//! nothing.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

async fn req(
    s: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call(method, &s.url(path), token, body).await
}

async fn attach(
    s: &TestServer,
    id: &str,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
    let resp = client()
        .post(s.url(&format!("/api/v1/consultations/{id}/attachments")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    parse(resp).await
}

fn draft() -> Value {
    json!({
        "title": "网约车经营服务管理办法（征求意见稿）",
        "summary": "规范网约车经营服务。",
        "articles": [
            {"heading": "目的", "body": "为了规范网约车经营服务，制定本办法。"},
            {"heading": "适用范围", "body": "本办法适用于本市行政区域内的网约车经营服务。"},
        ],
    })
}

/// A consultation that opened 40 days ago and closed 10 days ago, with two comments, written
/// straight into the store (the API only publishes consultations that open today or later).
async fn closed_consultation(
    s: &TestServer,
    author_id: &str,
    staff_id: &str,
) -> (String, String, String) {
    let store = s.store().await;
    let org = store.get_org_by_name("transport").await.unwrap();
    let now = app::clock::now_ms();
    let c = store
        .create_consultation(store::NewConsultation {
            org_id: org.id,
            title: "公交票价调整方案（征求意见稿）".into(),
            summary: "调整公交票价。".into(),
            audience: model::consultation::Audience::Everyone,
            opens_at: now - 40 * DAY,
            closes_at: now - 10 * DAY,
            short_reason: None,
            answers_due_at: now + 20 * DAY,
            articles: vec![store::Article {
                number: 1,
                heading: "票价".into(),
                body: "基础票价调整为2元。".into(),
            }],
            created_by: staff_id.into(),
            now: now - 40 * DAY,
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (article, stance, body) in [
        (Some(1), model::consultation::Stance::Oppose, "涨价过多。"),
        (None, model::consultation::Stance::Support, "支持。"),
    ] {
        let m = store
            .add_consultation_comment(store::NewConsultationComment {
                consultation_id: c.id.clone(),
                article,
                user_id: author_id.into(),
                participant: model::consultation::ParticipantKind::Citizen,
                ownership: None,
                size: None,
                stance,
                body: body.into(),
                now: now - 30 * DAY,
            })
            .await
            .unwrap();
        ids.push(m.id);
    }
    (c.id, ids[0].clone(), ids[1].clone())
}

#[tokio::test]
async fn a_draft_is_published_commented_on_and_enterprises_only_means_enterprises() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    s.org(
        "acme",
        model::role::OrgKind::Enterprise,
        Some("91350100M000100Y43"),
    )
    .await;
    let erin = s.user("erin", model::Role::Enterprise, Some("acme")).await;
    // The authority records the enterprise's attributes.
    let (st, v) = req(
        &s,
        Method::PUT,
        "/api/v1/organizations/acme/enterprise",
        Some(&cast.alice),
        Some(json!({"ownership": "private", "size": "small"})),
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (st, v) = req(
        &s,
        Method::PUT,
        "/api/v1/organizations/acme/enterprise",
        Some(&cast.admin),
        Some(json!({"ownership": "private", "size": "small", "industry": "交通运输"})),
    )
    .await;
    assert_eq!(
        (st, &v["ownership"], &v["size"]),
        (StatusCode::OK, &json!("private"), &json!("small")),
        "{v}"
    );
    let (st, _) = req(
        &s,
        Method::PUT,
        "/api/v1/organizations/transport/enterprise",
        Some(&cast.admin),
        Some(json!({"size": "large"})),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // Only department staff publish; a short period needs a public reason.
    let (st, _) = req(
        &s,
        Method::POST,
        "/api/v1/consultations",
        Some(&cast.carol),
        Some(draft()),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let today = time::OffsetDateTime::now_utc().date();
    let mut short = draft();
    short["closes"] = json!((today + time::Duration::days(5)).to_string());
    let (st, v) = req(
        &s,
        Method::POST,
        "/api/v1/consultations",
        Some(&cast.alice),
        Some(short.clone()),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("short_reason"));
    let mut past = draft();
    past["opens"] = json!((today - time::Duration::days(3)).to_string());
    let (st, _) = req(
        &s,
        Method::POST,
        "/api/v1/consultations",
        Some(&cast.alice),
        Some(past),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let mut empty = draft();
    empty["articles"] = json!([]);
    let (st, _) = req(
        &s,
        Method::POST,
        "/api/v1/consultations",
        Some(&cast.alice),
        Some(empty),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = req(&s, Method::GET, "/api/v1/consultations", None, None).await;
    assert_eq!(
        list["total"], 0,
        "nothing was published by the refused drafts"
    );

    let mut only_firms = draft();
    only_firms["audience"] = json!("enterprises");
    let (st, c) = req(
        &s,
        Method::POST,
        "/api/v1/consultations",
        Some(&cast.alice),
        Some(only_firms),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert_eq!(c["phase"], "open");
    assert_eq!(c["department"], "transport");
    let id = c["id"].as_str().unwrap().to_string();
    let comments = format!("/api/v1/consultations/{id}/comments");

    // A citizen may not take part; an enterprise user comments on article 2.
    let body = json!({"article": 2, "stance": "oppose", "body": "适用范围应排除巡游出租车。"});
    let (st, v) = req(
        &s,
        Method::POST,
        &comments,
        Some(&cast.carol),
        Some(body.clone()),
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (st, m) = req(&s, Method::POST, &comments, Some(&erin), Some(body)).await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    assert_eq!(
        (&m["article"], &m["participant"], &m["organization"]),
        (&json!(2), &json!("enterprise"), &json!("acme title"))
    );
    let mid = m["id"].as_str().unwrap().to_string();
    // Bad input changes nothing: no such article, personal information, an empty body.
    for (bad, status) in [
        (
            json!({"article": 9, "stance": "support", "body": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"stance": "support", "body": "电话 13812345678"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"stance": "support", "body": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"stance": "maybe", "body": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (st, v) = req(&s, Method::POST, &comments, Some(&erin), Some(bad.clone())).await;
        assert_eq!(st, status, "{bad}: {v}");
        assert!(!v.to_string().contains("13812345678"));
    }
    // Edits by the author; answering before the close is refused.
    let (st, v) = req(
        &s,
        Method::PUT,
        &format!("/api/v1/consultation-comments/{mid}"),
        Some(&erin),
        Some(json!({"stance": "neutral", "body": "建议明确适用范围。"})),
    )
    .await;
    assert_eq!(
        (st, &v["stance"]),
        (StatusCode::OK, &json!("neutral")),
        "{v}"
    );
    let (st, _) = req(
        &s,
        Method::PUT,
        &format!("/api/v1/consultation-comments/{mid}"),
        Some(&cast.alice),
        Some(json!({"stance": "neutral", "body": "x"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = req(
        &s,
        Method::POST,
        &format!("/api/v1/consultation-comments/{mid}/answer"),
        Some(&cast.alice),
        Some(json!({"adoption": "adopted"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "consultation_not_closed")
    );
    let (st, v) = req(
        &s,
        Method::POST,
        &format!("/api/v1/consultations/{id}/result"),
        Some(&cast.alice),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "consultation_not_closed")
    );

    let (_, d) = req(
        &s,
        Method::GET,
        &format!("/api/v1/consultations/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(d["articles"].as_array().unwrap().len(), 2);
    assert_eq!(d["comments"][0]["body"], "建议明确适用范围。");
    assert_eq!(d["comments"][0]["mine"], false);
    // Publication is a leaf of the access log.
    let (_, log) = req(&s, Method::GET, "/log/entries?start=0&end=100", None, None).await;
    assert!(log.to_string().contains("consultation.published"), "{log}");
}

#[tokio::test]
async fn after_the_close_every_comment_is_answered_before_the_result_is_published() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let store = s.store().await;
    let carol = store.get_user_by_username("carol").await.unwrap();
    let alice = store.get_user_by_username("alice").await.unwrap();
    let (id, first, second) = closed_consultation(&s, &carol.id, &alice.id).await;
    let (_, c) = req(
        &s,
        Method::GET,
        &format!("/api/v1/consultations/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(c["phase"], "closed", "{c}");
    // No comments after the close; no edits or supports either.
    let (st, v) = req(
        &s,
        Method::POST,
        &format!("/api/v1/consultations/{id}/comments"),
        Some(&cast.carol),
        Some(json!({"stance": "support", "body": "迟到的意见"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "consultation_not_open")
    );
    let (st, _) = req(
        &s,
        Method::POST,
        &format!("/api/v1/consultation-comments/{first}/support"),
        Some(&cast.bob),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT);

    // Attachments come before the close.
    let (st, v) = attach(&s, &id, &cast.alice, "late.pdf", b"%PDF-1.4\n".to_vec()).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "consultation_not_open"),
        "{v}"
    );

    // Moderation: the authority hides the second comment with a public reason.
    let (st, v) = req(
        &s,
        Method::POST,
        &format!("/api/v1/consultation-comments/{second}/hide"),
        Some(&cast.carol),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = req(
        &s,
        Method::POST,
        &format!("/api/v1/consultation-comments/{second}/hide"),
        Some(&cast.admin),
        Some(json!({"reason": "与本草案无关"})),
    )
    .await;
    assert_eq!(
        (st, &v["hidden_reason"], &v["body"]),
        (StatusCode::OK, &json!("与本草案无关"), &json!("")),
        "{v}"
    );

    // The result waits for every visible comment's answer.
    let (st, v) = req(
        &s,
        Method::POST,
        &format!("/api/v1/consultations/{id}/result"),
        Some(&cast.alice),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "unanswered_comments"),
        "{v}"
    );

    // Answers: only the department, not adopted needs a reason, and only once.
    let answer = format!("/api/v1/consultation-comments/{first}/answer");
    let (st, _) = req(
        &s,
        Method::POST,
        &answer,
        Some(&cast.bob),
        Some(json!({"adoption": "adopted"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = req(
        &s,
        Method::POST,
        &answer,
        Some(&cast.alice),
        Some(json!({"adoption": "not_adopted"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = req(
        &s,
        Method::POST,
        &answer,
        Some(&cast.alice),
        Some(json!({"adoption": "not_adopted", "text": "票价已低于周边城市。"})),
    )
    .await;
    assert_eq!(
        (st, &v["adoption"]),
        (StatusCode::OK, &json!("not_adopted")),
        "{v}"
    );
    let (st, v) = req(
        &s,
        Method::POST,
        &answer,
        Some(&cast.alice),
        Some(json!({"adoption": "adopted"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided")
    );

    // The result: every visible comment is answered (the hidden one needs none).
    let result = format!("/api/v1/consultations/{id}/result");
    let (st, v) = req(
        &s,
        Method::POST,
        &result,
        Some(&cast.alice),
        Some(json!({"summary": "维持原方案。"})),
    )
    .await;
    assert_eq!(
        (st, &v["phase"]),
        (StatusCode::OK, &json!("published")),
        "{v}"
    );
    let (st, v) = req(
        &s,
        Method::POST,
        &result,
        Some(&cast.alice),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided")
    );

    let (_, stats) = req(
        &s,
        Method::GET,
        &format!("/api/v1/consultations/{id}/stats"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (
            &stats["comments"],
            &stats["hidden"],
            &stats["citizens"],
            &stats["not_adopted"],
            &stats["adoption_rate"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1), &json!(0.0)),
        "{stats}"
    );
    assert_eq!(
        stats["by_article"],
        json!([{"article": 1, "support": 0, "oppose": 1, "neutral": 0}])
    );
    let resp = client()
        .get(s.url(&format!("/api/v1/consultations/{id}/stats?format=csv")))
        .send()
        .await
        .unwrap();
    let csv = resp.text().await.unwrap();
    assert!(
        csv.contains("票价已低于周边城市。") && csv.contains("hidden: 与本草案无关"),
        "{csv}"
    );
    assert!(
        !csv.contains("支持。"),
        "a hidden comment's text is not exported: {csv}"
    );

    // The close, the answer and the result are leaves of the access log.
    let (_, log) = req(&s, Method::GET, "/log/entries?start=0&end=100", None, None).await;
    let text = log.to_string();
    for kind in [
        "consultation.closed",
        "consultation.answered",
        "consultation.result",
    ] {
        assert!(text.contains(kind), "{kind} missing: {text}");
    }
    assert_eq!(
        text.matches("consultation.closed").count(),
        1,
        "the close is logged once"
    );
}
