//! Data directories given as a relative path, with `..` in them, or through a symbolic link. The
//! platform resolves the directory once at start, so every path that reads data (preview, query,
//! download) works whatever form the directory was given in.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::path::{Path, PathBuf};

const STOPS: &str =
    "stop,district,lines\n武林广场,拱墅区,12\n西湖文化广场,拱墅区,9\n龙翔桥,上城区,15\n";

/// Starts a server on `data_dir`, publishes a small open dataset and reads it back every way.
async fn reads_data_through(data_dir: PathBuf) {
    let s = TestServer::start_with(|cfg| cfg.data_dir = data_dir.clone()).await;
    let cast = s.standard_cast().await;
    let (st, v) = create_dataset(
        &s,
        &cast.alice,
        "stops",
        json!({"opening_type": "unconditional"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = upload(
        &s,
        &cast.alice,
        "stops",
        "main",
        "stops.csv",
        STOPS.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/datasets/stops/preview"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "preview through {data_dir:?}: {v}");
    assert_eq!(v["row_count"], 3);

    let (st, v) = call(
        Method::GET,
        &s.url("/api/v1/datasets/stops/query?filters=%7B%22district%22%3A%22%E6%8B%B1%E5%A2%85%E5%8C%BA%22%7D"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "query through {data_dir:?}: {v}");
    assert_eq!(v["row_count"], 2);

    let r = client()
        .get(s.url("/api/v1/datasets/stops/download?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "download through {data_dir:?}");
    let body = r.text().await.unwrap();
    assert!(body.contains("龙翔桥"), "{body}");

    // The version was written where the directory really is.
    assert!(!s.data_files().is_empty(), "no version under {data_dir:?}");
}

#[tokio::test]
async fn a_relative_data_dir() {
    // Integration tests run in the package's directory; a fresh directory there, named
    // relatively.
    let dir = tempfile::Builder::new()
        .prefix("gongshu-paths-")
        .tempdir_in(".")
        .unwrap();
    let relative = PathBuf::from(dir.path().file_name().unwrap()).join("data");
    assert!(relative.is_relative());
    reads_data_through(relative).await;
}

#[tokio::test]
async fn a_data_dir_with_parent_segments() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("elsewhere")).unwrap();
    let dotted = dir.path().join("elsewhere").join("..").join("data");
    reads_data_through(dotted).await;
    // And relative, up through the parents, as `--data-dir ../somewhere` is.
    let up = relative_from_cwd(&dir.path().join("data2"));
    assert!(up.starts_with(".."), "{up:?}");
    reads_data_through(up).await;
}

#[tokio::test]
async fn a_symlinked_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    reads_data_through(link).await;
    assert!(real.join("versions").is_dir());
}

#[tokio::test]
async fn a_data_dir_that_cannot_be_made_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"not a directory").unwrap();
    let err = server::build(config(&file.join("data")))
        .await
        .err()
        .expect("refused");
    let text = format!("{err:#}");
    assert!(text.contains("cannot use the directory"), "{text}");
}

/// `target` as a path relative to the current directory, going up to the root with `..`.
fn relative_from_cwd(target: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap();
    let mut up = PathBuf::new();
    for _ in cwd.components().skip(1) {
        up.push("..");
    }
    up.join(target.strip_prefix("/").unwrap())
}
