//! The verifiable access log (DESIGN.md C7): every data access, application and grant decision,
//! classification change and points redemption appends a leaf to a Merkle tree log.
//!
//! [`AuditLog::append`] builds the public [`Leaf`] and the private detail record, hands both to
//! the group-commit writer ([`writer`]) and returns the leaf's index once the leaf is durable.
//! Callers send their response only after that, carrying the index as a receipt. Checkpoints are
//! C2SP signed notes made on demand with the log's Ed25519 key, which [`keys`] creates at first
//! start in the data directory.

mod keys;
pub mod routes;
mod writer;

use crate::error::{ApiError, ApiResult, Code};
use model::application::PurposeCategory;
use model::log::{EventKind, Leaf, LEAF_VERSION};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Mutex;
use store::{DynStore, NewLogEntry, User};
use tlog::checkpoint::Checkpoint;
use tlog::note::{Signer, Verifier};
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

/// The log of a running server.
pub struct AuditLog {
    store: DynStore,
    signer: Signer,
    pseudonym_key: [u8; 32],
    /// `None` when logging is switched off, which only the benchmark harness does.
    writer: Option<writer::Handle>,
    latest: Mutex<Option<SignedCheckpoint>>,
    org_names: Mutex<HashMap<String, String>>,
}

impl AuditLog {
    /// Opens the log of `data_dir`: loads its keys (making them at first start, named `origin`)
    /// and starts the writer.
    pub fn open(data_dir: &Path, origin: &str, store: DynStore) -> anyhow::Result<AuditLog> {
        let keys = keys::load_or_create(data_dir, origin)?;
        Ok(AuditLog {
            writer: Some(writer::spawn(store.clone())),
            store,
            signer: keys.signer,
            pseudonym_key: keys.pseudonym_key,
            latest: Mutex::new(None),
            org_names: Mutex::new(HashMap::new()),
        })
    }

    /// The same log with appends switched off: for the benchmark harness that measures what
    /// logging costs, never for a server.
    pub fn without_appends(mut self) -> AuditLog {
        self.writer = None;
        self
    }

    /// The log's name (the checkpoint origin and the key name).
    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    /// The verifier key, in the signed-note format (`name+id+key`).
    pub fn vkey(&self) -> String {
        self.verifier().to_vkey()
    }

    /// The verifier of the log's checkpoints.
    pub fn verifier(&self) -> Verifier {
        self.signer.verifier()
    }

    /// The public name of an actor: the organization of its staff, else a keyed pseudonym.
    async fn actor_label(&self, user: Option<&User>) -> ApiResult<String> {
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
        Ok(format!("user:{}", self.pseudonym(&user.id)))
    }

    /// The keyed pseudonym of a user id: HMAC-SHA-256 under a secret that never leaves the data
    /// directory, truncated to 16 bytes.
    pub fn pseudonym(&self, user_id: &str) -> String {
        hex::encode(&keys::hmac_sha256(&self.pseudonym_key, user_id.as_bytes())[..16])
    }

