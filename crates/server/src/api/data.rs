//! Reading data: preview, REST query, aggregates, read-only SQL and downloads. Each handler parses
//! its parameters ([`super::params`]), calls one function of [`app::dataservice`], the one
//! enforcement point, and renders the rows with the access summary and the log receipt.

use super::json::ApiJson;
use super::params::{
    bad_params, param_int, param_list, parse_filters, parse_format, parse_metrics, parse_run_on,
    rest_query, QueryParams,
};
use super::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::SharedState;
use app::dataservice::{self, access_summary, Delivery, Receipt, PREVIEW_ROWS};
use app::{AppError, Code};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use model::log::EventKind;
use query::{AggregateQuery, RestQuery, Rows, SortKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Name of the response header that carries the log indexes of a data response.
pub const LOG_INDEX_HEADER: &str = "gongshu-log-index";

/// Name of the response header that says where a query ran: `local` or `cluster`.
pub const RAN_ON_HEADER: &str = "gongshu-ran-on";

/// The header of a response naming where its query ran.
pub fn attach_placement(placement: query::Placement, response: &mut Response) {
    response.headers_mut().insert(
        HeaderName::from_static(RAN_ON_HEADER),
        HeaderValue::from_static(placement.code()),
    );
}

/// Adds a receipt's log indexes to a response: separated by commas, none when logging is
/// switched off.
pub fn attach_receipt(receipt: &Receipt, response: &mut Response) {
    if receipt.0.is_empty() {
        return;
    }
    let text: Vec<String> = receipt.0.iter().map(u64::to_string).collect();
    if let Ok(v) = HeaderValue::from_str(&text.join(", ")) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(LOG_INDEX_HEADER), v);
    }
}

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
    let q = rest_query(&p, state.query_limits().max_rows)?;
    let run_on = parse_run_on(p.run_on.as_deref())?;
    let delivery = Delivery {
        kind: EventKind::Query,
        request: json!(p),
    };
    answer(
        &state,
        caller,
        &name,
        p.resource.as_deref(),
        q,
        run_on,
        &delivery,
    )
    .await
}

/// Runs a query and answers with its rows, the paging and the access summary.
async fn answer(
    state: &SharedState,
    caller: Caller,
    name: &str,
    resource: Option<&str>,
    q: RestQuery,
    run_on: query::Preference,
    delivery: &Delivery,
) -> ApiResult<Response> {
    let (limit, offset) = (q.limit, q.offset);
    let asker = dataservice::Asker {
        run_on,
        ..caller.asker()
    };
    let (access, rows, receipt) =
        dataservice::run_query(state, asker, name, resource, q, delivery).await?;
    let summary = access_summary(&access, rows.row_count as u64);
    let mut response = logged(
        receipt,
        rows_json(
            &rows,
            json!({"dataset": access.dataset.name, "resource": access.resource.name, "version": access.version.number, "limit": limit, "offset": offset, "access": summary}),
        ),
    );
    attach_placement(rows.placement, &mut response);
    Ok(response)
}

