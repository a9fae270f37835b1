//! Keyed copies: a version with its clean-room key columns already pseudonymised.
//!
//! A clean-room view replaces every join key and entity column with its keyed pseudonym
//! (HMAC-SHA-256 under the platform's secret, [`PseudonymKey`]). Computed in the plan, that is
//! one HMAC per value per query: for ten million identifiers about a second and a half of
//! processor time, more than the join itself. A keyed copy is the version's Parquet file with
//! those columns replaced, under their own names, by their pseudonyms, written once at the
//! first clean-room query that needs it and read by every later one; the view then projects
//! the stored pseudonyms as they are.
//!
//! What a copy holds and where:
//! - It lives in the engine's keyed directory (never beside the versions), named after the
//!   version's file and a tag: SHA-256 of the key's fingerprint, the pseudonymised columns and
//!   the version file's size. Another secret, another policy or another file is another copy; a
//!   copy is never updated in place.
//! - It holds no raw value of a pseudonymised column, so a copy is no more revealing than the
//!   version it came from, and less so for identifiers.
//! - It is written to a temporary file, synced and renamed, so a copy that exists is whole. The
//!   writing runs as a task of its own, so a query that times out or is cancelled does not
//!   leave half a copy, and the next query finds the copy done.
//! - A view whose row filter reads a pseudonymised column cannot use a copy (the raw values the
//!   filter compares are gone); it computes the pseudonyms in the plan as before.
//!
//! The caller removes copies with their version ([`copies_of`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::object_store::ObjectStoreExt;
use futures::StreamExt;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};

use crate::conditions::column;
use crate::policy::{self, PseudonymKey};
use crate::{Engine, Location, QueryError};

/// Rows per row group of a copy, as versions have them.
const ROW_GROUP_ROWS: usize = 131_072;

/// Where keyed copies are kept, and the lock that lets one copy be written at a time.
#[derive(Debug)]
pub(crate) struct KeyedCopies {
    dir: PathBuf,
    writing: tokio::sync::Mutex<()>,
}

impl KeyedCopies {
    pub(crate) fn new(dir: PathBuf) -> KeyedCopies {
        KeyedCopies {
            dir,
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// The copy of `source` with `columns` pseudonymised under `key`, written now if it is not
    /// there yet.
    pub(crate) async fn copy(
        self: &Arc<Self>,
        source: &Location,
        key: &Arc<PseudonymKey>,
        columns: &[String],
        engine: &Engine,
    ) -> Result<PathBuf, QueryError> {
        let size = engine
            .caches
            .store_of(source)?
            .head(&source.object_path()?)
            .await
            .map_err(|e| QueryError::internal(format!("version file: {e}")))?
            .size;
        let dest = self.dir.join(format!(
            "{}.{}.parquet",
            stem(source)?,
            tag(key, columns, size)
        ));
        if dest.exists() {
            return Ok(dest);
        }
        let (copies, source, key, columns, engine, target) = (
            Arc::clone(self),
            source.clone(),
            Arc::clone(key),
            columns.to_vec(),
            engine.clone(),
            dest.clone(),
        );
        let task = tokio::spawn(async move {
            let _one_at_a_time = copies.writing.lock().await;
            if target.exists() {
                return Ok(());
            }
            std::fs::create_dir_all(&copies.dir).map_err(QueryError::internal)?;
            write(&source, &target, key, &columns, &engine).await
        });
        // Whatever fails here is not the caller's doing: an internal error, shown to nobody.
        task.await
            .map_err(QueryError::internal)?
            .map_err(|e| match e {
                QueryError::Internal(_) => e,
                other => QueryError::internal(format!("writing a keyed copy: {other}")),
            })?;
        Ok(dest)
    }
}

/// The copies of the version file `source` in `dir`, so that the caller can remove them with
/// it.
pub fn copies_of(dir: &Path, source: &Location) -> Vec<PathBuf> {
    let Ok(stem) = stem(source) else {
        return Vec::new();
    };
    let prefix = format!("{stem}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect()
}

fn stem(source: &Location) -> Result<String, QueryError> {
    source
        .file_name()
        .map(|name| match name.rsplit_once('.') {
            Some((stem, _)) => stem.to_string(),
            None => name,
        })
        .filter(|s| !s.is_empty() && !s.contains('.'))
        .ok_or_else(|| QueryError::internal("a version file name without a plain stem"))
}

fn tag(key: &PseudonymKey, columns: &[String], size: u64) -> String {
    let mut sorted: Vec<&String> = columns.iter().collect();
    sorted.sort();
    let mut digest = Sha256::new();
    digest.update(b"gongshu keyed copy\n");
    digest.update(key.fingerprint());
    for c in sorted {
        digest.update((c.len() as u64).to_le_bytes());
        digest.update(c.as_bytes());
    }
    digest.update(size.to_le_bytes());
    let hash = digest.finalize();
    hash[..12].iter().map(|b| format!("{b:02x}")).collect()
}

async fn write(
    source: &Location,
    dest: &Path,
    key: Arc<PseudonymKey>,
    columns: &[String],
    engine: &Engine,
) -> Result<(), QueryError> {
    let ctx = policy::new_session(engine)?;
    let table = policy::parquet_table(&ctx, source).await?;
    let file_schema = table.schema();
    let projection = file_schema
        .fields()
        .iter()
        .map(|f| {
            if columns.contains(f.name()) {
                policy::pseudonymised(f.name(), f.data_type(), Arc::clone(&key))
            } else {
                column(f.name())
            }
        })
        .collect::<Vec<_>>();
    let frame = ctx
        .read_table(Arc::new(table))
        .map_err(QueryError::internal)?
        .select(projection)
        .map_err(QueryError::internal)?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let mut stream = frame.execute_stream().await?;
    let temp = dest.with_extension(format!("{:016x}.tmp", rand::random::<u64>()));
    let (sender, receiver) = std::sync::mpsc::sync_channel::<RecordBatch>(4);
    let writer = {
        let (temp, schema, columns) = (temp.clone(), Arc::clone(&schema), columns.to_vec());
        tokio::task::spawn_blocking(move || write_batches(&temp, schema, &columns, receiver))
    };
    let mut failed = None;
    while let Some(batch) = stream.next().await {
        match batch {
            Ok(batch) => {
                if sender.send(batch).is_err() {
                    break;
                }
            }
            Err(e) => {
                failed = Some(QueryError::from(e));
                break;
            }
        }
    }
    drop(sender);
    let written = writer.await.map_err(QueryError::internal)?;
    let outcome = match (failed, written) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(QueryError::internal(format!("writing a keyed copy: {e}"))),
        (None, Ok(())) => std::fs::rename(&temp, dest).map_err(QueryError::internal),
    };
    if outcome.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    outcome
}

fn write_batches(
    path: &Path,
    schema: SchemaRef,
    pseudonymised: &[String],
    batches: std::sync::mpsc::Receiver<RecordBatch>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("gongshu-keyed {}", env!("CARGO_PKG_VERSION")));
    for name in pseudonymised {
        // Pseudonyms are as distinct as the identifiers they replace: a dictionary only costs.
        props = props.set_column_dictionary_enabled(ColumnPath::from(name.as_str()), false);
    }
    let file = std::fs::File::create(path)?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(props.build()))?;
    for batch in batches {
        writer.write(&batch)?;
    }
    let file = writer.into_inner()?;
    file.sync_all()?;
    Ok(())
}
