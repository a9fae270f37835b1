//! Portal pages of policy consultations (C11): the list, publishing a draft, and a draft's page
//! with its articles, comments (by article, with stances), the forms to comment, support,
//! withdraw, hide and answer, the result with its statistics and charts, and the downloads.
//! Every action is a form with the session's CSRF token; the rules are in
//! [`app::consultations`].

use super::charts::{stacked_bars, svg_response, Bar};
use super::page::{render, require_user, OrPage, PageError, PageResult};
use super::pages::{fmt_time, PageCtx};
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use crate::state::SharedState;
use app::consultations::{self, AnswerInput, ArticleInput, CommentInput, ConsultationInput};
use app::Code;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use model::consultation::{Adoption, Audience, ParticipantKind, Phase, Stance};
use model::role::Role;
use serde::Deserialize;

/// The consultation routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/consultations", get(list_page))
        .route("/consultations/new", get(new_page).post(new_submit))
        .route("/consultations/{id}", get(detail_page))
        .route("/consultations/{id}/comment", post(comment))
        .route("/consultations/{id}/result", post(result))
        .route("/consultations/{id}/attachments", post(attach))
        .route("/consultations/{id}/chart/{chart}", get(chart))
        .route("/consultations/{id}/comments/{cid}/support", post(support))
        .route(
            "/consultations/{id}/comments/{cid}/withdraw",
            post(withdraw),
        )
        .route("/consultations/{id}/comments/{cid}/edit", post(edit))
        .route("/consultations/{id}/comments/{cid}/hide", post(hide))
        .route("/consultations/{id}/comments/{cid}/answer", post(answer))
}

fn day(ms: i64) -> String {
    fmt_time(ms).chars().take(10).collect()
}

/// One consultation in the list.
struct ListRow {
    id: String,
    title: String,
    department: String,
    phase: String,
    overdue: bool,
    period: String,
    comments: i64,
    enterprises_only: bool,
}

#[derive(Template)]
#[template(path = "consultations.html")]
struct ListTpl {
    t: Tr,
    page: PageCtx,
    rows: Vec<ListRow>,
    can_publish: bool,
}

fn period(opens_at: i64, closes_at: i64) -> String {
    format!("{} – {}", day(opens_at), day(closes_at - 1))
}

async fn list_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let lang = v.lang.code();
    let page = consultations::list(&state, 0, 100).await.or_page(&v)?;
    let rows = page
        .consultations
        .iter()
        .map(|c| ListRow {
            id: c.consultation.id.clone(),
            title: c.consultation.title.clone(),
            department: c.department_title.clone(),
            phase: c.phase.label(lang).to_string(),
            overdue: c.overdue,
            period: period(c.consultation.opens_at, c.consultation.closes_at),
            comments: c.consultation.comment_count,
            enterprises_only: c.consultation.audience == Audience::Enterprises,
        })
        .collect();
    Ok(render(ListTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/consultations"),
        rows,
        can_publish: v.user.as_ref().is_some_and(|u| u.role == Role::Staff),
    })
    .into_response())
}

/// The fields of the publishing form, kept to show it again after an error.
#[derive(Deserialize, Default)]
struct DraftForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    opens: String,
    #[serde(default)]
    closes: String,
    #[serde(default)]
    short_reason: String,
    /// One article per paragraph; paragraphs are separated by an empty line.
    #[serde(default)]
    articles: String,
}

#[derive(Template)]
#[template(path = "new_consultation.html")]
struct NewTpl {
    t: Tr,
    page: PageCtx,
    form: DraftForm,
    error: String,
}

fn new_form(
    v: &Visitor,
    form: DraftForm,
    error: String,
    status: axum::http::StatusCode,
) -> Response {
    (
        status,
        render(NewTpl {
            t: Tr(v.lang),
            page: PageCtx::new(v, "/consultations/new"),
            form,
            error,
        }),
    )
        .into_response()
}

async fn new_page(v: Visitor) -> PageResult {
    require_user(&v, "/consultations/new")?;
    Ok(new_form(
        &v,
        DraftForm::default(),
        String::new(),
        axum::http::StatusCode::OK,
    ))
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Paragraphs separated by empty lines are articles; a first line in 【】 is the heading.
fn articles(text: &str) -> Vec<ArticleInput> {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(
            |p| match p.strip_prefix('【').and_then(|r| r.split_once('】')) {
                Some((heading, body)) => ArticleInput {
                    heading: heading.trim().to_string(),
                    body: body.trim().to_string(),
                },
                None => ArticleInput {
                    heading: String::new(),
                    body: p.to_string(),
                },
            },
        )
        .collect()
}

async fn new_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<DraftForm>,
) -> PageResult {
    let user = require_user(&v, "/consultations/new")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let input = ConsultationInput {
        title: f.title.clone(),
        summary: f.summary.clone(),
        audience: f.audience.parse::<Audience>().ok(),
        opens: opt(&f.opens),
        closes: opt(&f.closes),
        short_reason: opt(&f.short_reason),
        articles: articles(&f.articles),
    };
    match consultations::publish(&state, &user, input).await {
        Ok(c) => Ok(Redirect::to(&format!("/consultations/{}", c.id)).into_response()),
        Err(e) if !e.code.is_caller_error() => Err(e).or_page(&v),
        Err(e) => Ok(new_form(
            &v,
            f,
            crate::i18n::error_message(v.lang, &e),
            crate::error::status(e.code),
        )),
    }
}

