//! Feedback on public services (C10): services, submission (signed in or not, with photos),
//! the department's steps, rating and reopening by the submitter, the private contact for the
//! handling department, photos and statistics, over [`app::feedback`].

use super::json::ApiJson;
use super::params::bad_params;
use super::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::SharedState;
use crate::tables::{table_file, table_format, TableFormat};
use app::feedback::{
    self, ActionInput, FeedbackDetail, FeedbackInput, FeedbackPage, FeedbackQuery, FeedbackView,
    ServiceInput, ServiceView, Submitted, Submitter,
};
use app::Code;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;
use model::feedback::{Contact, FeedbackStatus};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route(
            "/api/v1/feedback",
            // Three photos of 5 MiB in base64, and the text: the limit is the same whatever
            // the configured upload limit for datasets.
            get(list)
                .post(create)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route("/api/v1/feedback/stats", get(stats))
        .route(
            "/api/v1/feedback/services",
            get(services).post(save_service),
        )
        .route("/api/v1/feedback/{id}", get(show))
        .route("/api/v1/feedback/{id}/action", post(act))
        .route("/api/v1/feedback/{id}/rate", post(rate))
        .route("/api/v1/feedback/{id}/reopen", post(reopen))
        .route("/api/v1/feedback/{id}/contact", get(contact))
        .route("/api/v1/feedback/{id}/photos/{photo}", get(photo))
}

/// The largest submission: three photos at their limit in base64, and room for the text.
const BODY_LIMIT: usize =
    (model::feedback::MAX_PHOTOS * model::feedback::MAX_PHOTO_BYTES) * 4 / 3 + (1 << 20);

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::BadRequest, message)
}

/// The filters of a list of feedback.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only feedback of this service (its code).
    service: Option<String>,
    /// Only feedback handled by this department (its slug).
    department: Option<String>,
    /// Only feedback in this state.
    #[param(value_type = Option<doc::FeedbackStatus>)]
    status: Option<String>,
    /// Only feedback still without a first answer after its deadline.
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// Only feedback submitted on or after this day, `YYYY-MM-DD` (China Standard Time).
    from: Option<String>,
    /// Only feedback submitted on or before this day, `YYYY-MM-DD`.
    to: Option<String>,
    /// Items to skip.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// Items per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Parses a `true`/`false` flag.
pub(crate) fn flag(name: &str, v: Option<&str>) -> ApiResult<bool> {
    match v.map(str::trim) {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(bad(format!("`{name}` must be true or false."))),
    }
}

/// The query of a list from its parameters.
pub(crate) fn query_of(q: ListQuery) -> ApiResult<FeedbackQuery> {
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<FeedbackStatus>())
        .transpose()
        .map_err(|e| bad(format!("{e}.")))?;
    let day = |s: Option<&str>| -> ApiResult<Option<i64>> {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Ok(Some(feedback::parse_day(s)?)),
            None => Ok(None),
        }
    };
    Ok(FeedbackQuery {
        services: q
            .service
            .filter(|s| !s.trim().is_empty())
            .into_iter()
            .collect(),
        department: q.department.filter(|s| !s.trim().is_empty()),
        statuses: status.into_iter().collect(),
        overdue: flag("overdue", q.overdue.as_deref())?,
        from: day(q.from.as_deref())?,
        until: day(q.to.as_deref())?.map(|d| d + model::calendar::DAY_MS),
        offset: q.offset.unwrap_or(0),
        limit: q.limit.unwrap_or(50),
        ..FeedbackQuery::default()
    })
}

/// Lists feedback, newest first, with overdue items flagged. Descriptions are masked.
#[utoipa::path(
    get,
    path = "/api/v1/feedback",
    tag = "feedback",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of feedback.", body = doc::FeedbackPage),
        (status = 400, description = "`bad_request`: a parameter is malformed.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: a date or a limit out of range.", body = doc::ErrorBody),
    ),
)]
async fn list(
    State(state): State<SharedState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<FeedbackPage>> {
    let Query(q) = query.map_err(bad_params)?;
    Ok(ApiJson(feedback::list(&state, query_of(q)?).await?))
}

/// Feedback as the API submits it, photos as base64.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    /// The service's code.
    service_code: String,
    /// What is wrong, 1 to 4,000 characters. Citizen IDs, bank cards and mobile numbers in it
    /// are masked in every public view.
    description: String,
    /// Latitude, WGS 84, −90 to 90 (with `long`).
    #[serde(default)]
    #[schema(nullable = false)]
    lat: Option<f64>,
    /// Longitude, WGS 84, −180 to 180 (with `lat`).
    #[serde(default)]
    #[schema(nullable = false)]
    long: Option<f64>,
    /// An address (give this, or `lat` and `long`, or all).
    #[serde(default)]
    #[schema(nullable = false)]
    address: Option<String>,
    /// Answers to the service's questions: code → values.
    #[serde(default)]
    attributes: BTreeMap<String, Vec<String>>,
    /// Private contact details: never shown; read only by the handling department, each read
    /// logged.
    #[serde(default)]
    #[schema(value_type = Option<doc::Contact>, nullable = false)]
    contact: Option<Contact>,
    /// Up to 3 photos (JPEG, PNG or WebP, at most 5 MiB each), base64-encoded.
    #[serde(default)]
    photos: Vec<String>,
}

