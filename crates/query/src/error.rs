//! Query errors with stable codes, and the translation of DataFusion's errors into them.
//!
//! DataFusion's messages are useful to a user writing SQL, so most are shown, but never
//! unfiltered: a message that names a column the caller may not see, or the path of a Parquet
//! file, is replaced by a generic sentence of the same code. Errors that are not the user's doing
//! (I/O, Parquet decoding, internal invariants) become [`QueryError::Internal`], whose message
//! says nothing and whose source keeps the details for the log.

use std::time::Duration;

use datafusion::arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;

/// The generic sentence used when a message would name a column the caller may not see.
const WITHHELD: &str = "The query refers to a column that does not exist or that you may not \
see; check the column names against the table's visible columns.";

/// Why a query was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The SQL text does not parse (`sql_syntax`).
    #[error("{0}")]
    SqlSyntax(String),
    /// The statement is not a query: DDL, DML, COPY, SET, EXPLAIN, SHOW and so on
    /// (`sql_not_select`).
    #[error("Only a single SELECT query may be run, and this is {0}; rewrite it as one SELECT (a WITH … SELECT is fine).")]
    SqlNotSelect(String),
    /// More than one statement (`sql_multiple_statements`).
    #[error("Send exactly one SQL statement; this text holds {0}.")]
    SqlMultipleStatements(usize),
    /// A table that is not part of this request (`table_not_found`). The message is the same
    /// whether the table does not exist or the caller may not read it.
    #[error("{}", table_not_found(.0))]
    TableNotFound(String),
    /// A column that is not visible (`column_not_found`); the name is `None` when naming it
    /// would reveal a column the caller may not see.
    #[error("{}", column_not_found(.0.as_deref()))]
    ColumnNotFound(Option<String>),
    /// A REST filter that is malformed (`bad_filter`).
    #[error("{0}")]
    BadFilter(String),
    /// A sort that is malformed or names no output column (`bad_sort`).
    #[error("{0}")]
    BadSort(String),
    /// An aggregate that is malformed (`bad_aggregate`).
    #[error("{0}")]
    BadAggregate(String),
    /// A value that does not fit the type of its column or function (`type_mismatch`).
    #[error("{0}")]
    TypeMismatch(String),
    /// The query took longer than allowed (`query_timeout`).
    #[error("The query took longer than the {} seconds allowed; narrow it with filters or a smaller limit and try again.", .0.as_secs_f64())]
    Timeout(Duration),
    /// The query needed more memory than allowed (`query_memory`).
    #[error("The query needed more memory than it may use; add filters, group by fewer distinct values, or sort fewer rows.")]
    Memory,
    /// A download over the row limit of its format or of the service (`too_many_rows`).
    #[error("The result holds more than {0} rows, the most one download may hold; add filters or a limit and download it in parts.")]
    TooManyRows(u64),
    /// A clean-room query that breaks one of the clean room's rules (`cleanroom_refused`); the
    /// message names the rule.
    #[error("Clean-room rule `{}` ({}): {detail}.", .rule.code(), .rule.label_en())]
    CleanRoom {
        /// The rule that failed.
        rule: model::cleanroom::Rule,
        /// What in the query broke it.
        detail: String,
    },
    /// Any other error the query itself caused (`query_failed`).
    #[error("{0}")]
    Failed(String),
    /// A fault that is not the caller's (`internal`); the details stay in the source, for the
    /// log, and are never shown.
    #[error("The query failed because of an internal error; try again later, and report it if it keeps happening.")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn table_not_found(name: &str) -> String {
    if name.is_empty() {
        "A table named in the query does not exist or you may not query it; check the names against the datasets you have access to.".to_string()
    } else {
        format!("Table `{name}` does not exist or you may not query it; check the name against the datasets you have access to.")
    }
}

fn column_not_found(_name: Option<&str>) -> String {
    // The name is never repeated, not even one the caller wrote: a message that named unknown
    // columns but withheld hidden ones would tell the two apart. The name stays in `Debug`
    // output for the server's log.
    WITHHELD.to_string()
}

