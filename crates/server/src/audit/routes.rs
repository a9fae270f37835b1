//! The log's HTTP surface. Public: `/log/checkpoint` (the signed note), `/log/vkey`,
//! `/log/entries`, `/log/proof/inclusion`, `/log/proof/consistency` and `/log/receipt/{index}`.
//! Auditors only: `/api/v1/log/entries/{index}/detail`, which returns the private detail record
//! and checks it against the leaf's commitment (and is itself logged).

use super::{commitment, Event};
use crate::api::ApiJson;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::state::SharedState;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use model::log::{EventKind, Leaf};
use model::Role;
use serde::Deserialize;
use serde_json::{json, Value};

/// Most entries one `/log/entries` call returns.
pub const MAX_ENTRIES: u64 = 1000;

/// The log's routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/vkey", get(vkey))
        .route("/log/entries", get(entries))
        .route("/log/proof/inclusion", get(inclusion))
        .route("/log/proof/consistency", get(consistency))
        .route("/log/receipt/{index}", get(receipt))
        .route("/api/v1/log/entries/{index}/detail", get(detail))
}

fn text(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn checkpoint(State(state): State<SharedState>) -> ApiResult<Response> {
    Ok(text(state.log.checkpoint().await?.note))
}

async fn vkey(State(state): State<SharedState>) -> Response {
    text(format!("{}\n", state.log.vkey()))
}

fn bad_params(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::new(
        Code::LogRange,
        format!(
            "Invalid parameters: {}. Give non-negative whole numbers.",
            e.body_text()
        ),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeParams {
    #[serde(default)]
    start: u64,
    end: Option<u64>,
}

async fn entries(
    State(state): State<SharedState>,
    params: Result<Query<RangeParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<Value>> {
    let Query(p) = params.map_err(bad_params)?;
    let size = state.log.size().await?;
    let asked = p.end.unwrap_or(p.start.saturating_add(100));
    if p.start > size || asked < p.start {
        return Err(ApiError::new(
            Code::LogRange,
            format!(
                "Ask for 0 ≤ start ≤ end; the log has {size} entries (end is exclusive and is cut to the size)."
            ),
        ));
    }
    if asked - p.start > MAX_ENTRIES {
        return Err(ApiError::new(
            Code::LogRange,
            format!("Ask for at most {MAX_ENTRIES} entries at a time."),
        ));
    }
    let end = asked.min(size);
    let rows = state.store.log_entries(p.start as i64, end as i64).await?;
    let entries: Vec<Value> = rows
        .iter()
        .map(|e| json!({"index": e.index, "data": e.data}))
        .collect();
    Ok(ApiJson(json!({"tree_size": size, "entries": entries})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionParams {
    index: u64,
    tree_size: Option<u64>,
}

async fn inclusion(
    State(state): State<SharedState>,
    params: Result<Query<InclusionParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<Value>> {
    let Query(p) = params.map_err(bad_params)?;
    let size = match p.tree_size {
        Some(s) => s,
        None => state.log.size().await?,
    };
    let proof = state.log.inclusion_proof(p.index, size).await?;
    Ok(ApiJson(json!({
        "index": p.index,
        "tree_size": size,
        "proof": proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyParams {
    first: u64,
    second: Option<u64>,
}

async fn consistency(
    State(state): State<SharedState>,
    params: Result<Query<ConsistencyParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<Value>> {
    let Query(p) = params.map_err(bad_params)?;
    let second = match p.second {
        Some(s) => s,
        None => state.log.size().await?,
    };
    let proof = state.log.consistency_proof(p.first, second).await?;
    Ok(ApiJson(json!({
        "first": p.first,
        "second": second,
        "proof": proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
    })))
}

async fn receipt(
    State(state): State<SharedState>,
    Path(index): Path<String>,
) -> ApiResult<Response> {
    let index = parse_index(&index)?;
    let receipt = state.log.receipt(index).await?;
    let body = serde_json::to_string_pretty(&receipt).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"gongshu-receipt-{index}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

fn parse_index(s: &str) -> ApiResult<u64> {
    s.parse().map_err(|_| {
        ApiError::new(
            Code::LogRange,
            format!("`{s}` is not an entry index; give a whole number from 0."),
        )
    })
}

/// The private detail of a log entry (auditors only), checked against the leaf's commitment;
/// the read is itself logged.
#[utoipa::path(
    get,
    path = "/api/v1/log/entries/{index}/detail",
    tag = "log",
    params(("index" = u64, Path, description = "The entry's index, from 0.", example = 0)),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The leaf, the detail record and whether they match.", body = crate::api::openapi::LogDetail),
        (status = 400, description = "`log_range`: not a whole number.", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = crate::api::openapi::ErrorBody),
        (status = 403, description = "`forbidden`: auditors only.", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "`log_entry_not_found`.", body = crate::api::openapi::ErrorBody),
    ),
)]
async fn detail(
    State(state): State<SharedState>,
    caller: Caller,
    Path(index): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    if user.role != Role::Auditor {
        return Err(ApiError::new(
            Code::Forbidden,
            "Only auditors may read the private detail of log entries.",
        ));
    }
    let index = parse_index(&index)?;
    let leaf_row = state.log.entry(index).await?;
    let stored = state.store.log_detail(index as i64).await?;
    let leaf = Leaf::parse(&leaf_row.data);
    let salt = hex::decode(&stored.salt).unwrap_or_default();
    let matches = leaf
        .as_ref()
        .is_some_and(|l| l.commitment == commitment(&salt, &stored.detail));
    let detail: Value = serde_json::from_str(&stored.detail).unwrap_or(Value::Null);
    let mut event = Event::new(EventKind::DetailRead, Some(user));
    event.client = caller.client;
    event.dataset = leaf.as_ref().and_then(|l| l.dataset.as_deref());
    event.detail = json!({"index": index});
    let read_index = state.log.append(event).await?;
    Ok(ApiJson(json!({
        "index": index,
        "leaf": leaf_row.data,
        "detail": detail,
        "detail_text": stored.detail,
        "salt": stored.salt,
        "commitment_matches": matches,
        "logged_as": read_index,
    })))
}
