//! Portal pages of feedback on public services (C10): the public list with filters, the form
//! (anyone, with photos), an item's page with its history and photos, the handling
//! department's steps and the logged reading of the contact, the submitter's rating and
//! reopening (signed in, or through the private link), the statistics with SVG charts, and the
//! authority's categories. The rules are in [`app::feedback`].

use super::charts::{stacked_bars, svg_response, Bar};
use super::page::{render, require_user, urlencode, OrPage, PageError, PageResult};
use super::pages::{fmt_time, PageCtx};
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::Tr;
use crate::state::SharedState;
use app::feedback::{
    self, ActionInput, FeedbackDetail, FeedbackInput, FeedbackQuery, ServiceInput, ServiceView,
    StatRow, Submitter,
};
use app::Code;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use model::feedback::{Attribute, AttributeType, Contact, FeedbackEvent, FeedbackStatus};
use model::role::{OrgKind, Role};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The feedback routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/feedback", get(list_page))
        .route("/feedback/new", get(new_page).post(new_submit))
        .route("/feedback/stats", get(stats_page))
        .route("/feedback/stats/{chart}", get(chart))
        .route("/feedback/services", get(services_page).post(save_service))
        .route("/feedback/{id}", get(item_page))
        .route("/feedback/{id}/act", post(act))
        .route("/feedback/{id}/contact", post(contact))
        .route("/feedback/{id}/rate", post(rate))
        .route("/feedback/{id}/reopen", post(reopen))
        .route("/feedback/{id}/photo/{n}", get(photo))
        .route("/feedback/{id}/photo/{n}/thumb", get(thumb))
}

const PAGE_SIZE: i64 = 20;

fn day(ms: i64) -> String {
    fmt_time(ms).chars().take(10).collect()
}

/// (value, label) pairs of the services, in the visitor's language.
fn service_options(services: &[ServiceView], en: bool) -> Vec<(String, String)> {
    services
        .iter()
        .map(|s| {
            let name = if en && !s.service.name_en.is_empty() {
                s.service.name_en.clone()
            } else {
                s.service.name.clone()
            };
            (s.service.code.clone(), name)
        })
        .collect()
}

async fn departments(state: &SharedState) -> Result<Vec<(String, String)>, ApiError> {
    Ok(app::accounts::list_orgs(state)
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Department)
        .map(|o| (o.name, o.title))
        .collect())
}

struct Row {
    id: String,
    service: String,
    description: String,
    department: String,
    status: String,
    overdue: bool,
    due: String,
    created: String,
    photos: i64,
}

#[derive(Template)]
#[template(path = "feedback_list.html")]
struct ListTpl {
    t: Tr,
    page: PageCtx,
    rows: Vec<Row>,
    services: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    service: String,
    department: String,
    status: String,
    overdue: bool,
    from: String,
    to: String,
    prev: String,
    next: String,
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    service: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<i64>,
}

async fn list_page(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<ListParams>,
) -> PageResult {
    let t = Tr(v.lang);
    let en = v.lang.code() == "en";
    let services = feedback::services(&state, false).await.or_page(&v)?;
    let departments = departments(&state).await.or_page(&v)?;
    let status = q.status.parse::<FeedbackStatus>().ok();
    let overdue = q.overdue == "true";
    let page_no = q.page.unwrap_or(1).clamp(1, 10_000);
    let parse = |s: &str| {
        Some(s.trim())
            .filter(|s| !s.is_empty())
            .map(feedback::parse_day)
            .transpose()
    };
    let from = parse(&q.from).or_page(&v)?;
    let to = parse(&q.to).or_page(&v)?;
    let list = feedback::list(
        &state,
        FeedbackQuery {
            services: Some(q.service.clone())
                .filter(|s| !s.is_empty())
                .into_iter()
                .collect(),
            department: Some(q.department.clone()).filter(|s| !s.is_empty()),
            statuses: status.into_iter().collect(),
            overdue,
            from,
            until: to.map(|d| d + model::calendar::DAY_MS),
            offset: (page_no - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
            ..FeedbackQuery::default()
        },
    )
    .await
    .or_page(&v)?;
    let rows = list
        .items
        .iter()
        .map(|f| Row {
            id: f.feedback.id.clone(),
            service: if en && !f.service_name_en.is_empty() {
                f.service_name_en.clone()
            } else {
                f.service_name.clone()
            },
            description: f
                .description
                .as_deref()
                .map(|d| d.chars().take(60).collect())
                .unwrap_or_else(|| "—".into()),
            department: f.department_title.clone(),
            status: f.feedback.status.label(v.lang.code()).to_string(),
            overdue: f.overdue,
            due: day(f.feedback.due_at - 1),
            created: fmt_time(f.feedback.created_at),
            photos: f.feedback.photo_count,
        })
        .collect();
    let link = |page: i64| {
        format!(
            "/feedback?service={}&department={}&status={}&overdue={}&from={}&to={}&page={page}",
            urlencode(&q.service),
            urlencode(&q.department),
            status.map(|s| s.code()).unwrap_or(""),
            if overdue { "true" } else { "" },
            urlencode(&q.from),
            urlencode(&q.to),
        )
    };
    Ok(render(ListTpl {
        t,
        page: PageCtx::new(&v, "/feedback"),
        rows,
        services: service_options(&services, en),
        departments,
        statuses: FeedbackStatus::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.label(v.lang.code()).to_string()))
            .collect(),
        service: q.service.clone(),
        department: q.department.clone(),
        status: status.map(|s| s.code().to_string()).unwrap_or_default(),
        overdue,
        from: q.from.clone(),
        to: q.to.clone(),
        prev: if page_no > 1 {
            link(page_no - 1)
        } else {
            String::new()
        },
        next: if list.more {
            link(page_no + 1)
        } else {
            String::new()
        },
    }))
}

