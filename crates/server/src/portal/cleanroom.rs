//! The fusion clean room (C6) in the portal: the page that explains the rules and lists the
//! datasets open to clean rooms and the visitor's clean rooms; the application form; a clean
//! room's page, where its holder writes a query and sees the groups, the number removed and the
//! ε left; and the owner's policy form on the dataset page. Everything is [`app::cleanroom`]'s.

use super::page::{again, render, require_user, FormPairs, OrPage, PageResult};
use super::pages::{fmt_time, PageCtx, PolicyDisplay};
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use crate::state::SharedState;
use app::cleanroom::{self, CleanRoomInput, CleanRoomView, PartInput};
use app::Code;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use model::application::PurposeCategory;
use model::cleanroom::{Bounds, Policy, Role, Rule};
use serde::Deserialize;

/// The routes of these pages.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/cleanroom", get(overview))
        .route("/cleanroom/apply", get(apply_page).post(apply_submit))
        .route("/cleanroom/{id}", get(room_page).post(room_query))
        .route("/dataset/{name}/cleanroom-policy", post(policy_submit))
}

fn role_label(t: Tr, role: Role) -> &'static str {
    match role {
        Role::Dimension => t.cleanroom_role_dimension(),
        Role::Measure => t.cleanroom_role_measure(),
        Role::JoinKey => t.cleanroom_role_join_key(),
        Role::Entity => t.cleanroom_role_entity(),
    }
}

fn yes_no(t: Tr, b: bool) -> &'static str {
    if b {
        t.yes()
    } else {
        t.answer_no()
    }
}

// ---------------------------------------------------------------------------------------------
// The overview.

struct AvailableRow {
    name: String,
    title: String,
    table: String,
    entity: String,
    join_keys: String,
    k: u32,
    noise: &'static str,
}

struct RoomRow {
    id: String,
    title: String,
    datasets: String,
    ready: bool,
    left: String,
    budget: String,
}

#[derive(Template)]
#[template(path = "cleanroom.html")]
struct OverviewTpl {
    t: Tr,
    page: PageCtx,
    rules: Vec<(&'static str, &'static str)>,
    available: Vec<AvailableRow>,
    rooms: Vec<RoomRow>,
}

fn room_row(r: &CleanRoomView) -> RoomRow {
    RoomRow {
        id: r.id.clone(),
        title: r.title.clone(),
        datasets: r
            .parts
            .iter()
            .map(|p| p.title.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        ready: r.ready,
        left: format!("{:.2}", r.epsilon_left),
        budget: format!("{:.2}", r.epsilon_budget),
    }
}

async fn overview(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<MsgQuery>,
) -> PageResult {
    let t = Tr(v.lang);
    let available = cleanroom::available(&state)
        .await
        .or_page(&v)?
        .into_iter()
        .map(|a| AvailableRow {
            name: a.dataset.name.clone(),
            title: a.dataset.meta.title.clone(),
            table: a.table,
            entity: a.policy.entity_columns.join(", "),
            join_keys: a.policy.join_keys.join(", "),
            k: a.policy.min_entities,
            noise: yes_no(t, a.policy.noise),
        })
        .collect();
    let rooms = match &v.user {
        Some(u) => cleanroom::list(&state, u)
            .await
            .or_page(&v)?
            .iter()
            .map(room_row)
            .collect(),
        None => Vec::new(),
    };
    let mut page = PageCtx::new(&v, "/cleanroom");
    if q.msg.as_deref() == Some("applied") {
        page.flash = t.cleanroom_applied().to_string();
    }
    Ok(render(OverviewTpl {
        t,
        page,
        rules: Rule::ALL
            .iter()
            .map(|r| (r.code(), r.label(v.lang.code())))
            .collect(),
        available,
        rooms,
    }))
}

#[derive(Deserialize, Default)]
struct MsgQuery {
    msg: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Applying.

struct ApplyDataset {
    name: String,
    title: String,
    table: String,
    chosen: bool,
    columns: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "cleanroom_apply.html")]
struct ApplyTpl {
    t: Tr,
    page: PageCtx,
    error: String,
    datasets: Vec<ApplyDataset>,
    purposes: Vec<(String, String, bool)>,
    title: String,
    purpose: String,
    scenario: String,
    duration: String,
    budget: String,
    org_bound: bool,
    agreement_text: String,
    agreement_version: i64,
    agreement_sha256: String,
}

async fn apply_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let user = require_user(&v, "/cleanroom/apply")?;
    apply_form(&state, &v, &user, None, String::new()).await
}

