//! Policy consultations (意见征集, DESIGN.md C11): a department publishes a draft in numbered
//! articles; participants comment on the whole draft or one article with a stance, edit or
//! withdraw until the close, and support others' comments; the department or the authority
//! hides a comment with a public reason; after the close the department answers every comment,
//! and publishes the result with its statistics. The rules are in [`model::consultation`]; this
//! module keeps the records and logs every publication, close, answer and result (C7).

use crate::audit::Event;
use crate::clock::now_ms;
use crate::demands::{capitalized, rule as text_rule};
use crate::error::{AppError, AppResult, Code, Found};
use crate::state::App;
use crate::tables::Cell;
use model::calendar::cst_day;
use model::consultation::{
    self as rules, Adoption, Audience, ConsultationError, EnterpriseSize, Ownership, Participant,
    ParticipantKind, Phase, Stance, MAX_COMMENT, MAX_TEXT, MAX_TITLE,
};
use model::demand::check_text;
use model::log::EventKind;
use model::points::PointsRule;
use model::role::{OrgKind, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::io::Read;
use store::{
    Article, CommentChange, Consultation, ConsultationAttachment, ConsultationComment,
    NewConsultation, NewConsultationComment, User,
};

/// A draft as a department publishes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultationInput {
    /// Title of the draft, at most 200 characters.
    pub title: String,
    /// What the draft is about.
    pub summary: String,
    /// Who may take part (default everyone signed in).
    #[serde(default)]
    pub audience: Option<Audience>,
    /// The first day open, `YYYY-MM-DD` (default today).
    #[serde(default)]
    pub opens: Option<String>,
    /// The last day open, `YYYY-MM-DD` (default 30 days in all).
    #[serde(default)]
    pub closes: Option<String>,
    /// Why the period is shorter than 30 days; required then, and shown publicly.
    #[serde(default)]
    pub short_reason: Option<String>,
    /// The articles (条), numbered 1, 2, 3, … in the order given.
    pub articles: Vec<ArticleInput>,
}

/// One article of a draft.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// Its heading (optional).
    #[serde(default)]
    pub heading: String,
    /// Its text.
    pub body: String,
}

/// A comment as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// The article's number; absent for the whole draft.
    #[serde(default)]
    pub article: Option<i64>,
    /// Support, oppose or neutral.
    pub stance: Stance,
    /// The text, at most 4,000 characters.
    pub body: String,
}

/// The department's answer to a comment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// Adopted, partly adopted, or not adopted.
    pub adoption: Adoption,
    /// The answer; required (as the reason) when not adopted.
    #[serde(default)]
    pub text: String,
}

/// A consultation as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationView {
    /// The record.
    #[serde(flatten)]
    pub consultation: Consultation,
    /// The department's slug.
    pub department: String,
    /// The department's title.
    pub department_title: String,
    /// Where it stands now.
    pub phase: Phase,
    /// Whether the answers are overdue now.
    pub overdue: bool,
}

/// A comment as the public sees it: hidden and withdrawn comments lose their text.
#[derive(Debug, Clone, Serialize)]
pub struct CommentView {
    /// Its id.
    pub id: String,
    /// The article, or null for the whole draft.
    pub article: Option<i64>,
    /// Citizen, enterprise or government.
    pub participant: ParticipantKind,
    /// The enterprise's or department's name; null for citizens.
    pub organization: Option<String>,
    /// The stance.
    pub stance: Stance,
    /// The text; empty when hidden or withdrawn.
    pub body: String,
    /// Supports.
    pub support_count: i64,
    /// Withdrawn by its author.
    pub withdrawn: bool,
    /// Why it was hidden.
    pub hidden_reason: Option<String>,
    /// The answer.
    pub adoption: Option<Adoption>,
    /// The answer's text.
    pub answer: Option<String>,
    /// When it was answered (Unix ms).
    pub answered_at: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Whether the viewer wrote it.
    pub mine: bool,
}

/// A consultation with its articles and comments.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationDetail {
    /// The consultation.
    #[serde(flatten)]
    pub view: ConsultationView,
    /// The articles.
    pub articles: Vec<Article>,
    /// The attached files (PDF).
    pub attachments: Vec<ConsultationAttachment>,
    /// The comments, oldest first.
    pub comments: Vec<CommentView>,
}

