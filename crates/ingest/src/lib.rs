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
