//! What the store keeps about data quality (DESIGN.md C9): each version's measures and its
//! assessment when published. The formula is [`model::quality`]'s; the store only keeps.

use crate::Result;
use async_trait::async_trait;
use model::quality::{Assessment, VersionMeasures};
use serde::Serialize;

/// The quality of one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionQuality {
    /// The version.
    pub version_id: String,
    /// Its dataset.
    pub dataset_id: String,
    /// Its resource.
    pub resource_id: String,
    /// Rows.
    pub rows: i64,
    /// When measured (the version's publication), Unix ms.
    pub measured_at: i64,
    /// Score 0–100 when published.
    pub score: f64,
    /// Letter A–E.
    pub letter: String,
    /// What ingest measured.
    pub measures: VersionMeasures,
    /// The assessment when published.
    pub assessment: Assessment,
}

/// The store's quality records.
#[async_trait]
pub trait QualityStore: Send + Sync {
    /// Records a version's quality; `Conflict("version_id")` if it has one.
    async fn put_version_quality(&self, q: &VersionQuality) -> Result<()>;
    /// Every version's quality of a dataset, oldest first.
    async fn dataset_quality_history(&self, dataset_id: &str) -> Result<Vec<VersionQuality>>;
    /// The latest version's quality of each resource of a dataset.
    async fn latest_quality(&self, dataset_id: &str) -> Result<Vec<VersionQuality>>;
    /// Versions without a quality record, oldest first: (dataset id, version id).
    async fn versions_without_quality(&self) -> Result<Vec<(String, String)>>;
    /// Sets the dataset's current score (`None`: not measured).
    async fn set_quality_score(&self, dataset_id: &str, score: Option<f64>) -> Result<()>;
}
