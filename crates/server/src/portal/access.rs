//! Portal pages of the governed data service: the policy-applied preview on the dataset page,
//! downloads, the application form, "my applications and grants", review queues, and the grants
//! of a dataset with revocation. Every read goes through [`app::dataservice`].

use super::page::{render, require_user, FormPairs, OrPage, PageError, PageResult};
use super::pages::{fmt_time, PageCtx, PreviewColumn, PreviewDisplay, ResultRow};
use crate::api::data::download_response;
use crate::api::params::{parse_format, QueryParams};
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use crate::state::SharedState;
use app::dataservice::{self, access_summary, Delivery, PREVIEW_ROWS};
use app::grants::{self, ApplicationInput, ReuseInput, ReviewDecision, ReviewInput};
use app::Code;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use model::access::{Basis, Mode, Verdict};
use model::application::{ApplicationStatus, PurposeCategory, ResultKind, ReviewStep};
use query::RestQuery;
use serde::Deserialize;
use store::{Application, GrantRecord, User};

/// Routes of these pages.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/dataset/{name}/download/{format}", get(download))
        .route("/dataset/{name}/apply", get(apply_page).post(apply_submit))
        .route("/dataset/{name}/grants", get(dataset_grants_page))
        .route("/access", get(access_page))
        .route("/access/applications/{id}/submit", post(submit_draft))
        .route("/access/applications/{id}/withdraw", post(withdraw))
        .route("/access/grants/{id}/results", post(report_result))
        .route("/access/results/{id}/accept", post(accept_result))
        .route("/reviews", get(reviews_page))
        .route("/reviews/{id}", post(review_submit))
        .route("/grants/{id}/revoke", post(revoke_submit))
}

