//! Feedback on public services (诉求反馈, DESIGN.md C10): anyone reports a problem, the
//! department responsible answers in public, and the submitter rates the answer and may reopen
//! it once. The rules are in [`model::feedback`]; this module keeps the records and the photos,
//! masks personal information in every public view, guards the private contact details (read
//! only by the handling department's staff, each read logged), and logs every step (C7).

use crate::audit::Event;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult, Code, Found};
pub use crate::feedback_stats::{FeedbackStats, MonthRow, StatRow};
use crate::state::App;
use crate::stats_cache::Rendered;
use crate::tables::Cell;
use model::calendar::cst_day;
use model::feedback::{
    self, Attribute, Contact, FeedbackCounts, FeedbackError, FeedbackEvent, FeedbackStatus,
    MAX_PHOTOS, MAX_TEXT,
};
use model::log::EventKind;
use model::points::PointsRule;
use model::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use store::{
    Feedback, FeedbackChange, FeedbackFilter, FeedbackPhoto, FeedbackService, FeedbackStep,
    NewFeedback, Organization, User,
};

/// A service as the authority defines it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// Stable code: letters, digits, `_` and `-`.
    pub code: String,
    /// Name in Chinese.
    pub name: String,
    /// Name in English.
    #[serde(default)]
    pub name_en: String,
    /// What it covers.
    pub description: String,
    /// The group it is listed under.
    #[serde(default)]
    pub group: String,
    /// Search keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Extra questions.
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// The department responsible (its slug).
    pub department: String,
    /// Whether it takes new feedback (default true).
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A service as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    /// The service.
    #[serde(flatten)]
    pub service: FeedbackService,
    /// The department's slug.
    pub department: String,
    /// The department's title.
    pub department_title: String,
}

/// Feedback as it is submitted (photos come separately, as bytes).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    /// The service's code.
    pub service_code: String,
    /// What is wrong, at most 4,000 characters.
    pub description: String,
    /// Latitude (WGS 84).
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude (WGS 84).
    #[serde(default)]
    pub long: Option<f64>,
    /// Address.
    #[serde(default)]
    pub address: Option<String>,
    /// Answers to the service's questions: code → values.
    #[serde(default)]
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Private contact details.
    #[serde(default)]
    pub contact: Option<Contact>,
}

/// What the submitter gets back: the item, and the key of the private link through which they
/// (signed in or not) rate or reopen it. The key is shown once and kept only as a hash.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    /// The item as the public sees it.
    pub feedback: FeedbackView,
    /// The private link's key.
    pub key: String,
}

/// A photo as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PhotoView {
    /// Id.
    pub id: String,
    /// `image/jpeg` or `image/png`.
    pub media_type: String,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
}

/// An item as the public sees it: the description masked (or withheld when hidden), the
/// service and department by name, and whether it is overdue.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackView {
    /// The record (without description, submitter or key hash).
    #[serde(flatten)]
    pub feedback: Feedback,
    /// The description with personal information masked; `None` when hidden.
    pub description: Option<String>,
    /// The service's name in Chinese.
    pub service_name: String,
    /// The service's name in English.
    pub service_name_en: String,
    /// The department's slug.
    pub department: String,
    /// The department's title.
    pub department_title: String,
    /// Still without a first answer after its deadline.
    pub overdue: bool,
}

/// One step of the public history.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// The step.
    #[serde(flatten)]
    pub step: FeedbackStep,
    /// The department's title after the step.
    pub department_title: String,
}

/// An item with its history and photos.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackDetail {
    /// The item.
    #[serde(flatten)]
    pub view: FeedbackView,
    /// Its public history, oldest first.
    pub history: Vec<StepView>,
    /// Its photos.
    pub photos: Vec<PhotoView>,
}

/// What a list of items asks for.
#[derive(Debug, Clone, Default)]
pub struct FeedbackQuery {
    /// Only these ids.
    pub ids: Vec<String>,
    /// Only these services.
    pub services: Vec<String>,
    /// Only items handled by this department (slug).
    pub department: Option<String>,
    /// Only these states.
    pub statuses: Vec<FeedbackStatus>,
    /// Only items overdue now.
    pub overdue: bool,
    /// Only items submitted at or after this time (Unix ms).
    pub from: Option<i64>,
    /// Only items submitted before this time (Unix ms).
    pub until: Option<i64>,
    /// Only items submitted by this user (id).
    pub submitted_by: Option<String>,
    /// Items skipped.
    pub offset: i64,
    /// Page size (1–1000; 0 for 50).
    pub limit: i64,
}

/// A page of items. Whether there is a next page is known without counting them all.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackPage {
    /// Items skipped.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
    /// Whether more items match.
    pub more: bool,
    /// This page.
    pub items: Vec<FeedbackView>,
}

