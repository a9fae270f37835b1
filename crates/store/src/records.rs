//! The records the store reads and writes.

use model::access::Grantee;
use model::application::{ApplicationStatus, PurposeCategory, ResultKind, ReviewStep, Terms};
use model::classification::{Domain, Grade, Importance, OpeningType};
use model::consultation::{Adoption, Audience, EnterpriseSize, Ownership, ParticipantKind, Stance};
use model::demand::{DemandStatus, RejectionReason, Target};
use model::pii::PiiFinding;
use model::role::{OrgKind, Role};
use serde::{Deserialize, Serialize};

/// A government department, an enterprise, or the data authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    /// Random id.
    pub id: String,
    /// Slug used in URLs.
    pub name: String,
    /// Display title (usually Chinese).
    pub title: String,
    /// Department, enterprise or authority.
    pub kind: OrgKind,
    /// 统一社会信用代码, required for enterprises, validated before it gets here.
    pub uscc: Option<String>,
    /// Free text.
    pub description: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// An enterprise's ownership (所有制), when recorded.
    pub ownership: Option<Ownership>,
    /// An enterprise's size (规模), when recorded.
    pub size: Option<EnterpriseSize>,
    /// An enterprise's industry (行业), when recorded.
    pub industry: Option<String>,
}

/// Input for [`crate::Store::create_org`].
#[derive(Debug, Clone)]
pub struct NewOrganization {
    /// Slug.
    pub name: String,
    /// Display title.
    pub title: String,
    /// Kind.
    pub kind: OrgKind,
    /// Credit code (enterprises).
    pub uscc: Option<String>,
    /// Free text.
    pub description: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// A registered user.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Random id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Name shown in the portal.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Organization, for roles bound to one.
    pub org_id: Option<String>,
    /// Argon2id PHC string.
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("org_id", &self.org_id)
            .finish_non_exhaustive()
    }
}

/// Input for [`crate::Store::create_user`].
#[derive(Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Organization.
    pub org_id: Option<String>,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// One change to what the search indexes hold, in the order of `seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogChange {
    /// Position in the feed: increasing, with gaps where a transaction rolled back.
    pub seq: i64,
    /// `dataset` or `demand`.
    pub kind: String,
    /// The id of the dataset or demand.
    pub object_id: String,
    /// When, in Unix milliseconds.
    pub at: i64,
}

/// A browser session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// SHA-256 (hex) of the cookie value.
    pub id_hash: String,
    /// Who is signed in.
    pub user_id: String,
    /// The CSRF token every form of this session must carry.
    pub csrf_token: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// An API token for the JSON API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    /// Random id, shown in listings.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// The owner's label for it.
    pub name: String,
    /// SHA-256 (hex) of the secret.
    #[serde(skip)]
    pub token_hash: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds; `None` never expires.
    pub expires_at: Option<i64>,
    /// Unix milliseconds when revoked.
    pub revoked_at: Option<i64>,
}

/// A dataset of the catalog (C1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Random id.
    pub id: String,
    /// Slug.
    pub name: String,
    /// Owning organization's id.
    pub org_id: String,
    /// Descriptive metadata.
    #[serde(flatten)]
    pub meta: DatasetMeta,
    /// Highest grade of its columns (derived; stored for listing and search).
    pub grade: Grade,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub modified_at: i64,
    /// Times its page or API record was viewed.
    pub view_count: i64,
    /// Times its data was downloaded.
    pub download_count: i64,
    /// Quality score 0–100 of the latest version, once measured.
    pub quality_score: Option<f64>,
}

/// The metadata a publisher writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetMeta {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Themes, e.g. 交通出行.
    pub themes: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Update frequency, e.g. `daily`, `monthly`.
    pub update_frequency: String,
    /// License name or URL.
    pub license: String,
    /// Spatial coverage.
    pub spatial: String,
    /// Temporal coverage.
    pub temporal: String,
    /// Contact point.
    pub contact: String,
    /// 数据域.
    pub domain: Domain,
    /// 开放属性.
    pub opening_type: OpeningType,
    /// 重要数据 / 核心数据 flag.
    pub importance: Importance,
}

