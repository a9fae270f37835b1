//! The one place policy becomes plan (DESIGN.md C5): fresh sessions with limits, and the policy
//! view that every table of a request is.
//!
//! A [`PolicyView`] is a table provider whose rows come from a plan built from the decision
//! alone: scan the Parquet file, keep the rows that meet the row filter, then project raw
//! columns as they are and masked columns through [`MaskUdf`] under their own name. Columns
//! with any other verdict are not projected and so do not exist for the query.
//!
//! That plan is optimised and turned into an execution plan on its own, inside
//! [`TableProvider::scan`], and wrapped in a [`PolicyExec`], a node that accepts no filter from
//! above. DataFusion pushes predicates as far down as it can, and through an ordinary view it
//! would merge the caller's `WHERE` with the row filter and evaluate both together on every row
//! of the file, so that an expression failing on some value (a division by zero, a bad cast)
//! would tell the caller about rows outside the filter. Behind the seal, the caller's
//! expressions see only rows that passed the row filter and values already masked. Predicates
//! that cannot fail are moved into the view (after the mask), where the reader also uses them
//! to skip row groups; see [`is_infallible`]. Run-time filters cross the seal only under the
//! conditions [`PolicyExec`] states.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, ScalarValue, Statistics, TableReference};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::GreedyMemoryPool;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::SessionStateDefaults;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{
    cast, ColumnarValue, Expr, LogicalPlan, LogicalPlanBuilder, Operator, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, TableProviderFilterPushDown, TableType, Volatility,
};
use datafusion::physical_expr::expressions::{Column as PhysicalColumn, DynamicFilterPhysicalExpr};
use datafusion::physical_expr::{PhysicalExpr, PhysicalSortExpr};
use datafusion::physical_plan::filter_pushdown::{
    ChildFilterDescription, FilterDescription, FilterPushdownPhase,
};
use datafusion::physical_plan::statistics::{ChildStats, StatisticsArgs};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SortOrderPushdownResult,
};
use datafusion::prelude::{SessionConfig, SessionContext};
use hmac::{Hmac, Mac};
use model::access::{Mask, Verdict};
use sha2::{Digest, Sha256};

use crate::conditions::{self, column};
use crate::{PolicyTable, QueryError};

/// Table functions a query may call: they make numbers and read nothing.
const TABLE_FUNCTIONS: &[&str] = &["generate_series", "range"];

/// Whether `name` is a table function queries may use.
pub(crate) fn is_allowed_table_function(name: &str) -> bool {
    TABLE_FUNCTIONS.contains(&name)
}

/// What the sessions of one engine share: the parsed Parquet footers (with their statistics and
/// page indexes), the statistics of the files, the ranges read one at a time (see
/// [`crate::ranges`]) and decoded bloom filters (see [`crate::blooms`]), so a query does not read and decode a version's metadata again. Versions never change under one path (a new version or a rewrite is
/// a new file), and each entry is checked against the file's size and modification time.
/// Metadata holds no value that the query may not see through its view: the caches sit below the
/// seal, with the files.
#[derive(Clone)]
pub(crate) struct SharedCaches {
    metadata: Arc<datafusion::execution::cache::cache_manager::CacheManager>,
    stores: Arc<DefaultObjectStoreRegistry>,
    /// Whether a store over the network is registered: its reads wait on round trips, so
    /// sessions read more parts of a file at once ([`REMOTE_PARTITIONS`]).
    remote: Arc<std::sync::atomic::AtomicBool>,
    /// Bloom filters kept decoded, for lookups ([`crate::blooms`]).
    blooms: Arc<crate::blooms::BloomCache>,
}

/// How many partitions a session splits its scans into when versions are read over the network:
/// each waits on its own requests, so more of them hide the round trips (measured by
/// `bench/nodes`: a GROUP BY over 10 million rows in an S3-compatible store on loopback).
const REMOTE_PARTITIONS: usize = 16;

/// How many bytes of single ranges the engine keeps: the bloom filters of an identifier column
/// over 10 million rows are about 20 MB.
const RANGE_CACHE_BYTES: usize = 128 << 20;

impl SharedCaches {
    pub(crate) fn new() -> SharedCaches {
        let config = datafusion::execution::cache::cache_manager::CacheManagerConfig::default();
        let caches = SharedCaches {
            metadata: datafusion::execution::cache::cache_manager::CacheManager::try_new(&config)
                .expect("the default cache configuration is valid"),
            stores: Arc::new(DefaultObjectStoreRegistry::new()),
            remote: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            blooms: Arc::new(crate::blooms::BloomCache::new(
                crate::blooms::BLOOM_CACHE_BYTES,
            )),
        };
        let local = url::Url::parse("file://").expect("a valid URL");
        caches.register_store(
            &local,
            Arc::new(datafusion::object_store::local::LocalFileSystem::new()),
        );
        caches
    }

    /// Reads the objects under `base` from `store`, keeping its single ranges as every store's.
    pub(crate) fn register_store(
        &self,
        base: &url::Url,
        store: Arc<dyn datafusion::object_store::ObjectStore>,
    ) {
        if base.scheme() != "file" {
            self.remote
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        self.stores.register_store(
            base,
            Arc::new(crate::ranges::RangeCache::new(store, RANGE_CACHE_BYTES)),
        );
    }

    /// The store that holds `location`.
    pub(crate) fn store_of(
        &self,
        location: &crate::Location,
    ) -> Result<Arc<dyn datafusion::object_store::ObjectStore>, QueryError> {
        self.stores
            .get_store(location.url())
            .map_err(QueryError::internal)
    }

    fn config(&self) -> datafusion::execution::cache::cache_manager::CacheManagerConfig {
        datafusion::execution::cache::cache_manager::CacheManagerConfig::default()
            .with_file_metadata_cache(Some(self.metadata.get_file_metadata_cache()))
            .with_file_statistics_cache(self.metadata.get_file_statistic_cache())
    }
}

impl std::fmt::Debug for SharedCaches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedCaches(..)")
    }
}

