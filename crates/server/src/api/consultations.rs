//! Policy consultations (C11) over [`app::consultations`]: drafts, comments with stances, their
//! support, moderation and answers, the result and its statistics; and the enterprise
//! attributes the statistics count by.

use super::json::ApiJson;
use super::params::bad_params;
use super::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::SharedState;
use crate::tables::{table_file, table_format, TableFormat};
use crate::upload::stage_multipart;
use app::consultations::{
    self, AnswerInput, CommentInput, CommentView, ConsultationDetail, ConsultationInput,
    ConsultationPage, ConsultationView,
};
use app::Code;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use model::consultation::{EnterpriseSize, Ownership, Stance};
use serde::Deserialize;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/consultations", get(list).post(create))
        .route("/api/v1/consultations/{id}", get(show))
        .route("/api/v1/consultations/{id}/comments", post(comment))
        .route("/api/v1/consultations/{id}/stats", get(stats))
        .route("/api/v1/consultations/{id}/result", post(result))
        .route("/api/v1/consultations/{id}/attachments", post(attach))
        .route(
            "/api/v1/consultations/{id}/attachments/{attachment}",
            get(attachment),
        )
        .route(
            "/api/v1/consultation-comments/{id}",
            put(edit).delete(withdraw),
        )
        .route("/api/v1/consultation-comments/{id}/support", post(support))
        .route("/api/v1/consultation-comments/{id}/hide", post(hide))
        .route("/api/v1/consultation-comments/{id}/answer", post(answer))
        .route(
            "/api/v1/organizations/{name}/enterprise",
            put(enterprise_profile),
        )
}

/// A page of consultations.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Consultations to skip.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// Consultations per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// Lists consultations, latest opening first, with their phase and whether answers are
/// overdue.
#[utoipa::path(
    get,
    path = "/api/v1/consultations",
    tag = "consultations",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of consultations.", body = doc::ConsultationPage),
        (status = 400, description = "`bad_request`.", body = doc::ErrorBody),
    ),
)]
async fn list(
    State(state): State<SharedState>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<ConsultationPage>> {
    let Query(q) = query.map_err(bad_params)?;
    Ok(ApiJson(
        consultations::list(&state, q.offset.unwrap_or(0), q.limit.unwrap_or(20)).await?,
    ))
}

/// Publishes a draft for consultation (department staff, for their department).
#[utoipa::path(
    post,
    path = "/api/v1/consultations",
    tag = "consultations",
    request_body = doc::ConsultationInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The consultation.", body = doc::ConsultationView),
        (status = 400, description = "`invalid_json`, `unknown_field` or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: only department staff publish drafts.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` (dates, articles, lengths, a short period without a reason) or `personal_information`.", body = doc::ErrorBody),
    ),
)]
async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<ConsultationInput>,
) -> ApiResult<(StatusCode, ApiJson<ConsultationView>)> {
    let user = caller.require()?;
    let c = consultations::publish(&state, user, input).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(consultations::view(&state, c).await?),
    ))
}

/// A consultation with its articles and its comments (hidden and withdrawn ones without text).
#[utoipa::path(
    get,
    path = "/api/v1/consultations/{id}",
    tag = "consultations",
    params(("id" = String, Path, description = "The consultation's id.")),
    responses(
        (status = 200, description = "The consultation.", body = doc::ConsultationDetail),
        (status = 404, description = "`consultation_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<ConsultationDetail>> {
    Ok(ApiJson(
        consultations::detail(&state, &id, caller.user.as_ref()).await?,
    ))
}

/// Comments on the draft or one article while the consultation is open.
#[utoipa::path(
    post,
    path = "/api/v1/consultations/{id}/comments",
    tag = "consultations",
    params(("id" = String, Path, description = "The consultation's id.")),
    request_body = doc::CommentInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The comment.", body = doc::CommentView),
        (status = 400, description = "`invalid_json`, `unknown_field` or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: an enterprises-only consultation.", body = doc::ErrorBody),
        (status = 404, description = "`consultation_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`consultation_not_open`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` (no such article, length) or `personal_information`.", body = doc::ErrorBody),
    ),
)]
async fn comment(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> ApiResult<(StatusCode, ApiJson<CommentView>)> {
    let user = caller.require()?;
    let c = consultations::comment(&state, user, &id, input).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(consultations::comment_view(&state, c, Some(user)).await?),
    ))
}

/// The format of the statistics.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StatsQuery {
    /// `json` (default): the statistics; `csv` or `xlsx`: every comment with its answer.
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
}

