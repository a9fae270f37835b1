//! Bloom filters kept decoded between queries, so that an equality lookup skips row groups
//! without reading or decoding a filter.
//!
//! DataFusion reads the bloom filter of every row group a predicate may test, on every query,
//! and decodes each into a new filter: for a lookup by a random identifier in a version of 77
//! row groups that is 20 MB copied per request, most of the lookup's time (bench/RESULTS.md,
//! query speed). [`BloomCache`] keeps the decoded filters of each (file, column) probed, up to a
//! budget, least recently used out first. Before a scan runs, [`skip_row_groups`] takes the
//! conjuncts `column = literal` of the predicate the scan was given, probes the kept filters and
//! hands the scan a [`ParquetAccessPlan`] that leaves out the row groups whose filter rules the
//! literal out. The scan then applies its predicate, statistics and its own bloom filters to the
//! rest, as before: rows are only ever left out where the predicate rejects them all, so the
//! answer is the same with or without the cache.
//!
//! Files are named by their URL, path and size: a version's file is never rewritten in place (a
//! rewrite is a new file under a new name), so an entry cannot go stale.

use bytes::Bytes;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::ScalarValue;
use datafusion::datasource::physical_plan::parquet::ParquetAccessPlan;
use datafusion::datasource::physical_plan::{
    FileGroup, FileScanConfig, FileScanConfigBuilder, ParquetSource,
};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result as DfResult;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::Operator;
use datafusion::object_store::path::Path as ObjectPath;
use datafusion::object_store::{ObjectStore, ObjectStoreExt};
use datafusion::physical_expr::expressions::{BinaryExpr, Column, InListExpr, Literal};
use datafusion::physical_expr::split_conjunction;
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};
use parquet::basic::Type as PhysicalType;
use parquet::bloom_filter::Sbbf;
use parquet::file::metadata::{FooterTail, ParquetMetaDataReader};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// The bytes of decoded bloom filters kept.
pub(crate) const BLOOM_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// What names one column of one file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    store: String,
    path: String,
    size: u64,
    column: String,
}

/// The filters of one column, one per row group (`None` where the row group has none).
type Filters = Arc<Vec<Option<Sbbf>>>;

struct Entry {
    filters: Filters,
    bytes: usize,
    used: u64,
}

/// Decoded bloom filters kept between queries.
pub(crate) struct BloomCache {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    bytes: usize,
    clock: u64,
}

impl std::fmt::Debug for BloomCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        write!(
            f,
            "BloomCache({} entries, {} bytes)",
            inner.entries.len(),
            inner.bytes
        )
    }
}

impl BloomCache {
    pub(crate) fn new(budget: usize) -> BloomCache {
        BloomCache {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn get(&self, key: &Key) -> Option<Filters> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        let entry = inner.entries.get_mut(key)?;
        entry.used = now;
        Some(Arc::clone(&entry.filters))
    }

    fn put(&self, key: Key, filters: Filters) {
        let bytes: usize = filters
            .iter()
            .flatten()
            .map(|f| f.num_blocks() * 32)
            .sum::<usize>()
            + 64;
        if bytes > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let used = inner.clock;
        if let Some(old) = inner.entries.insert(
            key,
            Entry {
                filters,
                bytes,
                used,
            },
        ) {
            inner.bytes -= old.bytes;
        }
        inner.bytes += bytes;
        while inner.bytes > self.budget {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.bytes -= e.bytes;
            }
        }
    }

    /// Bytes kept now.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.inner.lock().unwrap().bytes
    }
}

/// A value a bloom filter is probed with, as the writer hashed it.
#[derive(Debug, Clone, PartialEq)]
enum Probe {
    Text(String),
    Int64(i64),
}

impl Probe {
    fn of(value: &ScalarValue) -> Option<Probe> {
        match value {
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)) => Some(Probe::Text(s.clone())),
            ScalarValue::Int64(Some(v)) => Some(Probe::Int64(*v)),
            _ => None,
        }
    }

    fn fits(&self, physical: PhysicalType) -> bool {
        matches!(
            (self, physical),
            (Probe::Text(_), PhysicalType::BYTE_ARRAY) | (Probe::Int64(_), PhysicalType::INT64)
        )
    }

    fn may_be_in(&self, filter: &Sbbf) -> bool {
        match self {
            Probe::Text(s) => filter.check(&s.as_str()),
            Probe::Int64(v) => filter.check(v),
        }
    }
}

