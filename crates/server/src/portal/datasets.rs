//! The dataset page, publishing (new datasets, uploads), classification changes, and the
//! authority's queue of change requests.

use super::access;
use super::page::{render, require_user, OrPage, PageResult};
use super::pages::*;
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::Tr;
use crate::state::SharedState;
use crate::upload::stage_multipart;
use app::catalog::{self, ChangeOutcome, DatasetInput};
use app::clock::now_ms;
use app::views::dataset_view;
use app::Code;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use model::classification::{Domain, Grade, Importance, OpeningType};
use serde::Deserialize;
use store::{ChangeTarget, RequestStatus};

/// The dataset and publishing routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/dataset/{name}", get(dataset_page))
        .route(
            "/dataset/{name}/upload",
            get(upload_page).post(upload_submit),
        )
        .route("/dataset/{name}/grade", post(grade_submit))
        .route(
            "/dataset/{name}/dictionary",
            get(dictionary_page).post(dictionary_submit),
        )
        .route("/dataset/{name}/opening-type", post(opening_submit))
        .route(
            "/publish/new",
            get(new_dataset_page).post(new_dataset_submit),
        )
        .route("/requests", get(requests_page))
        .route("/requests/{id}", post(decide_submit))
}

#[derive(Deserialize)]
struct FlashQuery {
    msg: Option<String>,
}

fn flash_text(v: &Visitor, code: Option<&str>) -> String {
    let t = Tr(v.lang);
    match code {
        Some("saved") => t.message_saved().to_string(),
        Some("requested") => t.message_request_filed().to_string(),
        Some("result_accepted") => t.message_result_accepted().to_string(),
        Some("cleanroom_policy") => t.cleanroom_policy_saved().to_string(),
        Some("dictionary") => t.dictionary_saved().to_string(),
        _ => String::new(),
    }
}

async fn dataset_page(
    State(state): State<SharedState>,
    v: Visitor,
    headers: axum::http::HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<FlashQuery>,
) -> PageResult {
    // `/dataset/{name}.ttl` and `.jsonld` are the dataset's DCAT-AP documents.
    if let Some(doc) = crate::interop::exports::dataset_document(&state, &headers, &name).await {
        return Ok(match doc {
            Ok(r) => r,
            Err(e) => e.into_response(),
        });
    }
    let dataset = catalog::load_dataset(&state, &name).await.or_page(&v)?;
    let pv = access::preview(&state, &v, &dataset).await;
    let quality = super::quality::display(&state, v.lang, &dataset).await;
    let cr = super::cleanroom::display(&state, &v, &dataset).await;
    let view = dataset_view(&state, dataset, v.user.as_ref())
        .await
        .or_page(&v)?;
    let base = state
        .config()
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", state.config().listen));
    let mut page = PageCtx::new(&v, &format!("/dataset/{name}"));
    page.flash = flash_text(&v, q.msg.as_deref());
    Ok(render(DatasetTpl {
        t: Tr(v.lang),
        d: DatasetDisplay::new(&view, v.lang, &base),
        pv,
        q: quality,
        cr,
        page,
        opening_types: options(OpeningType::ALL, v.lang),
        grades: Grade::ALL.iter().map(|g| g.code()).collect(),
    }))
}

#[derive(Deserialize)]
struct GradeForm {
    csrf: String,
    resource: String,
    column: String,
    grade: String,
    #[serde(default)]
    reason: String,
}

fn outcome_redirect(name: &str, outcome: &ChangeOutcome) -> Response {
    let msg = match outcome {
        ChangeOutcome::RequestFiled { .. } => "requested",
        _ => "saved",
    };
    Redirect::to(&format!("/dataset/{name}?msg={msg}")).into_response()
}

async fn grade_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    Form(f): Form<GradeForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let dataset = catalog::load_dataset(&state, &name).await.or_page(&v)?;
    let grade: Grade = f
        .grade
        .parse()
        .map_err(|e| ApiError::new(Code::InvalidField, format!("{e}.")))
        .or_page(&v)?;
    let resource = catalog::find_resource(&state, &dataset, &f.resource)
        .await
        .or_page(&v)?;
    let outcome = catalog::set_column_grade(
        &state,
        &user,
        &dataset,
        &resource,
        &f.column,
        grade,
        &f.reason,
        now_ms(),
    )
    .await
    .or_page(&v)?;
    Ok(outcome_redirect(&name, &outcome))
}

#[derive(Deserialize)]
struct OpeningForm {
    csrf: String,
    opening_type: String,
    #[serde(default)]
    reason: String,
}

async fn opening_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    Form(f): Form<OpeningForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let dataset = catalog::load_dataset(&state, &name).await.or_page(&v)?;
    let to: OpeningType = f
        .opening_type
        .parse()
        .map_err(|e| ApiError::new(Code::InvalidField, format!("{e}.")))
        .or_page(&v)?;
    let outcome = catalog::set_opening_type(&state, &user, &dataset, to, &f.reason, now_ms())
        .await
        .or_page(&v)?;
    Ok(outcome_redirect(&name, &outcome))
}