/// The statistics of a consultation (comments by article and stance, participants by kind,
/// adoption), or every comment with its answer as CSV or XLSX.
#[utoipa::path(
    get,
    path = "/api/v1/consultations/{id}/stats",
    tag = "consultations",
    params(("id" = String, Path, description = "The consultation's id."), StatsQuery),
    responses(
        (status = 200, description = "The statistics; the comments as CSV or XLSX attachments.",
            content(
                (doc::ConsultationStats = "application/json"),
                (String = "text/csv; charset=utf-8"),
                (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
        ),
        (status = 400, description = "`bad_request`: an unknown format or parameter.", body = doc::ErrorBody),
        (status = 404, description = "`consultation_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn stats(
    State(state): State<SharedState>,
    Path(id): Path<String>,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(bad_params)?;
    let format = table_format(q.format.as_deref())?;
    if format == TableFormat::Json {
        return Ok(ApiJson(consultations::stats(&state, &id).await?).into_response());
    }
    let (headings, rows) = consultations::comments_table(&state, &id, "zh").await?;
    table_file(
        format,
        "意见与反馈",
        "consultation-comments",
        &headings,
        &rows,
    )
}

/// Attaches a PDF to a draft before its close (the department's staff); the file is checked by
/// its content, at most 10 MiB, at most 10 per draft.
#[utoipa::path(
    post,
    path = "/api/v1/consultations/{id}/attachments",
    tag = "consultations",
    params(("id" = String, Path, description = "The consultation's id.")),
    request_body(content = doc::UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The attachment.", body = doc::ConsultationAttachment),
        (status = 400, description = "`bad_request` (not multipart form data) or `missing_file`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`consultation_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`consultation_not_open`: closed already.", body = doc::ErrorBody),
        (status = 413, description = "`file_too_large`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: not a PDF, over 10 MiB, or one too many.", body = doc::ErrorBody),
    ),
)]
async fn attach(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, ApiJson<store::ConsultationAttachment>)> {
    let user = caller.require()?;
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            Code::BadRequest,
            format!(
                "Send the file as multipart form data with a field named `file`: {}.",
                e.body_text()
            ),
        )
    })?;
    let (staged, _) = stage_multipart(&state, &mut multipart).await?;
    let (staged, name) = staged.ok_or_else(|| {
        ApiError::new(
            Code::MissingFile,
            "Attach the PDF as a multipart form field named `file`.",
        )
    })?;
    let a = consultations::add_attachment(&state, user, &id, &name, staged.path()).await?;
    Ok((StatusCode::CREATED, ApiJson(a)))
}

/// Downloads an attachment.
#[utoipa::path(
    get,
    path = "/api/v1/consultations/{id}/attachments/{attachment}",
    tag = "consultations",
    params(
        ("id" = String, Path, description = "The consultation's id."),
        ("attachment" = String, Path, description = "The attachment's id."),
    ),
    responses(
        (status = 200, description = "The PDF.", content((doc::Binary = "application/pdf"))),
        (status = 404, description = "`consultation_not_found` or `not_found`.", body = doc::ErrorBody),
    ),
)]
async fn attachment(
    State(state): State<SharedState>,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (a, bytes) = consultations::attachment(&state, &id, &attachment).await?;
    Ok(pdf_response(&a.name, bytes.to_vec()))
}

/// A PDF sent as an attachment under its uploaded name (RFC 6266 with a UTF-8 name).
pub fn pdf_response(name: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // RFC 5987 percent-encoding: spaces as %20 (a literal + is already %2B).
    let encoded = form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The result's summary.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ResultInput {
    /// What the department concluded, at most 10,000 characters.
    #[serde(default)]
    summary: String,
}