/// A question of the chosen service, as the form shows it.
struct Question {
    code: String,
    label: String,
    required: bool,
    kind: &'static str,
    options: Vec<(String, String)>,
    value: String,
}

#[derive(Template)]
#[template(path = "feedback_new.html")]
struct NewTpl {
    t: Tr,
    page: PageCtx,
    services: Vec<(String, String)>,
    service: String,
    service_name: String,
    questions: Vec<Question>,
    form: BTreeMap<String, String>,
    error: String,
}

#[derive(Deserialize, Default)]
struct NewParams {
    #[serde(default)]
    service: String,
}

fn questions(attrs: &[Attribute], form: &BTreeMap<String, String>) -> Vec<Question> {
    attrs
        .iter()
        .map(|a| Question {
            code: a.code.clone(),
            label: a.description.clone(),
            required: a.required,
            kind: match a.datatype {
                AttributeType::SingleValueList | AttributeType::MultiValueList => "select",
                AttributeType::Number => "number",
                AttributeType::Text => "textarea",
                AttributeType::Datetime => "datetime",
                AttributeType::String => "text",
            },
            options: a
                .values
                .iter()
                .map(|v| (v.key.clone(), v.name.clone()))
                .collect(),
            value: form
                .get(&format!("attribute[{}]", a.code))
                .cloned()
                .unwrap_or_default(),
        })
        .collect()
}

async fn new_form(
    state: &SharedState,
    v: &Visitor,
    service: &str,
    form: BTreeMap<String, String>,
    error: String,
) -> PageResult<Response> {
    let en = v.lang.code() == "en";
    let services = feedback::services(state, true).await.or_page(v)?;
    let chosen = services.iter().find(|s| s.service.code == service);
    Ok(render(NewTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, "/feedback/new"),
        service: chosen.map(|s| s.service.code.clone()).unwrap_or_default(),
        service_name: chosen
            .map(|s| {
                if en && !s.service.name_en.is_empty() {
                    s.service.name_en.clone()
                } else {
                    s.service.name.clone()
                }
            })
            .unwrap_or_default(),
        questions: chosen
            .map(|s| questions(&s.service.attributes, &form))
            .unwrap_or_default(),
        services: service_options(&services, en),
        form,
        error,
    }))
}

async fn new_page(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<NewParams>,
) -> PageResult {
    new_form(&state, &v, &q.service, BTreeMap::new(), String::new()).await
}

/// Reads the form: text fields, and up to [`model::feedback::MAX_PHOTOS`] photos, each read only
/// up to its limit plus one byte (so an oversized one is refused without being held whole).
async fn read_form(
    mut multipart: Multipart,
) -> Result<(BTreeMap<String, String>, Vec<Vec<u8>>), app::AppError> {
    let bad = |m: String| app::AppError::new(Code::BadRequest, m);
    let mut fields = BTreeMap::new();
    let mut photos = Vec::new();
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| bad(e.body_text()))? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > model::feedback::MAX_PHOTO_BYTES {
                    return Err(app::AppError {
                        detail_code: Some("photo_too_large"),
                        ..app::AppError::new(Code::PayloadTooLarge, "A photo may be at most 5 MiB.")
                    });
                }
            }
            // A file input left empty still sends an empty part.
            if !bytes.is_empty() {
                photos.push(bytes);
            }
        } else {
            let text = field.text().await.map_err(|e| bad(e.body_text()))?;
            fields.insert(name, text);
        }
    }
    Ok((fields, photos))
}

