//! Open311 GeoReport v2 at `/open311/v2/` (DESIGN.md C10, C14): discovery, services, service
//! definitions, requests (list, one, and posting with an API token as `api_key`), tokens, and
//! the `servicerequestupdates` extension, each as `.json` or `.xml` in the shapes of the
//! specification: lists as bare JSON arrays or under the specification's XML root, errors as
//! lists of code and description with 404 for what does not exist, 403 for a missing or invalid
//! `api_key`, and 400 for anything else. Everything goes through [`app::feedback`], so the
//! descriptions are masked and the contact never appears.

use super::exports::base_url;
use crate::state::SharedState;
use app::feedback::{self, FeedbackInput, FeedbackQuery, FeedbackView};
use app::{AppError, Code};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use model::feedback::{Contact, FeedbackEvent, FeedbackStatus};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The Open311 routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/open311/v2/{file}", get(get_root).post(post_root))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

/// Most requests one list returns, and the default span of days, as the specification sets.
const MAX_REQUESTS: i64 = 1000;
const DEFAULT_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// An answer in the format asked: an object or a list of objects, with the XML root element and
/// (for a list) the element of each item. Fields keep their order.
struct Answer {
    format: Format,
    status: StatusCode,
    root: &'static str,
    item: Option<&'static str>,
    body: Body,
}

enum Body {
    One(Fields),
    Many(Vec<Fields>),
}