/// The conjuncts `column = literal` of a predicate, by column name.
fn equalities(predicate: &Arc<dyn PhysicalExpr>) -> Vec<(String, Probe)> {
    let mut out = Vec::new();
    for conjunct in split_conjunction(predicate) {
        let Some(binary) = conjunct.downcast_ref::<BinaryExpr>() else {
            continue;
        };
        if *binary.op() != Operator::Eq {
            continue;
        }
        let (left, right) = (binary.left(), binary.right());
        let pair = match (
            left.downcast_ref::<Column>(),
            right.downcast_ref::<Literal>(),
            right.downcast_ref::<Column>(),
            left.downcast_ref::<Literal>(),
        ) {
            (Some(c), Some(l), _, _) | (_, _, Some(c), Some(l)) => (c, l),
            _ => continue,
        };
        if let Some(probe) = Probe::of(pair.1.value()) {
            out.push((pair.0.name().to_string(), probe));
        }
    }
    out
}

/// Whether bloom filters can help a predicate only through its `column = literal` conjuncts:
/// none of its conjuncts holds an `IN` list or an `OR`, the other shapes a Parquet scan tests
/// bloom filters with.
fn only_equalities_probe(predicate: &Arc<dyn PhysicalExpr>) -> bool {
    split_conjunction(predicate).iter().all(|conjunct| {
        !conjunct
            .exists(|e| {
                Ok(e.downcast_ref::<InListExpr>().is_some()
                    || e.downcast_ref::<BinaryExpr>()
                        .is_some_and(|b| *b.op() == Operator::Or))
            })
            .unwrap_or(true)
    })
}

/// One file of a scan that lookups may narrow.
struct Candidate {
    store: ObjectStoreUrl,
    path: ObjectPath,
    size: u64,
    probes: Vec<(String, Probe)>,
}