/// A page of consultations.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationPage {
    /// All consultations.
    pub total: i64,
    /// Skipped.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
    /// This page, latest opening first.
    pub consultations: Vec<ConsultationView>,
}

/// Stance counts of one article (or the whole draft).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ArticleCounts {
    /// The article; null for the whole draft.
    pub article: Option<i64>,
    /// Supporting comments.
    pub support: i64,
    /// Opposing comments.
    pub oppose: i64,
    /// Neutral comments.
    pub neutral: i64,
}

/// The published statistics of a consultation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ConsultationStats {
    /// Visible comments (neither hidden nor withdrawn).
    pub comments: i64,
    /// Hidden comments.
    pub hidden: i64,
    /// Withdrawn comments.
    pub withdrawn: i64,
    /// Comments by article and stance; the whole draft first.
    pub by_article: Vec<ArticleCounts>,
    /// Distinct participants with a visible comment.
    pub participants: i64,
    /// Of which citizens.
    pub citizens: i64,
    /// Of which enterprise users.
    pub enterprises: i64,
    /// Of which users of private enterprises.
    pub private_enterprises: i64,
    /// Of which users of small and medium-sized (including micro) enterprises.
    pub smes: i64,
    /// Of which government users.
    pub government: i64,
    /// Answers: adopted.
    pub adopted: i64,
    /// Answers: partly adopted.
    pub partly: i64,
    /// Answers: not adopted.
    pub not_adopted: i64,
    /// Visible comments without an answer.
    pub unanswered: i64,
    /// (Adopted + partly) out of answered; null before any answer.
    pub adoption_rate: Option<f64>,
}

fn rule(e: ConsultationError) -> AppError {
    use ConsultationError as E;
    let code = match &e {
        E::Period
        | E::ShortWithoutReason
        | E::Articles
        | E::NoReason
        | E::NoSuchArticle(_)
        | E::Attachment => Code::InvalidField,
        E::NotOpen => Code::ConsultationNotOpen,
        E::NotClosed => Code::ConsultationNotClosed,
        E::Answered | E::AlreadyPublished => Code::AlreadyDecided,
        E::Unanswered(_) => Code::UnansweredComments,
        E::EnterprisesOnly => Code::Forbidden,
    };
    AppError::new(code, capitalized(&e.to_string()))
}

fn phase_of(c: &Consultation, now: i64) -> Phase {
    rules::phase(
        c.opens_at,
        c.closes_at,
        c.result_published_at.is_some(),
        now,
    )
}

/// A consultation by id, or `consultation_not_found`; its close is logged by the first caller
/// that finds it closed.
pub async fn load(app: &App, id: &str) -> AppResult<Consultation> {
    let c = app.store.get_consultation(id).await.or_missing(|| {
        AppError::new(Code::ConsultationNotFound, "There is no such consultation.")
    })?;
    let now = now_ms();
    if now >= c.closes_at && app.store.mark_consultation_close_logged(&c.id, now).await? {
        log(app, None, &c, EventKind::ConsultationClosed, json!({})).await?;
    }
    Ok(c)
}

async fn load_comment(app: &App, id: &str) -> AppResult<ConsultationComment> {
    app.store
        .get_consultation_comment(id)
        .await
        .or_missing(|| AppError::new(Code::CommentNotFound, "There is no such comment."))
}

async fn log(
    app: &App,
    user: Option<&User>,
    c: &Consultation,
    kind: EventKind,
    change: serde_json::Value,
) -> AppResult<()> {
    let mut event = Event::new(kind, user);
    event.detail = json!({"consultation_id": c.id, "change": change});
    app.log.append(event).await?;
    Ok(())
}

/// A consultation as the public sees it.
pub async fn view(app: &App, c: Consultation) -> AppResult<ConsultationView> {
    let org = app.store.get_org(&c.org_id).await?;
    let now = now_ms();
    let phase = phase_of(&c, now);
    Ok(ConsultationView {
        department: org.name,
        department_title: org.title,
        overdue: rules::is_overdue(phase, c.answers_due_at, now),
        phase,
        consultation: c,
    })
}

fn day(text: Option<&str>, default: i64) -> AppResult<i64> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok(cst_day(crate::demands::parse_day(t)?)),
        None => Ok(default),
    }
}

