//! Three `gongshu serve` processes behind nginx, on one PostgreSQL database and one
//! S3-compatible bucket, started with the example configuration files of `docs/examples/`.
//!
//! A mixed workload goes through the balancer (portal logins, dataset creation and uploads,
//! searches, applications and their review, queries and downloads); then every server sees every
//! acknowledged change, `gongshu log verify` passes against the balancer and against each server
//! with one remembered checkpoint (so one key and one tree), and the leaf of every answered read
//! is in the log. The workload runs again while one server is killed with SIGKILL: no
//! acknowledged write is lost, the log still verifies, and the killed server, started again,
//! catches up.
//!
//! The test script provides the services: `GONGSHU_TEST_DATABASE_URL` (a PostgreSQL server),
//! `GONGSHU_TEST_S3_ENDPOINT` and `GONGSHU_TEST_S3_BUCKET` (moto's S3 server) and
//! `GONGSHU_TEST_NGINX` (nginx from Debian). Without them the test says it was skipped.

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the test runs against.
struct Services {
    endpoint: String,
    bucket: String,
    nginx: PathBuf,
}

fn services() -> Option<Services> {
    let var = |name: &str| std::env::var(name).ok();
    match (
        var("GONGSHU_TEST_S3_ENDPOINT"),
        var("GONGSHU_TEST_S3_BUCKET"),
        var("GONGSHU_TEST_NGINX"),
    ) {
        (Some(endpoint), Some(bucket), Some(nginx)) => Some(Services {
            endpoint,
            bucket,
            nginx: nginx.into(),
        }),
        _ => {
            eprintln!(
                "skipped: set GONGSHU_TEST_S3_ENDPOINT, GONGSHU_TEST_S3_BUCKET and \
                 GONGSHU_TEST_NGINX to run it"
            );
            None
        }
    }
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How every server of the deployment is started.
struct Deployment {
    database: String,
    storage_url: String,
    endpoint: String,
    secrets: PathBuf,
    public_url: String,
}

/// One `gongshu serve`.
struct Node {
    child: Child,
    url: String,
}

impl Deployment {
    fn start(&self, data: &Path, demo: bool) -> Node {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongshu"));
        cmd.arg("serve")
            .arg("--config")
            .arg(example("gongshu-node.toml"))
            .args(["--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data)
            .args(["--database-url", &self.database])
            .args(["--storage-url", &self.storage_url])
            .args(["--storage-endpoint", &self.endpoint])
            .arg("--secrets-dir")
            .arg(&self.secrets)
            .args(["--public-url", &self.public_url])
            .env_remove("GONGSHU_DATABASE_URL")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("GONGSHU_LOG", "warn")
            .stderr(Stdio::inherit());
        if demo {
            cmd.arg("--demo");
        }
        let (child, url) = testkit::spawn_server(cmd);
        Node { child, url }
    }

    /// `gongshu user token NAME` beside the servers.
    fn token(&self, data: &Path, username: &str) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
            .args(["user", "token", username, "--data-dir"])
            .arg(data)
            .args(["--database-url", &self.database])
            .env_remove("GONGSHU_DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx with the example configuration, pointed at `nodes`.
struct Balancer {
    child: Child,
    url: String,
}

impl Balancer {
    fn start(nginx: &Path, prefix: &Path, port: u16, nodes: &[&Node]) -> Balancer {
        let mut conf = std::fs::read_to_string(example("nginx.conf")).unwrap();
        for (i, node) in nodes.iter().enumerate() {
            let example = format!("127.0.0.1:{} ", 8081 + i);
            let address = node.url.trim_start_matches("http://");
            assert!(conf.contains(&example), "{example} in the example");
            conf = conf.replace(&example, &format!("{address} "));
        }
        assert!(conf.contains("listen 127.0.0.1:8080;"));
        conf = conf.replace(
            "listen 127.0.0.1:8080;",
            &format!("listen 127.0.0.1:{port};"),
        );
        // nginx's workers run as an unprivileged user when it is started as root: they must
        // reach the prefix.
        std::fs::create_dir_all(prefix).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(prefix, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(prefix.join("nginx.conf"), conf).unwrap();
        let mut child = Command::new(nginx)
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(prefix.join("nginx.conf"))
            .arg("-e")
            .arg(prefix.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Balancer {
                    child,
                    url: format!("http://127.0.0.1:{port}"),
                };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("nginx did not listen on {port}");
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers too.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// What a round of the workload had acknowledged.
#[derive(Default)]
struct Acknowledged {
    /// Datasets created with a version, by name, with their rows.
    datasets: Vec<(String, u64)>,
    /// Log indexes of answered reads: (index, kind).
    reads: Vec<(u64, &'static str)>,
    /// Approved applications, by id.
    approved: Vec<String>,
    /// Successful portal logins.
    logins: usize,
}

struct Tokens {
    health: String,
    citizen: String,
}

async fn send(
    http: &Client,
    method: Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Option<(StatusCode, Value)> {
    let mut req = http.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.ok()?;
    let status = r.status();
    let v = r.json().await.unwrap_or(Value::Null);
    Some((status, v))
}

/// A word of letters only (searches split words at digits), one per dataset.
fn word(round: u32, i: u32) -> String {
    let letters = |mut n: u32| {
        let mut s = String::new();
        for _ in 0..3 {
            s.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
        }
        s
    };
    format!("gsmn{}{}", letters(round), letters(i))
}

/// One round: each kind of client does a bounded amount of work through the balancer. When
/// `answered` reaches `kill_after`, `kill` runs (from the reads' task).
async fn workload(
    lb: &str,
    tokens: &Tokens,
    round: u32,
    kill_after: usize,
    kill: Option<Box<dyn FnOnce() + Send>>,
) -> Acknowledged {
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let answered = Arc::new(AtomicUsize::new(0));
    let kill = Arc::new(Mutex::new(kill));
    let mut tasks = Vec::new();

    // A publisher creates datasets and uploads a version of each.
    {
        let (lb, token, acked) = (lb.to_string(), tokens.health.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let http = Client::new();
            for i in 0..6u32 {
                let name = format!("mn-r{round}-d{i}");
                let created = send(
                    &http,
                    Method::POST,
                    format!("{lb}/api/v1/datasets"),
                    &token,
                    Some(json!({
                        "name": name,
                        "title": format!("多节点 {} 测试", word(round, i)),
                        "opening_type": "unconditional",
                    })),
                )
                .await;
                if !matches!(created, Some((StatusCode::CREATED, _))) {
                    eprintln!("creating {name} was not acknowledged: {created:?}");
                    continue;
                }
                let rows = 3 + u64::from(i);
                let mut csv = String::from("编号,区,数量\n");
                for r in 0..rows {
                    csv.push_str(&format!("{r},西湖区,{}\n", r * 10 + u64::from(i)));
                }
                let part = reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("d.csv");
                let form = reqwest::multipart::Form::new().part("file", part);
                let uploaded = http
                    .post(format!(
                        "{lb}/api/v1/datasets/{name}/resources/main/versions"
                    ))
                    .bearer_auth(&token)
                    .multipart(form)
                    .send()
                    .await;
                match uploaded {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        acked.lock().unwrap().datasets.push((name, rows));
                    }
                    Ok(r) => eprintln!(
                        "uploading to {name} was not acknowledged: {} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    ),
                    Err(e) => eprintln!("uploading to {name} was not acknowledged: {e}"),
                }
            }
        }));
    }

    // Readers: queries, downloads and searches, anonymous.
    for c in 0..4u32 {
        let (lb, acked, answered, kill) = (
            lb.to_string(),
            acked.clone(),
            answered.clone(),
            kill.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let http = Client::new();
            for i in 0..30u32 {
                let (path, kind) = match (c + i) % 3 {
                    0 => ("download?format=csv", "data.download"),
                    _ => ("query?limit=5", "data.query"),
                };
                let r = http
                    .get(format!("{lb}/api/v1/datasets/bus-stops/{path}"))
                    .send()
                    .await;
                if let Ok(r) = r {
                    let index = r
                        .headers()
                        .get("gongshu-log-index")
                        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                    // An answer counts once its body arrived in full.
                    if let (true, Some(index), Ok(_)) =
                        (r.status().is_success(), index, r.bytes().await)
                    {
                        acked.lock().unwrap().reads.push((index, kind));
                        if answered.fetch_add(1, Ordering::SeqCst) + 1 == kill_after {
                            if let Some(k) = kill.lock().unwrap().take() {
                                k();
                            }
                        }
                    }
                }
                if i % 5 == 0 {
                    let _ = http
                        .get(format!("{lb}/api/3/action/package_search?q=bus"))
                        .send()
                        .await;
                }
            }
        }));
    }

    // Portal logins: the form comes from one server and is posted to another.
    {
        let (lb, acked) = (lb.to_string(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..6 {
                let http = Client::builder()
                    .cookie_store(true)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                let anonymous = http.get(format!("{lb}/activity")).send().await;
                if let Ok(r) = anonymous {
                    assert_ne!(r.status(), StatusCode::OK, "signed out, no activity page");
                }
                let Ok(page) = http.get(format!("{lb}/login")).send().await else {
                    continue;
                };
                let Ok(html) = page.text().await else {
                    continue;
                };
                let marker = "name=\"csrf\" value=\"";
                let Some(start) = html.find(marker).map(|s| s + marker.len()) else {
                    continue;
                };
                let csrf = &html[start..start + html[start..].find('"').unwrap()];
                let posted = http
                    .post(format!("{lb}/login"))
                    .form(&[
                        ("username", "citizen"),
                        ("password", "citizen-demo-2026"),
                        ("csrf", csrf),
                    ])
                    .send()
                    .await;
                if !matches!(&posted, Ok(r) if r.status() == StatusCode::SEE_OTHER) {
                    eprintln!("a login was not acknowledged: {posted:?}");
                    continue;
                }
                // A page only a signed-in visitor sees, from whichever server the balancer
                // picks; the session is a row of the shared database.
                let mine = http.get(format!("{lb}/activity")).send().await;
                if matches!(&mine, Ok(r) if r.status() == StatusCode::OK) {
                    acked.lock().unwrap().logins += 1;
                }
            }
        }));
    }

    // Applications by a citizen, reviewed by the owning department.
    {
        let (lb, citizen, health, acked) = (
            lb.to_string(),
            tokens.citizen.clone(),
            tokens.health.clone(),
            acked.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let http = Client::new();
            let Some((_, agreement)) = send(
                &http,
                Method::GET,
                format!("{lb}/api/v1/agreement"),
                &citizen,
                None,
            )
            .await
            else {
                return;
            };
            let Some((StatusCode::OK, preview)) = send(
                &http,
                Method::GET,
                format!("{lb}/api/v1/datasets/outpatient-stats/preview"),
                &health,
                None,
            )
            .await
            else {
                eprintln!("the owner's preview failed");
                return;
            };
            let columns: Vec<Value> = preview["fields"]
                .as_array()
                .map(|f| f.iter().map(|c| c["id"].clone()).collect())
                .unwrap_or_default();
            for _ in 0..3 {
                let applied = send(
                    &http,
                    Method::POST,
                    format!("{lb}/api/v1/applications"),
                    &citizen,
                    Some(json!({
                        "dataset": "outpatient-stats", "columns": columns, "modes": ["api"],
                        "duration_days": 30, "daily_row_quota": 25,
                        "purpose_category": "research", "purpose": "多节点测试",
                        "scenario": "测试", "accept_agreement": agreement["sha256"],
                    })),
                )
                .await;
                let Some((StatusCode::CREATED, app)) = applied else {
                    eprintln!("an application was not acknowledged: {applied:?}");
                    continue;
                };
                let id = app["id"].as_str().unwrap().to_string();
                let reviewed = send(
                    &http,
                    Method::POST,
                    format!("{lb}/api/v1/applications/{id}/review"),
                    &health,
                    Some(json!({"decision": "approve", "note": "ok"})),
                )
                .await;
                match reviewed {
                    Some((StatusCode::OK, v)) => {
                        assert_eq!(v["status"], "approved", "{v}");
                        acked.lock().unwrap().approved.push(id);
                    }
                    other => eprintln!("a review was not acknowledged: {other:?}"),
                }
            }
        }));
    }

    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(acked)
        .ok()
        .expect("every task is done")
        .into_inner()
        .unwrap()
}

/// Polls `check` every 100 ms for up to 20 s; panics with `what` if it never holds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}");
}

/// Every acknowledged change is seen through `node`: each dataset by name, in the node's own
/// search index and in its rows; each approved application.
async fn sees_everything(node: &str, acked: &[&Acknowledged], tokens: &Tokens) {
    let http = Client::new();
    for a in acked {
        for (name, rows) in &a.datasets {
            let (st, q) = send(
                &http,
                Method::GET,
                format!("{node}/api/v1/datasets/{name}/query?limit=100"),
                &tokens.citizen,
                None,
            )
            .await
            .unwrap();
            assert_eq!(st, StatusCode::OK, "{node}: {name}: {q}");
            assert_eq!(q["row_count"], json!(rows), "{node}: {name}: {q}");
            let round: u32 = name[4..name.find("-d").unwrap()].parse().unwrap();
            let number: u32 = name[name.find("-d").unwrap() + 2..].parse().unwrap();
            let search = format!(
                "{node}/api/3/action/package_search?q={}",
                word(round, number)
            );
            let http = &http;
            eventually(&format!("{node} finds {name} in its search"), || {
                let search = search.clone();
                async move {
                    let Ok(r) = http.get(&search).send().await else {
                        return false;
                    };
                    let v: Value = r.json().await.unwrap_or(Value::Null);
                    v["result"]["results"]
                        .as_array()
                        .is_some_and(|list| list.iter().any(|d| d["name"] == name.as_str()))
                }
            })
            .await;
        }
        for id in &a.approved {
            let (st, v) = send(
                &http,
                Method::GET,
                format!("{node}/api/v1/applications/{id}"),
                &tokens.citizen,
                None,
            )
            .await
            .unwrap();
            assert_eq!(st, StatusCode::OK, "{node}: {v}");
            assert_eq!(v["status"], "approved", "{node}: {v}");
        }
    }
}

/// `gongshu log verify` against `url`, remembering checkpoints in `state`.
fn verify(url: &str, state: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["log", "verify", "--url", url, "--state"])
        .arg(state)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "log verification against {url} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every answered read's leaf is in the log, of its kind, and no index was handed out twice.
async fn reads_are_logged(lb: &str, acked: &[&Acknowledged]) {
    let http = Client::new();
    let mut seen = BTreeSet::new();
    for a in acked {
        for (index, kind) in &a.reads {
            assert!(seen.insert(*index), "index {index} answered twice");
            let v: Value = http
                .get(format!("{lb}/log/entries?start={index}&end={}", index + 1))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let data = v["entries"][0]["data"]
                .as_str()
                .unwrap_or_else(|| panic!("entry {index} is missing: {v}"));
            let leaf: Value = serde_json::from_str(data).unwrap();
            assert_eq!(leaf["kind"], *kind, "entry {index}: {leaf}");
            assert_eq!(leaf["dataset"], "bus-stops", "entry {index}: {leaf}");
        }
    }
}

#[tokio::test]
async fn three_servers_behind_a_balancer_are_one_system_even_when_one_is_killed() {
    let Some(services) = services() else {
        return;
    };
    testkit::with_postgres("gongshu_cluster", |database| async move {
        let dir = tempfile::tempdir().unwrap();
        let lb_port = free_port();
        let deployment = Deployment {
            database,
            storage_url: format!("s3://{}/cluster-{}", services.bucket, std::process::id()),
            endpoint: services.endpoint.clone(),
            secrets: dir.path().join("secrets"),
            public_url: format!("http://127.0.0.1:{lb_port}"),
        };
        run(
            deployment,
            services.nginx,
            lb_port,
            dir.path().to_path_buf(),
        )
        .await;
    })
    .await;
}

async fn run(deployment: Deployment, nginx: PathBuf, lb_port: u16, dir: PathBuf) {
    let data = |i: usize| dir.join(format!("node{i}"));
    // The first server loads the demo and makes the secrets; the others start on them.
    let first = deployment.start(&data(1), true);
    let mut second = deployment.start(&data(2), false);
    let third = deployment.start(&data(3), false);
    let balancer = Balancer::start(
        &nginx,
        &dir.join("nginx"),
        lb_port,
        &[&first, &second, &third],
    );
    let lb = balancer.url.clone();
    let tokens = Tokens {
        health: deployment.token(&data(1), "health"),
        citizen: deployment.token(&data(1), "citizen"),
    };
    let state = dir.join("verifier.json");

    // Round 1: every server up.
    let one = workload(&lb, &tokens, 1, usize::MAX, None).await;
    assert_eq!(one.datasets.len(), 6, "every upload is acknowledged");
    assert_eq!(one.approved.len(), 3);
    assert_eq!(one.logins, 6);
    assert_eq!(one.reads.len(), 120);
    for node in [&first, &second, &third] {
        sees_everything(&node.url, &[&one], &tokens).await;
    }
    reads_are_logged(&lb, &[&one]).await;
    verify(&lb, &state);
    for node in [&first, &second, &third] {
        // One checkpoint remembered across servers: one key, one tree.
        verify(&node.url, &state);
    }

    // Round 2: the second server is killed with SIGKILL while the workload runs.
    let second_pid = second.child.id();
    let killed = Arc::new(Mutex::new(false));
    let kill = {
        let killed = killed.clone();
        Box::new(move || {
            // `kill -9`: SIGKILL, no graceful shutdown.
            let _ = Command::new("kill")
                .args(["-9", &second_pid.to_string()])
                .status();
            *killed.lock().unwrap() = true;
        }) as Box<dyn FnOnce() + Send>
    };
    let two = workload(&lb, &tokens, 2, 30, Some(kill)).await;
    assert!(*killed.lock().unwrap(), "the server was killed mid-run");
    let _ = second.child.wait();
    assert!(two.reads.len() >= 30);
    for node in [&first, &third] {
        sees_everything(&node.url, &[&one, &two], &tokens).await;
    }
    reads_are_logged(&lb, &[&one, &two]).await;
    verify(&lb, &state);
    for node in [&first, &third] {
        verify(&node.url, &state);
    }

    // Started again on its own directory, the killed server catches up on everything.
    let mut again = deployment.start(&data(2), false);
    sees_everything(&again.url, &[&one, &two], &tokens).await;
    verify(&again.url, &state);

    // Stopped again while a dataset is retitled elsewhere (the number of datasets stays the
    // same): started once more, its search finds the new title.
    let _ = again.child.kill();
    let _ = again.child.wait();
    let (name, _) = &one.datasets[0];
    let (st, v) = send(
        &Client::new(),
        Method::PATCH,
        format!("{}/api/v1/datasets/{name}", first.url),
        &tokens.health,
        Some(json!({"title": "多节点 gsmnretitled 测试"})),
    )
    .await
    .unwrap();
    assert_eq!(st, StatusCode::OK, "{v}");
    let last = deployment.start(&data(2), false);
    let search = format!("{}/api/3/action/package_search?q=gsmnretitled", last.url);
    let http = Client::new();
    eventually(
        &format!("the restarted server finds {name} by its new title"),
        || {
            let (http, search) = (&http, search.clone());
            async move {
                let Ok(r) = http.get(&search).send().await else {
                    return false;
                };
                let v: Value = r.json().await.unwrap_or(Value::Null);
                v["result"]["results"]
                    .as_array()
                    .is_some_and(|list| list.iter().any(|d| d["name"] == name.as_str()))
            }
        },
    )
    .await;
    drop(balancer);
}

/// `gongshu import` beside the servers publishes into the same bucket when given the same
/// storage settings, and a server reads the version from there; nothing of it stays in the
/// command's data directory.
#[tokio::test]
async fn an_import_beside_the_servers_publishes_into_the_shared_bucket() {
    let Some((endpoint, bucket)) = testkit::s3_bucket() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let prefix = format!("import-{}", std::process::id());
    let storage = format!("s3://{bucket}/{prefix}");
    let gongshu = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("GONGSHU_DATABASE_URL")
            .env("GONGSHU_STORAGE_URL", &storage)
            .env("GONGSHU_STORAGE_ENDPOINT", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("GONGSHU_PASSWORD", "a long password")
            // The origin the example configuration gives the servers.
            .env("GONGSHU_LOG_ORIGIN", "data.example.gov.cn/log")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    gongshu(&[
        "org",
        "create",
        "--name",
        "transport",
        "--title",
        "交通",
        "--kind",
        "department",
    ]);
    gongshu(&[
        "user",
        "create",
        "--username",
        "wang",
        "--role",
        "staff",
        "--org",
        "transport",
    ]);
    let csv = dir.path().join("stops.csv");
    std::fs::write(&csv, "站点,客流\nS1,10\nS2,20\nS3,30\nS4,40\n").unwrap();
    gongshu(&[
        "import",
        csv.to_str().unwrap(),
        "--dataset",
        "stops",
        "--title",
        "站点",
        "--as",
        "wang",
    ]);
    assert!(
        !data.join("versions").exists(),
        "the version went to the bucket, not the data directory"
    );
    // The bucket's listing (moto answers unsigned requests).
    let listing = reqwest::get(format!(
        "{endpoint}/{bucket}?list-type=2&prefix={prefix}/versions/"
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert_eq!(listing.matches(".parquet</Key>").count(), 1, "{listing}");

    let token = gongshu(&["user", "token", "wang"]);
    let deployment = Deployment {
        database: format!("sqlite://{}", data.join("gongshu.db").display()),
        storage_url: storage.clone(),
        endpoint: endpoint.clone(),
        secrets: data.clone(),
        public_url: "http://127.0.0.1".into(),
    };
    let server = deployment.start(&dir.path().join("server"), false);
    let (st, v) = send(
        &Client::new(),
        Method::GET,
        format!("{}/api/v1/datasets/stops/query?limit=10", server.url),
        &token,
        None,
    )
    .await
    .unwrap();
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["row_count"], 4, "{v}");
}
