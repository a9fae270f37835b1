//! The verifiable access log (DESIGN.md C7): every data access, application and grant decision,
//! classification change and points redemption appends a leaf to a Merkle tree log.
//!
//! [`AuditLog::append`] builds the public [`Leaf`] and the private detail record, hands both to
//! the group-commit writer ([`writer`]) and returns the leaf's index once the leaf is durable.
//! Callers send their response only after that, carrying the index as a receipt. Checkpoints are
//! C2SP signed notes made on demand with the log's Ed25519 key, which [`keys`] creates at first
//! start in the data directory.

pub(crate) mod keys;
mod writer;

use crate::error::{AppError, AppResult, Code};
use model::application::PurposeCategory;
use model::log::{EventKind, Leaf, LEAF_VERSION};
use rand::RngCore;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use store::{DynStore, NewLogEntry, User};
use tlog::checkpoint::Checkpoint;
use tlog::note::Verifier;
use tlog::Hash;

/// One event to log.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// What happened.
    pub kind: EventKind,
    /// The dataset concerned (its slug).
    pub dataset: Option<&'a str>,
    /// Who did it (`None`: anonymous).
    pub actor: Option<&'a User>,
    /// The client's address, recorded privately.
    pub client: Option<IpAddr>,
    /// The purpose category of the grant or application involved.
    pub purpose: Option<PurposeCategory>,
    /// Rows delivered, for data access.
    pub rows: Option<u64>,
    /// Hex SHA-256 of a document the event published, shown in the public leaf.
    pub digest: Option<String>,
    /// Everything else about the event, recorded privately (the full query, ids, reasons).
    pub detail: Value,
}

impl<'a> Event<'a> {
    /// An event of `kind` by `actor` with nothing else filled in.
    pub fn new(kind: EventKind, actor: Option<&'a User>) -> Self {
        Event {
            kind,
            dataset: None,
            actor,
            client: None,
            purpose: None,
            rows: None,
            digest: None,
            detail: Value::Null,
        }
    }
}

/// The latest checkpoint, signed.
#[derive(Debug, Clone)]
pub struct SignedCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The signed note text.
    pub note: String,
}

/// The log of a running platform.
pub struct AuditLog {
    store: DynStore,
    /// The signing and pseudonym keys, loaded at open for a server and at first use for a
    /// command beside one (so that a command that logs nothing never fixes the log's name).
    keys: OnceLock<keys::Keys>,
    /// Where the keys are and the origin a new signing key gets.
    key_dir: PathBuf,
    configured_origin: String,
    /// Serialises the first load, so two tasks cannot both make keys.
    key_init: Mutex<()>,
    /// `None` when logging is switched off, which only the benchmark harness does.
    writer: Option<writer::Handle>,
    latest: Mutex<Option<SignedCheckpoint>>,
    org_names: Mutex<HashMap<String, String>>,
}

impl AuditLog {
    /// Opens the log of `data_dir`: loads its keys (making them at first start, named `origin`)
    /// and starts the writer.
    pub fn open(data_dir: &Path, origin: &str, store: DynStore) -> anyhow::Result<AuditLog> {
        let log = AuditLog::open_lazy(data_dir, origin, store);
        let keys = keys::load_or_create(data_dir, origin)?;
        let _ = log.keys.set(keys);
        Ok(log)
    }

    /// Opens the log of `data_dir` without touching its keys until something is logged or a
    /// checkpoint is made: for commands that run beside a server, most of which log nothing.
    pub fn open_lazy(data_dir: &Path, origin: &str, store: DynStore) -> AuditLog {
        AuditLog {
            writer: Some(writer::spawn(store.clone())),
            store,
            keys: OnceLock::new(),
            key_dir: data_dir.to_path_buf(),
            configured_origin: origin.to_string(),
            key_init: Mutex::new(()),
            latest: Mutex::new(None),
            org_names: Mutex::new(HashMap::new()),
        }
    }

    /// The keys, loaded (or made, at first start) on first use.
    fn keys(&self) -> AppResult<&keys::Keys> {
        if let Some(k) = self.keys.get() {
            return Ok(k);
        }
        let _guard = self.key_init.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = self.keys.get() {
            return Ok(k);
        }
        let loaded = keys::load_or_create(&self.key_dir, &self.configured_origin).map_err(|e| {
            AppError::new(
                Code::Unavailable,
                format!("The access log cannot open its keys ({e:#}), so nothing that must be logged can be done. Check the data directory's log/ folder."),
            )
        })?;
        Ok(self.keys.get_or_init(|| loaded))
    }

    /// The same log with appends switched off: for the benchmark harness that measures what
    /// logging costs, never for a server.
    pub fn without_appends(mut self) -> AuditLog {
        self.writer = None;
        self
    }

