//! The OpenAPI 3 document of the JSON API, generated from the `#[utoipa::path]` annotations of
//! the handlers and served at `GET /api/v1/openapi.json`.
//!
//! The model and store crates stay free of utoipa, so the records they define are described
//! here by doc-only schemas (structs that are never built, only read by the derive) and by
//! string enums whose values come from the model's own code tables, so they cannot drift.
//! Types of this crate derive their schema where they are defined.
//!
//! A response schema must never be stricter than what the server sends: the schemathesis test
//! (`tests/it/openapi.rs`) checks every answer it receives against this document.

// The doc-only schemas are never constructed: the derive reads their fields.
#![allow(dead_code)]

use crate::error::Code;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use super::{accounts, applications, data, datasets, requests};

/// The document. Every handler routed under `/api/v1` is listed in `paths`; the integration
/// test compares this list with the routers, in both directions.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gongshu API",
        version = env!("CARGO_PKG_VERSION"),
        description = "The native JSON API of Gongshu (共数), a government open-data platform. \
            Authenticate with `Authorization: Bearer gs_…` API tokens. \
            Every error has the body `{\"error\": {\"code\", \"type\", \"message\"}}` with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    servers((url = "/")),
    paths(
        openapi_json,
        accounts::list_orgs,
        accounts::create_org,
        accounts::show_org,
        accounts::list_users,
        accounts::create_user,
        accounts::me,
        accounts::list_tokens,
        accounts::create_token,
        accounts::revoke_token,
        datasets::list,
        datasets::create,
        datasets::show,
        datasets::update,
        datasets::remove,
        datasets::set_opening_type,
        datasets::upload,
        datasets::list_versions,
        datasets::remove_resource,
        datasets::set_column_grade,
        requests::list,
        requests::decide,
        applications::agreement,
        applications::mine,
        applications::create,
        applications::show,
        applications::submit,
        applications::withdraw,
        applications::review,
        applications::queue,
        applications::my_grants,
        applications::show_grant,
        applications::revoke,
        applications::report,
        applications::dataset_grants,
        applications::dataset_results,
        applications::all_results,
        data::preview,
        data::query_get,
        data::query_post,
        data::aggregate,
        data::download,
        data::sql_get,
        data::sql_post,
        crate::audit::routes::detail,
        crate::interop::opening_list,
    ),
    components(schemas(
        ErrorBody, ErrorType, Role, OrgKind, Domain, Grade, OpeningType, Importance, Mode,
        PurposeCategory, ResultKind, ApplicationStatus, ReviewStep, RequestStatus, GrantState,
        FilterOp, Literal, Filters, Binary,
    )),
    modifiers(&BearerToken),
    tags(
        (name = "meta", description = "This document."),
        (name = "accounts", description = "Organizations, users and API tokens."),
        (name = "datasets", description = "The catalog: datasets, resources, versions and column grades."),
        (name = "change-requests", description = "Requests to lower a grade or an opening type, decided by the data authority."),
        (name = "applications", description = "Applications for conditional data, reviews, grants and reported results (C4)."),
        (name = "data", description = "Reading data: preview, REST query, aggregates, downloads and read-only SQL; every response is logged."),
        (name = "log", description = "The private detail behind access-log entries, for auditors."),
        (name = "catalog", description = "The opening list (开放清单)."),
    )
)]
pub struct ApiDoc;

/// The name of the bearer-token security scheme the handlers refer to.
pub const BEARER: &str = "bearer";

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gs_…")
                    .description(Some(
                        "An API token, created in the portal under “API tokens”, with `gongshu user token`, or with `POST /api/v1/tokens`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as JSON text, built once.
pub fn json_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serializes")
    })
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document.", content_type = "application/json", body = Object)),
)]
pub(super) async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json_text()).into_response()
}

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
    /// A whitelisted filter operator.
    FilterOp => model::filter::Op::ALL.iter().map(|v| v.code())
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
    versions: Vec<crate::views::VersionSummary>,
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
    version: crate::views::VersionSummary,
    /// The columns of the new version with their grades.
    columns: Option<Vec<crate::views::ColumnView>>,
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
    datasets: Vec<crate::interop::opening_list::Row>,
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
    access: super::data::AccessSummary,
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
    access: super::data::AccessSummary,
    log_index: Vec<u64>,
}

/// A table a SQL query read.
#[derive(ToSchema)]
pub struct SqlTable {
    /// The name the query used.
    table: String,
    dataset: String,
    version: i64,
    access: super::data::AccessSummary,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

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

    #[test]
    fn the_document_names_its_schemes_and_schemas() {
        let doc: Value = serde_json::from_str(json_text()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            doc["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
        // Every `$ref` points at a schema the document defines.
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut stack = vec![&doc];
        let mut refs = 0;
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        let name = r.strip_prefix("#/components/schemas/").unwrap();
                        assert!(schemas.contains_key(name), "dangling {r}");
                        refs += 1;
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        assert!(refs > 50, "{refs}");
    }
}
