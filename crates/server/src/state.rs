//! Shared state of a running server.

use crate::auth::Throttle;
use crate::config::Config;
use std::path::PathBuf;
use std::sync::Arc;
use store::DynStore;

/// Everything handlers share.
pub struct AppState {
    /// Settings in force.
    pub config: Config,
    /// The metadata store.
    pub store: DynStore,
    /// Failed-login counters.
    pub throttle: Throttle,
    /// The query engine with its limits; every read goes through [`crate::dataservice`].
    pub engine: query::Engine,
    /// The verifiable access log (C7).
    pub log: crate::audit::AuditLog,
    /// Prometheus metrics.
    pub metrics: crate::metrics::Metrics,
    /// The catalog's search index.
    pub search: crate::interop::index::CatalogIndex,
    /// Limits for ingest.
    pub limits: ingest::Limits,
}

/// Handle passed to handlers.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// The store and the log, for catalog changes.
    pub fn books(&self) -> crate::catalog::Books<'_> {
        crate::catalog::Books {
            store: &self.store,
            log: &self.log,
            search: Some(&self.search),
        }
    }

    /// Directory of Parquet versions.
    pub fn data_dir(&self) -> &PathBuf {
        &self.config.data_dir
    }
}
