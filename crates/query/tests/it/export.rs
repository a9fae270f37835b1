//! Streams and every download format, read back with independent readers.

use std::io::Cursor;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use calamine::Reader;
use futures::StreamExt;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use query::export::{encode, Format};
use query::{ColumnMeta, Engine, Limits, QueryError, RestQuery, RowStream};

use crate::fixtures::*;

/// Encodes a fresh stream of `q` over `table`; the chunks, or the first error.
async fn download(
    engine: &Engine,
    table: &query::PolicyTable,
    q: &RestQuery,
    format: Format,
) -> Result<Vec<Bytes>, QueryError> {
    let stream = engine.stream(table, q).await?;
    let mut chunks = Vec::new();
    let encoded = encode(format, stream);
    futures::pin_mut!(encoded);
    while let Some(chunk) = encoded.next().await {
        let chunk = chunk?;
        assert!(!chunk.is_empty(), "empty chunk");
        chunks.push(chunk);
    }
    Ok(chunks)
}

fn joined(chunks: &[Bytes]) -> Vec<u8> {
    chunks.iter().flat_map(|c| c.iter().copied()).collect()
}

/// A table of text cells, header first, as each format reads back.
fn read_back(format: Format, bytes: &[u8], header: &[&str]) -> Vec<Vec<String>> {
    match format {
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(bytes);
            reader
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .collect()
        }
        Format::Json | Format::Ndjson => {
            let values: Vec<serde_json::Value> = if format == Format::Json {
                serde_json::from_slice(bytes).unwrap()
            } else {
                std::str::from_utf8(bytes)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect()
            };
            // serde_json sorts keys, so values are read back by the expected header.
            let mut out = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
            for v in values {
                let object = v.as_object().unwrap();
                assert_eq!(
                    object.len(),
                    header.len(),
                    "every key is present, nulls included"
                );
                out.push(
                    header
                        .iter()
                        .map(|h| match &object[*h] {
                            serde_json::Value::String(s) => s.clone(),
                            serde_json::Value::Null => String::new(),
                            other => other.to_string(),
                        })
                        .collect(),
                );
            }
            out
        }
        Format::Parquet => {
            let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::copy_from_slice(bytes))
                .unwrap()
                .build()
                .unwrap();
            let mut out: Vec<Vec<String>> = Vec::new();
            for batch in reader {
                let batch = batch.unwrap();
                if out.is_empty() {
                    out.push(
                        batch
                            .schema()
                            .fields()
                            .iter()
                            .map(|f| f.name().clone())
                            .collect(),
                    );
                }
                for row in 0..batch.num_rows() {
                    out.push(
                        batch
                            .columns()
                            .iter()
                            .map(|c| {
                                if c.is_null(row) {
                                    String::new()
                                } else {
                                    arrow::util::display::array_value_to_string(c, row).unwrap()
                                }
                            })
                            .collect(),
                    );
                }
            }
            out
        }
        Format::Xlsx => {
            let mut workbook: calamine::Xlsx<_> =
                calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
            let sheet = workbook.sheet_names()[0].clone();
            let range = workbook.worksheet_range(&sheet).unwrap();
            range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|cell| match cell {
                            calamine::Data::Float(f) if f.fract() == 0.0 => {
                                format!("{}", *f as i64)
                            }
                            calamine::Data::Empty => String::new(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect()
        }
    }
}

#[tokio::test]
async fn every_format_round_trips_with_masked_values_only() {
    let fx = Fixture::new();
    let engine = engine();
    let q = RestQuery {
        sort: query::SortKey::parse_list("age").unwrap(),
        ..Default::default()
    };
    let expected = engine.query(&fx.persons, &q).await.unwrap();
    let expected_rows: Vec<Vec<String>> = expected
        .rows()
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    let header: Vec<String> = expected.columns.iter().map(|c| c.name.clone()).collect();
    for format in Format::ALL.iter().copied() {
        let bytes = joined(&download(&engine, &fx.persons, &q, format).await.unwrap());
        if format != Format::Parquet && format != Format::Xlsx {
            assert_no_secrets(format.ext(), &String::from_utf8_lossy(&bytes));
        }
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        let table = read_back(format, &bytes, &names);
        assert_eq!(table[0], header, "{format:?}");
        // Nulls read back as empty text in every format; the fixture has no empty strings.
        assert_eq!(table[1..].to_vec(), expected_rows, "{format:?}");
        for row in &table {
            for cell in row {
                assert_no_secrets(format.ext(), cell);
            }
        }
    }
}

