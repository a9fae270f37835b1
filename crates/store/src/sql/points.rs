//! The [`PointsStore`](crate::PointsStore) methods, written once as a macro and expanded for
//! each backend, under the same rules as [`super::methods`]: one SQL text for both, and write
//! transactions that start with a write. Every change to a user's ledger starts by updating the
//! user's account row ([`LOCK_ACCOUNT`]), which serialises the changes of one user on both
//! databases; stock is taken by a conditional update, so it never goes below zero.

use super::rows::RowExt;
use crate::points::*;
use crate::Result;

/// Creates or touches the user's account row: the first write of every ledger change.
pub(super) const LOCK_ACCOUNT: &str =
    "INSERT INTO points_accounts (user_id, changes, public, display_name, created_at) \
     VALUES ($1, 1, $2, '', $3) \
     ON CONFLICT (user_id) DO UPDATE SET changes = points_accounts.changes + 1";

pub(super) fn entry(r: &impl RowExt) -> Result<PointsEntry> {
    Ok(PointsEntry {
        id: r.text("id")?,
        user_id: r.text("user_id")?,
        kind: r.code("kind")?,
        rule: r.text("rule")?,
        object: r.text("object")?,
        points: r.int("points")?,
        expires_at: r.int_opt("expires_at")?,
        note: r.text("note")?,
        created_at: r.int("created_at")?,
    })
}

pub(super) fn reward(r: &impl RowExt) -> Result<Reward> {
    Ok(Reward {
        id: r.text("id")?,
        name: r.text("name")?,
        name_en: r.text("name_en")?,
        description: r.text("description")?,
        cost: r.int("cost")?,
        stock: r.int("stock")?,
        total: r.int("total")?,
        per_user: r.int("per_user")?,
        starts_at: r.int("starts_at")?,
        ends_at: r.int("ends_at")?,
        created_at: r.int("created_at")?,
        modified_at: r.int("modified_at")?,
    })
}

pub(super) fn redemption(r: &impl RowExt) -> Result<Redemption> {
    Ok(Redemption {
        id: r.text("id")?,
        reward_id: r.text("reward_id")?,
        user_id: r.text("user_id")?,
        code: r.text("code")?,
        points: r.int("points")?,
        status: r.text("status")?,
        cancel_reason: r.text_opt("cancel_reason")?,
        log_index: r.int_opt("log_index")?,
        created_at: r.int("created_at")?,
        cancelled_at: r.int_opt("cancelled_at")?,
    })
}

pub(super) fn account(r: &impl RowExt) -> Result<PointsAccount> {
    Ok(PointsAccount {
        user_id: r.text("user_id")?,
        public: r.flag("public")?,
        display_name: r.text("display_name")?,
    })
}

