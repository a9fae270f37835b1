//! The adversarial suite of C5: for every demo dataset and every role, queries that try to reach
//! hidden or masked values. The oracle is the data itself: the owner reads every raw value, and
//! no response to anyone else may contain a raw value of a column that person may not see raw.
//! A hidden column must not be usable anywhere (select list, WHERE, ORDER BY, GROUP BY, HAVING,
//! joins, aggregates), and an error about it must read exactly like an error about a column that
//! does not exist.

use crate::access::{demo, token};
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Owners of the demo datasets (by username).
const OWNERS: &[(&str, &str)] = &[
    ("bus-stops", "transport"),
    ("air-quality-daily", "ecology"),
    ("hospitals", "health"),
    ("outpatient-stats", "health"),
    ("social-insurance-payers", "hrss"),
    ("enterprise-registry", "hrss"),
    ("traffic-flow", "transport"),
    ("xihu-tech-employment", "enterprise"),
    ("water-network", "transport"),
];

/// Everyone who is not the owner, as (label, username or None for anonymous).
const ROLES: &[(&str, Option<&str>)] = &[
    ("anonymous", None),
    ("citizen", Some("citizen")),
    ("enterprise", Some("enterprise")),
    ("staff", Some("transport")),
    ("staff", Some("health")),
    ("authority", Some("admin")),
    ("auditor", Some("auditor")),
];

fn cell_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Whether a raw value is distinctive enough that finding it in a response means a leak.
fn distinctive(s: &str) -> bool {
    let n = s.chars().count();
    if s.is_ascii() {
        n >= 7
    } else {
        n >= 3
    }
}

struct Table {
    name: String,
    columns: Vec<String>,
    /// Column grades as the catalog records them (the independent oracle: a non-owner never
    /// sees an L3 or L4 value raw, whatever the service reports about itself).
    grades: BTreeMap<String, String>,
    rows: Vec<BTreeMap<String, String>>,
}

