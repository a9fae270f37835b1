//! Data demands (数据需求, DESIGN.md C8): the public and enterprises say which data they need,
//! others support and comment, and the department asked answers in public within a deadline.
//! The rules (states, moves, deadlines, who may act, text checks) are in [`model::demand`]; this
//! module loads and keeps the records and logs every filing, answer and change of state (C7).

use crate::audit::Event;
use crate::clock::now_ms;
pub use crate::demand_stats::{DemandStats, StatRow};
use crate::error::{AppError, AppResult, Code, Found};
use crate::state::App;
use crate::tables::Cell;
use model::application::PurposeCategory;
use model::calendar::{cst_day, cst_day_start};
use model::demand::{
    self, Actor, DemandCounts, DemandError, DemandEvent, DemandStatus, RejectionReason, Target,
    MAX_FIELD, MAX_TEXT, MAX_TITLE,
};
use model::log::EventKind;
use model::points::PointsRule;
use model::role::{OrgKind, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{
    Demand, DemandChange, DemandComment, DemandFilter, DemandHistory, DemandSort, NewDemand, User,
};

/// A demand as it is filed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandInput {
    /// Title, at most 200 characters.
    pub title: String,
    /// What data is needed and why, at most 4,000 characters.
    pub description: String,
    /// The fields the data should have.
    #[serde(default)]
    pub fields: Vec<String>,
    /// What the data is for.
    pub purpose_category: PurposeCategory,
    /// The department asked (its slug); give this or `theme`.
    #[serde(default)]
    pub department: Option<String>,
    /// The theme asked, for data no one department holds; the authority answers.
    #[serde(default)]
    pub theme: Option<String>,
    /// The slug of a dataset the demand extends.
    #[serde(default)]
    pub extends: Option<String>,
}

/// A department's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// `accept` or `reject`.
    pub decision: AnswerDecision,
    /// Accepting: the planned opening date, `YYYY-MM-DD` (China Standard Time).
    #[serde(default)]
    pub planned_date: Option<String>,
    /// Rejecting: the reason category.
    #[serde(default)]
    pub reason: Option<RejectionReason>,
    /// The public answer (required to reject), at most 4,000 characters.
    #[serde(default)]
    pub text: String,
}

/// Accept or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerDecision {
    /// Accept, with a planned date.
    Accept,
    /// Do not accept, with a reason.
    Reject,
}

/// What fulfils an accepted demand: a dataset (by slug) or an issued grant (by id).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FulfilInput {
    /// The dataset's slug.
    #[serde(default)]
    pub dataset: Option<String>,
    /// The grant's id.
    #[serde(default)]
    pub grant: Option<String>,
}

/// A demand as the public sees it: the record, whom it asks (by name), and whether it is
/// overdue now.
#[derive(Debug, Clone, Serialize)]
pub struct DemandView {
    /// The demand.
    #[serde(flatten)]
    pub demand: Demand,
    /// The department's slug, for a demand that asks a department.
    pub department: Option<String>,
    /// Whom it asks, for display: the department's title or the theme.
    pub target_title: String,
    /// The slug of the extended dataset.
    pub extends: Option<String>,
    /// The slug of the dataset that fulfilled it.
    pub fulfilled_dataset: Option<String>,
    /// Whether it is still unanswered after its deadline.
    pub overdue: bool,
}

/// A page of demands.
#[derive(Debug, Clone, Serialize)]
pub struct DemandPage {
    /// Demands matching the filter, over all pages.
    pub total: i64,
    /// Demands skipped.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
    /// This page.
    pub demands: Vec<DemandView>,
}

