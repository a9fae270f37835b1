//! Parquet uploads: validated by reading every row, profiled, and rewritten with their types kept.
//!
//! One pass suffices: the types are already in the file, so nothing has to be inferred before
//! writing. Rewriting (rather than copying the bytes) means the stored version is always a
//! file our own reader has fully decoded, with our compression and row-group sizes.

use crate::columns::Columns;
use crate::format::PARQUET_MAGIC;
use crate::infer::ColumnType;
use crate::layout::Layout;
use crate::output::{ParquetOutput, Published, BATCH_ROWS};
use crate::profile::{ColumnProfiler, ColumnReport, RowHashes, DUPLICATE_SAMPLE_ROWS};
use crate::progress::Progress;
use crate::source::sheet::check_magic;
use crate::value::Strictness;
use crate::{IngestError, IngestRequest, SourceFormat};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

fn corrupt(e: impl std::fmt::Display) -> IngestError {
    IngestError::CorruptParquet {
        detail: e.to_string(),
    }
}

fn io_read(e: std::io::Error) -> IngestError {
    IngestError::Io {
        context: "reading the upload",
        source: e,
    }
}

pub(crate) struct ParquetResult {
    pub(crate) rows: u64,
    pub(crate) columns: Vec<ColumnReport>,
    pub(crate) published: Published,
    pub(crate) duplicates: RowHashes,
}

pub(crate) fn ingest(
    req: &IngestRequest<'_>,
    progress: &mut Progress<'_>,
) -> Result<ParquetResult, IngestError> {
    let (path, dest, limits, key) = (req.source, req.dest, req.limits, req.key);
    check_magic(
        path,
        PARQUET_MAGIC,
        SourceFormat::Parquet,
        "it does not start with the Parquet signature `PAR1`",
    )?;
    let mut file = File::open(path).map_err(io_read)?;
    let size = file.metadata().map_err(io_read)?.len();
    // A file cut short loses its footer first; say so plainly rather than quoting the reader.
    let mut tail = [0u8; 4];
    if size < 12
        || file
            .seek(SeekFrom::End(-4))
            .and_then(|_| file.read_exact(&mut tail))
            .is_err()
        || tail != PARQUET_MAGIC
    {
        return Err(corrupt("the file is truncated: its footer is missing"));
    }
    file.seek(SeekFrom::Start(0)).map_err(io_read)?;

    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(corrupt)?
        .with_batch_size(BATCH_ROWS);
    let schema = builder.schema().clone();
    let total_rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
    let mut columns = Columns::new(limits.max_columns);
    columns.check_count(schema.fields().len())?;
    for field in schema.fields() {
        columns.push(field.name())?;
    }
    // Names are kept exactly as in the file, so the columns a user sees match their schema.
    let mut profilers: Vec<ColumnProfiler> = schema
        .fields()
        .iter()
        .map(|f| ColumnProfiler::new(f.name(), Strictness::Relaxed, 0))
        .collect();
    let reader = builder.build().map_err(corrupt)?;
    // The file's own layout is not known here beyond its schema; a declared order applies.
    let declared = req
        .sort_by
        .and_then(|name| schema.fields().iter().position(|f| f.name() == name));
    let layout = Layout {
        sorted_by: declared,
        sort: declared.is_some(),
        ..Layout::default()
    };
    let mut output = ParquetOutput::create(dest, schema.clone(), &layout)?;
    let options = FormatOptions::default();
    let mut text = String::new();
    let mut rows = 0u64;
    let mut duplicates = RowHashes::with_key(key);
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    duplicates.columns_reached(&names);
    // The formatted cells of the batch's rows, for the duplicate count.
    let mut cells: Vec<String> = Vec::new();
    for batch in reader {
        let batch = batch.map_err(corrupt)?;
        let width = batch.num_columns();
        let hashed = (batch.num_rows() as u64)
            .min(DUPLICATE_SAMPLE_ROWS.saturating_sub(duplicates.rows))
            as usize;
        cells.resize(hashed * width, String::new());
        for (c, (array, profiler)) in batch.columns().iter().zip(&mut profilers).enumerate() {
            let formatter =
                ArrayFormatter::try_new(array.as_ref(), &options).map_err(IngestError::internal)?;
            for i in 0..array.len() {
                text.clear();
                if array.is_null(i) {
                    profiler.observe_null();
                } else {
                    write!(text, "{}", formatter.value(i)).map_err(IngestError::internal)?;
                    profiler.observe(text.trim());
                }
                if i < hashed {
                    let cell = &mut cells[i * width + c];
                    cell.clear();
                    cell.push_str(text.trim());
                }
            }
        }
        for row in cells[..hashed * width].chunks(width.max(1)) {
            let row: Vec<&str> = row.iter().map(String::as_str).collect();
            duplicates.observe(&row);
        }
        output.write(&batch)?;
        rows += batch.num_rows() as u64;
        progress.update(rows.saturating_mul(size) / total_rows.max(1));
    }
    if rows == 0 {
        return Err(IngestError::NoRows);
    }
    let reports = schema
        .fields()
        .iter()
        .zip(&profilers)
        .map(|(field, profiler)| profiler.report(ColumnType::of_arrow(field.data_type())))
        .collect();
    let published = output.publish()?;
    Ok(ParquetResult {
        rows,
        columns: reports,
        published,
        duplicates,
    })
}