/// Appends one ledger entry inside the transaction `$tx`.
macro_rules! insert_entry {
    ($tx:expr, $e:expr, $day:expr) => {{
        let e: &PointsEntry = $e;
        sqlx::query(
            "INSERT INTO points_entries (id, user_id, kind, rule, object, points, day, \
             expires_at, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&e.id)
        .bind(&e.user_id)
        .bind(e.kind.code())
        .bind(&e.rule)
        .bind(&e.object)
        .bind(e.points)
        .bind($day)
        .bind(e.expires_at)
        .bind(&e.note)
        .bind(e.created_at)
        .execute(&mut *$tx)
        .await
        .map_err(|e| write_error(e, &[]))
    }};
}
pub(super) use insert_entry;

macro_rules! impl_points_store {
    ($store:ty) => {
        #[async_trait]
        impl PointsStore for $store {
            async fn points_rules(
                &self,
            ) -> Result<Vec<(model::points::PointsRule, model::points::RuleConfig)>> {
                let rows = sqlx::query("SELECT * FROM points_rules ORDER BY rule")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            r.code("rule")?,
                            model::points::RuleConfig {
                                points: r.int("points")?,
                                daily_cap: r.int_opt("daily_cap")?,
                                enabled: r.flag("enabled")?,
                            },
                        ))
                    })
                    .collect()
            }

            async fn set_points_rule(
                &self,
                rule: model::points::PointsRule,
                config: model::points::RuleConfig,
                now: i64,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO points_rules (rule, points, daily_cap, enabled, modified_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (rule) DO UPDATE SET \
                     points = excluded.points, daily_cap = excluded.daily_cap, \
                     enabled = excluded.enabled, modified_at = excluded.modified_at",
                )
                .bind(rule.code())
                .bind(config.points)
                .bind(config.daily_cap)
                .bind(config.enabled)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn credit_points(&self, c: &NewCredit) -> Result<Option<PointsEntry>> {
                let _turn = self.gate().await;
                let mut tx = self.pool.begin().await?;
                sqlx::query(points::LOCK_ACCOUNT)
                    .bind(&c.user_id)
                    .bind(false)
                    .bind(c.now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
                let granted = sqlx::query(
                    "SELECT id FROM points_entries WHERE user_id = $1 AND kind = 'credit' \
                     AND rule = $2 AND object = $3",
                )
                .bind(&c.user_id)
                .bind(c.rule.code())
                .bind(&c.object)
                .fetch_optional(&mut *tx)
                .await?;
                if granted.is_some() {
                    return Ok(None);
                }
                let day = model::calendar::cst_day(c.now);
                let today: Option<i64> = sqlx::query_scalar(
                    "SELECT CAST(SUM(points) AS BIGINT) FROM points_entries WHERE user_id = $1 \
                     AND rule = $2 AND day = $3 AND kind = 'credit'",
                )
                .bind(&c.user_id)
                .bind(c.rule.code())
                .bind(day)
                .fetch_one(&mut *tx)
                .await?;
                let amount = model::points::credit_amount(c.config, today.unwrap_or(0));
                if amount <= 0 {
                    return Ok(None);
                }
                let e = PointsEntry {
                    id: new_id(),
                    user_id: c.user_id.clone(),
                    kind: model::points::EntryKind::Credit,
                    rule: c.rule.code().to_string(),
                    object: c.object.clone(),
                    points: amount,
                    expires_at: model::points::expires_at(c.expiry, c.now),
                    note: c.note.clone(),
                    created_at: c.now,
                };
                points::insert_entry!(tx, &e, day)?;
                tx.commit().await?;
                Ok(Some(e))
            }

            async fn reverse_points(
                &self,
                user_id: &str,
                rule: model::points::PointsRule,
                object: &str,
                note: &str,
                now: i64,
            ) -> Result<Option<PointsEntry>> {
                let _turn = self.gate().await;
                let mut tx = self.pool.begin().await?;
                sqlx::query(points::LOCK_ACCOUNT)
                    .bind(user_id)
                    .bind(false)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
                let rows = sqlx::query(
                    "SELECT kind, points FROM points_entries WHERE user_id = $1 AND rule = $2 \
                     AND object = $3",
                )
                .bind(user_id)
                .bind(rule.code())
                .bind(object)
                .fetch_all(&mut *tx)
                .await?;
                let mut credited = None;
                for r in &rows {
                    match r.text("kind")?.as_str() {
                        "credit" => credited = Some(r.int("points")?),
                        "reversal" => return Ok(None),
                        _ => {}
                    }
                }
                let Some(points) = credited else {
                    return Ok(None);
                };
                let e = PointsEntry {
                    id: new_id(),
                    user_id: user_id.to_string(),
                    kind: model::points::EntryKind::Reversal,
                    rule: rule.code().to_string(),
                    object: object.to_string(),
                    points,
                    expires_at: None,
                    note: note.to_string(),
                    created_at: now,
                };
                points::insert_entry!(tx, &e, model::calendar::cst_day(now))?;
                tx.commit().await?;
                Ok(Some(e))
            }

            async fn points_ledger(&self, user_id: &str) -> Result<Vec<PointsEntry>> {
                sqlx::query(
                    "SELECT * FROM points_entries WHERE user_id = $1 ORDER BY created_at, id",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(points::entry)
                .collect()
            }

            async fn points_credited_for(
                &self,
                rule: model::points::PointsRule,
                object: &str,
            ) -> Result<Vec<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT user_id FROM points_entries WHERE kind = 'credit' AND rule = $1 \
                     AND object = $2 ORDER BY user_id",
                )
                .bind(rule.code())
                .bind(object)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn points_account(&self, user_id: &str) -> Result<PointsAccount> {
                let row = sqlx::query("SELECT * FROM points_accounts WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    Some(r) => points::account(&r),
                    None => Ok(PointsAccount {
                        user_id: user_id.to_string(),
                        public: false,
                        display_name: String::new(),
                    }),
                }
            }

            async fn set_points_account(&self, a: &PointsAccount, now: i64) -> Result<()> {
                sqlx::query(
                    "INSERT INTO points_accounts (user_id, changes, public, display_name, \
                     created_at) VALUES ($1, 0, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE \
                     SET public = excluded.public, display_name = excluded.display_name",
                )
                .bind(&a.user_id)
                .bind(a.public)
                .bind(&a.display_name)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                Ok(())
            }

            async fn points_leaderboard(&self, limit: i64) -> Result<Vec<(PointsAccount, i64)>> {
                let rows = sqlx::query(
                    "SELECT a.user_id, a.public, a.display_name, CAST(COALESCE(SUM(CASE \
                     WHEN e.kind = 'credit' THEN e.points WHEN e.kind = 'reversal' \
                     THEN -e.points ELSE 0 END), 0) AS BIGINT) AS lifetime \
                     FROM points_accounts a LEFT JOIN points_entries e ON e.user_id = a.user_id \
                     WHERE a.public = $1 GROUP BY a.user_id, a.public, a.display_name \
                     ORDER BY lifetime DESC, a.display_name, a.user_id LIMIT $2",
                )
                .bind(true)
                .bind(page_limit(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((points::account(r)?, r.int("lifetime")?)))
                    .collect()
            }

            async fn create_reward(&self, r: &Reward) -> Result<()> {
                sqlx::query(
                    "INSERT INTO rewards (id, name, name_en, description, cost, stock, total, \
                     per_user, starts_at, ends_at, created_at, modified_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $10)",
                )
                .bind(&r.id)
                .bind(&r.name)
                .bind(&r.name_en)
                .bind(&r.description)
                .bind(r.cost)
                .bind(r.stock)
                .bind(r.per_user)
                .bind(r.starts_at)
                .bind(r.ends_at)
                .bind(r.created_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                Ok(())
            }

            async fn update_reward(&self, r: &Reward, add_stock: i64) -> Result<Reward> {
                let done = sqlx::query(
                    "UPDATE rewards SET name = $1, name_en = $2, description = $3, cost = $4, \
                     per_user = $5, starts_at = $6, ends_at = $7, modified_at = $8, \
                     stock = stock + $9, total = total + $9 WHERE id = $10",
                )
                .bind(&r.name)
                .bind(&r.name_en)
                .bind(&r.description)
                .bind(r.cost)
                .bind(r.per_user)
                .bind(r.starts_at)
                .bind(r.ends_at)
                .bind(r.modified_at)
                .bind(add_stock)
                .bind(&r.id)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                found(done.rows_affected())?;
                self.get_reward(&r.id).await
            }

            async fn get_reward(&self, id: &str) -> Result<Reward> {
                let row = sqlx::query("SELECT * FROM rewards WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                points::reward(&row)
            }

            async fn list_rewards(&self) -> Result<Vec<Reward>> {
                sqlx::query("SELECT * FROM rewards ORDER BY created_at DESC, id")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(points::reward)
                    .collect()
            }

            async fn redeem(
                &self,
                reward_id: &str,
                user_id: &str,
                code: &str,
                now: i64,
            ) -> Result<std::result::Result<Redemption, model::points::RedeemError>> {
                use model::points::{check_redeem, RedeemError, RewardTerms};
                let _turn = self.gate().await;
                let mut tx = self.pool.begin().await?;
                sqlx::query(points::LOCK_ACCOUNT)
                    .bind(user_id)
                    .bind(false)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
                let reward = sqlx::query("SELECT * FROM rewards WHERE id = $1")
                    .bind(reward_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let reward = points::reward(&reward)?;
                let mine: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM redemptions WHERE user_id = $1 AND reward_id = $2 \
                     AND status = 'issued'",
                )
                .bind(user_id)
                .bind(reward_id)
                .fetch_one(&mut *tx)
                .await?;
                let ledger = sqlx::query("SELECT * FROM points_entries WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(points::entry)
                    .collect::<Result<Vec<_>>>()?;
                let spendable = balance_of(&ledger, now, 0).spendable;
                let terms = RewardTerms {
                    cost: reward.cost,
                    stock: reward.stock,
                    per_user: reward.per_user,
                    starts_at: reward.starts_at,
                    ends_at: reward.ends_at,
                };
                if let Err(e) = check_redeem(terms, spendable, mine, now) {
                    return Ok(Err(e));
                }
                let r = Redemption {
                    id: new_id(),
                    reward_id: reward_id.to_string(),
                    user_id: user_id.to_string(),
                    code: code.to_string(),
                    points: reward.cost,
                    status: "issued".into(),
                    cancel_reason: None,
                    log_index: None,
                    created_at: now,
                    cancelled_at: None,
                };
                sqlx::query(
                    "INSERT INTO redemptions (id, reward_id, user_id, code, points, status, \
                     cancel_reason, log_index, created_at, cancelled_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, NULL)",
                )
                .bind(&r.id)
                .bind(&r.reward_id)
                .bind(&r.user_id)
                .bind(&r.code)
                .bind(r.points)
                .bind(&r.status)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &["code"]))?;
                let spend = PointsEntry {
                    id: new_id(),
                    user_id: user_id.to_string(),
                    kind: model::points::EntryKind::Spend,
                    rule: REDEMPTION_RULE.to_string(),
                    object: r.id.clone(),
                    points: r.points,
                    expires_at: None,
                    note: reward.name.clone(),
                    created_at: now,
                };
                points::insert_entry!(tx, &spend, model::calendar::cst_day(now))?;
                // The stock last: the stock read above may be stale in PostgreSQL and this
                // update is not, and the reward's row, which every redemption of the reward
                // needs, stays locked only from here to the commit.
                let taken = sqlx::query(
                    "UPDATE rewards SET stock = stock - 1 WHERE id = $1 AND stock > 0",
                )
                .bind(reward_id)
                .execute(&mut *tx)
                .await?;
                if taken.rows_affected() == 0 {
                    return Ok(Err(RedeemError::OutOfStock));
                }
                tx.commit().await?;
                Ok(Ok(r))
            }

            async fn cancel_redemption(
                &self,
                id: &str,
                reason: &str,
                refund_expires_at: Option<i64>,
                now: i64,
            ) -> Result<Redemption> {
                let r = self.get_redemption(id).await?;
                let _turn = self.gate().await;
                let mut tx = self.pool.begin().await?;
                sqlx::query(points::LOCK_ACCOUNT)
                    .bind(&r.user_id)
                    .bind(false)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query(
                    "UPDATE redemptions SET status = 'cancelled', cancel_reason = $1, \
                     cancelled_at = $2 WHERE id = $3 AND status = 'issued'",
                )
                .bind(reason)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict("status".into()));
                }
                sqlx::query("UPDATE rewards SET stock = stock + 1 WHERE id = $1")
                    .bind(&r.reward_id)
                    .execute(&mut *tx)
                    .await?;
                let refund = PointsEntry {
                    id: new_id(),
                    user_id: r.user_id.clone(),
                    kind: model::points::EntryKind::Refund,
                    rule: REDEMPTION_RULE.to_string(),
                    object: r.id.clone(),
                    points: r.points,
                    expires_at: refund_expires_at,
                    note: reason.to_string(),
                    created_at: now,
                };
                points::insert_entry!(tx, &refund, model::calendar::cst_day(now))?;
                tx.commit().await?;
                self.get_redemption(id).await
            }

            async fn get_redemption(&self, id: &str) -> Result<Redemption> {
                let row = sqlx::query("SELECT * FROM redemptions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                points::redemption(&row)
            }

            async fn list_redemptions(
                &self,
                user_id: Option<&str>,
                reward_id: Option<&str>,
            ) -> Result<Vec<Redemption>> {
                // Only the filters given become conditions, so each can use its index.
                let mut conditions = Vec::new();
                let mut values = Vec::new();
                for (column, value) in [("user_id", user_id), ("reward_id", reward_id)] {
                    if let Some(v) = value {
                        values.push(v);
                        conditions.push(format!("{column} = ${}", values.len()));
                    }
                }
                let filter = if conditions.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", conditions.join(" AND "))
                };
                let sql = format!("SELECT * FROM redemptions {filter} ORDER BY created_at DESC, id");
                let mut query = sqlx::query(&sql);
                for v in values {
                    query = query.bind(v);
                }
                query
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(points::redemption)
                    .collect()
            }

            async fn set_redemption_logged(&self, id: &str, log_index: i64) -> Result<()> {
                let _turn = self.gate().await;
                let done = sqlx::query("UPDATE redemptions SET log_index = $1 WHERE id = $2")
                    .bind(log_index)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                found(done.rows_affected())
            }

            async fn unlogged_redemptions(&self, before: i64) -> Result<Vec<Redemption>> {
                sqlx::query(
                    "SELECT * FROM redemptions WHERE log_index IS NULL AND created_at < $1 \
                     ORDER BY created_at, id",
                )
                .bind(before)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(points::redemption)
                .collect()
            }
        }
    };
}
pub(super) use impl_points_store;
