//! Applications, reviews, grants and results (C4) in the JSON API.

use super::json::ApiJson;
use super::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::SharedState;
use app::catalog::load_dataset;
use app::grants::{self, ApplicationInput, ReuseInput, ReviewInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use store::{Application, GrantRecord};

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
        .route("/api/v1/results/{id}/accept", post(accept_result))
}

/// The data-use agreement in force, with its SHA-256.
#[utoipa::path(
    get,
    path = "/api/v1/agreement",
    tag = "applications",
    responses(
        (status = 200, description = "The agreement.", body = doc::Agreement),
    ),
)]
async fn agreement(State(state): State<SharedState>) -> ApiResult<ApiJson<store::Agreement>> {
    Ok(ApiJson(grants::agreement(&state).await?))
}

/// An application with its dataset's name, for display.
async fn app_json(state: &SharedState, application: Application) -> ApiResult<Value> {
    let view = grants::application_view(state, application).await?;
    serde_json::to_value(view).map_err(ApiError::internal)
}

async fn apps_json(state: &SharedState, applications: Vec<Application>) -> ApiResult<Value> {
    let views = grants::application_views(state, applications).await?;
    Ok(json!({ "applications": views }))
}

/// Applies for conditional data; with `accept_agreement` the application is submitted at once.
#[utoipa::path(
    post,
    path = "/api/v1/applications",
    tag = "applications",
    request_body = doc::ApplicationInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The application (a draft, or submitted).", body = doc::Application),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`agreement_mismatch`: `accept_agreement` is not the hash of the agreement in force.", body = doc::ErrorBody),
        (status = 422, description = "`not_accepting_applications`, `invalid_terms`, or `invalid_field` (the body has the wrong shape).", body = doc::ErrorBody),
    ),
)]
async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<ApplicationInput>,
) -> ApiResult<(StatusCode, ApiJson<Value>)> {
    let user = caller.require()?;
    let application = grants::apply(&state, user, input).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(app_json(&state, application).await?),
    ))
}

/// The caller's applications.
#[utoipa::path(
    get,
    path = "/api/v1/applications",
    tag = "applications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The applications.", body = doc::ApplicationList),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
    ),
)]
async fn mine(State(state): State<SharedState>, caller: Caller) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let apps = grants::my_applications(&state, user).await?;
    Ok(ApiJson(apps_json(&state, apps).await?))
}

/// One application, for its applicant and its reviewers.
#[utoipa::path(
    get,
    path = "/api/v1/applications/{id}",
    tag = "applications",
    params(("id" = String, Path, description = "The application's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The application.", body = doc::Application),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`application_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let application = grants::load_for(&state, user, &id).await?;
    Ok(ApiJson(app_json(&state, application).await?))
}

/// Acceptance of the agreement.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SubmitInput {
    /// The SHA-256 of the agreement in force (see `GET /api/v1/agreement`).
    accept_agreement: String,
}

/// Submits a draft, accepting the agreement whose hash is given.
#[utoipa::path(
    post,
    path = "/api/v1/applications/{id}/submit",
    tag = "applications",
    params(("id" = String, Path, description = "The application's id.")),
    request_body = SubmitInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The submitted application.", body = doc::Application),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: only the applicant submits.", body = doc::ErrorBody),
        (status = 404, description = "`application_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`agreement_mismatch`, or `already_decided` (no longer a draft).", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: the body has the wrong shape.", body = doc::ErrorBody),
    ),
)]
async fn submit(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SubmitInput>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let application = grants::submit(&state, user, &id, &input.accept_agreement).await?;
    Ok(ApiJson(app_json(&state, application).await?))
}

/// Withdraws a draft or submitted application.
#[utoipa::path(
    post,
    path = "/api/v1/applications/{id}/withdraw",
    tag = "applications",
    params(("id" = String, Path, description = "The application's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The withdrawn application.", body = doc::Application),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: only the applicant withdraws.", body = doc::ErrorBody),
        (status = 404, description = "`application_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`: no longer open.", body = doc::ErrorBody),
    ),
)]
async fn withdraw(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let application = grants::withdraw(&state, user, &id).await?;
    Ok(ApiJson(app_json(&state, application).await?))
}

/// Approves (possibly narrowed) or rejects an application waiting for the caller's review.
#[utoipa::path(
    post,
    path = "/api/v1/applications/{id}/review",
    tag = "applications",
    params(("id" = String, Path, description = "The application's id.")),
    request_body = doc::ReviewInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The application after the decision.", body = doc::Application),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not waiting for the caller's review.", body = doc::ErrorBody),
        (status = 404, description = "`application_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_terms`, `not_accepting_applications`, or `invalid_field` (the body has the wrong shape).", body = doc::ErrorBody),
    ),
)]
async fn review(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let application = grants::review(&state, user, &id, input).await?;
    Ok(ApiJson(app_json(&state, application).await?))
}

