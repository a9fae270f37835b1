//! The [`ContributionStore`](crate::ContributionStore) methods, written once as a macro and
//! expanded for each backend, under the same rules as [`super::methods`].

use super::rows::RowExt;
use crate::contribution::*;
use crate::Result;

pub(super) fn report(r: &impl RowExt) -> Result<IncentiveReport> {
    Ok(IncentiveReport {
        id: r.text("id")?,
        period: r.text("period")?,
        kind: r.text("kind")?,
        sha256: r.text("sha256")?,
        body: r.text("body")?,
        entries: r.int("entries")?,
        published_by: r.text("published_by")?,
        published_at: r.int("published_at")?,
        log_index: r.int_opt("log_index")?,
    })
}

pub(super) fn pairs(rows: &[impl RowExt]) -> Result<Vec<(String, i64)>> {
    rows.iter()
        .map(|r| Ok((r.text("id")?, r.int("n")?)))
        .collect()
}

macro_rules! impl_contribution_store {
    ($store:ty) => {
        #[async_trait]
        impl ContributionStore for $store {
            async fn dataset_facts(&self) -> Result<Vec<DatasetFact>> {
                sqlx::query("SELECT id, name, org_id, update_frequency FROM datasets ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(DatasetFact {
                            id: r.text("id")?,
                            name: r.text("name")?,
                            org_id: r.text("org_id")?,
                            update_frequency: r.text("update_frequency")?,
                        })
                    })
                    .collect()
            }

            async fn versions_between(&self, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
                // One seek of (resource, time) per resource, rather than a sort of every
                // version of the period.
                let rows = sqlx::query(
                    "SELECT r.dataset_id AS id, \
                     (SELECT COUNT(*) FROM versions v WHERE v.resource_id = r.id \
                      AND v.created_at >= $1 AND v.created_at < $2) AS n \
                     FROM resources r",
                )
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                contribution::pairs(&rows)
            }

            async fn latest_versions_at(&self, at: i64) -> Result<Vec<LatestVersionFact>> {
                sqlx::query(
                    "SELECT r.dataset_id, v.row_count, q.score FROM resources r \
                     JOIN versions v ON v.id = (SELECT l.id FROM versions l \
                       WHERE l.resource_id = r.id AND l.created_at < $1 \
                       ORDER BY l.created_at DESC, l.number DESC LIMIT 1) \
                     LEFT JOIN version_quality q ON q.version_id = v.id",
                )
                .bind(at)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(LatestVersionFact {
                        dataset_id: r.text("dataset_id")?,
                        rows: r.int("row_count")?,
                        score: r.real_opt("score")?,
                    })
                })
                .collect()
            }

            async fn usage_in_months(&self, first: i64, last: i64) -> Result<Vec<UsageCount>> {
                sqlx::query(
                    "SELECT dataset, kind, CAST(SUM(leaves) AS BIGINT) AS n, \
                     CAST(SUM(rows) AS BIGINT) AS delivered \
                     FROM usage_monthly WHERE month >= $1 AND month <= $2 \
                     GROUP BY dataset, kind",
                )
                .bind(first)
                .bind(last)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(UsageCount {
                        dataset: r.text("dataset")?,
                        kind: r.text("kind")?,
                        count: r.int("n")?,
                        rows: r.int("delivered")?,
                    })
                })
                .collect()
            }

            async fn add_usage(&self, counts: &[(i64, String, String, i64)]) -> Result<()> {
                if counts.is_empty() {
                    return Ok(());
                }
                let mut tx = self.pool.begin().await?;
                for (month, dataset, kind, n) in counts {
                    sqlx::query(
                        "INSERT INTO usage_monthly (month, dataset, kind, leaves, rows) \
                         VALUES ($1, $2, $3, $4, 0) \
                         ON CONFLICT (month, dataset, kind) DO UPDATE SET \
                         leaves = usage_monthly.leaves + excluded.leaves",
                    )
                    .bind(month)
                    .bind(dataset)
                    .bind(kind)
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn results_between(&self, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
                let rows = sqlx::query(
                    "SELECT dataset_id AS id, COUNT(*) AS n FROM reuses \
                     WHERE created_at >= $1 AND created_at < $2 GROUP BY dataset_id",
                )
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                contribution::pairs(&rows)
            }

            async fn demands_due_between(
                &self,
                from: i64,
                to: i64,
                now: i64,
            ) -> Result<Vec<DemandTimeliness>> {
                sqlx::query(
                    "SELECT target_org_id, COUNT(*) AS due, \
                     SUM(CASE WHEN answered_at IS NOT NULL AND answered_at <= due_at \
                         THEN 1 ELSE 0 END) AS on_time \
                     FROM demands WHERE target_org_id IS NOT NULL \
                     AND ((due_at >= $1 AND due_at < $2 AND due_at < $3) \
                          OR (answered_at >= $1 AND answered_at < $2)) \
                     GROUP BY target_org_id",
                )
                .bind(from)
                .bind(to)
                .bind(now)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(DemandTimeliness {
                        org_id: r.text("target_org_id")?,
                        due: r.int("due")?,
                        on_time: r.int("on_time")?,
                    })
                })
                .collect()
            }

            async fn put_incentive_report(&self, report: &IncentiveReport) -> Result<()> {
                sqlx::query(
                    "INSERT INTO incentive_reports (id, period, kind, sha256, body, entries, \
                     published_by, published_at, log_index) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&report.id)
                .bind(&report.period)
                .bind(&report.kind)
                .bind(&report.sha256)
                .bind(&report.body)
                .bind(report.entries)
                .bind(&report.published_by)
                .bind(report.published_at)
                .bind(report.log_index)
                .execute(&self.pool)
                .await
                .map_err(|e| match write_error(e, &[]) {
                    StoreError::Conflict(_) => StoreError::Conflict("period".into()),
                    other => other,
                })?;
                Ok(())
            }

            async fn set_incentive_report_log_index(&self, id: &str, index: i64) -> Result<()> {
                let done = sqlx::query("UPDATE incentive_reports SET log_index = $1 WHERE id = $2")
                    .bind(index)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                found(done.rows_affected())
            }

            async fn incentive_reports(&self) -> Result<Vec<IncentiveReport>> {
                sqlx::query("SELECT * FROM incentive_reports ORDER BY published_at DESC, id")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(contribution::report)
                    .collect()
            }

            async fn get_incentive_report(&self, id: &str) -> Result<IncentiveReport> {
                let row = sqlx::query("SELECT * FROM incentive_reports WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                contribution::report(&row)
            }
        }
    };
}
pub(super) use impl_contribution_store;
