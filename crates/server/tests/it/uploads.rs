//! Uploads through the API: ingest, PII proposals, grade changes, and bad input that must leave
//! nothing behind.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn column<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {v}"))
}

const PEOPLE: &str = "name,phone,district,visits\n张三,13812345678,西湖区,3\n李四,13987654321,上城区,5\n王五,15000001111,滨江区,1\n";

#[tokio::test]
async fn csv_with_phone_numbers_is_graded_and_tightens_the_dataset() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    create_dataset(
        &s,
        &cast.alice,
        "visits",
        json!({"opening_type": "unconditional"}),
    )
    .await;
    let (st, v) = upload(
        &s,
        &cast.alice,
        "visits",
        "main",
        "visits.csv",
        PEOPLE.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"]["number"], 1);
    assert_eq!(v["version"]["row_count"], 3);
    let phone = column(&v, "phone");
    assert_eq!(phone["proposed_grade"], "L3");
    assert_eq!(phone["grade"], "L3");
    assert_eq!(phone["confirmed"], false);
    assert_eq!(phone["findings"][0]["kind"], "mobile");
    assert_eq!(phone["data_type"], "string", "phone numbers stay strings");
    assert_eq!(column(&v, "visits")["proposed_grade"], "L1");
    assert_eq!(v["dataset"]["grade"], "L3");
    assert_eq!(
        v["dataset"]["opening_type"], "conditional",
        "an L3 column makes it conditional"
    );

    // Anonymous viewers see the profile of the phone column without values.
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/visits"), None, None).await;
    let text = d.to_string();
    assert!(
        !text.contains("13812345678"),
        "no values of an L3 column in a public profile"
    );
    let (_, d) = call(
        Method::GET,
        &s.url("/api/v1/datasets/visits"),
        Some(&cast.alice),
        None,
    )
    .await;
    assert!(
        d.to_string().contains("1381234567") || d.to_string().contains("1398765432"),
        "the owner sees values"
    );

    // Raising applies at once; lowering becomes a request the authority approves.
    let grade = s.url("/api/v1/datasets/visits/resources/main/columns/phone/grade");
    let (st, v) = call(
        Method::PUT,
        &grade,
        Some(&cast.alice),
        Some(json!({"grade": "L4"})),
    )
    .await;
    assert_eq!(
        (st, v["outcome"].as_str()),
        (StatusCode::OK, Some("applied")),
        "{v}"
    );
    let (st, v) = call(
        Method::PUT,
        &grade,
        Some(&cast.alice),
        Some(json!({"grade": "L1", "reason": "test numbers"})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    let id = v["request"]["id"].as_str().unwrap();
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/visits"), None, None).await;
    assert_eq!(d["resources"][0]["columns"][1]["grade"], "L4");
    let (st, _) = call(
        Method::POST,
        &s.url(&format!("/api/v1/change-requests/{id}/decision")),
        Some(&cast.admin),
        Some(json!({"approve": true})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/visits"), None, None).await;
    assert_eq!(d["resources"][0]["columns"][1]["grade"], "L1");
    assert_eq!(
        d["grade"], "L3",
        "the `name` column (Chinese names) still holds it at L3"
    );
    let name = s.url("/api/v1/datasets/visits/resources/main/columns/name/grade");
    let (st, v) = call(
        Method::PUT,
        &name,
        Some(&cast.admin),
        Some(json!({"grade": "L2"})),
    )
    .await;
    assert_eq!(
        (st, v["outcome"].as_str()),
        (StatusCode::OK, Some("applied")),
        "the authority lowers directly: {v}"
    );
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/visits"), None, None).await;
    assert_eq!(d["grade"], "L2", "dataset grade follows its columns");

    // A second version gets number 2. Its phone and name columns again hold personal data, so
    // the approved L1 and L2 rise back to L3 for the publisher to confirm (就高从严: new personal
    // data never goes out under an old, looser grade); `visits` keeps its confirmed L1.
    let (st, v) = upload(
        &s,
        &cast.alice,
        "visits",
        "main",
        "visits2.csv",
        PEOPLE.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"]["number"], 2);
    assert_eq!(column(&v, "phone")["grade"], "L3");
    assert_eq!(column(&v, "phone")["confirmed"], false);
    assert_eq!(column(&v, "name")["grade"], "L3");
    assert_eq!(column(&v, "visits")["grade"], "L1");
    assert_eq!(v["dataset"]["opening_type"], "conditional");
    // Other departments may not upload.
    let (st, _) = upload(
        &s,
        &cast.bob,
        "visits",
        "main",
        "x.csv",
        PEOPLE.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Deleting the resource removes its files and brings the dataset back to L1.
    let files_before = s.data_files().len();
    assert_eq!(files_before, 2);
    let res = s.url("/api/v1/datasets/visits/resources/main");
    let (st, _) = call(Method::DELETE, &res, Some(&cast.bob), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = call(Method::DELETE, &res, Some(&cast.alice), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert!(s.data_files().is_empty(), "{:?}", s.data_files());
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/visits"), None, None).await;
    assert_eq!(
        (d["grade"].as_str(), d["resources"].as_array().map(Vec::len)),
        (Some("L1"), Some(0))
    );
}

async fn rejected(s: &TestServer, token: &str, file_name: &str, bytes: Vec<u8>, code: &str) {
    let (st, v) = upload(s, token, "bad", "main", file_name, bytes).await;
    assert!(st.is_client_error(), "{file_name}: {st} {v}");
    assert_eq!(error_code(&v), code, "{file_name}: {v}");
    assert!(
        v["error"]["message"].as_str().unwrap().len() > 20,
        "a helpful message: {v}"
    );
    assert!(
        s.data_files().is_empty(),
        "{file_name} left files: {:?}",
        s.data_files()
    );
    let (_, d) = call(Method::GET, &s.url("/api/v1/datasets/bad"), None, None).await;
    assert_eq!(
        d["resources"],
        json!([]),
        "{file_name} left a resource or version"
    );
}

fn zip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..64 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[tokio::test]
async fn bad_uploads_leave_nothing_behind() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    create_dataset(&s, &cast.alice, "bad", json!({})).await;
    let t = cast.alice.as_str();
    rejected(&s, t, "empty.csv", vec![], "empty_file").await;
    rejected(&s, t, "header.csv", b"a,b,c\n".to_vec(), "no_rows").await;
    rejected(
        &s,
        t,
        "ragged.csv",
        b"a,b\n1,2\n3,4,5\n".to_vec(),
        "ragged_rows",
    )
    .await;
    rejected(&s, t, "dup.csv", b"a,a\n1,2\n".to_vec(), "duplicate_column").await;
    rejected(
        &s,
        t,
        "blank.csv",
        b"a,,c\n1,2,3\n".to_vec(),
        "empty_column_name",
    )
    .await;
    rejected(
        &s,
        t,
        "image.csv",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00".to_vec(),
        "content_mismatch",
    )
    .await;
    rejected(
        &s,
        t,
        "notzip.xlsx",
        b"name,value\n1,2\n".to_vec(),
        "content_mismatch",
    )
    .await;
    rejected(&s, t, "bomb.xlsx", zip_bomb(), "zip_bomb").await;
    rejected(
        &s,
        t,
        "cut.parquet",
        b"PAR1\x15\x00\x15\x1c".to_vec(),
        "corrupt_parquet",
    )
    .await;
    rejected(
        &s,
        t,
        "broken.json",
        b"[{\"a\": 1}, {\"a\": ".to_vec(),
        "invalid_json",
    )
    .await;
    rejected(&s, t, "..", b"a\n1\n".to_vec(), "invalid_file_name").await;
    rejected(&s, t, "data.exe", b"a\n1\n".to_vec(), "unsupported_format").await;
    // Random bytes that are neither UTF-8 nor any confidently detected Chinese encoding.
    let noise: Vec<u8> = (0..4000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 0x80)
        .collect();
    let mut undetectable = b"a,b\n".to_vec();
    undetectable.extend(noise);
    rejected(&s, t, "noise.csv", undetectable, "undetectable_encoding").await;
    // Over the 2 MiB limit of the test server.
    let mut big = b"a,b\n".to_vec();
    while big.len() < (3 << 20) {
        big.extend_from_slice(b"1,2\n");
    }
    rejected(&s, t, "big.csv", big, "file_too_large").await;
    // Path separators in the multipart file name.
    rejected(
        &s,
        t,
        "../../etc/passwd.csv",
        b"a\n1\n".to_vec(),
        "invalid_file_name",
    )
    .await;
    // A missing file field.
    let form = reqwest::multipart::Form::new().text("resource", "main");
    let r = client()
        .post(s.url("/api/v1/datasets/bad/resources/main/versions"))
        .bearer_auth(t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (st, v) = parse(r).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "missing_file")
    );
}

#[tokio::test]
async fn interrupted_ingest_leftovers_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    {
        let _app = server::build(cfg.clone()).await.unwrap();
    }
    std::fs::create_dir_all(dir.path().join("staging")).unwrap();
    std::fs::write(dir.path().join("staging/half.upload"), b"partial").unwrap();
    let versions = dir.path().join("versions/some-dataset");
    std::fs::create_dir_all(&versions).unwrap();
    // Files no version refers to: removed once older than the grace period, which lets a
    // publish under way on another server reach its commit.
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    for name in [".x.parquet.tmp", "orphan.parquet", "young.parquet"] {
        let path = versions.join(name);
        std::fs::write(&path, b"PAR1").unwrap();
        if name != "young.parquet" {
            backdate(&path, two_hours_ago);
        }
    }
    // A photo and an attachment whose rows were never written.
    for name in [
        "feedback/no-item/p.jpg",
        "attachments/no-consultation/a.pdf",
    ] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"x").unwrap();
        backdate(&path, two_hours_ago);
    }
    let _app = server::build(cfg).await.unwrap();
    assert!(!dir.path().join("feedback/no-item/p.jpg").exists());
    assert!(!dir
        .path()
        .join("attachments/no-consultation/a.pdf")
        .exists());
    assert!(!dir.path().join("staging/half.upload").exists());
    assert!(!versions.join(".x.parquet.tmp").exists());
    assert!(!versions.join("orphan.parquet").exists());
    assert!(versions.join("young.parquet").exists());
}

/// Sets the modification time of the file at `path`.
fn backdate(path: &std::path::Path, to: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(to)
        .unwrap();
}
