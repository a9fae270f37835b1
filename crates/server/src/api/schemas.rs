//! Doc-only schemas of the OpenAPI document: structs that are never built, only read by the
//! derive, and string enums whose values come from the code tables of the model and the
//! application layer, so they cannot drift.
//!
//! The model, store and application crates stay free of utoipa, so the records and plain data
//! types they define are described here. The integration tests check that the document lists
//! exactly the routed paths, and schemathesis checks every answer it receives against it; the
//! unit tests below check these descriptions against what serde writes.
//!
//! A response schema must never be stricter than what the server sends.

// The doc-only schemas are never constructed: the derive reads their fields.
#![allow(dead_code)]

use app::Code;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

// ---------------------------------------------------------------------------------------------
// Errors.

/// The body of every error response.
#[derive(ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `dataset_not_found`; ingest rejections carry ingest's own
    /// code (`ragged_rows`, `zip_bomb`, …).
    #[schema(pattern = "^[a-z0-9_]+$")]
    code: String,
    /// The kind of error.
    #[serde(rename = "type")]
    kind: ErrorType,
    /// A whole sentence that says what to do next.
    message: String,
}

/// The kind of an error: the second column of the error-code table.
pub struct ErrorType;

impl PartialSchema for ErrorType {
    fn schema() -> RefOr<Schema> {
        let mut kinds: Vec<&'static str> = Code::ALL.iter().map(|c| c.kind()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        string_enum("The kind of an error.", kinds)
    }
}

impl ToSchema for ErrorType {}

// ---------------------------------------------------------------------------------------------
// String enums, from the model's code tables.

fn string_enum<I>(description: &str, values: I) -> RefOr<Schema>
where
    I: IntoIterator<Item = &'static str>,
{
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .into()
}

macro_rules! code_enum {
    ($(#[doc = $doc:literal])+ $name:ident => $values:expr) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string_enum(concat!($($doc),+).trim(), $values)
            }
        }

        impl ToSchema for $name {}
    };
}

code_enum! {
    /// A user's role.
    Role => model::Role::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// The kind of an organization.
    OrgKind => model::role::OrgKind::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// The domain of a dataset (数据域).
    Domain => model::classification::Domain::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// A column grade (L1 not sensitive … L4 highly sensitive); a dataset's grade is its highest.
    Grade => model::classification::Grade::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// Opening type (开放属性).
    OpeningType => model::OpeningType::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// Importance (一般 / 重要 / 核心数据).
    Importance => model::classification::Importance::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// How data may leave under a grant.
    Mode => model::access::Mode::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// What the data is for (用途类别).
    PurposeCategory => model::application::PurposeCategory::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// The kind of a reported result (成果).
    ResultKind => model::application::ResultKind::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// Where an application stands.
    ApplicationStatus => model::application::ApplicationStatus::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// The review step a submitted application waits for.
    ReviewStep => REVIEW_STEPS.iter().copied()
}
code_enum! {
    /// The state of a change request.
    RequestStatus => REQUEST_STATUSES.iter().copied()
}
code_enum! {
    /// The state of a grant now.
    GrantState => GRANT_STATES.iter().copied()
}
code_enum! {
    /// What a column is in a clean-room view: a dimension (L1, L2), a measure (L3, only inside
    /// aggregates), a join key (a keyed pseudonym, only in equality joins) or an entity column
    /// (never named; k is counted on it).
    CleanRoomRole => model::cleanroom::Role::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// A whitelisted filter operator.
    FilterOp => model::filter::Op::ALL.iter().map(|v| v.code())
}

code_enum! {
    /// Where feedback on a public service stands (Open311 maps `resolved` and `rejected` to
    /// `closed`, the rest to `open`).
    FeedbackStatus => model::feedback::FeedbackStatus::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// A step of feedback's history.
    FeedbackEvent => model::feedback::FeedbackEvent::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// The type of a service's question (Open311's attribute datatype).
    AttributeType => model::feedback::AttributeType::ALL.iter().map(|v| v.code())
}

code_enum! {
    /// Where a data demand stands.
    DemandStatus => model::demand::DemandStatus::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// Why a data demand was not accepted.
    RejectionReason => model::demand::RejectionReason::ALL.iter().map(|v| v.code())
}

code_enum! {
    /// An enterprise's ownership (所有制).
    Ownership => model::consultation::Ownership::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// An enterprise's size (规模).
    EnterpriseSize => model::consultation::EnterpriseSize::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// Who may take part in a consultation.
    Audience => model::consultation::Audience::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// Where a consultation stands.
    Phase => model::consultation::Phase::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// A participant's stance on a draft or an article.
    Stance => model::consultation::Stance::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// The department's answer to a comment.
    Adoption => model::consultation::Adoption::ALL.iter().map(|v| v.code())
}

// The model has no code table for these; the unit tests check them against serde.
const REVIEW_STEPS: &[&str] = &["department", "authority"];
const REQUEST_STATUSES: &[&str] = &["pending", "approved", "rejected"];
const GRANT_STATES: &[&str] = &["active", "pending", "expired", "revoked"];

fn scalar_types() -> SchemaType {
    SchemaType::from_iter([Type::String, Type::Number, Type::Boolean, Type::Null])
}

/// A literal of a filter condition: a string, number, boolean or null, or a non-empty list of
/// them for `in` and `not_in`.
pub struct Literal;

impl PartialSchema for Literal {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(scalar_types()))
            .item(
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(scalar_types()))
                    .min_items(Some(1)),
            )
            .description(Some(
                "A string, number, boolean or null; a non-empty list of them for `in` and `not_in`.",
            ))
            .into()
    }
}

impl ToSchema for Literal {}

/// One row condition.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Column name, exactly as the table has it.
    column: String,
    /// Operator.
    op: FilterOp,
    /// Value; leave it out for `is_null` and `not_null`.
    #[schema(nullable = false)]
    value: Option<Literal>,
}

/// The `filters` of a query body: an object of column → value (equality, or `in` for a list;
/// `null` means `is_null`), or a list of at most 50 conditions.
pub struct Filters;

impl PartialSchema for Filters {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .additional_properties(Some(Literal::schema()))
                    .max_properties(Some(50)),
            )
            .item(
                ArrayBuilder::new()
                    .items(Condition::schema())
                    .max_items(Some(50)),
            )
            .description(Some(
                "An object of column → value (equality; a list means `in`; null means `is_null`), or a list of at most 50 `{column, op, value}` conditions.",
            ))
            .into()
    }
}

impl ToSchema for Filters {}

/// The bytes of a binary file (Parquet, XLSX).
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The bytes of a binary file."))
            .into()
    }
}

impl ToSchema for Binary {}

// ---------------------------------------------------------------------------------------------
// Records of the store, as the API shows them.

/// An organization: a government department, an enterprise or the data authority.
#[derive(ToSchema)]
pub struct Organization {
    id: String,
    /// Slug used in URLs.
    name: String,
    title: String,
    kind: OrgKind,
    /// 统一社会信用代码 (enterprises).
    uscc: Option<String>,
    description: String,
    /// Unix milliseconds.
    created_at: i64,
    /// An enterprise's ownership, when recorded.
    ownership: Option<Ownership>,
    /// An enterprise's size, when recorded.
    size: Option<EnterpriseSize>,
    /// An enterprise's industry, when recorded.
    industry: Option<String>,
}

/// A user account.
#[derive(ToSchema)]
pub struct User {
    id: String,
    username: String,
    display_name: String,
    role: Role,
    /// The organization, for roles bound to one.
    org_id: Option<String>,
    /// Unix milliseconds.
    created_at: i64,
}

/// An API token (without its secret).
#[derive(ToSchema)]
pub struct ApiToken {
    id: String,
    user_id: String,
    /// The owner's label.
    name: String,
    /// Unix milliseconds.
    created_at: i64,
    /// Unix milliseconds; null never expires.
    expires_at: Option<i64>,
    /// Unix milliseconds when revoked.
    revoked_at: Option<i64>,
}

/// A dataset of the catalog (C1).
#[derive(ToSchema)]
pub struct Dataset {
    id: String,
    /// Slug.
    name: String,
    /// Owning organization's id.
    org_id: String,
    title: String,
    description: String,
    themes: Vec<String>,
    tags: Vec<String>,
    update_frequency: String,
    license: String,
    spatial: String,
    temporal: String,
    contact: String,
    domain: Domain,
    opening_type: OpeningType,
    importance: Importance,
    /// The highest grade of its columns.
    grade: Grade,
    /// Unix milliseconds.
    created_at: i64,
    /// Unix milliseconds.
    modified_at: i64,
    view_count: i64,
    download_count: i64,
    /// Quality score 0–100 of the latest version, once measured.
    quality_score: Option<f64>,
}

/// A resource (a table) of a dataset; its data lives in versions.
#[derive(ToSchema)]
pub struct Resource {
    id: String,
    dataset_id: String,
    /// Unique within the dataset.
    name: String,
    description: String,
    /// Unix milliseconds.
    created_at: i64,
}

/// Personal information found in a column.
#[derive(ToSchema)]
pub struct PiiFinding {
    /// The kind of personal information.
    kind: String,
    /// Values that matched.
    matches: u64,
    /// Non-empty values examined.
    scanned: u64,
}

