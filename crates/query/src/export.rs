//! Downloads: a [`RowStream`] encoded as CSV, JSON, NDJSON, Parquet or XLSX, as a stream of
//! byte chunks for an HTTP body.
//!
//! CSV, JSON, NDJSON and Parquet are written batch by batch, so memory stays flat whatever the
//! size of the download (Parquet holds one row group at a time). XLSX cannot be streamed: the
//! workbook is built in a blocking task and sent when complete, and it is refused past the
//! format's 1,048,575 data rows.
//!
//! If the query fails midway, the byte stream ends with an error rather than quietly, so that the
//! server aborts the response and the client never holds a file that looks complete.

use bytes::Bytes;
use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::csv::WriterBuilder as CsvWriterBuilder;
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, SchemaRef,
    UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use datafusion::arrow::json::writer::LineDelimited;
use datafusion::arrow::json::WriterBuilder as JsonWriterBuilder;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::{QueryError, RowStream};

/// Most data rows an XLSX worksheet holds (1,048,576 rows less the header).
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

/// Rows per Parquet row group in downloads.
const PARQUET_ROW_GROUP: usize = 64 * 1024;

/// Longest text an XLSX cell holds.
const XLSX_MAX_STRING: usize = 32_767;

/// A download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated values with a header row (RFC 4180), UTF-8.
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Apache Parquet, zstd-compressed.
    Parquet,
    /// An Excel workbook with one worksheet.
    Xlsx,
}

impl Format {
    /// Every format.
    pub const ALL: &'static [Format] = &[
        Format::Csv,
        Format::Json,
        Format::Ndjson,
        Format::Parquet,
        Format::Xlsx,
    ];

    /// The format of a file extension (`csv`, `json`, `ndjson` or `jsonl`, `parquet`, `xlsx`),
    /// in any case, with or without the dot.
    pub fn from_ext(ext: &str) -> Option<Self> {
        match ext.trim_start_matches('.').to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "parquet" => Some(Format::Parquet),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// The media type for `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Ndjson => "application/x-ndjson",
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file extension, without the dot.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
        }
    }
}

/// Encodes `stream` in `format`.
///
/// The result yields non-empty chunks; it yields an error and ends if the query fails, if the
/// rows do not fit the format, or if encoding fails.
pub fn encode(
    format: Format,
    stream: RowStream,
) -> impl Stream<Item = Result<Bytes, QueryError>> + Send + 'static {
    let encoded: BoxStream<'static, Result<Bytes, QueryError>> = match format {
        Format::Csv => batchwise(
            stream,
            Csv {
                header_written: false,
            },
        ),
        Format::Json => batchwise(
            stream,
            Json {
                array: true,
                rows: 0,
            },
        ),
        Format::Ndjson => batchwise(
            stream,
            Json {
                array: false,
                rows: 0,
            },
        ),
        Format::Parquet => batchwise(stream, Parquet { writer: None }),
        Format::Xlsx => xlsx(stream),
    };
    encoded.filter(|chunk| futures::future::ready(!matches!(chunk, Ok(b) if b.is_empty())))
}

/// An encoder fed one batch at a time.
trait BatchEncoder: Send + 'static {
    fn begin(&mut self, schema: &SchemaRef) -> Result<Vec<u8>, QueryError>;
    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>, QueryError>;
    fn finish(&mut self, schema: &SchemaRef) -> Result<Vec<u8>, QueryError>;
}

enum Phase {
    Begin,
    Body,
    Done,
}

fn batchwise<E: BatchEncoder>(
    stream: RowStream,
    encoder: E,
) -> BoxStream<'static, Result<Bytes, QueryError>> {
    let schema = stream.schema();
    futures::stream::unfold(
        (stream, encoder, schema, Phase::Begin),
        |(mut stream, mut encoder, schema, phase)| async move {
            let (item, next) = match phase {
                Phase::Done => return None,
                Phase::Begin => (encoder.begin(&schema), Phase::Body),
                Phase::Body => match stream.next().await {
                    Some(Ok(batch)) => (encoder.batch(&batch), Phase::Body),
                    Some(Err(e)) => (Err(e), Phase::Done),
                    None => (encoder.finish(&schema), Phase::Done),
                },
            };
            let next = if item.is_err() { Phase::Done } else { next };
            Some((item.map(Bytes::from), (stream, encoder, schema, next)))
        },
    )
    .boxed()
}

