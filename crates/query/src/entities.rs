//! Counting the distinct entities of a clean-room group, up to k.
//!
//! A group is kept when it covers at least k distinct entities, so the count only has to tell
//! "fewer than k" from "k or more". [`AtLeastUdaf`] counts the distinct pseudonyms of a group
//! and stops taking values once it holds k: its result is `min(distinct values, k)`, which is
//! below k exactly when the true count is. That bound keeps the state of a large group at k
//! values instead of every entity it holds, and it lets the aggregation run on DataFusion's
//! vectorised group path (`COUNT(DISTINCT …)` has none), so the count costs about as much as a
//! `COUNT(*)`.
//!
//! Partial states are the values held (at most k); merging them keeps the bound exact: if some
//! partial state is full the merged one is too, and if none is, every partial state holds all
//! of its values and the union is the true set.
//!
//! Like the mask and pseudonym functions, it is never registered, so a query cannot call it; the
//! clean room adds it to the plan after the check.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Decimal128Array, Int64Array, ListArray,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef};
use datafusion::common::{exec_err, Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, Expr, GroupsAccumulator, Signature,
    Volatility,
};

use crate::policy::PseudonymKey;

/// Up to this many values a set is a vector searched in order; above, a hash set.
const SMALL: usize = 32;

/// `min(COUNT(DISTINCT pseudonym), k)` of `column`.
pub(crate) fn at_least(column: Expr, k: u32) -> Expr {
    AggregateUDF::from(AtLeastUdaf::new(k)).call(vec![column])
}

/// The distinct values of one group, up to `k`.
#[derive(Debug, Default, Clone)]
enum Entities {
    #[default]
    None,
    Few(Vec<i128>),
    Many(HashSet<i128>),
}

impl Entities {
    fn len(&self) -> usize {
        match self {
            Entities::None => 0,
            Entities::Few(v) => v.len(),
            Entities::Many(s) => s.len(),
        }
    }

    /// Takes `value` unless the set already holds `k` values or holds it.
    fn insert(&mut self, value: i128, k: usize) {
        match self {
            Entities::None => *self = Entities::Few(vec![value]),
            Entities::Few(values) => {
                if values.len() >= k || values.contains(&value) {
                    return;
                }
                if values.len() < SMALL {
                    values.push(value);
                } else {
                    let mut set: HashSet<i128> = values.drain(..).collect();
                    set.insert(value);
                    *self = Entities::Many(set);
                }
            }
            Entities::Many(set) => {
                if set.len() < k {
                    set.insert(value);
                }
            }
        }
    }

    fn values(&self) -> Vec<i128> {
        match self {
            Entities::None => Vec::new(),
            Entities::Few(v) => v.clone(),
            Entities::Many(s) => s.iter().copied().collect(),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + match self {
                Entities::None => 0,
                Entities::Few(v) => v.capacity() * 16,
                Entities::Many(s) => s.capacity() * 24,
            }
    }
}

/// The aggregate function; see the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct AtLeastUdaf {
    k: u32,
    signature: Signature,
}

impl AtLeastUdaf {
    pub(crate) fn new(k: u32) -> Self {
        AtLeastUdaf {
            k: k.max(1),
            signature: Signature::exact(vec![PseudonymKey::TYPE], Volatility::Immutable),
        }
    }

    fn item() -> FieldRef {
        Arc::new(Field::new_list_field(PseudonymKey::TYPE, true))
    }
}

impl AggregateUDFImpl for AtLeastUdaf {
    fn name(&self) -> &str {
        "entities_at_least"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Int64)
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(AtLeastAccumulator {
            k: self.k as usize,
            entities: Entities::None,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[entities]", args.name),
            DataType::List(Self::item()),
            true,
        ))])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        _args: AccumulatorArgs,
    ) -> DfResult<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(AtLeastGroups {
            k: self.k as usize,
            groups: Vec::new(),
        }))
    }
}

fn pseudonyms(array: &ArrayRef) -> DfResult<&Decimal128Array> {
    match array.as_primitive_opt::<Decimal128Type>() {
        Some(values) => Ok(values),
        None => exec_err!(
            "entities_at_least takes pseudonyms, not {}",
            array.data_type()
        ),
    }
}

fn list_of(sets: &[&Entities]) -> DfResult<ArrayRef> {
    let mut lengths = Vec::with_capacity(sets.len());
    let mut values = Vec::new();
    for set in sets {
        let held = set.values();
        lengths.push(held.len());
        values.extend(held);
    }
    let values = Decimal128Array::from(values).with_precision_and_scale(38, 0)?;
    Ok(Arc::new(ListArray::try_new(
        AtLeastUdaf::item(),
        OffsetBuffer::from_lengths(lengths),
        Arc::new(values),
        None,
    )?))
}

#[derive(Debug)]
struct AtLeastAccumulator {
    k: usize,
    entities: Entities,
}