async fn apply_form(
    state: &SharedState,
    v: &Visitor,
    user: &store::User,
    form: Option<&FormPairs>,
    error: String,
) -> PageResult {
    let agreement = app::grants::agreement(state).await.or_page(v)?;
    let lang = v.lang.code();
    let chosen = form.map(|f| f.all("dataset")).unwrap_or_default();
    let datasets = cleanroom::available(state)
        .await
        .or_page(v)?
        .into_iter()
        .filter(|a| !app::dataservice::principal(Some(user)).owns(&a.dataset.org_id))
        .map(|a| {
            let picked = form
                .map(|f| f.all(&format!("columns:{}", a.dataset.name)))
                .unwrap_or_default();
            ApplyDataset {
                chosen: chosen.contains(&a.dataset.name),
                columns: a
                    .columns
                    .iter()
                    .map(|c| (c.clone(), form.is_none() || picked.contains(c)))
                    .collect(),
                name: a.dataset.name,
                title: a.dataset.meta.title,
                table: a.table,
            }
        })
        .collect();
    let field = |k: &str, default: &str| {
        form.map(|f| f.get(k).to_string())
            .unwrap_or_else(|| default.to_string())
    };
    let purpose = field("purpose_category", "research");
    Ok(render(ApplyTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, "/cleanroom/apply"),
        error,
        datasets,
        purposes: PurposeCategory::ALL
            .iter()
            .map(|p| {
                (
                    p.code().to_string(),
                    p.label(lang).to_string(),
                    p.code() == purpose,
                )
            })
            .collect(),
        title: field("title", ""),
        purpose: field("purpose", ""),
        scenario: field("scenario", ""),
        duration: field("duration_days", "90"),
        budget: field("epsilon_budget", "1"),
        org_bound: user.org_id.is_some() && user.role != model::Role::Citizen,
        agreement_text: agreement.text,
        agreement_version: agreement.version,
        agreement_sha256: agreement.sha256,
    }))
}

async fn apply_submit(State(state): State<SharedState>, v: Visitor, body: Bytes) -> PageResult {
    let user = require_user(&v, "/cleanroom/apply")?;
    let f = FormPairs::checked(&v, &body)?;
    let result = async {
        if f.get("accept") != "yes" {
            return Err(app::AppError::new(
                Code::InvalidTerms,
                "Read the data-use agreement and tick the box to accept it.",
            ));
        }
        let purpose_category = f
            .get("purpose_category")
            .parse::<PurposeCategory>()
            .map_err(|e| app::AppError::new(Code::InvalidTerms, format!("{e}.")))?;
        let number = |k: &str| -> Result<Option<f64>, app::AppError> {
            let raw = f.get(k).trim();
            if raw.is_empty() {
                return Ok(None);
            }
            raw.parse::<f64>().map(Some).map_err(|_| {
                app::AppError::new(Code::InvalidTerms, format!("`{k}` must be a number."))
            })
        };
        let input = CleanRoomInput {
            title: f.get("title").to_string(),
            datasets: f
                .all("dataset")
                .into_iter()
                .map(|d| PartInput {
                    columns: f.all(&format!("columns:{d}")),
                    dataset: d,
                })
                .collect(),
            purpose_category,
            purpose: f.get("purpose").to_string(),
            scenario: f.get("scenario").to_string(),
            duration_days: number("duration_days")?.unwrap_or(0.0) as i64,
            epsilon_budget: number("epsilon_budget")?,
            on_behalf_of_organization: Some(f.get("on_behalf") == "yes"),
            accept_agreement: Some(f.get("agreement_sha256").to_string()),
        };
        cleanroom::apply(&state, &user, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/cleanroom?msg=applied").into_response()),
        Err(e) => again(&v, e, |m| apply_form(&state, &v, &user, Some(&f), m)).await,
    }
}

// ---------------------------------------------------------------------------------------------
// A clean room and its queries.

struct PartRow {
    dataset: String,
    title: String,
    table: String,
    status: String,
    grant_state: String,
    entity: String,
    join_keys: String,
    k: String,
    noise: &'static str,
    columns: Vec<(String, &'static str, &'static str)>,
}

struct QueryOutcome {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    suppressed: u64,
    k: u32,
    spent: String,
    left: String,
    log: Vec<u64>,
    truncated: bool,
}

#[derive(Template)]
#[template(path = "cleanroom_room.html")]
struct RoomTpl {
    t: Tr,
    page: PageCtx,
    id: String,
    title: String,
    ready: bool,
    holder: bool,
    budget: String,
    spent: String,
    left: String,
    queries: i64,
    k: u32,
    created: String,
    parts: Vec<PartRow>,
    sql: String,
    epsilon: String,
    error: String,
    outcome: Option<QueryOutcome>,
}

/// A first query for a clean room: the demo's example when it is the demo's, else a count by
/// the first dimension over a join of the first two tables on their first join keys.
fn example_sql(view: &CleanRoomView) -> String {
    let tables: Vec<&str> = view.parts.iter().map(|p| p.table.as_str()).collect();
    if tables == ["employment_insurance_wages", "flexible_workers"] {
        return app::demo::EXAMPLE_CLEANROOM_SQL.to_string();
    }
    let column = |i: usize, role: Role| {
        view.parts.get(i).and_then(|p| {
            p.columns
                .iter()
                .find(|c| c.role == role)
                .map(|c| c.name.clone())
        })
    };
    match (
        view.parts.first(),
        view.parts.get(1),
        column(0, Role::Dimension),
        column(0, Role::JoinKey),
        column(1, Role::JoinKey),
    ) {
        (Some(a), Some(b), Some(d), Some(ka), Some(kb)) => format!(
            "SELECT a.{d}, COUNT(*) AS n\nFROM {} a\nJOIN {} b ON a.{ka} = b.{kb}\nGROUP BY a.{d}",
            a.table, b.table
        ),
        (Some(a), _, Some(d), _, _) => {
            format!("SELECT {d}, COUNT(*) AS n\nFROM {}\nGROUP BY {d}", a.table)
        }
        _ => String::new(),
    }
}

async fn room_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
) -> PageResult {
    let user = require_user(&v, &format!("/cleanroom/{id}"))?;
    show_room(&state, &v, &user, &id, None, String::new(), None).await
}

