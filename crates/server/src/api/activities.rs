//! Activities (C12): campaigns with tasks worth points, their progress for the caller, and
//! quizzes on policy briefs, over [`app::activities`].

use super::json::ApiJson;
use super::schemas as doc;
use crate::error::ApiResult;
use crate::extract::Caller;
use crate::state::SharedState;
use app::activities::{self, ActivityInput, ActivityView, AttemptResult};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/activities", get(list).post(create))
        .route("/api/v1/activities/{id}", get(show))
        .route(
            "/api/v1/activities/{id}/tasks/{task}/attempts",
            post(attempt),
        )
}

/// Every activity with its tasks, the latest to start first; signed in, with the caller's
/// progress. Quiz answers are never shown.
#[utoipa::path(
    get,
    path = "/api/v1/activities",
    tag = "points",
    responses(
        (status = 200, description = "The activities.", body = Vec<doc::ActivityView>),
        (status = 401, description = "`invalid_token`: a token was sent but is not valid.", body = doc::ErrorBody),
    ),
)]
async fn list(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<ApiJson<Vec<ActivityView>>> {
    Ok(ApiJson(
        activities::list(&state, caller.user.as_ref()).await?,
    ))
}

/// Starts an activity: the data authority only.
#[utoipa::path(
    post,
    path = "/api/v1/activities",
    tag = "points",
    request_body = doc::ActivityInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The activity.", body = doc::ActivityView),
        (status = 400, description = "`invalid_json` or `unknown_field`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the data authority.", body = doc::ErrorBody),
        (status = 404, description = "`service_not_found` or `consultation_not_found`: a task's target.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: a title, period, task or quiz is not valid.", body = doc::ErrorBody),
    ),
)]
async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<ActivityInput>,
) -> ApiResult<(StatusCode, ApiJson<ActivityView>)> {
    let created = activities::create(&state, caller.require()?, input).await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// One activity with its tasks and the caller's progress.
#[utoipa::path(
    get,
    path = "/api/v1/activities/{id}",
    tag = "points",
    params(("id" = String, Path, description = "The activity's id.")),
    responses(
        (status = 200, description = "The activity.", body = doc::ActivityView),
        (status = 401, description = "`invalid_token`: a token was sent but is not valid.", body = doc::ErrorBody),
        (status = 404, description = "`activity_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<ActivityView>> {
    Ok(ApiJson(
        activities::get(&state, &id, caller.user.as_ref()).await?,
    ))
}

/// Answers to a quiz.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AttemptInput {
    /// The index of the chosen option per question, in order; `null` for none.
    answers: Vec<Option<usize>>,
}

/// Takes a quiz: graded and recorded within the attempt limit; a pass while the activity runs
/// grants the task's points once.
#[utoipa::path(
    post,
    path = "/api/v1/activities/{id}/tasks/{task}/attempts",
    tag = "points",
    params(
        ("id" = String, Path, description = "The activity's id."),
        ("task" = String, Path, description = "The quiz task's id."),
    ),
    request_body = AttemptInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The graded attempt.", body = doc::AttemptResult),
        (status = 400, description = "`invalid_json` or `unknown_field`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`activity_not_found` or `not_found` (no such task).", body = doc::ErrorBody),
        (status = 409, description = "`activity_closed` or `no_attempts_left`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: not a quiz, or not one answer per question.", body = doc::ErrorBody),
    ),
)]
async fn attempt(
    State(state): State<SharedState>,
    caller: Caller,
    Path((id, task)): Path<(String, String)>,
    ApiJson(input): ApiJson<AttemptInput>,
) -> ApiResult<(StatusCode, ApiJson<AttemptResult>)> {
    let user = caller.require()?;
    let done = activities::attempt(&state, user, &id, &task, input.answers).await?;
    Ok((StatusCode::CREATED, ApiJson(done)))
}
