//! Activities (数字活动, DESIGN.md C12): the authority runs campaigns with a period and tasks
//! worth points. A task is done by an event the platform already sees (feedback in a service,
//! a comment on a consultation, a demand, a reported result), reported here by [`on_event`]
//! from the use cases, or by passing a quiz on a policy brief. Each task's points are a ledger
//! credit keyed by the task, so they are granted once per user.

use crate::clock::now_ms;
use crate::error::{AppError, AppResult, Code, Found};
use crate::state::App;
use model::points::{self, PointsRule, Quiz, RuleConfig, TaskKind};
use model::role::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use store::{Activity, ActivityTask, NewCredit, QuizAttempt, User};

/// A task as the authority defines it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    /// What completes it.
    pub kind: TaskKind,
    /// For `feedback`, a service code; for `comment`, a consultation id; empty for any.
    #[serde(default)]
    pub target: String,
    /// What to do, 1 to 200 characters.
    pub title: String,
    /// Points, 1 to 10,000.
    pub points: i64,
    /// The quiz of a `quiz` task.
    #[serde(default)]
    pub quiz: Option<Quiz>,
}

/// An activity as the authority defines it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// Title in Chinese, 1 to 200 characters.
    pub title: String,
    /// Title in English.
    #[serde(default)]
    pub title_en: String,
    /// What it is about.
    #[serde(default)]
    pub description: String,
    /// From (Unix ms; default now).
    #[serde(default)]
    pub starts_at: Option<i64>,
    /// Until (Unix ms, exclusive).
    pub ends_at: i64,
    /// 1 to 20 tasks.
    pub tasks: Vec<TaskInput>,
}

/// A question as a participant sees it: without the answer.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    /// The question.
    pub text: String,
    /// The choices.
    pub options: Vec<String>,
}

/// A task as a participant sees it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    /// The task.
    #[serde(flatten)]
    pub task: ActivityTask,
    /// The brief to read before a quiz.
    pub brief: Option<String>,
    /// The questions of a quiz, without answers.
    pub questions: Vec<QuestionView>,
    /// Attempts allowed at a quiz.
    pub max_attempts: Option<i64>,
    /// Whether the caller has done it (and got its points).
    pub done: bool,
    /// The caller's attempts at the quiz.
    pub attempts: i64,
}

/// An activity with its tasks and the caller's progress.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityView {
    /// The activity.
    #[serde(flatten)]
    pub activity: Activity,
    /// Whether it runs now.
    pub running: bool,
    /// Its tasks, in order.
    pub tasks: Vec<TaskView>,
    /// Tasks the caller has done.
    pub done: usize,
}

/// What an attempt at a quiz gives back.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptResult {
    /// The attempt.
    #[serde(flatten)]
    pub attempt: QuizAttempt,
    /// Questions.
    pub questions: usize,
    /// Points granted by this attempt (0 if it failed or the task was done before).
    pub points: i64,
    /// Attempts left.
    pub attempts_left: i64,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(Code::InvalidField, message)
}

fn no_activity() -> AppError {
    AppError::new(
        Code::ActivityNotFound,
        "There is no such activity. The list of activities shows those that exist.",
    )
}

