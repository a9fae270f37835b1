//! REST queries and aggregates as DataFusion plans, never as SQL text.
//!
//! Grammar of a REST query (the server fills [`RestQuery`] from query parameters or JSON):
//!
//! ```text
//! filters  := [condition, ...]          see model::filter; all must hold
//! q        := text                      case-insensitive substring of any visible text column
//! fields   := [column, ...]             output columns, in this order (default: all visible)
//! sort     := "col[ asc|desc], -col"    see SortKey::parse_list
//! distinct := bool                      distinct rows of the output columns
//! offset   := n                         rows to skip (default 0)
//! limit    := n                         rows to return (default 100, at most max_rows)
//! ```
//!
//! The plan is: policy view → filters and q → sort → fields (→ distinct, then sort) → offset and
//! limit. Every column named must be visible; hidden columns are reported exactly like columns
//! that do not exist.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::TableReference;
use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::count::count_all;
use datafusion::functions_aggregate::expr_fn::{
    avg, count as count_values, count_distinct, max, min, sum,
};
use datafusion::logical_expr::{lit, Expr, Like, SortExpr};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use model::access::Verdict;
use model::filter::Condition;

use crate::conditions::{self, column, condition_expr};
use crate::error::{from_datafusion, Secrets};
use crate::policy;
use crate::rows::{column_metas, RowStream, Rows};
use crate::sql::collect_capped;
use crate::{Engine, PolicyTable, QueryError};

/// Rows a REST query returns when it gives no limit.
pub const DEFAULT_LIMIT: usize = 100;

/// A REST query on one table (the grammar is in the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RestQuery {
    /// Conditions every row must meet.
    pub filters: Vec<Condition>,
    /// Full-text search: a case-insensitive substring of any visible text column.
    pub q: Option<String>,
    /// Output columns; `None` for every visible column.
    pub fields: Option<Vec<String>>,
    /// Sort keys, most significant first.
    pub sort: Vec<SortKey>,
    /// Rows to return; `None` for the default of 100 (for downloads: every row).
    pub limit: Option<usize>,
    /// Rows to skip.
    pub offset: usize,
    /// Whether to return distinct rows only.
    pub distinct: bool,
    /// Whether to count the rows without offset and limit too.
    pub include_total: bool,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// The column, exactly as named.
    pub column: String,
    /// Descending instead of ascending.
    pub descending: bool,
}

impl SortKey {
    /// Parses a comma-separated list of keys, each `col`, `col asc`, `col desc` (CKAN style) or
    /// `-col` (descending). A name may be written in double quotes. An empty string is no sort.
    pub fn parse_list(s: &str) -> Result<Vec<SortKey>, QueryError> {
        if s.trim().is_empty() {
            return Ok(Vec::new());
        }
        s.split(',').map(SortKey::parse_one).collect()
    }

    fn parse_one(item: &str) -> Result<SortKey, QueryError> {
        let bad = || {
            QueryError::BadSort(format!(
                "The sort key `{}` is malformed; write a column name, optionally followed by asc or desc, or preceded by a minus sign, and separate keys with commas.",
                item.trim()
            ))
        };
        let mut text = item.trim();
        let mut descending = false;
        if let Some(rest) = text.strip_prefix('-') {
            descending = true;
            text = rest.trim_start();
        } else if let Some((name, direction)) = text.rsplit_once(char::is_whitespace) {
            match direction.to_ascii_lowercase().as_str() {
                "asc" => text = name.trim_end(),
                "desc" => {
                    text = name.trim_end();
                    descending = true;
                }
                _ => {}
            }
        }
        let column = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => text.to_string(),
        };
        if column.is_empty() {
            return Err(bad());
        }
        Ok(SortKey { column, descending })
    }
}

/// An aggregate on one table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AggregateQuery {
    /// Columns to group by.
    pub group_by: Vec<String>,
    /// What to compute for each group.
    pub metrics: Vec<Metric>,
    /// Conditions every row must meet before grouping.
    pub filters: Vec<Condition>,
    /// Sort keys over output columns (group columns or metric names such as `sum_x`).
    pub sort: Vec<SortKey>,
    /// Groups to return; `None` for at most `max_rows`.
    pub limit: Option<usize>,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// Rows, or non-null values of a column.
    Count,
    /// Distinct non-null values of a column.
    CountDistinct,
    /// Sum of a numeric column.
    Sum,
    /// Average of a numeric column.
    Avg,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
}

