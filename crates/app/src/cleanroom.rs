//! The fusion clean room (DESIGN.md C6): owners' policies, clean rooms (one application per
//! dataset, each approved by its owner like any application, with one ε budget), and clean-room
//! queries, which go out through the same delivery as every other data path.
//!
//! The rules are [`model::cleanroom`]'s, the checks on the plan and the k per group the query
//! engine's ([`query::Engine::cleanroom`]). The pseudonym secret is 32 random bytes made at first
//! use in `<secrets dir>/cleanroom/pseudonym.key`, readable by the server's user only; it is handed
//! to the engine as a key object that shows no part of it, and it never leaves the server.

use crate::dataservice::{self, Access, Asker, Delivery, Receipt};
use crate::error::{AppError, AppResult, Code};
use crate::grants::{self, ApplicationInput};
use crate::state::App;
use anyhow::Context;
use model::access::{self, AccessRequest, Basis, GrantState, Mode};
use model::application::{ApplicationStatus, PurposeCategory};
use model::cleanroom::{self, Policy};
use model::log::EventKind;
use query::{CleanRoomQuery, CleanRoomTable, PolicyTable, PseudonymKey, Rows};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use store::{CleanRoom, CleanRoomPolicy, Dataset, NewCleanRoom, User};

/// The most datasets one clean room may fuse.
pub const MAX_DATASETS: usize = 5;

/// The pseudonym key, made at first use.
pub(crate) fn key(app: &App) -> AppResult<Arc<PseudonymKey>> {
    if let Some(k) = app.cleanroom_key.get() {
        return Ok(Arc::clone(k));
    }
    let loaded = load_or_create_key(app.config.secrets_dir())
        .map_err(|e| AppError::internal(format!("{e:#}")))?;
    Ok(Arc::clone(
        app.cleanroom_key.get_or_init(|| Arc::new(loaded)),
    ))
}

fn load_or_create_key(secrets_dir: &std::path::Path) -> anyhow::Result<PseudonymKey> {
    let dir = secrets_dir.join("cleanroom");
    crate::audit::keys::private_dir(&dir)?;
    let path = dir.join("pseudonym.key");
    let text =
        crate::audit::keys::load_or_make(&path, || Ok(crate::audit::keys::random_hex_key()))?;
    let secret = hex::decode(&text)
        .ok()
        .filter(|b| b.len() == 32)
        .with_context(|| format!("{} is not a 32-byte hex key", path.display()))?;
    PseudonymKey::new(&secret).map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// The name a dataset's table has in clean-room SQL: its slug with `-` as `_`, so that it needs
/// no quotes.
pub fn table_name(dataset: &str) -> String {
    dataset.replace('-', "_")
}

/// The column names of a dataset's latest versions, over all its resources.
async fn column_names(app: &App, dataset: &Dataset) -> AppResult<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for resource in app.store.list_resources(&dataset.id).await? {
        if let Some(version) = crate::catalog::latest_version(app, &resource).await? {
            for c in version.columns {
                if !names.contains(&c.name) {
                    names.push(c.name);
                }
            }
        }
    }
    Ok(names)
}

