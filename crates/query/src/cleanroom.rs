//! Clean-room queries (DESIGN.md C6): one SQL SELECT over clean-room views that returns only
//! aggregates covering at least k distinct entities of every table read.
//!
//! Each table of the request is a view built like every policy view (Parquet, row filter, then a
//! projection sealed behind [`crate::policy::PolicyExec`]), with the clean-room roles of
//! [`model::cleanroom::columns`]: dimensions and measures as stored, join keys and entity columns
//! as keyed pseudonyms (HMAC-SHA-256 under the platform's secret) under their own names, so the
//! raw key never enters a plan and equal values meet across datasets.
//!
//! The SQL text is validated like any SQL ([`crate::sql::parse`]) and planned; the *logical plan*
//! is then checked, never the text ([`check`]). From the root down, a chain of projections,
//! filters (HAVING), sorts, limits and aliases leads to exactly one aggregation; below it only
//! filters (WHERE), inner equality joins of allowed join keys, aliases, plain column
//! projections and the views themselves. Each column is traced to the view column it comes
//! from, and each use is checked against that column's role. A refusal names its [`Rule`].
//!
//! The query then runs in two steps. First the aggregation itself, to which the platform adds
//! a count of the distinct values of every entity column `e` of every table instance it reads,
//! up to k ([`crate::entities`]), so the counting happens in the same plan over the same rows. Groups where any of those counts is
//! below the strictest k of the tables read are removed and only their number is kept; when a
//! table requires it, COUNT and SUM get Laplace noise (sums over values clamped to the declared
//! bounds, AVG as a noisy sum over a noisy count). Then the query's own plan above the
//! aggregation (its HAVING, outputs, ORDER BY and LIMIT) runs over the groups that are left, so
//! nothing the caller wrote ever sees a removed group or an exact value that noise was to hide.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array};
use datafusion::arrow::compute::{cast as cast_array, concat_batches, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{
    cast, lit, when, Aggregate, BinaryExpr, Expr, JoinType, LogicalPlan, LogicalPlanBuilder,
    Operator, Volatility,
};
use datafusion::prelude::SessionContext;
use model::cleanroom::{self, Role, Rule};
use rand::Rng;

use crate::error::Secrets;
use crate::policy::{self, PolicyView, Projected, PseudonymKey};
use crate::rows::{column_metas, Rows};
use crate::sql::{collect_capped, parse};
use crate::{Engine, QueryError};

/// One table of a clean-room request.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanRoomTable {
    /// The name the query uses for it.
    pub name: String,
    /// The Parquet file of the version.
    pub parquet: crate::Location,
    /// Conditions every row must meet (the grant's row scope).
    pub row_filter: Vec<model::filter::Condition>,
    /// The columns of its view, with their roles.
    pub columns: Vec<cleanroom::Column>,
    /// Columns of the dataset that are not in the view (kept out of error messages).
    pub hidden: Vec<String>,
    /// k of its policy.
    pub min_entities: u32,
    /// Whether its policy requires noise.
    pub noise: bool,
    /// The most rows one entity has in it, as its owner declares.
    pub max_rows_per_entity: u32,
}

/// A clean-room query.
#[derive(Debug, Clone, Copy)]
pub struct CleanRoomQuery<'a> {
    /// Every table the caller may use.
    pub tables: &'a [CleanRoomTable],
    /// One SELECT.
    pub sql: &'a str,
    /// The ε this query spends if noise applies.
    pub epsilon: f64,
}

/// The noise a query got.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noise {
    /// The ε spent.
    pub epsilon: f64,
    /// How many noisy values each group got (ε was divided among them).
    pub aggregates: usize,
}

/// The outcome of a clean-room query.
#[derive(Debug)]
pub struct CleanRoomRows {
    /// The groups that are left, as the query's outputs.
    pub rows: Rows,
    /// How many groups were removed for covering fewer than k entities of some table.
    pub suppressed_groups: u64,
    /// The k applied (the strictest of the tables read).
    pub min_entities: u32,
    /// The noise added, if any table read requires it.
    pub noise: Option<Noise>,
    /// The tables the query read, by name.
    pub tables: Vec<String>,
}

/// Runs a clean-room query (see [`Engine::cleanroom`]).
pub(crate) async fn run(
    engine: &Engine,
    key: Arc<PseudonymKey>,
    q: CleanRoomQuery<'_>,
) -> Result<CleanRoomRows, QueryError> {
    let secrets = Secrets::new(
        q.tables.iter().flat_map(|t| t.hidden.clone()).collect(),
        q.tables.iter().map(|t| &t.parquet),
    );
    run_unredacted(engine, key, q)
        .await
        .map_err(|e| e.redact(&secrets))
}

