//! Applications, reviews, grants and reported results (DESIGN.md C4), shared by the JSON API and
//! the portal. The rules themselves (who must approve, what narrowing means) live in
//! [`model::application`]; this module checks who may act and keeps the store consistent.

use crate::audit::Event;
use crate::error::{AppError, AppResult, Code, Found};
use crate::state::App;
use model::access::{Grantee, Mode};
use model::application::{self, ApplicationStatus, PurposeCategory, ResultKind, ReviewStep, Terms};
use model::classification::Grade;
use model::filter::Condition;
use model::log::EventKind;
use model::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::{
    Agreement, Application, ApplicationDecision, ApplicationFilter, Dataset, GrantRecord,
    NewApplication, NewGrant, NewReuse, ReuseReport, User,
};

/// The data-use agreement (数据使用协议) in force. Changing this text makes a new version at the
/// next start; applications record the hash of the version their applicant accepted.
pub const AGREEMENT_TEXT: &str = include_str!("../agreement.txt");

/// The clean-room privacy budget ε a grant with the clean-room mode starts with.
pub const DEFAULT_PRIVACY_BUDGET: f64 = 1.0;

/// SHA-256 hex of an agreement text.
pub fn agreement_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// An application as the API and the portal submit it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// Dataset slug.
    pub dataset: String,
    /// Columns asked for.
    pub columns: Vec<String>,
    /// Optional row conditions, at most 20.
    #[serde(default)]
    pub row_filter: Vec<Condition>,
    /// Modes (`api`, `download`, `clean_room`).
    pub modes: Vec<Mode>,
    /// Days, 1 to 365.
    pub duration_days: i64,
    /// Rows per day; none for no quota.
    #[serde(default)]
    pub daily_row_quota: Option<i64>,
    /// Purpose category code.
    pub purpose_category: PurposeCategory,
    /// Purpose, at most 2,000 characters.
    pub purpose: String,
    /// Usage scenario, at most 2,000 characters.
    pub scenario: String,
    /// Apply on behalf of the caller's organization (enterprise users and staff); defaults to
    /// true for roles bound to an organization.
    #[serde(default)]
    pub on_behalf_of_organization: Option<bool>,
    /// Submit at once, accepting the agreement whose SHA-256 is given (see `GET /api/v1/agreement`).
    #[serde(default)]
    pub accept_agreement: Option<String>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `approve` or `reject`.
    pub decision: ReviewDecision,
    /// Narrowed columns (approve; defaults to those asked for).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    /// Extra row conditions added by the reviewer (approve).
    #[serde(default)]
    pub add_row_filter: Vec<Condition>,
    /// Narrowed modes (approve).
    #[serde(default)]
    pub modes: Option<Vec<Mode>>,
    /// Narrowed duration (approve).
    #[serde(default)]
    pub duration_days: Option<i64>,
    /// Narrowed quota (approve).
    #[serde(default)]
    pub daily_row_quota: Option<i64>,
    /// Reason (required to reject) or remark, at most 2,000 characters.
    #[serde(default)]
    pub note: String,
}

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Approve, possibly narrowed.
    Approve,
    /// Reject with a reason.
    Reject,
}

fn invalid_terms(message: impl Into<String>) -> AppError {
    AppError::new(Code::InvalidTerms, message)
}

pub(crate) fn text(field: &str, value: &str, max: usize, required: bool) -> AppResult<String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(invalid_terms(format!("Fill in `{field}`.")));
    }
    if v.chars().count() > max {
        return Err(invalid_terms(format!(
            "`{field}` may have at most {max} characters."
        )));
    }
    Ok(v.to_string())
}