/// A dataset's clean-room policy, if its owner declared one (public).
pub async fn policy(app: &App, dataset: &Dataset) -> AppResult<Option<CleanRoomPolicy>> {
    match app.store.get_cleanroom_policy(&dataset.id).await {
        Ok(p) => Ok(Some(p)),
        Err(store::StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A dataset open to clean rooms: its owner declared a policy and it takes applications.
#[derive(Debug, Clone, Serialize)]
pub struct Available {
    /// The dataset.
    pub dataset: Dataset,
    /// Its table name in clean-room SQL.
    pub table: String,
    /// The owner's policy.
    pub policy: Policy,
    /// Its columns.
    pub columns: Vec<String>,
}

/// The datasets with a clean-room policy that take applications, by title (public).
pub async fn available(app: &App) -> AppResult<Vec<Available>> {
    let mut out = Vec::new();
    for declared in app.store.list_cleanroom_policies().await? {
        let dataset = app.store.get_dataset(&declared.dataset_id).await?;
        if !model::application::accepts_applications(
            dataset.meta.opening_type,
            dataset.meta.importance,
        ) {
            continue;
        }
        out.push(Available {
            table: table_name(&dataset.name),
            columns: column_names(app, &dataset).await?,
            policy: declared.policy,
            dataset,
        });
    }
    out.sort_by(|a, b| a.dataset.meta.title.cmp(&b.dataset.meta.title));
    Ok(out)
}

/// Declares (or replaces) a dataset's clean-room policy: its owning organization's publishers.
pub async fn set_policy(
    app: &App,
    user: &User,
    dataset: &Dataset,
    policy: Policy,
) -> AppResult<CleanRoomPolicy> {
    if !dataservice::principal(Some(user)).owns(&dataset.org_id) {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the dataset's owning organization declares its clean-room policy.",
        ));
    }
    let names = column_names(app, dataset).await?;
    if names.is_empty() {
        return Err(AppError::new(
            Code::NoData,
            format!(
                "Dataset `{}` has no data yet; upload a version first.",
                dataset.name
            ),
        ));
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    policy.validate(&refs).map_err(|e| {
        AppError::new(
            Code::InvalidPolicy,
            crate::grants::capitalize(&e.to_string()),
        )
    })?;
    let declared = CleanRoomPolicy {
        dataset_id: dataset.id.clone(),
        policy,
        updated_by: user.id.clone(),
        updated_at: crate::clock::now_ms(),
    };
    app.store.put_cleanroom_policy(&declared).await?;
    Ok(declared)
}

/// One dataset of a clean-room application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartInput {
    /// Dataset slug.
    pub dataset: String,
    /// Columns asked for (dimensions, measures and join keys).
    pub columns: Vec<String>,
}

/// A clean-room application as the API and the portal submit it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanRoomInput {
    /// A short title, at most 200 characters.
    pub title: String,
    /// Two to five datasets.
    pub datasets: Vec<PartInput>,
    /// Purpose category code.
    pub purpose_category: PurposeCategory,
    /// Purpose, at most 2,000 characters.
    pub purpose: String,
    /// Usage scenario, at most 2,000 characters.
    pub scenario: String,
    /// Days, 1 to 365.
    pub duration_days: i64,
    /// The ε budget asked for (default 1, at most 10).
    #[serde(default)]
    pub epsilon_budget: Option<f64>,
    /// Apply on behalf of the caller's organization.
    #[serde(default)]
    pub on_behalf_of_organization: Option<bool>,
    /// Submit every part at once, accepting the agreement whose SHA-256 is given.
    #[serde(default)]
    pub accept_agreement: Option<String>,
}

