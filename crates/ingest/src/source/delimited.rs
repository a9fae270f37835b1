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
///
/// Records are read as bytes and each field is trimmed before it is checked as UTF-8 and handed
/// over as a slice of the record: no copy per cell, and one UTF-8 check per field.
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
    let mut record = csv::ByteRecord::new();

    let header = loop {
        if !reader.read_byte_record(&mut record).map_err(csv_error)? {
            return Err(IngestError::EmptyFile);
        }
        let fields = fields(&record)?;
        if !is_blank(fields.iter().copied()) {
            break fields
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<String>>();
        }
    };
    pass.columns.check_count(header.len())?;
    for name in &header {
        pass.columns.push(name)?;
    }
    let width = pass.columns.len();
    // The cell slices borrow `record`, which the next read overwrites, so the vector holding
    // them is emptied and re-typed each row (see `recycle`) to keep its allocation.
    let mut spare: Vec<&str> = Vec::with_capacity(width);
    let mut rows = 0u64;
    while reader.read_byte_record(&mut record).map_err(csv_error)? {
        let mut row = spare;
        // One UTF-8 check for the whole record: its fields are then slices of valid text, each
        // at character boundaries (checked by `get`), so each is valid too.
        let text = utf8(record.as_slice())?;
        for i in 0..record.len() {
            let field = record
                .range(i)
                .and_then(|r| text.get(r))
                .ok_or_else(|| IngestError::internal("CSV parser: a field splits a character"))?;
            row.push(trimmed(field));
        }
        if row.iter().all(|c| c.is_empty()) {
            spare = recycle(row);
            continue;
        }
        if record.len() != width {
            let line = record.position().map_or(0, |p| p.line());
            return Err(IngestError::RaggedRows {
                line,
                found: record.len(),
                expected: width,
            });
        }
        sink(pass.columns, &row)?;
        spare = recycle(row);
        rows += 1;
        if rows.is_multiple_of(PROGRESS_EVERY_ROWS) {
            pass.progress.update(consumed.get());
        }
    }
    Ok(())
}

/// An emptied vector of cells, free of the borrow of the record it held (the allocation is
/// kept: collecting a vector's own iterator into a same-sized type reuses it in place).
fn recycle<'b>(mut row: Vec<&str>) -> Vec<&'b str> {
    row.clear();
    row.into_iter().map(|_| "").collect()
}

/// The fields of a record as text, untrimmed.
fn fields(record: &csv::ByteRecord) -> Result<Vec<&str>, IngestError> {
    record.iter().map(utf8).collect()
}

fn utf8(bytes: &[u8]) -> Result<&str, IngestError> {
    // The text was decoded or validated before parsing; failing here is a bug.
    std::str::from_utf8(bytes).map_err(|e| IngestError::internal(format!("CSV parser: {e}")))
}

/// A field without surrounding whitespace, like `str::trim`. ASCII whitespace (the common case:
/// padding, `\r`) is cut by bytes; other Unicode whitespace (full-width spaces) is still trimmed
/// as text.
fn trimmed(field: &str) -> &str {
    // Exactly the ASCII characters `char::is_whitespace` accepts (including vertical tab).
    let space = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ');
    let bytes = field.as_bytes();
    let start = bytes.iter().position(|b| !space(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !space(b))
        .map_or(start, |i| i + 1);
    // Both ends sit next to ASCII bytes or the ends of the field: character boundaries.
    let text = &field[start..end];
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        // Most text with a non-ASCII end (Chinese) has nothing to trim: look at the end
        // characters before calling `trim`.
        (Some(&a), Some(&z)) if a >= 0x80 || z >= 0x80 => {
            let mut chars = text.chars();
            let space = |c: Option<char>| c.is_some_and(char::is_whitespace);
            if space(chars.next()) || space(chars.next_back()) {
                text.trim()
            } else {
                text
            }
        }
        _ => text,
    }
}

fn csv_error(e: csv::Error) -> IngestError {
    let detail = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(io) => text_read_error(io),
        // The text was decoded or validated before parsing; reaching this is a bug.
        _ => IngestError::internal(format!("CSV parser: {detail}")),
    }
}

#[cfg(test)]
mod tests {
    use super::trimmed;

    #[test]
    fn trims_like_str_trim() {
        for s in [
            "",
            "   ",
            " a ",
            "\t\r\n\x0b\x0c杭州 \r",
            "\u{3000}宁波\u{3000}",
            " \u{a0}x\u{85}",
            "\u{a0} \u{2003}",
            "a b",
            "温州",
        ] {
            assert_eq!(trimmed(s), s.trim(), "{s:?}");
        }
    }
}
