//! Small byte ranges of version files kept in memory between queries.
//!
//! The Parquet reader fetches a file's data pages several ranges at a time, and everything else
//! it needs (the footer, and above all the bloom filter of each column chunk a predicate tests
//! for equality) one range at a time. A lookup by an identifier reads the identifier column's
//! bloom filter in every row group of the version, which is megabytes read range by range on
//! every request, to then decode one or two row groups. [`RangeCache`] wraps the object store
//! queries read through and keeps the single ranges it is asked for, up to a size each and a
//! budget in all, least recently used first out. Ranges read together (the data pages) pass
//! through untouched, so scans never fill it.
//!
//! Versions never change under one path, but the cache does not rely on it: every range is
//! stored with the metadata (size, modification time, entity tag) of the file it came from, a
//! query looks a file up (`head`) before it reads it, and a file whose metadata has changed
//! loses its ranges. Writes, copies, renames and deletions through the store drop the paths they
//! touch. The cache sits below the seal, with the files: it holds bytes of the files, not
//! results, and serves them only to plans that would have read them anyway.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use datafusion::object_store::path::Path;
use datafusion::object_store::{
    CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
    Result,
};
use futures::stream::{BoxStream, StreamExt};

/// The largest single range kept: a bloom filter of a few million distinct values, or a footer.
const MAX_ENTRY_BYTES: u64 = 4 << 20;

/// An object store that keeps the single ranges read from `inner` (see the module).
pub(crate) struct RangeCache {
    inner: Arc<dyn ObjectStore>,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    budget: usize,
    used: usize,
    tick: u64,
    files: HashMap<Path, File>,
}

/// The ranges kept of one file, and the metadata of the file they came from.
struct File {
    meta: Identity,
    ranges: HashMap<Range<u64>, Kept>,
}

struct Kept {
    bytes: Bytes,
    /// The range the store answered with (a range past the end is cut short).
    answered: Range<u64>,
    meta: ObjectMeta,
    attributes: datafusion::object_store::Attributes,
    used: u64,
}

/// What tells two versions of a file apart.
#[derive(Clone, PartialEq, Eq)]
struct Identity {
    size: u64,
    last_modified: i64,
    e_tag: Option<String>,
}

impl Identity {
    fn of(meta: &ObjectMeta) -> Identity {
        Identity {
            size: meta.size,
            last_modified: meta
                .last_modified
                .timestamp_nanos_opt()
                .unwrap_or(meta.last_modified.timestamp()),
            e_tag: meta.e_tag.clone(),
        }
    }
}

impl State {
    /// Notes the current metadata of `path`; its ranges go if the file has changed.
    fn observe(&mut self, path: &Path, meta: &ObjectMeta) {
        let identity = Identity::of(meta);
        if self.files.get(path).is_some_and(|f| f.meta != identity) {
            self.forget(path);
        }
    }

    fn forget(&mut self, path: &Path) {
        if let Some(file) = self.files.remove(path) {
            self.used -= file.ranges.values().map(|k| k.bytes.len()).sum::<usize>();
        }
    }

    fn lookup(&mut self, path: &Path, range: &Range<u64>) -> Option<GetResult> {
        self.tick += 1;
        let tick = self.tick;
        let kept = self.files.get_mut(path)?.ranges.get_mut(range)?;
        kept.used = tick;
        let bytes = kept.bytes.clone();
        Some(GetResult {
            payload: GetResultPayload::Stream(futures::stream::once(async { Ok(bytes) }).boxed()),
            meta: kept.meta.clone(),
            range: kept.answered.clone(),
            attributes: kept.attributes.clone(),
        })
    }

    fn insert(&mut self, path: &Path, range: Range<u64>, kept: Kept) {
        if kept.bytes.len() > self.budget {
            return;
        }
        self.observe(path, &kept.meta);
        self.tick += 1;
        let identity = Identity::of(&kept.meta);
        let file = self.files.entry(path.clone()).or_insert_with(|| File {
            meta: identity,
            ranges: HashMap::new(),
        });
        let len = kept.bytes.len();
        if let Some(old) = file.ranges.insert(
            range,
            Kept {
                used: self.tick,
                ..kept
            },
        ) {
            self.used -= old.bytes.len();
        }
        self.used += len;
        if self.used > self.budget {
            self.evict();
        }
    }