/// A fresh session: memory limited, no spilling, no information schema, no URL tables, no table
/// factories or file formats (so no `CREATE EXTERNAL TABLE` or `COPY`, even if a statement got
/// that far), and only the harmless table functions. It shares the engine's metadata caches.
pub(crate) fn new_session(engine: &crate::Engine) -> Result<SessionContext, QueryError> {
    let limits = engine.limits();
    let mut config = SessionConfig::new()
        .with_information_schema(false)
        .with_create_default_catalog_and_schema(true);
    {
        let options = config.options_mut();
        // Parquet text is read as Utf8View, which filters, groups and sorts faster than Utf8
        // (measured by the policy_cost example: reading Utf8 was most of what the policy view
        // cost). Masks read every string type and make Utf8; the outputs read every string type. Casts
        // written in SQL still make Utf8.
        options.sql_parser.map_string_types_to_utf8view = false;
        options.execution.parquet.pushdown_filters = true;
        options.execution.parquet.enable_page_index = false;
        if engine
            .caches
            .remote
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            options.execution.target_partitions =
                options.execution.target_partitions.max(REMOTE_PARTITIONS);
        }
    }
    let config = config.with_extension(Arc::clone(&engine.caches.blooms));
    let runtime = RuntimeEnvBuilder::new()
        .with_cache_manager(engine.caches.config())
        .with_object_store_registry(engine.caches.stores.clone())
        .with_memory_pool(Arc::new(GreedyMemoryPool::new(limits.memory_bytes)))
        .with_disk_manager_builder(
            DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
        )
        .build_arc()
        .map_err(QueryError::internal)?;
    let table_functions = SessionStateDefaults::default_table_functions()
        .into_iter()
        .filter(|f| is_allowed_table_function(f.name()))
        .map(|f| (f.name().to_string(), f))
        .collect();
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_default_features()
        .with_table_factories(HashMap::new())
        .with_file_formats(Vec::new())
        .with_table_functions(table_functions)
        .with_physical_optimizer_rule(Arc::new(crate::groups::FewGroups))
        .build();
    Ok(SessionContext::new_with_state(state))
}

/// `frame` with its Utf8View columns cast to Utf8. Sessions read text as Utf8View, which is
/// faster to filter, group and sort; every output (rows, JSON, exports) gets plain Utf8, cast
/// once on the rows that leave. Other columns keep their qualifier, and so do the cast ones, so
/// two columns of one name from two tables stay apart.
pub(crate) fn plain_strings(
    frame: datafusion::dataframe::DataFrame,
) -> Result<datafusion::dataframe::DataFrame, QueryError> {
    let views = |t: &DataType| *t == DataType::Utf8View;
    if !frame.schema().fields().iter().any(|f| views(f.data_type())) {
        return Ok(frame);
    }
    let exprs: Vec<Expr> = frame
        .schema()
        .iter()
        .map(|(qualifier, field)| {
            let c = Expr::Column(Column::new(qualifier.cloned(), field.name()));
            if views(field.data_type()) {
                cast(c, DataType::Utf8).alias_qualified(qualifier.cloned(), field.name())
            } else {
                c
            }
        })
        .collect();
    Ok(frame.select(exprs)?)
}

/// Registers each table whose decision allows rows under its exact name. Tables whose decision
/// allows no rows are not registered at all, so queries naming them fail with
/// `table_not_found`.
pub(crate) async fn register(
    ctx: &SessionContext,
    tables: &[PolicyTable],
) -> Result<(), QueryError> {
    let mut names = std::collections::HashSet::new();
    for table in tables.iter().filter(|t| t.decision.rows_allowed()) {
        if !names.insert(table.name.as_str()) {
            // Two decisions for one name: which one applies would be a guess.
            return Err(QueryError::internal(format!(
                "two tables named `{}`",
                table.name
            )));
        }
        let view = PolicyView::build(ctx, table).await?;
        ctx.register_table(TableReference::bare(table.name.as_str()), Arc::new(view))
            .map_err(QueryError::internal)?;
    }
    Ok(())
}

/// Reads a Parquet file as a table, without treating any character of its path as a glob.
pub(crate) async fn parquet_table(
    ctx: &SessionContext,
    parquet: &crate::Location,
) -> Result<ListingTable, QueryError> {
    let table_url =
        ListingTableUrl::try_new(parquet.url().clone(), None).map_err(QueryError::internal)?;
    let state = ctx.state();
    let format = ParquetFormat::default().with_options(state.default_table_options().parquet);
    let options = ListingOptions::new(Arc::new(format)).with_file_extension("");
    let config = ListingTableConfig::new(table_url)
        .with_listing_options(options)
        .infer_schema(&state)
        .await
        .map_err(QueryError::internal)?;
    ListingTable::try_new(config).map_err(QueryError::internal)
}

/// How one column of a view is projected.
#[derive(Debug, Clone)]
pub(crate) enum Projected {
    /// As stored.
    Raw,
    /// Through a mask, under its own name.
    Masked(Mask),
    /// As its keyed pseudonym, under its own name (clean room).
    Pseudonym(Arc<PseudonymKey>),
}

/// One table of a request as its decision shapes it.
#[derive(Debug)]
pub(crate) struct PolicyView {
    name: String,
    /// Row filter, then projection with masks.
    plan: LogicalPlan,
    schema: SchemaRef,
    /// The view's columns that are projected as stored, the only ones a run-time filter from
    /// above may read under the seal (see [`PolicyExec`]).
    raw: Arc<HashSet<String>>,
    /// Entity columns and the most rows one entity may contribute ([`crate::bound`]).
    bound: Option<(Vec<String>, u32)>,
}

