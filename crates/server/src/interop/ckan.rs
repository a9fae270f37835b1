//! The CKAN Action API (C14) at `/api/3/action/NAME` and `/api/action/NAME`: the read actions,
//! enough for the ckanapi client and CKAN harvesters, and the data-request extension's actions
//! over data demands ([`datarequests`]). CKAN's envelope (`help`, `success`,
//! `result`) and error shape (`__type`, status codes) are kept exactly, as are the package
//! dict's field names; Gongshu's own fields (grade, opening type, domain) travel as `extras`.
//! `datastore_search` and `datastore_search_sql` go through the governed data service.

use crate::api::params::{rest_query, QueryParams};
use crate::extract::ClientAddr;
use crate::state::SharedState;
use app::dataservice::{self, Delivery};
use app::exports;
use app::harvests::Harvest;
use app::records::{org_dict, package_dict, resource_dict, Record};
use app::Code;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use model::log::EventKind;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};
use std::net::SocketAddr;

mod datarequests;
mod protocol;

use protocol::{CkanCaller, CkanError, CkanResult, Params};

/// The CKAN version whose API this imitates.
const CKAN_VERSION: &str = "2.10.4";
/// Most rows `package_search` returns (CKAN's `ckan.search.rows_max`).
pub const ROWS_MAX: i64 = 1000;

/// The CKAN routes.
pub fn router() -> Router<SharedState> {
    let action = || get(action_get).post(action_post).fallback(wrong_method);
    Router::new()
        .route("/api/3/action/{name}", action())
        .route("/api/action/{name}", action())
}

async fn caller(
    state: &SharedState,
    headers: &HeaderMap,
    addr: Option<SocketAddr>,
) -> CkanResult<CkanCaller> {
    let token = headers
        .get("x-ckan-api-key")
        .or_else(|| headers.get(axum::http::header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("Bearer ").trim().to_string())
        .filter(|t| !t.is_empty());
    let user = match token {
        None => None,
        Some(t) => Some(
            app::auth::user_for_token(state, &t)
                .await
                .map_err(CkanError::from)?
                .0,
        ),
    };
    Ok(CkanCaller {
        user,
        client: addr.map(|a| a.ip()),
    })
}

fn help_url(headers: &HeaderMap, state: &SharedState, name: &str) -> String {
    let base = match &state.config().public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    };
    format!("{base}/api/3/action/help_show?name={name}")
}

/// What an action answers: a JSON value, or JSON text made already. package_search sends the
/// package dicts stored in the search index as they were stored, without parsing them again.
#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    Value(Value),
    Raw(Box<RawValue>),
}

/// CKAN's envelope of a successful action.
#[derive(Serialize)]
struct Success {
    help: String,
    success: bool,
    result: Answer,
}

fn envelope(help: String, outcome: CkanResult<Answer>) -> Response {
    match outcome {
        Ok(result) => Json(Success {
            help,
            success: true,
            result,
        })
        .into_response(),
        Err(e) => {
            let (status, error) = match e {
                CkanError::BadRequest(m) => (
                    StatusCode::BAD_REQUEST,
                    json!({"__type": "Bad request", "message": m}),
                ),
                CkanError::Authorization(m) => (
                    StatusCode::FORBIDDEN,
                    json!({"__type": "Authorization Error", "message": m}),
                ),
                CkanError::NotFound(m) => (
                    StatusCode::NOT_FOUND,
                    json!({"__type": "Not Found Error", "message": m}),
                ),
                CkanError::Validation(fields) => {
                    let mut error = Map::new();
                    error.insert("__type".into(), json!("Validation Error"));
                    for (field, message) in fields {
                        error.insert(field, json!([message]));
                    }
                    (StatusCode::CONFLICT, Value::Object(error))
                }
                CkanError::SearchQuery(m) => (
                    StatusCode::BAD_REQUEST,
                    json!({"__type": "Search Query Error", "message": format!("Search Query is invalid: {m}")}),
                ),
                CkanError::Internal => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"__type": "Internal Server Error", "message": "Internal Server Error"}),
                ),
            };
            (
                status,
                Json(json!({"help": help, "success": false, "error": error})),
            )
                .into_response()
        }
    }
}

async fn action_get(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    RawQuery(query): RawQuery,
) -> Response {
    if datarequests::WRITE_ACTIONS.contains(&name.as_str()) {
        // As CKAN: an action that changes data is answered only to POST.
        let help = help_url(&headers, &state, &name);
        return envelope(
            help,
            Err(CkanError::BadRequest(
                "Bad request - JSON Error: Invalid request. Please use POST method for your request"
                    .into(),
            )),
        );
    }
    let mut params = Map::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        params.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    run(state, name, headers, addr, params).await
}

