//! Data demands (C8): filing, support, comments, the department's answer, fulfilment, transfer
//! and merging, over [`app::demands`].

use super::json::ApiJson;
use super::params::bad_params;
use super::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::SharedState;
use crate::tables::{table_file, table_format, TableFormat};
use app::demands::{
    self, AnswerInput, DemandInput, DemandPage, DemandQuery, DemandView, FulfilInput,
};
use app::Code;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use model::demand::DemandStatus;
use serde::Deserialize;
use serde_json::{json, Value};
use store::DemandSort;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/demands", get(list).post(create))
        .route("/api/v1/demands/stats", get(stats))
        .route("/api/v1/demands/{id}", get(show))
        .route(
            "/api/v1/demands/{id}/support",
            post(support).delete(unsupport),
        )
        .route("/api/v1/demands/{id}/comments", get(comments).post(comment))
        .route("/api/v1/demands/{id}/history", get(history))
        .route("/api/v1/demands/{id}/answer", post(answer))
        .route("/api/v1/demands/{id}/fulfil", post(fulfil))
        .route("/api/v1/demands/{id}/transfer", post(transfer))
        .route("/api/v1/demands/{id}/merge", post(merge))
}

/// The filters and order of a list of demands.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Words to search for (titles, descriptions, wanted fields, whom it asks; Chinese words
    /// and the pinyin of titles). With words, demands come by relevance.
    q: Option<String>,
    /// Only demands asking this department (its slug).
    department: Option<String>,
    /// Only demands about this theme.
    theme: Option<String>,
    /// Only demands in this state.
    #[param(value_type = Option<doc::DemandStatus>)]
    status: Option<String>,
    /// Only open demands past their deadline.
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// `supports` (default), `newest`, `deadline`, or `planned` (earliest planned opening date
    /// first: with `status=accepted`, the opening plan).
    #[param(pattern = "^(supports|newest|deadline|planned)$")]
    sort: Option<String>,
    /// Demands to skip.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// Demands per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::BadRequest, message)
}

/// Lists demands, most supported first by default; overdue ones are flagged.
#[utoipa::path(
    get,
    path = "/api/v1/demands",
    tag = "demands",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of demands.", body = doc::DemandPage),
        (status = 400, description = "`bad_request`: a parameter is malformed or out of range.", body = doc::ErrorBody),
        (status = 404, description = "`organization_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn list(
    State(state): State<SharedState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<DemandPage>> {
    let Query(q) = query.map_err(bad_params)?;
    let status = q
        .status
        .as_deref()
        .map(|s| s.parse::<DemandStatus>())
        .transpose()
        .map_err(|e| bad(format!("{e}.")))?;
    let overdue = match q.overdue.as_deref().map(str::trim) {
        None | Some("" | "false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => return Err(bad("`overdue` must be true or false.")),
    };
    let sort = match q.sort.as_deref().map(str::trim) {
        None | Some("" | "supports") => DemandSort::Supports,
        Some("newest") => DemandSort::Newest,
        Some("deadline") => DemandSort::Deadline,
        Some("planned") => DemandSort::Planned,
        Some(_) => return Err(bad("`sort` must be supports, newest, deadline or planned.")),
    };
    let page = demands::list(
        &state,
        DemandQuery {
            department: q.department.filter(|s| !s.trim().is_empty()),
            theme: q.theme.filter(|s| !s.trim().is_empty()),
            status,
            overdue,
            created_by: None,
            closed: None,
            q: q.q,
            sort,
            offset: q.offset.unwrap_or(0),
            limit: q.limit.unwrap_or(20),
        },
    )
    .await?;
    Ok(ApiJson(page))
}

/// The format of the statistics.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StatsQuery {
    /// `json` (default), `csv` or `xlsx`.
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
}

/// The published statistics of demands per department and theme asked: volume, supports,
/// acceptance rate, median days to answer, fulfilment rate and overdue count.
#[utoipa::path(
    get,
    path = "/api/v1/demands/stats",
    tag = "demands",
    params(StatsQuery),
    responses(
        (status = 200, description = "The statistics; CSV and XLSX as attachments.",
            content(
                (doc::DemandStats = "application/json"),
                (String = "text/csv; charset=utf-8"),
                (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
        ),
        (status = 400, description = "`bad_request`: an unknown format or parameter.", body = doc::ErrorBody),
    ),
)]
async fn stats(
    State(state): State<SharedState>,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(bad_params)?;
    let format = table_format(q.format.as_deref())?;
    let s = demands::stats(&state).await?;
    if format == TableFormat::Json {
        return Ok(ApiJson(s).into_response());
    }
    let (headings, rows) = demands::stats_table(&s);
    table_file(format, "数据需求统计", "demand-stats", &headings, &rows)
}

/// Files a demand. Public text is checked for personal information.
#[utoipa::path(
    post,
    path = "/api/v1/demands",
    tag = "demands",
    request_body = doc::DemandInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new demand.", body = doc::DemandView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`organization_not_found` or `dataset_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`, or `personal_information`: the text holds a citizen ID, bank card or mobile number.", body = doc::ErrorBody),
    ),
)]
async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<DemandInput>,
) -> ApiResult<(StatusCode, ApiJson<DemandView>)> {
    let user = caller.require()?;
    let d = demands::file(&state, user, input).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(demands::view(&state, d).await?),
    ))
}

