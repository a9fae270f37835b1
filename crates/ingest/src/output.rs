//! Writing the Parquet version: typed batches, a hidden temporary file, and an atomic publish.
//!
//! The file is written next to its destination as `.<name>.<uuid>.tmp`, fsynced, renamed over
//! the destination and the directory fsynced, so readers see either no file or the whole file.
//! The temporary file is removed on every failure, including panics (it is deleted on drop);
//! only a crash of the process can leave one behind, and the leading dot and `.tmp` suffix let
//! a sweeper recognise it.

use crate::infer::ColumnType;
use crate::layout::Layout;
use crate::sort::{Sorter, RUN_BYTES};
use crate::{value, IngestError};
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

/// Rows per record batch written.
pub(crate) const BATCH_ROWS: usize = 64 * 1024;
/// Text bytes after which a batch is written early, so wide text columns cannot balloon it.
const BATCH_TEXT_BYTES: usize = 64 * 1024 * 1024;

fn io_write(e: io::Error) -> IngestError {
    IngestError::Io {
        context: "writing the Parquet file",
        source: e,
    }
}

fn parquet_write(e: parquet::errors::ParquetError) -> IngestError {
    match e {
        parquet::errors::ParquetError::External(inner) => match inner.downcast::<io::Error>() {
            Ok(io) => io_write(*io),
            Err(other) => IngestError::internal(format!("writing Parquet: {other}")),
        },
        other => IngestError::internal(format!("writing Parquet: {other}")),
    }
}

/// A temporary file that is deleted unless it has been renamed into place.
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Counts and hashes the bytes on their way to the file, so the digest costs no second read.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The size and SHA-256 of a published file.
pub(crate) struct Published {
    pub(crate) byte_size: u64,
    pub(crate) sha256: String,
    /// The column the rows are in order of, as the file's metadata records it.
    pub(crate) sorted_by: Option<String>,
}

/// A Parquet file being written to its temporary name.
pub(crate) struct ParquetOutput {
    temp: TempFile,
    dest: PathBuf,
    writer: ArrowWriter<HashingWriter<BufWriter<File>>>,
    /// Sorts the rows first when the layout declares an order.
    sorter: Option<Sorter>,
    sorted_by: Option<String>,
}

