//! The published statistics of data demands (C8); the computation is
//! [`crate::demands::stats`], served from a [`crate::stats_cache::StatsCache`]. A leaf module.

use model::demand::{self, DemandCounts};
use serde::Serialize;

/// One row of the demand statistics: a department, a theme, or all demands.
#[derive(Debug, Clone, Serialize)]
pub struct StatRow {
    /// `department`, `theme` or `all`.
    pub kind: &'static str,
    /// The department's slug or the theme; empty for all.
    pub key: String,
    /// The department's title or the theme; empty for all.
    pub title: String,
    /// What is counted.
    #[serde(flatten)]
    pub counts: DemandCounts,
    /// Accepted (fulfilled or not) out of answered; `null` before any answer.
    pub acceptance_rate: Option<f64>,
    /// Fulfilled out of accepted; `null` before any acceptance.
    pub fulfilment_rate: Option<f64>,
    /// Median whole days from filing to answer; `null` before any answer.
    pub median_days_to_answer: Option<f64>,
}

impl StatRow {
    pub(crate) fn new(
        kind: &'static str,
        key: String,
        title: String,
        g: &DemandCounts,
        days: &[(i64, i64)],
    ) -> Self {
        StatRow {
            kind,
            key,
            title,
            counts: *g,
            acceptance_rate: g.acceptance_rate(),
            fulfilment_rate: g.fulfilment_rate(),
            median_days_to_answer: demand::median_of_counts(days),
        }
    }
}

/// The published statistics of demands (C8): per department, per theme and in all.
#[derive(Debug, Clone, Serialize)]
pub struct DemandStats {
    /// When they were computed (Unix ms); overdue counts are as of then.
    pub as_of: i64,
    /// Per department asked, most demands first.
    pub departments: Vec<StatRow>,
    /// Per theme asked, most demands first.
    pub themes: Vec<StatRow>,
    /// All demands.
    pub total: StatRow,
}
