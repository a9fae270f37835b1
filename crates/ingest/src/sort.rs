//! Sorting a version by the column its data dictionary declares the order of the rows.
//!
//! The rows arrive in batches in the source's order and leave in the column's ascending order,
//! empty cells last, rows with equal values in the order they came (so that the same upload
//! always makes the same file). Up to [`RUN_BYTES`] of batches are kept in memory; a table
//! larger than that is cut into sorted runs, each kept in an Arrow IPC file next to the
//! destination (deleted on drop, named like the writer's other temporary files), and the runs
//! are merged as the file is written. Memory stays bounded by a run, whatever the table's size.

use crate::IngestError;
use arrow::compute::{concat_batches, interleave_record_batch, take_record_batch};
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use arrow::row::{RowConverter, Rows, SortField};
use arrow_array::{RecordBatch, UInt32Array};
use arrow_schema::{SchemaRef, SortOptions};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};

/// Bytes of batches sorted in memory at a time: one run.
pub(crate) const RUN_BYTES: usize = 128 * 1024 * 1024;

fn io_sort(e: io::Error) -> IngestError {
    IngestError::Io {
        context: "sorting the rows by the declared order",
        source: e,
    }
}

fn arrow_error(e: arrow_schema::ArrowError) -> IngestError {
    match e {
        arrow_schema::ArrowError::IoError(_, inner) => io_sort(inner),
        other => IngestError::internal(format!("sorting the rows: {other}")),
    }
}

/// The order: ascending, empty cells last.
const ORDER: SortOptions = SortOptions {
    descending: false,
    nulls_first: false,
};

/// A run kept on disk, removed on drop.
struct RunFile(PathBuf);

impl Drop for RunFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Rows sorted by one column, in memory up to a run and on disk beyond.
pub(crate) struct Sorter {
    schema: SchemaRef,
    column: usize,
    converter: RowConverter,
    run_bytes: usize,
    /// Where run files go, and the name they start with.
    dir: PathBuf,
    prefix: String,
    buffer: Vec<RecordBatch>,
    buffered: usize,
    runs: Vec<RunFile>,
}

impl Sorter {
    /// A sorter for batches of `schema` by its `column`, with run files next to `dest`.
    pub(crate) fn new(
        schema: SchemaRef,
        column: usize,
        dest: &Path,
        run_bytes: usize,
    ) -> Result<Sorter, IngestError> {
        let field = SortField::new_with_options(schema.field(column).data_type().clone(), ORDER);
        let converter = RowConverter::new(vec![field]).map_err(arrow_error)?;
        let name = dest
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("version");
        Ok(Sorter {
            schema,
            column,
            converter,
            run_bytes,
            dir: crate::output::parent_dir(dest),
            prefix: format!(".{name}.{}", uuid::Uuid::new_v4().simple()),
            buffer: Vec::new(),
            buffered: 0,
            runs: Vec::new(),
        })
    }