/// Publishes a draft for consultation: staff of a department, for their department.
pub async fn publish(app: &App, user: &User, input: ConsultationInput) -> AppResult<Consultation> {
    publish_at(app, user, input, now_ms()).await
}

/// [`publish`] as of `now`: the demo publishes one consultation in the past, so that it has
/// closed.
pub(crate) async fn publish_at(
    app: &App,
    user: &User,
    input: ConsultationInput,
    now: i64,
) -> AppResult<Consultation> {
    let org_id = match (user.role, &user.org_id) {
        (Role::Staff, Some(org)) => org.clone(),
        _ => {
            return Err(AppError::new(
                Code::Forbidden,
                "Only department staff publish drafts for consultation.",
            ))
        }
    };
    let title = check_text("title", &input.title, MAX_TITLE, true).map_err(text_rule)?;
    let summary = check_text("summary", &input.summary, MAX_TEXT, true).map_err(text_rule)?;
    let numbers: Vec<i64> = (1..=input.articles.len() as i64).collect();
    rules::check_numbers(&numbers).map_err(rule)?;
    let mut articles = Vec::with_capacity(input.articles.len());
    for (i, a) in input.articles.iter().enumerate() {
        articles.push(Article {
            number: i as i64 + 1,
            heading: check_text("heading", &a.heading, MAX_TITLE, false).map_err(text_rule)?,
            body: check_text("body", &a.body, MAX_TEXT, true).map_err(text_rule)?,
        });
    }
    let first = day(input.opens.as_deref(), cst_day(now))?;
    let last = day(
        input.closes.as_deref(),
        first + rules::DEFAULT_PERIOD_DAYS - 1,
    )?;
    let short_reason = match input.short_reason.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => {
            Some(check_text("short_reason", r, MAX_TEXT, true).map_err(text_rule)?)
        }
        _ => None,
    };
    let (opens_at, closes_at) =
        rules::period(first, last, short_reason.as_deref(), now).map_err(rule)?;
    let c = app
        .store
        .create_consultation(NewConsultation {
            org_id,
            title,
            summary,
            audience: input.audience.unwrap_or(Audience::Everyone),
            opens_at,
            closes_at,
            short_reason,
            answers_due_at: rules::answers_due(closes_at, app.config.consultation_answer_days),
            articles,
            created_by: user.id.clone(),
            now,
        })
        .await?;
    log(
        app,
        Some(user),
        &c,
        EventKind::ConsultationPublished,
        json!({"opens_at": c.opens_at, "closes_at": c.closes_at}),
    )
    .await?;
    Ok(c)
}

/// A page of consultations.
pub async fn list(app: &App, offset: i64, limit: i64) -> AppResult<ConsultationPage> {
    if !(1..=100).contains(&limit) || offset < 0 {
        return Err(AppError::new(
            Code::BadRequest,
            "`limit` must be 1 to 100 and `offset` at least 0.",
        ));
    }
    let (list, total) = app.store.list_consultations(offset, limit).await?;
    let mut consultations = Vec::with_capacity(list.len());
    for c in list {
        let c = load(app, &c.id).await?;
        consultations.push(view(app, c).await?);
    }
    Ok(ConsultationPage {
        total,
        offset,
        limit,
        consultations,
    })
}

/// The comments as the public sees them.
async fn comment_views(
    app: &App,
    comments: Vec<ConsultationComment>,
    viewer: Option<&User>,
) -> AppResult<Vec<CommentView>> {
    let mut out = Vec::with_capacity(comments.len());
    for c in comments {
        let author = app.store.get_user(&c.user_id).await?;
        let organization = match (c.participant, &author.org_id) {
            (ParticipantKind::Citizen, _) | (_, None) => None,
            (_, Some(org)) => Some(app.store.get_org(org).await?.title),
        };
        let shown = !c.withdrawn && c.hidden_reason.is_none();
        out.push(CommentView {
            id: c.id,
            article: c.article,
            participant: c.participant,
            organization,
            stance: c.stance,
            body: if shown { c.body } else { String::new() },
            support_count: c.support_count,
            withdrawn: c.withdrawn,
            hidden_reason: c.hidden_reason,
            adoption: c.adoption,
            answer: c.answer,
            answered_at: c.answered_at,
            created_at: c.created_at,
            mine: viewer.is_some_and(|v| v.id == c.user_id),
        });
    }
    Ok(out)
}

