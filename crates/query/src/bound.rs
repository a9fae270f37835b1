//! Contribution bounds: at most m rows of one entity reach a noisy clean-room aggregate.
//!
//! Laplace noise protects one person or firm only if the sensitivity it is scaled to holds: a
//! COUNT changes by at most the number of rows one entity has, a SUM by that many times its
//! clamped bound. The owner declares that number (`max_rows_per_entity`); [`BoundExec`] makes it
//! true of the rows a query aggregates, whatever the data holds: below the seal, after the row
//! filter and the filters the view applies, it passes a row only while every entity the row
//! belongs to (each entity column's pseudonym, a null as an entity of its own) has had fewer
//! than m rows passed, and drops the rest. Which rows of an over-represented entity are kept
//! depends on the order they are read in; how many never exceeds m.
//!
//! The counts live in one hash map per entity column, shared by the node's partitions, and are
//! charged to the query's memory pool, so a table with more entities than the memory limit
//! allows fails with `query_memory` rather than taking the server's memory. Nothing is sorted.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, AsArray, BooleanArray, Decimal128Array};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::Decimal128Type;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::Statistics;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::statistics::{ChildStats, StatisticsArgs};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

/// What one counted entity costs in memory, roughly (key, count, hash table overhead).
const ENTRY_BYTES: usize = 48;

/// Rows kept so far, per entity, per entity column; a null entity is [`NULL_ENTITY`].
type Counts = Vec<HashMap<i128, u32, BuildHasherDefault<PseudonymHasher>>>;

/// The key of a null entity: pseudonyms are never negative.
const NULL_ENTITY: i128 = -1;

/// A pseudonym is the first bits of an HMAC, uniform to anyone without the platform's secret,
/// so its own bits are a good hash, and nobody can choose values whose pseudonyms collide in
/// them; hashing them again (SipHash) was most of what the bound cost.
#[derive(Default)]
struct PseudonymHasher(u64);

impl Hasher for PseudonymHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_i128(&mut self, value: i128) {
        self.0 = (value as u64) ^ ((value >> 64) as u64);
    }
}

/// Whether `node` is a per-entity bound (a clean-room node, which never leaves the server).
pub(crate) fn is_bound(node: &dyn ExecutionPlan) -> bool {
    node.downcast_ref::<BoundExec>().is_some()
}

/// Passes at most `max_rows` rows per entity of each of `columns`; see the module documentation.
pub(crate) struct BoundExec {
    input: Arc<dyn ExecutionPlan>,
    /// Indices of the entity columns (pseudonyms) in the input.
    columns: Vec<usize>,
    max_rows: u32,
    counts: Arc<Mutex<Counts>>,
    properties: Arc<PlanProperties>,
}

impl BoundExec {
    pub(crate) fn new(input: Arc<dyn ExecutionPlan>, columns: Vec<usize>, max_rows: u32) -> Self {
        let properties = Arc::clone(input.properties());
        BoundExec {
            counts: Arc::new(Mutex::new(vec![HashMap::default(); columns.len()])),
            input,
            columns,
            max_rows: max_rows.max(1),
            properties,
        }
    }
}

impl fmt::Debug for BoundExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BoundExec(max_rows={})", self.max_rows)
    }
}

impl DisplayAs for BoundExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "BoundExec: max_rows_per_entity={}", self.max_rows)
    }
}

impl ExecutionPlan for BoundExec {
    fn name(&self) -> &str {
        "BoundExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let [input] = <[_; 1]>::try_from(children)
            .map_err(|_| DataFusionError::Internal("BoundExec has one child".into()))?;
        Ok(Arc::new(BoundExec::new(
            input,
            self.columns.clone(),
            self.max_rows,
        )))
    }

    /// An estimate of the input's size, as [`crate::policy::PolicyExec`] reports it.
    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> DfResult<Arc<Statistics>> {
        Ok(crate::policy::size_only(&self.schema(), input_stats))
    }

    fn child_stats_requests(&self, partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::At(partition)]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let input = self.input.execute(partition, Arc::clone(&context))?;
        let mut reservation =
            MemoryConsumer::new(format!("BoundExec[{partition}]")).register(context.memory_pool());
        let (columns, max_rows, counts) = (
            self.columns.clone(),
            self.max_rows,
            Arc::clone(&self.counts),
        );
        let stream =
            input.map(move |batch| bound(&batch?, &columns, max_rows, &counts, &mut reservation));
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            stream,
        )))
    }
}

fn bound(
    batch: &RecordBatch,
    columns: &[usize],
    max_rows: u32,
    counts: &Mutex<Counts>,
    reservation: &mut MemoryReservation,
) -> DfResult<RecordBatch> {
    let keys: Vec<&Decimal128Array> = columns
        .iter()
        .map(|&i| {
            batch
                .column(i)
                .as_primitive_opt::<Decimal128Type>()
                .ok_or_else(|| {
                    DataFusionError::Internal("an entity column is not a pseudonym".into())
                })
        })
        .collect::<DfResult<_>>()?;
    let key = |array: &Decimal128Array, row: usize| {
        if array.is_null(row) {
            NULL_ENTITY
        } else {
            array.value(row)
        }
    };
    let mut counts = counts
        .lock()
        .map_err(|_| DataFusionError::Internal("entity counts poisoned".into()))?;
    let before: usize = counts.iter().map(HashMap::len).sum();
    let mut keep = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let room = keys
            .iter()
            .zip(counts.iter())
            .all(|(k, seen)| seen.get(&key(k, row)).copied().unwrap_or(0) < max_rows);
        if room {
            for (k, seen) in keys.iter().zip(counts.iter_mut()) {
                *seen.entry(key(k, row)).or_insert(0) += 1;
            }
        }
        keep.push(room);
    }
    let after: usize = counts.iter().map(HashMap::len).sum();
    drop(counts);
    reservation.try_grow((after - before) * ENTRY_BYTES)?;
    Ok(filter_record_batch(batch, &BooleanArray::from(keep))?)
}