/// What a change request would change.
#[derive(ToSchema)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum ChangeTarget {
    /// The grade of one column.
    ColumnGrade {
        resource_id: String,
        column: String,
        from: Grade,
        to: Grade,
    },
    /// The dataset's opening type.
    OpeningType { from: OpeningType, to: OpeningType },
}

/// A request to lower a grade or an opening type.
#[derive(ToSchema)]
pub struct ChangeRequest {
    id: String,
    dataset_id: String,
    change: ChangeTarget,
    reason: String,
    /// User id.
    requested_by: String,
    status: RequestStatus,
    decided_by: Option<String>,
    decision_note: Option<String>,
    /// Unix milliseconds.
    created_at: i64,
    /// Unix milliseconds.
    decided_at: Option<i64>,
}

/// The data-use agreement (数据使用协议).
#[derive(ToSchema)]
pub struct Agreement {
    version: i64,
    text: String,
    /// SHA-256 (hex) of the text: what `accept_agreement` must repeat.
    sha256: String,
    /// Unix milliseconds.
    created_at: i64,
}

/// Terms asked for or granted.
#[derive(ToSchema)]
pub struct Terms {
    columns: Vec<String>,
    row_filter: Vec<Condition>,
    modes: Vec<Mode>,
    duration_days: i64,
    /// Rows per day; null for no quota.
    daily_row_quota: Option<i64>,
}

/// An application for conditional data, with its dataset's name.
#[derive(ToSchema)]
pub struct Application {
    id: String,
    applicant_id: String,
    applicant_org_id: Option<String>,
    dataset_id: String,
    /// The dataset's slug.
    dataset: String,
    requested: Terms,
    approved: Terms,
    purpose_category: PurposeCategory,
    purpose: String,
    scenario: String,
    agreement_version: Option<i64>,
    agreement_sha256: Option<String>,
    status: ApplicationStatus,
    step: Option<ReviewStep>,
    needs_authority: bool,
    department_reviewer: Option<String>,
    department_reviewed_at: Option<i64>,
    authority_reviewer: Option<String>,
    authority_reviewed_at: Option<i64>,
    rejection_reason: Option<String>,
    review_note: Option<String>,
    grant_id: Option<String>,
    created_at: i64,
    submitted_at: Option<i64>,
    decided_at: Option<i64>,
}

/// Who holds a grant.
#[derive(ToSchema)]
pub struct Grantee {
    /// `user` or `org`.
    #[schema(pattern = "^(user|org)$")]
    kind: String,
    /// The user's or organization's id.
    id: String,
}

/// A grant (授权), with its dataset's name, state and today's remaining quota.
#[derive(ToSchema)]
pub struct Grant {
    id: String,
    application_id: String,
    dataset_id: String,
    /// The dataset's slug.
    dataset: String,
    grantee: Grantee,
    terms: Terms,
    l4_masked_approved: bool,
    privacy_budget: Option<f64>,
    /// Unix milliseconds, inclusive.
    valid_from: i64,
    /// Unix milliseconds, exclusive.
    valid_until: i64,
    revoked_at: Option<i64>,
    revoked_by: Option<String>,
    revoke_reason: Option<String>,
    created_at: i64,
    state: GrantState,
    /// Rows left today; null without a quota.
    quota_remaining: Option<i64>,
    /// The clean room the grant is part of; null for an ordinary grant.
    cleanroom: Option<GrantCleanRoom>,
}

/// The clean room a grant is part of.
#[derive(ToSchema)]
pub struct GrantCleanRoom {
    id: String,
    title: String,
    /// The slugs of its datasets.
    datasets: Vec<String>,
    /// The join keys this grant allows: the owner's, of the columns granted.
    join_keys: Vec<String>,
    epsilon_budget: f64,
    epsilon_left: f64,
}

