//! Parquet uploads: types kept, values kept, damage detected.

use crate::support::{ingest_err, ingest_ok, vals, Scene};
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use ingest::{IngestRequest, Limits, SourceFormat};
use model::pii::PiiKind;
use model::Grade;
use parquet::arrow::ArrowWriter;
use std::sync::Arc;

/// A Parquet file with a few typed columns, in `row_groups` row groups of `rows` rows each.
pub fn sample_parquet(row_groups: usize, rows: usize) -> Vec<u8> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("small", DataType::Int32, true),
        Field::new("big", DataType::Int64, false),
        Field::new("ratio", DataType::Float64, true),
        Field::new("flag", DataType::Boolean, true),
        Field::new("day", DataType::Date32, true),
        Field::new(
            "at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("+08:00".into())),
            true,
        ),
        Field::new("id_card", DataType::Utf8, true),
    ]));
    let mut out = Vec::new();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows))
        .build();
    let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), Some(props)).unwrap();
    for g in 0..row_groups {
        let base = (g * rows) as i64;
        let idx: Vec<i64> = (0..rows as i64).map(|i| base + i).collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from_iter(
                idx.iter().map(|&i| (i % 3 != 2).then_some(i as i32)),
            )),
            // Eleven digits: numeric in Parquet, and it stays numeric: its type is not inferred.
            Arc::new(Int64Array::from_iter_values(
                idx.iter().map(|&i| 13_800_000_000 + i),
            )),
            Arc::new(Float64Array::from_iter_values(
                idx.iter().map(|&i| i as f64 / 4.0),
            )),
            Arc::new(BooleanArray::from_iter(
                idx.iter().map(|&i| Some(i % 2 == 0)),
            )),
            Arc::new(Date32Array::from_iter_values(
                idx.iter().map(|&i| 19_723 + i as i32),
            )),
            Arc::new(
                TimestampMillisecondArray::from_iter_values(
                    idx.iter().map(|&i| 1_704_067_200_000 + i * 1000),
                )
                .with_timezone("+08:00"),
            ),
            Arc::new(StringArray::from_iter_values(
                idx.iter().map(|_| "11010519491231002X"),
            )),
        ];
        writer
            .write(&RecordBatch::try_new(schema.clone(), columns).unwrap())
            .unwrap();
    }
    writer.close().unwrap();
    out
}

#[test]
fn parquet_types_are_kept() {
    let t = ingest_ok("data.parquet", &sample_parquet(2, 5));
    assert_eq!(t.outcome.format, SourceFormat::Parquet);
    assert_eq!(t.outcome.encoding, None);
    assert_eq!(t.outcome.row_count, 10);
    assert_eq!(t.data_type("small"), &DataType::Int32);
    assert_eq!(t.data_type("big"), &DataType::Int64);
    assert_eq!(
        t.data_type("at"),
        &DataType::Timestamp(TimeUnit::Millisecond, Some("+08:00".into()))
    );
    assert_eq!(t.data_type("day"), &DataType::Date32);
    let codes: Vec<&str> = t
        .outcome
        .columns
        .iter()
        .map(|c| c.data_type.as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "int64",
            "int64",
            "float64",
            "boolean",
            "date",
            "timestamp",
            "string"
        ]
    );

    assert_eq!(t.values("small")[..3], vals(&[Some("0"), Some("1"), None]));
    assert_eq!(t.values("big")[9], Some("13800000009".to_string()));
    let small = &t.column("small").profile;
    assert_eq!((small.count, small.nulls), (10, 3));
    assert_eq!(
        (small.min.as_deref(), small.max.as_deref()),
        (Some("0"), Some("9"))
    );
    let big = &t.column("big").profile;
    assert_eq!(
        (big.min.as_deref(), big.max.as_deref()),
        (Some("13800000000"), Some("13800000009"))
    );
    assert_eq!(t.column("ratio").profile.max.as_deref(), Some("2.25"));
    assert_eq!(t.column("day").profile.min.as_deref(), Some("2024-01-01"));
    // 2024-01-01T00:00:00 UTC, shown in UTC.
    assert_eq!(
        t.column("at").profile.min.as_deref(),
        Some("2024-01-01 00:00:00Z")
    );
    let id = t.column("id_card");
    assert_eq!(id.findings[0].kind, PiiKind::CitizenId);
    assert_eq!(id.proposed_grade, Grade::L4);
    assert_eq!(
        id.profile.top_values,
        vec![("11010519491231002X".to_string(), 10)]
    );
    // Numbers in a typed column are not strings, so the mobile-number scan finds them anyway.
    assert_eq!(t.column("big").findings[0].kind, PiiKind::Mobile);
}

#[test]
fn truncated_parquet_is_corrupt() {
    let bytes = sample_parquet(2, 100);
    let err = ingest_err("cut.parquet", &bytes[..bytes.len() / 2], "corrupt_parquet");
    assert!(err.to_string().contains("truncated"), "{err}");
    ingest_err("tiny.parquet", b"PAR1", "corrupt_parquet");
}

#[test]
fn damaged_pages_leave_nothing_and_keep_an_existing_version() {
    let mut bytes = sample_parquet(4, 1000);
    // Overwrite the first data pages, keeping the footer intact, so the failure happens after
    // the output file has been started.
    for b in &mut bytes[4..2000] {
        *b = 0xAB;
    }
    let scene = Scene::new();
    let dest = scene.dest();
    std::fs::write(&dest, b"previous version").unwrap();
    let source = scene.upload(&bytes);
    let limits = Limits::default();
    let err = ingest::ingest_file(IngestRequest {
        source: &source,
        file_name: "damaged.parquet",
        dest: &dest,
        limits: &limits,
        progress: None,
        key: &[],
        sort_by: None,
    })
    .unwrap_err();
    assert_eq!(err.code(), "corrupt_parquet", "{err}");
    assert_eq!(
        scene.out_files(),
        vec!["version-1.parquet".to_string()],
        "no temporary file is left"
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"previous version");
}

#[test]
fn parquet_without_magic_is_a_mismatch() {
    ingest_err("data.parquet", b"id,name\n1,a\n", "content_mismatch");
    let err = ingest_err(
        "image.parquet",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        "content_mismatch",
    );
    assert!(err.to_string().contains("PNG"), "{err}");
}