async fn action_post(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    body: Bytes,
) -> Response {
    let help = help_url(&headers, &state, &name);
    let params =
        if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(m)) => m,
                Ok(_) => return envelope(
                    help,
                    Err(CkanError::BadRequest(
                        "Bad request - JSON Error: Request data JSON decoded to a non-dictionary"
                            .into(),
                    )),
                ),
                Err(e) => {
                    return envelope(
                        help,
                        Err(CkanError::BadRequest(format!(
                            "Bad request - JSON Error: Error decoding JSON data. Error: {e}"
                        ))),
                    )
                }
            }
        };
    run(state, name, headers, addr, params).await
}

async fn wrong_method(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut r = envelope(
        help_url(&headers, &state, &name),
        Err(CkanError::BadRequest(
            "Bad request - use GET or POST (with a JSON body) to call an action".into(),
        )),
    );
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

async fn run(
    state: SharedState,
    name: String,
    headers: HeaderMap,
    addr: Option<SocketAddr>,
    params: Map<String, Value>,
) -> Response {
    let help = help_url(&headers, &state, &name);
    let outcome = match caller(&state, &headers, addr).await {
        Ok(who) => dispatch(&state, &who, &name, &Params(params)).await,
        Err(e) => Err(e),
    };
    if let Err(CkanError::Internal) = &outcome {
        tracing::error!(action = %name, "CKAN action failed");
    }
    envelope(help, outcome)
}

async fn dispatch(
    state: &SharedState,
    who: &CkanCaller,
    name: &str,
    p: &Params,
) -> CkanResult<Answer> {
    if let Some(outcome) = datarequests::dispatch(state, who, name, p).await {
        return outcome.map(Answer::Value);
    }
    let value = match name {
        "status_show" => Ok(status_show(state)),
        "package_list" => package_list(state, p).await,
        "package_show" => package_show(state, p).await,
        "package_search" => return package_search(state, p).await,
        "organization_list" => organization_list(state, p).await,
        "organization_show" => organization_show(state, p).await,
        "group_list" => group_list(state, p).await,
        "tag_list" => tag_list(state, p).await,
        "resource_show" => resource_show(state, p).await,
        "datastore_search" => datastore_search(state, who, p).await,
        "datastore_search_sql" => datastore_search_sql(state, who, p).await,
        "help_show" => Ok(json!(format!(
            "Gongshu implements CKAN's read actions: {}; and the data-request actions over its data demands: {}.",
            ACTIONS.join(", "),
            datarequests::ACTIONS.join(", ")
        ))),
        _ => Err(CkanError::BadRequest(format!(
            "Bad request - Action name not known: {name}"
        ))),
    };
    value.map(Answer::Value)
}

/// The actions served.
pub const ACTIONS: &[&str] = &[
    "status_show",
    "package_list",
    "package_show",
    "package_search",
    "organization_list",
    "organization_show",
    "group_list",
    "tag_list",
    "resource_show",
    "datastore_search",
    "datastore_search_sql",
    "help_show",
];

fn status_show(state: &SharedState) -> Value {
    json!({
        "site_title": "共数 Gongshu",
        "site_url": state.config().public_url.clone().unwrap_or_default(),
        "site_description": "Open and shared public data under verifiable rules.",
        "ckan_version": CKAN_VERSION,
        "locale_default": "zh_Hans_CN",
        "extensions": ["datastore", "gongshu"],
    })
}

async fn load_package(state: &SharedState, id: &str) -> CkanResult<Record> {
    match exports::dataset_by_name_or_id(state, id).await? {
        Some(dataset) => Ok(exports::record(state, dataset).await?),
        None => Err(CkanError::NotFound("Not found: Dataset not found".into())),
    }
}

async fn package_show(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let id = p.required("id")?;
    let record = load_package(state, &id).await?;
    app::harvests::count(state, Harvest::Ckan, [record.dataset.name.as_str()]);
    Ok(package_dict(&record))
}

async fn package_list(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let mut names: Vec<String> = exports::datasets(state)
        .await?
        .into_iter()
        .map(|d| d.name)
        .collect();
    names.sort();
    let offset = p.int("offset")?.unwrap_or(0).max(0) as usize;
    let names: Vec<String> = match p.int("limit")? {
        Some(l) if l >= 0 => names.into_iter().skip(offset).take(l as usize).collect(),
        _ => names.into_iter().skip(offset).collect(),
    };
    Ok(json!(names))
}

async fn organization_list(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let orgs = app::accounts::list_orgs(state).await?;
    if !p.flag("all_fields") {
        return Ok(json!(orgs
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>()));
    }
    let datasets = exports::datasets(state).await?;
    Ok(json!(orgs
        .iter()
        .map(|o| org_dict(
            o,
            Some(datasets.iter().filter(|d| d.org_id == o.id).count())
        ))
        .collect::<Vec<_>>()))
}

async fn organization_show(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let id = p.required("id")?;
    let org = exports::org_by_name_or_id(state, &id)
        .await?
        .ok_or_else(|| CkanError::NotFound("Not found: Organization not found".into()))?;
    let datasets: Vec<store::Dataset> = exports::datasets(state)
        .await?
        .into_iter()
        .filter(|d| d.org_id == org.id)
        .collect();
    let mut dict = org_dict(&org, Some(datasets.len()));
    if p.flag("include_datasets") {
        let mut packages = Vec::new();
        for d in datasets {
            packages.push(package_dict(&exports::record(state, d).await?));
        }
        dict["packages"] = json!(packages);
    }
    Ok(dict)
}

/// Counts of a list-valued field (themes or tags) over all datasets.
async fn counts(
    state: &SharedState,
    field: impl Fn(&store::Dataset) -> &Vec<String>,
) -> CkanResult<Vec<(String, usize)>> {
    let mut map = std::collections::BTreeMap::new();
    for d in exports::datasets(state).await? {
        for v in field(&d) {
            *map.entry(v.clone()).or_insert(0usize) += 1;
        }
    }
    Ok(map.into_iter().collect())
}

async fn group_list(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let themes = counts(state, |d| &d.meta.themes).await?;
    if p.flag("all_fields") {
        return Ok(json!(themes
            .iter()
            .map(|(t, n)| json!({"name": t, "title": t, "display_name": t, "package_count": n, "type": "group", "state": "active", "is_organization": false}))
            .collect::<Vec<_>>()));
    }
    Ok(json!(themes
        .into_iter()
        .map(|(t, _)| t)
        .collect::<Vec<_>>()))
}

async fn tag_list(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let query = p.text("query").unwrap_or_default().to_lowercase();
    let tags: Vec<String> = counts(state, |d| &d.meta.tags)
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| query.is_empty() || t.to_lowercase().contains(&query))
        .collect();
    if p.flag("all_fields") {
        return Ok(json!(tags
            .iter()
            .map(|t| json!({"name": t, "display_name": t, "vocabulary_id": null}))
            .collect::<Vec<_>>()));
    }
    Ok(json!(tags))
}

