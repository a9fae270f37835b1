//! The contribution index and the incentive reports (C9) in the JSON API, over
//! [`app::contribution`].

use super::json::ApiJson;
use super::params::bad_params;
use super::schemas as doc;
use crate::error::ApiResult;
use crate::extract::Caller;
use crate::state::SharedState;
use crate::tables::{attachment, table_format, TableFormat};
use app::contribution::{self, Group};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use store::IncentiveReport;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/contribution", get(index))
        .route("/api/v1/incentive-reports", get(reports).post(publish))
        .route("/api/v1/incentive-reports/{id}", get(report))
        .route("/api/v1/incentive-reports/{id}/report.csv", get(report_csv))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct IndexQuery {
    /// A month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`); the current month by default.
    period: Option<String>,
    /// `enterprise` (default) or `department`: the two are ranked separately.
    #[param(pattern = "^(enterprise|department)$")]
    kind: Option<String>,
    /// `json` (default), `csv` or `xlsx` (the incentive report's table).
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
}

/// The contribution index of every enterprise (or department) for a period, ranked; public.
/// The formula is published at `/contribution/formula`.
#[utoipa::path(
    get,
    path = "/api/v1/contribution",
    tag = "contribution",
    params(IndexQuery),
    responses(
        (status = 200, description = "The ranked index; CSV and XLSX as attachments.",
            content(
                (doc::Leaderboard = "application/json"),
                (String = "text/csv; charset=utf-8"),
                (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
        ),
        (status = 400, description = "`bad_request`: an unknown format or parameter.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: the period or kind is not valid.", body = doc::ErrorBody),
    ),
)]
async fn index(
    State(state): State<SharedState>,
    query: Result<Query<IndexQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query.map_err(bad_params)?;
    let format = table_format(q.format.as_deref())?;
    let period = contribution::parse_period(q.period.as_deref().unwrap_or(""))?;
    let group = Group::parse(q.kind.as_deref().unwrap_or(""))?;
    let board = contribution::compute(&state, period, group).await?;
    let stem = format!("contribution-{}-{}", group.code(), board.period);
    Ok(match format {
        TableFormat::Json => ApiJson(board).into_response(),
        TableFormat::Csv => attachment(format, &stem, contribution::report_csv(&board)?),
        TableFormat::Xlsx => attachment(format, &stem, contribution::report_xlsx(&board)?),
    })
}

/// The published incentive reports, newest first; public.
#[utoipa::path(
    get,
    path = "/api/v1/incentive-reports",
    tag = "contribution",
    responses(
        (status = 200, description = "The reports.", body = Vec<doc::IncentiveReport>),
        (status = 401, description = "`invalid_token`: a token was sent but is not valid.", body = doc::ErrorBody),
    ),
)]
async fn reports(State(state): State<SharedState>) -> ApiResult<ApiJson<Vec<IncentiveReport>>> {
    Ok(ApiJson(contribution::reports(&state).await?))
}

/// What to publish.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    /// A finished month, quarter or year: `2026-11`, `2026-Q3`, `2025`.
    period: String,
    /// `enterprise` or `department`.
    kind: String,
}

/// Publishes the incentive report of a finished period (the data authority): the CSV is kept
/// exactly and its SHA-256 becomes a leaf of the access log; once per period and kind.
#[utoipa::path(
    post,
    path = "/api/v1/incentive-reports",
    tag = "contribution",
    request_body = PublishInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The published report.", body = doc::IncentiveReport),
        (status = 400, description = "`invalid_json` or `unknown_field`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not the data authority.", body = doc::ErrorBody),
        (status = 409, description = "`already_decided`: that period and kind were published.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: the period is not valid or not over.", body = doc::ErrorBody),
    ),
)]
async fn publish(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<PublishInput>,
) -> ApiResult<(StatusCode, ApiJson<IncentiveReport>)> {
    let user = caller.require()?;
    let report = contribution::publish(&state, user, &input.period, &input.kind).await?;
    Ok((StatusCode::CREATED, ApiJson(report)))
}

/// A published report's record: its period, kind, SHA-256 and leaf index; public.
#[utoipa::path(
    get,
    path = "/api/v1/incentive-reports/{id}",
    tag = "contribution",
    params(("id" = String, Path, description = "The report's id.")),
    responses(
        (status = 200, description = "The report.", body = doc::IncentiveReport),
        (status = 401, description = "`invalid_token`: a token was sent but is not valid.", body = doc::ErrorBody),
        (status = 404, description = "`not_found`.", body = doc::ErrorBody),
    ),
)]
async fn report(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<IncentiveReport>> {
    Ok(ApiJson(contribution::report(&state, &id).await?))
}

/// A published report's CSV exactly as published (its SHA-256 is the one in the log); public.
#[utoipa::path(
    get,
    path = "/api/v1/incentive-reports/{id}/report.csv",
    tag = "contribution",
    params(("id" = String, Path, description = "The report's id.")),
    responses(
        (status = 200, description = "The CSV.", content_type = "text/csv; charset=utf-8", body = String),
        (status = 401, description = "`invalid_token`: a token was sent but is not valid.", body = doc::ErrorBody),
        (status = 404, description = "`not_found`.", body = doc::ErrorBody),
    ),
)]
async fn report_csv(
    State(state): State<SharedState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let r = contribution::report(&state, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"incentive-{}-{}.csv\"",
                    r.kind, r.period
                ),
            ),
        ],
        r.body,
    )
        .into_response())
}