impl AggFunc {
    /// Every function.
    pub const ALL: &'static [AggFunc] = &[
        AggFunc::Count,
        AggFunc::CountDistinct,
        AggFunc::Sum,
        AggFunc::Avg,
        AggFunc::Min,
        AggFunc::Max,
    ];

    /// Stable code, also the prefix of output column names.
    pub fn code(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::CountDistinct => "count_distinct",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
        }
    }
}

impl FromStr for AggFunc {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AggFunc::ALL.iter().copied().find(|f| f.code() == s).ok_or_else(|| {
            QueryError::BadAggregate(format!(
                "`{s}` is not an aggregate function; use count, count_distinct, sum, avg, min or max."
            ))
        })
    }
}

/// One computed value per group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// The function.
    pub func: AggFunc,
    /// Its column; only `count` may go without (it then counts rows).
    pub column: Option<String>,
}

impl Metric {
    /// The output column name: `count` for counting rows, else `<func>_<column>` (`sum_income`).
    pub fn output_name(&self) -> String {
        match &self.column {
            None => self.func.code().to_string(),
            Some(c) => format!("{}_{c}", self.func.code()),
        }
    }
}

/// A fresh session with `table` registered, or `table_not_found`; with the page index read when
/// `page_index` says so (see [`session_for_rows`]).
async fn session(
    engine: &Engine,
    table: &PolicyTable,
    page_index: bool,
) -> Result<SessionContext, QueryError> {
    if !table.decision.rows_allowed() {
        return Err(QueryError::TableNotFound(table.name.clone()));
    }
    let ctx = policy::new_session(engine)?;
    if page_index {
        let state = ctx.state_ref();
        let mut state = state.write();
        state
            .config_mut()
            .options_mut()
            .execution
            .parquet
            .enable_page_index = true;
    }
    policy::register(&ctx, std::slice::from_ref(table)).await?;
    Ok(ctx)
}

/// A fresh session for the rows of `q`: with the page index read when `q` has no sort.
///
/// Sessions leave the page index unread because DataFusion stops pruning row groups by a
/// TopK's run-time filter once the page index has selected rows; without a sort there is no
/// TopK, and a filter on a column in order (a record id, a date) then reads one page of it
/// instead of its whole row group (a `services` lookup by `id` in process: 3.7–4.7 → 2.5–2.7
/// ms).
async fn session_for_rows(
    engine: &Engine,
    table: &PolicyTable,
    q: &RestQuery,
) -> Result<SessionContext, QueryError> {
    session(engine, table, q.sort.is_empty()).await
}

async fn view(ctx: &SessionContext, table: &PolicyTable) -> Result<DataFrame, QueryError> {
    Ok(ctx.table(TableReference::bare(table.name.as_str())).await?)
}

fn schema_of(frame: &DataFrame) -> Arc<Schema> {
    Arc::new(frame.schema().as_arrow().clone())
}

fn masked_columns(table: &PolicyTable) -> HashSet<String> {
    table
        .decision
        .visible()
        .filter(|(_, v)| matches!(v, Verdict::Masked { .. }))
        .map(|(n, _)| n.to_string())
        .collect()
}

fn require_column(schema: &Schema, name: &str) -> Result<(), QueryError> {
    match schema.field_with_name(name) {
        Ok(_) => Ok(()),
        Err(_) => Err(QueryError::ColumnNotFound(Some(name.to_string()))),
    }
}

/// `q`: a case-insensitive substring of any text column, `%` and `_` taken literally.
fn search(text: &str, schema: &Schema) -> Expr {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    let alternatives = schema
        .fields()
        .iter()
        .filter(|f| conditions::is_text(f.data_type()))
        .map(|f| {
            Expr::Like(Like::new(
                false,
                Box::new(column(f.name())),
                Box::new(lit(pattern.clone())),
                Some('\\'),
                true,
            ))
        });
    datafusion::logical_expr::utils::disjunction(alternatives).unwrap_or(lit(false))
}