/// The resource with this id, and its dataset's record.
async fn load_resource(state: &SharedState, id: &str) -> CkanResult<(Record, usize)> {
    exports::resource_record(state, id)
        .await?
        .ok_or_else(|| CkanError::NotFound("Not found: Resource was not found.".into()))
}

async fn resource_show(state: &SharedState, p: &Params) -> CkanResult<Value> {
    let (record, i) = load_resource(state, &p.required("id")?).await?;
    let (r, v) = &record.resources[i];
    Ok(resource_dict(&record, r, v.as_ref(), i))
}

async fn package_search(state: &SharedState, p: &Params) -> CkanResult<Answer> {
    let rows = p.int("rows")?.unwrap_or(10);
    if !(0..=ROWS_MAX).contains(&rows) {
        return Err(CkanError::Validation(vec![(
            "rows".into(),
            format!("Must be between 0 and {ROWS_MAX}"),
        )]));
    }
    let start = p.int("start")?.unwrap_or(0);
    if start < 0 {
        return Err(CkanError::Validation(vec![(
            "start".into(),
            "Must be a natural number".into(),
        )]));
    }
    let mut q = p.text("q").unwrap_or_default();
    if q.trim() == "*:*" {
        q.clear();
    }
    let mut fq = p.text("fq").unwrap_or_default();
    if let Some(Value::Array(list)) = p.json("fq_list")? {
        for item in list {
            if let Some(s) = item.as_str() {
                fq.push(' ');
                fq.push_str(s);
            }
        }
    }
    let filters = parse_fq(&fq)?;
    let sort = match p
        .text("sort")
        .unwrap_or_default()
        .split(',')
        .next()
        .unwrap_or("")
        .trim()
    {
        "" | "score desc" | "rank desc" => search::Sort::Relevance,
        "metadata_modified desc" => search::Sort::ModifiedDesc,
        "title_string asc" | "title asc" => search::Sort::TitleAsc,
        "name asc" => search::Sort::NameAsc,
        other => {
            return Err(CkanError::Validation(vec![(
                "sort".into(),
                format!("Unsupported sort `{other}`; use score desc, metadata_modified desc, title_string asc or name asc"),
            )]))
        }
    };
    let mut facet_names: Vec<String> = Vec::new();
    match p.json("facet.field")? {
        None => {}
        Some(Value::Array(list)) => {
            for f in list {
                match f.as_str() {
                    Some(s) => facet_names.push(s.to_string()),
                    None => return Err(bad_facet(&f.to_string())),
                }
            }
        }
        Some(Value::String(s)) => facet_names.push(s),
        Some(other) => return Err(bad_facet(&other.to_string())),
    }
    let mut facets = Vec::new();
    for name in &facet_names {
        facets.push(name.parse::<search::Facet>().map_err(|_| bad_facet(name))?);
    }
    let facet_limit = p.int("facet.limit")?.unwrap_or(50).clamp(0, 1000) as usize;
    let query = search::SearchQuery {
        q,
        filters,
        sort,
        rows: rows as usize,
        start: start as usize,
        facets: facets.clone(),
        facet_limit,
        // CKAN's package_search returns package dicts, not highlights.
        highlight: false,
    };
    let mut result = exports::search(state, &query).map_err(|e| match e.code {
        Code::BadRequest => CkanError::SearchQuery(e.message),
        _ => CkanError::Internal,
    })?;
    app::harvests::count(
        state,
        Harvest::Ckan,
        result.hits.iter().map(|h| h.name.as_str()),
    );
    let mut results: Vec<Box<RawValue>> = Vec::with_capacity(result.hits.len());
    for hit in std::mem::take(&mut result.hits) {
        // The stored dict is checked to be JSON, not parsed into values.
        if let Ok(dict) = RawValue::from_string(hit.payload) {
            results.push(dict);
            continue;
        }
        match load_package(state, &hit.name).await {
            Ok(record) => results.push(raw(&package_dict(&record))?),
            // Deleted since it was indexed: the index catches up on the next change.
            Err(CkanError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let mut facet_counts = Map::new();
    let mut search_facets = Map::new();
    for (name, facet) in facet_names.iter().zip(&facets) {
        let values = result
            .facets
            .iter()
            .find(|(f, _)| f == facet)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        facet_counts.insert(
            name.clone(),
            Value::Object(values.iter().map(|(v, n)| (v.clone(), json!(n))).collect()),
        );
        search_facets.insert(
            name.clone(),
            json!({"title": name, "items": values.iter().map(|(v, n)| json!({"name": v, "display_name": v, "count": n})).collect::<Vec<_>>()}),
        );
    }
    #[derive(Serialize)]
    struct Found {
        count: u64,
        results: Vec<Box<RawValue>>,
        facets: Map<String, Value>,
        search_facets: Map<String, Value>,
        sort: String,
    }
    let found = Found {
        count: result.total,
        results,
        facets: facet_counts,
        search_facets,
        sort: p
            .text("sort")
            .unwrap_or_else(|| "score desc, metadata_modified desc".into()),
    };
    Ok(Answer::Raw(raw(&found)?))
}

/// JSON text of `value`.
fn raw(value: &impl Serialize) -> CkanResult<Box<RawValue>> {
    serde_json::value::to_raw_value(value).map_err(|e| {
        tracing::error!("cannot serialize a CKAN answer: {e}");
        CkanError::Internal
    })
}

fn bad_facet(name: &str) -> CkanError {
    CkanError::Validation(vec![(
        "facet.field".into(),
        format!("Unknown facet field `{name}`; use organization, tags, res_format, groups, grade, opening_type or domain"),
    )])
}

/// Parses a Solr-style filter query: `field:value` or `field:"quoted value"` terms, optionally
/// with a leading `+`, all required. Fields CKAN clients send that mean "everything public"
/// (`capacity:public`, `dataset_type:dataset`, `state:active`) are accepted and ignored.
pub fn parse_fq(fq: &str) -> CkanResult<Vec<(search::Facet, String)>> {
    let mut out = Vec::new();
    let mut chars = fq.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        if chars.peek() == Some(&'+') {
            chars.next();
        }
        let field: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != ':' && !c.is_whitespace())).collect();
        if chars.next() != Some(':') || field.is_empty() {
            return Err(CkanError::SearchQuery(format!(
                "`{field}` in fq is not of the form field:value"
            )));
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let v: String = std::iter::from_fn(|| chars.next_if(|c| *c != '"')).collect();
            if chars.next() != Some('"') {
                return Err(CkanError::SearchQuery("unbalanced quote in fq".into()));
            }
            v
        } else {
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect()
        };
        if value.is_empty() {
            return Err(CkanError::SearchQuery(format!(
                "`{field}:` in fq has no value"
            )));
        }
        match (field.as_str(), value.as_str()) {
            ("capacity", "public") | ("dataset_type", "dataset") | ("state", "active") => continue,
            _ => {}
        }
        let facet = field.parse::<search::Facet>().map_err(|_| {
            CkanError::SearchQuery(format!(
                "unknown field `{field}` in fq; use organization, tags, res_format, groups, grade, opening_type or domain"
            ))
        })?;
        out.push((facet, value));
    }
    Ok(out)
}