/// What the handling department does with an item.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// The step: `accept`, `start`, `resolve`, `reject`, `transfer`, `note` or `hide`.
    pub action: FeedbackEvent,
    /// The public note: required to reject, to hide (the reason) and for a plain note.
    #[serde(default)]
    pub note: String,
    /// Accepting: the expected date, `YYYY-MM-DD` (China Standard Time).
    #[serde(default)]
    pub expected_date: Option<String>,
    /// Transferring: the department's slug.
    #[serde(default)]
    pub department: Option<String>,
}

/// Who the submitter is: their account, or the key of the private link.
#[derive(Debug, Clone, Copy)]
pub enum Submitter<'a> {
    /// Signed in.
    Account(&'a User),
    /// The private link's key.
    Key(&'a str),
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(Code::InvalidField, message)
}

/// The error of a rule of [`model::feedback`], with the code callers see.
fn rule(e: FeedbackError) -> AppError {
    let code = match &e {
        FeedbackError::NotAllowed {
            event: FeedbackEvent::Rate,
            ..
        } => Code::FeedbackNotClosed,
        FeedbackError::NotAllowed {
            event: FeedbackEvent::Reopen,
            ..
        }
        | FeedbackError::Reopen => Code::ReopenNotAllowed,
        FeedbackError::NotAllowed { .. } => Code::AlreadyDecided,
        FeedbackError::AlreadyRated => Code::AlreadyRated,
        FeedbackError::Coordinates | FeedbackError::NoLocation => Code::InvalidLocation,
        FeedbackError::UnknownAttribute(_)
        | FeedbackError::MissingAttribute(_)
        | FeedbackError::AttributeValue { .. } => Code::InvalidAttribute,
        FeedbackError::Text { .. }
        | FeedbackError::Service(_)
        | FeedbackError::Contact(_)
        | FeedbackError::Rating
        | FeedbackError::ExpectedDate => Code::InvalidField,
    };
    AppError::new(code, crate::demands::capitalized(&e.to_string()))
}

fn photo_error(e: ingest::photo::PhotoError) -> AppError {
    let code = match e {
        ingest::photo::PhotoError::TooLarge => Code::PayloadTooLarge,
        _ => Code::InvalidPhoto,
    };
    AppError {
        code,
        message: crate::demands::capitalized(&e.to_string()),
        detail_code: Some(e.code()),
        retry_after: None,
    }
}

fn missing() -> AppError {
    AppError::new(
        Code::FeedbackNotFound,
        "There is no such feedback. Check the number, or browse the list of feedback.",
    )
}

fn no_service(code: &str) -> AppError {
    AppError::new(
        Code::ServiceNotFound,
        format!(
            "There is no service `{}`. The list of services says which exist.",
            code.chars().take(64).collect::<String>()
        ),
    )
}

/// Whether `user` handles items of `org_id`: its department's staff, or the authority.
fn handles(user: &User, org_id: &str) -> bool {
    user.role == Role::Authority
        || (user.role == Role::Staff && user.org_id.as_deref() == Some(org_id))
}

fn require_authority(user: &User) -> AppResult<()> {
    if user.role == Role::Authority {
        Ok(())
    } else {
        Err(AppError::new(
            Code::Forbidden,
            "Only the data authority manages the services of feedback.",
        ))
    }
}

// Services.

/// Every service with its department, by group and code; with `active_only`, only those that
/// take new feedback.
pub async fn services(app: &App, active_only: bool) -> AppResult<Vec<ServiceView>> {
    let orgs = app.store.list_orgs().await?;
    Ok(app
        .store
        .list_feedback_services()
        .await?
        .into_iter()
        .filter(|s| s.active || !active_only)
        .map(|s| service_view(s, &orgs))
        .collect())
}

fn service_view(service: FeedbackService, orgs: &[Organization]) -> ServiceView {
    let org = orgs.iter().find(|o| o.id == service.org_id);
    ServiceView {
        department: org.map_or_else(|| service.org_id.clone(), |o| o.name.clone()),
        department_title: org.map_or_else(|| service.org_id.clone(), |o| o.title.clone()),
        service,
    }
}

/// One service.
pub async fn service(app: &App, code: &str) -> AppResult<ServiceView> {
    let s = app
        .store
        .get_feedback_service(code)
        .await
        .or_missing(|| no_service(code))?;
    Ok(service_view(s, &app.store.list_orgs().await?))
}

/// Creates or replaces a service: the authority only.
pub async fn save_service(app: &App, user: &User, input: ServiceInput) -> AppResult<ServiceView> {
    require_authority(user)?;
    if !feedback::is_code(&input.code) {
        return Err(invalid(
            "The code must have 1 to 64 letters, digits, `_` or `-`.",
        ));
    }
    let text =
        |field, t: &str, max, required| feedback::check_text(field, t, max, required).map_err(rule);
    let name = text("name", &input.name, 100, true)?;
    let name_en = text("name_en", &input.name_en, 100, false)?;
    let description = text("description", &input.description, 1000, true)?;
    let group = text("group", &input.group, 100, false)?;
    let keywords: Vec<String> = input
        .keywords
        .iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    if keywords.len() > 20 || keywords.iter().any(|k| k.chars().count() > 50) {
        return Err(invalid(
            "Give at most 20 keywords of at most 50 characters.",
        ));
    }
    let attributes = feedback::check_attributes(input.attributes).map_err(rule)?;
    let org = app
        .store
        .get_org_by_name(&input.department)
        .await
        .or_missing(|| {
            AppError::new(
                Code::OrgNotFound,
                format!("There is no department `{}`.", input.department),
            )
        })?;
    if org.kind == model::role::OrgKind::Enterprise {
        return Err(invalid("A service is routed to a government department."));
    }
    let now = now_ms();
    let existing = app.store.get_feedback_service(&input.code).await.found()?;
    let service = FeedbackService {
        code: input.code,
        name,
        name_en,
        description,
        group,
        keywords,
        attributes,
        org_id: org.id,
        active: input.active,
        created_at: existing.as_ref().map_or(now, |s| s.created_at),
        modified_at: now,
    };
    if existing.is_some() {
        app.store.update_feedback_service(&service).await?;
    } else {
        app.store.create_feedback_service(&service).await?;
    }
    changed(app);
    Ok(service_view(service, &app.store.list_orgs().await?))
}

// Items.

/// The folder of an item's photos in the platform's storage.
fn photo_folder(feedback_id: &str) -> String {
    format!("{}/{feedback_id}", crate::files::PHOTOS_DIR)
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Submits feedback, signed in (`user`) or not. Everything is checked before anything is kept:
/// the service, the text, the location, the answers, the contact, and each photo, which is
/// decoded and re-encoded without metadata. The files are written first and removed again if
/// the record cannot be kept.
pub async fn submit(
    app: &App,
    user: Option<&User>,
    input: FeedbackInput,
    photos: Vec<Vec<u8>>,
    client: Option<std::net::IpAddr>,
) -> AppResult<Submitted> {
    submit_at(app, user, input, photos, client, now_ms()).await
}

/// [`submit`] as if at `now`: the demo's items submitted days ago.
pub(crate) async fn submit_at(
    app: &App,
    user: Option<&User>,
    input: FeedbackInput,
    photos: Vec<Vec<u8>>,
    client: Option<std::net::IpAddr>,
    now: i64,
) -> AppResult<Submitted> {
    let service = app
        .store
        .get_feedback_service(&input.service_code)
        .await
        .or_missing(|| no_service(&input.service_code))?;
    if !service.active {
        return Err(AppError::new(
            Code::ServiceNotFound,
            format!(
                "The service `{}` no longer takes feedback; choose another one.",
                service.code
            ),
        ));
    }
    let description =
        feedback::check_text("description", &input.description, MAX_TEXT, true).map_err(rule)?;
    let (position, address) =
        feedback::check_location(input.lat, input.long, input.address.as_deref()).map_err(rule)?;
    let attributes =
        feedback::check_answers(&service.attributes, &input.attributes).map_err(rule)?;
    let contact = match input.contact {
        Some(c) => Some(feedback::check_contact(c).map_err(rule)?).filter(|c| !c.is_empty()),
        None => None,
    };
    if photos.len() > MAX_PHOTOS {
        return Err(AppError {
            detail_code: Some("too_many_photos"),
            ..AppError::new(
                Code::InvalidPhoto,
                format!("Send at most {MAX_PHOTOS} photos."),
            )
        });
    }
    // Decoding is CPU work: off the async threads.
    let sanitized = tokio::task::spawn_blocking(move || {
        photos
            .iter()
            .map(|p| ingest::photo::sanitize(p))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(AppError::internal)?
    .map_err(photo_error)?;

    let id = uuid::Uuid::new_v4().to_string();
    let key = random_hex(24);
    let record = Feedback {
        id: id.clone(),
        token: random_hex(12),
        service_code: service.code.clone(),
        org_id: service.org_id.clone(),
        description,
        hidden_reason: None,
        lat: position.map(|p| p.lat),
        long: position.map(|p| p.long),
        address,
        attributes,
        submitted_by: user.map(|u| u.id.clone()),
        secret_hash: key_hash(&key),
        status: FeedbackStatus::Submitted,
        status_note: None,
        due_at: feedback::due_at(now, app.config.feedback_answer_days),
        expected_at: None,
        first_answered_at: None,
        closed_at: None,
        resolved_at: None,
        rating: None,
        reopen_count: 0,
        photo_count: sanitized.len() as i64,
        created_at: now,
        modified_at: now,
    };
    let folder = photo_folder(&id);
    let mut rows = Vec::new();
    let written: std::io::Result<()> = async {
        for (i, p) in sanitized.iter().enumerate() {
            let photo_id = uuid::Uuid::new_v4().to_string();
            let file = |suffix: &str| format!("{folder}/{photo_id}.{suffix}");
            app.files
                .put(&file(p.extension), bytes::Bytes::from(p.bytes.clone()))
                .await?;
            app.files
                .put(&file("thumb.jpg"), bytes::Bytes::from(p.thumbnail.clone()))
                .await?;
            rows.push(FeedbackPhoto {
                id: photo_id,
                feedback_id: id.clone(),
                position: i as i64,
                media_type: p.media_type.to_string(),
                width: p.width as i64,
                height: p.height as i64,
                bytes: p.bytes.len() as i64,
                created_at: now,
            });
        }
        Ok(())
    }
    .await;
    let stored = match written {
        Ok(()) => app
            .store
            .create_feedback(NewFeedback {
                feedback: record,
                contact,
                photos: rows,
            })
            .await
            .map_err(AppError::from),
        Err(e) => Err(AppError::internal(e)),
    };
    let stored = match stored {
        Ok(f) => f,
        Err(e) => {
            let _ = app.files.delete_folder(&folder).await;
            return Err(e);
        }
    };
    changed(app);
    let mut event = Event::new(EventKind::FeedbackSubmitted, user);
    event.client = client;
    event.detail = json!({"feedback_id": stored.id, "service_code": stored.service_code});
    app.log.append(event).await?;
    let (by, note) = (stored.submitted_by.as_deref(), &stored.service_code);
    crate::points::award(app, by, PointsRule::Participation, &stored.id, note).await;
    if let Some(by) = by {
        let kind = model::points::TaskKind::Feedback;
        crate::activities::on_event(app, by, kind, &stored.service_code).await;
    }
    let view = view(app, stored).await?;
    Ok(Submitted {
        feedback: view,
        key,
    })
}

async fn load(app: &App, id: &str) -> AppResult<Feedback> {
    app.store.get_feedback(id).await.or_missing(missing)
}

/// An item as the public sees it.
pub async fn view(app: &App, f: Feedback) -> AppResult<FeedbackView> {
    let services = app.store.list_feedback_services().await?;
    let orgs = app.store.list_orgs().await?;
    Ok(view_with(f, &services, &orgs, now_ms()))
}

fn view_with(
    f: Feedback,
    services: &[FeedbackService],
    orgs: &[Organization],
    now: i64,
) -> FeedbackView {
    let service = services.iter().find(|s| s.code == f.service_code);
    let org = orgs.iter().find(|o| o.id == f.org_id);
    FeedbackView {
        description: f
            .hidden_reason
            .is_none()
            .then(|| feedback::public_text(&f.description)),
        service_name: service.map_or_else(|| f.service_code.clone(), |s| s.name.clone()),
        service_name_en: service.map_or_else(String::new, |s| s.name_en.clone()),
        department: org.map_or_else(|| f.org_id.clone(), |o| o.name.clone()),
        department_title: org.map_or_else(|| f.org_id.clone(), |o| o.title.clone()),
        overdue: feedback::is_overdue(f.status, f.due_at, now),
        feedback: f,
    }
}

/// An item with its history and photos.
pub async fn get(app: &App, id: &str) -> AppResult<FeedbackDetail> {
    let f = load(app, id).await?;
    let orgs = app.store.list_orgs().await?;
    let history = app
        .store
        .list_feedback_steps(&f.id)
        .await?
        .into_iter()
        .map(|step| StepView {
            department_title: orgs
                .iter()
                .find(|o| o.id == step.org_id)
                .map_or_else(|| step.org_id.clone(), |o| o.title.clone()),
            step,
        })
        .collect();
    let photos = app
        .store
        .list_feedback_photos(&f.id)
        .await?
        .into_iter()
        .map(|p| PhotoView {
            id: p.id,
            media_type: p.media_type,
            width: p.width,
            height: p.height,
        })
        .collect();
    let services = app.store.list_feedback_services().await?;
    Ok(FeedbackDetail {
        view: view_with(f, &services, &orgs, now_ms()),
        history,
        photos,
    })
}

/// An item by its public Open311 token.
pub async fn by_token(app: &App, token: &str) -> AppResult<Feedback> {
    app.store
        .get_feedback_by_token(token)
        .await
        .or_missing(missing)
}

/// Marks everything computed from the feedback out of date: the statistics and the kept answers.
fn changed(app: &App) {
    app.feedback_stats.invalidate();
    app.feedback_answers.invalidate();
}

/// A public answer built from the feedback lists (Open311's request lists, up to a thousand
/// requests each), kept by `key` (the whole request: format, base address and query) and built
/// by `build` again only after a change made through this process, when a day begins in Beijing,
/// or 5 seconds after it was built: the bound on how late another server's changes show, as
/// for the statistics. Requests for a key being built wait for that build. Failures are not
/// kept.
pub async fn cached_answer<F, Fut, E>(app: &App, key: &str, build: F) -> Result<Rendered, E>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Rendered, E>>,
{
    app.feedback_answers
        .get_or_build(key, now_ms, |_| build())
        .await
}

/// A page of items, newest first.
pub async fn list(app: &App, q: FeedbackQuery) -> AppResult<FeedbackPage> {
    let limit = match q.limit {
        0 => 50,
        n if (1..=1000).contains(&n) => n,
        _ => return Err(invalid("`limit` must be 1 to 1000.")),
    };
    if q.offset < 0 {
        return Err(invalid("`offset` must not be negative."));
    }
    let orgs = app.store.list_orgs().await?;
    let org_id = match &q.department {
        Some(slug) => match orgs.iter().find(|o| &o.name == slug) {
            Some(o) => Some(o.id.clone()),
            None => {
                return Ok(FeedbackPage {
                    offset: q.offset,
                    limit,
                    more: false,
                    items: Vec::new(),
                })
            }
        },
        None => None,
    };
    let now = now_ms();
    let filter = FeedbackFilter {
        ids: q.ids,
        service_codes: q.services,
        org_id,
        statuses: q.statuses,
        overdue_at: q.overdue.then_some(now),
        from: q.from,
        until: q.until,
        submitted_by: q.submitted_by,
        offset: q.offset,
        limit: limit + 1,
    };
    let mut items = app.store.list_feedback(&filter).await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let services = app.store.list_feedback_services().await?;
    Ok(FeedbackPage {
        offset: q.offset,
        limit,
        more,
        items: items
            .into_iter()
            .map(|f| view_with(f, &services, &orgs, now))
            .collect(),
    })
}

/// Steps of every item recorded in `[from, until)`, for Open311's service request updates.
pub async fn steps_between(
    app: &App,
    from: i64,
    until: i64,
    limit: i64,
) -> AppResult<Vec<FeedbackStep>> {
    Ok(app
        .store
        .list_feedback_steps_between(from, until, limit)
        .await?)
}

/// A photo's bytes (or its thumbnail's) and media type.
pub async fn photo(
    app: &App,
    feedback_id: &str,
    photo_id: &str,
    thumbnail: bool,
) -> AppResult<(bytes::Bytes, &'static str)> {
    let photos = app.store.list_feedback_photos(feedback_id).await?;
    let p = photos
        .iter()
        .find(|p| p.id == photo_id)
        .ok_or_else(|| AppError::new(Code::NotFound, "There is no such photo."))?;
    let folder = photo_folder(feedback_id);
    let (key, media_type) = if thumbnail {
        (format!("{folder}/{}.thumb.jpg", p.id), "image/jpeg")
    } else if p.media_type == "image/png" {
        (format!("{folder}/{}.png", p.id), "image/png")
    } else {
        (format!("{folder}/{}.jpg", p.id), "image/jpeg")
    };
    let bytes = app.files.get(&key).await.map_err(AppError::internal)?;
    Ok((bytes, media_type))
}

/// The photo at `position` (0, 1, 2) of an item, or its thumbnail, and its media type.
pub async fn photo_at(
    app: &App,
    feedback_id: &str,
    position: i64,
    thumbnail: bool,
) -> AppResult<(bytes::Bytes, &'static str)> {
    let photos = app.store.list_feedback_photos(feedback_id).await?;
    let p = photos
        .iter()
        .find(|p| p.position == position)
        .ok_or_else(|| AppError::new(Code::NotFound, "There is no such photo."))?;
    photo(app, feedback_id, &p.id.clone(), thumbnail).await
}

/// The department's step on an item: its staff (or the authority).
pub async fn act(app: &App, user: &User, id: &str, input: ActionInput) -> AppResult<FeedbackView> {
    let f = load(app, id).await?;
    if !handles(user, &f.org_id) {
        return Err(AppError::new(
            Code::Forbidden,
            "Only staff of the department handling this feedback (or the data authority) may act on it.",
        ));
    }
    let now = now_ms();
    let note_required = matches!(
        input.action,
        FeedbackEvent::Reject | FeedbackEvent::Hide | FeedbackEvent::Note
    );
    let note =
        feedback::check_text("note", &input.note, MAX_TEXT, note_required).map_err(|_| {
            invalid(if note_required {
                "This step needs a public `note` (1 to 4,000 characters) that says why or what."
            } else {
                "The `note` may have at most 4,000 characters."
            })
        })?;
    // A note is published as is: it must not carry personal information.
    if let Some(kind) = model::pii::kinds_in_text(&note).first() {
        return Err(AppError::new(
            Code::PersonalInformation,
            format!(
                "The note contains what looks like {}; it is published, so remove it.",
                kind.label_en().to_lowercase()
            ),
        ));
    }
    let (change, kind) = match input.action {
        FeedbackEvent::Accept => {
            let text = input.expected_date.as_deref().ok_or_else(|| {
                invalid("Accepting needs `expected_date`, the day the problem is expected to be solved.")
            })?;
            let expected_at = crate::demands::parse_day(text)?;
            feedback::check_expected(expected_at, now).map_err(rule)?;
            (
                FeedbackChange::Accept { expected_at },
                EventKind::FeedbackAccepted,
            )
        }
        FeedbackEvent::Start => (FeedbackChange::Start, EventKind::FeedbackStarted),
        FeedbackEvent::Resolve => (FeedbackChange::Resolve, EventKind::FeedbackResolved),
        FeedbackEvent::Reject => (FeedbackChange::Reject, EventKind::FeedbackRejected),
        FeedbackEvent::Note => (FeedbackChange::Note, EventKind::FeedbackNoted),
        FeedbackEvent::Hide => {
            if f.hidden_reason.is_some() {
                return Err(AppError::new(
                    Code::AlreadyDecided,
                    "The description is hidden already.",
                ));
            }
            (FeedbackChange::Hide, EventKind::FeedbackHidden)
        }
        FeedbackEvent::Transfer => {
            let slug = input.department.as_deref().ok_or_else(|| {
                invalid("Transferring needs `department`, the slug of the department to take it over.")
            })?;
            let org = app.store.get_org_by_name(slug).await.or_missing(|| {
                AppError::new(Code::OrgNotFound, format!("There is no department `{slug}`."))
            })?;
            if org.kind != model::role::OrgKind::Department || org.id == f.org_id {
                return Err(invalid(
                    "Transfer to another government department than the one handling it.",
                ));
            }
            (
                FeedbackChange::Transfer {
                    org_id: org.id,
                    due_at: feedback::due_at(now, app.config.feedback_answer_days),
                },
                EventKind::FeedbackTransferred,
            )
        }
        FeedbackEvent::Submit | FeedbackEvent::Reopen | FeedbackEvent::Rate => {
            return Err(invalid(
                "The department's steps are accept, start, resolve, reject, transfer, note and hide.",
            ))
        }
    };
    feedback::transition(f.status, input.action).map_err(rule)?;
    let changed = apply(
        app,
        Some(user),
        &f,
        change,
        &note,
        now,
        (
            Code::AlreadyDecided,
            "The feedback changed meanwhile; reload it to see where it stands.",
        ),
    )
    .await?;
    log(app, Some(user), &changed, kind, json!({"note": note})).await?;
    match input.action {
        FeedbackEvent::Resolve => {
            let note = changed.service_code.clone();
            let by = changed.submitted_by.as_deref();
            crate::points::award(app, by, PointsRule::FeedbackResolved, &changed.id, &note).await;
        }
        FeedbackEvent::Hide => {
            let earned = [
                PointsRule::FeedbackResolved,
                PointsRule::FeedbackRated,
                PointsRule::Participation,
            ];
            crate::points::take_back(app, &earned, &changed.id, &note).await;
        }
        _ => {}
    }
    view(app, changed).await
}

/// Applies a change the rules allowed; a lost race (the item changed meanwhile) becomes the
/// error `lost` names.
async fn apply(
    app: &App,
    user: Option<&User>,
    f: &Feedback,
    change: FeedbackChange,
    note: &str,
    now: i64,
    lost: (Code, &str),
) -> AppResult<Feedback> {
    match app
        .store
        .change_feedback(
            &f.id,
            f.status,
            change,
            user.map(|u| u.id.as_str()),
            note,
            now,
        )
        .await
    {
        Ok(item) => {
            changed(app);
            Ok(item)
        }
        Err(store::StoreError::Conflict(_)) => Err(AppError::new(lost.0, lost.1)),
        Err(e) => Err(e.into()),
    }
}

/// Appends the leaf of a step: public are the kind and who acted (an organization, a
/// pseudonym, or anonymous); the private detail names the item, its state and the note.
async fn log(
    app: &App,
    user: Option<&User>,
    f: &Feedback,
    kind: EventKind,
    detail: serde_json::Value,
) -> AppResult<()> {
    let mut event = Event::new(kind, user);
    event.detail = json!({
        "feedback_id": f.id,
        "service_code": f.service_code,
        "status": f.status.code(),
        "change": detail,
    });
    app.log.append(event).await?;
    Ok(())
}

impl Submitter<'_> {
    /// The account, when the submitter is signed in.
    fn user(&self) -> Option<&User> {
        match self {
            Submitter::Account(u) => Some(u),
            Submitter::Key(_) => None,
        }
    }
}

/// Checks that `who` submitted `f`.
fn check_submitter(f: &Feedback, who: Submitter<'_>) -> AppResult<()> {
    let ok = match who {
        Submitter::Account(u) => f.submitted_by.as_deref() == Some(u.id.as_str()),
        Submitter::Key(key) => !key.is_empty() && key_hash(key) == f.secret_hash,
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::new(
            Code::Forbidden,
            "Only the submitter may rate or reopen this feedback: sign in with the account that submitted it, or use the private link given at submission.",
        ))
    }
}

/// Whether `who` submitted the item (for showing the rating and reopening forms).
pub fn is_submitter(f: &Feedback, who: Submitter<'_>) -> bool {
    check_submitter(f, who).is_ok()
}

/// The submitter rates a closed item, 1–5, once.
pub async fn rate(app: &App, who: Submitter<'_>, id: &str, rating: i64) -> AppResult<FeedbackView> {
    let f = load(app, id).await?;
    check_submitter(&f, who)?;
    feedback::check_rating(f.status, rating, f.rating.is_some()).map_err(rule)?;
    let change = FeedbackChange::Rate { rating };
    let lost = (Code::AlreadyRated, "This feedback has been rated already.");
    let changed = apply(app, who.user(), &f, change, "", now_ms(), lost).await?;
    let detail = json!({"rating": rating});
    log(app, who.user(), &changed, EventKind::FeedbackRated, detail).await?;
    let by = changed.submitted_by.as_deref();
    let note = changed.service_code.clone();
    crate::points::award(app, by, PointsRule::FeedbackRated, &changed.id, &note).await;
    view(app, changed).await
}

/// The submitter reopens a closed item with a reason: once, within 30 days of its closing.
pub async fn reopen(
    app: &App,
    who: Submitter<'_>,
    id: &str,
    reason: &str,
) -> AppResult<FeedbackView> {
    let f = load(app, id).await?;
    check_submitter(&f, who)?;
    let now = now_ms();
    feedback::check_reopen(f.status, f.reopen_count, f.closed_at, now).map_err(rule)?;
    let reason = feedback::check_text("reason", reason, MAX_TEXT, true)
        .map_err(|_| invalid("Reopening needs a `reason` (1 to 4,000 characters)."))?;
    let reason = feedback::public_text(&reason);
    let change = FeedbackChange::Reopen {
        due_at: feedback::due_at(now, app.config.feedback_answer_days),
    };
    let lost = (
        Code::ReopenNotAllowed,
        "This feedback has been reopened already.",
    );
    let changed = apply(app, who.user(), &f, change, &reason, now, lost).await?;
    let detail = json!({"reason": reason});
    log(
        app,
        who.user(),
        &changed,
        EventKind::FeedbackReopened,
        detail,
    )
    .await?;
    view(app, changed).await
}

/// The private contact details of an item, for its handling department's staff only; each read
/// is a leaf of the access log whose private detail (kept for auditors) says who read which.
pub async fn contact(
    app: &App,
    user: &User,
    id: &str,
    client: Option<std::net::IpAddr>,
) -> AppResult<Option<Contact>> {
    let f = load(app, id).await?;
    if !(user.role == Role::Staff && user.org_id.as_deref() == Some(f.org_id.as_str())) {
        return Err(AppError::new(
            Code::Forbidden,
            "Only staff of the department handling this feedback may read its contact details.",
        ));
    }
    let contact = app.store.feedback_contact(&f.id).await?;
    // Logged before it is returned: a read that cannot be logged does not happen.
    let mut event = Event::new(EventKind::FeedbackContactRead, Some(user));
    event.client = client;
    event.detail = json!({"feedback_id": f.id, "had_contact": contact.is_some()});
    app.log.append(event).await?;
    Ok(contact)
}

// Statistics.

/// The statistics: served from the last computation while it is current.
pub async fn stats(app: &App) -> AppResult<FeedbackStats> {
    app.feedback_stats
        .get_or_compute(now_ms, |now| compute_stats(app, now))
        .await
}

async fn compute_stats(app: &App, now: i64) -> AppResult<FeedbackStats> {
    let groups = app.store.feedback_stats(now).await?;
    let orgs = app.store.list_orgs().await?;
    let services = app.store.list_feedback_services().await?;
    type Acc = (FeedbackCounts, Vec<(i64, i64)>, Vec<(i64, i64)>);
    let mut by_service: HashMap<String, Acc> = HashMap::new();
    let mut by_org: HashMap<String, Acc> = HashMap::new();
    let mut all: Acc = Default::default();
    for g in &groups {
        for acc in [
            by_service.entry(g.service_code.clone()).or_default(),
            by_org.entry(g.org_id.clone()).or_default(),
        ] {
            acc.0.add(&g.counts);
            acc.1.extend_from_slice(&g.answer_hours);
            acc.2.extend_from_slice(&g.resolve_hours);
        }
        all.0.add(&g.counts);
        all.1.extend_from_slice(&g.answer_hours);
        all.2.extend_from_slice(&g.resolve_hours);
    }
    let row = |kind, key: String, title: String, a: &Acc| {
        StatRow::new(kind, key, title, &a.0, &merge(&a.1), &merge(&a.2))
    };
    let mut service_rows: Vec<StatRow> = by_service
        .iter()
        .map(|(code, a)| {
            let title = services
                .iter()
                .find(|s| &s.code == code)
                .map_or_else(|| code.clone(), |s| s.name.clone());
            row("service", code.clone(), title, a)
        })
        .collect();
    let mut org_rows: Vec<StatRow> = by_org
        .iter()
        .map(|(id, a)| {
            let (slug, title) = orgs.iter().find(|o| &o.id == id).map_or_else(
                || (id.clone(), id.clone()),
                |o| (o.name.clone(), o.title.clone()),
            );
            row("department", slug, title, a)
        })
        .collect();
    for rows in [&mut service_rows, &mut org_rows] {
        rows.sort_by(|a, b| b.counts.total.cmp(&a.counts.total).then(a.key.cmp(&b.key)));
    }
    let months = app
        .store
        .feedback_months()
        .await?
        .into_iter()
        .map(|m| MonthRow {
            month: format!("{:04}-{:02}", m.month / 100, m.month % 100),
            total: m.total,
            resolved: m.resolved,
        })
        .collect();
    Ok(FeedbackStats {
        as_of: now,
        services: service_rows,
        departments: org_rows,
        total: row("all", String::new(), String::new(), &all),
        months,
    })
}

/// A histogram with equal values merged.
fn merge(h: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut m: BTreeMap<i64, i64> = BTreeMap::new();
    for (v, n) in h {
        *m.entry(*v).or_default() += n;
    }
    m.into_iter().collect()
}

/// The statistics as a table (for CSV and XLSX).
pub fn stats_table(s: &FeedbackStats) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let headings = vec![
        "kind",
        "key",
        "title",
        "total",
        "resolved",
        "rejected",
        "overdue",
        "rated",
        "resolution_rate",
        "mean_rating",
        "median_hours_to_answer",
        "median_hours_to_resolve",
    ];
    let num = |r: Option<f64>| r.map_or(Cell::Empty, Cell::Number);
    let rows = s
        .services
        .iter()
        .chain(&s.departments)
        .chain(std::iter::once(&s.total))
        .map(|r| {
            let c = &r.counts;
            vec![
                Cell::Text(r.kind.to_string()),
                Cell::Text(r.key.clone()),
                Cell::Text(r.title.clone()),
                Cell::Int(c.total),
                Cell::Int(c.resolved),
                Cell::Int(c.rejected),
                Cell::Int(c.overdue),
                Cell::Int(c.rated),
                num(r.resolution_rate),
                num(r.mean_rating),
                num(r.median_hours_to_answer),
                num(r.median_hours_to_resolve),
            ]
        })
        .collect();
    (headings, rows)
}

/// The start (Unix ms) of a day written `YYYY-MM-DD`, in China Standard Time.
pub fn parse_day(text: &str) -> AppResult<i64> {
    crate::demands::parse_day(text)
}

/// The day (China Standard Time) of a time, as `YYYY-MM-DD`.
pub fn day_text(ms: i64) -> String {
    let day = cst_day(ms);
    let date = time::Date::from_julian_day(
        (day + time::Date::from_calendar_date(1970, time::Month::January, 1)
            .map(|d| d.to_julian_day() as i64)
            .unwrap_or(2_440_588)) as i32,
    );
    date.map(|d| d.to_string()).unwrap_or_default()
}