/// One demand.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{id}",
    tag = "demands",
    params(("id" = String, Path, description = "The demand's id.")),
    responses(
        (status = 200, description = "The demand.", body = doc::DemandView),
        (status = 404, description = "`demand_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DemandView>> {
    let d = demands::load(&state, &id).await?;
    Ok(ApiJson(demands::view(&state, d).await?))
}

/// Supports a demand (one support per person; not one's own).
#[utoipa::path(
    post,
    path = "/api/v1/demands/{id}/support",
    tag = "demands",
    params(("id" = String, Path, description = "The demand's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The demand, with its new count.", body = doc::DemandView),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`demand_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_supported`, or `demand_closed`: the demand is answered or merged.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: one's own demand.", body = doc::ErrorBody),
    ),
)]
async fn support(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DemandView>> {
    let d = demands::support(&state, caller.require()?, &id).await?;
    Ok(ApiJson(demands::view(&state, d).await?))
}

/// Withdraws one's support.
#[utoipa::path(
    delete,
    path = "/api/v1/demands/{id}/support",
    tag = "demands",
    params(("id" = String, Path, description = "The demand's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The demand, with its new count.", body = doc::DemandView),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`demand_not_found`, or `not_found`: the caller did not support it.", body = doc::ErrorBody),
    ),
)]
async fn unsupport(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<DemandView>> {
    let d = demands::unsupport(&state, caller.require()?, &id).await?;
    Ok(ApiJson(demands::view(&state, d).await?))
}

/// A comment.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CommentInput {
    /// The text, 1 to 4,000 characters.
    #[schema(min_length = 1, max_length = 4000)]
    body: String,
}

/// The comments on a demand, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{id}/comments",
    tag = "demands",
    params(("id" = String, Path, description = "The demand's id.")),
    responses(
        (status = 200, description = "The comments.", body = doc::DemandCommentList),
        (status = 404, description = "`demand_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn comments(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let list = demands::comments(&state, &id).await?;
    Ok(ApiJson(json!({ "comments": list })))
}

/// Comments on a demand that is still open or accepted.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{id}/comments",
    tag = "demands",
    params(("id" = String, Path, description = "The demand's id.")),
    request_body = CommentInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The comment.", body = doc::DemandComment),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`demand_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`demand_closed`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` or `personal_information`.", body = doc::ErrorBody),
    ),
)]
async fn comment(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> ApiResult<(StatusCode, ApiJson<store::DemandComment>)> {
    let c = demands::comment(&state, caller.require()?, &id, &input.body).await?;
    Ok((StatusCode::CREATED, ApiJson(c)))
}

/// The public history of a demand, oldest first: filed, answered, transferred, merged,
/// fulfilled.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{id}/history",
    tag = "demands",
    params(("id" = String, Path, description = "The demand's id.")),
    responses(
        (status = 200, description = "The history.", body = doc::DemandHistoryList),
        (status = 404, description = "`demand_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn history(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let list = demands::history(&state, &id).await?;
    Ok(ApiJson(json!({ "history": list })))
}

/// The department's answer: accepted with a planned date, or not accepted with a reason.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{id}/answer",
    tag = "demands",
    params(("id" = String, Path, description = "The demand's id.")),
    request_body = doc::AnswerInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The answered demand.", body = doc::DemandView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not staff of the department asked (or the authority, for a theme).", body = doc::ErrorBody),
        (status = 404, description = "`demand_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`: answered already.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` (a planned date in the past, a rejection without reason or text) or `personal_information`.", body = doc::ErrorBody),
    ),
)]
async fn answer(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> ApiResult<ApiJson<DemandView>> {
    let d = demands::answer(&state, caller.require()?, &id, input).await?;
    Ok(ApiJson(demands::view(&state, d).await?))
}

/// Fulfils an accepted demand with a dataset or a grant.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{id}/fulfil",
    tag = "demands",
    params(("id" = String, Path, description = "The demand's id.")),
    request_body = doc::FulfilInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The fulfilled demand.", body = doc::DemandView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`demand_not_found`, `dataset_not_found` or `grant_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`: not accepted, or fulfilled already.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`.", body = doc::ErrorBody),
    ),
)]
async fn fulfil(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FulfilInput>,
) -> ApiResult<ApiJson<DemandView>> {
    let d = demands::fulfil(&state, caller.require()?, &id, input).await?;
    Ok(ApiJson(demands::view(&state, d).await?))
}

/// Where to move a demand.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TransferInput {
    /// The department's slug.
    department: String,
}

/// Moves an open demand to another department (the authority only); its deadline starts again.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{id}/transfer",
    tag = "demands",
    params(("id" = String, Path, description = "The demand's id.")),
    request_body = TransferInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The moved demand.", body = doc::DemandView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`demand_not_found` or `organization_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`: answered already.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: not a department, or the same one.", body = doc::ErrorBody),
    ),
)]
async fn transfer(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TransferInput>,
) -> ApiResult<ApiJson<DemandView>> {
    let d = demands::transfer(&state, caller.require()?, &id, &input.department).await?;
    Ok(ApiJson(demands::view(&state, d).await?))
}

/// Which demand a duplicate is merged into.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MergeInput {
    /// The id of the demand that carries on.
    into: String,
}

/// Merges a duplicate into another demand; its supports move there, once per person.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{id}/merge",
    tag = "demands",
    params(("id" = String, Path, description = "The duplicate's id.")),
    request_body = MergeInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The demand that carries on.", body = doc::DemandView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`demand_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided` or `demand_closed`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: a demand into itself.", body = doc::ErrorBody),
    ),
)]
async fn merge(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MergeInput>,
) -> ApiResult<ApiJson<DemandView>> {
    let d = demands::merge(&state, caller.require()?, &id, &input.into).await?;
    Ok(ApiJson(demands::view(&state, d).await?))
}
