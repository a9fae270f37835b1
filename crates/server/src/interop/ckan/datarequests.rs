//! The actions of CKAN's data-requests extension (ckanext-datarequests) over Gongshu's data
//! demands (C8), with that extension's field names, so CKAN clients file, follow and close
//! demands as they would data requests:
//!
//! | extension | Gongshu |
//! |---|---|
//! | `id`, `title`, `description` | the demand's |
//! | `user_id` | the filer's user id |
//! | `organization_id` | the department asked (`null` for a theme, given as `gongshu_theme`) |
//! | `open_time`, `close_time` | filed; answered with a rejection, or fulfilled (UTC, ISO 8601) |
//! | `closed` | rejected or fulfilled |
//! | `accepted_dataset_id`, `accepted_dataset` | the dataset that fulfilled it |
//! | `followers` / `datarequest_follow` / `datarequest_unfollow` | supports |
//!
//! `datarequest_close` with `accepted_dataset` fulfils the demand (accepting it first, planned
//! for today, if it was still open); without one it rejects it, with `reason` (default `other`)
//! and the required public text in `answer`. Every rule, check and log leaf is the application
//! layer's, as through the JSON API.

use super::protocol::{CkanCaller, CkanError, CkanResult, Params};
use crate::state::SharedState;
use app::demands::{self, AnswerDecision, AnswerInput, DemandInput, DemandQuery, FulfilInput};
use model::application::PurposeCategory;
use model::demand::{DemandStatus, RejectionReason, Target};
use serde_json::{json, Value};
use store::{Demand, DemandComment, DemandSort, User};

/// The extension's actions that change data; CKAN answers them only to POST.
pub const WRITE_ACTIONS: &[&str] = &[
    "datarequest_create",
    "datarequest_update",
    "datarequest_close",
    "datarequest_comment",
    "datarequest_follow",
    "datarequest_unfollow",
];

/// All the extension's actions served.
pub const ACTIONS: &[&str] = &[
    "datarequest_create",
    "datarequest_show",
    "datarequest_update",
    "datarequest_index",
    "datarequest_close",
    "datarequest_comment",
    "datarequest_comment_list",
    "datarequest_follow",
    "datarequest_unfollow",
];

/// Runs a data-request action, or `None` if `name` is not one.
pub async fn dispatch(
    state: &SharedState,
    who: &CkanCaller,
    name: &str,
    p: &Params,
) -> Option<CkanResult<Value>> {
    Some(match name {
        "datarequest_create" => create(state, who, p).await,
        "datarequest_show" => show(state, p).await,
        "datarequest_update" => update(state, who, p).await,
        "datarequest_index" => index(state, p).await,
        "datarequest_close" => close(state, who, p).await,
        "datarequest_comment" => comment(state, who, p).await,
        "datarequest_comment_list" => comment_list(state, p).await,
        "datarequest_follow" => follow(state, who, p, true).await,
        "datarequest_unfollow" => follow(state, who, p, false).await,
        _ => return None,
    })
}

fn signed_in(who: &CkanCaller) -> CkanResult<&User> {
    who.user.as_ref().ok_or_else(|| {
        CkanError::Authorization("Access denied: Sign in with an API token to do this.".into())
    })
}

/// CKAN's timestamps: UTC, ISO 8601 without an offset.
fn iso(ms: i64) -> Value {
    match time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000) {
        Ok(t) => {
            let f = time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]"
            );
            t.format(&f).map(Value::String).unwrap_or(Value::Null)
        }
        Err(_) => Value::Null,
    }
}

