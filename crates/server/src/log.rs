//! The log's HTTP surface. Public: `/log/checkpoint` (the signed note), `/log/vkey`,
//! `/log/entries`, `/log/proof/inclusion`, `/log/proof/consistency` and `/log/receipt/{index}`.
//! Auditors only: `/api/v1/log/entries/{index}/detail`, which returns the private detail record
//! and checks it against the leaf's commitment (and is itself logged).

use crate::api::json::ApiJson;
use crate::api::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::SharedState;
use app::audit::LogDetail;
use app::Code;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

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
    Ok(text(state.log().checkpoint().await?.note))
}

async fn vkey(State(state): State<SharedState>) -> ApiResult<Response> {
    Ok(text(format!("{}\n", state.log().vkey()?)))
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
    let (size, rows) = state.log().entries(p.start, p.end).await?;
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
        None => state.log().size().await?,
    };
    let proof = state.log().inclusion_proof(p.index, size).await?;
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
        None => state.log().size().await?,
    };
    let proof = state.log().consistency_proof(p.first, second).await?;
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
    let receipt = state.log().receipt(index).await?;
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
        (status = 200, description = "The leaf, the detail record and whether they match.", body = doc::LogDetail),
        (status = 400, description = "`log_range`: not a whole number.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: auditors only.", body = doc::ErrorBody),
        (status = 404, description = "`log_entry_not_found`.", body = doc::ErrorBody),
    ),
)]
pub async fn detail(
    State(state): State<SharedState>,
    caller: Caller,
    Path(index): Path<String>,
) -> ApiResult<ApiJson<LogDetail>> {
    let user = caller.require()?;
    app::audit::require_auditor(user)?;
    let index = parse_index(&index)?;
    Ok(ApiJson(
        state.log().detail(user, caller.client, index).await?,
    ))
}