async fn show_room(
    state: &SharedState,
    v: &Visitor,
    user: &store::User,
    id: &str,
    sql: Option<(String, String)>,
    error: String,
    outcome: Option<QueryOutcome>,
) -> PageResult {
    let t = Tr(v.lang);
    let view = cleanroom::view(state, user, id).await.or_page(v)?;
    let lang = v.lang.code();
    let holder = view.holder;
    let parts = view
        .parts
        .iter()
        .map(|p| PartRow {
            dataset: p.dataset.clone(),
            title: p.title.clone(),
            table: p.table.clone(),
            status: p.status.map_or_else(
                || t.cleanroom_own_data().to_string(),
                |s| s.label(lang).to_string(),
            ),
            grant_state: p
                .grant_state
                .map(|s| grant_state_label(v.lang, s).to_string())
                .unwrap_or_else(|| "—".into()),
            entity: p
                .policy
                .as_ref()
                .map(|x| x.entity_columns.join(", "))
                .unwrap_or_default(),
            join_keys: p.join_keys.join(", "),
            k: p.policy
                .as_ref()
                .map(|x| x.min_entities.to_string())
                .unwrap_or_default(),
            noise: yes_no(t, p.policy.as_ref().is_some_and(|x| x.noise)),
            columns: p
                .columns
                .iter()
                .filter(|c| c.role != Role::Entity)
                .map(|c| (c.name.clone(), c.role.code(), role_label(t, c.role)))
                .collect(),
        })
        .collect();
    let (sql, epsilon) = sql.unwrap_or_else(|| (example_sql(&view), String::new()));
    Ok(render(RoomTpl {
        t,
        page: PageCtx::new(v, &format!("/cleanroom/{id}")),
        id: view.id.clone(),
        title: view.title.clone(),
        ready: view.ready,
        holder,
        budget: format!("{:.2}", view.epsilon_budget),
        spent: format!("{:.2}", view.epsilon_spent),
        left: format!("{:.2}", view.epsilon_left),
        queries: view.queries,
        k: view.min_entities,
        created: fmt_time(view.created_at),
        parts,
        sql,
        epsilon,
        error,
        outcome,
    }))
}

fn grant_state_label(lang: Lang, s: model::access::GrantState) -> &'static str {
    use model::access::GrantState::*;
    match (s, lang) {
        (Active, Lang::Zh) => "生效中",
        (Active, Lang::En) => "Active",
        (Pending, Lang::Zh) => "未到生效期",
        (Pending, Lang::En) => "Not yet valid",
        (Expired, Lang::Zh) => "已过期",
        (Expired, Lang::En) => "Expired",
        (Revoked, Lang::Zh) => "已撤销",
        (Revoked, Lang::En) => "Revoked",
    }
}

