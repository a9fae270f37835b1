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

/// Per-segment state: for each facet, its column (absent when no document of the segment has a
/// value) and a count per term ordinal.
pub(crate) struct FacetSegmentCollector {
    columns: Vec<(Facet, Option<StrColumn>, Vec<u32>)>,
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
        Ok(FacetSegmentCollector { columns })
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

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (_, column, counts) in &mut self.columns {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
    }

    fn harvest(self) -> FacetCounts {
        self.columns
            .into_iter()
            .map(|(facet, column, counts)| {
                let mut values = HashMap::new();
                if let Some(column) = column {
                    let mut buf = String::new();
                    for (ord, &n) in counts.iter().enumerate() {
                        // A dictionary read error leaves the value out of the counts rather than
                        // failing the whole search: facets are a navigation aid.
                        if n > 0 && matches!(column.ord_to_str(ord as u64, &mut buf), Ok(true)) {
                            values.insert(buf.clone(), u64::from(n));
                        }
                    }
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
