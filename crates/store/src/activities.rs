//! What the store keeps about activities (数字活动, DESIGN.md C12): campaigns with a period and
//! tasks worth points, and the attempts at quizzes. The points themselves are ledger credits
//! (see [`crate::PointsStore`]), keyed by the task, so each task pays a user once.

use crate::Result;
use async_trait::async_trait;
use model::points::{Quiz, TaskKind};
use serde::Serialize;

/// A campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    /// Random id.
    pub id: String,
    /// Title in Chinese.
    pub title: String,
    /// Title in English (empty: the Chinese one is used).
    pub title_en: String,
    /// What it is about.
    pub description: String,
    /// From (Unix ms).
    pub starts_at: i64,
    /// Until (Unix ms, exclusive).
    pub ends_at: i64,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A task of an activity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityTask {
    /// Random id.
    pub id: String,
    /// The activity.
    pub activity_id: String,
    /// Order within the activity, from 0.
    pub position: i64,
    /// What completes it.
    pub kind: TaskKind,
    /// The service code or consultation id it needs; empty for any.
    pub target: String,
    /// What to do.
    pub title: String,
    /// Points it grants, once per user.
    pub points: i64,
    /// The quiz of a quiz task, with its answers.
    #[serde(skip)]
    pub quiz: Option<Quiz>,
}

/// An attempt at a quiz.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuizAttempt {
    /// Random id.
    pub id: String,
    /// The task.
    pub task_id: String,
    /// Who.
    #[serde(skip)]
    pub user_id: String,
    /// 1 for the first.
    pub attempt: i64,
    /// The choice per question (`null` for none).
    pub answers: Vec<Option<usize>>,
    /// Right answers.
    pub score: i64,
    /// Whether it passed.
    pub passed: bool,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// The store's part for activities.
#[async_trait]
pub trait ActivityStore: Send + Sync {
    /// Records an activity with its tasks in one transaction.
    async fn create_activity(&self, activity: &Activity, tasks: &[ActivityTask]) -> Result<()>;
    /// One activity with its tasks in order.
    async fn get_activity(&self, id: &str) -> Result<(Activity, Vec<ActivityTask>)>;
    /// Every activity, the latest to start first.
    async fn list_activities(&self) -> Result<Vec<Activity>>;
    /// One task.
    async fn get_task(&self, id: &str) -> Result<ActivityTask>;
    /// Tasks of `kind` in activities running at `now` whose target is `target` or any.
    async fn open_tasks(&self, kind: TaskKind, target: &str, now: i64)
        -> Result<Vec<ActivityTask>>;
    /// Records an attempt as the next of the user's at the task, unless the user made
    /// `max_attempts` already: then `Conflict("attempt")` and nothing written. The attempt's
    /// number is set here.
    async fn add_quiz_attempt(
        &self,
        attempt: &QuizAttempt,
        max_attempts: i64,
    ) -> Result<QuizAttempt>;
    /// A user's attempts at a task, in order.
    async fn quiz_attempts(&self, task_id: &str, user_id: &str) -> Result<Vec<QuizAttempt>>;
}
