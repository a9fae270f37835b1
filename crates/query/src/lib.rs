//! The Gongshu query service (DESIGN.md C5): every way data leaves a Parquet version goes
//! through here, and the access decision is applied to the query plan itself.
//!
//! For each request the [`Engine`] builds a fresh DataFusion session with a memory limit and no
//! way to reach files: no information schema, no URL tables, no file formats or table
//! factories, and of the table functions only `generate_series` and `range`. Each
//! [`PolicyTable`] the caller passes becomes one table of that session, a policy view:
//!
//! 1. the Parquet file is read,
//! 2. the decision's row filter is applied,
//! 3. raw columns pass as they are, masked columns pass through a masking function and keep
//!    their name, and every other column is not projected at all.
//!
//! The view is planned on its own and sealed behind an execution node that lets no filter of the
//! caller's query pass below it, so a user's expression is only ever evaluated on rows that
//! already passed the row filter and on values that are already masked. No expression,
//! subquery, join, cast or function can reach a raw value or a row outside the filter, not even
//! through an error raised while evaluating it. Only predicates that cannot fail (a column
//! compared with a literal of its own type, `IN`, `LIKE`, `IS NULL`) are also copied into the
//! view, after the mask, so that Parquet statistics can still prune.
//!
//! The crate knows nothing about HTTP or the metadata database: it takes Parquet locations and
//! decisions, and returns Arrow data ([`Rows`], [`RowStream`]) or encoded bytes ([`export`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod blooms;
mod bound;
mod cleanroom;
mod conditions;
mod entities;
mod error;
pub mod export;
mod groups;
mod keyed;
mod location;
mod policy;
mod ranges;
pub mod remote;
mod rest;
mod rows;
mod sql;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use cleanroom::{CleanRoomQuery, CleanRoomRows, CleanRoomTable, Noise};
pub use error::QueryError;
pub use keyed::copies_of as keyed_copies_of;
pub use location::Location;
pub use policy::PseudonymKey;
pub use remote::{Cluster, Placement, Preference, Remote, RemoteError};
pub use rest::{AggFunc, AggregateQuery, Metric, RestQuery, SortKey, DEFAULT_LIMIT};
pub use rows::{ColumnMeta, RowStream, Rows};

/// The limits every query runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Memory one query may hold in its operators (sorts, aggregates, joins), in bytes.
    pub memory_bytes: usize,
    /// Time one query may take, planning included; downloads get ten times as long.
    pub timeout: Duration,
    /// Most rows one API response may hold.
    pub max_rows: usize,
    /// Most rows one download may hold.
    pub max_download_rows: u64,
}

impl Default for Limits {
    /// 256 MiB, 30 s, 10,000 rows, 5,000,000 download rows.
    fn default() -> Self {
        Limits {
            memory_bytes: 256 * 1024 * 1024,
            timeout: Duration::from_secs(30),
            max_rows: 10_000,
            max_download_rows: 5_000_000,
        }
    }
}

impl Limits {
    /// The time a download may take: ten times the query timeout.
    pub fn download_timeout(&self) -> Duration {
        self.timeout.saturating_mul(10)
    }
}

/// One table of a request: a Parquet version and what the caller may see of it.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyTable {
    /// The name the query uses for it (exact: SQL folds unquoted names to lower case).
    pub name: String,
    /// The Parquet file of the version.
    pub parquet: Location,
    /// The access decision for this caller, mode and dataset.
    pub decision: model::access::Decision,
}

/// The query engine: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct Engine {
    limits: Limits,
    keyed: Option<Arc<keyed::KeyedCopies>>,
    caches: policy::SharedCaches,
    cluster: Option<Arc<Cluster>>,
    preference: Preference,
}

impl Engine {
    /// An engine enforcing `limits` on every query.
    pub fn new(limits: Limits) -> Engine {
        Engine {
            limits,
            keyed: None,
            caches: policy::SharedCaches::new(),
            cluster: None,
            preference: Preference::Auto,
        }
    }