/// Input for [`crate::Store::create_dataset`].
#[derive(Debug, Clone)]
pub struct NewDataset {
    /// Slug.
    pub name: String,
    /// Owning organization.
    pub org_id: String,
    /// Metadata.
    pub meta: DatasetMeta,
    /// Initial grade.
    pub grade: Grade,
    /// Unix milliseconds.
    pub now: i64,
}

/// Filter and page for [`crate::Store::list_datasets`].
#[derive(Debug, Clone, Default)]
pub struct DatasetFilter {
    /// Only this organization's datasets.
    pub org_id: Option<String>,
    /// Only this opening type.
    pub opening_type: Option<OpeningType>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return (0 means the store's default of 100).
    pub limit: i64,
}

/// A resource (a table or file) of a dataset; its data lives in versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Random id.
    pub id: String,
    /// Dataset id.
    pub dataset_id: String,
    /// Name, unique within the dataset.
    pub name: String,
    /// Description.
    pub description: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// Input for [`crate::Store::create_resource`].
#[derive(Debug, Clone)]
pub struct NewResource {
    /// Dataset id.
    pub dataset_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// What ingest learned about one column of a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnInfo {
    /// Column name.
    pub name: String,
    /// Arrow type name as Gongshu reports it: `string`, `int64`, `float64`, `boolean`, `date`, `timestamp`.
    pub data_type: String,
    /// Per-column statistics (null rate, distinct estimate, min, max, top values).
    pub profile: serde_json::Value,
    /// Personal information found.
    pub findings: Vec<PiiFinding>,
    /// The grade the findings suggest.
    pub proposed_grade: Grade,
}

/// An immutable Parquet version of a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// Random id.
    pub id: String,
    /// Resource id.
    pub resource_id: String,
    /// 1, 2, 3… within the resource.
    pub number: i64,
    /// Path of the Parquet file relative to the data directory.
    pub path: String,
    /// Format of the uploaded file: csv, tsv, xlsx, xls, json, ndjson, parquet.
    pub source_format: String,
    /// Name of the uploaded file.
    pub source_name: String,
    /// Encoding detected for text uploads, e.g. `UTF-8`, `GBK`.
    pub source_encoding: Option<String>,
    /// Rows.
    pub row_count: i64,
    /// Size of the Parquet file in bytes.
    pub byte_size: i64,
    /// SHA-256 (hex) of the Parquet file.
    pub sha256: String,
    /// Columns with profile and findings.
    pub columns: Vec<ColumnInfo>,
    /// User id of the uploader.
    pub created_by: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// The file of a version after a rewrite: same rows, new layout (see
/// [`crate::Store::replace_version_file`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFile {
    /// Path relative to the data directory.
    pub path: String,
    /// Size in bytes.
    pub byte_size: i64,
    /// SHA-256 (hex).
    pub sha256: String,
}

/// Input for [`crate::Store::publish_version`]; the store assigns id and number.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// Resource id.
    pub resource_id: String,
    /// Relative path of the already-written Parquet file.
    pub path: String,
    /// Uploaded format.
    pub source_format: String,
    /// Uploaded file name.
    pub source_name: String,
    /// Detected encoding.
    pub source_encoding: Option<String>,
    /// Rows.
    pub row_count: i64,
    /// Bytes.
    pub byte_size: i64,
    /// SHA-256 hex.
    pub sha256: String,
    /// Columns.
    pub columns: Vec<ColumnInfo>,
    /// Uploader.
    pub created_by: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// The grade of one column of a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnGrade {
    /// Resource id.
    pub resource_id: String,
    /// Column name.
    pub column: String,
    /// Position in the first version that had it.
    pub position: i64,
    /// Current grade.
    pub grade: Grade,
    /// Whether the publisher confirmed it (false while it is only the proposal of ingest).
    pub confirmed: bool,
}