/// The authority starts an activity.
pub async fn create(app: &App, user: &User, input: ActivityInput) -> AppResult<ActivityView> {
    if user.role != Role::Authority {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the data authority runs activities.",
        ));
    }
    let now = now_ms();
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(invalid("`title` must have 1 to 200 characters."));
    }
    if input.title_en.chars().count() > 200 || input.description.chars().count() > 4000 {
        return Err(invalid(
            "`title_en` may have at most 200 characters and `description` at most 4,000.",
        ));
    }
    let starts_at = input.starts_at.unwrap_or(now);
    if input.ends_at <= starts_at {
        return Err(invalid("`ends_at` must be after `starts_at`."));
    }
    if input.tasks.is_empty() || input.tasks.len() > 20 {
        return Err(invalid("An activity has 1 to 20 tasks."));
    }
    let activity = Activity {
        id: uuid::Uuid::new_v4().to_string(),
        title: title.to_string(),
        title_en: input.title_en.trim().to_string(),
        description: input.description.trim().to_string(),
        starts_at,
        ends_at: input.ends_at,
        created_at: now,
    };
    let mut tasks = Vec::new();
    for (i, t) in input.tasks.into_iter().enumerate() {
        let n = i + 1;
        let task_title = t.title.trim();
        if task_title.is_empty() || task_title.chars().count() > 200 {
            return Err(invalid(format!(
                "Task {n} needs a title of 1 to 200 characters."
            )));
        }
        if !(1..=10_000).contains(&t.points) {
            return Err(invalid(format!("Task {n} must grant 1 to 10,000 points.")));
        }
        match (t.kind, &t.quiz) {
            (TaskKind::Quiz, Some(q)) => {
                points::check_quiz(q).map_err(|e| invalid(format!("Task {n}: {e}")))?
            }
            (TaskKind::Quiz, None) => {
                return Err(invalid(format!("Task {n} is a quiz and needs `quiz`.")))
            }
            (_, Some(_)) => return Err(invalid(format!("Task {n} is not a quiz: remove `quiz`."))),
            (_, None) => {}
        }
        let target = t.target.trim().to_string();
        match t.kind {
            TaskKind::Feedback if !target.is_empty() => {
                app.store
                    .get_feedback_service(&target)
                    .await
                    .or_missing(|| {
                        AppError::new(
                            Code::ServiceNotFound,
                            format!("Task {n}: there is no service `{target}`."),
                        )
                    })?;
            }
            TaskKind::Comment if !target.is_empty() => {
                app.store.get_consultation(&target).await.or_missing(|| {
                    AppError::new(
                        Code::ConsultationNotFound,
                        format!("Task {n}: there is no consultation `{target}`."),
                    )
                })?;
            }
            TaskKind::Feedback | TaskKind::Comment => {}
            _ if !target.is_empty() => {
                return Err(invalid(format!(
                    "Task {n}: only feedback and comment tasks take a `target`."
                )))
            }
            _ => {}
        }
        tasks.push(ActivityTask {
            id: uuid::Uuid::new_v4().to_string(),
            activity_id: activity.id.clone(),
            position: i as i64,
            kind: t.kind,
            target,
            title: task_title.to_string(),
            points: t.points,
            quiz: t.quiz,
        });
    }
    app.store.create_activity(&activity, &tasks).await?;
    get(app, &activity.id, Some(user)).await
}

/// Tasks the user has done: the task ids of their activity credits.
async fn done_tasks(app: &App, user: Option<&User>) -> AppResult<BTreeSet<String>> {
    let Some(user) = user else {
        return Ok(BTreeSet::new());
    };
    Ok(app
        .store
        .points_ledger(&user.id)
        .await?
        .into_iter()
        .filter(|e| {
            e.rule == PointsRule::ActivityTask.code() && e.kind == points::EntryKind::Credit
        })
        .map(|e| e.object)
        .collect())
}

