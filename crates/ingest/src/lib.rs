//! Ingest (C2): an uploaded file becomes a typed, immutable Parquet version, profiled and scanned
//! for personal information on the way.
//!
//! PUBLIC API CONTRACT (the server and CLI are written against exactly this):
//!
//! ```ignore
//! pub enum SourceFormat { Csv, Tsv, Xlsx, Xls, Json, Ndjson, Parquet }
//! impl SourceFormat {
//!     pub fn code(self) -> &'static str;                          // "csv", "tsv", "xlsx", ...
//!     pub fn from_file_name(name: &str) -> Result<SourceFormat, IngestError>; // by extension
//!     pub const ALL: &'static [SourceFormat];
//! }
//! /// Rejects names with `/`, `\`, NUL, control chars, `..` components, empty, or > 255 bytes.
//! pub fn validate_file_name(name: &str) -> Result<(), IngestError>;
//! #[derive(Clone, Debug)]
//! pub struct Limits { pub max_upload_bytes: u64, pub max_columns: usize,
//!                     pub max_uncompressed_bytes: u64, pub max_compression_ratio: u64 }
//! impl Default for Limits { ... }   // 1 GiB upload, 1000 columns, 2 GiB uncompressed, ratio 100
//! pub struct IngestRequest<'a> {
//!     pub source: &'a Path,        // the uploaded bytes, already on disk
//!     pub file_name: &'a str,      // the user's name for it (format comes from its extension)
//!     pub dest: &'a Path,          // final Parquet path; written atomically (tmp + fsync + rename)
//!     pub limits: &'a Limits,
//!     pub progress: Option<&'a (dyn Fn(u64) + Sync)>, // called with bytes of the source consumed so far
//! }
//! pub struct IngestOutcome {
//!     pub format: SourceFormat, pub encoding: Option<String>, // "UTF-8", "GBK", "GB18030" for text
//!     pub row_count: u64, pub byte_size: u64, pub sha256: String, // of the Parquet file
//!     pub columns: Vec<ColumnReport>,
//! }
//! #[derive(Serialize)]
//! pub struct ColumnReport { pub name: String, pub data_type: String, pub profile: Profile,
//!     pub findings: Vec<model::pii::PiiFinding>, pub proposed_grade: model::Grade }
//! #[derive(Serialize)]
//! pub struct Profile { pub count: u64, pub nulls: u64, pub null_rate: f64, pub distinct_estimate: u64,
//!     pub min: Option<String>, pub max: Option<String>, pub top_values: Vec<(String, u64)> }
//! pub fn ingest_file(req: IngestRequest<'_>) -> Result<IngestOutcome, IngestError>;  // blocking
//! #[derive(Debug, thiserror::Error)]
//! pub enum IngestError { ... }
//! impl IngestError { pub fn code(&self) -> &'static str; pub fn is_user_error(&self) -> bool; }
//! ```
//!
//! # How a file flows
//!
//! 1. The name, extension and size are checked; then the bytes are checked against the
//!    extension (magic numbers, zip-bomb inspection for XLSX, text encoding for text formats).
//! 2. **Pass 1** parses every row into trimmed text cells (`source`), and each column's
//!    profiler infers its type, profiles it and scans it for personal information (`profile`).
//!    The parsed cells are kept in an unlinked temporary file as they go (`spill`).
//! 3. **Pass 2** reads the kept cells back, without parsing the source again, and converts them
//!    to the inferred types in record batches of 64k rows, written with zstd to a hidden
//!    temporary file (`output`), which is then fsynced and renamed into place.
//!
//! Two passes are what let ingest stream: the type of a column is known only after its last
//! value, and the alternative — holding rows in memory until then — makes memory grow with the
//! file. The rows wait on disk instead, costing about the source's size in temporary space.
//! Parquet uploads are already typed and take a single pass (`parquet_in`).
//!
//! Type inference keeps identifier-like digit strings as text: a leading zero (`0571`), 11 or
//! more digits without decimals (mobile numbers, citizen IDs, bank cards) or a trailing `X` make
//! a column a string column, so that nothing is rounded or loses its zeros and the PII scanner
//! sees the values as written.
//!
//! Cells are trimmed of surrounding whitespace (exports pad them, and a padded ID would neither
//! match nor be recognised); an empty cell is a null; a row with no value at all is skipped.
#![forbid(unsafe_code)]