/// CKAN's `filters` (a dict of column → value or list of values) become REST filters as is.
async fn datastore_search(state: &SharedState, who: &CkanCaller, p: &Params) -> CkanResult<Value> {
    let id = p.required("resource_id")?;
    let (record, i) = load_resource(state, &id).await?;
    let resource = record.resources[i].0.name.clone();
    let fields = p.json("fields")?.map(|f| match f {
        Value::String(s) => Value::String(s),
        other => other,
    });
    let params = QueryParams {
        filters: p.json("filters")?,
        q: p.text("q"),
        fields,
        sort: p.text("sort"),
        limit: p.int("limit")?.map(|l| json!(l)),
        offset: p.int("offset")?.map(|o| json!(o)),
        distinct: Some(json!(p.flag("distinct"))),
        include_total: Some(json!(
            !p.0.contains_key("include_total") || p.flag("include_total")
        )),
        resource: Some(resource.clone()),
        format: None,
        run_on: None,
    };
    let q = rest_query(&params, state.query_limits().max_rows)?;
    let (offset, limit) = (q.offset, q.limit);
    let delivery = Delivery {
        kind: EventKind::Datastore,
        request: json!({"action": "datastore_search", "params": params}),
    };
    let (_, rows, receipt) = dataservice::run_query(
        state,
        who.asker(),
        &record.dataset.name,
        Some(&resource),
        q,
        &delivery,
    )
    .await?;
    // The data dictionary's descriptions, where CKAN's DataStore keeps them (`info.notes`).
    let notes = app::dictionary::notes(state, &record.resources[i].0).await?;
    let fields: Vec<Value> = rows
        .columns
        .iter()
        .map(|c| {
            let mut f = json!({"id": c.name, "type": ckan_type(&c.data_type)});
            if let Some(d) = model::dictionary::description_of(&notes, &c.name) {
                f["info"] = json!({"notes": d});
            }
            f
        })
        .collect();
    let mut result = json!({
        "resource_id": id,
        "fields": fields,
        "records": rows.records(),
        "limit": limit,
        "offset": offset,
        "gongshu_log_index": receipt.0,
    });
    if let Some(total) = rows.total {
        result["total"] = json!(total);
    }
    Ok(result)
}