/// One comment as the public sees it.
pub async fn comment_view(
    app: &App,
    c: ConsultationComment,
    viewer: Option<&User>,
) -> AppResult<CommentView> {
    Ok(comment_views(app, vec![c], viewer)
        .await?
        .pop()
        .expect("one comment in, one out"))
}

/// A consultation with its articles and comments, as `viewer` (if signed in) sees it.
pub async fn detail(app: &App, id: &str, viewer: Option<&User>) -> AppResult<ConsultationDetail> {
    let c = load(app, id).await?;
    let articles = app.store.list_articles(&c.id).await?;
    let attachments = app.store.list_consultation_attachments(&c.id).await?;
    let comments = app.store.list_consultation_comments(&c.id).await?;
    Ok(ConsultationDetail {
        view: view(app, c).await?,
        articles,
        attachments,
        comments: comment_views(app, comments, viewer).await?,
    })
}

/// Comments on the draft or one article, while the consultation is open, for its audience.
pub async fn comment(
    app: &App,
    user: &User,
    id: &str,
    input: CommentInput,
) -> AppResult<ConsultationComment> {
    comment_at(app, user, id, input, now_ms()).await
}

/// [`comment`] as of `now`, for the demo's closed consultation.
pub(crate) async fn comment_at(
    app: &App,
    user: &User,
    id: &str,
    input: CommentInput,
    now: i64,
) -> AppResult<ConsultationComment> {
    let c = load(app, id).await?;
    rules::may_take_part(
        Participant { role: user.role },
        c.audience,
        phase_of(&c, now),
    )
    .map_err(rule)?;
    if let Some(n) = input.article {
        let articles = app.store.list_articles(&c.id).await?;
        if !articles.iter().any(|a| a.number == n) {
            return Err(rule(ConsultationError::NoSuchArticle(n)));
        }
    }
    let body = check_text("body", &input.body, MAX_COMMENT, true).map_err(text_rule)?;
    let (ownership, size) = match &user.org_id {
        Some(org) if user.role == Role::Enterprise => {
            let org = app.store.get_org(org).await?;
            if org.kind == OrgKind::Enterprise {
                (org.ownership, org.size)
            } else {
                (None, None)
            }
        }
        _ => (None, None),
    };
    let added = app
        .store
        .add_consultation_comment(NewConsultationComment {
            consultation_id: c.id,
            article: input.article,
            user_id: user.id.clone(),
            participant: ParticipantKind::of(user.role),
            ownership,
            size,
            stance: input.stance,
            body,
            now,
        })
        .await?;
    let rule = PointsRule::Participation;
    crate::points::award(app, Some(&user.id), rule, &added.id, &c.title).await;
    let kind = model::points::TaskKind::Comment;
    crate::activities::on_event(app, &user.id, kind, &added.consultation_id).await;
    Ok(added)
}