async fn new_submit(
    State(state): State<SharedState>,
    v: Visitor,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let multipart = multipart
        .map_err(|e| ApiError::new(Code::BadRequest, e.body_text()))
        .or_page(&v)?;
    let (form, photos) = read_form(multipart).await.or_page(&v)?;
    let get = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    // A signed-in visitor's form must come from this site; an anonymous one has no session to
    // ride on.
    if v.session.is_some() {
        v.check_csrf(&get("csrf")).or_page(&v)?;
    }
    let service = get("service_code");
    let number = |k: &str| -> Result<Option<f64>, app::AppError> {
        let s = get(k);
        if s.is_empty() {
            return Ok(None);
        }
        s.parse().map(Some).map_err(|_| {
            app::AppError::new(
                Code::InvalidLocation,
                format!("`{k}` must be a number of degrees."),
            )
        })
    };
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, val) in &form {
        if let Some(code) = k
            .strip_prefix("attribute[")
            .and_then(|r| r.strip_suffix(']'))
        {
            if !val.trim().is_empty() {
                attributes
                    .entry(code.to_string())
                    .or_default()
                    .push(val.clone());
            }
        }
    }
    let outcome = async {
        let input = FeedbackInput {
            service_code: service.clone(),
            description: get("description"),
            lat: number("lat")?,
            long: number("long")?,
            address: Some(get("address")).filter(|a| !a.is_empty()),
            attributes,
            contact: Some(Contact {
                name: Some(get("contact_name")),
                phone: Some(get("contact_phone")),
                email: Some(get("contact_email")),
            }),
        };
        let client = v.addr.map(|a| a.ip());
        feedback::submit(&state, v.user.as_ref(), input, photos, client).await
    }
    .await;
    match outcome {
        Ok(done) => Ok(Redirect::to(&format!(
            "/feedback/{}?key={}&msg=submitted",
            done.feedback.feedback.id, done.key
        ))
        .into_response()),
        Err(e) if !e.code.is_caller_error() => Err(PageError::page(&v, ApiError(e))),
        Err(e) => {
            let message = crate::i18n::error_message(v.lang, &e);
            let page = new_form(&state, &v, &service, form, message).await?;
            Ok((crate::error::status(e.code), page).into_response())
        }
    }
}

struct Step {
    when: String,
    what: String,
    status: String,
    department: String,
    note: String,
}

