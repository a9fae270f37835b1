//! The [`ActivityStore`](crate::ActivityStore) methods, written once as a macro and expanded for
//! each backend, under the same rules as [`super::methods`]. A quiz attempt starts with the
//! user's points account row ([`super::points::LOCK_ACCOUNT`]), so one user's attempts are
//! numbered one at a time.

use super::rows::RowExt;
use crate::activities::*;
use crate::Result;

pub(super) fn activity(r: &impl RowExt) -> Result<Activity> {
    Ok(Activity {
        id: r.text("id")?,
        title: r.text("title")?,
        title_en: r.text("title_en")?,
        description: r.text("description")?,
        starts_at: r.int("starts_at")?,
        ends_at: r.int("ends_at")?,
        created_at: r.int("created_at")?,
    })
}

pub(super) fn task(r: &impl RowExt) -> Result<ActivityTask> {
    let quiz: Option<String> = r.text_opt("quiz")?;
    Ok(ActivityTask {
        id: r.text("id")?,
        activity_id: r.text("activity_id")?,
        position: r.int("position")?,
        kind: r.code("kind")?,
        target: r.text("target")?,
        title: r.text("title")?,
        points: r.int("points")?,
        quiz: quiz
            .map(|q| serde_json::from_str(&q))
            .transpose()
            .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
    })
}

pub(super) fn attempt(r: &impl RowExt) -> Result<QuizAttempt> {
    Ok(QuizAttempt {
        id: r.text("id")?,
        task_id: r.text("task_id")?,
        user_id: r.text("user_id")?,
        attempt: r.int("attempt")?,
        answers: r.json("answers")?,
        score: r.int("score")?,
        passed: r.flag("passed")?,
        created_at: r.int("created_at")?,
    })
}

macro_rules! impl_activity_store {
    ($store:ty) => {
        #[async_trait]
        impl ActivityStore for $store {
            async fn create_activity(&self, a: &Activity, tasks: &[ActivityTask]) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO activities (id, title, title_en, description, starts_at, \
                     ends_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&a.id)
                .bind(&a.title)
                .bind(&a.title_en)
                .bind(&a.description)
                .bind(a.starts_at)
                .bind(a.ends_at)
                .bind(a.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &[]))?;
                for t in tasks {
                    let quiz = t.quiz.as_ref().map(rows::to_json).transpose()?;
                    sqlx::query(
                        "INSERT INTO activity_tasks (id, activity_id, position, kind, target, \
                         title, points, quiz) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&t.id)
                    .bind(&a.id)
                    .bind(t.position)
                    .bind(t.kind.code())
                    .bind(&t.target)
                    .bind(&t.title)
                    .bind(t.points)
                    .bind(quiz)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn get_activity(&self, id: &str) -> Result<(Activity, Vec<ActivityTask>)> {
                let row = sqlx::query("SELECT * FROM activities WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let tasks = sqlx::query(
                    "SELECT * FROM activity_tasks WHERE activity_id = $1 ORDER BY position",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(activities::task)
                .collect::<Result<Vec<_>>>()?;
                Ok((activities::activity(&row)?, tasks))
            }

            async fn list_activities(&self) -> Result<Vec<Activity>> {
                sqlx::query("SELECT * FROM activities ORDER BY starts_at DESC, id")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(activities::activity)
                    .collect()
            }

            async fn get_task(&self, id: &str) -> Result<ActivityTask> {
                let row = sqlx::query("SELECT * FROM activity_tasks WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                activities::task(&row)
            }

            async fn open_tasks(
                &self,
                kind: model::points::TaskKind,
                target: &str,
                now: i64,
            ) -> Result<Vec<ActivityTask>> {
                sqlx::query(
                    "SELECT t.* FROM activity_tasks t JOIN activities a ON a.id = t.activity_id \
                     WHERE t.kind = $1 AND (t.target = '' OR t.target = $2) \
                     AND a.starts_at <= $3 AND $3 < a.ends_at ORDER BY t.activity_id, t.position",
                )
                .bind(kind.code())
                .bind(target)
                .bind(now)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(activities::task)
                .collect()
            }

            async fn add_quiz_attempt(
                &self,
                a: &QuizAttempt,
                max_attempts: i64,
            ) -> Result<QuizAttempt> {
                let _turn = self.gate().await;
                let mut tx = self.pool.begin().await?;
                sqlx::query(points::LOCK_ACCOUNT)
                    .bind(&a.user_id)
                    .bind(false)
                    .bind(a.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
                let made: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM quiz_attempts WHERE task_id = $1 AND user_id = $2",
                )
                .bind(&a.task_id)
                .bind(&a.user_id)
                .fetch_one(&mut *tx)
                .await?;
                if made >= max_attempts {
                    return Err(StoreError::Conflict("attempt".into()));
                }
                let recorded = QuizAttempt {
                    attempt: made + 1,
                    ..a.clone()
                };
                sqlx::query(
                    "INSERT INTO quiz_attempts (id, task_id, user_id, attempt, answers, score, \
                     passed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&recorded.id)
                .bind(&recorded.task_id)
                .bind(&recorded.user_id)
                .bind(recorded.attempt)
                .bind(rows::to_json(&recorded.answers)?)
                .bind(recorded.score)
                .bind(recorded.passed)
                .bind(recorded.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &["attempt"]))?;
                tx.commit().await?;
                Ok(recorded)
            }

            async fn quiz_attempts(&self, task_id: &str, user_id: &str) -> Result<Vec<QuizAttempt>> {
                sqlx::query(
                    "SELECT * FROM quiz_attempts WHERE task_id = $1 AND user_id = $2 \
                     ORDER BY attempt",
                )
                .bind(task_id)
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(activities::attempt)
                .collect()
            }
        }
    };
}
pub(super) use impl_activity_store;