/// Submits feedback, signed in or not. The answer carries the `key` of the private link through
/// which the submitter rates or reopens it; it is shown only once.
#[utoipa::path(
    post,
    path = "/api/v1/feedback",
    tag = "feedback",
    request_body = SubmitBody,
    responses(
        (status = 201, description = "The feedback as the public sees it, and the private key.", body = doc::Submitted),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not JSON, or a photo is not base64).", body = doc::ErrorBody),
        (status = 401, description = "`invalid_token`: a token was sent but is not valid.", body = doc::ErrorBody),
        (status = 404, description = "`service_not_found`.", body = doc::ErrorBody),
        (status = 413, description = "`file_too_large`: a photo over 5 MiB.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`, `invalid_location`, `invalid_attribute`, or `invalid_photo` (not an image, too many pixels, more than 3).", body = doc::ErrorBody),
    ),
)]
async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(body): ApiJson<SubmitBody>,
) -> ApiResult<(StatusCode, ApiJson<Submitted>)> {
    let photos = body
        .photos
        .iter()
        .map(|p| base64::engine::general_purpose::STANDARD.decode(p.trim()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad("Each photo must be base64-encoded."))?;
    let input = FeedbackInput {
        service_code: body.service_code,
        description: body.description,
        lat: body.lat,
        long: body.long,
        address: body.address,
        attributes: body.attributes,
        contact: body.contact,
    };
    let done = feedback::submit(&state, caller.user.as_ref(), input, photos, caller.client).await?;
    Ok((StatusCode::CREATED, ApiJson(done)))
}

/// One item of feedback with its public history and photos.
#[utoipa::path(
    get,
    path = "/api/v1/feedback/{id}",
    tag = "feedback",
    params(("id" = String, Path, description = "The feedback's id.")),
    responses(
        (status = 200, description = "The feedback.", body = doc::FeedbackDetail),
        (status = 404, description = "`feedback_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<FeedbackDetail>> {
    Ok(ApiJson(feedback::get(&state, &id).await?))
}

/// The department's step: `accept` (with `expected_date`), `start`, `resolve`, `reject` (with
/// a reason in `note`), `transfer` (with `department`), `note`, or `hide` (the description,
/// with the reason in `note`). Staff of the handling department, or the authority.
#[utoipa::path(
    post,
    path = "/api/v1/feedback/{id}/action",
    tag = "feedback",
    params(("id" = String, Path, description = "The feedback's id.")),
    request_body = doc::FeedbackAction,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The feedback after the step.", body = doc::FeedbackView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not staff of the handling department.", body = doc::ErrorBody),
        (status = 404, description = "`feedback_not_found` or `organization_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`: the step does not apply in this state.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` or `personal_information` (in the note).", body = doc::ErrorBody),
    ),
)]
async fn act(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActionInput>,
) -> ApiResult<ApiJson<FeedbackView>> {
    Ok(ApiJson(
        feedback::act(&state, caller.require()?, &id, input).await?,
    ))
}

/// A rating by the submitter.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RateInput {
    /// 1 (very unsatisfied) to 5 (very satisfied).
    #[schema(minimum = 1, maximum = 5)]
    rating: i64,
    /// The private link's key, for a submitter without an account.
    #[serde(default)]
    #[schema(nullable = false)]
    key: Option<String>,
}

fn submitter<'a>(caller: &'a Caller, key: Option<&'a str>) -> ApiResult<Submitter<'a>> {
    match (key.filter(|k| !k.is_empty()), caller.user.as_ref()) {
        (Some(k), _) => Ok(Submitter::Key(k)),
        (None, Some(u)) => Ok(Submitter::Account(u)),
        (None, None) => Err(ApiError::new(
            Code::Unauthenticated,
            "Send the private link's `key`, or the API token of the account that submitted it.",
        )),
    }
}

/// The submitter rates a closed item, once.
#[utoipa::path(
    post,
    path = "/api/v1/feedback/{id}/rate",
    tag = "feedback",
    params(("id" = String, Path, description = "The feedback's id.")),
    request_body = RateInput,
    responses(
        (status = 200, description = "The rated feedback.", body = doc::FeedbackView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` (no key and no token) or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the submitter.", body = doc::ErrorBody),
        (status = 404, description = "`feedback_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`feedback_not_closed` or `already_rated`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: a rating outside 1–5.", body = doc::ErrorBody),
    ),
)]
async fn rate(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RateInput>,
) -> ApiResult<ApiJson<FeedbackView>> {
    let who = submitter(&caller, input.key.as_deref())?;
    Ok(ApiJson(
        feedback::rate(&state, who, &id, input.rating).await?,
    ))
}