async fn run_unredacted(
    engine: &Engine,
    key: Arc<PseudonymKey>,
    q: CleanRoomQuery<'_>,
) -> Result<CleanRoomRows, QueryError> {
    let parsed = parse(q.sql)?;
    for name in &parsed.tables {
        if !q.tables.iter().any(|t| &t.name == name) {
            return Err(QueryError::TableNotFound(name.clone()));
        }
    }
    let read: Vec<&CleanRoomTable> = q
        .tables
        .iter()
        .filter(|t| parsed.tables.contains(&t.name))
        .collect();
    let limits = engine.limits();
    let work = async {
        let ctx = policy::new_session(engine)?;
        let noisy = read.iter().any(|t| t.noise);
        for table in &read {
            let keys: Vec<String> = table
                .columns
                .iter()
                .filter(|c| matches!(c.role, Role::JoinKey | Role::Entity))
                .map(|c| c.name.clone())
                .collect();
            // A keyed copy holds the pseudonyms already; a row filter on a key column needs
            // the raw values, so such a view pseudonymises in its plan.
            let copy = match &engine.keyed {
                Some(copies) if !table.row_filter.iter().any(|c| keys.contains(&c.column)) => {
                    Some(copies.copy(&table.parquet, &key, &keys, engine).await?)
                }
                _ => None,
            };
            let columns: Vec<(String, Projected)> = table
                .columns
                .iter()
                .map(|c| {
                    let projected = match c.role {
                        Role::JoinKey | Role::Entity if copy.is_none() => {
                            Projected::Pseudonym(Arc::clone(&key))
                        }
                        _ => Projected::Raw,
                    };
                    (c.name.clone(), projected)
                })
                .collect();
            let copy = copy.map(crate::Location::from);
            let view = PolicyView::build_from(
                &ctx,
                &table.name,
                copy.as_ref().unwrap_or(&table.parquet),
                &table.row_filter,
                &columns,
            )
            .await?;
            // Under noise every table read contributes at most its declared rows per entity,
            // which the noise's sensitivity assumes.
            let view = if noisy {
                let entities = table
                    .columns
                    .iter()
                    .filter(|c| c.entity)
                    .map(|c| c.name.clone())
                    .collect();
                view.bounded(entities, table.max_rows_per_entity)
            } else {
                view
            };
            ctx.register_table(TableReference::bare(table.name.as_str()), Arc::new(view))
                .map_err(QueryError::internal)?;
        }
        let plan = crate::sql::plan(&ctx, parsed.statement).await?;
        let k = read
            .iter()
            .map(|t| t.min_entities)
            .max()
            .unwrap_or(cleanroom::DEFAULT_MIN_ENTITIES);
        let checked = check(&ctx, &plan, &read, noisy, k)?;
        let (groups, suppressed, noise) = groups(&ctx, &checked, k, noisy, q.epsilon).await?;
        let upper = replace_aggregate(&plan, groups)?;
        let frame = ctx.execute_logical_plan(upper).await?;
        let max_rows = limits.max_rows;
        let frame = policy::plain_strings(frame.limit(0, Some(max_rows.saturating_add(1)))?)?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let (batches, row_count, more, _) = collect_capped(engine, frame, max_rows, true).await?;
        Ok::<_, QueryError>(CleanRoomRows {
            rows: Rows {
                columns: column_metas(&schema, |_| false),
                batches,
                row_count,
                total: None,
                truncated: more,
                placement: crate::Placement::Local,
            },
            suppressed_groups: suppressed,
            min_entities: k,
            noise,
            tables: read.iter().map(|t| t.name.clone()).collect(),
        })
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(QueryError::Timeout(limits.timeout)),
    }
}

fn refuse(rule: Rule, detail: impl Into<String>) -> QueryError {
    QueryError::CleanRoom {
        rule,
        detail: detail.into(),
    }
}

/// Where a column below the aggregation comes from.
#[derive(Debug, Clone)]
struct Origin {
    /// The view column.
    column: cleanroom::Column,
    /// Which table instance (scan) of the plan.
    scan: usize,
    /// Columns of one class hold equal values on every row (an inner equality join made them
    /// so); k is counted once per class.
    class: usize,
    /// The most rows per entity of its table.
    rows_per_entity: u32,
}

