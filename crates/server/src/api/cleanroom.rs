//! The fusion clean room (C6) in the JSON API, over [`app::cleanroom`]: owners' policies, clean
//! rooms (several applications with one ε budget), and clean-room queries.

use super::data::{logged, rows_json};
use super::json::ApiJson;
use super::schemas as doc;
use crate::error::ApiResult;
use crate::extract::Caller;
use crate::state::SharedState;
use app::catalog::load_dataset;
use app::cleanroom::{self, CleanRoomInput, CleanRoomView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use model::cleanroom::Policy;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<SharedState> {
    Router::new()
        .route(
            "/api/v1/datasets/{name}/cleanroom-policy",
            get(show_policy).put(set_policy),
        )
        .route("/api/v1/cleanrooms", get(mine).post(create))
        .route("/api/v1/cleanrooms/{id}", get(show))
        .route("/api/v1/cleanroom/query", post(query))
}

/// A dataset's clean-room policy: the columns that identify people or firms, the join keys
/// others may use, k and whether noise is required; `policy` is null until the owner declares
/// one. Public.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/cleanroom-policy",
    tag = "cleanroom",
    params(("name" = String, Path, description = "The dataset's slug.", example = "social-insurance")),
    responses(
        (status = 200, description = "The policy.", body = doc::CleanRoomPolicyView),
        (status = 401, description = "`invalid_token`: a token was sent but is not valid.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show_policy(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let dataset = load_dataset(&state, &name).await?;
    let declared = cleanroom::policy(&state, &dataset).await?;
    Ok(ApiJson(policy_json(&dataset.name, declared)))
}

fn policy_json(dataset: &str, declared: Option<store::CleanRoomPolicy>) -> Value {
    json!({
        "dataset": dataset,
        "table": cleanroom::table_name(dataset),
        "policy": declared.as_ref().map(|p| &p.policy),
        "updated_at": declared.as_ref().map(|p| p.updated_at),
    })
}

/// Declares or replaces a dataset's clean-room policy (its owning organization's publishers).
#[utoipa::path(
    put,
    path = "/api/v1/datasets/{name}/cleanroom-policy",
    tag = "cleanroom",
    params(("name" = String, Path, description = "The dataset's slug.", example = "social-insurance")),
    request_body = doc::CleanRoomPolicy,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy in force.", body = doc::CleanRoomPolicyView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the owning organization.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`, or `no_data` (no version yet).", body = doc::ErrorBody),
        (status = 422, description = "`invalid_policy`, or `invalid_field` (the body has the wrong shape).", body = doc::ErrorBody),
    ),
)]
async fn set_policy(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(policy): ApiJson<Policy>,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    let dataset = load_dataset(&state, &name).await?;
    let declared = cleanroom::set_policy(&state, user, &dataset, policy).await?;
    Ok(ApiJson(policy_json(&dataset.name, Some(declared))))
}

/// Applies for a clean room over 2 to 5 datasets of other organizations: one application per
/// dataset, each reviewed by its owner (and the authority where C4 requires), with one ε budget.
#[utoipa::path(
    post,
    path = "/api/v1/cleanrooms",
    tag = "cleanroom",
    request_body = doc::CleanRoomInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The clean room with its applications.", body = doc::CleanRoom),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`agreement_mismatch`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_terms`, `no_cleanroom_policy`, `not_accepting_applications`, or `invalid_field` (the body has the wrong shape).", body = doc::ErrorBody),
    ),
)]
async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<CleanRoomInput>,
) -> ApiResult<(StatusCode, ApiJson<CleanRoomView>)> {
    let user = caller.require()?;
    Ok((
        StatusCode::CREATED,
        ApiJson(cleanroom::apply(&state, user, input).await?),
    ))
}

/// The clean rooms the caller holds, and those on datasets of the caller's organization.
#[utoipa::path(
    get,
    path = "/api/v1/cleanrooms",
    tag = "cleanroom",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The clean rooms.", body = doc::CleanRoomList),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
    ),
)]
async fn mine(State(state): State<SharedState>, caller: Caller) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    Ok(ApiJson(
        json!({ "cleanrooms": cleanroom::list(&state, user).await? }),
    ))
}

/// One clean room: its datasets with their applications, grants, policies and (for its holder,
/// once ready) the columns each table offers; the ε budget and what is left.
#[utoipa::path(
    get,
    path = "/api/v1/cleanrooms/{id}",
    tag = "cleanroom",
    params(("id" = String, Path, description = "The clean room's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The clean room.", body = doc::CleanRoom),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`cleanroom_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<CleanRoomView>> {
    let user = caller.require()?;
    Ok(ApiJson(cleanroom::view(&state, user, &id).await?))
}

/// A clean-room query.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    /// The clean room's id.
    cleanroom: String,
    /// One SELECT that aggregates (see the rules at `/cleanroom`).
    #[schema(
        example = "SELECT s.district, e.industry, AVG(s.wage) AS avg_wage FROM social_insurance s JOIN employees e ON s.citizen_id = e.citizen_id GROUP BY s.district, e.industry"
    )]
    sql: String,
    /// The ε this query may spend when noise applies (default 0.1).
    #[serde(default)]
    epsilon: Option<f64>,
}

/// Runs one clean-room query: only aggregates over groups covering at least k distinct entities
/// of every dataset read; groups under k are removed and counted; COUNT and SUM get noise
/// charged to the ε budget where a dataset requires it.
#[utoipa::path(
    post,
    path = "/api/v1/cleanroom/query",
    tag = "cleanroom",
    request_body = QueryBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The groups.", body = doc::CleanRoomResult, headers(("Gongshu-Log-Index" = String, description = "The access-log entries of this response, comma-separated."))),
        (status = 400, description = "`cleanroom_refused` (the message names the rule), `sql_syntax`, `sql_not_select`, `sql_multiple_statements`, `column_not_found`, `type_mismatch`, `query_failed`, `invalid_json`, `unknown_field` or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the clean room's holder.", body = doc::ErrorBody),
        (status = 404, description = "`cleanroom_not_found` or `table_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`cleanroom_not_ready` or `budget_exhausted`.", body = doc::ErrorBody),
        (status = 422, description = "`query_timeout`, `query_memory`, or `invalid_field` (a bad epsilon, or the body has the wrong shape).", body = doc::ErrorBody),
        (status = 429, description = "`quota_exhausted`.", body = doc::ErrorBody),
    ),
)]
async fn query(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(body): ApiJson<QueryBody>,
) -> ApiResult<Response> {
    caller.require()?;
    let result = cleanroom::query(
        &state,
        caller.asker(),
        &body.cleanroom,
        &body.sql,
        body.epsilon,
    )
    .await?;
    let body = rows_json(
        &result.rows,
        json!({
            "suppressed_groups": result.suppressed_groups,
            "min_entities": result.min_entities,
            "epsilon_spent": result.epsilon_spent,
            "epsilon_left": result.epsilon_left,
            "noisy_values": result.noisy_values,
            "tables": result.tables,
        }),
    );
    Ok(logged(result.receipt, body))
}
