//! Reading data: preview, REST query, aggregates, read-only SQL and downloads. Every handler
//! opens its tables through [`crate::dataservice`], the one enforcement point.
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

use super::openapi as doc;
use super::ApiJson;
use crate::auth::Caller;
use crate::dataservice::{self, query_error, Access, Asker, Delivery, Receipt};
use crate::error::{ApiError, ApiResult, Code};
use crate::state::SharedState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use model::access::{Basis, Mode};
use model::filter::{Condition, Literal, Op};
use model::log::EventKind;
use query::export::Format;
use query::{AggFunc, AggregateQuery, Metric, RestQuery, Rows, SortKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/datasets/{name}/preview", get(preview))
        .route(
            "/api/v1/datasets/{name}/query",
            get(query_get).post(query_post),
        )
        .route("/api/v1/datasets/{name}/aggregate", get(aggregate))
        .route("/api/v1/datasets/{name}/download", get(download))
        .route("/api/v1/sql", get(sql_get).post(sql_post))
}

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

fn param_int(name: &str, v: Option<&Value>) -> ApiResult<Option<i64>> {
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

fn param_bool(name: &str, v: Option<&Value>) -> ApiResult<bool> {
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

fn param_list(name: &str, v: Option<&Value>) -> ApiResult<Option<Vec<String>>> {
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

/// Default page size of queries.
pub const DEFAULT_LIMIT: usize = 100;

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
        Some(s) => SortKey::parse_list(s).map_err(query_error)?,
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

/// How the caller reads the data, reported with every result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccessSummary {
    /// `owner`, `open`, `grant`.
    #[schema(value_type = String, pattern = "^(owner|open|grant|none)$")]
    pub basis: &'static str,
    /// Grant used.
    pub grant_id: Option<String>,
    /// Rows left today under the grant, after this request.
    pub quota_remaining: Option<i64>,
    /// How many of the dataset's columns are hidden from the caller.
    pub hidden_columns: usize,
    /// Columns shown masked.
    pub masked_columns: Vec<String>,
}

/// Summarises an access after `rows` were charged.
pub fn access_summary(access: &Access, rows: u64) -> AccessSummary {
    let d = &access.decision;
    AccessSummary {
        basis: match d.basis {
            Basis::Owner => "owner",
            Basis::Open => "open",
            Basis::Grant(_) => "grant",
            Basis::None => "none",
        },
        grant_id: access.grant_id().map(str::to_string),
        quota_remaining: d.quota_remaining.map(|q| (q - rows as i64).max(0)),
        hidden_columns: d.columns.iter().filter(|(_, v)| !v.is_visible()).count(),
        masked_columns: d
            .visible()
            .filter(|(_, v)| matches!(v, model::access::Verdict::Masked { .. }))
            .map(|(n, _)| n.to_string())
            .collect(),
    }
}

/// The JSON body of a result.
pub fn rows_json(rows: &Rows, extra: Value) -> Value {
    let mut body = json!({
        "fields": rows.columns.iter().map(|c| json!({"id": c.name, "type": c.data_type, "masked": c.masked})).collect::<Vec<_>>(),
        "records": rows.records(),
        "row_count": rows.row_count,
        "truncated": rows.truncated,
    });
    if let Some(total) = rows.total {
        body["total"] = json!(total);
    }
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    body
}

/// Runs a REST query for `asker`, charges and logs the rows: shared by the API, the portal
/// preview and the CKAN DataStore façade.
pub async fn run_query(
    state: &SharedState,
    asker: Asker<'_>,
    name: &str,
    resource: Option<&str>,
    mut q: RestQuery,
    delivery: &Delivery,
) -> ApiResult<(Access, Rows, Receipt)> {
    let dataset = super::load_dataset(state, name).await?;
    let access = dataservice::open(
        state,
        asker.user,
        dataset,
        resource,
        Mode::Api,
        q.fields.as_deref(),
    )
    .await?;
    let budget = access.row_budget(state.engine.limits().max_rows);
    q.limit = Some(q.limit.unwrap_or(DEFAULT_LIMIT).min(budget));
    let rows = state
        .engine
        .query(&access.table, &q)
        .await
        .map_err(query_error)?;
    let receipt =
        dataservice::deliver(state, asker, &[&access], rows.row_count as u64, delivery).await?;
    Ok((access, rows, receipt))
}

async fn respond_query(
    state: SharedState,
    caller: Caller,
    name: String,
    p: QueryParams,
) -> ApiResult<Response> {
    if p.format.is_some() {
        return Err(ApiError::new(
            Code::BadRequest,
            "`format` applies to downloads only.",
        ));
    }
    let q = rest_query(&p, state.engine.limits().max_rows)?;
    let delivery = Delivery {
        kind: EventKind::Query,
        request: json!(p),
    };
    answer(&state, caller, &name, p.resource.as_deref(), q, &delivery).await
}

/// Runs a query and answers with its rows, the paging and the access summary.
async fn answer(
    state: &SharedState,
    caller: Caller,
    name: &str,
    resource: Option<&str>,
    q: RestQuery,
    delivery: &Delivery,
) -> ApiResult<Response> {
    let (limit, offset) = (q.limit, q.offset);
    let (access, rows, receipt) =
        run_query(state, caller.asker(), name, resource, q, delivery).await?;
    let summary = access_summary(&access, rows.row_count as u64);
    Ok(logged(
        receipt,
        rows_json(
            &rows,
            json!({"dataset": access.dataset.name, "resource": access.resource.name, "version": access.version.number, "limit": limit, "offset": offset, "access": summary}),
        ),
    ))
}

/// A JSON answer that carries its log receipt, in the header and in the body.
fn logged(receipt: Receipt, mut body: Value) -> Response {
    if let Value::Object(b) = &mut body {
        b.insert("log_index".into(), json!(receipt.0));
    }
    let mut response = ApiJson(body).into_response();
    receipt.attach(&mut response);
    response
}

/// Queries a dataset with filters, search, columns, sort and paging.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/query",
    tag = "data",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops"), QueryParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The rows the caller may see.", body = doc::QueryResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."))),
        (status = 400, description = "`bad_request`, `bad_filter`, `bad_sort`, `column_not_found`, `type_mismatch` or `query_failed`.", body = doc::ErrorBody),
        (status = 401, description = "`invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`no_access`: the caller may not read these rows.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`, `resource_not_found` or `no_data`.", body = doc::ErrorBody),
        (status = 422, description = "`query_timeout`, `query_memory` or `too_many_rows`.", body = doc::ErrorBody),
        (status = 429, description = "`quota_exhausted`: today's row quota of the grant is used up.", body = doc::ErrorBody),
    ),
)]
async fn query_get(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Result<Query<QueryParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = params.map_err(bad_params)?;
    respond_query(state, caller, name, p).await
}