mod columns;
mod encoding;
mod error;
mod format;
mod infer;
mod layout;
mod output;
mod parquet_in;
pub mod photo;
mod pipeline;
mod profile;
mod progress;
mod rewrite;
mod sort;
mod source;
mod spill;
mod value;

pub use error::IngestError;
pub use format::{validate_file_name, SourceFormat};
pub use layout::{LAYOUT_VERSION, LOOKUP_ROW_GROUP_ROWS, ROW_GROUP_ROWS};
pub use profile::{ColumnReport, Profile};
pub use rewrite::{rewrite, stored_layout, KnownColumn, Rewritten, StoredLayout};

use columns::Columns;
use encoding::TextEncoding;
use infer::ColumnType;
use layout::{ColumnFacts, Layout};
use output::{Converter, Published};
pub use profile::set_quality_measures;
use profile::{ColumnProfiler, RowHashes};
use progress::Progress;
use serde::Serialize;
use source::{Pass, Sink};
use spill::SpillWriter;
use std::path::Path;
use value::Strictness;

/// Limits that protect the platform from oversized or hostile uploads.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
    /// Most columns a table may have.
    pub max_columns: usize,
    /// Largest total uncompressed size of the parts of an XLSX workbook, in bytes.
    pub max_uncompressed_bytes: u64,
    /// Largest accepted compression ratio of a (non-tiny) part of an XLSX workbook.
    pub max_compression_ratio: u64,
}

impl Default for Limits {
    /// 1 GiB uploads, 1000 columns, 2 GiB uncompressed, compression ratio 100.
    fn default() -> Self {
        Limits {
            max_upload_bytes: 1 << 30,
            max_columns: 1000,
            max_uncompressed_bytes: 2 << 30,
            max_compression_ratio: 100,
        }
    }
}

/// One upload to ingest.
pub struct IngestRequest<'a> {
    /// The uploaded bytes, already on disk.
    pub source: &'a Path,
    /// The user's name for the file; its extension decides the format.
    pub file_name: &'a str,
    /// Where the Parquet version goes. Written atomically: on success the whole file is there,
    /// on failure nothing is (and an existing file at this path is left untouched).
    pub dest: &'a Path,
    /// The limits to enforce.
    pub limits: &'a Limits,
    /// Called now and then with the bytes of the source consumed so far, scaled over the passes
    /// so that it rises steadily from 0 to the file size (suitable as a progress-bar position).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// The key the data dictionary declares (column names; empty: none), whose repeats and
    /// gaps are counted with the duplicate rows.
    pub key: &'a [String],
    /// The column the data dictionary declares the order of the rows (`None`: none): the
    /// version is written sorted by it when the data has it.
    pub sort_by: Option<&'a str>,
}

/// What a successful ingest produced.
#[derive(Debug, Clone, Serialize)]
pub struct IngestOutcome {
    /// The format read.
    pub format: SourceFormat,
    /// For text formats, the detected encoding: `UTF-8`, `GBK` or `GB18030` (or `UTF-16LE`/
    /// `UTF-16BE` for files with a UTF-16 byte-order mark); `None` for binary formats.
    pub encoding: Option<String>,
    /// Data rows written (blank rows are skipped).
    pub row_count: u64,
    /// Size of the Parquet file in bytes.
    pub byte_size: u64,
    /// SHA-256 of the Parquet file, lower-case hex.
    pub sha256: String,
    /// One report per column, in column order.
    pub columns: Vec<ColumnReport>,
    /// Rows examined for duplicates: every row, or the first
    /// [`profile::DUPLICATE_SAMPLE_ROWS`] of a longer table.
    pub rows_checked_for_duplicates: u64,
    /// Rows among those equal in every cell to an earlier one.
    pub duplicate_rows: u64,
    /// The declared key when every one of its columns is in the data; empty otherwise.
    pub key: Vec<String>,
    /// Rows among those checked whose key equals an earlier row's.
    pub duplicate_keys: u64,
    /// Rows among those checked with an empty key column.
    pub empty_keys: u64,
    /// The column the rows are in order of: the declared one when the data has it, else the
    /// first column found already in ascending order, if any.
    pub sorted_by: Option<String>,
}

