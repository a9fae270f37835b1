//! What a viewer may see of a dataset, built once for the JSON API and the portal.
//!
//! C5: a profile never shows values of a column above L1 to anyone but the owner; for those only
//! type, null rate and distinct count remain.

use crate::catalog::can_edit;
use crate::error::AppResult;
use crate::state::App;
use model::classification::Grade;
use model::pii::PiiFinding;
use serde::Serialize;
use store::{Dataset, Organization, Resource, User, Version};

/// A dataset with its organization, resources, versions and columns, as one viewer may see it.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetView {
    /// The dataset record.
    #[serde(flatten)]
    pub dataset: Dataset,
    /// Owner.
    pub organization: OrgRef,
    /// Resources with versions and columns.
    pub resources: Vec<ResourceView>,
    /// Whether the viewer may change it.
    pub can_edit: bool,
    /// Whether the columns are withheld (a not-open dataset seen by someone other than its owner).
    pub columns_withheld: bool,
}

/// Short reference to an organization.
#[derive(Debug, Clone, Serialize)]
pub struct OrgRef {
    /// Slug.
    pub name: String,
    /// Title.
    pub title: String,
    /// Kind code.
    pub kind: String,
}

impl From<&Organization> for OrgRef {
    fn from(o: &Organization) -> Self {
        OrgRef {
            name: o.name.clone(),
            title: o.title.clone(),
            kind: o.kind.code().to_string(),
        }
    }
}

/// A resource with its versions (newest first) and the columns of the latest one.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceView {
    /// The resource.
    #[serde(flatten)]
    pub resource: Resource,
    /// Versions, newest first, without their per-column detail.
    pub versions: Vec<VersionSummary>,
    /// Columns of the latest version with their grades.
    pub columns: Vec<ColumnView>,
}

/// A version without columns.
#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    /// Id.
    pub id: String,
    /// Number.
    pub number: i64,
    /// Upload format.
    pub source_format: String,
    /// Upload name.
    pub source_name: String,
    /// Detected encoding.
    pub source_encoding: Option<String>,
    /// Rows.
    pub row_count: i64,
    /// Parquet bytes.
    pub byte_size: i64,
    /// Parquet SHA-256.
    pub sha256: String,
    /// Unix ms.
    pub created_at: i64,
}

impl From<&Version> for VersionSummary {
    fn from(v: &Version) -> Self {
        VersionSummary {
            id: v.id.clone(),
            number: v.number,
            source_format: v.source_format.clone(),
            source_name: v.source_name.clone(),
            source_encoding: v.source_encoding.clone(),
            row_count: v.row_count,
            byte_size: v.byte_size,
            sha256: v.sha256.clone(),
            created_at: v.created_at,
        }
    }
}

/// One column as the viewer may see it.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnView {
    /// Name.
    pub name: String,
    /// Type.
    pub data_type: String,
    /// Grade in force.
    pub grade: Grade,
    /// Whether the publisher confirmed the grade.
    pub confirmed: bool,
    /// Grade ingest proposed.
    pub proposed_grade: Grade,
    /// Personal information found.
    pub findings: Vec<PiiFinding>,
    /// Profile (count, null rate, distinct estimate; min, max and top values only where the
    /// viewer may see values).
    pub profile: serde_json::Value,
    /// Whether the profile's values were withheld.
    pub values_hidden: bool,
    /// What the column holds, from the data dictionary; empty when undescribed.
    pub description: String,
    /// Part of the resource's declared key.
    pub key: bool,
    /// The column the rows are declared to be kept in order of.
    pub order: bool,
}

/// C5: a not-open dataset shows its metadata only, columns included, except to its owner and
/// to the authority, which decides on its classification.
pub fn columns_withheld(dataset: &Dataset, viewer: Option<&User>) -> bool {
    let owner = viewer.is_some_and(|u| u.org_id.as_deref() == Some(dataset.org_id.as_str()));
    let authority = viewer.is_some_and(|u| u.role == model::Role::Authority);
    dataset.meta.opening_type == model::OpeningType::NotOpen && !owner && !authority
}