/// Queries a dataset, with the parameters in a JSON body.
#[utoipa::path(
    post,
    path = "/api/v1/datasets/{name}/query",
    tag = "data",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops")),
    request_body = QueryParams,
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The rows the caller may see.", body = doc::QueryResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."))),
        (status = 400, description = "`bad_request`, `bad_filter`, `bad_sort`, `column_not_found`, `type_mismatch` or `query_failed`, or `invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`no_access`: the caller may not read these rows.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`, `resource_not_found` or `no_data`.", body = doc::ErrorBody),
        (status = 422, description = "`query_timeout`, `query_memory`, `too_many_rows`, or `invalid_field` (the body has the wrong shape).", body = doc::ErrorBody),
        (status = 429, description = "`quota_exhausted`: today's row quota of the grant is used up.", body = doc::ErrorBody),
    ),
)]
async fn query_post(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(p): ApiJson<QueryParams>,
) -> ApiResult<Response> {
    respond_query(state, caller, name, p).await
}

fn bad_params(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::new(
        Code::BadRequest,
        format!("Invalid query parameters: {}.", e.body_text()),
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PreviewParams {
    /// The resource (by name); the dataset's first resource by default.
    #[serde(default)]
    resource: Option<String>,
}

/// Rows of a preview.
pub const PREVIEW_ROWS: usize = 20;

/// The first 20 rows, as the caller may see them.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/preview",
    tag = "data",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops"), PreviewParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The rows the caller may see.", body = doc::QueryResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."))),
        (status = 400, description = "`bad_request` or `query_failed`.", body = doc::ErrorBody),
        (status = 401, description = "`invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`no_access`: the caller may not read these rows.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`, `resource_not_found` or `no_data`.", body = doc::ErrorBody),
        (status = 422, description = "`query_timeout`, `query_memory` or `too_many_rows`.", body = doc::ErrorBody),
        (status = 429, description = "`quota_exhausted`: today's row quota of the grant is used up.", body = doc::ErrorBody),
    ),
)]
async fn preview(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Result<Query<PreviewParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = params.map_err(bad_params)?;
    let q = RestQuery {
        limit: Some(PREVIEW_ROWS),
        ..RestQuery::default()
    };
    let delivery = Delivery {
        kind: EventKind::Preview,
        request: json!({"resource": p.resource}),
    };
    answer(&state, caller, &name, p.resource.as_deref(), q, &delivery).await
}