impl QueryError {
    /// The stable code the server maps to an HTTP status.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::SqlSyntax(_) => "sql_syntax",
            QueryError::SqlNotSelect(_) => "sql_not_select",
            QueryError::SqlMultipleStatements(_) => "sql_multiple_statements",
            QueryError::TableNotFound(_) => "table_not_found",
            QueryError::ColumnNotFound(_) => "column_not_found",
            QueryError::BadFilter(_) => "bad_filter",
            QueryError::BadSort(_) => "bad_sort",
            QueryError::BadAggregate(_) => "bad_aggregate",
            QueryError::TypeMismatch(_) => "type_mismatch",
            QueryError::Timeout(_) => "query_timeout",
            QueryError::Memory => "query_memory",
            QueryError::TooManyRows(_) => "too_many_rows",
            QueryError::CleanRoom { .. } => "cleanroom_refused",
            QueryError::Failed(_) => "query_failed",
            QueryError::Internal(_) => "internal",
        }
    }

    /// Whether the caller can fix this by changing the request (everything but `internal`).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, QueryError::Internal(_))
    }

    /// An internal error from anything that can be logged.
    pub(crate) fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        QueryError::Internal(err.into())
    }

    /// Replaces a message that mentions a hidden column or a secret path by a generic one.
    pub(crate) fn redact(self, secrets: &Secrets) -> Self {
        use QueryError::*;
        match self {
            ColumnNotFound(Some(name)) if secrets.mentions(&name) => ColumnNotFound(None),
            SqlSyntax(m) if secrets.mentions(&m) => SqlSyntax(
                "The SQL could not be parsed; check its syntax and send exactly one SELECT query."
                    .into(),
            ),
            TableNotFound(m) if secrets.mentions(&m) => TableNotFound(String::new()),
            BadFilter(m) if secrets.mentions(&m) => BadFilter(WITHHELD.into()),
            BadSort(m) if secrets.mentions(&m) => BadSort(WITHHELD.into()),
            BadAggregate(m) if secrets.mentions(&m) => BadAggregate(WITHHELD.into()),
            TypeMismatch(m) if secrets.mentions(&m) => TypeMismatch(WITHHELD.into()),
            Failed(m) if secrets.mentions(&m) => Failed(WITHHELD.into()),
            other => other,
        }
    }
}

/// What no message may contain: the names of columns the caller may not see, and file paths.
#[derive(Debug, Clone, Default)]
pub(crate) struct Secrets {
    /// Lower-cased.
    words: Vec<String>,
}

impl Secrets {
    /// Columns that are in some table's decision but visible in none of the tables of the
    /// request, and the tables' Parquet paths.
    pub(crate) fn for_tables(tables: &[crate::PolicyTable]) -> Secrets {
        let visible: std::collections::HashSet<String> = tables
            .iter()
            .filter(|t| t.decision.rows_allowed())
            .flat_map(|t| t.decision.visible().map(|(name, _)| name.to_lowercase()))
            .collect();
        let hidden = tables
            .iter()
            .flat_map(|t| {
                t.decision
                    .columns
                    .iter()
                    .map(|(name, _)| name.to_lowercase())
            })
            .filter(|name| !visible.contains(name))
            .collect();
        Secrets::new(hidden, tables.iter().map(|t| &t.parquet))
    }

    /// Secrets from hidden column names and the Parquet files read (each path and file name).
    pub(crate) fn new<'a>(
        hidden: Vec<String>,
        files: impl IntoIterator<Item = &'a crate::Location>,
    ) -> Secrets {
        let mut words = hidden;
        for file in files {
            words.extend(file.words());
        }
        let mut words: Vec<String> = words
            .into_iter()
            .map(|w| w.to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        words.sort();
        words.dedup();
        Secrets { words }
    }

    /// Whether `text` contains, case-insensitively, any secret.
    pub(crate) fn mentions(&self, text: &str) -> bool {
        let text = text.to_lowercase();
        self.words.iter().any(|w| text.contains(w.as_str()))
    }
}

/// Translates a DataFusion error (not yet redacted).
pub(crate) fn from_datafusion(err: DataFusionError) -> QueryError {
    let root = root(&err);
    match root {
        DataFusionError::SQL(e, _) => QueryError::SqlSyntax(format!(
            "The SQL could not be parsed: {}; check the syntax near that point.",
            trim(&e.to_string())
        )),
        DataFusionError::SchemaError(e, _) => match e.as_ref() {
            SchemaError::FieldNotFound { field, .. } => {
                QueryError::ColumnNotFound(Some(field.name().to_string()))
            }
            other => QueryError::Failed(format!(
                "The query could not be planned: {}; qualify the column with its table name.",
                trim(&other.to_string())
            )),
        },
        DataFusionError::Plan(msg) => from_plan_message(msg),
        DataFusionError::NotImplemented(msg) => QueryError::Failed(format!(
            "The query uses something that is not supported: {}; rewrite that part of it.",
            trim(msg)
        )),
        DataFusionError::ResourcesExhausted(_) => QueryError::Memory,
        DataFusionError::Execution(msg) if mentions_spilling(msg) => QueryError::Memory,
        DataFusionError::Execution(msg) => QueryError::Failed(format!(
            "The query failed while running: {}; check the values and functions it uses.",
            trim(msg)
        )),
        DataFusionError::ArrowError(e, _) => from_arrow(e, &err),
        _ => QueryError::internal(err),
    }
}

