//! The layout of written versions, and rewriting a stored version in it.

use crate::support::{read_parquet, Scene};
use ingest::{KnownColumn, Limits, LAYOUT_VERSION, ROW_GROUP_ROWS};
use parquet::file::properties::ReaderProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::serialized_reader::ReadOptionsBuilder;

/// A CSV of `rows` rows: an ascending record id, a random-looking station code (identifier-like,
/// 1 row in 2 shares a code), a district of four values and a mobile number (personal).
fn readings_csv(rows: usize) -> Vec<u8> {
    let mut out = String::from("record_id,station,district,mobile\n");
    for i in 0..rows {
        let station = (i / 2).wrapping_mul(2_654_435_761) % 1_000_003;
        out.push_str(&format!(
            "{},S{station:07},{},139{:08}\n",
            1000 + i,
            ["上城区", "拱墅区", "西湖区", "滨江区"][i % 4],
            (i * 7919) % 100_000_000
        ));
    }
    out.into_bytes()
}

fn metadata(path: &std::path::Path) -> SerializedFileReader<std::fs::File> {
    SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap()
}

#[test]
fn versions_are_written_in_row_groups_with_sorting_columns_and_bloom_filters() {
    let scene = Scene::new();
    let rows = ROW_GROUP_ROWS + 5000;
    scene
        .ingest_with("r.csv", &readings_csv(rows), &Limits::default())
        .unwrap();
    let dest = scene.dest();
    assert_eq!(ingest::layout_version(&dest).unwrap(), LAYOUT_VERSION);
    let reader = metadata(&dest);
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), 2);
    assert_eq!(meta.row_group(0).num_rows(), ROW_GROUP_ROWS as i64);
    let schema = meta.file_metadata().schema_descr();
    let index = |name: &str| {
        (0..schema.num_columns())
            .find(|&i| schema.column(i).name() == name)
            .unwrap()
    };
    // The ascending record id is the file's order.
    let sorting = meta
        .row_group(0)
        .sorting_columns()
        .expect("sorting columns");
    assert_eq!(sorting.len(), 1);
    assert_eq!(sorting[0].column_idx as usize, index("record_id"));
    assert!(!sorting[0].descending);
    // The station code has a bloom filter; the ordered id, the district and the personal mobile
    // do not.
    let group = meta.row_group(0);
    let has_bloom = |name: &str| group.column(index(name)).bloom_filter_offset().is_some();
    assert!(has_bloom("station"));
    assert!(!has_bloom("record_id"));
    assert!(!has_bloom("district"));
    assert!(!has_bloom("mobile"));
    // And the bloom filter answers for a code that is there.
    let with_blooms = SerializedFileReader::new_with_options(
        std::fs::File::open(&dest).unwrap(),
        ReadOptionsBuilder::new()
            .with_reader_properties(
                ReaderProperties::builder()
                    .set_read_bloom_filter(true)
                    .build(),
            )
            .build(),
    )
    .unwrap();
    let bloom = with_blooms
        .get_row_group(0)
        .unwrap()
        .get_column_bloom_filter(index("station"))
        .cloned()
        .expect("a bloom filter is read back");
    let (_, batches) = read_parquet(&dest);
    let first =
        arrow_array::cast::AsArray::as_string::<i32>(batches[0].column_by_name("station").unwrap())
            .value(0)
            .to_string();
    assert!(bloom.check(&first.as_str()));
}

#[test]
fn a_stored_version_is_rewritten_in_the_current_layout_with_every_row_kept() {
    let scene = Scene::new();
    let rows = 20_000;
    // A version of the earlier layout: one row group, no metadata entry, no sorting columns.
    let (schema, batches) = {
        scene
            .ingest_with("r.csv", &readings_csv(rows), &Limits::default())
            .unwrap();
        read_parquet(&scene.dest())
    };
    let old = scene.out.path().join("old.parquet");
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&old).unwrap(), schema, None)
            .unwrap();
    for batch in &batches {
        writer.write(batch).unwrap();
    }
    writer.close().unwrap();
    assert_eq!(ingest::layout_version(&old).unwrap(), 1);
    assert!(metadata(&old)
        .metadata()
        .row_group(0)
        .sorting_columns()
        .is_none());

    let known = vec![
        KnownColumn {
            name: "record_id".into(),
            values: rows as u64,
            nulls: 0,
            distinct: rows as u64,
            personal: false,
        },
        KnownColumn {
            name: "station".into(),
            values: rows as u64,
            nulls: 0,
            distinct: rows as u64 / 2,
            personal: false,
        },
    ];
    let new = scene.out.path().join("new.parquet");
    let rewritten = ingest::rewrite(&old, &new, &known).unwrap();
    assert_eq!(rewritten.rows, rows as u64);
    assert_eq!(rewritten.byte_size, std::fs::metadata(&new).unwrap().len());
    assert_eq!(ingest::layout_version(&new).unwrap(), LAYOUT_VERSION);
    let meta = metadata(&new);
    let group = meta.metadata().row_group(0);
    assert_eq!(group.sorting_columns().unwrap()[0].column_idx, 0);
    assert!(group.column(1).bloom_filter_offset().is_some());
    // Columns the profile does not know (district, mobile) get no bloom filter.
    assert!(group.column(3).bloom_filter_offset().is_none());
    let (_, again) = read_parquet(&new);
    let all =
        |b: &[arrow_array::RecordBatch]| arrow::compute::concat_batches(&b[0].schema(), b).unwrap();
    assert_eq!(all(&again), all(&batches));
}
