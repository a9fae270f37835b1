//! Bad input: every error code, each checked to leave no file behind.

use crate::support::{ingest_err, ingest_err_with, xlsx, zip_bytes, Scene};
use ingest::{IngestError, IngestRequest, Limits};

#[test]
fn undetectable_encoding() {
    // 0xFF is neither valid UTF-8 nor a valid GBK lead byte.
    let err = ingest_err(
        "bad.csv",
        b"name,n\n\xff\xfe\xff,1\nabc,2\n",
        "undetectable_encoding",
    );
    assert!(err.to_string().contains("UTF-8"), "{err}");
    // Latin-1 text: not UTF-8, and not GBK either.
    ingest_err(
        "latin1.csv",
        b"name,city\nJos\xe9,S\xe3o Paulo\nMa\xeft\xe9,Besan\xe7on\n",
        "undetectable_encoding",
    );
}

#[test]
fn ragged_rows() {
    let err = ingest_err("ragged.csv", b"a,b,c\n1,2,3\n4,5\n", "ragged_rows");
    match &err {
        IngestError::RaggedRows {
            line,
            found,
            expected,
        } => assert_eq!((*line, *found, *expected), (3, 2, 3)),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("Line 3 has 2 fields but the header has 3."),
        "{err}"
    );
    let err = ingest_err("wide.tsv", b"a\tb\n1\t2\t3\n", "ragged_rows");
    assert!(err.to_string().contains("Line 2 has 3 fields"), "{err}");
}

#[test]
fn empty_and_header_only() {
    ingest_err("empty.csv", b"", "empty_file");
    ingest_err("bom.csv", b"\xEF\xBB\xBF\r\n  \n", "empty_file");
    ingest_err("header.csv", b"a,b\n", "no_rows");
    ingest_err("header-blank-rows.csv", b"a,b\n,\n\n", "no_rows");
    ingest_err("empty.json", b"", "empty_file");
    ingest_err("empty.xlsx", b"", "empty_file");
}

#[test]
fn column_names() {
    let err = ingest_err("dup.csv", b"id,name,ID\n1,a,2\n", "duplicate_column");
    assert!(err.to_string().contains("`ID`"), "{err}");
    let err = ingest_err("blank.csv", b"id,,name\n1,2,3\n", "empty_column_name");
    assert!(
        err.to_string().starts_with("Column 2 has no name."),
        "{err}"
    );
    // A trailing delimiter on every line makes an unnamed last column.
    ingest_err("trailing.csv", b"id,name,\n1,a,\n", "empty_column_name");
}

#[test]
fn too_many_columns() {
    let limits = Limits {
        max_columns: 3,
        ..Limits::default()
    };
    ingest_err_with(
        "wide.csv",
        b"a,b,c,d\n1,2,3,4\n",
        &limits,
        "too_many_columns",
    );
    ingest_err_with(
        "wide.ndjson",
        b"{\"a\":1,\"b\":2}\n{\"c\":3,\"d\":4}\n",
        &limits,
        "too_many_columns",
    );
    let header: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
    let csv = format!("{}\n{}\n", header.join(","), vec!["1"; 5000].join(","));
    ingest_err("very-wide.csv", csv.as_bytes(), "too_many_columns");
}

#[test]
fn file_too_large() {
    let limits = Limits {
        max_upload_bytes: 10,
        ..Limits::default()
    };
    let err = ingest_err_with("big.csv", b"a,b\n1,2\n3,4\n", &limits, "file_too_large");
    assert!(err.to_string().contains("limit of 10 bytes"), "{err}");
}

#[test]
fn content_mismatch() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    let err = ingest_err("photo.csv", png, "content_mismatch");
    assert!(err.to_string().contains("PNG image"), "{err}");
    let zip = zip_bytes(&[("a.txt", b"hello")]);
    let err = ingest_err("archive.csv", &zip, "content_mismatch");
    assert!(err.to_string().contains("zip archive"), "{err}");
    let err = ingest_err("nul.csv", b"a,b\n1,\0\0\0\n", "content_mismatch");
    assert!(err.to_string().contains("NUL"), "{err}");
    let err = ingest_err("text.xlsx", b"a,b\n1,2\n", "content_mismatch");
    assert!(err.to_string().contains("not a zip archive"), "{err}");
    // A zip that is not a workbook.
    ingest_err("other.xlsx", &zip, "content_mismatch");
    // Government systems often export HTML tables under a .xls name.
    let err = ingest_err(
        "report.xls",
        b"<html><table><tr><td>a</td></tr></table></html>",
        "content_mismatch",
    );
    assert!(err.to_string().contains("HTML"), "{err}");
    ingest_err("data.json", b"hello", "content_mismatch");
    ingest_err("data.tsv", b"%PDF-1.7\n", "content_mismatch");
}

