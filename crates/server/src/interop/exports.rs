//! DCAT-AP 3 (Turtle and JSON-LD) for the catalog and each dataset, and a Frictionless Data
//! Package per dataset. The records are mapped into the `dcat` crate's types here; the crate
//! writes the formats. Identifiers are absolute: the configured public URL, else the request's
//! host.

use super::Record;
use crate::api::ApiJson;
use crate::auth::Caller;
use crate::dataservice;
use crate::error::{ApiError, ApiResult, Code};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use model::access::{Mode, Verdict};
use model::role::OrgKind;
use model::OpeningType;

/// The base URL for identifiers and links.
pub fn base_url(state: &SharedState, headers: &HeaderMap) -> String {
    match &state.config.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn agent(base: &str, org: &store::Organization) -> dcat::Agent {
    dcat::Agent {
        iri: format!("{base}/organizations/{}#agent", encode(&org.name)),
        name: org.title.clone(),
        kind: match org.kind {
            OrgKind::Department => dcat::AgentKind::Department,
            OrgKind::Enterprise => dcat::AgentKind::Enterprise,
            OrgKind::Authority => dcat::AgentKind::Authority,
        },
        homepage: None,
    }
}

/// A record as a DCAT-AP dataset.
pub fn dataset(base: &str, record: &Record) -> dcat::Dataset {
    let d = &record.dataset;
    let m = &d.meta;
    let name = encode(&d.name);
    let landing = format!("{base}/dataset/{name}");
    let distributions = record
        .resources
        .iter()
        .filter_map(|(r, v)| v.as_ref().map(|v| (r, v)))
        .map(|(r, v)| {
            let download = format!(
                "{base}/api/v1/datasets/{name}/download?resource={}&format=csv",
                encode(&r.name)
            );
            dcat::Distribution {
                iri: format!("{base}/datasets/{name}/resources/{}#distribution", r.id),
                title: r.name.clone(),
                access_url: landing.clone(),
                download_url: Some(download),
                media_type: Some("text/csv".into()),
                format: Some("CSV".into()),
                byte_size: None,
                modified: Some(v.created_at),
                checksum_sha256: None,
            }
        })
        .collect();
    let contact = m.contact.trim();
    dcat::Dataset {
        iri: format!("{base}/datasets/{name}#dataset"),
        identifier: d.name.clone(),
        title: m.title.clone(),
        description: if m.description.trim().is_empty() {
            m.title.clone()
        } else {
            m.description.clone()
        },
        keywords: m.tags.clone(),
        themes: m.themes.clone(),
        publisher: agent(base, &record.org),
        contact_email: contact.contains('@').then(|| contact.to_string()),
        contact_name: (!contact.is_empty() && !contact.contains('@')).then(|| contact.to_string()),
        issued: d.created_at,
        modified: d.modified_at,
        frequency: (!m.update_frequency.is_empty()).then(|| m.update_frequency.clone()),
        landing_page: landing,
        access: match m.opening_type {
            OpeningType::Unconditional => dcat::Access::Unconditional,
            OpeningType::Conditional => dcat::Access::Conditional,
            OpeningType::NotOpen => dcat::Access::NotOpen,
        },
        grade: d.grade.code().into(),
        domain: m.domain.code().into(),
        license: (!m.license.is_empty()).then(|| m.license.clone()),
        spatial: (!m.spatial.is_empty()).then(|| m.spatial.clone()),
        temporal: None,
        distributions,
    }
}

async fn catalog(state: &SharedState, base: &str) -> ApiResult<dcat::Catalog> {
    let orgs = state.store.list_orgs().await?;
    let publisher = orgs
        .iter()
        .find(|o| o.kind == OrgKind::Authority)
        .or(orgs.first())
        .map(|o| agent(base, o))
        .unwrap_or(dcat::Agent {
            iri: format!("{base}/#publisher"),
            name: "共数 Gongshu".into(),
            kind: dcat::AgentKind::Authority,
            homepage: None,
        });
    let records = super::index::all_records(&state.store)
        .await
        .map_err(ApiError::internal)?;
    let modified = records
        .iter()
        .map(|r| r.dataset.modified_at)
        .max()
        .unwrap_or(0);
    Ok(dcat::Catalog {
        iri: format!("{base}/catalog#catalog"),
        homepage: format!("{base}/"),
        title_zh: "公共数据开放目录".into(),
        title_en: "Open public data catalog".into(),
        description_zh: "数据主管部门发布的政务与企业数据目录。".into(),
        description_en:
            "The catalog of government and enterprise data published by the data authority.".into(),
        publisher,
        modified,
        datasets: records.iter().map(|r| dataset(base, r)).collect(),
    })
}

fn turtle(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/turtle; charset=utf-8")], body).into_response()
}

fn jsonld(body: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/ld+json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /catalog.ttl`.
pub async fn catalog_ttl(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let base = base_url(&state, &headers);
    Ok(turtle(dcat::catalog_turtle(&catalog(&state, &base).await?)))
}

/// `GET /catalog.jsonld`.
pub async fn catalog_jsonld(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let base = base_url(&state, &headers);
    Ok(jsonld(dcat::catalog_jsonld(&catalog(&state, &base).await?)))
}

/// `GET /dataset/{name}.ttl` or `.jsonld` (the portal's dataset route hands these here);
/// `None` when the name has neither suffix.
pub async fn dataset_document(
    state: &SharedState,
    headers: &HeaderMap,
    name: &str,
) -> Option<ApiResult<Response>> {
    let (slug, turtle_wanted) = if let Some(s) = name.strip_suffix(".ttl") {
        (s, true)
    } else if let Some(s) = name.strip_suffix(".jsonld") {
        (s, false)
    } else {
        return None;
    };
    Some(
        async {
            let d = crate::api::load_dataset(state, slug).await?;
            let record = Record::load(&state.store, d).await?;
            let doc = dataset(&base_url(state, headers), &record);
            Ok(if turtle_wanted {
                turtle(dcat::dataset_turtle(&doc))
            } else {
                jsonld(dcat::dataset_jsonld(&doc))
            })
        }
        .await,
    )
}

/// `GET /dataset/{name}/datapackage.json`: a Data Package of the resources the caller may
/// download, each with a Table Schema of exactly the columns the caller may see (masked ones as
/// strings).
pub async fn datapackage(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let d = crate::api::load_dataset(&state, &name).await?;
    let record = Record::load(&state.store, d.clone()).await?;
    let base = base_url(&state, &headers);
    let mut resources = Vec::new();
    for (r, v) in &record.resources {
        let Some(v) = v else { continue };
        let access = match dataservice::open(
            &state,
            caller.user.as_ref(),
            d.clone(),
            Some(&r.name),
            Mode::Download,
            None,
        )
        .await
        {
            Ok(a) => a,
            Err(e) if e.code == Code::NoAccess => continue,
            Err(e) => return Err(e),
        };
        let grades = state.store.list_column_grades(&r.id).await?;
        let columns = access
            .decision
            .visible()
            .map(|(column, verdict)| {
                let info = v.columns.iter().find(|c| c.name == column);
                let masked = matches!(verdict, Verdict::Masked { .. });
                dcat::Column {
                    name: column.to_string(),
                    data_type: if masked {
                        "Utf8".into()
                    } else {
                        info.map(|c| c.data_type.clone())
                            .unwrap_or_else(|| "Utf8".into())
                    },
                    description: None,
                    grade: grades
                        .iter()
                        .find(|g| g.column == column)
                        .map(|g| g.grade)
                        .or(info.map(|c| c.proposed_grade))
                        .map(|g| g.code().to_string())
                        .unwrap_or_default(),
                    masked,
                }
            })
            .collect();
        resources.push((
            r.name.clone(),
            format!(
                "{base}/api/v1/datasets/{}/download?resource={}&format=csv",
                encode(&d.name),
                encode(&r.name)
            ),
            columns,
        ));
    }
    if resources.is_empty() {
        return Err(ApiError::new(
            Code::NoAccess,
            format!(
                "You may not download any resource of dataset `{}`, so there is no data package for you. Its metadata is public; apply for access on its page.",
                d.name
            ),
        ));
    }
    let package = dcat::datapackage(&dataset(&base, &record), &resources);
    Ok(ApiJson(package).into_response())
}