fn encoding_failed(err: impl std::fmt::Display) -> QueryError {
    QueryError::Failed(format!(
        "The result could not be written in this format ({err}); choose another format or fewer columns."
    ))
}

struct Csv {
    header_written: bool,
}

impl BatchEncoder for Csv {
    fn begin(&mut self, _schema: &SchemaRef) -> Result<Vec<u8>, QueryError> {
        Ok(Vec::new())
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>, QueryError> {
        let mut writer = CsvWriterBuilder::new()
            .with_header(!self.header_written)
            .build(Vec::new());
        writer.write(batch).map_err(encoding_failed)?;
        self.header_written = true;
        Ok(writer.into_inner())
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<Vec<u8>, QueryError> {
        if self.header_written {
            return Ok(Vec::new());
        }
        self.batch(&RecordBatch::new_empty(schema.clone()))
    }
}

/// JSON objects with every key present (nulls explicit), either one per line or in one array.
struct Json {
    array: bool,
    rows: u64,
}

impl BatchEncoder for Json {
    fn begin(&mut self, _schema: &SchemaRef) -> Result<Vec<u8>, QueryError> {
        Ok(if self.array {
            b"[".to_vec()
        } else {
            Vec::new()
        })
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>, QueryError> {
        let mut writer = JsonWriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, LineDelimited>(Vec::new());
        writer.write(batch).map_err(encoding_failed)?;
        writer.finish().map_err(encoding_failed)?;
        let lines = writer.into_inner();
        if !self.array {
            self.rows += batch.num_rows() as u64;
            return Ok(lines);
        }
        // Newlines inside JSON strings are escaped, so each raw newline ends one object.
        let mut out = Vec::with_capacity(lines.len() + batch.num_rows());
        for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            out.extend_from_slice(if self.rows == 0 { b"\n" } else { b",\n" });
            out.extend_from_slice(line);
            self.rows += 1;
        }
        Ok(out)
    }

    fn finish(&mut self, _schema: &SchemaRef) -> Result<Vec<u8>, QueryError> {
        Ok(match (self.array, self.rows) {
            (false, _) => Vec::new(),
            (true, 0) => b"]\n".to_vec(),
            (true, _) => b"\n]\n".to_vec(),
        })
    }
}

/// Parquet written into a buffer that is drained after every batch: it holds the bytes of row
/// groups as they close, and the footer at the end.
struct Parquet {
    writer: Option<ArrowWriter<Vec<u8>>>,
}

impl Parquet {
    fn drain(&mut self) -> Vec<u8> {
        self.writer
            .as_mut()
            .map(|w| std::mem::take(w.inner_mut()))
            .unwrap_or_default()
    }
}

impl BatchEncoder for Parquet {
    fn begin(&mut self, schema: &SchemaRef) -> Result<Vec<u8>, QueryError> {
        let properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(PARQUET_ROW_GROUP))
            .build();
        let writer = ArrowWriter::try_new(Vec::new(), schema.clone(), Some(properties))
            .map_err(encoding_failed)?;
        self.writer = Some(writer);
        Ok(self.drain())
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<u8>, QueryError> {
        if let Some(writer) = self.writer.as_mut() {
            writer.write(batch).map_err(encoding_failed)?;
        }
        Ok(self.drain())
    }

    fn finish(&mut self, _schema: &SchemaRef) -> Result<Vec<u8>, QueryError> {
        match self.writer.take() {
            Some(writer) => writer.into_inner().map_err(encoding_failed),
            None => Ok(Vec::new()),
        }
    }
}

/// What the reading side tells the workbook builder.
enum Sheet {
    Rows(RecordBatch),
    End,
}

fn xlsx(stream: RowStream) -> BoxStream<'static, Result<Bytes, QueryError>> {
    futures::stream::once(async move {
        let schema = stream.schema();
        let (tx, rx) = tokio::sync::mpsc::channel::<Sheet>(2);
        let builder = tokio::task::spawn_blocking(move || build_workbook(&schema, rx));
        let mut stream = stream;
        let mut rows = 0u64;
        let mut failure = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(batch) => {
                    rows += batch.num_rows() as u64;
                    if rows > XLSX_MAX_ROWS {
                        failure = Some(QueryError::TooManyRows(XLSX_MAX_ROWS));
                        break;
                    }
                    if tx.send(Sheet::Rows(batch)).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if let Some(err) = failure {
            // Dropping the sender without `End` makes the builder give up at once.
            drop(tx);
            return Err(err);
        }
        let _ = tx.send(Sheet::End).await;
        drop(tx);
        let bytes = builder.await.map_err(QueryError::internal)??;
        Ok(Bytes::from(bytes))
    })
    .boxed()
}

fn build_workbook(
    schema: &SchemaRef,
    mut rx: tokio::sync::mpsc::Receiver<Sheet>,
) -> Result<Vec<u8>, QueryError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, field) in schema.fields().iter().enumerate() {
        let col = u16::try_from(col).map_err(|_| encoding_failed("more than 16,384 columns"))?;
        sheet
            .write_string(0, col, field.name().as_str())
            .map_err(encoding_failed)?;
    }
    let mut row: u32 = 1;
    loop {
        match rx.blocking_recv() {
            Some(Sheet::Rows(batch)) => {
                for (col, array) in batch.columns().iter().enumerate() {
                    let col =
                        u16::try_from(col).map_err(|_| encoding_failed("too many columns"))?;
                    write_column(sheet, row, col, array)?;
                }
                row += batch.num_rows() as u32;
            }
            Some(Sheet::End) => break,
            None => return Err(QueryError::internal("download abandoned")),
        }
    }
    workbook.save_to_buffer().map_err(QueryError::internal)
}

