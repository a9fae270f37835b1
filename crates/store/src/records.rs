//! The records the store reads and writes.

use model::classification::{Domain, Grade, Importance, OpeningType};
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