/// A comment as the page shows it.
struct CommentRow {
    id: String,
    who: String,
    stance: String,
    stance_code: String,
    body: String,
    hidden_reason: String,
    withdrawn: bool,
    supports: i64,
    adoption: String,
    answer: String,
    mine: bool,
    can_answer: bool,
}

/// An article with its comments.
struct ArticleBlock {
    number: i64,
    heading: String,
    body: String,
    comments: Vec<CommentRow>,
}

#[derive(Template)]
#[template(path = "consultation.html")]
struct DetailTpl {
    t: Tr,
    page: PageCtx,
    id: String,
    title: String,
    summary: String,
    department: String,
    phase: String,
    open: bool,
    closed: bool,
    published: bool,
    overdue: bool,
    period: String,
    answers_due: String,
    short_reason: String,
    audience: String,
    result_summary: String,
    articles: Vec<ArticleBlock>,
    /// (id, name, size in KiB).
    attachments: Vec<(String, String, String)>,
    can_attach: bool,
    general: Vec<CommentRow>,
    can_comment: bool,
    can_support: bool,
    can_moderate: bool,
    can_run: bool,
    unanswered: i64,
    stances: Vec<(String, String)>,
    adoptions: Vec<(String, String)>,
    error: String,
    stats: Option<StatsBox>,
}

/// The statistics shown with the result (and to the department before it).
struct StatsBox {
    comments: i64,
    hidden: i64,
    withdrawn: i64,
    participants: i64,
    citizens: i64,
    enterprises: i64,
    private_enterprises: i64,
    smes: i64,
    government: i64,
    adopted: i64,
    partly: i64,
    not_adopted: i64,
    adoption_rate: String,
}

fn who(c: &consultations::CommentView, t: Tr) -> String {
    let kind = match c.participant {
        ParticipantKind::Citizen => t.consultation_citizen(),
        ParticipantKind::Enterprise => t.consultation_enterprise(),
        ParticipantKind::Government => t.consultation_government(),
    };
    match &c.organization {
        Some(o) => format!("{kind} · {o} · {}", fmt_time(c.created_at)),
        None => format!("{kind} · {}", fmt_time(c.created_at)),
    }
}

#[derive(Deserialize, Default)]
struct MsgQuery {
    #[serde(default)]
    msg: Option<String>,
}

async fn detail_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<MsgQuery>,
) -> PageResult {
    let _ = q.msg;
    show(&state, &v, &id, String::new()).await
}

