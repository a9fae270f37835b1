//! The SQL implementations of [`Store`]: [`SqliteStore`] and [`PgStore`].
//!
//! Both run the same statements (see [`methods`]); they differ only in how they connect and in
//! which migrations they run (see [`crate::migrations`]).

mod activities;
mod cleanroom;
mod contribution;
mod feedback;
mod methods;
mod points;
mod quality;
mod rows;

use crate::activities::*;
use crate::cleanroom::*;
use crate::contribution::*;
use crate::feedback::*;
use crate::points::*;
use crate::quality::*;
use crate::records::*;
use crate::{Result, Store, StoreError};
use async_trait::async_trait;
use model::application::{ApplicationStatus, PurposeCategory, ReviewStep, Terms};
use model::demand::DemandStatus;
use model::feedback::FeedbackStatus;
use rows::RowExt;
use sha2::{Digest, Sha256};
use sqlx::migrate::{Migrate, MigrateError, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Database, Pool};
use std::str::FromStr;
use std::time::Duration;

/// The PostgreSQL advisory lock key of access log appends (`gongshu-log` in ASCII).
const LOG_APPEND_LOCK: i64 = 0x676f_6e67_7368_756c;

/// Rows a listing returns when the caller asks for none in particular.
const DEFAULT_PAGE: i64 = 100;

/// The metadata store in one SQLite file (WAL mode), the default for a single server.
pub(crate) struct SqliteStore {
    pool: SqlitePool,
    /// Queues the points ledger's write transactions in this process, first come first served.
    /// SQLite has one write lock, and its busy handler retries with sleeps in no order, so under
    /// many concurrent redemptions a waiting transaction could be passed over until its busy
    /// timeout and fail; behind this gate they wait their turn instead.
    gate: tokio::sync::Mutex<()>,
}

impl SqliteStore {
    /// The turn of a points ledger write (see `gate`).
    async fn gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        Some(self.gate.lock().await)
    }

    /// The turn of an access log append: nothing to take, since the append's first insert takes
    /// SQLite's one write lock and the check after it relies on that.
    async fn log_turn(&self, _tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<()> {
        Ok(())
    }

    /// Opens (creating if missing) the SQLite file named by `url` and migrates it.
    pub(crate) async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            // WAL lets readers proceed while one connection writes.
            .journal_mode(SqliteJournalMode::Wal)
            // A commit is on disk when it returns: the access log promises that a leaf is
            // durable before the response that cites it is sent.
            .synchronous(SqliteSynchronous::Full)
            // SQLite ignores foreign keys unless asked, per connection.
            .foreign_keys(true)
            // Writers queue for the single write lock instead of failing at once.
            .busy_timeout(Duration::from_secs(5))
            // Reads map the file instead of copying each page through a read call, and each
            // connection keeps 64 MiB of pages: listing a page of rows found through an index
            // touches one table page per row (bench/RESULTS.md, feedback at scale).
            .pragma("mmap_size", "1073741824")
            .pragma("cache_size", "-65536");
        // A few connections suffice: SQLite writes one at a time, and reads are fast.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        migrate(&pool, &crate::migrations::SQLITE.migrator().await?).await?;
        Ok(SqliteStore {
            pool,
            gate: tokio::sync::Mutex::new(()),
        })
    }
}

/// The metadata store in PostgreSQL, for deployments with several servers or managed databases.
pub(crate) struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// The turn of an access log append. Inserts at different indexes do not wait for each
    /// other on PostgreSQL, so several servers appending to one log take turns on a
    /// transaction-scoped advisory lock; an append whose size is stale then fails on its first
    /// insert (the index is taken) or on the check of the leaf before, never after another
    /// server's concurrent append has slipped in between.
    async fn log_turn(&self, tx: &mut sqlx::Transaction<'_, sqlx::Postgres>) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LOG_APPEND_LOCK)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// PostgreSQL locks rows, so the points ledger's writes need no gate here.
    async fn gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        None
    }

    /// Connects to the PostgreSQL database named by `url` and migrates it.
    pub(crate) async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        migrate(&pool, &crate::migrations::POSTGRES.migrator().await?).await?;
        Ok(PgStore { pool })
    }
}