/// Column grades of the dataset's latest versions, over all its resources.
async fn column_grades(app: &App, dataset: &Dataset) -> AppResult<Vec<(String, Grade)>> {
    let mut out: Vec<(String, Grade)> = Vec::new();
    for resource in app.store.list_resources(&dataset.id).await? {
        let Some(version) = crate::catalog::latest_version(app, &resource).await? else {
            continue;
        };
        let policy = crate::dataservice::dataset_policy(app, dataset, &resource, &version).await?;
        for c in policy.columns {
            match out.iter_mut().find(|(n, _)| *n == c.name) {
                Some((_, g)) => *g = (*g).max(c.grade),
                None => out.push((c.name, c.grade)),
            }
        }
    }
    Ok(out)
}

/// Checks terms against the dataset: known columns, valid conditions, sane values.
async fn check_terms(app: &App, dataset: &Dataset, terms: &Terms) -> AppResult<Vec<Grade>> {
    terms
        .validate()
        .map_err(|e| invalid_terms(capitalize(&e.to_string())))?;
    let grades = column_grades(app, dataset).await?;
    let mut chosen = Vec::new();
    for c in &terms.columns {
        match grades.iter().find(|(n, _)| n == c) {
            Some((_, g)) => chosen.push(*g),
            None => {
                return Err(invalid_terms(format!(
                    "Dataset `{}` has no column `{c}`.",
                    dataset.name
                )))
            }
        }
    }
    for cond in &terms.row_filter {
        cond.validate()
            .map_err(|e| invalid_terms(capitalize(&e.to_string())))?;
        if !grades.iter().any(|(n, _)| *n == cond.column) {
            return Err(invalid_terms(format!(
                "The row condition names `{}`, which dataset `{}` does not have.",
                cond.column, dataset.name
            )));
        }
    }
    if terms.row_filter.len() > 20 {
        return Err(invalid_terms("Use at most 20 row conditions."));
    }
    Ok(chosen)
}

pub(crate) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// Creates an application (and submits it when the input accepts the agreement).
pub async fn apply(app: &App, user: &User, input: ApplicationInput) -> AppResult<Application> {
    let accept = input.accept_agreement.clone();
    let new = prepare(app, user, input).await?;
    let application = app.store.create_application(new).await?;
    match accept {
        Some(hash) => submit(app, user, &application.id, &hash).await,
        None => Ok(application),
    }
}