#[derive(Debug, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AggregateParams {
    /// Columns to group by, comma-separated.
    #[serde(default)]
    #[param(example = "所在区")]
    group_by: Option<String>,
    /// `count`, `count:col`, `count_distinct:col`, `sum:col`, `avg:col`, `min:col`, `max:col`,
    /// comma-separated, 1 to 20 (default `count`).
    #[param(example = "count,sum:途经线路数")]
    metrics: Option<String>,
    /// Filters, as JSON text (see the query endpoint).
    #[serde(default)]
    filters: Option<String>,
    /// Sort by output columns: `a, b desc` or `-b`.
    #[serde(default)]
    sort: Option<String>,
    /// Groups to return, at most the server's row cap.
    #[serde(default)]
    #[param(value_type = Option<i64>, minimum = 0)]
    limit: Option<String>,
    /// The resource (by name); the dataset's first resource by default.
    #[serde(default)]
    resource: Option<String>,
}

fn parse_metrics(s: &str) -> ApiResult<Vec<Metric>> {
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

/// Aggregates: metrics over groups.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/aggregate",
    tag = "data",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops"), AggregateParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "One row per group.", body = doc::AggregateResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."))),
        (status = 400, description = "`bad_request`, `bad_aggregate`, `bad_filter`, `bad_sort`, `column_not_found`, `type_mismatch` or `query_failed`.", body = doc::ErrorBody),
        (status = 401, description = "`invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`no_access`: the caller may not read these rows.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`, `resource_not_found` or `no_data`.", body = doc::ErrorBody),
        (status = 422, description = "`query_timeout`, `query_memory` or `too_many_rows`.", body = doc::ErrorBody),
        (status = 429, description = "`quota_exhausted`: today's row quota of the grant is used up.", body = doc::ErrorBody),
    ),
)]
async fn aggregate(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Result<Query<AggregateParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = params.map_err(bad_params)?;
    let delivery = Delivery {
        kind: EventKind::Aggregate,
        request: json!(p),
    };
    let metrics = parse_metrics(p.metrics.as_deref().unwrap_or("count"))?;
    if metrics.is_empty() || metrics.len() > 20 {
        return Err(ApiError::new(
            Code::BadAggregate,
            "Ask for 1 to 20 metrics.",
        ));
    }
    let cap = state.engine.limits().max_rows;
    let limit = param_int("limit", p.limit.clone().map(Value::String).as_ref())?;
    if limit.is_some_and(|l| l as u64 > cap as u64) {
        return Err(ApiError::new(
            Code::BadRequest,
            format!("`limit` may be at most {cap}."),
        ));
    }
    let a = AggregateQuery {
        group_by: param_list("group_by", p.group_by.clone().map(Value::String).as_ref())?
            .unwrap_or_default(),
        metrics,
        filters: parse_filters(p.filters.clone().map(Value::String).as_ref())?,
        sort: match p.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => SortKey::parse_list(s).map_err(query_error)?,
            None => Vec::new(),
        },
        limit: None,
    };
    let dataset = super::load_dataset(&state, &name).await?;
    let access = dataservice::open(
        &state,
        caller.user.as_ref(),
        dataset,
        p.resource.as_deref(),
        Mode::Api,
        None,
    )
    .await?;
    let budget = access.row_budget(cap);
    let a = AggregateQuery {
        limit: Some(limit.map(|l| l as usize).unwrap_or(cap).min(budget)),
        ..a
    };
    let rows = state
        .engine
        .aggregate(&access.table, &a)
        .await
        .map_err(query_error)?;
    let receipt = dataservice::deliver(
        &state,
        caller.asker(),
        &[&access],
        rows.row_count as u64,
        &delivery,
    )
    .await?;
    let summary = access_summary(&access, rows.row_count as u64);
    Ok(logged(
        receipt,
        rows_json(
            &rows,
            json!({"dataset": access.dataset.name, "access": summary}),
        ),
    ))
}

