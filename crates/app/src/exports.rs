//! What the interoperability façades read (DESIGN.md C14): records by name or id, the whole
//! catalog, searches of the index, DCAT-AP documents and Data Packages, and the opening list.
//! The records are mapped into the `dcat` crate's types here; the server writes the formats.
//! Identifiers are absolute: the server passes the base URL (the configured public URL, else
//! the request's host).

use crate::dataservice;
use crate::error::{AppError, AppResult, Code, Found};
use crate::records::{self, Record};
use crate::state::App;
use model::access::{Mode, Verdict};
use model::role::OrgKind;
use model::OpeningType;
use store::{Dataset, Organization, User};

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The record of a dataset.
pub async fn record(app: &App, dataset: Dataset) -> AppResult<Record> {
    Record::load(&app.store, dataset).await
}

/// Every dataset of the catalog, in the store's listing order.
pub async fn datasets(app: &App) -> AppResult<Vec<Dataset>> {
    Ok(records::all_datasets(&app.store).await?)
}

/// A dataset by slug or id, if there is one.
pub async fn dataset_by_name_or_id(app: &App, key: &str) -> AppResult<Option<Dataset>> {
    match app.store.get_dataset_by_name(key).await.found()? {
        Some(d) => Ok(Some(d)),
        None => app.store.get_dataset(key).await.found(),
    }
}

/// An organization by slug or id, if there is one.
pub async fn org_by_name_or_id(app: &App, key: &str) -> AppResult<Option<Organization>> {
    match app.store.get_org_by_name(key).await.found()? {
        Some(o) => Ok(Some(o)),
        None => app.store.get_org(key).await.found(),
    }
}

/// The record of the dataset a resource (by id) belongs to, with the resource's position in
/// it; `None` if there is no such resource.
pub async fn resource_record(app: &App, resource_id: &str) -> AppResult<Option<(Record, usize)>> {
    let Some(resource) = app.store.get_resource(resource_id).await.found()? else {
        return Ok(None);
    };
    let dataset = app.store.get_dataset(&resource.dataset_id).await?;
    let record = Record::load(&app.store, dataset).await?;
    let position = record
        .resources
        .iter()
        .position(|(r, _)| r.id == resource.id)
        .ok_or_else(|| AppError::internal("a resource is missing from its dataset's record"))?;
    Ok(Some((record, position)))
}

/// Searches the catalog's index. A request the index cannot search is `bad_request` with the
/// index's own message.
pub fn search(app: &App, q: &search::SearchQuery) -> AppResult<search::SearchResult> {
    let index = app.search.as_ref().ok_or_else(|| {
        AppError::new(
            Code::Unavailable,
            "The search index is not open in this process.",
        )
    })?;
    index.search(q).map_err(|e| match e {
        search::SearchError::BadQuery(m) => AppError::new(Code::BadRequest, m),
        other => AppError::internal(other),
    })
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
pub fn dcat_dataset(base: &str, record: &Record) -> dcat::Dataset {
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
        quality_score: d.quality_score,
    }
}

/// The whole catalog as a DCAT-AP catalog, with identifiers under `base`.
pub async fn catalog(app: &App, base: &str) -> AppResult<dcat::Catalog> {
    let orgs = app.store.list_orgs().await?;
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
    let records = records::all_records(&app.store).await?;
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
        datasets: records.iter().map(|r| dcat_dataset(base, r)).collect(),
    })
}

/// A dataset's DCAT-AP document, with identifiers under `base`.
pub async fn dataset_document(app: &App, base: &str, name: &str) -> AppResult<dcat::Dataset> {
    let d = crate::catalog::load_dataset(app, name).await?;
    let record = Record::load(&app.store, d).await?;
    Ok(dcat_dataset(base, &record))
}

/// A Data Package of the resources `user` may download, each with a Table Schema of exactly
/// the columns `user` may see (masked ones as strings); `no_access` when there is none.
pub async fn datapackage(
    app: &App,
    user: Option<&User>,
    base: &str,
    name: &str,
) -> AppResult<serde_json::Value> {
    let d = crate::catalog::load_dataset(app, name).await?;
    let record = Record::load(&app.store, d.clone()).await?;
    let mut resources = Vec::new();
    for (r, v) in &record.resources {
        let Some(v) = v else { continue };
        let access = match dataservice::open(
            app,
            user,
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
        let grades = app.store.list_column_grades(&r.id).await?;
        let notes = app.store.column_notes(&r.id).await?;
        // The key is given only when every one of its columns is visible to this reader.
        let key = model::dictionary::key_columns(&notes);
        let key_visible = key
            .iter()
            .all(|k| access.decision.visible().any(|(c, _)| c == k.as_str()));
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
                    description: model::dictionary::description_of(&notes, column)
                        .map(str::to_string),
                    grade: grades
                        .iter()
                        .find(|g| g.column == column)
                        .map(|g| g.grade)
                        .or(info.map(|c| c.proposed_grade))
                        .map(|g| g.code().to_string())
                        .unwrap_or_default(),
                    masked,
                    key: key_visible && key.iter().any(|k| k == column),
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
        return Err(AppError::new(
            Code::NoAccess,
            format!(
                "You may not download any resource of dataset `{}`, so there is no data package for you. Its metadata is public; apply for access on its page.",
                d.name
            ),
        ));
    }
    Ok(dcat::datapackage(&dcat_dataset(base, &record), &resources))
}
