//! Datasets, resources, versions (uploads) and column grades.

use super::json::ApiJson;
use super::schemas as doc;
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::state::SharedState;
use crate::upload::stage_multipart;
use app::catalog::{self, load_dataset as load, ChangeOutcome, DatasetInput};
use app::clock::now_ms;
use app::views::{self, dataset_view, DatasetView, VersionSummary};
use app::Code;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::Router;
use model::classification::{Grade, OpeningType};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/datasets", get(list).post(create))
        .route(
            "/api/v1/datasets/{name}",
            get(show).patch(update).delete(remove),
        )
        .route(
            "/api/v1/datasets/{name}/opening-type",
            put(set_opening_type),
        )
        .route(
            "/api/v1/datasets/{name}/resources/{resource}/versions",
            post(upload)
                .layer(DefaultBodyLimit::disable())
                .get(list_versions),
        )
        .route(
            "/api/v1/datasets/{name}/resources/{resource}",
            delete(remove_resource),
        )
        .route(
            "/api/v1/datasets/{name}/resources/{resource}/columns/{column}/grade",
            put(set_column_grade),
        )
        .route(
            "/api/v1/datasets/{name}/resources/{resource}/dictionary",
            get(dictionary).put(set_dictionary),
        )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this organization's datasets (its slug).
    organization: Option<String>,
    /// Only datasets of this opening type.
    #[param(value_type = Option<doc::OpeningType>)]
    opening_type: Option<String>,
    /// Datasets to skip.
    #[serde(default)]
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// Datasets per page, 1 to 1000 (default 20).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Lists datasets, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/datasets",
    tag = "datasets",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of datasets.", body = doc::DatasetList),
        (status = 400, description = "`bad_request`: a parameter is malformed or out of range.", body = doc::ErrorBody),
        (status = 404, description = "`organization_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn list(
    State(state): State<SharedState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<ApiJson<catalog::DatasetPage>> {
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            Code::BadRequest,
            format!("Invalid query parameters: {}.", e.body_text()),
        )
    })?;
    let opening_type = q
        .opening_type
        .as_deref()
        .map(|s| s.parse::<OpeningType>())
        .transpose()
        .map_err(|e| ApiError::new(Code::BadRequest, format!("{e}.")))?;
    let page = catalog::list_datasets(
        &state,
        q.organization.as_deref(),
        opening_type,
        q.offset.unwrap_or(0),
        q.limit.unwrap_or(20),
    )
    .await?;
    Ok(ApiJson(page))
}

/// A dataset with its organization, resources, versions and columns, as the caller may see it.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}",
    tag = "datasets",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The dataset.", body = doc::DatasetView),
        (status = 401, description = "`invalid_token`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn show(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<ApiJson<DatasetView>> {
    let dataset = load(&state, &name).await?;
    Ok(ApiJson(
        dataset_view(&state, dataset, caller.user.as_ref()).await?,
    ))
}

/// Creates a dataset (C1 fields); publishers create in their own organization.
#[utoipa::path(
    post,
    path = "/api/v1/datasets",
    tag = "datasets",
    request_body = doc::NewDataset,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new dataset.", body = doc::DatasetView),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`: not a publisher of that organization.", body = doc::ErrorBody),
        (status = 404, description = "`organization_not_found`.", body = doc::ErrorBody),
        (status = 409, description = "`name_taken`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` or `invalid_name`.", body = doc::ErrorBody),
    ),
)]
async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ApiJson(input): ApiJson<DatasetInput>,
) -> ApiResult<(StatusCode, ApiJson<DatasetView>)> {
    let user = caller.require()?;
    let dataset = catalog::create_dataset(&state, user, input, now_ms()).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(dataset_view(&state, dataset, Some(user)).await?),
    ))
}

/// An updated dataset and what happened to a requested opening type.
#[derive(Serialize)]
struct Updated {
    dataset: DatasetView,
    #[serde(flatten)]
    outcome: ChangeOutcome,
}

/// Updates a dataset's metadata; a looser opening type becomes a request (give `reason`).
#[utoipa::path(
    patch,
    path = "/api/v1/datasets/{name}",
    tag = "datasets",
    params(("name" = String, Path, description = "The dataset's slug.")),
    request_body = doc::DatasetPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The dataset after the update.", body = doc::Updated),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` or `opening_type_not_allowed`.", body = doc::ErrorBody),
    ),
)]
async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(input): ApiJson<Value>,
) -> ApiResult<ApiJson<Updated>> {
    let user = caller.require()?;
    let dataset = load(&state, &name).await?;
    // serde's deny_unknown_fields does not work through `flatten`: split `reason` off by hand.
    let mut input = input;
    let reason = input
        .as_object_mut()
        .and_then(|o| o.remove("reason"))
        .and_then(|r| r.as_str().map(str::to_string))
        .unwrap_or_default();
    let fields: DatasetInput = serde_json::from_value(input).map_err(|e| {
        let msg = e.to_string();
        let code = if msg.contains("unknown field") {
            Code::UnknownField
        } else {
            Code::InvalidField
        };
        ApiError::new(
            code,
            format!("The request body is not a valid dataset update: {msg}."),
        )
    })?;
    let (dataset, outcome) =
        catalog::update_dataset(&state, user, dataset, fields, &reason, now_ms()).await?;
    Ok(ApiJson(Updated {
        dataset: dataset_view(&state, dataset, Some(user)).await?,
        outcome,
    }))
}