/// Ingests one upload: validates it, writes the typed Parquet version to `req.dest` atomically,
/// and returns its profile. Blocking; run it on a blocking thread.
pub fn ingest_file(req: IngestRequest<'_>) -> Result<IngestOutcome, IngestError> {
    let result = ingest_inner(&req);
    match &result {
        Ok(outcome) => tracing::info!(
            file = req.file_name,
            format = outcome.format.code(),
            rows = outcome.row_count,
            bytes = outcome.byte_size,
            "ingested upload"
        ),
        Err(e) if e.is_user_error() => tracing::info!(
            file = req.file_name,
            code = e.code(),
            "upload rejected: {e}"
        ),
        Err(e) => {
            tracing::error!(file = req.file_name, code = e.code(), error = ?e, "ingest failed")
        }
    }
    result
}

fn ingest_inner(req: &IngestRequest<'_>) -> Result<IngestOutcome, IngestError> {
    validate_file_name(req.file_name)?;
    let format = SourceFormat::from_file_name(req.file_name)?;
    let size = std::fs::metadata(req.source)
        .map_err(IngestError::io("reading the upload"))?
        .len();
    if size > req.limits.max_upload_bytes {
        return Err(IngestError::FileTooLarge {
            size,
            limit: req.limits.max_upload_bytes,
        });
    }
    if size == 0 {
        return Err(IngestError::EmptyFile);
    }

    let passes = if format == SourceFormat::Parquet {
        1
    } else {
        2
    };
    let mut progress = Progress::new(req.progress, size, passes);
    let (encoding, rows, columns, published, duplicates) = match format {
        SourceFormat::Parquet => {
            let r = parquet_in::ingest(req, &mut progress)?;
            (None, r.rows, r.columns, r.published, r.duplicates)
        }
        _ => {
            let encoding = match format {
                SourceFormat::Xlsx => {
                    source::sheet::check_xlsx_container(req.source, req.limits)?;
                    None
                }
                SourceFormat::Xls => {
                    source::sheet::check_xls_container(req.source)?;
                    None
                }
                _ => Some(encoding::detect(req.source, format)?),
            };
            let (rows, columns, published, duplicates) =
                two_passes(req, format, encoding, size, &mut progress)?;
            (encoding, rows, columns, published, duplicates)
        }
    };
    progress.finish();
    Ok(IngestOutcome {
        format,
        encoding: encoding.map(|e| e.name().to_string()),
        row_count: rows,
        byte_size: published.byte_size,
        sha256: published.sha256,
        columns,
        rows_checked_for_duplicates: duplicates.rows,
        duplicate_rows: duplicates.duplicates,
        key: duplicates.key(),
        duplicate_keys: duplicates.duplicate_keys,
        empty_keys: duplicates.empty_keys,
        sorted_by: published.sorted_by,
    })
}

/// Reads one pass of a non-Parquet source into `sink`.
fn read_source(
    req: &IngestRequest<'_>,
    format: SourceFormat,
    encoding: Option<TextEncoding>,
    size: u64,
    pass: &mut Pass<'_, '_>,
    sink: &mut Sink<'_>,
) -> Result<(), IngestError> {
    let text = encoding.unwrap_or(TextEncoding::Utf8);
    match format {
        SourceFormat::Csv => source::delimited::read(req.source, text, b',', pass, sink),
        SourceFormat::Tsv => source::delimited::read(req.source, text, b'\t', pass, sink),
        SourceFormat::Json => source::json::read_array(req.source, text, pass, sink),
        SourceFormat::Ndjson => source::json::read_lines(req.source, text, pass, sink),
        SourceFormat::Xlsx => source::sheet::read_xlsx(req.source, size, pass, sink),
        SourceFormat::Xls => source::sheet::read_xls(req.source, size, pass, sink),
        SourceFormat::Parquet => Err(IngestError::internal("Parquet is not read row by row")),
    }
}

/// Threads that profile a share of the columns each in pass 1, besides the parsing thread: more
/// threads than cores let the operating system balance parsing and profiling over the cores.
const PROFILE_THREADS: usize = 2;

