//! The [`FeedbackStore`](crate::FeedbackStore) methods, written once as a macro and expanded for
//! each backend, under the same rules as [`super::methods`]: one SQL text for both, and write
//! transactions that start with a write.

use super::rows::{self, RowExt};
use crate::feedback::*;
use crate::Result;

pub(super) fn service(r: &impl RowExt) -> Result<FeedbackService> {
    Ok(FeedbackService {
        code: r.text("code")?,
        name: r.text("name")?,
        name_en: r.text("name_en")?,
        description: r.text("description")?,
        group: r.text("group_name")?,
        keywords: r.json("keywords")?,
        attributes: r.json("attributes")?,
        org_id: r.text("org_id")?,
        active: r.flag("active")?,
        created_at: r.int("created_at")?,
        modified_at: r.int("modified_at")?,
    })
}

pub(super) fn feedback(r: &impl RowExt) -> Result<Feedback> {
    Ok(Feedback {
        id: r.text("id")?,
        token: r.text("token")?,
        service_code: r.text("service_code")?,
        org_id: r.text("org_id")?,
        description: r.text("description")?,
        hidden_reason: r.text_opt("hidden_reason")?,
        lat: r.real_opt("lat")?,
        long: r.real_opt("long")?,
        address: r.text_opt("address")?,
        attributes: r.json("attributes")?,
        submitted_by: r.text_opt("submitted_by")?,
        secret_hash: r.text("secret_hash")?,
        status: r.code("status")?,
        status_note: r.text_opt("status_note")?,
        due_at: r.int("due_at")?,
        expected_at: r.int_opt("expected_at")?,
        first_answered_at: r.int_opt("first_answered_at")?,
        closed_at: r.int_opt("closed_at")?,
        resolved_at: r.int_opt("resolved_at")?,
        rating: r.int_opt("rating")?,
        reopen_count: r.int("reopen_count")?,
        photo_count: r.int("photo_count")?,
        created_at: r.int("created_at")?,
        modified_at: r.int("modified_at")?,
    })
}

pub(super) fn step(r: &impl RowExt) -> Result<FeedbackStep> {
    Ok(FeedbackStep {
        id: r.text("id")?,
        feedback_id: r.text("feedback_id")?,
        kind: r.code("kind")?,
        status: r.code("status")?,
        note: r.text("note")?,
        org_id: r.text("org_id")?,
        actor_id: r.text_opt("actor_id")?,
        created_at: r.int("created_at")?,
    })
}

pub(super) fn photo(r: &impl RowExt) -> Result<FeedbackPhoto> {
    Ok(FeedbackPhoto {
        id: r.text("id")?,
        feedback_id: r.text("feedback_id")?,
        position: r.int("position")?,
        media_type: r.text("media_type")?,
        width: r.int("width")?,
        height: r.int("height")?,
        bytes: r.int("bytes")?,
        created_at: r.int("created_at")?,
    })
}

pub(super) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    rows::to_json(value)
}

