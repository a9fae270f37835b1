//! The metadata store of Gongshu.
//!
//! One trait, [`Store`], with two implementations generated from the same SQL: SQLite (the
//! embedded default, one WAL-mode file in the data directory) and PostgreSQL. [`connect`] picks
//! one from the database URL; that is the only place that knows there are two. Migrations are
//! embedded, one folder per backend, and run at connect; a database written by a newer Gongshu
//! is refused rather than downgraded.
//!
//! Times are Unix milliseconds (`i64`); ids are random UUIDs in text form.
#![forbid(unsafe_code)]

mod activities;
mod cleanroom;
mod contribution;
mod feedback;
mod migrations;
mod points;
mod quality;
mod records;
mod sql;

pub use activities::*;
pub use cleanroom::*;
pub use contribution::*;
pub use feedback::*;
pub use points::*;
pub use quality::*;
pub use records::*;

use async_trait::async_trait;
use model::application::{PurposeCategory, Terms};
use model::demand::DemandStatus;
use std::sync::Arc;

/// Errors of the metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist.
    #[error("not found")]
    NotFound,
    /// A unique name or key is already taken; the string names the field.
    #[error("`{0}` is already taken")]
    Conflict(String),
    /// The database holds migrations this build does not know: it was written by a newer Gongshu.
    #[error("the database was written by a newer version of Gongshu (migration {0} is unknown); refusing to downgrade")]
    NewerSchema(i64),
    /// The URL names no supported backend.
    #[error("unsupported database URL; use sqlite://PATH or postgres://…")]
    UnsupportedUrl,
    /// Anything else the database reported.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be decoded (a corrupt row).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Shared handle to a store.
pub type DynStore = Arc<dyn Store>;

