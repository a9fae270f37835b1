//! Reading records out of rows, written once for both backends.
//!
//! [`RowExt`] is the only part that names a backend's row type; the decoders above it are plain
//! generic functions.

use crate::records::*;
use crate::{Result, StoreError};
use model::access::Grantee;
use model::application::{PurposeCategory, ReviewStep};
use model::demand::Target;
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use std::fmt::Display;
use std::str::FromStr;

/// Typed column access that works the same on a SQLite and a PostgreSQL row.
pub(crate) trait RowExt {
    /// A non-null text column.
    fn text(&self, column: &str) -> Result<String>;
    /// A nullable text column.
    fn text_opt(&self, column: &str) -> Result<Option<String>>;
    /// A non-null integer column (SQLite INTEGER, PostgreSQL BIGINT).
    fn int(&self, column: &str) -> Result<i64>;
    /// A nullable integer column.
    fn int_opt(&self, column: &str) -> Result<Option<i64>>;
    /// A nullable floating-point column (SQLite REAL, PostgreSQL DOUBLE PRECISION).
    fn real_opt(&self, column: &str) -> Result<Option<f64>>;
    /// A boolean column (SQLite INTEGER 0/1, PostgreSQL BOOLEAN).
    fn flag(&self, column: &str) -> Result<bool>;
    /// A non-null binary column (SQLite BLOB, PostgreSQL BYTEA).
    fn blob(&self, column: &str) -> Result<Vec<u8>>;

    /// A text column holding the stable code of an enum, e.g. a grade's `L3`.
    fn code<T>(&self, column: &str) -> Result<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.text(column)?
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
    }

    /// A nullable text column holding the stable code of an enum.
    fn code_opt<T>(&self, column: &str) -> Result<Option<T>>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.text_opt(column)?
            .map(|t| {
                t.parse()
                    .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
            })
            .transpose()
    }

    /// A text column holding JSON.
    fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T> {
        serde_json::from_str(&self.text(column)?)
            .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
    }
}

// The bodies are identical; only the row type differs, and sqlx's decode bounds are easier to
// satisfy per concrete type than to spell out generically.
macro_rules! row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn text(&self, column: &str) -> Result<String> {
                Ok(self.try_get(column)?)
            }
            fn text_opt(&self, column: &str) -> Result<Option<String>> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> Result<i64> {
                Ok(self.try_get(column)?)
            }
            fn int_opt(&self, column: &str) -> Result<Option<i64>> {
                Ok(self.try_get(column)?)
            }
            fn real_opt(&self, column: &str) -> Result<Option<f64>> {
                Ok(self.try_get(column)?)
            }
            fn flag(&self, column: &str) -> Result<bool> {
                Ok(self.try_get(column)?)
            }
            fn blob(&self, column: &str) -> Result<Vec<u8>> {
                Ok(self.try_get(column)?)
            }
        }
    };
}

row_ext!(SqliteRow);
row_ext!(PgRow);

pub(crate) fn organization(r: &impl RowExt) -> Result<Organization> {
    Ok(Organization {
        id: r.text("id")?,
        name: r.text("name")?,
        title: r.text("title")?,
        kind: r.code("kind")?,
        uscc: r.text_opt("uscc")?,
        description: r.text("description")?,
        created_at: r.int("created_at")?,
        ownership: r.code_opt("ownership")?,
        size: r.code_opt("size")?,
        industry: r.text_opt("industry")?,
    })
}

pub(crate) fn consultation(r: &impl RowExt) -> Result<Consultation> {
    Ok(Consultation {
        id: r.text("id")?,
        org_id: r.text("org_id")?,
        title: r.text("title")?,
        summary: r.text("summary")?,
        audience: r.code("audience")?,
        opens_at: r.int("opens_at")?,
        closes_at: r.int("closes_at")?,
        short_reason: r.text_opt("short_reason")?,
        answers_due_at: r.int("answers_due_at")?,
        result_summary: r.text_opt("result_summary")?,
        result_published_at: r.int_opt("result_published_at")?,
        comment_count: r.int("comment_count")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
        modified_at: r.int("modified_at")?,
    })
}