/// Applies a change to a comment, turning a lost race or a final state into a clear error.
async fn change(
    app: &App,
    user: &User,
    comment: &ConsultationComment,
    change: CommentChange,
) -> AppResult<ConsultationComment> {
    match app
        .store
        .change_consultation_comment(&comment.id, change, &user.id, now_ms())
        .await
    {
        Ok(c) => Ok(c),
        Err(store::StoreError::Conflict(_)) => Err(AppError::new(
            Code::AlreadyDecided,
            "The comment has been withdrawn, hidden or answered already.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The author's own comment, while the consultation is open.
async fn own_open_comment(
    app: &App,
    user: &User,
    comment_id: &str,
) -> AppResult<ConsultationComment> {
    let comment = load_comment(app, comment_id).await?;
    if comment.user_id != user.id {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the author of a comment may change or withdraw it.",
        ));
    }
    let c = load(app, &comment.consultation_id).await?;
    if phase_of(&c, now_ms()) != Phase::Open {
        return Err(rule(ConsultationError::NotOpen));
    }
    Ok(comment)
}

/// The author edits their comment until the close.
pub async fn edit_comment(
    app: &App,
    user: &User,
    comment_id: &str,
    stance: Stance,
    body: &str,
) -> AppResult<ConsultationComment> {
    let comment = own_open_comment(app, user, comment_id).await?;
    let body = check_text("body", body, MAX_COMMENT, true).map_err(text_rule)?;
    change(app, user, &comment, CommentChange::Edit { stance, body }).await
}

/// The author withdraws their comment until the close.
pub async fn withdraw_comment(
    app: &App,
    user: &User,
    comment_id: &str,
) -> AppResult<ConsultationComment> {
    let comment = own_open_comment(app, user, comment_id).await?;
    change(app, user, &comment, CommentChange::Withdraw).await
}

/// Supports someone else's comment, once, while the consultation is open.
pub async fn support_comment(
    app: &App,
    user: &User,
    comment_id: &str,
) -> AppResult<ConsultationComment> {
    let comment = load_comment(app, comment_id).await?;
    let c = load(app, &comment.consultation_id).await?;
    rules::may_take_part(
        Participant { role: user.role },
        c.audience,
        phase_of(&c, now_ms()),
    )
    .map_err(rule)?;
    if comment.user_id == user.id {
        return Err(AppError::new(
            Code::InvalidField,
            "Authors do not support their own comments.",
        ));
    }
    if comment.withdrawn || comment.hidden_reason.is_some() {
        return Err(AppError::new(
            Code::AlreadyDecided,
            "The comment has been withdrawn or hidden.",
        ));
    }
    if !app
        .store
        .support_consultation_comment(&comment.id, &user.id, now_ms())
        .await?
    {
        return Err(AppError::new(
            Code::AlreadySupported,
            "You support this comment already; each person supports a comment once.",
        ));
    }
    load_comment(app, comment_id).await
}

/// Hides a comment with a public reason: the department's staff or the authority.
pub async fn hide_comment(
    app: &App,
    user: &User,
    comment_id: &str,
    reason: &str,
) -> AppResult<ConsultationComment> {
    let comment = load_comment(app, comment_id).await?;
    let c = load(app, &comment.consultation_id).await?;
    if !rules::may_moderate(user.role, user.org_id.as_deref(), &c.org_id) {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the department running the consultation, or the data authority, hides comments.",
        ));
    }
    let reason = check_text("reason", reason, MAX_COMMENT, true).map_err(text_rule)?;
    let hidden = change(app, user, &comment, CommentChange::Hide { reason }).await?;
    let earned = [PointsRule::CommentAdopted, PointsRule::Participation];
    let why = hidden.hidden_reason.clone().unwrap_or_default();
    crate::points::take_back(app, &earned, &hidden.id, &why).await;
    Ok(hidden)
}

/// The department answers a comment after the close, once.
pub async fn answer_comment(
    app: &App,
    user: &User,
    comment_id: &str,
    input: AnswerInput,
) -> AppResult<ConsultationComment> {
    let comment = load_comment(app, comment_id).await?;
    let c = load(app, &comment.consultation_id).await?;
    require_runner(user, &c)?;
    rules::check_answer(
        phase_of(&c, now_ms()),
        comment.adoption.is_some(),
        input.adoption,
        &input.text,
    )
    .map_err(rule)?;
    let text = check_text("text", &input.text, MAX_TEXT, false).map_err(text_rule)?;
    let answered = change(
        app,
        user,
        &comment,
        CommentChange::Answer {
            adoption: input.adoption,
            answer: text,
        },
    )
    .await?;
    log(
        app,
        Some(user),
        &c,
        EventKind::ConsultationAnswered,
        json!({"comment_id": answered.id, "adoption": input.adoption}),
    )
    .await?;
    if matches!(input.adoption, Adoption::Adopted | Adoption::Partly) {
        let (by, rule) = (Some(answered.user_id.as_str()), PointsRule::CommentAdopted);
        crate::points::award(app, by, rule, &answered.id, &c.title).await;
    }
    Ok(answered)
}

fn require_runner(user: &User, c: &Consultation) -> AppResult<()> {
    if rules::may_run(user.role, user.org_id.as_deref(), &c.org_id) {
        Ok(())
    } else {
        Err(AppError::new(
            Code::Forbidden,
            "Only staff of the department running the consultation may do this.",
        ))
    }
}