/// A result (成果) reported by a grantee.
#[derive(ToSchema)]
pub struct ReuseReport {
    id: String,
    grant_id: String,
    dataset_id: String,
    kind: ResultKind,
    title: String,
    description: String,
    url: Option<String>,
    created_by: String,
    created_at: i64,
    /// When the owning organization or the authority accepted it (Unix ms); null until then.
    accepted_at: Option<i64>,
    /// Who accepted it.
    accepted_by: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Envelopes of list responses.

/// Organizations.
#[derive(ToSchema)]
pub struct OrganizationList {
    organizations: Vec<Organization>,
}

/// Users.
#[derive(ToSchema)]
pub struct UserList {
    users: Vec<User>,
}

/// The caller's API tokens.
#[derive(ToSchema)]
pub struct TokenList {
    tokens: Vec<ApiToken>,
}

/// A page of datasets.
#[derive(ToSchema)]
pub struct DatasetList {
    /// Datasets matching the filter, over all pages.
    total: i64,
    offset: i64,
    limit: i64,
    datasets: Vec<Dataset>,
}

/// Change requests.
#[derive(ToSchema)]
pub struct ChangeRequestList {
    requests: Vec<ChangeRequest>,
}

/// Versions of a resource, newest first.
#[derive(ToSchema)]
pub struct VersionList {
    versions: Vec<VersionSummary>,
}

/// An upload, as multipart form data.
#[derive(ToSchema)]
pub struct UploadForm {
    /// The file; its name's extension decides the format (`.csv`, `.tsv`, `.xlsx`, `.xls`,
    /// `.json`, `.ndjson`, `.parquet`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The dataset's classification after an upload.
#[derive(ToSchema)]
pub struct Classification {
    grade: Grade,
    opening_type: OpeningType,
}

/// A published upload.
#[derive(ToSchema)]
pub struct Published {
    resource: Resource,
    version: VersionSummary,
    /// The columns of the new version with their grades.
    columns: Option<Vec<ColumnView>>,
    dataset: Classification,
}

/// Applications.
#[derive(ToSchema)]
pub struct ApplicationList {
    applications: Vec<Application>,
}

/// Grants.
#[derive(ToSchema)]
pub struct GrantList {
    grants: Vec<Grant>,
}

/// Reported results.
#[derive(ToSchema)]
pub struct ResultList {
    results: Vec<ReuseReport>,
}

/// The opening list.
#[derive(ToSchema)]
pub struct OpeningList {
    count: u64,
    datasets: Vec<Row>,
}

/// The private detail of a log entry, checked against the leaf's commitment.
#[derive(ToSchema)]
pub struct LogDetail {
    index: u64,
    /// The leaf's exact text.
    leaf: String,
    /// The detail record (user, client address, request), parsed; null if it is not JSON.
    #[schema(value_type = Object, nullable)]
    detail: serde_json::Value,
    /// The detail record's exact text.
    detail_text: String,
    /// Hex salt of the commitment.
    salt: String,
    /// Whether the detail matches the leaf's commitment.
    commitment_matches: bool,
    /// The index of the entry that logs this read.
    logged_as: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// Rows.

/// One output column.
#[derive(ToSchema)]
pub struct Field {
    /// Column name.
    id: String,
    /// `string`, `int64`, `float64`, `boolean`, `date`, `timestamp`, or Arrow's name of another type.
    #[serde(rename = "type")]
    data_type: String,
    /// Whether the values are masked.
    masked: bool,
}

/// Rows of a preview or query.
#[derive(ToSchema)]
pub struct QueryResult {
    fields: Vec<Field>,
    /// One object per row, keyed by column name.
    #[schema(value_type = Vec<Object>)]
    records: Vec<serde_json::Value>,
    row_count: u64,
    /// Whether the row cap cut the result short.
    truncated: bool,
    /// Rows without offset and limit, with `include_total`.
    #[schema(nullable = false)]
    total: Option<u64>,
    dataset: String,
    resource: String,
    version: i64,
    limit: u64,
    offset: u64,
    access: AccessSummary,
    /// The access-log entries of this response (also in the `Gongshu-Log-Index` header).
    log_index: Vec<u64>,
}

/// Aggregated rows.
#[derive(ToSchema)]
pub struct AggregateResult {
    fields: Vec<Field>,
    /// One object per group, keyed by column name.
    #[schema(value_type = Vec<Object>)]
    records: Vec<serde_json::Value>,
    row_count: u64,
    truncated: bool,
    dataset: String,
    access: AccessSummary,
    log_index: Vec<u64>,
}

/// A table a SQL query read.
#[derive(ToSchema)]
pub struct SqlTable {
    /// The name the query used.
    table: String,
    dataset: String,
    version: i64,
    access: AccessSummary,
}

/// Rows of a SQL query.
#[derive(ToSchema)]
pub struct SqlResult {
    fields: Vec<Field>,
    /// One object per row, keyed by column name.
    #[schema(value_type = Vec<Object>)]
    records: Vec<serde_json::Value>,
    row_count: u64,
    truncated: bool,
    tables: Vec<SqlTable>,
    log_index: Vec<u64>,
}

/// Whom a demand asks.
#[derive(ToSchema)]
pub struct DemandTarget {
    /// `department` or `theme`.
    #[schema(pattern = "^(department|theme)$")]
    kind: String,
    /// The department's organization id, or the theme.
    value: String,
}

/// A data demand (数据需求).
#[derive(ToSchema)]
pub struct Demand {
    id: String,
    title: String,
    description: String,
    /// The fields the data should have.
    fields: Vec<String>,
    purpose_category: PurposeCategory,
    target: DemandTarget,
    /// The id of the dataset it extends.
    extends_dataset_id: Option<String>,
    /// The filing user's id.
    created_by: String,
    /// Their organization's id.
    created_by_org_id: Option<String>,
    /// Whether an enterprise user filed it.
    enterprise: bool,
    status: DemandStatus,
    /// Unix milliseconds from which an unanswered demand is overdue.
    due_at: i64,
    /// Planned opening date (Unix milliseconds of the day's start in China Standard Time).
    planned_at: Option<i64>,
    rejection_reason: Option<RejectionReason>,
    /// The department's public answer.
    answer: Option<String>,
    answered_by: Option<String>,
    answered_at: Option<i64>,
    fulfilled_dataset_id: Option<String>,
    fulfilled_grant_id: Option<String>,
    fulfilled_at: Option<i64>,
    /// The demand a duplicate was merged into.
    merged_into: Option<String>,
    support_count: i64,
    comment_count: i64,
    /// Unix milliseconds.
    created_at: i64,
    /// Unix milliseconds.
    modified_at: i64,
}

/// A comment on a demand.
#[derive(ToSchema)]
pub struct DemandComment {
    id: String,
    demand_id: String,
    /// The author's user id.
    user_id: String,
    body: String,
    /// Unix milliseconds.
    created_at: i64,
}

/// One step of a demand's public history.
#[derive(ToSchema)]
pub struct DemandHistory {
    id: String,
    demand_id: String,
    /// `filed`, `accept`, `reject`, `fulfil`, `transfer` or `merge`.
    kind: String,
    /// Who acted (user id).
    actor_id: Option<String>,
    /// What changed.
    #[schema(value_type = Object)]
    detail: serde_json::Value,
    /// Unix milliseconds.
    created_at: i64,
}

/// Comments on a demand.
#[derive(ToSchema)]
pub struct DemandCommentList {
    comments: Vec<DemandComment>,
}

/// The history of a demand.
#[derive(ToSchema)]
pub struct DemandHistoryList {
    history: Vec<DemandHistory>,
}

// ---------------------------------------------------------------------------------------------
// Plain data types of the application layer, as the API shows them.

/// Fields of a dataset as the API and forms submit them.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetInput {
    /// Slug (create only): 2 to 100 lower-case letters, digits, `-` and `_`.
    #[serde(default)]
    #[schema(nullable = false, pattern = "^[a-z0-9][a-z0-9_-]{1,99}$")]
    name: Option<String>,
    /// Owning organization's slug (create only; defaults to the caller's organization).
    #[serde(default)]
    #[schema(nullable = false)]
    organization: Option<String>,
    /// Title (required to create; never blank).
    #[serde(default)]
    #[schema(nullable = false, max_length = 200, pattern = "\\S")]
    title: Option<String>,
    /// Description.
    #[serde(default)]
    #[schema(nullable = false, max_length = 20000)]
    description: Option<String>,
    /// Themes, each at most 100 characters.
    #[serde(default)]
    #[schema(nullable = false, max_items = 50)]
    themes: Option<Vec<String>>,
    /// Tags, each at most 100 characters.
    #[serde(default)]
    #[schema(nullable = false, max_items = 50)]
    tags: Option<Vec<String>>,
    /// Update frequency.
    #[serde(default)]
    #[schema(nullable = false, max_length = 500)]
    update_frequency: Option<String>,
    /// License.
    #[serde(default)]
    #[schema(nullable = false, max_length = 500)]
    license: Option<String>,
    /// Spatial coverage.
    #[serde(default)]
    #[schema(nullable = false, max_length = 500)]
    spatial: Option<String>,
    /// Temporal coverage.
    #[serde(default)]
    #[schema(nullable = false, max_length = 500)]
    temporal: Option<String>,
    /// Contact point.
    #[serde(default)]
    #[schema(nullable = false, max_length = 500)]
    contact: Option<String>,
    /// Domain.
    #[serde(default)]
    #[schema(value_type = Option<Domain>, nullable = false)]
    domain: Option<Domain>,
    /// Opening type.
    #[serde(default)]
    #[schema(value_type = Option<OpeningType>, nullable = false)]
    opening_type: Option<OpeningType>,
    /// Importance.
    #[serde(default)]
    #[schema(value_type = Option<Importance>, nullable = false)]
    importance: Option<Importance>,
}

/// What the publisher says about one column (the data dictionary).
#[derive(ToSchema)]
pub struct ColumnNote {
    /// The column's name, as in the latest version.
    column: String,
    /// What the column holds (at most 500 characters; public).
    #[schema(max_length = 500)]
    description: Option<String>,
    /// Part of the resource's key.
    key: Option<bool>,
    /// The column the rows are kept in order of (at most one); versions uploaded from then on
    /// are sorted by it, earlier ones by `gongshu versions rewrite`.
    order: Option<bool>,
}

/// One column of a data dictionary.
#[derive(ToSchema)]
pub struct DictionaryColumn {
    /// Name in the latest version.
    name: String,
    /// Stored type (`string`, `int64`, …).
    data_type: String,
    /// What the column holds; empty when undescribed.
    description: String,
    /// Part of the key.
    key: bool,
    /// The column the rows are kept in order of.
    order: bool,
}

/// A resource's data dictionary over its latest version's columns.
#[derive(ToSchema)]
pub struct Dictionary {
    /// The resource's name.
    resource: String,
    /// The latest version's number; null before the first upload.
    version: Option<i64>,
    /// Every column of the latest version, in file order.
    columns: Vec<DictionaryColumn>,
    /// The key's columns (empty: none declared).
    key: Vec<String>,
    /// The column the rows are kept in order of; null when none is declared.
    order: Option<String>,
    /// Columns with a description.
    described: i64,
    /// Whether the columns are withheld from this caller (a not-open dataset).
    withheld: bool,
}

/// What happened to a requested classification change.
#[derive(ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ChangeOutcome {
    /// Nothing to change.
    Unchanged,
    /// Applied at once (stricter, or by the authority).
    Applied,
    /// Looser: filed as a request for the authority.
    RequestFiled {
        /// The request.
        #[schema(value_type = ChangeRequest)]
        request: Box<ChangeRequest>,
    },
}

/// Input for a new organization.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgInput {
    /// Slug: 2 to 100 lower-case letters, digits, `-` and `_`, starting with a letter or digit.
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{1,99}$")]
    name: String,
    /// Title.
    #[schema(min_length = 1)]
    title: String,
    /// Kind.
    #[schema(value_type = OrgKind)]
    kind: OrgKind,
    /// 统一社会信用代码, required for enterprises.
    #[serde(default)]
    #[schema(nullable = false)]
    uscc: Option<String>,
    /// Free text.
    #[serde(default)]
    description: String,
}

/// Input for a new user.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    /// Login name: 2 to 64 letters, digits, `-`, `_` and `.`.
    #[schema(pattern = "^[A-Za-z0-9._-]{2,64}$")]
    username: String,
    /// Shown name; defaults to the username.
    #[serde(default)]
    #[schema(nullable = false)]
    display_name: Option<String>,
    /// Role.
    #[schema(value_type = Role)]
    role: Role,
    /// Organization slug, for roles bound to one.
    #[serde(default)]
    #[schema(nullable = false)]
    organization: Option<String>,
    /// Initial password, at least 8 characters.
    #[schema(min_length = 8)]
    password: String,
}

/// An application as the API and the portal submit it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    /// Dataset slug.
    dataset: String,
    /// Columns asked for.
    #[schema(min_items = 1)]
    columns: Vec<String>,
    /// Optional row conditions, at most 20.
    #[serde(default)]
    #[schema(value_type = Vec<Condition>, max_items = 20)]
    row_filter: Vec<Condition>,
    /// Modes (`api`, `download`, `clean_room`).
    #[schema(value_type = Vec<Mode>, min_items = 1)]
    modes: Vec<Mode>,
    /// Days, 1 to 365.
    #[schema(minimum = 1, maximum = 365)]
    duration_days: i64,
    /// Rows per day; none for no quota.
    #[serde(default)]
    #[schema(nullable = false, minimum = 1)]
    daily_row_quota: Option<i64>,
    /// Purpose category code.
    #[schema(value_type = PurposeCategory)]
    purpose_category: PurposeCategory,
    /// Purpose, at most 2,000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    purpose: String,
    /// Usage scenario, at most 2,000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    scenario: String,
    /// Apply on behalf of the caller's organization (enterprise users and staff); defaults to
    /// true for roles bound to an organization.
    #[serde(default)]
    #[schema(nullable = false)]
    on_behalf_of_organization: Option<bool>,
    /// Submit at once, accepting the agreement whose SHA-256 is given (see `GET /api/v1/agreement`).
    #[serde(default)]
    #[schema(nullable = false)]
    accept_agreement: Option<String>,
}

/// A reviewer's decision.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `approve` or `reject`.
    decision: ReviewDecision,
    /// Narrowed columns (approve; defaults to those asked for).
    #[serde(default)]
    #[schema(nullable = false, min_items = 1)]
    columns: Option<Vec<String>>,
    /// Extra row conditions added by the reviewer (approve).
    #[serde(default)]
    #[schema(value_type = Vec<Condition>)]
    add_row_filter: Vec<Condition>,
    /// Narrowed modes (approve).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Mode>>, nullable = false, min_items = 1)]
    modes: Option<Vec<Mode>>,
    /// Narrowed duration (approve).
    #[serde(default)]
    #[schema(nullable = false, minimum = 1, maximum = 365)]
    duration_days: Option<i64>,
    /// Narrowed quota (approve).
    #[serde(default)]
    #[schema(nullable = false, minimum = 1)]
    daily_row_quota: Option<i64>,
    /// Reason (required to reject) or remark, at most 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    note: String,
}

