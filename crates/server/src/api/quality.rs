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
    Router::new().route("/api/v1/datasets/{name}/quality", get(show))
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