/// Checks an application and returns the draft the store keeps for it, creating nothing.
pub(crate) async fn prepare(
    app: &App,
    user: &User,
    input: ApplicationInput,
) -> AppResult<NewApplication> {
    let dataset = crate::catalog::load_dataset(app, &input.dataset).await?;
    if !application::accepts_applications(dataset.meta.opening_type, dataset.meta.importance) {
        return Err(AppError::new(
            Code::NotAcceptingApplications,
            format!(
                "Dataset `{}` is not open (不予开放), so it takes no applications.",
                dataset.name
            ),
        ));
    }
    if crate::dataservice::principal(Some(user)).owns(&dataset.org_id) {
        return Err(invalid_terms(
            "Your organization owns this dataset and already sees all of it.",
        ));
    }
    let on_behalf = input
        .on_behalf_of_organization
        .unwrap_or(user.org_id.is_some() && user.role != Role::Citizen);
    let applicant_org_id = match (on_behalf, &user.org_id) {
        (true, Some(org)) => Some(org.clone()),
        (true, None) => {
            return Err(invalid_terms(
                "You belong to no organization, so you can only apply as an individual.",
            ))
        }
        (false, _) => None,
    };
    let requested = Terms {
        columns: dedup(input.columns),
        row_filter: input.row_filter,
        modes: dedup(input.modes),
        duration_days: input.duration_days,
        daily_row_quota: input.daily_row_quota,
    };
    let grades = check_terms(app, &dataset, &requested).await?;
    let needs_authority =
        application::needs_authority(dataset.meta.domain, dataset.meta.importance, grades);
    Ok(NewApplication {
        applicant_id: user.id.clone(),
        applicant_org_id,
        dataset_id: dataset.id.clone(),
        requested,
        purpose_category: input.purpose_category,
        purpose: text("purpose", &input.purpose, 2000, true)?,
        scenario: text("scenario", &input.scenario, 2000, true)?,
        needs_authority,
        now: crate::clock::now_ms(),
    })
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Loads an application or answers `application_not_found`.
pub async fn load(app: &App, id: &str) -> AppResult<Application> {
    app.store
        .get_application(id)
        .await
        .or_missing(|| AppError::new(Code::ApplicationNotFound, "There is no such application."))
}

/// Whether `user` may read the application: its applicant, the owning organization's
/// publishers, and the authority.
pub async fn can_read(app: &App, user: &User, application: &Application) -> AppResult<bool> {
    if application.applicant_id == user.id || user.role == Role::Authority {
        return Ok(true);
    }
    let dataset = app.store.get_dataset(&application.dataset_id).await?;
    Ok(crate::dataservice::principal(Some(user)).owns(&dataset.org_id))
}

/// Loads an application the user may read; others get `application_not_found`, so ids of other
/// people's applications reveal nothing.
pub async fn load_for(app: &App, user: &User, id: &str) -> AppResult<Application> {
    let application = load(app, id).await?;
    if can_read(app, user, &application).await? {
        Ok(application)
    } else {
        Err(AppError::new(
            Code::ApplicationNotFound,
            "There is no such application.",
        ))
    }
}

fn conflict_status(e: store::StoreError, what: &str) -> AppError {
    match e {
        store::StoreError::Conflict(_) => AppError::new(
            Code::AlreadyDecided,
            format!("The application is no longer {what}; reload it to see where it stands."),
        ),
        e => e.into(),
    }
}

/// Submits a draft, accepting the agreement whose hash the applicant saw.
pub async fn submit(
    app: &App,
    user: &User,
    id: &str,
    accepted_hash: &str,
) -> AppResult<Application> {
    let application = load_for(app, user, id).await?;
    if application.applicant_id != user.id {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the applicant may submit an application.",
        ));
    }
    let agreement = app.store.latest_agreement().await?;
    if agreement.sha256 != accepted_hash.trim() {
        return Err(AppError::new(
            Code::AgreementMismatch,
            format!(
                "The data-use agreement you accepted is not the one in force (version {}, SHA-256 {}). Read it again and accept that version.",
                agreement.version, agreement.sha256
            ),
        ));
    }
    let application = app
        .store
        .decide_application(
            id,
            ApplicationDecision::Submit {
                agreement_version: agreement.version,
                agreement_sha256: agreement.sha256,
            },
            crate::clock::now_ms(),
        )
        .await
        .map_err(|e| conflict_status(e, "a draft"))?;
    logged(app, user, application, EventKind::ApplicationSubmitted).await
}

/// Withdraws a draft or submitted application.
pub async fn withdraw(app: &App, user: &User, id: &str) -> AppResult<Application> {
    let application = load_for(app, user, id).await?;
    if application.applicant_id != user.id {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the applicant may withdraw an application.",
        ));
    }
    let application = app
        .store
        .decide_application(id, ApplicationDecision::Withdraw, crate::clock::now_ms())
        .await
        .map_err(|e| conflict_status(e, "open"))?;
    logged(app, user, application, EventKind::ApplicationWithdrawn).await
}

/// The review step `user` may act on for an application, if any.
pub async fn review_step(
    app: &App,
    user: &User,
    application: &Application,
) -> AppResult<Option<ReviewStep>> {
    if application.status != ApplicationStatus::Submitted || application.applicant_id == user.id {
        return Ok(None);
    }
    match application.step {
        Some(ReviewStep::Department) => {
            let dataset = app.store.get_dataset(&application.dataset_id).await?;
            let owns = crate::dataservice::principal(Some(user)).owns(&dataset.org_id);
            Ok(owns.then_some(ReviewStep::Department))
        }
        Some(ReviewStep::Authority) => {
            Ok((user.role == Role::Authority).then_some(ReviewStep::Authority))
        }
        None => Ok(None),
    }
}