/// Approve or reject.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Approve, possibly narrowed.
    Approve,
    /// Reject with a reason.
    Reject,
}

/// A result (成果) as the grantee reports it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReuseInput {
    /// Kind.
    #[schema(value_type = ResultKind)]
    kind: ResultKind,
    /// Title, at most 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// Description, at most 4,000 characters.
    #[serde(default)]
    #[schema(max_length = 4000)]
    description: String,
    /// An http:// or https:// link of at most 500 characters.
    #[serde(default)]
    #[schema(nullable = false, max_length = 500, pattern = "^https?://[^\\s]+$")]
    url: Option<String>,
}

/// A dataset with its organization, resources, versions and columns, as one viewer may see it.
#[derive(ToSchema)]
pub struct DatasetView {
    /// The dataset record.
    #[serde(flatten)]
    #[schema(value_type = Dataset)]
    dataset: Dataset,
    /// Owner.
    organization: OrgRef,
    /// Resources with versions and columns.
    resources: Vec<ResourceView>,
    /// Whether the viewer may change it.
    can_edit: bool,
    /// Whether the columns are withheld (a not-open dataset seen by someone other than its owner).
    columns_withheld: bool,
}

/// Short reference to an organization.
#[derive(ToSchema)]
pub struct OrgRef {
    /// Slug.
    name: String,
    /// Title.
    title: String,
    /// Kind code.
    #[schema(value_type = OrgKind)]
    kind: String,
}

/// A resource with its versions (newest first) and the columns of the latest one.
#[derive(ToSchema)]
pub struct ResourceView {
    /// The resource.
    #[serde(flatten)]
    #[schema(value_type = Resource)]
    resource: Resource,
    /// Versions, newest first, without their per-column detail.
    versions: Vec<VersionSummary>,
    /// Columns of the latest version with their grades.
    columns: Vec<ColumnView>,
}

/// A version without columns.
#[derive(ToSchema)]
pub struct VersionSummary {
    /// Id.
    id: String,
    /// Number.
    number: i64,
    /// Upload format.
    source_format: String,
    /// Upload name.
    source_name: String,
    /// Detected encoding.
    source_encoding: Option<String>,
    /// Rows.
    row_count: i64,
    /// Parquet bytes.
    byte_size: i64,
    /// Parquet SHA-256.
    sha256: String,
    /// Unix ms.
    created_at: i64,
}

/// One column as the viewer may see it.
#[derive(ToSchema)]
pub struct ColumnView {
    /// Name.
    name: String,
    /// Type.
    data_type: String,
    /// Grade in force.
    #[schema(value_type = Grade)]
    grade: Grade,
    /// Whether the publisher confirmed the grade.
    confirmed: bool,
    /// Grade ingest proposed.
    #[schema(value_type = Grade)]
    proposed_grade: Grade,
    /// Personal information found.
    #[schema(value_type = Vec<PiiFinding>)]
    findings: Vec<PiiFinding>,
    /// Profile (count, null rate, distinct estimate; min, max and top values only where the
    /// viewer may see values).
    #[schema(value_type = Object)]
    profile: serde_json::Value,
    /// Whether the profile's values were withheld.
    values_hidden: bool,
    /// What the column holds, from the data dictionary; empty when undescribed.
    description: String,
    /// Part of the resource's declared key.
    key: bool,
    /// The column the rows are declared to be kept in order of.
    order: bool,
}

/// One row of the list.
#[derive(ToSchema)]
#[schema(as = OpeningListRow)]
pub struct Row {
    /// Dataset slug.
    name: String,
    /// Title.
    title: String,
    /// Organization slug.
    organization: String,
    /// Organization title.
    organization_title: String,
    /// Opening type code.
    #[schema(value_type = OpeningType)]
    opening_type: String,
    /// Opening type label in Chinese.
    opening_type_label: String,
    /// Conditions of use, in Chinese and English.
    conditions: String,
    /// Update frequency as published.
    update_frequency: String,
    /// Dataset grade.
    #[schema(value_type = Grade)]
    grade: String,
    /// Domain code.
    #[schema(value_type = Domain)]
    domain: String,
    /// Themes.
    themes: Vec<String>,
    /// Last change, RFC 3339.
    modified: String,
}

/// How the caller reads the data, reported with every result.
#[derive(ToSchema)]
pub struct AccessSummary {
    /// `owner`, `open`, `grant`.
    #[schema(value_type = String, pattern = "^(owner|open|grant|none)$")]
    basis: &'static str,
    /// Grant used.
    grant_id: Option<String>,
    /// Rows left today under the grant, after this request.
    quota_remaining: Option<i64>,
    /// How many of the dataset's columns are hidden from the caller.
    hidden_columns: usize,
    /// Columns shown masked.
    masked_columns: Vec<String>,
}

/// A demand as it is filed: a department or a theme is asked.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandInput {
    /// Title, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// What data is needed and why, 1 to 4,000 characters.
    #[schema(min_length = 1, max_length = 4000)]
    description: String,
    /// The fields the data should have, at most 50 of at most 100 characters.
    #[serde(default)]
    #[schema(max_items = 50)]
    fields: Vec<String>,
    /// What the data is for.
    purpose_category: PurposeCategory,
    /// The department asked (its slug); give this or `theme`.
    #[serde(default)]
    #[schema(nullable = false)]
    department: Option<String>,
    /// A theme, for data no one department holds (the authority answers).
    #[serde(default)]
    #[schema(nullable = false, max_length = 100)]
    theme: Option<String>,
    /// The slug of a dataset the demand extends.
    #[serde(default)]
    #[schema(nullable = false)]
    extends: Option<String>,
}

/// Accept or reject.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerDecision {
    /// Accept, with a planned date.
    Accept,
    /// Do not accept, with a reason.
    Reject,
}

/// A department's answer to a demand.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    decision: AnswerDecision,
    /// Accepting: the planned opening date, `YYYY-MM-DD`, today or later.
    #[serde(default)]
    #[schema(nullable = false, format = Date)]
    planned_date: Option<String>,
    /// Rejecting: the reason category.
    #[serde(default)]
    #[schema(nullable = false)]
    reason: Option<RejectionReason>,
    /// The public answer; required to reject.
    #[serde(default)]
    #[schema(max_length = 4000)]
    text: String,
}

/// What fulfils an accepted demand: a dataset or a grant.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilInput {
    /// The dataset's slug.
    #[serde(default)]
    #[schema(nullable = false)]
    dataset: Option<String>,
    /// The grant's id.
    #[serde(default)]
    #[schema(nullable = false)]
    grant: Option<String>,
}

/// A demand as the public sees it.
#[derive(ToSchema)]
pub struct DemandView {
    #[serde(flatten)]
    demand: Demand,
    /// The department's slug, for a demand that asks a department.
    department: Option<String>,
    /// Whom it asks: the department's title or the theme.
    target_title: String,
    /// The slug of the extended dataset.
    extends: Option<String>,
    /// The slug of the dataset that fulfilled it.
    fulfilled_dataset: Option<String>,
    /// Whether it is still unanswered after its deadline.
    overdue: bool,
}

/// A page of demands.
#[derive(ToSchema)]
pub struct DemandPage {
    /// Demands matching the filter, over all pages.
    total: i64,
    offset: i64,
    limit: i64,
    demands: Vec<DemandView>,
}

/// A draft as a department publishes it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationInput {
    /// Title of the draft, at most 200 characters.
    #[schema(max_length = 200)]
    title: String,
    /// What the draft is about.
    summary: String,
    /// Who may take part (default everyone signed in).
    #[serde(default)]
    #[schema(nullable = false)]
    audience: Option<Audience>,
    /// The first day open, `YYYY-MM-DD`, today or later (default today).
    #[serde(default)]
    #[schema(nullable = false, format = Date)]
    opens: Option<String>,
    /// The last day open, `YYYY-MM-DD` (default: 30 days in all).
    #[serde(default)]
    #[schema(nullable = false, format = Date)]
    closes: Option<String>,
    /// Why the period is shorter than 30 days; required then, and shown publicly.
    #[serde(default)]
    #[schema(nullable = false)]
    short_reason: Option<String>,
    /// The articles (条), numbered 1, 2, 3, … in this order.
    #[schema(min_items = 1, max_items = 500)]
    articles: Vec<ArticleInput>,
}

/// One article of a draft.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    /// Its heading.
    #[serde(default)]
    heading: String,
    /// Its text.
    body: String,
}

/// An article of a draft.
#[derive(ToSchema)]
pub struct Article {
    /// 1, 2, 3, ….
    number: i64,
    heading: String,
    body: String,
}

/// A comment as written.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// The article's number; absent for the whole draft.
    #[serde(default)]
    #[schema(nullable = false, minimum = 1)]
    article: Option<i64>,
    stance: Stance,
    /// At most 4,000 characters.
    #[schema(max_length = 4000)]
    body: String,
}

/// The department's answer to a comment.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentAnswerInput {
    adoption: Adoption,
    /// The answer; required as the reason when not adopted.
    #[serde(default)]
    text: String,
}