/// Gives the Parquet scans in `plan` an access plan without the row groups that the kept bloom
/// filters rule out for the scan's own `column = literal` conjuncts (filters not kept yet are
/// read and kept first). Plans without such a scan come back unchanged.
pub(crate) async fn skip_row_groups(
    plan: Arc<dyn ExecutionPlan>,
    stores: &(dyn Fn(&ObjectStoreUrl) -> DfResult<Arc<dyn ObjectStore>> + Sync),
    cache: &BloomCache,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    // What to probe, file by file.
    let mut candidates: Vec<Candidate> = Vec::new();
    plan.apply(|node| {
        if let Some(config) = scan_config(node) {
            if let Some(predicate) = config
                .file_source()
                .downcast_ref::<ParquetSource>()
                .and_then(|p| datafusion::datasource::physical_plan::FileSource::filter(p))
            {
                let probes = equalities(&predicate);
                if !probes.is_empty() {
                    for file in config.file_groups.iter().flat_map(|g| g.files()) {
                        let path = &file.object_meta.location;
                        if !candidates.iter().any(|c| &c.path == path) {
                            candidates.push(Candidate {
                                store: config.object_store_url.clone(),
                                path: path.clone(),
                                size: file.object_meta.size,
                                probes: probes.clone(),
                            });
                        }
                    }
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    if candidates.is_empty() {
        return Ok(plan);
    }
    let mut plans: HashMap<ObjectPath, ParquetAccessPlan> = HashMap::new();
    for candidate in &candidates {
        let store = stores(&candidate.store)?;
        if let Some(access) = access_plan(&*store, candidate, cache).await? {
            plans.insert(candidate.path.clone(), access);
        }
    }
    let rewritten = plan.transform_up(|node| {
        let Some(config) = scan_config(&node) else {
            return Ok(Transformed::no(node));
        };
        let source = config.file_source().downcast_ref::<ParquetSource>();
        let Some(predicate) =
            source.and_then(datafusion::datasource::physical_plan::FileSource::filter)
        else {
            return Ok(Transformed::no(node));
        };
        if equalities(&predicate).is_empty() {
            return Ok(Transformed::no(node));
        }
        let groups: Vec<FileGroup> = config
            .file_groups
            .iter()
            .map(|group| {
                FileGroup::new(
                    group
                        .files()
                        .iter()
                        .map(|file| match plans.get(&file.object_meta.location) {
                            Some(access) if file.extension::<ParquetAccessPlan>().is_none() => {
                                file.clone().with_extension(access.clone())
                            }
                            _ => file.clone(),
                        })
                        .collect(),
                )
            })
            .collect();
        let mut narrowed = FileScanConfigBuilder::from(config.clone()).with_file_groups(groups);
        // The kept filters were probed for every `column = literal` conjunct: the scan reading
        // and decoding the same filters again for the row groups left would only repeat that,
        // unless a conjunct is of a shape only its own reading tests (`IN`, `OR`).
        if let Some(source) = source.filter(|_| only_equalities_probe(&predicate)) {
            narrowed =
                narrowed.with_source(Arc::new(source.clone().with_bloom_filter_on_read(false)));
        }
        let narrowed = narrowed.build();
        Ok(Transformed::yes(DataSourceExec::from_data_source(narrowed)))
    })?;
    Ok(rewritten.data)
}

fn scan_config(node: &Arc<dyn ExecutionPlan>) -> Option<&FileScanConfig> {
    node.downcast_ref::<DataSourceExec>()
        .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
}

/// The access plan of one file, or `None` when no row group can be left out.
async fn access_plan(
    store: &dyn ObjectStore,
    candidate: &Candidate,
    cache: &BloomCache,
) -> DfResult<Option<ParquetAccessPlan>> {
    let mut skip: Option<Vec<bool>> = None;
    for (column, probe) in &candidate.probes {
        let key = Key {
            store: candidate.store.as_str().to_string(),
            path: candidate.path.to_string(),
            size: candidate.size,
            column: column.clone(),
        };
        let filters = match cache.get(&key) {
            Some(filters) => filters,
            None => {
                let Some(filters) = load(store, candidate, column, probe).await? else {
                    continue;
                };
                let filters = Arc::new(filters);
                cache.put(key, Arc::clone(&filters));
                filters
            }
        };
        let skip = skip.get_or_insert_with(|| vec![false; filters.len()]);
        if skip.len() != filters.len() {
            return Ok(None);
        }
        for (out, filter) in skip.iter_mut().zip(filters.iter()) {
            if let Some(filter) = filter {
                *out |= !probe.may_be_in(filter);
            }
        }
    }
    let Some(skip) = skip.filter(|s| s.iter().any(|&x| x)) else {
        return Ok(None);
    };
    let mut access = ParquetAccessPlan::new_all(skip.len());
    for (i, &out) in skip.iter().enumerate() {
        if out {
            access.skip(i);
        }
    }
    Ok(Some(access))
}

/// Reads the bloom filters of `column` in every row group of a file, or `None` when the column
/// is not there, is not of the probe's type, or some row group's filter has no recorded length.
async fn load(
    store: &dyn ObjectStore,
    candidate: &Candidate,
    column: &str,
    probe: &Probe,
) -> DfResult<Option<Vec<Option<Sbbf>>>> {
    let size = candidate.size;
    if size < 12 {
        return Ok(None);
    }
    let tail = store.get_range(&candidate.path, size - 8..size).await?;
    let footer: [u8; 8] = tail.as_ref().try_into().map_err(|_| {
        datafusion::error::DataFusionError::Internal("a short Parquet footer".into())
    })?;
    let length = FooterTail::try_new(&footer)?.metadata_length() as u64;
    if length + 8 > size {
        return Ok(None);
    }
    let bytes = store
        .get_range(&candidate.path, size - 8 - length..size - 8)
        .await?;
    let metadata = ParquetMetaDataReader::decode_metadata(&bytes)?;
    let schema = metadata.file_metadata().schema_descr();
    let Some(index) = (0..schema.num_columns()).find(|&i| {
        let c = schema.column(i);
        c.path().parts().len() == 1 && c.name() == column
    }) else {
        return Ok(None);
    };
    if !probe.fits(schema.column(index).physical_type()) {
        return Ok(None);
    }
    let mut ranges: Vec<Range<u64>> = Vec::new();
    let mut at: Vec<Option<usize>> = Vec::new();
    for group in metadata.row_groups() {
        let chunk = group.column(index);
        match (chunk.bloom_filter_offset(), chunk.bloom_filter_length()) {
            (Some(offset), Some(length)) if offset >= 0 && length > 0 => {
                at.push(Some(ranges.len()));
                ranges.push(offset as u64..offset as u64 + length as u64);
            }
            (None, _) => at.push(None),
            _ => return Ok(None),
        }
    }
    if ranges.is_empty() {
        return Ok(None);
    }
    let read: Vec<Bytes> = store.get_ranges(&candidate.path, &ranges).await?;
    let mut filters = Vec::with_capacity(at.len());
    for slot in at {
        filters.push(match slot {
            Some(i) => Some(Sbbf::from_bytes(&read[i])?),
            None => None,
        });
    }
    Ok(Some(filters))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    const GROUPS: usize = 8;
    const ROWS: usize = 1000;

    /// A file of 8 row groups of 1,000 rows: `code` text and `n` integers unique per row, with
    /// bloom filters on both, and `other` without one.
    fn file(dir: &std::path::Path) -> std::path::PathBuf {
        let schema = Arc::new(Schema::new(vec![
            Field::new("code", DataType::Utf8, false),
            Field::new("n", DataType::Int64, false),
            Field::new("other", DataType::Int64, false),
        ]));
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(ROWS))
            .set_column_bloom_filter_enabled("code".into(), true)
            .set_column_bloom_filter_max_ndv("code".into(), ROWS as u64)
            .set_column_bloom_filter_fpp("code".into(), 0.001)
            .set_column_bloom_filter_enabled("n".into(), true)
            .set_column_bloom_filter_max_ndv("n".into(), ROWS as u64)
            .set_column_bloom_filter_fpp("n".into(), 0.001)
            .build();
        let path = dir.join("v.parquet");
        let mut writer = ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            schema.clone(),
            Some(props),
        )
        .unwrap();
        let n: Vec<i64> = (0..(GROUPS * ROWS) as i64)
            .map(|i| i * 7919 % 100_003)
            .collect();
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from_iter_values(
                    n.iter().map(|v| format!("C{v:06}")),
                )),
                Arc::new(Int64Array::from(n.clone())),
                Arc::new(Int64Array::from(n)),
            ],
        )
        .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        path
    }

    /// The rows a query returns with the plan narrowed by `cache`, and which row groups of the
    /// file the narrowed plan scans (`None`: every one).
    async fn run(
        path: &std::path::Path,
        sql: &str,
        cache: &BloomCache,
    ) -> (usize, Option<Vec<usize>>) {
        let (rows, scanned, _) = run_reading(path, sql, cache).await;
        (rows, scanned)
    }

    /// [`run`], and whether the narrowed scan still reads bloom filters itself.
    async fn run_reading(
        path: &std::path::Path,
        sql: &str,
        cache: &BloomCache,
    ) -> (usize, Option<Vec<usize>>, bool) {
        let mut config = SessionConfig::new();
        config.options_mut().execution.parquet.pushdown_filters = true;
        let ctx = SessionContext::new_with_config(config);
        ctx.register_parquet("t", path.to_str().unwrap(), ParquetReadOptions::default())
            .await
            .unwrap();
        let plan = ctx
            .sql(sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let env = ctx.runtime_env();
        let narrowed = skip_row_groups(plan, &|url| env.object_store(url), cache)
            .await
            .unwrap();
        let mut scanned = None;
        let mut own_reading = false;
        narrowed
            .apply(|node| {
                if let Some(config) = scan_config(node) {
                    own_reading |= config
                        .file_source()
                        .downcast_ref::<ParquetSource>()
                        .is_some_and(|p| p.table_parquet_options().global.bloom_filter_on_read);
                    for file in config.file_groups.iter().flat_map(|g| g.files()) {
                        if let Some(access) = file.extension::<ParquetAccessPlan>() {
                            scanned = Some(
                                (0..access.len())
                                    .filter(|&i| access.should_scan(i))
                                    .collect(),
                            );
                        }
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            })
            .unwrap();
        let batches = datafusion::physical_plan::collect(narrowed, ctx.task_ctx())
            .await
            .unwrap();
        (
            batches.iter().map(|b| b.num_rows()).sum(),
            scanned,
            own_reading,
        )
    }

    #[tokio::test]
    async fn a_lookup_scans_only_the_row_groups_its_kept_filters_allow() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        let cache = BloomCache::new(BLOOM_CACHE_BYTES);
        // Row 3,456 is in row group 3.
        let value = 3456i64 * 7919 % 100_003;
        let (rows, scanned) = run(
            &path,
            &format!("SELECT * FROM t WHERE code = 'C{value:06}'"),
            &cache,
        )
        .await;
        assert_eq!((rows, scanned), (1, Some(vec![3])));
        let kept = cache.bytes();
        assert!(kept > 0);
        // Integers too, and either side of the comparison; the text filters are kept once.
        let (rows, scanned) = run(
            &path,
            &format!("SELECT n FROM t WHERE {value} = n AND other >= 0"),
            &cache,
        )
        .await;
        assert_eq!((rows, scanned), (1, Some(vec![3])));
        assert!(cache.bytes() > kept);
        // A value in no row group: none is scanned, and nothing is returned.
        let (rows, scanned) = run(&path, "SELECT * FROM t WHERE code = 'absent'", &cache).await;
        assert_eq!((rows, scanned), (0, Some(vec![])));
    }

    #[tokio::test]
    async fn a_narrowed_scan_reads_no_filter_again_unless_an_in_list_or_or_needs_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        let cache = BloomCache::new(BLOOM_CACHE_BYTES);
        let value = 3456i64 * 7919 % 100_003;
        let (rows, scanned, own) = run_reading(
            &path,
            &format!("SELECT * FROM t WHERE code = 'C{value:06}' AND other > 0"),
            &cache,
        )
        .await;
        assert_eq!((rows, scanned, own), (1, Some(vec![3]), false));
        // The `IN` list is tested by the scan's own reading of the filters, still on.
        let other = 5000i64 * 7919 % 100_003;
        let (rows, scanned, own) = run_reading(
            &path,
            &format!("SELECT * FROM t WHERE code = 'C{value:06}' AND n IN ({value}, {other})"),
            &cache,
        )
        .await;
        assert_eq!((rows, scanned, own), (1, Some(vec![3]), true));
        // No equality to probe: the scan is left as it was.
        let (_, scanned, own) = run_reading(
            &path,
            &format!("SELECT * FROM t WHERE n IN ({value}, {other})"),
            &cache,
        )
        .await;
        assert_eq!((scanned, own), (None, true));
    }

    #[tokio::test]
    async fn filters_that_are_not_an_equality_on_a_filtered_column_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        let cache = BloomCache::new(BLOOM_CACHE_BYTES);
        let value = 3456i64 * 7919 % 100_003;
        for sql in [
            format!("SELECT * FROM t WHERE other = {value}"),
            format!("SELECT * FROM t WHERE code = 'C{value:06}' OR n = 1"),
            format!("SELECT * FROM t WHERE n > {value}"),
            "SELECT * FROM t".to_string(),
        ] {
            let (rows, scanned) = run(&path, &sql, &cache).await;
            assert_eq!(scanned, None, "{sql}");
            assert!(rows > 0, "{sql}");
        }
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn the_cache_keeps_to_its_budget_dropping_the_least_recently_used() {
        let filter = || Some(Sbbf::new_with_num_of_bytes(1024));
        let cache = BloomCache::new(3000);
        let key = |c: &str| Key {
            store: "file://".into(),
            path: "v".into(),
            size: 1,
            column: c.into(),
        };
        cache.put(key("a"), Arc::new(vec![filter()]));
        cache.put(key("b"), Arc::new(vec![filter()]));
        assert!(cache.get(&key("a")).is_some());
        cache.put(key("c"), Arc::new(vec![filter()]));
        assert!(cache.get(&key("b")).is_none(), "b was used least recently");
        assert!(cache.get(&key("a")).is_some() && cache.get(&key("c")).is_some());
        assert!(cache.bytes() <= 3000);
        // Larger than the whole budget: not kept.
        cache.put(
            key("d"),
            Arc::new(vec![Some(Sbbf::new_with_num_of_bytes(4096))]),
        );
        assert!(cache.get(&key("d")).is_none());
    }
}
