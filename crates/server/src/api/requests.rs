//! Requests to lower a grade or opening type, decided by the authority.

use super::ApiJson;
use crate::auth::{now_ms, Caller};
use crate::catalog;
use crate::error::{ApiError, ApiResult, Code};
use crate::state::SharedState;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(RequestStatus::from_code(s).ok_or_else(|| {
            ApiError::new(
                Code::BadRequest,
                "`status` must be pending, approved or rejected.",
            )
        })?),
    };
    let all = state.store.list_change_requests(status, None).await?;
    // The authority sees every request; publishers see those about their organization's datasets.
    let mut visible = Vec::new();
    for r in all {
        let ok = user.role == model::Role::Authority || {
            let d = state.store.get_dataset(&r.dataset_id).await?;
            catalog::can_edit(user, &d)
        };
        if ok {
            visible.push(r);
        }
    }
    Ok(ApiJson(json!({ "requests": visible })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    approve: bool,
    #[serde(default)]
    note: String,
}

async fn decide(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<ApiJson<store::ChangeRequest>> {
    let user = caller.require()?;
    Ok(ApiJson(
        catalog::decide_request(state.books(), user, &id, d.approve, &d.note, now_ms()).await?,
    ))
}
