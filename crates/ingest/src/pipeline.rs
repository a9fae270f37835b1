//! Running a pass on several threads. In pass 1 the source parses rows on the calling thread
//! while other threads consume them (profiling, each thread a share of the columns) and one more
//! thread keeps every batch in the spill file; in pass 2 the calling thread reads the batches
//! back from the spill and a consumer converts them and writes Parquet.
//!
//! Parsing and consuming each take a large share of a pass, so overlapping them nearly halves
//! its time on a machine with two cores or more; splitting the consumer too lets the operating
//! system balance the work over the cores when one side is heavier. Rows travel in batches (one
//! allocation-free copy of their text per row) through bounded channels, so memory stays
//! bounded whatever the file size: at most [`DEPTH`] batches in flight per thread, of at most
//! [`BATCH_ROWS`] rows or about [`BATCH_BYTES`] of text each.

use crate::columns::Columns;
use crate::source::Sink;
use crate::spill::{SpillReader, SpillWriter};
use crate::IngestError;
use std::sync::{mpsc, Arc};

/// Rows per batch handed to the consumer.
const BATCH_ROWS: usize = 4096;
/// Text bytes after which a batch is handed over early (wide rows).
const BATCH_BYTES: usize = 1 << 20;
/// Batches that may wait for the consumer before the parser blocks.
const DEPTH: usize = 4;

/// Rows of cells, stored as one text buffer and the end offset of every cell.
#[derive(Default)]
pub(crate) struct RowBatch {
    /// The cells' text, one after another: UTF-8, since only whole `str` cells are pushed.
    pub(crate) text: Vec<u8>,
    pub(crate) cell_ends: Vec<usize>,
    /// End (in `cell_ends`) of every row: JSON rows may be narrower than the column set.
    pub(crate) row_ends: Vec<usize>,
    /// Names of the columns first reached by a row of this batch, in column order.
    pub(crate) new_names: Vec<String>,
}

impl RowBatch {
    pub(crate) fn push_row(&mut self, row: &[&str]) {
        for cell in row {
            self.text.extend_from_slice(cell.as_bytes());
            self.cell_ends.push(self.text.len());
        }
        self.row_ends.push(self.cell_ends.len());
    }

    fn is_full(&self) -> bool {
        self.row_ends.len() >= BATCH_ROWS || self.text.len() >= BATCH_BYTES
    }

    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.cell_ends.clear();
        self.row_ends.clear();
        self.new_names.clear();
    }
}

/// Pass 1: runs `produce` on this thread, feeding every row it sinks, in order, to one consumer
/// thread per element of `states`, and every batch to `spill` on a thread of its own; `consume`
/// gets that thread's state and number, the names of the columns reached so far (at least as
/// many as the row has cells) and the row. Returns the states when all succeeded; otherwise the
/// first error in row order, which is a consumer's when one failed, then the spill's (the
/// parser then stops at its next hand-over and only reports that a consumer is gone).
pub(crate) fn run<S: Send>(
    produce: impl FnOnce(&mut Sink<'_>) -> Result<(), IngestError>,
    spill: Option<&mut SpillWriter>,
    states: Vec<S>,
    consume: impl Fn(&mut S, usize, &[String], &[&str]) -> Result<(), IngestError> + Sync,
) -> Result<Vec<S>, IngestError> {
    let batches = |send: &mut Produce<'_>, recycled: &dyn Fn() -> RowBatch| {
        let mut current = RowBatch::default();
        let mut sent_names = 0;
        {
            let mut sink = |columns: &Columns, row: &[&str]| -> Result<(), IngestError> {
                if row.len() > sent_names {
                    current
                        .new_names
                        .extend_from_slice(&columns.names()[sent_names..row.len()]);
                    sent_names = row.len();
                }
                current.push_row(row);
                if current.is_full() {
                    send(std::mem::replace(&mut current, recycled()))?;
                }
                Ok(())
            };
            produce(&mut sink)?;
        }
        if current.row_ends.is_empty() {
            Ok(())
        } else {
            send(current)
        }
    };
    fan_out(batches, spill, states, consume)
}

/// Pass 2: the batches of pass 1, read back from `spill`, fed to the consumers as [`run`] does;
/// `progress` gets the bytes read so far and the size of the spill.
pub(crate) fn replay<S: Send>(
    spill: &mut SpillReader,
    mut progress: impl FnMut(u64, u64),
    states: Vec<S>,
    consume: impl Fn(&mut S, usize, &[String], &[&str]) -> Result<(), IngestError> + Sync,
) -> Result<Vec<S>, IngestError> {
    let batches = |send: &mut Produce<'_>, recycled: &dyn Fn() -> RowBatch| loop {
        let mut batch = recycled();
        if !spill.next_into(&mut batch)? {
            return Ok(());
        }
        progress(spill.position(), spill.len());
        send(batch)?;
    };
    fan_out(batches, None, states, consume)
}