/// Publishes the result, once every visible comment has an answer (the department's staff).
#[utoipa::path(
    post,
    path = "/api/v1/consultations/{id}/result",
    tag = "consultations",
    params(("id" = String, Path, description = "The consultation's id.")),
    request_body = ResultInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The consultation with its result.", body = doc::ConsultationView),
        (status = 400, description = "`invalid_json`, `unknown_field` or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`consultation_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`consultation_not_closed`, `unanswered_comments`, or `already_decided` (published already).", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` or `personal_information`.", body = doc::ErrorBody),
    ),
)]
async fn result(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResultInput>,
) -> ApiResult<ApiJson<ConsultationView>> {
    let user = caller.require()?;
    let c = consultations::publish_result(&state, user, &id, &input.summary).await?;
    Ok(ApiJson(consultations::view(&state, c).await?))
}

/// A comment's new stance and text.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EditInput {
    #[schema(value_type = doc::Stance)]
    stance: Stance,
    /// At most 4,000 characters.
    body: String,
}

/// The author edits their comment until the close.
#[utoipa::path(
    put,
    path = "/api/v1/consultation-comments/{id}",
    tag = "consultations",
    params(("id" = String, Path, description = "The comment's id.")),
    request_body = EditInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The comment.", body = doc::CommentView),
        (status = 400, description = "`invalid_json`, `unknown_field` or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the author.", body = doc::ErrorBody),
        (status = 404, description = "`comment_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`consultation_not_open` or `already_decided`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` or `personal_information`.", body = doc::ErrorBody),
    ),
)]
async fn edit(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EditInput>,
) -> ApiResult<ApiJson<CommentView>> {
    let user = caller.require()?;
    let c = consultations::edit_comment(&state, user, &id, input.stance, &input.body).await?;
    Ok(ApiJson(
        consultations::comment_view(&state, c, Some(user)).await?,
    ))
}

/// The author withdraws their comment until the close.
#[utoipa::path(
    delete,
    path = "/api/v1/consultation-comments/{id}",
    tag = "consultations",
    params(("id" = String, Path, description = "The comment's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The withdrawn comment.", body = doc::CommentView),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the author.", body = doc::ErrorBody),
        (status = 404, description = "`comment_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`consultation_not_open` or `already_decided`.", body = doc::ErrorBody),
    ),
)]
async fn withdraw(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<CommentView>> {
    let user = caller.require()?;
    let c = consultations::withdraw_comment(&state, user, &id).await?;
    Ok(ApiJson(
        consultations::comment_view(&state, c, Some(user)).await?,
    ))
}

/// Supports someone else's comment, once, while the consultation is open.
#[utoipa::path(
    post,
    path = "/api/v1/consultation-comments/{id}/support",
    tag = "consultations",
    params(("id" = String, Path, description = "The comment's id.")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The comment.", body = doc::CommentView),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: an enterprises-only consultation.", body = doc::ErrorBody),
        (status = 404, description = "`comment_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_supported`, `consultation_not_open` or `already_decided`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: one's own comment.", body = doc::ErrorBody),
    ),
)]
async fn support(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<CommentView>> {
    let user = caller.require()?;
    let c = consultations::support_comment(&state, user, &id).await?;
    Ok(ApiJson(
        consultations::comment_view(&state, c, Some(user)).await?,
    ))
}

/// Why a comment is hidden.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct HideInput {
    /// Shown publicly in the comment's place.
    reason: String,
}

/// Hides a comment with a public reason (the department's staff or the authority).
#[utoipa::path(
    post,
    path = "/api/v1/consultation-comments/{id}/hide",
    tag = "consultations",
    params(("id" = String, Path, description = "The comment's id.")),
    request_body = HideInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The hidden comment.", body = doc::CommentView),
        (status = 400, description = "`invalid_json`, `unknown_field` or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`comment_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`: hidden already.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` or `personal_information`.", body = doc::ErrorBody),
    ),
)]
async fn hide(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<HideInput>,
) -> ApiResult<ApiJson<CommentView>> {
    let user = caller.require()?;
    let c = consultations::hide_comment(&state, user, &id, &input.reason).await?;
    Ok(ApiJson(
        consultations::comment_view(&state, c, Some(user)).await?,
    ))
}

/// The department answers a comment after the close, once; not adopting needs a reason.
#[utoipa::path(
    post,
    path = "/api/v1/consultation-comments/{id}/answer",
    tag = "consultations",
    params(("id" = String, Path, description = "The comment's id.")),
    request_body = doc::CommentAnswerInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The answered comment.", body = doc::CommentView),
        (status = 400, description = "`invalid_json`, `unknown_field` or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`comment_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`consultation_not_closed` or `already_decided` (answered already).", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` (no reason for not adopting) or `personal_information`.", body = doc::ErrorBody),
    ),
)]
async fn answer(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> ApiResult<ApiJson<CommentView>> {
    let user = caller.require()?;
    let c = consultations::answer_comment(&state, user, &id, input).await?;
    Ok(ApiJson(
        consultations::comment_view(&state, c, Some(user)).await?,
    ))
}

/// An enterprise's attributes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ProfileInput {
    #[serde(default)]
    #[schema(value_type = Option<doc::Ownership>)]
    ownership: Option<Ownership>,
    #[serde(default)]
    #[schema(value_type = Option<doc::EnterpriseSize>)]
    size: Option<EnterpriseSize>,
    /// At most 100 characters.
    #[serde(default)]
    industry: Option<String>,
}

/// Records an enterprise's ownership, size and industry (the authority).
#[utoipa::path(
    put,
    path = "/api/v1/organizations/{name}/enterprise",
    tag = "accounts",
    params(("name" = String, Path, description = "The enterprise's slug.")),
    request_body = ProfileInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The organization.", body = doc::Organization),
        (status = 400, description = "`invalid_json`, `unknown_field` or `bad_request`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: the authority only.", body = doc::ErrorBody),
        (status = 404, description = "`organization_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: not an enterprise, or too long.", body = doc::ErrorBody),
    ),
)]
async fn enterprise_profile(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(input): ApiJson<ProfileInput>,
) -> ApiResult<ApiJson<store::Organization>> {
    let user = caller.require()?;
    Ok(ApiJson(
        consultations::set_enterprise_profile(
            &state,
            user,
            &name,
            input.ownership,
            input.size,
            input.industry,
        )
        .await?,
    ))
}
