//! Points and rewards (C12): a user's points, the rules, the reward catalog, redemption and
//! its cancellation, and the opt-in leaderboard, over [`app::points`].

use super::json::ApiJson;
use super::schemas as doc;
use crate::error::ApiResult;
use crate::extract::Caller;
use crate::state::SharedState;
use app::points::{
    self, LeaderRow, PointsSummary, RedemptionView, RewardInput, RewardView, RuleView,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Router;
use model::points::RuleConfig;
use serde::Deserialize;
use store::{PointsAccount, Redemption};

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/me/points", get(mine))
        .route("/api/v1/me/points/leaderboard", put(set_leaderboard))
        .route("/api/v1/points/leaderboard", get(leaderboard))
        .route("/api/v1/points/rules", get(rules))
        .route("/api/v1/points/rules/{rule}", put(set_rule))
        .route("/api/v1/points/adjustments", post(adjust))
        .route("/api/v1/rewards", get(rewards).post(create_reward))
        .route("/api/v1/rewards/{id}", get(reward).put(update_reward))
        .route("/api/v1/rewards/{id}/redeem", post(redeem))
        .route("/api/v1/rewards/{id}/redemptions", get(redemptions))
        .route("/api/v1/redemptions/{id}/cancel", post(cancel))
}

/// The caller's points: balance, reputation level, history (newest first), points expiring
/// within 30 days, redemptions with their codes, and the leaderboard choice.
#[utoipa::path(
    get,
    path = "/api/v1/me/points",
    tag = "points",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's points.", body = doc::PointsSummary),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
    ),
)]
async fn mine(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<ApiJson<PointsSummary>> {
    Ok(ApiJson(points::mine(&state, caller.require()?).await?))
}

/// Whether the caller appears on the public leaderboard.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LeaderboardInput {
    /// Appear on the public leaderboard.
    public: bool,
    /// The name shown there, 1 to 30 characters (required when `public`).
    #[serde(default)]
    display_name: String,
}

/// Chooses whether to appear on the public leaderboard, and under which name.
#[utoipa::path(
    put,
    path = "/api/v1/me/points/leaderboard",
    tag = "points",
    request_body = LeaderboardInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The choice.", body = doc::PointsAccount),
        (status = 400, description = "`invalid_json` or `unknown_field`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` (no name) or `personal_information`.", body = doc::ErrorBody),
    ),
)]
async fn set_leaderboard(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<LeaderboardInput>,
) -> ApiResult<ApiJson<PointsAccount>> {
    let user = caller.require()?;
    Ok(ApiJson(
        points::set_leaderboard(&state, user, input.public, &input.display_name).await?,
    ))
}

/// The public leaderboard: only users who chose to appear, by lifetime points.
#[utoipa::path(
    get,
    path = "/api/v1/points/leaderboard",
    tag = "points",
    responses((status = 200, description = "The top 50.", body = Vec<doc::LeaderRow>)),
)]
async fn leaderboard(State(state): State<SharedState>) -> ApiResult<ApiJson<Vec<LeaderRow>>> {
    Ok(ApiJson(points::leaderboard(&state).await?))
}

/// What earns points, and how much.
#[utoipa::path(
    get,
    path = "/api/v1/points/rules",
    tag = "points",
    responses((status = 200, description = "Every rule with its configuration.", body = Vec<doc::RuleView>)),
)]
async fn rules(State(state): State<SharedState>) -> ApiResult<ApiJson<Vec<RuleView>>> {
    Ok(ApiJson(points::rules(&state).await?))
}

/// A rule's configuration.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RuleInput {
    /// Points per credit, 0 to 100,000.
    #[schema(minimum = 0, maximum = 100000)]
    points: i64,
    /// Most points per user and day (China Standard Time); absent for no cap.
    #[serde(default)]
    #[schema(nullable = false, minimum = 0)]
    daily_cap: Option<i64>,
    /// Whether the rule credits at all.
    enabled: bool,
}

/// Configures a rule: the data authority only.
#[utoipa::path(
    put,
    path = "/api/v1/points/rules/{rule}",
    tag = "points",
    params(("rule" = doc::PointsRule, Path, description = "The rule.")),
    request_body = RuleInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rule as configured.", body = doc::RuleView),
        (status = 400, description = "`invalid_json` or `unknown_field`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the data authority.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: an unknown rule or a value out of range.", body = doc::ErrorBody),
    ),
)]
async fn set_rule(
    State(state): State<SharedState>,
    caller: Caller,
    Path(rule): Path<String>,
    ApiJson(input): ApiJson<RuleInput>,
) -> ApiResult<ApiJson<RuleView>> {
    let config = RuleConfig {
        points: input.points,
        daily_cap: input.daily_cap,
        enabled: input.enabled,
    };
    Ok(ApiJson(
        points::set_rule(&state, caller.require()?, &rule, config).await?,
    ))
}

/// A credit by hand.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AdjustmentInput {
    /// Whose points (the username).
    username: String,
    /// 1 to 100,000.
    #[schema(minimum = 1, maximum = 100000)]
    points: i64,
    /// Why, 1 to 200 characters; the user sees it in the history.
    note: String,
    /// Makes the request idempotent: a second adjustment with the same key credits nothing.
    key: String,
}