async fn room_query(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let user = require_user(&v, &format!("/cleanroom/{id}"))?;
    let f = FormPairs::checked(&v, &body)?;
    let sql = f.get("sql").to_string();
    let epsilon_text = f.get("epsilon").trim().to_string();
    let epsilon = if epsilon_text.is_empty() {
        Ok(None)
    } else {
        epsilon_text
            .parse::<f64>()
            .map(Some)
            .map_err(|_| app::AppError::new(Code::InvalidField, "`epsilon` must be a number."))
    };
    let asker = v.asker();
    let result = match epsilon {
        Ok(e) => cleanroom::query(&state, asker, &id, &sql, e).await,
        Err(e) => Err(e),
    };
    let keep = Some((sql.clone(), epsilon_text.clone()));
    match result {
        Ok(r) => {
            let outcome = QueryOutcome {
                headers: r.rows.columns.iter().map(|c| c.name.clone()).collect(),
                rows: r
                    .rows
                    .rows()
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .map(|cell| match cell {
                                serde_json::Value::String(s) => s,
                                serde_json::Value::Null => String::new(),
                                other => other.to_string(),
                            })
                            .collect()
                    })
                    .collect(),
                suppressed: r.suppressed_groups,
                k: r.min_entities,
                spent: format!("{:.2}", r.epsilon_spent),
                left: format!("{:.2}", r.epsilon_left),
                log: r.receipt.0.clone(),
                truncated: r.rows.truncated,
            };
            show_room(&state, &v, &user, &id, keep, String::new(), Some(outcome)).await
        }
        Err(e) => {
            again(&v, e, |m| {
                show_room(&state, &v, &user, &id, keep.clone(), m, None)
            })
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The owner's policy, on the dataset page.

/// The section for a dataset page; a failure leaves it empty rather than failing the page.
pub async fn display(state: &SharedState, v: &Visitor, dataset: &store::Dataset) -> PolicyDisplay {
    let owns = app::dataservice::principal(v.user.as_ref()).owns(&dataset.org_id);
    let declared = cleanroom::policy(state, dataset).await.ok().flatten();
    let p = declared.as_ref().map(|d| &d.policy);
    PolicyDisplay {
        declared: p.is_some(),
        entity: p.map(|p| p.entity_columns.join(", ")).unwrap_or_default(),
        join_keys: p.map(|p| p.join_keys.join(", ")).unwrap_or_default(),
        k: p.map(|p| p.min_entities)
            .unwrap_or(model::cleanroom::DEFAULT_MIN_ENTITIES),
        noise: p.is_some_and(|p| p.noise),
        bounds: p
            .map(|p| {
                p.bounds
                    .iter()
                    .map(|b| format!("{} {} {}", b.column, b.lower, b.upper))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        max_rows: p.map(|p| p.max_rows_per_entity).unwrap_or(1),
        table: cleanroom::table_name(&dataset.name),
        owns,
        updated: declared.map(|d| fmt_time(d.updated_at)).unwrap_or_default(),
    }
}

fn list(text: &str) -> Vec<String> {
    text.split([',', '，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_policy(f: &FormPairs) -> Result<Policy, ApiError> {
    let invalid = |m: String| ApiError::new(Code::InvalidPolicy, m);
    let number = |k: &str, default: u32| -> Result<u32, ApiError> {
        let raw = f.get(k).trim();
        if raw.is_empty() {
            return Ok(default);
        }
        raw.parse()
            .map_err(|_| invalid(format!("`{k}` must be a whole number.")))
    };
    let mut bounds = Vec::new();
    for line in f
        .get("bounds")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [column, lower, upper] = parts.as_slice() else {
            return Err(invalid(format!(
                "Write each bound as `column lower upper`; `{line}` is not."
            )));
        };
        let num = |s: &str| {
            s.parse::<f64>()
                .map_err(|_| invalid(format!("`{s}` in `{line}` is not a number.")))
        };
        bounds.push(Bounds {
            column: column.to_string(),
            lower: num(lower)?,
            upper: num(upper)?,
        });
    }
    Ok(Policy {
        entity_columns: list(f.get("entity_columns")),
        join_keys: list(f.get("join_keys")),
        min_entities: number("min_entities", model::cleanroom::DEFAULT_MIN_ENTITIES)?,
        noise: f.get("noise") == "yes",
        bounds,
        max_rows_per_entity: number("max_rows_per_entity", 1)?,
    })
}

async fn policy_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    body: Bytes,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}"))?;
    let f = FormPairs::checked(&v, &body)?;
    let dataset = app::catalog::load_dataset(&state, &name)
        .await
        .or_page(&v)?;
    let policy = parse_policy(&f).or_page(&v)?;
    cleanroom::set_policy(&state, &user, &dataset, policy)
        .await
        .or_page(&v)?;
    Ok(Redirect::to(&format!("/dataset/{name}?msg=cleanroom_policy#cleanroom")).into_response())
}