type Produce<'f> = dyn FnMut(RowBatch) -> Result<(), IngestError> + 'f;

/// Hands every batch `produce` makes to every consumer thread and to the spill thread.
fn fan_out<S: Send>(
    produce: impl FnOnce(&mut Produce<'_>, &dyn Fn() -> RowBatch) -> Result<(), IngestError>,
    spill: Option<&mut SpillWriter>,
    states: Vec<S>,
    consume: impl Fn(&mut S, usize, &[String], &[&str]) -> Result<(), IngestError> + Sync,
) -> Result<Vec<S>, IngestError> {
    // Emptied batches come back for reuse, so their buffers are allocated once.
    let (empty_tx, empty_rx) = mpsc::channel::<RowBatch>();
    let consume = &consume;
    std::thread::scope(|scope| {
        let start_error = |e| IngestError::Io {
            context: "starting an ingest thread",
            source: e,
        };
        let mut senders = Vec::new();
        let mut consumers = Vec::new();
        for (group, mut state) in states.into_iter().enumerate() {
            let (full_tx, full_rx) = mpsc::sync_channel::<Arc<RowBatch>>(DEPTH);
            let empty_tx = empty_tx.clone();
            // Named so that profiles of an import tell the parts apart.
            let consumer = std::thread::Builder::new()
                .name(format!("ingest-rows-{group}"))
                .spawn_scoped(scope, move || -> Result<S, IngestError> {
                    let mut names: Vec<String> = Vec::new();
                    for batch in full_rx {
                        names.extend_from_slice(&batch.new_names);
                        {
                            let text = simdutf8::basic::from_utf8(&batch.text).map_err(|_| {
                                IngestError::internal("a batch of cells is not UTF-8")
                            })?;
                            // One allocation per batch, of thousands of rows.
                            let mut cells: Vec<&str> = Vec::with_capacity(batch.cell_ends.len());
                            let mut start = 0;
                            for &end in &batch.cell_ends {
                                cells.push(text.get(start..end).ok_or_else(|| {
                                    IngestError::internal("a batch's cells split its text")
                                })?);
                                start = end;
                            }
                            let mut row_start = 0;
                            for &row_end in &batch.row_ends {
                                let row = cells.get(row_start..row_end).ok_or_else(|| {
                                    IngestError::internal("a batch's rows overrun its cells")
                                })?;
                                consume(&mut state, group, &names, row)?;
                                row_start = row_end;
                            }
                        }
                        recycle(batch, &empty_tx);
                    }
                    Ok(state)
                })
                .map_err(start_error)?;
            consumers.push(consumer);
            senders.push(full_tx);
        }
        let spiller = match spill {
            Some(spill) => {
                let (full_tx, full_rx) = mpsc::sync_channel::<Arc<RowBatch>>(DEPTH);
                let empty_tx = empty_tx.clone();
                let thread = std::thread::Builder::new()
                    .name("ingest-spill".into())
                    .spawn_scoped(scope, move || -> Result<(), IngestError> {
                        for batch in full_rx {
                            spill.write(&batch)?;
                            recycle(batch, &empty_tx);
                        }
                        Ok(())
                    })
                    .map_err(start_error)?;
                senders.push(full_tx);
                Some(thread)
            }
            None => None,
        };

        let gone = || IngestError::internal("a row consumer stopped");
        let mut send = |batch: RowBatch| -> Result<(), IngestError> {
            let batch = Arc::new(batch);
            for tx in &senders {
                tx.send(Arc::clone(&batch)).map_err(|_| gone())?;
            }
            Ok(())
        };
        let recycled = || empty_rx.try_recv().unwrap_or_default();
        let produced = produce(&mut send, &recycled);
        drop(senders);
        let mut states = Vec::new();
        let mut failed = None;
        for consumer in consumers {
            match consumer.join() {
                Ok(Ok(state)) => states.push(state),
                Ok(Err(e)) => {
                    failed.get_or_insert(e);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        if let Some(spiller) = spiller {
            match spiller.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    failed.get_or_insert(e);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        match (failed, produced) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(states),
        }
    })
}

/// The last thread done with a batch sends it back to the producer for reuse.
fn recycle(batch: Arc<RowBatch>, empty_tx: &mpsc::Sender<RowBatch>) {
    if let Ok(mut batch) = Arc::try_unwrap(batch) {
        batch.clear();
        let _ = empty_tx.send(batch);
    }
}