fn modes_from(values: Vec<String>) -> Result<Vec<Mode>, ApiError> {
    values
        .iter()
        .map(|m| {
            Mode::from_code(m).ok_or_else(|| {
                ApiError::new(Code::InvalidTerms, format!("Unknown way of use `{m}`."))
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Preview on the dataset page.

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Builds the preview for the visitor; errors become a message, never a failed page.
pub async fn preview(state: &SharedState, v: &Visitor, dataset: &store::Dataset) -> PreviewDisplay {
    let t = Tr(v.lang);
    let user = v.user.as_ref();
    let accepts = model::application::accepts_applications(
        dataset.meta.opening_type,
        dataset.meta.importance,
    );
    let owner = dataservice::principal(user).owns(&dataset.org_id);
    let results = match grants::results(state, Some(dataset)).await {
        Ok(list) => list
            .into_iter()
            .map(|r| ResultRow {
                id: r.id,
                accepted: r.accepted_at.is_some(),
                kind: r.kind.label(v.lang.code()).to_string(),
                title: r.title,
                description: r.description,
                url: r.url.unwrap_or_default(),
                date: fmt_time(r.created_at),
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut out = PreviewDisplay {
        shown: false,
        basis: String::new(),
        message: t.preview_none().to_string(),
        columns: Vec::new(),
        rows: Vec::new(),
        hidden: 0,
        quota_left: String::new(),
        can_download: false,
        can_apply: accepts && !owner,
        manages: user.is_some_and(|u| grants::manages(u, dataset)),
        log_index: None,
        results,
    };
    let q = RestQuery {
        limit: Some(PREVIEW_ROWS),
        ..RestQuery::default()
    };
    let delivery = Delivery {
        kind: model::log::EventKind::Preview,
        request: serde_json::json!({"page": "dataset"}),
    };
    match dataservice::run_query(state, v.asker(), &dataset.name, None, q, &delivery).await {
        Ok((access, rows, receipt)) => {
            out.log_index = receipt.0.first().copied();
            let summary = access_summary(&access, rows.row_count as u64);
            out.shown = true;
            out.basis = match access.decision.basis {
                Basis::Owner => t.preview_basis_owner(),
                Basis::Open => t.preview_basis_open(),
                _ => t.preview_basis_grant(),
            }
            .to_string();
            out.hidden = summary.hidden_columns;
            out.quota_left = summary
                .quota_remaining
                .map(|q| q.to_string())
                .unwrap_or_default();
            out.columns = rows
                .columns
                .iter()
                .map(|c| PreviewColumn {
                    name: c.name.clone(),
                    masked: c.masked,
                })
                .collect();
            out.rows = rows
                .rows()
                .iter()
                .map(|r| r.iter().map(cell).collect())
                .collect();
            out.can_download = dataservice::can_download(state, user, dataset).await;
            // Someone who sees everything already has nothing to apply for.
            if access
                .decision
                .columns
                .iter()
                .all(|(_, v)| *v == Verdict::Raw)
            {
                out.can_apply = false;
            }
        }
        Err(e) => {
            out.message = match e.code {
                Code::NoAccess => t.preview_none().to_string(),
                _ => crate::i18n::error_message(v.lang, &e),
            }
        }
    }
    out
}

async fn download(
    State(state): State<SharedState>,
    v: Visitor,
    Path((name, format)): Path<(String, String)>,
) -> PageResult {
    let format = parse_format(Some(&format)).or_page(&v)?;
    download_response(&state, v.asker(), &name, &QueryParams::default(), format)
        .await
        .or_page(&v)
}

// ---------------------------------------------------------------------------------------------
// Applying.

#[derive(Template)]
#[template(path = "apply.html")]
struct ApplyTpl {
    t: Tr,
    page: PageCtx,
    dataset_name: String,
    dataset_title: String,
    columns: Vec<(String, String, bool)>,
    purposes: Vec<(String, String)>,
    modes: Vec<(String, String, bool)>,
    agreement_text: String,
    agreement_version: i64,
    agreement_sha256: String,
    org_bound: bool,
    error: String,
    purpose: String,
    scenario: String,
    duration: String,
    quota: String,
}

async fn apply_form(
    state: &SharedState,
    v: &Visitor,
    user: &User,
    name: &str,
    form: Option<&FormPairs>,
    error: String,
) -> PageResult {
    let dataset = app::catalog::load_dataset(state, name).await.or_page(v)?;
    let view = app::views::dataset_view(state, dataset.clone(), Some(user))
        .await
        .or_page(v)?;
    let agreement = grants::agreement(state).await.or_page(v)?;
    let chosen = form.map(|f| f.all("columns")).unwrap_or_default();
    let mut columns: Vec<(String, String, bool)> = Vec::new();
    for r in &view.resources {
        for c in &r.columns {
            if !columns.iter().any(|(n, _, _)| *n == c.name) {
                columns.push((
                    c.name.clone(),
                    c.grade.code().to_string(),
                    chosen.contains(&c.name),
                ));
            }
        }
    }
    let chosen_modes = form
        .map(|f| f.all("modes"))
        .unwrap_or_else(|| vec!["api".into()]);
    let lang = v.lang.code();
    Ok(render(ApplyTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, &format!("/dataset/{name}/apply")),
        dataset_name: dataset.name.clone(),
        dataset_title: dataset.meta.title.clone(),
        columns,
        purposes: PurposeCategory::ALL
            .iter()
            .map(|p| (p.code().to_string(), p.label(lang).to_string()))
            .collect(),
        modes: [Mode::Api, Mode::Download]
            .iter()
            .map(|m| {
                (
                    m.code().to_string(),
                    m.label(lang).to_string(),
                    chosen_modes.iter().any(|c| c == m.code()),
                )
            })
            .collect(),
        agreement_text: agreement.text,
        agreement_version: agreement.version,
        agreement_sha256: agreement.sha256,
        org_bound: user.org_id.is_some() && user.role != model::Role::Citizen,
        error,
        purpose: form
            .map(|f| f.get("purpose").to_string())
            .unwrap_or_default(),
        scenario: form
            .map(|f| f.get("scenario").to_string())
            .unwrap_or_default(),
        duration: form
            .map(|f| f.get("duration_days").to_string())
            .unwrap_or_else(|| "90".into()),
        quota: form
            .map(|f| f.get("daily_row_quota").to_string())
            .unwrap_or_default(),
    }))
}

async fn apply_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}/apply"))?;
    apply_form(&state, &v, &user, &name, None, String::new()).await
}

async fn apply_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    body: Bytes,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}/apply"))?;
    let f = FormPairs::checked(&v, &body)?;
    let draft = f.get("action") == "draft";
    let result = async {
        if !draft && f.get("accept") != "yes" {
            return Err(ApiError::new(
                Code::InvalidTerms,
                "Read the data-use agreement and tick the box to accept it.",
            ));
        }
        let purpose_category = f
            .get("purpose_category")
            .parse::<PurposeCategory>()
            .map_err(|e| ApiError::new(Code::InvalidTerms, format!("{e}.")))?;
        let input = ApplicationInput {
            dataset: name.clone(),
            columns: f.all("columns"),
            row_filter: Vec::new(),
            modes: modes_from(f.all("modes"))?,
            duration_days: f.optional_int("duration_days")?.unwrap_or(0),
            daily_row_quota: f.optional_int("daily_row_quota")?,
            purpose_category,
            purpose: f.get("purpose").to_string(),
            scenario: f.get("scenario").to_string(),
            on_behalf_of_organization: Some(f.get("on_behalf") == "yes"),
            accept_agreement: (!draft).then(|| f.get("agreement_sha256").to_string()),
        };
        Ok(grants::apply(&state, &user, input).await?)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(if draft {
            "/access?msg=draft"
        } else {
            "/access?msg=applied"
        })
        .into_response()),
        Err(e) if e.status().is_client_error() && e.code() != Code::DatasetNotFound => {
            let message = crate::i18n::error_message(v.lang, &e.0);
            apply_form(&state, &v, &user, &name, Some(&f), message).await
        }
        Err(e) => Err(PageError::page(&v, e)),
    }
}

// ---------------------------------------------------------------------------------------------
// My applications and grants.

struct AppRow {
    id: String,
    dataset_name: String,
    dataset_title: String,
    columns: String,
    modes: String,
    status: String,
    status_code: String,
    step: String,
    reason: String,
    created: String,
    is_draft: bool,
    can_withdraw: bool,
    applicant: String,
    purpose: String,
    scenario: String,
    /// (column, grade, checked) for a reviewer's narrowing form.
    column_choices: Vec<(String, String, bool)>,
    duration: i64,
    quota: String,
}

struct GrantRow {
    id: String,
    dataset_name: String,
    dataset_title: String,
    columns: String,
    modes: String,
    state: String,
    valid_until: String,
    quota: String,
    revoked_reason: String,
    active: bool,
    holder: String,
}

fn step_label(t: Tr, step: Option<ReviewStep>) -> String {
    match step {
        Some(ReviewStep::Department) => t.step_department().to_string(),
        Some(ReviewStep::Authority) => t.step_authority().to_string(),
        None => String::new(),
    }
}

fn modes_label(modes: &[Mode], lang: Lang) -> String {
    modes
        .iter()
        .map(|m| m.label(lang.code()))
        .collect::<Vec<_>>()
        .join("、")
}

async fn app_row(state: &SharedState, lang: Lang, a: &Application) -> Result<AppRow, ApiError> {
    let t = Tr(lang);
    let dataset = app::catalog::dataset_by_id(state, &a.dataset_id).await?;
    let applicant = match &a.applicant_org_id {
        Some(org) => app::accounts::org_by_id(state, org)
            .await
            .map(|o| o.title)
            .unwrap_or_default(),
        None => app::accounts::user_by_id(state, &a.applicant_id)
            .await
            .map(|u| u.display_name)
            .unwrap_or_default(),
    };
    let grades = app::views::dataset_view(state, dataset.clone(), None)
        .await?
        .resources
        .into_iter()
        .flat_map(|r| r.columns)
        .map(|c| (c.name, c.grade.code().to_string()))
        .collect::<Vec<_>>();
    Ok(AppRow {
        id: a.id.clone(),
        dataset_name: dataset.name.clone(),
        dataset_title: dataset.meta.title.clone(),
        columns: a.approved.columns.join("、"),
        modes: modes_label(&a.approved.modes, lang),
        status: a.status.label(lang.code()).to_string(),
        status_code: a.status.code().to_string(),
        step: step_label(t, a.step),
        reason: a.rejection_reason.clone().unwrap_or_default(),
        created: fmt_time(a.created_at),
        is_draft: a.status == ApplicationStatus::Draft,
        can_withdraw: matches!(
            a.status,
            ApplicationStatus::Draft | ApplicationStatus::Submitted
        ),
        applicant,
        purpose: format!("{}：{}", a.purpose_category.label(lang.code()), a.purpose),
        scenario: a.scenario.clone(),
        column_choices: a
            .approved
            .columns
            .iter()
            .map(|c| {
                let g = grades
                    .iter()
                    .find(|(n, _)| n == c)
                    .map(|(_, g)| g.clone())
                    .unwrap_or_default();
                (c.clone(), g, true)
            })
            .collect(),
        duration: a.approved.duration_days,
        quota: a
            .approved
            .daily_row_quota
            .map(|q| q.to_string())
            .unwrap_or_default(),
    })
}

async fn grant_row(state: &SharedState, lang: Lang, g: &GrantRecord) -> Result<GrantRow, ApiError> {
    let dataset = app::catalog::dataset_by_id(state, &g.dataset_id).await?;
    let view = grants::grant_view(state, g.clone()).await?;
    let grant_state = view.state;
    let state_label = match (grant_state, lang) {
        (model::access::GrantState::Active, Lang::Zh) => "有效",
        (model::access::GrantState::Active, Lang::En) => "Active",
        (model::access::GrantState::Pending, Lang::Zh) => "未生效",
        (model::access::GrantState::Pending, Lang::En) => "Not yet valid",
        (model::access::GrantState::Expired, Lang::Zh) => "已过期",
        (model::access::GrantState::Expired, Lang::En) => "Expired",
        (model::access::GrantState::Revoked, Lang::Zh) => "已撤销",
        (model::access::GrantState::Revoked, Lang::En) => "Revoked",
    };
    let holder = match &g.grantee {
        model::access::Grantee::Org(id) => app::accounts::org_by_id(state, id)
            .await
            .map(|o| o.title)
            .unwrap_or_default(),
        model::access::Grantee::User(id) => app::accounts::user_by_id(state, id)
            .await
            .map(|u| u.display_name)
            .unwrap_or_default(),
    };
    Ok(GrantRow {
        id: g.id.clone(),
        dataset_name: dataset.name.clone(),
        dataset_title: dataset.meta.title.clone(),
        columns: g.terms.columns.join("、"),
        modes: modes_label(&g.terms.modes, lang),
        state: state_label.to_string(),
        valid_until: fmt_time(g.valid_until),
        quota: match (g.terms.daily_row_quota, view.quota_remaining) {
            (Some(q), Some(left)) => format!("{left} / {q}"),
            _ => String::new(),
        },
        revoked_reason: g.revoke_reason.clone().unwrap_or_default(),
        active: grant_state == model::access::GrantState::Active,
        holder,
    })
}

#[derive(Template)]
#[template(path = "access.html")]
struct AccessTpl {
    t: Tr,
    page: PageCtx,
    apps: Vec<AppRow>,
    grants: Vec<GrantRow>,
    kinds: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct MsgQuery {
    #[serde(default)]
    msg: Option<String>,
}

fn flash(t: Tr, msg: Option<&str>) -> String {
    match msg {
        Some("applied") => t.message_applied(),
        Some("draft") => t.message_draft(),
        Some("reviewed") => t.message_reviewed(),
        Some("revoked") => t.message_revoked(),
        Some("reported") => t.message_reported(),
        Some("withdrawn") => t.message_withdrawn(),
        _ => "",
    }
    .to_string()
}

async fn access_page(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<MsgQuery>,
) -> PageResult {
    let user = require_user(&v, "/access")?;
    let mut apps = Vec::new();
    for a in grants::my_applications(&state, &user).await.or_page(&v)? {
        apps.push(app_row(&state, v.lang, &a).await.or_page(&v)?);
    }
    let mut grant_rows = Vec::new();
    for g in grants::my_grants(&state, &user).await.or_page(&v)? {
        grant_rows.push(grant_row(&state, v.lang, &g).await.or_page(&v)?);
    }
    let mut page = PageCtx::new(&v, "/access");
    page.flash = flash(Tr(v.lang), q.msg.as_deref());
    Ok(render(AccessTpl {
        t: Tr(v.lang),
        page,
        apps,
        grants: grant_rows,
        kinds: ResultKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), k.label(v.lang.code()).to_string()))
            .collect(),
    }))
}

