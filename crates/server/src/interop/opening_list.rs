//! The opening list (开放清单, C1) over HTTP: JSON, CSV or XLSX.

use crate::api::json::ApiJson;
use crate::api::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;
use crate::tables::{attachment, table_format, TableFormat};
use app::opening_list;
use app::Code;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The parameters of the list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `json` (default), `csv` or `xlsx`.
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
}

/// The opening list (开放清单): every dataset with its opening type, conditions of use and
/// update frequency.
#[utoipa::path(
    get,
    path = "/api/v1/opening-list",
    tag = "catalog",
    params(FormatParam),
    responses(
        (status = 200, description = "The list; CSV and XLSX as attachments.",
            content(
                (doc::OpeningList = "application/json"),
                (String = "text/csv; charset=utf-8"),
                (doc::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
        ),
        (status = 400, description = "`bad_request`: an unknown format or parameter.", body = doc::ErrorBody),
    ),
)]
pub async fn opening_list(
    State(state): State<SharedState>,
    params: Result<Query<FormatParam>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = params.map_err(|e| {
        ApiError::new(
            Code::BadRequest,
            format!("Invalid parameters: {}.", e.body_text()),
        )
    })?;
    let format = table_format(p.format.as_deref())?;
    let rows = opening_list::rows(&state).await?;
    Ok(match format {
        TableFormat::Csv => attachment(format, "opening-list", opening_list::csv(&rows)?),
        TableFormat::Xlsx => attachment(format, "opening-list", opening_list::xlsx(&rows)?),
        TableFormat::Json => {
            ApiJson(serde_json::json!({"count": rows.len(), "datasets": rows})).into_response()
        }
    })
}