fn filtered(
    frame: DataFrame,
    schema: &Schema,
    filters: &[Condition],
    q: Option<&str>,
) -> Result<DataFrame, QueryError> {
    let mut predicates = filters
        .iter()
        .map(|c| condition_expr(c, schema))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(text) = q.map(str::trim).filter(|t| !t.is_empty()) {
        predicates.push(search(text, schema));
    }
    Ok(
        match datafusion::logical_expr::utils::conjunction(predicates) {
            Some(predicate) => frame.filter(predicate)?,
            None => frame,
        },
    )
}

fn sort_exprs(keys: &[SortKey]) -> Vec<SortExpr> {
    keys.iter()
        .map(|k| column(&k.column).sort(!k.descending, k.descending))
        .collect()
}

/// The plan of a REST query without offset and limit.
async fn plan(
    ctx: &SessionContext,
    table: &PolicyTable,
    q: &RestQuery,
) -> Result<DataFrame, QueryError> {
    let frame = view(ctx, table).await?;
    let schema = schema_of(&frame);
    let mut frame = filtered(frame, &schema, &q.filters, q.q.as_deref())?;
    let fields = match &q.fields {
        Some(fields) if !fields.is_empty() => {
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for f in fields {
                require_column(&schema, f)?;
                if seen.insert(f.as_str()) {
                    out.push(f.clone());
                }
            }
            Some(out)
        }
        _ => None,
    };
    for key in &q.sort {
        require_column(&schema, &key.column)?;
        if q.distinct && fields.as_ref().is_some_and(|f| !f.contains(&key.column)) {
            return Err(QueryError::BadSort(format!(
                "A distinct query can only sort by its output fields, and `{}` is not one of them; add it to the fields or sort by another column.",
                key.column
            )));
        }
    }
    let select = |frame: DataFrame| -> Result<DataFrame, QueryError> {
        Ok(match &fields {
            Some(fields) => frame.select(fields.iter().map(|f| column(f)).collect::<Vec<_>>())?,
            None => frame,
        })
    };
    if q.distinct {
        frame = select(frame)?.distinct()?;
        if !q.sort.is_empty() {
            frame = frame.sort(sort_exprs(&q.sort))?;
        }
    } else {
        if !q.sort.is_empty() {
            frame = frame.sort(sort_exprs(&q.sort))?;
        }
        frame = select(frame)?;
    }
    Ok(frame)
}

async fn within<T>(
    limit: Duration,
    secrets: &Secrets,
    work: impl std::future::Future<Output = Result<T, QueryError>>,
) -> Result<T, QueryError> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result.map_err(|e| e.redact(secrets)),
        Err(_) => Err(QueryError::Timeout(limit)),
    }
}

/// See [`Engine::query`].
pub(crate) async fn query(
    engine: &Engine,
    table: &PolicyTable,
    q: &RestQuery,
) -> Result<Rows, QueryError> {
    let limits = engine.limits();
    let secrets = Secrets::for_tables(std::slice::from_ref(table));
    within(limits.timeout, &secrets, async {
        let ctx = session_for_rows(engine, table, q).await?;
        let frame = plan(&ctx, table, q).await?;
        let total = match q.include_total {
            true => Some(crate::remote::count(engine, frame.clone()).await?),
            false => None,
        };
        let requested = q.limit.unwrap_or(DEFAULT_LIMIT);
        let effective = requested.min(limits.max_rows);
        let fetch = effective + usize::from(requested > effective);
        let frame = policy::plain_strings(frame.limit(q.offset, Some(fetch))?)?;
        let schema = schema_of(&frame);
        let (batches, row_count, more, placement) =
            collect_capped(engine, frame, effective, false).await?;
        let masked = masked_columns(table);
        Ok(Rows {
            columns: column_metas(&schema, |n| masked.contains(n)),
            batches,
            row_count,
            total,
            truncated: more,
            placement,
        })
    })
    .await
}