macro_rules! impl_feedback_store {
    ($store:ty) => {
        #[async_trait]
        impl FeedbackStore for $store {
            async fn create_feedback_service(&self, s: &FeedbackService) -> Result<()> {
                sqlx::query(
                    "INSERT INTO feedback_services (code, name, name_en, description, group_name, \
                     keywords, attributes, org_id, active, created_at, modified_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&s.code)
                .bind(&s.name)
                .bind(&s.name_en)
                .bind(&s.description)
                .bind(&s.group)
                .bind(feedback::to_json(&s.keywords)?)
                .bind(feedback::to_json(&s.attributes)?)
                .bind(&s.org_id)
                .bind(s.active)
                .bind(s.created_at)
                .bind(s.modified_at)
                .execute(&self.pool)
                .await
                // The code is the only unique key (PostgreSQL names it `…_pkey`).
                .map_err(|e| match write_error(e, &[]) {
                    StoreError::Conflict(_) => StoreError::Conflict("code".into()),
                    e => e,
                })?;
                Ok(())
            }

            async fn update_feedback_service(&self, s: &FeedbackService) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE feedback_services SET name = $1, name_en = $2, description = $3, \
                     group_name = $4, keywords = $5, attributes = $6, org_id = $7, active = $8, \
                     modified_at = $9 WHERE code = $10",
                )
                .bind(&s.name)
                .bind(&s.name_en)
                .bind(&s.description)
                .bind(&s.group)
                .bind(feedback::to_json(&s.keywords)?)
                .bind(feedback::to_json(&s.attributes)?)
                .bind(&s.org_id)
                .bind(s.active)
                .bind(s.modified_at)
                .bind(&s.code)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                found(done.rows_affected())
            }

            async fn get_feedback_service(&self, code: &str) -> Result<FeedbackService> {
                let row = sqlx::query("SELECT * FROM feedback_services WHERE code = $1")
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                feedback::service(&row)
            }

            async fn list_feedback_services(&self) -> Result<Vec<FeedbackService>> {
                sqlx::query("SELECT * FROM feedback_services ORDER BY group_name, code")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(feedback::service)
                    .collect()
            }

            async fn create_feedback(&self, new: NewFeedback) -> Result<Feedback> {
                let f = &new.feedback;
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO feedback (id, token, service_code, org_id, description, \
                     hidden_reason, lat, long, address, attributes, submitted_by, secret_hash, \
                     status, status_note, due_at, expected_at, first_answered_at, closed_at, \
                     resolved_at, rating, reopen_count, photo_count, created_month, created_at, \
                     modified_at) \
                     VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10, $11, $12, NULL, $13, \
                     NULL, NULL, NULL, NULL, NULL, 0, $14, $15, $16, $16)",
                )
                .bind(&f.id)
                .bind(&f.token)
                .bind(&f.service_code)
                .bind(&f.org_id)
                .bind(&f.description)
                .bind(f.lat)
                .bind(f.long)
                .bind(&f.address)
                .bind(feedback::to_json(&f.attributes)?)
                .bind(&f.submitted_by)
                .bind(&f.secret_hash)
                .bind(f.status.code())
                .bind(f.due_at)
                .bind(new.photos.len() as i64)
                .bind(model::feedback::cst_month(f.created_at))
                .bind(f.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &["token"]))?;
                if let Some(contact) = new.contact.as_ref().filter(|c| !c.is_empty()) {
                    sqlx::query(
                        "INSERT INTO feedback_contacts (feedback_id, contact) VALUES ($1, $2)",
                    )
                    .bind(&f.id)
                    .bind(feedback::to_json(contact)?)
                    .execute(&mut *tx)
                    .await?;
                }
                for p in &new.photos {
                    sqlx::query(
                        "INSERT INTO feedback_photos (id, feedback_id, position, media_type, \
                         width, height, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&p.id)
                    .bind(&f.id)
                    .bind(p.position)
                    .bind(&p.media_type)
                    .bind(p.width)
                    .bind(p.height)
                    .bind(p.bytes)
                    .bind(p.created_at)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "INSERT INTO feedback_events (id, feedback_id, kind, status, note, org_id, \
                     actor_id, created_at) VALUES ($1, $2, 'submit', $3, '', $4, $5, $6)",
                )
                .bind(new_id())
                .bind(&f.id)
                .bind(f.status.code())
                .bind(&f.org_id)
                .bind(&f.submitted_by)
                .bind(f.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                let mut f = new.feedback;
                f.photo_count = new.photos.len() as i64;
                Ok(f)
            }

            async fn get_feedback(&self, id: &str) -> Result<Feedback> {
                let row = sqlx::query("SELECT * FROM feedback WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                feedback::feedback(&row)
            }

            async fn get_feedback_by_token(&self, token: &str) -> Result<Feedback> {
                let row = sqlx::query("SELECT * FROM feedback WHERE token = $1")
                    .bind(token)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                feedback::feedback(&row)
            }

            async fn list_feedback(&self, filter: &FeedbackFilter) -> Result<Vec<Feedback>> {
                // Only the filters given become conditions, so the planner can use the indexes.
                enum Arg<'a> {
                    Text(&'a str),
                    Int(i64),
                }
                let mut conditions: Vec<String> = Vec::new();
                let mut args: Vec<Arg> = Vec::new();
                if !filter.ids.is_empty() {
                    let mut slots = Vec::new();
                    for id in &filter.ids {
                        args.push(Arg::Text(id));
                        slots.push(format!("${}", args.len()));
                    }
                    conditions.push(format!("id IN ({})", slots.join(", ")));
                }
                // Several services (and no ids): one branch per service, each reading its own
                // index in order and stopping at the page's end, merged below; a single
                // `service_code IN (…)` would read every matching row of every service to sort
                // them (bench/RESULTS.md, feedback at scale).
                let per_service = filter.ids.is_empty() && filter.service_codes.len() > 1;
                if !per_service && !filter.service_codes.is_empty() {
                    let mut slots = Vec::new();
                    for code in &filter.service_codes {
                        args.push(Arg::Text(code));
                        slots.push(format!("${}", args.len()));
                    }
                    conditions.push(format!("service_code IN ({})", slots.join(", ")));
                }
                if let Some(org) = filter.org_id.as_deref() {
                    args.push(Arg::Text(org));
                    conditions.push(format!("org_id = ${}", args.len()));
                }
                if !filter.statuses.is_empty() {
                    // Statuses are a closed set of codes, so they are written into the text.
                    let codes: Vec<String> =
                        filter.statuses.iter().map(|s| format!("'{}'", s.code())).collect();
                    conditions.push(format!("status IN ({})", codes.join(", ")));
                }
                if let Some(at) = filter.overdue_at {
                    args.push(Arg::Int(at));
                    conditions.push(format!("status = 'submitted' AND due_at <= ${}", args.len()));
                }
                if let Some(from) = filter.from {
                    args.push(Arg::Int(from));
                    conditions.push(format!("created_at >= ${}", args.len()));
                }
                if let Some(until) = filter.until {
                    args.push(Arg::Int(until));
                    conditions.push(format!("created_at < ${}", args.len()));
                }
                if let Some(user) = filter.submitted_by.as_deref() {
                    args.push(Arg::Text(user));
                    conditions.push(format!("submitted_by = ${}", args.len()));
                }
                let order = "ORDER BY created_at DESC, id DESC";
                let (limit_slot, offset_slot) = (args.len() + 1, args.len() + 2);
                let sql = if per_service {
                    // Each branch needs the rows up to the page's end: LIMIT + OFFSET of them.
                    let end_slot = args.len() + 3;
                    let branches: Vec<String> = filter
                        .service_codes
                        .iter()
                        .enumerate()
                        .map(|(i, _)| {
                            let mut own = conditions.clone();
                            own.push(format!("service_code = ${}", end_slot + 1 + i));
                            format!(
                                "SELECT * FROM (SELECT * FROM feedback WHERE {} {order} \
                                 LIMIT ${end_slot}) AS s{i}",
                                own.join(" AND ")
                            )
                        })
                        .collect();
                    format!(
                        "SELECT * FROM ({}) AS merged {order} LIMIT ${limit_slot} OFFSET ${offset_slot}",
                        branches.join(" UNION ALL ")
                    )
                } else {
                    let where_ = if conditions.is_empty() {
                        String::new()
                    } else {
                        format!("WHERE {}", conditions.join(" AND "))
                    };
                    format!("SELECT * FROM feedback {where_} {order} LIMIT ${limit_slot} OFFSET ${offset_slot}")
                };
                let mut query = sqlx::query(&sql);
                for a in &args {
                    query = match a {
                        Arg::Text(t) => query.bind(*t),
                        Arg::Int(i) => query.bind(*i),
                    };
                }
                let (limit, offset) = (page_limit(filter.limit), filter.offset.max(0));
                query = query.bind(limit).bind(offset);
                if per_service {
                    query = query.bind(limit + offset);
                    for code in &filter.service_codes {
                        query = query.bind(code.as_str());
                    }
                }
                query
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(feedback::feedback)
                    .collect()
            }

            async fn change_feedback(
                &self,
                id: &str,
                expected: FeedbackStatus,
                change: FeedbackChange,
                actor_id: Option<&str>,
                note: &str,
                now: i64,
            ) -> Result<Feedback> {
                let event = change.event();
                let to = model::feedback::transition(expected, event)
                    .map_err(|_| StoreError::Conflict("status".into()))?;
                let mut tx = self.pool.begin().await?;
                // One UPDATE whose WHERE names the state the caller saw, so two answers cannot
                // both be applied. A step with a note makes it the latest public status note.
                let set_note = if note.is_empty() || matches!(change, FeedbackChange::Hide) {
                    ""
                } else {
                    ", status_note = $4"
                };
                let (sets, extra_where, int_arg, text_arg): (&str, &str, Option<i64>, Option<&str>) =
                    match &change {
                        FeedbackChange::Accept { expected_at } => (
                            "expected_at = $5, first_answered_at = COALESCE(first_answered_at, $3)",
                            "",
                            Some(*expected_at),
                            None,
                        ),
                        FeedbackChange::Start | FeedbackChange::Note => ("due_at = due_at", "", None, None),
                        FeedbackChange::Resolve => {
                            ("closed_at = $3, resolved_at = $3", "", None, None)
                        }
                        FeedbackChange::Reject => (
                            "closed_at = $3, first_answered_at = COALESCE(first_answered_at, $3)",
                            "",
                            None,
                            None,
                        ),
                        FeedbackChange::Transfer { org_id, due_at } => {
                            ("due_at = $5, org_id = $6", "", Some(*due_at), Some(org_id.as_str()))
                        }
                        FeedbackChange::Reopen { due_at } => (
                            "due_at = $5, reopen_count = reopen_count + 1, rating = NULL, \
                             closed_at = NULL",
                            " AND reopen_count = 0",
                            Some(*due_at),
                            None,
                        ),
                        FeedbackChange::Rate { rating } => {
                            ("rating = $5", " AND rating IS NULL", Some(*rating), None)
                        }
                        FeedbackChange::Hide => ("hidden_reason = $4", "", None, None),
                    };
                let sql = format!(
                    "UPDATE feedback SET status = $1, modified_at = $3, {sets}{set_note} \
                     WHERE id = $2 AND status = $7{extra_where}"
                );
                // Every statement binds the same seven arguments, used or not, so each change
                // only names its columns above.
                let done = sqlx::query(&sql)
                    .bind(to.code())
                    .bind(id)
                    .bind(now)
                    .bind(note)
                    .bind(int_arg)
                    .bind(text_arg)
                    .bind(expected.code())
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
                if done.rows_affected() == 0 {
                    drop(tx);
                    // Tell a missing item from one that changed under the caller.
                    self.get_feedback(id).await?;
                    return Err(StoreError::Conflict("status".into()));
                }
                sqlx::query(
                    "INSERT INTO feedback_events (id, feedback_id, kind, status, note, org_id, \
                     actor_id, created_at) \
                     SELECT $1, id, $2, status, $3, org_id, $4, $5 FROM feedback WHERE id = $6",
                )
                .bind(new_id())
                .bind(event.code())
                .bind(note)
                .bind(actor_id)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                let row = sqlx::query("SELECT * FROM feedback WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                let f = feedback::feedback(&row)?;
                tx.commit().await?;
                Ok(f)
            }

            async fn list_feedback_steps(&self, feedback_id: &str) -> Result<Vec<FeedbackStep>> {
                sqlx::query(
                    "SELECT * FROM feedback_events WHERE feedback_id = $1 \
                     ORDER BY created_at, id",
                )
                .bind(feedback_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(feedback::step)
                .collect()
            }

            async fn list_feedback_steps_between(
                &self,
                from: i64,
                until: i64,
                limit: i64,
            ) -> Result<Vec<FeedbackStep>> {
                sqlx::query(
                    "SELECT * FROM feedback_events WHERE created_at >= $1 AND created_at < $2 \
                     ORDER BY created_at, id LIMIT $3",
                )
                .bind(from)
                .bind(until)
                .bind(page_limit(limit))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(feedback::step)
                .collect()
            }

            async fn list_feedback_photos(&self, feedback_id: &str) -> Result<Vec<FeedbackPhoto>> {
                sqlx::query(
                    "SELECT * FROM feedback_photos WHERE feedback_id = $1 ORDER BY position",
                )
                .bind(feedback_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(feedback::photo)
                .collect()
            }

            async fn feedback_contact(
                &self,
                feedback_id: &str,
            ) -> Result<Option<model::feedback::Contact>> {
                let row = sqlx::query("SELECT contact FROM feedback_contacts WHERE feedback_id = $1")
                    .bind(feedback_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| r.json("contact")).transpose()
            }

            async fn feedback_stats(&self, now: i64) -> Result<Vec<FeedbackGroup>> {
                // Three GROUP BYs over the covering index: the counts, then the hours to the
                // first answer and to resolution, from which the caller takes exact medians.
                let counts = sqlx::query(
                    "SELECT service_code, org_id, CAST(COUNT(*) AS BIGINT) AS total, \
                     CAST(SUM(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END) AS BIGINT) \
                        AS resolved, \
                     CAST(SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS BIGINT) \
                        AS rejected, \
                     CAST(SUM(CASE WHEN status = 'submitted' AND due_at <= $1 THEN 1 ELSE 0 END) \
                        AS BIGINT) AS overdue, \
                     CAST(COUNT(rating) AS BIGINT) AS rated, \
                     CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS rating_sum \
                     FROM feedback GROUP BY service_code, org_id",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                let mut groups = Vec::with_capacity(counts.len());
                for r in &counts {
                    groups.push(FeedbackGroup {
                        service_code: r.text("service_code")?,
                        org_id: r.text("org_id")?,
                        counts: model::feedback::FeedbackCounts {
                            total: r.int("total")?,
                            resolved: r.int("resolved")?,
                            rejected: r.int("rejected")?,
                            overdue: r.int("overdue")?,
                            rated: r.int("rated")?,
                            rating_sum: r.int("rating_sum")?,
                        },
                        answer_hours: Vec::new(),
                        resolve_hours: Vec::new(),
                    });
                }
                for (column, answer) in [("first_answered_at", true), ("resolved_at", false)] {
                    let sql = format!(
                        "SELECT service_code, org_id, \
                         CAST(({column} - created_at) / 3600000 AS BIGINT) AS hours, \
                         CAST(COUNT(*) AS BIGINT) AS n FROM feedback \
                         WHERE {column} IS NOT NULL GROUP BY service_code, org_id, hours"
                    );
                    for r in sqlx::query(&sql).fetch_all(&self.pool).await?.iter() {
                        let (code, org) = (r.text("service_code")?, r.text("org_id")?);
                        if let Some(g) = groups
                            .iter_mut()
                            .find(|g| g.service_code == code && g.org_id == org)
                        {
                            let entry = (r.int("hours")?, r.int("n")?);
                            if answer {
                                g.answer_hours.push(entry);
                            } else {
                                g.resolve_hours.push(entry);
                            }
                        }
                    }
                }
                Ok(groups)
            }

            async fn feedback_months(&self) -> Result<Vec<FeedbackMonth>> {
                sqlx::query(
                    "SELECT created_month, CAST(COUNT(*) AS BIGINT) AS total, \
                     CAST(SUM(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END) AS BIGINT) \
                        AS resolved \
                     FROM feedback GROUP BY created_month ORDER BY created_month",
                )
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(FeedbackMonth {
                        month: r.int("created_month")?,
                        total: r.int("total")?,
                        resolved: r.int("resolved")?,
                    })
                })
                .collect()
            }
        }
    };
}

pub(super) use impl_feedback_store;
