//! Running a pass on several threads: the source parses rows on the calling thread while other
//! threads consume them (profiling in pass 1, each thread a share of the columns; converting
//! and writing Parquet in pass 2).
//!
//! Parsing and consuming each take a large share of a pass, so overlapping them nearly halves
//! its time on a machine with two cores or more; splitting the consumer too lets the operating
//! system balance the work over the cores when one side is heavier. Rows travel in batches (one allocation-free
//! copy of their text per row) through a bounded channel, so memory stays bounded whatever the
//! file size: at most [`DEPTH`] batches in flight of at most [`BATCH_ROWS`] rows or about
//! [`BATCH_BYTES`] of text each.

use crate::columns::Columns;
use crate::source::Sink;
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
struct RowBatch {
    text: String,
    cell_ends: Vec<usize>,
    /// End (in `cell_ends`) of every row: JSON rows may be narrower than the column set.
    row_ends: Vec<usize>,
    /// Names of the columns first reached by a row of this batch, in column order.
    new_names: Vec<String>,
}

impl RowBatch {
    fn push_row(&mut self, row: &[&str]) {
        for cell in row {
            self.text.push_str(cell);
            self.cell_ends.push(self.text.len());
        }
        self.row_ends.push(self.cell_ends.len());
    }

    fn is_full(&self) -> bool {
        self.row_ends.len() >= BATCH_ROWS || self.text.len() >= BATCH_BYTES
    }

    fn clear(&mut self) {
        self.text.clear();
        self.cell_ends.clear();
        self.row_ends.clear();
        self.new_names.clear();
    }
}

/// Runs `produce` on this thread, feeding every row it sinks, in order, to one consumer thread
/// per element of `states`; `consume` gets that thread's state and number, the names of the
/// columns reached so far (at least as many as the row has cells) and the row. Returns the
/// states when all succeeded; otherwise the first error in row order, which is a consumer's when
/// one failed (the parser then stops at its next hand-over and only reports that the consumer is
/// gone).
pub(crate) fn run<S: Send>(
    produce: impl FnOnce(&mut Sink<'_>) -> Result<(), IngestError>,
    states: Vec<S>,
    consume: impl Fn(&mut S, usize, &[String], &[&str]) -> Result<(), IngestError> + Sync,
) -> Result<Vec<S>, IngestError> {
    // Emptied batches come back for reuse, so their buffers are allocated once.
    let (empty_tx, empty_rx) = mpsc::channel::<RowBatch>();
    let consume = &consume;
    std::thread::scope(|scope| {
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
                            // One allocation per batch, of thousands of rows.
                            let mut start = 0;
                            let cells: Vec<&str> = batch
                                .cell_ends
                                .iter()
                                .map(|&end| {
                                    let cell = &batch.text[start..end];
                                    start = end;
                                    cell
                                })
                                .collect();
                            let mut row_start = 0;
                            for &row_end in &batch.row_ends {
                                consume(&mut state, group, &names, &cells[row_start..row_end])?;
                                row_start = row_end;
                            }
                        }
                        // The last consumer done with a batch recycles it.
                        if let Ok(mut batch) = Arc::try_unwrap(batch) {
                            batch.clear();
                            let _ = empty_tx.send(batch);
                        }
                    }
                    Ok(state)
                });
            match consumer {
                Ok(c) => consumers.push(c),
                Err(e) => {
                    return Err(IngestError::Io {
                        context: "starting an ingest thread",
                        source: e,
                    })
                }
            }
            senders.push(full_tx);
        }

        let gone = || IngestError::internal("a row consumer stopped");
        let send = |batch: RowBatch| -> Result<(), IngestError> {
            let batch = Arc::new(batch);
            for tx in &senders {
                tx.send(Arc::clone(&batch)).map_err(|_| gone())?;
            }
            Ok(())
        };
        let mut current = RowBatch::default();
        let mut sent_names = 0;
        let produced = {
            let mut sink = |columns: &Columns, row: &[&str]| -> Result<(), IngestError> {
                if row.len() > sent_names {
                    current
                        .new_names
                        .extend_from_slice(&columns.names()[sent_names..row.len()]);
                    sent_names = row.len();
                }
                current.push_row(row);
                if current.is_full() {
                    let next = empty_rx.try_recv().unwrap_or_default();
                    send(std::mem::replace(&mut current, next))?;
                }
                Ok(())
            };
            produce(&mut sink)
        };
        let produced = produced.and_then(|()| {
            if current.row_ends.is_empty() {
                Ok(())
            } else {
                send(current)
            }
        });
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
        match (failed, produced) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => Ok(states),
        }
    })
}