/// Numbers as numbers (integers beyond 2^53 as text, so no digit is lost), booleans as booleans,
/// everything else as text, nulls as empty cells.
fn write_column(
    sheet: &mut rust_xlsxwriter::Worksheet,
    first_row: u32,
    col: u16,
    array: &ArrayRef,
) -> Result<(), QueryError> {
    // Integers beyond 2^53 lose digits as an Excel number, so they become text.
    const EXACT: u64 = 1 << 53;
    let exact = |v: u64| (v <= EXACT).then_some(v);
    let a = array.as_ref();
    let formatter =
        ArrayFormatter::try_new(a, &FormatOptions::default()).map_err(encoding_failed)?;
    for i in 0..a.len() {
        if a.is_null(i) {
            continue;
        }
        let row = first_row + i as u32;
        let number = match a.data_type() {
            DataType::Int8 => Some(a.as_primitive::<Int8Type>().value(i) as f64),
            DataType::Int16 => Some(a.as_primitive::<Int16Type>().value(i) as f64),
            DataType::Int32 => Some(a.as_primitive::<Int32Type>().value(i) as f64),
            DataType::Int64 => {
                let v = a.as_primitive::<Int64Type>().value(i);
                exact(v.unsigned_abs()).map(|_| v as f64)
            }
            DataType::UInt8 => Some(a.as_primitive::<UInt8Type>().value(i) as f64),
            DataType::UInt16 => Some(a.as_primitive::<UInt16Type>().value(i) as f64),
            DataType::UInt32 => Some(a.as_primitive::<UInt32Type>().value(i) as f64),
            DataType::UInt64 => exact(a.as_primitive::<UInt64Type>().value(i)).map(|v| v as f64),
            DataType::Float32 => Some(a.as_primitive::<Float32Type>().value(i) as f64),
            DataType::Float64 => Some(a.as_primitive::<Float64Type>().value(i)),
            _ => None,
        };
        let result = match (number, a.data_type()) {
            (Some(n), _) if n.is_finite() => sheet.write_number(row, col, n).map(|_| ()),
            (_, DataType::Boolean) => sheet
                .write_boolean(row, col, a.as_boolean().value(i))
                .map(|_| ()),
            _ => {
                let text = formatter.value(i).to_string();
                let text = match text.char_indices().nth(XLSX_MAX_STRING) {
                    Some((cut, _)) => &text[..cut],
                    None => text.as_str(),
                };
                sheet.write_string(row, col, text).map(|_| ())
            }
        };
        result.map_err(encoding_failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_through_their_extensions() {
        for format in Format::ALL {
            assert_eq!(Format::from_ext(format.ext()), Some(*format));
            assert_eq!(
                Format::from_ext(&format!(".{}", format.ext().to_uppercase())),
                Some(*format)
            );
        }
        assert_eq!(Format::from_ext("jsonl"), Some(Format::Ndjson));
        assert_eq!(Format::from_ext("exe"), None);
    }
}