    /// Takes one batch; sorts and spills a run once the batches held reach the run size.
    pub(crate) fn push(&mut self, batch: RecordBatch) -> Result<(), IngestError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.buffered += batch.get_array_memory_size();
        self.buffer.push(batch);
        if self.buffered >= self.run_bytes {
            let run = self.sort_buffer()?;
            self.spill(&run)?;
        }
        Ok(())
    }

    /// Hands every row, in order, to `write` in batches of at most `batch_rows` rows.
    pub(crate) fn finish(
        mut self,
        batch_rows: usize,
        write: &mut dyn FnMut(&RecordBatch) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let last = self.sort_buffer()?;
        if self.runs.is_empty() {
            let mut offset = 0;
            while offset < last.num_rows() {
                let len = batch_rows.min(last.num_rows() - offset);
                write(&last.slice(offset, len))?;
                offset += len;
            }
            return Ok(());
        }
        if last.num_rows() > 0 {
            self.spill(&last)?;
        }
        self.merge(batch_rows, write)
    }

    /// The held batches as one batch in order (stable: equal values keep their arrival order).
    fn sort_buffer(&mut self) -> Result<RecordBatch, IngestError> {
        let batches = std::mem::take(&mut self.buffer);
        self.buffered = 0;
        let batch = concat_batches(&self.schema, &batches).map_err(arrow_error)?;
        drop(batches);
        let rows = self.rows_of(&batch)?;
        let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
        // `sort_by` is stable.
        order.sort_by(|&a, &b| rows.row(a as usize).cmp(&rows.row(b as usize)));
        take_record_batch(&batch, &UInt32Array::from(order)).map_err(arrow_error)
    }

    fn rows_of(&self, batch: &RecordBatch) -> Result<Rows, IngestError> {
        self.converter
            .convert_columns(&[batch.column(self.column).clone()])
            .map_err(arrow_error)
    }

    fn spill(&mut self, run: &RecordBatch) -> Result<(), IngestError> {
        let path = self
            .dir
            .join(format!("{}.run{}.tmp", self.prefix, self.runs.len()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_sort)?;
        self.runs.push(RunFile(path));
        let mut writer = FileWriter::try_new(BufWriter::with_capacity(1 << 20, file), &self.schema)
            .map_err(arrow_error)?;
        // Written in slices so that reading a run back holds one slice at a time.
        let mut offset = 0;
        while offset < run.num_rows() {
            let len = MERGE_READ_ROWS.min(run.num_rows() - offset);
            writer.write(&run.slice(offset, len)).map_err(arrow_error)?;
            offset += len;
        }
        writer.finish().map_err(arrow_error)?;
        Ok(())
    }

    /// Merges the runs: each output row is the least current row of all runs, the earliest run
    /// winning ties, so the merge is stable as the runs are.
    fn merge(
        &mut self,
        batch_rows: usize,
        write: &mut dyn FnMut(&RecordBatch) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let mut cursors: Vec<Cursor> = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            let file = File::open(&run.0).map_err(io_sort)?;
            let mut reader = FileReader::try_new(BufReader::with_capacity(1 << 20, file), None)
                .map_err(arrow_error)?;
            if let Some((batch, rows)) = self.next_batch(&mut reader)? {
                cursors.push(Cursor {
                    reader,
                    batch,
                    rows,
                    pos: 0,
                    source: 0,
                });
            }
        }
        // The batches the pending output rows come from, and (batch, row) per output row.
        let mut sources: Vec<RecordBatch> = Vec::new();
        let mut picks: Vec<(usize, usize)> = Vec::with_capacity(batch_rows);
        let restart = |cursors: &mut [Cursor], sources: &mut Vec<RecordBatch>| {
            sources.clear();
            for c in cursors.iter_mut() {
                c.source = sources.len();
                sources.push(c.batch.clone());
            }
        };
        restart(&mut cursors, &mut sources);
        while !cursors.is_empty() {
            let mut best = 0;
            for i in 1..cursors.len() {
                if cursors[i].current() < cursors[best].current() {
                    best = i;
                }
            }
            let cursor = &mut cursors[best];
            picks.push((cursor.source, cursor.pos));
            cursor.pos += 1;
            if cursor.pos == cursor.batch.num_rows() {
                match self.next_batch(&mut cursor.reader)? {
                    Some((batch, rows)) => {
                        cursor.source = sources.len();
                        sources.push(batch.clone());
                        (cursor.batch, cursor.rows, cursor.pos) = (batch, rows, 0);
                    }
                    // Removing keeps the others in run order, so ties still go to the earliest.
                    None => {
                        cursors.remove(best);
                    }
                }
            }
            if picks.len() == batch_rows {
                let refs: Vec<&RecordBatch> = sources.iter().collect();
                write(&interleave_record_batch(&refs, &picks).map_err(arrow_error)?)?;
                picks.clear();
                restart(&mut cursors, &mut sources);
            }
        }
        if !picks.is_empty() {
            let refs: Vec<&RecordBatch> = sources.iter().collect();
            write(&interleave_record_batch(&refs, &picks).map_err(arrow_error)?)?;
        }
        Ok(())
    }

    /// A run's next non-empty batch with its rows in sort form; `None` at the end of the run.
    fn next_batch(
        &self,
        reader: &mut FileReader<BufReader<File>>,
    ) -> Result<Option<(RecordBatch, Rows)>, IngestError> {
        for batch in reader.by_ref() {
            let batch = batch.map_err(arrow_error)?;
            if batch.num_rows() > 0 {
                let rows = self.rows_of(&batch)?;
                return Ok(Some((batch, rows)));
            }
        }
        Ok(None)
    }
}