/// A JSON answer that carries its log receipt, in the header and in the body.
pub fn logged(receipt: Receipt, mut body: Value) -> Response {
    if let Value::Object(b) = &mut body {
        b.insert("log_index".into(), json!(receipt.0));
    }
    let mut response = ApiJson(body).into_response();
    attach_receipt(&receipt, &mut response);
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
        (status = 200, description = "The rows the caller may see.", body = doc::QueryResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."), ("Gongshu-Ran-On" = String, description = "Where the query ran: `local` or `cluster`."))),
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
        (status = 200, description = "The rows the caller may see.", body = doc::QueryResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."), ("Gongshu-Ran-On" = String, description = "Where the query ran: `local` or `cluster`."))),
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PreviewParams {
    /// The resource (by name); the dataset's first resource by default.
    #[serde(default)]
    resource: Option<String>,
}

/// The first 20 rows, as the caller may see them.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/preview",
    tag = "data",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops"), PreviewParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The rows the caller may see.", body = doc::QueryResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."), ("Gongshu-Ran-On" = String, description = "Where the query ran: `local` or `cluster`."))),
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
    answer(
        &state,
        caller,
        &name,
        p.resource.as_deref(),
        q,
        query::Preference::Auto,
        &delivery,
    )
    .await
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
    /// Where the query runs: `auto` (default), `cluster` or `local` (see the query endpoint).
    #[serde(default)]
    #[param(pattern = "^(auto|cluster|local)$")]
    run_on: Option<String>,
}

/// Aggregates: metrics over groups.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/aggregate",
    tag = "data",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops"), AggregateParams),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "One row per group.", body = doc::AggregateResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."), ("Gongshu-Ran-On" = String, description = "Where the query ran: `local` or `cluster`."))),
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
    let cap = state.query_limits().max_rows;
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
            Some(s) => SortKey::parse_list(s).map_err(AppError::from)?,
            None => Vec::new(),
        },
        limit: limit.map(|l| l as usize),
    };
    let asker = dataservice::Asker {
        run_on: parse_run_on(p.run_on.as_deref())?,
        ..caller.asker()
    };
    let (access, rows, receipt) =
        dataservice::run_aggregate(&state, asker, &name, p.resource.as_deref(), a, &delivery)
            .await?;
    let summary = access_summary(&access, rows.row_count as u64);
    let mut response = logged(
        receipt,
        rows_json(
            &rows,
            json!({"dataset": access.dataset.name, "access": summary}),
        ),
    );
    attach_placement(rows.placement, &mut response);
    Ok(response)
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
    /// Where the query runs: `auto` (default), `cluster` or `local` (see the query endpoint).
    #[serde(default)]
    #[schema(nullable = false, pattern = "^(auto|cluster|local)$")]
    #[param(pattern = "^(auto|cluster|local)$")]
    run_on: Option<String>,
}

async fn respond_sql(state: SharedState, caller: Caller, p: SqlBody) -> ApiResult<Response> {
    let asker = dataservice::Asker {
        run_on: parse_run_on(p.run_on.as_deref())?,
        ..caller.asker()
    };
    let (accesses, rows, receipt) =
        dataservice::run_sql(&state, asker, &p.sql, EventKind::Sql).await?;
    let tables: Vec<_> = accesses
        .iter()
        .map(|a| json!({"table": a.table.name, "dataset": a.dataset.name, "version": a.version.number, "access": access_summary(a, rows.row_count as u64)}))
        .collect();
    let mut response = logged(receipt, rows_json(&rows, json!({"tables": tables})));
    attach_placement(rows.placement, &mut response);
    Ok(response)
}

/// Runs one read-only SQL `SELECT` over the datasets the caller may read.
#[utoipa::path(
    get,
    path = "/api/v1/sql",
    tag = "data",
    params(SqlBody),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The rows.", body = doc::SqlResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."), ("Gongshu-Ran-On" = String, description = "Where the query ran: `local` or `cluster`."))),
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
    respond_sql(state, caller, p).await
}

/// Runs one read-only SQL `SELECT`, given in a JSON body.
#[utoipa::path(
    post,
    path = "/api/v1/sql",
    tag = "data",
    request_body = SqlBody,
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The rows.", body = doc::SqlResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."), ("Gongshu-Ran-On" = String, description = "Where the query ran: `local` or `cluster`."))),
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
    respond_sql(state, caller, p).await
}

/// Streams a download for `asker`: the application layer counts first (so the quota and the
/// download cap are checked before the first byte), charges and logs, then streams. An error
/// after the first byte aborts the body, so a client never mistakes a partial file for a
/// complete one.
pub async fn download_response(
    state: &SharedState,
    asker: dataservice::Asker<'_>,
    name: &str,
    p: &QueryParams,
    format: query::export::Format,
) -> ApiResult<Response> {
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
    let request = json!({"params": p, "format": format.ext()});
    let asker = dataservice::Asker {
        run_on: parse_run_on(p.run_on.as_deref())?,
        ..asker
    };
    let download = dataservice::download(
        state,
        asker,
        name,
        p.resource.as_deref(),
        q,
        format,
        request,
    )
    .await?;
    let mut response = (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", download.file_name),
            ),
            (
                header::HeaderName::from_static("gongshu-row-count"),
                download.rows.to_string(),
            ),
        ],
        Body::from_stream(download.body),
    )
        .into_response();
    attach_receipt(&download.receipt, &mut response);
    attach_placement(download.ran_on, &mut response);
    Ok(response)
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
                ("Gongshu-Ran-On" = String, description = "Where the query runs: `local` or `cluster`."),
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