/// Builds the view of `dataset` for `viewer`.
pub async fn dataset_view(
    app: &App,
    dataset: Dataset,
    viewer: Option<&User>,
) -> AppResult<DatasetView> {
    let store = &app.store;
    let org = store.get_org(&dataset.org_id).await?;
    let editable = viewer.is_some_and(|u| can_edit(u, &dataset));
    // Only the owner sees values of graded columns; the authority edits classification but, per
    // C5, is not exempt from data rules, so it too sees only the non-value profile.
    let owner = viewer.is_some_and(|u| u.org_id.as_deref() == Some(dataset.org_id.as_str()));
    // The authority still sees a not-open dataset's columns and their grades, but no values.
    let not_open = dataset.meta.opening_type == model::OpeningType::NotOpen;
    let columns_withheld = columns_withheld(&dataset, viewer);
    let mut resources = Vec::new();
    for resource in store.list_resources(&dataset.id).await? {
        let versions = store.list_versions(&resource.id).await?;
        let grades = store.list_column_grades(&resource.id).await?;
        let notes = store.column_notes(&resource.id).await?;
        let columns = match versions.first().filter(|_| !columns_withheld) {
            Some(latest) => latest
                .columns
                .iter()
                .map(|c| {
                    let g = grades.iter().find(|g| g.column == c.name);
                    let grade = g.map(|g| g.grade).unwrap_or(c.proposed_grade);
                    let hide = !owner && (grade > Grade::L1 || not_open);
                    let note = notes.iter().find(|n| n.column == c.name);
                    ColumnView {
                        name: c.name.clone(),
                        data_type: c.data_type.clone(),
                        grade,
                        confirmed: g.is_some_and(|g| g.confirmed),
                        proposed_grade: c.proposed_grade,
                        findings: c.findings.clone(),
                        profile: if hide {
                            without_values(&c.profile)
                        } else {
                            c.profile.clone()
                        },
                        values_hidden: hide,
                        description: note.map(|n| n.description.clone()).unwrap_or_default(),
                        key: note.is_some_and(|n| n.key),
                        order: note.is_some_and(|n| n.order),
                    }
                })
                .collect(),
            None => vec![],
        };
        resources.push(ResourceView {
            resource,
            versions: versions.iter().map(VersionSummary::from).collect(),
            columns,
        });
    }
    Ok(DatasetView {
        dataset,
        organization: OrgRef::from(&org),
        resources,
        can_edit: editable,
        columns_withheld,
    })
}

/// The dataset's classification after an upload.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    /// The dataset's grade.
    pub grade: Grade,
    /// Its opening type.
    pub opening_type: model::OpeningType,
}

/// A published upload, as its uploader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    /// The resource (created by its first upload).
    pub resource: Resource,
    /// The new version.
    pub version: VersionSummary,
    /// The columns of the new version with their grades.
    pub columns: Option<Vec<ColumnView>>,
    /// The dataset's classification now.
    pub dataset: Classification,
}

/// What `uploader` sees of a version just published into `resource` of the dataset.
pub async fn published(
    app: &App,
    uploader: &User,
    dataset_id: &str,
    resource: Resource,
    version: &Version,
) -> AppResult<Published> {
    let dataset = app.store.get_dataset(dataset_id).await?;
    let view = dataset_view(app, dataset, Some(uploader)).await?;
    let columns = view
        .resources
        .iter()
        .find(|r| r.resource.id == resource.id)
        .map(|r| r.columns.clone());
    Ok(Published {
        resource,
        version: VersionSummary::from(version),
        columns,
        dataset: Classification {
            grade: view.dataset.grade,
            opening_type: view.dataset.meta.opening_type,
        },
    })
}

/// Keeps only the value-free parts of a profile.
fn without_values(profile: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let Some(obj) = profile.as_object() {
        for key in ["count", "nulls", "null_rate", "distinct_estimate"] {
            if let Some(v) = obj.get(key) {
                out.insert(key.to_string(), v.clone());
            }
        }
    }
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_stripped() {
        let p = serde_json::json!({"count": 3, "nulls": 0, "null_rate": 0.0, "distinct_estimate": 3,
            "min": "13800000000", "max": "13900000000", "top_values": [["13800000000", 2]]});
        let s = without_values(&p).to_string();
        assert!(!s.contains("138"), "{s}");
        assert!(s.contains("distinct_estimate"));
    }
}