/// A consultation as the public sees it.
#[derive(ToSchema)]
pub struct ConsultationView {
    id: String,
    /// The department running it (organization id).
    org_id: String,
    title: String,
    summary: String,
    audience: Audience,
    /// Unix milliseconds.
    opens_at: i64,
    /// Unix milliseconds.
    closes_at: i64,
    /// Why the period is shorter than 30 days.
    short_reason: Option<String>,
    /// When every comment must have an answer (Unix ms).
    answers_due_at: i64,
    result_summary: Option<String>,
    /// Unix milliseconds.
    result_published_at: Option<i64>,
    comment_count: i64,
    created_by: String,
    /// Unix milliseconds.
    created_at: i64,
    /// Unix milliseconds.
    modified_at: i64,
    /// The department's slug.
    department: String,
    department_title: String,
    phase: Phase,
    /// Whether the answers are overdue now.
    overdue: bool,
}

/// A comment as the public sees it.
#[derive(ToSchema)]
pub struct CommentView {
    id: String,
    /// The article; null for the whole draft.
    article: Option<i64>,
    /// `citizen`, `enterprise` or `government`.
    #[schema(pattern = "^(citizen|enterprise|government)$")]
    participant: String,
    /// The enterprise's or department's name; null for citizens.
    organization: Option<String>,
    stance: Stance,
    /// Empty when hidden or withdrawn.
    body: String,
    support_count: i64,
    withdrawn: bool,
    hidden_reason: Option<String>,
    adoption: Option<Adoption>,
    answer: Option<String>,
    /// Unix milliseconds.
    answered_at: Option<i64>,
    /// Unix milliseconds.
    created_at: i64,
    /// Whether the caller wrote it.
    mine: bool,
}

/// A PDF attached to a draft.
#[derive(ToSchema)]
pub struct ConsultationAttachment {
    id: String,
    consultation_id: String,
    /// The file's name as uploaded.
    name: String,
    byte_size: i64,
    /// SHA-256 of the file, hex.
    sha256: String,
    /// Unix milliseconds.
    created_at: i64,
}

/// A consultation with its articles and comments.
#[derive(ToSchema)]
pub struct ConsultationDetail {
    #[serde(flatten)]
    view: ConsultationView,
    articles: Vec<Article>,
    attachments: Vec<ConsultationAttachment>,
    comments: Vec<CommentView>,
}

/// A page of consultations.
#[derive(ToSchema)]
pub struct ConsultationPage {
    total: i64,
    offset: i64,
    limit: i64,
    consultations: Vec<ConsultationView>,
}

/// Stance counts of an article (or the whole draft).
#[derive(ToSchema)]
pub struct ArticleCounts {
    /// Null for the whole draft.
    article: Option<i64>,
    support: i64,
    oppose: i64,
    neutral: i64,
}

/// The statistics of a consultation.
#[derive(ToSchema)]
pub struct ConsultationStats {
    /// Visible comments.
    comments: i64,
    hidden: i64,
    withdrawn: i64,
    by_article: Vec<ArticleCounts>,
    /// Distinct participants with a visible comment.
    participants: i64,
    citizens: i64,
    enterprises: i64,
    private_enterprises: i64,
    /// Small, medium and micro enterprises.
    smes: i64,
    government: i64,
    adopted: i64,
    partly: i64,
    not_adopted: i64,
    unanswered: i64,
    /// (Adopted + partly) out of answered; null before any answer.
    adoption_rate: Option<f64>,
}

/// One of the caller's comments, with the demand it is on.
#[derive(ToSchema)]
pub struct CommentActivity {
    id: String,
    demand_id: String,
    demand_title: String,
    body: String,
    /// Unix milliseconds.
    created_at: i64,
}

/// The caller's participation.
#[derive(ToSchema)]
pub struct Activity {
    /// Demands the caller filed, newest first, with the department's answers.
    filed: Vec<DemandView>,
    /// Demands the caller supports, most recently supported first.
    supported: Vec<DemandView>,
    /// The caller's comments on demands, newest first.
    comments: Vec<CommentActivity>,
    /// The caller's comments on consultations with the answers, newest first.
    consultation_comments: Vec<ConsultationCommentActivity>,
}

/// One of the caller's comments on a consultation, with the department's answer.
#[derive(ToSchema)]
pub struct ConsultationCommentActivity {
    id: String,
    consultation_id: String,
    consultation_title: String,
    /// Null for the whole draft.
    article: Option<i64>,
    stance: Stance,
    body: String,
    withdrawn: bool,
    hidden_reason: Option<String>,
    adoption: Option<Adoption>,
    answer: Option<String>,
    /// Unix milliseconds.
    created_at: i64,
}

/// One row of the demand statistics: a department, a theme, or all demands.
#[derive(ToSchema)]
pub struct DemandStatRow {
    /// `department`, `theme` or `all`.
    #[schema(pattern = "^(department|theme|all)$")]
    kind: String,
    /// The department's slug or the theme; empty for all.
    key: String,
    /// The department's title or the theme; empty for all.
    title: String,
    /// Demands filed (merged duplicates not counted).
    demands: i64,
    /// Of which filed by enterprise users.
    enterprise: i64,
    /// Supports, summed over the demands.
    supports: i64,
    /// Waiting for an answer.
    open: i64,
    /// Accepted and not yet fulfilled.
    accepted: i64,
    /// Not accepted.
    rejected: i64,
    /// Fulfilled.
    fulfilled: i64,
    /// Open past their deadline now.
    overdue: i64,
    /// Answered after their deadline.
    answered_late: i64,
    /// Accepted (fulfilled or not) out of answered; null before any answer.
    acceptance_rate: Option<f64>,
    /// Fulfilled out of accepted; null before any acceptance.
    fulfilment_rate: Option<f64>,
    /// Median whole days from filing to answer; null before any answer.
    median_days_to_answer: Option<f64>,
}

/// The published statistics of demands.
#[derive(ToSchema)]
pub struct DemandStats {
    /// When they were computed (Unix ms); overdue counts are as of then.
    as_of: i64,
    /// Per department asked, most demands first.
    departments: Vec<DemandStatRow>,
    /// Per theme asked, most demands first.
    themes: Vec<DemandStatRow>,
    /// All demands.
    total: DemandStatRow,
}

/// An updated dataset and what happened to a requested opening type.
#[derive(ToSchema)]
pub struct Updated {
    dataset: DatasetView,
    #[serde(flatten)]
    outcome: ChangeOutcome,
}

/// The body of a new dataset: [`DatasetInput`] with `name` and `title`, which creation needs.
pub struct NewDataset;

impl PartialSchema for NewDataset {
    fn schema() -> RefOr<Schema> {
        let mut schema = <DatasetInput as PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required = vec!["name".into(), "title".into()];
            object.description = Some(
                "A new dataset: `name` and `title` are required; `organization` defaults to the caller's."
                    .into(),
            );
        }
        schema
    }
}

impl ToSchema for NewDataset {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <DatasetInput as ToSchema>::schemas(schemas);
    }
}

/// The body of a dataset update: the fields of [`DatasetInput`] to change, and `reason` for a
/// looser opening type. The handler splits `reason` off by hand (see there), so the schema is
/// [`DatasetInput`]'s with that one property added.
pub struct DatasetPatch;

impl PartialSchema for DatasetPatch {
    fn schema() -> RefOr<Schema> {
        let mut schema = <DatasetInput as PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.properties.insert(
                "reason".into(),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Why; needed to loosen the opening type."))
                    .into(),
            );
            object.description =
                Some("The fields to change, and `reason` for a looser opening type.".into());
        }
        schema
    }
}

impl ToSchema for DatasetPatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <DatasetInput as ToSchema>::schemas(schemas);
    }
}

// ---------------------------------------------------------------------------------------------
// Feedback on public services (C10).

/// An allowed value of a list question.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeValue {
    key: String,
    name: String,
}

/// A service's extra question (Open311's attribute).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// Submitted as `attribute[code]` on Open311, or as a key of `attributes`.
    code: String,
    datatype: AttributeType,
    #[serde(default)]
    required: bool,
    /// The question.
    description: String,
    #[serde(default)]
    datatype_description: String,
    #[serde(default)]
    order: i64,
    /// Allowed values, for the list types.
    #[serde(default)]
    values: Vec<AttributeValue>,
}

/// A service as the authority defines it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// Letters, digits, `_` and `-`.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    code: String,
    name: String,
    #[serde(default)]
    name_en: String,
    description: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    attributes: Vec<Attribute>,
    /// The responsible department's slug.
    department: String,
    /// Whether it takes new feedback (default true).
    #[serde(default)]
    active: bool,
}

/// A service (Open311's service), routed to a department.
#[derive(ToSchema)]
pub struct ServiceView {
    code: String,
    name: String,
    name_en: String,
    description: String,
    group: String,
    keywords: Vec<String>,
    attributes: Vec<Attribute>,
    /// The department's organization id.
    org_id: String,
    active: bool,
    /// Unix milliseconds.
    created_at: i64,
    /// Unix milliseconds.
    modified_at: i64,
    /// The department's slug.
    department: String,
    department_title: String,
}

/// The services.
#[derive(ToSchema)]
pub struct ServiceList {
    services: Vec<ServiceView>,
}

/// Private contact details of a submitter.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    name: Option<String>,
    /// A mobile or a landline with area code.
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// The private contact of an item.
#[derive(ToSchema)]
pub struct ContactAnswer {
    /// `null` when none was given.
    contact: Option<Contact>,
}