/// One read-only `SELECT`.
#[derive(Debug, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SqlBody {
    /// One `SELECT` over the datasets the caller may read: a table is a dataset's name (its
    /// first resource), `dataset/resource`, or a resource's id. At most 100,000 bytes.
    #[schema(example = "SELECT \"所在区\", count(*) AS n FROM \"bus-stops\" GROUP BY \"所在区\"")]
    #[param(example = "SELECT \"所在区\", count(*) AS n FROM \"bus-stops\" GROUP BY \"所在区\"")]
    sql: String,
}

/// Runs read-only SQL for `asker` over the datasets it names, charging every grant used and
/// logging each dataset read as an event of `kind`.
pub async fn run_sql(
    state: &SharedState,
    asker: Asker<'_>,
    sql: &str,
    kind: EventKind,
) -> ApiResult<(Vec<Access>, Rows, Receipt)> {
    if sql.len() > 100_000 {
        return Err(ApiError::new(
            Code::SqlSyntax,
            "The SQL text is longer than 100,000 bytes.",
        ));
    }
    let accesses = dataservice::open_sql(state, asker.user, sql).await?;
    let tables: Vec<_> = accesses.iter().map(|a| a.table.clone()).collect();
    let rows = state.engine.sql(&tables, sql).await.map_err(query_error)?;
    let refs: Vec<&Access> = accesses.iter().collect();
    // The rows of a query over several tables cannot be told apart, so each grant involved is
    // charged the whole result; a quota smaller than the result refuses it.
    let delivery = Delivery {
        kind,
        request: json!({"sql": sql}),
    };
    let receipt =
        dataservice::deliver(state, asker, &refs, rows.row_count as u64, &delivery).await?;
    Ok((accesses, rows, receipt))
}

async fn respond_sql(state: SharedState, caller: Caller, sql: String) -> ApiResult<Response> {
    let (accesses, rows, receipt) = run_sql(&state, caller.asker(), &sql, EventKind::Sql).await?;
    let tables: Vec<_> = accesses
        .iter()
        .map(|a| json!({"table": a.table.name, "dataset": a.dataset.name, "version": a.version.number, "access": access_summary(a, rows.row_count as u64)}))
        .collect();
    Ok(logged(receipt, rows_json(&rows, json!({"tables": tables}))))
}

/// Runs one read-only SQL `SELECT` over the datasets the caller may read.
#[utoipa::path(
    get,
    path = "/api/v1/sql",
    tag = "data",
    params(SqlBody),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The rows.", body = doc::SqlResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."))),
        (status = 400, description = "`bad_request`, `sql_syntax`, `sql_not_select`, `sql_multiple_statements`, `column_not_found`, `type_mismatch` or `query_failed`.", body = doc::ErrorBody),
        (status = 401, description = "`invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`table_not_found`: no such table, or one the caller may not read.", body = doc::ErrorBody),
        (status = 422, description = "`query_timeout`, `query_memory` or `too_many_rows`.", body = doc::ErrorBody),
        (status = 429, description = "`quota_exhausted`: today's row quota of the grant is used up.", body = doc::ErrorBody),
    ),
)]
async fn sql_get(
    State(state): State<SharedState>,
    caller: Caller,
    params: Result<Query<SqlBody>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = params.map_err(bad_params)?;
    respond_sql(state, caller, p.sql).await
}

/// Runs one read-only SQL `SELECT`, given in a JSON body.
#[utoipa::path(
    post,
    path = "/api/v1/sql",
    tag = "data",
    request_body = SqlBody,
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The rows.", body = doc::SqlResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."))),
        (status = 400, description = "`sql_syntax`, `sql_not_select`, `sql_multiple_statements`, `column_not_found`, `type_mismatch`, `query_failed`, or `invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`table_not_found`: no such table, or one the caller may not read.", body = doc::ErrorBody),
        (status = 422, description = "`query_timeout`, `query_memory`, `too_many_rows`, or `invalid_field` (the body has the wrong shape).", body = doc::ErrorBody),
        (status = 429, description = "`quota_exhausted`: today's row quota of the grant is used up.", body = doc::ErrorBody),
    ),
)]
async fn sql_post(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(p): ApiJson<SqlBody>,
) -> ApiResult<Response> {
    respond_sql(state, caller, p.sql).await
}