/// What a change request would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum ChangeTarget {
    /// The grade of one column.
    ColumnGrade {
        /// Resource id.
        resource_id: String,
        /// Column name.
        column: String,
        /// Current grade.
        from: Grade,
        /// Requested grade.
        to: Grade,
    },
    /// The dataset's opening type.
    OpeningType {
        /// Current.
        from: OpeningType,
        /// Requested.
        to: OpeningType,
    },
}

/// State of a change request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting for the authority.
    Pending,
    /// Approved and applied.
    Approved,
    /// Rejected.
    Rejected,
}

impl RequestStatus {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
        }
    }

    /// Parses a stable code.
    pub fn from_code(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(RequestStatus::Pending),
            "approved" => Some(RequestStatus::Approved),
            "rejected" => Some(RequestStatus::Rejected),
            _ => None,
        }
    }
}

/// A request to lower a grade or an opening type, which only the authority may approve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRequest {
    /// Random id.
    pub id: String,
    /// Dataset id.
    pub dataset_id: String,
    /// What to change.
    pub change: ChangeTarget,
    /// Why, from the requester.
    pub reason: String,
    /// User id.
    pub requested_by: String,
    /// Status.
    pub status: RequestStatus,
    /// User id of the authority admin who decided.
    pub decided_by: Option<String>,
    /// The decider's note.
    pub decision_note: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub decided_at: Option<i64>,
}

/// Input for [`crate::Store::create_change_request`].
#[derive(Debug, Clone)]
pub struct NewChangeRequest {
    /// Dataset id.
    pub dataset_id: String,
    /// What to change.
    pub change: ChangeTarget,
    /// Why.
    pub reason: String,
    /// User id.
    pub requested_by: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// A version of the data-use agreement (数据使用协议) applicants accept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// 1, 2, 3…
    pub version: i64,
    /// The full text (Markdown-like plain text, Chinese and English).
    pub text: String,
    /// SHA-256 (hex) of the UTF-8 text; recorded on every submitted application.
    pub sha256: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// An application for conditional data (C4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Application {
    /// Random id.
    pub id: String,
    /// The user who applies.
    pub applicant_id: String,
    /// The organization applied for, when applying on behalf of one (enterprise or department);
    /// `None` for a person applying as an individual.
    pub applicant_org_id: Option<String>,
    /// Dataset id.
    pub dataset_id: String,
    /// What the applicant asks for.
    pub requested: Terms,
    /// What the reviewers have approved so far (starts equal to `requested` on submission and
    /// only narrows).
    pub approved: Terms,
    /// Purpose category.
    pub purpose_category: PurposeCategory,
    /// Purpose in words.
    pub purpose: String,
    /// Usage scenario in words.
    pub scenario: String,
    /// Version of the agreement accepted on submission.
    pub agreement_version: Option<i64>,
    /// Its SHA-256 hex.
    pub agreement_sha256: Option<String>,
    /// Status.
    pub status: ApplicationStatus,
    /// For submitted applications, the step it waits for.
    pub step: Option<ReviewStep>,
    /// Whether the authority's second approval is required.
    pub needs_authority: bool,
    /// Department reviewer and time of the department's approval.
    pub department_reviewer: Option<String>,
    /// Unix milliseconds.
    pub department_reviewed_at: Option<i64>,
    /// Authority reviewer.
    pub authority_reviewer: Option<String>,
    /// Unix milliseconds.
    pub authority_reviewed_at: Option<i64>,
    /// Reason given for a rejection, shown to the applicant.
    pub rejection_reason: Option<String>,
    /// Reviewers' notes (approval remarks), newest last.
    pub review_note: Option<String>,
    /// The grant issued on approval.
    pub grant_id: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub submitted_at: Option<i64>,
    /// Unix milliseconds of the final decision or withdrawal.
    pub decided_at: Option<i64>,
}