/// Feedback as the public sees it: personal information in the description masked, the
/// contact never shown.
#[derive(ToSchema)]
pub struct FeedbackView {
    /// Open311's `service_request_id`.
    id: String,
    /// The public Open311 token.
    token: String,
    service_code: String,
    /// The handling department's organization id.
    org_id: String,
    /// Why the department hid the description, when it did.
    hidden_reason: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    address: Option<String>,
    /// Answers to the service's questions.
    attributes: std::collections::HashMap<String, Vec<String>>,
    status: FeedbackStatus,
    /// The latest public status note.
    status_note: Option<String>,
    /// Unix milliseconds from which an item still submitted is overdue.
    due_at: i64,
    /// The expected date given when accepted (Unix ms of the day's start, China Standard Time).
    expected_at: Option<i64>,
    first_answered_at: Option<i64>,
    closed_at: Option<i64>,
    resolved_at: Option<i64>,
    /// The submitter's satisfaction, 1–5, since it last closed.
    rating: Option<i64>,
    reopen_count: i64,
    photo_count: i64,
    /// Unix milliseconds.
    created_at: i64,
    /// Unix milliseconds.
    modified_at: i64,
    /// The description with citizen IDs, bank cards and mobile numbers masked; `null` when
    /// hidden.
    description: Option<String>,
    service_name: String,
    service_name_en: String,
    /// The handling department's slug.
    department: String,
    department_title: String,
    /// Still without a first answer after its deadline.
    overdue: bool,
}

/// A photo of an item.
#[derive(ToSchema)]
pub struct PhotoView {
    id: String,
    #[schema(pattern = "^image/(jpeg|png)$")]
    media_type: String,
    width: i64,
    height: i64,
}

/// One step of an item's public history.
#[derive(ToSchema)]
pub struct FeedbackStep {
    /// Open311's `update_id`.
    id: String,
    feedback_id: String,
    kind: FeedbackEvent,
    /// The state after the step.
    status: FeedbackStatus,
    /// The public note, possibly empty.
    note: String,
    /// The handling department after the step (organization id).
    org_id: String,
    /// Unix milliseconds.
    created_at: i64,
    department_title: String,
}

/// An item with its history and photos.
#[derive(ToSchema)]
pub struct FeedbackDetail {
    #[serde(flatten)]
    view: FeedbackView,
    history: Vec<FeedbackStep>,
    photos: Vec<PhotoView>,
}

/// A page of feedback.
#[derive(ToSchema)]
pub struct FeedbackPage {
    offset: i64,
    limit: i64,
    /// Whether more items match.
    more: bool,
    items: Vec<FeedbackView>,
}

/// What the submitter gets back.
#[derive(ToSchema)]
pub struct Submitted {
    feedback: FeedbackView,
    /// The private link's key: shown once, needed to rate or reopen without an account.
    key: String,
}

/// The department's step.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackAction {
    /// `accept`, `start`, `resolve`, `reject`, `transfer`, `note` or `hide`.
    action: FeedbackEvent,
    /// The public note: required to reject, to hide (the reason) and for a plain note.
    #[serde(default)]
    note: String,
    /// Accepting: the expected date, `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(nullable = false)]
    expected_date: Option<String>,
    /// Transferring: the department's slug.
    #[serde(default)]
    #[schema(nullable = false)]
    department: Option<String>,
}

/// One row of the feedback statistics: a service, a department, or all items.
#[derive(ToSchema)]
pub struct FeedbackStatRow {
    #[schema(pattern = "^(service|department|all)$")]
    kind: String,
    /// The service code or department slug; empty for all.
    key: String,
    title: String,
    total: i64,
    resolved: i64,
    rejected: i64,
    /// Still without a first answer after the deadline, now.
    overdue: i64,
    rated: i64,
    rating_sum: i64,
    resolution_rate: Option<f64>,
    mean_rating: Option<f64>,
    median_hours_to_answer: Option<f64>,
    median_hours_to_resolve: Option<f64>,
}

/// Items per month.
#[derive(ToSchema)]
pub struct FeedbackMonth {
    /// `YYYY-MM`.
    month: String,
    total: i64,
    resolved: i64,
}

/// The published statistics of feedback.
#[derive(ToSchema)]
pub struct FeedbackStats {
    /// When they were computed (Unix ms).
    as_of: i64,
    services: Vec<FeedbackStatRow>,
    departments: Vec<FeedbackStatRow>,
    total: FeedbackStatRow,
    months: Vec<FeedbackMonth>,
}

// ---------------------------------------------------------------------------------------------
// Points and rewards (C12).

code_enum! {
    /// What earns points.
    PointsRule => model::points::PointsRule::ALL.iter().map(|v| v.code())
}
code_enum! {
    /// The kind of a ledger entry.
    EntryKind => model::points::EntryKind::ALL.iter().map(|v| v.code())
}

/// Whether a user appears on the public leaderboard, and under which name.
#[derive(ToSchema)]
pub struct PointsAccount {
    public: bool,
    display_name: String,
}

/// One entry of a user's points history.
#[derive(ToSchema)]
pub struct PointsEntry {
    id: String,
    kind: EntryKind,
    /// The rule's code, or `redemption` for spends and refunds.
    rule: String,
    /// What earned or spent the points.
    object: String,
    /// Always positive; `change` carries the sign.
    #[schema(minimum = 1)]
    points: i64,
    /// When a credit or refund expires (Unix ms), if ever.
    expires_at: Option<i64>,
    note: String,
    created_at: i64,
    /// Positive for credits and refunds, negative for spends and reversals.
    change: i64,
    /// Why, in Chinese.
    reason: String,
    /// Why, in English.
    reason_en: String,
}

/// A redemption of a reward.
#[derive(ToSchema)]
pub struct Redemption {
    id: String,
    reward_id: String,
    points: i64,
    #[schema(pattern = "^(issued|cancelled)$")]
    status: String,
    cancel_reason: Option<String>,
    /// The access log leaf that records it.
    log_index: Option<i64>,
    created_at: i64,
    cancelled_at: Option<i64>,
}

/// A redemption with its code and the reward's name.
#[derive(ToSchema)]
pub struct RedemptionView {
    #[serde(flatten)]
    redemption: Redemption,
    /// The code that collects the reward.
    code: String,
    reward_name: String,
}

/// A user's points.
#[derive(ToSchema)]
pub struct PointsSummary {
    /// Spendable now.
    spendable: i64,
    /// Lifetime points earned (reputation).
    lifetime: i64,
    /// Points that expired unspent.
    expired: i64,
    /// Spendable points that expire within 30 days.
    expiring_soon: i64,
    /// Reputation level, 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    level: i64,
    /// Lifetime points the next level needs.
    next_level_at: Option<i64>,
    leaderboard: PointsAccount,
    /// Newest first.
    history: Vec<PointsEntry>,
    /// Newest first.
    redemptions: Vec<RedemptionView>,
}

/// A rule with its configuration.
#[derive(ToSchema)]
pub struct RuleView {
    rule: PointsRule,
    name: String,
    name_en: String,
    points: i64,
    /// Most points per user and day; `null` for no cap.
    daily_cap: Option<i64>,
    enabled: bool,
    /// Whether the authority changed it from the default.
    configured: bool,
}

/// A reward of the catalog.
#[derive(ToSchema)]
pub struct RewardView {
    id: String,
    name: String,
    name_en: String,
    description: String,
    cost: i64,
    /// Left in stock.
    stock: i64,
    /// Ever put in stock.
    total: i64,
    /// Times one user may redeem it.
    per_user: i64,
    /// Unix ms.
    starts_at: i64,
    /// Unix ms, exclusive.
    ends_at: i64,
    created_at: i64,
    modified_at: i64,
    /// In its period and in stock.
    available: bool,
}

/// A reward as the authority defines it.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardInput {
    /// 1 to 100 characters.
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    description: String,
    /// Points it costs.
    #[schema(minimum = 1, maximum = 1000000)]
    cost: i64,
    /// For a new reward the stock; for a change, stock added.
    #[schema(minimum = 0, maximum = 1000000)]
    stock: i64,
    /// Times one user may redeem it (default 1).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000000)]
    per_user: Option<i64>,
    /// Available from (Unix ms; default now).
    #[serde(default)]
    #[schema(nullable = false)]
    starts_at: Option<i64>,
    /// Available until (Unix ms, exclusive).
    ends_at: i64,
}

/// A place on the leaderboard.
#[derive(ToSchema)]
pub struct LeaderRow {
    rank: i64,
    display_name: String,
    lifetime: i64,
    level: i64,
}

code_enum! {
    /// What completes a task of an activity.
    TaskKind => model::points::TaskKind::ALL.iter().map(|v| v.code())
}

/// A question of a quiz, with its answer (the authority's input).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    text: String,
    /// 2 to 6 choices.
    options: Vec<String>,
    /// The index of the right choice.
    #[schema(minimum = 0)]
    answer: i64,
}

/// A quiz on a policy brief (the authority's input).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizInput {
    /// The brief to read first.
    #[serde(default)]
    brief: String,
    /// 1 to 20 questions.
    questions: Vec<QuestionInput>,
    /// The share of right answers that passes (default 0.6).
    #[serde(default)]
    #[schema(nullable = false, minimum = 0, maximum = 1)]
    pass: Option<f64>,
    /// Attempts per user, 1 to 10 (default 3).
    #[serde(default)]
    #[schema(nullable = false, minimum = 1, maximum = 10)]
    max_attempts: Option<i64>,
}

