//! The running platform: what every use case works with.

use crate::audit::AuditLog;
use crate::books::Books;
use crate::config::Config;
use crate::index::CatalogIndex;
use crate::metrics::Metrics;
use crate::throttle::Throttle;
use std::path::Path;
use store::DynStore;

/// The running platform: settings, the metadata store, the query engine, the access log, the
/// search index, ingest limits and the metrics registry. Built by [`App::start`] for a server or
/// [`App::open_tool`] for a command beside one; the use-case modules are its only users of the
/// store, the engine and the log.
pub struct App {
    /// Settings in force, with every path absolute and normalised.
    pub(crate) config: Config,
    /// The metadata store.
    pub(crate) store: DynStore,
    /// The query engine with its limits; every read goes through [`crate::dataservice`].
    pub(crate) engine: query::Engine,
    /// Where versions, photos and attachments are kept.
    pub(crate) files: crate::files::Files,
    /// The verifiable access log (C7).
    pub(crate) log: AuditLog,
    /// The catalog's search index, when this process holds it (a command beside a running
    /// server does not: it marks the index stale, and the server rebuilds it at its next start).
    pub(crate) search: Option<CatalogIndex>,
    /// Limits for ingest.
    pub(crate) limits: ingest::Limits,
    /// Prometheus metrics of this instance.
    pub(crate) metrics: Metrics,
    /// Failed-login counters.
    pub(crate) throttle: Throttle,
    /// The demand statistics as last computed.
    pub(crate) demand_stats: crate::stats_cache::StatsCache<crate::demand_stats::DemandStats>,
    /// The clean room's pseudonym key, loaded (or made) at first use.
    pub(crate) cleanroom_key: std::sync::OnceLock<std::sync::Arc<query::PseudonymKey>>,
    /// The feedback statistics as last computed.
    pub(crate) feedback_stats: crate::stats_cache::StatsCache<crate::feedback_stats::FeedbackStats>,
    /// Open311's request lists as last sent, by request ([`crate::feedback::cached_answer`]).
    pub(crate) feedback_answers: crate::stats_cache::KeyedCache<crate::stats_cache::Rendered>,
    /// Catalog harvests (month, dataset slug, kind) counted since the last flush
    /// ([`crate::harvests`]).
    pub(crate) harvests: crate::tally::Tally<(i64, String, &'static str)>,
    /// The catalog change feed's position when the search index was opened: the index follows
    /// changes after it ([`crate::follow_catalog_changes`]).
    pub(crate) feed_start: i64,
}

impl App {
    /// Settings in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The metrics registry, for the server to record requests in.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The access log: checkpoints, proofs, receipts and entries.
    pub fn log(&self) -> &AuditLog {
        &self.log
    }

    /// The same platform sending queries to a cluster through `remote` (DESIGN.md C15): those
    /// reading at least `cluster_threshold_mb` of files and those asking for it; clean-room
    /// queries never, and every query runs here while the cluster cannot be reached.
    pub fn with_cluster(mut self, remote: std::sync::Arc<dyn query::Remote>) -> App {
        let threshold = self.config.cluster_threshold_mb.saturating_mul(1 << 20);
        self.engine = self
            .engine
            .with_cluster(query::Cluster::new(remote, threshold));
        self
    }

    /// Whether queries may run on a cluster.
    pub fn has_cluster(&self) -> bool {
        self.engine.has_cluster()
    }

    /// The engine's limits (row caps, timeout, memory).
    pub fn query_limits(&self) -> &query::Limits {
        self.engine.limits()
    }

    /// Where versions, photos and attachments are kept.
    pub fn files(&self) -> &crate::files::Files {
        &self.files
    }

    /// The data directory (absolute).
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// The store, the log and the index, for catalog changes.
    pub(crate) fn books(&self) -> Books<'_> {
        Books {
            store: &self.store,
            log: &self.log,
            search: self.search.as_ref(),
            data_dir: &self.config.data_dir,
        }
    }
}