/// See [`Engine::count`].
pub(crate) async fn count(
    engine: &Engine,
    table: &PolicyTable,
    q: &RestQuery,
) -> Result<u64, QueryError> {
    count_within(engine, table, q, engine.limits().timeout).await
}

async fn count_within(
    engine: &Engine,
    table: &PolicyTable,
    q: &RestQuery,
    limit: Duration,
) -> Result<u64, QueryError> {
    let secrets = Secrets::for_tables(std::slice::from_ref(table));
    within(limit, &secrets, async {
        let ctx = session_for_rows(engine, table, q).await?;
        let frame = plan(&ctx, table, q).await?;
        crate::remote::count(engine, frame).await
    })
    .await
}

/// See [`Engine::stream`].
pub(crate) async fn stream(
    engine: &Engine,
    table: &PolicyTable,
    q: &RestQuery,
) -> Result<RowStream, QueryError> {
    let limits = engine.limits();
    let timeout = limits.download_timeout();
    let deadline = tokio::time::Instant::now() + timeout;
    let max = limits.max_download_rows;
    let secrets = Secrets::for_tables(std::slice::from_ref(table));
    // Refuse an oversized download before sending anything, unless its limit settles it.
    if q.limit.is_none_or(|l| l as u64 > max) {
        let total = count_within(engine, table, q, timeout).await?;
        let rows = total.saturating_sub(q.offset as u64);
        let rows = q.limit.map_or(rows, |l| rows.min(l as u64));
        if rows > max {
            return Err(QueryError::TooManyRows(max));
        }
    }
    let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
    let (ctx, batches, schema, placement) = within(remaining, &secrets, async {
        let ctx = session_for_rows(engine, table, q).await?;
        let mut frame = plan(&ctx, table, q).await?;
        if q.offset > 0 || q.limit.is_some() {
            frame = frame.limit(q.offset, q.limit)?;
        }
        let frame = policy::plain_strings(frame)?;
        let schema = schema_of(&frame);
        let (batches, placement) = crate::remote::execute(engine, frame, false).await?;
        Ok((ctx, batches, schema, placement))
    })
    .await?;
    let masked = masked_columns(table);
    let columns = column_metas(&schema, |n| masked.contains(n));
    let state = Guard {
        _ctx: ctx,
        batches,
        deadline: Box::pin(tokio::time::sleep_until(deadline)),
        timeout,
        rows: 0,
        max,
        secrets,
        done: false,
    };
    let guarded = futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        let item = tokio::select! {
            // Once the deadline has passed, no further batch goes out.
            biased;
            _ = &mut st.deadline => Err(QueryError::Timeout(st.timeout)),
            next = st.batches.next() => match next {
                None => return None,
                Some(Ok(batch)) => {
                    st.rows += batch.num_rows() as u64;
                    if st.rows > st.max {
                        Err(QueryError::TooManyRows(st.max))
                    } else {
                        Ok(batch)
                    }
                }
                Some(Err(e)) => Err(from_datafusion(e).redact(&st.secrets)),
            },
        };
        st.done = item.is_err();
        Some((item, st))
    });
    Ok(RowStream::new(schema, columns, guarded).placed(placement))
}

/// What a download stream carries: the query's stream and the limits it runs under.
struct Guard {
    _ctx: SessionContext,
    batches: datafusion::execution::SendableRecordBatchStream,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
    rows: u64,
    max: u64,
    secrets: Secrets,
    done: bool,
}

