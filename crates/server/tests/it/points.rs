//! Points and rewards (C12) through the JSON API and the portal: verified outcomes credit once,
//! moderation takes the credits back, redemption refusals change nothing, a redemption is a
//! leaf of the access log, cancellation gives points and stock back, and the leaderboard shows
//! only those who chose to appear.

use crate::common::*;
use crate::feedback::{post, report, setup};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn get(s: &TestServer, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    call(Method::GET, &s.url(path), token, None).await
}

async fn put(s: &TestServer, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    call(Method::PUT, &s.url(path), token, Some(body)).await
}

async fn mine(s: &TestServer, token: &str) -> Value {
    let (st, v) = get(s, "/api/v1/me/points", Some(token)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

fn numbers(v: &Value) -> (i64, i64) {
    (
        v["spendable"].as_i64().unwrap(),
        v["lifetime"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn outcomes_earn_points_once_and_hiding_takes_them_back() {
    let (s, cast) = setup().await;
    let (st, _) = get(&s, "/api/v1/me/points", None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(numbers(&mine(&s, &cast.carol).await), (0, 0));

    // Carol reports a problem signed in: a participation point.
    let (st, v) = post(&s, "/api/v1/feedback", Some(&cast.carol), report()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["feedback"]["id"].as_str().unwrap().to_string();
    assert_eq!(numbers(&mine(&s, &cast.carol).await), (1, 1));

    // Resolved: 10 more; rated: 2 more. Each credited once however often the outcome repeats.
    let path = format!("/api/v1/feedback/{id}/action");
    let tomorrow = app::feedback::day_text(app::clock::now_ms() + 86_400_000);
    for step in [
        json!({"action": "accept", "expected_date": tomorrow}),
        json!({"action": "resolve"}),
    ] {
        let (st, v) = post(&s, &path, Some(&cast.alice), step).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let rate = format!("/api/v1/feedback/{id}/rate");
    let (st, v) = post(&s, &rate, Some(&cast.carol), json!({"rating": 4})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // Reopened and resolved again: no second credit for the same item.
    let (st, v) = post(
        &s,
        &format!("/api/v1/feedback/{id}/reopen"),
        Some(&cast.carol),
        json!({"reason": "坑又出现了"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    for step in [
        json!({"action": "accept", "expected_date": tomorrow}),
        json!({"action": "resolve"}),
    ] {
        let (st, v) = post(&s, &path, Some(&cast.alice), step).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let me = mine(&s, &cast.carol).await;
    assert_eq!(numbers(&me), (13, 13), "{me}");
    assert_eq!(me["level"], 1);
    let mut reasons: Vec<&str> = me["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        ["feedback_rated", "feedback_resolved", "participation"]
    );
    assert!(me["history"][0]["expires_at"].as_i64().is_some());

    // The department hides the description: every credit the item earned is taken back.
    let (st, v) = post(
        &s,
        &path,
        Some(&cast.alice),
        json!({"action": "hide", "note": "含有他人信息"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let me = mine(&s, &cast.carol).await;
    assert_eq!(numbers(&me), (0, 0), "{me}");
    let history = me["history"].as_array().unwrap();
    assert_eq!(history.len(), 6);
    let reversed: i64 = history
        .iter()
        .filter(|e| e["kind"] == "reversal")
        .map(|e| e["change"].as_i64().unwrap())
        .sum();
    assert_eq!(reversed, -13);
}

#[tokio::test]
async fn rewards_are_redeemed_atomically_logged_and_cancelled() {
    let (s, cast) = setup().await;
    let now = app::clock::now_ms();
    let day = 86_400_000;
    let reward = |name: &str, cost: i64, stock: i64, per_user: i64| {
        json!({
            "name": name, "cost": cost, "stock": stock, "per_user": per_user,
            "starts_at": now - day, "ends_at": now + 30 * day,
        })
    };
    // Only the authority stocks rewards; bad values are refused.
    let (st, _) = post(
        &s,
        "/api/v1/rewards",
        Some(&cast.carol),
        reward("笔记本", 10, 5, 2),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = post(
        &s,
        "/api/v1/rewards",
        Some(&cast.admin),
        reward("笔记本", 0, 5, 2),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = post(
        &s,
        "/api/v1/rewards",
        Some(&cast.admin),
        reward("笔记本", 10, 3, 2),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let notebook = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["available"], true);
    let (_, v) = post(
        &s,
        "/api/v1/rewards",
        Some(&cast.admin),
        reward("门票", 5, 0, 1),
    )
    .await;
    let sold_out = v["id"].as_str().unwrap().to_string();
    let mut later = reward("年卡", 5, 3, 1);
    later["starts_at"] = json!(now + 10 * day);
    let (_, v) = post(&s, "/api/v1/rewards", Some(&cast.admin), later).await;
    let not_yet = v["id"].as_str().unwrap().to_string();

    // Carol has no points yet.
    let redeem = |id: &str| format!("/api/v1/rewards/{id}/redeem");
    let (st, _) = post(&s, &redeem(&notebook), None, json!({})).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = post(&s, &redeem(&notebook), Some(&cast.carol), json!({})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "not_enough_points")
    );
    let (st, v) = post(&s, &redeem("no-such"), Some(&cast.carol), json!({})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::NOT_FOUND, "reward_not_found")
    );

    // The authority credits 25 by hand, once per key.
    let adjustment =
        json!({"username": "carol", "points": 25, "note": "线下活动奖励", "key": "event-1"});
    let (st, _) = post(
        &s,
        "/api/v1/points/adjustments",
        Some(&cast.alice),
        adjustment.clone(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = post(
        &s,
        "/api/v1/points/adjustments",
        Some(&cast.admin),
        adjustment.clone(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["change"], 25);
    let (st, v) = post(
        &s,
        "/api/v1/points/adjustments",
        Some(&cast.admin),
        adjustment,
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided")
    );
    assert_eq!(numbers(&mine(&s, &cast.carol).await), (25, 25));

    // Refusals change nothing: out of stock, not yet open.
    let (st, v) = post(&s, &redeem(&sold_out), Some(&cast.carol), json!({})).await;
    assert_eq!((st, error_code(&v)), (StatusCode::CONFLICT, "out_of_stock"));
    let (st, v) = post(&s, &redeem(&not_yet), Some(&cast.carol), json!({})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "reward_unavailable")
    );
    assert_eq!(numbers(&mine(&s, &cast.carol).await), (25, 25));

    // Two redemptions (the per-user limit), each a leaf of the access log.
    let mut leaves = Vec::new();
    for _ in 0..2 {
        let (st, v) = post(&s, &redeem(&notebook), Some(&cast.carol), json!({})).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        assert_eq!(v["code"].as_str().unwrap().len(), 14);
        leaves.push((
            v["id"].as_str().unwrap().to_string(),
            v["log_index"].as_i64().unwrap(),
        ));
    }
    let (st, v) = post(&s, &redeem(&notebook), Some(&cast.carol), json!({})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "redemption_limit")
    );
    let me = mine(&s, &cast.carol).await;
    assert_eq!(numbers(&me), (5, 25), "reputation is not spent: {me}");
    assert_eq!(me["redemptions"].as_array().unwrap().len(), 2);
    for (_, index) in &leaves {
        let (st, v) = get(
            &s,
            &format!("/log/entries?start={index}&end={}", index + 1),
            None,
        )
        .await;
        assert_eq!(st, StatusCode::OK);
        let leaf: Value = serde_json::from_str(v["entries"][0]["data"].as_str().unwrap()).unwrap();
        assert_eq!(leaf["kind"], "points.redeemed");
    }
    let (_, v) = get(&s, &format!("/api/v1/rewards/{notebook}"), None).await;
    assert_eq!(v["stock"], 1);

    // The authority sees the codes and cancels one: points and stock come back, once.
    let (st, _) = get(
        &s,
        &format!("/api/v1/rewards/{notebook}/redemptions"),
        Some(&cast.carol),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = get(
        &s,
        &format!("/api/v1/rewards/{notebook}/redemptions"),
        Some(&cast.admin),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 2);
    let cancel = format!("/api/v1/redemptions/{}/cancel", leaves[0].0);
    let (st, v) = post(&s, &cancel, Some(&cast.admin), json!({"reason": ""})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = post(
        &s,
        &cancel,
        Some(&cast.admin),
        json!({"reason": "奖品质量问题"}),
    )
    .await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("cancelled")),
        "{v}"
    );
    let (st, v) = post(&s, &cancel, Some(&cast.admin), json!({"reason": "again"})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_cancelled")
    );
    let (st, v) = post(
        &s,
        "/api/v1/redemptions/nope/cancel",
        Some(&cast.admin),
        json!({"reason": "x"}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::NOT_FOUND, "redemption_not_found")
    );
    assert_eq!(numbers(&mine(&s, &cast.carol).await), (15, 25));
    let (_, v) = get(&s, &format!("/api/v1/rewards/{notebook}"), None).await;
    assert_eq!(v["stock"], 2);

    // A redemption committed by a process that stopped before its leaf: a sweep of what was
    // made before a time (at start, everything before it; then every minute, what is a minute
    // old) appends it.
    let carol = app::accounts::user_by_username(&s.app, "carol")
        .await
        .unwrap();
    let store = s.store().await;
    let orphan = store
        .redeem(&notebook, &carol.id, "ORPH-AN00-0001", app::clock::now_ms())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.unlogged_redemptions(i64::MAX).await.unwrap(),
        std::slice::from_ref(&orphan)
    );
    assert_eq!(
        app::points::log_missing_redemptions(&s.app, orphan.created_at)
            .await
            .unwrap(),
        0,
        "made after the time swept"
    );
    assert_eq!(
        app::points::log_missing_redemptions(&s.app, orphan.created_at + 1)
            .await
            .unwrap(),
        1
    );
    assert!(store
        .unlogged_redemptions(i64::MAX)
        .await
        .unwrap()
        .is_empty());
    let index = store
        .get_redemption(&orphan.id)
        .await
        .unwrap()
        .log_index
        .unwrap();
    let (_, v) = get(
        &s,
        &format!("/log/entries?start={index}&end={}", index + 1),
        None,
    )
    .await;
    let leaf: Value = serde_json::from_str(v["entries"][0]["data"].as_str().unwrap()).unwrap();
    assert_eq!(leaf["kind"], "points.redeemed");
    assert_eq!(numbers(&mine(&s, &cast.carol).await), (5, 25));

    // Rules: public, changed by the authority only.
    let (st, v) = get(&s, "/api/v1/points/rules", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["rule"] == "feedback_resolved" && r["points"] == 10));
    let rule = json!({"points": 12, "daily_cap": null, "enabled": true});
    let (st, _) = put(
        &s,
        "/api/v1/points/rules/feedback_resolved",
        Some(&cast.carol),
        rule.clone(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = put(
        &s,
        "/api/v1/points/rules/no_such_rule",
        Some(&cast.admin),
        rule.clone(),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = put(
        &s,
        "/api/v1/points/rules/feedback_resolved",
        Some(&cast.admin),
        rule,
    )
    .await;
    assert_eq!(
        (st, v["points"].as_i64(), v["configured"].as_bool()),
        (StatusCode::OK, Some(12), Some(true))
    );

    // The leaderboard lists only those who chose to appear, under the name they chose.
    let (_, v) = get(&s, "/api/v1/points/leaderboard", None).await;
    assert_eq!(v, json!([]));
    let (st, v) = put(
        &s,
        "/api/v1/me/points/leaderboard",
        Some(&cast.carol),
        json!({"public": true}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = put(
        &s,
        "/api/v1/me/points/leaderboard",
        Some(&cast.carol),
        json!({"public": true, "display_name": "13912345678"}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "personal_information")
    );
    let (st, _) = put(
        &s,
        "/api/v1/me/points/leaderboard",
        Some(&cast.carol),
        json!({"public": true, "display_name": "热心市民"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (_, v) = get(&s, "/api/v1/points/leaderboard", None).await;
    assert_eq!(
        v,
        json!([{"rank": 1, "display_name": "热心市民", "lifetime": 25, "level": 1}])
    );
    assert!(!v.to_string().contains("carol"));

    // The portal pages answer in both languages, and the form redeems without JavaScript.
    for path in ["/rewards", "/points/leaderboard", "/points/rules"] {
        let r = client().get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    let r = client().get(s.url("/points")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "my points needs a sign-in"
    );
}

#[tokio::test]
async fn activity_tasks_and_quizzes_pay_once_within_their_limits() {
    let (s, cast) = setup().await;
    let now = app::clock::now_ms();
    let day = 86_400_000;
    let quiz = json!({
        "brief": "《公共数据开放管理办法》",
        "questions": [
            {"text": "无条件开放的数据谁可获取？", "options": ["任何人", "仅部门"], "answer": 0},
            {"text": "含个人信息的数据？", "options": ["直接公开", "脱敏或不开放"], "answer": 1},
        ],
        "pass": 1.0,
        "max_attempts": 2,
    });
    let activity = |tasks: Value, starts_at: i64| json!({"title": "宣传月", "starts_at": starts_at, "ends_at": now + 10 * day, "tasks": tasks});
    let tasks = json!([
        {"kind": "feedback", "target": "road-damage", "title": "反映道路破损", "points": 5},
        {"kind": "quiz", "title": "政策答题", "points": 10, "quiz": quiz},
    ]);
    // Only the authority; every task checked.
    let (st, _) = post(
        &s,
        "/api/v1/activities",
        Some(&cast.carol),
        activity(tasks.clone(), now - day),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    for (bad, status, code) in [
        (
            json!([{"kind": "quiz", "title": "x", "points": 5}]),
            422,
            "invalid_field",
        ),
        (
            json!([{"kind": "feedback", "target": "nope", "title": "x", "points": 5}]),
            404,
            "service_not_found",
        ),
        (
            json!([{"kind": "demand", "title": "x", "points": 0}]),
            422,
            "invalid_field",
        ),
        (
            json!([{"kind": "quiz", "title": "x", "points": 5, "quiz": {"questions": [{"text": "q", "options": ["a", "b"], "answer": 2}]}}]),
            422,
            "invalid_field",
        ),
    ] {
        let (st, v) = post(
            &s,
            "/api/v1/activities",
            Some(&cast.admin),
            activity(bad, now - day),
        )
        .await;
        assert_eq!((st.as_u16(), error_code(&v)), (status, code), "{v}");
    }
    let (st, v) = post(
        &s,
        "/api/v1/activities",
        Some(&cast.admin),
        activity(tasks.clone(), now - day),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let quiz_task = v["tasks"][1]["id"].as_str().unwrap().to_string();
    // Participants never see the answers.
    let (_, v) = get(&s, &format!("/api/v1/activities/{id}"), Some(&cast.carol)).await;
    assert!(!v.to_string().contains("\"answer\""), "{v}");
    assert_eq!(
        (v["running"].as_bool(), v["done"].as_i64()),
        (Some(true), Some(0))
    );
    assert_eq!(v["tasks"][1]["questions"][0]["options"][1], "仅部门");

    // Feedback in the service completes the first task (and earns a participation point).
    let (st, v) = post(&s, "/api/v1/feedback", Some(&cast.carol), report()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(numbers(&mine(&s, &cast.carol).await), (6, 6));

    // The quiz: a wrong count of answers changes nothing; a failed attempt, a pass, no third.
    let attempts = format!("/api/v1/activities/{id}/tasks/{quiz_task}/attempts");
    let (st, v) = post(&s, &attempts, Some(&cast.carol), json!({"answers": [0]})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = post(&s, &attempts, Some(&cast.carol), json!({"answers": [0, 0]})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(
        (
            v["passed"].as_bool(),
            v["score"].as_i64(),
            v["points"].as_i64(),
            v["attempts_left"].as_i64()
        ),
        (Some(false), Some(1), Some(0), Some(1))
    );
    let (st, v) = post(&s, &attempts, Some(&cast.carol), json!({"answers": [0, 1]})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["passed"].as_bool(), v["points"].as_i64()),
        (Some(true), Some(10))
    );
    let (st, v) = post(&s, &attempts, Some(&cast.carol), json!({"answers": [0, 1]})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "no_attempts_left")
    );
    assert_eq!(numbers(&mine(&s, &cast.carol).await), (16, 16));
    let (_, v) = get(&s, &format!("/api/v1/activities/{id}"), Some(&cast.carol)).await;
    assert_eq!(v["done"], 2);
    let (st, v) = post(
        &s,
        &format!("/api/v1/activities/{id}/tasks/nope/attempts"),
        Some(&cast.carol),
        json!({"answers": []}),
    )
    .await;
    assert_eq!((st, error_code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (st, v) = get(&s, "/api/v1/activities/nope", None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::NOT_FOUND, "activity_not_found")
    );

    // An activity not yet running takes no attempts and credits no task.
    let (_, v) = post(
        &s,
        "/api/v1/activities",
        Some(&cast.admin),
        activity(tasks, now + day),
    )
    .await;
    let later = v["id"].as_str().unwrap().to_string();
    let later_quiz = v["tasks"][1]["id"].as_str().unwrap().to_string();
    let (st, v) = post(
        &s,
        &format!("/api/v1/activities/{later}/tasks/{later_quiz}/attempts"),
        Some(&cast.carol),
        json!({"answers": [0, 1]}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "activity_closed")
    );
    let (st, _) = post(&s, "/api/v1/feedback", Some(&cast.carol), report()).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(numbers(&mine(&s, &cast.carol).await), (17, 17));

    // The portal lists it; an anonymous visitor sees the tasks and is asked to sign in.
    let (_, v) = get(&s, "/api/v1/activities", None).await;
    assert_eq!(v.as_array().unwrap().len(), 2);
    for path in ["/activities".to_string(), format!("/activities/{id}")] {
        let r = client().get(s.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.text().await.unwrap().contains("宣传月"));
    }
}

#[tokio::test]
async fn the_authority_sets_up_an_activity_with_a_quiz_through_the_portal_form() {
    let (s, cast) = setup().await;
    let c = sign_in(&s, "admin").await;
    let html = page_text(&c, s.url("/activities")).await;
    let csrf = hidden(&html, "csrf");
    let ends = app::feedback::day_text(app::clock::now_ms() + 10 * 86_400_000);
    let mut form: Vec<(&str, String)> = vec![
        ("csrf", csrf),
        ("title", "开放数据宣传周".into()),
        ("ends", ends),
        ("task1_kind", "feedback".into()),
        ("task1_target", "".into()),
        ("task1_title", "提交一条诉求".into()),
        ("task1_points", "5".into()),
        // A slot without a title is skipped.
        ("task2_kind", "demand".into()),
        ("task2_title", "".into()),
        ("task3_kind", "demand".into()),
        ("task3_title", "提出一项数据需求".into()),
        ("task3_points", "3".into()),
        ("quiz_title", "开放条例答题".into()),
        ("quiz_points", "10".into()),
        ("quiz_brief", "《公共数据开放条例》第十条".into()),
        ("q1_text", "无条件开放的数据需要申请吗？".into()),
        ("q1_options", "需要\n不需要\n".into()),
        ("q1_answer", "3".into()),
        ("q2_text", "有条件开放由谁审核？".into()),
        ("q2_options", "数据提供部门\n任何人".into()),
        ("q2_answer", "1".into()),
    ];
    // A right choice outside the choices: refused with the reason, everything typed kept.
    let r = c
        .post(s.url("/activities"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(html.contains("value=\"开放数据宣传周\""), "{html}");
    assert!(html.contains("需要\n不需要"), "{html}");
    let (_, v) = get(&s, "/api/v1/activities", None).await;
    assert!(v.as_array().unwrap().is_empty(), "{v}");

    form.iter_mut().find(|(k, _)| *k == "q1_answer").unwrap().1 = "2".into();
    let r = c
        .post(s.url("/activities"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = r.headers()["location"]
        .to_str()
        .unwrap()
        .strip_prefix("/activities/")
        .unwrap()
        .to_string();
    let (st, v) = get(&s, &format!("/api/v1/activities/{id}"), Some(&cast.carol)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let tasks = v["tasks"].as_array().unwrap();
    let kinds: Vec<&str> = tasks.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["feedback", "demand", "quiz"], "{v}");
    assert_eq!(tasks[2]["questions"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(tasks[2]["questions"][0]["options"][1], "不需要");

    // Carol passes the quiz with the answers as the form set them (choice 2, then choice 1).
    let task = tasks[2]["id"].as_str().unwrap();
    let (st, v) = post(
        &s,
        &format!("/api/v1/activities/{id}/tasks/{task}/attempts"),
        Some(&cast.carol),
        json!({"answers": [1, 0]}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["passed"].as_bool(), v["points"].as_i64()),
        (Some(true), Some(10)),
        "{v}"
    );
}
