//! The one enforcement point every data path goes through (DESIGN.md C5).
//!
//! A handler that wants rows calls [`open`] (one dataset) or [`open_sql`] (the tables a SQL text
//! reads). Both look up the caller's grants, ask [`model::access::decide`] for a decision, and hand
//! the query crate a [`query::PolicyTable`] whose view already has the decision applied. Nothing
//! else in the server reads Parquet files; a new data path that bypasses this module is a bug.
//!
//! Quota: rows are charged to the grant *before* they are sent, atomically against the daily
//! quota, so concurrent requests cannot overdraw it and nothing is sent that was not charged.

use crate::audit::Event;
use crate::error::{ApiError, ApiResult, Code};
use crate::state::SharedState;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use model::access::{
    self, AccessRequest, Basis, ColumnPolicy, DatasetPolicy, Decision, Mask, Mode, Principal,
};
use model::classification::Grade;
use model::log::EventKind;
use query::{PolicyTable, QueryError};
use serde_json::{json, Value};
use std::net::IpAddr;
use store::{Dataset, GrantRecord, Resource, User, Version};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// Quota days start at midnight China Standard Time (UTC+8).
const CST_OFFSET_MS: i64 = 8 * 3_600_000;

/// The quota day (days since the epoch, in China Standard Time) of a Unix-millisecond time.
pub fn quota_day(now: i64) -> i64 {
    (now + CST_OFFSET_MS).div_euclid(DAY_MS)
}

/// The principal of a user (or of an anonymous caller).
pub fn principal(user: Option<&User>) -> Principal {
    match user {
        Some(u) => Principal {
            user_id: Some(u.id.clone()),
            role: Some(u.role),
            org_id: u.org_id.clone(),
        },
        None => Principal::anonymous(),
    }
}

/// One resource of one dataset, opened for one caller.
#[derive(Debug, Clone)]
pub struct Access {
    /// The dataset.
    pub dataset: Dataset,
    /// The resource read.
    pub resource: Resource,
    /// Its latest version.
    pub version: Version,
    /// What the caller may see.
    pub decision: Decision,
    /// The daily row quota of the grant used, if it has one.
    pub daily_row_quota: Option<i64>,
    /// The table to hand to the query engine.
    pub table: PolicyTable,
}

impl Access {
    /// The grant used, if any.
    pub fn grant_id(&self) -> Option<&str> {
        match &self.decision.basis {
            Basis::Grant(id) => Some(id),
            _ => None,
        }
    }

    /// The most rows this request may return: the engine's cap, lowered to the quota left.
    pub fn row_budget(&self, cap: usize) -> usize {
        match self.decision.quota_remaining {
            Some(left) => cap.min(left.max(0) as usize),
            None => cap,
        }
    }
}

/// The policy view of a resource's latest version: its columns with grades and masks.
pub async fn dataset_policy(
    state: &SharedState,
    dataset: &Dataset,
    resource: &Resource,
    version: &Version,
) -> ApiResult<DatasetPolicy> {
    let grades = state.store.list_column_grades(&resource.id).await?;
    let columns = version
        .columns
        .iter()
        .map(|c| ColumnPolicy {
            name: c.name.clone(),
            // A column without a stored grade is graded by ingest's proposal; if even that were
            // missing the strictest grade applies.
            grade: grades
                .iter()
                .find(|g| g.column == c.name)
                .map(|g| g.grade)
                .unwrap_or(c.proposed_grade.max(Grade::L1)),
            mask: Mask::for_findings(&c.findings),
        })
        .collect();
    Ok(DatasetPolicy {
        dataset_id: dataset.id.clone(),
        owner_org_id: dataset.org_id.clone(),
        opening_type: dataset.meta.opening_type,
        importance: dataset.meta.importance,
        columns,
    })
}

/// Converts a stored grant into the model's view, with today's use filled in.
pub async fn policy_grant(
    state: &SharedState,
    grant: &GrantRecord,
    now: i64,
) -> ApiResult<access::Grant> {
    let rows_used_today = if grant.terms.daily_row_quota.is_some() {
        state
            .store
            .grant_rows_used(&grant.id, quota_day(now))
            .await?
    } else {
        0
    };
    Ok(access::Grant {
        id: grant.id.clone(),
        dataset_id: grant.dataset_id.clone(),
        grantee: grant.grantee.clone(),
        columns: grant.terms.columns.clone(),
        l4_masked_approved: grant.l4_masked_approved,
        row_filter: grant.terms.row_filter.clone(),
        modes: grant.terms.modes.clone(),
        valid_from: grant.valid_from,
        valid_until: grant.valid_until,
        revoked_at: grant.revoked_at,
        daily_row_quota: grant.terms.daily_row_quota,
        rows_used_today,
    })
}