/// Pass 1 (profile and infer) and pass 2 (convert and write); see the crate documentation.
fn two_passes(
    req: &IngestRequest<'_>,
    format: SourceFormat,
    encoding: Option<TextEncoding>,
    size: u64,
    progress: &mut Progress<'_>,
) -> Result<(u64, Vec<ColumnReport>, Published, RowHashes), IngestError> {
    let mut columns = Columns::new(req.limits.max_columns);
    progress.start_pass(0);
    // Each profiling thread takes every `PROFILE_THREADS`th column, starting at its number; it
    // keeps a profiler for every column but feeds only its own.
    let profile = |(profilers, rows): &mut (Vec<ColumnProfiler>, u64),
                   group: usize,
                   names: &[String],
                   row: &[&str]|
     -> Result<(), IngestError> {
        // JSON introduces columns as their keys first appear; earlier rows had nulls there.
        while profilers.len() < row.len() {
            let name = &names[profilers.len()];
            profilers.push(ColumnProfiler::new(name, Strictness::Identifiers, *rows));
        }
        for (profiler, cell) in profilers
            .iter_mut()
            .zip(row)
            .skip(group)
            .step_by(PROFILE_THREADS)
        {
            if cell.is_empty() {
                profiler.observe_null();
            } else {
                profiler.observe(cell);
            }
        }
        for profiler in profilers
            .iter_mut()
            .enumerate()
            .skip(row.len())
            .filter(|(i, _)| i % PROFILE_THREADS == group)
            .map(|(_, p)| p)
        {
            profiler.observe_null();
        }
        *rows += 1;
        Ok(())
    };
    // Parsing here, profiling on other threads, and the parsed rows kept for pass 2.
    let mut spill = SpillWriter::create(&output::parent_dir(req.dest), req.key)?;
    let groups = pipeline::run(
        |sink| {
            let mut pass = Pass {
                columns: &mut columns,
                progress: &mut *progress,
            };
            read_source(req, format, encoding, size, &mut pass, sink)
        },
        Some(&mut spill),
        (0..PROFILE_THREADS).map(|_| (Vec::new(), 0u64)).collect(),
        profile,
    )?;
    // The spill's thread counted the duplicate rows as it wrote them.
    let duplicates = spill.take_duplicates();
    let rows = groups.first().map_or(0, |g| g.1);
    // Every thread holds a profiler for every column; column `i` was fed by thread
    // `i % PROFILE_THREADS`.
    let mut groups: Vec<_> = groups.into_iter().map(|g| g.0.into_iter()).collect();
    let mut profilers: Vec<ColumnProfiler> = Vec::new();
    'columns: for i in 0.. {
        for (group, column) in groups.iter_mut().enumerate() {
            let Some(profiler) = column.next() else {
                break 'columns;
            };
            if group == i % PROFILE_THREADS {
                profilers.push(profiler);
            }
        }
    }
    // Blank rows are skipped, so every counted row had a value and therefore a column.
    if rows == 0 || columns.is_empty() {
        return Err(IngestError::NoRows);
    }
    // A key seen only in records that were otherwise blank has no profiler yet.
    while profilers.len() < columns.len() {
        profilers.push(ColumnProfiler::new(
            &columns.names()[profilers.len()],
            Strictness::Identifiers,
            rows,
        ));
    }
    let types: Vec<ColumnType> = profilers
        .iter()
        .map(ColumnProfiler::inferred_type)
        .collect();

    let reports: Vec<ColumnReport> = profilers
        .iter()
        .zip(&types)
        .map(|(p, t)| p.report(*t))
        .collect();
    let facts: Vec<ColumnFacts> = profilers
        .iter()
        .zip(&reports)
        .zip(&types)
        .map(|((p, r), t)| ColumnFacts {
            ty: *t,
            values: r.profile.count - r.profile.nulls,
            nulls: r.profile.nulls,
            distinct: r.profile.distinct_estimate,
            ascending: p.ascending(*t),
            personal: !r.findings.is_empty(),
        })
        .collect();

    progress.start_pass(1);
    let declared = req
        .sort_by
        .and_then(|name| columns.names().iter().position(|n| n == name));
    let layout = Layout::choose(&facts, declared);
    let converter = Converter::new(req.dest, columns.names(), &types, &layout)?;
    // Pass 1's rows read back here, converting and writing (the Parquet encoding and
    // compression) on a second thread.
    let mut rows_kept = spill.into_reader()?;
    let converter = pipeline::replay(
        &mut rows_kept,
        |read, len| {
            let done = u128::from(size) * u128::from(read) / u128::from(len.max(1));
            progress.update(done as u64);
        },
        vec![converter],
        |converter, _, _, row| converter.row(row),
    )?
    .pop()
    .ok_or_else(|| IngestError::internal("the converter thread returned nothing"))?;
    drop(rows_kept);
    if converter.total_rows != rows {
        return Err(IngestError::internal(format!(
            "pass 1 kept {rows} rows, pass 2 converted {}",
            converter.total_rows
        )));
    }
    let published = converter.publish()?;
    Ok((rows, reports, published, duplicates))
}
