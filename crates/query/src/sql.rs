//! Read-only SQL: validation of the statement, then planning over policy views.
//!
//! The text is parsed once, with DataFusion's own parser and dialect, and the parsed statement
//! is what gets planned, so what was checked is what runs. The checks:
//!
//! - exactly one statement, and it is a query (`SELECT`, `WITH … SELECT`, `VALUES`, set
//!   operations): no EXPLAIN, DDL, DML, COPY, SET, SHOW, PREPARE, `SELECT … INTO`;
//! - every table in `FROM` is a single name (no catalog or schema, no file path that some
//!   resolver might open), and the only table functions are `generate_series` and `range`.
//!
//! The plan is then checked again by DataFusion's `SQLOptions` with DDL, DML and statements
//! disallowed, as a second line of defence.

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::execution::context::SQLOptions;
use datafusion::sql::parser::{DFParser, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    Ident, ObjectName, ObjectNamePart, Query, SetExpr, Statement, TableFactor, Visit, Visitor,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use futures::StreamExt;

use crate::error::Secrets;
use crate::policy;
use crate::rows::{column_metas, Rows};
use crate::{Engine, PolicyTable, QueryError};

/// A validated statement and the tables it reads.
pub(crate) struct Parsed {
    pub(crate) statement: DFStatement,
    pub(crate) tables: Vec<String>,
}

/// Parses and validates `sql`.
pub(crate) fn parse(sql: &str) -> Result<Parsed, QueryError> {
    let mut statements = DFParser::parse_sql_with_dialect(sql, &GenericDialect {})
        .map_err(crate::error::from_datafusion)?;
    let statement = match statements.len() {
        0 => {
            return Err(QueryError::SqlSyntax(
                "The SQL text holds no statement; send one SELECT query.".into(),
            ))
        }
        1 => statements.pop_front().expect("one statement"),
        n => return Err(QueryError::SqlMultipleStatements(n)),
    };
    let inner = match &statement {
        DFStatement::Statement(inner) => inner.as_ref(),
        DFStatement::Explain(_) => {
            return Err(QueryError::SqlNotSelect("an EXPLAIN statement".into()))
        }
        DFStatement::CopyTo(_) => return Err(QueryError::SqlNotSelect("a COPY statement".into())),
        DFStatement::CreateExternalTable(_) => {
            return Err(QueryError::SqlNotSelect(
                "a CREATE EXTERNAL TABLE statement".into(),
            ))
        }
        DFStatement::Reset(_) => return Err(QueryError::SqlNotSelect("a RESET statement".into())),
    };
    if !matches!(inner, Statement::Query(_)) {
        return Err(QueryError::SqlNotSelect(describe(inner)));
    }
    let mut checker = Checker::default();
    if let ControlFlow::Break(err) = inner.visit(&mut checker) {
        return Err(err);
    }
    let mut seen = HashSet::new();
    let tables = checker
        .tables
        .into_iter()
        .filter(|t| !checker.ctes.contains(t))
        .filter(|t| seen.insert(t.clone()))
        .collect();
    Ok(Parsed { statement, tables })
}

/// "an INSERT statement", from the statement's first keyword.
fn describe(statement: &Statement) -> String {
    let text = statement.to_string();
    let keyword: String = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    if keyword.is_empty() {
        "a statement that is not a query".into()
    } else {
        let article = if "AEIOU".contains(&keyword[..1]) {
            "an"
        } else {
            "a"
        };
        format!("{article} {keyword} statement")
    }
}

/// A name as DataFusion resolves it: unquoted in ASCII lower case, quoted as written.
fn normalize(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_ascii_lowercase(),
    }
}

/// The single-part name of a table, or `table_not_found` for anything qualified.
fn table_name(name: &ObjectName) -> Result<String, QueryError> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => Ok(normalize(ident)),
        _ => Err(QueryError::TableNotFound(name.to_string())),
    }
}

#[derive(Default)]
struct Checker {
    statements: usize,
    tables: Vec<String>,
    ctes: HashSet<String>,
}