/// See [`Engine::aggregate`].
pub(crate) async fn aggregate(
    engine: &Engine,
    table: &PolicyTable,
    a: &AggregateQuery,
) -> Result<Rows, QueryError> {
    let limits = engine.limits();
    let secrets = Secrets::for_tables(std::slice::from_ref(table));
    within(limits.timeout, &secrets, async {
        if a.group_by.is_empty() && a.metrics.is_empty() {
            return Err(QueryError::BadAggregate(
                "An aggregate needs at least one group-by column or metric; add one.".into(),
            ));
        }
        let ctx = session(engine, table, false).await?;
        let frame = view(&ctx, table).await?;
        let schema = schema_of(&frame);
        let frame = filtered(frame, &schema, &a.filters, None)?;
        let mut names = HashSet::new();
        let mut unique = |name: String| -> Result<String, QueryError> {
            if names.insert(name.clone()) {
                Ok(name)
            } else {
                Err(QueryError::BadAggregate(format!(
                    "The output column `{name}` appears twice; group by each column once and compute each metric once."
                )))
            }
        };
        let mut groups = Vec::new();
        for g in &a.group_by {
            require_column(&schema, g)?;
            groups.push(column(unique(g.clone())?.as_str()));
        }
        let mut metrics = Vec::new();
        for m in &a.metrics {
            let expr = metric_expr(m, &schema)?;
            metrics.push(expr.alias(unique(m.output_name())?));
        }
        let outputs: Vec<String> = a
            .group_by
            .iter()
            .cloned()
            .chain(a.metrics.iter().map(Metric::output_name))
            .collect();
        for key in &a.sort {
            if !outputs.contains(&key.column) {
                return Err(QueryError::BadSort(format!(
                    "An aggregate can only sort by its output columns ({}), and `{}` is not one of them.",
                    outputs.join(", "),
                    key.column
                )));
            }
        }
        let mut frame = frame.aggregate(groups, metrics)?;
        if !a.sort.is_empty() {
            frame = frame.sort(sort_exprs(&a.sort))?;
        }
        let requested = a.limit.unwrap_or(limits.max_rows);
        let effective = requested.min(limits.max_rows);
        let cap_applies = a.limit.is_none_or(|l| l > limits.max_rows);
        let frame =
            policy::plain_strings(frame.limit(0, Some(effective + usize::from(cap_applies)))?)?;
        let out_schema = schema_of(&frame);
        let (batches, row_count, more, placement) =
            collect_capped(engine, frame, effective, false).await?;
        let masked = masked_columns(table);
        let group_names: HashSet<&str> = a.group_by.iter().map(String::as_str).collect();
        Ok(Rows {
            columns: column_metas(&out_schema, |n| group_names.contains(n) && masked.contains(n)),
            batches,
            row_count,
            total: None,
            truncated: more,
            placement,
        })
    })
    .await
}

