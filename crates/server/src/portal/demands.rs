//! Portal pages of data demands (C8): the board with filters, filing a demand, and a demand's
//! page with its history, comments, support, and the department's and the authority's forms.
//! Every action is a form with the session's CSRF token; the rules are in [`app::demands`].

use super::page::{render, require_user, urlencode, OrPage, PageError, PageResult};
use super::pages::{fmt_time, PageCtx};
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use crate::state::SharedState;
use app::demands::{
    self, AnswerDecision, AnswerInput, DemandInput, DemandQuery, DemandView, FulfilInput,
};
use app::Code;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use model::application::PurposeCategory;
use model::demand::{DemandStatus, RejectionReason};
use model::role::OrgKind;
use serde::Deserialize;
use store::DemandSort;

/// The demand routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/demands", get(board))
        .route("/demands/new", get(new_page).post(new_submit))
        .route("/demands/{id}", get(demand_page))
        .route("/demands/{id}/support", post(support))
        .route("/demands/{id}/unsupport", post(unsupport))
        .route("/demands/{id}/comment", post(comment))
        .route("/demands/{id}/answer", post(answer))
        .route("/demands/{id}/fulfil", post(fulfil))
        .route("/demands/{id}/transfer", post(transfer))
        .route("/demands/{id}/merge", post(merge))
}

const PAGE_SIZE: i64 = 20;

/// One row of the board.
struct Row {
    id: String,
    title: String,
    target: String,
    status: String,
    overdue: bool,
    enterprise: bool,
    supports: i64,
    due: String,
    created: String,
}

#[derive(Template)]
#[template(path = "demands.html")]
struct BoardTpl {
    t: Tr,
    page: PageCtx,
    rows: Vec<Row>,
    total: i64,
    departments: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    sorts: Vec<(String, String)>,
    q: String,
    department: String,
    status: String,
    sort: String,
    overdue: bool,
    prev: String,
    next: String,
}

#[derive(Deserialize, Default)]
struct BoardQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    msg: Option<String>,
}

/// The departments a demand may ask, as (slug, title).
async fn departments(state: &SharedState) -> Result<Vec<(String, String)>, ApiError> {
    Ok(app::accounts::list_orgs(state)
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Department)
        .map(|o| (o.name, o.title))
        .collect())
}

fn status_label(view: &DemandView, lang: Lang) -> String {
    view.demand.status.label(lang.code()).to_string()
}

fn day(ms: i64) -> String {
    fmt_time(ms).chars().take(10).collect()
}

async fn board(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let t = Tr(v.lang);
    let lang = v.lang.code();
    let status = q.status.parse::<DemandStatus>().ok();
    let sort = match q.sort.as_str() {
        "newest" => DemandSort::Newest,
        "deadline" => DemandSort::Deadline,
        _ => DemandSort::Supports,
    };
    let page_no = q.page.unwrap_or(1).max(1);
    let overdue = q.overdue == "true";
    let departments = departments(&state).await.or_page(&v)?;
    let department = departments
        .iter()
        .find(|(slug, _)| *slug == q.department)
        .map(|(slug, _)| slug.clone());
    let list = demands::list(
        &state,
        DemandQuery {
            department: department.clone(),
            status,
            overdue,
            sort,
            q: Some(q.q.clone()).filter(|w| !w.trim().is_empty()),
            offset: (page_no - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
            ..DemandQuery::default()
        },
    )
    .await
    .or_page(&v)?;
    let rows = list
        .demands
        .iter()
        .map(|d| Row {
            id: d.demand.id.clone(),
            title: d.demand.title.clone(),
            target: d.target_title.clone(),
            status: status_label(d, v.lang),
            overdue: d.overdue,
            enterprise: d.demand.enterprise,
            supports: d.demand.support_count,
            due: day(d.demand.due_at - 1),
            created: day(d.demand.created_at),
        })
        .collect();
    let link = |page: i64| {
        format!(
            "/demands?q={}&department={}&status={}&sort={}&overdue={}&page={page}",
            urlencode(&q.q),
            urlencode(department.as_deref().unwrap_or("")),
            status.map(|s| s.code()).unwrap_or(""),
            q.sort,
            if overdue { "true" } else { "" }
        )
    };
    let prev = if page_no > 1 {
        link(page_no - 1)
    } else {
        String::new()
    };
    let next = if page_no * PAGE_SIZE < list.total {
        link(page_no + 1)
    } else {
        String::new()
    };
    let mut page = PageCtx::new(&v, "/demands");
    if q.msg.as_deref() == Some("filed") {
        page.flash = t.message_demand_filed().to_string();
    }
    Ok(render(BoardTpl {
        t,
        page,
        rows,
        total: list.total,
        statuses: DemandStatus::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.label(lang).to_string()))
            .collect(),
        sorts: vec![
            ("supports".into(), t.demand_sort_supports().into()),
            ("newest".into(), t.demand_sort_newest().into()),
            ("deadline".into(), t.demand_sort_deadline().into()),
        ],
        departments,
        q: q.q.clone(),
        department: department.unwrap_or_default(),
        status: status.map(|s| s.code().to_string()).unwrap_or_default(),
        sort: q.sort.clone(),
        overdue,
        prev,
        next,
    }))
}