/// What a list of demands asks for.
#[derive(Debug, Clone, Default)]
pub struct DemandQuery {
    /// Only demands asking this department (slug).
    pub department: Option<String>,
    /// Only demands about this theme.
    pub theme: Option<String>,
    /// Only demands in this state.
    pub status: Option<DemandStatus>,
    /// Only open demands past their deadline.
    pub overdue: bool,
    /// Only demands filed by this user (id).
    pub created_by: Option<String>,
    /// Only closed (rejected or fulfilled) demands, or only live (open or accepted) ones.
    pub closed: Option<bool>,
    /// Words to search for in titles, descriptions, wanted fields, and whom the demand asks
    /// (Chinese words and the pinyin of titles, as datasets are searched). When given, demands
    /// come by relevance, and only the [`search::MAX_ROWS`] most relevant are considered.
    pub q: Option<String>,
    /// Order.
    pub sort: DemandSort,
    /// Demands to skip.
    pub offset: i64,
    /// Page size, 1 to 100.
    pub limit: i64,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(Code::InvalidField, message)
}

/// The error of a rule of [`model::demand`] (text checks included), with the code callers see.
pub(crate) fn rule(e: DemandError) -> AppError {
    let code = match &e {
        DemandError::NotAllowed { .. } => Code::AlreadyDecided,
        DemandError::Personal { .. } => Code::PersonalInformation,
        DemandError::Text { .. } | DemandError::Fields | DemandError::PlannedDate => {
            Code::InvalidField
        }
    };
    AppError::new(code, capitalized(&e.to_string()))
}

/// An error message of the rules as a sentence.
pub(crate) fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str()),
        None => String::new(),
    }
}

fn actor(user: &User) -> Actor<'_> {
    Actor {
        role: user.role,
        org_id: user.org_id.as_deref(),
    }
}

/// A demand by id, or `demand_not_found`.
pub async fn load(app: &App, id: &str) -> AppResult<Demand> {
    app.store
        .get_demand(id)
        .await
        .or_missing(|| AppError::new(Code::DemandNotFound, "There is no such demand."))
}

/// The department a demand may ask: an organization of kind department, by slug.
async fn department(app: &App, slug: &str) -> AppResult<store::Organization> {
    let org = crate::accounts::org_by_name(app, slug).await?;
    if org.kind != OrgKind::Department {
        return Err(invalid(format!(
            "`{slug}` is not a government department; a demand asks a department, or a theme."
        )));
    }
    Ok(org)
}

/// Files a demand for `user` (any signed-in role; enterprise users are marked as such).
pub async fn file(app: &App, user: &User, input: DemandInput) -> AppResult<Demand> {
    file_at(app, user, input, now_ms()).await
}

/// [`file`] as of `now`: the demo files some demands in the past, so that they are overdue.
pub(crate) async fn file_at(
    app: &App,
    user: &User,
    input: DemandInput,
    now: i64,
) -> AppResult<Demand> {
    let title = demand::check_text("title", &input.title, MAX_TITLE, true).map_err(rule)?;
    let description =
        demand::check_text("description", &input.description, MAX_TEXT, true).map_err(rule)?;
    let fields = demand::check_fields(&input.fields).map_err(rule)?;
    let target = match (
        input.department.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        input.theme.as_deref().map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (Some(slug), None) => Target::Department(department(app, slug).await?.id),
        (None, Some(theme)) => {
            Target::Theme(demand::check_text("theme", theme, MAX_FIELD, true).map_err(rule)?)
        }
        (Some(_), Some(_)) => {
            return Err(invalid(
                "Ask either a department or a theme, not both.",
            ))
        }
        (None, None) => {
            return Err(invalid(
                "Name the department asked (`department`), or a `theme` for data no one department holds.",
            ))
        }
    };
    let extends = match input
        .extends
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(slug) => Some(crate::catalog::load_dataset(app, slug).await?),
        None => None,
    };
    let d = app
        .store
        .create_demand(NewDemand {
            title,
            description,
            fields,
            purpose_category: input.purpose_category,
            target,
            extends_dataset_id: extends.as_ref().map(|d| d.id.clone()),
            created_by: user.id.clone(),
            created_by_org_id: user.org_id.clone(),
            enterprise: user.role == Role::Enterprise,
            due_at: demand::due_at(now, app.config.demand_answer_days),
            now,
        })
        .await?;
    index(app, &d).await;
    log(
        app,
        user,
        &d,
        EventKind::DemandFiled,
        extends.map(|d| d.name),
        json!({}),
    )
    .await?;
    let rule = PointsRule::Participation;
    crate::points::award(app, Some(&user.id), rule, &d.id, &d.title).await;
    crate::activities::on_event(app, &user.id, model::points::TaskKind::Demand, "").await;
    Ok(d)
}