fn from_arrow(e: &ArrowError, whole: &DataFusionError) -> QueryError {
    match e {
        ArrowError::CastError(msg) | ArrowError::ParseError(msg) => {
            QueryError::TypeMismatch(format!(
                "A value could not be converted: {}; check the casts and literals of the query.",
                trim(msg)
            ))
        }
        ArrowError::DivideByZero => QueryError::Failed(
            "The query divided by zero; guard the divisor, for example with NULLIF(x, 0).".into(),
        ),
        ArrowError::ArithmeticOverflow(msg) => QueryError::Failed(format!(
            "A calculation overflowed: {}; cast to a wider type first.",
            trim(msg)
        )),
        ArrowError::ComputeError(msg) | ArrowError::InvalidArgumentError(msg) => {
            QueryError::Failed(format!(
                "The query failed while running: {}; check the values and functions it uses.",
                trim(msg)
            ))
        }
        ArrowError::MemoryError(_) => QueryError::Memory,
        _ => QueryError::internal(whole.to_string()),
    }
}

fn from_plan_message(msg: &str) -> QueryError {
    let lower = msg.to_lowercase();
    if lower.starts_with("table '") && lower.contains("not found") {
        let name = msg
            .split('\'')
            .nth(1)
            .map(|n| n.rsplit('.').next().unwrap_or(n))
            .unwrap_or("?");
        return QueryError::TableNotFound(name.to_string());
    }
    if lower.contains("coerc")
        || lower.contains("common argument type")
        || lower.contains("cannot cast")
        || lower.contains("can't be cast")
        || lower.contains("no function matches")
        || lower.contains("does not support")
    {
        return QueryError::TypeMismatch(format!(
            "The types in the query do not fit together: {}; cast the values to matching types.",
            trim(msg)
        ));
    }
    QueryError::Failed(format!(
        "The query could not be planned: {}; correct it and try again.",
        trim(msg)
    ))
}

fn mentions_spilling(msg: &str) -> bool {
    let lower = msg.to_lowercase();
    lower.contains("spill") || lower.contains("diskmanager") || lower.contains("disk manager")
}

/// The innermost DataFusion error, through contexts, diagnostics, shared errors and collections.
fn root(err: &DataFusionError) -> &DataFusionError {
    let mut current = err.find_root();
    loop {
        current = match current {
            DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
                inner.find_root()
            }
            DataFusionError::Shared(inner) => inner.find_root(),
            DataFusionError::Collection(errors) if !errors.is_empty() => errors[0].find_root(),
            DataFusionError::ArrowError(e, _) => match e.as_ref() {
                ArrowError::ExternalError(inner) => match inner.downcast_ref::<DataFusionError>() {
                    Some(inner) => inner.find_root(),
                    None => return current,
                },
                _ => return current,
            },
            _ => return current,
        };
    }
}

/// A message without DataFusion's trailing period and surrounding space.
fn trim(msg: &str) -> String {
    let msg = msg.trim();
    msg.strip_suffix('.').unwrap_or(msg).to_string()
}

impl From<DataFusionError> for QueryError {
    fn from(err: DataFusionError) -> Self {
        from_datafusion(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_code() {
        let cases: Vec<(QueryError, &str)> = vec![
            (QueryError::SqlSyntax("x".into()), "sql_syntax"),
            (QueryError::SqlNotSelect("x".into()), "sql_not_select"),
            (
                QueryError::SqlMultipleStatements(2),
                "sql_multiple_statements",
            ),
            (QueryError::TableNotFound("t".into()), "table_not_found"),
            (QueryError::ColumnNotFound(None), "column_not_found"),
            (QueryError::BadFilter("x".into()), "bad_filter"),
            (QueryError::BadSort("x".into()), "bad_sort"),
            (QueryError::BadAggregate("x".into()), "bad_aggregate"),
            (QueryError::TypeMismatch("x".into()), "type_mismatch"),
            (QueryError::Timeout(Duration::from_secs(1)), "query_timeout"),
            (QueryError::Memory, "query_memory"),
            (QueryError::TooManyRows(1), "too_many_rows"),
            (QueryError::Failed("x".into()), "query_failed"),
            (QueryError::internal("boom"), "internal"),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code);
            assert_eq!(err.is_user_error(), code != "internal");
        }
    }

    #[test]
    fn internal_errors_show_no_details() {
        let err = QueryError::internal("/data/versions/secret.parquet: permission denied");
        assert!(!err.to_string().contains("secret"));
        assert!(format!("{err:?}").contains("secret"));
    }

    #[test]
    fn redaction_is_case_insensitive() {
        let secrets = Secrets {
            words: vec!["citizen_id".into()],
        };
        let err = QueryError::Failed("No field named \"CITIZEN_ID\"".into()).redact(&secrets);
        assert!(!err.to_string().to_lowercase().contains("citizen_id"));
        // Hidden and absent columns read the same.
        let hidden = QueryError::ColumnNotFound(Some("Citizen_Id".into())).redact(&secrets);
        let absent = QueryError::ColumnNotFound(Some("foo".into())).redact(&secrets);
        assert_eq!(
            hidden.to_string().replace("Citizen_Id", "#"),
            absent.to_string().replace("foo", "#")
        );
    }
}
