//! Datasets, resources, versions (uploads) and column grades.

use super::openapi as doc;
use super::ApiJson;
use crate::auth::{now_ms, Caller};
use crate::catalog::{self, ChangeOutcome, DatasetInput, StagedUpload};
use crate::error::{ApiError, ApiResult, Code};
use crate::state::SharedState;
use crate::views::{dataset_view, DatasetView};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::Router;
use model::classification::{Grade, OpeningType};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use store::{Dataset, DatasetFilter};
use tokio::io::AsyncWriteExt;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

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
}

/// Loads a dataset by slug or answers `dataset_not_found`.
pub async fn load(state: &SharedState, name: &str) -> ApiResult<Dataset> {
    match state.store.get_dataset_by_name(name).await {
        Ok(d) => Ok(d),
        Err(store::StoreError::NotFound) => Err(ApiError::new(
            Code::DatasetNotFound,
            format!("There is no dataset named `{name}`. Check the name in the catalog."),
        )),
        Err(e) => Err(e.into()),
    }
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
) -> ApiResult<ApiJson<Value>> {
    let Query(q) = query.map_err(|e| {
        ApiError::new(
            Code::BadRequest,
            format!("Invalid query parameters: {}.", e.body_text()),
        )
    })?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=1000).contains(&limit) || q.offset.is_some_and(|o| o < 0) {
        return Err(ApiError::new(
            Code::BadRequest,
            "`limit` must be 1 to 1000 and `offset` at least 0.",
        ));
    }
    let org_id = match &q.organization {
        Some(name) => Some(match state.store.get_org_by_name(name).await {
            Ok(o) => o.id,
            Err(store::StoreError::NotFound) => {
                return Err(ApiError::new(
                    Code::OrgNotFound,
                    format!("There is no organization named `{name}`."),
                ))
            }
            Err(e) => return Err(e.into()),
        }),
        None => None,
    };
    let opening_type = q
        .opening_type
        .as_deref()
        .map(|s| s.parse::<OpeningType>())
        .transpose()
        .map_err(|e| ApiError::new(Code::BadRequest, format!("{e}.")))?;
    let filter = DatasetFilter {
        org_id,
        opening_type,
        offset: q.offset.unwrap_or(0),
        limit,
    };
    let (datasets, total) = state.store.list_datasets(&filter).await?;
    Ok(ApiJson(
        json!({ "total": total, "offset": filter.offset, "limit": limit, "datasets": datasets }),
    ))
}

/// A dataset with its organization, resources, versions and columns, as the caller may see it.
#[utoipa::path(
    get,
    path = "/api/v1/datasets/{name}",
    tag = "datasets",
    params(("name" = String, Path, description = "The dataset's slug.", example = "bus-stops")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The dataset.", body = crate::views::DatasetView),
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
        dataset_view(&state.store, dataset, caller.user.as_ref()).await?,
    ))
}

/// Creates a dataset (C1 fields); publishers create in their own organization.
#[utoipa::path(
    post,
    path = "/api/v1/datasets",
    tag = "datasets",
    request_body = NewDataset,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new dataset.", body = crate::views::DatasetView),
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
    let dataset = catalog::create_dataset(state.books(), user, input, now_ms()).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(dataset_view(&state.store, dataset, Some(user)).await?),
    ))
}

/// An updated dataset and what happened to a requested opening type.
#[derive(Serialize, utoipa::ToSchema)]
struct Updated {
    dataset: DatasetView,
    #[serde(flatten)]
    outcome: ChangeOutcome,
}

/// The body of a new dataset: [`DatasetInput`] with `name` and `title`, which creation needs.
struct NewDataset;

impl utoipa::PartialSchema for NewDataset {
    fn schema() -> RefOr<Schema> {
        let mut schema = <DatasetInput as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required = vec!["name".into(), "title".into()];
            object.description = Some(
                "A new dataset: `name` and `title` are required; `organization` defaults to the caller's."
                    .into(),
            );
        }
        schema
    }
}

impl utoipa::ToSchema for NewDataset {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <DatasetInput as utoipa::ToSchema>::schemas(schemas);
    }
}

/// The body of a dataset update: the fields of [`DatasetInput`] to change, and `reason` for a
/// looser opening type. The handler splits `reason` off by hand (see there), so the schema is
/// [`DatasetInput`]'s with that one property added.
struct DatasetPatch;

impl utoipa::PartialSchema for DatasetPatch {
    fn schema() -> RefOr<Schema> {
        let mut schema = <DatasetInput as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.properties.insert(
                "reason".into(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Why; needed to loosen the opening type."))
                    .into(),
            );
            object.description =
                Some("The fields to change, and `reason` for a looser opening type.".into());
        }
        schema
    }
}

impl utoipa::ToSchema for DatasetPatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <DatasetInput as utoipa::ToSchema>::schemas(schemas);
    }
}