#[test]
fn zip_bomb_by_ratio() {
    let huge = vec![b'0'; 20 << 20];
    let bomb = zip_bytes(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/worksheets/sheet1.xml", &huge),
    ]);
    assert!(
        bomb.len() < 200_000,
        "the test zip is small: {}",
        bomb.len()
    );
    let err = ingest_err("bomb.xlsx", &bomb, "zip_bomb");
    assert!(
        err.to_string().contains("compressed more than 100 to 1"),
        "{err}"
    );
}

#[test]
fn zip_bomb_by_total_size() {
    let limits = Limits {
        max_uncompressed_bytes: 5 << 20,
        max_compression_ratio: u64::MAX,
        ..Limits::default()
    };
    let big = vec![b'0'; 3 << 20];
    let bomb = zip_bytes(&[("a.xml", &big), ("b.xml", &big)]);
    let err = ingest_err_with("bomb.xlsx", &bomb, &limits, "zip_bomb");
    assert!(err.to_string().contains("more than 5242880 bytes"), "{err}");
}

#[test]
fn zip_bomb_with_lying_sizes() {
    let big = vec![b'x'; 2 << 20];
    let mut bomb = zip_bytes(&[("xl/sharedStrings.xml", &big)]);
    // Claim 1000 bytes uncompressed in both the local header and the central directory: under
    // every declared limit, so only inflating the entry can reveal it.
    let claim = 1000u32.to_le_bytes();
    let local = find(&bomb, b"PK\x03\x04");
    bomb[local + 22..local + 26].copy_from_slice(&claim);
    let central = find(&bomb, b"PK\x01\x02");
    bomb[central + 24..central + 28].copy_from_slice(&claim);
    let err = ingest_err("liar.xlsx", &bomb, "zip_bomb");
    assert!(
        err.to_string().contains("larger than the archive declares"),
        "{err}"
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

#[test]
fn a_normal_workbook_is_not_a_bomb() {
    // Many repetitive rows compress well but stay under the limits.
    let rows: String = (1..=2000)
        .map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#))
        .collect();
    let bytes = xlsx(&[], &rows);
    let scene = Scene::new();
    let outcome = scene
        .ingest_with("ok.xlsx", &bytes, &Limits::default())
        .unwrap();
    assert_eq!(outcome.row_count, 1999);
}

#[test]
fn file_names() {
    for name in [
        "../etc/passwd.csv",
        "a/b.csv",
        "a\\b.csv",
        "..",
        "",
        "a\nb.csv",
    ] {
        ingest_err(name, b"a\n1\n", "invalid_file_name");
    }
    ingest_err("program.exe", b"a\n1\n", "unsupported_format");
    ingest_err("noext", b"a\n1\n", "unsupported_format");
    ingest_err("notes.txt", b"a\n1\n", "unsupported_format");
}

#[test]
fn io_errors_are_not_user_errors() {
    let scene = Scene::new();
    let source = scene.upload(b"a\n1\n");
    let dest = scene.out.path().join("missing-dir").join("v.parquet");
    let limits = Limits::default();
    let err = ingest::ingest_file(IngestRequest {
        source: &source,
        file_name: "a.csv",
        dest: &dest,
        limits: &limits,
        progress: None,
        key: &[],
        sort_by: None,
    })
    .unwrap_err();
    assert_eq!(err.code(), "io");
    assert!(!err.is_user_error());
    assert!(
        !err.to_string().contains("missing-dir"),
        "internals stay out of the message: {err}"
    );
    assert!(scene.out_files().is_empty());

    let missing = scene.uploads.path().join("never-uploaded.csv");
    let err = ingest::ingest_file(IngestRequest {
        source: &missing,
        file_name: "a.csv",
        dest: &scene.dest(),
        limits: &limits,
        progress: None,
        key: &[],
        sort_by: None,
    })
    .unwrap_err();
    assert_eq!(err.code(), "io");
    assert!(scene.out_files().is_empty());
}
