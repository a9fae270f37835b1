//! How a version's Parquet file is laid out, chosen from what pass 1 learnt about each column.
//!
//! Every choice keeps the file plain Parquet that any reader opens (format 1.0 data pages,
//! standard codecs, statistics, page index and split-block bloom filters); the choices only
//! decide how much of it a query can skip and how fast what it reads decodes. The numbers were
//! chosen by measurement (`bench/query/`, and `bench/RESULTS.md` for the record):
//!
//! - Text columns compressed with zstd, where it saves the most bytes; numbers, booleans, dates
//!   and times with LZ4 (the `LZ4_RAW` codec), which decodes several times faster and gives up
//!   little on such values: a GROUP BY over numbers spent a quarter of its time in zstd.
//! - Row groups of [`ROW_GROUP_ROWS`] rows, so that statistics, bloom filters and a TopK's
//!   run-time filter skip in steps of a hundred thousand rows rather than a million; of
//!   [`LOOKUP_ROW_GROUP_ROWS`] in files with a bloom filter, since a lookup decodes the whole
//!   identifier column of each row group its filters let through (a `readings` lookup over HTTP
//!   went from 16.0 to 10.2 ms, with the GROUP BY and the file's size unchanged; groups of 32,768
//!   rows made the GROUP BY 5% and a TopK's scan 70% slower).
//! - Data pages of at most [`PAGE_BYTES`] (64 KiB, not the writer's 1 MiB): a lookup that selects
//!   one row decodes the page that holds it in every column, so smaller pages cut a lookup in
//!   plain DataFusion from 41 to 11 ms with no change to a GROUP BY or the file's size.
//! - Statistics per page and the page index (the writer's default), for readers that use them.
//! - Dictionary encoding for every column except near-unique ones and those with more distinct
//!   values than [`DICTIONARY_MAX`] (half a row group): a row group of such a column holds
//!   nearly as many distinct values as rows, so the writer builds a dictionary, outgrows its
//!   page and falls back to plain pages, and readers decode both. Reading a float of 300,000
//!   values in 10 million rows so was 15% slower than plain pages alone, while numbers of
//!   40,000 values or fewer read faster with a dictionary; text of a million values (citizen
//!   IDs) took 10% less space without one, and its interning cost the writer time.
//! - A bloom filter for each identifier-like column: integers or text whose values repeat few
//!   times (at least one distinct value per [`BLOOM_ROWS_PER_VALUE`] rows), that are not in order
//!   (statistics already answer lookups on ordered columns) and that do not hold personal
//!   information (such columns reach a query only masked or not at all, so an equality filter on
//!   them never reaches the file).
//! - Where the data dictionary declares the order of the rows (one column, for example a date),
//!   the rows are sorted by it, ascending with empty cells last ([`crate::sort`]), and the
//!   sorting columns of the file's metadata name it: each row group then holds a narrow range of
//!   the column, so that its statistics skip row groups for filters and sorts on it.
//! - Otherwise the sorting columns name the first column whose values already never decrease
//!   from the first row to the last (integers, dates and times without nulls), so that a reader
//!   knows the order it may rely on.

use crate::infer::ColumnType;
use arrow_schema::{DataType, Schema};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::{KeyValue, SortingColumn};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

/// The key of the file metadata entry that records the layout version.
pub(crate) const LAYOUT_KEY: &str = "gongshu.layout";
/// The current layout: 4 since files with a bloom filter have row groups of
/// [`LOOKUP_ROW_GROUP_ROWS`]; 3 when text was first compressed with zstd and the rest with LZ4,
/// dictionaries left out for columns of many values and pages kept to 64 KiB; 2 when row groups,
/// dictionaries, bloom filters and sorting columns were first chosen per column (zstd
/// everywhere, pages of 1 MiB). Files without the entry are layout 1 (row groups of a million
/// rows, no bloom filters, no sorting columns).
pub const LAYOUT_VERSION: u32 = 4;

/// Rows per row group.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;
/// Rows per row group in files with a bloom filter: a lookup the filters let through to a row
/// group decodes the whole identifier column of that group, so a smaller group costs it half as
/// much, while a GROUP BY reads such a file no slower (measured on `readings`, bench/RESULTS.md).
pub const LOOKUP_ROW_GROUP_ROWS: usize = 64 * 1024;
/// Encoded bytes after which a data page is closed: a lookup that selects one row of a row
/// group decodes the page holding it in each column, so pages are kept small.
const PAGE_BYTES: usize = 64 * 1024;
/// Encoded bytes after which a row group is closed early, bounding the writer's buffer when
/// text is wide.
const ROW_GROUP_BYTES: usize = 128 * 1024 * 1024;
/// A column gets a bloom filter when it has at least one distinct value per this many rows.
const BLOOM_ROWS_PER_VALUE: u64 = 8;
/// False positive rate of the bloom filters: a lookup reads a row group it need not read at
/// this rate.
const BLOOM_FPP: f64 = 0.01;
/// Columns with fewer distinct values get no bloom filter: statistics and dictionaries do.
const BLOOM_MIN_DISTINCT: u64 = 1000;
/// A column is near-unique, and gets no dictionary, when its distinct values are at least this
/// share of its values.
const NEAR_UNIQUE: f64 = 0.5;
/// Columns with more distinct values than this get no dictionary.
const DICTIONARY_MAX: u64 = (ROW_GROUP_ROWS / 2) as u64;