/// The fields of the filing form, kept to show the form again after an error.
#[derive(Deserialize, Default)]
struct DemandForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    fields: String,
    #[serde(default)]
    purpose_category: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    extends: String,
}

#[derive(Template)]
#[template(path = "new_demand.html")]
struct NewTpl {
    t: Tr,
    page: PageCtx,
    form: DemandForm,
    error: String,
    departments: Vec<(String, String)>,
    purposes: Vec<(String, String)>,
}

async fn new_form(
    state: &SharedState,
    v: &Visitor,
    form: DemandForm,
    error: String,
    status: axum::http::StatusCode,
) -> PageResult {
    let lang = v.lang.code();
    let tpl = NewTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, "/demands/new"),
        form,
        error,
        departments: departments(state).await.or_page(v)?,
        purposes: PurposeCategory::ALL
            .iter()
            .map(|p| (p.code().to_string(), p.label(lang).to_string()))
            .collect(),
    };
    Ok((status, render(tpl)).into_response())
}

async fn new_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    require_user(&v, "/demands/new")?;
    new_form(
        &state,
        &v,
        DemandForm::default(),
        String::new(),
        axum::http::StatusCode::OK,
    )
    .await
}

fn text_opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

async fn new_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<DemandForm>,
) -> PageResult {
    let user = require_user(&v, "/demands/new")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let purpose = match f.purpose_category.parse::<PurposeCategory>() {
        Ok(p) => p,
        Err(e) => {
            let e = ApiError::new(Code::InvalidField, format!("{e}."));
            let message = crate::i18n::error_message(v.lang, &e.0);
            return new_form(&state, &v, f, message, e.status()).await;
        }
    };
    let input = DemandInput {
        title: f.title.clone(),
        description: f.description.clone(),
        fields: app::catalog::split_list(&f.fields),
        purpose_category: purpose,
        department: text_opt(&f.department),
        theme: text_opt(&f.theme),
        extends: text_opt(&f.extends),
    };
    match demands::file(&state, &user, input).await {
        Ok(d) => Ok(Redirect::to(&format!("/demands/{}?msg=filed", d.id)).into_response()),
        Err(e) if !e.code.is_caller_error() => Err(e).or_page(&v),
        Err(e) => {
            let status = crate::error::status(e.code);
            new_form(
                &state,
                &v,
                f,
                crate::i18n::error_message(v.lang, &e),
                status,
            )
            .await
        }
    }
}

/// The demand as its page shows it.
struct Display {
    id: String,
    title: String,
    description: String,
    status: String,
    overdue: bool,
    target: String,
    purpose: String,
    filed_by: String,
    created: String,
    due: String,
    supports: i64,
    fields: String,
    extends: String,
    planned: String,
    reason: String,
    answer: String,
    fulfilled_dataset: String,
    merged_into: String,
}

