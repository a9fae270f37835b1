//! Interoperability (DESIGN.md C14): the CKAN Action API, DCAT-AP, Frictionless, the opening
//! list. All of them describe the same thing, a dataset's public record, which [`Record`] loads
//! once; data they serve goes through [`crate::dataservice`] like any other path.

pub mod ckan;
pub mod exports;
pub mod index;
pub mod opening_list;

use crate::api::ApiJson;
use crate::error::ApiResult;
use crate::state::SharedState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use store::{Dataset, DynStore, Organization, Resource, Version};

/// The interoperability routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .merge(ckan::router())
        .route("/api/v1/opening-list", get(opening_list))
        .route("/catalog.ttl", get(exports::catalog_ttl))
        .route("/catalog.jsonld", get(exports::catalog_jsonld))
        .route(
            "/dataset/{name}/datapackage.json",
            get(exports::datapackage),
        )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FormatParam {
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
                (crate::api::openapi::OpeningList = "application/json"),
                (String = "text/csv; charset=utf-8"),
                (crate::api::openapi::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
        ),
        (status = 400, description = "`bad_request`: an unknown format or parameter.", body = crate::api::openapi::ErrorBody),
    ),
)]
async fn opening_list(
    State(state): State<SharedState>,
    params: Result<Query<FormatParam>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(p) = params.map_err(|e| {
        crate::error::ApiError::new(
            crate::error::Code::BadRequest,
            format!("Invalid parameters: {}.", e.body_text()),
        )
    })?;
    let format = opening_list::format(p.format.as_deref())?;
    let rows = opening_list::rows(&state).await?;
    let attachment = |ext: &str| format!("attachment; filename=\"opening-list.{ext}\"");
    Ok(match format {
        "csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, attachment("csv")),
            ],
            opening_list::csv(&rows)?,
        )
            .into_response(),
        "xlsx" => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (header::CONTENT_DISPOSITION, attachment("xlsx")),
            ],
            opening_list::xlsx(&rows)?,
        )
            .into_response(),
        _ => ApiJson(serde_json::json!({"count": rows.len(), "datasets": rows})).into_response(),
    })
}

/// Every dataset of the catalog, in the store's listing order, read page by page.
pub async fn all_datasets(store: &DynStore) -> store::Result<Vec<Dataset>> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let (page, total) = store
            .list_datasets(&store::DatasetFilter {
                limit: 500,
                offset,
                ..Default::default()
            })
            .await?;
        let n = page.len() as i64;
        out.extend(page);
        offset += n;
        if n == 0 || offset >= total {
            return Ok(out);
        }
    }
}

/// A dataset's public record: the dataset, its organization, and each resource with its latest
/// version.
#[derive(Debug, Clone)]
pub struct Record {
    /// The dataset.
    pub dataset: Dataset,
    /// Its organization.
    pub org: Organization,
    /// Resources, oldest first, each with its latest version if it has one.
    pub resources: Vec<(Resource, Option<Version>)>,
}

impl Record {
    /// Loads the record of a dataset.
    pub async fn load(store: &DynStore, dataset: Dataset) -> ApiResult<Record> {
        let org = store.get_org(&dataset.org_id).await?;
        let mut resources = Vec::new();
        for r in store.list_resources(&dataset.id).await? {
            let latest = store.list_versions(&r.id).await?.into_iter().next();
            resources.push((r, latest));
        }
        Ok(Record {
            dataset,
            org,
            resources,
        })
    }

    /// The upload formats of the latest versions (CSV, XLSX, …), without repeats.
    pub fn formats(&self) -> Vec<String> {
        let mut formats: Vec<String> = self
            .resources
            .iter()
            .filter_map(|(_, v)| v.as_ref())
            .map(|v| v.source_format.to_uppercase())
            .collect();
        formats.sort();
        formats.dedup();
        formats
    }
}
