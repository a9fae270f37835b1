//! The one enforcement point every data path goes through (DESIGN.md C5).
//!
//! A use case that wants rows calls [`open`] (one dataset) or [`open_sql`] (the tables a SQL text
//! reads). Both look up the caller's grants, ask [`model::access::decide`] for a decision, and hand
//! the query crate a [`query::PolicyTable`] whose view already has the decision applied. Nothing
//! else in the platform reads Parquet files; a new data path that bypasses this module is a bug.
//!
//! Quota: rows are charged to the grant *before* they are sent, atomically against the daily
//! quota, so concurrent requests cannot overdraw it and nothing is sent that was not charged.

use crate::audit::Event;
use crate::catalog::load_dataset;
use crate::clock::{now_ms, quota_day};
use crate::error::{AppError, AppResult, Code};
use crate::state::App;
use bytes::Bytes;
use futures::Stream;
use model::access::{
    self, AccessRequest, Basis, ColumnPolicy, DatasetPolicy, Decision, Mask, Mode, Principal,
    Verdict,
};
use model::classification::Grade;
use model::log::EventKind;
use query::export::Format;
use query::{AggregateQuery, PolicyTable, QueryError, RestQuery, Rows};
use serde::Serialize;
use serde_json::{json, Value};
use std::net::IpAddr;
use store::{Dataset, GrantRecord, Resource, User, Version};

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
    app: &App,
    dataset: &Dataset,
    resource: &Resource,
    version: &Version,
) -> AppResult<DatasetPolicy> {
    let grades = app.store.list_column_grades(&resource.id).await?;
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
pub async fn policy_grant(app: &App, grant: &GrantRecord, now: i64) -> AppResult<access::Grant> {
    let rows_used_today = if grant.terms.daily_row_quota.is_some() {
        app.store.grant_rows_used(&grant.id, quota_day(now)).await?
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

/// The grants the caller holds on a dataset (in any app; the decision filters them).
async fn caller_grants(
    app: &App,
    user: Option<&User>,
    dataset_id: &str,
    now: i64,
) -> AppResult<Vec<access::Grant>> {
    let Some(user) = user else {
        return Ok(Vec::new());
    };
    let mut grants = Vec::new();
    for g in app
        .store
        .list_grants_for_holder(Some(&user.id), user.org_id.as_deref())
        .await?
    {
        if g.dataset_id == dataset_id && g.revoked_at.is_none() && g.valid_until > now {
            grants.push(policy_grant(app, &g, now).await?);
        }
    }
    Ok(grants)
}

/// The resource a request names, or the dataset's first one.
async fn pick_resource(app: &App, dataset: &Dataset, name: Option<&str>) -> AppResult<Resource> {
    let resources = app.store.list_resources(&dataset.id).await?;
    let found = match name {
        Some(n) => resources.into_iter().find(|r| r.name == n),
        None => resources.into_iter().next(),
    };
    found.ok_or_else(|| match name {
        Some(n) => AppError::new(
            Code::ResourceNotFound,
            format!("Dataset `{}` has no resource named `{n}`.", dataset.name),
        ),
        None => AppError::new(
            Code::NoData,
            format!("Dataset `{}` has no data yet.", dataset.name),
        ),
    })
}

/// The decision for `user` on one resource, without requiring that rows be readable, and the
/// daily row quota of the grant it chose (which `charge` books against).
async fn decide_for(
    app: &App,
    user: Option<&User>,
    dataset: &Dataset,
    resource: &Resource,
    version: &Version,
    mode: Mode,
    wanted: Option<&[String]>,
) -> AppResult<(Decision, Option<i64>)> {
    let now = now_ms();
    let policy = dataset_policy(app, dataset, resource, version).await?;
    let grants = caller_grants(app, user, &dataset.id, now).await?;
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

/// A resource of a dataset (the one named, or the first) and its latest version: `no_data` when
/// there is none.
pub async fn latest(
    app: &App,
    dataset: &Dataset,
    resource: Option<&str>,
) -> AppResult<(Resource, Version)> {
    let resource = pick_resource(app, dataset, resource).await?;
    let version = crate::catalog::latest_version(app, &resource)
        .await?
        .ok_or_else(|| {
            AppError::new(
                Code::NoData,
                format!(
                    "Resource `{}` of dataset `{}` has no version yet.",
                    resource.name, dataset.name
                ),
            )
        })?;
    Ok((resource, version))
}

/// Opens one resource of a dataset for reading: 403 when no rows may be read, 429 when the
/// grant's quota for today is spent.
pub async fn open(
    app: &App,
    user: Option<&User>,
    dataset: Dataset,
    resource: Option<&str>,
    mode: Mode,
    wanted: Option<&[String]>,
) -> AppResult<Access> {
    let (resource, version) = latest(app, &dataset, resource).await?;
    let (decision, daily_row_quota) =
        decide_for(app, user, &dataset, &resource, &version, mode, wanted).await?;
    check_rows_allowed(&dataset, &decision, mode)?;
    let table = PolicyTable {
        name: dataset.name.clone(),
        parquet: app.files.location(&version.path),
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

fn check_rows_allowed(dataset: &Dataset, decision: &Decision, mode: Mode) -> AppResult<()> {
    if decision.basis == Basis::None {
        let how = match mode {
            Mode::Download => "download",
            _ => "read",
        };
        return Err(AppError::new(
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

fn quota_exhausted() -> AppError {
    AppError::new(
        Code::QuotaExhausted,
        "Today's row quota of your grant is used up. It renews at midnight (China Standard Time).",
    )
}

/// Opens every table a SQL text reads. A table is a dataset's name (its first resource),
/// `dataset/resource`, or a resource's id (as CKAN's DataStore names tables). Tables the caller
/// may not read are reported exactly like tables that do not exist.
pub async fn open_sql(app: &App, user: Option<&User>, sql: &str) -> AppResult<Vec<Access>> {
    let names = query::Engine::referenced_tables(sql).map_err(AppError::from)?;
    let mut opened = Vec::new();
    for name in names {
        let (dataset_name, mut resource) = match name.split_once('/') {
            Some((d, r)) => (d, Some(r.to_string())),
            None => (name.as_str(), None),
        };
        let not_found = || AppError::from(QueryError::TableNotFound(name.clone()));
        let dataset = match app.store.get_dataset_by_name(dataset_name).await {
            Ok(d) => d,
            Err(store::StoreError::NotFound) if resource.is_none() => {
                match app.store.get_resource(dataset_name).await {
                    Ok(r) => {
                        resource = Some(r.name);
                        app.store.get_dataset(&r.dataset_id).await?
                    }
                    Err(store::StoreError::NotFound) => return Err(not_found()),
                    Err(e) => return Err(e.into()),
                }
            }
            Err(store::StoreError::NotFound) => return Err(not_found()),
            Err(e) => return Err(e.into()),
        };
        match open(app, user, dataset, resource.as_deref(), Mode::Api, None).await {
            Ok(mut access) => {
                access.table.name = name.clone();
                opened.push(access);
            }
            Err(e) if e.code == Code::QuotaExhausted => return Err(e),
            Err(e) if e.code.is_caller_error() => return Err(not_found()),
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
    /// Where the caller wants the query to run (`run_on`): on the cluster, here, or as the
    /// server decides by its size.
    pub run_on: query::Preference,
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

/// The log indexes of one delivery, one per dataset read (none when logging is switched off);
/// a response carries them, over HTTP in the `Gongshu-Log-Index` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt(pub Vec<u64>);

/// Delivers `rows`: charges them to the grant each access used, then appends one durable log
/// leaf per access, all before any row is sent. Fails with `quota_exhausted` (and charges
/// nothing more) when a quota would be exceeded; if the log cannot record the access, nothing
/// is sent either.
pub async fn deliver(
    app: &App,
    asker: Asker<'_>,
    accesses: &[&Access],
    rows: u64,
    delivery: &Delivery,
) -> AppResult<Receipt> {
    let now = now_ms();
    let day = quota_day(now);
    for access in accesses {
        let Some(grant_id) = access.grant_id() else {
            continue;
        };
        if rows == 0 {
            continue;
        }
        match app
            .store
            .add_grant_rows(grant_id, day, rows as i64, access.daily_row_quota)
            .await
        {
            Ok(_) => {}
            Err(store::StoreError::Conflict(_)) => return Err(quota_exhausted()),
            Err(e) => return Err(e.into()),
        }
    }
    app.metrics
        .delivered(delivery.kind.code().trim_start_matches("data."), rows);
    let mut receipt = Receipt::default();
    for access in accesses {
        let mut purpose = None;
        if let Some(grant_id) = access.grant_id() {
            purpose = Some(app.store.grant_purpose(grant_id).await?);
        }
        let event = Event {
            kind: delivery.kind,
            dataset: Some(&access.dataset.name),
            actor: asker.user,
            client: asker.client,
            purpose,
            rows: Some(rows),
            digest: None,
            detail: json!({
                "request": delivery.request,
                "resource": access.resource.name,
                "version": access.version.number,
                "grant_id": access.grant_id(),
                "columns": access.decision.visible().map(|(name, _)| name).collect::<Vec<_>>(),
            }),
        };
        if let Some(index) = app.log.append(event).await? {
            receipt.0.push(index);
        }
    }
    Ok(receipt)
}

/// Default page size of queries.
pub const DEFAULT_LIMIT: usize = 100;

/// Rows of a preview.
pub const PREVIEW_ROWS: usize = 20;

/// How the caller reads the data, reported with every result.
#[derive(Debug, Clone, Serialize)]
pub struct AccessSummary {
    /// `owner`, `open`, `grant`.
    pub basis: &'static str,
    /// Grant used.
    pub grant_id: Option<String>,
    /// Rows left today under the grant, after this request.
    pub quota_remaining: Option<i64>,
    /// How many of the dataset's columns are hidden from the caller.
    pub hidden_columns: usize,
    /// Columns shown masked.
    pub masked_columns: Vec<String>,
}

/// Summarises an access after `rows` were charged.
pub fn access_summary(access: &Access, rows: u64) -> AccessSummary {
    let d = &access.decision;
    AccessSummary {
        basis: match d.basis {
            Basis::Owner => "owner",
            Basis::Open => "open",
            Basis::Grant(_) => "grant",
            Basis::None => "none",
        },
        grant_id: access.grant_id().map(str::to_string),
        quota_remaining: d.quota_remaining.map(|q| (q - rows as i64).max(0)),
        hidden_columns: d.columns.iter().filter(|(_, v)| !v.is_visible()).count(),
        masked_columns: d
            .visible()
            .filter(|(_, v)| matches!(v, Verdict::Masked { .. }))
            .map(|(n, _)| n.to_string())
            .collect(),
    }
}

/// Runs a REST query on a dataset for `asker`, then charges and logs the rows: shared by the
/// API, the portal preview and the CKAN DataStore façade. The limit defaults to
/// [`DEFAULT_LIMIT`] and is lowered to the row cap and to the quota left.
pub async fn run_query(
    app: &App,
    asker: Asker<'_>,
    name: &str,
    resource: Option<&str>,
    mut q: RestQuery,
    delivery: &Delivery,
) -> AppResult<(Access, Rows, Receipt)> {
    let dataset = load_dataset(app, name).await?;
    let access = open(
        app,
        asker.user,
        dataset,
        resource,
        Mode::Api,
        q.fields.as_deref(),
    )
    .await?;
    let budget = access.row_budget(app.engine.limits().max_rows);
    q.limit = Some(q.limit.unwrap_or(DEFAULT_LIMIT).min(budget));
    let rows = app
        .engine
        .placed(asker.run_on)
        .query(&access.table, &q)
        .await?;
    let receipt = deliver(app, asker, &[&access], rows.row_count as u64, delivery).await?;
    Ok((access, rows, receipt))
}

/// Runs an aggregate on a dataset for `asker`, then charges and logs the groups. A limit of
/// `None` means the row cap; either is lowered to the quota left.
pub async fn run_aggregate(
    app: &App,
    asker: Asker<'_>,
    name: &str,
    resource: Option<&str>,
    a: AggregateQuery,
    delivery: &Delivery,
) -> AppResult<(Access, Rows, Receipt)> {
    let dataset = load_dataset(app, name).await?;
    let access = open(app, asker.user, dataset, resource, Mode::Api, None).await?;
    let cap = app.engine.limits().max_rows;
    let a = AggregateQuery {
        limit: Some(a.limit.unwrap_or(cap).min(access.row_budget(cap))),
        ..a
    };
    let rows = app
        .engine
        .placed(asker.run_on)
        .aggregate(&access.table, &a)
        .await?;
    let receipt = deliver(app, asker, &[&access], rows.row_count as u64, delivery).await?;
    Ok((access, rows, receipt))
}

/// Runs read-only SQL for `asker` over the datasets it names, charging every grant used and
/// logging each dataset read as an event of `kind`.
pub async fn run_sql(
    app: &App,
    asker: Asker<'_>,
    sql: &str,
    kind: EventKind,
) -> AppResult<(Vec<Access>, Rows, Receipt)> {
    if sql.len() > 100_000 {
        return Err(AppError::new(
            Code::SqlSyntax,
            "The SQL text is longer than 100,000 bytes.",
        ));
    }
    let accesses = open_sql(app, asker.user, sql).await?;
    let tables: Vec<_> = accesses.iter().map(|a| a.table.clone()).collect();
    let rows = app.engine.placed(asker.run_on).sql(&tables, sql).await?;
    let refs: Vec<&Access> = accesses.iter().collect();
    // The rows of a query over several tables cannot be told apart, so each grant involved is
    // charged the whole result; a quota smaller than the result refuses it.
    let delivery = Delivery {
        kind,
        request: json!({"sql": sql}),
    };
    let receipt = deliver(app, asker, &refs, rows.row_count as u64, &delivery).await?;
    Ok((accesses, rows, receipt))
}

/// A download that has been counted, charged and logged, ready to stream.
pub struct Download {
    /// What was opened.
    pub access: Access,
    /// Rows in the file.
    pub rows: u64,
    /// Its log entry.
    pub receipt: Receipt,
    /// The file's name, e.g. `bus-stops-v2.csv`.
    pub file_name: String,
    /// Where the query runs.
    pub ran_on: query::Placement,
    /// The bytes of the file. An error midway ends the stream with an error, so a client never
    /// mistakes a partial file for a complete one.
    pub body: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, QueryError>> + Send>>,
}

/// Prepares a download for `asker`: counts first (so the quota and the download cap are
/// checked before the first byte), charges and logs, then opens the stream. `q.limit` of
/// `None` means every row; `request` is the request as the caller made it, for the log's
/// private detail.
pub async fn download(
    app: &App,
    asker: Asker<'_>,
    name: &str,
    resource: Option<&str>,
    mut q: RestQuery,
    format: Format,
    request: Value,
) -> AppResult<Download> {
    let cap = app.engine.limits().max_download_rows;
    let dataset = load_dataset(app, name).await?;
    let access = open(
        app,
        asker.user,
        dataset,
        resource,
        Mode::Download,
        q.fields.as_deref(),
    )
    .await?;
    let delivery = Delivery {
        kind: EventKind::Download,
        request,
    };
    let engine = app.engine.placed(asker.run_on);
    let mut rows = engine.count(&access.table, &q).await?;
    if let Some(l) = q.limit {
        rows = rows.min(l as u64);
    }
    if rows > cap {
        return Err(AppError::new(
            Code::TooManyRows,
            format!("The download would have {rows} rows; the limit is {cap}. Add filters or use `limit`."),
        ));
    }
    if format == Format::Xlsx && rows > 1_048_575 {
        return Err(AppError::new(
            Code::TooManyRows,
            format!("A spreadsheet holds at most 1,048,575 rows and this download has {rows}; choose CSV or Parquet."),
        ));
    }
    if let Some(left) = access.decision.quota_remaining {
        if rows as i64 > left {
            return Err(AppError::new(
                Code::QuotaExhausted,
                format!("The download has {rows} rows but only {left} remain in today's quota of your grant. Add filters or wait until tomorrow."),
            ));
        }
    }
    q.limit = Some(rows as usize);
    let receipt = deliver(app, asker, &[&access], rows, &delivery).await?;
    let stream = engine.stream(&access.table, &q).await?;
    let ran_on = stream.placement();
    let file_name = format!(
        "{}-v{}.{}",
        access.dataset.name,
        access.version.number,
        format.ext()
    );
    Ok(Download {
        access,
        rows,
        receipt,
        file_name,
        ran_on,
        body: Box::pin(query::export::encode(format, stream)),
    })
}

/// Whether `user` may download any column of the dataset's first resource now.
pub async fn can_download(app: &App, user: Option<&User>, dataset: &Dataset) -> bool {
    match open(app, user, dataset.clone(), None, Mode::Download, None).await {
        Ok(a) => a.decision.visible().next().is_some(),
        Err(_) => false,
    }
}