#[derive(Template)]
#[template(path = "demand.html")]
struct DemandTpl {
    t: Tr,
    page: PageCtx,
    d: Display,
    error: String,
    /// (who and when, text).
    comments: Vec<(String, String)>,
    /// (when, what).
    history: Vec<(String, String)>,
    can_support: bool,
    supported: bool,
    can_comment: bool,
    can_answer: bool,
    can_fulfil: bool,
    can_transfer: bool,
    departments: Vec<(String, String)>,
    reasons: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct MsgQuery {
    #[serde(default)]
    msg: Option<String>,
}

fn history_label(t: Tr, kind: &str) -> &'static str {
    match kind {
        "filed" => t.demand_event_filed(),
        "accept" => t.demand_event_accept(),
        "reject" => t.demand_event_reject(),
        "fulfil" => t.demand_event_fulfil(),
        "transfer" => t.demand_event_transfer(),
        "merge" => t.demand_event_merge(),
        _ => "",
    }
}

async fn demand_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<MsgQuery>,
) -> PageResult {
    show(&state, &v, &id, q.msg.as_deref(), String::new()).await
}

async fn show(
    state: &SharedState,
    v: &Visitor,
    id: &str,
    msg: Option<&str>,
    error: String,
) -> PageResult {
    let t = Tr(v.lang);
    let lang = v.lang.code();
    let d = demands::load(state, id).await.or_page(v)?;
    let view = demands::view(state, d).await.or_page(v)?;
    let user = v.user.as_ref();
    let name_of = |user_id: String| async move {
        app::accounts::user_by_id(state, &user_id)
            .await
            .map(|u| u.display_name)
            .unwrap_or_default()
    };
    let mut comments = Vec::new();
    for c in demands::comments(state, id).await.or_page(v)? {
        comments.push((
            format!(
                "{} · {}",
                name_of(c.user_id.clone()).await,
                fmt_time(c.created_at)
            ),
            c.body,
        ));
    }
    let history = demands::history(state, id)
        .await
        .or_page(v)?
        .into_iter()
        .map(|h| {
            (
                fmt_time(h.created_at),
                history_label(t, &h.kind).to_string(),
            )
        })
        .collect();
    let demand = &view.demand;
    let live = model::demand::is_live(demand.status);
    let actor = user.map(|u| model::demand::Actor {
        role: u.role,
        org_id: u.org_id.as_deref(),
    });
    let may_answer = actor.is_some_and(|a| model::demand::may_answer(a, &demand.target));
    let supported = match user {
        Some(u) => demands::supports(state, u, id).await.or_page(v)?,
        None => false,
    };
    let filed_by = if demand.enterprise {
        match &demand.created_by_org_id {
            Some(org) => app::accounts::org_by_id(state, org)
                .await
                .map(|o| o.title)
                .unwrap_or_else(|_| t.demand_enterprise().to_string()),
            None => t.demand_enterprise().to_string(),
        }
    } else {
        t.demand_citizen().to_string()
    };
    let display = Display {
        id: demand.id.clone(),
        title: demand.title.clone(),
        description: demand.description.clone(),
        status: status_label(&view, v.lang),
        overdue: view.overdue,
        target: view.target_title.clone(),
        purpose: demand.purpose_category.label(lang).to_string(),
        filed_by,
        created: fmt_time(demand.created_at),
        due: day(demand.due_at - 1),
        supports: demand.support_count,
        fields: demand.fields.join("、"),
        extends: view.extends.clone().unwrap_or_default(),
        planned: demand.planned_at.map(day).unwrap_or_default(),
        reason: demand
            .rejection_reason
            .map(|r| r.label(lang).to_string())
            .unwrap_or_default(),
        answer: demand.answer.clone().unwrap_or_default(),
        fulfilled_dataset: view.fulfilled_dataset.clone().unwrap_or_default(),
        merged_into: demand.merged_into.clone().unwrap_or_default(),
    };
    let mut page = PageCtx::new(v, &format!("/demands/{id}"));
    page.flash = match msg {
        Some("filed") => t.message_demand_filed().to_string(),
        Some("saved") => t.message_demand_updated().to_string(),
        _ => String::new(),
    };
    let can_transfer = actor.is_some_and(model::demand::may_transfer) && live;
    Ok(render(DemandTpl {
        t,
        page,
        error,
        comments,
        history,
        can_support: user.is_some_and(|u| u.id != demand.created_by) && live,
        supported,
        can_comment: user.is_some() && live,
        can_answer: may_answer && demand.status == DemandStatus::Open,
        can_fulfil: may_answer && demand.status == DemandStatus::Accepted,
        departments: if can_transfer {
            departments(state).await.or_page(v)?
        } else {
            Vec::new()
        },
        can_transfer,
        reasons: RejectionReason::ALL
            .iter()
            .map(|r| (r.code().to_string(), r.label(lang).to_string()))
            .collect(),
        d: display,
    }))
}

