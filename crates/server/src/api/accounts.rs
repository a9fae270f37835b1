//! Organizations, users, the caller's own record and API tokens.

use super::json::ApiJson;
use super::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::SharedState;
use app::accounts::{self, NewOrgInput, NewUserInput};
use app::auth;
use app::clock::now_ms;
use app::Code;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/organizations", get(list_orgs).post(create_org))
        .route("/api/v1/organizations/{name}", get(show_org))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/activity", get(activity))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
}

/// Every organization.
#[utoipa::path(
    get,
    path = "/api/v1/organizations",
    tag = "accounts",
    responses((status = 200, description = "The organizations.", body = doc::OrganizationList)),
)]
async fn list_orgs(State(state): State<SharedState>) -> ApiResult<ApiJson<Value>> {
    let orgs = accounts::list_orgs(&state).await?;
    Ok(ApiJson(json!({ "organizations": orgs })))
}

/// One organization.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{name}",
    tag = "accounts",
    params(("name" = String, Path, description = "The organization's slug.", example = "health")),
    responses(
        (status = 200, description = "The organization.", body = doc::Organization),
        (status = 404, description = "`organization_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show_org(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let org = accounts::org_by_name(&state, &name).await?;
    Ok(ApiJson(json!(org)))
}

/// Creates an organization (the data authority only).
#[utoipa::path(
    post,
    path = "/api/v1/organizations",
    tag = "accounts",
    request_body = doc::NewOrgInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new organization.", body = doc::Organization),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: only the data authority creates organizations.", body = doc::ErrorBody),
        (status = 409, description = "`name_taken`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`, `invalid_name` or `invalid_uscc`.", body = doc::ErrorBody),
    ),
)]
async fn create_org(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewOrgInput>,
) -> ApiResult<(StatusCode, ApiJson<store::Organization>)> {
    let user = caller.require()?;
    accounts::require_authority(user)?;
    let org = accounts::create_org(&state, input, now_ms()).await?;
    Ok((StatusCode::CREATED, ApiJson(org)))
}

/// Every user (the data authority only).
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The users.", body = doc::UserList),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: only the data authority lists users.", body = doc::ErrorBody),
    ),
)]
async fn list_users(State(state): State<SharedState>, caller: Caller) -> ApiResult<ApiJson<Value>> {
    accounts::require_authority(caller.require()?)?;
    Ok(ApiJson(
        json!({ "users": accounts::list_users(&state).await? }),
    ))
}

/// Creates a user (the data authority only).
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "accounts",
    request_body = doc::NewUserInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new user.", body = doc::User),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: only the data authority creates users.", body = doc::ErrorBody),
        (status = 404, description = "`organization_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`name_taken`: the username is in use.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` (password, organization for the role) or `invalid_name`.", body = doc::ErrorBody),
    ),
)]
async fn create_user(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewUserInput>,
) -> ApiResult<(StatusCode, ApiJson<store::User>)> {
    accounts::require_authority(caller.require()?)?;
    let user = accounts::create_user(&state, input, now_ms()).await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// The caller's own account.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller.", body = doc::User),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
    ),
)]
async fn me(caller: Caller) -> ApiResult<ApiJson<store::User>> {
    Ok(ApiJson(caller.require()?.clone()))
}

/// The caller's participation: demands filed (with the answers received), supported and
/// commented on.
#[utoipa::path(
    get,
    path = "/api/v1/me/activity",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "At most 100 items of each kind, newest first.", body = doc::Activity),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
    ),
)]
async fn activity(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<ApiJson<app::activity::Activity>> {
    let user = caller.require()?;
    Ok(ApiJson(app::activity::mine(&state, user).await?))
}

/// A new API token.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    /// A label, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// Days of validity, 1 to 366: required here, since a token made with a token must expire
    /// (and never outlives the token that made it).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 366)]
    days: Option<u32>,
}

/// A token just created, with its secret.
#[derive(Serialize, utoipa::ToSchema)]
struct CreatedToken {
    #[serde(flatten)]
    #[schema(value_type = doc::ApiToken)]
    token: store::ApiToken,
    /// The secret, shown only in this response.
    secret: String,
}

/// Creates an API token for the caller; the secret is shown only in this response.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "accounts",
    request_body = TokenInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The token with its secret.", body = CreatedToken),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: `days` missing or out of range, or a bad name.", body = doc::ErrorBody),
    ),
)]
async fn create_token(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<TokenInput>,
) -> ApiResult<(StatusCode, ApiJson<CreatedToken>)> {
    let user = caller.require()?;
    // A token made with a token must expire, and not after the one that made it, or a leaked
    // short-lived token could mint a permanent one.
    let Some(days) = input.days else {
        return Err(ApiError::new(
            Code::InvalidField,
            "Give `days` (1 to 366): tokens created through the API must expire.",
        ));
    };
    let (token, secret) = auth::create_token(
        &state,
        user,
        &input.name,
        Some(days),
        caller.token_expires_at,
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(CreatedToken { token, secret })))
}

/// The caller's API tokens.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tokens, without secrets.", body = doc::TokenList),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
    ),
)]
async fn list_tokens(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    Ok(ApiJson(
        json!({ "tokens": auth::list_tokens(&state, user).await? }),
    ))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "The token's id.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`token_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn revoke_token(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let user = caller.require()?;
    auth::revoke_token(&state, user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