/// Connects to the database named by `url` (`sqlite://…` or `postgres://…`), creating a SQLite
/// file if missing, and runs the embedded migrations.
pub async fn connect(url: &str) -> Result<DynStore> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sql::SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(sql::PgStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// Everything Gongshu keeps about organizations, users, sessions, the catalog and classification.
#[async_trait]
pub trait Store:
    FeedbackStore
    + PointsStore
    + ActivityStore
    + QualityStore
    + ContributionStore
    + CleanRoomStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is: `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// Checks that the database answers (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    // Organizations.
    /// Creates an organization; `Conflict("name")` if the name is taken, `Conflict("uscc")` likewise.
    async fn create_org(&self, org: NewOrganization) -> Result<Organization>;
    /// An organization by id.
    async fn get_org(&self, id: &str) -> Result<Organization>;
    /// An organization by slug name.
    async fn get_org_by_name(&self, name: &str) -> Result<Organization>;
    /// All organizations, ordered by name.
    async fn list_orgs(&self) -> Result<Vec<Organization>>;

    // Users.
    /// Creates a user; `Conflict("username")` if taken.
    async fn create_user(&self, user: NewUser) -> Result<User>;
    /// A user by id.
    async fn get_user(&self, id: &str) -> Result<User>;
    /// A user by username.
    async fn get_user_by_username(&self, username: &str) -> Result<User>;
    /// All users, ordered by username.
    async fn list_users(&self) -> Result<Vec<User>>;
    /// Replaces a user's password hash, ends all their sessions and revokes their API tokens at
    /// `now`: after a compromise and reset, nothing the attacker held may keep working.
    async fn set_password_hash(&self, user_id: &str, password_hash: &str, now: i64) -> Result<()>;

    // Sessions (browser logins). The id is the SHA-256 of the cookie value, never the value.
    /// Stores a new session.
    async fn create_session(&self, session: Session) -> Result<()>;
    /// A session by the hash of its cookie value, if not expired at `now`.
    async fn get_session(&self, id_hash: &str, now: i64) -> Result<Session>;
    /// Deletes a session (logout).
    async fn delete_session(&self, id_hash: &str) -> Result<()>;

    // Login throttling: failed sign-ins per key (an account, a client address).
    /// Counts an attempt against each of `keys`, at `now`, unless one of them has had `max`
    /// attempts within the `window` before; then counts nothing and returns the time until that
    /// key's window ends (at least 1). Times in milliseconds. A key whose window has passed
    /// counts from one again. Checking and counting are one transaction, so parallel attempts
    /// (on any server) cannot all slip past the check.
    async fn login_attempt(
        &self,
        keys: &[String],
        max: u32,
        window: i64,
        now: i64,
    ) -> Result<Option<i64>>;
    /// Takes back a successful attempt: clears `account` and lowers `address` by one.
    async fn login_succeeded(&self, account: &str, address: Option<&str>) -> Result<()>;

    // The catalog change feed: what every server's search index follows.
    /// Records that the dataset or demand `object_id` (`kind`) changed at `now`, and forgets
    /// changes older than a day; returns the change's position.
    async fn record_catalog_change(&self, kind: &str, object_id: &str, now: i64) -> Result<i64>;
    /// Changes after `seq`, in order, at most `limit`.
    async fn catalog_changes_after(&self, seq: i64, limit: i64) -> Result<Vec<CatalogChange>>;
    /// The last change's position (0 when there is none).
    async fn catalog_change_head(&self) -> Result<i64>;

    // API tokens. Only the hash is stored.
    /// Stores a new token.
    async fn create_token(&self, token: ApiToken) -> Result<()>;
    /// A token by the hash of its secret (revoked and expired ones included; the caller checks).
    async fn get_token_by_hash(&self, token_hash: &str) -> Result<ApiToken>;
    /// A user's tokens, newest first.
    async fn list_tokens(&self, user_id: &str) -> Result<Vec<ApiToken>>;
    /// Revokes a token of this user at `now`; `NotFound` if it is not theirs.
    async fn revoke_token(&self, user_id: &str, token_id: &str, now: i64) -> Result<()>;

    // Datasets.
    /// Creates a dataset; `Conflict("name")` if the slug is taken.
    async fn create_dataset(&self, dataset: NewDataset) -> Result<Dataset>;
    /// A dataset by slug name.
    async fn get_dataset_by_name(&self, name: &str) -> Result<Dataset>;
    /// A dataset by id.
    async fn get_dataset(&self, id: &str) -> Result<Dataset>;
    /// Datasets matching the filter, newest-modified first, and the total count before paging.
    async fn list_datasets(&self, filter: &DatasetFilter) -> Result<(Vec<Dataset>, i64)>;
    /// Writes every mutable field of `dataset` (all but id, name, org, created_at) and returns it
    /// as stored.
    async fn update_dataset(&self, dataset: &Dataset) -> Result<Dataset>;
    /// Deletes a dataset with its resources, versions, column grades, requests, applications,
    /// grants (with their row use) and reported results. Returns the versions' file paths so the
    /// caller can remove the files.
    async fn delete_dataset(&self, id: &str) -> Result<Vec<String>>;

    // Resources and versions.
    /// Creates a resource of a dataset; `Conflict("name")` if the dataset has one of that name.
    async fn create_resource(&self, resource: NewResource) -> Result<Resource>;
    /// A resource by id.
    async fn get_resource(&self, id: &str) -> Result<Resource>;
    /// The resources of a dataset, oldest first.
    async fn list_resources(&self, dataset_id: &str) -> Result<Vec<Resource>>;
    /// Deletes a resource and its versions; returns the versions' file paths.
    async fn delete_resource(&self, id: &str) -> Result<Vec<String>>;
    /// Records a new version in one transaction: assigns the next number, inserts the version,
    /// adds a proposed (unconfirmed) column grade for every column that has no grade yet, raises
    /// (and unconfirms) the grade of a known column whose new proposal is stricter, and touches
    /// the dataset's modified time.
    async fn publish_version(&self, version: NewVersion) -> Result<Version>;
    /// The versions of a resource, newest first.
    async fn list_versions(&self, resource_id: &str) -> Result<Vec<Version>>;
    /// A version by id.
    async fn get_version(&self, id: &str) -> Result<Version>;
    /// Every version file path the store knows (to clean orphans at start).
    async fn all_version_paths(&self) -> Result<Vec<String>>;
    /// Every version of every resource, oldest first.
    async fn all_versions(&self) -> Result<Vec<Version>>;
    /// Points a version at a rewritten file holding the same rows (new path, size and SHA-256),
    /// provided it still points at `old_path`; `Conflict` otherwise, `NotFound` without it.
    async fn replace_version_file(
        &self,
        id: &str,
        old_path: &str,
        file: &VersionFile,
    ) -> Result<()>;

    // Column grades.
    /// The grades of a resource's columns, in column order of their first version.
    async fn list_column_grades(&self, resource_id: &str) -> Result<Vec<ColumnGrade>>;
    /// Sets (inserts or replaces) a column's grade.
    async fn set_column_grade(&self, grade: &ColumnGrade) -> Result<()>;

    // The data dictionary.
    /// A resource's data dictionary as last saved (empty when never saved).
    async fn column_notes(&self, resource_id: &str) -> Result<Vec<model::dictionary::ColumnNote>>;
    /// Replaces a resource's data dictionary.
    async fn set_column_notes(
        &self,
        resource_id: &str,
        notes: &[model::dictionary::ColumnNote],
        by: &str,
        now: i64,
    ) -> Result<()>;

    // Requests to lower a grade or an opening type.
    /// Files a request.
    async fn create_change_request(&self, request: NewChangeRequest) -> Result<ChangeRequest>;
    /// A request by id.
    async fn get_change_request(&self, id: &str) -> Result<ChangeRequest>;
    /// Requests, optionally only those with the given status, newest first.
    async fn list_change_requests(
        &self,
        status: Option<RequestStatus>,
        dataset_id: Option<&str>,
    ) -> Result<Vec<ChangeRequest>>;
    /// Records a decision on a pending request; `Conflict("status")` if it was already decided.
    async fn decide_change_request(
        &self,
        id: &str,
        status: RequestStatus,
        decided_by: &str,
        note: &str,
        now: i64,
    ) -> Result<ChangeRequest>;

    // Data-use agreements.
    /// Stores `text` as a new agreement version unless it equals the latest; returns the latest.
    async fn ensure_agreement(&self, text: &str, now: i64) -> Result<Agreement>;
    /// The latest agreement, if any.
    async fn latest_agreement(&self) -> Result<Agreement>;
    /// An agreement by version.
    async fn get_agreement(&self, version: i64) -> Result<Agreement>;

    // Applications and grants (C4).
    /// Creates a draft application.
    async fn create_application(&self, application: NewApplication) -> Result<Application>;
    /// An application by id.
    async fn get_application(&self, id: &str) -> Result<Application>;
    /// Applications matching the filter, newest first.
    async fn list_applications(&self, filter: &ApplicationFilter) -> Result<Vec<Application>>;
    /// Replaces a draft's terms and texts; `Conflict("status")` unless it is still a draft.
    async fn update_draft(
        &self,
        id: &str,
        requested: &Terms,
        purpose_category: PurposeCategory,
        purpose: &str,
        scenario: &str,
        needs_authority: bool,
    ) -> Result<Application>;
    /// Applies a decision atomically. The application must be in the state the decision expects
    /// (draft for submit; submitted at the matching step for review decisions; draft or submitted
    /// for withdraw), otherwise `Conflict("status")`, so two reviewers cannot both decide.
    /// Approval creates the grant in the same transaction and links it.
    async fn decide_application(
        &self,
        id: &str,
        decision: ApplicationDecision,
        now: i64,
    ) -> Result<Application>;
    /// A grant by id.
    async fn get_grant(&self, id: &str) -> Result<GrantRecord>;
    /// The purpose category of the application a grant came from (fixed once the application
    /// left its draft), read in one query for the access log.
    async fn grant_purpose(&self, grant_id: &str) -> Result<PurposeCategory>;
    /// Grants of a dataset, newest first.
    async fn list_grants_for_dataset(&self, dataset_id: &str) -> Result<Vec<GrantRecord>>;
    /// Grants held by the user or by the organization (either may be `None`), newest first.
    async fn list_grants_for_holder(
        &self,
        user_id: Option<&str>,
        org_id: Option<&str>,
    ) -> Result<Vec<GrantRecord>>;
    /// Revokes a grant; `Conflict("status")` if it was already revoked.
    async fn revoke_grant(&self, id: &str, by: &str, reason: &str, now: i64)
        -> Result<GrantRecord>;
    /// Rows delivered under the grant on `day` (days since the Unix epoch, UTC+8 by the caller).
    async fn grant_rows_used(&self, grant_id: &str, day: i64) -> Result<i64>;
    /// Adds rows to the grant's use on `day` atomically, but only if the sum stays within
    /// `quota` (when given); returns the new total, or `Conflict("quota")` without changing
    /// anything when it would exceed the quota.
    async fn add_grant_rows(
        &self,
        grant_id: &str,
        day: i64,
        rows: i64,
        quota: Option<i64>,
    ) -> Result<i64>;

    // Results (成果).
    /// Records a reported result.
    async fn create_reuse(&self, reuse: NewReuse) -> Result<ReuseReport>;
    /// Results of a dataset (or of all datasets), newest first.
    async fn list_reuses(&self, dataset_id: Option<&str>) -> Result<Vec<ReuseReport>>;
    /// One result.
    async fn get_reuse(&self, id: &str) -> Result<ReuseReport>;
    /// Marks a result accepted; `Conflict("status")` if it already was, so it pays once.
    async fn accept_reuse(&self, id: &str, by: &str, now: i64) -> Result<ReuseReport>;

    // Data demands (C8).
    /// Files a demand, with the first step of its history.
    async fn create_demand(&self, demand: NewDemand) -> Result<Demand>;
    /// One demand.
    async fn get_demand(&self, id: &str) -> Result<Demand>;
    /// A page of demands and the number matching the filter.
    async fn list_demands(&self, filter: &DemandFilter) -> Result<(Vec<Demand>, i64)>;
    /// Applies `change` if the demand is still `expected`, and records the step of its history
    /// (`detail`, by `actor_id`) in the same transaction; `Conflict("status")` and nothing
    /// written otherwise. A merge moves the duplicate's supports into the other demand (once per
    /// user) and recounts them; `NotFound` if that demand does not exist.
    async fn change_demand(
        &self,
        id: &str,
        expected: DemandStatus,
        change: DemandChange,
        actor_id: &str,
        detail: serde_json::Value,
        now: i64,
    ) -> Result<Demand>;
    /// Adds a user's support; false if they already support it.
    async fn support_demand(&self, demand_id: &str, user_id: &str, now: i64) -> Result<bool>;
    /// Withdraws a user's support; false if they did not support it.
    async fn unsupport_demand(&self, demand_id: &str, user_id: &str, now: i64) -> Result<bool>;
    /// Whether the user supports the demand.
    async fn supports_demand(&self, demand_id: &str, user_id: &str) -> Result<bool>;
    /// Adds a comment.
    async fn add_demand_comment(
        &self,
        demand_id: &str,
        user_id: &str,
        body: &str,
        now: i64,
    ) -> Result<DemandComment>;
    /// A demand's comments, oldest first.
    async fn list_demand_comments(&self, demand_id: &str) -> Result<Vec<DemandComment>>;
    /// A demand's history, oldest first.
    async fn list_demand_history(&self, demand_id: &str) -> Result<Vec<DemandHistory>>;
    /// The demands a user supports, most recently supported first, at most `limit`.
    async fn list_supported_demands(&self, user_id: &str, limit: i64) -> Result<Vec<Demand>>;
    /// A user's comments on demands, newest first, at most `limit`.
    async fn list_user_demand_comments(
        &self,
        user_id: &str,
        limit: i64,
    ) -> Result<Vec<DemandComment>>;
    // Policy consultations (C11).
    /// Records an enterprise's ownership, size and industry.
    async fn set_enterprise_profile(
        &self,
        org_id: &str,
        ownership: Option<model::consultation::Ownership>,
        size: Option<model::consultation::EnterpriseSize>,
        industry: Option<String>,
    ) -> Result<Organization>;
    /// Publishes a consultation with its articles.
    async fn create_consultation(&self, c: NewConsultation) -> Result<Consultation>;
    /// One consultation.
    async fn get_consultation(&self, id: &str) -> Result<Consultation>;
    /// A page of consultations, latest opening first, and how many there are.
    async fn list_consultations(&self, offset: i64, limit: i64)
        -> Result<(Vec<Consultation>, i64)>;
    /// Records an attachment whose file is in place.
    async fn add_consultation_attachment(&self, attachment: &ConsultationAttachment) -> Result<()>;
    /// A consultation's attachments, oldest first.
    async fn list_consultation_attachments(
        &self,
        consultation_id: &str,
    ) -> Result<Vec<ConsultationAttachment>>;
    /// A consultation's articles in order.
    async fn list_articles(&self, consultation_id: &str) -> Result<Vec<Article>>;
    /// Adds a comment and counts it on the consultation.
    async fn add_consultation_comment(
        &self,
        c: NewConsultationComment,
    ) -> Result<ConsultationComment>;
    /// One comment.
    async fn get_consultation_comment(&self, id: &str) -> Result<ConsultationComment>;
    /// Every comment of a consultation (withdrawn and hidden ones too), oldest first.
    async fn list_consultation_comments(
        &self,
        consultation_id: &str,
    ) -> Result<Vec<ConsultationComment>>;
    /// Applies a change to a comment if it still applies (edit and withdraw: by the author, not
    /// withdrawn, not answered; hide: not hidden; answer: not answered); `Conflict("comment")`
    /// otherwise, `NotFound` when there is no such comment.
    async fn change_consultation_comment(
        &self,
        id: &str,
        change: CommentChange,
        actor_id: &str,
        now: i64,
    ) -> Result<ConsultationComment>;
    /// Adds a user's support to a comment; false if they support it already.
    async fn support_consultation_comment(
        &self,
        comment_id: &str,
        user_id: &str,
        now: i64,
    ) -> Result<bool>;
    /// Publishes the result once; `Conflict("result")` if it is out already.
    async fn publish_consultation_result(
        &self,
        id: &str,
        summary: &str,
        now: i64,
    ) -> Result<Consultation>;
    /// Marks that the close of a consultation has been logged; true for the one caller that
    /// marked it (who then logs it), false when it was marked already.
    async fn mark_consultation_close_logged(&self, id: &str, now: i64) -> Result<bool>;
    /// A user's comments on consultations, newest first, at most `limit`.
    async fn list_user_consultation_comments(
        &self,
        user_id: &str,
        limit: i64,
    ) -> Result<Vec<ConsultationComment>>;

    /// The statistics of demands per department and theme asked, counting as overdue the open
    /// demands whose deadline is at or before `now`; merged duplicates are left out. Groups come
    /// in no particular order.
    async fn demand_stats(&self, now: i64) -> Result<Vec<DemandGroup>>;

    /// Counts of datasets and versions, and the rows and bytes the versions hold.
    async fn catalog_totals(&self) -> Result<CatalogTotals>;

    // The access log (C7). Append-only; the tree arithmetic lives in the tlog crate, the store
    // only keeps leaves, details and the stored subtree hashes.
    /// The number of leaves.
    async fn log_size(&self) -> Result<i64>;
    /// Stored subtree hashes by stored index, in the order asked; `Corrupt` if one is missing.
    async fn log_hashes(&self, ids: &[i64]) -> Result<Vec<[u8; 32]>>;
    /// Appends `entries` at indexes `start..` and the stored hashes `hashes` at stored indexes
    /// `hashes_start..`, in one transaction. `Conflict("idx")` (and nothing written) unless
    /// `start` is the current size, so two writers cannot both take an index.
    async fn log_append(
        &self,
        start: i64,
        entries: &[NewLogEntry],
        hashes_start: i64,
        hashes: &[[u8; 32]],
    ) -> Result<()>;
    /// Leaves `start..end`, oldest first.
    async fn log_entries(&self, start: i64, end: i64) -> Result<Vec<LogEntry>>;
    /// The newest `limit` leaves, newest first, optionally only those of one dataset.
    async fn log_recent(&self, dataset: Option<&str>, limit: i64) -> Result<Vec<LogEntry>>;
    /// The private detail of a leaf.
    async fn log_detail(&self, index: i64) -> Result<LogDetail>;
    /// Leaf counts per dataset and kind, largest first.
    async fn log_counts(&self) -> Result<Vec<LogCount>>;
}
