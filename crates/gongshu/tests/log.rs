//! `gongshu log` against a running server: verification passes on an honest log and fails
//! loudly when a stored leaf is changed, the tree is rolled back or it is forked; receipts verify
//! offline; and a server killed with SIGKILL during a burst of logged queries keeps the leaf of
//! every response it sent.

use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `gongshu serve` process on a free port over `dir`.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path, demo: bool) -> Server {
        Server::start_on(dir, demo, None)
    }

    /// [`Server::start`] with the metadata in `database` (a PostgreSQL URL) instead of SQLite.
    fn start_on(dir: &Path, demo: bool, database: Option<&str>) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongshu"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .env_remove("GONGSHU_DATABASE_URL")
            .env("GONGSHU_LOG", "warn")
            .stderr(Stdio::null());
        if demo {
            cmd.arg("--demo");
        }
        if let Some(url) = database {
            cmd.args(["--database-url", url]);
        }
        let (child, url) = testkit::spawn_server(cmd);
        Server { child, url }
    }

    /// SIGKILL: no graceful shutdown, nothing flushed that was not already durable.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `gongshu log …`; returns (success, stdout, stderr).
fn log_cmd(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .arg("log")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn verify(url: &str, state: &Path) -> (bool, String, String) {
    log_cmd(&["verify", "--url", url, "--state", state.to_str().unwrap()])
}

fn assert_fails_loudly(outcome: (bool, String, String), why: &str) {
    let (ok, out, err) = outcome;
    assert!(!ok, "verification should fail ({why}): {out}");
    assert!(err.contains("LOG VERIFICATION FAILED"), "{err}");
    assert!(err.contains(why), "expected `{why}` in: {err}");
}

async fn query(url: &str, limit: u32) -> (u64, u32) {
    let r = reqwest::get(format!(
        "{url}/api/v1/datasets/bus-stops/query?limit={limit}"
    ))
    .await
    .unwrap();
    let status = r.status();
    let index = r.headers().get("gongshu-log-index").cloned();
    assert!(status.is_success(), "{status}: {}", r.text().await.unwrap());
    let index = index.unwrap().to_str().unwrap().parse().unwrap();
    (index, limit)
}

async fn sqlite(dir: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.join("gongshu.db").display()))
        .await
        .unwrap()
}

