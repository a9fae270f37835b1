//! A cache for published statistics that are expensive to compute (demands, feedback): computed
//! again after a change made through this process, when a day begins in China Standard Time
//! (deadlines pass at midnight, so overdue counts change only then), and at least every
//! [`STATS_TTL_MS`]; one computation at a time. A leaf module: the running `App` holds one cache
//! per kind of statistics.

use crate::error::AppResult;
use model::calendar::cst_day;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long computed statistics may be served before they are computed again, at most: the
/// bound on how late changes made by another server on the same database show.
const STATS_TTL_MS: i64 = 5_000;

/// The statistics as last computed.
pub struct StatsCache<T> {
    generation: AtomicU64,
    /// Held while the statistics are computed: one computation at a time. Requests arriving
    /// meanwhile are answered with the previous statistics when only their time is up, and
    /// otherwise wait for that computation instead of starting their own.
    computing: tokio::sync::Mutex<()>,
    last: std::sync::Mutex<Option<Cached<T>>>,
}

impl<T> Default for StatsCache<T> {
    fn default() -> Self {
        StatsCache {
            generation: AtomicU64::new(0),
            computing: tokio::sync::Mutex::new(()),
            last: std::sync::Mutex::new(None),
        }
    }
}

struct Cached<T> {
    generation: u64,
    day: i64,
    at: i64,
    stats: T,
}

impl<T: Clone> StatsCache<T> {
    /// Marks the statistics out of date.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The statistics as of now: the cached ones while current, else computed by `compute`
    /// (given the time) by one caller while the others get the previous ones or wait.
    pub(crate) async fn get_or_compute<F, Fut>(
        &self,
        now: impl Fn() -> i64,
        compute: F,
    ) -> AppResult<T>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = AppResult<T>>,
    {
        if let Some(s) = self.get(now(), false) {
            return Ok(s);
        }
        let _computing = match self.computing.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                // Another request is computing them: answer with the previous ones if only
                // their time is up, else wait for that computation.
                if let Some(s) = self.get(now(), true) {
                    return Ok(s);
                }
                self.computing.lock().await
            }
        };
        let at = now();
        if let Some(s) = self.get(at, false) {
            return Ok(s);
        }
        // Read the generation before computing, so a change during the computation is not
        // hidden.
        let generation = self.generation.load(Ordering::SeqCst);
        let stats = compute(at).await?;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(Cached {
            generation,
            day: cst_day(at),
            at,
            stats: stats.clone(),
        });
        Ok(stats)
    }

    /// The last statistics if they are current; with `stale_ok`, also when only their time is
    /// up (no change made through this process, the same day).
    fn get(&self, now: i64, stale_ok: bool) -> Option<T> {
        let generation = self.generation.load(Ordering::SeqCst);
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.as_ref()
            .filter(|c| {
                c.generation == generation
                    && c.day == cst_day(now)
                    && (stale_ok || now - c.at < STATS_TTL_MS)
            })
            .map(|c| c.stats.clone())
    }
}