type Fields = Vec<(&'static str, Value)>;

/// An error of the façade: the specification's status and a description.
struct Failure {
    format: Format,
    status: StatusCode,
    description: String,
}

impl Failure {
    fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Self {
        Failure {
            format,
            status,
            description: description.into(),
        }
    }

    fn from_app(format: Format, e: AppError) -> Self {
        let status = match e.code.kind() {
            "not_found" => StatusCode::NOT_FOUND,
            "auth" => StatusCode::FORBIDDEN,
            "internal" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Failure::new(format, status, e.message)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let error: Fields = vec![
            ("code", json!(self.status.as_u16())),
            ("description", json!(self.description)),
        ];
        Answer {
            format: self.format,
            status: self.status,
            root: "errors",
            item: Some("error"),
            body: Body::Many(vec![error]),
        }
        .into_response()
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let status = self.status;
        let (media_type, body) = self.render();
        (status, [(header::CONTENT_TYPE, media_type)], body).into_response()
    }
}

impl Answer {
    /// The media type and the body.
    fn render(self) -> (&'static str, String) {
        match self.format {
            Format::Json => {
                let value = match self.body {
                    Body::One(f) => object(f),
                    Body::Many(list) => Value::Array(list.into_iter().map(object).collect()),
                };
                ("application/json; charset=utf-8", value.to_string())
            }
            Format::Xml => {
                let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
                out.push('<');
                out.push_str(self.root);
                out.push('>');
                match self.body {
                    Body::One(f) => fields_xml(&f, &mut out),
                    Body::Many(list) => {
                        let item = self.item.unwrap_or("item");
                        for f in &list {
                            out.push_str(&format!("<{item}>"));
                            fields_xml(f, &mut out);
                            out.push_str(&format!("</{item}>"));
                        }
                    }
                }
                out.push_str(&format!("</{}>", self.root));
                ("text/xml; charset=utf-8", out)
            }
        }
    }
}

fn object(fields: Fields) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// The element name of the items of a nested list.
fn item_of(list: &str) -> &'static str {
    match list {
        "endpoints" => "endpoint",
        "formats" => "format",
        "attributes" => "attribute",
        "values" => "value",
        _ => "item",
    }
}

fn fields_xml(fields: &Fields, out: &mut String) {
    for (k, v) in fields {
        value_xml(k, v, out);
    }
}

fn value_xml(name: &str, v: &Value, out: &mut String) {
    out.push_str(&format!("<{name}>"));
    match v {
        Value::Null => {}
        Value::String(s) => escape_into(s, out),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Array(items) => {
            let item = item_of(name);
            for i in items {
                value_xml(item, i, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                value_xml(k, v, out);
            }
        }
    }
    out.push_str(&format!("</{name}>"));
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// Splits `name.json` or `name.xml`.
fn split(file: &str) -> Result<(&str, Format), Failure> {
    match file.rsplit_once('.') {
        Some((name, "json")) => Ok((name, Format::Json)),
        Some((name, "xml")) => Ok((name, Format::Xml)),
        _ => Err(Failure::new(
            Format::Json,
            StatusCode::NOT_FOUND,
            "Resources end in .json or .xml.",
        )),
    }
}

fn answer(format: Format, root: &'static str, item: Option<&'static str>, body: Body) -> Answer {
    Answer {
        format,
        status: StatusCode::OK,
        root,
        item,
        body,
    }
}

/// A time as the specification writes it: W3C (ISO 8601) with the offset, in China Standard
/// Time, to the second.
fn w3c(ms: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Parses a W3C date and time with its offset (`2026-12-01T00:00:00+08:00`, `…Z`).
fn parse_w3c(format: Format, name: &str, s: &str) -> Result<i64, Failure> {
    time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            Failure::new(
                format,
                StatusCode::BAD_REQUEST,
                format!("`{name}` must be a W3C date and time with its offset, e.g. 2026-12-01T00:00:00+08:00."),
            )
        })
}

/// The query's parameters, percent-decoded; repeated names keep every value.
fn params(raw: Option<&str>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        out.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    out
}

/// The first non-empty value of a parameter (the specification treats empty as absent).
fn first<'a>(p: &'a BTreeMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    p.get(name)
        .and_then(|vs| vs.iter().find(|v| !v.trim().is_empty()))
        .map(|v| v.trim())
}

/// Comma-separated values of a parameter.
fn list(p: &BTreeMap<String, Vec<String>>, name: &str) -> Vec<String> {
    first(p, name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The span `[from, until)` that `start_date` and `end_date` (both inclusive) ask for; without
/// them, the 90 days up to now (or up to `end_date`).
fn dates(format: Format, p: &BTreeMap<String, Vec<String>>) -> Result<(i64, i64), Failure> {
    let date = |name: &str| {
        first(p, name)
            .map(|s| parse_w3c(format, name, s))
            .transpose()
    };
    let until = date("end_date")?.map_or_else(|| app::clock::now_ms() + 1, |e| e + 1);
    let from = date("start_date")?.unwrap_or(until - DEFAULT_DAYS * model::calendar::DAY_MS);
    if until <= from {
        return Err(Failure::new(
            format,
            StatusCode::BAD_REQUEST,
            "`end_date` must be after `start_date`.",
        ));
    }
    Ok((from, until))
}

async fn get_root(
    State(state): State<SharedState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let (name, format) = split(&file)?;
    let p = params(query.as_deref());
    match name {
        "discovery" => Ok(discovery(&state, &headers, format).into_response()),
        "services" => Ok(services(&state, format).await?.into_response()),
        "requests" => {
            // A list of up to a thousand requests is built once and kept for the identical
            // request (app::feedback::cached_answer says how long).
            let key = format!(
                "{}\n{}\n{}",
                file,
                base_url(&state, &headers),
                query.as_deref().unwrap_or_default()
            );
            let answer = feedback::cached_answer(&state, &key, || async {
                let list = requests(&state, &headers, format, &p).await?;
                // Half a megabyte of text is written off the request threads, so that the
                // requests served meanwhile are not held up behind it.
                let (media_type, body) = tokio::task::spawn_blocking(move || list.render())
                    .await
                    .map_err(|_| {
                    Failure::new(
                        format,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "The list could not be written.",
                    )
                })?;
                Ok::<_, Failure>(app::Rendered {
                    media_type,
                    body: body.into(),
                })
            })
            .await?;
            Ok(([(header::CONTENT_TYPE, answer.media_type)], answer.body).into_response())
        }
        "servicerequestupdates" => Ok(updates(&state, format, &p).await?.into_response()),
        _ => Err(Failure::new(
            format,
            StatusCode::NOT_FOUND,
            format!("There is no resource `{name}`."),
        )),
    }
}

fn discovery(state: &SharedState, headers: &HeaderMap, format: Format) -> Answer {
    let base = base_url(state, headers);
    let changeset = "2026-12-06T00:00:00+08:00";
    let endpoint: Value = json!({
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": format!("{base}/open311/v2"),
        "changeset": changeset,
        "type": "production",
        "formats": ["text/xml", "application/json"],
    });
    answer(
        format,
        "discovery",
        None,
        Body::One(vec![
            ("changeset", json!(changeset)),
            ("contact", json!(format!("{base}/feedback"))),
            ("key_service", json!(format!("{base}/tokens"))),
            ("endpoints", json!([endpoint])),
        ]),
    )
}

async fn services(state: &SharedState, format: Format) -> Result<Answer, Failure> {
    let list = feedback::services(state, true)
        .await
        .map_err(|e| Failure::from_app(format, e))?;
    let items = list
        .into_iter()
        .map(|s| {
            let s = s.service;
            vec![
                ("service_code", json!(s.code)),
                ("service_name", json!(s.name)),
                ("description", json!(s.description)),
                ("metadata", json!(!s.attributes.is_empty())),
                ("type", json!("realtime")),
                ("keywords", json!(s.keywords.join(","))),
                ("group", json!(s.group)),
            ]
        })
        .collect();
    Ok(answer(
        format,
        "services",
        Some("service"),
        Body::Many(items),
    ))
}

async fn service_definition(
    State(state): State<SharedState>,
    Path(file): Path<String>,
) -> Result<Answer, Failure> {
    let (code, format) = split(&file)?;
    let s = feedback::service(&state, code)
        .await
        .map_err(|e| Failure::from_app(format, e))?
        .service;
    if !s.active {
        return Err(Failure::new(
            format,
            StatusCode::NOT_FOUND,
            format!("The service `{code}` no longer takes requests."),
        ));
    }
    let attributes: Vec<Value> = s
        .attributes
        .iter()
        .enumerate()
        .map(|(i, a)| {
            json!({
                "variable": true,
                "code": a.code,
                "datatype": a.datatype.code(),
                "required": a.required,
                "datatype_description": if a.datatype_description.is_empty() { Value::Null } else { json!(a.datatype_description) },
                // The specification wants unique positive orders; the stored order sorts them.
                "order": i + 1,
                "description": a.description,
                "values": a.values.iter().map(|v| json!({"key": v.key, "name": v.name})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(answer(
        format,
        "service_definition",
        None,
        Body::One(vec![
            ("service_code", json!(s.code)),
            ("attributes", Value::Array(attributes)),
        ]),
    ))
}

/// One request as the specification shapes it.
fn request_fields(v: &FeedbackView, base: &str) -> Fields {
    let f = &v.feedback;
    let media = if f.photo_count > 0 {
        json!(format!("{base}/feedback/{}/photo/0", f.id))
    } else {
        Value::Null
    };
    vec![
        ("service_request_id", json!(f.id)),
        ("status", json!(f.status.open311())),
        ("status_notes", json!(f.status_note)),
        ("service_name", json!(v.service_name)),
        ("service_code", json!(f.service_code)),
        (
            "description",
            json!(v.description.clone().unwrap_or_default()),
        ),
        ("agency_responsible", json!(v.department_title)),
        ("service_notice", Value::Null),
        ("requested_datetime", json!(w3c(f.created_at))),
        ("updated_datetime", json!(w3c(f.modified_at))),
        ("expected_datetime", json!(f.expected_at.map(w3c))),
        ("address", json!(f.address)),
        ("address_id", Value::Null),
        ("zipcode", Value::Null),
        ("lat", json!(f.lat)),
        ("long", json!(f.long)),
        ("media_url", media),
    ]
}

async fn requests(
    state: &SharedState,
    headers: &HeaderMap,
    format: Format,
    p: &BTreeMap<String, Vec<String>>,
) -> Result<Answer, Failure> {
    let ids = list(p, "service_request_id");
    // The pagination extension most servers implement (Chicago, Boston, Toronto…): `page_size`
    // (1 to 1000; the specification's 1000 when absent) and `page` (from 1).
    let number = |name: &str, default: i64, max: i64| -> Result<i64, Failure> {
        match first(p, name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    Failure::new(
                        format,
                        StatusCode::BAD_REQUEST,
                        format!("`{name}` must be a whole number from 1 to {max}."),
                    )
                }),
        }
    };
    let page_size = number("page_size", MAX_REQUESTS, MAX_REQUESTS)?;
    let page = number("page", 1, 1_000_000)?;
    let mut q = FeedbackQuery {
        limit: page_size,
        offset: (page - 1) * page_size,
        ..FeedbackQuery::default()
    };
    if !ids.is_empty() {
        // The specification: ids override every other parameter.
        q.ids = ids.into_iter().take(MAX_REQUESTS as usize).collect();
    } else {
        q.services = list(p, "service_code");
        for s in list(p, "status") {
            match s.as_str() {
                "open" => q.statuses.extend([
                    FeedbackStatus::Submitted,
                    FeedbackStatus::Accepted,
                    FeedbackStatus::InProgress,
                ]),
                "closed" => q
                    .statuses
                    .extend([FeedbackStatus::Resolved, FeedbackStatus::Rejected]),
                other => {
                    return Err(Failure::new(
                        format,
                        StatusCode::BAD_REQUEST,
                        format!("`status` must be open or closed, not `{other}`."),
                    ))
                }
            }
        }
        let (from, until) = dates(format, p)?;
        q.from = Some(from);
        q.until = Some(until);
    }
    let page = feedback::list(state, q)
        .await
        .map_err(|e| Failure::from_app(format, e))?;
    let base = base_url(state, headers);
    Ok(answer(
        format,
        "service_requests",
        Some("request"),
        Body::Many(
            page.items
                .iter()
                .map(|v| request_fields(v, &base))
                .collect(),
        ),
    ))
}

async fn one_request(
    State(state): State<SharedState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Answer, Failure> {
    let (id, format) = split(&file)?;
    let detail = feedback::get(&state, id)
        .await
        .map_err(|e| Failure::from_app(format, e))?;
    let base = base_url(&state, &headers);
    Ok(answer(
        format,
        "service_requests",
        Some("request"),
        Body::Many(vec![request_fields(&detail.view, &base)]),
    ))
}

async fn token(
    State(state): State<SharedState>,
    Path(file): Path<String>,
) -> Result<Answer, Failure> {
    let (token, format) = split(&file)?;
    let f = feedback::by_token(&state, token)
        .await
        .map_err(|e| Failure::from_app(format, e))?;
    Ok(answer(
        format,
        "service_requests",
        Some("request"),
        Body::Many(vec![vec![
            ("service_request_id", json!(f.id)),
            ("token", json!(f.token)),
        ]]),
    ))
}

/// The status of an update in the extension's (lower-case) vocabulary.
fn update_status(kind: FeedbackEvent, status: FeedbackStatus) -> &'static str {
    if kind == FeedbackEvent::Reopen {
        return "reopen";
    }
    match status {
        FeedbackStatus::Submitted => "open",
        FeedbackStatus::Accepted => "action_scheduled",
        FeedbackStatus::InProgress => "in_progress",
        FeedbackStatus::Resolved => "fixed",
        FeedbackStatus::Rejected => "no_further_action",
    }
}

async fn updates(
    state: &SharedState,
    format: Format,
    p: &BTreeMap<String, Vec<String>>,
) -> Result<Answer, Failure> {
    let (from, until) = dates(format, p)?;
    let steps = feedback::steps_between(state, from, until, MAX_REQUESTS)
        .await
        .map_err(|e| Failure::from_app(format, e))?;
    let items = steps
        .into_iter()
        .filter(|s| s.kind != FeedbackEvent::Submit)
        .map(|s| {
            vec![
                ("update_id", json!(s.id)),
                ("service_request_id", json!(s.feedback_id)),
                ("status", json!(update_status(s.kind, s.status))),
                ("updated_datetime", json!(w3c(s.created_at))),
                ("description", json!(s.note)),
                ("media_url", json!("")),
            ]
        })
        .collect();
    Ok(answer(
        format,
        "service_request_updates",
        Some("request_update"),
        Body::Many(items),
    ))
}

async fn post_root(
    State(state): State<SharedState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, Failure> {
    let (name, format) = split(&file)?;
    if name != "requests" {
        return Err(Failure::new(
            format,
            StatusCode::NOT_FOUND,
            format!(
                "`{name}` takes no POST; post to requests.{}.",
                if format == Format::Json {
                    "json"
                } else {
                    "xml"
                }
            ),
        ));
    }
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(Failure::new(
            format,
            StatusCode::BAD_REQUEST,
            "Send the request form-encoded (application/x-www-form-urlencoded).",
        ));
    }
    let p = params(std::str::from_utf8(&body).ok());
    let Some(key) = first(&p, "api_key") else {
        return Err(Failure::new(
            format,
            StatusCode::FORBIDDEN,
            "An `api_key` is required to post a request: use a Gongshu API token.",
        ));
    };
    let (user, _) = app::auth::user_for_token(&state, key)
        .await
        .map_err(|e| Failure::from_app(format, e))?;
    let Some(code) = first(&p, "service_code") else {
        return Err(Failure::new(
            format,
            StatusCode::BAD_REQUEST,
            "`service_code` is required.",
        ));
    };
    let number = |name: &str| -> Result<Option<f64>, Failure> {
        first(&p, name)
            .map(|v| {
                v.parse::<f64>().map_err(|_| {
                    Failure::new(
                        format,
                        StatusCode::BAD_REQUEST,
                        format!("`{name}` must be a number of degrees (WGS 84)."),
                    )
                })
            })
            .transpose()
    };
    // `attribute[code]` and, for several values, `attribute[code][]`.
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, vs) in &p {
        if let Some(rest) = k.strip_prefix("attribute[") {
            let code = rest
                .strip_suffix("][]")
                .or_else(|| rest.strip_suffix(']'))
                .unwrap_or(rest);
            attributes
                .entry(code.to_string())
                .or_default()
                .extend(vs.iter().cloned());
        }
    }
    let name = [first(&p, "first_name"), first(&p, "last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let contact = Contact {
        name: Some(name).filter(|n| !n.is_empty()),
        phone: first(&p, "phone").map(str::to_string),
        email: first(&p, "email").map(str::to_string),
    };
    let input = FeedbackInput {
        service_code: code.to_string(),
        description: first(&p, "description").unwrap_or("").to_string(),
        lat: number("lat")?,
        long: number("long")?,
        address: first(&p, "address_string").map(str::to_string),
        attributes,
        contact: Some(contact),
    };
    let done = feedback::submit(&state, Some(&user), input, Vec::new(), None)
        .await
        .map_err(|e| {
            // The submission's own checks speak of fields; unknown services are 404.
            let f = Failure::from_app(format, e.clone());
            if e.code == Code::ServiceNotFound {
                Failure::new(format, StatusCode::NOT_FOUND, e.message)
            } else {
                f
            }
        })?;
    let notice = if first(&p, "media_url").is_some() {
        json!(
            "Photos are not fetched from media_url; add them on the portal's page of the request."
        )
    } else {
        Value::Null
    };
    Ok(answer(
        format,
        "service_requests",
        Some("request"),
        Body::Many(vec![vec![
            ("service_request_id", json!(done.feedback.feedback.id)),
            ("service_notice", notice),
            ("account_id", Value::Null),
        ]]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_and_names_list_items() {
        let mut out = String::new();
        value_xml(
            "attributes",
            &json!([{"code": "a<b", "values": [{"key": "1", "name": "甲&乙"}]}]),
            &mut out,
        );
        assert_eq!(
            out,
            "<attributes><attribute><code>a&lt;b</code><values><value><key>1</key><name>甲&amp;乙</name></value></values></attribute></attributes>"
        );
    }

    #[test]
    fn times_are_w3c_in_china_standard_time() {
        assert_eq!(w3c(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(
            parse_w3c(Format::Json, "d", "1970-01-01T08:00:00+08:00").ok(),
            Some(0)
        );
        assert_eq!(
            parse_w3c(Format::Json, "d", "2026-12-01T00:00:00Z").ok(),
            Some(1_796_083_200_000)
        );
        assert!(parse_w3c(Format::Json, "d", "2026-12-01").is_err());
    }

    #[test]
    fn parameters_are_decoded_and_empty_ones_ignored() {
        let p = params(Some(
            "status=open%2Cclosed&service_code=&attribute%5Bkind%5D=dark",
        ));
        assert_eq!(list(&p, "status"), ["open", "closed"]);
        assert_eq!(first(&p, "service_code"), None);
        assert_eq!(first(&p, "attribute[kind]"), Some("dark"));
    }
}