#[derive(Template)]
#[template(path = "feedback_item.html")]
struct ItemTpl {
    t: Tr,
    page: PageCtx,
    d: FeedbackDetail,
    service_name: String,
    status: String,
    created: String,
    due: String,
    expected: String,
    attributes: Vec<(String, String)>,
    steps: Vec<Step>,
    handles: bool,
    reads_contact: bool,
    contact: Option<Option<Contact>>,
    actions: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    can_rate: bool,
    can_reopen: bool,
    key: String,
    private_link: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct ItemParams {
    #[serde(default)]
    key: String,
    #[serde(default)]
    msg: String,
}

async fn show(
    state: &SharedState,
    v: &Visitor,
    id: &str,
    key: &str,
    contact: Option<Option<Contact>>,
    error: String,
    flash: &str,
) -> PageResult<Response> {
    let t = Tr(v.lang);
    let lang = v.lang.code();
    let d = feedback::get(state, id).await.or_page(v)?;
    let f = &d.view.feedback;
    let user = v.user.as_ref();
    let handles = user.is_some_and(|u| {
        u.role == Role::Authority
            || (u.role == Role::Staff && u.org_id.as_deref() == Some(f.org_id.as_str()))
    });
    let reads_contact = user
        .is_some_and(|u| u.role == Role::Staff && u.org_id.as_deref() == Some(f.org_id.as_str()));
    let submitter = (!key.is_empty() && feedback::is_submitter(f, Submitter::Key(key)))
        || user.is_some_and(|u| feedback::is_submitter(f, Submitter::Account(u)));
    let now = app::clock::now_ms();
    let service = feedback::service(state, &f.service_code).await.ok();
    let attributes = f
        .attributes
        .iter()
        .map(|(code, values)| {
            let def = service
                .as_ref()
                .and_then(|s| s.service.attributes.iter().find(|a| &a.code == code));
            let label = def.map_or_else(|| code.clone(), |a| a.description.clone());
            let shown: Vec<String> = values
                .iter()
                .map(|val| {
                    def.and_then(|a| a.values.iter().find(|x| &x.key == val))
                        .map_or_else(|| val.clone(), |x| x.name.clone())
                })
                .collect();
            (label, shown.join("、"))
        })
        .collect();
    let steps = d
        .history
        .iter()
        .map(|s| Step {
            when: fmt_time(s.step.created_at),
            what: s.step.kind.label(lang).to_string(),
            status: s.step.status.label(lang).to_string(),
            department: s.department_title.clone(),
            note: s.step.note.clone(),
        })
        .collect();
    let actions = [
        FeedbackEvent::Accept,
        FeedbackEvent::Start,
        FeedbackEvent::Resolve,
        FeedbackEvent::Reject,
        FeedbackEvent::Transfer,
        FeedbackEvent::Note,
        FeedbackEvent::Hide,
    ]
    .into_iter()
    .filter(|e| model::feedback::transition(f.status, *e).is_ok())
    .filter(|e| *e != FeedbackEvent::Hide || f.hidden_reason.is_none())
    .map(|e| (e.code().to_string(), e.label(lang).to_string()))
    .collect();
    let can_rate =
        submitter && model::feedback::check_rating(f.status, 5, f.rating.is_some()).is_ok();
    let can_reopen = submitter
        && model::feedback::check_reopen(f.status, f.reopen_count, f.closed_at, now).is_ok();
    let en = lang == "en";
    let mut page = PageCtx::new(v, &format!("/feedback/{id}"));
    page.flash = flash.to_string();
    // The private link is shown right after submission, which is when the flash says so.
    let private_link = if flash == t.feedback_private_link() && !key.is_empty() {
        format!("/feedback/{id}?key={key}")
    } else {
        String::new()
    };
    Ok(render(ItemTpl {
        t,
        service_name: if en && !d.view.service_name_en.is_empty() {
            d.view.service_name_en.clone()
        } else {
            d.view.service_name.clone()
        },
        status: f.status.label(lang).to_string(),
        created: fmt_time(f.created_at),
        due: day(f.due_at - 1),
        expected: f.expected_at.map(day).unwrap_or_default(),
        attributes,
        steps,
        handles,
        reads_contact,
        contact,
        actions,
        departments: if handles {
            departments(state).await.or_page(v)?
        } else {
            Vec::new()
        },
        can_rate,
        can_reopen,
        key: key.to_string(),
        private_link,
        error,
        page,
        d,
    }))
}

async fn item_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<ItemParams>,
) -> PageResult {
    let t = Tr(v.lang);
    let flash = match q.msg.as_str() {
        "submitted" => t.feedback_private_link(),
        "done" => t.message_feedback_done(),
        _ => "",
    };
    show(&state, &v, &id, &q.key, None, String::new(), flash).await
}

/// After a step: back to the item, or the item with the error.
async fn after(
    state: &SharedState,
    v: &Visitor,
    id: &str,
    key: &str,
    outcome: Result<(), app::AppError>,
) -> PageResult {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/feedback/{id}?msg=done{}",
            if key.is_empty() {
                String::new()
            } else {
                format!("&key={}", urlencode(key))
            }
        ))
        .into_response()),
        Err(e) if !e.code.is_caller_error() || e.code == Code::FeedbackNotFound => {
            Err(PageError::page(v, ApiError(e)))
        }
        Err(e) => {
            let message = crate::i18n::error_message(v.lang, &e);
            let page = show(state, v, id, key, None, message, "").await?;
            Ok((crate::error::status(e.code), page).into_response())
        }
    }
}

#[derive(Deserialize, Default)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    expected_date: String,
    #[serde(default)]
    department: String,
}