/// Publishes the result once every visible comment has an answer.
pub async fn publish_result(
    app: &App,
    user: &User,
    id: &str,
    summary: &str,
) -> AppResult<Consultation> {
    let c = load(app, id).await?;
    require_runner(user, &c)?;
    let comments = app.store.list_consultation_comments(&c.id).await?;
    let unanswered = comments
        .iter()
        .filter(|m| !m.withdrawn && m.hidden_reason.is_none() && m.adoption.is_none())
        .count() as i64;
    rules::check_publish(phase_of(&c, now_ms()), unanswered).map_err(rule)?;
    let summary = check_text("summary", summary, MAX_TEXT, false).map_err(text_rule)?;
    let published = match app
        .store
        .publish_consultation_result(&c.id, &summary, now_ms())
        .await
    {
        Ok(p) => p,
        Err(store::StoreError::Conflict(_)) => {
            return Err(rule(ConsultationError::AlreadyPublished))
        }
        Err(e) => return Err(e.into()),
    };
    log(
        app,
        Some(user),
        &published,
        EventKind::ConsultationResult,
        json!({"comments": comments.len()}),
    )
    .await?;
    Ok(published)
}

/// The statistics of a consultation's comments.
pub async fn stats(app: &App, id: &str) -> AppResult<ConsultationStats> {
    let c = load(app, id).await?;
    let comments = app.store.list_consultation_comments(&c.id).await?;
    let mut s = ConsultationStats::default();
    let mut seen: Vec<&str> = Vec::new();
    for m in &comments {
        if m.withdrawn {
            s.withdrawn += 1;
            continue;
        }
        if m.hidden_reason.is_some() {
            s.hidden += 1;
            continue;
        }
        s.comments += 1;
        let row = match s.by_article.iter_mut().position(|r| r.article == m.article) {
            Some(i) => &mut s.by_article[i],
            None => {
                s.by_article.push(ArticleCounts {
                    article: m.article,
                    ..ArticleCounts::default()
                });
                s.by_article.last_mut().expect("just pushed")
            }
        };
        match m.stance {
            Stance::Support => row.support += 1,
            Stance::Oppose => row.oppose += 1,
            Stance::Neutral => row.neutral += 1,
        }
        match m.adoption {
            Some(Adoption::Adopted) => s.adopted += 1,
            Some(Adoption::Partly) => s.partly += 1,
            Some(Adoption::NotAdopted) => s.not_adopted += 1,
            None => s.unanswered += 1,
        }
        if !seen.contains(&m.user_id.as_str()) {
            seen.push(&m.user_id);
            s.participants += 1;
            match m.participant {
                ParticipantKind::Citizen => s.citizens += 1,
                ParticipantKind::Government => s.government += 1,
                ParticipantKind::Enterprise => {
                    s.enterprises += 1;
                    if m.ownership == Some(Ownership::Private) {
                        s.private_enterprises += 1;
                    }
                    if m.size.is_some_and(EnterpriseSize::is_sme) {
                        s.smes += 1;
                    }
                }
            }
        }
    }
    s.by_article.sort_by_key(|r| r.article.unwrap_or(0));
    let answered = s.adopted + s.partly + s.not_adopted;
    s.adoption_rate = (answered > 0).then(|| (s.adopted + s.partly) as f64 / answered as f64);
    Ok(s)
}

/// Every comment and its answer as one table, for the CSV and XLSX exports; hidden and
/// withdrawn comments are listed without their text.
pub async fn comments_table(
    app: &App,
    id: &str,
    lang: &str,
) -> AppResult<(Vec<&'static str>, Vec<Vec<Cell>>)> {
    let d = detail(app, id, None).await?;
    let headings = vec![
        "意见编号 id",
        "条 article",
        "参与者 participant",
        "单位 organization",
        "立场 stance",
        "意见 comment",
        "支持数 supports",
        "状态 state",
        "采纳情况 adoption",
        "反馈 answer",
    ];
    let rows = d
        .comments
        .iter()
        .map(|c| {
            let state = if c.withdrawn {
                "withdrawn".to_string()
            } else if let Some(r) = &c.hidden_reason {
                format!("hidden: {r}")
            } else {
                "visible".to_string()
            };
            vec![
                Cell::Text(c.id.clone()),
                c.article.map_or(Cell::Empty, Cell::Int),
                Cell::Text(
                    match c.participant {
                        ParticipantKind::Citizen => "citizen",
                        ParticipantKind::Enterprise => "enterprise",
                        ParticipantKind::Government => "government",
                    }
                    .into(),
                ),
                Cell::Text(c.organization.clone().unwrap_or_default()),
                Cell::Text(c.stance.label(lang).into()),
                Cell::Text(c.body.clone()),
                Cell::Int(c.support_count),
                Cell::Text(state),
                Cell::Text(
                    c.adoption
                        .map(|a| a.label(lang).to_string())
                        .unwrap_or_default(),
                ),
                Cell::Text(c.answer.clone().unwrap_or_default()),
            ]
        })
        .collect();
    Ok((headings, rows))
}