/// Applications waiting for the caller's review.
#[utoipa::path(
    get,
    path = "/api/v1/reviews",
    tag = "applications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The applications.", body = doc::ApplicationList),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
    ),
)]
async fn queue(State(state): State<SharedState>, caller: Caller) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let apps = grants::review_queue(&state, user).await?;
    Ok(ApiJson(apps_json(&state, apps).await?))
}

async fn grant_json(state: &SharedState, grant: GrantRecord) -> ApiResult<Value> {
    let view = grants::grant_view(state, grant).await?;
    serde_json::to_value(view).map_err(ApiError::internal)
}

async fn grants_json(state: &SharedState, list: Vec<GrantRecord>) -> ApiResult<Value> {
    let views = grants::grant_views(state, list).await?;
    Ok(json!({ "grants": views }))
}

/// Grants the caller holds, personally or through their organization.
#[utoipa::path(
    get,
    path = "/api/v1/grants",
    tag = "applications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The grants.", body = doc::GrantList),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
    ),
)]
async fn my_grants(State(state): State<SharedState>, caller: Caller) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let list = grants::my_grants(&state, user).await?;
    Ok(ApiJson(grants_json(&state, list).await?))
}

/// One grant, for its holder and those who manage the dataset.
#[utoipa::path(
    get,
    path = "/api/v1/grants/{id}",
    tag = "applications",
    params(("id" = String, Path, description = "The grant's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The grant.", body = doc::Grant),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`grant_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show_grant(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let grant = grants::grant_for(&state, user, &id).await?;
    Ok(ApiJson(grant_json(&state, grant).await?))
}

/// Why a grant is revoked.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RevokeInput {
    /// The reason, 1 to 2,000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    reason: String,
}

/// Revokes a grant with a reason (the owning organization or the authority).
#[utoipa::path(
    post,
    path = "/api/v1/grants/{id}/revoke",
    tag = "applications",
    params(("id" = String, Path, description = "The grant's id.")),
    request_body = RevokeInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The revoked grant.", body = doc::Grant),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: the holder may not revoke.", body = doc::ErrorBody),
        (status = 404, description = "`grant_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`: already revoked.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_terms` (no reason) or `invalid_field` (the body has the wrong shape).", body = doc::ErrorBody),
    ),
)]
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

/// Reports a result (成果) made with a grant's data (its holder only).
#[utoipa::path(
    post,
    path = "/api/v1/grants/{id}/results",
    tag = "applications",
    params(("id" = String, Path, description = "The grant's id.")),
    request_body = doc::ReuseInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The reported result.", body = doc::ReuseReport),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`grant_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_terms` or `invalid_field` (the body has the wrong shape).", body = doc::ErrorBody),
    ),
)]
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

/// Grants on a dataset (the owning organization and the authority).
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/grants",
    tag = "applications",
    params(("name" = String, Path, description = "The dataset's slug.", example = "outpatient-stats")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The grants.", body = doc::GrantList),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn dataset_grants(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let dataset = load_dataset(&state, &name).await?;
    let list = grants::dataset_grants(&state, user, &dataset).await?;
    Ok(ApiJson(grants_json(&state, list).await?))
}

/// Results reported with a dataset's data; public.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/results",
    tag = "applications",
    params(("name" = String, Path, description = "The dataset's slug.", example = "outpatient-stats")),
    responses(
        (status = 200, description = "The results.", body = doc::ResultList),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn dataset_results(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let dataset = load_dataset(&state, &name).await?;
    let list = grants::results(&state, Some(&dataset)).await?;
    Ok(ApiJson(json!({ "results": list })))
}

/// Every reported result; public.
#[utoipa::path(
    get,
    path = "/api/v1/results",
    tag = "applications",
    responses(
        (status = 200, description = "The results.", body = doc::ResultList),
    ),
)]
async fn all_results(State(state): State<SharedState>) -> ApiResult<ApiJson<Value>> {
    Ok(ApiJson(
        json!({ "results": grants::results(&state, None).await? }),
    ))
}

/// Accepts a reported result: the reporter earns the `result_accepted` points, once (the
/// dataset's owning organization and the authority).
#[utoipa::path(
    post,
    path = "/api/v1/results/{id}/accept",
    tag = "applications",
    params(("id" = String, Path, description = "The result's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The accepted result.", body = doc::ReuseReport),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`result_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`.", body = doc::ErrorBody),
    ),
)]
async fn accept_result(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<store::ReuseReport>> {
    let user = caller.require()?;
    Ok(ApiJson(grants::accept_result(&state, user, &id).await?))
}