/// Table names may be dataset names, `dataset/resource`, or (as in CKAN) resource ids.
async fn datastore_search_sql(
    state: &SharedState,
    who: &CkanCaller,
    p: &Params,
) -> CkanResult<Value> {
    let sql = p.required("sql")?;
    let (_, rows, receipt) =
        dataservice::run_sql(state, who.asker(), &sql, EventKind::Datastore).await?;
    Ok(json!({
        "sql": sql,
        "fields": rows.columns.iter().map(|c| json!({"id": c.name, "type": ckan_type(&c.data_type)})).collect::<Vec<_>>(),
        "records": rows.records(),
        "records_truncated": rows.truncated,
        "gongshu_log_index": receipt.0,
    }))
}

/// The DataStore's type names for Arrow types.
fn ckan_type(arrow: &str) -> &'static str {
    let t = arrow.to_lowercase();
    if t.starts_with("int") || t.starts_with("uint") {
        "int"
    } else if t.starts_with("float") || t.starts_with("decimal") {
        "numeric"
    } else if t == "boolean" {
        "bool"
    } else if t.starts_with("date") {
        "date"
    } else if t.starts_with("timestamp") {
        "timestamp"
    } else {
        "text"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_queries_parse_like_solr_terms() {
        let f =
            parse_fq(r#"+organization:transport tags:"公交 站点" res_format:CSV capacity:public"#)
                .unwrap();
        assert_eq!(
            f,
            vec![
                (search::Facet::Organization, "transport".to_string()),
                (search::Facet::Tag, "公交 站点".to_string()),
                (search::Facet::Format, "CSV".to_string()),
            ]
        );
        assert!(parse_fq("").unwrap().is_empty());
        for bad in ["organization", "nope:x", "tags:\"open", "tags:", ":x"] {
            assert!(
                matches!(parse_fq(bad), Err(CkanError::SearchQuery(_))),
                "{bad}"
            );
        }
    }
}