impl PolicyView {
    async fn build(ctx: &SessionContext, table: &PolicyTable) -> Result<PolicyView, QueryError> {
        let decision = &table.decision;
        if !decision.rows_allowed() {
            return Err(QueryError::TableNotFound(table.name.clone()));
        }
        let columns = decision
            .visible()
            .map(|(name, verdict)| {
                let projected = match verdict {
                    Verdict::Masked { mask } => Projected::Masked(mask),
                    _ => Projected::Raw,
                };
                (name.to_string(), projected)
            })
            .collect::<Vec<_>>();
        PolicyView::build_from(
            ctx,
            &table.name,
            &table.parquet,
            &decision.row_filter,
            &columns,
        )
        .await
    }

    /// The view of `name`: the Parquet file, the row filter, then `columns` in order, each as
    /// it is projected. Columns the version lacks are left out; a view without columns is a
    /// table that is not there.
    pub(crate) async fn build_from(
        ctx: &SessionContext,
        name: &str,
        parquet: &crate::Location,
        row_filter: &[model::filter::Condition],
        columns: &[(String, Projected)],
    ) -> Result<PolicyView, QueryError> {
        let source = parquet_table(ctx, parquet).await?;
        let file_schema = source.schema();
        let mut frame = ctx
            .read_table(Arc::new(source))
            .map_err(QueryError::internal)?;
        // A row filter that does not fit the file fails closed, as an internal error: the grant
        // is wrong, and the caller must not get rows it does not cover.
        if let Some(predicate) = conditions::conjunction(row_filter, &file_schema)
            .map_err(|e| QueryError::internal(format!("row filter of `{name}`: {e:?}")))?
        {
            frame = frame.filter(predicate).map_err(QueryError::internal)?;
        }
        let mut projection = Vec::new();
        let mut raw = HashSet::new();
        for (column_name, projected) in columns {
            let Ok(field) = file_schema.field_with_name(column_name) else {
                // A column of the dataset that this version lacks: nothing to show.
                continue;
            };
            projection.push(match projected {
                Projected::Raw => {
                    raw.insert(column_name.clone());
                    column(column_name)
                }
                Projected::Masked(mask) => masked(column_name, field.data_type(), *mask),
                Projected::Pseudonym(key) => {
                    pseudonymised(column_name, field.data_type(), Arc::clone(key))
                }
            });
        }
        if projection.is_empty() {
            // Nothing to show; a table without columns is treated as one that is not there.
            return Err(QueryError::TableNotFound(name.to_string()));
        }
        let frame = frame.select(projection).map_err(QueryError::internal)?;
        let plan = frame.into_unoptimized_plan();
        let schema = Arc::new(plan.schema().as_arrow().clone());
        Ok(PolicyView {
            name: name.to_string(),
            plan,
            schema,
            raw: Arc::new(raw),
            bound: None,
        })
    }

    /// The same view passing at most `max_rows` rows per entity of each of `entities` (clean
    /// room under noise; [`crate::bound`]).
    pub(crate) fn bounded(mut self, entities: Vec<String>, max_rows: u32) -> PolicyView {
        self.bound = Some((entities, max_rows));
        self
    }
}

/// A column as text: text types as they are, anything else cast to Utf8 (which cannot fail).
fn as_text(name: &str, data_type: &DataType) -> Expr {
    if matches!(
        data_type,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    ) {
        column(name)
    } else {
        cast(column(name), DataType::Utf8)
    }
}

/// The pseudonymised form of a column, under the column's own name.
pub(crate) fn pseudonymised(name: &str, data_type: &DataType, key: Arc<PseudonymKey>) -> Expr {
    ScalarUDF::from(PseudonymUdf::new(key))
        .call(vec![as_text(name, data_type)])
        .alias(name)
}

/// The masking function of `mask` (for plans decoded on a cluster's executors).
pub(crate) fn mask_function(mask: Mask) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(MaskUdf::new(mask)))
}

/// The mask of `function`, if it is a masking function.
pub(crate) fn mask_of(function: &ScalarUDF) -> Option<Mask> {
    function.inner().downcast_ref::<MaskUdf>().map(|m| m.mask)
}

/// Whether `function` is the clean room's pseudonymising function.
pub(crate) fn is_pseudonym(function: &ScalarUDF) -> bool {
    function.inner().downcast_ref::<PseudonymUdf>().is_some()
}

/// The masked form of a column, under the column's own name.
fn masked(name: &str, data_type: &DataType, mask: Mask) -> Expr {
    ScalarUDF::from(MaskUdf::new(mask))
        .call(vec![as_text(name, data_type)])
        .alias(name)
}