/// A task (the authority's input).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    kind: TaskKind,
    /// For `feedback` a service code, for `comment` a consultation id; empty for any.
    #[serde(default)]
    target: String,
    title: String,
    #[schema(minimum = 1, maximum = 10000)]
    points: i64,
    /// The quiz of a `quiz` task.
    #[serde(default)]
    #[schema(nullable = false)]
    quiz: Option<QuizInput>,
}

/// An activity (the authority's input).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    title: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    description: String,
    /// From (Unix ms; default now).
    #[serde(default)]
    #[schema(nullable = false)]
    starts_at: Option<i64>,
    /// Until (Unix ms, exclusive).
    ends_at: i64,
    /// 1 to 20 tasks.
    tasks: Vec<TaskInput>,
}

/// A question as participants see it.
#[derive(ToSchema)]
pub struct QuestionView {
    text: String,
    options: Vec<String>,
}

/// A task with the caller's progress.
#[derive(ToSchema)]
pub struct TaskView {
    id: String,
    activity_id: String,
    position: i64,
    kind: TaskKind,
    target: String,
    title: String,
    points: i64,
    brief: Option<String>,
    /// A quiz's questions, without answers.
    questions: Vec<QuestionView>,
    max_attempts: Option<i64>,
    /// Whether the caller has done it.
    done: bool,
    /// The caller's attempts at its quiz.
    attempts: i64,
}

/// An activity with its tasks.
#[derive(ToSchema)]
pub struct ActivityView {
    id: String,
    title: String,
    title_en: String,
    description: String,
    starts_at: i64,
    ends_at: i64,
    created_at: i64,
    /// Whether it runs now.
    running: bool,
    tasks: Vec<TaskView>,
    /// Tasks the caller has done.
    done: i64,
}

/// A graded attempt at a quiz.
#[derive(ToSchema)]
pub struct AttemptResult {
    id: String,
    task_id: String,
    /// 1 for the first.
    attempt: i64,
    answers: Vec<Option<i64>>,
    /// Right answers.
    score: i64,
    passed: bool,
    created_at: i64,
    questions: i64,
    /// Points this attempt granted.
    points: i64,
    attempts_left: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trips<T: serde::de::DeserializeOwned + serde::Serialize>(codes: &[&str]) -> usize {
        for code in codes {
            let v: T =
                serde_json::from_value(json!(code)).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(serde_json::to_value(&v).unwrap(), json!(code));
        }
        codes.len()
    }

    #[test]
    fn hand_written_enums_match_serde() {
        use model::access::GrantState as G;
        use model::application::ReviewStep as R;
        use store::RequestStatus as S;
        // Every variant's serialization is listed, and every listed value parses.
        assert_eq!(round_trips::<R>(REVIEW_STEPS), 2);
        for s in [R::Department, R::Authority] {
            assert!(REVIEW_STEPS.contains(&serde_json::to_value(s).unwrap().as_str().unwrap()));
        }
        assert_eq!(round_trips::<S>(REQUEST_STATUSES), 3);
        for s in [S::Pending, S::Approved, S::Rejected] {
            assert!(REQUEST_STATUSES.contains(&s.code()));
        }
        for s in [G::Active, G::Pending, G::Expired, G::Revoked] {
            let v = serde_json::to_value(s).unwrap();
            assert!(GRANT_STATES.contains(&v.as_str().unwrap()), "{v}");
        }
        assert_eq!(GRANT_STATES.len(), 4);
    }