/// One aggregate of the query as the second step rebuilds it.
#[derive(Debug, Clone)]
enum Output {
    /// Exact: the first step's column, as it is.
    Exact(usize),
    /// A noisy count at the first step's column.
    Count(usize),
    /// A noisy sum (of clamped values) at the first step's column, with its sensitivity.
    Sum(usize, f64),
    /// A noisy average: sum (with its sensitivity) over count.
    Avg(usize, f64, usize),
}

/// A checked query: its one aggregation, and what the first step computes.
struct Checked {
    /// The first step: the query's grouping, its aggregates rebuilt, and the entity counts.
    first: LogicalPlan,
    /// The query's aggregation, whose output the second step reproduces.
    aggregate: Aggregate,
    /// How each of the query's aggregates is made from the first step's columns.
    outputs: Vec<Output>,
    /// Columns of the first step holding entity counts.
    entity_counts: Vec<usize>,
    /// Noisy values per group.
    noisy: usize,
    /// The sensitivity of a count over the tables read.
    count_sensitivity: f64,
}

/// Checks the plan against the clean-room rules and builds the first step.
fn check(
    ctx: &SessionContext,
    plan: &LogicalPlan,
    tables: &[&CleanRoomTable],
    noisy: bool,
    k: u32,
) -> Result<Checked, QueryError> {
    let mut node = plan;
    let aggregate = loop {
        check_expressions(ctx, node)?;
        match node {
            LogicalPlan::Aggregate(a) => break a,
            LogicalPlan::Projection(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::Distinct(_) => {
                let inputs = node.inputs();
                let [input] = inputs.as_slice() else {
                    return Err(refuse(
                        Rule::NestedAggregate,
                        "the query has an unexpected shape",
                    ));
                };
                node = input;
            }
            other => return Err(shape_refusal(other, false)),
        }
    };
    let mut walk = Walk::default();
    let origins = origins(ctx, &aggregate.input, tables, &mut walk)?;
    for (scan, name) in &walk.entities {
        if !origins
            .iter()
            .any(|o| o.scan == *scan && &o.column.name == name)
        {
            return Err(refuse(
                Rule::NestedAggregate,
                format!(
                    "a subquery leaves out `{name}`, which identifies the people or firms that k is counted on; select every column in subqueries (SELECT *)"
                ),
            ));
        }
    }
    let input_schema = aggregate.input.schema();
    let origin_of = |expr: &Expr| -> Option<&Origin> {
        match expr {
            Expr::Column(c) => input_schema
                .maybe_index_of_column(c)
                .and_then(|i| origins.get(i)),
            _ => None,
        }
    };
    for group in &aggregate.group_expr {
        if matches!(group, Expr::GroupingSet(_)) {
            return Err(refuse(
                Rule::GroupingSets,
                "group by plain columns; run one query per grouping instead of ROLLUP, CUBE or GROUPING SETS",
            ));
        }
        match origin_of(group) {
            Some(o) => match o.column.role {
                Role::Dimension => {}
                Role::Measure => {
                    return Err(refuse(
                        Rule::DimensionGrade,
                        format!(
                            "`{}` is an L3 column; group by L1 or L2 columns only, and use L3 columns inside COUNT, SUM or AVG",
                            o.column.name
                        ),
                    ))
                }
                Role::JoinKey | Role::Entity => return Err(identifier(&o.column.name)),
            },
            None => {
                first_column_rule(group, input_schema, &origins, false)?;
                return Err(refuse(
                    Rule::OutputNotAggregate,
                    "group by dimension columns as they are; computed groupings are not allowed",
                ));
            }
        }
    }
    let rows_per_entity: Vec<u32> = {
        let mut seen = HashSet::new();
        origins
            .iter()
            .filter(|o| seen.insert(o.scan))
            .map(|o| o.rows_per_entity)
            .collect()
    };
    let mut first_aggregates: Vec<Expr> = Vec::new();
    let mut outputs = Vec::new();
    let mut noisy_values = 0usize;
    let groups = aggregate.group_expr.len();
    let push = |e: Expr, list: &mut Vec<Expr>| {
        list.push(e.alias(format!("__cleanroom_{}", list.len())));
        groups + list.len() - 1
    };
    for expr in &aggregate.aggr_expr {
        let Expr::AggregateFunction(f) = unalias(expr) else {
            return Err(refuse(
                Rule::OutputNotAggregate,
                "every output is an aggregate or a dimension",
            ));
        };
        let name = f.func.name().to_ascii_lowercase();
        match name.as_str() {
            "count" | "sum" | "avg" => {}
            "min" | "max" => {
                return Err(refuse(
                    Rule::Extremes,
                    format!(
                        "{} reveals one row's value; use AVG, SUM or COUNT",
                        name.to_uppercase()
                    ),
                ))
            }
            other => {
                return Err(refuse(
                    Rule::AggregateFunction,
                    format!("`{other}` is not allowed; use COUNT, COUNT(DISTINCT …), SUM or AVG"),
                ))
            }
        }
        let p = &f.params;
        if p.filter.is_some() || !p.order_by.is_empty() || p.null_treatment.is_some() {
            return Err(refuse(
                Rule::AggregateArgument,
                "aggregates take no FILTER, ORDER BY or null treatment; put conditions in WHERE",
            ));
        }
        if p.distinct && name != "count" {
            return Err(refuse(
                Rule::AggregateArgument,
                "DISTINCT is allowed only in COUNT(DISTINCT column)",
            ));
        }
        let argument = match p.args.as_slice() {
            [] if name == "count" => None,
            [Expr::Literal(v, _)] if name == "count" && !v.is_null() && !p.distinct => None,
            [arg] => match origin_of(arg) {
                Some(o) => match o.column.role {
                    Role::Dimension | Role::Measure => Some(o.column.clone()),
                    Role::JoinKey | Role::Entity => return Err(identifier(&o.column.name)),
                },
                None => {
                    first_column_rule(arg, input_schema, &origins, true)?;
                    return Err(refuse(
                        Rule::AggregateArgument,
                        format!(
                            "{}(…) takes one column as it is, not an expression",
                            name.to_uppercase()
                        ),
                    ));
                }
            },
            _ => {
                return Err(refuse(
                    Rule::AggregateArgument,
                    format!("{}(…) takes one column", name.to_uppercase()),
                ))
            }
        };
        if !noisy {
            outputs.push(Output::Exact(push(
                unalias(expr).clone(),
                &mut first_aggregates,
            )));
            continue;
        }
        match name.as_str() {
            "count" => {
                noisy_values += 1;
                outputs.push(Output::Count(push(
                    unalias(expr).clone(),
                    &mut first_aggregates,
                )));
            }
            _ => {
                let column = argument.expect("sum and avg take a column");
                let Some(bounds) = column.bounds else {
                    return Err(refuse(
                        Rule::NoiseBounds,
                        format!(
                            "{}(`{}`) gets noise here, which needs the owner to declare the column's bounds",
                            name.to_uppercase(),
                            column.name
                        ),
                    ));
                };
                let value = cast(p.args[0].clone(), DataType::Float64);
                let clamped = when(value.clone().lt(lit(bounds.0)), lit(bounds.0))
                    .when(value.clone().gt(lit(bounds.1)), lit(bounds.1))
                    .otherwise(value)?;
                let sum = Expr::AggregateFunction(AggregateFunction::new_udf(
                    datafusion::functions_aggregate::sum::sum_udaf(),
                    vec![clamped],
                    false,
                    None,
                    Vec::new(),
                    None,
                ));
                let sensitivity = cleanroom::sum_sensitivity(bounds, &rows_per_entity);
                let sum_at = push(sum, &mut first_aggregates);
                if name == "sum" {
                    noisy_values += 1;
                    outputs.push(Output::Sum(sum_at, sensitivity));
                } else {
                    noisy_values += 2;
                    let count = Expr::AggregateFunction(AggregateFunction::new_udf(
                        datafusion::functions_aggregate::count::count_udaf(),
                        vec![p.args[0].clone()],
                        false,
                        None,
                        Vec::new(),
                        None,
                    ));
                    let count_at = push(count, &mut first_aggregates);
                    outputs.push(Output::Avg(sum_at, sensitivity, count_at));
                }
            }
        }
    }
    let mut entity_counts = Vec::new();
    let mut counted = HashSet::new();
    for (i, origin) in origins.iter().enumerate() {
        if origin.column.entity && counted.insert(origin.class) {
            let (qualifier, field) = input_schema.qualified_field(i);
            let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
            entity_counts.push(push(
                crate::entities::at_least(column, k),
                &mut first_aggregates,
            ));
        }
    }
    if entity_counts.is_empty() {
        return Err(QueryError::internal(
            "a clean-room view without entity columns",
        ));
    }
    let first = LogicalPlan::Aggregate(Aggregate::try_new(
        Arc::clone(&aggregate.input),
        aggregate.group_expr.clone(),
        first_aggregates,
    )?);
    Ok(Checked {
        first,
        aggregate: aggregate.clone(),
        outputs,
        entity_counts,
        noisy: noisy_values,
        count_sensitivity: cleanroom::count_sensitivity(&rows_per_entity),
    })
}

fn identifier(name: &str) -> QueryError {
    refuse(
        Rule::IdentifierUse,
        format!(
            "`{name}` identifies people or firms; it may appear only in an equality join condition between allowed join keys (JOIN … ON a.key = b.key)"
        ),
    )
}

fn unalias(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(a) => unalias(&a.expr),
        other => other,
    }
}