impl Accumulator for AtLeastAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        for value in pseudonyms(&values[0])?.iter().flatten() {
            if self.entities.len() >= self.k {
                break;
            }
            self.entities.insert(value, self.k);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        Ok(ScalarValue::Int64(Some(self.entities.len() as i64)))
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.entities.size()
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        let list = list_of(&[&self.entities])?;
        Ok(vec![ScalarValue::List(Arc::new(
            list.as_list::<i32>().clone(),
        ))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let lists = states[0].as_list::<i32>();
        for held in lists.iter().flatten() {
            for value in pseudonyms(&held)?.iter().flatten() {
                self.entities.insert(value, self.k);
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
struct AtLeastGroups {
    k: usize,
    groups: Vec<Entities>,
}

impl GroupsAccumulator for AtLeastGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> DfResult<()> {
        self.groups.resize(total_num_groups, Entities::None);
        let values = pseudonyms(&values[0])?;
        let k = self.k;
        for (row, &group) in group_indices.iter().enumerate() {
            if values.is_null(row) || opt_filter.is_some_and(|f| !f.value(row) || f.is_null(row)) {
                continue;
            }
            let set = &mut self.groups[group];
            if set.len() < k {
                set.insert(values.value(row), k);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> DfResult<ArrayRef> {
        let emitted = emit_to.take_needed(&mut self.groups);
        Ok(Arc::new(Int64Array::from_iter_values(
            emitted.iter().map(|set| set.len() as i64),
        )))
    }

    fn state(&mut self, emit_to: EmitTo) -> DfResult<Vec<ArrayRef>> {
        let emitted = emit_to.take_needed(&mut self.groups);
        Ok(vec![list_of(&emitted.iter().collect::<Vec<_>>())?])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> DfResult<()> {
        self.groups.resize(total_num_groups, Entities::None);
        let lists = values[0].as_list::<i32>();
        let k = self.k;
        for (row, &group) in group_indices.iter().enumerate() {
            if lists.is_null(row) {
                continue;
            }
            let held = lists.value(row);
            let set = &mut self.groups[group];
            for value in pseudonyms(&held)?.iter().flatten() {
                if set.len() >= k {
                    break;
                }
                set.insert(value, k);
            }
        }
        Ok(())
    }

    /// Each row as the state of a group holding its one value (none when null or filtered out).
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> DfResult<Vec<ArrayRef>> {
        let values = pseudonyms(&values[0])?;
        let sets: Vec<Entities> = (0..values.len())
            .map(|row| {
                let skipped = values.is_null(row)
                    || opt_filter.is_some_and(|f| !f.value(row) || f.is_null(row));
                if skipped {
                    Entities::None
                } else {
                    Entities::Few(vec![values.value(row)])
                }
            })
            .collect();
        Ok(vec![list_of(&sets.iter().collect::<Vec<_>>())?])
    }

    fn size(&self) -> usize {
        self.groups.capacity() * std::mem::size_of::<Entities>()
            + self.groups.iter().map(Entities::size).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::functions_aggregate::expr_fn::count_distinct;
    use datafusion::prelude::{col, SessionConfig, SessionContext};

    fn decimals(values: impl IntoIterator<Item = Option<i128>>) -> ArrayRef {
        Arc::new(
            Decimal128Array::from_iter(values)
                .with_precision_and_scale(38, 0)
                .unwrap(),
        )
    }

    #[test]
    fn a_set_stops_at_k_and_counts_each_value_once() {
        for k in [1, 5, SMALL, SMALL + 7, 1000] {
            let mut set = Entities::None;
            for v in 0..3000i128 {
                set.insert(v % 700, k);
                set.insert(v % 700, k);
            }
            assert_eq!(set.len(), k.min(700), "k = {k}");
        }
    }

    /// Groups of known sizes through DataFusion's group path and its single-group path, on
    /// several partitions so partial states are merged: the result is min(distinct, k).
    #[tokio::test]
    async fn counts_match_count_distinct_up_to_k() {
        let ctx = SessionContext::new_with_config(
            SessionConfig::new()
                .with_target_partitions(4)
                .with_batch_size(7),
        );
        let mut groups = Vec::new();
        let mut entities = Vec::new();
        // group g holds g distinct entities, each on up to three rows; nulls never count.
        for g in 0..40i64 {
            for e in 0..g {
                for _ in 0..=(e % 3) {
                    groups.push(g);
                    entities.push(Some(i128::from(g * 1000 + e) << 70));
                }
            }
            groups.push(g);
            entities.push(None);
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("g", DataType::Int64, false),
            Field::new("e", PseudonymKey::TYPE, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(Int64Array::from(groups)), decimals(entities)],
        )
        .unwrap();
        let parts: Vec<Vec<RecordBatch>> = (0..4)
            .map(|i| {
                let n = batch.num_rows();
                vec![batch.slice(i * n / 4, (i + 1) * n / 4 - i * n / 4)]
            })
            .collect();
        let table = datafusion::catalog::MemTable::try_new(schema, parts).unwrap();
        ctx.register_table("t", Arc::new(table)).unwrap();
        for k in [1u32, 3, 10, 35, 100] {
            let rows = ctx
                .table("t")
                .await
                .unwrap()
                .aggregate(
                    vec![col("g")],
                    vec![
                        at_least(col("e"), k).alias("at_least"),
                        count_distinct(col("e")).alias("exact"),
                    ],
                )
                .unwrap()
                .collect()
                .await
                .unwrap();
            let mut seen = 0;
            for b in rows {
                let ours = b
                    .column(1)
                    .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                let exact = b
                    .column(2)
                    .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
                for i in 0..b.num_rows() {
                    assert_eq!(ours.value(i), exact.value(i).min(i64::from(k)), "k = {k}");
                    seen += 1;
                }
            }
            assert_eq!(seen, 40);
            // One group, no GROUP BY: the plain accumulator.
            let all = ctx
                .table("t")
                .await
                .unwrap()
                .aggregate(vec![], vec![at_least(col("e"), k).alias("n")])
                .unwrap()
                .collect()
                .await
                .unwrap();
            let n = all[0]
                .column(0)
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                .value(0);
            assert_eq!(n, i64::from(k).min(780), "k = {k}");
        }
    }
}
