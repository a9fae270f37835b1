//! The [`CleanRoomStore`](crate::CleanRoomStore) methods, written once as a macro and expanded for
//! each backend, under the same rules as [`super::methods`].

use super::rows::RowExt;
use crate::cleanroom::*;
use crate::Result;

pub(super) fn cleanroom(r: &impl RowExt, parts: Vec<CleanRoomPart>) -> Result<CleanRoom> {
    Ok(CleanRoom {
        id: r.text("id")?,
        title: r.text("title")?,
        applicant_id: r.text("applicant_id")?,
        applicant_org_id: r.text_opt("applicant_org_id")?,
        budget_micros: r.int("budget_micros")?,
        spent_micros: r.int("spent_micros")?,
        queries: r.int("queries")?,
        created_at: r.int("created_at")?,
        parts,
    })
}

pub(super) fn policy(r: &impl RowExt) -> Result<CleanRoomPolicy> {
    Ok(CleanRoomPolicy {
        dataset_id: r.text("dataset_id")?,
        policy: r.json("policy")?,
        updated_by: r.text("updated_by")?,
        updated_at: r.int("updated_at")?,
    })
}

macro_rules! impl_cleanroom_store {
    ($store:ty) => {
        impl $store {
            async fn cleanroom_parts(&self, id: &str) -> Result<Vec<CleanRoomPart>> {
                sqlx::query(
                    "SELECT application_id, dataset_id, position FROM cleanroom_parts \
                     WHERE cleanroom_id = $1 \
                     UNION ALL SELECT CAST(NULL AS TEXT), dataset_id, position \
                     FROM cleanroom_own_parts WHERE cleanroom_id = $1 ORDER BY position",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(CleanRoomPart {
                        application_id: r.text_opt("application_id")?,
                        dataset_id: r.text("dataset_id")?,
                    })
                })
                .collect()
            }

            /// The clean rooms of `rows`, each with its parts.
            async fn with_parts(&self, rows: &[impl RowExt + Sync]) -> Result<Vec<CleanRoom>> {
                let mut rooms = Vec::with_capacity(rows.len());
                for r in rows {
                    let id = r.text("id")?;
                    rooms.push(cleanroom::cleanroom(r, self.cleanroom_parts(&id).await?)?);
                }
                Ok(rooms)
            }
        }

        #[async_trait]
        impl CleanRoomStore for $store {
            async fn put_cleanroom_policy(&self, p: &CleanRoomPolicy) -> Result<()> {
                sqlx::query(
                    "INSERT INTO cleanroom_policies (dataset_id, policy, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (dataset_id) DO UPDATE SET policy = excluded.policy, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(&p.dataset_id)
                .bind(rows::to_json(&p.policy)?)
                .bind(&p.updated_by)
                .bind(p.updated_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                Ok(())
            }

            async fn get_cleanroom_policy(&self, dataset_id: &str) -> Result<CleanRoomPolicy> {
                let r = sqlx::query("SELECT * FROM cleanroom_policies WHERE dataset_id = $1")
                    .bind(dataset_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                cleanroom::policy(&r)
            }

            async fn list_cleanroom_policies(&self) -> Result<Vec<CleanRoomPolicy>> {
                sqlx::query("SELECT * FROM cleanroom_policies ORDER BY dataset_id")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(cleanroom::policy)
                    .collect()
            }

            async fn create_cleanroom(&self, c: NewCleanRoom) -> Result<CleanRoom> {
                let id = new_id();
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO cleanrooms (id, title, applicant_id, applicant_org_id, \
                     budget_micros, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&id)
                .bind(&c.title)
                .bind(&c.applicant_id)
                .bind(&c.applicant_org_id)
                .bind(c.budget_micros)
                .bind(c.now)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &[]))?;
                for (position, (application_id, dataset_id)) in c.parts.iter().enumerate() {
                    let insert = match application_id {
                        Some(application_id) => sqlx::query(
                            "INSERT INTO cleanroom_parts (application_id, cleanroom_id, \
                             dataset_id, position) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(application_id),
                        None => sqlx::query(
                            "INSERT INTO cleanroom_own_parts (cleanroom_id, dataset_id, \
                             position) VALUES ($1, $2, $3)",
                        ),
                    };
                    insert
                        .bind(&id)
                        .bind(dataset_id)
                        .bind(position as i64)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| match write_error(e, &[]) {
                            StoreError::Conflict(_) => StoreError::Conflict("dataset_id".into()),
                            other => other,
                        })?;
                }
                tx.commit().await?;
                self.get_cleanroom(&id).await
            }

            async fn get_cleanroom(&self, id: &str) -> Result<CleanRoom> {
                let r = sqlx::query("SELECT * FROM cleanrooms WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let parts = self.cleanroom_parts(id).await?;
                cleanroom::cleanroom(&r, parts)
            }

            async fn cleanroom_of_application(
                &self,
                application_id: &str,
            ) -> Result<Option<String>> {
                Ok(sqlx::query(
                    "SELECT cleanroom_id FROM cleanroom_parts WHERE application_id = $1",
                )
                .bind(application_id)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| r.text("cleanroom_id"))
                .transpose()?)
            }

            async fn list_cleanrooms_for_holder(
                &self,
                user_id: Option<&str>,
                org_id: Option<&str>,
            ) -> Result<Vec<CleanRoom>> {
                let rows = sqlx::query(
                    "SELECT * FROM cleanrooms WHERE applicant_id = $1 \
                     OR (applicant_org_id IS NOT NULL AND applicant_org_id = $2) \
                     ORDER BY created_at DESC, id",
                )
                .bind(user_id)
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?;
                self.with_parts(&rows).await
            }

            async fn list_cleanrooms_on_org(&self, org_id: &str) -> Result<Vec<CleanRoom>> {
                let rows = sqlx::query(
                    "SELECT * FROM cleanrooms c WHERE EXISTS (SELECT 1 FROM cleanroom_parts p \
                     JOIN datasets d ON d.id = p.dataset_id \
                     WHERE p.cleanroom_id = c.id AND d.org_id = $1) \
                     OR EXISTS (SELECT 1 FROM cleanroom_own_parts o \
                     JOIN datasets d ON d.id = o.dataset_id \
                     WHERE o.cleanroom_id = c.id AND d.org_id = $1) \
                     ORDER BY c.created_at DESC, c.id",
                )
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?;
                self.with_parts(&rows).await
            }

            async fn spend_cleanroom_budget(&self, id: &str, micros: i64) -> Result<CleanRoom> {
                let done = sqlx::query(
                    "UPDATE cleanrooms SET spent_micros = spent_micros + $2, \
                     queries = queries + 1 \
                     WHERE id = $1 AND spent_micros + $2 <= budget_micros",
                )
                .bind(id)
                .bind(micros)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    // Either there is no such clean room, or not enough is left.
                    self.get_cleanroom(id).await?;
                    return Err(StoreError::Conflict("budget".into()));
                }
                self.get_cleanroom(id).await
            }
        }
    };
}
pub(super) use impl_cleanroom_store;