    /// The property names a schema documents.
    fn properties<T: PartialSchema>() -> std::collections::BTreeSet<String> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        schema["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no properties in {schema}"))
            .keys()
            .cloned()
            .collect()
    }

    /// Every property a request schema documents is one the application layer's type accepts:
    /// the inputs deny unknown fields, so a renamed field would fail here.
    fn accepts_every_documented_field<T: PartialSchema, I: serde::de::DeserializeOwned>() {
        for field in properties::<T>() {
            if let Err(e) = serde_json::from_value::<I>(json!({ field.clone(): null })) {
                assert!(
                    !e.to_string().contains("unknown field"),
                    "`{field}` is documented but not accepted: {e}"
                );
            }
        }
    }

    #[test]
    fn request_schemas_match_the_application_inputs() {
        accepts_every_documented_field::<DatasetInput, app::catalog::DatasetInput>();
        accepts_every_documented_field::<NewOrgInput, app::accounts::NewOrgInput>();
        accepts_every_documented_field::<NewUserInput, app::accounts::NewUserInput>();
        accepts_every_documented_field::<ApplicationInput, app::grants::ApplicationInput>();
        accepts_every_documented_field::<ReviewInput, app::grants::ReviewInput>();
        accepts_every_documented_field::<ReuseInput, app::grants::ReuseInput>();
        accepts_every_documented_field::<DemandInput, app::demands::DemandInput>();
        accepts_every_documented_field::<AnswerInput, app::demands::AnswerInput>();
        accepts_every_documented_field::<FulfilInput, app::demands::FulfilInput>();
        accepts_every_documented_field::<RewardInput, app::points::RewardInput>();
        accepts_every_documented_field::<ActivityInput, app::activities::ActivityInput>();
        accepts_every_documented_field::<TaskInput, app::activities::TaskInput>();
        accepts_every_documented_field::<ConsultationInput, app::consultations::ConsultationInput>(
        );
        accepts_every_documented_field::<CommentInput, app::consultations::CommentInput>();
        accepts_every_documented_field::<CommentAnswerInput, app::consultations::AnswerInput>();
    }

    /// The keys serde writes for `value` are exactly the properties `T` documents.
    fn documents_exactly<T: PartialSchema>(value: impl serde::Serialize) {
        let v = serde_json::to_value(value).unwrap();
        let keys: std::collections::BTreeSet<String> =
            v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, properties::<T>(), "{v}");
    }

    #[test]
    fn response_schemas_match_the_application_views() {
        documents_exactly::<AccessSummary>(app::dataservice::AccessSummary {
            basis: "open",
            grant_id: None,
            quota_remaining: None,
            hidden_columns: 0,
            masked_columns: vec![],
        });
        documents_exactly::<OrgRef>(app::views::OrgRef {
            name: "n".into(),
            title: "t".into(),
            kind: "department".into(),
        });
        documents_exactly::<ColumnView>(app::views::ColumnView {
            name: "c".into(),
            data_type: "string".into(),
            grade: model::classification::Grade::L1,
            confirmed: true,
            proposed_grade: model::classification::Grade::L1,
            findings: vec![],
            profile: json!({}),
            values_hidden: false,
            description: "d".into(),
            key: true,
            order: false,
        });
        documents_exactly::<Dictionary>(app::dictionary::Dictionary {
            resource: "r".into(),
            version: Some(1),
            columns: vec![app::dictionary::DictionaryColumn {
                name: "c".into(),
                data_type: "string".into(),
                description: "d".into(),
                key: true,
                order: true,
            }],
            key: vec!["c".into()],
            order: Some("c".into()),
            described: 1,
            withheld: false,
        });
        documents_exactly::<VersionSummary>(app::views::VersionSummary {
            id: "v".into(),
            number: 1,
            source_format: "csv".into(),
            source_name: "a.csv".into(),
            source_encoding: None,
            row_count: 1,
            byte_size: 1,
            sha256: String::new(),
            created_at: 0,
        });
        documents_exactly::<Row>(app::opening_list::Row {
            name: "n".into(),
            title: "t".into(),
            organization: "o".into(),
            organization_title: "o".into(),
            opening_type: "conditional".into(),
            opening_type_label: "有条件开放".into(),
            conditions: String::new(),
            update_frequency: String::new(),
            grade: "L1".into(),
            domain: "government".into(),
            themes: vec![],
            modified: String::new(),
        });
        let row = app::demands::StatRow {
            kind: "department",
            key: "k".into(),
            title: "t".into(),
            counts: model::demand::DemandCounts::default(),
            acceptance_rate: None,
            fulfilment_rate: None,
            median_days_to_answer: None,
        };
        documents_exactly::<DemandStatRow>(row.clone());
        documents_exactly::<ConsultationStats>(app::consultations::ConsultationStats::default());
        documents_exactly::<ArticleCounts>(app::consultations::ArticleCounts::default());
        documents_exactly::<CommentView>(app::consultations::CommentView {
            id: String::new(),
            article: None,
            participant: model::consultation::ParticipantKind::Citizen,
            organization: None,
            stance: model::consultation::Stance::Neutral,
            body: String::new(),
            support_count: 0,
            withdrawn: false,
            hidden_reason: None,
            adoption: None,
            answer: None,
            answered_at: None,
            created_at: 0,
            mine: false,
        });
        documents_exactly::<Activity>(app::activity::Activity {
            filed: vec![],
            supported: vec![],
            comments: vec![],
            consultation_comments: vec![],
        });
        documents_exactly::<ConsultationCommentActivity>(
            app::activity::ConsultationCommentActivity {
                id: String::new(),
                consultation_id: String::new(),
                consultation_title: String::new(),
                article: None,
                stance: model::consultation::Stance::Neutral,
                body: String::new(),
                withdrawn: false,
                hidden_reason: None,
                adoption: None,
                answer: None,
                created_at: 0,
            },
        );
        documents_exactly::<CommentActivity>(app::activity::CommentActivity {
            id: String::new(),
            demand_id: String::new(),
            demand_title: String::new(),
            body: String::new(),
            created_at: 0,
        });
        documents_exactly::<DemandStats>(app::demands::DemandStats {
            as_of: 0,
            departments: vec![],
            themes: vec![],
            total: row,
        });
        documents_exactly::<LogDetail>(app::audit::LogDetail {
            index: 0,
            leaf: String::new(),
            detail: json!(null),
            detail_text: String::new(),
            salt: String::new(),
            commitment_matches: true,
            logged_as: None,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Data quality (C9).

code_enum! {
    /// A dimension of the quality score.
    QualityDimension => model::quality::Dimension::ALL.iter().map(|v| v.code())
}

/// One dimension of a dataset's quality.
#[derive(ToSchema)]
pub struct QualityDimensionView {
    dimension: QualityDimension,
    name: String,
    name_en: String,
    /// Its weight in the score (the weights add up to 1).
    weight: f64,
    /// Its value, 0 to 1.
    value: f64,
}

/// Something that costs points.
#[derive(ToSchema)]
pub struct QualityIssue {
    dimension: QualityDimension,
    /// `empty_cells`, `invalid_cells`, `invalid_identifiers`, `duplicate_rows`, `column_added`, `column_removed`, `column_retyped`, `stale`, `no_frequency`, or `missing_<field>`.
    rule: String,
    /// The column (prefixed by its resource when the dataset has several), if the issue is a column's.
    column: Option<String>,
    /// Cells, rows, columns or days concerned (0 for a missing field).
    count: i64,
    /// Points of the 100 lost.
    points: f64,
}

/// A measured version.
#[derive(ToSchema)]
pub struct QualityHistoryPoint {
    resource: String,
    version: i64,
    /// When published (Unix ms).
    measured_at: i64,
    score: f64,
    letter: String,
}

/// A dataset's quality now.
#[derive(ToSchema)]
pub struct QualityView {
    dataset: String,
    /// 0 to 100; null before any version is measured.
    score: Option<f64>,
    /// A (from 90), B (80), C (70), D (60) or E.
    letter: Option<String>,
    dimensions: Vec<QualityDimensionView>,
    /// Most costly first.
    issues: Vec<QualityIssue>,
    /// Oldest first.
    history: Vec<QualityHistoryPoint>,
    /// Days since the latest version.
    age_days: Option<f64>,
    /// The interval between versions the declared frequency promises, in days.
    interval_days: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// The contribution index and incentive reports (C9).

code_enum! {
    /// Which organizations are ranked together.
    OrgGroup => ["enterprise", "department"].into_iter()
}

/// Usage of an organization's datasets in the period.
#[derive(ToSchema)]
pub struct ContributionUsage {
    previews: i64,
    queries: i64,
    downloads: i64,
    /// Rows delivered by previews, queries and downloads.
    rows: i64,
    applications: i64,
    grants: i64,
    results: i64,
    demands_fulfilled: i64,
    /// Reads of the records by CKAN and DCAT harvesters (reported, not weighted).
    harvests: i64,
}

/// The figures an organization's index is computed from.
#[derive(ToSchema)]
pub struct OrgFigures {
    org_id: String,
    name: String,
    title: String,
    datasets: i64,
    rows: i64,
    versions: i64,
    quality_row_sum: f64,
    quality_rows: i64,
    usage: ContributionUsage,
    versions_on_time: i64,
    versions_expected: i64,
    demands_due: i64,
    demands_on_time: i64,
}

/// One ranked organization.
#[derive(ToSchema)]
pub struct RankedOrg {
    rank: i64,
    figures: OrgFigures,
    volume: f64,
    quality: f64,
    usage: f64,
    regularity: f64,
    /// Departments only.
    responsiveness: Option<f64>,
    /// 0 to 100.
    index: f64,
}

/// The ranked index of a group for a period.
#[derive(ToSchema)]
pub struct Leaderboard {
    period: String,
    kind: OrgGroup,
    entries: Vec<RankedOrg>,
}

/// A published incentive report.
#[derive(ToSchema)]
pub struct IncentiveReport {
    id: String,
    period: String,
    kind: OrgGroup,
    /// Hex SHA-256 of the CSV, also in the access-log leaf `log_index`.
    sha256: String,
    entries: i64,
    published_by: String,
    published_at: i64,
    log_index: Option<i64>,
}

/// How a dataset was used in a period.
#[derive(ToSchema)]
pub struct DatasetUsage {
    dataset: String,
    period: String,
    usage: ContributionUsage,
}

// ---------------------------------------------------------------------------------------------
// The clean room.

/// Declared per-entity bounds of a numeric column.
#[derive(ToSchema)]
pub struct CleanRoomBounds {
    column: String,
    lower: f64,
    upper: f64,
}

/// A dataset's clean-room policy.
#[derive(ToSchema)]
pub struct CleanRoomPolicy {
    /// Columns that identify a person or firm (at least one).
    entity_columns: Vec<String>,
    /// Columns others may join on, as keyed pseudonyms.
    #[schema(default = json!([]))]
    join_keys: Option<Vec<String>>,
    /// k: the fewest distinct entities an output group may cover (2 to 100000, default 10).
    #[schema(minimum = 2, maximum = 100000, default = 10)]
    min_entities: Option<u32>,
    /// Whether COUNT and SUM get Laplace noise charged to the ε budget.
    #[schema(default = false)]
    noise: Option<bool>,
    /// Per-entity bounds of numeric columns, which noise needs for SUM and AVG.
    #[schema(default = json!([]))]
    bounds: Option<Vec<CleanRoomBounds>>,
    /// The most rows one entity has in the table (1 to 1000, default 1).
    #[schema(minimum = 1, maximum = 1000, default = 1)]
    max_rows_per_entity: Option<u32>,
}

/// A dataset's clean-room policy as declared.
#[derive(ToSchema)]
pub struct CleanRoomPolicyView {
    dataset: String,
    /// Its table name in clean-room SQL.
    table: String,
    /// Null until the owner declares one.
    policy: Option<CleanRoomPolicy>,
    /// Unix ms.
    updated_at: Option<i64>,
}

/// One dataset of a clean-room application.
#[derive(ToSchema)]
pub struct CleanRoomPartInput {
    /// The dataset's slug.
    dataset: String,
    /// Columns asked for.
    columns: Vec<String>,
}

/// A clean-room application.
#[derive(ToSchema)]
pub struct CleanRoomInput {
    #[schema(max_length = 200)]
    title: String,
    /// Two to five datasets.
    datasets: Vec<CleanRoomPartInput>,
    purpose_category: PurposeCategory,
    #[schema(max_length = 2000)]
    purpose: String,
    #[schema(max_length = 2000)]
    scenario: String,
    #[schema(minimum = 1, maximum = 365)]
    duration_days: i64,
    /// The ε budget asked for (default 1, at most 10).
    epsilon_budget: Option<f64>,
    on_behalf_of_organization: Option<bool>,
    /// The agreement's SHA-256, to submit every part at once.
    accept_agreement: Option<String>,
}

/// A column of a clean-room view.
#[derive(ToSchema)]
pub struct CleanRoomColumn {
    name: String,
    role: CleanRoomRole,
    /// Whether k is counted on it.
    entity: bool,
    /// Declared bounds `[lower, upper]`, if any.
    #[schema(value_type = Option<Vec<f64>>)]
    bounds: Option<Vec<f64>>,
}

/// One dataset of a clean room.
#[derive(ToSchema)]
pub struct CleanRoomPart {
    dataset: String,
    title: String,
    /// Its table name in clean-room SQL.
    table: String,
    /// Whether it is the holder's own organization's data, which needs no application.
    own: bool,
    /// The application for it (null for own data).
    application_id: Option<String>,
    /// Where the application stands (null for own data).
    status: Option<ApplicationStatus>,
    grant_id: Option<String>,
    grant_state: Option<GrantState>,
    policy: Option<CleanRoomPolicy>,
    /// The join keys this clean room may use.
    join_keys: Vec<String>,
    /// The columns its view offers (for the holder, once the grant is active).
    columns: Vec<CleanRoomColumn>,
}

/// A clean room.
#[derive(ToSchema)]
pub struct CleanRoom {
    id: String,
    title: String,
    epsilon_budget: f64,
    epsilon_spent: f64,
    epsilon_left: f64,
    queries: i64,
    created_at: i64,
    /// Whether every part's grant is active.
    ready: bool,
    /// Whether the caller holds it (and so may query it).
    holder: bool,
    /// The strictest k of its datasets.
    min_entities: u32,
    parts: Vec<CleanRoomPart>,
}

/// Clean rooms.
#[derive(ToSchema)]
pub struct CleanRoomList {
    cleanrooms: Vec<CleanRoom>,
}

/// The groups of a clean-room query.
#[derive(ToSchema)]
pub struct CleanRoomResult {
    fields: Vec<Field>,
    /// One object per group, keyed by column name.
    #[schema(value_type = Vec<Object>)]
    records: Vec<serde_json::Value>,
    row_count: u64,
    truncated: bool,
    /// Groups removed for covering fewer than `min_entities` distinct entities of a dataset.
    suppressed_groups: u64,
    min_entities: u32,
    /// ε this query spent (0 without noise).
    epsilon_spent: f64,
    /// ε left in the clean room.
    epsilon_left: f64,
    /// Noisy values per group.
    noisy_values: u64,
    /// The tables read.
    tables: Vec<String>,
    log_index: Vec<u64>,
}