/// A reopening by the submitter.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReopenInput {
    /// Why, 1 to 4,000 characters (published, with personal information masked).
    reason: String,
    /// The private link's key, for a submitter without an account.
    #[serde(default)]
    #[schema(nullable = false)]
    key: Option<String>,
}

/// The submitter reopens a closed item with a reason: once, within 30 days of its closing.
#[utoipa::path(
    post,
    path = "/api/v1/feedback/{id}/reopen",
    tag = "feedback",
    params(("id" = String, Path, description = "The feedback's id.")),
    request_body = ReopenInput,
    responses(
        (status = 200, description = "The reopened feedback.", body = doc::FeedbackView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the submitter.", body = doc::ErrorBody),
        (status = 404, description = "`feedback_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`reopen_not_allowed`: not closed, reopened already, or closed more than 30 days ago.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: no reason.", body = doc::ErrorBody),
    ),
)]
async fn reopen(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReopenInput>,
) -> ApiResult<ApiJson<FeedbackView>> {
    let who = submitter(&caller, input.key.as_deref())?;
    Ok(ApiJson(
        feedback::reopen(&state, who, &id, &input.reason).await?,
    ))
}

/// The private contact details, for staff of the handling department; every read is logged.
#[utoipa::path(
    get,
    path = "/api/v1/feedback/{id}/contact",
    tag = "feedback",
    params(("id" = String, Path, description = "The feedback's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The contact details (`null` when none were given).", body = doc::ContactAnswer),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not staff of the handling department.", body = doc::ErrorBody),
        (status = 404, description = "`feedback_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn contact(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Value>> {
    let c = feedback::contact(&state, caller.require()?, &id, caller.client).await?;
    Ok(ApiJson(json!({ "contact": c })))
}

/// Which image to send.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PhotoQuery {
    /// `true` for the thumbnail (a JPEG of at most 320 pixels a side).
    #[param(value_type = Option<bool>)]
    thumbnail: Option<String>,
}

/// A photo of an item, re-encoded without metadata.
#[utoipa::path(
    get,
    path = "/api/v1/feedback/{id}/photos/{photo}",
    tag = "feedback",
    params(
        ("id" = String, Path, description = "The feedback's id."),
        ("photo" = String, Path, description = "The photo's id."),
        PhotoQuery,
    ),
    responses(
        (status = 200, description = "The image.", content(
            (doc::Binary = "image/jpeg"),
            (doc::Binary = "image/png"),
        )),
        (status = 400, description = "`bad_request`.", body = doc::ErrorBody),
        (status = 404, description = "`not_found`.", body = doc::ErrorBody),
    ),
)]
async fn photo(
    State(state): State<SharedState>,
    Path((id, photo_id)): Path<(String, String)>,
    query: Result<Query<PhotoQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(bad_params)?;
    let thumbnail = flag("thumbnail", q.thumbnail.as_deref())?;
    image_response(&state, &id, &photo_id, thumbnail).await
}

/// A photo or thumbnail file as a response, cached for a day (photos never change).
pub(crate) async fn image_response(
    state: &SharedState,
    id: &str,
    photo_id: &str,
    thumbnail: bool,
) -> ApiResult<Response> {
    let (bytes, media_type) = feedback::photo(state, id, photo_id, thumbnail).await?;
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}

/// The services feedback can be about, by group.
#[utoipa::path(
    get,
    path = "/api/v1/feedback/services",
    tag = "feedback",
    responses(
        (status = 200, description = "The services.", body = doc::ServiceList),
    ),
)]
async fn services(State(state): State<SharedState>) -> ApiResult<ApiJson<Value>> {
    let list = feedback::services(&state, false).await?;
    Ok(ApiJson(json!({ "services": list })))
}

/// Creates or replaces a service: the data authority only.
#[utoipa::path(
    post,
    path = "/api/v1/feedback/services",
    tag = "feedback",
    request_body = doc::ServiceInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The service as saved.", body = doc::ServiceView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the authority.", body = doc::ErrorBody),
        (status = 404, description = "`organization_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: a bad code, name or attribute definition.", body = doc::ErrorBody),
    ),
)]
async fn save_service(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<ServiceInput>,
) -> ApiResult<ApiJson<ServiceView>> {
    Ok(ApiJson(
        feedback::save_service(&state, caller.require()?, input).await?,
    ))
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

/// The published statistics per service and department: volume, median hours to the first
/// answer and to resolution, resolution rate, mean satisfaction, overdue count, and the
/// monthly trend.
#[utoipa::path(
    get,
    path = "/api/v1/feedback/stats",
    tag = "feedback",
    params(StatsQuery),
    responses(
        (status = 200, description = "The statistics; CSV and XLSX as attachments.",
            content(
                (doc::FeedbackStats = "application/json"),
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
    let s = feedback::stats(&state).await?;
    if format == TableFormat::Json {
        return Ok(ApiJson(s).into_response());
    }
    let (headings, rows) = feedback::stats_table(&s);
    table_file(format, "诉求反馈统计", "feedback-stats", &headings, &rows)
}
