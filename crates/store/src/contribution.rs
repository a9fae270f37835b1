//! What the contribution index (DESIGN.md C9) reads from the store, in a few aggregate queries
//! whatever the number of organizations and versions, and the published incentive reports. The
//! formula is [`model::contribution`]'s.

use crate::Result;
use async_trait::async_trait;
use serde::Serialize;

/// A dataset as the index sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetFact {
    /// Id.
    pub id: String,
    /// Slug (the access log names datasets by it).
    pub name: String,
    /// Owning organization.
    pub org_id: String,
    /// Declared update frequency, as written.
    pub update_frequency: String,
}

/// The latest version of a resource at a moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatestVersionFact {
    /// Its dataset.
    pub dataset_id: String,
    /// Rows.
    pub rows: i64,
    /// Its quality score when published, if measured.
    pub score: Option<f64>,
}

/// Leaves of one kind on one dataset in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageCount {
    /// The dataset's slug.
    pub dataset: String,
    /// The leaf kind, e.g. `data.query`.
    pub kind: String,
    /// Leaves.
    pub count: i64,
    /// Rows they delivered.
    pub rows: i64,
}

/// Demands addressed to one organization that fell due (or were answered) in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandTimeliness {
    /// The organization.
    pub org_id: String,
    /// Demands due.
    pub due: i64,
    /// Answered by their deadline.
    pub on_time: i64,
}

/// A published incentive report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncentiveReport {
    /// Random id.
    pub id: String,
    /// The period, e.g. `2026-11`, `2026-Q4`, `2026`.
    pub period: String,
    /// `enterprise` or `department`.
    pub kind: String,
    /// Hex SHA-256 of the body.
    pub sha256: String,
    /// The CSV exactly as published.
    #[serde(skip)]
    pub body: String,
    /// Organizations listed.
    pub entries: i64,
    /// Who published it.
    pub published_by: String,
    /// When, Unix ms.
    pub published_at: i64,
    /// Its leaf in the access log, once appended.
    pub log_index: Option<i64>,
}

/// The contribution index's reads and the incentive reports.
#[async_trait]
pub trait ContributionStore: Send + Sync {
    /// Every dataset, with its organization and frequency.
    async fn dataset_facts(&self) -> Result<Vec<DatasetFact>>;
    /// Versions published in `[from, to)` per dataset id (datasets with none may be left out or
    /// listed with 0).
    async fn versions_between(&self, from: i64, to: i64) -> Result<Vec<(String, i64)>>;
    /// The latest version of every resource published before `at`, with its rows and score.
    async fn latest_versions_at(&self, at: i64) -> Result<Vec<LatestVersionFact>>;
    /// Access-log leaves per dataset and kind in the months `first..=last` (`YYYYMM`, China
    /// Standard Time), with the rows they delivered.
    async fn usage_in_months(&self, first: i64, last: i64) -> Result<Vec<UsageCount>>;
    /// Adds counts that are not leaves of the log (catalog harvests) to the monthly usage:
    /// `(month YYYYMM, dataset slug, kind, count)`, in one transaction.
    async fn add_usage(&self, counts: &[(i64, String, String, i64)]) -> Result<()>;
    /// Results (成果) reported in `[from, to)` per dataset id.
    async fn results_between(&self, from: i64, to: i64) -> Result<Vec<(String, i64)>>;
    /// Per organization, the demands addressed to it whose deadline fell in `[from, to)` before
    /// `now`, or which it answered in `[from, to)`, and how many were answered by the deadline.
    async fn demands_due_between(
        &self,
        from: i64,
        to: i64,
        now: i64,
    ) -> Result<Vec<DemandTimeliness>>;
    /// Records a published report; `Conflict("period")` if the period and kind have one.
    async fn put_incentive_report(&self, report: &IncentiveReport) -> Result<()>;
    /// Records the report's leaf index.
    async fn set_incentive_report_log_index(&self, id: &str, index: i64) -> Result<()>;
    /// Every published report, newest first.
    async fn incentive_reports(&self) -> Result<Vec<IncentiveReport>>;
    /// One report.
    async fn get_incentive_report(&self, id: &str) -> Result<IncentiveReport>;
}
