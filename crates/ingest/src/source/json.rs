//! JSON (a top-level array of flat objects) and NDJSON (one object per line).
//!
//! Columns are the union of the keys, in order of first appearance; a record without a key has
//! a null there. Nested arrays and objects are kept as their JSON text in a string column.

use super::{Pass, Sink, PROGRESS_EVERY_ROWS};
use crate::columns::Columns;
use crate::encoding::{
    open_text, text_read_error, Consumed, LineGuard, TextEncoding, MAX_LINE_BYTES,
};
use crate::progress::Progress;
use crate::{IngestError, SourceFormat};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt::{self, Write as _};
use std::io::BufRead;
use std::path::Path;

/// One record with its keys in document order (serde_json's map would sort them).
struct Record(Vec<(String, Value)>);

impl<'de> de::Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RecordVisitor;
        impl<'de> Visitor<'de> for RecordVisitor {
            type Value = Record;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    fields.push(entry);
                }
                Ok(Record(fields))
            }
        }
        d.deserialize_map(RecordVisitor)
    }
}

/// Turns records into rows and hands them to the sink.
struct RowMaker<'p, 'a, 's, 'k> {
    columns: &'p mut Columns,
    progress: &'p mut Progress<'a>,
    sink: &'s mut Sink<'k>,
    consumed: Consumed,
    row: Vec<String>,
    rows: u64,
}

impl RowMaker<'_, '_, '_, '_> {
    fn record(&mut self, record: Record) -> Result<(), IngestError> {
        for cell in &mut self.row {
            cell.clear();
        }
        for (key, value) in &record.0 {
            let i = self.columns.find_or_push(key)?;
            if i >= self.row.len() {
                self.row.resize(i + 1, String::new());
            }
            write_cell(&mut self.row[i], value);
        }
        if self.row.iter().all(String::is_empty) {
            return Ok(());
        }
        super::sink_owned(self.sink, self.columns, &self.row)?;
        self.rows += 1;
        if self.rows.is_multiple_of(PROGRESS_EVERY_ROWS) {
            self.progress.update(self.consumed.get());
        }
        Ok(())
    }
}

fn write_cell(cell: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::Bool(b) => cell.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(cell, "{n}");
        }
        Value::String(s) => cell.push_str(s.trim()),
        // Nested values are kept, as JSON text, rather than dropped.
        nested => {
            let _ = write!(cell, "{nested}");
        }
    }
}

/// Skips leading whitespace and returns the first significant byte, if any, and the number of
/// line breaks skipped (so NDJSON line numbers stay true).
fn first_byte(text: &mut dyn BufRead) -> Result<(Option<u8>, u64), IngestError> {
    let mut newlines = 0;
    loop {
        let buf = text.fill_buf().map_err(text_read_error)?;
        if buf.is_empty() {
            return Ok((None, newlines));
        }
        let end = buf
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(buf.len());
        newlines += buf[..end].iter().filter(|&&b| b == b'\n').count() as u64;
        let first = buf.get(end).copied();
        text.consume(end);
        if first.is_some() {
            return Ok((first, newlines));
        }
    }
}

/// The message of a serde_json error without its "at line L column C" suffix, which is
/// reported separately (and, for NDJSON, would count lines within one record).
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

fn json_error(e: serde_json::Error, line_base: Option<u64>) -> IngestError {
    if e.is_io() {
        return text_read_error(std::io::Error::from(e));
    }
    let message = json_message(&e);
    match line_base {
        // NDJSON: the record's own line in the file, and the column within it.
        Some(line) => IngestError::InvalidJson {
            line: Some(line),
            detail: format!("{message} (column {})", e.column()),
        },
        None => IngestError::InvalidJson {
            line: Some(e.line() as u64),
            detail: format!("{message} (column {})", e.column()),
        },
    }
}

/// Reads a `.json` file: one top-level array of objects.
pub(crate) fn read_array(
    path: &Path,
    encoding: TextEncoding,
    pass: &mut Pass<'_, '_>,
    sink: &mut Sink<'_>,
) -> Result<(), IngestError> {
    let (mut text, consumed) = open_text(path, encoding)?;
    match first_byte(&mut text)?.0 {
        None => return Err(IngestError::EmptyFile),
        Some(b'[') => {}
        Some(b'{') => {
            return Err(IngestError::InvalidJson {
                line: None,
                detail: "the file holds an object, not an array of objects (if it has one object per line, name it .ndjson)".into(),
            })
        }
        Some(_) => {
            return Err(IngestError::ContentMismatch {
                expected: SourceFormat::Json,
                detail: "it does not start with `[`".into(),
            })
        }
    }
    let mut maker = RowMaker::new(pass, sink, consumed);
    let mut stopped: Option<IngestError> = None;
    let mut de = serde_json::Deserializer::from_reader(text);
    let result = ArraySeed {
        maker: &mut maker,
        stopped: &mut stopped,
    }
    .deserialize(&mut de);
    if let Some(e) = stopped {
        return Err(e);
    }
    result.map_err(|e| json_error(e, None))?;
    de.end().map_err(|e| json_error(e, None))
}

impl<'p, 'a, 's, 'k> RowMaker<'p, 'a, 's, 'k> {
    fn new(pass: &'p mut Pass<'_, 'a>, sink: &'s mut Sink<'k>, consumed: Consumed) -> Self {
        let width = pass.columns.len();
        RowMaker {
            columns: &mut *pass.columns,
            progress: &mut *pass.progress,
            sink,
            consumed,
            row: vec![String::new(); width],
            rows: 0,
        }
    }
}

/// Streams the elements of the top-level array into the row maker, one record in memory at a time.
struct ArraySeed<'m, 'p, 'a, 's, 'k> {
    maker: &'m mut RowMaker<'p, 'a, 's, 'k>,
    stopped: &'m mut Option<IngestError>,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_, '_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_, '_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<Record>()? {
            if let Err(e) = self.maker.record(record) {
                *self.stopped = Some(e);
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// Reads an `.ndjson` file: one object per line; blank lines are skipped.
pub(crate) fn read_lines(
    path: &Path,
    encoding: TextEncoding,
    pass: &mut Pass<'_, '_>,
    sink: &mut Sink<'_>,
) -> Result<(), IngestError> {
    let (mut text, consumed) = open_text(path, encoding)?;
    let (first, skipped_lines) = first_byte(&mut text)?;
    match first {
        None => return Err(IngestError::EmptyFile),
        Some(b'{') => {}
        Some(b'[') => {
            return Err(IngestError::InvalidJson {
                line: Some(1),
                detail: "the file starts with an array, not one object per line (if it is one JSON array, name it .json)".into(),
            })
        }
        Some(_) => {
            return Err(IngestError::ContentMismatch {
                expected: SourceFormat::Ndjson,
                detail: "it does not start with `{`".into(),
            })
        }
    }
    let mut lines = std::io::BufReader::new(LineGuard::new(text, MAX_LINE_BYTES));
    let mut maker = RowMaker::new(pass, sink, consumed);
    let mut line = String::new();
    let mut number = skipped_lines;
    loop {
        line.clear();
        if lines.read_line(&mut line).map_err(text_read_error)? == 0 {
            return Ok(());
        }
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record =
            serde_json::from_str(&line).map_err(|e| json_error(e, Some(number)))?;
        maker.record(record)?;
    }
}