/// After a change to a demand: the statistics are out of date, and the demand's search document
/// is brought up to date when this process holds the index.
async fn index(app: &App, d: &Demand) {
    app.demand_stats.invalidate();
    if let Some(ix) = &app.search {
        ix.refresh_demand(&app.store, d).await;
    }
    crate::index::announce(&app.store, app.search.as_ref(), crate::index::DEMAND, &d.id).await;
}

/// Appends the leaf of a demand event: public are the kind, the purpose and the dataset it
/// extends or was fulfilled by; the private detail names the demand and what changed.
async fn log(
    app: &App,
    user: &User,
    d: &Demand,
    kind: EventKind,
    dataset: Option<String>,
    detail: serde_json::Value,
) -> AppResult<()> {
    let mut event = Event::new(kind, Some(user));
    event.dataset = dataset.as_deref();
    event.purpose = Some(d.purpose_category);
    event.detail = json!({"demand_id": d.id, "status": d.status.code(), "change": detail});
    app.log.append(event).await?;
    Ok(())
}

/// A demand as the public sees it.
pub async fn view(app: &App, demand: Demand) -> AppResult<DemandView> {
    let org = match &demand.target {
        Target::Department(org_id) => Some(app.store.get_org(org_id).await?),
        Target::Theme(_) => None,
    };
    view_with(app, demand, org.as_ref()).await
}

/// [`view`] with the target department already loaded.
async fn view_with(
    app: &App,
    demand: Demand,
    org: Option<&store::Organization>,
) -> AppResult<DemandView> {
    let (department, target_title) = match (&demand.target, org) {
        (Target::Department(_), Some(org)) => (Some(org.name.clone()), org.title.clone()),
        (Target::Department(id), None) => (None, id.clone()),
        (Target::Theme(theme), _) => (None, theme.clone()),
    };
    let slug = |id: &Option<String>| {
        let id = id.clone();
        async move {
            match id {
                Some(id) => {
                    Ok::<_, AppError>(app.store.get_dataset(&id).await.found()?.map(|d| d.name))
                }
                None => Ok(None),
            }
        }
    };
    let extends = slug(&demand.extends_dataset_id).await?;
    let fulfilled_dataset = slug(&demand.fulfilled_dataset_id).await?;
    Ok(DemandView {
        overdue: demand::is_overdue(demand.status, demand.due_at, now_ms()),
        department,
        target_title,
        extends,
        fulfilled_dataset,
        demand,
    })
}

/// Demands as the public sees them, reading the organizations once for the whole list.
pub async fn views(app: &App, demands: Vec<Demand>) -> AppResult<Vec<DemandView>> {
    if demands.is_empty() {
        return Ok(Vec::new());
    }
    let orgs = app.store.list_orgs().await?;
    let mut out = Vec::with_capacity(demands.len());
    for d in demands {
        let org = match &d.target {
            Target::Department(id) => match orgs.iter().find(|o| &o.id == id) {
                Some(o) => Some(o),
                None => {
                    return Err(AppError::internal(format!(
                        "demand {} asks a missing organization",
                        d.id
                    )))
                }
            },
            Target::Theme(_) => None,
        };
        out.push(view_with(app, d, org).await?);
    }
    Ok(out)
}

