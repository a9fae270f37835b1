//! Files in S3-compatible object storage: the test script starts moto's standalone server and
//! names it in `GONGSHU_TEST_S3_ENDPOINT` (with a bucket in `GONGSHU_TEST_S3_BUCKET`), and gives
//! its command in `GONGSHU_TEST_MOTO_SERVER` for the test that stops a server of its own. Without
//! them the tests say they were skipped.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const ROWS: &str = "站点,区,客流\nS001,西湖区,120\nS002,上城区,95\nS003,滨江区,143\n";

struct S3 {
    endpoint: String,
    bucket: String,
}

fn s3() -> Option<S3> {
    testkit::s3_bucket().map(|(endpoint, bucket)| S3 { endpoint, bucket })
}

/// Settings for files under a prefix of their own in `bucket` at `endpoint`.
fn on_s3(cfg: &mut server::Config, endpoint: &str, bucket: &str, prefix: &str) {
    cfg.storage_url = Some(format!("s3://{bucket}/{prefix}"));
    cfg.storage_endpoint = Some(endpoint.to_string());
    cfg.storage_region = Some("us-east-1".into());
    cfg.storage_access_key_id = Some("testing".into());
    cfg.storage_secret_access_key = Some("testing".into());
}

fn prefix() -> String {
    format!("t-{}", uuid::Uuid::new_v4().simple())
}

async fn objects(s: &TestServer, folder: &str) -> Vec<String> {
    let files = app::files::Files::open(&s.config.clone()).unwrap();
    let mut keys: Vec<String> = files
        .list(folder)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.key)
        .collect();
    keys.sort();
    keys
}

async fn publish_stops(s: &TestServer, token: &str) -> (StatusCode, serde_json::Value) {
    upload(
        s,
        token,
        "stops",
        "main",
        "stops.csv",
        ROWS.as_bytes().to_vec(),
    )
    .await
}