pub(crate) fn attachment(r: &impl RowExt) -> Result<ConsultationAttachment> {
    Ok(ConsultationAttachment {
        id: r.text("id")?,
        consultation_id: r.text("consultation_id")?,
        name: r.text("name")?,
        byte_size: r.int("byte_size")?,
        sha256: r.text("sha256")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn article(r: &impl RowExt) -> Result<Article> {
    Ok(Article {
        number: r.int("number")?,
        heading: r.text("heading")?,
        body: r.text("body")?,
    })
}

pub(crate) fn consultation_comment(r: &impl RowExt) -> Result<ConsultationComment> {
    let participant = match r.text("participant")?.as_str() {
        "citizen" => model::consultation::ParticipantKind::Citizen,
        "enterprise" => model::consultation::ParticipantKind::Enterprise,
        "government" => model::consultation::ParticipantKind::Government,
        other => return Err(StoreError::Corrupt(format!("participant kind `{other}`"))),
    };
    Ok(ConsultationComment {
        id: r.text("id")?,
        consultation_id: r.text("consultation_id")?,
        article: r.int_opt("article")?,
        user_id: r.text("user_id")?,
        participant,
        ownership: r.code_opt("ownership")?,
        size: r.code_opt("size")?,
        stance: r.code("stance")?,
        body: r.text("body")?,
        support_count: r.int("support_count")?,
        withdrawn: r.flag("withdrawn")?,
        hidden_reason: r.text_opt("hidden_reason")?,
        hidden_by: r.text_opt("hidden_by")?,
        adoption: r.code_opt("adoption")?,
        answer: r.text_opt("answer")?,
        answered_by: r.text_opt("answered_by")?,
        answered_at: r.int_opt("answered_at")?,
        created_at: r.int("created_at")?,
        modified_at: r.int("modified_at")?,
    })
}

/// The stable code of a participant kind.
pub(crate) fn participant_code(k: model::consultation::ParticipantKind) -> &'static str {
    match k {
        model::consultation::ParticipantKind::Citizen => "citizen",
        model::consultation::ParticipantKind::Enterprise => "enterprise",
        model::consultation::ParticipantKind::Government => "government",
    }
}

pub(crate) fn user(r: &impl RowExt) -> Result<User> {
    Ok(User {
        id: r.text("id")?,
        username: r.text("username")?,
        display_name: r.text("display_name")?,
        role: r.code("role")?,
        org_id: r.text_opt("org_id")?,
        password_hash: r.text("password_hash")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn session(r: &impl RowExt) -> Result<Session> {
    Ok(Session {
        id_hash: r.text("id_hash")?,
        user_id: r.text("user_id")?,
        csrf_token: r.text("csrf_token")?,
        created_at: r.int("created_at")?,
        expires_at: r.int("expires_at")?,
    })
}

pub(crate) fn token(r: &impl RowExt) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.text("id")?,
        user_id: r.text("user_id")?,
        name: r.text("name")?,
        token_hash: r.text("token_hash")?,
        created_at: r.int("created_at")?,
        expires_at: r.int_opt("expires_at")?,
        revoked_at: r.int_opt("revoked_at")?,
    })
}

pub(crate) fn dataset(r: &impl RowExt) -> Result<Dataset> {
    Ok(Dataset {
        id: r.text("id")?,
        name: r.text("name")?,
        org_id: r.text("org_id")?,
        meta: DatasetMeta {
            title: r.text("title")?,
            description: r.text("description")?,
            themes: r.json("themes")?,
            tags: r.json("tags")?,
            update_frequency: r.text("update_frequency")?,
            license: r.text("license")?,
            spatial: r.text("spatial")?,
            temporal: r.text("temporal")?,
            contact: r.text("contact")?,
            domain: r.code("domain")?,
            opening_type: r.code("opening_type")?,
            importance: r.code("importance")?,
        },
        grade: r.code("grade")?,
        created_at: r.int("created_at")?,
        modified_at: r.int("modified_at")?,
        view_count: r.int("view_count")?,
        download_count: r.int("download_count")?,
        quality_score: r.real_opt("quality_score")?,
    })
}

pub(crate) fn resource(r: &impl RowExt) -> Result<Resource> {
    Ok(Resource {
        id: r.text("id")?,
        dataset_id: r.text("dataset_id")?,
        name: r.text("name")?,
        description: r.text("description")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn version(r: &impl RowExt) -> Result<Version> {
    Ok(Version {
        id: r.text("id")?,
        resource_id: r.text("resource_id")?,
        number: r.int("number")?,
        path: r.text("path")?,
        source_format: r.text("source_format")?,
        source_name: r.text("source_name")?,
        source_encoding: r.text_opt("source_encoding")?,
        row_count: r.int("row_count")?,
        byte_size: r.int("byte_size")?,
        sha256: r.text("sha256")?,
        columns: r.json("columns")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn column_grade(r: &impl RowExt) -> Result<ColumnGrade> {
    Ok(ColumnGrade {
        resource_id: r.text("resource_id")?,
        column: r.text("column_name")?,
        position: r.int("position")?,
        grade: r.code("grade")?,
        confirmed: r.flag("confirmed")?,
    })
}

pub(crate) fn change_request(r: &impl RowExt) -> Result<ChangeRequest> {
    let status = r.text("status")?;
    Ok(ChangeRequest {
        id: r.text("id")?,
        dataset_id: r.text("dataset_id")?,
        change: r.json("target")?,
        reason: r.text("reason")?,
        requested_by: r.text("requested_by")?,
        status: RequestStatus::from_code(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("status: unknown `{status}`")))?,
        decided_by: r.text_opt("decided_by")?,
        decision_note: r.text_opt("decision_note")?,
        created_at: r.int("created_at")?,
        decided_at: r.int_opt("decided_at")?,
    })
}

pub(crate) fn agreement(r: &impl RowExt) -> Result<Agreement> {
    Ok(Agreement {
        version: r.int("version")?,
        text: r.text("text")?,
        sha256: r.text("sha256")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn purpose_category(r: &impl RowExt) -> Result<PurposeCategory> {
    r.code("purpose_category")
}

pub(crate) fn application(r: &impl RowExt) -> Result<Application> {
    Ok(Application {
        id: r.text("id")?,
        applicant_id: r.text("applicant_id")?,
        applicant_org_id: r.text_opt("applicant_org_id")?,
        dataset_id: r.text("dataset_id")?,
        requested: r.json("requested")?,
        approved: r.json("approved")?,
        purpose_category: r.code("purpose_category")?,
        purpose: r.text("purpose")?,
        scenario: r.text("scenario")?,
        agreement_version: r.int_opt("agreement_version")?,
        agreement_sha256: r.text_opt("agreement_sha256")?,
        status: r.code("status")?,
        step: r
            .text_opt("step")?
            .map(|s| {
                step_from_code(&s)
                    .ok_or_else(|| StoreError::Corrupt(format!("step: unknown `{s}`")))
            })
            .transpose()?,
        needs_authority: r.flag("needs_authority")?,
        department_reviewer: r.text_opt("department_reviewer")?,
        department_reviewed_at: r.int_opt("department_reviewed_at")?,
        authority_reviewer: r.text_opt("authority_reviewer")?,
        authority_reviewed_at: r.int_opt("authority_reviewed_at")?,
        rejection_reason: r.text_opt("rejection_reason")?,
        review_note: r.text_opt("review_note")?,
        grant_id: r.text_opt("grant_id")?,
        created_at: r.int("created_at")?,
        submitted_at: r.int_opt("submitted_at")?,
        decided_at: r.int_opt("decided_at")?,
    })
}

pub(crate) fn grant(r: &impl RowExt) -> Result<GrantRecord> {
    let kind = r.text("grantee_kind")?;
    let id = r.text("grantee_id")?;
    let grantee = match kind.as_str() {
        GRANTEE_USER => Grantee::User(id),
        GRANTEE_ORG => Grantee::Org(id),
        _ => {
            return Err(StoreError::Corrupt(format!(
                "grantee_kind: unknown `{kind}`"
            )))
        }
    };
    Ok(GrantRecord {
        id: r.text("id")?,
        application_id: r.text("application_id")?,
        dataset_id: r.text("dataset_id")?,
        grantee,
        terms: r.json("terms")?,
        l4_masked_approved: r.flag("l4_masked_approved")?,
        privacy_budget: r.real_opt("privacy_budget")?,
        valid_from: r.int("valid_from")?,
        valid_until: r.int("valid_until")?,
        revoked_at: r.int_opt("revoked_at")?,
        revoked_by: r.text_opt("revoked_by")?,
        revoke_reason: r.text_opt("revoke_reason")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn reuse(r: &impl RowExt) -> Result<ReuseReport> {
    Ok(ReuseReport {
        id: r.text("id")?,
        grant_id: r.text("grant_id")?,
        dataset_id: r.text("dataset_id")?,
        kind: r.code("kind")?,
        title: r.text("title")?,
        description: r.text("description")?,
        url: r.text_opt("url")?,
        created_by: r.text("created_by")?,
        created_at: r.int("created_at")?,
        accepted_at: r.int_opt("accepted_at")?,
        accepted_by: r.text_opt("accepted_by")?,
    })
}

/// The stored code of a review step (the same text as its serde name).
pub(crate) fn step_code(step: ReviewStep) -> &'static str {
    match step {
        ReviewStep::Department => "department",
        ReviewStep::Authority => "authority",
    }
}

/// The review step of a stored code.
fn step_from_code(code: &str) -> Option<ReviewStep> {
    [ReviewStep::Department, ReviewStep::Authority]
        .into_iter()
        .find(|s| step_code(*s) == code)
}

/// `grantee_kind` of a grant held by a user.
pub(crate) const GRANTEE_USER: &str = "user";
/// `grantee_kind` of a grant held by an organization.
pub(crate) const GRANTEE_ORG: &str = "org";

/// The stored kind and id of a grantee.
pub(crate) fn grantee_parts(grantee: &Grantee) -> (&'static str, &str) {
    match grantee {
        Grantee::User(id) => (GRANTEE_USER, id),
        Grantee::Org(id) => (GRANTEE_ORG, id),
    }
}

/// Serializes a value for a JSON text column.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    // Records are plain data (strings, numbers, `serde_json::Value`), so this cannot fail in
    // practice; the error is still reported rather than unwrapped.
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn log_entry(r: &impl RowExt) -> Result<LogEntry> {
    Ok(LogEntry {
        index: r.int("idx")?,
        data: r.text("data")?,
        kind: r.text("kind")?,
        dataset: r.text_opt("dataset")?,
        created_at: r.int("created_at")?,
    })
}

/// The stored department and theme of a demand's target (one of them is NULL).
pub(crate) fn target_parts(target: &Target) -> (Option<&str>, Option<&str>) {
    match target {
        Target::Department(org) => (Some(org.as_str()), None),
        Target::Theme(theme) => (None, Some(theme.as_str())),
    }
}

/// A demand's target from its `target_org_id` and `target_theme` columns.
pub(crate) fn target(r: &impl RowExt) -> Result<Target> {
    match (r.text_opt("target_org_id")?, r.text_opt("target_theme")?) {
        (Some(org), None) => Ok(Target::Department(org)),
        (None, Some(theme)) => Ok(Target::Theme(theme)),
        _ => Err(StoreError::Corrupt("a demand needs one target".into())),
    }
}

pub(crate) fn demand(r: &impl RowExt) -> Result<Demand> {
    let target = target(r)?;
    Ok(Demand {
        id: r.text("id")?,
        title: r.text("title")?,
        description: r.text("description")?,
        fields: r.json("fields")?,
        purpose_category: r.code("purpose_category")?,
        target,
        extends_dataset_id: r.text_opt("extends_dataset_id")?,
        created_by: r.text("created_by")?,
        created_by_org_id: r.text_opt("created_by_org_id")?,
        enterprise: r.flag("enterprise")?,
        status: r.code("status")?,
        due_at: r.int("due_at")?,
        planned_at: r.int_opt("planned_at")?,
        rejection_reason: r
            .text_opt("rejection_reason")?
            .map(|c| {
                c.parse()
                    .map_err(|e| StoreError::Corrupt(format!("rejection_reason: {e}")))
            })
            .transpose()?,
        answer: r.text_opt("answer")?,
        answered_by: r.text_opt("answered_by")?,
        answered_at: r.int_opt("answered_at")?,
        fulfilled_dataset_id: r.text_opt("fulfilled_dataset_id")?,
        fulfilled_grant_id: r.text_opt("fulfilled_grant_id")?,
        fulfilled_at: r.int_opt("fulfilled_at")?,
        merged_into: r.text_opt("merged_into")?,
        support_count: r.int("support_count")?,
        comment_count: r.int("comment_count")?,
        created_at: r.int("created_at")?,
        modified_at: r.int("modified_at")?,
    })
}

pub(crate) fn demand_comment(r: &impl RowExt) -> Result<DemandComment> {
    Ok(DemandComment {
        id: r.text("id")?,
        demand_id: r.text("demand_id")?,
        user_id: r.text("user_id")?,
        body: r.text("body")?,
        created_at: r.int("created_at")?,
    })
}

pub(crate) fn demand_history(r: &impl RowExt) -> Result<DemandHistory> {
    Ok(DemandHistory {
        id: r.text("id")?,
        demand_id: r.text("demand_id")?,
        kind: r.text("kind")?,
        actor_id: r.text_opt("actor_id")?,
        detail: r.json("detail")?,
        created_at: r.int("created_at")?,
    })
}