impl Checker {
    fn check_body(body: &SetExpr) -> Result<(), QueryError> {
        match body {
            SetExpr::Select(select) if select.into.is_some() => {
                Err(QueryError::SqlNotSelect("a SELECT … INTO statement".into()))
            }
            SetExpr::SetOperation { left, right, .. } => {
                Self::check_body(left)?;
                Self::check_body(right)
            }
            SetExpr::Table(_) => Err(QueryError::Failed(
                "The TABLE shorthand is not supported; write SELECT * FROM the table instead."
                    .into(),
            )),
            SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => {
                Err(QueryError::SqlNotSelect(
                    "a statement that changes data".into(),
                ))
            }
            _ => Ok(()),
        }
    }
}

impl Visitor for Checker {
    type Break = QueryError;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<QueryError> {
        self.statements += 1;
        if self.statements > 1 || !matches!(statement, Statement::Query(_)) {
            return ControlFlow::Break(QueryError::SqlNotSelect(describe(statement)));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<QueryError> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.insert(normalize(&cte.alias.name));
            }
        }
        match Self::check_body(&query.body) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<QueryError> {
        let result = match factor {
            TableFactor::Table { name, args: None, .. } => table_name(name).map(|n| self.tables.push(n)),
            TableFactor::Table { name, args: Some(_), .. } => match table_name(name) {
                Ok(n) if policy::is_allowed_table_function(&n) => Ok(()),
                _ => Err(QueryError::TableNotFound(name.to_string())),
            },
            TableFactor::Derived { .. } | TableFactor::NestedJoin { .. } | TableFactor::UNNEST { .. } => Ok(()),
            TableFactor::Function { name, .. } => Err(QueryError::TableNotFound(name.to_string())),
            _ => Err(QueryError::Failed(
                "This kind of FROM item is not supported; use tables, subqueries, joins, UNNEST or generate_series."
                    .into(),
            )),
        };
        match result {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => ControlFlow::Break(e),
        }
    }
}

/// Plans a validated statement in `ctx`, with DataFusion's read-only check on the plan as a
/// second line of defence.
pub(crate) async fn plan(
    ctx: &datafusion::prelude::SessionContext,
    statement: DFStatement,
) -> Result<datafusion::logical_expr::LogicalPlan, QueryError> {
    let plan = ctx.state().statement_to_plan(statement).await?;
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(&plan)
        .map_err(|_| QueryError::SqlNotSelect("a statement that is not a query".into()))?;
    Ok(plan)
}

/// Runs `sql` over `tables` (see [`Engine::sql`]).
pub(crate) async fn run(
    engine: &Engine,
    tables: &[PolicyTable],
    sql: &str,
) -> Result<Rows, QueryError> {
    let secrets = Secrets::for_tables(tables);
    run_unredacted(engine, tables, sql)
        .await
        .map_err(|e| e.redact(&secrets))
}

async fn run_unredacted(
    engine: &Engine,
    tables: &[PolicyTable],
    sql: &str,
) -> Result<Rows, QueryError> {
    let parsed = parse(sql)?;
    let registered: HashSet<&str> = tables
        .iter()
        .filter(|t| t.decision.rows_allowed())
        .map(|t| t.name.as_str())
        .collect();
    if let Some(missing) = parsed
        .tables
        .iter()
        .find(|t| !registered.contains(t.as_str()))
    {
        return Err(QueryError::TableNotFound(missing.clone()));
    }
    // Only the tables the query reads are opened.
    let read: Vec<PolicyTable> = tables
        .iter()
        .filter(|t| parsed.tables.contains(&t.name))
        .cloned()
        .collect();
    let limits = engine.limits();
    let max_rows = limits.max_rows;
    let work = async move {
        let ctx = policy::new_session(engine)?;
        policy::register(&ctx, &read).await?;
        let plan = plan(&ctx, parsed.statement).await?;
        let frame = ctx.execute_logical_plan(plan).await?;
        let frame = policy::plain_strings(frame.limit(0, Some(max_rows.saturating_add(1)))?)?;
        let schema = std::sync::Arc::new(frame.schema().as_arrow().clone());
        let (batches, row_count, more, placement) =
            collect_capped(engine, frame, max_rows, false).await?;
        let masked = masked_names(tables);
        Ok::<_, QueryError>(Rows {
            columns: column_metas(&schema, |name| masked.contains(name)),
            batches,
            row_count,
            total: None,
            truncated: more,
            placement,
        })
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(QueryError::Timeout(limits.timeout)),
    }
}

