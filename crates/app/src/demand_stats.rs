//! The published statistics of data demands (C8) and the cache they are served from; the
//! computation is [`crate::demands::stats`]. A leaf module: the running `App` holds the cache.

use model::calendar::cst_day;
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

/// How long computed statistics may be served before they are computed again, at most: the
/// bound on how late changes made by another server on the same database show.
const STATS_TTL_MS: i64 = 5_000;

/// The statistics as last computed. They are computed again after any change to a demand made
/// through this process, when a day begins in China Standard Time (deadlines pass at midnight,
/// so the overdue counts change only then), and at least every [`STATS_TTL_MS`].
#[derive(Default)]
pub struct StatsCache {
    pub(crate) generation: std::sync::atomic::AtomicU64,
    /// Held while the statistics are computed: one computation at a time. Requests arriving
    /// meanwhile are answered with the previous statistics when only their time is up, and
    /// otherwise wait for that computation instead of starting their own.
    pub(crate) computing: tokio::sync::Mutex<()>,
    last: std::sync::Mutex<Option<CachedStats>>,
}

struct CachedStats {
    generation: u64,
    day: i64,
    at: i64,
    stats: DemandStats,
}

impl StatsCache {
    /// Marks the statistics out of date.
    pub(crate) fn invalidate(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// The last statistics if they are current; with `stale_ok`, also when only their time is
    /// up (no change made through this process, the same day), which is at most a few seconds of
    /// other servers' changes.
    pub(crate) fn get(&self, now: i64, stale_ok: bool) -> Option<DemandStats> {
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.as_ref()
            .filter(|c| {
                c.generation == generation
                    && c.day == cst_day(now)
                    && (stale_ok || now - c.at < STATS_TTL_MS)
            })
            .map(|c| c.stats.clone())
    }

    pub(crate) fn put(&self, generation: u64, stats: &DemandStats) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(CachedStats {
            generation,
            day: cst_day(stats.as_of),
            at: stats.as_of,
            stats: stats.clone(),
        });
    }
}
