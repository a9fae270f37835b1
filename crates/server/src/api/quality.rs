//! Data quality (C9) in the JSON API, over [`app::quality`].

use super::json::ApiJson;
use super::schemas as doc;
use crate::error::ApiResult;
use crate::state::SharedState;
use app::catalog::load_dataset;
use app::quality::{self, QualityView};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/datasets/{name}/quality", get(show))
        .route("/api/v1/datasets/{name}/usage", get(usage))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UsageQuery {
    /// A month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`); the current month by default.
    period: Option<String>,
}

/// How a dataset was used in a period: previews, queries, downloads and the rows they
/// delivered, applications, grants issued, results reported and demands fulfilled, counted from
/// the access log's public leaves and the reported results; public.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/usage",
    tag = "datasets",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops"), UsageQuery),
    responses(
        (status = 200, description = "The usage.", body = doc::DatasetUsage),
        (status = 400, description = "`bad_request`: an unknown parameter.", body = doc::ErrorBody),
        (status = 401, description = "`invalid_token`: a token was sent but is not valid.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: the period is not valid.", body = doc::ErrorBody),
    ),
)]
async fn usage(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    query: Result<axum::extract::Query<UsageQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<app::contribution::DatasetUsage>> {
    let axum::extract::Query(q) = query.map_err(super::params::bad_params)?;
    let dataset = load_dataset(&state, &name).await?;
    let period = app::contribution::parse_period(q.period.as_deref().unwrap_or(""))?;
    Ok(ApiJson(
        app::contribution::dataset_usage(&state, &dataset, period).await?,
    ))
}

/// A dataset's quality score now, its letter, each dimension, what costs points (most first)
/// and every measured version's score; public. The formula is documented at `/quality`.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/quality",
    tag = "datasets",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops")),
    responses(
        (status = 200, description = "The quality.", body = doc::QualityView),
        (status = 401, description = "`invalid_token`: a token was sent but is not valid.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> ApiResult<ApiJson<QualityView>> {
    let dataset = load_dataset(&state, &name).await?;
    Ok(ApiJson(quality::view(&state, &dataset).await?))
}
