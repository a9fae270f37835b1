//! Integration tests of `ingest_file`: one test binary (for link time), one module per area.
//!
//! Every test writes its upload into one temporary directory and its output into another, and
//! every failing case checks that the output directory is left empty.

#[path = "ingest/support.rs"]
mod support;

#[path = "ingest/errors.rs"]
mod errors;
#[path = "ingest/json.rs"]
mod json;
#[path = "ingest/layout.rs"]
mod layout;
#[path = "ingest/parquet.rs"]
mod parquet_files;
#[path = "ingest/sheets.rs"]
mod sheets;
#[path = "ingest/text.rs"]
mod text;