/// The key of an attachment's file in the platform's storage.
fn attachment_key(a: &ConsultationAttachment) -> String {
    format!(
        "{}/{}/{}.pdf",
        crate::files::ATTACHMENTS_DIR,
        a.consultation_id,
        a.id
    )
}

/// Attaches a PDF (staged at `staged`) to a draft before its close: the department's staff.
/// The file is checked by its content, copied into place, and only then recorded; a failure
/// leaves no file behind.
pub async fn add_attachment(
    app: &App,
    user: &User,
    id: &str,
    name: &str,
    staged: &std::path::Path,
) -> AppResult<ConsultationAttachment> {
    let c = load(app, id).await?;
    require_runner(user, &c)?;
    let size = std::fs::metadata(staged).map_err(AppError::internal)?.len();
    let mut head = [0u8; 5];
    let read = std::fs::File::open(staged)
        .and_then(|mut f| f.read(&mut head))
        .map_err(AppError::internal)?;
    let existing = app.store.list_consultation_attachments(&c.id).await?.len();
    rules::check_attachment(phase_of(&c, now_ms()), size, &head[..read], existing).map_err(rule)?;
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let name = if name.is_empty() {
        "attachment.pdf"
    } else {
        name
    };
    let name = check_text("name", name, MAX_TITLE, true).map_err(text_rule)?;
    let bytes = std::fs::read(staged).map_err(AppError::internal)?;
    let attachment = ConsultationAttachment {
        id: uuid::Uuid::new_v4().to_string(),
        consultation_id: c.id.clone(),
        name,
        byte_size: size as i64,
        sha256: {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&bytes))
        },
        created_at: now_ms(),
    };
    let key = attachment_key(&attachment);
    app.files
        .put(&key, bytes::Bytes::from(bytes))
        .await
        .map_err(AppError::internal)?;
    if let Err(e) = app.store.add_consultation_attachment(&attachment).await {
        let _ = app.files.delete(&key).await;
        return Err(e.into());
    }
    Ok(attachment)
}

/// An attachment and its file's bytes, for download.
pub async fn attachment(
    app: &App,
    id: &str,
    attachment_id: &str,
) -> AppResult<(ConsultationAttachment, bytes::Bytes)> {
    let c = load(app, id).await?;
    let a = app
        .store
        .list_consultation_attachments(&c.id)
        .await?
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or_else(|| AppError::new(Code::NotFound, "There is no such attachment."))?;
    let bytes = app
        .files
        .get(&attachment_key(&a))
        .await
        .map_err(AppError::internal)?;
    Ok((a, bytes))
}

/// Records an enterprise's ownership, size and industry: the authority only.
pub async fn set_enterprise_profile(
    app: &App,
    user: &User,
    org_name: &str,
    ownership: Option<Ownership>,
    size: Option<EnterpriseSize>,
    industry: Option<String>,
) -> AppResult<store::Organization> {
    crate::accounts::require_authority(user)?;
    let org = crate::accounts::org_by_name(app, org_name).await?;
    if !rules::has_enterprise_attributes(org.kind) {
        return Err(AppError::new(
            Code::InvalidField,
            format!("`{org_name}` is not an enterprise; ownership, size and industry are recorded for enterprises."),
        ));
    }
    let industry = match industry.as_deref().map(str::trim) {
        Some(i) if !i.is_empty() => Some(check_text("industry", i, 100, true).map_err(text_rule)?),
        _ => None,
    };
    Ok(app
        .store
        .set_enterprise_profile(&org.id, ownership, size, industry)
        .await?)
}