/// The grants the caller holds on a dataset (in any state; the decision filters them).
async fn caller_grants(
    state: &SharedState,
    user: Option<&User>,
    dataset_id: &str,
    now: i64,
) -> ApiResult<Vec<access::Grant>> {
    let Some(user) = user else {
        return Ok(Vec::new());
    };
    let mut grants = Vec::new();
    for g in state
        .store
        .list_grants_for_holder(Some(&user.id), user.org_id.as_deref())
        .await?
    {
        if g.dataset_id == dataset_id && g.revoked_at.is_none() && g.valid_until > now {
            grants.push(policy_grant(state, &g, now).await?);
        }
    }
    Ok(grants)
}

/// The resource a request names, or the dataset's first one.
async fn pick_resource(
    state: &SharedState,
    dataset: &Dataset,
    name: Option<&str>,
) -> ApiResult<Resource> {
    let resources = state.store.list_resources(&dataset.id).await?;
    let found = match name {
        Some(n) => resources.into_iter().find(|r| r.name == n),
        None => resources.into_iter().next(),
    };
    found.ok_or_else(|| match name {
        Some(n) => ApiError::new(
            Code::ResourceNotFound,
            format!("Dataset `{}` has no resource named `{n}`.", dataset.name),
        ),
        None => ApiError::new(
            Code::NoData,
            format!("Dataset `{}` has no data yet.", dataset.name),
        ),
    })
}

/// The decision for `user` on one resource, without requiring that rows be readable, and the
/// daily row quota of the grant it chose (which `charge` books against).
async fn decide_for(
    state: &SharedState,
    user: Option<&User>,
    dataset: &Dataset,
    resource: &Resource,
    version: &Version,
    mode: Mode,
    wanted: Option<&[String]>,
) -> ApiResult<(Decision, Option<i64>)> {
    let now = crate::auth::now_ms();
    let policy = dataset_policy(state, dataset, resource, version).await?;
    let grants = caller_grants(state, user, &dataset.id, now).await?;
    let who = principal(user);
    let decision = access::decide(AccessRequest {
        principal: &who,
        dataset: &policy,
        grants: &grants,
        wanted,
        mode,
        now,
    });
    let quota = match &decision.basis {
        Basis::Grant(id) => grants
            .iter()
            .find(|g| &g.id == id)
            .and_then(|g| g.daily_row_quota),
        _ => None,
    };
    Ok((decision, quota))
}

/// Opens one resource of a dataset for reading: 403 when no rows may be read, 429 when the
/// grant's quota for today is spent.
pub async fn open(
    state: &SharedState,
    user: Option<&User>,
    dataset: Dataset,
    resource: Option<&str>,
    mode: Mode,
    wanted: Option<&[String]>,
) -> ApiResult<Access> {
    let resource = pick_resource(state, &dataset, resource).await?;
    let version = state
        .store
        .list_versions(&resource.id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ApiError::new(
                Code::NoData,
                format!(
                    "Resource `{}` of dataset `{}` has no version yet.",
                    resource.name, dataset.name
                ),
            )
        })?;
    let (decision, daily_row_quota) =
        decide_for(state, user, &dataset, &resource, &version, mode, wanted).await?;
    check_rows_allowed(&dataset, &decision, mode)?;
    let table = PolicyTable {
        name: dataset.name.clone(),
        parquet_path: state.data_dir().join(&version.path),
        decision: decision.clone(),
    };
    Ok(Access {
        dataset,
        resource,
        version,
        decision,
        daily_row_quota,
        table,
    })
}

fn check_rows_allowed(dataset: &Dataset, decision: &Decision, mode: Mode) -> ApiResult<()> {
    if decision.basis == Basis::None {
        let how = match mode {
            Mode::Download => "download",
            _ => "read",
        };
        return Err(ApiError::new(
            Code::NoAccess,
            format!(
                "You may not {how} the rows of dataset `{}`. Its metadata is public; apply for access on its page if it accepts applications.",
                dataset.name
            ),
        ));
    }
    if decision.quota_remaining == Some(0) {
        return Err(quota_exhausted());
    }
    Ok(())
}

fn quota_exhausted() -> ApiError {
    ApiError::new(
        Code::QuotaExhausted,
        "Today's row quota of your grant is used up. It renews at midnight (China Standard Time).",
    )
}

/// Opens every table a SQL text reads. A table is a dataset's name (its first resource),
/// `dataset/resource`, or a resource's id (as CKAN's DataStore names tables). Tables the caller
/// may not read are reported exactly like tables that do not exist.
pub async fn open_sql(
    state: &SharedState,
    user: Option<&User>,
    sql: &str,
) -> ApiResult<Vec<Access>> {
    let names = query::Engine::referenced_tables(sql).map_err(query_error)?;
    let mut opened = Vec::new();
    for name in names {
        let (dataset_name, mut resource) = match name.split_once('/') {
            Some((d, r)) => (d, Some(r.to_string())),
            None => (name.as_str(), None),
        };
        let not_found = || query_error(QueryError::TableNotFound(name.clone()));
        let dataset = match state.store.get_dataset_by_name(dataset_name).await {
            Ok(d) => d,
            Err(store::StoreError::NotFound) if resource.is_none() => {
                match state.store.get_resource(dataset_name).await {
                    Ok(r) => {
                        resource = Some(r.name);
                        state.store.get_dataset(&r.dataset_id).await?
                    }
                    Err(store::StoreError::NotFound) => return Err(not_found()),
                    Err(e) => return Err(e.into()),
                }
            }
            Err(store::StoreError::NotFound) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        match open(state, user, dataset, resource.as_deref(), Mode::Api, None).await {
            Ok(mut access) => {
                access.table.name = name.clone();
                opened.push(access);
            }
            Err(e) if e.code == Code::QuotaExhausted => return Err(e),
            Err(e) if e.code.status().is_client_error() => return Err(not_found()),
            Err(e) => return Err(e),
        }
    }
    Ok(opened)
}

/// Who asks for data, as the access log records them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asker<'a> {
    /// The signed-in user, if any.
    pub user: Option<&'a User>,
    /// The client's address, if known.
    pub client: Option<IpAddr>,
}