/// Credits a user by hand (a correction, or a prize of an offline activity): the data
/// authority only. Points are taken back only by compensating entries, never by editing.
#[utoipa::path(
    post,
    path = "/api/v1/points/adjustments",
    tag = "points",
    request_body = AdjustmentInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The ledger entry.", body = doc::PointsEntry),
        (status = 400, description = "`invalid_json` or `unknown_field`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the data authority.", body = doc::ErrorBody),
        (status = 404, description = "`user_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`: the key was used before.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`.", body = doc::ErrorBody),
    ),
)]
async fn adjust(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<AdjustmentInput>,
) -> ApiResult<(StatusCode, ApiJson<points::EntryView>)> {
    let user = caller.require()?;
    let entry = points::adjust(
        &state,
        user,
        &input.username,
        input.points,
        &input.note,
        &input.key,
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(points::entry_view(entry))))
}

/// The reward catalog, newest first, each saying whether it can be redeemed now.
#[utoipa::path(
    get,
    path = "/api/v1/rewards",
    tag = "points",
    responses((status = 200, description = "The rewards.", body = Vec<doc::RewardView>)),
)]
async fn rewards(State(state): State<SharedState>) -> ApiResult<ApiJson<Vec<RewardView>>> {
    Ok(ApiJson(points::rewards(&state).await?))
}

/// Adds a reward: the data authority only.
#[utoipa::path(
    post,
    path = "/api/v1/rewards",
    tag = "points",
    request_body = doc::RewardInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The reward.", body = doc::RewardView),
        (status = 400, description = "`invalid_json` or `unknown_field`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the data authority.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: a value out of range.", body = doc::ErrorBody),
    ),
)]
async fn create_reward(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<RewardInput>,
) -> ApiResult<(StatusCode, ApiJson<RewardView>)> {
    let saved = points::save_reward(&state, caller.require()?, None, input).await?;
    Ok((StatusCode::CREATED, ApiJson(saved)))
}

/// One reward.
#[utoipa::path(
    get,
    path = "/api/v1/rewards/{id}",
    tag = "points",
    params(("id" = String, Path, description = "The reward's id.")),
    responses(
        (status = 200, description = "The reward.", body = doc::RewardView),
        (status = 404, description = "`reward_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn reward(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<RewardView>> {
    Ok(ApiJson(points::reward(&state, &id).await?))
}

/// Changes a reward; `stock` is added to what is left. The data authority only.
#[utoipa::path(
    put,
    path = "/api/v1/rewards/{id}",
    tag = "points",
    params(("id" = String, Path, description = "The reward's id.")),
    request_body = doc::RewardInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reward.", body = doc::RewardView),
        (status = 400, description = "`invalid_json` or `unknown_field`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the data authority.", body = doc::ErrorBody),
        (status = 404, description = "`reward_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: a value out of range.", body = doc::ErrorBody),
    ),
)]
async fn update_reward(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RewardInput>,
) -> ApiResult<ApiJson<RewardView>> {
    Ok(ApiJson(
        points::save_reward(&state, caller.require()?, Some(&id), input).await?,
    ))
}

/// Redeems a reward with the caller's points: atomic (no overdraft, no overselling), recorded
/// as a leaf of the access log. The answer carries the code that collects the reward.
#[utoipa::path(
    post,
    path = "/api/v1/rewards/{id}/redeem",
    tag = "points",
    params(("id" = String, Path, description = "The reward's id.")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The redemption with its code.", body = doc::RedemptionView),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`reward_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`not_enough_points`, `out_of_stock`, `reward_unavailable` (outside its period) or `redemption_limit`.", body = doc::ErrorBody),
    ),
)]
async fn redeem(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, ApiJson<RedemptionView>)> {
    let done = points::redeem(&state, caller.require()?, &id).await?;
    Ok((StatusCode::CREATED, ApiJson(done)))
}

/// The redemptions of a reward, with their codes: the data authority only.
#[utoipa::path(
    get,
    path = "/api/v1/rewards/{id}/redemptions",
    tag = "points",
    params(("id" = String, Path, description = "The reward's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first.", body = Vec<doc::RedemptionView>),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the data authority.", body = doc::ErrorBody),
        (status = 404, description = "`reward_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn redemptions(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Vec<RedemptionView>>> {
    Ok(ApiJson(
        points::redemptions_of(&state, caller.require()?, &id).await?,
    ))
}

/// Why a redemption is cancelled.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CancelInput {
    /// 1 to 500 characters.
    reason: String,
}

/// Cancels a redemption: the points come back and the stock grows by one. The data authority
/// only.
#[utoipa::path(
    post,
    path = "/api/v1/redemptions/{id}/cancel",
    tag = "points",
    params(("id" = String, Path, description = "The redemption's id.")),
    request_body = CancelInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cancelled redemption.", body = doc::Redemption),
        (status = 400, description = "`invalid_json` or `unknown_field`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the data authority.", body = doc::ErrorBody),
        (status = 404, description = "`redemption_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_cancelled`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: no reason.", body = doc::ErrorBody),
    ),
)]
async fn cancel(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> ApiResult<ApiJson<Redemption>> {
    Ok(ApiJson(
        points::cancel(&state, caller.require()?, &id, &input.reason).await?,
    ))
}