    /// Appends an event and returns its index once it is durable (`None` only when appends are
    /// switched off).
    pub async fn append(&self, event: Event<'_>) -> ApiResult<Option<u64>> {
        let Some(writer) = &self.writer else {
            return Ok(None);
        };
        let now = crate::auth::now_ms();
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
            time: rfc3339_ms(now),
            kind: event.kind,
            dataset: event.dataset.map(str::to_string),
            actor: self.actor_label(event.actor).await?,
            purpose: event.purpose.map(|p| p.code().to_string()),
            rows: event.rows,
            commitment: commitment(&salt, &detail),
        };
        let data = leaf.to_line();
        let entry = NewLogEntry {
            kind: event.kind.code().to_string(),
            dataset: leaf.dataset.clone(),
            created_at: now,
            salt: hex::encode(salt),
            detail,
            data,
        };
        writer.append(entry).await.map(Some).map_err(|e| {
            ApiError::new(
                Code::Unavailable,
                format!("The access log could not record this request, so it was not carried out ({e}). Please try again."),
            )
        })
    }

    /// The number of leaves.
    pub async fn size(&self) -> ApiResult<u64> {
        Ok(self.store.log_size().await? as u64)
    }

    /// Reads stored hashes by stored index.
    async fn read(&self, indexes: &[u64]) -> ApiResult<Vec<Hash>> {
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
    pub async fn root(&self, size: u64) -> ApiResult<Hash> {
        let reads = self
            .read(&tlog::tree::root_reads(size).map_err(ApiError::internal)?)
            .await?;
        tlog::tree::root(size, &reads).map_err(ApiError::internal)
    }

    /// The latest checkpoint, signed (re-signed only when the log grew).
    pub async fn checkpoint(&self) -> ApiResult<SignedCheckpoint> {
        let size = self.size().await?;
        if let Some(c) = self.latest.lock().unwrap().as_ref() {
            if c.checkpoint.size == size {
                return Ok(c.clone());
            }
        }
        let checkpoint = Checkpoint {
            origin: self.origin().to_string(),
            size,
            root: self.root(size).await?,
            extensions: Vec::new(),
        };
        let note =
            tlog::note::sign(&checkpoint.to_text(), &self.signer).map_err(ApiError::internal)?;
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
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> ApiResult<Vec<Hash>> {
        self.check_size(size).await?;
        if index >= size {
            return Err(range(format!(
                "`index` ({index}) must be less than `tree_size` ({size})."
            )));
        }
        let reads = self
            .read(&tlog::tree::inclusion_reads(index, size).map_err(ApiError::internal)?)
            .await?;
        tlog::tree::inclusion_proof(index, size, &reads).map_err(ApiError::internal)
    }

    /// The consistency proof between the trees of `first` and `second` leaves.
    pub async fn consistency_proof(&self, first: u64, second: u64) -> ApiResult<Vec<Hash>> {
        self.check_size(second).await?;
        if first == 0 || first > second {
            return Err(range(format!(
                "`first` ({first}) must be at least 1 and at most `second` ({second})."
            )));
        }
        let reads = self
            .read(&tlog::tree::consistency_reads(first, second).map_err(ApiError::internal)?)
            .await?;
        tlog::tree::consistency_proof(first, second, &reads).map_err(ApiError::internal)
    }

    async fn check_size(&self, size: u64) -> ApiResult<()> {
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
    pub async fn receipt(&self, index: u64) -> ApiResult<tlog::receipt::Receipt> {
        let signed = self.checkpoint().await?;
        let size = signed.checkpoint.size;
        if index >= size {
            return Err(ApiError::new(
                Code::LogEntryNotFound,
                format!("The log has {size} entries; there is no entry {index}."),
            ));
        }
        let leaf = self.entry(index).await?;
        Ok(tlog::receipt::Receipt {
            origin: self.origin().to_string(),
            index,
            leaf: leaf.data,
            tree_size: size,
            proof: self.inclusion_proof(index, size).await?,
            checkpoint: signed.note,
        })
    }

    /// Leaf `index`, or `log_entry_not_found`.
    pub async fn entry(&self, index: u64) -> ApiResult<store::LogEntry> {
        let not_found = || {
            ApiError::new(
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

    /// The store the log keeps its rows in.
    pub fn store(&self) -> &DynStore {
        &self.store
    }
}

fn range(message: String) -> ApiError {
    ApiError::new(Code::LogRange, message)
}

/// Hex SHA-256 of salt ‖ detail.
pub fn commitment(salt: &[u8], detail: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(detail.as_bytes());
    hex::encode(h.finalize())
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-27T08:00:00.123Z`.
pub fn rfc3339_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_with_milliseconds() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_795_766_400_123), "2026-11-27T08:00:00.123Z");
    }

    #[test]
    fn the_commitment_binds_salt_and_detail() {
        let a = commitment(&[1; 32], "{}");
        assert_eq!(a.len(), 64);
        assert_ne!(a, commitment(&[2; 32], "{}"));
        assert_ne!(a, commitment(&[1; 32], "{ }"));
    }
}
