//! Caches for published statistics that are expensive to compute (demands, feedback), and for
//! public answers built from many rows (Open311's request lists): computed
//! again after a change made through this process, when a day begins in China Standard Time
//! (deadlines pass at midnight, so overdue counts change only then), and at least every
//! [`STATS_TTL_MS`]; one computation at a time. A leaf module: the running `App` holds one cache
//! per kind of statistics.

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
    /// How long a computation is served, at most [`STATS_TTL_MS`].
    ttl: i64,
}

impl<T> Default for StatsCache<T> {
    fn default() -> Self {
        StatsCache::with_ttl(STATS_TTL_MS)
    }
}

impl<T> StatsCache<T> {
    fn with_ttl(ttl: i64) -> Self {
        StatsCache {
            generation: AtomicU64::new(0),
            computing: tokio::sync::Mutex::new(()),
            last: std::sync::Mutex::new(None),
            ttl: ttl.min(STATS_TTL_MS),
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
    pub(crate) async fn get_or_compute<F, Fut, E>(
        &self,
        now: impl Fn() -> i64,
        compute: F,
    ) -> Result<T, E>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = Result<T, E>>,
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
                    && (stale_ok || now - c.at < self.ttl)
            })
            .map(|c| c.stats.clone())
    }
}

/// A public answer as sent: its media type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// E.g. `application/json; charset=utf-8`.
    pub media_type: &'static str,
    /// The body, shared by every request the answer serves (cloning it copies no bytes).
    pub body: bytes::Bytes,
}

/// Most answers a [`KeyedCache`] keeps; when full, it starts again empty.
const KEYED_ENTRIES: usize = 64;

/// The time a key's answer is served: from 4 to 5 seconds by the key, so that answers built at
/// the same moment (many feeds polled at once) are not all built again at the same moment.
fn ttl_of(key: &str) -> i64 {
    let spread = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) % 1_000;
    STATS_TTL_MS - spread as i64
}

/// Public answers that are expensive to build (a page of up to a thousand Open311 requests),
/// kept by the text of their request, each under the rules of a [`StatsCache`]: built again
/// after a change made through this process (which empties the cache), when a day begins in
/// China Standard Time, and at least every [`STATS_TTL_MS`]; one build per key at a time, other
/// requests for the key meanwhile answered with its previous answer when only its time is up,
/// else waiting for the build. At most [`KEYED_ENTRIES`] keys are kept.
pub struct KeyedCache<V> {
    slots: std::sync::Mutex<HashMap<String, Arc<StatsCache<V>>>>,
}

impl<V> Default for KeyedCache<V> {
    fn default() -> Self {
        KeyedCache {
            slots: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> KeyedCache<V> {
    /// Marks every answer out of date: builds under way finish into slots no longer kept.
    pub(crate) fn invalidate(&self) {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).clear();
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
            slots
                .entry(key.to_string())
                .or_insert_with(|| Arc::new(StatsCache::with_ttl(ttl_of(key))))
                .clone()
        };
        slot.get_or_compute(now, build).await
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
        let ttl = ttl_of("a");
        assert_eq!(get("a", NOON + ttl - 1).await, format!("a@{NOON}"));
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        // Another key is its own answer.
        assert_eq!(get("b", NOON + 1).await, format!("b@{}", NOON + 1));
        // Its time on (4 to 5 seconds), it is built again.
        let later = NOON + ttl;
        assert_eq!(get("a", later).await, format!("a@{later}"));
        // A change made through this process: built again at once.
        cache.invalidate();
        assert_eq!(get("a", later + 1).await, format!("a@{}", later + 1));
        assert_eq!(builds.load(Ordering::SeqCst), 4);
        // A failure is returned and not kept.
        let failed: Result<String, &str> = cache
            .get_or_build("c", || NOON, |_| async { Err("no") })
            .await;
        assert_eq!(failed, Err("no"));
        assert_eq!(get("c", NOON).await, format!("c@{NOON}"));
    }

    #[test]
    fn keys_are_served_for_four_to_five_seconds_not_all_alike() {
        let ttls: std::collections::BTreeSet<i64> = (0..48)
            .map(|i| {
                ttl_of(&format!(
                    "/open311/v2/requests.json?service_code=svc-{i:02}"
                ))
            })
            .collect();
        assert!(ttls.iter().all(|t| (4_001..=5_000).contains(t)), "{ttls:?}");
        assert!(ttls.len() > 40, "{ttls:?}");
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
    async fn while_a_key_is_rebuilt_after_its_time_the_previous_answer_is_served() {
        let cache: Arc<KeyedCache<u32>> = Arc::default();
        let first = cache
            .get_or_build("k", || NOON, |_| async { Ok::<_, ()>(1) })
            .await;
        assert_eq!(first, Ok(1));
        let (release, mut wait) = tokio::sync::watch::channel(false);
        let rebuild = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_build(
                        "k",
                        || NOON + 6_000,
                        |_| async move {
                            let _ = wait.wait_for(|go| *go).await;
                            Ok::<_, ()>(2)
                        },
                    )
                    .await
            })
        };
        tokio::task::yield_now().await;
        // Only its time is up: the previous answer, at once.
        let meanwhile = cache
            .get_or_build("k", || NOON + 6_000, |_| async { Ok::<_, ()>(99) })
            .await;
        assert_eq!(meanwhile, Ok(1));
        release.send(true).unwrap();
        assert_eq!(rebuild.await.unwrap(), Ok(2));
        // After a change nothing previous is served.
        cache.invalidate();
        let after = cache
            .get_or_build("k", || NOON + 6_001, |_| async { Ok::<_, ()>(3) })
            .await;
        assert_eq!(after, Ok(3));
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