/// Applies for a clean room: one application per dataset (each reviewed by its owner, and the
/// authority where C4 requires), tied together with one ε budget. Everything is checked before
/// anything is created.
pub async fn apply(app: &App, user: &User, input: CleanRoomInput) -> AppResult<CleanRoomView> {
    let title = grants::text("title", &input.title, 200, true)?;
    let invalid = |m: String| AppError::new(Code::InvalidTerms, m);
    if input.datasets.len() < 2 || input.datasets.len() > MAX_DATASETS {
        return Err(invalid(format!(
            "A clean room fuses 2 to {MAX_DATASETS} datasets; this one names {}.",
            input.datasets.len()
        )));
    }
    let budget = input.epsilon_budget.unwrap_or(cleanroom::DEFAULT_BUDGET);
    let budget_micros = cleanroom::epsilon_micros(budget).ok_or_else(|| {
        invalid(format!(
            "The ε budget must be a number above 0 and at most {}.",
            cleanroom::MAX_BUDGET
        ))
    })?;
    if let Some(hash) = &input.accept_agreement {
        let agreement = app.store.latest_agreement().await?;
        if agreement.sha256 != hash.trim() {
            return Err(AppError::new(
                Code::AgreementMismatch,
                format!(
                    "The data-use agreement you accepted is not the one in force (version {}, SHA-256 {}). Read it again and accept that version.",
                    agreement.version, agreement.sha256
                ),
            ));
        }
    }
    // Each part: an application to another organization, or none for the holder's own data.
    let mut drafts: Vec<(Option<store::NewApplication>, Dataset)> = Vec::new();
    let who = dataservice::principal(Some(user));
    for (i, part) in input.datasets.iter().enumerate() {
        if input.datasets[..i]
            .iter()
            .any(|p| p.dataset == part.dataset)
        {
            return Err(invalid(format!(
                "Dataset `{}` is named twice.",
                part.dataset
            )));
        }
        let dataset = crate::catalog::load_dataset(app, &part.dataset).await?;
        if policy(app, &dataset).await?.is_none() {
            return Err(AppError::new(
                Code::NoCleanRoomPolicy,
                format!(
                    "Dataset `{}` has no clean-room policy yet; its owner must declare which columns identify people or firms before it can be fused.",
                    dataset.name
                ),
            ));
        }
        if who.owns(&dataset.org_id) {
            // Its own organization sees it already: no application, the same rules in the room.
            drafts.push((None, dataset));
            continue;
        }
        let draft = grants::prepare(
            app,
            user,
            ApplicationInput {
                dataset: part.dataset.clone(),
                columns: part.columns.clone(),
                row_filter: Vec::new(),
                modes: vec![Mode::CleanRoom],
                duration_days: input.duration_days,
                daily_row_quota: None,
                purpose_category: input.purpose_category,
                purpose: input.purpose.clone(),
                scenario: input.scenario.clone(),
                on_behalf_of_organization: input.on_behalf_of_organization,
                accept_agreement: None,
            },
        )
        .await?;
        drafts.push((Some(draft), dataset));
    }
    let Some(applicant_org_id) = drafts
        .iter()
        .find_map(|(d, _)| d.as_ref().map(|d| d.applicant_org_id.clone()))
    else {
        return Err(invalid(
            "A clean room fuses data of other organizations; your organization's own datasets you may already query directly.".into(),
        ));
    };
    let mut parts = Vec::new();
    for (draft, dataset) in drafts {
        let application = match draft {
            Some(draft) => Some(app.store.create_application(draft).await?.id),
            None => None,
        };
        parts.push((application, dataset.id));
    }
    let room = app
        .store
        .create_cleanroom(NewCleanRoom {
            title,
            applicant_id: user.id.clone(),
            applicant_org_id,
            budget_micros,
            parts: parts.clone(),
            now: crate::clock::now_ms(),
        })
        .await?;
    if let Some(hash) = &input.accept_agreement {
        for application_id in parts.iter().filter_map(|(a, _)| a.as_deref()) {
            grants::submit(app, user, application_id, hash).await?;
        }
    }
    view(app, user, &room.id).await
}

/// Whether `user` holds the clean room (applied for it, or belongs to the organization it was
/// applied for on behalf of).
fn holds(user: &User, room: &CleanRoom) -> bool {
    room.applicant_id == user.id
        || (room.applicant_org_id.is_some() && room.applicant_org_id == user.org_id)
}

fn not_found() -> AppError {
    AppError::new(Code::CleanRoomNotFound, "There is no such clean room.")
}

