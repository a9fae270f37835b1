//! Query parameters of the data endpoints, from a query string or a JSON body, turned into the
//! query crate's requests. The same parsing serves the API, the portal and the CKAN DataStore
//! façade.
//!
//! REST query grammar (GET parameters, or the same names in a POST JSON body):
//!
//! ```text
//! filters       JSON: {"column": value | [values]}  (CKAN style: equality / IN)
//!               or [{"column": C, "op": OP, "value": V}, …]  (operators of model::filter)
//! q             text searched, case-insensitively, in every visible text column
//! fields        comma-separated columns to return
//! sort          "a, b desc" or "-b"
//! limit, offset integers; limit defaults to 100 and is capped by the server's row cap
//! distinct      true | false
//! include_total true | false
//! resource      resource name (defaults to the dataset's first resource)
//! ```

use super::schemas as doc;
use crate::error::{ApiError, ApiResult};
use app::dataservice::DEFAULT_LIMIT;
use app::{AppError, Code};
use model::filter::{Condition, Literal, Op};
use query::export::Format;
use query::{AggFunc, Metric, RestQuery, SortKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Parameters of a REST query, from a query string or a JSON body.
///
/// The documented types are the canonical ones; the server also takes numbers and booleans as
/// strings, and `fields` as a comma-separated string in a body.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueryParams {
    /// Filters: an object of column → value (equality; a list means `in`; null means
    /// `is_null`), or a list of `{"column", "op", "value"}` conditions; in a query string, as
    /// JSON text.
    #[serde(default)]
    #[schema(value_type = Option<doc::Filters>, nullable = false)]
    #[param(value_type = Option<String>, example = json!("{\"所在区\": \"西湖区\"}"))]
    pub filters: Option<Value>,
    /// Text searched, case-insensitively, in every visible text column (at most 200 characters).
    #[serde(default)]
    #[schema(nullable = false, max_length = 200)]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Columns to return; in a query string, comma-separated.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>, nullable = false)]
    #[param(value_type = Option<String>)]
    pub fields: Option<Value>,
    /// Sort: `a, b desc` or `-b`.
    #[serde(default)]
    #[schema(nullable = false)]
    pub sort: Option<String>,
    /// Rows to return: 100 by default, at most the server's row cap (`query_max_rows`).
    #[serde(default)]
    #[schema(value_type = Option<i64>, nullable = false, minimum = 0)]
    #[param(value_type = Option<i64>, minimum = 0)]
    pub limit: Option<Value>,
    /// Rows to skip.
    #[serde(default)]
    #[schema(value_type = Option<i64>, nullable = false, minimum = 0)]
    #[param(value_type = Option<i64>, minimum = 0)]
    pub offset: Option<Value>,
    /// Only distinct rows.
    #[serde(default)]
    #[schema(value_type = Option<bool>, nullable = false)]
    #[param(value_type = Option<bool>)]
    pub distinct: Option<Value>,
    /// Count the rows without offset and limit into `total`.
    #[serde(default)]
    #[schema(value_type = Option<bool>, nullable = false)]
    #[param(value_type = Option<bool>)]
    pub include_total: Option<Value>,
    /// The resource (by name); the dataset's first resource by default.
    #[serde(default)]
    #[schema(nullable = false)]
    pub resource: Option<String>,
    /// Download format (downloads only; documented there).
    #[serde(default)]
    #[schema(ignore)]
    #[param(ignore)]
    pub format: Option<String>,
    /// Where the query runs: `auto` (default: on the cluster when the server has one and the
    /// query reads enough data), `cluster` or `local`. `Gongshu-Ran-On` says where it ran.
    #[serde(default)]
    #[schema(nullable = false, pattern = "^(auto|cluster|local)$")]
    #[param(pattern = "^(auto|cluster|local)$")]
    pub run_on: Option<String>,
}

/// Parses `run_on`: `auto` (or nothing), `cluster` or `local`.
pub fn parse_run_on(value: Option<&str>) -> ApiResult<query::Preference> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(query::Preference::Auto),
        Some(v) => query::Preference::parse(v).ok_or_else(|| {
            ApiError::new(
                Code::BadRequest,
                format!("`run_on` is `auto`, `cluster` or `local`, not `{v}`."),
            )
        }),
    }
}

fn bad_filter(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::BadFilter, message)
}

/// Parses `filters`: a JSON object (CKAN style) or a list of conditions, given as JSON text (in
/// a query string) or as JSON (in a body).
pub fn parse_filters(value: Option<&Value>) -> ApiResult<Vec<Condition>> {
    let value = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(Vec::new()),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .map_err(|e| bad_filter(format!("`filters` is not valid JSON: {e}.")))?,
        Some(v) => v.clone(),
    };
    let conditions = match value {
        Value::Object(map) => map
            .into_iter()
            .map(|(column, v)| {
                let literal = to_literal(&column, v)?;
                let op = if matches!(literal, Literal::List(_)) { Op::In } else if literal == Literal::Null { Op::IsNull } else { Op::Eq };
                let value = (op != Op::IsNull).then_some(literal);
                Ok(Condition { column, op, value })
            })
            .collect::<ApiResult<Vec<_>>>()?,
        Value::Array(_) => serde_json::from_value::<Vec<Condition>>(value).map_err(|e| {
            bad_filter(format!(
                "`filters` must be an object of column → value, or a list of {{\"column\", \"op\", \"value\"}} conditions: {e}."
            ))
        })?,
        _ => {
            return Err(bad_filter(
                "`filters` must be an object of column → value, or a list of conditions.",
            ))
        }
    };
    if conditions.len() > 50 {
        return Err(bad_filter("Use at most 50 filter conditions."));
    }
    for c in &conditions {
        c.validate().map_err(|e| bad_filter(format!("{e}.")))?;
    }
    Ok(conditions)
}