async fn show(state: &SharedState, v: &Visitor, id: &str, error: String) -> PageResult {
    let t = Tr(v.lang);
    let lang = v.lang.code();
    let user = v.user.as_ref();
    let d = consultations::detail(state, id, user).await.or_page(v)?;
    let c = &d.view.consultation;
    let phase = d.view.phase;
    let can_run =
        user.is_some_and(|u| model::consultation::may_run(u.role, u.org_id.as_deref(), &c.org_id));
    let can_moderate = user
        .is_some_and(|u| model::consultation::may_moderate(u.role, u.org_id.as_deref(), &c.org_id));
    let can_comment = user.is_some_and(|u| {
        model::consultation::may_take_part(
            model::consultation::Participant { role: u.role },
            c.audience,
            phase,
        )
        .is_ok()
    });
    let row = |m: &consultations::CommentView| CommentRow {
        id: m.id.clone(),
        who: who(m, t),
        stance: m.stance.label(lang).to_string(),
        stance_code: m.stance.code().to_string(),
        body: m.body.clone(),
        hidden_reason: m.hidden_reason.clone().unwrap_or_default(),
        withdrawn: m.withdrawn,
        supports: m.support_count,
        adoption: m
            .adoption
            .map(|a| a.label(lang).to_string())
            .unwrap_or_default(),
        answer: m.answer.clone().unwrap_or_default(),
        mine: m.mine,
        can_answer: can_run
            && phase == Phase::Closed
            && m.adoption.is_none()
            && !m.withdrawn
            && m.hidden_reason.is_none(),
    };
    let articles = d
        .articles
        .iter()
        .map(|a| ArticleBlock {
            number: a.number,
            heading: a.heading.clone(),
            body: a.body.clone(),
            comments: d
                .comments
                .iter()
                .filter(|m| m.article == Some(a.number))
                .map(row)
                .collect(),
        })
        .collect();
    let general = d
        .comments
        .iter()
        .filter(|m| m.article.is_none())
        .map(row)
        .collect();
    let unanswered = d
        .comments
        .iter()
        .filter(|m| !m.withdrawn && m.hidden_reason.is_none() && m.adoption.is_none())
        .count() as i64;
    let stats = if phase == Phase::Published || (can_run && phase == Phase::Closed) {
        let s = consultations::stats(state, id).await.or_page(v)?;
        Some(StatsBox {
            comments: s.comments,
            hidden: s.hidden,
            withdrawn: s.withdrawn,
            participants: s.participants,
            citizens: s.citizens,
            enterprises: s.enterprises,
            private_enterprises: s.private_enterprises,
            smes: s.smes,
            government: s.government,
            adopted: s.adopted,
            partly: s.partly,
            not_adopted: s.not_adopted,
            adoption_rate: s
                .adoption_rate
                .map(|r| format!("{:.0}%", r * 100.0))
                .unwrap_or_else(|| "—".into()),
        })
    } else {
        None
    };
    Ok(render(DetailTpl {
        t,
        page: PageCtx::new(v, &format!("/consultations/{id}")),
        id: c.id.clone(),
        title: c.title.clone(),
        summary: c.summary.clone(),
        department: d.view.department_title.clone(),
        phase: phase.label(lang).to_string(),
        open: phase == Phase::Open,
        closed: phase == Phase::Closed,
        published: phase == Phase::Published,
        overdue: d.view.overdue,
        period: period(c.opens_at, c.closes_at),
        answers_due: day(c.answers_due_at - 1),
        short_reason: c.short_reason.clone().unwrap_or_default(),
        audience: c.audience.label(lang).to_string(),
        result_summary: c.result_summary.clone().unwrap_or_default(),
        articles,
        attachments: d
            .attachments
            .iter()
            .map(|a| {
                (
                    a.id.clone(),
                    a.name.clone(),
                    format!("{:.0} KiB", (a.byte_size as f64 / 1024.0).ceil()),
                )
            })
            .collect(),
        can_attach: can_run && matches!(phase, Phase::Upcoming | Phase::Open),
        general,
        can_comment,
        can_support: can_comment,
        can_moderate,
        can_run,
        unanswered,
        stances: Stance::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.label(lang).to_string()))
            .collect(),
        adoptions: Adoption::ALL
            .iter()
            .map(|s| (s.code().to_string(), s.label(lang).to_string()))
            .collect(),
        error,
        stats,
    })
    .into_response())
}

/// After a form: back to the page, or the page again with the error.
async fn after(
    state: &SharedState,
    v: &Visitor,
    id: &str,
    anchor: &str,
    outcome: Result<(), app::AppError>,
) -> PageResult {
    match outcome {
        Ok(()) => {
            Ok(Redirect::to(&format!("/consultations/{id}?msg=saved{anchor}")).into_response())
        }
        Err(e) if !e.code.is_caller_error() || e.code == Code::ConsultationNotFound => {
            Err(PageError::page(v, ApiError(e)))
        }
        Err(e) => {
            let message = crate::i18n::error_message(v.lang, &e);
            let page = show(state, v, id, message).await?;
            Ok((crate::error::status(e.code), page).into_response())
        }
    }
}

#[derive(Deserialize, Default)]
struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    article: String,
    #[serde(default)]
    stance: String,
    #[serde(default)]
    body: String,
}

async fn comment(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/consultations/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = async {
        let stance = f
            .stance
            .parse::<Stance>()
            .map_err(|e| app::AppError::new(Code::InvalidField, format!("{e}.")))?;
        let article = match f.article.trim() {
            "" => None,
            n => Some(n.parse::<i64>().map_err(|_| {
                app::AppError::new(
                    Code::InvalidField,
                    format!("`{n}` is not an article number."),
                )
            })?),
        };
        consultations::comment(
            &state,
            &user,
            &id,
            CommentInput {
                article,
                stance,
                body: f.body.clone(),
            },
        )
        .await
        .map(|_| ())
    }
    .await;
    after(&state, &v, &id, "#comments", outcome).await
}