/// Applies a reviewer's decision.
pub async fn review(
    app: &App,
    user: &User,
    id: &str,
    input: ReviewInput,
) -> AppResult<Application> {
    let application = load_for(app, user, id).await?;
    let Some(step) = review_step(app, user, &application).await? else {
        return Err(AppError::new(
            Code::Forbidden,
            match application.status {
                ApplicationStatus::Submitted => "This application is not waiting for your review: the owning organization reviews first, then the data authority where a second approval is needed.",
                _ => "This application is not under review.",
            },
        ));
    };
    let now = crate::clock::now_ms();
    let note = text("note", &input.note, 2000, false)?;
    if input.decision == ReviewDecision::Reject {
        if note.is_empty() {
            return Err(invalid_terms(
                "Give the applicant a reason for the rejection.",
            ));
        }
        let application = app
            .store
            .decide_application(
                id,
                ApplicationDecision::Reject {
                    reviewer: user.id.clone(),
                    step,
                    reason: note,
                },
                now,
            )
            .await
            .map_err(|e| conflict_status(e, "waiting for this review"))?;
        return logged(app, user, application, EventKind::ApplicationRejected).await;
    }
    let current = &application.approved;
    let mut row_filter = current.row_filter.clone();
    row_filter.extend(input.add_row_filter);
    let narrowed = Terms {
        columns: input
            .columns
            .map(dedup)
            .unwrap_or_else(|| current.columns.clone()),
        row_filter,
        modes: input
            .modes
            .map(dedup)
            .unwrap_or_else(|| current.modes.clone()),
        duration_days: input.duration_days.unwrap_or(current.duration_days),
        daily_row_quota: input.daily_row_quota.or(current.daily_row_quota),
    };
    current
        .check_narrowing(&narrowed)
        .map_err(|e| invalid_terms(capitalize(&e.to_string())))?;
    let dataset = app.store.get_dataset(&application.dataset_id).await?;
    let grades = check_terms(app, &dataset, &narrowed).await?;
    // Classification may have been raised since submission: the authority's step is required
    // if the data is sensitive now, even if it was not when the applicant applied.
    let needs_authority = application.needs_authority
        || application::needs_authority(
            dataset.meta.domain,
            dataset.meta.importance,
            grades.iter().copied(),
        );
    if !application::accepts_applications(dataset.meta.opening_type, dataset.meta.importance) {
        return Err(AppError::new(
            Code::NotAcceptingApplications,
            "The dataset was closed (不予开放) after this application was submitted; reject it with that reason.",
        ));
    }
    let decision = match application::approval_outcome(step, needs_authority) {
        application::ApprovalOutcome::ToAuthority => ApplicationDecision::ForwardToAuthority {
            reviewer: user.id.clone(),
            approved: narrowed,
            note,
        },
        application::ApprovalOutcome::Grant => {
            let grantee = match &application.applicant_org_id {
                Some(org) => Grantee::Org(org.clone()),
                None => Grantee::User(application.applicant_id.clone()),
            };
            // L4 columns in a grant are usable masked only with the authority's approval.
            let l4_masked_approved = step == ReviewStep::Authority && grades.contains(&Grade::L4);
            let privacy_budget = narrowed
                .modes
                .contains(&Mode::CleanRoom)
                .then_some(DEFAULT_PRIVACY_BUDGET);
            ApplicationDecision::Approve {
                reviewer: user.id.clone(),
                step,
                approved: narrowed.clone(),
                note,
                grant: NewGrant {
                    grantee,
                    l4_masked_approved,
                    privacy_budget,
                    valid_from: now,
                    valid_until: now + narrowed.duration_days * crate::clock::DAY_MS,
                    terms: narrowed,
                },
            }
        }
    };
    let kind = match decision {
        ApplicationDecision::ForwardToAuthority { .. } => EventKind::ApplicationForwarded,
        _ => EventKind::ApplicationApproved,
    };
    let application = app
        .store
        .decide_application(id, decision, now)
        .await
        .map_err(|e| conflict_status(e, "waiting for this review"))?;
    logged(app, user, application, kind).await
}

