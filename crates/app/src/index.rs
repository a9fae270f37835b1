//! Keeps the search indexes (`<data dir>/search/`) in step with the catalog and the data demands.
//! Every catalog change refreshes the dataset's document through the catalog's books, and every
//! change to a demand refreshes the demand's; a refresh that fails is logged and marks the index
//! stale, so the next start rebuilds it from the store (the store is the truth, the index only a
//! view). `gongshu reindex` rebuilds on demand. Demands live in an index of their own with the
//! same analysis (Chinese words, pinyin of titles), so a search finds them as it finds datasets.
//!
//! Each server of a deployment holds its own index. Every change is also recorded in the store's
//! catalog change feed ([`announce`]), and every server applies the feed's new changes to its
//! own index twice a second ([`crate::follow_catalog_changes`]), except those it announced
//! itself, so a change made on one server (or by a command beside it) is found on all of them
//! within a second. Positions are handed out before commit, so a hole in the feed is waited for
//! a while before it is taken to be a rolled-back change.

use crate::records::{self, Record};
use std::path::{Path, PathBuf};
use store::DynStore;

/// File whose presence means the index may miss changes.
const STALE: &str = "STALE";
/// The file in which an index keeps the change-feed position up to which it has applied every
/// change ([`crate::follow_catalog_changes`]).
const FEED_POSITION: &str = "FEED";

/// The search indexes of the catalog and of the demands, and where they live.
pub struct CatalogIndex {
    index: search::SearchIndex,
    demands: search::SearchIndex,
    dir: PathBuf,
    /// Positions of changes this server announced after applying them itself, so that reading
    /// them back from the feed does not apply them twice.
    own: std::sync::Mutex<std::collections::HashSet<i64>>,
}

/// A demand as the index sees it: the target department's slug as its organization, the
/// department's title or the theme as text, the wanted fields as tags.
fn demand_document(d: &store::Demand, orgs: &[store::Organization]) -> search::CatalogDoc {
    let (organization, organization_title, themes) = match &d.target {
        model::demand::Target::Department(id) => {
            let org = orgs.iter().find(|o| &o.id == id);
            (
                org.map(|o| o.name.clone()).unwrap_or_default(),
                org.map(|o| o.title.clone()).unwrap_or_default(),
                Vec::new(),
            )
        }
        model::demand::Target::Theme(t) => (String::new(), t.clone(), vec![t.clone()]),
    };
    search::CatalogDoc {
        id: d.id.clone(),
        name: d.id.clone(),
        title: d.title.clone(),
        notes: d.description.clone(),
        organization,
        organization_title,
        tags: d.fields.clone(),
        themes,
        opening_type: d.status.code().into(),
        modified: d.modified_at,
        created: d.created_at,
        ..search::CatalogDoc::default()
    }
}

/// Every demand but merged duplicates, page by page.
async fn all_demands(store: &DynStore) -> anyhow::Result<Vec<store::Demand>> {
    const PAGE: i64 = 1000;
    let mut out = Vec::new();
    loop {
        let (page, total) = store
            .list_demands(&store::DemandFilter {
                sort: store::DemandSort::Newest,
                offset: out.len() as i64,
                limit: PAGE,
                ..Default::default()
            })
            .await?;
        let done = page.is_empty();
        out.extend(page);
        if done || out.len() as i64 >= total {
            return Ok(out);
        }
    }
}

/// Opens the index in `dir`, starting afresh when it is damaged.
fn open_or_reset(dir: &Path) -> anyhow::Result<search::SearchIndex> {
    match search::SearchIndex::open(dir) {
        Ok(i) => Ok(i),
        Err(search::SearchError::Damaged(why)) => {
            tracing::warn!(
                "the search index in {} is damaged ({why}); rebuilding it",
                dir.display()
            );
            std::fs::remove_dir_all(dir)?;
            Ok(search::SearchIndex::open(dir)?)
        }
        Err(e) => Err(e.into()),
    }
}

fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search")
}

/// Marks the index of `data_dir` stale, for a writer that could not update it (the CLI while
/// the server holds the index).
pub fn mark_stale(data_dir: &Path) {
    let dir = index_dir(data_dir);
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(STALE), b"");
}

/// Marks the index of `data_dir` stale unless it has applied every change of the feed up to
/// `head`: a server that was stopped while others changed the catalog rebuilds its index at
/// start, even where the number of datasets stayed the same (a retitle, a new version).
pub fn mark_stale_if_behind(data_dir: &Path, head: i64) {
    let saved = std::fs::read_to_string(index_dir(data_dir).join(FEED_POSITION))
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok());
    if saved.is_none_or(|position| position < head) {
        mark_stale(data_dir);
    }
}

/// A dataset as the index sees it.
pub fn document(record: &Record) -> search::CatalogDoc {
    let d = &record.dataset;
    search::CatalogDoc {
        id: d.id.clone(),
        name: d.name.clone(),
        title: d.meta.title.clone(),
        notes: d.meta.description.clone(),
        organization: record.org.name.clone(),
        organization_title: record.org.title.clone(),
        tags: d.meta.tags.clone(),
        themes: d.meta.themes.clone(),
        formats: record.formats(),
        opening_type: d.meta.opening_type.code().into(),
        grade: d.grade.code().into(),
        domain: d.meta.domain.code().into(),
        modified: d.modified_at,
        created: d.created_at,
        // The CKAN package dict rides along, so package_search reads nothing else.
        payload: records::package_dict(record).to_string(),
    }
}