/// Deletes a dataset with its versions.
#[utoipa::path(
    delete,
    path = "/api/v1/datasets/{name}",
    tag = "datasets",
    params(("name" = String, Path, description = "The dataset's slug.")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn remove(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let user = caller.require()?;
    let dataset = load(&state, &name).await?;
    catalog::delete_dataset(&state, user, &dataset).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new opening type.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OpeningInput {
    #[schema(value_type = doc::OpeningType)]
    opening_type: OpeningType,
    /// Why; needed to loosen.
    #[serde(default)]
    reason: String,
}

/// Changes the opening type: stricter applies at once, looser files a request for the authority.
#[utoipa::path(
    put,
    path = "/api/v1/datasets/{name}/opening-type",
    tag = "datasets",
    params(("name" = String, Path, description = "The dataset's slug.")),
    request_body = OpeningInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Applied, or unchanged.", body = doc::ChangeOutcome),
        (status = 202, description = "Filed as a request for the authority.", body = doc::ChangeOutcome),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` (a looser type needs `reason`) or `opening_type_not_allowed`.", body = doc::ErrorBody),
    ),
)]
async fn set_opening_type(
    State(state): State<SharedState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(input): ApiJson<OpeningInput>,
) -> ApiResult<(StatusCode, ApiJson<ChangeOutcome>)> {
    let user = caller.require()?;
    let dataset = load(&state, &name).await?;
    let outcome = catalog::set_opening_type(
        &state,
        user,
        &dataset,
        input.opening_type,
        &input.reason,
        now_ms(),
    )
    .await?;
    Ok((outcome_status(&outcome), ApiJson(outcome)))
}

fn outcome_status(outcome: &ChangeOutcome) -> StatusCode {
    match outcome {
        ChangeOutcome::RequestFiled { .. } => StatusCode::ACCEPTED,
        _ => StatusCode::OK,
    }
}

/// A column's new grade.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct GradeInput {
    #[schema(value_type = doc::Grade)]
    grade: Grade,
    /// Why; needed to lower.
    #[serde(default)]
    reason: String,
}

/// Confirms or raises a column grade at once, or files a request to lower it.
#[utoipa::path(
    put,
    path = "/api/v1/datasets/{name}/resources/{resource}/columns/{column}/grade",
    tag = "datasets",
    params(
        ("name" = String, Path, description = "The dataset's slug."),
        ("resource" = String, Path, description = "The resource's name."),
        ("column" = String, Path, description = "The column's name."),
    ),
    request_body = GradeInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Applied, or unchanged.", body = doc::ChangeOutcome),
        (status = 202, description = "Filed as a request for the authority.", body = doc::ChangeOutcome),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found` or `resource_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: no such column, or lowering without `reason`.", body = doc::ErrorBody),
    ),
)]
async fn set_column_grade(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, resource, column)): Path<(String, String, String)>,
    ApiJson(input): ApiJson<GradeInput>,
) -> ApiResult<(StatusCode, ApiJson<ChangeOutcome>)> {
    let user = caller.require()?;
    let dataset = load(&state, &name).await?;
    let resource = catalog::find_resource(&state, &dataset, &resource).await?;
    let outcome = catalog::set_column_grade(
        &state,
        user,
        &dataset,
        &resource,
        &column,
        input.grade,
        &input.reason,
        now_ms(),
    )
    .await?;
    Ok((outcome_status(&outcome), ApiJson(outcome)))
}

/// The data dictionary of a resource: every column of its latest version with the publisher's
/// description and whether it is part of the key.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/resources/{resource}/dictionary",
    tag = "datasets",
    params(
        ("name" = String, Path, description = "The dataset's slug."),
        ("resource" = String, Path, description = "The resource's name."),
    ),
    responses(
        (status = 200, description = "The dictionary.", body = doc::Dictionary),
        (status = 404, description = "`dataset_not_found` or `resource_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn dictionary(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, resource)): Path<(String, String)>,
) -> ApiResult<ApiJson<app::dictionary::Dictionary>> {
    let dataset = load(&state, &name).await?;
    let resource = catalog::find_resource(&state, &dataset, &resource).await?;
    Ok(ApiJson(
        app::dictionary::of_resource(&state, caller.user.as_ref(), &dataset, &resource).await?,
    ))
}

/// A resource's new data dictionary.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DictionaryInput {
    /// The columns described or in the key; columns not listed are neither.
    #[schema(value_type = Vec<doc::ColumnNote>)]
    columns: Vec<model::dictionary::ColumnNote>,
}