/// The refusal for a plan node that may not stand where it is.
fn shape_refusal(node: &LogicalPlan, below: bool) -> QueryError {
    match node {
        LogicalPlan::Window(_) => refuse(Rule::Window, "window functions reveal single rows"),
        LogicalPlan::Union(_) => refuse(
            Rule::SetOperation,
            "UNION, INTERSECT and EXCEPT are not allowed; run one grouped query at a time",
        ),
        LogicalPlan::Limit(_) if below => refuse(
            Rule::RowLimit,
            "LIMIT and OFFSET may only apply to the groups of the result",
        ),
        LogicalPlan::Sort(_) if below => refuse(
            Rule::RowOrder,
            "ORDER BY may only sort the groups of the result",
        ),
        LogicalPlan::Aggregate(_) | LogicalPlan::Distinct(_) if below => refuse(
            Rule::NestedAggregate,
            "a query may aggregate once; nested aggregations and DISTINCT subqueries are not allowed",
        ),
        LogicalPlan::TableScan(_) | LogicalPlan::Join(_) if !below => refuse(
            Rule::MustAggregate,
            "a clean-room query returns only aggregates: GROUP BY dimension columns and output COUNT, COUNT(DISTINCT …), SUM or AVG",
        ),
        LogicalPlan::EmptyRelation(_) | LogicalPlan::Values(_) if !below => refuse(
            Rule::MustAggregate,
            "a clean-room query aggregates rows of the clean room's tables",
        ),
        _ => refuse(
            Rule::NestedAggregate,
            "below the one aggregation only tables, inner joins, WHERE and column aliases are allowed",
        ),
    }
}