fn metric_expr(m: &Metric, schema: &Schema) -> Result<Expr, QueryError> {
    let Some(name) = &m.column else {
        return match m.func {
            AggFunc::Count => Ok(count_all()),
            other => Err(QueryError::BadAggregate(format!(
                "The {} metric needs a column; name one.",
                other.code()
            ))),
        };
    };
    let data_type = schema
        .field_with_name(name)
        .map(|f| f.data_type().clone())
        .map_err(|_| QueryError::ColumnNotFound(Some(name.clone())))?;
    let numeric = conditions::is_numeric(&data_type);
    let col = column(name);
    Ok(match m.func {
        AggFunc::Count => count_values(col),
        AggFunc::CountDistinct => count_distinct(col),
        AggFunc::Sum | AggFunc::Avg if !numeric => {
            return Err(QueryError::BadAggregate(format!(
                "The {} metric needs a numeric column, and `{name}` holds {}; use count, count_distinct, min or max for it.",
                m.func.code(),
                crate::rows::type_name(&data_type)
            )))
        }
        AggFunc::Sum => sum(col),
        AggFunc::Avg => avg(col),
        AggFunc::Min => min(col),
        AggFunc::Max => max(col),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::physical_plan::metrics::MetricValue;
    use model::access::{Basis, Decision};
    use model::filter::{Condition, Literal, Op};

    /// One row group of 20,000 rows in `id` order, in pages of 1,000 rows, with the page index.
    fn ordered_file(dir: &std::path::Path) -> PolicyTable {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("v", DataType::Int64, false),
        ]));
        let props = parquet::file::properties::WriterProperties::builder()
            .set_data_page_row_count_limit(1000)
            .set_write_batch_size(1000)
            .build();
        let path = dir.join("v.parquet");
        let file = std::fs::File::create(&path).unwrap();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
        let ids: Vec<i64> = (0..20_000).collect();
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(ids.clone())),
                Arc::new(Int64Array::from_iter_values(ids.iter().map(|i| i * 3 % 17))),
            ],
        )
        .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        PolicyTable {
            name: "t".into(),
            parquet: path.to_str().unwrap().into(),
            decision: Decision {
                columns: vec![("id".into(), Verdict::Raw), ("v".into(), Verdict::Raw)],
                row_filter: Vec::new(),
                basis: Basis::Grant("g".into()),
                quota_remaining: None,
            },
        }
    }

    /// The rows the scan's page index ruled out for `q` in its own session.
    async fn rows_pruned_by_pages(engine: &Engine, table: &PolicyTable, q: &RestQuery) -> usize {
        let ctx = session_for_rows(engine, table, q).await.unwrap();
        let frame = plan(&ctx, table, q).await.unwrap();
        let physical = frame.clone().create_physical_plan().await.unwrap();
        let context = Arc::new(datafusion::execution::TaskContext::from(&ctx.state()));
        datafusion::physical_plan::collect(Arc::clone(&physical), context)
            .await
            .unwrap();
        let mut pruned = 0;
        physical
            .apply(|node| {
                for metric in node
                    .metrics()
                    .iter()
                    .flat_map(|m| m.iter().cloned().collect::<Vec<_>>())
                {
                    if let MetricValue::PruningMetrics {
                        name,
                        pruning_metrics,
                    } = metric.value()
                    {
                        if name == "page_index_rows_pruned" {
                            pruned += pruning_metrics.pruned();
                        }
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            })
            .unwrap();
        pruned
    }

    #[tokio::test]
    async fn a_filter_without_a_sort_reads_only_the_pages_that_can_match() {
        let dir = tempfile::tempdir().unwrap();
        let table = ordered_file(dir.path());
        let engine = Engine::new(crate::Limits::default());
        let lookup = RestQuery {
            filters: vec![Condition {
                column: "id".into(),
                op: Op::Eq,
                value: Some(Literal::Int(12_345)),
            }],
            ..RestQuery::default()
        };
        let sorted = RestQuery {
            sort: vec![SortKey {
                column: "v".into(),
                descending: true,
            }],
            ..lookup.clone()
        };
        // The page of 1,000 rows holding the id is read, the other 19 pages are not; with a
        // sort (and so a TopK) the page index stays unread.
        assert_eq!(rows_pruned_by_pages(&engine, &table, &lookup).await, 19_000);
        assert_eq!(rows_pruned_by_pages(&engine, &table, &sorted).await, 0);
        for q in [&lookup, &sorted] {
            let rows = engine.query(&table, q).await.unwrap();
            assert_eq!(rows.row_count, 1);
        }
    }

    fn key(column: &str, descending: bool) -> SortKey {
        SortKey {
            column: column.into(),
            descending,
        }
    }

    #[test]
    fn sort_lists_in_both_styles() {
        assert_eq!(SortKey::parse_list("").unwrap(), vec![]);
        assert_eq!(
            SortKey::parse_list("a, b desc").unwrap(),
            vec![key("a", false), key("b", true)]
        );
        assert_eq!(
            SortKey::parse_list("-b,a ASC").unwrap(),
            vec![key("b", true), key("a", false)]
        );
        assert_eq!(
            SortKey::parse_list("\"first name\" desc").unwrap(),
            vec![key("first name", true)]
        );
        assert_eq!(
            SortKey::parse_list("first name").unwrap(),
            vec![key("first name", false)]
        );
        assert_eq!(SortKey::parse_list("a,,b").unwrap_err().code(), "bad_sort");
        assert_eq!(SortKey::parse_list("-").unwrap_err().code(), "bad_sort");
    }

    #[test]
    fn metric_names() {
        assert_eq!(
            Metric {
                func: AggFunc::Count,
                column: None
            }
            .output_name(),
            "count"
        );
        assert_eq!(
            Metric {
                func: AggFunc::CountDistinct,
                column: Some("x".into())
            }
            .output_name(),
            "count_distinct_x"
        );
        assert_eq!("sum".parse::<AggFunc>().unwrap(), AggFunc::Sum);
        assert_eq!(
            "median".parse::<AggFunc>().unwrap_err().code(),
            "bad_aggregate"
        );
    }
}