/// Input for [`crate::Store::create_application`] (a draft).
#[derive(Debug, Clone)]
pub struct NewApplication {
    /// Applicant user id.
    pub applicant_id: String,
    /// Organization applied for.
    pub applicant_org_id: Option<String>,
    /// Dataset id.
    pub dataset_id: String,
    /// Terms asked for.
    pub requested: Terms,
    /// Purpose category.
    pub purpose_category: PurposeCategory,
    /// Purpose.
    pub purpose: String,
    /// Scenario.
    pub scenario: String,
    /// Whether the authority must approve too (worked out by the caller from the model rules).
    pub needs_authority: bool,
    /// Unix milliseconds.
    pub now: i64,
}

/// Filter for [`crate::Store::list_applications`]; all given fields must match.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    /// Applicant user id.
    pub applicant_id: Option<String>,
    /// Datasets of this owning organization.
    pub owner_org_id: Option<String>,
    /// Dataset id.
    pub dataset_id: Option<String>,
    /// Status.
    pub status: Option<ApplicationStatus>,
    /// Step (for submitted applications).
    pub step: Option<ReviewStep>,
}

/// A decision on an application, applied by [`crate::Store::decide_application`].
#[derive(Debug, Clone)]
pub enum ApplicationDecision {
    /// The applicant submits a draft, accepting the agreement.
    Submit {
        /// Agreement version.
        agreement_version: i64,
        /// Its hash.
        agreement_sha256: String,
    },
    /// The department approves (possibly narrowing); the application moves to the authority.
    ForwardToAuthority {
        /// Reviewer user id.
        reviewer: String,
        /// Narrowed terms.
        approved: Terms,
        /// Remark.
        note: String,
    },
    /// The final approval: the grant is created in the same transaction.
    Approve {
        /// Reviewer user id.
        reviewer: String,
        /// The step approving.
        step: ReviewStep,
        /// Final terms.
        approved: Terms,
        /// Remark.
        note: String,
        /// The grant to issue (its id and application id are filled in by the store).
        grant: NewGrant,
    },
    /// Rejection with a reason.
    Reject {
        /// Reviewer user id.
        reviewer: String,
        /// The step rejecting.
        step: ReviewStep,
        /// Reason, shown to the applicant.
        reason: String,
    },
    /// The applicant withdraws a draft or submitted application.
    Withdraw,
}

/// A grant (授权) issued on approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantRecord {
    /// Random id.
    pub id: String,
    /// The application it came from.
    pub application_id: String,
    /// Dataset id.
    pub dataset_id: String,
    /// Holder.
    pub grantee: Grantee,
    /// Columns, row filter, modes, quota (duration is turned into `valid_from`/`valid_until`).
    pub terms: Terms,
    /// Whether the authority approved L4 columns for masked use.
    pub l4_masked_approved: bool,
    /// Clean-room privacy budget ε; `None` when the grant has no clean-room mode.
    pub privacy_budget: Option<f64>,
    /// Unix milliseconds, inclusive.
    pub valid_from: i64,
    /// Unix milliseconds, exclusive.
    pub valid_until: i64,
    /// Unix milliseconds.
    pub revoked_at: Option<i64>,
    /// Who revoked.
    pub revoked_by: Option<String>,
    /// Why.
    pub revoke_reason: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// Input for a grant, carried by [`ApplicationDecision::Approve`].
#[derive(Debug, Clone)]
pub struct NewGrant {
    /// Holder.
    pub grantee: Grantee,
    /// Terms.
    pub terms: Terms,
    /// L4 masked approval.
    pub l4_masked_approved: bool,
    /// ε budget.
    pub privacy_budget: Option<f64>,
    /// Unix milliseconds.
    pub valid_from: i64,
    /// Unix milliseconds.
    pub valid_until: i64,
}

/// A result (成果) reported by a grantee and shown publicly as a reuse.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReuseReport {
    /// Random id.
    pub id: String,
    /// Grant id.
    pub grant_id: String,
    /// Dataset id.
    pub dataset_id: String,
    /// Kind.
    pub kind: ResultKind,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Link, if any (http or https).
    pub url: Option<String>,
    /// Reporting user.
    pub created_by: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// When the owning organization or the authority accepted it, if it did.
    pub accepted_at: Option<i64>,
    /// Who accepted it.
    pub accepted_by: Option<String>,
}

