//! Applications, reviews, grants and reported results (DESIGN.md C4), shared by the JSON API and
//! the portal. The rules themselves (who must approve, what narrowing means) live in
//! [`model::application`]; this module checks who may act and keeps the store consistent.

use crate::audit::Event;
use crate::error::{ApiError, ApiResult, Code};
use crate::state::SharedState;
use model::access::{Grantee, Mode};
use model::application::{self, ApplicationStatus, PurposeCategory, ResultKind, ReviewStep, Terms};
use model::classification::Grade;
use model::filter::Condition;
use model::log::EventKind;
use model::role::Role;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use store::{
    Application, ApplicationDecision, ApplicationFilter, Dataset, GrantRecord, NewApplication,
    NewGrant, NewReuse, ReuseReport, User,
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
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// Dataset slug.
    pub dataset: String,
    /// Columns asked for.
    #[schema(min_items = 1)]
    pub columns: Vec<String>,
    /// Optional row conditions, at most 20.
    #[serde(default)]
    #[schema(value_type = Vec<crate::api::openapi::Condition>, max_items = 20)]
    pub row_filter: Vec<Condition>,
    /// Modes (`api`, `download`, `clean_room`).
    #[schema(value_type = Vec<crate::api::openapi::Mode>, min_items = 1)]
    pub modes: Vec<Mode>,
    /// Days, 1 to 365.
    #[schema(minimum = 1, maximum = 365)]
    pub duration_days: i64,
    /// Rows per day; none for no quota.
    #[serde(default)]
    #[schema(nullable = false, minimum = 1)]
    pub daily_row_quota: Option<i64>,
    /// Purpose category code.
    #[schema(value_type = crate::api::openapi::PurposeCategory)]
    pub purpose_category: PurposeCategory,
    /// Purpose, at most 2,000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub purpose: String,
    /// Usage scenario, at most 2,000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub scenario: String,
    /// Apply on behalf of the caller's organization (enterprise users and staff); defaults to
    /// true for roles bound to an organization.
    #[serde(default)]
    #[schema(nullable = false)]
    pub on_behalf_of_organization: Option<bool>,
    /// Submit at once, accepting the agreement whose SHA-256 is given (see `GET /api/v1/agreement`).
    #[serde(default)]
    #[schema(nullable = false)]
    pub accept_agreement: Option<String>,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `approve` or `reject`.
    pub decision: ReviewDecision,
    /// Narrowed columns (approve; defaults to those asked for).
    #[serde(default)]
    #[schema(nullable = false, min_items = 1)]
    pub columns: Option<Vec<String>>,
    /// Extra row conditions added by the reviewer (approve).
    #[serde(default)]
    #[schema(value_type = Vec<crate::api::openapi::Condition>)]
    pub add_row_filter: Vec<Condition>,
    /// Narrowed modes (approve).
    #[serde(default)]
    #[schema(value_type = Option<Vec<crate::api::openapi::Mode>>, nullable = false, min_items = 1)]
    pub modes: Option<Vec<Mode>>,
    /// Narrowed duration (approve).
    #[serde(default)]
    #[schema(nullable = false, minimum = 1, maximum = 365)]
    pub duration_days: Option<i64>,
    /// Narrowed quota (approve).
    #[serde(default)]
    #[schema(nullable = false, minimum = 1)]
    pub daily_row_quota: Option<i64>,
    /// Reason (required to reject) or remark, at most 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: String,
}

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Approve, possibly narrowed.
    Approve,
    /// Reject with a reason.
    Reject,
}

fn invalid_terms(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::InvalidTerms, message)
}