    /// The log's name (the checkpoint origin and the key name).
    pub fn origin(&self) -> AppResult<&str> {
        Ok(self.keys()?.signer.name())
    }

    /// The verifier key, in the signed-note format (`name+id+key`).
    pub fn vkey(&self) -> AppResult<String> {
        Ok(self.verifier()?.to_vkey())
    }

    /// The verifier of the log's checkpoints.
    pub fn verifier(&self) -> AppResult<Verifier> {
        Ok(self.keys()?.signer.verifier())
    }

    /// The public name of an actor: the organization of its staff, else a keyed pseudonym.
    async fn actor_label(&self, user: Option<&User>) -> AppResult<String> {
        let Some(user) = user else {
            return Ok("anonymous".into());
        };
        if let Some(org_id) = &user.org_id {
            let cached = self.org_names.lock().unwrap().get(org_id).cloned();
            let name = match cached {
                Some(n) => n,
                None => {
                    let name = self.store.get_org(org_id).await?.name;
                    self.org_names
                        .lock()
                        .unwrap()
                        .insert(org_id.clone(), name.clone());
                    name
                }
            };
            return Ok(format!("org:{name}"));
        }
        Ok(format!("user:{}", self.pseudonym(&user.id)?))
    }

    /// The keyed pseudonym of a user id: HMAC-SHA-256 under a secret that never leaves the data
    /// directory, truncated to 16 bytes.
    pub fn pseudonym(&self, user_id: &str) -> AppResult<String> {
        let key = &self.keys()?.pseudonym_key;
        Ok(hex::encode(
            &keys::hmac_sha256(key, user_id.as_bytes())[..16],
        ))
    }