/// Rows per batch of a run file, and so per read while merging.
const MERGE_READ_ROWS: usize = 8 * 1024;

/// Where the merge stands in one run.
struct Cursor {
    reader: FileReader<BufReader<File>>,
    batch: RecordBatch,
    rows: Rows,
    pos: usize,
    /// The batch's index among the merge's pending sources.
    source: usize,
}

impl Cursor {
    fn current(&self) -> arrow::row::Row<'_> {
        self.rows.row(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("seq", DataType::Utf8, false),
        ]))
    }

    /// Output rows as (key, arrival position).
    type Sorted = Vec<(Option<i64>, usize)>;

    /// Sorts `keys` (arriving in batches of `batch` rows) with runs of `run_bytes`, and returns
    /// the output rows, the output batch sizes and the number of runs spilled.
    fn sort(keys: &[Option<i64>], batch: usize, run_bytes: usize) -> (Sorted, Vec<usize>, usize) {
        let dir = std::env::temp_dir().join(format!("gongshu-sort-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        let mut sorter = Sorter::new(schema(), 0, &dir.join("v.parquet"), run_bytes).unwrap();
        for (n, chunk) in keys.chunks(batch).enumerate() {
            let k = Int64Array::from(chunk.to_vec());
            let seq = StringArray::from_iter_values(
                (0..chunk.len()).map(|i| (n * batch + i).to_string()),
            );
            sorter
                .push(RecordBatch::try_new(schema(), vec![Arc::new(k), Arc::new(seq)]).unwrap())
                .unwrap();
        }
        let runs = sorter.runs.len();
        let mut out = Vec::new();
        let mut sizes = Vec::new();
        sorter
            .finish(1000, &mut |b: &RecordBatch| {
                sizes.push(b.num_rows());
                let k = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
                let seq = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
                for i in 0..b.num_rows() {
                    let key = (!k.is_null(i)).then(|| k.value(i));
                    out.push((key, seq.value(i).parse().unwrap()));
                }
                Ok(())
            })
            .unwrap();
        // Every run file is gone once the sorter is.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
        (out, sizes, runs)
    }

    /// The expected order: by key, nulls last, arrival order among equals.
    fn expected(keys: &[Option<i64>]) -> Sorted {
        let mut v: Vec<(Option<i64>, usize)> = keys.iter().copied().zip(0..).collect();
        v.sort_by_key(|&(k, i)| (k.is_none(), k, i));
        v
    }

    fn keys(n: usize) -> Vec<Option<i64>> {
        // A scrambled sequence with repeats and nulls.
        (0..n)
            .map(|i| {
                let x = (i as i64 * 7919) % 1009;
                (x % 13 != 0).then_some(x % 97)
            })
            .collect()
    }

    #[test]
    fn rows_come_out_by_the_column_with_empty_cells_last_and_ties_in_arrival_order() {
        let keys = keys(5000);
        let (out, sizes, runs) = sort(&keys, 700, RUN_BYTES);
        assert_eq!(runs, 0, "a small table is sorted in memory");
        assert_eq!(out, expected(&keys));
        assert!(sizes.iter().all(|&s| s <= 1000));
    }

    #[test]
    fn a_table_larger_than_a_run_is_merged_from_runs_on_disk_with_the_same_result() {
        let keys = keys(20_000);
        // Runs of a few batches each.
        let (out, sizes, runs) = sort(&keys, 500, 10_000);
        assert!(runs > 3, "{runs} runs");
        assert_eq!(out, expected(&keys));
        assert_eq!(sizes.iter().sum::<usize>(), 20_000);
        assert!(sizes.iter().all(|&s| s <= 1000));
    }

    #[test]
    fn nothing_in_gives_nothing_out() {
        let (out, _, _) = sort(&[], 10, RUN_BYTES);
        assert!(out.is_empty());
    }
}
