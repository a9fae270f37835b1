//! Column profiles (null rate, distinct estimate, min/max, top values) and the personal-information
//! scan, computed in one streaming pass with memory bounded per column, whatever the row count.

use crate::infer::{truncate, ColumnType, Inference};
use crate::value::Strictness;
use model::pii::{proposed_grade, ColumnScanner, PiiFinding};
use model::Grade;
use serde::Serialize;

/// What ingest learned about one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    /// The column name, as stored in the Parquet file.
    pub name: String,
    /// One of `string`, `int64`, `float64`, `boolean`, `date`, `timestamp`.
    pub data_type: String,
    /// Statistics of the column's values.
    pub profile: Profile,
    /// Personal information found in the column (个人信息识别), strongest first.
    pub findings: Vec<PiiFinding>,
    /// The grade the findings suggest (L1 when none); the publisher confirms or raises it.
    pub proposed_grade: Grade,
}

/// Statistics of one column (数据画像).
///
/// `min`, `max` and `top_values` hold real values of the column: for a column with personal
/// findings they are personal data and must be shown only to those who may see the column.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// Rows, including nulls.
    pub count: u64,
    /// Empty cells.
    pub nulls: u64,
    /// `nulls / count` (0 for an empty column).
    pub null_rate: f64,
    /// Distinct non-null values: exact up to a few hundred, a HyperLogLog estimate (±2%) above.
    pub distinct_estimate: u64,
    /// Smallest value, compared as the column's type (numbers as numbers, dates as dates).
    pub min: Option<String>,
    /// Largest value, compared as the column's type.
    pub max: Option<String>,
    /// Up to 10 most frequent values with their counts, most frequent first. On columns with
    /// more than 128 distinct values the counts are lower bounds and rare values may be missing;
    /// on near-unique columns (ids) they come from about the first million values only.
    pub top_values: Vec<(String, u64)>,
    /// For a column stored as text whose values are mostly of one type (`number`, `date`): that
    /// type. Absent when the column has its own type or no type covers most of its values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_type: Option<String>,
    /// Non-empty values that are not of `expected_type` (0 without one): the column's invalid
    /// cells for the quality measure.
    pub invalid: u64,
}

/// Values tracked by the top-values summary; more slots make the reported top 10 more accurate.
const TOP_CAPACITY: usize = 128;
/// Number of top values reported.
const TOP_REPORTED: usize = 10;
/// Values longer than this are counted and shown by their prefix.
const MAX_VALUE_CHARS: usize = 100;
/// Every value is scanned for personal information up to this many per column; after that one
/// in [`PII_STRIDE`], because the findings are ratios that a large sample already fixes.
const PII_FULL_SCAN: u64 = 100_000;
const PII_STRIDE: u64 = 8;

/// Profiles one column, fed one cell at a time.
#[derive(Debug, Clone)]
pub(crate) struct ColumnProfiler {
    name: String,
    count: u64,
    nulls: u64,
    distinct: HyperLogLog,
    top: SpaceSaving,
    scanner: ColumnScanner,
    inference: Inference,
}

impl ColumnProfiler {
    /// A profiler for a column that starts after `rows_before` rows it had no value in
    /// (JSON records may introduce a key late).
    pub(crate) fn new(name: &str, strictness: Strictness, rows_before: u64) -> Self {
        ColumnProfiler {
            name: name.to_string(),
            count: rows_before,
            nulls: rows_before,
            distinct: HyperLogLog::new(),
            top: SpaceSaving::new(TOP_CAPACITY),
            scanner: ColumnScanner::new(name),
            inference: Inference::new(strictness).measuring(quality_measures()),
        }
    }

    /// Takes one cell; an empty (already trimmed) cell is a null.
    pub(crate) fn observe(&mut self, v: &str) {
        self.count += 1;
        if v.is_empty() {
            self.nulls += 1;
            return;
        }
        let seen = self.count - self.nulls;
        if seen <= PII_FULL_SCAN || seen.is_multiple_of(PII_STRIDE) {
            self.scanner.observe(v);
        }
        let hash = hash64(v.as_bytes());
        self.distinct.insert_hash(hash);
        let shown = truncate(v, MAX_VALUE_CHARS);
        // Most values are short enough to be counted whole, and then share the hash.
        let shown_hash = if shown.len() == v.len() {
            hash
        } else {
            hash64(shown.as_bytes())
        };
        self.top.insert_hashed(shown, shown_hash);
        self.inference.observe(v);
    }