async fn size(url: &str) -> u64 {
    let v: Value = reqwest::get(format!("{url}/log/entries?start=0&end=0"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["tree_size"].as_u64().unwrap()
}

#[tokio::test]
async fn verify_catches_a_changed_leaf_a_rollback_and_a_fork() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let server = Server::start(&dir.path().join("data"), true);
    let url = server.url.clone();

    // An honest log verifies, and again after it grew (by a consistency proof).
    let (ok, out, err) = verify(&url, &state);
    assert!(ok, "{out}{err}");
    assert!(out.contains("Trusting the server's verifier key on first use"));
    for limit in 1..=5 {
        query(&url, limit).await;
    }
    let (ok, out, err) = verify(&url, &state);
    assert!(ok, "{out}{err}");
    assert!(out.contains("Consistent with the checkpoint"), "{out}");

    // A receipt verifies offline with the published key, and fails once altered.
    let (index, _) = query(&url, 2).await;
    let (ok, receipt, err) = log_cmd(&["prove", &index.to_string(), "--url", &url]);
    assert!(ok, "{err}");
    let vkey = reqwest::get(format!("{url}/log/vkey"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let file = dir.path().join("receipt.json");
    std::fs::write(&file, &receipt).unwrap();
    let f = file.to_str().unwrap();
    let (ok, out, err) = log_cmd(&["verify-receipt", f, "--vkey", vkey.trim()]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("entry {index} is in the log")),
        "{out}"
    );
    let (ok, _, err) = log_cmd(&["verify-receipt", f]);
    assert!(
        !ok && err.contains("--vkey"),
        "a receipt needs a trusted key: {err}"
    );
    // The leaf is a JSON string inside the receipt, so its quotes are escaped.
    let altered = receipt.replace(r#"\"rows\":2"#, r#"\"rows\":9"#);
    assert_ne!(altered, receipt);
    std::fs::write(&file, altered).unwrap();
    assert_fails_loudly(
        log_cmd(&["verify-receipt", f, "--vkey", vkey.trim()]),
        "the receipt does not verify",
    );

    let db = sqlite(&dir.path().join("data")).await;
    // 1. Change one stored leaf: the entries no longer hash to the signed root.
    let (original,): (String,) = sqlx::query_as("SELECT data FROM log_leaves WHERE idx = 3")
        .fetch_one(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE log_leaves SET data = $1 WHERE idx = 3")
        .bind(original.replacen("\"v\":1", "\"v\":1 ", 1))
        .execute(&db)
        .await
        .unwrap();
    assert_fails_loudly(verify(&url, &state), "entries were altered");
    sqlx::query("UPDATE log_leaves SET data = $1 WHERE idx = 3")
        .bind(&original)
        .execute(&db)
        .await
        .unwrap();
    let (ok, out, err) = verify(&url, &state);
    assert!(ok, "restored: {out}{err}");

    // 2. Roll the tree back by three entries: the remembered checkpoint is larger.
    let n = size(&url).await;
    let keep = n - 3;
    let stored = 2 * keep - keep.count_ones() as u64;
    for sql in [
        "DELETE FROM log_details WHERE idx >= $1",
        "DELETE FROM log_leaves WHERE idx >= $1",
    ] {
        sqlx::query(sql)
            .bind(keep as i64)
            .execute(&db)
            .await
            .unwrap();
    }
    sqlx::query("DELETE FROM log_hashes WHERE id >= $1")
        .bind(stored as i64)
        .execute(&db)
        .await
        .unwrap();
    assert_fails_loudly(verify(&url, &state), "rolled back");

    // 3. Fork: the server grows a different history past the remembered size; its new
    // checkpoint does not extend the one the verifier remembers.
    for limit in 1..=6 {
        query(&url, limit).await;
    }
    assert!(size(&url).await > n);
    assert_fails_loudly(verify(&url, &state), "forked");
    // A verifier without memory still sees a self-consistent log: only remembered state
    // catches a fork, which is why the state file matters.
    let (ok, out, err) = verify(&url, &dir.path().join("fresh.json"));
    assert!(ok, "{out}{err}");
    drop(server);
}

#[tokio::test]
async fn a_killed_server_keeps_the_leaf_of_every_response_it_sent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, true);
    let url = server.url.clone();

    // A burst from 16 clients; the server is killed once 150 answers have arrived, while the
    // clients are still sending.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut clients = Vec::new();
    for c in 0..16u32 {
        let (url, tx) = (url.clone(), tx.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0.. {
                let limit = 1 + (c + i) % 7;
                let r = http
                    .get(format!(
                        "{url}/api/v1/datasets/bus-stops/query?limit={limit}"
                    ))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                if !r.status().is_success() {
                    break;
                }
                let Some(index) = r.headers().get("gongshu-log-index").cloned() else {
                    break;
                };
                // The answer counts as sent once its body arrived in full.
                if r.bytes().await.is_err() {
                    break;
                }
                let index: u64 = index.to_str().unwrap().parse().unwrap();
                if tx.send((index, limit)).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let mut answered = Vec::new();
    while let Some(a) = rx.recv().await {
        answered.push(a);
        if answered.len() == 150 {
            break;
        }
    }
    server.kill();
    for c in clients {
        let _ = c.await;
    }
    while let Ok(a) = rx.try_recv() {
        answered.push(a);
    }
    assert!(answered.len() >= 150);

    // Restarted, the log verifies and holds every answered request's leaf.
    let server = Server::start(&data, false);
    let state = dir.path().join("state.json");
    let (ok, out, err) = verify(&server.url, &state);
    assert!(ok, "{out}{err}");
    let n = size(&server.url).await;
    let mut indexes: Vec<u64> = answered.iter().map(|a| a.0).collect();
    indexes.sort();
    indexes.dedup();
    assert_eq!(indexes.len(), answered.len(), "indexes are never reused");
    for (index, limit) in answered {
        assert!(
            index < n,
            "entry {index} of a sent answer is missing (size {n})"
        );
        let v: Value = reqwest::get(format!(
            "{}/log/entries?start={index}&end={}",
            server.url,
            index + 1
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let leaf: Value = serde_json::from_str(v["entries"][0]["data"].as_str().unwrap()).unwrap();
        assert_eq!(leaf["kind"], "data.query");
        assert_eq!(leaf["dataset"], "bus-stops");
        assert_eq!(leaf["rows"], limit);
    }
    // And it keeps working after the crash.
    let (index, _) = query(&server.url, 3).await;
    assert!(index >= n);
}

/// Runs `gongshu user …` beside the server on `data` (and `database`); returns stdout.
fn user_cmd(data: &Path, database: Option<&str>, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongshu"));
    cmd.arg("user").args(args).arg("--data-dir").arg(data);
    if let Some(url) = database {
        cmd.args(["--database-url", url]);
    }
    let out = cmd
        .env_remove("GONGSHU_DATABASE_URL")
        .env("GONGSHU_PASSWORD", "Redeem-Burst-2026!")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Result<(reqwest::StatusCode, Value), reqwest::Error> {
    let mut req = http.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await?;
    let status = r.status();
    let v = r.json().await.unwrap_or(Value::Null);
    Ok((status, v))
}

#[tokio::test]
async fn a_killed_server_loses_no_redemption_and_logs_each() {
    redemption_burst(None).await;
}

#[tokio::test]
async fn a_killed_server_loses_no_redemption_and_logs_each_on_postgres() {
    testkit::with_postgres("gongshu_burst", |url| redemption_burst(Some(url))).await;
}

/// (credits, spends) in the ledger of `username`, read from the database itself.
async fn ledger_sums(data: &Path, database: Option<&str>, username: &str) -> (i64, i64) {
    const SQL: &str =
        "SELECT CAST(SUM(CASE WHEN e.kind = 'credit' THEN e.points ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN e.kind = 'spend' THEN e.points ELSE 0 END) AS BIGINT) \
         FROM points_entries e JOIN users u ON u.id = e.user_id WHERE u.username = $1";
    match database {
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let sums = sqlx::query_as(SQL)
                .bind(username)
                .fetch_one(&pool)
                .await
                .unwrap();
            pool.close().await;
            sums
        }
        None => sqlx::query_as(SQL)
            .bind(username)
            .fetch_one(&sqlite(data).await)
            .await
            .unwrap(),
    }
}

/// A burst of redemptions from 24 clients; the server is killed (SIGKILL) after 20 answers and
/// restarted: no acknowledged redemption is lost, stock plus redemptions is the initial stock,
/// every balance equals its ledger, and every redemption has its leaf.
async fn redemption_burst(database: Option<String>) {
    use reqwest::Method;
    let db = database.as_deref();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_on(&data, true, db);
    let url = server.url.clone();
    let http = reqwest::Client::new();
    let admin = user_cmd(&data, db, &["token", "admin"]);

    // Six users with 100 points each; a reward of 10 points with 40 in stock, so the burst
    // meets both the end of the stock and the end of balances.
    let mut tokens = Vec::new();
    for i in 0..6 {
        let name = format!("burst{i}");
        user_cmd(
            &data,
            db,
            &["create", "--username", &name, "--role", "citizen"],
        );
        tokens.push(user_cmd(&data, db, &["token", &name]));
        let (st, v) = send(
            &http,
            Method::POST,
            format!("{url}/api/v1/points/adjustments"),
            &admin,
            Some(serde_json::json!({"username": name, "points": 100, "note": "burst", "key": "seed"})),
        )
        .await
        .unwrap();
        assert_eq!(st, 201, "{v}");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let (st, v) = send(
        &http,
        Method::POST,
        format!("{url}/api/v1/rewards"),
        &admin,
        Some(serde_json::json!({
            "name": "burst", "cost": 10, "stock": 40, "per_user": 100,
            "starts_at": now - 60_000, "ends_at": now + 86_400_000,
        })),
    )
    .await
    .unwrap();
    assert_eq!(st, 201, "{v}");
    let reward = v["id"].as_str().unwrap().to_string();

    // Four clients per user redeem until refused; the server is killed after 20 answers.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut clients = Vec::new();
    for token in &tokens {
        for _ in 0..4 {
            let (url, tx, token, reward) = (url.clone(), tx.clone(), token.clone(), reward.clone());
            clients.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                loop {
                    let sent = send(
                        &http,
                        Method::POST,
                        format!("{url}/api/v1/rewards/{reward}/redeem"),
                        &token,
                        None,
                    )
                    .await;
                    match sent {
                        Ok((st, v)) if st == 201 => {
                            if tx.send(v["id"].as_str().unwrap().to_string()).is_err() {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
            }));
        }
    }
    drop(tx);
    let mut acknowledged = Vec::new();
    while let Some(id) = rx.recv().await {
        acknowledged.push(id);
        if acknowledged.len() == 20 {
            break;
        }
    }
    server.kill();
    for c in clients {
        let _ = c.await;
    }
    while let Ok(id) = rx.try_recv() {
        acknowledged.push(id);
    }
    assert!(acknowledged.len() >= 20);

    // Restarted: the leaves a killed process missed are appended, the log verifies, and the
    // books balance.
    let server = Server::start_on(&data, false, db);
    let url = server.url.clone();
    let (ok, out, err) = verify(&url, &dir.path().join("state.json"));
    assert!(ok, "{out}{err}");
    let (st, list) = send(
        &http,
        Method::GET,
        format!("{url}/api/v1/rewards/{reward}/redemptions"),
        &admin,
        None,
    )
    .await
    .unwrap();
    assert_eq!(st, 200, "{list}");
    let list = list.as_array().unwrap();
    let ids: std::collections::BTreeSet<&str> =
        list.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in &acknowledged {
        assert!(
            ids.contains(id.as_str()),
            "acknowledged redemption {id} was lost"
        );
    }
    let (_, r) = send(
        &http,
        Method::GET,
        format!("{url}/api/v1/rewards/{reward}"),
        &admin,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        r["stock"].as_i64().unwrap() + list.len() as i64,
        40,
        "stock plus redemptions is the initial stock"
    );
    let n = size(&url).await;
    let mut indexes = std::collections::BTreeSet::new();
    for red in list {
        let index = red["log_index"]
            .as_u64()
            .unwrap_or_else(|| panic!("redemption without a leaf: {red}"));
        assert!(index < n && indexes.insert(index));
        let v: Value = reqwest::get(format!("{url}/log/entries?start={index}&end={}", index + 1))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let leaf: Value = serde_json::from_str(v["entries"][0]["data"].as_str().unwrap()).unwrap();
        assert_eq!(leaf["kind"], "points.redeemed");
    }
    // Every balance is exact: what the ledger says equals 100 minus what was redeemed.
    for (i, token) in tokens.iter().enumerate() {
        let (_, me) = send(
            &http,
            Method::GET,
            format!("{url}/api/v1/me/points"),
            token,
            None,
        )
        .await
        .unwrap();
        let redeemed = me["redemptions"].as_array().unwrap().len() as i64;
        assert_eq!(
            me["spendable"].as_i64().unwrap(),
            100 - 10 * redeemed,
            "{me}"
        );
        assert_eq!(me["lifetime"], 100);
        let (credits, spends) = ledger_sums(&data, db, &format!("burst{i}")).await;
        assert_eq!((credits, spends), (100, 10 * redeemed));
    }
}