#[tokio::test]
async fn a_stream_carries_its_columns_and_only_rows_inside_the_filter() {
    let fx = Fixture::new();
    let stream = engine()
        .stream(&fx.persons, &RestQuery::default())
        .await
        .unwrap();
    let metas: Vec<(String, bool)> = stream
        .columns()
        .iter()
        .map(|c| (c.name.clone(), c.masked))
        .collect();
    assert_eq!(
        metas,
        [
            ("name", true),
            ("mobile", true),
            ("district", false),
            ("age", false),
            ("birth", true)
        ]
        .map(|(n, m)| (n.to_string(), m))
    );
    assert_eq!(stream.schema().fields().len(), 5);
    let batches: Vec<RecordBatch> = stream.map(|b| b.unwrap()).collect().await;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, persons().iter().filter(|p| p.kept()).count());
    for b in &batches {
        let district = b.column_by_name("district").unwrap().as_string::<i32>();
        assert!(district.iter().all(|d| d == Some(KEPT)));
    }
}

#[tokio::test]
async fn empty_results_are_valid_files() {
    let fx = Fixture::new();
    let engine = engine();
    let q = RestQuery {
        filters: vec![model::filter::Condition {
            column: "age".into(),
            op: model::filter::Op::Gt,
            value: Some(model::filter::Literal::Int(1000)),
        }],
        ..Default::default()
    };
    for format in Format::ALL.iter().copied() {
        let bytes = joined(&download(&engine, &fx.persons, &q, format).await.unwrap());
        match format {
            Format::Csv => assert_eq!(
                read_back(format, &bytes, &[]),
                vec![vec!["name", "mobile", "district", "age", "birth"]]
            ),
            Format::Json => assert_eq!(
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
                serde_json::json!([])
            ),
            Format::Ndjson => assert!(bytes.is_empty()),
            Format::Parquet => {
                let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).unwrap();
                assert_eq!(builder.metadata().file_metadata().num_rows(), 0);
                assert_eq!(builder.schema().fields().len(), 5);
            }
            Format::Xlsx => assert_eq!(
                read_back(format, &bytes, &[]),
                vec![vec!["name", "mobile", "district", "age", "birth"]]
            ),
        }
    }
}

#[tokio::test]
async fn large_downloads_stream_in_many_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let big = big_table(dir.path(), 150_000);
    let engine = engine();
    for format in [Format::Csv, Format::Ndjson, Format::Parquet] {
        let chunks = download(&engine, &big, &RestQuery::default(), format)
            .await
            .unwrap();
        assert!(
            chunks.len() > 2,
            "{format:?} came in {} chunks",
            chunks.len()
        );
        let bytes = joined(&chunks);
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("secret-"),
            "{format:?} holds a hidden column"
        );
        assert!(
            !text.contains("label-"),
            "{format:?} holds a raw masked value"
        );
        if format == Format::Parquet {
            let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).unwrap();
            assert_eq!(builder.metadata().file_metadata().num_rows(), 150_000);
            assert!(builder.metadata().num_row_groups() > 1);
            let mut sum = 0i64;
            for batch in builder.build().unwrap() {
                let batch = batch.unwrap();
                sum += batch
                    .column(0)
                    .as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| v.unwrap())
                    .sum::<i64>();
                assert!(batch
                    .column(1)
                    .as_string::<i32>()
                    .iter()
                    .all(|v| v == Some("***")));
            }
            assert_eq!(sum, (0..150_000i64).sum::<i64>());
        } else {
            let lines = text.lines().count();
            assert_eq!(lines, 150_000 + usize::from(format == Format::Csv));
        }
    }
}