    /// Takes one null.
    pub(crate) fn observe_null(&mut self) {
        self.count += 1;
        self.nulls += 1;
    }

    /// The inferred type of the column.
    pub(crate) fn inferred_type(&self) -> ColumnType {
        self.inference.resolve()
    }

    /// Whether the column's values, stored as `ty`, came in ascending order (nulls aside).
    pub(crate) fn ascending(&self, ty: ColumnType) -> bool {
        self.inference.ascending(ty)
    }

    /// The report for the column stored as `ty`.
    pub(crate) fn report(&self, ty: ColumnType) -> ColumnReport {
        let values = self.count - self.nulls;
        // While nothing has been evicted the summary holds every distinct value: exact count.
        let distinct_estimate = if self.top.evicted() {
            self.distinct.estimate().min(values)
        } else {
            self.top.len() as u64
        };
        let (min, max) = self.inference.min_max(ty);
        let findings = self.scanner.findings(values, distinct_estimate);
        let invalid = self.inference.invalid(ty);
        ColumnReport {
            name: self.name.clone(),
            data_type: ty.code().to_string(),
            profile: Profile {
                count: self.count,
                nulls: self.nulls,
                null_rate: if self.count == 0 {
                    0.0
                } else {
                    self.nulls as f64 / self.count as f64
                },
                distinct_estimate,
                min,
                max,
                top_values: self.top.top(TOP_REPORTED),
                expected_type: invalid.map(|(t, _)| t.to_string()),
                invalid: invalid.map_or(0, |(_, n)| n),
            },
            proposed_grade: proposed_grade(&findings),
            findings,
        }
    }
}