/// Lists demands.
pub async fn list(app: &App, q: DemandQuery) -> AppResult<DemandPage> {
    if !(1..=100).contains(&q.limit) || q.offset < 0 {
        return Err(AppError::new(
            Code::BadRequest,
            "`limit` must be 1 to 100 and `offset` at least 0.",
        ));
    }
    let target_org_id = match q.department.as_deref() {
        Some(slug) => Some(crate::accounts::org_by_name(app, slug).await?.id),
        None => None,
    };
    if let Some(words) = q.q.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        return search(app, words, &q).await;
    }
    // Without filters the total is the statistics' total (served from their cache), which
    // spares counting every demand for each page of the public board.
    let unfiltered = target_org_id.is_none()
        && q.theme.is_none()
        && q.status.is_none()
        && !q.overdue
        && q.created_by.is_none()
        && q.closed.is_none();
    let (demands, total) = app
        .store
        .list_demands(&DemandFilter {
            target_org_id,
            target_theme: q.theme,
            status: q.status,
            overdue_at: q.overdue.then(now_ms),
            created_by: q.created_by,
            closed: q.closed,
            no_count: unfiltered,
            sort: q.sort,
            offset: q.offset,
            limit: q.limit,
        })
        .await?;
    let total = if unfiltered {
        stats(app).await?.total.counts.demands
    } else {
        total
    };
    Ok(DemandPage {
        total,
        offset: q.offset,
        limit: q.limit,
        demands: views(app, demands).await?,
    })
}