fn to_literal(column: &str, v: Value) -> ApiResult<Literal> {
    Ok(match v {
        Value::Null => Literal::Null,
        Value::Bool(b) => Literal::Bool(b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Literal::Int(i),
            None => Literal::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Literal::Str(s),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(bad_filter(format!(
                    "The filter on `{column}` has an empty list."
                )));
            }
            Literal::List(
                items
                    .into_iter()
                    .map(|i| match i {
                        Value::Array(_) | Value::Object(_) => Err(bad_filter(format!(
                            "The filter on `{column}` may list only plain values."
                        ))),
                        i => to_literal(column, i),
                    })
                    .collect::<ApiResult<_>>()?,
            )
        }
        Value::Object(_) => {
            return Err(bad_filter(format!(
                "The filter on `{column}` must be a value or a list of values."
            )))
        }
    })
}

pub fn param_int(name: &str, v: Option<&Value>) -> ApiResult<Option<i64>> {
    let bad = || {
        ApiError::new(
            Code::BadRequest,
            format!("`{name}` must be a non-negative integer."),
        )
    };
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().filter(|i| *i >= 0).map(Some).ok_or_else(bad),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|i| *i >= 0)
            .map(Some)
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

pub fn param_bool(name: &str, v: Option<&Value>) -> ApiResult<bool> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.trim() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" | "" => Ok(false),
            _ => Err(ApiError::new(
                Code::BadRequest,
                format!("`{name}` must be true or false."),
            )),
        },
        _ => Err(ApiError::new(
            Code::BadRequest,
            format!("`{name}` must be true or false."),
        )),
    }
}

pub fn param_list(name: &str, v: Option<&Value>) -> ApiResult<Option<Vec<String>>> {
    let list: Vec<String> = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s
            .split(',')
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::new(
                        Code::BadRequest,
                        format!("`{name}` must list column names."),
                    )
                })
            })
            .collect::<ApiResult<_>>()?,
        _ => {
            return Err(ApiError::new(
                Code::BadRequest,
                format!("`{name}` must list column names."),
            ))
        }
    };
    Ok((!list.is_empty()).then_some(list))
}

/// Turns parameters into a [`RestQuery`]; `limit` above `cap` is an error, not silently cut.
pub fn rest_query(p: &QueryParams, cap: usize) -> ApiResult<RestQuery> {
    let limit = param_int("limit", p.limit.as_ref())?;
    if let Some(l) = limit {
        if l as u64 > cap as u64 {
            return Err(ApiError::new(
                Code::BadRequest,
                format!("`limit` may be at most {cap}; page through larger results with `offset`, or download the data."),
            ));
        }
    }
    let offset = param_int("offset", p.offset.as_ref())?.unwrap_or(0);
    let sort = match p.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => SortKey::parse_list(s).map_err(AppError::from)?,
        None => Vec::new(),
    };
    let q = p.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if q.is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::new(
            Code::BadRequest,
            "`q` may have at most 200 characters.",
        ));
    }
    Ok(RestQuery {
        filters: parse_filters(p.filters.as_ref())?,
        q: q.map(str::to_string),
        fields: param_list("fields", p.fields.as_ref())?,
        sort,
        limit: Some(limit.map(|l| l as usize).unwrap_or(DEFAULT_LIMIT.min(cap))),
        offset: offset as usize,
        distinct: param_bool("distinct", p.distinct.as_ref())?,
        include_total: param_bool("include_total", p.include_total.as_ref())?,
    })
}

/// Parses the `metrics` of an aggregate: `count`, `count:col`, `count_distinct:col`, `sum:col`,
/// `avg:col`, `min:col`, `max:col`, comma-separated.
pub fn parse_metrics(s: &str) -> ApiResult<Vec<Metric>> {
    let bad = |m: &str| {
        ApiError::new(
            Code::BadAggregate,
            format!("Unknown metric `{m}`; use count, count:COL, count_distinct:COL, sum:COL, avg:COL, min:COL or max:COL."),
        )
    };
    s.split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| {
            let (func, column) = match m.split_once(':') {
                Some((f, c)) => (f.trim(), Some(c.trim().to_string())),
                None => (m, None),
            };
            let func = match func {
                "count" => AggFunc::Count,
                "count_distinct" => AggFunc::CountDistinct,
                "sum" => AggFunc::Sum,
                "avg" => AggFunc::Avg,
                "min" => AggFunc::Min,
                "max" => AggFunc::Max,
                _ => return Err(bad(m)),
            };
            if func != AggFunc::Count && column.is_none() {
                return Err(bad(m));
            }
            Ok(Metric { func, column })
        })
        .collect()
}

/// Parses a download format name.
pub fn parse_format(s: Option<&str>) -> ApiResult<Format> {
    let s = s.unwrap_or("csv");
    Format::from_ext(s).ok_or_else(|| {
        ApiError::new(
            Code::BadRequest,
            format!("Unknown download format `{s}`; use csv, json, ndjson, parquet or xlsx."),
        )
    })
}

/// The error for query parameters that do not parse.
pub fn bad_params(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::new(
        Code::BadRequest,
        format!("Invalid query parameters: {}.", e.body_text()),
    )
}