/// Names of masked columns in any table of the request. A SQL result column carrying one of these
/// names is reported as masked: over-reporting is harmless, every value in the view is masked.
fn masked_names(tables: &[PolicyTable]) -> HashSet<String> {
    tables
        .iter()
        .flat_map(|t| t.decision.visible())
        .filter(|(_, v)| matches!(v, model::access::Verdict::Masked { .. }))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// Runs a frame (here, or on the engine's cluster unless `local_only`) and keeps at most `cap`
/// rows; the flag says whether more came.
pub(crate) async fn collect_capped(
    engine: &crate::Engine,
    frame: datafusion::dataframe::DataFrame,
    cap: usize,
    local_only: bool,
) -> Result<
    (
        Vec<datafusion::arrow::record_batch::RecordBatch>,
        usize,
        bool,
        crate::Placement,
    ),
    QueryError,
> {
    let (mut stream, placement) = crate::remote::execute(engine, frame, local_only).await?;
    let mut batches = Vec::new();
    let mut rows = 0usize;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        if rows + batch.num_rows() > cap {
            let keep = cap - rows;
            if keep > 0 {
                batches.push(batch.slice(0, keep));
            }
            rows += keep;
            return Ok((batches, rows, true, placement));
        }
        rows += batch.num_rows();
        if batch.num_rows() > 0 {
            batches.push(batch);
        }
    }
    Ok((batches, rows, false, placement))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(sql: &str) -> Result<Vec<String>, String> {
        parse(sql)
            .map(|p| p.tables)
            .map_err(|e| e.code().to_string())
    }

    #[test]
    fn referenced_tables_are_normalised_deduplicated_and_exclude_ctes() {
        assert_eq!(
            tables("SELECT * FROM Persons p JOIN persons q ON true"),
            Ok(vec!["persons".into()])
        );
        assert_eq!(
            tables("SELECT * FROM \"Persons\""),
            Ok(vec!["Persons".into()])
        );
        assert_eq!(
            tables("WITH a AS (SELECT * FROM t1) SELECT * FROM a, (SELECT * FROM t2) x WHERE EXISTS (SELECT 1 FROM t3)"),
            Ok(vec!["t1".into(), "t2".into(), "t3".into()])
        );
        assert_eq!(tables("SELECT * FROM generate_series(1, 3)"), Ok(vec![]));
        assert_eq!(
            tables("SELECT 1 UNION SELECT * FROM b"),
            Ok(vec!["b".into()])
        );
    }

    #[test]
    fn only_one_query_is_accepted() {
        let check = |sql: &str, code: &str| assert_eq!(tables(sql), Err(code.to_string()), "{sql}");
        check("SELECT 1; SELECT 2", "sql_multiple_statements");
        check("SELECT 1; DROP TABLE t", "sql_multiple_statements");
        check("", "sql_syntax");
        check("SELEC 1", "sql_syntax");
        check("EXPLAIN SELECT 1", "sql_not_select");
        check("EXPLAIN ANALYZE SELECT 1", "sql_not_select");
        check("CREATE TABLE t (a INT)", "sql_not_select");
        check(
            "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '/etc'",
            "sql_not_select",
        );
        check("CREATE VIEW v AS SELECT 1", "sql_not_select");
        check("DROP TABLE t", "sql_not_select");
        check("INSERT INTO t VALUES (1)", "sql_not_select");
        check("UPDATE t SET a = 1", "sql_not_select");
        check("DELETE FROM t", "sql_not_select");
        check("COPY t TO '/tmp/x.csv'", "sql_not_select");
        check(
            "SET datafusion.catalog.information_schema = true",
            "sql_not_select",
        );
        check("SHOW TABLES", "sql_not_select");
        check("PREPARE p AS SELECT 1", "sql_not_select");
        check("SELECT * INTO t2 FROM t", "sql_not_select");
        check(
            "SELECT * FROM read_parquet('/etc/passwd')",
            "table_not_found",
        );
        check("SELECT * FROM read_csv('/etc/passwd')", "table_not_found");
        check("SELECT * FROM datafusion.public.t", "table_not_found");
        check("SELECT * FROM information_schema.tables", "table_not_found");
    }
}
