//! What a change to the catalog needs: the store, the log that records every classification
//! change (C7), and the search index to keep in step. Pairing them in one value means no caller
//! can change a grade without logging it.

use crate::audit::{AuditLog, Event};
use crate::error::AppResult;
use crate::index::CatalogIndex;
use model::log::EventKind;
use std::path::Path;
use store::{Dataset, DynStore, User};

/// What catalog changes need: the store, and the log that records every classification change
/// (C7).
#[derive(Clone, Copy)]
pub(crate) struct Books<'a> {
    /// The metadata store.
    pub(crate) store: &'a DynStore,
    /// The access log.
    pub(crate) log: &'a AuditLog,
    /// The search index, when this process holds it (a command beside a server does not: then
    /// a change marks the index stale and the server rebuilds it at its next start).
    pub(crate) search: Option<&'a CatalogIndex>,
    /// The data directory, where the index lives.
    pub(crate) data_dir: &'a Path,
}

impl Books<'_> {
    /// Brings the search index up to date for a dataset that changed or was deleted, and tells
    /// the other servers' indexes through the change feed.
    pub(crate) async fn refresh(self, dataset_id: &str) {
        match self.search {
            Some(index) => index.refresh(self.store, dataset_id).await,
            None => crate::index::mark_stale(self.data_dir),
        }
        crate::index::announce(self.store, self.search, crate::index::DATASET, dataset_id).await;
    }

    /// Logs a classification event about `dataset`.
    pub(crate) async fn log(
        self,
        kind: EventKind,
        actor: Option<&User>,
        dataset: &Dataset,
        detail: serde_json::Value,
    ) -> AppResult<()> {
        let mut event = Event::new(kind, actor);
        event.dataset = Some(&dataset.name);
        event.detail = detail;
        self.log.append(event).await?;
        Ok(())
    }
}