/// Replaces the data dictionary of a resource (staff of the owning organization, or the
/// authority). Descriptions count in the metadata quality at once; the key is checked from the
/// next upload on.
#[utoipa::path(
    put,
    path = "/api/v1/datasets/{name}/resources/{resource}/dictionary",
    tag = "datasets",
    params(
        ("name" = String, Path, description = "The dataset's slug."),
        ("resource" = String, Path, description = "The resource's name."),
    ),
    request_body = DictionaryInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The dictionary as saved.", body = doc::Dictionary),
        (status = 400, description = "`invalid_json`, `unknown_field`, or `bad_request` (the body is not sent as JSON).", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found` or `resource_not_found`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field`: no version yet, an unknown or repeated column, a description too long, with control characters or personal information, or a key of more than 8 columns.", body = doc::ErrorBody),
    ),
)]
async fn set_dictionary(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, resource)): Path<(String, String)>,
    ApiJson(input): ApiJson<DictionaryInput>,
) -> ApiResult<ApiJson<app::dictionary::Dictionary>> {
    let user = caller.require()?;
    let dataset = load(&state, &name).await?;
    let resource = catalog::find_resource(&state, &dataset, &resource).await?;
    Ok(ApiJson(
        app::dictionary::set(&state, user, &dataset, &resource, &input.columns, now_ms()).await?,
    ))
}

/// Deletes a resource with its versions.
#[utoipa::path(
    delete,
    path = "/api/v1/datasets/{name}/resources/{resource}",
    tag = "datasets",
    params(
        ("name" = String, Path, description = "The dataset's slug."),
        ("resource" = String, Path, description = "The resource's name."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found` or `resource_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn remove_resource(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, resource)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let user = caller.require()?;
    let dataset = load(&state, &name).await?;
    let resource = catalog::find_resource(&state, &dataset, &resource).await?;
    catalog::delete_resource(&state, user, &dataset, &resource).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The versions of a resource, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}/resources/{resource}/versions",
    tag = "datasets",
    params(
        ("name" = String, Path, description = "The dataset's slug.", example = "bus-stops"),
        ("resource" = String, Path, description = "The resource's name.", example = "stops"),
    ),
    responses(
        (status = 200, description = "The versions.", body = doc::VersionList),
        (status = 404, description = "`dataset_not_found` or `resource_not_found`.", body = doc::ErrorBody),
    ),
)]
async fn list_versions(
    State(state): State<SharedState>,
    Path((name, resource)): Path<(String, String)>,
) -> ApiResult<ApiJson<Value>> {
    let dataset = load(&state, &name).await?;
    let resource = catalog::find_resource(&state, &dataset, &resource).await?;
    let versions = catalog::versions(&state, &resource).await?;
    let summaries: Vec<_> = versions.iter().map(VersionSummary::from).collect();
    Ok(ApiJson(json!({ "versions": summaries })))
}

/// Uploads a file (CSV, TSV, XLSX, XLS, JSON, NDJSON or Parquet) as a new version of a resource,
/// creating the resource on its first upload.
#[utoipa::path(
    post,
    path = "/api/v1/datasets/{name}/resources/{resource}/versions",
    tag = "datasets",
    params(
        ("name" = String, Path, description = "The dataset's slug."),
        ("resource" = String, Path, description = "The resource's name, 1 to 100 characters."),
    ),
    request_body(content = doc::UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new version with its columns and proposed grades.", body = doc::Published),
        (status = 400, description = "`bad_request` (not multipart form data) or `missing_file`.", body = doc::ErrorBody),
        (status = 401, description = "`unauthenticated` or `invalid_token`.", body = doc::ErrorBody),
        (status = 403, description = "`forbidden`.", body = doc::ErrorBody),
        (status = 404, description = "`dataset_not_found`.", body = doc::ErrorBody),
        (status = 413, description = "`file_too_large`.", body = doc::ErrorBody),
        (status = 422, description = "`invalid_field` (resource name), or the ingest's own code (`ragged_rows`, `unsupported_format`, …) with type `invalid_request`.", body = doc::ErrorBody),
    ),
)]
async fn upload(
    State(state): State<SharedState>,
    caller: Caller,
    Path((name, resource)): Path<(String, String)>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, ApiJson<views::Published>)> {
    let user = caller.require()?;
    // A request that is not multipart form data gets the API's error body, not axum's text.
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            Code::BadRequest,
            format!(
                "Send the file as multipart form data with a field named `file`: {}.",
                e.body_text()
            ),
        )
    })?;
    let dataset = load(&state, &name).await?;
    catalog::require_edit(user, &dataset)?;
    let (staged, _) = stage_multipart(&state, &mut multipart).await?;
    let (staged, file_name) = staged.ok_or_else(|| {
        ApiError::new(
            Code::MissingFile,
            "Attach the data as a multipart form field named `file`.",
        )
    })?;
    let (resource, version) = catalog::publish_upload(
        &state,
        user,
        &dataset,
        &resource,
        staged.path(),
        &file_name,
        None,
        now_ms(),
    )
    .await?;
    let published = views::published(&state, user, &dataset.id, resource, &version).await?;
    Ok((StatusCode::CREATED, ApiJson(published)))
}