impl CatalogIndex {
    /// Opens the index of `data_dir`, rebuilding it from the store when it is missing, damaged,
    /// marked stale, or holds a different number of datasets than the store.
    pub async fn open(data_dir: &Path, store: &DynStore) -> anyhow::Result<CatalogIndex> {
        let dir = index_dir(data_dir);
        std::fs::create_dir_all(&dir)?;
        let stale = dir.join(STALE).exists();
        let index = open_or_reset(&dir.join("index"))?;
        let demands = open_or_reset(&dir.join("demands"))?;
        let this = CatalogIndex {
            index,
            demands,
            dir,
            own: Default::default(),
        };
        let (_, demand_total) = store
            .list_demands(&store::DemandFilter {
                limit: 1,
                ..Default::default()
            })
            .await?;
        if stale || this.demands.len() != demand_total as u64 {
            let n = this.rebuild_demands(store).await?;
            tracing::info!(demands = n, "demand search index rebuilt");
        }
        let (_, total) = store
            .list_datasets(&store::DatasetFilter {
                limit: 1,
                ..Default::default()
            })
            .await?;
        if stale || this.index.len() != total as u64 {
            let n = this.rebuild(store).await?;
            tracing::info!(
                datasets = n,
                segments = this.index.segment_count(),
                "search index rebuilt"
            );
        }
        Ok(this)
    }

    /// Remembers that every change of the feed up to `position` is applied (written whole, by a
    /// rename). A failure only costs a rebuild at the next start.
    pub(crate) fn save_feed_position(&self, position: i64) {
        let temp = self.dir.join(format!("{FEED_POSITION}.tmp"));
        if std::fs::write(&temp, position.to_string()).is_ok() {
            let _ = std::fs::rename(&temp, self.dir.join(FEED_POSITION));
        }
    }

    /// Replaces the whole index with the store's catalog; returns the number of datasets.
    pub async fn rebuild(&self, store: &DynStore) -> anyhow::Result<usize> {
        let docs: Vec<search::CatalogDoc> = records::all_records(store)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?
            .iter()
            .map(document)
            .collect();
        let n = docs.len();
        self.index.rebuild(docs)?;
        let _ = std::fs::remove_file(self.dir.join(STALE));
        Ok(n)
    }

    /// Brings one dataset's document up to date (or removes it when the dataset is gone). Never
    /// fails: a failure is logged and marks the index stale.
    pub async fn refresh(&self, store: &DynStore, dataset_id: &str) {
        let outcome = match store.get_dataset(dataset_id).await {
            Ok(d) => match Record::load(store, d).await {
                Ok(record) => self
                    .index
                    .upsert(document(&record))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.message),
            },
            Err(store::StoreError::NotFound) => {
                self.index.delete(dataset_id).map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = outcome {
            tracing::error!(dataset_id, "search index update failed, marked stale: {e}");
            let _ = std::fs::write(self.dir.join(STALE), b"");
        }
    }

    /// Replaces the whole demand index with the store's demands; returns how many.
    pub async fn rebuild_demands(&self, store: &DynStore) -> anyhow::Result<usize> {
        let orgs = store.list_orgs().await?;
        let docs: Vec<search::CatalogDoc> = all_demands(store)
            .await?
            .iter()
            .map(|d| demand_document(d, &orgs))
            .collect();
        let n = docs.len();
        self.demands.rebuild(docs)?;
        Ok(n)
    }

    /// Brings one demand's document up to date: merged duplicates leave the index. Never fails:
    /// a failure is logged and marks the indexes stale.
    pub async fn refresh_demand(&self, store: &DynStore, demand: &store::Demand) {
        let outcome = if demand.status == model::demand::DemandStatus::Merged {
            self.demands.delete(&demand.id).map_err(|e| e.to_string())
        } else {
            match store.list_orgs().await {
                Ok(orgs) => self
                    .demands
                    .upsert(demand_document(demand, &orgs))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        };
        if let Err(e) = outcome {
            tracing::error!(demand_id = %demand.id, "demand index update failed, marked stale: {e}");
            let _ = std::fs::write(self.dir.join(STALE), b"");
        }
    }

    /// Searches the demands.
    pub fn search_demands(
        &self,
        q: &search::SearchQuery,
    ) -> Result<search::SearchResult, search::SearchError> {
        self.demands.search(q)
    }

    /// Searches the catalog.
    pub fn search(
        &self,
        q: &search::SearchQuery,
    ) -> Result<search::SearchResult, search::SearchError> {
        self.index.search(q)
    }

    /// Documents in the index.
    pub fn len(&self) -> u64 {
        self.index.len()
    }
}

/// The change feed's kind for a dataset.
pub(crate) const DATASET: &str = "dataset";
/// The change feed's kind for a demand.
pub(crate) const DEMAND: &str = "demand";
/// How long a hole in the feed is waited for: a change whose position was taken but not yet
/// committed (PostgreSQL hands out positions before commit) fills it within this time, and a
/// rolled-back one never does.
pub(crate) const GAP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Records a change in the feed that every server's index follows; `applied` is this process's
/// index when it has applied the change already. A failure is logged: this server's index is
/// already up to date, and the others catch up at their next rebuild.
pub(crate) async fn announce(
    store: &DynStore,
    applied: Option<&CatalogIndex>,
    kind: &str,
    id: &str,
) {
    match store
        .record_catalog_change(kind, id, crate::clock::now_ms())
        .await
    {
        Ok(seq) => {
            if let Some(index) = applied {
                index.own().insert(seq);
            }
        }
        Err(e) => tracing::warn!(
            kind,
            id,
            "catalog change not announced to other servers: {e}"
        ),
    }
}

impl CatalogIndex {
    fn own(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<i64>> {
        self.own.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the change at `seq` was announced by this server, which applied it already (and
    /// forgets it: a position comes back from the feed once).
    pub(crate) fn announced_here(&self, seq: i64) -> bool {
        self.own().remove(&seq)
    }
}
