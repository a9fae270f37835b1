//! Keeps the search index (`<data dir>/search/`) in step with the catalog. Every catalog change
//! refreshes the dataset's document through the catalog's books; a refresh that fails is
//! logged and marks the index stale, so the next start rebuilds it from the store (the store is
//! the truth, the index only a view). `gongshu reindex` rebuilds on demand.

use crate::records::{self, Record};
use std::path::{Path, PathBuf};
use store::DynStore;

/// File whose presence means the index may miss changes.
const STALE: &str = "STALE";

/// The catalog's search index and where it lives.
pub struct CatalogIndex {
    index: search::SearchIndex,
    dir: PathBuf,
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
        let index = match search::SearchIndex::open(&dir.join("index")) {
            Ok(i) => i,
            Err(search::SearchError::Damaged(why)) => {
                tracing::warn!("the search index is damaged ({why}); rebuilding it");
                std::fs::remove_dir_all(dir.join("index"))?;
                search::SearchIndex::open(&dir.join("index"))?
            }
            Err(e) => return Err(e.into()),
        };
        let this = CatalogIndex { index, dir };
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