/// What pass 1 learnt about one column, for the layout.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnFacts {
    pub(crate) ty: ColumnType,
    pub(crate) values: u64,
    pub(crate) nulls: u64,
    pub(crate) distinct: u64,
    /// Whether every value was at least the one before it (typed columns only).
    pub(crate) ascending: bool,
    /// Whether the content scan found personal information.
    pub(crate) personal: bool,
}

/// The layout of one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Layout {
    /// Columns (by position) with a bloom filter, and the distinct values per row group to size
    /// it for.
    pub(crate) bloom: Vec<(usize, u64)>,
    /// Columns written without a dictionary.
    pub(crate) plain: Vec<usize>,
    /// The column the rows are in ascending order of, if any.
    pub(crate) sorted_by: Option<usize>,
    /// Whether the rows must be sorted by `sorted_by` as they are written (a declared order
    /// they are not already in), rather than found in that order.
    pub(crate) sort: bool,
}

impl Layout {
    /// The layout for columns with these facts, the rows kept in order of the column at
    /// `declared` if the data dictionary declares one.
    pub(crate) fn choose(columns: &[ColumnFacts], declared: Option<usize>) -> Layout {
        let mut layout = Layout::default();
        if let Some(i) = declared.filter(|&i| i < columns.len()) {
            let c = &columns[i];
            layout.sorted_by = Some(i);
            // Already in that order (nulls, if any, at the end are not known here): no sort.
            layout.sort = !(c.ascending && c.nulls == 0 && orderable(c.ty));
        }
        for (i, c) in columns.iter().enumerate() {
            let ascending = c.ascending && c.nulls == 0 && c.distinct > 1 && orderable(c.ty);
            if ascending && layout.sorted_by.is_none() {
                layout.sorted_by = Some(i);
            }
            let ordered = ascending || declared == Some(i);
            let near_unique = c.values > 0 && c.distinct as f64 >= NEAR_UNIQUE * c.values as f64;
            let many_values = c.distinct > DICTIONARY_MAX;
            if near_unique || many_values {
                layout.plain.push(i);
            }
            let identifier_like = matches!(c.ty, ColumnType::Int64 | ColumnType::String)
                && c.distinct >= BLOOM_MIN_DISTINCT
                && c.distinct.saturating_mul(BLOOM_ROWS_PER_VALUE) >= c.values;
            if identifier_like && !ordered && !c.personal {
                layout
                    .bloom
                    .push((i, c.distinct.min(LOOKUP_ROW_GROUP_ROWS as u64)));
            }
        }
        layout
    }

    /// Rows per row group: [`LOOKUP_ROW_GROUP_ROWS`] when a column has a bloom filter,
    /// [`ROW_GROUP_ROWS`] otherwise.
    pub(crate) fn row_group_rows(&self) -> usize {
        match self.bloom.is_empty() {
            true => ROW_GROUP_ROWS,
            false => LOOKUP_ROW_GROUP_ROWS,
        }
    }

    /// Writer properties for a file of `schema` in this layout.
    pub(crate) fn properties(&self, schema: &Schema) -> WriterProperties {
        let path = |i: usize| ColumnPath::from(schema.field(i).name().as_str());
        let mut props = WriterProperties::builder()
            .set_compression(Compression::LZ4_RAW)
            .set_max_row_group_row_count(Some(self.row_group_rows()))
            .set_data_page_size_limit(PAGE_BYTES)
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .set_created_by(format!("gongshu-ingest {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                LAYOUT_KEY.to_string(),
                LAYOUT_VERSION.to_string(),
            )]));
        for (i, field) in schema.fields().iter().enumerate() {
            if matches!(field.data_type(), DataType::Utf8 | DataType::LargeUtf8) {
                props =
                    props.set_column_compression(path(i), Compression::ZSTD(ZstdLevel::default()));
            }
        }
        for &i in &self.plain {
            props = props.set_column_dictionary_enabled(path(i), false);
        }
        for &(i, ndv) in &self.bloom {
            props = props
                .set_column_bloom_filter_enabled(path(i), true)
                .set_column_bloom_filter_fpp(path(i), BLOOM_FPP)
                .set_column_bloom_filter_max_ndv(path(i), ndv);
        }
        if let Some(i) = self.sorted_by {
            props = props.set_sorting_columns(Some(vec![SortingColumn {
                column_idx: i as i32,
                descending: false,
                nulls_first: false,
            }]));
        }
        props.build()
    }
}