#[derive(Deserialize)]
struct ResourceQuery {
    resource: String,
}

async fn dictionary_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    Query(q): Query<ResourceQuery>,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}"))?;
    let dataset = catalog::load_dataset(&state, &name).await.or_page(&v)?;
    catalog::require_edit(&user, &dataset).or_page(&v)?;
    let resource = catalog::find_resource(&state, &dataset, &q.resource)
        .await
        .or_page(&v)?;
    let d = app::dictionary::of_resource(&state, Some(&user), &dataset, &resource)
        .await
        .or_page(&v)?;
    dictionary_form(
        &v,
        &dataset,
        d.resource,
        d.columns,
        String::new(),
        StatusCode::OK,
    )
}

fn dictionary_form(
    v: &Visitor,
    dataset: &store::Dataset,
    resource: String,
    columns: Vec<app::dictionary::DictionaryColumn>,
    error: String,
    status: StatusCode,
) -> PageResult {
    let tpl = DictionaryTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, &format!("/dataset/{}/dictionary", dataset.name)),
        name: dataset.name.clone(),
        title: dataset.meta.title.clone(),
        resource,
        ordered: columns.iter().any(|c| c.order),
        columns,
        error,
    };
    Ok((status, render(tpl)).into_response())
}

/// The form sends, per row, `column` then `description`, `key` once per checked column, and
/// `order` once (the chosen column, or empty for none).
async fn dictionary_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}"))?;
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    v.check_csrf(&field("csrf")).or_page(&v)?;
    let dataset = catalog::load_dataset(&state, &name).await.or_page(&v)?;
    let resource = catalog::find_resource(&state, &dataset, &field("resource"))
        .await
        .or_page(&v)?;
    let keys: Vec<&str> = pairs
        .iter()
        .filter(|(n, _)| n == "key")
        .map(|(_, v)| v.as_str())
        .collect();
    let order = field("order");
    let mut notes: Vec<model::dictionary::ColumnNote> = Vec::new();
    for (n, value) in &pairs {
        match n.as_str() {
            "column" => notes.push(model::dictionary::ColumnNote {
                column: value.clone(),
                description: String::new(),
                key: keys.contains(&value.as_str()),
                order: !order.is_empty() && *value == order,
            }),
            "description" => {
                if let Some(last) = notes.last_mut() {
                    last.description = value.clone();
                }
            }
            _ => {}
        }
    }
    match app::dictionary::set(&state, &user, &dataset, &resource, &notes, now_ms()).await {
        Ok(_) => Ok(Redirect::to(&format!("/dataset/{name}?msg=dictionary")).into_response()),
        Err(e) if e.code == Code::Internal => Err(ApiError::from(e)).or_page(&v),
        Err(e) => {
            // Everything typed comes back with the reason.
            let error = crate::i18n::error_message(v.lang, &e);
            let status = ApiError::from(e).status();
            let current = app::dictionary::of_resource(&state, Some(&user), &dataset, &resource)
                .await
                .or_page(&v)?;
            let columns = current
                .columns
                .into_iter()
                .map(|c| {
                    let typed = notes.iter().find(|n| n.column == c.name);
                    app::dictionary::DictionaryColumn {
                        description: typed.map_or(c.description, |n| n.description.clone()),
                        key: typed.map_or(c.key, |n| n.key),
                        order: typed.map_or(c.order, |n| n.order),
                        ..c
                    }
                })
                .collect();
            dictionary_form(&v, &dataset, resource.name, columns, error, status)
        }
    }
}

async fn upload_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
) -> PageResult {
    let path = format!("/dataset/{name}/upload");
    let user = require_user(&v, &path)?;
    let dataset = catalog::load_dataset(&state, &name).await.or_page(&v)?;
    catalog::require_edit(&user, &dataset).or_page(&v)?;
    upload_form(&state, &v, &dataset, String::new(), StatusCode::OK).await
}

async fn upload_form(
    state: &SharedState,
    v: &Visitor,
    dataset: &store::Dataset,
    error: String,
    status: StatusCode,
) -> PageResult {
    let resources: Vec<String> = catalog::resources(state, dataset)
        .await
        .or_page(v)?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let tpl = UploadTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, &format!("/dataset/{}/upload", dataset.name)),
        name: dataset.name.clone(),
        title: dataset.meta.title.clone(),
        resource: resources
            .first()
            .cloned()
            .unwrap_or_else(|| "data".to_string()),
        resources,
        error,
    };
    Ok((status, render(tpl)).into_response())
}