async fn act(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/feedback/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = match f.action.parse::<FeedbackEvent>() {
        Ok(action) => feedback::act(
            &state,
            &user,
            &id,
            ActionInput {
                action,
                note: f.note,
                expected_date: Some(f.expected_date).filter(|s| !s.trim().is_empty()),
                department: Some(f.department).filter(|s| !s.trim().is_empty()),
            },
        )
        .await
        .map(|_| ()),
        Err(e) => Err(app::AppError::new(Code::InvalidField, format!("{e}."))),
    };
    after(&state, &v, &id, "", outcome).await
}

#[derive(Deserialize, Default)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn contact(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/feedback/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let c = feedback::contact(&state, &user, &id, v.addr.map(|a| a.ip()))
        .await
        .or_page(&v)?;
    show(&state, &v, &id, "", Some(c), String::new(), "").await
}

#[derive(Deserialize, Default)]
struct SubmitterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    reason: String,
}

/// Who the submitter is: the private key when given (it is itself the proof that the form came
/// from its holder), else the signed-in account with the form's CSRF token.
fn who<'a>(v: &'a Visitor, f: &'a SubmitterForm, id: &str) -> PageResult<Submitter<'a>> {
    if !f.key.is_empty() {
        return Ok(Submitter::Key(&f.key));
    }
    let user = v
        .user
        .as_ref()
        .ok_or_else(|| PageError::SignIn(format!("/feedback/{id}")))?;
    v.check_csrf(&f.csrf).or_page(v)?;
    Ok(Submitter::Account(user))
}

async fn rate(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<SubmitterForm>,
) -> PageResult {
    let who = who(&v, &f, &id)?;
    let outcome = match f.rating.trim().parse::<i64>() {
        Ok(r) => feedback::rate(&state, who, &id, r).await.map(|_| ()),
        Err(_) => Err(app::AppError::new(
            Code::InvalidField,
            "Choose a rating from 1 to 5.",
        )),
    };
    after(&state, &v, &id, &f.key, outcome).await
}

async fn reopen(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<SubmitterForm>,
) -> PageResult {
    let who = who(&v, &f, &id)?;
    let outcome = feedback::reopen(&state, who, &id, &f.reason)
        .await
        .map(|_| ());
    after(&state, &v, &id, &f.key, outcome).await
}

async fn image(state: &SharedState, v: &Visitor, id: &str, n: &str, thumbnail: bool) -> PageResult {
    let n: i64 = n
        .parse()
        .map_err(|_| ApiError::new(Code::NotFound, "There is no such photo."))
        .or_page(v)?;
    let (bytes, media_type) = feedback::photo_at(state, id, n, thumbnail)
        .await
        .or_page(v)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, media_type),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}

async fn photo(
    State(state): State<SharedState>,
    v: Visitor,
    Path((id, n)): Path<(String, String)>,
) -> PageResult {
    image(&state, &v, &id, &n, false).await
}

async fn thumb(
    State(state): State<SharedState>,
    v: Visitor,
    Path((id, n)): Path<(String, String)>,
) -> PageResult {
    image(&state, &v, &id, &n, true).await
}

/// A row of a statistics table, formatted.
struct Line {
    title: String,
    link: String,
    total: i64,
    resolved: i64,
    rejected: i64,
    overdue: i64,
    rate: String,
    rating: String,
    answer_h: String,
    resolve_h: String,
}

fn line(r: &StatRow) -> Line {
    let c = &r.counts;
    let opt = |x: Option<f64>| x.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into());
    Line {
        title: r.title.clone(),
        link: match r.kind {
            "service" => format!("/feedback?service={}", urlencode(&r.key)),
            "department" => format!("/feedback?department={}", urlencode(&r.key)),
            _ => String::new(),
        },
        total: c.total,
        resolved: c.resolved,
        rejected: c.rejected,
        overdue: c.overdue,
        rate: r
            .resolution_rate
            .map(|x| format!("{:.0}%", x * 100.0))
            .unwrap_or_else(|| "—".into()),
        rating: opt(r.mean_rating),
        answer_h: opt(r.median_hours_to_answer),
        resolve_h: opt(r.median_hours_to_resolve),
    }
}

#[derive(Template)]
#[template(path = "feedback_stats.html")]
struct StatsTpl {
    t: Tr,
    page: PageCtx,
    as_of: String,
    empty: bool,
    services: Vec<Line>,
    departments: Vec<Line>,
    totals: Vec<Line>,
    months: Vec<(String, i64, i64)>,
}

