//! What the store keeps about the fusion clean room (DESIGN.md C6): each dataset's clean-room
//! policy as its owner declared it, and clean rooms: one application per dataset tied together,
//! with the ε budget and what has been spent of it. The rules are [`model::cleanroom`]'s.

use crate::Result;
use async_trait::async_trait;
use model::cleanroom::Policy;
use serde::Serialize;

/// A dataset's clean-room policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanRoomPolicy {
    /// The dataset.
    pub dataset_id: String,
    /// The policy.
    pub policy: Policy,
    /// Who declared it.
    pub updated_by: String,
    /// When, Unix ms.
    pub updated_at: i64,
}

/// One dataset of a clean room: the application for it (whose grant, once approved, is the
/// dataset's part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CleanRoomPart {
    /// The application; `None` for a dataset of the holder's own organization, which needs none.
    pub application_id: Option<String>,
    /// The dataset.
    pub dataset_id: String,
}

/// A clean room: several datasets for one purpose, with one ε budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CleanRoom {
    /// Random id.
    pub id: String,
    /// A short title for lists.
    pub title: String,
    /// Who applied.
    pub applicant_id: String,
    /// On behalf of which organization, if any.
    pub applicant_org_id: Option<String>,
    /// The ε budget, in millionths.
    pub budget_micros: i64,
    /// What has been spent of it, in millionths.
    pub spent_micros: i64,
    /// Queries answered.
    pub queries: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Its datasets, in the order applied for.
    pub parts: Vec<CleanRoomPart>,
}

/// Input for [`CleanRoomStore::create_cleanroom`].
#[derive(Debug, Clone)]
pub struct NewCleanRoom {
    /// Title.
    pub title: String,
    /// Applicant.
    pub applicant_id: String,
    /// On behalf of.
    pub applicant_org_id: Option<String>,
    /// Budget in millionths of ε.
    pub budget_micros: i64,
    /// The parts: (application id, dataset id), each application already created; no
    /// application for a dataset of the holder's own organization.
    pub parts: Vec<(Option<String>, String)>,
    /// Unix ms.
    pub now: i64,
}

/// The store's clean-room records.
#[async_trait]
pub trait CleanRoomStore: Send + Sync {
    /// Sets (or replaces) a dataset's clean-room policy.
    async fn put_cleanroom_policy(&self, p: &CleanRoomPolicy) -> Result<()>;
    /// A dataset's clean-room policy; `NotFound` if none was declared.
    async fn get_cleanroom_policy(&self, dataset_id: &str) -> Result<CleanRoomPolicy>;
    /// Every declared policy, by dataset id.
    async fn list_cleanroom_policies(&self) -> Result<Vec<CleanRoomPolicy>>;
    /// Creates a clean room over applications already created, in one transaction.
    async fn create_cleanroom(&self, c: NewCleanRoom) -> Result<CleanRoom>;
    /// A clean room by id.
    async fn get_cleanroom(&self, id: &str) -> Result<CleanRoom>;
    /// The clean room an application belongs to, if any.
    async fn cleanroom_of_application(&self, application_id: &str) -> Result<Option<String>>;
    /// The clean rooms applied for by a user or on behalf of an organization, newest first.
    async fn list_cleanrooms_for_holder(
        &self,
        user_id: Option<&str>,
        org_id: Option<&str>,
    ) -> Result<Vec<CleanRoom>>;
    /// Every clean room with a part on one of an organization's datasets, newest first.
    async fn list_cleanrooms_on_org(&self, org_id: &str) -> Result<Vec<CleanRoom>>;
    /// Counts a query and spends `micros` of the budget, if that much is left: one conditional
    /// update, so concurrent queries cannot overspend. `Conflict("budget")` when it is not.
    async fn spend_cleanroom_budget(&self, id: &str, micros: i64) -> Result<CleanRoom>;
}