async fn raw_table(s: &TestServer, name: &str, owner: &str) -> Table {
    let (st, v) = call(
        Method::GET,
        &s.url(&format!("/api/v1/datasets/{name}/query?limit=10000")),
        Some(owner),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "owner reads {name}: {v}");
    let columns = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    let rows = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_object()
                .unwrap()
                .iter()
                .filter_map(|(k, v)| cell_text(v).map(|t| (k.clone(), t)))
                .collect()
        })
        .collect();
    let (_, meta) = call(
        Method::GET,
        &s.url(&format!("/api/v1/datasets/{name}")),
        Some(owner),
        None,
    )
    .await;
    let grades = meta["resources"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["grade"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    Table {
        name: name.to_string(),
        columns,
        grades,
        rows,
    }
}

async fn sql(s: &TestServer, who: Option<&str>, text: &str) -> (StatusCode, Value) {
    call(
        Method::POST,
        &s.url("/api/v1/sql"),
        who,
        Some(json!({ "sql": text })),
    )
    .await
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Swaps ASCII letter case, for "quoted identifiers in other cases".
fn other_case(ident: &str) -> Option<String> {
    let swapped: String = ident
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    (swapped != ident).then_some(swapped)
}

/// The probes for one column of one table.
fn probes(t: &str, c: &str, other: &str) -> Vec<String> {
    let tq = quote(t);
    let cq = quote(c);
    let mut out = vec![
        format!("SELECT {cq} FROM {tq}"),
        format!("SELECT {cq} AS x FROM {tq}"),
        format!("SELECT s.{cq} FROM (SELECT * FROM {tq}) s"),
        format!("WITH w AS (SELECT * FROM {tq}) SELECT {cq} FROM w"),
        format!("SELECT {cq} FROM {tq} UNION SELECT {cq} FROM {tq}"),
        format!("SELECT a.{cq} FROM {tq} a JOIN {tq} b ON a.{cq} = b.{cq}"),
        format!("SELECT substr(CAST({cq} AS VARCHAR), 1, 40) FROM {tq}"),
        format!("SELECT concat(CAST({cq} AS VARCHAR), '') FROM {tq}"),
        format!("SELECT regexp_replace(CAST({cq} AS VARCHAR), '(.*)', '$1') FROM {tq}"),
        format!("SELECT length(CAST({cq} AS VARCHAR)) FROM {tq}"),
        format!("SELECT upper(CAST({cq} AS VARCHAR)) FROM {tq}"),
        format!("SELECT CAST({cq} AS VARCHAR) FROM {tq}"),
        format!("SELECT COUNT(*) FROM {tq} WHERE {cq} IS NOT NULL"),
        format!("SELECT 1 FROM {tq} ORDER BY {cq}"),
        format!("SELECT COUNT(*) FROM {tq} GROUP BY {cq}"),
        format!("SELECT COUNT(*) FROM {tq} GROUP BY 1 HAVING MAX(CAST({cq} AS VARCHAR)) > ''"),
        format!("SELECT COUNT(DISTINCT {cq}) FROM {tq}"),
        format!("SELECT (SELECT MAX(CAST({cq} AS VARCHAR)) FROM {tq}) AS m"),
        format!("SELECT * FROM {tq} WHERE {cq} IN (SELECT {cq} FROM {tq})"),
    ];
    if other != t {
        out.push(format!(
            "SELECT x.{cq} FROM {tq} x CROSS JOIN (SELECT 1 FROM {} LIMIT 1) y",
            quote(other)
        ));
    }
    if let Some(swapped) = other_case(c) {
        out.push(format!("SELECT {} FROM {tq}", quote(&swapped)));
        out.push(format!("SELECT {swapped} FROM {tq}"));
    }
    out
}

#[tokio::test]
async fn no_query_reaches_a_value_its_caller_may_not_see() {
    probe_everything(demo().await).await;
}

/// The same suite with every query that reads a file sent to a cluster (a scheduler and two
/// executors in this process): the same answers must hold, and they must have come from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_query_on_a_cluster_reaches_a_value_its_caller_may_not_see() {
    let nodes = cluster::LocalCluster::start(2, 1).unwrap();
    let client = std::sync::Arc::new(cluster::Client::new(nodes.url()).unwrap());
    let s = TestServer::start_on_cluster(
        |c| {
            c.demo = true;
            c.max_upload_bytes = 64 << 20;
        },
        client.clone(),
    )
    .await;
    probe_everything(s).await;
    assert!(
        client.jobs() > 1000,
        "{} jobs ran on the cluster",
        client.jobs()
    );
}

async fn probe_everything(s: TestServer) {
    let mut tokens: BTreeMap<&str, String> = BTreeMap::new();
    for u in [
        "transport",
        "ecology",
        "health",
        "hrss",
        "enterprise",
        "citizen",
        "admin",
        "auditor",
    ] {
        tokens.insert(u, token(&s, u).await);
    }
    // The enterprise's pending demo application is approved narrowed to two of its three
    // columns, so a grant with hidden columns is probed too (the citizen's demo grant on the
    // personal table hides the L4 column and masks L3 ones).
    let (_, queue) = call(
        Method::GET,
        &s.url("/api/v1/reviews"),
        Some(&tokens["health"]),
        None,
    )
    .await;
    let pending = queue["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["dataset"] == "outpatient-stats")
        .expect("the demo's pending application");
    let (st, v) = call(
        Method::POST,
        &s.url(&format!(
            "/api/v1/applications/{}/review",
            pending["id"].as_str().unwrap()
        )),
        Some(&tokens["health"]),
        Some(json!({"decision": "approve", "columns": ["月份", "科室"]})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let mut tables = Vec::new();
    for (name, owner) in OWNERS {
        tables.push(raw_table(&s, name, &tokens[owner]).await);
    }
    let mut probes_run = 0usize;
    let mut hidden_probes = 0usize;
    let mut hidden_checked = 0usize;
    for table in &tables {
        let owner = OWNERS.iter().find(|(n, _)| *n == table.name).unwrap().1;
        for (role, username) in ROLES {
            if *username == Some(owner) {
                continue;
            }
            let who = username.map(|u| tokens[u].as_str());
            let label = format!("{role}/{} on {}", username.unwrap_or("-"), table.name);
            // What this caller sees: raw columns, masked columns, and the rest hidden.
            let (st, view) = call(
                Method::GET,
                &s.url(&format!("/api/v1/datasets/{}/preview", table.name)),
                who,
                None,
            )
            .await;
            let (raw, masked): (BTreeSet<String>, BTreeSet<String>) = if st == StatusCode::OK {
                let fields = view["fields"].as_array().unwrap();
                (
                    fields
                        .iter()
                        .filter(|f| f["masked"] == false)
                        .map(|f| f["id"].as_str().unwrap().to_string())
                        .collect(),
                    fields
                        .iter()
                        .filter(|f| f["masked"] == true)
                        .map(|f| f["id"].as_str().unwrap().to_string())
                        .collect(),
                )
            } else {
                assert!(st.is_client_error(), "{label}: {st} {view}");
                Default::default()
            };
            let readable = st == StatusCode::OK;
            // Whatever the service says it shows, L3 and L4 values are never raw for a non-owner.
            let raw: BTreeSet<String> = raw
                .into_iter()
                .filter(|c| {
                    let grade = table.grades.get(c).map(String::as_str).unwrap_or("L4");
                    assert!(grade <= "L2", "{label}: {c} ({grade}) is shown unmasked");
                    if view["access"]["basis"] == "open" {
                        assert_eq!(
                            grade, "L1",
                            "{label}: open data shows only L1 columns, not {c}"
                        );
                    }
                    true
                })
                .collect();
            let hidden: BTreeSet<String> = table
                .columns
                .iter()
                .filter(|c| !raw.contains(*c) && !masked.contains(*c))
                .cloned()
                .collect();
            // Raw values that must never appear: every value of a column not visible raw, unless
            // the same text is also a raw value of a visible column.
            let visible_text: BTreeSet<&str> = table
                .rows
                .iter()
                .flat_map(|r| {
                    r.iter()
                        .filter(|(k, _)| raw.contains(*k))
                        .map(|(_, v)| v.as_str())
                })
                .collect();
            let secrets: BTreeSet<&str> = table
                .rows
                .iter()
                .flat_map(|r| {
                    r.iter()
                        .filter(|(k, _)| !raw.contains(*k))
                        .map(|(_, v)| v.as_str())
                })
                .filter(|v| distinctive(v) && !visible_text.iter().any(|t| t.contains(v)))
                .collect();
            let leaks = |body: &Value| -> Option<String> {
                let text = body.to_string();
                secrets
                    .iter()
                    .find(|sec| text.contains(*sec))
                    .map(|s| s.to_string())
            };
            let other = if table.name == "bus-stops" {
                "hospitals"
            } else {
                "bus-stops"
            };
            let mut queries = vec![format!("SELECT * FROM {}", quote(&table.name))];
            for c in &table.columns {
                queries.extend(probes(&table.name, c, other));
            }
            // The REST paths as well.
            let mut rest = vec![format!("/api/v1/datasets/{}/query?limit=10000", table.name)];
            for c in &table.columns {
                rest.push(format!(
                    "/api/v1/datasets/{}/query?fields={}",
                    table.name,
                    urlenc(c)
                ));
                rest.push(format!(
                    "/api/v1/datasets/{}/query?sort={}",
                    table.name,
                    urlenc(c)
                ));
                rest.push(format!(
                    "/api/v1/datasets/{}/query?filters={}",
                    table.name,
                    urlenc(&json!([{"column": c, "op": "not_null"}]).to_string())
                ));
                rest.push(format!(
                    "/api/v1/datasets/{}/aggregate?group_by={}&metrics=count",
                    table.name,
                    urlenc(c)
                ));
                rest.push(format!(
                    "/api/v1/datasets/{}/aggregate?metrics=count_distinct:{}",
                    table.name,
                    urlenc(c)
                ));
                rest.push(format!(
                    "/api/v1/datasets/{}/download?format=csv&fields={}",
                    table.name,
                    urlenc(c)
                ));
            }
            for q in &queries {
                let (st, body) = sql(&s, who, q).await;
                probes_run += 1;
                assert!(!st.is_server_error(), "{label}: {q} → {st} {body}");
                if let Some(sec) = leaks(&body) {
                    panic!("{label}: {q} leaked {sec:?}: {body}");
                }
                if st.is_success() {
                    let mentioned: Vec<&String> =
                        hidden.iter().filter(|h| mentions(q, h)).collect();
                    assert!(
                        mentioned.is_empty(),
                        "{label}: {q} succeeded although it uses hidden {mentioned:?}: {body}"
                    );
                    assert!(
                        readable,
                        "{label}: {q} read a table the caller may not read: {body}"
                    );
                } else {
                    if hidden.iter().any(|h| mentions(q, h)) {
                        hidden_probes += 1;
                    }
                    let message = body["error"]["message"].as_str().unwrap_or_default();
                    for h in &hidden {
                        if !mentions(q, h) && h.chars().count() > 1 {
                            assert!(
                                !message.contains(h.as_str()),
                                "{label}: the error for {q} names hidden column {h}: {message}"
                            );
                        }
                    }
                }
            }
            for path in &rest {
                let (st, body) = call(Method::GET, &s.url(path), who, None).await;
                probes_run += 1;
                assert!(!st.is_server_error(), "{label}: {path} → {st} {body}");
                if let Some(sec) = leaks(&body) {
                    panic!("{label}: {path} leaked {sec:?}");
                }
            }
            // A hidden column reads exactly like a column that does not exist.
            if readable {
                for h in &hidden {
                    hidden_checked += 1;
                    let t = quote(&table.name);
                    let (st1, b1) = sql(&s, who, &format!("SELECT {} FROM {t}", quote(h))).await;
                    let (st2, b2) = sql(
                        &s,
                        who,
                        &format!("SELECT {} FROM {t}", quote("zz_no_such_column")),
                    )
                    .await;
                    assert_eq!(st1, st2, "{label}: {h}");
                    assert_eq!(error_code(&b1), error_code(&b2), "{label}: {h}");
                    let m1 = b1["error"]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .replace(h.as_str(), "#");
                    let m2 = b2["error"]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .replace("zz_no_such_column", "#");
                    assert_eq!(m1, m2, "{label}: errors about hidden {h} differ from errors about a missing column");
                }
            }
        }
    }
    // The suite really ran: every table, every role, and hidden columns among them.
    assert!(probes_run > 2000, "{probes_run}");
    assert!(hidden_probes > 1000, "{hidden_probes}");
    assert!(hidden_checked >= 3, "{hidden_checked}");
}

fn mentions(query: &str, column: &str) -> bool {
    query.contains(&quote(column)) || query.to_lowercase().contains(&column.to_lowercase())
}

fn urlenc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn queries_are_bounded_in_rows_and_time() {
    let s = TestServer::start_with(|c| {
        c.demo = true;
        c.max_upload_bytes = 64 << 20;
        c.query_max_rows = 50;
        c.query_timeout_secs = 1;
    })
    .await;
    let t = token(&s, "hrss").await;
    // The row cap truncates and says so.
    let (st, v) = sql(&s, Some(&t), "SELECT * FROM \"social-insurance-payers\"").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (v["row_count"].as_u64(), v["truncated"].as_bool()),
        (Some(50), Some(true))
    );
    // A query that cannot finish in any reasonable time is stopped.
    let (st, v) = sql(
        &s,
        Some(&t),
        "SELECT COUNT(*) FROM \"social-insurance-payers\" a, \"social-insurance-payers\" b, \"social-insurance-payers\" c, \"social-insurance-payers\" d, \"social-insurance-payers\" e",
    )
    .await;
    assert!(st.is_client_error(), "{st} {v}");
    assert!(
        ["query_timeout", "query_memory"].contains(&error_code(&v)),
        "{v}"
    );
    // Everything that is not one SELECT is refused before it runs.
    for text in [
        "EXPLAIN SELECT * FROM \"social-insurance-payers\"",
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO \"social-insurance-payers\" VALUES (1)",
        "COPY \"social-insurance-payers\" TO '/tmp/x.csv'",
        "SET datafusion.execution.batch_size = 1",
        "SELECT 1; SELECT 2",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM read_parquet('/tmp/x.parquet')",
    ] {
        let (st, v) = sql(&s, Some(&t), text).await;
        assert!(st.is_client_error(), "{text}: {st} {v}");
    }
}