/// Logs a decision on an application (C7) and hands the application back.
async fn logged(
    app: &App,
    user: &User,
    application: Application,
    kind: EventKind,
) -> AppResult<Application> {
    let dataset = app.store.get_dataset(&application.dataset_id).await?;
    let mut event = Event::new(kind, Some(user));
    event.dataset = Some(&dataset.name);
    event.purpose = Some(application.purpose_category);
    event.detail = json!({
        "application_id": application.id,
        "status": application.status.code(),
        "step": application.step,
        "approved": application.approved,
        "grant_id": application.grant_id,
        "rejection_reason": application.rejection_reason,
    });
    app.log.append(event).await?;
    Ok(application)
}

/// Loads a grant or answers `grant_not_found`.
pub async fn load_grant(app: &App, id: &str) -> AppResult<GrantRecord> {
    app.store
        .get_grant(id)
        .await
        .or_missing(|| AppError::new(Code::GrantNotFound, "There is no such grant."))
}

/// Whether `user` holds the grant.
pub fn holds(user: &User, grant: &GrantRecord) -> bool {
    grant
        .grantee
        .includes(&crate::dataservice::principal(Some(user)))
}

/// Whether `user` may manage (see, revoke) grants on the dataset: its publishers and the authority.
pub fn manages(user: &User, dataset: &Dataset) -> bool {
    user.role == Role::Authority || crate::dataservice::principal(Some(user)).owns(&dataset.org_id)
}

