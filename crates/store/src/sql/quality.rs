//! The [`QualityStore`](crate::QualityStore) methods, written once as a macro and expanded for
//! each backend, under the same rules as [`super::methods`].

use super::rows::RowExt;
use crate::quality::*;
use crate::Result;

pub(super) fn version_quality(r: &impl RowExt) -> Result<VersionQuality> {
    Ok(VersionQuality {
        version_id: r.text("version_id")?,
        dataset_id: r.text("dataset_id")?,
        resource_id: r.text("resource_id")?,
        rows: r.int("rows")?,
        measured_at: r.int("measured_at")?,
        score: r.real_opt("score")?.unwrap_or(0.0),
        letter: r.text("letter")?,
        measures: r.json("measures")?,
        assessment: r.json("assessment")?,
    })
}

macro_rules! impl_quality_store {
    ($store:ty) => {
        #[async_trait]
        impl QualityStore for $store {
            async fn put_version_quality(&self, q: &VersionQuality) -> Result<()> {
                sqlx::query(
                    "INSERT INTO version_quality (version_id, dataset_id, resource_id, rows, \
                     measured_at, score, letter, measures, assessment) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&q.version_id)
                .bind(&q.dataset_id)
                .bind(&q.resource_id)
                .bind(q.rows)
                .bind(q.measured_at)
                .bind(q.score)
                .bind(&q.letter)
                .bind(rows::to_json(&q.measures)?)
                .bind(rows::to_json(&q.assessment)?)
                .execute(&self.pool)
                .await
                // The primary key is the only unique constraint (PostgreSQL names it `_pkey`).
                .map_err(|e| match write_error(e, &[]) {
                    StoreError::Conflict(_) => StoreError::Conflict("version_id".into()),
                    other => other,
                })?;
                Ok(())
            }

            async fn dataset_quality_history(
                &self,
                dataset_id: &str,
            ) -> Result<Vec<VersionQuality>> {
                sqlx::query(
                    "SELECT * FROM version_quality WHERE dataset_id = $1 \
                     ORDER BY measured_at, version_id",
                )
                .bind(dataset_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(quality::version_quality)
                .collect()
            }

            async fn latest_quality(&self, dataset_id: &str) -> Result<Vec<VersionQuality>> {
                // The latest measured version of each resource: the one no later one follows.
                sqlx::query(
                    "SELECT q.* FROM version_quality q WHERE q.dataset_id = $1 \
                     AND NOT EXISTS (SELECT 1 FROM version_quality l \
                       WHERE l.resource_id = q.resource_id \
                       AND (l.measured_at > q.measured_at \
                            OR (l.measured_at = q.measured_at AND l.version_id > q.version_id))) \
                     ORDER BY q.resource_id",
                )
                .bind(dataset_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(quality::version_quality)
                .collect()
            }

            async fn versions_without_quality(&self) -> Result<Vec<(String, String)>> {
                sqlx::query(
                    "SELECT r.dataset_id, v.id FROM versions v \
                     JOIN resources r ON r.id = v.resource_id \
                     LEFT JOIN version_quality q ON q.version_id = v.id \
                     WHERE q.version_id IS NULL ORDER BY v.created_at, v.number",
                )
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| Ok((r.text("dataset_id")?, r.text("id")?)))
                .collect()
            }

            async fn set_quality_score(&self, dataset_id: &str, score: Option<f64>) -> Result<()> {
                let done = sqlx::query("UPDATE datasets SET quality_score = $1 WHERE id = $2")
                    .bind(score)
                    .bind(dataset_id)
                    .execute(&self.pool)
                    .await?;
                found(done.rows_affected())
            }
        }
    };
}
pub(super) use impl_quality_store;