async fn view(
    app: &App,
    activity: Activity,
    tasks: Vec<ActivityTask>,
    user: Option<&User>,
    done: &BTreeSet<String>,
) -> AppResult<ActivityView> {
    let now = now_ms();
    let mut views = Vec::new();
    for task in tasks {
        let attempts = match (user, task.kind) {
            (Some(u), TaskKind::Quiz) => {
                app.store.quiz_attempts(&task.id, &u.id).await?.len() as i64
            }
            _ => 0,
        };
        let quiz = task.quiz.as_ref();
        views.push(TaskView {
            brief: quiz.map(|q| q.brief.clone()),
            questions: quiz
                .map(|q| {
                    q.questions
                        .iter()
                        .map(|q| QuestionView {
                            text: q.text.clone(),
                            options: q.options.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            max_attempts: quiz.map(|q| q.max_attempts),
            done: done.contains(&task.id),
            attempts,
            task,
        });
    }
    Ok(ActivityView {
        running: activity.starts_at <= now && now < activity.ends_at,
        done: views.iter().filter(|t| t.done).count(),
        activity,
        tasks: views,
    })
}

/// Every activity with the caller's progress, the latest to start first.
pub async fn list(app: &App, user: Option<&User>) -> AppResult<Vec<ActivityView>> {
    let done = done_tasks(app, user).await?;
    let mut out = Vec::new();
    for a in app.store.list_activities().await? {
        let (a, tasks) = app.store.get_activity(&a.id).await?;
        out.push(view(app, a, tasks, user, &done).await?);
    }
    Ok(out)
}

/// One activity with the caller's progress.
pub async fn get(app: &App, id: &str, user: Option<&User>) -> AppResult<ActivityView> {
    let (a, tasks) = app.store.get_activity(id).await.or_missing(no_activity)?;
    let done = done_tasks(app, user).await?;
    view(app, a, tasks, user, &done).await
}

/// Grants a task's points to a user, once.
async fn complete(app: &App, user_id: &str, task: &ActivityTask) -> AppResult<i64> {
    let credit = NewCredit {
        user_id: user_id.to_string(),
        rule: PointsRule::ActivityTask,
        object: task.id.clone(),
        config: RuleConfig {
            points: task.points,
            daily_cap: None,
            enabled: true,
        },
        expiry: app.config.points_expiry().unwrap_or(points::DEFAULT_EXPIRY),
        note: task.title.chars().take(200).collect(),
        now: now_ms(),
    };
    Ok(app
        .store
        .credit_points(&credit)
        .await?
        .map_or(0, |e| e.points))
}

/// An event a use case saw: completes the running tasks it matches (for the user who caused
/// it). Failures are logged and never undo the event.
pub async fn on_event(app: &App, user_id: &str, kind: TaskKind, target: &str) {
    let tasks = match app.store.open_tasks(kind, target, now_ms()).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(kind = kind.code(), "activity tasks not checked: {e}");
            return;
        }
    };
    for task in tasks {
        if let Err(e) = complete(app, user_id, &task).await {
            tracing::warn!(task = %task.id, "activity task not credited: {e}");
        }
    }
}

/// An attempt at a quiz: graded, recorded (within the attempt limit), and, if it passes while
/// the activity runs, the task's points granted once.
pub async fn attempt(
    app: &App,
    user: &User,
    activity_id: &str,
    task_id: &str,
    answers: Vec<Option<usize>>,
) -> AppResult<AttemptResult> {
    let (activity, tasks) = app
        .store
        .get_activity(activity_id)
        .await
        .or_missing(no_activity)?;
    let task = tasks
        .into_iter()
        .find(|t| t.id == task_id)
        .ok_or_else(|| AppError::new(Code::NotFound, "The activity has no such task."))?;
    let Some(quiz) = task.quiz.clone() else {
        return Err(invalid("This task is not a quiz."));
    };
    let now = now_ms();
    if now < activity.starts_at || now >= activity.ends_at {
        return Err(AppError::new(
            Code::ActivityClosed,
            "The activity is not running now; its quiz cannot be taken.",
        ));
    }
    if answers.len() != quiz.questions.len() {
        return Err(invalid(format!(
            "Give one answer per question ({}), `null` for none.",
            quiz.questions.len()
        )));
    }
    let correct: Vec<usize> = quiz.questions.iter().map(|q| q.answer).collect();
    let (score, passed) = points::grade_quiz(&correct, &answers, quiz.pass);
    let recorded = app
        .store
        .add_quiz_attempt(
            &QuizAttempt {
                id: uuid::Uuid::new_v4().to_string(),
                task_id: task.id.clone(),
                user_id: user.id.clone(),
                attempt: 0,
                answers,
                score: score as i64,
                passed,
                created_at: now,
            },
            quiz.max_attempts,
        )
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => AppError::new(
                Code::NoAttemptsLeft,
                format!(
                    "You have used every attempt at this quiz ({}).",
                    quiz.max_attempts
                ),
            ),
            e => e.into(),
        })?;
    let points = if passed {
        complete(app, &user.id, &task).await?
    } else {
        0
    };
    Ok(AttemptResult {
        attempts_left: quiz.max_attempts - recorded.attempt,
        questions: quiz.questions.len(),
        attempt: recorded,
        points,
    })
}