    /// Appends an event and returns its index once it is durable (`None` only when appends are
    /// switched off).
    pub async fn append(&self, event: Event<'_>) -> AppResult<Option<u64>> {
        let Some(writer) = &self.writer else {
            return Ok(None);
        };
        let now = crate::clock::now_ms();
        let detail = json!({
            "user_id": event.actor.map(|u| u.id.as_str()),
            "username": event.actor.map(|u| u.username.as_str()),
            "role": event.actor.map(|u| u.role.code()),
            "client": event.client.map(|c| c.to_string()),
            "event": event.detail,
        })
        .to_string();
        let mut salt = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut salt);
        let leaf = Leaf {
            v: LEAF_VERSION,
            time: crate::clock::rfc3339_ms(now),
            kind: event.kind,
            dataset: event.dataset.map(str::to_string),
            actor: self.actor_label(event.actor).await?,
            purpose: event.purpose.map(|p| p.code().to_string()),
            rows: event.rows,
            digest: event.digest,
            commitment: commitment(&salt, &detail),
        };
        let data = leaf.to_line();
        let entry = NewLogEntry {
            kind: event.kind.code().to_string(),
            dataset: leaf.dataset.clone(),
            rows: leaf.rows.map_or(0, |r| r as i64),
            created_at: now,
            salt: hex::encode(salt),
            detail,
            data,
        };
        writer.append(entry).await.map(Some).map_err(|e| {
            AppError::new(
                Code::Unavailable,
                format!("The access log could not record this request, so it was not carried out ({e}). Please try again."),
            )
        })
    }

    /// The number of leaves.
    pub async fn size(&self) -> AppResult<u64> {
        Ok(self.store.log_size().await? as u64)
    }

    /// Reads stored hashes by stored index.
    async fn read(&self, indexes: &[u64]) -> AppResult<Vec<Hash>> {
        let ids: Vec<i64> = indexes.iter().map(|&i| i as i64).collect();
        Ok(self
            .store
            .log_hashes(&ids)
            .await?
            .into_iter()
            .map(Hash)
            .collect())
    }

    /// The root of the tree of the first `size` leaves.
    pub async fn root(&self, size: u64) -> AppResult<Hash> {
        let reads = self
            .read(&tlog::tree::root_reads(size).map_err(AppError::internal)?)
            .await?;
        tlog::tree::root(size, &reads).map_err(AppError::internal)
    }

    /// The latest checkpoint, signed (re-signed only when the log grew).
    pub async fn checkpoint(&self) -> AppResult<SignedCheckpoint> {
        let size = self.size().await?;
        if let Some(c) = self.latest.lock().unwrap().as_ref() {
            if c.checkpoint.size == size {
                return Ok(c.clone());
            }
        }
        let checkpoint = Checkpoint {
            origin: self.origin()?.to_string(),
            size,
            root: self.root(size).await?,
            extensions: Vec::new(),
        };
        let note = tlog::note::sign(&checkpoint.to_text(), &self.keys()?.signer)
            .map_err(AppError::internal)?;
        let signed = SignedCheckpoint { checkpoint, note };
        let mut latest = self.latest.lock().unwrap();
        if latest
            .as_ref()
            .is_none_or(|c| c.checkpoint.size < signed.checkpoint.size)
        {
            *latest = Some(signed.clone());
        }
        Ok(signed)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> AppResult<Vec<Hash>> {
        self.check_size(size).await?;
        if index >= size {
            return Err(range(format!(
                "`index` ({index}) must be less than `tree_size` ({size})."
            )));
        }
        let reads = self
            .read(&tlog::tree::inclusion_reads(index, size).map_err(AppError::internal)?)
            .await?;
        tlog::tree::inclusion_proof(index, size, &reads).map_err(AppError::internal)
    }

    /// The consistency proof between the trees of `first` and `second` leaves.
    pub async fn consistency_proof(&self, first: u64, second: u64) -> AppResult<Vec<Hash>> {
        self.check_size(second).await?;
        if first == 0 || first > second {
            return Err(range(format!(
                "`first` ({first}) must be at least 1 and at most `second` ({second})."
            )));
        }
        let reads = self
            .read(&tlog::tree::consistency_reads(first, second).map_err(AppError::internal)?)
            .await?;
        tlog::tree::consistency_proof(first, second, &reads).map_err(AppError::internal)
    }

    async fn check_size(&self, size: u64) -> AppResult<()> {
        let current = self.size().await?;
        if size > current {
            return Err(range(format!(
                "The log has {current} entries; a tree size of {size} does not exist yet."
            )));
        }
        Ok(())
    }

    /// A receipt for leaf `index`: the leaf, its inclusion proof in the latest checkpoint, and
    /// that checkpoint signed.
    pub async fn receipt(&self, index: u64) -> AppResult<tlog::receipt::Receipt> {
        let signed = self.checkpoint().await?;
        let size = signed.checkpoint.size;
        if index >= size {
            return Err(AppError::new(
                Code::LogEntryNotFound,
                format!("The log has {size} entries; there is no entry {index}."),
            ));
        }
        let leaf = self.entry(index).await?;
        Ok(tlog::receipt::Receipt {
            origin: self.origin()?.to_string(),
            index,
            leaf: leaf.data,
            tree_size: size,
            proof: self.inclusion_proof(index, size).await?,
            checkpoint: signed.note,
        })
    }

    /// Leaf `index`, or `log_entry_not_found`.
    pub async fn entry(&self, index: u64) -> AppResult<store::LogEntry> {
        let not_found = || {
            AppError::new(
                Code::LogEntryNotFound,
                format!("There is no log entry {index}."),
            )
        };
        // The store counts in i64: an index past that range names no entry, and must not
        // overflow on the way there.
        let start = i64::try_from(index).map_err(|_| not_found())?;
        let end = start.checked_add(1).ok_or_else(not_found)?;
        self.store
            .log_entries(start, end)
            .await?
            .pop()
            .ok_or_else(not_found)
    }

    /// Leaves `start..end` (end exclusive, cut to the log's size; `None` means 100 after start),
    /// at most [`MAX_ENTRIES`] at a time, with the tree size they were read at.
    pub async fn entries(
        &self,
        start: u64,
        end: Option<u64>,
    ) -> AppResult<(u64, Vec<store::LogEntry>)> {
        let size = self.size().await?;
        let asked = end.unwrap_or(start.saturating_add(100));
        if start > size || asked < start {
            return Err(range(format!(
                "Ask for 0 ≤ start ≤ end; the log has {size} entries (end is exclusive and is cut to the size)."
            )));
        }
        if asked - start > MAX_ENTRIES {
            return Err(range(format!(
                "Ask for at most {MAX_ENTRIES} entries at a time."
            )));
        }
        let end = asked.min(size);
        Ok((
            size,
            self.store.log_entries(start as i64, end as i64).await?,
        ))
    }

    /// The most recent leaves, newest first, at most `limit`, optionally about one dataset.
    pub async fn recent(
        &self,
        dataset: Option<&str>,
        limit: i64,
    ) -> AppResult<Vec<store::LogEntry>> {
        Ok(self.store.log_recent(dataset, limit).await?)
    }

    /// Counts of leaves per event kind and dataset, for the public log page.
    pub async fn counts(&self) -> AppResult<Vec<store::LogCount>> {
        Ok(self.store.log_counts().await?)
    }

    /// The private detail of leaf `index` for an auditor, checked against the leaf's
    /// commitment. The read is itself logged, and the answer says under which index.
    pub async fn detail(
        &self,
        reader: &User,
        client: Option<IpAddr>,
        index: u64,
    ) -> AppResult<LogDetail> {
        require_auditor(reader)?;
        let leaf_row = self.entry(index).await?;
        let stored = self.store.log_detail(index as i64).await?;
        let leaf = Leaf::parse(&leaf_row.data);
        let salt = hex::decode(&stored.salt).unwrap_or_default();
        let commitment_matches = leaf
            .as_ref()
            .is_some_and(|l| l.commitment == commitment(&salt, &stored.detail));
        let detail: Value = serde_json::from_str(&stored.detail).unwrap_or(Value::Null);
        let mut event = Event::new(EventKind::DetailRead, Some(reader));
        event.client = client;
        event.dataset = leaf.as_ref().and_then(|l| l.dataset.as_deref());
        event.detail = json!({"index": index});
        let logged_as = self.append(event).await?;
        Ok(LogDetail {
            index,
            leaf: leaf_row.data,
            detail,
            detail_text: stored.detail,
            salt: stored.salt,
            commitment_matches,
            logged_as,
        })
    }
}