/// [`list`] with search words: the index finds and orders the demands (filtered there by
/// department, theme and state), the store supplies them, and the filters the index does not
/// hold (overdue, filer, closed) apply to what it found.
async fn search(app: &App, words: &str, q: &DemandQuery) -> AppResult<DemandPage> {
    use search::Facet;
    let ix = app.search.as_ref().ok_or_else(|| {
        AppError::new(
            Code::Unavailable,
            "The search index is not open in this process.",
        )
    })?;
    let mut filters = Vec::new();
    if let Some(d) = &q.department {
        filters.push((Facet::Organization, d.clone()));
    }
    if let Some(t) = &q.theme {
        filters.push((Facet::Theme, t.clone()));
    }
    // The index keeps a demand's state where datasets keep their opening type. Merged
    // duplicates are not indexed.
    if let Some(s) = q.status {
        filters.push((Facet::OpeningType, s.code().to_string()));
    }
    let found = ix
        .search_demands(&search::SearchQuery {
            q: words.to_string(),
            filters,
            rows: search::MAX_ROWS,
            highlight: false,
            ..search::SearchQuery::default()
        })
        .map_err(|e| match e {
            search::SearchError::BadQuery(m) => AppError::new(Code::BadRequest, m),
            other => AppError::internal(other),
        })?;
    let ids: Vec<&str> = found.hits.iter().map(|h| h.id.as_str()).collect();
    let now = now_ms();
    let narrowing = q.overdue || q.created_by.is_some() || q.closed.is_some();
    let (page_ids, total): (Vec<&str>, i64) = if narrowing {
        (ids, 0)
    } else {
        let total = ids.len() as i64;
        (
            ids.into_iter()
                .skip(q.offset as usize)
                .take(q.limit as usize)
                .collect(),
            total,
        )
    };
    let mut demands = Vec::with_capacity(page_ids.len());
    for id in page_ids {
        match app.store.get_demand(id).await {
            Ok(d) => demands.push(d),
            // Deleted since it was indexed: the index catches up at its next refresh.
            Err(store::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let (demands, total) = if narrowing {
        let kept: Vec<Demand> = demands
            .into_iter()
            .filter(|d| !q.overdue || demand::is_overdue(d.status, d.due_at, now))
            .filter(|d| q.created_by.as_ref().is_none_or(|u| &d.created_by == u))
            .filter(|d| {
                q.closed.is_none_or(|c| {
                    matches!(d.status, DemandStatus::Rejected | DemandStatus::Fulfilled) == c
                })
            })
            .collect();
        let total = kept.len() as i64;
        (
            kept.into_iter()
                .skip(q.offset as usize)
                .take(q.limit as usize)
                .collect(),
            total,
        )
    } else {
        (demands, total)
    };
    Ok(DemandPage {
        total,
        offset: q.offset,
        limit: q.limit,
        demands: views(app, demands).await?,
    })
}

/// Adds `user`'s support to a live demand; `already_supported` if they support it already.
/// Filers do not support their own demands.
pub async fn support(app: &App, user: &User, id: &str) -> AppResult<Demand> {
    let d = load(app, id).await?;
    if !demand::is_live(d.status) {
        return Err(closed(&d));
    }
    if d.created_by == user.id {
        return Err(invalid(
            "A demand counts its filer already; support other people's demands.",
        ));
    }
    if !app.store.support_demand(id, &user.id, now_ms()).await? {
        return Err(AppError::new(
            Code::AlreadySupported,
            "You support this demand already; one support per person.",
        ));
    }
    app.demand_stats.invalidate();
    load(app, id).await
}

/// Withdraws `user`'s support; `not_found` if they did not support it.
pub async fn unsupport(app: &App, user: &User, id: &str) -> AppResult<Demand> {
    load(app, id).await?;
    if !app.store.unsupport_demand(id, &user.id, now_ms()).await? {
        return Err(AppError::new(
            Code::NotFound,
            "You do not support this demand, so there is nothing to withdraw.",
        ));
    }
    app.demand_stats.invalidate();
    load(app, id).await
}

/// Whether `user` supports the demand.
pub async fn supports(app: &App, user: &User, id: &str) -> AppResult<bool> {
    Ok(app.store.supports_demand(id, &user.id).await?)
}

fn closed(d: &Demand) -> AppError {
    AppError::new(
        Code::DemandClosed,
        format!(
            "This demand is {}; it takes no more supports or comments.",
            d.status.label_en().to_lowercase()
        ),
    )
}

/// Adds a public comment by `user` to a live demand.
pub async fn comment(app: &App, user: &User, id: &str, body: &str) -> AppResult<DemandComment> {
    let d = load(app, id).await?;
    if !demand::is_live(d.status) {
        return Err(closed(&d));
    }
    let body = demand::check_text("body", body, MAX_TEXT, true).map_err(rule)?;
    let c = app
        .store
        .add_demand_comment(id, &user.id, &body, now_ms())
        .await?;
    let participation = PointsRule::Participation;
    crate::points::award(app, Some(&user.id), participation, &c.id, &d.title).await;
    Ok(c)
}

/// A demand's comments, oldest first.
pub async fn comments(app: &App, id: &str) -> AppResult<Vec<DemandComment>> {
    load(app, id).await?;
    Ok(app.store.list_demand_comments(id).await?)
}

/// A demand's public history, oldest first.
pub async fn history(app: &App, id: &str) -> AppResult<Vec<DemandHistory>> {
    load(app, id).await?;
    Ok(app.store.list_demand_history(id).await?)
}

/// `forbidden` unless `user` may answer the demand.
fn require_answerer(user: &User, d: &Demand) -> AppResult<()> {
    if demand::may_answer(actor(user), &d.target) {
        Ok(())
    } else {
        Err(AppError::new(
            Code::Forbidden,
            match d.target {
                Target::Department(_) => {
                    "Only staff of the department this demand asks may answer it."
                }
                Target::Theme(_) => "Only the data authority answers demands about a theme.",
            },
        ))
    }
}

/// Parses a `YYYY-MM-DD` date as the start of that day in China Standard Time.
pub(crate) fn parse_day(text: &str) -> AppResult<i64> {
    let bad = || invalid(format!("`{text}` is not a date; write it as YYYY-MM-DD."));
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format).map_err(|_| bad())?;
    let days = date.to_julian_day() as i64
        - time::Date::from_calendar_date(1970, time::Month::January, 1)
            .map_err(|_| bad())?
            .to_julian_day() as i64;
    Ok(cst_day_start(days))
}

/// The department's answer: accepted with a planned date, or not accepted with a reason and a
/// public text. Only an open demand can be answered, once.
pub async fn answer(app: &App, user: &User, id: &str, input: AnswerInput) -> AppResult<Demand> {
    let d = load(app, id).await?;
    require_answerer(user, &d)?;
    let now = now_ms();
    let (event, change, kind) = match input.decision {
        AnswerDecision::Accept => {
            let text = input.planned_date.as_deref().ok_or_else(|| {
                invalid("Accepting needs `planned_date`, the day the data is planned to open.")
            })?;
            let planned_at = parse_day(text)?;
            demand::check_planned(planned_at, now).map_err(rule)?;
            let answer = demand::check_text("text", &input.text, MAX_TEXT, false).map_err(rule)?;
            (
                DemandEvent::Accept,
                DemandChange::Accept { planned_at, answer },
                EventKind::DemandAccepted,
            )
        }
        AnswerDecision::Reject => {
            let reason = input.reason.ok_or_else(|| {
                invalid("Not accepting needs a `reason`: no_such_data, security_or_law, already_open or other.")
            })?;
            let answer = demand::check_text("text", &input.text, MAX_TEXT, true)
                .map_err(|_| invalid("Not accepting needs a public answer in `text` (1 to 4,000 characters) that says why."))?;
            (
                DemandEvent::Reject,
                DemandChange::Reject { reason, answer },
                EventKind::DemandRejected,
            )
        }
    };
    demand::transition(d.status, event).map_err(rule)?;
    let detail = change_detail(&change);
    let changed = apply(app, user, &d, change, detail.clone(), now).await?;
    log(app, user, &changed, kind, None, detail).await?;
    if event == DemandEvent::Accept {
        let (by, rule) = (
            Some(changed.created_by.as_str()),
            PointsRule::DemandAccepted,
        );
        crate::points::award(app, by, rule, &changed.id, &changed.title).await;
    }
    Ok(changed)
}

/// Applies a change the rules allowed, turning a lost race into `already_decided`.
async fn apply(
    app: &App,
    user: &User,
    d: &Demand,
    change: DemandChange,
    detail: serde_json::Value,
    now: i64,
) -> AppResult<Demand> {
    match app
        .store
        .change_demand(&d.id, d.status, change, &user.id, detail, now)
        .await
    {
        Ok(changed) => {
            index(app, &changed).await;
            Ok(changed)
        }
        Err(store::StoreError::Conflict(_)) => Err(AppError::new(
            Code::AlreadyDecided,
            "The demand changed while you were answering; reload it to see where it stands.",
        )),
        Err(e) => Err(e.into()),
    }
}

fn change_detail(change: &DemandChange) -> serde_json::Value {
    match change {
        DemandChange::Accept { planned_at, answer } => {
            json!({"planned_day": cst_day(*planned_at), "answer": answer})
        }
        DemandChange::Reject { reason, answer } => json!({"reason": reason, "answer": answer}),
        DemandChange::Fulfil {
            dataset_id,
            grant_id,
        } => {
            json!({"dataset_id": dataset_id, "grant_id": grant_id})
        }
        DemandChange::Transfer { to_org_id, due_at } => {
            json!({"to_org_id": to_org_id, "due_at": due_at})
        }
        DemandChange::Merge { into } => json!({"into": into}),
        DemandChange::Edit { title, description } => {
            json!({"title": title, "description": description})
        }
    }
}

/// The filer corrects the title or description of their demand while it waits for an answer;
/// the new text is checked as at filing. The history keeps the step.
pub async fn edit(
    app: &App,
    user: &User,
    id: &str,
    title: Option<&str>,
    description: Option<&str>,
) -> AppResult<Demand> {
    let d = load(app, id).await?;
    if d.created_by != user.id {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the user who filed a demand may edit it.",
        ));
    }
    if !demand::may_edit(&user.id, &d.created_by, d.status) {
        return Err(AppError::new(
            Code::DemandClosed,
            format!(
                "This demand is {}; its text can no longer be changed.",
                d.status.label_en().to_lowercase()
            ),
        ));
    }
    let title =
        demand::check_text("title", title.unwrap_or(&d.title), MAX_TITLE, true).map_err(rule)?;
    let description = demand::check_text(
        "description",
        description.unwrap_or(&d.description),
        MAX_TEXT,
        true,
    )
    .map_err(rule)?;
    let change = DemandChange::Edit { title, description };
    let detail = change_detail(&change);
    apply(app, user, &d, change, detail, now_ms()).await
}