/// After an action: back to the demand, or the demand's page again with the error.
async fn after(
    state: &SharedState,
    v: &Visitor,
    id: &str,
    outcome: Result<(), app::AppError>,
) -> PageResult {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/demands/{id}?msg=saved")).into_response()),
        Err(e) if !e.code.is_caller_error() || e.code == Code::DemandNotFound => {
            Err(PageError::page(v, ApiError(e)))
        }
        Err(e) => {
            let message = crate::i18n::error_message(v.lang, &e);
            let page = show(state, v, id, None, message).await?;
            Ok((crate::error::status(e.code), page).into_response())
        }
    }
}

#[derive(Deserialize, Default)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn support(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    let user = require_user(&v, &format!("/demands/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = demands::support(&state, &user, &id).await.map(|_| ());
    after(&state, &v, &id, outcome).await
}

async fn unsupport(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    let user = require_user(&v, &format!("/demands/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = demands::unsupport(&state, &user, &id).await.map(|_| ());
    after(&state, &v, &id, outcome).await
}

#[derive(Deserialize, Default)]
struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

async fn comment(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/demands/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = demands::comment(&state, &user, &id, &f.body)
        .await
        .map(|_| ());
    after(&state, &v, &id, outcome).await
}

#[derive(Deserialize, Default)]
struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    planned_date: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    text: String,
}

async fn answer(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/demands/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let decision = match f.decision.as_str() {
        "accept" => AnswerDecision::Accept,
        "reject" => AnswerDecision::Reject,
        _ => {
            let e = app::AppError::new(Code::InvalidField, "Choose accept or do not accept.");
            return after(&state, &v, &id, Err(e)).await;
        }
    };
    let input = AnswerInput {
        decision,
        planned_date: text_opt(&f.planned_date),
        reason: f.reason.parse::<RejectionReason>().ok(),
        text: f.text,
    };
    let outcome = demands::answer(&state, &user, &id, input).await.map(|_| ());
    after(&state, &v, &id, outcome).await
}

#[derive(Deserialize, Default)]
struct FulfilForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    dataset: String,
    #[serde(default)]
    grant: String,
}

async fn fulfil(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<FulfilForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/demands/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let input = FulfilInput {
        dataset: text_opt(&f.dataset),
        grant: text_opt(&f.grant),
    };
    let outcome = demands::fulfil(&state, &user, &id, input).await.map(|_| ());
    after(&state, &v, &id, outcome).await
}

#[derive(Deserialize, Default)]
struct TransferForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    department: String,
}

async fn transfer(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<TransferForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/demands/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = demands::transfer(&state, &user, &id, &f.department)
        .await
        .map(|_| ());
    after(&state, &v, &id, outcome).await
}

#[derive(Deserialize, Default)]
struct MergeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    into: String,
}

async fn merge(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<MergeForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/demands/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = demands::merge(&state, &user, &id, f.into.trim())
        .await
        .map(|_| ());
    after(&state, &v, &id, outcome).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_shown_in_china_standard_time() {
        // 2026-12-01T00:00+08:00.
        let ms = model::calendar::cst_day_start(20_788);
        assert_eq!(day(ms), "2026-12-01");
        // The last moment before a demand becomes overdue is the deadline day.
        assert_eq!(day(ms - 1), "2026-11-30");
    }

    #[test]
    fn every_history_kind_has_a_label() {
        for kind in ["filed", "accept", "reject", "fulfil", "transfer", "merge"] {
            assert!(!history_label(Tr(Lang::Zh), kind).is_empty(), "{kind}");
        }
    }
}
