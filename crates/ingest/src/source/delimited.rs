//! CSV and TSV.

use super::{is_blank, Pass, Sink, PROGRESS_EVERY_ROWS};
use crate::encoding::{open_text, text_read_error, LineGuard, TextEncoding, MAX_LINE_BYTES};
use crate::IngestError;
use std::path::Path;

/// Reads delimited text; the first non-blank record is the header.
///
/// Quoting is on for TSV too: Excel quotes tab-separated fields that contain tabs, quotes or line
/// breaks, and the parser only treats a quote as special at the start of a field, so unquoted
/// TSV with stray quotes inside fields still reads as written.
pub(crate) fn read(
    path: &Path,
    encoding: TextEncoding,
    delimiter: u8,
    pass: &mut Pass<'_, '_>,
    sink: &mut Sink<'_>,
) -> Result<(), IngestError> {
    let (text, consumed) = open_text(path, encoding)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(LineGuard::new(text, MAX_LINE_BYTES));
    let mut record = csv::StringRecord::new();

    loop {
        if !reader.read_record(&mut record).map_err(csv_error)? {
            return Err(IngestError::EmptyFile);
        }
        if !is_blank(record.iter()) {
            break;
        }
    }
    if !pass.frozen {
        pass.columns.check_count(record.len())?;
        for name in record.iter() {
            pass.columns.push(name)?;
        }
    }
    let width = pass.columns.len();
    let mut row = vec![String::new(); width];
    let mut rows = 0u64;
    while reader.read_record(&mut record).map_err(csv_error)? {
        if record.len() != width {
            if is_blank(record.iter()) {
                continue;
            }
            let line = record.position().map_or(0, |p| p.line());
            return Err(IngestError::RaggedRows {
                line,
                found: record.len(),
                expected: width,
            });
        }
        if is_blank(record.iter()) {
            continue;
        }
        for (cell, field) in row.iter_mut().zip(record.iter()) {
            cell.clear();
            cell.push_str(field.trim());
        }
        sink(pass.columns, &row)?;
        rows += 1;
        if rows.is_multiple_of(PROGRESS_EVERY_ROWS) {
            pass.progress.update(consumed.get());
        }
    }
    Ok(())
}

fn csv_error(e: csv::Error) -> IngestError {
    let detail = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => text_read_error(io),
        // The text was decoded or validated before parsing; reaching this is a bug.
        _ => IngestError::internal(format!("CSV parser: {detail}")),
    }
}