/// How rows leave: the path and the request as the caller made it (kept in the log's private
/// detail record).
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The path, as a log event kind.
    pub kind: EventKind,
    /// The request: query parameters, SQL text, format.
    pub request: Value,
}

/// The log indexes of one delivery, one per dataset read; the response carries them in the
/// `Gongshu-Log-Index` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt(pub Vec<u64>);

impl Receipt {
    /// Name of the response header.
    pub const HEADER: &'static str = "gongshu-log-index";

    /// The header value: indexes separated by commas (none when logging is switched off).
    pub fn header_value(&self) -> Option<HeaderValue> {
        if self.0.is_empty() {
            return None;
        }
        let text: Vec<String> = self.0.iter().map(u64::to_string).collect();
        HeaderValue::from_str(&text.join(", ")).ok()
    }

    /// Adds the header to a response.
    pub fn attach(&self, response: &mut Response) {
        if let Some(v) = self.header_value() {
            response
                .headers_mut()
                .insert(HeaderName::from_static(Self::HEADER), v);
        }
    }
}

/// Delivers `rows`: charges them to the grant each access used, then appends one durable log
/// leaf per access, all before any row is sent. Fails with `quota_exhausted` (and charges
/// nothing more) when a quota would be exceeded; if the log cannot record the access, nothing
/// is sent either.
pub async fn deliver(
    state: &SharedState,
    asker: Asker<'_>,
    accesses: &[&Access],
    rows: u64,
    delivery: &Delivery,
) -> ApiResult<Receipt> {
    let now = crate::auth::now_ms();
    let day = quota_day(now);
    for access in accesses {
        let Some(grant_id) = access.grant_id() else {
            continue;
        };
        if rows == 0 {
            continue;
        }
        match state
            .store
            .add_grant_rows(grant_id, day, rows as i64, access.daily_row_quota)
            .await
        {
            Ok(_) => {}
            Err(store::StoreError::Conflict(_)) => return Err(quota_exhausted()),
            Err(e) => return Err(e.into()),
        }
    }
    state
        .metrics
        .delivered(delivery.kind.code().trim_start_matches("data."), rows);
    let mut receipt = Receipt::default();
    for access in accesses {
        let mut purpose = None;
        if let Some(grant_id) = access.grant_id() {
            let grant = state.store.get_grant(grant_id).await?;
            purpose = Some(
                state
                    .store
                    .get_application(&grant.application_id)
                    .await?
                    .purpose_category,
            );
        }
        let event = Event {
            kind: delivery.kind,
            dataset: Some(&access.dataset.name),
            actor: asker.user,
            client: asker.client,
            purpose,
            rows: Some(rows),
            detail: json!({
                "request": delivery.request,
                "resource": access.resource.name,
                "version": access.version.number,
                "grant_id": access.grant_id(),
                "columns": access.decision.visible().map(|(name, _)| name).collect::<Vec<_>>(),
            }),
        };
        if let Some(index) = state.log.append(event).await? {
            receipt.0.push(index);
        }
    }
    Ok(receipt)
}

/// Maps an error of the query engine to the API's error table. Messages from the engine are
/// already free of hidden column names; internal causes are logged, not shown.
pub fn query_error(e: QueryError) -> ApiError {
    let code = match e.code() {
        "sql_syntax" => Code::SqlSyntax,
        "sql_not_select" => Code::SqlNotSelect,
        "sql_multiple_statements" => Code::SqlMultipleStatements,
        "table_not_found" => Code::TableNotFound,
        "column_not_found" => Code::ColumnNotFound,
        "bad_filter" => Code::BadFilter,
        "bad_sort" => Code::BadSort,
        "bad_aggregate" => Code::BadAggregate,
        "type_mismatch" => Code::TypeMismatch,
        "query_timeout" => Code::QueryTimeout,
        "query_memory" => Code::QueryMemory,
        "too_many_rows" => Code::TooManyRows,
        "query_failed" => Code::QueryFailed,
        _ => return ApiError::internal(format!("{e:?}")),
    };
    if !e.is_user_error() {
        return ApiError::internal(format!("{e:?}"));
    }
    ApiError::new(code, e.to_string())
}