    /// The same engine sending queries to `cluster` when they are large enough or ask for it
    /// (see [`remote`]). Clean-room queries always run here.
    pub fn with_cluster(mut self, cluster: Cluster) -> Engine {
        self.cluster = Some(Arc::new(cluster));
        self
    }

    /// Whether the engine has a cluster.
    pub fn has_cluster(&self) -> bool {
        self.cluster.is_some()
    }

    /// The same engine, for one request, with the caller's wish for where its queries run.
    pub fn placed(&self, preference: Preference) -> Engine {
        Engine {
            preference,
            ..self.clone()
        }
    }

    /// The same engine keeping clean-room keyed copies of versions (their join keys and entity
    /// columns already pseudonymised) in `dir`, written at first use and read by later clean-room
    /// queries instead of pseudonymising every value again. Without it every clean-room query
    /// pseudonymises in its plan. The caller removes a version's copies with the version
    /// ([`keyed_copies_of`]).
    pub fn with_keyed_copies(mut self, dir: PathBuf) -> Engine {
        self.keyed = Some(Arc::new(keyed::KeyedCopies::new(dir)));
        self
    }

    /// The same engine reading the objects under `base` (`s3://bucket`, say) from `store`. Files
    /// on this machine (`file://`) are read without being registered.
    pub fn with_store(
        self,
        base: &url::Url,
        store: Arc<dyn datafusion::object_store::ObjectStore>,
    ) -> Engine {
        self.caches.register_store(base, store);
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Validates `sql` (exactly one SELECT query, no table functions but `generate_series` and
    /// `range`) and returns the table names it reads, deduplicated, in order of appearance, as
    /// written after identifier normalisation (unquoted names in lower case, quoted names kept),
    /// without the names of common table expressions.
    pub fn referenced_tables(sql: &str) -> Result<Vec<String>, QueryError> {
        Ok(sql::parse(sql)?.tables)
    }

    /// Runs a read-only SQL query over `tables`.
    ///
    /// At most `max_rows` rows are returned; `truncated` says whether there were more.
    pub async fn sql(&self, tables: &[PolicyTable], sql: &str) -> Result<Rows, QueryError> {
        sql::run(self, tables, sql).await
    }

    /// Runs a clean-room query (DESIGN.md C6): one SELECT that must aggregate, checked on its
    /// plan, over views whose join keys and entity columns are pseudonymised under `key`;
    /// groups covering fewer than k entities of any table read are removed and counted, and
    /// COUNT and SUM get Laplace noise when a table read requires it.
    pub async fn cleanroom(
        &self,
        key: std::sync::Arc<PseudonymKey>,
        q: CleanRoomQuery<'_>,
    ) -> Result<CleanRoomRows, QueryError> {
        cleanroom::run(self, key, q).await
    }

    /// Runs a REST query (filters, `q`, fields, sort, distinct, offset and limit) on one table.
    pub async fn query(&self, table: &PolicyTable, q: &RestQuery) -> Result<Rows, QueryError> {
        rest::query(self, table, q).await
    }

    /// Runs an aggregate (group by and metrics) on one table.
    pub async fn aggregate(
        &self,
        table: &PolicyTable,
        a: &AggregateQuery,
    ) -> Result<Rows, QueryError> {
        rest::aggregate(self, table, a).await
    }

    /// Rows the query would return without offset and limit (for quota checks and download
    /// caps).
    pub async fn count(&self, table: &PolicyTable, q: &RestQuery) -> Result<u64, QueryError> {
        rest::count(self, table, q).await
    }

    /// The whole result of a query as a stream of record batches, for downloads.
    ///
    /// `q.limit` of `None` means every row. A result over `max_download_rows` is refused with
    /// `too_many_rows` before anything is sent when it can be known in advance, and the stream
    /// fails otherwise. The stream fails with `query_timeout` once the download timeout (ten
    /// times the query timeout) has passed, and with `query_memory` at the memory limit.
    pub async fn stream(
        &self,
        table: &PolicyTable,
        q: &RestQuery,
    ) -> Result<RowStream, QueryError> {
        rest::stream(self, table, q).await
    }
}