/// Streams a download for `user`: counts first (so the quota and the download cap are checked
/// before the first byte), charges, then streams. An error after the first byte aborts the
/// body, so a client never mistakes a partial file for a complete one.
pub async fn download_response(
    state: &SharedState,
    asker: Asker<'_>,
    name: &str,
    p: &QueryParams,
    format: Format,
) -> ApiResult<Response> {
    let cap = state.engine.limits().max_download_rows;
    let mut q = rest_query(
        &QueryParams {
            limit: None,
            include_total: None,
            format: None,
            ..p.clone()
        },
        usize::MAX,
    )?;
    q.limit = param_int("limit", p.limit.as_ref())?.map(|l| l as usize);
    let dataset = super::load_dataset(state, name).await?;
    let access = dataservice::open(
        state,
        asker.user,
        dataset,
        p.resource.as_deref(),
        Mode::Download,
        q.fields.as_deref(),
    )
    .await?;
    let delivery = Delivery {
        kind: EventKind::Download,
        request: json!({"params": p, "format": format.ext()}),
    };
    let mut rows = state
        .engine
        .count(&access.table, &q)
        .await
        .map_err(query_error)?;
    if let Some(l) = q.limit {
        rows = rows.min(l as u64);
    }
    if rows > cap {
        return Err(ApiError::new(
            Code::TooManyRows,
            format!("The download would have {rows} rows; the limit is {cap}. Add filters or use `limit`."),
        ));
    }
    if format == Format::Xlsx && rows > 1_048_575 {
        return Err(ApiError::new(
            Code::TooManyRows,
            format!("A spreadsheet holds at most 1,048,575 rows and this download has {rows}; choose CSV or Parquet."),
        ));
    }
    if let Some(left) = access.decision.quota_remaining {
        if rows as i64 > left {
            return Err(ApiError::new(
                Code::QuotaExhausted,
                format!("The download has {rows} rows but only {left} remain in today's quota of your grant. Add filters or wait until tomorrow."),
            ));
        }
    }
    q.limit = Some(rows as usize);
    let receipt = dataservice::deliver(state, asker, &[&access], rows, &delivery).await?;
    let stream = state
        .engine
        .stream(&access.table, &q)
        .await
        .map_err(query_error)?;
    let body = Body::from_stream(query::export::encode(format, stream));
    let file_name = format!(
        "{}-v{}.{}",
        access.dataset.name,
        access.version.number,
        format.ext()
    );
    let mut response = (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (
                header::HeaderName::from_static("gongshu-row-count"),
                rows.to_string(),
            ),
        ],
        body,
    )
        .into_response();
    receipt.attach(&mut response);
    Ok(response)
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

/// Streams the rows the caller may download, as CSV, JSON, NDJSON, Parquet or XLSX; the rows
/// are counted and charged before the first byte.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/download",
    tag = "data",
    params(
        ("name" = String, Path, description = "The dataset's slug.", example = "bus-stops"),
        QueryParams,
        ("format" = Option<String>, Query, description = "`csv` (default), `json`, `ndjson`, `parquet` or `xlsx`.", pattern = "^(csv|json|ndjson|parquet|xlsx)$"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The file, as an attachment; `Gongshu-Row-Count` says how many rows it has.",
            content(
                (String = "text/csv; charset=utf-8"),
                (Vec<Object> = "application/json"),
                (String = "application/x-ndjson"),
                (doc::Binary = "application/vnd.apache.parquet"),
                (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            headers(
                ("Gongshu-Log-Index" = String, description = "The access-log entry of this download."),
                ("Gongshu-Row-Count" = String, description = "Rows in the file."),
            ),
        ),
        (status = 400, description = "`bad_request`, `bad_filter`, `bad_sort`, `column_not_found`, `type_mismatch` or `query_failed`.", body = doc::ErrorBody),
        (status = 401, description = "`invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`no_access`: the caller may not read these rows.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`, `resource_not_found` or `no_data`.", body = doc::ErrorBody),
        (status = 422, description = "`query_timeout`, `query_memory` or `too_many_rows`.", body = doc::ErrorBody),
        (status = 429, description = "`quota_exhausted`: today's row quota of the grant is used up.", body = doc::ErrorBody),
    ),
)]
async fn download(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    params: Result<Query<QueryParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = params.map_err(bad_params)?;
    let format = parse_format(p.format.as_deref())?;
    download_response(&state, caller.asker(), &name, &p, format).await
}