async fn submit_draft(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let user = require_user(&v, "/access")?;
    let f = FormPairs::checked(&v, &body)?;
    let application = grants::load_for(&state, &user, &id).await.or_page(&v)?;
    let dataset = app::catalog::dataset_by_id(&state, &application.dataset_id)
        .await
        .or_page(&v)?;
    // Submitting needs the agreement: send the applicant to the form's agreement via the
    // dataset's apply page if they have not accepted here.
    if f.get("accept") != "yes" {
        return Ok(Redirect::to(&format!("/dataset/{}/apply", dataset.name)).into_response());
    }
    grants::submit(&state, &user, &id, f.get("agreement_sha256"))
        .await
        .or_page(&v)?;
    Ok(Redirect::to("/access?msg=applied").into_response())
}

async fn withdraw(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let user = require_user(&v, "/access")?;
    FormPairs::checked(&v, &body)?;
    grants::withdraw(&state, &user, &id).await.or_page(&v)?;
    Ok(Redirect::to("/access?msg=withdrawn").into_response())
}

async fn report_result(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let user = require_user(&v, "/access")?;
    let f = FormPairs::checked(&v, &body)?;
    let kind = f
        .get("kind")
        .parse::<ResultKind>()
        .map_err(|e| ApiError::new(Code::InvalidTerms, format!("{e}.")))
        .or_page(&v)?;
    let input = ReuseInput {
        kind,
        title: f.get("title").to_string(),
        description: f.get("description").to_string(),
        url: Some(f.get("url").to_string()),
    };
    grants::report(&state, &user, &id, input)
        .await
        .or_page(&v)?;
    Ok(Redirect::to("/access?msg=reported").into_response())
}