/// Checks what every node's expressions may hold wherever they are: no subqueries, windows,
/// placeholders or variables, and only deterministic functions of the engine.
fn check_expressions(ctx: &SessionContext, node: &LogicalPlan) -> Result<(), QueryError> {
    let state = ctx.state();
    let mut refusal = None;
    node.apply_expressions(|expr| {
        expr.apply(|e| {
            let found = match e {
                Expr::Exists(_)
                | Expr::InSubquery(_)
                | Expr::ScalarSubquery(_)
                | Expr::SetComparison(_)
                | Expr::OuterReferenceColumn(..) => Some(refuse(
                    Rule::Subquery,
                    "subqueries in expressions are not allowed; join the tables instead",
                )),
                Expr::WindowFunction(_) => {
                    Some(refuse(Rule::Window, "window functions reveal single rows"))
                }
                Expr::Placeholder(_) | Expr::ScalarVariable(..) | Expr::Unnest(_) => Some(refuse(
                    Rule::NestedAggregate,
                    "parameters, variables and UNNEST are not allowed",
                )),
                Expr::ScalarFunction(f) => {
                    let name = f.func.name();
                    if !state.scalar_functions().contains_key(name) {
                        Some(refuse(
                            Rule::UserFunction,
                            format!("`{name}` is not one of the engine's functions"),
                        ))
                    } else if f.func.signature().volatility != Volatility::Immutable {
                        Some(refuse(
                            Rule::NonDeterministic,
                            format!("`{name}` does not always give the same result"),
                        ))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            Ok(match found {
                Some(r) => {
                    refusal = Some(r);
                    TreeNodeRecursion::Stop
                }
                None => TreeNodeRecursion::Continue,
            })
        })
    })?;
    match refusal {
        Some(r) => Err(r),
        None => Ok(()),
    }
}

/// The refusal for the most sensitive column an expression names (identifiers, then L3), if
/// any: an expression over such a column fails that column's rule first.
fn first_column_rule(
    expr: &Expr,
    schema: &DFSchema,
    origins: &[Origin],
    in_aggregate: bool,
) -> Result<(), QueryError> {
    let mut measure = None;
    for c in expr.column_refs() {
        let Some(o) = schema.maybe_index_of_column(c).and_then(|i| origins.get(i)) else {
            continue;
        };
        match o.column.role {
            Role::JoinKey | Role::Entity => return Err(identifier(&o.column.name)),
            Role::Measure if !in_aggregate => measure = Some(o.column.name.clone()),
            Role::Measure | Role::Dimension => {}
        }
    }
    match measure {
        Some(name) => Err(refuse(
            Rule::MeasureOutsideAggregate,
            format!("`{name}` is an L3 column; use it only as the column of COUNT, SUM or AVG"),
        )),
        None => Ok(()),
    }
}

/// What the walk below the aggregation has seen.
#[derive(Default)]
struct Walk {
    /// Table instances so far.
    scans: usize,
    /// Column classes so far.
    classes: usize,
    /// Every entity column of every table instance: (scan, column), each of which must reach
    /// the aggregation so that k can be counted on it.
    entities: Vec<(usize, String)>,
}

/// The view columns behind each output column of a plan below the aggregation, checking every
/// node on the way.
fn origins(
    ctx: &SessionContext,
    plan: &LogicalPlan,
    tables: &[&CleanRoomTable],
    walk: &mut Walk,
) -> Result<Vec<Origin>, QueryError> {
    check_expressions(ctx, plan)?;
    match plan {
        LogicalPlan::TableScan(scan) => {
            let name = scan.table_name.table();
            let table = tables
                .iter()
                .find(|t| t.name == name && scan.table_name.schema().is_none())
                .ok_or_else(|| QueryError::TableNotFound(name.to_string()))?;
            if scan.fetch.is_some() {
                return Err(shape_refusal(plan, true));
            }
            let id = walk.scans;
            walk.scans += 1;
            for c in table.columns.iter().filter(|c| c.entity) {
                walk.entities.push((id, c.name.clone()));
            }
            scan.projected_schema
                .fields()
                .iter()
                .map(|field| {
                    let column = table
                        .columns
                        .iter()
                        .find(|c| &c.name == field.name())
                        .ok_or_else(|| QueryError::internal("a view column without a role"))?;
                    walk.classes += 1;
                    Ok(Origin {
                        column: column.clone(),
                        scan: id,
                        class: walk.classes,
                        rows_per_entity: table.max_rows_per_entity,
                    })
                })
                .collect()
        }
        LogicalPlan::SubqueryAlias(a) => origins(ctx, &a.input, tables, walk),
        LogicalPlan::Filter(f) => {
            let input = origins(ctx, &f.input, tables, walk)?;
            let schema = f.input.schema();
            for conjunct in split_conjunction(&f.predicate) {
                for c in conjunct.column_refs() {
                    if let Some(o) = schema.maybe_index_of_column(c).and_then(|i| input.get(i)) {
                        match o.column.role {
                            Role::JoinKey | Role::Entity => return Err(identifier(&o.column.name)),
                            Role::Measure => {
                                return Err(refuse(
                                    Rule::MeasureOutsideAggregate,
                                    format!(
                                        "`{}` is an L3 column; it may not be filtered on, only aggregated",
                                        o.column.name
                                    ),
                                ))
                            }
                            Role::Dimension => {}
                        }
                    }
                }
                if !policy::is_infallible(conjunct) {
                    return Err(refuse(
                        Rule::FallibleFilter,
                        "WHERE may only compare dimension columns with constants (=, <, >, IN, LIKE, BETWEEN, IS NULL, with AND, OR, NOT)",
                    ));
                }
            }
            Ok(input)
        }
        LogicalPlan::Join(j) => {
            let left = origins(ctx, &j.left, tables, walk)?;
            let right = origins(ctx, &j.right, tables, walk)?;
            if j.join_type != JoinType::Inner {
                return Err(refuse(
                    Rule::JoinCondition,
                    "only inner joins are allowed (JOIN … ON a.key = b.key)",
                ));
            }
            let left_schema = j.left.schema();
            let right_schema = j.right.schema();
            let key = |e: &Expr, schema: &DFSchema, side: &[Origin]| -> Option<usize> {
                match e {
                    Expr::Column(c) => schema
                        .maybe_index_of_column(c)
                        .filter(|i| side.get(*i).is_some_and(|o| o.column.role == Role::JoinKey)),
                    _ => None,
                }
            };
            // The positions, left then right, of two join keys of different table instances.
            let pair = |l: &Expr, r: &Expr| -> Option<(usize, usize)> {
                let direct = key(l, left_schema, &left).zip(key(r, right_schema, &right));
                let swapped = key(r, left_schema, &left).zip(key(l, right_schema, &right));
                direct
                    .or(swapped)
                    .filter(|(a, b)| left[*a].scan != right[*b].scan)
            };
            let mut equal = Vec::new();
            for (l, r) in &j.on {
                equal.push(pair(l, r).ok_or_else(join_refusal)?);
            }
            if let Some(filter) = &j.filter {
                for conjunct in split_conjunction(filter) {
                    match conjunct {
                        Expr::BinaryExpr(BinaryExpr {
                            left: l,
                            op: Operator::Eq,
                            right: r,
                        }) => equal.push(pair(l, r).ok_or_else(join_refusal)?),
                        _ => return Err(join_refusal()),
                    }
                }
            }
            if equal.is_empty() {
                return Err(join_refusal());
            }
            let offset = left.len();
            let mut all: Vec<Origin> = left.into_iter().chain(right).collect();
            for (a, b) in equal {
                let (keep, merge) = (all[a].class, all[offset + b].class);
                for o in all.iter_mut().filter(|o| o.class == merge) {
                    o.class = keep;
                }
            }
            Ok(all)
        }
        LogicalPlan::Projection(p) => {
            let input = origins(ctx, &p.input, tables, walk)?;
            let schema = p.input.schema();
            p.expr
                .iter()
                .map(|e| match unalias(e) {
                    Expr::Column(c) => schema
                        .maybe_index_of_column(c)
                        .and_then(|i| input.get(i).cloned())
                        .ok_or_else(|| QueryError::internal("an unresolved column")),
                    other => {
                        first_column_rule(other, schema, &input, false)?;
                        Err(refuse(
                            Rule::OutputNotAggregate,
                            "columns may be computed only from aggregates, above the GROUP BY",
                        ))
                    }
                })
                .collect()
        }
        other => Err(shape_refusal(other, true)),
    }
}

fn join_refusal() -> QueryError {
    refuse(
        Rule::JoinCondition,
        "tables join only by equality between allowed join keys of different tables (JOIN … ON a.key = b.key), and on nothing else",
    )
}

/// Runs the first step and keeps the groups that cover k entities, with noise where required.
/// Returns the kept groups as a batch in the schema of the query's aggregation, the number of
/// groups removed, and the noise added.
async fn groups(
    ctx: &SessionContext,
    checked: &Checked,
    k: u32,
    noisy: bool,
    epsilon: f64,
) -> Result<(RecordBatch, u64, Option<Noise>), QueryError> {
    let frame = ctx.execute_logical_plan(checked.first.clone()).await?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    let all = concat_batches(&schema, &batches).map_err(QueryError::internal)?;
    let mut keep = vec![true; all.num_rows()];
    for &i in &checked.entity_counts {
        let counts = all.column(i).as_primitive::<Int64Type>();
        for (row, kept) in keep.iter_mut().enumerate() {
            if counts.is_null(row) || counts.value(row) < i64::from(k) {
                *kept = false;
            }
        }
    }
    let suppressed = keep.iter().filter(|k| !**k).count() as u64;
    let kept =
        filter_record_batch(&all, &BooleanArray::from(keep)).map_err(QueryError::internal)?;
    let target = checked.aggregate.schema.as_arrow();
    let groups = checked.aggregate.group_expr.len();
    let noise = (noisy && checked.noisy > 0).then_some(Noise {
        epsilon,
        aggregates: checked.noisy,
    });
    let share = noise.map(|n| n.epsilon / n.aggregates as f64);
    let mut columns: Vec<ArrayRef> = (0..groups).map(|i| Arc::clone(kept.column(i))).collect();
    let draw = |value: f64, sensitivity: f64| -> f64 {
        let share = share.expect("noise has a share of ε");
        value + laplace_noise(sensitivity / share)
    };
    for (j, output) in checked.outputs.iter().enumerate() {
        let field = target.field(groups + j);
        let array: ArrayRef = match *output {
            Output::Exact(i) => Arc::clone(kept.column(i)),
            Output::Count(i) => {
                let counts = as_f64(kept.column(i))?;
                let noisy: Float64Array = counts
                    .iter()
                    .map(|v| v.map(|v| draw(v, checked.count_sensitivity).round().max(0.0)))
                    .collect();
                Arc::new(noisy)
            }
            Output::Sum(i, sensitivity) => {
                let sums = as_f64(kept.column(i))?;
                let noisy: Float64Array = sums
                    .iter()
                    .map(|v| v.map(|v| draw(v, sensitivity)))
                    .collect();
                Arc::new(noisy)
            }
            Output::Avg(s, sensitivity, c) => {
                let sums = as_f64(kept.column(s))?;
                let counts = as_f64(kept.column(c))?;
                let noisy: Float64Array = sums
                    .iter()
                    .zip(counts.iter())
                    .map(|(sum, count)| {
                        let sum = draw(sum.unwrap_or(0.0), sensitivity);
                        let count = draw(count.unwrap_or(0.0), checked.count_sensitivity).round();
                        (count >= 1.0).then(|| sum / count)
                    })
                    .collect();
                Arc::new(noisy)
            }
        };
        let array = if array.data_type() == field.data_type() {
            array
        } else {
            cast_array(&array, field.data_type()).map_err(QueryError::internal)?
        };
        columns.push(array);
    }
    let fields: Vec<Field> = target
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| Field::new(format!("c{i}"), f.data_type().clone(), true))
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(QueryError::internal)?;
    Ok((batch, suppressed, noise))
}

/// One draw of Laplace noise of scale `scale`, from the operating system's random source.
fn laplace_noise(scale: f64) -> f64 {
    cleanroom::laplace(rand::rngs::OsRng.gen::<f64>() - 0.5, scale)
}

fn as_f64(array: &ArrayRef) -> Result<Float64Array, QueryError> {
    let cast = cast_array(array, &DataType::Float64).map_err(QueryError::internal)?;
    Ok(cast.as_primitive::<Float64Type>().clone())
}

/// The query's plan with its aggregation replaced by the groups that are left, under the same
/// names, so that everything above (HAVING, outputs, ORDER BY, LIMIT) runs on them alone.
fn replace_aggregate(plan: &LogicalPlan, groups: RecordBatch) -> Result<LogicalPlan, QueryError> {
    match plan {
        LogicalPlan::Aggregate(a) => {
            let schema = groups.schema();
            let table = MemTable::try_new(Arc::clone(&schema), vec![vec![groups]])?;
            let name = TableReference::bare("__cleanroom_groups");
            let exprs: Vec<Expr> = (0..a.schema.fields().len())
                .map(|i| {
                    let (qualifier, field) = a.schema.qualified_field(i);
                    Expr::Column(Column::new(Some(name.clone()), format!("c{i}")))
                        .alias_qualified(qualifier.cloned(), field.name())
                })
                .collect();
            Ok(
                LogicalPlanBuilder::scan(name.clone(), provider_as_source(Arc::new(table)), None)?
                    .project(exprs)?
                    .build()?,
            )
        }
        other => {
            let inputs = other
                .inputs()
                .into_iter()
                .map(|i| replace_aggregate(i, groups.clone()))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(other.with_new_exprs(other.expressions(), inputs)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Laplace distribution function of scale `b`.
    fn cdf(x: f64, b: f64) -> f64 {
        if x < 0.0 {
            0.5 * (x / b).exp()
        } else {
            1.0 - 0.5 * (-x / b).exp()
        }
    }

    #[test]
    fn noise_follows_the_laplace_distribution() {
        // Kolmogorov–Smirnov against the exact distribution function. The threshold is the
        // statistic's 1 − 10⁻⁶ quantile, so a correct sampler fails once in a million runs, and
        // one drawing from a distribution of another scale, or off centre, fails every time.
        let n = 20_000;
        for b in [0.5, 40.0] {
            let mut draws: Vec<f64> = (0..n).map(|_| laplace_noise(b)).collect();
            draws.sort_by(f64::total_cmp);
            let statistic = |scale: f64, shift: f64| {
                draws
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let f = cdf(x - shift, scale);
                        (f - i as f64 / n as f64)
                            .abs()
                            .max(((i + 1) as f64 / n as f64 - f).abs())
                    })
                    .fold(0.0, f64::max)
            };
            let critical = ((2.0f64 / 1e-6).ln() / (2.0 * n as f64)).sqrt();
            assert!(
                statistic(b, 0.0) < critical,
                "scale {b}: {}",
                statistic(b, 0.0)
            );
            assert!(
                statistic(b * 1.2, 0.0) > critical,
                "scale {b}: another scale passes"
            );
            assert!(
                statistic(b, b * 0.1) > critical,
                "scale {b}: a shifted centre passes"
            );
            let mean = draws.iter().sum::<f64>() / n as f64;
            assert!(mean.abs() < b * 0.1, "scale {b}: mean {mean}");
        }
    }
}