#[async_trait]
impl TableProvider for PolicyView {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        // Exact: the view applies such a filter itself, in its own plan, after the row filter and
        // the masks, where it sees exactly the values it would see above the seal; so no copy is
        // kept above, and a sort over the view meets the view directly (its order, and a
        // TopK's run-time filter, can then reach the reader). Inside, the Parquet reader uses it
        // to skip what cannot match.
        Ok(filters
            .iter()
            .map(|f| {
                if is_infallible(f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let mut builder = LogicalPlanBuilder::from(self.plan.clone());
        let copied: Vec<Expr> = filters
            .iter()
            .filter(|f| is_infallible(f))
            .map(|f| unqualified(f.clone()))
            .collect::<DfResult<_>>()?;
        if let Some(predicate) = datafusion::logical_expr::utils::conjunction(copied) {
            builder = builder.filter(predicate)?;
        }
        if let Some((entities, max_rows)) = &self.bound {
            // The bound sees every row that passed the filters, before projection and limit.
            let inner =
                narrow_by_blooms(state, state.create_physical_plan(&builder.build()?).await?)
                    .await?;
            let schema = inner.schema();
            let columns: Vec<usize> = entities
                .iter()
                .filter_map(|e| schema.index_of(e).ok())
                .collect();
            if columns.is_empty() {
                return Err(DataFusionError::Internal(
                    "a bounded view without entity columns".into(),
                ));
            }
            let mut exec: Arc<dyn ExecutionPlan> =
                Arc::new(crate::bound::BoundExec::new(inner, columns, *max_rows));
            if let Some(indices) = projection {
                let exprs = indices
                    .iter()
                    .map(|&i| {
                        let name = self.schema.field(i).name();
                        let at = exec.schema().index_of(name)?;
                        Ok((
                            Arc::new(PhysicalColumn::new(name, at)) as Arc<dyn PhysicalExpr>,
                            name.clone(),
                        ))
                    })
                    .collect::<DfResult<Vec<_>>>()?;
                exec = Arc::new(
                    datafusion::physical_plan::projection::ProjectionExec::try_new(exprs, exec)?,
                );
            }
            if let Some(limit) = limit {
                exec = Arc::new(datafusion::physical_plan::limit::GlobalLimitExec::new(
                    Arc::new(
                        datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec::new(
                            exec,
                        ),
                    ),
                    0,
                    Some(limit),
                ));
            }
            return Ok(Arc::new(PolicyExec::new(
                self.name.clone(),
                Arc::clone(&self.raw),
                exec,
            )));
        }
        if let Some(indices) = projection {
            let columns = indices.iter().map(|i| column(self.schema.field(*i).name()));
            builder = builder.project(columns)?;
        }
        if let Some(limit) = limit {
            builder = builder.limit(0, Some(limit))?;
        }
        let plan = builder.build()?;
        let inner = narrow_by_blooms(state, state.create_physical_plan(&plan).await?).await?;
        Ok(Arc::new(PolicyExec::new(
            self.name.clone(),
            Arc::clone(&self.raw),
            inner,
        )))
    }
}

/// Leaves out of the view's scans the row groups that the engine's kept bloom filters rule out
/// for the scan's own `column = literal` conditions ([`crate::blooms`]).
async fn narrow_by_blooms(
    state: &dyn Session,
    plan: Arc<dyn ExecutionPlan>,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    let Some(cache) = state.config().get_extension::<crate::blooms::BloomCache>() else {
        return Ok(plan);
    };
    let env = Arc::clone(state.runtime_env());
    crate::blooms::skip_row_groups(plan, &|url| env.object_store(url), &cache).await
}

/// Strips table qualifiers, which refer to the caller's query, not to the view's plan.
fn unqualified(expr: Expr) -> DfResult<Expr> {
    expr.transform(|e| {
        Ok(match e {
            Expr::Column(c) if c.relation.is_some() => {
                Transformed::yes(Expr::Column(Column::new_unqualified(c.name)))
            }
            other => Transformed::no(other),
        })
    })
    .map(|t| t.data)
}

/// Whether evaluating `expr` on any row can never fail, whatever the row holds.
///
/// Only such predicates may be evaluated on rows outside the row filter: an error depends on
/// data only through a function, an arithmetic operator or a cast, and none of those is here.
/// Comparisons are between columns and literals only; if their types differed, DataFusion
/// would have inserted a cast, which is refused.
pub(crate) fn is_infallible(expr: &Expr) -> bool {
    fn operand(e: &Expr) -> bool {
        matches!(e, Expr::Column(_) | Expr::Literal(..))
    }
    fn literal(e: &Expr) -> bool {
        matches!(e, Expr::Literal(..))
    }
    match expr {
        Expr::BinaryExpr(b) => match b.op {
            Operator::And | Operator::Or => is_infallible(&b.left) && is_infallible(&b.right),
            Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom => operand(&b.left) && operand(&b.right),
            _ => false,
        },
        Expr::Not(inner) => is_infallible(inner),
        Expr::IsNull(inner) | Expr::IsNotNull(inner) => operand(inner),
        Expr::InList(l) => operand(&l.expr) && l.list.iter().all(literal),
        Expr::Like(l) => matches!(l.expr.as_ref(), Expr::Column(_)) && literal(&l.pattern),
        Expr::Between(b) => operand(&b.expr) && literal(&b.low) && literal(&b.high),
        _ => false,
    }
}

/// The masking function of one mask: text in, masked text out, nulls stay null.
///
/// It is never registered in a session, so a query cannot call it by name, and it has no
/// inverse or simplification, so the optimiser cannot see through it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct MaskUdf {
    mask: Mask,
    signature: Signature,
}

impl MaskUdf {
    fn new(mask: Mask) -> Self {
        MaskUdf {
            mask,
            signature: Signature::uniform(
                1,
                vec![DataType::Utf8View, DataType::Utf8, DataType::LargeUtf8],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for MaskUdf {
    fn name(&self) -> &str {
        "mask"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        map_text("mask", &args, 12, |v, out| self.mask.apply_into(v, out))
    }
}

/// The one argument of a string function (any string type, array or scalar), handed to `array`
/// as an iterator of values or to `scalar` as one value; `name` is for internal errors.
fn on_text(
    name: &str,
    args: &ScalarFunctionArgs,
    array: impl Fn(&mut dyn ExactSizeIterator<Item = Option<&str>>) -> DfResult<ArrayRef>,
    scalar: impl Fn(Option<&str>) -> ScalarValue,
) -> DfResult<ColumnarValue> {
    let [arg] = args.args.as_slice() else {
        return Err(DataFusionError::Internal(format!(
            "{name} takes one argument"
        )));
    };
    let wrong = |t: &DataType| DataFusionError::Internal(format!("{name} got {t}"));
    match arg {
        ColumnarValue::Array(values) => Ok(ColumnarValue::Array(match values.data_type() {
            DataType::Utf8 => array(&mut values.as_string::<i32>().iter())?,
            DataType::LargeUtf8 => array(&mut values.as_string::<i64>().iter())?,
            DataType::Utf8View => array(&mut values.as_string_view().iter())?,
            other => return Err(wrong(other)),
        })),
        ColumnarValue::Scalar(
            ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v),
        ) => Ok(ColumnarValue::Scalar(scalar(v.as_deref()))),
        ColumnarValue::Scalar(other) => Err(wrong(&other.data_type())),
    }
}

/// Applies `f` to every text value of a one-argument string function into one reused buffer;
/// nulls stay null and the result is Utf8. `width` is the expected length of one output, for the
/// first allocation.
fn map_text(
    name: &str,
    args: &ScalarFunctionArgs,
    width: usize,
    f: impl Fn(&str, &mut String),
) -> DfResult<ColumnarValue> {
    on_text(
        name,
        args,
        |values| {
            let mut out = StringBuilder::with_capacity(values.len(), values.len() * width);
            let mut buffer = String::with_capacity(width);
            for value in values {
                match value {
                    Some(v) => {
                        buffer.clear();
                        f(v, &mut buffer);
                        out.append_value(&buffer);
                    }
                    None => out.append_null(),
                }
            }
            Ok(Arc::new(out.finish()))
        },
        |v| {
            ScalarValue::Utf8(v.map(|v| {
                let mut out = String::with_capacity(width);
                f(v, &mut out);
                out
            }))
        },
    )
}

/// The platform's secret for keyed pseudonyms (clean room): HMAC-SHA-256, so that one value gets
/// one pseudonym in every dataset and nobody without the secret can link a pseudonym to its value.
///
/// Its `Debug` form and everything else it shows hold no part of the secret, so no plan display
/// or error can carry it out.
pub struct PseudonymKey {
    mac: Hmac<Sha256>,
    /// SHA-256 of a label and the secret, to compare keys without the secret.
    fingerprint: [u8; 32],
}

impl PseudonymKey {
    /// The type of a pseudonym: a 126-bit number, as a decimal of 38 digits, so that joins and
    /// distinct counts compare fixed-width numbers rather than text, and two different values
    /// meet by chance once in 2^63 pairs (a billion values hold a colliding pair with
    /// probability about 10^-20).
    pub const TYPE: DataType = DataType::Decimal128(38, 0);

    /// A key from the platform's secret (at least 32 bytes).
    pub fn new(secret: &[u8]) -> Result<PseudonymKey, QueryError> {
        if secret.len() < 32 {
            return Err(QueryError::internal(
                "the pseudonym secret is shorter than 32 bytes",
            ));
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret).map_err(QueryError::internal)?;
        let mut digest = Sha256::new();
        digest.update(b"gongshu pseudonym key fingerprint\n");
        digest.update(secret);
        Ok(PseudonymKey {
            mac,
            fingerprint: digest.finalize().into(),
        })
    }

    /// SHA-256 of a label and the secret: tells keys apart without revealing the secret.
    pub(crate) fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// The pseudonym of one value: the first 126 bits of its HMAC-SHA-256, which fit the 38
    /// digits of [`Self::TYPE`].
    pub fn pseudonym(&self, value: &str) -> i128 {
        let mut mac = self.mac.clone();
        mac.update(value.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut first = [0u8; 16];
        first.copy_from_slice(&tag[..16]);
        (u128::from_be_bytes(first) >> 2) as i128
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

/// The pseudonymising function of a clean-room view: text in, pseudonym out, nulls stay null.
/// Like [`MaskUdf`], it is never registered, so a query cannot call it.
#[derive(Debug)]
pub(crate) struct PseudonymUdf {
    key: Arc<PseudonymKey>,
    signature: Signature,
}

impl PseudonymUdf {
    fn new(key: Arc<PseudonymKey>) -> Self {
        PseudonymUdf {
            key,
            signature: Signature::uniform(
                1,
                vec![DataType::Utf8View, DataType::Utf8, DataType::LargeUtf8],
                Volatility::Immutable,
            ),
        }
    }
}

impl PartialEq for PseudonymUdf {
    fn eq(&self, other: &Self) -> bool {
        self.key.fingerprint == other.key.fingerprint
    }
}

impl Eq for PseudonymUdf {}

impl std::hash::Hash for PseudonymUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.fingerprint.hash(state);
    }
}

impl ScalarUDFImpl for PseudonymUdf {
    fn name(&self) -> &str {
        "pseudonym"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(PseudonymKey::TYPE)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        on_text(
            "pseudonym",
            &args,
            |values| {
                let mut out = Decimal128Builder::with_capacity(values.len());
                for value in values {
                    out.append_option(value.map(|v| self.key.pseudonym(v)));
                }
                Ok(Arc::new(out.finish().with_precision_and_scale(38, 0)?))
            },
            |v| ScalarValue::Decimal128(v.map(|v| self.key.pseudonym(v)), 38, 0),
        )
    }
}

/// The seal over a policy view's plan: it passes batches through and refuses every filter,
/// projection and limit a parent would push into it, with one exception.
///
/// A run-time filter that an operator above builds as rows arrive (a TopK's `id > the current
/// 100th value`, a hash join's bounds of its build side) may cross the seal so that the Parquet
/// reader can skip row groups, pages and rows that cannot reach the result. It crosses only when
/// it can neither fail nor tell anything about a column the caller may not read:
///
/// - it is a [`DynamicFilterPhysicalExpr`], whose expression DataFusion builds as comparisons of
///   its children with literals of their own type (comparisons that cannot fail), and
/// - every child is a bare column that the view projects as stored, so a masked column, a
///   pseudonym or a column the decision leaves out never takes part, and nothing but a comparison
///   is ever evaluated on rows outside the row filter.
///
/// Such a filter only removes rows that could not have reached the operator's result, so the
/// answer is the same with or without it. Every other filter stays above the seal. A request for
/// a sort order is passed on under the same condition (bare raw columns), so the reader may visit
/// row groups in an order that fills a TopK early; it changes which rows are read first, never
/// which rows are returned.
#[derive(Debug)]
pub(crate) struct PolicyExec {
    table: String,
    /// Names of the view's columns projected as stored.
    raw: Arc<HashSet<String>>,
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl PolicyExec {
    fn new(table: String, raw: Arc<HashSet<String>>, input: Arc<dyn ExecutionPlan>) -> Self {
        let properties = Arc::clone(input.properties());
        PolicyExec {
            table,
            raw,
            input,
            properties,
        }
    }

    /// The view's name and raw columns, to carry the node to a cluster's executors
    /// ([`crate::remote`]).
    pub(crate) fn parts(&self) -> (String, Vec<String>) {
        let mut raw: Vec<String> = self.raw.iter().cloned().collect();
        raw.sort();
        (self.table.clone(), raw)
    }

    /// The node [`Self::parts`] describes, over `input`.
    pub(crate) fn from_parts(
        table: String,
        raw: Vec<String>,
        input: Arc<dyn ExecutionPlan>,
    ) -> Arc<dyn ExecutionPlan> {
        Arc::new(PolicyExec::new(
            table,
            Arc::new(raw.into_iter().collect()),
            input,
        ))
    }

    /// Indices of this node's output columns that are raw columns of the view.
    fn raw_indices(&self) -> HashSet<usize> {
        self.schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| self.raw.contains(f.name()))
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether `expr` is a bare column of this node's output that is a raw column of the view.
    fn is_raw_column(&self, expr: &Arc<dyn PhysicalExpr>, raw: &HashSet<usize>) -> bool {
        expr.downcast_ref::<PhysicalColumn>().is_some_and(|c| {
            raw.contains(&c.index()) && self.schema().field(c.index()).name() == c.name()
        })
    }

    /// Whether `filter` may cross the seal; see the type's documentation.
    fn may_cross(&self, filter: &Arc<dyn PhysicalExpr>, raw: &HashSet<usize>) -> bool {
        filter
            .downcast_ref::<DynamicFilterPhysicalExpr>()
            .is_some_and(|dynamic| {
                let children = dynamic.children();
                !children.is_empty() && children.iter().all(|c| self.is_raw_column(c, raw))
            })
    }
}

impl DisplayAs for PolicyExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "PolicyExec: table={}", self.table)
    }
}

impl ExecutionPlan for PolicyExec {
    fn name(&self) -> &str {
        "PolicyExec"
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

    /// Only the size of what the view reads, as an estimate, so that the planner puts the
    /// smaller side of a join where its hash table is built; nothing about the values (bounds,
    /// distinct counts, nulls), which for masked and pseudonymised columns would describe what
    /// the view hides. Never exact, so no aggregate is answered from statistics instead of rows
    /// that passed the row filter.
    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> DfResult<Arc<Statistics>> {
        Ok(size_only(&self.schema(), input_stats))
    }

    fn child_stats_requests(&self, partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::At(partition)]
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
            .map_err(|_| DataFusionError::Internal("PolicyExec has one child".into()))?;
        Ok(Arc::new(PolicyExec::new(
            self.table.clone(),
            Arc::clone(&self.raw),
            input,
        )))
    }

    fn gather_filters_for_pushdown(
        &self,
        phase: FilterPushdownPhase,
        parent_filters: Vec<Arc<dyn PhysicalExpr>>,
        _config: &ConfigOptions,
    ) -> DfResult<FilterDescription> {
        let raw = self.raw_indices();
        // Run-time filters exist only in the late phase. Either every filter offered crosses
        // or none does: a description cannot mix the two without rewriting the refused ones.
        let cross = phase == FilterPushdownPhase::Post
            && !parent_filters.is_empty()
            && parent_filters.iter().all(|f| self.may_cross(f, &raw));
        let child = if cross {
            ChildFilterDescription::from_child_with_allowed_indices(
                &parent_filters,
                raw,
                &self.input,
            )?
        } else {
            ChildFilterDescription::all_unsupported(&parent_filters)
        };
        Ok(FilterDescription::new().with_child(child))
    }

    fn try_pushdown_sort(
        &self,
        order: &[PhysicalSortExpr],
    ) -> DfResult<SortOrderPushdownResult<Arc<dyn ExecutionPlan>>> {
        let raw = self.raw_indices();
        if order.is_empty() || !order.iter().all(|s| self.is_raw_column(&s.expr, &raw)) {
            return Ok(SortOrderPushdownResult::Unsupported);
        }
        self.input.try_pushdown_sort(order)?.try_map(|input| {
            Ok(Arc::new(PolicyExec::new(
                self.table.clone(),
                Arc::clone(&self.raw),
                whole_files(input),
            )) as Arc<dyn ExecutionPlan>)
        })
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }
}

/// Statistics of a node under the seal: its single input's estimated row count and byte size,
/// inexact, and nothing about values.
pub(crate) fn size_only(schema: &SchemaRef, input_stats: &[Arc<Statistics>]) -> Arc<Statistics> {
    let mut statistics = Statistics::new_unknown(schema);
    if let [inner] = input_stats {
        statistics.num_rows = inner.num_rows.to_inexact();
        statistics.total_byte_size = inner.total_byte_size.to_inexact();
    }
    Arc::new(statistics)
}

/// A scan that reads each file as one range, on one partition. When the order a sort asks for
/// reaches the file (a TopK reading the row groups from the end), one reader going through the
/// row groups in that order stops as soon as the TopK's run-time filter rules the rest out; a
/// file split into byte ranges on several partitions has a reader start at the middle of the
/// file, which the filter cannot stop until the other reader has found enough rows, and which
/// then reads its whole half (bench/RESULTS.md, query speed).
fn whole_files(plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
    use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig, FileScanConfigBuilder};
    use datafusion::datasource::source::DataSourceExec;
    let Some(config) = plan
        .downcast_ref::<DataSourceExec>()
        .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
    else {
        return plan;
    };
    if config.file_groups.len() < 2 {
        return plan;
    }
    let mut files: Vec<datafusion::datasource::listing::PartitionedFile> = Vec::new();
    for file in config.file_groups.iter().flat_map(|g| g.files()) {
        if !files
            .iter()
            .any(|f| f.object_meta.location == file.object_meta.location)
        {
            let mut whole = file.clone();
            whole.range = None;
            files.push(whole);
        }
    }
    let one = FileScanConfigBuilder::from(config.clone())
        .with_file_groups(vec![FileGroup::new(files)])
        .build();
    DataSourceExec::from_data_source(one)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::lit;
    use datafusion::prelude::ident;
    use model::pii::PiiKind;

    /// A file of 200,000 rows in 20 row groups, ids ascending: `id` raw, `mobile` masked, `secret`
    /// absent, and a row filter keeping even ids.
    async fn sorted_view(dir: &std::path::Path) -> SessionContext {
        use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
        use datafusion::arrow::datatypes::{Field, Schema};
        use model::access::{Basis, Decision};
        use model::filter::{Condition, Literal, Op};
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("mobile", DataType::Utf8, false),
            Field::new("secret", DataType::Int64, false),
            Field::new("parity", DataType::Int64, false),
        ]));
        let ids: Vec<i64> = (0..200_000).collect();
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(ids.clone())),
                Arc::new(StringArray::from_iter_values(
                    ids.iter().map(|i| format!("139{:08}", 200_000 - i)),
                )),
                Arc::new(Int64Array::from_iter_values(ids.iter().map(|i| -i))),
                Arc::new(Int64Array::from_iter_values(ids.iter().map(|i| i % 2))),
            ],
        )
        .unwrap();
        let path = dir.join("t.parquet");
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(10_000))
            .build();
        let mut writer = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            schema,
            Some(props),
        )
        .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let ctx = new_session(&crate::Engine::new(crate::Limits::default())).unwrap();
        // Two partitions, and files of any size split into byte ranges: a scan that keeps the
        // ranges has a reader start in the middle of the file and read that half whole; one
        // whose order reaches the file must read it as one range from its end.
        {
            let state = ctx.state_ref();
            let mut state = state.write();
            let options = state.config_mut().options_mut();
            options.execution.target_partitions = 2;
            options.optimizer.repartition_file_min_size = 0;
        }
        let decision = Decision {
            columns: vec![
                ("id".into(), Verdict::Raw),
                (
                    "mobile".into(),
                    Verdict::Masked {
                        mask: Mask::Pii(PiiKind::Mobile),
                    },
                ),
                ("secret".into(), Verdict::Absent),
                ("parity".into(), Verdict::Raw),
            ],
            row_filter: vec![Condition {
                column: "parity".into(),
                op: Op::Eq,
                value: Some(Literal::Int(0)),
            }],
            basis: Basis::Grant("g".into()),
            quota_remaining: None,
        };
        register(
            &ctx,
            &[crate::PolicyTable {
                name: "t".into(),
                parquet: path.into(),
                decision,
            }],
        )
        .await
        .unwrap();
        ctx
    }

    /// Writes a table of `rows` rows (`id`, `v`) and returns its policy table, every column raw.
    fn plain_table(dir: &std::path::Path, name: &str, rows: i64) -> crate::PolicyTable {
        use datafusion::arrow::array::{Int64Array, RecordBatch};
        use datafusion::arrow::datatypes::{Field, Schema};
        use model::access::{Basis, Decision};
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("v", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from_iter_values(0..rows)),
                Arc::new(Int64Array::from_iter_values((0..rows).map(|i| i % 7))),
            ],
        )
        .unwrap();
        let path = dir.join(format!("{name}.parquet"));
        let mut writer = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            schema,
            None,
        )
        .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        crate::PolicyTable {
            name: name.into(),
            parquet: path.into(),
            decision: Decision {
                columns: vec![("id".into(), Verdict::Raw), ("v".into(), Verdict::Raw)],
                row_filter: Vec::new(),
                basis: Basis::Grant("g".into()),
                quota_remaining: None,
            },
        }
    }

    /// A view tells the planner how many rows it reads, so a join builds its hash table on the
    /// smaller side whichever way the query is written; and an estimate only, so a count is
    /// still counted from the rows that pass the row filter.
    #[tokio::test]
    async fn a_join_builds_on_the_smaller_view_and_counts_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = new_session(&crate::Engine::new(crate::Limits::default())).unwrap();
        register(
            &ctx,
            &[
                plain_table(dir.path(), "big", 50_000),
                plain_table(dir.path(), "small", 100),
            ],
        )
        .await
        .unwrap();
        for sql in [
            "SELECT COUNT(*) FROM big b JOIN small s ON b.id = s.id",
            "SELECT COUNT(*) FROM small s JOIN big b ON b.id = s.id",
        ] {
            let (rows, plan) = run_with_metrics(&ctx, sql).await;
            assert!(rows.contains("| 100 "), "{sql}: {rows}");
            let join = plan.find("HashJoinExec").expect("a hash join");
            let first = plan[join..].find("PolicyExec: table=").unwrap();
            assert!(
                plan[join + first..].starts_with("PolicyExec: table=small"),
                "{sql}: the build side is not the small table:\n{plan}"
            );
        }
        let filtered = sorted_view(dir.path()).await;
        let (rows, _) = run_with_metrics(&filtered, "SELECT COUNT(*) FROM t").await;
        assert!(
            rows.contains("| 100000 "),
            "the row filter keeps even ids: {rows}"
        );
    }

    /// Runs `sql` and returns its rows as text and the executed plan with its metrics.
    async fn run_with_metrics(ctx: &SessionContext, sql: &str) -> (String, String) {
        use datafusion::physical_plan::{collect, displayable};
        let plan = ctx
            .sql(sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let batches = collect(Arc::clone(&plan), ctx.task_ctx()).await.unwrap();
        let rows = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        let shown = displayable(plan.as_ref()).indent(true).to_string();
        let metrics = datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(
            plan.as_ref(),
        )
        .indent(true)
        .to_string();
        (rows, format!("{shown}\n{metrics}"))
    }

    /// The number after `name=` in the scan's metrics.
    fn metric(plan: &str, name: &str) -> u64 {
        let at = plan
            .find(&format!("{name}="))
            .unwrap_or_else(|| panic!("no {name} in {plan}"));
        plan[at + name.len() + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    }

    #[tokio::test]
    async fn a_topk_on_a_raw_column_skips_row_groups_under_the_seal() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = sorted_view(dir.path()).await;
        let (rows, plan) =
            run_with_metrics(&ctx, "SELECT id, mobile FROM t ORDER BY id DESC LIMIT 3").await;
        assert!(rows.contains("199998") && rows.contains("199994"), "{rows}");
        assert!(
            !rows.contains("199999") && !rows.contains("199992"),
            "{rows}"
        );
        assert!(
            rows.contains("139****0002"),
            "masked on the way out: {rows}"
        );
        assert!(
            plan.contains("DynamicFilter"),
            "the TopK's filter reaches the scan: {plan}"
        );
        assert!(
            plan.contains("file_groups={1 group"),
            "the file is read as one range: {plan}"
        );
        assert!(
            metric(&plan, "row_groups_pruned_dynamic_filter") >= 15,
            "most row groups were skipped: {plan}"
        );
    }

    #[tokio::test]
    async fn without_a_sort_reaching_the_file_it_is_still_read_in_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = sorted_view(dir.path()).await;
        let (rows, plan) = run_with_metrics(&ctx, "SELECT count(*) FROM t").await;
        assert!(rows.contains("100000"), "{rows}");
        assert!(plan.contains("file_groups={2 groups"), "{plan}");
    }

    #[tokio::test]
    async fn a_topk_on_a_masked_or_filtered_out_column_stays_above_the_seal() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = sorted_view(dir.path()).await;
        for sql in [
            // Masked: sorting by the masked text, never by the raw value.
            "SELECT id FROM t ORDER BY mobile DESC LIMIT 3",
            // An expression of a raw column could fail on rows outside the row filter.
            "SELECT id FROM t ORDER BY 1000 / (id - 1) DESC LIMIT 3",
            "SELECT id FROM t ORDER BY id + 0 DESC LIMIT 3",
        ] {
            let (_, plan) = run_with_metrics(&ctx, sql).await;
            let scan = plan
                .lines()
                .find(|l| l.contains("DataSourceExec"))
                .unwrap_or_else(|| panic!("no scan in {plan}"));
            assert!(!scan.contains("DynamicFilter"), "{sql}: {plan}");
        }
        // The masked sort orders by the masked text, which keeps the last four digits: by the
        // raw value id 0 (13900200000) would come first, by the masked text ids ending 0002 do.
        let (rows, _) =
            run_with_metrics(&ctx, "SELECT id FROM t ORDER BY mobile DESC, id LIMIT 3").await;
        assert!(
            rows.contains("| 2 ") && rows.contains("| 10002 ") && !rows.contains("| 0 "),
            "{rows}"
        );
        // The division fails on id 1, which the row filter removes: no error, and no sign of it.
        let (rows, _) = run_with_metrics(
            &ctx,
            "SELECT id FROM t ORDER BY 1000 / (id - 1) DESC LIMIT 1",
        )
        .await;
        assert!(rows.contains("| 2 "), "{rows}");
    }

    #[test]
    fn only_predicates_that_cannot_fail_are_moved_into_the_view() {
        assert!(is_infallible(&ident("a").eq(lit(1))));
        assert!(is_infallible(
            &ident("a").gt(lit(1)).and(ident("b").is_null())
        ));
        assert!(is_infallible(
            &ident("a").in_list(vec![lit(1), lit(2)], false)
        ));
        assert!(is_infallible(&ident("s").like(lit("a%"))));
        assert!(!is_infallible(&(lit(1) / ident("a")).gt(lit(0))));
        assert!(!is_infallible(
            &cast(ident("s"), DataType::Int64).eq(lit(1))
        ));
        assert!(!is_infallible(&ident("a").in_list(vec![ident("b")], false)));
    }

    #[test]
    fn masks_keep_nulls_and_mask_everything_else_in_every_string_type() {
        use datafusion::arrow::array::{ArrayRef, LargeStringArray, StringArray, StringViewArray};
        let udf = MaskUdf::new(Mask::Pii(PiiKind::Mobile));
        let values = [Some("13812341234"), None, Some("1"), Some("13912345678901")];
        let inputs: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(values.to_vec())),
            Arc::new(LargeStringArray::from(values.to_vec())),
            Arc::new(StringViewArray::from(values.to_vec())),
        ];
        for input in inputs {
            let field =
                |t: DataType| Arc::new(datafusion::arrow::datatypes::Field::new("x", t, true));
            let out = udf
                .invoke_with_args(ScalarFunctionArgs {
                    args: vec![ColumnarValue::Array(Arc::clone(&input))],
                    arg_fields: vec![field(input.data_type().clone())],
                    number_rows: values.len(),
                    return_field: field(DataType::Utf8),
                    config_options: Arc::new(Default::default()),
                })
                .unwrap();
            let ColumnarValue::Array(out) = out else {
                panic!("an array in, an array out")
            };
            let out = out.as_string::<i32>();
            assert_eq!(out.value(0), "138****1234", "{}", input.data_type());
            assert!(out.is_null(1));
            assert_eq!(out.value(2), "*");
            assert_eq!(out.value(3), "139*******8901");
        }
        let redact = MaskUdf::new(Mask::Redact);
        let scalar = redact
            .invoke_with_args(ScalarFunctionArgs {
                args: vec![ColumnarValue::Scalar(ScalarValue::Utf8View(Some(
                    "x".into(),
                )))],
                arg_fields: vec![Arc::new(datafusion::arrow::datatypes::Field::new(
                    "x",
                    DataType::Utf8View,
                    true,
                ))],
                number_rows: 1,
                return_field: Arc::new(datafusion::arrow::datatypes::Field::new(
                    "x",
                    DataType::Utf8,
                    true,
                )),
                config_options: Arc::new(Default::default()),
            })
            .unwrap();
        assert!(matches!(
            scalar,
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(v))) if v == "***"
        ));
    }
}
