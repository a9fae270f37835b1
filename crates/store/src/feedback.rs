//! What the store keeps about feedback on public services (诉求反馈, DESIGN.md C10): the
//! services (Open311's categories), the items, their public history and photos, and the private
//! contact details, which only [`FeedbackStore::feedback_contact`] reads.

use crate::Result;
use async_trait::async_trait;
use model::feedback::{Attribute, Contact, FeedbackEvent, FeedbackStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A category of feedback (Open311's service), routed to one department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackService {
    /// Stable code (Open311's `service_code`).
    pub code: String,
    /// Name in Chinese.
    pub name: String,
    /// Name in English (empty: the Chinese name is used).
    pub name_en: String,
    /// What the service covers.
    pub description: String,
    /// The group it is listed under.
    pub group: String,
    /// Search keywords.
    pub keywords: Vec<String>,
    /// Extra questions, in order.
    pub attributes: Vec<Attribute>,
    /// The department responsible (organization id).
    pub org_id: String,
    /// Whether it takes new feedback.
    pub active: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub modified_at: i64,
}

/// One item of feedback. The contact details are not part of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feedback {
    /// Random id (Open311's `service_request_id`).
    pub id: String,
    /// The public Open311 token.
    pub token: String,
    /// The service.
    pub service_code: String,
    /// The department handling it now (organization id).
    pub org_id: String,
    /// The description as submitted. Public views show it through
    /// [`model::feedback::public_text`], or not at all when hidden.
    #[serde(skip)]
    pub description: String,
    /// Why the department hid the description, when it did.
    pub hidden_reason: Option<String>,
    /// Latitude (WGS 84).
    pub lat: Option<f64>,
    /// Longitude (WGS 84).
    pub long: Option<f64>,
    /// Address.
    pub address: Option<String>,
    /// Answers to the service's attributes.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// The submitter's account, when signed in.
    #[serde(skip)]
    pub submitted_by: Option<String>,
    /// SHA-256 (hex) of the private link's key.
    #[serde(skip)]
    pub secret_hash: String,
    /// Where it stands.
    pub status: FeedbackStatus,
    /// The latest public status note.
    pub status_note: Option<String>,
    /// When it becomes overdue while still submitted.
    pub due_at: i64,
    /// The expected date given when accepted.
    pub expected_at: Option<i64>,
    /// The first answer (accept or reject).
    pub first_answered_at: Option<i64>,
    /// When it was last closed.
    pub closed_at: Option<i64>,
    /// When it was last resolved.
    pub resolved_at: Option<i64>,
    /// The submitter's satisfaction, 1–5, since it last closed.
    pub rating: Option<i64>,
    /// Times it was reopened.
    pub reopen_count: i64,
    /// Photos.
    pub photo_count: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub modified_at: i64,
}

/// A photo of an item; its file and thumbnail are in the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackPhoto {
    /// Random id.
    pub id: String,
    /// The item.
    pub feedback_id: String,
    /// 0, 1 or 2.
    pub position: i64,
    /// `image/jpeg` or `image/png`.
    pub media_type: String,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// Size of the stored file.
    pub bytes: i64,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A new item with its photos (files already in place), its private contact and the first step
/// of its history.
#[derive(Debug, Clone)]
pub struct NewFeedback {
    /// The record (status `submitted`).
    pub feedback: Feedback,
    /// Private contact details, when given.
    pub contact: Option<Contact>,
    /// Photos.
    pub photos: Vec<FeedbackPhoto>,
}

/// One step of an item's public history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedbackStep {
    /// Random id (the `update_id` of Open311's service request updates).
    pub id: String,
    /// The item.
    pub feedback_id: String,
    /// What happened.
    pub kind: FeedbackEvent,
    /// The state after it.
    pub status: FeedbackStatus,
    /// The public note (a reason, an answer), possibly empty.
    pub note: String,
    /// The department handling the item after the step.
    pub org_id: String,
    /// Who acted; `None` for an anonymous submitter.
    #[serde(skip)]
    pub actor_id: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A change to an item, applied by [`FeedbackStore::change_feedback`] only while the item is in
/// the state the caller saw.
#[derive(Debug, Clone)]
pub enum FeedbackChange {
    /// Accepted with an expected date.
    Accept {
        /// Unix milliseconds.
        expected_at: i64,
    },
    /// Work started.
    Start,
    /// Resolved.
    Resolve,
    /// Rejected.
    Reject,
    /// Moved to another department, with a new deadline.
    Transfer {
        /// The department.
        org_id: String,
        /// The new first-answer deadline.
        due_at: i64,
    },
    /// A public status note.
    Note,
    /// Reopened by the submitter, with a new deadline.
    Reopen {
        /// The new first-answer deadline.
        due_at: i64,
    },
    /// Rated by the submitter (only if not rated since it closed).
    Rate {
        /// 1–5.
        rating: i64,
    },
    /// The description hidden; the note is the public reason.
    Hide,
}

