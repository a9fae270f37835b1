//! A dataset's public record, loaded once: the dataset, its organization, and each resource
//! with its latest version. The CKAN Action API, DCAT-AP, the opening list and the search index
//! all describe this record; its CKAN package dict is also what the search index stores, so
//! that `package_search` reads nothing else.

use crate::error::AppResult;
use serde_json::{json, Value};
use store::{Dataset, DynStore, Organization, Resource, Version};

/// Every dataset of the catalog, in the store's listing order, read page by page.
pub(crate) async fn all_datasets(store: &DynStore) -> store::Result<Vec<Dataset>> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let (page, total) = store
            .list_datasets(&store::DatasetFilter {
                limit: 500,
                offset,
                ..Default::default()
            })
            .await?;
        let n = page.len() as i64;
        out.extend(page);
        offset += n;
        if n == 0 || offset >= total {
            return Ok(out);
        }
    }
}

/// A dataset's public record: the dataset, its organization, and each resource with its latest
/// version.
#[derive(Debug, Clone)]
pub struct Record {
    /// The dataset.
    pub dataset: Dataset,
    /// Its organization.
    pub org: Organization,
    /// Resources, oldest first, each with its latest version if it has one.
    pub resources: Vec<(Resource, Option<Version>)>,
}

impl Record {
    /// Loads the record of a dataset.
    pub(crate) async fn load(store: &DynStore, dataset: Dataset) -> AppResult<Record> {
        let org = store.get_org(&dataset.org_id).await?;
        let mut resources = Vec::new();
        for r in store.list_resources(&dataset.id).await? {
            let latest = store.list_versions(&r.id).await?.into_iter().next();
            resources.push((r, latest));
        }
        Ok(Record {
            dataset,
            org,
            resources,
        })
    }

    /// The upload formats of the latest versions (CSV, XLSX, …), without repeats.
    pub fn formats(&self) -> Vec<String> {
        let mut formats: Vec<String> = self
            .resources
            .iter()
            .filter_map(|(_, v)| v.as_ref())
            .map(|v| v.source_format.to_uppercase())
            .collect();
        formats.sort();
        formats.dedup();
        formats
    }
}

/// Every dataset's record, in the store's listing order.
pub(crate) async fn all_records(store: &DynStore) -> AppResult<Vec<Record>> {
    let mut out = Vec::new();
    for d in all_datasets(store).await? {
        out.push(Record::load(store, d).await?);
    }
    Ok(out)
}

/// CKAN's timestamp form: ISO 8601 without a zone, in UTC, with microseconds.
pub fn ckan_time(ms: i64) -> String {
    crate::clock::rfc3339_ms(ms)
        .trim_end_matches('Z')
        .to_string()
        + "000"
}

/// An organization as a CKAN organization dict; `package_count` when asked for.
pub fn org_dict(o: &store::Organization, package_count: Option<usize>) -> Value {
    let mut d = json!({
        "id": o.id,
        "name": o.name,
        "title": o.title,
        "display_name": o.title,
        "description": o.description,
        "type": "organization",
        "is_organization": true,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": ckan_time(o.created_at),
        "gongshu_kind": o.kind.code(),
    });
    if let Some(n) = package_count {
        d["package_count"] = json!(n);
    }
    d
}

/// A resource with its latest version as a CKAN resource dict.
pub fn resource_dict(
    record: &Record,
    r: &store::Resource,
    v: Option<&store::Version>,
    position: usize,
) -> Value {
    let name = &record.dataset.name;
    json!({
        "id": r.id,
        "package_id": record.dataset.id,
        "name": r.name,
        "description": r.description,
        "format": v.map(|v| v.source_format.to_uppercase()).unwrap_or_default(),
        "url": format!("/api/v1/datasets/{name}/download?resource={}&format=csv", r.name),
        "url_type": "",
        "mimetype": v.map(|_| "text/csv"),
        "size": v.map(|v| v.byte_size),
        "hash": v.map(|v| v.sha256.clone()).unwrap_or_default(),
        "created": ckan_time(r.created_at),
        "last_modified": v.map(|v| ckan_time(v.created_at)),
        "metadata_modified": ckan_time(v.map_or(r.created_at, |v| v.created_at)),
        "datastore_active": v.is_some(),
        "state": "active",
        "position": position,
        "gongshu_version": v.map(|v| v.number),
        "gongshu_rows": v.map(|v| v.row_count),
    })
}

/// A dataset as a CKAN package dict.
pub fn package_dict(record: &Record) -> Value {
    let d = &record.dataset;
    let m = &d.meta;
    let tags: Vec<Value> = m
        .tags
        .iter()
        .map(|t| json!({"name": t, "display_name": t, "state": "active", "vocabulary_id": null}))
        .collect();
    let groups: Vec<Value> = m
        .themes
        .iter()
        .map(|t| json!({"name": t, "title": t, "display_name": t, "description": ""}))
        .collect();
    let resources: Vec<Value> = record
        .resources
        .iter()
        .enumerate()
        .map(|(i, (r, v))| resource_dict(record, r, v.as_ref(), i))
        .collect();
    let extras: Vec<Value> = [
        ("grade", d.grade.code().to_string()),
        ("opening_type", m.opening_type.code().to_string()),
        ("domain", m.domain.code().to_string()),
        ("importance", m.importance.code().to_string()),
        ("update_frequency", m.update_frequency.clone()),
        ("spatial", m.spatial.clone()),
        ("temporal", m.temporal.clone()),
        (
            "quality_score",
            d.quality_score
                .map(|q| format!("{q:.2}"))
                .unwrap_or_default(),
        ),
        (
            "quality_letter",
            d.quality_score
                .map(|q| model::quality::letter(q).to_string())
                .unwrap_or_default(),
        ),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| json!({"key": k, "value": v}))
    .collect();
    json!({
        "id": d.id,
        "name": d.name,
        "title": m.title,
        "notes": m.description,
        "type": "dataset",
        "state": "active",
        "private": false,
        "owner_org": d.org_id,
        "organization": org_dict(&record.org, None),
        "author": record.org.title,
        "author_email": null,
        "maintainer": null,
        "maintainer_email": if m.contact.contains('@') { json!(m.contact) } else { Value::Null },
        "license_id": m.license,
        "license_title": m.license,
        "url": format!("/dataset/{}", d.name),
        "version": null,
        "metadata_created": ckan_time(d.created_at),
        "metadata_modified": ckan_time(d.modified_at),
        "tags": tags,
        "num_tags": m.tags.len(),
        "groups": groups,
        "resources": resources,
        "num_resources": record.resources.len(),
        "extras": extras,
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "isopen": m.opening_type == model::OpeningType::Unconditional,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ckan_times_have_microseconds_and_no_zone() {
        assert_eq!(ckan_time(1_795_766_400_123), "2026-11-27T08:00:00.123000");
    }
}