#[derive(Deserialize, Default)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn support(
    State(state): State<SharedState>,
    v: Visitor,
    Path((id, cid)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    let user = require_user(&v, &format!("/consultations/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = consultations::support_comment(&state, &user, &cid)
        .await
        .map(|_| ());
    after(&state, &v, &id, "", outcome).await
}

async fn withdraw(
    State(state): State<SharedState>,
    v: Visitor,
    Path((id, cid)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    let user = require_user(&v, &format!("/consultations/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = consultations::withdraw_comment(&state, &user, &cid)
        .await
        .map(|_| ());
    after(&state, &v, &id, "", outcome).await
}

#[derive(Deserialize, Default)]
struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    stance: String,
    #[serde(default)]
    body: String,
}

async fn edit(
    State(state): State<SharedState>,
    v: Visitor,
    Path((id, cid)): Path<(String, String)>,
    Form(f): Form<EditForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/consultations/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = async {
        let stance = f
            .stance
            .parse::<Stance>()
            .map_err(|e| app::AppError::new(Code::InvalidField, format!("{e}.")))?;
        consultations::edit_comment(&state, &user, &cid, stance, &f.body)
            .await
            .map(|_| ())
    }
    .await;
    after(&state, &v, &id, "", outcome).await
}

#[derive(Deserialize, Default)]
struct ReasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn hide(
    State(state): State<SharedState>,
    v: Visitor,
    Path((id, cid)): Path<(String, String)>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/consultations/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = consultations::hide_comment(&state, &user, &cid, &f.reason)
        .await
        .map(|_| ());
    after(&state, &v, &id, "", outcome).await
}

#[derive(Deserialize, Default)]
struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    adoption: String,
    #[serde(default)]
    text: String,
}

async fn answer(
    State(state): State<SharedState>,
    v: Visitor,
    Path((id, cid)): Path<(String, String)>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/consultations/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = async {
        let adoption = f
            .adoption
            .parse::<Adoption>()
            .map_err(|e| app::AppError::new(Code::InvalidField, format!("{e}.")))?;
        consultations::answer_comment(
            &state,
            &user,
            &cid,
            AnswerInput {
                adoption,
                text: f.text.clone(),
            },
        )
        .await
        .map(|_| ())
    }
    .await;
    after(&state, &v, &id, "", outcome).await
}

async fn attach(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let user = require_user(&v, &format!("/consultations/{id}"))?;
    let mut multipart = multipart
        .map_err(|e| ApiError::new(Code::BadRequest, e.body_text()))
        .or_page(&v)?;
    let (staged, fields) = crate::upload::stage_multipart(&state, &mut multipart)
        .await
        .or_page(&v)?;
    v.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or(""))
        .or_page(&v)?;
    let outcome = match staged {
        Some((staged, name)) => {
            consultations::add_attachment(&state, &user, &id, &name, staged.path())
                .await
                .map(|_| ())
        }
        None => Err(app::AppError::new(
            Code::MissingFile,
            "Choose a PDF file to attach.",
        )),
    };
    after(&state, &v, &id, "", outcome).await
}

#[derive(Deserialize, Default)]
struct ResultForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    summary: String,
}

async fn result(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<ResultForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/consultations/{id}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = consultations::publish_result(&state, &user, &id, &f.summary)
        .await
        .map(|_| ());
    after(&state, &v, &id, "", outcome).await
}

/// `stances.svg` (comments by article and stance) or `participants.svg`.
async fn chart(
    State(state): State<SharedState>,
    v: Visitor,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let t = Tr(v.lang);
    let lang = v.lang.code();
    let s = consultations::stats(&state, &id).await?;
    let svg = match name.as_str() {
        "stances.svg" => {
            let bars: Vec<Bar> = s
                .by_article
                .iter()
                .map(|r| Bar {
                    label: match r.article {
                        Some(n) => article_label(v.lang, n),
                        None => t.consultation_whole_draft().to_string(),
                    },
                    values: vec![r.support as f64, r.oppose as f64, r.neutral as f64],
                })
                .collect();
            stacked_bars(
                t.consultation_chart_stances(),
                &bars,
                &[
                    Stance::Support.label(lang),
                    Stance::Oppose.label(lang),
                    Stance::Neutral.label(lang),
                ],
                None,
                false,
            )
        }
        "participants.svg" => {
            let rows = [
                (t.consultation_citizen(), s.citizens),
                (t.consultation_enterprise(), s.enterprises),
                (t.consultation_private(), s.private_enterprises),
                (t.consultation_smes(), s.smes),
                (t.consultation_government(), s.government),
            ];
            let bars: Vec<Bar> = rows
                .iter()
                .map(|(label, n)| Bar {
                    label: label.to_string(),
                    values: vec![*n as f64],
                })
                .collect();
            stacked_bars(
                t.consultation_chart_participants(),
                &bars,
                &[t.consultation_participants()],
                None,
                false,
            )
        }
        _ => {
            return Err(ApiError::new(Code::NotFound, "There is no such chart."));
        }
    }
    .map_err(ApiError::internal)?;
    Ok(svg_response(svg))
}

fn article_label(lang: Lang, n: i64) -> String {
    match lang {
        Lang::Zh => format!("第{n}条"),
        Lang::En => format!("Article {n}"),
    }
}
