//! The layout of written versions, and rewriting a stored version in it.

use crate::support::{read_parquet, Scene};
use ingest::{KnownColumn, Limits, LAYOUT_VERSION, LOOKUP_ROW_GROUP_ROWS, ROW_GROUP_ROWS};
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
    // The station code gets a bloom filter, so the file has the smaller row groups.
    let rows = LOOKUP_ROW_GROUP_ROWS + 5000;
    scene
        .ingest_with("r.csv", &readings_csv(rows), &Limits::default())
        .unwrap();
    let dest = scene.dest();
    assert_eq!(
        ingest::stored_layout(&dest).unwrap().version,
        LAYOUT_VERSION
    );
    let reader = metadata(&dest);
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), 2);
    assert_eq!(meta.row_group(0).num_rows(), LOOKUP_ROW_GROUP_ROWS as i64);
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
    assert_eq!(ingest::stored_layout(&old).unwrap().version, 1);
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
    let rewritten = ingest::rewrite(&old, &new, &known, None).unwrap();
    assert_eq!(rewritten.rows, rows as u64);
    assert_eq!(rewritten.byte_size, std::fs::metadata(&new).unwrap().len());
    assert_eq!(ingest::stored_layout(&new).unwrap().version, LAYOUT_VERSION);
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

/// The values of an integer or text column of a file, in file order, as text (empty for null).
fn column_text(path: &std::path::Path, name: &str) -> Vec<String> {
    let (_, batches) = read_parquet(path);
    let mut out = Vec::new();
    for b in &batches {
        let array = b.column_by_name(name).unwrap();
        let formatter = arrow::util::display::ArrayFormatter::try_new(
            array.as_ref(),
            &arrow::util::display::FormatOptions::default(),
        )
        .unwrap();
        for i in 0..array.len() {
            out.push(formatter.value(i).to_string());
        }
    }
    out
}

/// A CSV whose `day` column is out of order with empty cells, and a `seq` column numbering the
/// rows as they came.
fn shuffled_days_csv(rows: usize) -> Vec<u8> {
    let mut out = String::from("seq,day,amount\n");
    for i in 0..rows {
        let day = (i * 7919) % 365;
        if i % 50 == 7 {
            out.push_str(&format!("{i},,{}\n", i % 1000));
        } else {
            let date = time_of(day);
            out.push_str(&format!("{i},{date},{}\n", i % 1000));
        }
    }
    out.into_bytes()
}

fn time_of(day: usize) -> String {
    // Days of 2026 as YYYY-MM-DD, by months of 31 days at most (every date is valid).
    let months = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut m, mut d) = (0, day);
    while d >= months[m] {
        d -= months[m];
        m += 1;
    }
    format!("2026-{:02}-{:02}", m + 1, d + 1)
}

#[test]
fn a_declared_order_sorts_the_rows_and_narrows_each_row_group() {
    let scene = Scene::new();
    let rows = ROW_GROUP_ROWS * 2 + 777;
    let outcome = scene
        .ingest_ordered(
            "d.csv",
            &shuffled_days_csv(rows),
            &Limits::default(),
            &[],
            Some("day"),
        )
        .unwrap();
    assert_eq!(outcome.row_count, rows as u64);
    assert_eq!(outcome.sorted_by.as_deref(), Some("day"));
    let dest = scene.dest();
    assert_eq!(
        ingest::stored_layout(&dest).unwrap().sorted_by.as_deref(),
        Some("day")
    );
    // Ascending, empty cells last, and rows of one day in the order they came.
    let days = column_text(&dest, "day");
    let seq: Vec<usize> = column_text(&dest, "seq")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let mut expected: Vec<(Option<String>, usize)> = (0..rows)
        .map(|i| ((i % 50 != 7).then(|| time_of((i * 7919) % 365)), i))
        .collect();
    expected.sort_by(|a, b| (a.0.is_none(), &a.0, a.1).cmp(&(b.0.is_none(), &b.0, b.1)));
    let got: Vec<(Option<String>, usize)> = days
        .iter()
        .zip(&seq)
        .map(|(d, &s)| ((!d.is_empty()).then(|| d.clone()), s))
        .collect();
    assert_eq!(got, expected);
    // Each row group holds its own range of days: the statistics of the first two do not
    // overlap, so a filter on the day skips row groups.
    let reader = metadata(&dest);
    let meta = reader.metadata();
    assert_eq!(meta.num_row_groups(), 3);
    let day = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.name() == "day")
        .unwrap();
    let range = |g: usize| match meta.row_group(g).column(day).statistics() {
        Some(parquet::file::statistics::Statistics::Int32(s)) => {
            (*s.min_opt().unwrap(), *s.max_opt().unwrap())
        }
        other => panic!("{other:?}"),
    };
    assert!(range(0).1 <= range(1).0, "{:?} {:?}", range(0), range(1));
    let sorting = meta.row_group(0).sorting_columns().unwrap();
    assert_eq!(sorting[0].column_idx as usize, day);
    assert!(!sorting[0].nulls_first);

    // Without the declaration the rows stay as they came; a declared column the data lacks
    // is no order.
    let plain = Scene::new();
    let outcome = plain
        .ingest_ordered(
            "d.csv",
            &shuffled_days_csv(1000),
            &Limits::default(),
            &[],
            Some("无此列"),
        )
        .unwrap();
    // The sequence is ascending, so it is the order found.
    assert_eq!(outcome.sorted_by.as_deref(), Some("seq"));
    let seq: Vec<usize> = column_text(&plain.dest(), "seq")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(seq, (0..1000).collect::<Vec<_>>());
}

#[test]
fn a_declared_order_applies_to_parquet_uploads_and_to_rewrites() {
    let scene = Scene::new();
    let rows = 5000;
    scene
        .ingest_with("d.csv", &shuffled_days_csv(rows), &Limits::default())
        .unwrap();
    let unsorted = scene.out.path().join("unsorted.parquet");
    std::fs::copy(scene.dest(), &unsorted).unwrap();
    assert_eq!(
        ingest::stored_layout(&unsorted)
            .unwrap()
            .sorted_by
            .as_deref(),
        Some("seq")
    );
    let sorted_days = |path: &std::path::Path| {
        let days = column_text(path, "day");
        let present: Vec<&String> = days.iter().filter(|d| !d.is_empty()).collect();
        present.windows(2).all(|w| w[0] <= w[1])
            && days
                .iter()
                .skip_while(|d| !d.is_empty())
                .all(|d| d.is_empty())
    };
    assert!(!sorted_days(&unsorted));

    // A Parquet upload is sorted by the declared column.
    let again = Scene::new();
    let bytes = std::fs::read(&unsorted).unwrap();
    let outcome = again
        .ingest_ordered("d.parquet", &bytes, &Limits::default(), &[], Some("day"))
        .unwrap();
    assert_eq!(outcome.sorted_by.as_deref(), Some("day"));
    assert!(sorted_days(&again.dest()));

    // A rewrite with the order declared sorts; every row is kept.
    let new = scene.out.path().join("new.parquet");
    let rewritten = ingest::rewrite(&unsorted, &new, &[], Some("day")).unwrap();
    assert_eq!(rewritten.rows, rows as u64);
    assert_eq!(rewritten.sorted_by.as_deref(), Some("day"));
    assert!(sorted_days(&new));
    let mut before = column_text(&unsorted, "seq");
    let mut after = column_text(&new, "seq");
    before.sort();
    after.sort();
    assert_eq!(before, after);
}