/// Fulfils an accepted demand with a dataset (of the answering department, or any for a theme)
/// or a grant issued on one.
pub async fn fulfil(app: &App, user: &User, id: &str, input: FulfilInput) -> AppResult<Demand> {
    let d = load(app, id).await?;
    require_answerer(user, &d)?;
    let (dataset, grant) = match (
        input
            .dataset
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
        input
            .grant
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    ) {
        (Some(slug), None) => (Some(crate::catalog::load_dataset(app, slug).await?), None),
        (None, Some(grant_id)) => {
            let g = crate::grants::load_grant(app, grant_id).await?;
            let dataset = app.store.get_dataset(&g.dataset_id).await?;
            (Some(dataset), Some(g))
        }
        _ => {
            return Err(invalid(
                "Name what fulfils the demand: a `dataset` (its slug) or a `grant` (its id).",
            ))
        }
    };
    if let (Some(ds), Target::Department(org_id)) = (&dataset, &d.target) {
        if &ds.org_id != org_id {
            return Err(invalid(format!(
                "Dataset `{}` belongs to another organization; fulfil the demand with the department's own data.",
                ds.name
            )));
        }
    }
    demand::transition(d.status, DemandEvent::Fulfil).map_err(rule)?;
    let change = DemandChange::Fulfil {
        dataset_id: if grant.is_none() {
            dataset.as_ref().map(|d| d.id.clone())
        } else {
            None
        },
        grant_id: grant.as_ref().map(|g| g.id.clone()),
    };
    let detail = change_detail(&change);
    let changed = apply(app, user, &d, change, detail.clone(), now_ms()).await?;
    log(
        app,
        user,
        &changed,
        EventKind::DemandFulfilled,
        dataset.map(|d| d.name),
        detail,
    )
    .await?;
    Ok(changed)
}