/// Input for [`crate::Store::create_reuse`].
#[derive(Debug, Clone)]
pub struct NewReuse {
    /// Grant id.
    pub grant_id: String,
    /// Dataset id.
    pub dataset_id: String,
    /// Kind.
    pub kind: ResultKind,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Link.
    pub url: Option<String>,
    /// Reporter.
    pub created_by: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// Totals of the catalog, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CatalogTotals {
    /// Datasets.
    pub datasets: i64,
    /// Versions ever published (and not deleted).
    pub versions: i64,
    /// Rows in those versions.
    pub rows: i64,
    /// Parquet bytes of those versions.
    pub bytes: i64,
}

/// One leaf to append to the access log (C7), with its private detail record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLogEntry {
    /// The leaf's exact bytes (a line of JSON), hashed into the tree.
    pub data: String,
    /// Event kind, repeated from the leaf for counting.
    pub kind: String,
    /// Dataset slug, repeated from the leaf, if the event concerns one.
    pub dataset: Option<String>,
    /// Rows delivered, repeated from the leaf (0 when it has none), for the monthly usage.
    pub rows: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Hex salt of the leaf's commitment to the detail.
    pub salt: String,
    /// The private detail record (JSON text).
    pub detail: String,
}

/// A stored leaf of the access log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    /// Position in the log, from 0.
    pub index: i64,
    /// The leaf's exact bytes.
    pub data: String,
    /// Event kind.
    pub kind: String,
    /// Dataset slug, if any.
    pub dataset: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// The private detail of a leaf, for auditors.
#[derive(Debug, Clone, PartialEq)]
pub struct LogDetail {
    /// Position in the log.
    pub index: i64,
    /// Hex salt of the commitment.
    pub salt: String,
    /// The detail record (JSON text).
    pub detail: String,
}

/// How many leaves of one kind concern one dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogCount {
    /// Dataset slug.
    pub dataset: String,
    /// Event kind.
    pub kind: String,
    /// Number of leaves.
    pub count: i64,
}

/// A data demand (数据需求, C8).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Demand {
    /// Random id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The fields the data should have.
    pub fields: Vec<String>,
    /// What the data is for.
    pub purpose_category: PurposeCategory,
    /// The department (by organization id) or theme asked.
    pub target: Target,
    /// The dataset the demand extends, if any.
    pub extends_dataset_id: Option<String>,
    /// The user who filed it.
    pub created_by: String,
    /// Their organization, if they belong to one.
    pub created_by_org_id: Option<String>,
    /// Whether an enterprise user filed it.
    pub enterprise: bool,
    /// Where it stands.
    pub status: DemandStatus,
    /// When an unanswered demand becomes overdue (Unix ms).
    pub due_at: i64,
    /// Planned opening date of an accepted demand (Unix ms of the day's start).
    pub planned_at: Option<i64>,
    /// Why it was not accepted.
    pub rejection_reason: Option<RejectionReason>,
    /// The department's public answer.
    pub answer: Option<String>,
    /// Who answered (user id).
    pub answered_by: Option<String>,
    /// When (Unix ms).
    pub answered_at: Option<i64>,
    /// The dataset that fulfilled it.
    pub fulfilled_dataset_id: Option<String>,
    /// The grant that fulfilled it.
    pub fulfilled_grant_id: Option<String>,
    /// When it was fulfilled (Unix ms).
    pub fulfilled_at: Option<i64>,
    /// The demand it was merged into, as a duplicate.
    pub merged_into: Option<String>,
    /// Users who support it.
    pub support_count: i64,
    /// Comments on it.
    pub comment_count: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last change.
    pub modified_at: i64,
}

/// Input for [`crate::Store::create_demand`].
#[derive(Debug, Clone)]
pub struct NewDemand {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Wanted fields.
    pub fields: Vec<String>,
    /// Purpose.
    pub purpose_category: PurposeCategory,
    /// Department or theme asked.
    pub target: Target,
    /// Extended dataset.
    pub extends_dataset_id: Option<String>,
    /// Filing user.
    pub created_by: String,
    /// Their organization.
    pub created_by_org_id: Option<String>,
    /// Whether they are an enterprise user.
    pub enterprise: bool,
    /// When it becomes overdue.
    pub due_at: i64,
    /// Unix milliseconds.
    pub now: i64,
}