async fn accept_result(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let user = require_user(&v, "/access")?;
    FormPairs::checked(&v, &body)?;
    let accepted = grants::accept_result(&state, &user, &id)
        .await
        .or_page(&v)?;
    let dataset = app::catalog::dataset_by_id(&state, &accepted.dataset_id)
        .await
        .or_page(&v)?;
    Ok(Redirect::to(&format!("/dataset/{}?msg=result_accepted", dataset.name)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Reviews.

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsTpl {
    t: Tr,
    page: PageCtx,
    apps: Vec<AppRow>,
}

async fn reviews_page(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<MsgQuery>,
) -> PageResult {
    let user = require_user(&v, "/reviews")?;
    let mut apps = Vec::new();
    for a in grants::review_queue(&state, &user).await.or_page(&v)? {
        apps.push(app_row(&state, v.lang, &a).await.or_page(&v)?);
    }
    let mut page = PageCtx::new(&v, "/reviews");
    page.flash = flash(Tr(v.lang), q.msg.as_deref());
    Ok(render(ReviewsTpl {
        t: Tr(v.lang),
        page,
        apps,
    }))
}

async fn review_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let user = require_user(&v, "/reviews")?;
    let f = FormPairs::checked(&v, &body)?;
    let decision = match f.get("decision") {
        "approve" => ReviewDecision::Approve,
        "reject" => ReviewDecision::Reject,
        _ => {
            return Err(PageError::page(
                &v,
                ApiError::new(Code::InvalidTerms, "Choose approve or reject."),
            ))
        }
    };
    let input = ReviewInput {
        decision,
        columns: (decision == ReviewDecision::Approve).then(|| f.all("columns")),
        add_row_filter: Vec::new(),
        modes: None,
        duration_days: f.optional_int("duration_days").or_page(&v)?,
        daily_row_quota: f.optional_int("daily_row_quota").or_page(&v)?,
        note: f.get("note").to_string(),
    };
    grants::review(&state, &user, &id, input)
        .await
        .or_page(&v)?;
    Ok(Redirect::to("/reviews?msg=reviewed").into_response())
}

// ---------------------------------------------------------------------------------------------
// Grants of a dataset.

#[derive(Template)]
#[template(path = "dataset_grants.html")]
struct DatasetGrantsTpl {
    t: Tr,
    page: PageCtx,
    dataset_name: String,
    dataset_title: String,
    grants: Vec<GrantRow>,
}

async fn dataset_grants_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    Query(q): Query<MsgQuery>,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}/grants"))?;
    let dataset = app::catalog::load_dataset(&state, &name)
        .await
        .or_page(&v)?;
    if !grants::manages(&user, &dataset) {
        return Err(PageError::page(
            &v,
            ApiError::new(
                Code::Forbidden,
                "Only the owning organization and the data authority may see a dataset's grants.",
            ),
        ));
    }
    let mut rows = Vec::new();
    for g in grants::dataset_grants(&state, &user, &dataset)
        .await
        .or_page(&v)?
    {
        rows.push(grant_row(&state, v.lang, &g).await.or_page(&v)?);
    }
    let mut page = PageCtx::new(&v, &format!("/dataset/{name}/grants"));
    page.flash = flash(Tr(v.lang), q.msg.as_deref());
    Ok(render(DatasetGrantsTpl {
        t: Tr(v.lang),
        page,
        dataset_name: dataset.name,
        dataset_title: dataset.meta.title,
        grants: rows,
    }))
}

async fn revoke_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let user = require_user(&v, "/access")?;
    let f = FormPairs::checked(&v, &body)?;
    let grant = grants::revoke(&state, &user, &id, f.get("reason"))
        .await
        .or_page(&v)?;
    let dataset = app::catalog::dataset_by_id(&state, &grant.dataset_id)
        .await
        .or_page(&v)?;
    Ok(Redirect::to(&format!("/dataset/{}/grants?msg=revoked", dataset.name)).into_response())
}
