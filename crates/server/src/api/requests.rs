//! Requests to lower a grade or opening type, decided by the authority.

use super::json::ApiJson;
use super::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::SharedState;
use app::catalog;
use app::clock::now_ms;
use app::Code;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use store::RequestStatus;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/change-requests", get(list))
        .route("/api/v1/change-requests/{id}/decision", post(decide))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only requests in this state.
    #[param(value_type = Option<doc::RequestStatus>)]
    status: Option<String>,
}

/// Change requests: all of them for the authority, those about their organization's datasets
/// for publishers.
#[utoipa::path(
    get,
    path = "/api/v1/change-requests",
    tag = "change-requests",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The requests the caller may see.", body = doc::ChangeRequestList),
        (status = 400, description = "`bad_request`: an unknown parameter or `status`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
    ),
)]
async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            Code::BadRequest,
            format!("Invalid query parameters: {}.", e.body_text()),
        )
    })?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(RequestStatus::from_code(s).ok_or_else(|| {
            ApiError::new(
                Code::BadRequest,
                "`status` must be pending, approved or rejected.",
            )
        })?),
    };
    // The authority sees every request; publishers see those about their organization's datasets.
    let visible: Vec<_> = catalog::change_requests(&state, user, status)
        .await?
        .into_iter()
        .map(|item| item.request)
        .collect();
    Ok(ApiJson(json!({ "requests": visible })))
}

/// The authority's decision on a change request.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Decision {
    /// Approve (and apply the change) or reject.
    approve: bool,
    /// A note for the requester.
    #[serde(default)]
    note: String,
}

/// Approves or rejects a pending change request (the data authority only).
#[utoipa::path(
    post,
    path = "/api/v1/change-requests/{id}/decision",
    tag = "change-requests",
    params(("id" = String, Path, description = "The request's id.")),
    request_body = Decision,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The decided request.", body = doc::ChangeRequest),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: only the data authority decides.", body = doc::ErrorBody),
        (status = 404, description = "`request_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided` or `stale_request`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` or `opening_type_not_allowed`: the change no longer fits the rules.", body = doc::ErrorBody),
    ),
)]
async fn decide(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<ApiJson<store::ChangeRequest>> {
    let user = caller.require()?;
    Ok(ApiJson(
        catalog::decide_request(&state, user, &id, d.approve, &d.note, now_ms()).await?,
    ))
}