/// Types whose order in a file the reader compares as the profile did.
fn orderable(ty: ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::Int64 | ColumnType::Date | ColumnType::Timestamp { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(ty: ColumnType, distinct: u64) -> ColumnFacts {
        ColumnFacts {
            ty,
            values: 1_000_000,
            nulls: 0,
            distinct,
            ascending: false,
            personal: false,
        }
    }

    #[test]
    fn identifiers_get_bloom_filters_ordered_columns_get_sorting_and_codes_keep_dictionaries() {
        let record_id = ColumnFacts {
            ascending: true,
            ..facts(ColumnType::Int64, 1_000_000)
        };
        let station = facts(ColumnType::String, 200_000);
        let mobile = ColumnFacts {
            personal: true,
            ..facts(ColumnType::String, 900_000)
        };
        let district = facts(ColumnType::String, 12);
        let amount = facts(ColumnType::Float64, 800_000);
        let day = ColumnFacts {
            ascending: true,
            ..facts(ColumnType::Date, 365)
        };
        let layout = Layout::choose(&[record_id, station, mobile, district, amount, day], None);
        // The record id is in order: statistics answer lookups, no bloom filter needed; it is
        // the first ordered column.
        assert_eq!(layout.sorted_by, Some(0));
        assert_eq!(layout.bloom, [(1, LOOKUP_ROW_GROUP_ROWS as u64)]);
        assert_eq!(layout.row_group_rows(), LOOKUP_ROW_GROUP_ROWS);
        // Codes of few values keep their dictionary; the rest have too many values for one.
        assert_eq!(layout.plain, [0, 1, 2, 4]);
    }

    #[test]
    fn columns_with_many_distinct_values_get_no_dictionary() {
        // A float of 300,000 values in 10 million rows: far from near-unique, but a row group
        // holds nearly as many values as rows. So does text of 300,000 values.
        let value = ColumnFacts {
            values: 10_000_000,
            ..facts(ColumnType::Float64, 300_000)
        };
        let amount = ColumnFacts {
            values: 10_000_000,
            ..facts(ColumnType::Int64, 40_000)
        };
        let name = ColumnFacts {
            values: 10_000_000,
            ..facts(ColumnType::String, 300_000)
        };
        let station = ColumnFacts {
            values: 10_000_000,
            ..facts(ColumnType::String, 2_000)
        };
        let layout = Layout::choose(&[value, amount, name, station], None);
        assert_eq!(layout.plain, [0, 2]);
    }

    #[test]
    fn nulls_or_a_single_value_are_no_order_and_few_values_no_identifier() {
        let with_nulls = ColumnFacts {
            ascending: true,
            nulls: 3,
            ..facts(ColumnType::Int64, 1000)
        };
        let constant = ColumnFacts {
            ascending: true,
            ..facts(ColumnType::Int64, 1)
        };
        let text_in_order = ColumnFacts {
            ascending: true,
            ..facts(ColumnType::String, 10)
        };
        let rare = facts(ColumnType::String, 50_000);
        let layout = Layout::choose(&[with_nulls, constant, text_in_order, rare], None);
        assert_eq!(layout.sorted_by, None);
        assert!(layout.bloom.is_empty(), "{layout:?}");
    }

    #[test]
    fn the_properties_say_what_the_layout_chose() {
        use arrow_schema::{DataType, Field};
        let schema = Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("code", DataType::Utf8, true),
        ]);
        let layout = Layout {
            bloom: vec![(1, 5000)],
            plain: vec![0],
            sorted_by: Some(0),
            sort: false,
        };
        let props = layout.properties(&schema);
        let id = ColumnPath::from("id");
        let code = ColumnPath::from("code");
        assert!(!props.dictionary_enabled(&id));
        assert!(props.dictionary_enabled(&code));
        assert!(props.bloom_filter_properties(&id).is_none());
        assert!(props.bloom_filter_properties(&code).is_some());
        assert_eq!(props.max_row_group_row_count(), Some(LOOKUP_ROW_GROUP_ROWS));
        // Without a bloom filter, the larger row groups.
        let props = Layout {
            bloom: Vec::new(),
            ..layout
        }
        .properties(&schema);
        assert_eq!(props.max_row_group_row_count(), Some(ROW_GROUP_ROWS));
        assert_eq!(
            props.sorting_columns().unwrap()[0],
            SortingColumn {
                column_idx: 0,
                descending: false,
                nulls_first: false
            }
        );
    }
}