/// The authority moves an open demand to another department, whose deadline starts now.
pub async fn transfer(app: &App, user: &User, id: &str, to_department: &str) -> AppResult<Demand> {
    let d = load(app, id).await?;
    if !demand::may_transfer(actor(user)) {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the data authority may move a demand to another department.",
        ));
    }
    let org = department(app, to_department).await?;
    if d.target == Target::Department(org.id.clone()) {
        return Err(invalid("The demand already asks that department."));
    }
    demand::transition(d.status, DemandEvent::Transfer).map_err(rule)?;
    let now = now_ms();
    let change = DemandChange::Transfer {
        to_org_id: org.id,
        due_at: demand::due_at(now, app.config.demand_answer_days),
    };
    let detail = change_detail(&change);
    let changed = apply(app, user, &d, change, detail.clone(), now).await?;
    log(
        app,
        user,
        &changed,
        EventKind::DemandTransferred,
        None,
        detail,
    )
    .await?;
    Ok(changed)
}

/// Merges duplicate demand `id` into demand `into`: its supports move there, once per user.
pub async fn merge(app: &App, user: &User, id: &str, into: &str) -> AppResult<Demand> {
    let duplicate = load(app, id).await?;
    let target = load(app, into).await?;
    if duplicate.id == target.id {
        return Err(invalid("A demand cannot be merged into itself."));
    }
    if !demand::may_merge(actor(user), &duplicate.target, &target.target) {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the data authority, or the department both demands ask, may merge them.",
        ));
    }
    if !demand::is_live(target.status) {
        return Err(closed(&target));
    }
    demand::transition(duplicate.status, DemandEvent::Merge).map_err(rule)?;
    let change = DemandChange::Merge {
        into: target.id.clone(),
    };
    let detail = change_detail(&change);
    let changed = apply(app, user, &duplicate, change, detail.clone(), now_ms()).await?;
    log(app, user, &changed, EventKind::DemandMerged, None, detail).await?;
    load(app, &target.id).await
}