fn text(field: &str, value: &str, max: usize, required: bool) -> ApiResult<String> {
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
async fn column_grades(state: &SharedState, dataset: &Dataset) -> ApiResult<Vec<(String, Grade)>> {
    let mut out: Vec<(String, Grade)> = Vec::new();
    for resource in state.store.list_resources(&dataset.id).await? {
        let Some(version) = state
            .store
            .list_versions(&resource.id)
            .await?
            .into_iter()
            .next()
        else {
            continue;
        };
        let policy =
            crate::dataservice::dataset_policy(state, dataset, &resource, &version).await?;
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
async fn check_terms(
    state: &SharedState,
    dataset: &Dataset,
    terms: &Terms,
) -> ApiResult<Vec<Grade>> {
    terms
        .validate()
        .map_err(|e| invalid_terms(capitalize(&e.to_string())))?;
    let grades = column_grades(state, dataset).await?;
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

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// Creates an application (and submits it when the input accepts the agreement).
pub async fn apply(
    state: &SharedState,
    user: &User,
    input: ApplicationInput,
) -> ApiResult<Application> {
    let dataset = crate::api::load_dataset(state, &input.dataset).await?;
    if !application::accepts_applications(dataset.meta.opening_type, dataset.meta.importance) {
        return Err(ApiError::new(
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
    let grades = check_terms(state, &dataset, &requested).await?;
    let needs_authority =
        application::needs_authority(dataset.meta.domain, dataset.meta.importance, grades);
    let app = state
        .store
        .create_application(NewApplication {
            applicant_id: user.id.clone(),
            applicant_org_id,
            dataset_id: dataset.id.clone(),
            requested,
            purpose_category: input.purpose_category,
            purpose: text("purpose", &input.purpose, 2000, true)?,
            scenario: text("scenario", &input.scenario, 2000, true)?,
            needs_authority,
            now: crate::auth::now_ms(),
        })
        .await?;
    match input.accept_agreement {
        Some(hash) => submit(state, user, &app.id, &hash).await,
        None => Ok(app),
    }
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
pub async fn load(state: &SharedState, id: &str) -> ApiResult<Application> {
    match state.store.get_application(id).await {
        Ok(a) => Ok(a),
        Err(store::StoreError::NotFound) => Err(ApiError::new(
            Code::ApplicationNotFound,
            "There is no such application.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Whether `user` may read the application: its applicant, the owning organization's
/// publishers, and the authority.
pub async fn can_read(state: &SharedState, user: &User, app: &Application) -> ApiResult<bool> {
    if app.applicant_id == user.id || user.role == Role::Authority {
        return Ok(true);
    }
    let dataset = state.store.get_dataset(&app.dataset_id).await?;
    Ok(crate::dataservice::principal(Some(user)).owns(&dataset.org_id))
}

/// Loads an application the user may read; others get `application_not_found`, so ids of other
/// people's applications reveal nothing.
pub async fn load_for(state: &SharedState, user: &User, id: &str) -> ApiResult<Application> {
    let app = load(state, id).await?;
    if can_read(state, user, &app).await? {
        Ok(app)
    } else {
        Err(ApiError::new(
            Code::ApplicationNotFound,
            "There is no such application.",
        ))
    }
}

fn conflict_status(e: store::StoreError, what: &str) -> ApiError {
    match e {
        store::StoreError::Conflict(_) => ApiError::new(
            Code::AlreadyDecided,
            format!("The application is no longer {what}; reload it to see where it stands."),
        ),
        e => e.into(),
    }
}

/// Submits a draft, accepting the agreement whose hash the applicant saw.
pub async fn submit(
    state: &SharedState,
    user: &User,
    id: &str,
    accepted_hash: &str,
) -> ApiResult<Application> {
    let app = load_for(state, user, id).await?;
    if app.applicant_id != user.id {
        return Err(ApiError::new(
            Code::Forbidden,
            "Only the applicant may submit an application.",
        ));
    }
    let agreement = state.store.latest_agreement().await?;
    if agreement.sha256 != accepted_hash.trim() {
        return Err(ApiError::new(
            Code::AgreementMismatch,
            format!(
                "The data-use agreement you accepted is not the one in force (version {}, SHA-256 {}). Read it again and accept that version.",
                agreement.version, agreement.sha256
            ),
        ));
    }
    let app = state
        .store
        .decide_application(
            id,
            ApplicationDecision::Submit {
                agreement_version: agreement.version,
                agreement_sha256: agreement.sha256,
            },
            crate::auth::now_ms(),
        )
        .await
        .map_err(|e| conflict_status(e, "a draft"))?;
    logged(state, user, app, EventKind::ApplicationSubmitted).await
}

/// Withdraws a draft or submitted application.
pub async fn withdraw(state: &SharedState, user: &User, id: &str) -> ApiResult<Application> {
    let app = load_for(state, user, id).await?;
    if app.applicant_id != user.id {
        return Err(ApiError::new(
            Code::Forbidden,
            "Only the applicant may withdraw an application.",
        ));
    }
    let app = state
        .store
        .decide_application(id, ApplicationDecision::Withdraw, crate::auth::now_ms())
        .await
        .map_err(|e| conflict_status(e, "open"))?;
    logged(state, user, app, EventKind::ApplicationWithdrawn).await
}

/// The review step `user` may act on for an application, if any.
pub async fn review_step(
    state: &SharedState,
    user: &User,
    app: &Application,
) -> ApiResult<Option<ReviewStep>> {
    if app.status != ApplicationStatus::Submitted || app.applicant_id == user.id {
        return Ok(None);
    }
    match app.step {
        Some(ReviewStep::Department) => {
            let dataset = state.store.get_dataset(&app.dataset_id).await?;
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
    state: &SharedState,
    user: &User,
    id: &str,
    input: ReviewInput,
) -> ApiResult<Application> {
    let app = load_for(state, user, id).await?;
    let Some(step) = review_step(state, user, &app).await? else {
        return Err(ApiError::new(
            Code::Forbidden,
            match app.status {
                ApplicationStatus::Submitted => "This application is not waiting for your review: the owning organization reviews first, then the data authority where a second approval is needed.",
                _ => "This application is not under review.",
            },
        ));
    };
    let now = crate::auth::now_ms();
    let note = text("note", &input.note, 2000, false)?;
    if input.decision == ReviewDecision::Reject {
        if note.is_empty() {
            return Err(invalid_terms(
                "Give the applicant a reason for the rejection.",
            ));
        }
        let app = state
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
        return logged(state, user, app, EventKind::ApplicationRejected).await;
    }
    let current = &app.approved;
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
    let dataset = state.store.get_dataset(&app.dataset_id).await?;
    let grades = check_terms(state, &dataset, &narrowed).await?;
    // Classification may have been raised since submission: the authority's step is required
    // if the data is sensitive now, even if it was not when the applicant applied.
    let needs_authority = app.needs_authority
        || application::needs_authority(
            dataset.meta.domain,
            dataset.meta.importance,
            grades.iter().copied(),
        );
    if !application::accepts_applications(dataset.meta.opening_type, dataset.meta.importance) {
        return Err(ApiError::new(
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
            let grantee = match &app.applicant_org_id {
                Some(org) => Grantee::Org(org.clone()),
                None => Grantee::User(app.applicant_id.clone()),
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
                    valid_until: now + narrowed.duration_days * crate::dataservice::DAY_MS,
                    terms: narrowed,
                },
            }
        }
    };
    let kind = match decision {
        ApplicationDecision::ForwardToAuthority { .. } => EventKind::ApplicationForwarded,
        _ => EventKind::ApplicationApproved,
    };
    let app = state
        .store
        .decide_application(id, decision, now)
        .await
        .map_err(|e| conflict_status(e, "waiting for this review"))?;
    logged(state, user, app, kind).await
}

/// Logs a decision on an application (C7) and hands the application back.
async fn logged(
    state: &SharedState,
    user: &User,
    app: Application,
    kind: EventKind,
) -> ApiResult<Application> {
    let dataset = state.store.get_dataset(&app.dataset_id).await?;
    let mut event = Event::new(kind, Some(user));
    event.dataset = Some(&dataset.name);
    event.purpose = Some(app.purpose_category);
    event.detail = json!({
        "application_id": app.id,
        "status": app.status.code(),
        "step": app.step,
        "approved": app.approved,
        "grant_id": app.grant_id,
        "rejection_reason": app.rejection_reason,
    });
    state.log.append(event).await?;
    Ok(app)
}

/// Loads a grant or answers `grant_not_found`.
pub async fn load_grant(state: &SharedState, id: &str) -> ApiResult<GrantRecord> {
    match state.store.get_grant(id).await {
        Ok(g) => Ok(g),
        Err(store::StoreError::NotFound) => Err(ApiError::new(
            Code::GrantNotFound,
            "There is no such grant.",
        )),
        Err(e) => Err(e.into()),
    }
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
pub async fn revoke(
    state: &SharedState,
    user: &User,
    id: &str,
    reason: &str,
) -> ApiResult<GrantRecord> {
    let grant = load_grant(state, id).await?;
    let dataset = state.store.get_dataset(&grant.dataset_id).await?;
    if !manages(user, &dataset) {
        return Err(if holds(user, &grant) {
            ApiError::new(
                Code::Forbidden,
                "Only the owning organization or the data authority may revoke a grant.",
            )
        } else {
            ApiError::new(Code::GrantNotFound, "There is no such grant.")
        });
    }
    let reason = text("reason", reason, 2000, true)?;
    match state
        .store
        .revoke_grant(id, &user.id, &reason, crate::auth::now_ms())
        .await
    {
        Ok(g) => {
            let application = state.store.get_application(&g.application_id).await?;
            let mut event = Event::new(EventKind::GrantRevoked, Some(user));
            event.dataset = Some(&dataset.name);
            event.purpose = Some(application.purpose_category);
            event.detail = json!({"grant_id": g.id, "reason": reason});
            state.log.append(event).await?;
            Ok(g)
        }
        Err(store::StoreError::Conflict(_)) => Err(ApiError::new(
            Code::AlreadyDecided,
            "The grant was already revoked.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// A result (成果) as the grantee reports it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReuseInput {
    /// Kind.
    #[schema(value_type = crate::api::openapi::ResultKind)]
    pub kind: ResultKind,
    /// Title, at most 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Description, at most 4,000 characters.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub description: String,
    /// An http:// or https:// link of at most 500 characters.
    #[serde(default)]
    #[schema(nullable = false, max_length = 500, pattern = "^https?://[^\\s]+$")]
    pub url: Option<String>,
}

/// Records a result reported by the holder of a grant.
pub async fn report(
    state: &SharedState,
    user: &User,
    grant_id: &str,
    input: ReuseInput,
) -> ApiResult<ReuseReport> {
    let grant = load_grant(state, grant_id).await?;
    if !holds(user, &grant) {
        return Err(ApiError::new(
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
    Ok(state
        .store
        .create_reuse(NewReuse {
            grant_id: grant.id.clone(),
            dataset_id: grant.dataset_id.clone(),
            kind: input.kind,
            title: text("title", &input.title, 200, true)?,
            description: text("description", &input.description, 4000, false)?,
            url,
            created_by: user.id.clone(),
            now: crate::auth::now_ms(),
        })
        .await?)
}

/// Applications waiting for `user`'s review.
pub async fn review_queue(state: &SharedState, user: &User) -> ApiResult<Vec<Application>> {
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
    Ok(state.store.list_applications(&filter).await?)
}
