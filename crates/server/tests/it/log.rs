//! The verifiable access log (C7) end to end on the demo: every data path appends a leaf before
//! it answers and says where, the leaves hold no personal data, decisions and classification
//! changes are logged, proofs and receipts verify against the signed checkpoint, auditors can
//! open a leaf's private detail, and concurrent requests share commits without losing any.

use crate::access::{demo, token};
use crate::common::*;
use model::log::{EventKind, Leaf};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tlog::checkpoint::Checkpoint;
use tlog::note::Verifier;
use tlog::receipt::Receipt;
use tlog::tree::TreeBuilder;
use tlog::Hash;

async fn verifier(s: &TestServer) -> Verifier {
    let text = client()
        .get(s.url("/log/vkey"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Verifier::from_vkey(text.trim()).unwrap()
}

/// The latest checkpoint, opened with the published key.
async fn checkpoint(s: &TestServer) -> Checkpoint {
    let note = client()
        .get(s.url("/log/checkpoint"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let opened = tlog::note::open(&note, &[verifier(s).await]).expect("checkpoint signature");
    Checkpoint::parse(&opened.text).unwrap()
}

/// All leaves `start..end`.
async fn leaves(s: &TestServer, start: u64, end: u64) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = start;
    while next < end {
        let to = (next + 1000).min(end);
        let (st, v) = call(
            Method::GET,
            &s.url(&format!("/log/entries?start={next}&end={to}")),
            None,
            None,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        for e in v["entries"].as_array().unwrap() {
            assert_eq!(e["index"].as_u64().unwrap(), next);
            out.push(e["data"].as_str().unwrap().to_string());
            next += 1;
        }
    }
    out
}

async fn leaf(s: &TestServer, index: u64) -> Leaf {
    Leaf::parse(&leaves(s, index, index + 1).await[0]).expect("a well-formed leaf")
}

/// The indexes a response's `Gongshu-Log-Index` header names.
fn log_indexes(r: &reqwest::Response) -> Vec<u64> {
    let Some(v) = r.headers().get("gongshu-log-index") else {
        return Vec::new();
    };
    v.to_str()
        .unwrap()
        .split(',')
        .map(|i| i.trim().parse().unwrap())
        .collect()
}

async fn get(url: String, token: Option<&str>) -> reqwest::Response {
    let mut req = client().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// Recomputes the root from every leaf and checks it against the signed checkpoint.
async fn assert_log_verifies(s: &TestServer) -> Checkpoint {
    let c = checkpoint(s).await;
    let mut tree = TreeBuilder::new();
    for data in leaves(s, 0, c.size).await {
        assert!(Leaf::parse(&data).is_some(), "malformed leaf {data}");
        tree.push(tlog::leaf_hash(data.as_bytes()));
    }
    assert_eq!(tree.root(), c.root, "root of the served leaves");
    c
}

#[tokio::test]
async fn every_data_path_logs_a_leaf_before_answering() {
    let s = demo().await;
    let citizen = token(&s, "citizen").await;
    let transport = token(&s, "transport").await;
    let before = assert_log_verifies(&s).await;

    // A data access through each path, with the kind it must be logged as.
    let mut seen = Vec::new();
    let r = get(s.url("/api/v1/datasets/bus-stops/preview"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let idx = log_indexes(&r);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["log_index"], json!(idx), "the body repeats the header");
    let rows = body["row_count"].as_u64().unwrap();
    assert_eq!(idx.len(), 1);
    let l = leaf(&s, idx[0]).await;
    assert_eq!(l.kind, EventKind::Preview);
    assert_eq!(l.dataset.as_deref(), Some("bus-stops"));
    assert_eq!(l.actor, "anonymous");
    assert_eq!(l.rows, Some(rows));
    seen.push(idx[0]);

    let r = get(
        s.url("/api/v1/datasets/bus-stops/query?limit=3"),
        Some(&citizen),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let idx = log_indexes(&r);
    let citizen_leaf = leaf(&s, idx[0]).await;
    assert_eq!(citizen_leaf.kind, EventKind::Query);
    assert_eq!(citizen_leaf.rows, Some(3));
    // A person without an organization appears under a keyed pseudonym, never by name or id.
    let citizen_user = app::accounts::user_by_username(&s.app, "citizen")
        .await
        .unwrap();
    let line = leaves(&s, idx[0], idx[0] + 1).await.remove(0);
    assert!(citizen_leaf.actor.starts_with("user:"), "{line}");
    for private in [
        citizen_user.id.as_str(),
        "citizen",
        citizen_user.display_name.as_str(),
        "127.0.0.1",
    ] {
        assert!(!line.contains(private), "{private} in {line}");
    }
    seen.push(idx[0]);
    // The pseudonym is stable, so accesses by one person can be counted without knowing who.
    let r = get(
        s.url("/api/v1/datasets/bus-stops/query?limit=1"),
        Some(&citizen),
    )
    .await;
    let again = leaf(&s, log_indexes(&r)[0]).await;
    assert_eq!(again.actor, citizen_leaf.actor);
    seen.push(log_indexes(&r)[0]);

    // Staff appear as their organization.
    let r = get(
        s.url("/api/v1/datasets/traffic-flow/aggregate?metrics=count"),
        Some(&transport),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let l = leaf(&s, log_indexes(&r)[0]).await;
    assert_eq!(l.kind, EventKind::Aggregate);
    assert!(l.actor.starts_with("org:"), "{}", l.actor);
    seen.push(log_indexes(&r)[0]);

    // SQL over two datasets: one leaf per dataset, both named in the header.
    let r = client()
        .post(s.url("/api/v1/sql"))
        .json(&json!({"sql": "SELECT count(*) AS n FROM \"bus-stops\" CROSS JOIN (SELECT 1 AS one FROM \"traffic-flow\" LIMIT 1) t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let idx = log_indexes(&r);
    assert_eq!(idx.len(), 2, "one leaf per dataset read");
    let mut datasets = Vec::new();
    for i in &idx {
        let l = leaf(&s, *i).await;
        assert_eq!(l.kind, EventKind::Sql);
        datasets.push(l.dataset.unwrap());
        seen.push(*i);
    }
    datasets.sort();
    assert_eq!(datasets, ["bus-stops", "traffic-flow"]);

    let r = get(
        s.url("/api/v1/datasets/bus-stops/download?format=csv"),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let idx = log_indexes(&r);
    let rows: u64 = r.headers()["gongshu-row-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let l = leaf(&s, idx[0]).await;
    assert_eq!(
        (l.kind, l.rows),
        (EventKind::Download, Some(rows)),
        "a download is logged with its row count before the body is sent"
    );
    seen.push(idx[0]);

    // The portal's preview and download are logged too; the page links the receipt.
    let html = page_text(&client(), s.url("/dataset/bus-stops")).await;
    let marker = "/log/receipt/";
    let at = html.find(marker).expect("the preview names its receipt") + marker.len();
    let index: u64 = html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    assert_eq!(leaf(&s, index).await.kind, EventKind::Preview);
    seen.push(index);
    let r = get(s.url("/dataset/bus-stops/download/json"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let l = leaf(&s, log_indexes(&r)[0]).await;
    assert_eq!(l.kind, EventKind::Download);
    seen.push(log_indexes(&r)[0]);

    // A refused request delivers nothing and logs nothing.
    let size = checkpoint(&s).await.size;
    let r = get(s.url("/api/v1/datasets/outpatient-stats/preview"), None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(log_indexes(&r).is_empty());
    assert_eq!(checkpoint(&s).await.size, size);

    // Every index is new, and each has a receipt that verifies against the published key.
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 9);
    assert!(seen[0] >= before.size);
    let key = verifier(&s).await;
    for i in &seen {
        let r = get(s.url(&format!("/log/receipt/{i}")), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let receipt: Receipt = r.json().await.unwrap();
        assert_eq!(receipt.index, *i);
        receipt.verify(&key).expect("receipt verifies");
        // A receipt for another entry's leaf does not.
        let mut forged = receipt.clone();
        forged.leaf = forged.leaf.replace("bus-stops", "traffic-flow");
        if forged.leaf != receipt.leaf {
            assert!(forged.verify(&key).is_err());
        }
    }

    // The grown log is consistent with the one before, and its inclusion proofs verify.
    let after = assert_log_verifies(&s).await;
    let (st, v) = call(
        Method::GET,
        &s.url(&format!(
            "/log/proof/consistency?first={}&second={}",
            before.size, after.size
        )),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let proof: Vec<Hash> = serde_json::from_value(v["proof"].clone()).unwrap();
    tlog::verify_consistency(before.size, after.size, &proof, &before.root, &after.root)
        .expect("consistent");
    let data = leaves(&s, seen[3], seen[3] + 1).await.remove(0);
    let (_, v) = call(
        Method::GET,
        &s.url(&format!(
            "/log/proof/inclusion?index={}&tree_size={}",
            seen[3], after.size
        )),
        None,
        None,
    )
    .await;
    let proof: Vec<Hash> = serde_json::from_value(v["proof"].clone()).unwrap();
    tlog::verify_inclusion(
        &tlog::leaf_hash(data.as_bytes()),
        seen[3],
        after.size,
        &proof,
        &after.root,
    )
    .expect("included");
}

#[tokio::test]
async fn decisions_and_classification_changes_are_logged() {
    let s = demo().await;
    // The demo's own application flow went through the same code.
    let counts = s.app.log().counts().await.unwrap();
    let count = |dataset: &str, kind: EventKind| {
        counts
            .iter()
            .find(|c| c.dataset == dataset && c.kind == kind.code())
            .map_or(0, |c| c.count)
    };
    assert_eq!(
        count("social-insurance-payers", EventKind::ApplicationSubmitted),
        1
    );
    assert_eq!(
        count("social-insurance-payers", EventKind::ApplicationForwarded),
        1
    );
    assert_eq!(
        count("social-insurance-payers", EventKind::ApplicationApproved),
        1
    );
    assert_eq!(
        count("outpatient-stats", EventKind::ApplicationSubmitted),
        1
    );

    // Revocation, a grade change and a lowering request, through the API.
    let hrss = token(&s, "hrss").await;
    let (_, grants) = call(
        Method::GET,
        &s.url("/api/v1/datasets/social-insurance-payers/grants"),
        Some(&hrss),
        None,
    )
    .await;
    let grant_id = grants["grants"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{grants}"))
        .to_string();
    let size = checkpoint(&s).await.size;
    let (st, v) = call(
        Method::POST,
        &s.url(&format!("/api/v1/grants/{grant_id}/revoke")),
        Some(&hrss),
        Some(json!({"reason": "课题结束"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let l = leaf(&s, size).await;
    assert_eq!(l.kind, EventKind::GrantRevoked);
    assert_eq!(l.dataset.as_deref(), Some("social-insurance-payers"));
    assert_eq!(l.purpose.as_deref(), Some("research"));
    assert!(!l.to_line().contains("课题结束"), "reasons stay private");

    let transport = token(&s, "transport").await;
    let (st, v) = call(
        Method::PUT,
        &s.url("/api/v1/datasets/bus-stops/resources/stops/columns/站点名称/grade"),
        Some(&transport),
        Some(json!({"grade": "L2"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let kinds: Vec<EventKind> = leaves(&s, size + 1, checkpoint(&s).await.size)
        .await
        .iter()
        .map(|d| Leaf::parse(d).unwrap().kind)
        .collect();
    assert!(kinds.contains(&EventKind::GradeChanged), "{kinds:?}");
    // Raising a column of an unconditional dataset to L2 tightens the dataset too.
    assert!(kinds.contains(&EventKind::OpeningTypeChanged), "{kinds:?}");
    assert_log_verifies(&s).await;
}

#[tokio::test]
async fn auditors_open_private_details_that_match_the_commitment() {
    let s = demo().await;
    let citizen = token(&s, "citizen").await;
    let auditor = token(&s, "auditor").await;
    let r = get(
        s.url("/api/v1/datasets/bus-stops/query?limit=2&q=%E8%B7%AF"),
        Some(&citizen),
    )
    .await;
    let index = log_indexes(&r)[0];
    let path = format!("/api/v1/log/entries/{index}/detail");

    for who in [
        None,
        Some(citizen.as_str()),
        Some(token(&s, "admin").await.as_str()),
    ] {
        let (st, v) = call(Method::GET, &s.url(&path), who, None).await;
        assert!(
            st == StatusCode::UNAUTHORIZED || st == StatusCode::FORBIDDEN,
            "{st} {v}"
        );
    }
    let (st, v) = call(Method::GET, &s.url(&path), Some(&auditor), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["commitment_matches"], true);
    assert_eq!(v["detail"]["username"], "citizen");
    assert_eq!(v["detail"]["client"], "127.0.0.1");
    assert_eq!(v["detail"]["event"]["request"]["q"], "路");
    // Anyone holding the detail and salt can check the commitment themselves.
    let l = leaf(&s, index).await;
    let salt = hex::decode(v["salt"].as_str().unwrap()).unwrap();
    assert_eq!(
        app::audit::commitment(&salt, v["detail_text"].as_str().unwrap()),
        l.commitment
    );
    // The auditor's reading is itself logged.
    let read = leaf(&s, v["logged_as"].as_u64().unwrap()).await;
    assert_eq!(read.kind, EventKind::DetailRead);

    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/log/entries/99999999/detail"),
        Some(&auditor),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(error_code(&v), "log_entry_not_found");
}

#[tokio::test]
async fn concurrent_requests_each_get_their_own_durable_leaf() {
    concurrent_requests(&demo().await).await;
}

/// The same on PostgreSQL, when `GONGSHU_TEST_DATABASE_URL` names a server (CI sets it): the
/// demo runs in a database of its own, dropped afterwards.
#[tokio::test]
async fn concurrent_requests_on_postgres() {
    testkit::with_postgres("gongshu_log", |url| async move {
        let s = TestServer::start_with(|c| {
            c.demo = true;
            c.database_url = Some(url);
        })
        .await;
        concurrent_requests(&s).await;
    })
    .await;
}

async fn concurrent_requests(s: &TestServer) {
    let before = checkpoint(s).await.size;
    let mut tasks = Vec::new();
    for i in 0..48 {
        let url = s.url(&format!(
            "/api/v1/datasets/bus-stops/query?limit={}",
            1 + i % 5
        ));
        tasks.push(tokio::spawn(async move {
            let r = get(url, None).await;
            assert_eq!(r.status(), StatusCode::OK);
            (log_indexes(&r)[0], 1 + i % 5)
        }));
    }
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    let mut indexes: Vec<u64> = got.iter().map(|g| g.0).collect();
    indexes.sort();
    indexes.dedup();
    assert_eq!(indexes.len(), 48, "no two requests share an index");
    let after = assert_log_verifies(s).await;
    assert_eq!(after.size, before + 48);
    for (index, rows) in got {
        assert_eq!(leaf(s, index).await.rows, Some(rows as u64));
    }
}

#[tokio::test]
async fn bad_log_parameters_get_clear_errors() {
    let s = demo().await;
    let size = checkpoint(&s).await.size;
    for (path, status, code) in [
        (
            "/log/entries?start=abc",
            StatusCode::BAD_REQUEST,
            "log_range",
        ),
        (
            "/log/entries?start=5&end=2",
            StatusCode::BAD_REQUEST,
            "log_range",
        ),
        (
            "/log/entries?start=0&end=5000",
            StatusCode::BAD_REQUEST,
            "log_range",
        ),
        (
            &format!("/log/entries?start={}", size + 10),
            StatusCode::BAD_REQUEST,
            "log_range",
        ),
        (
            &format!("/log/proof/inclusion?index={size}&tree_size={size}"),
            StatusCode::BAD_REQUEST,
            "log_range",
        ),
        (
            &format!("/log/proof/inclusion?index=0&tree_size={}", size + 1),
            StatusCode::BAD_REQUEST,
            "log_range",
        ),
        (
            "/log/proof/inclusion?index=-1",
            StatusCode::BAD_REQUEST,
            "log_range",
        ),
        (
            "/log/proof/consistency?first=0&second=1",
            StatusCode::BAD_REQUEST,
            "log_range",
        ),
        (
            &format!("/log/proof/consistency?first=2&second={}", size + 1),
            StatusCode::BAD_REQUEST,
            "log_range",
        ),
        ("/log/receipt/x", StatusCode::BAD_REQUEST, "log_range"),
        (
            "/log/receipt/99999999",
            StatusCode::NOT_FOUND,
            "log_entry_not_found",
        ),
    ] {
        let (st, v) = call(Method::GET, &s.url(path), None, None).await;
        assert_eq!((st, error_code(&v)), (status, code), "{path}: {v}");
    }
    // The end of a range is cut to the log's size.
    let (st, v) = call(
        Method::GET,
        &s.url(&format!(
            "/log/entries?start={}&end={}",
            size - 1,
            size + 50
        )),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_portal_shows_the_log_and_checks_receipts() {
    let s = demo().await;
    let r = get(s.url("/api/v1/datasets/bus-stops/preview"), None).await;
    let index = log_indexes(&r)[0];
    let receipt = get(s.url(&format!("/log/receipt/{index}")), None)
        .await
        .text()
        .await
        .unwrap();
    let c = client();
    let html = page_text(&c, s.url("/log")).await;
    assert!(
        html.contains(&format!("id=\"entry-{index}\"")),
        "recent entries"
    );
    assert!(
        html.contains("data-dataset=\"bus-stops\""),
        "counts per dataset"
    );
    assert!(
        html.contains(&verifier(&s).await.to_vkey()),
        "the key is shown"
    );

    let check = |text: String| {
        let c = c.clone();
        let url = s.url("/log");
        async move {
            c.post(url)
                .form(&[("receipt", text)])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let html = check(receipt.clone()).await;
    assert!(html.contains("data-ok=\"true\""), "{html}");
    let tampered = receipt.replacen("bus-stops", "bus-stopz", 1);
    let html = check(tampered).await;
    assert!(html.contains("data-ok=\"false\""));
    let html = check("not json".into()).await;
    assert!(html.contains("data-ok=\"false\""));
}
