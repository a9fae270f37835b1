//! Rewriting a stored version in the current layout, for `gongshu versions rewrite`.
//!
//! A version is immutable in content: a rewrite keeps every row, value, type and column order
//! and changes only how the file is laid out. The layout is chosen as at import
//! ([`Layout::choose`]) from the version's stored profile (values, nulls, distinct count,
//! personal information), the order the data dictionary declares, and one read of the file for
//! the order of its typed columns; a second read writes the new file (sorted, when an order is
//! declared that the file is not in). The new file is published under a new name, so the old one stays
//! whole until the caller has recorded the new one.

use crate::infer::ColumnType;
use crate::layout::{ColumnFacts, Layout, LAYOUT_KEY};
use crate::output::{ParquetOutput, BATCH_ROWS};
use crate::IngestError;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::Array;
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::fs::File;
use std::path::Path;

/// What a version's stored profile says about one of its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownColumn {
    /// Column name.
    pub name: String,
    /// Non-null values.
    pub values: u64,
    /// Nulls.
    pub nulls: u64,
    /// Estimated distinct values.
    pub distinct: u64,
    /// Whether personal information was found in it.
    pub personal: bool,
}

/// The rewritten file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// Rows copied.
    pub rows: u64,
    /// Size of the new file.
    pub byte_size: u64,
    /// SHA-256 (hex) of the new file.
    pub sha256: String,
    /// The column the new file's rows are in order of, if any.
    pub sorted_by: Option<String>,
}

/// How a stored file is laid out, as its metadata says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLayout {
    /// 1 for files from before layouts were recorded, [`crate::LAYOUT_VERSION`] for files in
    /// the current one.
    pub version: u32,
    /// The column the file's sorting columns name first, if any.
    pub sorted_by: Option<String>,
}

fn read_error(e: impl std::fmt::Display) -> IngestError {
    IngestError::internal(format!("reading a stored version: {e}"))
}

fn reader(path: &Path) -> Result<(SchemaRef, ParquetRecordBatchReader), IngestError> {
    let file = File::open(path).map_err(IngestError::io("reading a stored version"))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(read_error)?
        .with_batch_size(BATCH_ROWS);
    let schema = builder.schema().clone();
    Ok((schema, builder.build().map_err(read_error)?))
}

/// The layout a stored file was written in.
pub fn stored_layout(path: &Path) -> Result<StoredLayout, IngestError> {
    let file = File::open(path).map_err(IngestError::io("reading a stored version"))?;
    let reader = SerializedFileReader::new(file).map_err(read_error)?;
    let metadata = reader.metadata();
    let sorted_by = metadata
        .row_groups()
        .first()
        .and_then(|g| g.sorting_columns()?.first().cloned())
        .filter(|c| !c.descending)
        .and_then(|c| {
            let fields = metadata
                .file_metadata()
                .schema_descr()
                .root_schema()
                .get_fields();
            fields
                .get(usize::try_from(c.column_idx).ok()?)
                .map(|f| f.name().to_string())
        });
    let version = metadata
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .find(|kv| kv.key == LAYOUT_KEY)
        .and_then(|kv| kv.value.as_deref()?.parse().ok())
        .unwrap_or(1);
    Ok(StoredLayout { version, sorted_by })
}

/// Rewrites the version at `src` into a new file at `dest` in the current layout, given what its
/// profile says about its columns. `dest` appears whole or not at all.
pub fn rewrite(
    src: &Path,
    dest: &Path,
    known: &[KnownColumn],
    sort_by: Option<&str>,
) -> Result<Rewritten, IngestError> {
    let (schema, first) = reader(src)?;
    let types: Vec<ColumnType> = schema
        .fields()
        .iter()
        .map(|f| ColumnType::of_arrow(f.data_type()))
        .collect();
    // One read for the order of the columns that can have one.
    let mut ascending: Vec<Ascending> = schema
        .fields()
        .iter()
        .map(|f| Ascending::new(f.data_type()))
        .collect();
    for batch in first {
        let batch = batch.map_err(read_error)?;
        for (state, column) in ascending.iter_mut().zip(batch.columns()) {
            state.observe(column.as_ref())?;
        }
    }
    let facts: Vec<ColumnFacts> = schema
        .fields()
        .iter()
        .zip(&types)
        .zip(&ascending)
        .map(|((field, ty), order)| {
            let k = known.iter().find(|k| k.name == *field.name());
            ColumnFacts {
                ty: *ty,
                values: k.map_or(0, |k| k.values),
                nulls: k.map_or(0, |k| k.nulls),
                distinct: k.map_or(0, |k| k.distinct),
                ascending: order.holds(),
                // A column the profile does not know is treated as personal: no bloom filter.
                personal: k.is_none_or(|k| k.personal),
            }
        })
        .collect();
    let declared = sort_by.and_then(|name| schema.fields().iter().position(|f| f.name() == name));
    let layout = Layout::choose(&facts, declared);
    let mut output = ParquetOutput::create(dest, schema.clone(), &layout)?;
    let mut rows = 0u64;
    for batch in reader(src)?.1 {
        let batch = batch.map_err(read_error)?;
        rows += batch.num_rows() as u64;
        output.write(&batch)?;
    }
    let published = output.publish()?;
    Ok(Rewritten {
        rows,
        byte_size: published.byte_size,
        sha256: published.sha256,
        sorted_by: published.sorted_by,
    })
}

/// Whether a column's values never decrease, for integers, dates and times; other types never
/// have an order here.
struct Ascending {
    /// `None` once the order is broken or for a type without one.
    last: Option<Option<i64>>,
}

impl Ascending {
    fn new(data_type: &DataType) -> Self {
        let orderable = matches!(
            data_type,
            DataType::Int64 | DataType::Date32 | DataType::Timestamp(..)
        );
        Ascending {
            last: orderable.then_some(None),
        }
    }

    fn observe(&mut self, column: &dyn Array) -> Result<(), IngestError> {
        let Some(mut last) = self.last else {
            return Ok(());
        };
        if column.null_count() > 0 {
            self.last = None;
            return Ok(());
        }
        let values = arrow::compute::cast(column, &DataType::Int64).map_err(read_error)?;
        for &v in values.as_primitive::<Int64Type>().values() {
            if last.is_some_and(|l| v < l) {
                self.last = None;
                return Ok(());
            }
            last = Some(v);
        }
        self.last = Some(last);
        Ok(())
    }

    fn holds(&self) -> bool {
        self.last.is_some()
    }
}