methods::impl_store!(SqliteStore, "sqlite");
methods::impl_store!(PgStore, "postgres");
feedback::impl_feedback_store!(SqliteStore);
feedback::impl_feedback_store!(PgStore);
points::impl_points_store!(SqliteStore);
points::impl_points_store!(PgStore);
activities::impl_activity_store!(SqliteStore);
activities::impl_activity_store!(PgStore);
quality::impl_quality_store!(SqliteStore);
quality::impl_quality_store!(PgStore);
contribution::impl_contribution_store!(SqliteStore);
contribution::impl_contribution_store!(PgStore);
cleanroom::impl_cleanroom_store!(SqliteStore);
cleanroom::impl_cleanroom_store!(PgStore);

/// Runs the embedded migrations, after refusing a database that has migrations this build does
/// not know: an older Gongshu must not run against a schema it does not understand.
///
/// Everything happens under the migrator's lock (on PostgreSQL a session advisory lock for the
/// database, on SQLite nothing: the database file serialises writers), so several nodes starting
/// at once on one database migrate it once, one after the other; the first creates the
/// bookkeeping table, the others find it.
async fn migrate<DB: Database>(pool: &Pool<DB>, migrator: &Migrator) -> Result<()>
where
    DB::Connection: Migrate,
{
    let mut conn = pool.acquire().await?;
    conn.lock().await?;
    let outcome = migrate_locked(&mut conn, migrator).await;
    match conn.unlock().await {
        Ok(()) => outcome,
        Err(e) => {
            // A connection still holding the lock must not go back to the pool: closing it
            // releases the lock.
            drop(conn.detach());
            outcome.and(Err(e.into()))
        }
    }
}

async fn migrate_locked<DB: Database>(
    conn: &mut sqlx::pool::PoolConnection<DB>,
    migrator: &Migrator,
) -> Result<()>
where
    DB::Connection: Migrate,
{
    // Creating the bookkeeping table is what the migrator would do first anyway; it makes the
    // listing below work on a fresh database without a backend-specific "does it exist" query.
    conn.ensure_migrations_table().await?;
    let unknown = conn
        .list_applied_migrations()
        .await?
        .into_iter()
        .map(|m| m.version)
        .filter(|v| !migrator.version_exists(*v))
        .max();
    if let Some(version) = unknown {
        return Err(StoreError::NewerSchema(version));
    }
    // The migrator takes the same lock again (advisory locks nest within a session) and
    // unlocks it once when done; ours is released by the caller.
    migrator.run_direct(&mut **conn).await.map_err(|e| match e {
        MigrateError::VersionMissing(version) => StoreError::NewerSchema(version),
        e => e.into(),
    })
}

/// A fresh random id.
fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `NotFound` unless a statement touched a row.
fn found(rows_affected: u64) -> Result<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// The page size for a requested `limit` (0 or less means the default).
fn page_limit(limit: i64) -> i64 {
    if limit <= 0 {
        DEFAULT_PAGE
    } else {
        limit
    }
}

/// Maps the error of an insert or update: a unique violation becomes `Conflict` naming the first
/// of `fields` that the database mentions (`"id"` if none), and a foreign-key violation becomes
/// `NotFound`, because it means the record referred to (organization, dataset, resource, user)
/// does not exist.
fn write_error(err: sqlx::Error, fields: &[&'static str]) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        if db.is_unique_violation() {
            // PostgreSQL names the constraint (`organizations_uscc_key`); SQLite names the
            // columns (`UNIQUE constraint failed: organizations.uscc`). Both contain the column.
            let text = db.constraint().unwrap_or_else(|| db.message());
            let field = fields.iter().find(|f| text.contains(**f)).unwrap_or(&"id");
            return StoreError::Conflict((*field).to_string());
        }
        if db.is_foreign_key_violation() {
            return StoreError::NotFound;
        }
    }
    err.into()
}