async fn upload_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    mut multipart: Multipart,
) -> PageResult {
    let path = format!("/dataset/{name}/upload");
    let user = require_user(&v, &path)?;
    let dataset = catalog::load_dataset(&state, &name).await.or_page(&v)?;
    catalog::require_edit(&user, &dataset).or_page(&v)?;
    let result = async {
        let (staged, fields) = stage_multipart(&state, &mut multipart).await?;
        v.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        let (staged, file_name) =
            staged.ok_or_else(|| ApiError::new(Code::MissingFile, "Choose a file to upload."))?;
        let resource = fields
            .get("resource")
            .cloned()
            .unwrap_or_else(|| "data".to_string());
        catalog::publish_upload(
            &state,
            &user,
            &dataset,
            &resource,
            staged.path(),
            &file_name,
            None,
            now_ms(),
        )
        .await
        .map_err(ApiError::from)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/dataset/{name}?msg=saved")).into_response()),
        Err(e) if e.code() == Code::Internal || e.code() == Code::CsrfFailed => Err(e).or_page(&v),
        Err(e) => {
            upload_form(
                &state,
                &v,
                &dataset,
                crate::i18n::error_message(v.lang, &e.0),
                e.status(),
            )
            .await
        }
    }
}

async fn new_dataset_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let user = require_user(&v, "/publish/new")?;
    new_dataset_form(
        &state,
        &v,
        &user,
        NewDatasetForm::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

async fn new_dataset_form(
    state: &SharedState,
    v: &Visitor,
    user: &store::User,
    form: NewDatasetForm,
    error: String,
    status: StatusCode,
) -> PageResult {
    // Publishers publish for their own organization; the authority chooses one.
    let orgs = if user.role == model::Role::Authority {
        app::accounts::list_orgs(state)
            .await
            .or_page(v)?
            .into_iter()
            .map(|o| (o.name, o.title))
            .collect()
    } else {
        vec![]
    };
    let tpl = NewDatasetTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, "/publish/new"),
        form,
        error,
        orgs,
        domains: options(Domain::ALL, v.lang),
        opening_types: options(OpeningType::ALL, v.lang),
        importances: options(Importance::ALL, v.lang),
    };
    Ok((status, render(tpl)).into_response())
}

async fn new_dataset_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<NewDatasetForm>,
) -> PageResult {
    let user = require_user(&v, "/publish/new")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let parse =
        |s: &str| -> Option<String> { (!s.trim().is_empty()).then(|| s.trim().to_string()) };
    let input = DatasetInput {
        name: Some(f.name.trim().to_string()),
        organization: parse(&f.organization),
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        themes: Some(catalog::split_list(&f.themes)),
        tags: Some(catalog::split_list(&f.tags)),
        update_frequency: Some(f.update_frequency.clone()),
        license: Some(f.license.clone()),
        spatial: Some(f.spatial.clone()),
        temporal: Some(f.temporal.clone()),
        contact: Some(f.contact.clone()),
        domain: f.domain.parse().ok(),
        opening_type: f.opening_type.parse().ok(),
        importance: f.importance.parse().ok(),
    };
    match catalog::create_dataset(&state, &user, input, now_ms()).await {
        Ok(d) => Ok(Redirect::to(&format!("/dataset/{}/upload", d.name)).into_response()),
        Err(e) if e.code == Code::Internal => Err(e).or_page(&v),
        Err(e) => {
            let status = crate::error::status(e.code);
            new_dataset_form(
                &state,
                &v,
                &user,
                f,
                crate::i18n::error_message(v.lang, &e),
                status,
            )
            .await
        }
    }
}

async fn requests_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let user = require_user(&v, "/requests")?;
    let lang = v.lang.code();
    let mut rows = Vec::new();
    for item in catalog::change_requests(&state, &user, Some(RequestStatus::Pending))
        .await
        .or_page(&v)?
    {
        let (r, dataset, requester) = (item.request, item.dataset, item.requester);
        let change = match &r.change {
            ChangeTarget::ColumnGrade {
                column, from, to, ..
            } => format!("{column}: {from} → {to}"),
            ChangeTarget::OpeningType { from, to } => {
                format!("{} → {}", from.label(lang), to.label(lang))
            }
        };
        rows.push(RequestRow {
            id: r.id.clone(),
            dataset_name: dataset.name,
            dataset_title: dataset.meta.title,
            change,
            reason: r.reason.clone(),
            requested_by: requester,
            status: r.status.code().to_string(),
        });
    }
    Ok(render(RequestsTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/requests"),
        rows,
        is_authority: user.role == model::Role::Authority,
    }))
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    note: String,
}

async fn decide_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> PageResult {
    let user = require_user(&v, "/requests")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(ApiError::new(
                Code::InvalidField,
                "Choose approve or reject.",
            ))
            .or_page(&v)
        }
    };
    catalog::decide_request(&state, &user, &id, approve, &f.note, now_ms())
        .await
        .or_page(&v)?;
    Ok(Redirect::to("/requests").into_response())
}
