//! Organizations, users, the caller's own record and API tokens.

use super::ApiJson;
use crate::accounts::{self, NewOrgInput, NewUserInput};
use crate::auth::{self, now_ms, Caller};
use crate::error::{ApiError, ApiResult, Code};
use crate::state::SharedState;
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
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
}

async fn list_orgs(State(state): State<SharedState>) -> ApiResult<ApiJson<Value>> {
    let orgs = state.store.list_orgs().await?;
    Ok(ApiJson(json!({ "organizations": orgs })))
}

async fn show_org(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let org = match state.store.get_org_by_name(&name).await {
        Ok(o) => o,
        Err(store::StoreError::NotFound) => {
            return Err(ApiError::new(
                Code::OrgNotFound,
                format!("There is no organization named `{name}`."),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(ApiJson(json!(org)))
}

async fn create_org(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewOrgInput>,
) -> ApiResult<(StatusCode, ApiJson<store::Organization>)> {
    let user = caller.require()?;
    accounts::require_authority(user)?;
    let org = accounts::create_org(&state.store, input, now_ms()).await?;
    Ok((StatusCode::CREATED, ApiJson(org)))
}

async fn list_users(State(state): State<SharedState>, caller: Caller) -> ApiResult<ApiJson<Value>> {
    accounts::require_authority(caller.require()?)?;
    Ok(ApiJson(json!({ "users": state.store.list_users().await? })))
}

async fn create_user(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewUserInput>,
) -> ApiResult<(StatusCode, ApiJson<store::User>)> {
    accounts::require_authority(caller.require()?)?;
    let user = accounts::create_user(&state.store, input, now_ms()).await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

async fn me(caller: Caller) -> ApiResult<ApiJson<store::User>> {
    Ok(ApiJson(caller.require()?.clone()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    name: String,
    #[serde(default)]
    days: Option<u32>,
}

#[derive(Serialize)]
struct CreatedToken {
    #[serde(flatten)]
    token: store::ApiToken,
    /// The secret, shown only in this response.
    secret: String,
}

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

async fn list_tokens(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<ApiJson<Value>> {
    let user = caller.require()?;
    Ok(ApiJson(
        json!({ "tokens": state.store.list_tokens(&user.id).await? }),
    ))
}

async fn revoke_token(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let user = caller.require()?;
    match state.store.revoke_token(&user.id, &id, now_ms()).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(store::StoreError::NotFound) => Err(ApiError::new(
            Code::TokenNotFound,
            "You have no token with that id.",
        )),
        Err(e) => Err(e.into()),
    }
}