/// `forbidden` unless `user` is an auditor, the only role that reads private details.
pub fn require_auditor(user: &User) -> AppResult<()> {
    if user.role == model::Role::Auditor {
        Ok(())
    } else {
        Err(AppError::new(
            Code::Forbidden,
            "Only auditors may read the private detail of log entries.",
        ))
    }
}

/// Most entries one [`AuditLog::entries`] call returns.
pub const MAX_ENTRIES: u64 = 1000;

/// The private detail of a log entry, checked against the leaf's commitment.
#[derive(Debug, Clone, Serialize)]
pub struct LogDetail {
    /// The entry's index.
    pub index: u64,
    /// The leaf's exact text.
    pub leaf: String,
    /// The detail record (user, client address, request), parsed; null if it is not JSON.
    pub detail: Value,
    /// The detail record's exact text.
    pub detail_text: String,
    /// Hex salt of the commitment.
    pub salt: String,
    /// Whether the detail matches the leaf's commitment.
    pub commitment_matches: bool,
    /// The index of the entry that logs this read.
    pub logged_as: Option<u64>,
}

fn range(message: String) -> AppError {
    AppError::new(Code::LogRange, message)
}

/// Hex SHA-256 of salt ‖ detail.
pub fn commitment(salt: &[u8], detail: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(detail.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three servers' logs on one PostgreSQL database (three pools, one key directory), each
    /// appending 40 events at once: 120 dense indexes, no two alike, and the signed root is the
    /// root of the leaves as stored. Runs when `GONGSHU_TEST_DATABASE_URL` names a server (CI
    /// sets it), in a database of its own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn several_servers_append_to_one_log_on_postgres() {
        testkit::with_postgres("gongshu_nodes", |url| async move {
            let keys = tempfile::tempdir().unwrap();
            // The nodes start at once: the migrations run once, under their lock.
            let stores = futures::future::try_join_all((0..3).map(|_| store::connect(&url)))
                .await
                .unwrap();
            let logs: Vec<std::sync::Arc<AuditLog>> = stores
                .into_iter()
                .map(|s| {
                    std::sync::Arc::new(AuditLog::open(keys.path(), "test.example/log", s).unwrap())
                })
                .collect();
            let mut tasks = Vec::new();
            for log in &logs {
                for _ in 0..40 {
                    let log = std::sync::Arc::clone(log);
                    tasks.push(tokio::spawn(async move {
                        log.append(Event::new(EventKind::Query, None))
                            .await
                            .unwrap()
                            .unwrap()
                    }));
                }
            }
            let mut indexes = Vec::new();
            for t in tasks {
                indexes.push(t.await.unwrap());
            }
            indexes.sort_unstable();
            assert_eq!(indexes, (0..120).collect::<Vec<u64>>());

            let signed = logs[2].checkpoint().await.unwrap();
            assert_eq!(signed.checkpoint.size, 120);
            let mut tree = tlog::tree::TreeBuilder::new();
            while tree.size() < 120 {
                let (_, entries) = logs[0].entries(tree.size(), Some(120)).await.unwrap();
                assert!(!entries.is_empty());
                for e in entries {
                    tree.push(tlog::leaf_hash(e.data.as_bytes()));
                }
            }
            assert_eq!(tree.size(), 120);
            assert_eq!(tree.root(), signed.checkpoint.root);
        })
        .await;
    }

    #[test]
    fn the_commitment_binds_salt_and_detail() {
        let a = commitment(&[1; 32], "{}");
        assert_eq!(a.len(), 64);
        assert_ne!(a, commitment(&[2; 32], "{}"));
        assert_ne!(a, commitment(&[1; 32], "{ }"));
    }
}