/// Today's date in China Standard Time, `YYYY-MM-DD`.
fn cst_date(ms: i64) -> String {
    let epoch = time::Date::from_calendar_date(1970, time::Month::January, 1)
        .expect("a valid date")
        .to_julian_day();
    let day = model::calendar::cst_day(ms);
    time::Date::from_julian_day(epoch + day as i32)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn is_closed(status: DemandStatus) -> bool {
    matches!(status, DemandStatus::Rejected | DemandStatus::Fulfilled)
}

/// A demand as the extension's data-request dict.
async fn dict(state: &SharedState, d: Demand) -> CkanResult<Value> {
    let view = demands::view(state, d).await?;
    let d = &view.demand;
    let accepted = match (&d.fulfilled_dataset_id, &view.fulfilled_dataset) {
        (Some(id), Some(name)) => {
            let title = app::exports::dataset_by_name_or_id(state, name)
                .await?
                .map(|ds| ds.meta.title)
                .unwrap_or_default();
            json!({"id": id, "name": name, "title": title})
        }
        _ => Value::Null,
    };
    let close_time = match d.status {
        DemandStatus::Fulfilled => d.fulfilled_at.map(iso),
        DemandStatus::Rejected => d.answered_at.map(iso),
        _ => None,
    };
    let (organization_id, theme) = match &d.target {
        Target::Department(id) => (json!(id), Value::Null),
        Target::Theme(t) => (Value::Null, json!(t)),
    };
    Ok(json!({
        "id": d.id,
        "user_id": d.created_by,
        "title": d.title,
        "description": d.description,
        "organization_id": organization_id,
        "organization": view.department.as_ref().map(|name| json!({"name": name, "title": view.target_title})),
        "open_time": iso(d.created_at),
        "accepted_dataset_id": d.fulfilled_dataset_id,
        "accepted_dataset": accepted,
        "close_time": close_time.unwrap_or(Value::Null),
        "closed": is_closed(d.status),
        "followers": d.support_count,
        "comments_count": d.comment_count,
        "gongshu_status": d.status.code(),
        "gongshu_theme": theme,
        "gongshu_overdue": view.overdue,
        "gongshu_due": iso(d.due_at),
    }))
}

fn comment_dict(c: &DemandComment) -> Value {
    json!({
        "id": c.id,
        "user_id": c.user_id,
        "datarequest_id": c.demand_id,
        "time": iso(c.created_at),
        "comment": c.body,
    })
}

/// An organization given by id or name, as its slug (demands are filed against slugs).
async fn org_slug(state: &SharedState, key: &str) -> CkanResult<String> {
    match app::exports::org_by_name_or_id(state, key).await? {
        Some(o) => Ok(o.name),
        None => Err(CkanError::NotFound(
            "Not found: Organization not found".into(),
        )),
    }
}

async fn create(state: &SharedState, who: &CkanCaller, p: &Params) -> CkanResult<Value> {
    let user = signed_in(who)?;
    let department = match p.text("organization_id").filter(|s| !s.trim().is_empty()) {
        Some(key) => Some(org_slug(state, &key).await?),
        None => None,
    };
    let purpose = match p.text("purpose_category") {
        Some(code) => code.parse::<PurposeCategory>().map_err(|e| {
            CkanError::Validation(vec![("purpose_category".into(), format!("{e}."))])
        })?,
        None => PurposeCategory::Other,
    };
    let fields = match p.text("fields") {
        Some(f) => app::catalog::split_list(&f),
        None => Vec::new(),
    };
    let d = demands::file(
        state,
        user,
        DemandInput {
            title: p.text("title").unwrap_or_default(),
            description: p.text("description").unwrap_or_default(),
            fields,
            purpose_category: purpose,
            department,
            theme: p.text("theme"),
            extends: p.text("extends"),
        },
    )
    .await?;
    dict(state, d).await
}

async fn show(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let d = demands::load(state, &p.required("id")?).await?;
    dict(state, d).await
}

async fn update(state: &SharedState, who: &CkanCaller, p: &Params) -> CkanResult<Value> {
    let user = signed_in(who)?;
    let id = p.required("id")?;
    let d = demands::load(state, &id).await?;
    // The department asked changes only by the authority's transfer, never by the filer.
    if let Some(key) = p.text("organization_id").filter(|s| !s.trim().is_empty()) {
        let asked = match &d.target {
            Target::Department(org) => org.clone(),
            Target::Theme(_) => String::new(),
        };
        let wanted = app::exports::org_by_name_or_id(state, &key)
            .await?
            .map(|o| o.id)
            .unwrap_or_default();
        if wanted != asked {
            return Err(CkanError::Validation(vec![(
                "organization_id".into(),
                "The department a demand asks is changed only by the data authority's transfer."
                    .into(),
            )]));
        }
    }
    let d = demands::edit(
        state,
        user,
        &id,
        p.text("title").as_deref(),
        p.text("description").as_deref(),
    )
    .await?;
    dict(state, d).await
}

/// The most data requests one index page returns.
const INDEX_MAX: i64 = 100;

async fn index(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let department = match p.text("organization_id").filter(|s| !s.trim().is_empty()) {
        Some(key) => Some(org_slug(state, &key).await?),
        None => None,
    };
    let closed = match p.text("closed").map(|s| s.trim().to_lowercase()) {
        None => None,
        Some(s) if s.is_empty() => None,
        Some(s) if s == "true" || s == "1" => Some(true),
        Some(s) if s == "false" || s == "0" => Some(false),
        Some(_) => {
            return Err(CkanError::Validation(vec![(
                "closed".into(),
                "`closed` must be True or False.".into(),
            )]))
        }
    };
    let bad = |key: &str, m: &str| CkanError::Validation(vec![(key.into(), m.into())]);
    let offset = p.int("offset")?.unwrap_or(0);
    let limit = p.int("limit")?.unwrap_or(10);
    if offset < 0 {
        return Err(bad("offset", "Must be a natural number."));
    }
    if !(1..=INDEX_MAX).contains(&limit) {
        return Err(bad("limit", "Must be 1 to 100."));
    }
    let created_by = p.text("user_id").filter(|s| !s.trim().is_empty());
    let page = demands::list(
        state,
        DemandQuery {
            department: department.clone(),
            created_by: created_by.clone(),
            closed,
            sort: DemandSort::Newest,
            offset,
            limit,
            ..DemandQuery::default()
        },
    )
    .await?;
    let mut result = Vec::with_capacity(page.demands.len());
    for v in page.demands {
        result.push(dict(state, v.demand).await?);
    }
    Ok(json!({
        "count": page.total,
        "facets": facets(state, department.as_deref(), created_by, closed).await?,
        "result": result,
    }))
}

/// The extension's facets: data requests per organization and per state (`Open`, `Closed`),
/// over the demands the other filters select.
async fn facets(
    state: &SharedState,
    department: Option<&str>,
    created_by: Option<String>,
    closed: Option<bool>,
) -> CkanResult<Value> {
    // (organization slug, title, live, closed), from the statistics when no filer is named, else
    // from that filer's demands.
    let mut per_org: Vec<(String, String, i64, i64)> = Vec::new();
    match created_by {
        None => {
            let stats = demands::stats(state).await?;
            for r in &stats.departments {
                let c = &r.counts;
                per_org.push((
                    r.key.clone(),
                    r.title.clone(),
                    c.open + c.accepted,
                    c.rejected + c.fulfilled,
                ));
            }
        }
        Some(user) => {
            let mut offset = 0;
            loop {
                let page = demands::list(
                    state,
                    DemandQuery {
                        created_by: Some(user.clone()),
                        offset,
                        limit: INDEX_MAX,
                        ..DemandQuery::default()
                    },
                )
                .await?;
                for v in &page.demands {
                    let Some(slug) = &v.department else { continue };
                    let i = match per_org.iter().position(|o| &o.0 == slug) {
                        Some(i) => i,
                        None => {
                            per_org.push((slug.clone(), v.target_title.clone(), 0, 0));
                            per_org.len() - 1
                        }
                    };
                    if is_closed(v.demand.status) {
                        per_org[i].3 += 1;
                    } else {
                        per_org[i].2 += 1;
                    }
                }
                offset += INDEX_MAX;
                if offset >= page.total {
                    break;
                }
            }
        }
    }
    let pick = |live: i64, shut: i64| match closed {
        Some(true) => shut,
        Some(false) => live,
        None => live + shut,
    };
    let organization: Vec<Value> = per_org
        .iter()
        .filter(|o| pick(o.2, o.3) > 0)
        .map(|o| json!({"name": o.0, "display_name": o.1, "count": pick(o.2, o.3)}))
        .collect();
    let in_scope = per_org
        .iter()
        .filter(|o| department.is_none_or(|d| d == o.0));
    let (live, shut) = in_scope.fold((0, 0), |(l, s), o| (l + o.2, s + o.3));
    let mut states = Vec::new();
    if closed != Some(true) && live > 0 {
        states.push(json!({"name": "Open", "count": live}));
    }
    if closed != Some(false) && shut > 0 {
        states.push(json!({"name": "Closed", "count": shut}));
    }
    Ok(json!({"organization": organization, "state": states}))
}

async fn close(state: &SharedState, who: &CkanCaller, p: &Params) -> CkanResult<Value> {
    let user = signed_in(who)?;
    let id = p.required("id")?;
    let d = demands::load(state, &id).await?;
    let d = match p.text("accepted_dataset").filter(|s| !s.trim().is_empty()) {
        Some(dataset) => {
            let name = match app::exports::dataset_by_name_or_id(state, &dataset).await? {
                Some(ds) => ds.name,
                None => {
                    return Err(CkanError::NotFound("Not found: Dataset not found".into()));
                }
            };
            if d.status == DemandStatus::Open {
                let today = cst_date(app::clock::now_ms());
                demands::answer(
                    state,
                    user,
                    &id,
                    AnswerInput {
                        decision: AnswerDecision::Accept,
                        planned_date: Some(today),
                        reason: None,
                        text: p.text("answer").unwrap_or_default(),
                    },
                )
                .await?;
            }
            demands::fulfil(
                state,
                user,
                &id,
                FulfilInput {
                    dataset: Some(name),
                    grant: None,
                },
            )
            .await?
        }
        None => {
            let reason = match p.text("reason") {
                Some(code) => code
                    .parse::<RejectionReason>()
                    .map_err(|e| CkanError::Validation(vec![("reason".into(), format!("{e}."))]))?,
                None => RejectionReason::Other,
            };
            demands::answer(
                state,
                user,
                &id,
                AnswerInput {
                    decision: AnswerDecision::Reject,
                    planned_date: None,
                    reason: Some(reason),
                    text: p.text("answer").unwrap_or_default(),
                },
            )
            .await?
        }
    };
    dict(state, d).await
}

async fn comment(state: &SharedState, who: &CkanCaller, p: &Params) -> CkanResult<Value> {
    let user = signed_in(who)?;
    let id = p.required("datarequest_id")?;
    let c = demands::comment(state, user, &id, &p.text("comment").unwrap_or_default()).await?;
    Ok(comment_dict(&c))
}

async fn comment_list(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let id = p.required("datarequest_id")?;
    let list = demands::comments(state, &id).await?;
    Ok(Value::Array(list.iter().map(comment_dict).collect()))
}

async fn follow(state: &SharedState, who: &CkanCaller, p: &Params, on: bool) -> CkanResult<Value> {
    let user = signed_in(who)?;
    let id = p.required("id")?;
    if on {
        demands::support(state, user, &id).await?;
    } else {
        demands::unsupport(state, user, &id).await?;
    }
    Ok(Value::Bool(true))
}
