//! The data dictionary of a resource (数据字典, DESIGN.md C1 and C9): column descriptions and
//! the key, declared by the owning organization over the columns of the latest version. The
//! rules are [`model::dictionary`]'s; descriptions count in the metadata quality at once, and
//! the key is checked from the next upload on (ingest counts its repeats and gaps as it reads
//! the rows, with no second pass). A column declared the order of the rows sorts the versions
//! uploaded from then on; earlier versions are sorted only by the explicit rewrite
//! (`gongshu versions rewrite`), never silently.

use crate::catalog::require_edit;
use crate::error::{AppError, AppResult, Code};
use crate::state::App;
use model::dictionary::{self, ColumnNote};
use serde::Serialize;
use store::{Dataset, Resource};

/// One column as the dictionary shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DictionaryColumn {
    /// Name in the latest version.
    pub name: String,
    /// Stored type (`string`, `int64`, …).
    pub data_type: String,
    /// What the column holds; empty when undescribed.
    pub description: String,
    /// Part of the resource's key.
    pub key: bool,
    /// The column the rows are kept in order of.
    pub order: bool,
}

/// A resource's data dictionary over its latest version's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dictionary {
    /// The resource's name.
    pub resource: String,
    /// The latest version's number; `None` before the first upload.
    pub version: Option<i64>,
    /// Every column of the latest version, in file order.
    pub columns: Vec<DictionaryColumn>,
    /// The key's columns, in file order (empty: none declared).
    pub key: Vec<String>,
    /// The column the rows are kept in order of, if one is declared.
    pub order: Option<String>,
    /// Columns with a description.
    pub described: usize,
    /// Whether the columns are withheld from this viewer (a not-open dataset, C5).
    pub withheld: bool,
}

/// The dictionary of `resource` of `dataset` as `viewer` may see it: the columns of a not-open
/// dataset are withheld from all but its owner and the authority, as on the dataset page.
pub async fn of_resource(
    app: &App,
    viewer: Option<&store::User>,
    dataset: &Dataset,
    resource: &Resource,
) -> AppResult<Dictionary> {
    belongs(dataset, resource)?;
    let withheld = crate::views::columns_withheld(dataset, viewer);
    let notes = app.store.column_notes(&resource.id).await?;
    let latest = crate::catalog::latest_version(app, resource).await?;
    let columns: Vec<DictionaryColumn> = latest
        .iter()
        .filter(|_| !withheld)
        .flat_map(|v| &v.columns)
        .map(|c| {
            let note = notes.iter().find(|n| n.column == c.name);
            DictionaryColumn {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                description: note.map(|n| n.description.clone()).unwrap_or_default(),
                key: note.is_some_and(|n| n.key),
                order: note.is_some_and(|n| n.order),
            }
        })
        .collect();
    Ok(Dictionary {
        resource: resource.name.clone(),
        version: latest.as_ref().map(|v| v.number),
        key: columns
            .iter()
            .filter(|c| c.key)
            .map(|c| c.name.clone())
            .collect(),
        order: columns.iter().find(|c| c.order).map(|c| c.name.clone()),
        described: columns.iter().filter(|c| !c.description.is_empty()).count(),
        columns,
        withheld,
    })
}

/// Replaces the dictionary of `resource` (staff of the owning organization, or the authority).
/// Columns not named keep no description and are not part of the key.
pub async fn set(
    app: &App,
    user: &store::User,
    dataset: &Dataset,
    resource: &Resource,
    notes: &[ColumnNote],
    now: i64,
) -> AppResult<Dictionary> {
    require_edit(user, dataset)?;
    belongs(dataset, resource)?;
    let Some(latest) = crate::catalog::latest_version(app, resource).await? else {
        return Err(AppError::new(
            Code::InvalidField,
            "Upload a version first: the data dictionary describes the columns of the latest version.",
        ));
    };
    let columns: Vec<String> = latest.columns.iter().map(|c| c.name.clone()).collect();
    let checked = dictionary::check(notes, &columns)
        .map_err(|e| AppError::new(Code::InvalidField, e.to_string()))?;
    app.store
        .set_column_notes(&resource.id, &checked, &user.id, now)
        .await?;
    // Column descriptions count in the metadata quality.
    crate::quality::refresh_score(app, dataset).await?;
    of_resource(app, Some(user), dataset, resource).await
}

/// The notes of a resource as saved (only described or key columns), for exports.
pub async fn notes(app: &App, resource: &Resource) -> AppResult<Vec<ColumnNote>> {
    Ok(app.store.column_notes(&resource.id).await?)
}

fn belongs(dataset: &Dataset, resource: &Resource) -> AppResult<()> {
    if resource.dataset_id == dataset.id {
        Ok(())
    } else {
        Err(AppError::new(
            Code::ResourceNotFound,
            "That resource does not belong to this dataset.",
        ))
    }
}