async fn stats_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let s = feedback::stats(&state).await.or_page(&v)?;
    Ok(render(StatsTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/feedback/stats"),
        as_of: fmt_time(s.as_of),
        empty: s.total.counts.total == 0,
        services: s.services.iter().map(line).collect(),
        departments: s.departments.iter().map(line).collect(),
        totals: vec![line(&s.total)],
        months: s
            .months
            .iter()
            .rev()
            .take(12)
            .rev()
            .map(|m| (m.month.clone(), m.total, m.resolved))
            .collect(),
    }))
}

async fn chart(
    State(state): State<SharedState>,
    v: Visitor,
    Path(chart): Path<String>,
) -> Result<Response, ApiError> {
    let t = Tr(v.lang);
    let s = feedback::stats(&state).await?;
    let svg = match chart.as_str() {
        "volume.svg" => {
            let bars: Vec<Bar> = s
                .services
                .iter()
                .take(12)
                .map(|r| Bar {
                    label: r.title.clone(),
                    values: vec![
                        r.counts.resolved as f64,
                        r.counts.rejected as f64,
                        (r.counts.total - r.counts.resolved - r.counts.rejected) as f64,
                    ],
                })
                .collect();
            stacked_bars(
                t.feedback_stats_by_service(),
                &bars,
                &[
                    t.feedback_stats_resolved(),
                    t.feedback_stats_rejected(),
                    FeedbackStatus::Submitted.label(v.lang.code()),
                ],
                None,
                false,
            )
        }
        "months.svg" => {
            let bars: Vec<Bar> = s
                .months
                .iter()
                .rev()
                .take(12)
                .rev()
                .map(|m| Bar {
                    label: m.month.clone(),
                    values: vec![m.resolved as f64, (m.total - m.resolved) as f64],
                })
                .collect();
            stacked_bars(
                t.feedback_stats_months(),
                &bars,
                &[t.feedback_stats_resolved(), t.feedback_stats_total_n()],
                None,
                false,
            )
        }
        _ => return Err(ApiError::new(Code::NotFound, "There is no such chart.")),
    }
    .map_err(ApiError::internal)?;
    Ok(svg_response(svg))
}

#[derive(Template)]
#[template(path = "feedback_services.html")]
struct ServicesTpl {
    t: Tr,
    page: PageCtx,
    services: Vec<ServiceView>,
    departments: Vec<(String, String)>,
    error: String,
}

async fn services_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    services_form(&state, &v, String::new(), "").await
}

async fn services_form(state: &SharedState, v: &Visitor, error: String, flash: &str) -> PageResult {
    let user = require_user(v, "/feedback/services")?;
    if user.role != Role::Authority {
        return Err(PageError::page(
            v,
            ApiError::new(
                Code::Forbidden,
                "Only the data authority manages the categories of feedback.",
            ),
        ));
    }
    let mut page = PageCtx::new(v, "/feedback/services");
    page.flash = flash.to_string();
    Ok(render(ServicesTpl {
        t: Tr(v.lang),
        page,
        services: feedback::services(state, false).await.or_page(v)?,
        departments: departments(state).await.or_page(v)?,
        error,
    }))
}

#[derive(Deserialize, Default)]
struct ServiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    attributes: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    active: String,
}

async fn save_service(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<ServiceForm>,
) -> PageResult {
    let user = require_user(&v, "/feedback/services")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let attributes = if f.attributes.trim().is_empty() {
        Ok(Vec::new())
    } else {
        serde_json::from_str::<Vec<Attribute>>(&f.attributes).map_err(|e| {
            app::AppError::new(
                Code::InvalidField,
                format!("The extra questions are not valid JSON attributes: {e}."),
            )
        })
    };
    let outcome = match attributes {
        Ok(attributes) => feedback::save_service(
            &state,
            &user,
            ServiceInput {
                code: f.code.trim().to_string(),
                name: f.name,
                name_en: f.name_en,
                description: f.description,
                group: f.group,
                keywords: f.keywords.split([',', '，']).map(str::to_string).collect(),
                attributes,
                department: f.department,
                active: f.active == "true",
            },
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => {
            services_form(
                &state,
                &v,
                String::new(),
                Tr(v.lang).message_service_saved(),
            )
            .await
        }
        Err(e) if !e.code.is_caller_error() => Err(PageError::page(&v, ApiError(e))),
        Err(e) => {
            let message = crate::i18n::error_message(v.lang, &e);
            let page = services_form(&state, &v, message, "").await?;
            Ok((crate::error::status(e.code), page).into_response())
        }
    }
}