impl FeedbackChange {
    /// The event of the history this change records.
    pub fn event(&self) -> FeedbackEvent {
        match self {
            FeedbackChange::Accept { .. } => FeedbackEvent::Accept,
            FeedbackChange::Start => FeedbackEvent::Start,
            FeedbackChange::Resolve => FeedbackEvent::Resolve,
            FeedbackChange::Reject => FeedbackEvent::Reject,
            FeedbackChange::Transfer { .. } => FeedbackEvent::Transfer,
            FeedbackChange::Note => FeedbackEvent::Note,
            FeedbackChange::Reopen { .. } => FeedbackEvent::Reopen,
            FeedbackChange::Rate { .. } => FeedbackEvent::Rate,
            FeedbackChange::Hide => FeedbackEvent::Hide,
        }
    }
}

/// What a list of items asks for. Only the given filters become conditions.
#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    /// Only these ids (Open311's `service_request_id`, comma-separated there).
    pub ids: Vec<String>,
    /// Only items of these services.
    pub service_codes: Vec<String>,
    /// Only items handled by this department.
    pub org_id: Option<String>,
    /// Only items in these states.
    pub statuses: Vec<FeedbackStatus>,
    /// Only items still submitted whose deadline is at or before this time.
    pub overdue_at: Option<i64>,
    /// Only items submitted at or after this time.
    pub from: Option<i64>,
    /// Only items submitted before this time.
    pub until: Option<i64>,
    /// Only items submitted by this user.
    pub submitted_by: Option<String>,
    /// Items skipped.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
}

/// Counts and durations of one service at one department, for the statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackGroup {
    /// The service.
    pub service_code: String,
    /// The department.
    pub org_id: String,
    /// The counts.
    pub counts: model::feedback::FeedbackCounts,
    /// (hours from submission to first answer, items), for exact medians.
    pub answer_hours: Vec<(i64, i64)>,
    /// (hours from submission to resolution, items).
    pub resolve_hours: Vec<(i64, i64)>,
}

/// Items submitted and resolved in one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedbackMonth {
    /// `YYYYMM` in China Standard Time.
    pub month: i64,
    /// Items submitted that month.
    pub total: i64,
    /// Of them, resolved by now.
    pub resolved: i64,
}

/// The store's part for feedback.
#[async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Creates a service; `Conflict("code")` if the code is taken, `NotFound` if the department
    /// does not exist.
    async fn create_feedback_service(&self, service: &FeedbackService) -> Result<()>;
    /// Replaces every field of a service but its code and creation time.
    async fn update_feedback_service(&self, service: &FeedbackService) -> Result<()>;
    /// One service.
    async fn get_feedback_service(&self, code: &str) -> Result<FeedbackService>;
    /// Every service, by group and code.
    async fn list_feedback_services(&self) -> Result<Vec<FeedbackService>>;
    /// Records a new item, its contact, its photos and the first step of its history in one
    /// transaction.
    async fn create_feedback(&self, new: NewFeedback) -> Result<Feedback>;
    /// One item.
    async fn get_feedback(&self, id: &str) -> Result<Feedback>;
    /// One item by its public Open311 token.
    async fn get_feedback_by_token(&self, token: &str) -> Result<Feedback>;
    /// Items matching the filter, newest first.
    async fn list_feedback(&self, filter: &FeedbackFilter) -> Result<Vec<Feedback>>;
    /// Applies `change` if the item is still `expected` (and, for a rating, not yet rated; for
    /// a reopening, not yet reopened), and records the step with its public `note` in the same
    /// transaction; `Conflict("status")` and nothing written otherwise.
    async fn change_feedback(
        &self,
        id: &str,
        expected: FeedbackStatus,
        change: FeedbackChange,
        actor_id: Option<&str>,
        note: &str,
        now: i64,
    ) -> Result<Feedback>;
    /// An item's history, oldest first.
    async fn list_feedback_steps(&self, feedback_id: &str) -> Result<Vec<FeedbackStep>>;
    /// Steps of every item recorded in `[from, until)`, oldest first, at most `limit`.
    async fn list_feedback_steps_between(
        &self,
        from: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<FeedbackStep>>;
    /// An item's photos in order.
    async fn list_feedback_photos(&self, feedback_id: &str) -> Result<Vec<FeedbackPhoto>>;
    /// The private contact details of an item, if any were given. Only the use case that logs
    /// each read calls this.
    async fn feedback_contact(&self, feedback_id: &str) -> Result<Option<Contact>>;
    /// Counts and durations per service and department, with items still submitted at or
    /// after their deadline by `now` counted as overdue.
    async fn feedback_stats(&self, now: i64) -> Result<Vec<FeedbackGroup>>;
    /// Items submitted and resolved per month, oldest first.
    async fn feedback_months(&self) -> Result<Vec<FeedbackMonth>>;
}
