//! A collector counting the values of raw fast fields over every matching document.
//!
//! Counting happens on term ordinals, one array per segment and facet; ordinals are turned into
//! strings only once per segment, for the values that occurred.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::Facet;

/// Counts per value for each requested facet, merged over segments.
pub(crate) type FacetCounts = Vec<(Facet, HashMap<String, u64>)>;

/// Collects value counts for a list of facets.
pub(crate) struct FacetCollector {
    pub facets: Vec<Facet>,
}

/// Matching documents are counted in blocks of this many.
const BLOCK: usize = 64;

/// Per-segment state: for each facet, its column (absent when no document of the segment has a
/// value) and a count per term ordinal; documents waiting to be counted; and buffers for
/// counting a block.
pub(crate) struct FacetSegmentCollector {
    columns: Vec<(Facet, Option<StrColumn>, Vec<u32>)>,
    pending: Vec<DocId>,
    docs_out: Vec<DocId>,
    rows: Vec<u32>,
    ords: Vec<u64>,
}

impl Collector for FacetCollector {
    type Fruit = FacetCounts;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let mut columns = Vec::with_capacity(self.facets.len());
        for &facet in &self.facets {
            let column = segment.fast_fields().str(facet.field_name())?;
            let counts = vec![0u32; column.as_ref().map_or(0, |c| c.num_terms())];
            columns.push((facet, column, counts));
        }
        Ok(FacetSegmentCollector {
            columns,
            pending: Vec::with_capacity(BLOCK),
            docs_out: Vec::new(),
            rows: Vec::new(),
            ords: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segment_fruits: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut merged: FacetCounts = self.facets.iter().map(|&f| (f, HashMap::new())).collect();
        for fruit in segment_fruits {
            for ((_, into), (_, from)) in merged.iter_mut().zip(fruit) {
                for (value, n) in from {
                    *into.entry(value).or_insert(0) += n;
                }
            }
        }
        Ok(merged)
    }
}

impl FacetSegmentCollector {
    /// Counts the values of a block of documents, column by column: the block's row ids are
    /// found in one pass over the column index and their ordinals read as one batch, rather than
    /// looking up each document of each facet on its own.
    fn count(&mut self, docs: &[DocId]) {
        for (_, column, counts) in &mut self.columns {
            let Some(column) = column else { continue };
            let ords = column.ords();
            self.docs_out.clear();
            self.rows.clear();
            ords.row_ids_for_docs(docs, &mut self.docs_out, &mut self.rows);
            self.ords.clear();
            self.ords.resize(self.rows.len(), 0);
            ords.values.get_vals(&self.rows, &mut self.ords);
            for &ord in &self.ords {
                counts[ord as usize] += 1;
            }
        }
    }

    fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.count(&pending);
        self.pending = pending;
        self.pending.clear();
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.pending.push(doc);
        if self.pending.len() == BLOCK {
            self.flush();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.count(docs);
    }

    fn harvest(mut self) -> FacetCounts {
        self.flush();
        self.columns
            .into_iter()
            .map(|(facet, column, counts)| {
                let mut values = HashMap::new();
                if let Some(column) = column {
                    // The ordinals that occurred, in order, are turned into strings in one pass
                    // over the dictionary's blocks.
                    let (ords, ns): (Vec<u64>, Vec<u32>) = counts
                        .iter()
                        .enumerate()
                        .filter(|(_, &n)| n > 0)
                        .map(|(ord, &n)| (ord as u64, n))
                        .unzip();
                    let mut ns = ns.into_iter();
                    // A dictionary read error leaves values out of the counts rather than failing
                    // the whole search: facets are a navigation aid.
                    let _ = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                        if let (Some(n), Ok(value)) = (ns.next(), std::str::from_utf8(bytes)) {
                            values.insert(value.to_string(), u64::from(n));
                        }
                    });
                }
                (facet, values)
            })
            .collect()
    }
}

/// Orders a facet's counts by count descending then value, keeping at most `limit` (0 = all).
pub(crate) fn top_values(counts: HashMap<String, u64>, limit: usize) -> Vec<(String, u64)> {
    let mut values: Vec<(String, u64)> = counts.into_iter().collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if limit > 0 {
        values.truncate(limit);
    }
    values
}