impl ParquetOutput {
    pub(crate) fn create(
        dest: &Path,
        schema: SchemaRef,
        layout: &Layout,
    ) -> Result<ParquetOutput, IngestError> {
        let file_name = dest.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            IngestError::internal(format!("destination `{}` has no file name", dest.display()))
        })?;
        let dir = parent_dir(dest);
        let temp_path = dir.join(format!(
            ".{file_name}.{}.tmp",
            uuid::Uuid::new_v4().simple()
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
            .map_err(io_write)?;
        let temp = TempFile {
            path: temp_path,
            armed: true,
        };
        let props = layout.properties(&schema);
        let sink = HashingWriter {
            inner: BufWriter::with_capacity(1024 * 1024, file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        let sorted_by = layout.sorted_by.map(|i| schema.field(i).name().clone());
        let sorter = match layout.sorted_by {
            Some(column) if layout.sort => {
                Some(Sorter::new(schema.clone(), column, dest, RUN_BYTES)?)
            }
            _ => None,
        };
        let writer = ArrowWriter::try_new(sink, schema, Some(props)).map_err(parquet_write)?;
        Ok(ParquetOutput {
            temp,
            dest: dest.to_path_buf(),
            writer,
            sorter,
            sorted_by,
        })
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), IngestError> {
        match &mut self.sorter {
            Some(sorter) => sorter.push(batch.clone()),
            None => self.writer.write(batch).map_err(parquet_write),
        }
    }

    /// Finishes the file and publishes it at the destination.
    pub(crate) fn publish(mut self) -> Result<Published, IngestError> {
        if let Some(sorter) = self.sorter.take() {
            let writer = &mut self.writer;
            sorter.finish(BATCH_ROWS, &mut |batch| {
                writer.write(batch).map_err(parquet_write)
            })?;
        }
        let ParquetOutput {
            mut temp,
            dest,
            writer,
            sorter: _,
            sorted_by,
        } = self;
        let hashing = writer.into_inner().map_err(parquet_write)?;
        let HashingWriter {
            inner,
            hasher,
            bytes,
        } = hashing;
        let file = inner.into_inner().map_err(|e| io_write(e.into_error()))?;
        file.sync_all().map_err(io_write)?;
        drop(file);
        fs::rename(&temp.path, &dest).map_err(io_write)?;
        temp.armed = false;
        if let Err(e) = sync_dir(&parent_dir(&dest)) {
            // Without the directory fsync the rename may not survive a crash; report failure
            // and take the file back down so that "failed" always means "not published".
            let _ = fs::remove_file(&dest);
            return Err(io_write(e));
        }
        Ok(Published {
            byte_size: bytes,
            sha256: hex::encode(hasher.finalize()),
            sorted_by,
        })
    }
}

pub(crate) fn parent_dir(dest: &Path) -> PathBuf {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Directories cannot be opened for fsync on Windows; NTFS journals the rename.
    Ok(())
}

/// A [`ParquetOutput`] on its own thread, so that encoding and compressing one batch overlaps
/// converting the next. At most one batch waits for the writer, so memory stays bounded.
struct WriterThread {
    batches: Option<mpsc::SyncSender<RecordBatch>>,
    thread: Option<JoinHandle<Result<ParquetOutput, IngestError>>>,
}

impl WriterThread {
    fn start(mut output: ParquetOutput) -> Result<WriterThread, IngestError> {
        let (tx, rx) = mpsc::sync_channel::<RecordBatch>(1);
        let thread = std::thread::Builder::new()
            .name("ingest-parquet".into())
            .spawn(move || {
                for batch in rx {
                    output.write(&batch)?;
                }
                Ok(output)
            })
            .map_err(|e| IngestError::Io {
                context: "starting an ingest thread",
                source: e,
            })?;
        Ok(WriterThread {
            batches: Some(tx),
            thread: Some(thread),
        })
    }

    fn write(&mut self, batch: RecordBatch) -> Result<(), IngestError> {
        let sent = match &self.batches {
            Some(tx) => tx.send(batch).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The writer stopped, which it does only on an error: report that error.
        match self.finish() {
            Ok(_) => Err(IngestError::internal("the Parquet writer stopped")),
            Err(e) => Err(e),
        }
    }

    /// Waits for the queued batches to be written and takes the output back.
    fn finish(&mut self) -> Result<ParquetOutput, IngestError> {
        self.batches = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Err(IngestError::internal("the Parquet writer already finished")),
        }
    }
}

impl Drop for WriterThread {
    /// Joins the thread so that on failure the temporary file is gone when ingest returns.
    fn drop(&mut self) {
        self.batches = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One column being filled for the current batch.
enum ColumnBuilder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Text(StringBuilder),
}

impl ColumnBuilder {
    fn new(ty: ColumnType) -> Self {
        match ty {
            ColumnType::Int64 => ColumnBuilder::Int(Int64Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Float64 => ColumnBuilder::Float(Float64Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Boolean => ColumnBuilder::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
            ColumnType::Date => ColumnBuilder::Date(Date32Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Timestamp { .. } => ColumnBuilder::Timestamp(
                TimestampMicrosecondBuilder::with_capacity(BATCH_ROWS)
                    .with_data_type(ty.arrow_type()),
            ),
            ColumnType::String => ColumnBuilder::Text(StringBuilder::new()),
        }
    }

    fn append_null(&mut self) {
        match self {
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Float(b) => b.append_null(),
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
            ColumnBuilder::Text(b) => b.append_null(),
        }
    }

    /// Appends a non-empty cell; `false` if it does not parse as the column's type.
    fn append(&mut self, v: &str) -> bool {
        use value::Strictness::Identifiers;
        match self {
            ColumnBuilder::Int(b) => value::parse_int(v, Identifiers)
                .map(|n| b.append_value(n))
                .is_some(),
            ColumnBuilder::Float(b) => value::parse_float(v, Identifiers)
                .map(|f| b.append_value(f))
                .is_some(),
            ColumnBuilder::Bool(b) => value::parse_bool(v).map(|x| b.append_value(x)).is_some(),
            ColumnBuilder::Date(b) => value::parse_date(v).map(|d| b.append_value(d)).is_some(),
            ColumnBuilder::Timestamp(b) => {
                let micros = match value::parse_date(v) {
                    Some(d) => Some(i64::from(d) * 86_400_000_000),
                    None => value::parse_timestamp(v).map(|(m, _)| m),
                };
                micros.map(|m| b.append_value(m)).is_some()
            }
            ColumnBuilder::Text(b) => {
                b.append_value(v);
                true
            }
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Float(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// The second pass: converts rows of text to typed batches and writes them.
pub(crate) struct Converter {
    names: Vec<String>,
    types: Vec<ColumnType>,
    schema: SchemaRef,
    builders: Vec<ColumnBuilder>,
    rows: usize,
    text_bytes: usize,
    output: WriterThread,
    pub(crate) total_rows: u64,
}

impl Converter {
    pub(crate) fn new(
        dest: &Path,
        names: &[String],
        types: &[ColumnType],
        layout: &Layout,
    ) -> Result<Converter, IngestError> {
        let fields: Vec<Field> = names
            .iter()
            .zip(types)
            .map(|(n, t)| Field::new(n.as_str(), t.arrow_type(), true))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let output = WriterThread::start(ParquetOutput::create(dest, schema.clone(), layout)?)?;
        Ok(Converter {
            names: names.to_vec(),
            types: types.to_vec(),
            schema,
            builders: types.iter().map(|t| ColumnBuilder::new(*t)).collect(),
            rows: 0,
            text_bytes: 0,
            output,
            total_rows: 0,
        })
    }

    pub(crate) fn row(&mut self, row: &[&str]) -> Result<(), IngestError> {
        for (i, &cell) in row.iter().enumerate() {
            let Some(builder) = self.builders.get_mut(i) else {
                return Err(IngestError::internal(
                    "a row is wider than the inferred schema",
                ));
            };
            if cell.is_empty() {
                builder.append_null();
            } else if builder.append(cell) {
                self.text_bytes += cell.len();
            } else {
                // Pass 1 saw the same value and inferred the type from it, so this is a bug.
                return Err(IngestError::internal(format!(
                    "value `{cell}` of column `{}` does not convert to {}",
                    self.names[i],
                    self.types[i].code()
                )));
            }
        }
        // JSON rows may be narrower than the schema (keys seen only later in pass 1).
        for builder in self.builders.iter_mut().skip(row.len()) {
            builder.append_null();
        }
        self.rows += 1;
        self.total_rows += 1;
        if self.rows >= BATCH_ROWS || self.text_bytes >= BATCH_TEXT_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IngestError> {
        if self.rows == 0 {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect();
        let batch =
            RecordBatch::try_new(self.schema.clone(), columns).map_err(IngestError::internal)?;
        self.output.write(batch)?;
        self.rows = 0;
        self.text_bytes = 0;
        Ok(())
    }

    pub(crate) fn publish(mut self) -> Result<Published, IngestError> {
        self.flush()?;
        self.output.finish()?.publish()
    }
}