/// Updates a dataset's metadata; a looser opening type becomes a request (give `reason`).
#[utoipa::path(
    patch,
    path = "/api/v1/datasets/{name}",
    tag = "datasets",
    params(("name" = String, Path, description = "The dataset's slug.")),
    request_body = DatasetPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The dataset after the update.", body = Updated),
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
        catalog::update_dataset(state.books(), user, dataset, fields, &reason, now_ms()).await?;
    Ok(ApiJson(Updated {
        dataset: dataset_view(&state.store, dataset, Some(user)).await?,
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
    catalog::delete_dataset(state.books(), state.data_dir(), user, &dataset).await?;
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
        (status = 200, description = "Applied, or unchanged.", body = ChangeOutcome),
        (status = 202, description = "Filed as a request for the authority.", body = ChangeOutcome),
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
        state.books(),
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
        (status = 200, description = "Applied, or unchanged.", body = ChangeOutcome),
        (status = 202, description = "Filed as a request for the authority.", body = ChangeOutcome),
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
    let resource = find_resource(&state, &dataset, &resource).await?;
    let outcome = catalog::set_column_grade(
        state.books(),
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

/// A resource of `dataset` by name, or `resource_not_found`.
pub async fn find_resource(
    state: &SharedState,
    dataset: &Dataset,
    name: &str,
) -> ApiResult<store::Resource> {
    state
        .store
        .list_resources(&dataset.id)
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| {
            ApiError::new(
                Code::ResourceNotFound,
                format!("Dataset `{}` has no resource named `{name}`.", dataset.name),
            )
        })
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
    let resource = find_resource(&state, &dataset, &resource).await?;
    catalog::delete_resource(state.books(), state.data_dir(), user, &dataset, &resource).await?;
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
    let resource = find_resource(&state, &dataset, &resource).await?;
    let versions = state.store.list_versions(&resource.id).await?;
    let summaries: Vec<_> = versions
        .iter()
        .map(crate::views::VersionSummary::from)
        .collect();
    Ok(ApiJson(json!({ "versions": summaries })))
}

/// Streams the multipart field `file` into the staging directory, refusing it once it passes
/// the size limit. Returns the staged file with the client's file name (if a file was sent) and
/// the other text fields.
pub async fn stage_multipart(
    state: &SharedState,
    multipart: &mut Multipart,
) -> ApiResult<(Option<(StagedUpload, String)>, crate::portal::FormFields)> {
    let limit = state.config.max_upload_bytes;
    let mut fields = crate::portal::FormFields::new();
    let mut staged_file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| {
        ApiError::new(
            Code::BadRequest,
            format!("The upload is not valid multipart form data: {e}."),
        )
    })? {
        let field_name = field.name().unwrap_or_default().to_string();
        if field_name != "file" {
            // Read text fields in chunks and stop early: a huge field must not fill memory.
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| {
                ApiError::new(
                    Code::BadRequest,
                    format!("The form field `{field_name}` could not be read: {e}."),
                )
            })? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > 10_000 {
                    return Err(ApiError::new(
                        Code::BadRequest,
                        format!("The form field `{field_name}` is too long."),
                    ));
                }
            }
            let text = String::from_utf8(bytes).map_err(|_| {
                ApiError::new(
                    Code::BadRequest,
                    format!("The form field `{field_name}` is not valid UTF-8."),
                )
            })?;
            fields.insert(field_name, text);
            continue;
        }
        if staged_file.is_some() {
            return Err(ApiError::new(Code::BadRequest, "Send one file per upload."));
        }
        let file_name = field.file_name().unwrap_or_default().to_string();
        ingest::validate_file_name(&file_name)?;
        let staged = StagedUpload::new(state.data_dir()).map_err(ApiError::internal)?;
        let mut out = tokio::fs::File::create(staged.path())
            .await
            .map_err(ApiError::internal)?;
        let mut written: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(|e| {
            ApiError::new(
                Code::BadRequest,
                format!("The upload was interrupted: {e}. Try again."),
            )
        })? {
            written += chunk.len() as u64;
            if written > limit {
                return Err(ApiError::new(
                    Code::PayloadTooLarge,
                    format!("The file is larger than the limit of {limit} bytes. Split it or ask the administrator to raise `max_upload_bytes`."),
                ));
            }
            out.write_all(&chunk).await.map_err(ApiError::internal)?;
        }
        out.flush().await.map_err(ApiError::internal)?;
        staged_file = Some((staged, file_name));
    }
    Ok((staged_file, fields))
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
) -> ApiResult<(StatusCode, ApiJson<Value>)> {
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
        state.books(),
        state.data_dir(),
        &state.limits,
        user,
        &dataset,
        &resource,
        staged.path(),
        &file_name,
        None,
        now_ms(),
    )
    .await?;
    let view = dataset_view(
        &state.store,
        state.store.get_dataset(&dataset.id).await?,
        Some(user),
    )
    .await?;
    let columns = view
        .resources
        .iter()
        .find(|r| r.resource.id == resource.id)
        .map(|r| r.columns.clone());
    Ok((
        StatusCode::CREATED,
        ApiJson(
            json!({ "resource": resource, "version": crate::views::VersionSummary::from(&version), "columns": columns, "dataset": { "grade": view.dataset.grade, "opening_type": view.dataset.meta.opening_type } }),
        ),
    ))
}
