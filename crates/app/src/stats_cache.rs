//! Caches for published statistics that are expensive to compute (demands, feedback), and for
//! public answers built from many rows (Open311's request lists): computed
//! again after a change made through this process, when a day begins in China Standard Time
//! (deadlines pass at midnight, so overdue counts change only then), and at least every
//! [`STATS_TTL_MS`]; one computation at a time. A leaf module: the running `App` holds one cache
//! per kind of statistics.

use crate::error::AppResult;
use model::calendar::cst_day;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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

/// A public answer as sent: its media type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// E.g. `application/json; charset=utf-8`.
    pub media_type: &'static str,
    /// The body, shared by every request the answer serves.
    pub body: Arc<str>,
}

/// Most answers a [`KeyedCache`] keeps; when full, it starts again empty.
const KEYED_ENTRIES: usize = 64;

/// Public answers that are expensive to build (a page of up to a thousand Open311 requests),
/// kept by the text of their request under the same rules as [`StatsCache`]: built again after a
/// change made through this process, when a day begins in China Standard Time, and at least
/// every [`STATS_TTL_MS`]; one build per key at a time, later requests for the key waiting for
/// it. At most [`KEYED_ENTRIES`] keys are kept.
pub struct KeyedCache<V> {
    generation: AtomicU64,
    slots: std::sync::Mutex<HashMap<String, Slot<V>>>,
}

/// One key's answer, locked while it is built.
type Slot<V> = Arc<tokio::sync::Mutex<Option<Cached<V>>>>;

impl<V> Default for KeyedCache<V> {
    fn default() -> Self {
        KeyedCache {
            generation: AtomicU64::new(0),
            slots: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> KeyedCache<V> {
    /// Marks every answer out of date.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The answer for `key`: the kept one while current, else built by `build` (given the time)
    /// and kept if it succeeds. A failure is returned as it is and not kept.
    pub(crate) async fn get_or_build<F, Fut, E>(
        &self,
        key: &str,
        now: impl Fn() -> i64,
        build: F,
    ) -> Result<V, E>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            if slots.len() >= KEYED_ENTRIES && !slots.contains_key(key) {
                slots.clear();
            }
            slots.entry(key.to_string()).or_default().clone()
        };
        let mut kept = slot.lock().await;
        let at = now();
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some(c) = kept.as_ref().filter(|c| {
            c.generation == generation && c.day == cst_day(at) && at - c.at < STATS_TTL_MS
        }) {
            return Ok(c.stats.clone());
        }
        let value = build(at).await?;
        *kept = Some(Cached {
            generation,
            day: cst_day(at),
            at,
            stats: value.clone(),
        });
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    const NOON: i64 = 1_796_011_200_000; // 2026-11-30, noon in Beijing

    #[tokio::test]
    async fn an_answer_is_built_once_per_key_until_a_change_or_five_seconds() {
        let cache: KeyedCache<String> = KeyedCache::default();
        let builds = AtomicUsize::new(0);
        let get = |key: &'static str, at: i64| {
            let builds = &builds;
            let cache = &cache;
            async move {
                cache
                    .get_or_build(
                        key,
                        || at,
                        |t| async move {
                            builds.fetch_add(1, Ordering::SeqCst);
                            Ok::<_, ()>(format!("{key}@{t}"))
                        },
                    )
                    .await
                    .unwrap()
            }
        };
        assert_eq!(get("a", NOON).await, format!("a@{NOON}"));
        assert_eq!(get("a", NOON + 4_999).await, format!("a@{NOON}"));
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        // Another key is its own answer.
        assert_eq!(get("b", NOON + 1).await, format!("b@{}", NOON + 1));
        // Five seconds on, it is built again.
        assert_eq!(get("a", NOON + 5_000).await, format!("a@{}", NOON + 5_000));
        // A change made through this process: built again at once.
        cache.invalidate();
        assert_eq!(get("a", NOON + 5_001).await, format!("a@{}", NOON + 5_001));
        assert_eq!(builds.load(Ordering::SeqCst), 4);
        // A failure is returned and not kept.
        let failed: Result<String, &str> = cache
            .get_or_build("c", || NOON, |_| async { Err("no") })
            .await;
        assert_eq!(failed, Err("no"));
        assert_eq!(get("c", NOON).await, format!("c@{NOON}"));
    }

    #[tokio::test]
    async fn concurrent_requests_for_one_key_wait_for_one_build() {
        let cache: Arc<KeyedCache<u32>> = Arc::default();
        let builds = Arc::new(AtomicUsize::new(0));
        let (release, wait) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, builds, mut wait) = (cache.clone(), builds.clone(), wait.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_build(
                        "k",
                        || NOON,
                        |_| async move {
                            builds.fetch_add(1, Ordering::SeqCst);
                            // Holds the build until every request has arrived.
                            let _ = wait.wait_for(|go| *go).await;
                            Ok::<_, ()>(7)
                        },
                    )
                    .await
            }));
        }
        tokio::task::yield_now().await;
        release.send(true).unwrap();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(7));
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_full_cache_starts_again_empty() {
        let cache: KeyedCache<usize> = KeyedCache::default();
        for i in 0..KEYED_ENTRIES + 1 {
            let key = format!("k{i}");
            let v = cache
                .get_or_build(&key, || NOON, |_| async move { Ok::<_, ()>(i) })
                .await;
            assert_eq!(v, Ok(i));
        }
        assert_eq!(cache.slots.lock().unwrap().len(), 1);
    }
}