/// Loads a clean room `user` may see: its holders, the owners of its datasets and the authority.
async fn load_for(app: &App, user: &User, id: &str) -> AppResult<CleanRoom> {
    let room = match app.store.get_cleanroom(id).await {
        Ok(r) => r,
        Err(store::StoreError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    if holds(user, &room) || user.role == model::role::Role::Authority {
        return Ok(room);
    }
    for part in &room.parts {
        let dataset = app.store.get_dataset(&part.dataset_id).await?;
        if dataservice::principal(Some(user)).owns(&dataset.org_id) {
            return Ok(room);
        }
    }
    Err(not_found())
}

/// One dataset of a clean room as it stands.
#[derive(Debug, Clone, Serialize)]
pub struct PartView {
    /// Dataset slug.
    pub dataset: String,
    /// Dataset title.
    pub title: String,
    /// Its table name in clean-room SQL.
    pub table: String,
    /// Whether it is the holder's own organization's data (no application needed).
    pub own: bool,
    /// The application for it (none for own data).
    pub application_id: Option<String>,
    /// Where the application stands (none for own data).
    pub status: Option<ApplicationStatus>,
    /// The grant, once approved.
    pub grant_id: Option<String>,
    /// Where the grant stands now.
    pub grant_state: Option<GrantState>,
    /// The owner's policy.
    pub policy: Option<Policy>,
    /// The join keys this clean room may use: the policy's, of the columns granted.
    pub join_keys: Vec<String>,
    /// The columns of its clean-room view with their roles (once the grant is active).
    pub columns: Vec<cleanroom::Column>,
}

/// A clean room as the API and the portal show it.
#[derive(Debug, Clone, Serialize)]
pub struct CleanRoomView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// ε granted.
    pub epsilon_budget: f64,
    /// ε spent.
    pub epsilon_spent: f64,
    /// ε left.
    pub epsilon_left: f64,
    /// Queries answered.
    pub queries: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Whether every part's grant is active (own data needs none), so queries can run.
    pub ready: bool,
    /// Whether the viewer holds it (and so may query it).
    pub holder: bool,
    /// The strictest k of its datasets.
    pub min_entities: u32,
    /// Its datasets.
    pub parts: Vec<PartView>,
}

/// A clean room `user` may see.
pub async fn view(app: &App, user: &User, id: &str) -> AppResult<CleanRoomView> {
    let room = load_for(app, user, id).await?;
    view_of(app, user, room).await
}

async fn view_of(app: &App, user: &User, room: CleanRoom) -> AppResult<CleanRoomView> {
    let now = crate::clock::now_ms();
    let mut parts = Vec::new();
    for part in &room.parts {
        let dataset = app.store.get_dataset(&part.dataset_id).await?;
        let application = match &part.application_id {
            Some(id) => Some(app.store.get_application(id).await?),
            None => None,
        };
        let grant = match application.as_ref().and_then(|a| a.grant_id.as_ref()) {
            Some(g) => Some(app.store.get_grant(g).await?),
            None => None,
        };
        let policy = policy(app, &dataset).await?.map(|p| p.policy);
        let granted = match (&grant, &application) {
            (Some(g), _) => g.terms.columns.clone(),
            (None, Some(a)) => a.approved.columns.clone(),
            // Own data: every column is the organization's to use.
            (None, None) => column_names(app, &dataset).await?,
        };
        let join_keys = policy
            .as_ref()
            .map(|p| p.allowed_join_keys(&granted))
            .unwrap_or_default();
        let grant_state = match &grant {
            Some(g) => Some(dataservice::policy_grant(app, g, now).await?.state(now)),
            None => None,
        };
        let own = application.is_none();
        let usable = own || grant_state == Some(GrantState::Active);
        let columns = if usable && holds(user, &room) {
            match open_part(app, user, part, dataset.clone()).await {
                Ok((table, _)) => table.columns,
                Err(_) => Vec::new(),
            }
        } else {
            Vec::new()
        };
        parts.push(PartView {
            table: table_name(&dataset.name),
            dataset: dataset.name,
            title: dataset.meta.title,
            own,
            application_id: application.as_ref().map(|a| a.id.clone()),
            status: application.as_ref().map(|a| a.status),
            grant_id: application.and_then(|a| a.grant_id),
            grant_state,
            policy,
            join_keys,
            columns,
        });
    }
    let ready = !parts.is_empty()
        && parts
            .iter()
            .all(|p| p.own || p.grant_state == Some(GrantState::Active));
    let min_entities = parts
        .iter()
        .filter_map(|p| p.policy.as_ref().map(|p| p.min_entities))
        .max()
        .unwrap_or(cleanroom::DEFAULT_MIN_ENTITIES);
    let holder = holds(user, &room);
    Ok(CleanRoomView {
        id: room.id,
        title: room.title,
        epsilon_budget: cleanroom::epsilon_of(room.budget_micros),
        epsilon_spent: cleanroom::epsilon_of(room.spent_micros),
        epsilon_left: cleanroom::epsilon_of(room.budget_micros - room.spent_micros),
        queries: room.queries,
        created_at: room.created_at,
        ready,
        holder,
        min_entities,
        parts,
    })
}

/// The clean rooms `user` holds, and those on datasets of the user's organization.
pub async fn list(app: &App, user: &User) -> AppResult<Vec<CleanRoomView>> {
    let mut rooms = app
        .store
        .list_cleanrooms_for_holder(Some(&user.id), user.org_id.as_deref())
        .await?;
    if let (Some(org), true) = (&user.org_id, user.role.publishes()) {
        for room in app.store.list_cleanrooms_on_org(org).await? {
            if !rooms.iter().any(|r| r.id == room.id) {
                rooms.push(room);
            }
        }
    }
    let mut out = Vec::with_capacity(rooms.len());
    for room in rooms {
        out.push(view_of(app, user, room).await?);
    }
    Ok(out)
}

/// Opens one part for a query: its table for the engine and its access for the delivery.
async fn open_part(
    app: &App,
    user: &User,
    part: &store::CleanRoomPart,
    dataset: Dataset,
) -> AppResult<(CleanRoomTable, Access)> {
    let not_ready = |why: &str| {
        AppError::new(
            Code::CleanRoomNotReady,
            format!(
                "The clean room cannot run yet: {why} (dataset `{}`).",
                dataset.name
            ),
        )
    };
    let now = crate::clock::now_ms();
    // Another organization's data is read under its grant; the holder's own as its owner.
    let (grants, basis, daily_row_quota) = match &part.application_id {
        Some(id) => {
            let application = app.store.get_application(id).await?;
            let Some(grant_id) = application.grant_id.clone() else {
                return Err(not_ready("its application is not approved"));
            };
            let grant = app.store.get_grant(&grant_id).await?;
            let policy_grant = dataservice::policy_grant(app, &grant, now).await?;
            if policy_grant.state(now) != GrantState::Active {
                return Err(not_ready("its grant is not active"));
            }
            (
                vec![policy_grant],
                Basis::Grant(grant.id.clone()),
                grant.terms.daily_row_quota,
            )
        }
        None => (Vec::new(), Basis::Owner, None),
    };
    let Some(declared) = policy(app, &dataset).await? else {
        return Err(not_ready("its owner withdrew the clean-room policy"));
    };
    let (resource, version) = match dataservice::latest(app, &dataset, None).await {
        Ok(found) => found,
        Err(e) if e.code == Code::NoData => return Err(not_ready("it has no data")),
        Err(e) => return Err(e),
    };
    let dataset_policy = dataservice::dataset_policy(app, &dataset, &resource, &version).await?;
    let who = dataservice::principal(Some(user));
    let decision = access::decide(AccessRequest {
        principal: &who,
        dataset: &dataset_policy,
        grants: &grants,
        wanted: None,
        mode: Mode::CleanRoom,
        now,
    });
    if decision.basis != basis {
        return Err(not_ready(if basis == Basis::Owner {
            "it is no longer your organization's data"
        } else {
            "its grant does not apply to you"
        }));
    }
    let identifiers: Vec<String> = version
        .columns
        .iter()
        .filter(|c| {
            c.findings
                .iter()
                .any(|f| f.matches > 0 && cleanroom::is_identifier(f.kind))
        })
        .map(|c| c.name.clone())
        .collect();
    let columns = cleanroom::columns(&decision, &declared.policy, &identifiers);
    let hidden = version
        .columns
        .iter()
        .map(|c| c.name.clone())
        .filter(|n| !columns.iter().any(|c| &c.name == n))
        .collect();
    let name = table_name(&dataset.name);
    let parquet = app.files.location(&version.path);
    let table = CleanRoomTable {
        name: name.clone(),
        parquet: parquet.clone(),
        row_filter: decision.row_filter.clone(),
        columns,
        hidden,
        min_entities: declared.policy.min_entities,
        noise: declared.policy.noise,
        max_rows_per_entity: declared.policy.max_rows_per_entity,
    };
    let access = Access {
        daily_row_quota,
        table: PolicyTable {
            name,
            parquet,
            decision: decision.clone(),
        },
        dataset,
        resource,
        version,
        decision,
    };
    Ok((table, access))
}

/// The answer to a clean-room query.
#[derive(Debug)]
pub struct QueryResult {
    /// The groups that are left, as the query's outputs.
    pub rows: Rows,
    /// Groups removed for covering fewer than k entities of some table.
    pub suppressed_groups: u64,
    /// The k applied.
    pub min_entities: u32,
    /// ε this query spent (0 without noise).
    pub epsilon_spent: f64,
    /// Noisy values per group (0 without noise).
    pub noisy_values: usize,
    /// ε left in the clean room.
    pub epsilon_left: f64,
    /// The tables read.
    pub tables: Vec<String>,
    /// The log indexes, one per dataset read.
    pub receipt: Receipt,
}

/// Runs a clean-room query for a holder of the clean room. The ε is charged before anything is
/// delivered, by one conditional update, and a query that would overspend is refused; then the
/// groups go out through the same delivery as every data path (quota, one log leaf per dataset
/// read, with the query text and the number of groups removed in the auditor's detail).
pub async fn query(
    app: &App,
    asker: Asker<'_>,
    id: &str,
    sql: &str,
    epsilon: Option<f64>,
) -> AppResult<QueryResult> {
    let Some(user) = asker.user else {
        return Err(AppError::new(
            Code::Unauthenticated,
            "Sign in to use a clean room.",
        ));
    };
    let room = load_for(app, user, id).await?;
    if !holds(user, &room) {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the clean room's holder may query it; owners see its use in the access log.",
        ));
    }
    if sql.len() > 100_000 {
        return Err(AppError::new(
            Code::SqlSyntax,
            "The SQL text is longer than 100,000 bytes.",
        ));
    }
    let epsilon = epsilon.unwrap_or(cleanroom::DEFAULT_QUERY_EPSILON);
    let micros = cleanroom::epsilon_micros(epsilon).ok_or_else(|| {
        AppError::new(
            Code::InvalidField,
            format!(
                "`epsilon` must be a number above 0 and at most {}.",
                cleanroom::MAX_BUDGET
            ),
        )
    })?;
    let read = query::Engine::referenced_tables(sql).map_err(AppError::from)?;
    let mut tables = Vec::new();
    let mut accesses = Vec::new();
    for part in &room.parts {
        let dataset = app.store.get_dataset(&part.dataset_id).await?;
        if !read.contains(&table_name(&dataset.name)) {
            continue;
        }
        let (table, access) = open_part(app, user, part, dataset).await?;
        tables.push(table);
        accesses.push(access);
    }
    let noisy = tables.iter().any(|t| t.noise);
    if noisy && room.spent_micros + micros > room.budget_micros {
        return Err(budget_exhausted(&room, micros));
    }
    let result = app
        .engine
        .cleanroom(
            key(app)?,
            CleanRoomQuery {
                tables: &tables,
                sql,
                epsilon,
            },
        )
        .await?;
    let charged = if result.noise.is_some() { micros } else { 0 };
    let room = match app.store.spend_cleanroom_budget(&room.id, charged).await {
        Ok(r) => r,
        Err(store::StoreError::Conflict(_)) => {
            let room = app.store.get_cleanroom(&room.id).await?;
            return Err(budget_exhausted(&room, micros));
        }
        Err(e) => return Err(e.into()),
    };
    let refs: Vec<&Access> = accesses
        .iter()
        .filter(|a| result.tables.contains(&a.table.name))
        .collect();
    let delivery = Delivery {
        kind: EventKind::CleanRoom,
        request: json!({
            "cleanroom_id": room.id,
            "sql": sql,
            "suppressed_groups": result.suppressed_groups,
            "min_entities": result.min_entities,
            "epsilon": cleanroom::epsilon_of(charged),
        }),
    };
    let receipt =
        dataservice::deliver(app, asker, &refs, result.rows.row_count as u64, &delivery).await?;
    Ok(QueryResult {
        suppressed_groups: result.suppressed_groups,
        min_entities: result.min_entities,
        epsilon_spent: cleanroom::epsilon_of(charged),
        noisy_values: result.noise.map(|n| n.aggregates).unwrap_or(0),
        epsilon_left: cleanroom::epsilon_of(room.budget_micros - room.spent_micros),
        tables: result.tables,
        rows: result.rows,
        receipt,
    })
}

fn budget_exhausted(room: &CleanRoom, micros: i64) -> AppError {
    AppError::new(
        Code::BudgetExhausted,
        format!(
            "This query would spend ε {} but only {} of the clean room's budget of {} is left; ask for a smaller epsilon or a new clean room.",
            cleanroom::epsilon_of(micros),
            cleanroom::epsilon_of(room.budget_micros - room.spent_micros),
            cleanroom::epsilon_of(room.budget_micros)
        ),
    )
}
