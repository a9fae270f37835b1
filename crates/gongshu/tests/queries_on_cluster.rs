//! `gongshu serve` with `cluster_url`, in front of `gongshu cluster scheduler` and two `gongshu
//! cluster executor` processes on loopback: queries that go to the cluster come back through the
//! same delivery as local ones (same rows, a log entry each, `Gongshu-Ran-On: cluster`), and a
//! query whose executor is killed while it runs is either answered in full or refused, never
//! answered in part, and only an answer is logged. With the test script's S3 server
//! (`GONGSHU_TEST_S3_ENDPOINT`, `GONGSHU_TEST_S3_BUCKET`), the same with the versions in object
//! storage, which the executors read themselves.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the versions are kept: the server's data directory (shared with the executors on this
/// machine), or a bucket.
#[derive(Clone)]
struct Storage {
    url: String,
    endpoint: String,
}

fn gongshu(storage: Option<&Storage>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gongshu"));
    command
        .env_remove("GONGSHU_DATABASE_URL")
        .env_remove("GONGSHU_STORAGE_URL")
        .env_remove("GONGSHU_CLUSTER_URL")
        .env("GONGSHU_LOG", "error")
        .stdin(Stdio::null());
    if let Some(storage) = storage {
        command
            .env("GONGSHU_STORAGE_URL", &storage.url)
            .env("GONGSHU_STORAGE_ENDPOINT", &storage.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    }
    command
}

/// A scheduler, two executors and a demo server sending every query that reads a file to them.
struct Setup {
    _scheduler: Process,
    executors: Vec<Process>,
    _server: Process,
    url: String,
    _dir: tempfile::TempDir,
}

fn start(query_timeout_secs: u64, storage: Option<&Storage>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let scheduler_port = free_port();
    let scheduler = Process(
        gongshu(storage)
            .args(["cluster", "scheduler", "--bind"])
            .arg(format!("127.0.0.1:{scheduler_port}"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(scheduler_port, "the scheduler");
    let mut executors = Vec::new();
    for i in 0..2 {
        let flight = free_port();
        let grpc = free_port();
        executors.push(Process(
            gongshu(storage)
                .args(["cluster", "executor", "--scheduler"])
                .arg(format!("http://127.0.0.1:{scheduler_port}"))
                .args(["--flight-port", &flight.to_string()])
                .args(["--grpc-port", &grpc.to_string()])
                .args(["--task-slots", "1", "--work-dir"])
                .arg(dir.path().join(format!("executor-{i}")))
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        ));
        wait_for_port(flight, "an executor");
    }
    let mut server = gongshu(storage)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--cluster-url")
        .arg(format!("http://127.0.0.1:{scheduler_port}"))
        .args(["--cluster-threshold-mb", "0"])
        .args(["--query-timeout-secs", &query_timeout_secs.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("serving on"))
        .expect("the server prints its address");
    let url = line.split_whitespace().last().unwrap().to_string();
    Setup {
        _scheduler: scheduler,
        executors,
        _server: Process(server),
        url,
        _dir: dir,
    }
}

/// The size of the access log, from its checkpoint.
async fn log_size(client: &Client, url: &str) -> u64 {
    let note = client
        .get(format!("{url}/log/checkpoint"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    note.lines().nth(1).unwrap().parse().unwrap()
}

/// Status, where it ran, and the body without its log index.
async fn get(client: &Client, url: &str, path: &str) -> (StatusCode, Option<String>, Value) {
    let response = client.get(format!("{url}{path}")).send().await.unwrap();
    let status = response.status();
    let ran_on = response
        .headers()
        .get("gongshu-ran-on")
        .map(|v| v.to_str().unwrap().to_string());
    let mut body: Value = response.json().await.unwrap();
    if let Value::Object(b) = &mut body {
        b.remove("log_index");
    }
    (status, ran_on, body)
}

fn encoded(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_sent_to_the_cluster_are_delivered_like_local_ones() {
    delivered_like_local_ones(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executors_read_versions_from_object_storage() {
    let Some((endpoint, bucket)) = testkit::s3_bucket() else {
        return;
    };
    let prefix = format!("cluster-{}", free_port());
    delivered_like_local_ones(Some(&Storage {
        url: format!("s3://{bucket}/{prefix}"),
        endpoint,
    }))
    .await;
}

async fn delivered_like_local_ones(storage: Option<&Storage>) {
    let setup = start(60, storage);
    let client = Client::new();
    let url = &setup.url;
    let sql = "SELECT \"所在区\", count(*) AS n, sum(\"途经线路数\") AS lines FROM \"bus-stops\" \
               GROUP BY \"所在区\" ORDER BY \"所在区\"";
    let paths = [
        "/api/v1/datasets/bus-stops/query?sort=-%E7%AB%99%E7%82%B9%E7%BC%96%E5%8F%B7&limit=25"
            .to_string(),
        format!(
            "/api/v1/datasets/bus-stops/aggregate?group_by={}&metrics=count,avg:{}&sort={}",
            encoded("所在区"),
            encoded("途经线路数"),
            encoded("所在区")
        ),
        format!("/api/v1/sql?sql={}", encoded(sql)),
    ];
    for path in &paths {
        let before = log_size(&client, url).await;
        let (status, ran_on, there) = get(&client, url, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {there}");
        assert_eq!(ran_on.as_deref(), Some("cluster"), "{path}");
        let (status, ran_on, here) = get(&client, url, &format!("{path}&run_on=local")).await;
        assert_eq!(status, StatusCode::OK, "{path}: {here}");
        assert_eq!(ran_on.as_deref(), Some("local"), "{path}");
        assert_eq!(there, here, "{path}");
        assert!(there["row_count"].as_u64().unwrap() > 0, "{path}");
        // One entry for each answer, wherever it ran.
        assert_eq!(log_size(&client, url).await, before + 2, "{path}");
    }
    // Downloads stream from the cluster too.
    let csv = |run_on: &'static str| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let response = client
                .get(format!(
                    "{url}/api/v1/datasets/bus-stops/download?format=csv&sort=%E7%AB%99%E7%82%B9%E7%BC%96%E5%8F%B7&run_on={run_on}"
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let ran_on = response.headers()["gongshu-ran-on"]
                .to_str()
                .unwrap()
                .to_string();
            (ran_on, response.text().await.unwrap())
        }
    };
    let (ran_on, there) = csv("cluster").await;
    assert_eq!(ran_on, "cluster");
    let (ran_on, here) = csv("local").await;
    assert_eq!(ran_on, "local");
    assert_eq!(there, here);
    assert_eq!(there.lines().count(), 241);
    // A wish that is not a place is refused.
    let (status, _, body) = get(
        &client,
        url,
        "/api/v1/datasets/bus-stops/query?run_on=elsewhere",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_whose_executor_is_killed_is_answered_in_full_or_not_at_all() {
    // The scheduler learns of a lost executor only when its heartbeats stop for long; the
    // request does not wait for that beyond its own timeout.
    let mut setup = start(20, None);
    let client = Client::new();
    let url = setup.url.clone();
    // A join of the stops with themselves three times: about 14 million rows, several seconds
    // of work for the executors.
    let sql = "SELECT a.\"所在区\", count(*) AS n FROM \"bus-stops\" a, \"bus-stops\" b, \
               \"bus-stops\" c WHERE a.\"途经线路数\" + b.\"途经线路数\" > c.\"途经线路数\" \
               GROUP BY a.\"所在区\" ORDER BY a.\"所在区\"";
    let path = format!("/api/v1/sql?sql={}", encoded(sql));
    let started = Instant::now();
    let (status, ran_on, full) = get(&client, &url, &path).await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{full}");
    assert_eq!(ran_on.as_deref(), Some("cluster"));

    let before = log_size(&client, &url).await;
    let request = {
        let client = client.clone();
        let url = url.clone();
        let path = path.clone();
        tokio::spawn(async move { get(&client, &url, &path).await })
    };
    // Kill one executor while the query runs (a third of the way through its earlier run).
    tokio::time::sleep(took / 3).await;
    let mut killed = setup.executors.remove(0);
    killed.0.kill().unwrap();
    let _ = killed.0.wait();
    let (status, ran_on, answer) = request.await.unwrap();
    let after = log_size(&client, &url).await;
    if status == StatusCode::OK {
        // Ballista ran the lost tasks again elsewhere: the answer is whole, and logged once.
        assert_eq!(ran_on.as_deref(), Some("cluster"));
        assert_eq!(answer, full);
        assert_eq!(after, before + 1);
    } else {
        // Refused: no rows, and nothing was logged as delivered.
        assert!(answer.get("records").is_none(), "{answer}");
        let code = answer["error"]["code"].as_str().unwrap_or_default();
        assert!(
            ["query_failed", "query_timeout", "internal"].contains(&code),
            "{answer}"
        );
        assert_eq!(after, before, "a refused query is not logged");
    }
    eprintln!(
        "executor killed after {:?} of a {took:?} query: {status}",
        took / 3
    );
}