/// Orders of a demand listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DemandSort {
    /// Most supported first.
    #[default]
    Supports,
    /// Newest first.
    Newest,
    /// Nearest deadline first.
    Deadline,
    /// Earliest planned opening date first (demands without one last).
    Planned,
}

/// The statistics of the demands asking one department or theme.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandGroup {
    /// The department or theme asked.
    pub target: Target,
    /// What is counted.
    pub counts: model::demand::DemandCounts,
    /// Answered demands by whole days from filing to answer: `(days, demands)`.
    pub answer_days: Vec<(i64, i64)>,
}

/// Filter for [`crate::Store::list_demands`]; all given fields must match.
#[derive(Debug, Clone, Default)]
pub struct DemandFilter {
    /// Demands asking this department.
    pub target_org_id: Option<String>,
    /// Demands asking about this theme.
    pub target_theme: Option<String>,
    /// In this state.
    pub status: Option<DemandStatus>,
    /// Only open demands overdue at this time (Unix ms).
    pub overdue_at: Option<i64>,
    /// Filed by this user.
    pub created_by: Option<String>,
    /// Only closed (rejected or fulfilled) demands, or only live (open or accepted) ones.
    pub closed: Option<bool>,
    /// Skip counting the matches (the total comes back as -1), for a caller that knows it.
    pub no_count: bool,
    /// Order.
    pub sort: DemandSort,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return.
    pub limit: i64,
}

/// A change to a demand, applied by [`crate::Store::change_demand`] only if the demand is still
/// in the state the caller saw.
#[derive(Debug, Clone)]
pub enum DemandChange {
    /// The filer's corrected title and description, while the demand is open.
    Edit {
        /// New title.
        title: String,
        /// New description.
        description: String,
    },
    /// Accepted with a planned date and a public answer.
    Accept {
        /// Planned opening date.
        planned_at: i64,
        /// Public answer.
        answer: String,
    },
    /// Not accepted, with a reason.
    Reject {
        /// Reason category.
        reason: RejectionReason,
        /// Public answer.
        answer: String,
    },
    /// Fulfilled by a dataset or a grant.
    Fulfil {
        /// The dataset.
        dataset_id: Option<String>,
        /// The grant.
        grant_id: Option<String>,
    },
    /// Moved to another department, with a new deadline.
    Transfer {
        /// The new department's organization id.
        to_org_id: String,
        /// The new deadline.
        due_at: i64,
    },
    /// Merged into another live demand; its supports move there, once per user.
    Merge {
        /// The demand that carries on.
        into: String,
    },
}

/// A comment on a demand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandComment {
    /// Random id.
    pub id: String,
    /// The demand.
    pub demand_id: String,
    /// Who wrote it.
    pub user_id: String,
    /// Text.
    pub body: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// One step in a demand's public history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandHistory {
    /// Random id.
    pub id: String,
    /// The demand.
    pub demand_id: String,
    /// `filed` or a [`model::demand::DemandEvent`] code.
    pub kind: String,
    /// Who acted (user id), if anyone.
    pub actor_id: Option<String>,
    /// What changed.
    pub detail: serde_json::Value,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A policy consultation (C11). Its phase follows from its dates and whether the result is out
/// ([`model::consultation::phase`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consultation {
    /// Random id.
    pub id: String,
    /// The department that runs it.
    pub org_id: String,
    /// Title of the draft.
    pub title: String,
    /// Summary of the draft.
    pub summary: String,
    /// Who may take part.
    pub audience: Audience,
    /// When it opens (Unix ms).
    pub opens_at: i64,
    /// When it closes (Unix ms).
    pub closes_at: i64,
    /// Why it is shorter than the default period, shown publicly.
    pub short_reason: Option<String>,
    /// When every comment must have an answer (Unix ms).
    pub answers_due_at: i64,
    /// The department's summary of the result, once published.
    pub result_summary: Option<String>,
    /// When the result was published (Unix ms).
    pub result_published_at: Option<i64>,
    /// Comments made (withdrawn and hidden ones included).
    pub comment_count: i64,
    /// The staff member who published it.
    pub created_by: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last change.
    pub modified_at: i64,
}

