//! The data-request actions of CKAN's ckanext-datarequests over data demands: the extension's
//! field names, its index with facets, POST-only writes, CKAN's error shapes, and the real
//! `ckanapi` client (when `GONGSHU_CKANAPI` names it; the test script sets it).

use crate::common::*;
use reqwest::StatusCode;
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

fn error_type(v: &Value) -> &str {
    v["error"]["__type"].as_str().unwrap_or("")
}

#[tokio::test]
async fn data_requests_are_demands_under_the_extensions_names() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    // Filing needs a token; the extension's fields come back.
    let body = json!({"title": "公交站点月客流", "description": "用于线路优化研究。", "organization_id": "transport"});
    let (st, v) = action(&s, "datarequest_create", body.clone(), None).await;
    assert_eq!(
        (st, error_type(&v)),
        (StatusCode::FORBIDDEN, "Authorization Error"),
        "{v}"
    );
    let (st, v) = action(&s, "datarequest_create", body, Some(&cast.carol)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["success"], true);
    let dr = &v["result"];
    let id = dr["id"].as_str().unwrap().to_string();
    for key in [
        "id",
        "user_id",
        "title",
        "description",
        "organization_id",
        "open_time",
        "accepted_dataset",
        "close_time",
        "closed",
    ] {
        assert!(dr.get(key).is_some(), "{key} missing in {dr}");
    }
    assert_eq!(dr["closed"], false);
    assert_eq!(dr["close_time"], Value::Null);
    assert_eq!(dr["organization"]["name"], "transport");
    assert!(dr["open_time"].as_str().unwrap().contains('T'));
    // Personal information is refused as a validation error, naming the kind only.
    let (st, v) = action(
        &s,
        "datarequest_create",
        json!({"title": "客流", "description": "请联系 13812345678", "organization_id": "transport"}),
        Some(&cast.carol),
    )
    .await;
    assert_eq!(
        (st, error_type(&v)),
        (StatusCode::CONFLICT, "Validation Error"),
        "{v}"
    );
    assert!(!v.to_string().contains("13812345678"));

    // Writes are POST only, as in CKAN.
    let resp = client()
        .get(s.url(&format!("/api/3/action/datarequest_follow?id={id}")))
        .send()
        .await
        .unwrap();
    let (st, v) = parse(resp).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let resp = client()
        .get(s.url(&format!("/api/3/action/datarequest_show?id={id}")))
        .send()
        .await
        .unwrap();
    let (st, v) = parse(resp).await;
    assert_eq!(
        (st, &v["result"]["title"]),
        (StatusCode::OK, &json!("公交站点月客流"))
    );

    // The filer updates the text; nobody else does, and the department is not changed here.
    let (st, v) = action(
        &s,
        "datarequest_update",
        json!({"id": id, "title": "公交站点月度客流"}),
        Some(&cast.carol),
    )
    .await;
    assert_eq!(
        (st, &v["result"]["title"]),
        (StatusCode::OK, &json!("公交站点月度客流")),
        "{v}"
    );
    let (st, _) = action(
        &s,
        "datarequest_update",
        json!({"id": id, "title": "x"}),
        Some(&cast.bob),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = action(
        &s,
        "datarequest_update",
        json!({"id": id, "organization_id": "health"}),
        Some(&cast.carol),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");

    // Following is supporting: once per user.
    let (st, v) = action(&s, "datarequest_follow", json!({"id": id}), Some(&cast.bob)).await;
    assert_eq!((st, &v["result"]), (StatusCode::OK, &json!(true)), "{v}");
    let (st, _) = action(&s, "datarequest_follow", json!({"id": id}), Some(&cast.bob)).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let (_, v) = action(&s, "datarequest_show", json!({"id": id}), None).await;
    assert_eq!(v["result"]["followers"], 1);

    // Comments.
    let (st, v) = action(
        &s,
        "datarequest_comment",
        json!({"datarequest_id": id, "comment": "卫健委也需要。"}),
        Some(&cast.bob),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["result"]["datarequest_id"], id.as_str());
    let (_, v) = action(
        &s,
        "datarequest_comment_list",
        json!({"datarequest_id": id}),
        None,
    )
    .await;
    assert_eq!(v["result"][0]["comment"], "卫健委也需要。");

    // A second demand, rejected through close without a dataset: the answer text is required.
    let (_, v) = action(
        &s,
        "datarequest_create",
        json!({"title": "出租车轨迹", "description": "用于交通研究。", "organization_id": "transport"}),
        Some(&cast.carol),
    )
    .await;
    let other = v["result"]["id"].as_str().unwrap().to_string();
    let (st, v) = action(
        &s,
        "datarequest_close",
        json!({"id": other}),
        Some(&cast.alice),
    )
    .await;
    assert_eq!(
        (st, error_type(&v)),
        (StatusCode::CONFLICT, "Validation Error"),
        "{v}"
    );
    let (st, v) = action(
        &s,
        "datarequest_close",
        json!({"id": other, "reason": "security_or_law", "answer": "涉及个人行踪。"}),
        Some(&cast.alice),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["result"]["closed"], true);
    assert_eq!(v["result"]["gongshu_status"], "rejected");

    // Closing with a dataset of the department fulfils the first (accepting it on the way).
    create_dataset(&s, &cast.alice, "stop-flows", json!({})).await;
    let (st, v) = action(
        &s,
        "datarequest_close",
        json!({"id": id, "accepted_dataset": "stop-flows"}),
        Some(&cast.carol),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "only the department closes: {v}");
    let (st, v) = action(
        &s,
        "datarequest_close",
        json!({"id": id, "accepted_dataset": "stop-flows"}),
        Some(&cast.alice),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let dr = &v["result"];
    assert_eq!(
        (&dr["closed"], &dr["gongshu_status"]),
        (&json!(true), &json!("fulfilled"))
    );
    assert_eq!(dr["accepted_dataset"]["name"], "stop-flows");
    assert!(dr["close_time"].is_string());

    // A third, open; then the index with its filters, count and facets.
    action(
        &s,
        "datarequest_create",
        json!({"title": "医院床位", "description": "用于就医指引。", "organization_id": "health"}),
        Some(&cast.carol),
    )
    .await;
    let (st, v) = action(&s, "datarequest_index", json!({}), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let r = &v["result"];
    assert_eq!(r["count"], 3);
    assert_eq!(r["result"].as_array().unwrap().len(), 3);
    let orgs = &r["facets"]["organization"];
    assert_eq!(
        orgs.as_array()
            .unwrap()
            .iter()
            .map(|o| (o["name"].as_str().unwrap(), o["count"].as_i64().unwrap()))
            .collect::<Vec<_>>(),
        [("transport", 2), ("health", 1)]
    );
    assert_eq!(
        r["facets"]["state"],
        json!([{"name": "Open", "count": 1}, {"name": "Closed", "count": 2}])
    );
    let (_, v) = action(
        &s,
        "datarequest_index",
        json!({"organization_id": "transport", "closed": "True", "limit": 1, "offset": 1}),
        None,
    )
    .await;
    let r = &v["result"];
    assert_eq!(r["count"], 2, "{r}");
    assert_eq!(r["result"].as_array().unwrap().len(), 1);
    assert_eq!(
        r["facets"]["state"],
        json!([{"name": "Closed", "count": 2}])
    );
    let (_, v) = action(&s, "datarequest_index", json!({"closed": false}), None).await;
    assert_eq!(v["result"]["count"], 1);
    assert_eq!(v["result"]["result"][0]["title"], "医院床位");
    for bad in [
        json!({"limit": 0}),
        json!({"offset": -1}),
        json!({"closed": "maybe"}),
    ] {
        let (st, v) = action(&s, "datarequest_index", bad.clone(), None).await;
        assert_eq!(st, StatusCode::CONFLICT, "{bad}: {v}");
    }
    let (st, v) = action(&s, "datarequest_show", json!({"id": "nope"}), None).await;
    assert_eq!(
        (st, error_type(&v)),
        (StatusCode::NOT_FOUND, "Not Found Error"),
        "{v}"
    );
}

/// The real client from PyPI files, reads, lists and closes data requests.
#[tokio::test]
async fn the_ckanapi_client_files_and_closes_data_requests() {
    let Ok(ckanapi) = std::env::var("GONGSHU_CKANAPI") else {
        eprintln!("skipped: set GONGSHU_CKANAPI to the ckanapi executable to run it");
        return;
    };
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    create_dataset(&s, &cast.alice, "stop-flows", json!({})).await;
    let base = s.url("");
    let run = |args: Vec<String>, key: Option<String>| {
        let (ckanapi, base) = (ckanapi.clone(), base.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                let mut cmd = std::process::Command::new(&ckanapi);
                cmd.args(&args).args(["-r", base.trim_end_matches('/')]);
                if let Some(k) = key {
                    cmd.args(["-a", &k]);
                }
                let out = cmd.output().unwrap();
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
    let (ok, out, err) = run(
        vec![
            "action".into(),
            "datarequest_create".into(),
            "title=公交站点月客流".into(),
            "description=用于线路优化研究。".into(),
            "organization_id=transport".into(),
        ],
        Some(cast.carol.clone()),
    )
    .await;
    assert!(ok, "{err}");
    let dr: Value = serde_json::from_str(&out).unwrap();
    let id = dr["id"].as_str().unwrap().to_string();
    assert_eq!(dr["closed"], false);
    let (ok, out, err) = run(
        vec![
            "action".into(),
            "datarequest_show".into(),
            format!("id={id}"),
        ],
        None,
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["title"],
        "公交站点月客流"
    );
    let (ok, _, err) = run(
        vec![
            "action".into(),
            "datarequest_comment".into(),
            format!("datarequest_id={id}"),
            "comment=同样需要".into(),
        ],
        Some(cast.bob.clone()),
    )
    .await;
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        vec![
            "action".into(),
            "datarequest_comment_list".into(),
            format!("datarequest_id={id}"),
        ],
        None,
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()[0]["comment"],
        "同样需要"
    );
    let (ok, out, err) = run(
        vec![
            "action".into(),
            "datarequest_index".into(),
            "organization_id=transport".into(),
            "closed=False".into(),
        ],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let index: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(index["count"], 1, "{index}");
    // The department closes it with its dataset; someone else cannot.
    let close = vec![
        "action".into(),
        "datarequest_close".into(),
        format!("id={id}"),
        "accepted_dataset=stop-flows".into(),
    ];
    let (ok, _, err) = run(close.clone(), Some(cast.bob.clone())).await;
    assert!(!ok && err.contains("NotAuthorized"), "{err}");
    let (ok, out, err) = run(close, Some(cast.alice.clone())).await;
    assert!(ok, "{err}");
    let closed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(closed["closed"], true);
    assert!(closed["accepted_dataset_id"].as_str().is_some());
    let (ok, _, err) = run(
        vec!["action".into(), "datarequest_show".into(), "id=nope".into()],
        None,
    )
    .await;
    assert!(!ok && err.contains("NotFound"), "{err}");
}
