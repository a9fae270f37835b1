//! Applications, reviews, grants and results (C4) in the JSON API.

use super::ApiJson;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Code};
use crate::grants::{self, ApplicationInput, ReuseInput, ReviewInput};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use store::{Application, ApplicationFilter, GrantRecord};

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/agreement", get(agreement))
        .route("/api/v1/applications", get(mine).post(create))
        .route("/api/v1/applications/{id}", get(show))
        .route("/api/v1/applications/{id}/submit", post(submit))
        .route("/api/v1/applications/{id}/withdraw", post(withdraw))
        .route("/api/v1/applications/{id}/review", post(review))
        .route("/api/v1/reviews", get(queue))
        .route("/api/v1/grants", get(my_grants))
        .route("/api/v1/grants/{id}", get(show_grant))
        .route("/api/v1/grants/{id}/revoke", post(revoke))
        .route("/api/v1/grants/{id}/results", post(report))
        .route("/api/v1/datasets/{name}/grants", get(dataset_grants))
        .route("/api/v1/datasets/{name}/results", get(dataset_results))
        .route("/api/v1/results", get(all_results))
}

async fn agreement(State(state): State<SharedState>) -> ApiResult<ApiJson<store::Agreement>> {
    Ok(ApiJson(state.store.latest_agreement().await?))
}

/// An application with its dataset's name, for display.
async fn app_json(state: &SharedState, app: Application) -> ApiResult<Value> {
    let dataset = state.store.get_dataset(&app.dataset_id).await?;
    let mut v = serde_json::to_value(&app).map_err(ApiError::internal)?;
    v["dataset"] = json!(dataset.name);
    Ok(v)
}

async fn apps_json(state: &SharedState, apps: Vec<Application>) -> ApiResult<Value> {
    let mut out = Vec::with_capacity(apps.len());
    for a in apps {
        out.push(app_json(state, a).await?);
    }
    Ok(json!({ "applications": out }))
}

async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<ApplicationInput>,
) -> ApiResult<(StatusCode, ApiJson<Value>)> {
    let user = caller.require()?;
    let app = grants::apply(&state, user, input).await?;
    Ok((StatusCode::CREATED, ApiJson(app_json(&state, app).await?)))
}

async fn mine(State(state): State<SharedState>, caller: Caller) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let apps = state
        .store
        .list_applications(&ApplicationFilter {
            applicant_id: Some(user.id.clone()),
            ..Default::default()
        })
        .await?;
    Ok(ApiJson(apps_json(&state, apps).await?))
}

async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let app = grants::load_for(&state, user, &id).await?;
    Ok(ApiJson(app_json(&state, app).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitInput {
    accept_agreement: String,
}

async fn submit(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SubmitInput>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let app = grants::submit(&state, user, &id, &input.accept_agreement).await?;
    Ok(ApiJson(app_json(&state, app).await?))
}

async fn withdraw(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let app = grants::withdraw(&state, user, &id).await?;
    Ok(ApiJson(app_json(&state, app).await?))
}

async fn review(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let app = grants::review(&state, user, &id, input).await?;
    Ok(ApiJson(app_json(&state, app).await?))
}

async fn queue(State(state): State<SharedState>, caller: Caller) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let apps = grants::review_queue(&state, user).await?;
    Ok(ApiJson(apps_json(&state, apps).await?))
}

async fn grant_json(state: &SharedState, g: GrantRecord) -> ApiResult<Value> {
    let dataset = state.store.get_dataset(&g.dataset_id).await?;
    let now = crate::auth::now_ms();
    let state_code = crate::dataservice::policy_grant(state, &g, now).await?;
    let mut v = serde_json::to_value(&g).map_err(ApiError::internal)?;
    v["dataset"] = json!(dataset.name);
    v["state"] = json!(state_code.state(now));
    v["quota_remaining"] = json!(state_code.quota_remaining());
    Ok(v)
}

async fn grants_json(state: &SharedState, grants: Vec<GrantRecord>) -> ApiResult<Value> {
    let mut out = Vec::with_capacity(grants.len());
    for g in grants {
        out.push(grant_json(state, g).await?);
    }
    Ok(json!({ "grants": out }))
}

async fn my_grants(State(state): State<SharedState>, caller: Caller) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let list = state
        .store
        .list_grants_for_holder(Some(&user.id), user.org_id.as_deref())
        .await?;
    Ok(ApiJson(grants_json(&state, list).await?))
}

async fn show_grant(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let grant = grants::load_grant(&state, &id).await?;
    let dataset = state.store.get_dataset(&grant.dataset_id).await?;
    if !grants::holds(user, &grant) && !grants::manages(user, &dataset) {
        return Err(ApiError::new(
            Code::GrantNotFound,
            "There is no such grant.",
        ));
    }
    Ok(ApiJson(grant_json(&state, grant).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeInput {
    reason: String,
}

async fn revoke(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RevokeInput>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let grant = grants::revoke(&state, user, &id, &input.reason).await?;
    Ok(ApiJson(grant_json(&state, grant).await?))
}

async fn report(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReuseInput>,
) -> ApiResult<(StatusCode, ApiJson<store::ReuseReport>)> {
    let user = caller.require()?;
    Ok((
        StatusCode::CREATED,
        ApiJson(grants::report(&state, user, &id, input).await?),
    ))
}

async fn dataset_grants(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let dataset = super::load_dataset(&state, &name).await?;
    if !grants::manages(user, &dataset) {
        return Err(ApiError::new(
            Code::Forbidden,
            "Only the owning organization and the data authority may list a dataset's grants.",
        ));
    }
    let list = state.store.list_grants_for_dataset(&dataset.id).await?;
    Ok(ApiJson(grants_json(&state, list).await?))
}

async fn dataset_results(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let dataset = super::load_dataset(&state, &name).await?;
    let list = state.store.list_reuses(Some(&dataset.id)).await?;
    Ok(ApiJson(json!({ "results": list })))
}

async fn all_results(State(state): State<SharedState>) -> ApiResult<ApiJson<Value>> {
    Ok(ApiJson(
        json!({ "results": state.store.list_reuses(None).await? }),
    ))
}