fn one_column_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]))
}

fn metas() -> Vec<ColumnMeta> {
    vec![ColumnMeta {
        name: "n".into(),
        data_type: "int64".into(),
        masked: false,
    }]
}

/// A stream that yields one good batch, then fails.
fn failing_stream() -> RowStream {
    let schema = one_column_schema();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(vec![1, 2, 3]))],
    )
    .unwrap();
    let items: Vec<Result<RecordBatch, QueryError>> = vec![Ok(batch), Err(QueryError::Memory)];
    RowStream::new(schema, metas(), futures::stream::iter(items))
}

#[tokio::test]
async fn a_failure_midway_ends_every_download_with_an_error() {
    for format in Format::ALL.iter().copied() {
        let items: Vec<Result<Bytes, QueryError>> =
            encode(format, failing_stream()).collect().await;
        let last = items.last().expect("something");
        match last {
            Err(e) => assert_eq!(e.code(), "query_memory", "{format:?}"),
            Ok(_) => panic!("{format:?} ended quietly after a failure"),
        }
        assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1, "{format:?}");
    }
}

#[tokio::test]
async fn xlsx_refuses_more_rows_than_a_worksheet_holds() {
    let schema = one_column_schema();
    let rows = query::export::XLSX_MAX_ROWS as i64 + 1;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from_iter_values(0..rows))],
    )
    .unwrap();
    let stream = RowStream::new(schema, metas(), futures::stream::iter(vec![Ok(batch)]));
    let items: Vec<Result<Bytes, QueryError>> = encode(Format::Xlsx, stream).collect().await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap_err().code(), "too_many_rows");
}

#[tokio::test]
async fn xlsx_keeps_large_integers_exact_and_types_cells() {
    let schema = Arc::new(Schema::new(vec![
        Field::new("n", DataType::Int64, true),
        Field::new("f", DataType::Float64, true),
        Field::new("b", DataType::Boolean, true),
        Field::new("d", DataType::Date32, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![
                Some(9_007_199_254_740_993),
                Some(7),
                None,
            ])),
            Arc::new(arrow::array::Float64Array::from(vec![
                Some(1.5),
                None,
                Some(f64::NAN),
            ])),
            Arc::new(arrow::array::BooleanArray::from(vec![
                Some(true),
                Some(false),
                None,
            ])),
            Arc::new(arrow::array::Date32Array::from(vec![
                Some(0),
                None,
                Some(1),
            ])),
        ],
    )
    .unwrap();
    let stream = RowStream::new(schema, vec![], futures::stream::iter(vec![Ok(batch)]));
    let bytes: Vec<Bytes> = encode(Format::Xlsx, stream)
        .map(|c| c.unwrap())
        .collect()
        .await;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(joined(&bytes))).unwrap();
    let range = workbook.worksheet_range("Sheet1").unwrap();
    let cell = |r: u32, c: u32| {
        range
            .get_value((r, c))
            .cloned()
            .unwrap_or(calamine::Data::Empty)
    };
    assert_eq!(
        cell(1, 0),
        calamine::Data::String("9007199254740993".into())
    );
    assert_eq!(cell(2, 0), calamine::Data::Float(7.0));
    assert_eq!(cell(1, 1), calamine::Data::Float(1.5));
    assert_eq!(cell(1, 2), calamine::Data::Bool(true));
    assert_eq!(cell(1, 3), calamine::Data::String("1970-01-01".into()));
    assert_eq!(cell(3, 0), calamine::Data::Empty);
}

#[tokio::test]
async fn content_types_and_extensions() {
    assert_eq!(Format::Csv.content_type(), "text/csv; charset=utf-8");
    assert_eq!(Format::Parquet.ext(), "parquet");
    assert_eq!(Format::from_ext("XLSX"), Some(Format::Xlsx));
    let _ = Engine::new(Limits::default());
}
