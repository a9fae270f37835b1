//! The published statistics of feedback on public services (C10); the computation is
//! [`crate::feedback::stats`], served from a [`crate::stats_cache::StatsCache`]. A leaf module:
//! the running `App` holds the cache.

use model::feedback::FeedbackCounts;
use serde::Serialize;

/// One row of the statistics: a service, a department, or all items.
#[derive(Debug, Clone, Serialize)]
pub struct StatRow {
    /// `service`, `department` or `all`.
    pub kind: &'static str,
    /// The service code or department slug; empty for all.
    pub key: String,
    /// The name; empty for all.
    pub title: String,
    /// What is counted.
    #[serde(flatten)]
    pub counts: FeedbackCounts,
    /// Resolved out of submitted; `null` before any item.
    pub resolution_rate: Option<f64>,
    /// Mean satisfaction, 1–5; `null` before any rating.
    pub mean_rating: Option<f64>,
    /// Median whole hours to the first answer; `null` before any answer.
    pub median_hours_to_answer: Option<f64>,
    /// Median whole hours to resolution; `null` before any resolution.
    pub median_hours_to_resolve: Option<f64>,
}

impl StatRow {
    pub(crate) fn new(
        kind: &'static str,
        key: String,
        title: String,
        c: &FeedbackCounts,
        answer: &[(i64, i64)],
        resolve: &[(i64, i64)],
    ) -> Self {
        StatRow {
            kind,
            key,
            title,
            counts: *c,
            resolution_rate: c.resolution_rate(),
            mean_rating: c.mean_rating(),
            median_hours_to_answer: model::demand::median_of_counts(answer),
            median_hours_to_resolve: model::demand::median_of_counts(resolve),
        }
    }
}

/// Items per month.
#[derive(Debug, Clone, Serialize)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Submitted that month.
    pub total: i64,
    /// Of them, resolved by now.
    pub resolved: i64,
}

/// The published statistics of feedback.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackStats {
    /// When they were computed (Unix ms); overdue counts are as of then.
    pub as_of: i64,
    /// Per service, most items first.
    pub services: Vec<StatRow>,
    /// Per department, most items first.
    pub departments: Vec<StatRow>,
    /// All items.
    pub total: StatRow,
    /// The monthly trend, oldest first.
    pub months: Vec<MonthRow>,
}