/// One numbered article (条) of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// 1, 2, 3, ….
    pub number: i64,
    /// Its heading, possibly empty.
    #[serde(default)]
    pub heading: String,
    /// Its text.
    pub body: String,
}

/// Input for [`crate::Store::create_consultation`].
#[derive(Debug, Clone)]
pub struct NewConsultation {
    /// The department.
    pub org_id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Who may take part.
    pub audience: Audience,
    /// Opening time.
    pub opens_at: i64,
    /// Closing time.
    pub closes_at: i64,
    /// The reason for a short period.
    pub short_reason: Option<String>,
    /// When answers are due.
    pub answers_due_at: i64,
    /// The articles, numbered from 1.
    pub articles: Vec<Article>,
    /// The staff member publishing it.
    pub created_by: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// A comment on a draft or one of its articles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsultationComment {
    /// Random id.
    pub id: String,
    /// The consultation.
    pub consultation_id: String,
    /// The article it is on; `None` for the whole draft.
    pub article: Option<i64>,
    /// Who wrote it.
    pub user_id: String,
    /// What kind of participant they were.
    pub participant: ParticipantKind,
    /// Their enterprise's ownership when they wrote it.
    pub ownership: Option<Ownership>,
    /// Their enterprise's size when they wrote it.
    pub size: Option<EnterpriseSize>,
    /// Their stance.
    pub stance: Stance,
    /// The text.
    pub body: String,
    /// Users who support it.
    pub support_count: i64,
    /// Withdrawn by its author.
    pub withdrawn: bool,
    /// Why it was hidden, when it was.
    pub hidden_reason: Option<String>,
    /// Who hid it.
    pub hidden_by: Option<String>,
    /// The department's answer.
    pub adoption: Option<Adoption>,
    /// The text of the answer (the reason when not adopted).
    pub answer: Option<String>,
    /// Who answered.
    pub answered_by: Option<String>,
    /// When (Unix ms).
    pub answered_at: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last change.
    pub modified_at: i64,
}

/// Input for [`crate::Store::add_consultation_comment`].
#[derive(Debug, Clone)]
pub struct NewConsultationComment {
    /// The consultation.
    pub consultation_id: String,
    /// The article, or `None` for the whole draft.
    pub article: Option<i64>,
    /// The author.
    pub user_id: String,
    /// The author's kind.
    pub participant: ParticipantKind,
    /// Their enterprise's ownership.
    pub ownership: Option<Ownership>,
    /// Their enterprise's size.
    pub size: Option<EnterpriseSize>,
    /// Stance.
    pub stance: Stance,
    /// Text.
    pub body: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// A change to a comment, applied by [`crate::Store::change_consultation_comment`] only while
/// the comment is as the caller saw it.
#[derive(Debug, Clone)]
pub enum CommentChange {
    /// The author's new stance and text (not withdrawn, not answered).
    Edit {
        /// Stance.
        stance: Stance,
        /// Text.
        body: String,
    },
    /// The author withdraws it.
    Withdraw,
    /// Hidden with a public reason.
    Hide {
        /// The reason.
        reason: String,
    },
    /// The department's answer (once).
    Answer {
        /// Adopted, partly, or not.
        adoption: Adoption,
        /// The text.
        answer: String,
    },
}

/// A file (PDF) attached to a consultation's draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationAttachment {
    /// Random id; the file is `<data dir>/attachments/<consultation id>/<id>.pdf`.
    pub id: String,
    /// The consultation.
    pub consultation_id: String,
    /// The file's name as uploaded (for display and download).
    pub name: String,
    /// Its size in bytes.
    pub byte_size: i64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Unix milliseconds.
    pub created_at: i64,
}