/// Revokes a grant with a reason.
pub async fn revoke(app: &App, user: &User, id: &str, reason: &str) -> AppResult<GrantRecord> {
    let grant = load_grant(app, id).await?;
    let dataset = app.store.get_dataset(&grant.dataset_id).await?;
    if !manages(user, &dataset) {
        return Err(if holds(user, &grant) {
            AppError::new(
                Code::Forbidden,
                "Only the owning organization or the data authority may revoke a grant.",
            )
        } else {
            AppError::new(Code::GrantNotFound, "There is no such grant.")
        });
    }
    let reason = text("reason", reason, 2000, true)?;
    match app
        .store
        .revoke_grant(id, &user.id, &reason, crate::clock::now_ms())
        .await
    {
        Ok(g) => {
            let application = app.store.get_application(&g.application_id).await?;
            let mut event = Event::new(EventKind::GrantRevoked, Some(user));
            event.dataset = Some(&dataset.name);
            event.purpose = Some(application.purpose_category);
            event.detail = json!({"grant_id": g.id, "reason": reason});
            app.log.append(event).await?;
            Ok(g)
        }
        Err(store::StoreError::Conflict(_)) => Err(AppError::new(
            Code::AlreadyDecided,
            "The grant was already revoked.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// A result (成果) as the grantee reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReuseInput {
    /// Kind.
    pub kind: ResultKind,
    /// Title, at most 200 characters.
    pub title: String,
    /// Description, at most 4,000 characters.
    #[serde(default)]
    pub description: String,
    /// An http:// or https:// link of at most 500 characters.
    #[serde(default)]
    pub url: Option<String>,
}

/// Records a result reported by the holder of a grant.
pub async fn report(
    app: &App,
    user: &User,
    grant_id: &str,
    input: ReuseInput,
) -> AppResult<ReuseReport> {
    let grant = load_grant(app, grant_id).await?;
    if !holds(user, &grant) {
        return Err(AppError::new(
            Code::GrantNotFound,
            "There is no such grant.",
        ));
    }
    let url = match input
        .url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(u)
            if (u.starts_with("https://") || u.starts_with("http://"))
                && u.len() <= 500
                && !u.contains(char::is_whitespace) =>
        {
            Some(u.to_string())
        }
        Some(_) => {
            return Err(invalid_terms(
                "The link must be an http:// or https:// address of at most 500 characters.",
            ))
        }
        None => None,
    };
    let reported = app
        .store
        .create_reuse(NewReuse {
            grant_id: grant.id.clone(),
            dataset_id: grant.dataset_id.clone(),
            kind: input.kind,
            title: text("title", &input.title, 200, true)?,
            description: text("description", &input.description, 4000, false)?,
            url,
            created_by: user.id.clone(),
            now: crate::clock::now_ms(),
        })
        .await?;
    crate::activities::on_event(app, &user.id, model::points::TaskKind::Result, "").await;
    Ok(reported)
}

/// Accepts a reported result (成果) of a dataset `user` manages: the reporter earns the
/// `result_accepted` points once (C12); a second acceptance is `already_decided`.
pub async fn accept_result(app: &App, user: &User, id: &str) -> AppResult<ReuseReport> {
    let not_found = || AppError::new(Code::ResultNotFound, "There is no such result.");
    let result = match app.store.get_reuse(id).await {
        Ok(r) => r,
        Err(store::StoreError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let dataset = app.store.get_dataset(&result.dataset_id).await?;
    if !manages(user, &dataset) {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the dataset's owning organization or the data authority may accept a result.",
        ));
    }
    let accepted = match app
        .store
        .accept_reuse(id, &user.id, crate::clock::now_ms())
        .await
    {
        Ok(r) => r,
        Err(store::StoreError::Conflict(_)) => {
            return Err(AppError::new(
                Code::AlreadyDecided,
                "The result was already accepted.",
            ))
        }
        Err(store::StoreError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    crate::points::award(
        app,
        Some(&accepted.created_by),
        model::points::PointsRule::ResultAccepted,
        &accepted.id,
        &accepted.title,
    )
    .await;
    Ok(accepted)
}

/// Applications waiting for `user`'s review.
pub async fn review_queue(app: &App, user: &User) -> AppResult<Vec<Application>> {
    let filter = match user.role {
        Role::Authority => ApplicationFilter {
            status: Some(ApplicationStatus::Submitted),
            step: Some(ReviewStep::Authority),
            ..Default::default()
        },
        Role::Staff | Role::Enterprise if user.org_id.is_some() => ApplicationFilter {
            status: Some(ApplicationStatus::Submitted),
            step: Some(ReviewStep::Department),
            owner_org_id: user.org_id.clone(),
            ..Default::default()
        },
        _ => return Ok(Vec::new()),
    };
    Ok(app.store.list_applications(&filter).await?)
}

/// The data-use agreement in force.
pub async fn agreement(app: &App) -> AppResult<Agreement> {
    Ok(app.store.latest_agreement().await?)
}

/// An application with its dataset's slug, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    /// The application.
    #[serde(flatten)]
    pub application: Application,
    /// The dataset's slug.
    pub dataset: String,
}

/// An application as the API shows it.
pub async fn application_view(app: &App, application: Application) -> AppResult<ApplicationView> {
    let dataset = app.store.get_dataset(&application.dataset_id).await?.name;
    Ok(ApplicationView {
        application,
        dataset,
    })
}

/// Applications as the API shows them.
pub async fn application_views(
    app: &App,
    applications: Vec<Application>,
) -> AppResult<Vec<ApplicationView>> {
    let mut out = Vec::with_capacity(applications.len());
    for a in applications {
        out.push(application_view(app, a).await?);
    }
    Ok(out)
}

/// The applications `user` made, newest first.
pub async fn my_applications(app: &App, user: &User) -> AppResult<Vec<Application>> {
    Ok(app
        .store
        .list_applications(&ApplicationFilter {
            applicant_id: Some(user.id.clone()),
            ..Default::default()
        })
        .await?)
}

/// A grant with its dataset's slug, its state now and today's remaining quota.
#[derive(Debug, Clone, Serialize)]
pub struct GrantView {
    /// The grant.
    #[serde(flatten)]
    pub grant: GrantRecord,
    /// The dataset's slug.
    pub dataset: String,
    /// Where the grant stands now.
    pub state: model::access::GrantState,
    /// Rows left today; none without a quota.
    pub quota_remaining: Option<i64>,
    /// The clean room the grant is part of, if any.
    pub cleanroom: Option<GrantCleanRoom>,
}

/// A grant as the API shows it.
pub async fn grant_view(app: &App, grant: GrantRecord) -> AppResult<GrantView> {
    let dataset = app.store.get_dataset(&grant.dataset_id).await?.name;
    let now = crate::clock::now_ms();
    let current = crate::dataservice::policy_grant(app, &grant, now).await?;
    Ok(GrantView {
        cleanroom: cleanroom_of(app, &grant).await?,
        state: current.state(now),
        quota_remaining: current.quota_remaining(),
        grant,
        dataset,
    })
}

/// Grants as the API shows them.
pub async fn grant_views(app: &App, grants: Vec<GrantRecord>) -> AppResult<Vec<GrantView>> {
    let mut out = Vec::with_capacity(grants.len());
    for g in grants {
        out.push(grant_view(app, g).await?);
    }
    Ok(out)
}

/// The grants `user` holds, personally or through their organization.
pub async fn my_grants(app: &App, user: &User) -> AppResult<Vec<GrantRecord>> {
    Ok(app
        .store
        .list_grants_for_holder(Some(&user.id), user.org_id.as_deref())
        .await?)
}

/// A grant `user` holds or manages; others get `grant_not_found`, so ids reveal nothing.
pub async fn grant_for(app: &App, user: &User, id: &str) -> AppResult<GrantRecord> {
    let grant = load_grant(app, id).await?;
    let dataset = app.store.get_dataset(&grant.dataset_id).await?;
    if !holds(user, &grant) && !manages(user, &dataset) {
        return Err(AppError::new(
            Code::GrantNotFound,
            "There is no such grant.",
        ));
    }
    Ok(grant)
}

/// The grants on a dataset, for those who manage it.
pub async fn dataset_grants(
    app: &App,
    user: &User,
    dataset: &Dataset,
) -> AppResult<Vec<GrantRecord>> {
    if !manages(user, dataset) {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the owning organization and the data authority may list a dataset's grants.",
        ));
    }
    Ok(app.store.list_grants_for_dataset(&dataset.id).await?)
}

/// Results reported with a dataset's data, or with any data; public.
pub async fn results(app: &App, dataset: Option<&Dataset>) -> AppResult<Vec<ReuseReport>> {
    Ok(app
        .store
        .list_reuses(dataset.map(|d| d.id.as_str()))
        .await?)
}

/// The clean room a grant belongs to, as its details show it: the datasets, this grant's join
/// keys and the budget.
#[derive(Debug, Clone, Serialize)]
pub struct GrantCleanRoom {
    /// The clean room.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its datasets' slugs.
    pub datasets: Vec<String>,
    /// The join keys this grant allows (the policy's, of the columns granted).
    pub join_keys: Vec<String>,
    /// ε granted.
    pub epsilon_budget: f64,
    /// ε left.
    pub epsilon_left: f64,
}

/// The clean room of a grant, if it belongs to one.
async fn cleanroom_of(app: &App, grant: &store::GrantRecord) -> AppResult<Option<GrantCleanRoom>> {
    let Some(id) = app
        .store
        .cleanroom_of_application(&grant.application_id)
        .await?
    else {
        return Ok(None);
    };
    let room = app.store.get_cleanroom(&id).await?;
    let mut datasets = Vec::new();
    for part in &room.parts {
        datasets.push(app.store.get_dataset(&part.dataset_id).await?.name);
    }
    let dataset = app.store.get_dataset(&grant.dataset_id).await?;
    let join_keys = match app.store.get_cleanroom_policy(&dataset.id).await {
        Ok(p) => p.policy.allowed_join_keys(&grant.terms.columns),
        Err(store::StoreError::NotFound) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(Some(GrantCleanRoom {
        id: room.id,
        title: room.title,
        datasets,
        join_keys,
        epsilon_budget: model::cleanroom::epsilon_of(room.budget_micros),
        epsilon_left: model::cleanroom::epsilon_of(room.budget_micros - room.spent_micros),
    }))
}