#[tokio::test]
async fn versions_are_kept_queried_downloaded_and_removed_in_the_object_store() {
    let Some(S3 { endpoint, bucket }) = s3() else {
        return;
    };
    let prefix = prefix();
    let s = TestServer::start_with(|c| on_s3(c, &endpoint, &bucket, &prefix)).await;
    let cast = s.standard_cast().await;
    let r = client().get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    create_dataset(
        &s,
        &cast.alice,
        "stops",
        json!({"opening_type": "unconditional"}),
    )
    .await;
    let (st, v) = publish_stops(&s, &cast.alice).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"]["row_count"], 3);

    // The version is an object, and nothing of it stays on the server's disk.
    let keys = objects(&s, "versions").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].ends_with(".parquet"));
    assert!(s.data_files().is_empty(), "{:?}", s.data_files());

    // Queries and downloads read it through the object store.
    let (st, q) = call(
        Method::GET,
        &s.url("/api/v1/datasets/stops/query?limit=10"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{q}");
    assert_eq!(q["row_count"], 3, "{q}");
    assert!(q.to_string().contains("滨江区"), "{q}");
    let r = client()
        .get(s.url("/api/v1/datasets/stops/download?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(csv.contains("S003") && csv.contains("143"), "{csv}");

    // Another server on the same database and bucket reads the same version.
    let other = TestServer::start_with(|c| {
        on_s3(c, &endpoint, &bucket, &prefix);
        c.database_url = Some(s.config.effective_database_url());
        c.secrets_dir = Some(s.data_dir.clone());
    })
    .await;
    let (st, q2) = call(
        Method::GET,
        &other.url("/api/v1/datasets/stops/query?limit=10"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{q2}");
    assert_eq!(q2["rows"], q["rows"]);

    // A second version is a second object; deleting the dataset removes both.
    let (st, v) = publish_stops(&s, &cast.alice).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(objects(&s, "versions").await.len(), 2);
    let (st, v) = call(
        Method::DELETE,
        &s.url("/api/v1/datasets/stops"),
        Some(&cast.alice),
        None,
    )
    .await;
    assert!(st.is_success(), "{v}");
    assert_eq!(objects(&s, "versions").await, Vec::<String>::new());
}

#[tokio::test]
async fn the_sweep_removes_objects_no_version_refers_to_once_they_are_old_enough() {
    let Some(S3 { endpoint, bucket }) = s3() else {
        return;
    };
    let prefix = prefix();
    let s = TestServer::start_with(|c| on_s3(c, &endpoint, &bucket, &prefix)).await;
    let cast = s.standard_cast().await;
    create_dataset(
        &s,
        &cast.alice,
        "stops",
        json!({"opening_type": "unconditional"}),
    )
    .await;
    let (st, v) = publish_stops(&s, &cast.alice).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let kept = objects(&s, "versions").await;
    // What a server killed between its put and its commit leaves: an object without a row.
    let files = app::files::Files::open(&s.config).unwrap();
    for key in [
        "versions/gone/orphan.parquet",
        "feedback/no-item/p.jpg",
        "attachments/no-consultation/a.pdf",
    ] {
        files
            .put(key, bytes::Bytes::from_static(b"PAR1"))
            .await
            .unwrap();
    }
    let now = app::clock::now_ms();
    let grace = now - app::files::ORPHAN_GRACE_MS;
    assert_eq!(app::catalog::sweep_files(&s.app, grace).await.unwrap(), 0);
    assert_eq!(objects(&s, "versions").await.len(), 2, "young orphans wait");
    assert_eq!(
        app::catalog::sweep_files(&s.app, now + 60_000)
            .await
            .unwrap(),
        3
    );
    assert!(objects(&s, "feedback").await.is_empty());
    assert!(objects(&s, "attachments").await.is_empty());
    assert_eq!(
        objects(&s, "versions").await,
        kept,
        "the version's object stays"
    );
    let (st, q) = call(
        Method::GET,
        &s.url("/api/v1/datasets/stops/query?limit=10"),
        None,
        None,
    )
    .await;
    assert_eq!((st, &q["row_count"]), (StatusCode::OK, &json!(3)), "{q}");
}

/// The object store stops: the upload under way fails with `unavailable`, leaves no version,
/// no resource and no staged file, and the server says it is not ready.
#[tokio::test]
async fn a_stopped_object_store_fails_the_upload_and_leaves_nothing() {
    let Ok(moto) = std::env::var("GONGSHU_TEST_MOTO_SERVER") else {
        eprintln!("skipped: set GONGSHU_TEST_MOTO_SERVER to moto's server command to run it");
        return;
    };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = std::process::Command::new(&moto)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto's server starts");
    struct Kill<'a>(&'a mut std::process::Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let endpoint = format!("http://127.0.0.1:{port}");
    // moto's server (Python) can take a while to start on a busy machine: up to a minute.
    let mut ready = false;
    for _ in 0..600 {
        if let Ok(r) = client().put(format!("{endpoint}/fault")).send().await {
            ready = r.status().is_success();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let guard = Kill(&mut server);
    assert!(ready, "the bucket is made");
    let s = TestServer::start_with(|c| on_s3(c, &endpoint, "fault", "p")).await;
    let cast = s.standard_cast().await;
    create_dataset(
        &s,
        &cast.alice,
        "stops",
        json!({"opening_type": "unconditional"}),
    )
    .await;
    let (st, v) = publish_stops(&s, &cast.alice).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    drop(guard);
    let (st, v) = upload(
        &s,
        &cast.alice,
        "stops",
        "second",
        "stops.csv",
        ROWS.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        "{v}"
    );
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/stops"), None, None).await;
    let resources: Vec<&str> = d["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(resources, ["main"], "no resource for the failed upload");
    let versions = s.store().await.all_version_paths().await.unwrap();
    assert_eq!(versions.len(), 1);
    assert!(s.data_files().is_empty(), "{:?}", s.data_files());
    let r = client().get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.text().await.unwrap(), "object store unavailable");
}

/// A file larger than one part goes up in parts and comes back whole; small files, listing,
/// deletion and the readiness probe work on the bucket as on disk.
#[tokio::test]
async fn large_files_are_uploaded_in_parts_and_read_back_whole() {
    let Some(S3 { endpoint, bucket }) = s3() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    on_s3(&mut cfg, &endpoint, &bucket, &prefix());
    let files = app::files::Files::open(&cfg).unwrap();
    // 40 MiB of bytes that do not repeat in any part.
    let mut body = Vec::with_capacity(40 << 20);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while body.len() < 40 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        body.extend_from_slice(&x.to_le_bytes());
    }
    let staged = dir.path().join("big.upload");
    std::fs::write(&staged, &body).unwrap();
    files
        .publish("versions/d/big.parquet", &staged)
        .await
        .unwrap();
    assert!(
        !staged.exists(),
        "the staged file is removed once published"
    );
    let back = files.get("versions/d/big.parquet").await.unwrap();
    assert_eq!(back.len(), body.len());
    assert!(back == body, "the object is the file");
    let fetched = dir.path().join("fetched");
    files
        .fetch("versions/d/big.parquet", &fetched)
        .await
        .unwrap();
    assert!(std::fs::read(&fetched).unwrap() == body);

    files
        .put(
            "attachments/c/a.pdf",
            bytes::Bytes::from_static(b"%PDF-1.4"),
        )
        .await
        .unwrap();
    let keys: Vec<String> = files
        .list("attachments")
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.key)
        .collect();
    assert_eq!(keys, ["attachments/c/a.pdf"]);
    files.delete_folder("attachments/c").await.unwrap();
    files.delete("versions/d/big.parquet").await.unwrap();
    files.delete("versions/d/big.parquet").await.unwrap();
    let gone = files.get("versions/d/big.parquet").await.unwrap_err();
    assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);
    assert!(files.list("attachments").await.unwrap().is_empty());
    files.probe().await.unwrap();
    assert!(files.list("probes").await.unwrap().is_empty());
}

/// The database refuses the version after its object was put: the upload fails, and the object
/// is removed again, so nothing in the bucket is left without its row. (A server killed at that
/// moment leaves the object instead; the sweep above removes it.)
#[tokio::test]
async fn a_version_the_database_refuses_after_the_put_leaves_no_object() {
    use sqlx::{Connection, Executor};
    let Some(S3 { endpoint, bucket }) = s3() else {
        return;
    };
    let prefix = prefix();
    let s = TestServer::start_with(|c| on_s3(c, &endpoint, &bucket, &prefix)).await;
    if s.config.database_url.is_some() {
        eprintln!("skipped: the trigger is written for the default SQLite database");
        return;
    }
    let cast = s.standard_cast().await;
    create_dataset(
        &s,
        &cast.alice,
        "stops",
        json!({"opening_type": "unconditional"}),
    )
    .await;
    let (st, v) = publish_stops(&s, &cast.alice).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let kept = objects(&s, "versions").await;
    assert_eq!(kept.len(), 1);

    let mut db = sqlx::SqliteConnection::connect(&s.config.effective_database_url())
        .await
        .unwrap();
    db.execute(
        "CREATE TRIGGER refuse_versions BEFORE INSERT ON versions \
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    )
    .await
    .unwrap();
    let (st, v) = publish_stops(&s, &cast.alice).await;
    assert!(st.is_server_error(), "{st}: {v}");
    assert_eq!(
        objects(&s, "versions").await,
        kept,
        "the put was taken back"
    );
    assert!(s.data_files().is_empty(), "{:?}", s.data_files());

    db.execute("DROP TRIGGER refuse_versions").await.unwrap();
    let (st, v) = publish_stops(&s, &cast.alice).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(objects(&s, "versions").await.len(), 2);
}