/// Whether ingest measures what only the quality score needs (invalid cells of mostly-typed text
/// columns, duplicate rows). On by default; the import benchmark turns it off to measure what it
/// costs, side by side in one run.
static MEASURE_QUALITY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Turns the quality measures on or off for this process (benchmarks only).
pub fn set_quality_measures(on: bool) {
    MEASURE_QUALITY.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether the quality measures are on.
pub(crate) fn quality_measures() -> bool {
    MEASURE_QUALITY.load(std::sync::atomic::Ordering::Relaxed)
}

/// Rows whose duplicates are counted exactly; a longer table is measured on its first rows.
pub const DUPLICATE_SAMPLE_ROWS: u64 = 2_000_000;

/// Counts duplicate rows (every cell equal, in order, to an earlier row's) by a set of 64-bit row
/// hashes: exact, but for a hash collision (about one in 10^7 over two million rows), over the
/// first [`DUPLICATE_SAMPLE_ROWS`] rows; memory stays under about 50 MiB.
///
/// When the data dictionary declares a key, the same rows' keys are counted alongside: a key
/// equal to an earlier row's, or with an empty part, is a fault of the key.
#[derive(Debug, Default)]
pub(crate) struct RowHashes {
    /// The hashes are already mixed: the set uses them as they are.
    seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<Identity>>,
    /// Rows counted.
    pub(crate) rows: u64,
    /// Rows equal to an earlier one.
    pub(crate) duplicates: u64,
    /// The declared key's column names.
    key_names: Vec<String>,
    /// Where each key column is among the columns reached so far.
    key_at: Vec<Option<usize>>,
    /// Columns reached so far.
    columns_seen: usize,
    /// Hashes of the keys seen.
    keys_seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<Identity>>,
    /// Rows whose key equals an earlier row's.
    pub(crate) duplicate_keys: u64,
    /// Rows with an empty key column.
    pub(crate) empty_keys: u64,
}

/// A hasher for keys that are hashes already.
#[derive(Debug, Default)]
pub(crate) struct Identity(u64);

impl std::hash::Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl RowHashes {
    /// Counts the duplicates of rows and of the key made of these columns (none: rows only).
    pub(crate) fn with_key(key: &[String]) -> RowHashes {
        RowHashes {
            key_names: key.to_vec(),
            key_at: vec![None; key.len()],
            ..RowHashes::default()
        }
    }

    /// Takes the names of the columns reached since the last call, in order.
    pub(crate) fn columns_reached(&mut self, names: &[String]) {
        for name in names {
            if let Some(k) = self.key_names.iter().position(|n| n == name) {
                self.key_at[k] = Some(self.columns_seen);
            }
            self.columns_seen += 1;
        }
    }

    /// The key columns found in the data: all of them, or none when one is missing.
    pub(crate) fn key(&self) -> Vec<String> {
        if self.key_at.iter().all(Option::is_some) {
            self.key_names.clone()
        } else {
            Vec::new()
        }
    }

    /// Counts one row's key, given each cell by its column's position (empty past the row's
    /// end).
    fn observe_key<'c>(&mut self, cell: impl Fn(usize) -> &'c [u8]) {
        if self.key_names.is_empty() || self.key_at.iter().any(Option::is_none) {
            return;
        }
        let mut h: u64 = 0x2f_0b_7a_43_91_c5_e8_1d;
        let mut empty = false;
        for at in self.key_at.iter().flatten() {
            let c = cell(*at);
            empty |= c.is_empty();
            h = (h.rotate_left(23) ^ hash64(c) ^ c.len() as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        if empty {
            self.empty_keys += 1;
        } else if !self.keys_seen.insert(h) {
            self.duplicate_keys += 1;
        }
    }

    /// Takes every row of a batch: each row's cells lie side by side in the batch's text, so a
    /// row is one hash of its bytes mixed with its cell boundaries (trailing empty cells, the
    /// nulls of a shorter row, left out).
    pub(crate) fn observe_batch(&mut self, batch: &crate::pipeline::RowBatch) {
        self.columns_reached(&batch.new_names);
        if !quality_measures() {
            return;
        }
        let mut first_cell = 0;
        let mut text_start = 0;
        for &row_end in &batch.row_ends {
            if self.rows >= DUPLICATE_SAMPLE_ROWS {
                return;
            }
            let ends = &batch.cell_ends[first_cell..row_end];
            let start_of = |i: usize| if i == 0 { text_start } else { ends[i - 1] };
            let mut width = ends.len();
            while width > 0 && ends[width - 1] == start_of(width - 1) {
                width -= 1;
            }
            let end = if width == 0 {
                text_start
            } else {
                ends[width - 1]
            };
            let mut h = hash64(&batch.text[text_start..end]) ^ width as u64;
            for &e in &ends[..width] {
                h = (h.rotate_left(23) ^ (e - text_start) as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15);
            }
            self.rows += 1;
            if !self.seen.insert(h) {
                self.duplicates += 1;
            }
            let text = &batch.text;
            self.observe_key(|i| {
                if i < ends.len() {
                    &text[start_of(i)..ends[i]]
                } else {
                    &[]
                }
            });
            if let Some(&last) = ends.last() {
                text_start = last;
            }
            first_cell = row_end;
        }
    }

    /// Takes one row (cells beyond its end are nulls).
    pub(crate) fn observe(&mut self, row: &[&str]) {
        if self.rows >= DUPLICATE_SAMPLE_ROWS || !quality_measures() {
            return;
        }
        self.rows += 1;
        // Trailing empty cells are the nulls of a shorter row: the same row either way.
        let width = row.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
        let mut h: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        for cell in &row[..width] {
            // The length keeps ("ab","c") apart from ("a","bc").
            h = (h.rotate_left(23) ^ hash64(cell.as_bytes()) ^ cell.len() as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        if !self.seen.insert(h) {
            self.duplicates += 1;
        }
        self.observe_key(|i| row.get(i).map_or(&[], |c| c.as_bytes()));
    }
}

/// HyperLogLog with 2^12 one-byte registers: 4 KiB per column, about 1.6% standard error.
#[derive(Debug, Clone)]
pub(crate) struct HyperLogLog {
    registers: Box<[u8]>,
}

const HLL_BITS: u32 = 12;
const HLL_REGISTERS: usize = 1 << HLL_BITS;

impl HyperLogLog {
    pub(crate) fn new() -> Self {
        HyperLogLog {
            registers: vec![0; HLL_REGISTERS].into_boxed_slice(),
        }
    }

    #[cfg(test)]
    pub(crate) fn insert(&mut self, value: &[u8]) {
        self.insert_hash(hash64(value));
    }

    /// Counts a value by its [`hash64`].
    pub(crate) fn insert_hash(&mut self, h: u64) {
        let index = (h >> (64 - HLL_BITS)) as usize;
        let rest = h << HLL_BITS;
        let rank = (rest.leading_zeros() + 1).min(64 - HLL_BITS + 1) as u8;
        if rank > self.registers[index] {
            self.registers[index] = rank;
        }
    }

    pub(crate) fn estimate(&self) -> u64 {
        let m = HLL_REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = self
            .registers
            .iter()
            .map(|&r| 2f64.powi(-i32::from(r)))
            .sum();
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        // Linear counting is far more accurate while many registers are still empty.
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }
}

/// A fast, well-mixed, deterministic 64-bit hash (8 bytes per step, then the murmur3 finaliser).
/// Deterministic so that profiles of the same file are the same on every run.
///
/// The bytes after the last whole word are read as overlapping words rather than copied into a
/// padded buffer: the copy stalled the load that followed it, and hashing was half of what
/// profiling a value cost. Every byte is read at least once, and the length is mixed in first.
fn hash64(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let n = bytes.len();
    let u64_at = |i: usize| {
        u64::from_le_bytes(
            bytes
                .get(i..i + 8)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 8]),
        )
    };
    let u32_at = |i: usize| {
        u64::from(u32::from_le_bytes(
            bytes
                .get(i..i + 4)
                .and_then(|b| b.try_into().ok())
                .unwrap_or([0; 4]),
        ))
    };
    let mut h = (n as u64).wrapping_mul(K);
    let last = match n {
        0 => 0,
        1..=3 => u64::from(bytes[0]) | u64::from(bytes[n / 2]) << 8 | u64::from(bytes[n - 1]) << 16,
        4..=7 => u32_at(0) | u32_at(n - 4) << 32,
        _ => {
            let whole = n / 8;
            for i in 0..whole {
                h = (h ^ u64_at(i * 8)).wrapping_mul(K).rotate_left(29);
            }
            if n.is_multiple_of(8) {
                0
            } else {
                u64_at(n - 8)
            }
        }
    };
    h = (h ^ last).wrapping_mul(K);
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

/// The space-saving summary (Metwally et al.): a fixed number of counters that always contain
/// every value more frequent than `rows / capacity`, so memory stays bounded on columns with
/// millions of distinct values.
///
/// It is on the hot path of every cell, so it avoids per-value allocation and ordered sets: values
/// are found through a small open-addressing table keyed by the [`hash64`] the caller already
/// computed for the HyperLogLog, slots reuse their `String` buffers on eviction, and the smallest
/// counter is found lazily (see [`SpaceSaving::take_min`]). Evictions pick the smallest counter,
/// ties broken by the lowest slot, as an ordered set of `(count, slot)` would.
#[derive(Debug, Clone)]
pub(crate) struct SpaceSaving {
    capacity: usize,
    slots: Vec<Slot>,
    /// Open-addressing (linear probing) table of slot numbers, [`EMPTY`] where free; its length
    /// is a power of two at least twice the capacity, so probes stay short.
    table: Vec<u32>,
    /// Slots that held the smallest count `min_count` when the counts were last scanned, highest
    /// slot first so that `pop` yields the lowest. Entries whose count has grown since are stale
    /// and skipped.
    min_slots: Vec<u32>,
    min_count: u64,
    evicted: bool,
    /// Values offered and values that evicted another, to detect near-unique columns.
    offered: u64,
    evictions: u64,
    /// Set once the column proved near-unique: the summary then stops taking values.
    saturated: bool,
}

const EMPTY: u32 = u32::MAX;

/// Values offered before the summary checks whether the column is near-unique.
const SATURATION_CHECK: u64 = 1 << 20;

#[derive(Debug, Clone)]
struct Slot {
    value: String,
    hash: u64,
    count: u64,
    /// Overestimation inherited from the evicted value whose counter this slot took over.
    error: u64,
}

impl SpaceSaving {
    pub(crate) fn new(capacity: usize) -> Self {
        SpaceSaving {
            capacity,
            slots: Vec::new(),
            table: vec![EMPTY; (capacity * 2).next_power_of_two().max(8)],
            min_slots: Vec::new(),
            min_count: 0,
            evicted: false,
            offered: 0,
            evictions: 0,
            saturated: false,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether some value has lost its counter (counts are then lower bounds, not exact).
    pub(crate) fn evicted(&self) -> bool {
        self.evicted
    }

    #[cfg(test)]
    fn insert(&mut self, v: &str) {
        self.insert_hashed(v, hash64(v.as_bytes()));
    }

    /// Counts `v`, whose [`hash64`] is `hash`.
    pub(crate) fn insert_hashed(&mut self, v: &str, hash: u64) {
        if self.saturated {
            return;
        }
        self.offered += 1;
        let mask = self.table.len() - 1;
        let mut pos = hash as usize & mask;
        loop {
            let t = self.table[pos];
            if t == EMPTY {
                break;
            }
            let slot = &mut self.slots[t as usize];
            if slot.hash == hash && slot.value == v {
                slot.count += 1;
                return;
            }
            pos = (pos + 1) & mask;
        }
        if self.slots.len() < self.capacity {
            self.table[pos] = self.slots.len() as u32;
            self.slots.push(Slot {
                value: v.to_string(),
                hash,
                count: 1,
                error: 0,
            });
            return;
        }
        let Some(i) = self.take_min() else {
            return;
        };
        self.evicted = true;
        self.evictions += 1;
        self.unlink(i);
        let min = self.min_count;
        let slot = &mut self.slots[i as usize];
        slot.value.clear();
        slot.value.push_str(v);
        slot.hash = hash;
        slot.count = min + 1;
        slot.error = min;
        self.link(i);
        // On a near-unique column (ids, citizen IDs, mobiles) nearly every value evicts another
        // and every count is 1: the top values mean nothing there and feeding the summary only
        // costs time. After enough values, stop; the report keeps what the summary holds, and
        // the distinct estimate comes from the HyperLogLog as for any evicted column.
        if self.offered == SATURATION_CHECK && self.evictions * 10 >= self.offered * 9 {
            self.saturated = true;
        }
    }

    /// The slot with the smallest count (lowest slot among equals), with `min_count` set to it.
    /// Counts only grow, so the slots found at the minimum by one scan serve the following
    /// evictions until all of them have grown: a scan of all slots every `capacity` evictions
    /// at most, instead of an ordered-set update on every value.
    fn take_min(&mut self) -> Option<u32> {
        loop {
            while let Some(i) = self.min_slots.pop() {
                if self.slots[i as usize].count == self.min_count {
                    return Some(i);
                }
            }
            let min = self.slots.iter().map(|s| s.count).min()?;
            self.min_count = min;
            self.min_slots.extend(
                (0..self.slots.len() as u32)
                    .rev()
                    .filter(|&i| self.slots[i as usize].count == min),
            );
        }
    }

    fn link(&mut self, i: u32) {
        let mask = self.table.len() - 1;
        let mut pos = self.slots[i as usize].hash as usize & mask;
        while self.table[pos] != EMPTY {
            pos = (pos + 1) & mask;
        }
        self.table[pos] = i;
    }

    /// Removes slot `i` from the table, shifting later entries of its probe run back so that
    /// lookups never stop early at the hole.
    fn unlink(&mut self, i: u32) {
        let mask = self.table.len() - 1;
        let mut hole = self.slots[i as usize].hash as usize & mask;
        while self.table[hole] != i {
            hole = (hole + 1) & mask;
        }
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let t = self.table[j];
            if t == EMPTY {
                break;
            }
            let home = self.slots[t as usize].hash as usize & mask;
            // The entry at `j` may move to the hole unless its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.table[hole] = t;
                hole = j;
            }
        }
        self.table[hole] = EMPTY;
    }

    /// The `n` values with the highest guaranteed counts (exact while nothing was evicted).
    pub(crate) fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut all: Vec<(String, u64)> = self
            .slots
            .iter()
            .map(|s| (s.value.clone(), s.count - s.error))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_of_a_value_changes_its_hash() {
        for n in 0..=40usize {
            let value: Vec<u8> = (0..n as u8)
                .map(|b| b.wrapping_mul(7).wrapping_add(1))
                .collect();
            let h = hash64(&value);
            for i in 0..n {
                let mut changed = value.clone();
                changed[i] ^= 0x20;
                assert_ne!(hash64(&changed), h, "byte {i} of {n}");
            }
            let mut longer = value.clone();
            longer.push(0);
            assert_ne!(hash64(&longer), h, "length {n}");
        }
    }

    #[test]
    fn hll_is_close() {
        for n in [10u64, 1_000, 50_000, 300_000] {
            let mut h = HyperLogLog::new();
            for i in 0..n {
                h.insert(format!("value-{i}").as_bytes());
                h.insert(format!("value-{i}").as_bytes());
            }
            let e = h.estimate() as f64;
            let err = (e - n as f64).abs() / n as f64;
            assert!(err < 0.05, "n={n} estimate={e}");
        }
    }

    #[test]
    fn space_saving_finds_heavy_hitters() {
        let mut s = SpaceSaving::new(16);
        for i in 0..10_000 {
            s.insert(&format!("rare-{i}"));
            if i % 3 == 0 {
                s.insert("common");
            }
            if i % 5 == 0 {
                s.insert("frequent");
            }
        }
        let top = s.top(2);
        assert_eq!(top[0].0, "common");
        assert_eq!(top[1].0, "frequent");
        assert!(top[0].1 <= 3334 && top[0].1 > 2000, "{top:?}");
        assert_eq!(s.len(), 16);
    }

    /// The summary as first written (hash map plus ordered set of `(count, slot)`): the table
    /// and lazy minimum must make exactly the same choices.
    fn reference_space_saving(capacity: usize, values: &[String]) -> Vec<(String, u64, u64)> {
        use std::collections::{BTreeSet, HashMap};
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut slots: Vec<(String, u64, u64)> = Vec::new();
        let mut order = BTreeSet::new();
        for v in values {
            if let Some(&i) = index.get(v) {
                order.remove(&(slots[i].1, i));
                slots[i].1 += 1;
                order.insert((slots[i].1, i));
            } else if slots.len() < capacity {
                index.insert(v.clone(), slots.len());
                order.insert((1, slots.len()));
                slots.push((v.clone(), 1, 0));
            } else if let Some((min, i)) = order.pop_first() {
                index.remove(&slots[i].0);
                slots[i] = (v.clone(), min + 1, min);
                index.insert(v.clone(), i);
                order.insert((min + 1, i));
            }
        }
        slots
    }

    #[test]
    fn space_saving_matches_reference() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for (capacity, spread) in [(4, 6), (16, 40), (16, 1_000), (128, 300), (128, 100_000)] {
            let values: Vec<String> = (0..20_000)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    // Skewed: small numbers far more often than large ones.
                    let r = state % spread;
                    format!("v{}", r * r / spread)
                })
                .collect();
            let mut s = SpaceSaving::new(capacity);
            for v in &values {
                s.insert(v);
            }
            let got: Vec<(String, u64, u64)> = s
                .slots
                .iter()
                .map(|x| (x.value.clone(), x.count, x.error))
                .collect();
            assert_eq!(
                got,
                reference_space_saving(capacity, &values),
                "{capacity} {spread}"
            );
        }
    }

    #[test]
    fn exact_when_small() {
        let mut p = ColumnProfiler::new("city", Strictness::Identifiers, 0);
        for v in ["杭州", "宁波", "杭州", "", "温州", "杭州"] {
            p.observe(v);
        }
        p.observe_null();
        let r = p.report(p.inferred_type());
        assert_eq!(r.data_type, "string");
        assert_eq!(r.profile.count, 7);
        assert_eq!(r.profile.nulls, 2);
        assert_eq!(r.profile.distinct_estimate, 3);
        assert_eq!(r.profile.top_values[0], ("杭州".to_string(), 3));
        assert_eq!(r.profile.top_values.len(), 3);
        assert_eq!(r.proposed_grade, Grade::L1);
    }

    #[test]
    fn late_columns_count_earlier_rows_as_nulls() {
        let mut p = ColumnProfiler::new("x", Strictness::Identifiers, 5);
        p.observe("1");
        let r = p.report(p.inferred_type());
        assert_eq!((r.profile.count, r.profile.nulls), (6, 5));
        assert_eq!(r.data_type, "int64");
    }
}