    /// Drops the least recently used ranges until a quarter of the budget is free, so that a
    /// full cache does not sort its entries on every insertion.
    fn evict(&mut self) {
        let target = self.budget - self.budget / 4;
        let mut entries: Vec<(u64, Path, Range<u64>)> = self
            .files
            .iter()
            .flat_map(|(path, file)| {
                file.ranges
                    .iter()
                    .map(move |(range, kept)| (kept.used, path.clone(), range.clone()))
            })
            .collect();
        entries.sort_unstable_by_key(|(used, _, _)| *used);
        for (_, path, range) in entries {
            if self.used <= target {
                break;
            }
            let file = self.files.get_mut(&path).expect("listed above");
            if let Some(kept) = file.ranges.remove(&range) {
                self.used -= kept.bytes.len();
            }
            if file.ranges.is_empty() {
                self.files.remove(&path);
            }
        }
    }
}

impl RangeCache {
    /// `inner` with up to `budget` bytes of single ranges kept in memory.
    pub(crate) fn new(inner: Arc<dyn ObjectStore>, budget: usize) -> RangeCache {
        RangeCache {
            inner,
            state: Arc::new(Mutex::new(State {
                budget,
                ..State::default()
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves counts, not broken invariants of the files.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes kept now.
    #[cfg(test)]
    fn used(&self) -> usize {
        self.state().used
    }
}

/// The range of a plain ranged read: no condition, no version, at most [`MAX_ENTRY_BYTES`].
fn cacheable(options: &GetOptions) -> Option<Range<u64>> {
    let plain = options.if_match.is_none()
        && options.if_none_match.is_none()
        && options.if_modified_since.is_none()
        && options.if_unmodified_since.is_none()
        && options.version.is_none()
        && !options.head;
    match &options.range {
        Some(GetRange::Bounded(r)) if plain && r.end - r.start <= MAX_ENTRY_BYTES => {
            Some(r.clone())
        }
        _ => None,
    }
}

impl fmt::Display for RangeCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RangeCache({})", self.inner)
    }
}

impl fmt::Debug for RangeCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RangeCache({:?})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for RangeCache {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.state().forget(location);
        let result = self.inner.put_opts(location, payload, opts).await;
        self.state().forget(location);
        result
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        // The upload completes later, out of sight; the file's metadata changes with it, and the
        // next look-up of the file drops what is kept.
        self.state().forget(location);
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let Some(range) = cacheable(&options) else {
            let result = self.inner.get_opts(location, options).await?;
            self.state().observe(location, &result.meta);
            return Ok(result);
        };
        if let Some(hit) = self.state().lookup(location, &range) {
            return Ok(hit);
        }
        let result = self.inner.get_opts(location, options).await?;
        let (meta, answered, attributes) = (
            result.meta.clone(),
            result.range.clone(),
            result.attributes.clone(),
        );
        let bytes = result.bytes().await?;
        self.state().insert(
            location,
            range,
            Kept {
                bytes: bytes.clone(),
                answered: answered.clone(),
                meta: meta.clone(),
                attributes: attributes.clone(),
                used: 0,
            },
        );
        Ok(GetResult {
            payload: GetResultPayload::Stream(futures::stream::once(async { Ok(bytes) }).boxed()),
            meta,
            range: answered,
            attributes,
        })
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        // Read together, so data: straight from the store, and kept nowhere.
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let state = Arc::clone(&self.state);
        let locations = locations
            .map(move |location| {
                if let Ok(path) = &location {
                    state.lock().unwrap_or_else(|e| e.into_inner()).forget(path);
                }
                location
            })
            .boxed();
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let state = Arc::clone(&self.state);
        self.inner
            .list(prefix)
            .map(move |meta| {
                if let Ok(meta) = &meta {
                    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                    state.observe(&meta.location, meta);
                }
                meta
            })
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let result = self.inner.list_with_delimiter(prefix).await?;
        let mut state = self.state();
        for meta in &result.objects {
            state.observe(&meta.location, meta);
        }
        Ok(result)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.state().forget(to);
        let result = self.inner.copy_opts(from, to, options).await;
        self.state().forget(to);
        result
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        self.state().forget(to);
        let result = self.inner.rename_opts(from, to, options).await;
        let mut state = self.state();
        state.forget(from);
        state.forget(to);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::object_store::memory::InMemory;
    use datafusion::object_store::ObjectStoreExt;

    /// A store that counts the ranged reads that reach it.
    #[derive(Debug, Default)]
    struct Counting {
        inner: InMemory,
        reads: std::sync::atomic::AtomicUsize,
    }

    impl fmt::Display for Counting {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Counting")
        }
    }

    #[async_trait]
    impl ObjectStore for Counting {
        async fn put_opts(&self, l: &Path, p: PutPayload, o: PutOptions) -> Result<PutResult> {
            self.inner.put_opts(l, p, o).await
        }
        async fn put_multipart_opts(
            &self,
            l: &Path,
            o: PutMultipartOptions,
        ) -> Result<Box<dyn MultipartUpload>> {
            self.inner.put_multipart_opts(l, o).await
        }
        async fn get_opts(&self, l: &Path, o: GetOptions) -> Result<GetResult> {
            if o.range.is_some() {
                self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            self.inner.get_opts(l, o).await
        }
        async fn get_ranges(&self, l: &Path, r: &[Range<u64>]) -> Result<Vec<Bytes>> {
            self.reads
                .fetch_add(r.len(), std::sync::atomic::Ordering::SeqCst);
            self.inner.get_ranges(l, r).await
        }
        fn delete_stream(
            &self,
            l: BoxStream<'static, Result<Path>>,
        ) -> BoxStream<'static, Result<Path>> {
            self.inner.delete_stream(l)
        }
        fn list(&self, p: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
            self.inner.list(p)
        }
        async fn list_with_delimiter(&self, p: Option<&Path>) -> Result<ListResult> {
            self.inner.list_with_delimiter(p).await
        }
        async fn copy_opts(&self, f: &Path, t: &Path, o: CopyOptions) -> Result<()> {
            self.inner.copy_opts(f, t, o).await
        }
    }

    fn reads(store: &Counting) -> usize {
        store.reads.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn setup(budget: usize) -> (Arc<Counting>, RangeCache, Path) {
        let counting = Arc::new(Counting::default());
        let path = Path::from("v/1.parquet");
        let data: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        counting.put(&path, data.into()).await.unwrap();
        let cache = RangeCache::new(counting.clone(), budget);
        (counting, cache, path)
    }

    #[tokio::test]
    async fn a_single_range_is_read_once_and_ranges_read_together_never_kept() {
        let (counting, cache, path) = setup(1 << 20).await;
        for _ in 0..3 {
            let bytes = cache.get_range(&path, 100..110).await.unwrap();
            assert_eq!(&bytes[..], &(100u8..110).collect::<Vec<_>>()[..]);
        }
        assert_eq!(reads(&counting), 1);
        assert_eq!(cache.used(), 10);

        for _ in 0..2 {
            let got = cache.get_ranges(&path, &[0..10, 20..30]).await.unwrap();
            assert_eq!(got[1][0], 20);
        }
        assert_eq!(
            reads(&counting),
            5,
            "two ranges, twice, each from the store"
        );
        assert_eq!(cache.used(), 10, "nothing of them kept");

        // Another range of the same file is another read.
        cache.get_range(&path, 100..111).await.unwrap();
        assert_eq!(reads(&counting), 6);
    }

    #[tokio::test]
    async fn a_changed_or_deleted_file_loses_its_ranges() {
        let (counting, cache, path) = setup(1 << 20).await;
        cache.get_range(&path, 0..4).await.unwrap();
        assert_eq!(
            cache.get_range(&path, 0..4).await.unwrap()[..],
            [0, 1, 2, 3]
        );
        assert_eq!(reads(&counting), 1);

        // Written behind the cache's back: the next look-up of the file notices.
        counting.put(&path, vec![9u8; 64].into()).await.unwrap();
        cache.head(&path).await.unwrap();
        assert_eq!(cache.used(), 0);
        assert_eq!(
            cache.get_range(&path, 0..4).await.unwrap()[..],
            [9, 9, 9, 9]
        );
        assert_eq!(reads(&counting), 2);

        // Written through it: dropped at once.
        cache.put(&path, vec![7u8; 64].into()).await.unwrap();
        assert_eq!(
            cache.get_range(&path, 0..4).await.unwrap()[..],
            [7, 7, 7, 7]
        );

        cache.delete(&path).await.unwrap();
        assert_eq!(cache.used(), 0);
        assert!(cache.get_range(&path, 0..4).await.is_err());
    }

    #[tokio::test]
    async fn the_budget_holds_and_the_least_recently_used_go_first() {
        let (counting, cache, path) = setup(100).await;
        cache.get_range(&path, 0..40).await.unwrap(); // a
        cache.get_range(&path, 40..80).await.unwrap(); // b
        cache.get_range(&path, 0..40).await.unwrap(); // a again, from memory
        assert_eq!(reads(&counting), 2);
        cache.get_range(&path, 80..105).await.unwrap(); // c: over budget, b goes
        assert_eq!(cache.used(), 65);
        cache.get_range(&path, 0..40).await.unwrap();
        assert_eq!(reads(&counting), 3, "a was kept");
        cache.get_range(&path, 40..80).await.unwrap();
        assert_eq!(reads(&counting), 4, "b was dropped");

        // A range larger than the whole budget passes through.
        cache.get_range(&path, 0..1000).await.unwrap();
        assert!(cache.used() <= 100);
    }
}
