//! Group commit: one task appends every leaf. Requests queue their entries on a channel; the
//! task takes everything queued, computes the new subtree hashes and writes the batch in one
//! transaction, then tells each request its index. Concurrent requests thus share one durable
//! commit, and indexes are dense and ordered without any lock in the request path.

use store::{DynStore, NewLogEntry, StoreError};
use tlog::Hash;
use tokio::sync::{mpsc, oneshot};

/// Most leaves in one commit.
const MAX_BATCH: usize = 512;
/// Attempts at a batch when another writer (another server on the same PostgreSQL) took the
/// indexes first. Each lost attempt means another server's batch was committed, so the log
/// moves on; losing this many in a row takes a steady stream of other servers' batches landing
/// exactly between this writer's read of the size and its turn.
const ATTEMPTS: usize = 50;

struct Pending {
    entry: NewLogEntry,
    reply: oneshot::Sender<Result<u64, String>>,
}

/// The request side of the writer.
#[derive(Clone)]
pub(super) struct Handle {
    tx: mpsc::Sender<Pending>,
}

impl Handle {
    /// Queues an entry and waits until it is durable; returns its index.
    pub(super) async fn append(&self, entry: NewLogEntry) -> Result<u64, String> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Pending { entry, reply })
            .await
            .map_err(|_| "the log writer has stopped".to_string())?;
        rx.await
            .map_err(|_| "the log writer has stopped".to_string())?
    }
}

/// Starts the writer task.
pub(super) fn spawn(store: DynStore) -> Handle {
    let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
    tokio::spawn(run(store, rx));
    Handle { tx }
}

async fn run(store: DynStore, mut rx: mpsc::Receiver<Pending>) {
    let mut state = Writer { store, size: None };
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let entries: Vec<NewLogEntry> = batch.iter().map(|p| p.entry.clone()).collect();
        let outcome = state.commit(&entries).await;
        if let Err(e) = &outcome {
            tracing::error!("access log append failed: {e}");
        }
        for (i, p) in batch.into_iter().enumerate() {
            let _ = p.reply.send(
                outcome
                    .as_ref()
                    .map(|start| start + i as u64)
                    .map_err(|e| e.to_string()),
            );
        }
    }
}

struct Writer {
    store: DynStore,
    /// The log's size as of the last commit, if known.
    size: Option<u64>,
}

impl Writer {
    /// Appends `entries` durably; returns the index of the first.
    async fn commit(&mut self, entries: &[NewLogEntry]) -> Result<u64, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let cached = self.size.is_some();
            match self.try_commit(entries).await {
                Ok(start) => return Ok(start),
                Err(e) => {
                    // The attempt may rest on a stale size (another writer appended, or the
                    // database was changed under us): read it again and retry. A failure with a
                    // freshly read size is real unless another writer won the race.
                    self.size = None;
                    let retry = cached || matches!(e, StoreError::Conflict(_));
                    if !retry || attempt >= ATTEMPTS {
                        return Err(e);
                    }
                }
            }
        }
    }

    async fn try_commit(&mut self, entries: &[NewLogEntry]) -> Result<u64, StoreError> {
        let tree = |e: tlog::TreeError| StoreError::Corrupt(format!("log tree: {e}"));
        let start = match self.size {
            Some(n) => n,
            None => self.store.log_size().await? as u64,
        };
        // One read of O(log n) stored hashes serves the whole batch.
        let wanted: Vec<i64> = tlog::tree::append_batch_reads(start, entries.len() as u64)
            .map_err(tree)?
            .into_iter()
            .map(|i| i as i64)
            .collect();
        let reads: Vec<Hash> = self
            .store
            .log_hashes(&wanted)
            .await?
            .into_iter()
            .map(Hash)
            .collect();
        let leaves: Vec<Hash> = entries
            .iter()
            .map(|e| tlog::leaf_hash(e.data.as_bytes()))
            .collect();
        let made = tlog::tree::append_batch(start, &leaves, &reads).map_err(tree)?;
        let hashes: Vec<[u8; 32]> = made.iter().map(|h| h.0).collect();
        self.store
            .log_append(
                start as i64,
                entries,
                tlog::tree::stored_count(start) as i64,
                &hashes,
            )
            .await?;
        self.size = Some(start + entries.len() as u64);
        Ok(start)
    }
}