/// The statistics: served from the last computation while it is current (see [`crate::stats_cache::StatsCache`]).
pub async fn stats(app: &App) -> AppResult<DemandStats> {
    app.demand_stats
        .get_or_compute(now_ms, |now| compute_stats(app, now))
        .await
}

/// Computes the statistics as of `now`.
async fn compute_stats(app: &App, now: i64) -> AppResult<DemandStats> {
    let groups = app.store.demand_stats(now).await?;
    let orgs = app.store.list_orgs().await?;
    let (mut departments, mut themes) = (Vec::new(), Vec::new());
    let mut all = DemandCounts::default();
    let mut all_days: Vec<(i64, i64)> = Vec::new();
    for g in &groups {
        all.add(&g.counts);
        all_days.extend_from_slice(&g.answer_days);
        match &g.target {
            Target::Department(id) => {
                let (slug, title) = orgs
                    .iter()
                    .find(|o| &o.id == id)
                    .map(|o| (o.name.clone(), o.title.clone()))
                    .unwrap_or_else(|| (id.clone(), id.clone()));
                departments.push(StatRow::new(
                    "department",
                    slug,
                    title,
                    &g.counts,
                    &g.answer_days,
                ));
            }
            Target::Theme(theme) => themes.push(StatRow::new(
                "theme",
                theme.clone(),
                theme.clone(),
                &g.counts,
                &g.answer_days,
            )),
        }
    }
    let order = |a: &StatRow, b: &StatRow| {
        b.counts
            .demands
            .cmp(&a.counts.demands)
            .then_with(|| a.key.cmp(&b.key))
    };
    departments.sort_by(order);
    themes.sort_by(order);
    Ok(DemandStats {
        as_of: now,
        departments,
        themes,
        total: StatRow::new("all", String::new(), String::new(), &all, &all_days),
    })
}

/// The statistics as one table (headings, then a row per department, theme and the total), for
/// the CSV and XLSX exports.
pub fn stats_table(s: &DemandStats) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let headings = vec![
        "类别 kind",
        "标识 key",
        "名称 name",
        "需求数 demands",
        "企业提出 by enterprises",
        "支持数 supports",
        "待答复 open",
        "已受理 accepted",
        "未采纳 rejected",
        "已满足 fulfilled",
        "逾期未答复 overdue",
        "逾期答复 answered late",
        "受理率 acceptance rate",
        "满足率 fulfilment rate",
        "答复天数中位数 median days to answer",
    ];
    let rate = |r: Option<f64>| r.map_or(Cell::Empty, Cell::Number);
    let rows = s
        .departments
        .iter()
        .chain(&s.themes)
        .chain(std::iter::once(&s.total))
        .map(|r| {
            let c = &r.counts;
            vec![
                Cell::Text(r.kind.to_string()),
                Cell::Text(r.key.clone()),
                Cell::Text(r.title.clone()),
                Cell::Int(c.demands),
                Cell::Int(c.enterprise),
                Cell::Int(c.supports),
                Cell::Int(c.open),
                Cell::Int(c.accepted),
                Cell::Int(c.rejected),
                Cell::Int(c.fulfilled),
                Cell::Int(c.overdue),
                Cell::Int(c.answered_late),
                rate(r.acceptance_rate),
                rate(r.fulfilment_rate),
                rate(r.median_days_to_answer),
            ]
        })
        .collect();
    (headings, rows)
}
