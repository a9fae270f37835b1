//! Catalog operations shared by the JSON API, the portal and the CLI: who may change a dataset,
//! creating and updating datasets, publishing uploaded versions, and the classification rules
//! of C3 (raise at once, lower only through a request the authority approves).
//!
//! Every change goes through the books: the store paired with the log and the search index.

use crate::books::Books;
use crate::error::{AppError, AppResult, Code, Found};
use crate::state::App;
use model::classification::{self, Change, Domain, Grade, Importance, OpeningType};
use model::log::EventKind;
use model::role::{OrgKind, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::{Path, PathBuf};
use store::{
    ChangeRequest, ChangeTarget, ColumnGrade, Dataset, DatasetMeta, DynStore, NewChangeRequest,
    NewDataset, NewResource, NewVersion, RequestStatus, Resource, User, Version,
};

/// Where Parquet versions live under the data directory.
pub const VERSIONS_DIR: &str = "versions";
/// Where uploads wait while they are ingested.
pub const STAGING_DIR: &str = "staging";
/// Where the clean room keeps keyed copies of versions (`query::Engine::with_keyed_copies`).
pub const KEYED_DIR: &str = "keyed";

/// Removes the version file under `relative` and every keyed copy made from it. A file left
/// behind (the storage failed) is an orphan the sweep removes ([`sweep_files`]).
async fn remove_version_file(app: &App, relative: &str) {
    let location = app.files.location(relative);
    for copy in query::keyed_copies_of(&app.data_dir().join(KEYED_DIR), &location) {
        let _ = std::fs::remove_file(copy);
    }
    if let Err(e) = app.files.delete(relative).await {
        tracing::warn!(file = relative, error = %e, "could not remove a version file; the sweep will");
    }
}

/// Whether `user` may change `dataset`: the owning organization's publishers and the authority.
pub fn can_edit(user: &User, dataset: &Dataset) -> bool {
    match user.role {
        Role::Authority => true,
        Role::Staff | Role::Enterprise => user.org_id.as_deref() == Some(dataset.org_id.as_str()),
        Role::Citizen | Role::Auditor => false,
    }
}

/// 403 unless `user` may change `dataset`.
pub fn require_edit(user: &User, dataset: &Dataset) -> AppResult<()> {
    if can_edit(user, dataset) {
        Ok(())
    } else {
        Err(AppError::new(
            Code::Forbidden,
            "Only staff of the organization that owns this dataset, or the data authority, may change it.",
        ))
    }
}

fn require_authority(user: &User) -> AppResult<()> {
    if user.role == Role::Authority {
        Ok(())
    } else {
        Err(AppError::new(
            Code::Forbidden,
            "Only an administrator of the data authority may do this.",
        ))
    }
}

/// Fields of a dataset as the API and forms submit them.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DatasetInput {
    /// Slug (create only): 2 to 100 lower-case letters, digits, `-` and `_`.
    #[serde(default)]
    pub name: Option<String>,
    /// Owning organization's slug (create only; defaults to the caller's organization).
    #[serde(default)]
    pub organization: Option<String>,
    /// Title (required to create; never blank).
    #[serde(default)]
    pub title: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Themes, each at most 100 characters.
    #[serde(default)]
    pub themes: Option<Vec<String>>,
    /// Tags, each at most 100 characters.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Update frequency.
    #[serde(default)]
    pub update_frequency: Option<String>,
    /// License.
    #[serde(default)]
    pub license: Option<String>,
    /// Spatial coverage.
    #[serde(default)]
    pub spatial: Option<String>,
    /// Temporal coverage.
    #[serde(default)]
    pub temporal: Option<String>,
    /// Contact point.
    #[serde(default)]
    pub contact: Option<String>,
    /// Domain.
    #[serde(default)]
    pub domain: Option<Domain>,
    /// Opening type.
    #[serde(default)]
    pub opening_type: Option<OpeningType>,
    /// Importance.
    #[serde(default)]
    pub importance: Option<Importance>,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(Code::InvalidField, message)
}

fn clean_text(field: &str, value: Option<String>, max: usize) -> AppResult<Option<String>> {
    match value {
        Some(v) if v.chars().count() > max => Err(invalid(format!(
            "`{field}` may have at most {max} characters."
        ))),
        Some(v) => Ok(Some(v.trim().to_string())),
        None => Ok(None),
    }
}

fn clean_list(field: &str, value: Option<Vec<String>>) -> AppResult<Option<Vec<String>>> {
    let Some(list) = value else { return Ok(None) };
    if list.len() > 50 {
        return Err(invalid(format!("`{field}` may have at most 50 entries.")));
    }
    let mut out: Vec<String> = Vec::new();
    for item in list {
        let item = item.trim().to_string();
        if item.is_empty() {
            continue;
        }
        if item.chars().count() > 100 {
            return Err(invalid(format!(
                "Each entry of `{field}` may have at most 100 characters."
            )));
        }
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(Some(out))
}

/// Splits a comma-separated form field (either comma) into a list.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', '，', ';', '；'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Creates a dataset for `user`. Publishers create in their own organization; the authority may
/// name any organization.
pub async fn create_dataset(
    app: &App,
    user: &User,
    input: DatasetInput,
    now: i64,
) -> AppResult<Dataset> {
    let books = app.books();
    let store = books.store;
    let name = input.name.clone().ok_or_else(|| {
        invalid("`name` is required: a slug of lower-case letters, digits, `-` and `_`.")
    })?;
    model::ident::validate_slug(&name).map_err(|e| {
        AppError::new(
            Code::InvalidName,
            format!("Invalid dataset name `{name}`: {e}."),
        )
    })?;
    let org = match (&input.organization, user.role) {
        (Some(org_name), _) => crate::accounts::org_by_name(app, org_name).await?,
        (None, _) => match &user.org_id {
            Some(id) => store.get_org(id).await?,
            None => return Err(invalid("`organization` is required.")),
        },
    };
    let allowed = user.role == Role::Authority
        || (user.role.publishes() && user.org_id.as_deref() == Some(org.id.as_str()));
    if !allowed {
        return Err(AppError::new(
            Code::Forbidden,
            "You may publish datasets only for your own department or enterprise.",
        ));
    }
    let title = clean_text("title", input.title.clone(), 200)?.unwrap_or_default();
    if title.is_empty() {
        return Err(invalid("`title` is required."));
    }
    let default_domain = if org.kind == OrgKind::Enterprise {
        Domain::Enterprise
    } else {
        Domain::Government
    };
    let importance = input.importance.unwrap_or(Importance::Ordinary);
    let mut meta = DatasetMeta {
        title,
        description: String::new(),
        themes: vec![],
        tags: vec![],
        update_frequency: String::new(),
        license: String::new(),
        spatial: String::new(),
        temporal: String::new(),
        contact: String::new(),
        domain: input.domain.unwrap_or(default_domain),
        // A new dataset has no columns yet: its opening type starts as chosen, bounded only by importance.
        opening_type: input
            .opening_type
            .unwrap_or(OpeningType::Conditional)
            .max(classification::derived_opening_type(importance, [])),
        importance,
    };
    apply_text_fields(&mut meta, input)?;
    let dataset = store
        .create_dataset(NewDataset {
            name,
            org_id: org.id,
            meta,
            grade: Grade::L1,
            now,
        })
        .await?;
    books.refresh(&dataset.id).await;
    Ok(dataset)
}

fn apply_text_fields(meta: &mut DatasetMeta, input: DatasetInput) -> AppResult<()> {
    if let Some(v) = clean_text("description", input.description, 20_000)? {
        meta.description = v;
    }
    if let Some(v) = clean_list("themes", input.themes)? {
        meta.themes = v;
    }
    if let Some(v) = clean_list("tags", input.tags)? {
        meta.tags = v;
    }
    for (field, value, slot) in [
        (
            "update_frequency",
            input.update_frequency,
            &mut meta.update_frequency,
        ),
        ("license", input.license, &mut meta.license),
        ("spatial", input.spatial, &mut meta.spatial),
        ("temporal", input.temporal, &mut meta.temporal),
        ("contact", input.contact, &mut meta.contact),
    ] {
        if let Some(v) = clean_text(field, value, 500)? {
            *slot = v;
        }
    }
    Ok(())
}

/// What happened to a requested classification change.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ChangeOutcome {
    /// Nothing to change.
    Unchanged,
    /// Applied at once (stricter, or by the authority).
    Applied,
    /// Looser: filed as a request for the authority.
    RequestFiled {
        /// The request.
        request: Box<ChangeRequest>,
    },
}

/// Updates a dataset's metadata. A looser opening type becomes a request (unless the authority
/// makes it); importance may be raised by publishers and lowered only by the authority.
pub async fn update_dataset(
    app: &App,
    user: &User,
    mut dataset: Dataset,
    mut input: DatasetInput,
    reason: &str,
    now: i64,
) -> AppResult<(Dataset, ChangeOutcome)> {
    let books = app.books();
    let store = books.store;
    require_edit(user, &dataset)?;
    let before = classification_of(&dataset);
    if input.name.as_ref().is_some_and(|n| *n != dataset.name) {
        return Err(invalid(
            "A dataset's `name` cannot be changed; create a new dataset instead.",
        ));
    }
    if input.organization.is_some() {
        return Err(invalid("A dataset's `organization` cannot be changed."));
    }
    if let Some(title) = &input.title {
        if title.trim().is_empty() {
            return Err(invalid("`title` may not be empty."));
        }
    }
    if let Some(t) = clean_text("title", input.title.take(), 200)? {
        dataset.meta.title = t;
    }
    if let Some(d) = input.domain.take() {
        // Personal data carries the strictest rules (C4's second approval): only the authority
        // may take a dataset out of the personal domain.
        if dataset.meta.domain == Domain::Personal
            && d != Domain::Personal
            && user.role != Role::Authority
        {
            return Err(AppError::new(
                Code::Forbidden,
                "Only the data authority may move a dataset out of the personal domain.",
            ));
        }
        dataset.meta.domain = d;
    }
    if let Some(importance) = input.importance.take() {
        if importance < dataset.meta.importance && user.role != Role::Authority {
            return Err(AppError::new(
                Code::Forbidden,
                "Only the data authority may lower a dataset's importance.",
            ));
        }
        dataset.meta.importance = importance;
    }
    let requested_opening = input.opening_type.take();
    apply_text_fields(&mut dataset.meta, input)?;
    let grades = column_grade_values(store, &dataset.id).await?;
    // Check the opening-type change before writing anything, so a refused update changes nothing.
    if let Some(to) = requested_opening {
        check_opening_type(&dataset, to, &grades)?;
        if to < dataset.meta.opening_type
            && user.role != Role::Authority
            && reason.trim().is_empty()
        {
            return Err(invalid(
                "Lowering needs the authority's approval: give a `reason` for the request.",
            ));
        }
    }
    // Importance may have been raised: never stay looser than the rules allow.
    let derived =
        classification::derived_opening_type(dataset.meta.importance, grades.iter().copied());
    dataset.meta.opening_type = dataset.meta.opening_type.max(derived);
    dataset.modified_at = now;
    let dataset = store.update_dataset(&dataset).await?;
    let after = classification_of(&dataset);
    if after != before {
        books
            .log(
                EventKind::OpeningTypeChanged,
                Some(user),
                &dataset,
                json!({"from": before, "to": after}),
            )
            .await?;
    }
    let outcome = match requested_opening {
        Some(to) => set_opening_type(app, user, &dataset, to, reason, now).await?,
        None => ChangeOutcome::Unchanged,
    };
    let dataset = store.get_dataset(&dataset.id).await?;
    books.refresh(&dataset.id).await;
    Ok((dataset, outcome))
}

/// The classification of a dataset as the log records it.
fn classification_of(d: &Dataset) -> serde_json::Value {
    json!({
        "domain": d.meta.domain,
        "importance": d.meta.importance,
        "grade": d.grade,
        "opening_type": d.meta.opening_type,
    })
}

async fn column_grade_values(store: &DynStore, dataset_id: &str) -> AppResult<Vec<Grade>> {
    let mut grades = Vec::new();
    for r in store.list_resources(dataset_id).await? {
        grades.extend(
            store
                .list_column_grades(&r.id)
                .await?
                .into_iter()
                .map(|g| g.grade),
        );
    }
    Ok(grades)
}

/// Recomputes the dataset grade from its columns and tightens the opening type if the columns
/// no longer allow it. Called after every change of a column grade or a new version.
pub(crate) async fn reconcile(
    books: Books<'_>,
    actor: Option<&User>,
    dataset_id: &str,
) -> AppResult<Dataset> {
    let store = books.store;
    let mut dataset = store.get_dataset(dataset_id).await?;
    let grades = column_grade_values(store, dataset_id).await?;
    let grade = classification::dataset_grade(grades.iter().copied());
    let derived =
        classification::derived_opening_type(dataset.meta.importance, grades.iter().copied());
    let opening = dataset.meta.opening_type.max(derived);
    if grade != dataset.grade || opening != dataset.meta.opening_type {
        let before = classification_of(&dataset);
        dataset.grade = grade;
        dataset.meta.opening_type = opening;
        dataset = store.update_dataset(&dataset).await?;
        books
            .log(
                EventKind::OpeningTypeChanged,
                actor,
                &dataset,
                json!({"from": before, "to": classification_of(&dataset), "derived_from_columns": true}),
            )
            .await?;
    }
    books.refresh(&dataset.id).await;
    Ok(dataset)
}

/// Sets the opening type: stricter at once; looser only within the rules, and through a request
/// unless the authority itself makes the change.
pub async fn set_opening_type(
    app: &App,
    user: &User,
    dataset: &Dataset,
    to: OpeningType,
    reason: &str,
    now: i64,
) -> AppResult<ChangeOutcome> {
    let books = app.books();
    let store = books.store;
    require_edit(user, dataset)?;
    let from = dataset.meta.opening_type;
    let grades = column_grade_values(store, &dataset.id).await?;
    check_opening_type(dataset, to, &grades)?;
    match classification::change(from, to) {
        Change::Unchanged => Ok(ChangeOutcome::Unchanged),
        Change::NeedsApproval if user.role != Role::Authority => {
            let request = file_request(
                books,
                user,
                dataset,
                ChangeTarget::OpeningType { from, to },
                reason,
                now,
            )
            .await?;
            Ok(ChangeOutcome::RequestFiled {
                request: Box::new(request),
            })
        }
        Change::Stricter | Change::NeedsApproval => {
            let mut d = store.get_dataset(&dataset.id).await?;
            let before = classification_of(&d);
            d.meta.opening_type = to;
            d.modified_at = now;
            let d = store.update_dataset(&d).await?;
            books
                .log(
                    EventKind::OpeningTypeChanged,
                    Some(user),
                    &d,
                    json!({"from": before, "to": classification_of(&d), "reason": reason}),
                )
                .await?;
            books.refresh(&d.id).await;
            Ok(ChangeOutcome::Applied)
        }
    }
}

/// 422 unless the rules of C3 allow `to` for a dataset with these column grades.
fn check_opening_type(dataset: &Dataset, to: OpeningType, grades: &[Grade]) -> AppResult<()> {
    let importance = dataset.meta.importance;
    if classification::opening_type_allowed(to, importance, grades.iter().copied()) {
        return Ok(());
    }
    let derived = classification::derived_opening_type(importance, grades.iter().copied());
    Err(AppError::new(
        Code::OpeningTypeNotAllowed,
        format!(
            "This dataset cannot be `{to}`: its column grades and importance allow at most `{derived}`. Lower the column grades first (which needs approval) or choose a stricter opening type."
        ),
    ))
}

async fn file_request(
    books: Books<'_>,
    user: &User,
    dataset: &Dataset,
    change: ChangeTarget,
    reason: &str,
    now: i64,
) -> AppResult<ChangeRequest> {
    let store = books.store;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid(
            "Lowering needs the authority's approval: give a `reason` for the request.",
        ));
    }
    let request = store
        .create_change_request(NewChangeRequest {
            dataset_id: dataset.id.clone(),
            change,
            reason: reason.to_string(),
            requested_by: user.id.clone(),
            now,
        })
        .await?;
    books
        .log(
            EventKind::ChangeRequested,
            Some(user),
            dataset,
            json!({"request_id": request.id, "change": request.change, "reason": reason}),
        )
        .await?;
    Ok(request)
}

/// Sets a column's grade: confirming or raising applies at once; lowering files a request
/// unless the authority makes it.
#[allow(clippy::too_many_arguments)] // each is a distinct part of the decision; a struct would only rename them
pub async fn set_column_grade(
    app: &App,
    user: &User,
    dataset: &Dataset,
    resource: &Resource,
    column: &str,
    to: Grade,
    reason: &str,
    now: i64,
) -> AppResult<ChangeOutcome> {
    let books = app.books();
    let store = books.store;
    require_edit(user, dataset)?;
    if resource.dataset_id != dataset.id {
        return Err(AppError::new(
            Code::ResourceNotFound,
            "That resource does not belong to this dataset.",
        ));
    }
    let current = store
        .list_column_grades(&resource.id)
        .await?
        .into_iter()
        .find(|g| g.column == column)
        .ok_or_else(|| invalid(format!("The resource has no column named `{column}`.")))?;
    let outcome = match classification::change(current.grade, to) {
        Change::NeedsApproval if user.role != Role::Authority => {
            let change = ChangeTarget::ColumnGrade {
                resource_id: resource.id.clone(),
                column: column.to_string(),
                from: current.grade,
                to,
            };
            let request = file_request(books, user, dataset, change, reason, now).await?;
            return Ok(ChangeOutcome::RequestFiled {
                request: Box::new(request),
            });
        }
        Change::Unchanged if current.confirmed => ChangeOutcome::Unchanged,
        _ => ChangeOutcome::Applied,
    };
    let from = current.grade;
    store
        .set_column_grade(&ColumnGrade {
            grade: to,
            confirmed: true,
            ..current
        })
        .await?;
    if matches!(outcome, ChangeOutcome::Applied) {
        books
            .log(
                EventKind::GradeChanged,
                Some(user),
                dataset,
                json!({"resource": resource.name, "column": column, "from": from, "to": to, "reason": reason}),
            )
            .await?;
    }
    reconcile(books, Some(user), &dataset.id).await?;
    Ok(outcome)
}

/// The authority approves or rejects a pending request; approval applies the change if the rules
/// still allow it.
pub async fn decide_request(
    app: &App,
    user: &User,
    request_id: &str,
    approve: bool,
    note: &str,
    now: i64,
) -> AppResult<ChangeRequest> {
    let books = app.books();
    let store = books.store;
    require_authority(user)?;
    let request = store
        .get_change_request(request_id)
        .await
        .or_missing(|| AppError::new(Code::RequestNotFound, "There is no such request."))?;
    if request.status != RequestStatus::Pending {
        return Err(AppError::new(
            Code::AlreadyDecided,
            "This request has already been decided.",
        ));
    }
    if approve {
        let dataset = store.get_dataset(&request.dataset_id).await?;
        let stale = || {
            AppError::new(
                Code::StaleRequest,
                "The value this request would lower has changed since it was filed (it was probably tightened). Reject it; the publisher can file a new one.",
            )
        };
        match &request.change {
            ChangeTarget::ColumnGrade {
                resource_id,
                column,
                from,
                to,
            } => {
                let current = store
                    .list_column_grades(resource_id)
                    .await?
                    .into_iter()
                    .find(|g| &g.column == column)
                    .map(|g| g.grade);
                if current != Some(*from) {
                    return Err(stale());
                }
                let resource = store.get_resource(resource_id).await?;
                set_column_grade(app, user, &dataset, &resource, column, *to, note, now).await?;
            }
            ChangeTarget::OpeningType { from, to } => {
                if dataset.meta.opening_type != *from {
                    return Err(stale());
                }
                set_opening_type(app, user, &dataset, *to, note, now).await?;
            }
        }
    }
    let status = if approve {
        RequestStatus::Approved
    } else {
        RequestStatus::Rejected
    };
    match store
        .decide_change_request(request_id, status, &user.id, note.trim(), now)
        .await
    {
        Ok(r) => {
            let dataset = store.get_dataset(&r.dataset_id).await?;
            books
                .log(
                    EventKind::ChangeDecided,
                    Some(user),
                    &dataset,
                    json!({"request_id": r.id, "change": r.change, "status": r.status, "note": r.decision_note}),
                )
                .await?;
            Ok(r)
        }
        Err(store::StoreError::Conflict(_)) => Err(AppError::new(
            Code::AlreadyDecided,
            "This request has already been decided.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Removes a dataset with its versions' files.
pub async fn delete_dataset(app: &App, user: &User, dataset: &Dataset) -> AppResult<()> {
    let books = app.books();
    let store = books.store;
    require_edit(user, dataset)?;
    let paths = store.delete_dataset(&dataset.id).await?;
    for p in paths {
        remove_version_file(app, &p).await;
    }
    let _ = app
        .files
        .delete_folder(&format!("{VERSIONS_DIR}/{}", dataset.id))
        .await;
    books.refresh(&dataset.id).await;
    Ok(())
}

/// Removes a resource with its versions' files, and reconciles the dataset's classification.
pub async fn delete_resource(
    app: &App,
    user: &User,
    dataset: &Dataset,
    resource: &Resource,
) -> AppResult<()> {
    let books = app.books();
    let store = books.store;
    require_edit(user, dataset)?;
    for p in store.delete_resource(&resource.id).await? {
        remove_version_file(app, &p).await;
    }
    reconcile(books, Some(user), &dataset.id).await?;
    Ok(())
}

/// An upload waiting in the staging directory; the file is removed when this is dropped, so no
/// failure path leaves it behind.
pub struct StagedUpload {
    path: PathBuf,
}

impl StagedUpload {
    /// A fresh staging path under the data directory.
    pub fn new(data_dir: &Path) -> std::io::Result<Self> {
        let dir = data_dir.join(STAGING_DIR);
        std::fs::create_dir_all(&dir)?;
        Ok(StagedUpload {
            path: dir.join(format!("{}.upload", uuid::Uuid::new_v4())),
        })
    }

    /// Where to write the upload.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StagedUpload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Ingests a staged file into a new version of the named resource (created if missing), publishes
/// it atomically, and reconciles the dataset's classification.
#[allow(clippy::too_many_arguments)]
pub async fn publish_upload(
    app: &App,
    user: &User,
    dataset: &Dataset,
    resource_name: &str,
    source: &Path,
    file_name: &str,
    progress: Option<Box<dyn Fn(u64) + Send + Sync>>,
    now: i64,
) -> AppResult<(Resource, Version)> {
    let books = app.books();
    let store = books.store;
    let data_dir = app.data_dir();
    let limits = &app.limits;
    require_edit(user, dataset)?;
    ingest::validate_file_name(file_name)?;
    ingest::SourceFormat::from_file_name(file_name)?;
    let resource_name = resource_name.trim();
    if resource_name.is_empty() || resource_name.chars().count() > 100 {
        return Err(invalid("Give the resource a name of 1 to 100 characters."));
    }
    let existing = store
        .list_resources(&dataset.id)
        .await?
        .into_iter()
        .find(|r| r.name == resource_name);
    // The resource row is created only after a successful ingest, so a failed first upload
    // leaves nothing behind; hence the file is named by dataset, not by resource. The version is
    // written in the staging directory and published whole before its row is committed.
    let relative = new_version_key(&dataset.id);
    let staged = StagedUpload::new(data_dir).map_err(AppError::internal)?;
    let dest = staged.path().to_path_buf();
    // The key the data dictionary declares is checked as the rows are read, and the rows are
    // written in the order it declares.
    let notes = match &existing {
        Some(r) => store.column_notes(&r.id).await?,
        None => Vec::new(),
    };
    let key = model::dictionary::key_columns(&notes);
    let sort_by = model::dictionary::order_column(&notes);
    let (source, file_name_owned, limits, dest_clone) = (
        source.to_path_buf(),
        file_name.to_string(),
        limits.clone(),
        dest.clone(),
    );
    let outcome = tokio::task::spawn_blocking(move || {
        let progress_ref: Option<&(dyn Fn(u64) + Sync)> = match &progress {
            Some(f) => Some(f.as_ref()),
            None => None,
        };
        ingest::ingest_file(ingest::IngestRequest {
            source: &source,
            file_name: &file_name_owned,
            dest: &dest_clone,
            limits: &limits,
            progress: progress_ref,
            key: &key,
            sort_by: sort_by.as_deref(),
        })
    })
    .await
    .map_err(AppError::internal)??;
    publish_file(app, &relative, &dest).await?;
    drop(staged);
    let mut created: Option<String> = None;
    let publish = async {
        let resource = match existing {
            Some(r) => r,
            None => {
                let r = store
                    .create_resource(NewResource {
                        dataset_id: dataset.id.clone(),
                        name: resource_name.to_string(),
                        description: String::new(),
                        now,
                    })
                    .await?;
                created = Some(r.id.clone());
                r
            }
        };
        let version = store
            .publish_version(NewVersion {
                resource_id: resource.id.clone(),
                path: relative.clone(),
                source_format: outcome.format.code().to_string(),
                source_name: file_name.to_string(),
                source_encoding: outcome.encoding.clone(),
                row_count: outcome.row_count as i64,
                byte_size: outcome.byte_size as i64,
                sha256: outcome.sha256.clone(),
                columns: outcome
                    .columns
                    .iter()
                    .map(|c| store::ColumnInfo {
                        name: c.name.clone(),
                        data_type: c.data_type.clone(),
                        profile: serde_json::to_value(&c.profile).unwrap_or_default(),
                        findings: c.findings.clone(),
                        proposed_grade: c.proposed_grade,
                    })
                    .collect(),
                created_by: user.id.clone(),
                now,
            })
            .await?;
        Ok::<_, AppError>((resource, version))
    };
    let result = publish.await;
    if result.is_err() {
        // The database refused the version: neither the file nor a resource row made for it
        // may linger (a file that cannot be removed now is swept later).
        let _ = app.files.delete(&relative).await;
        if let Some(id) = created {
            let _ = store.delete_resource(&id).await;
        }
    }
    let (resource, version) = result?;
    crate::quality::record_published(
        app,
        dataset,
        &version,
        &crate::quality::RowChecks::of(&outcome),
    )
    .await;
    reconcile(books, Some(user), &dataset.id).await?;
    Ok((resource, version))
}

/// Removes what an interrupted ingest may have left on this server's disk: the staging
/// directory, and keyed copies of versions that are gone or that were left half written.
/// Called at start; version files are the business of [`sweep_files`].
pub async fn clean_data_dir(store: &DynStore, data_dir: &Path) -> anyhow::Result<usize> {
    let _ = std::fs::remove_dir_all(data_dir.join(STAGING_DIR));
    let stems: std::collections::HashSet<String> = store
        .all_version_paths()
        .await?
        .iter()
        .filter_map(|p| Path::new(p).file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let mut removed = 0;
    if let Ok(entries) = std::fs::read_dir(data_dir.join(KEYED_DIR)) {
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let of_known = name
                .split_once('.')
                .is_some_and(|(stem, _)| stems.contains(stem));
            if !of_known || name.ends_with(".tmp") {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Removes the files that no row refers to and that were last written before `before` (ms):
/// version files no version names, feedback photos of items that were never recorded, and
/// consultation attachments that were never recorded. They are what a server killed between a
/// put and its commit, or a removal that failed, left behind. The grace period keeps the files
/// of writes still under way on another server ([`crate::files::ORPHAN_GRACE_MS`]). Returns
/// how many were removed.
pub async fn sweep_files(app: &App, before: i64) -> anyhow::Result<usize> {
    use std::collections::{HashMap, HashSet};
    let old = |files: Vec<crate::files::StoredFile>| {
        files
            .into_iter()
            .filter(move |f| f.modified_ms < before)
            .map(|f| f.key)
    };
    let mut orphans = Vec::new();
    let versions: HashSet<String> = app.store.all_version_paths().await?.into_iter().collect();
    orphans.extend(old(app.files.list(VERSIONS_DIR).await?).filter(|k| !versions.contains(k)));
    // feedback/<item>/<photo>.<ext>: the item's row is written after its photos.
    let mut items: HashMap<String, bool> = HashMap::new();
    for key in old(app.files.list(crate::files::PHOTOS_DIR).await?) {
        let Some(item) = key.split('/').nth(1) else {
            continue;
        };
        let recorded = match items.get(item) {
            Some(recorded) => *recorded,
            None => {
                let recorded = app.store.get_feedback(item).await.found()?.is_some();
                items.insert(item.to_string(), recorded);
                recorded
            }
        };
        if !recorded {
            orphans.push(key);
        }
    }
    // attachments/<consultation>/<attachment>.pdf: the row is written after the file.
    let mut attachments: HashMap<String, HashSet<String>> = HashMap::new();
    for key in old(app.files.list(crate::files::ATTACHMENTS_DIR).await?) {
        let mut parts = key.split('/').skip(1);
        let (Some(consultation), Some(file)) = (parts.next(), parts.next()) else {
            continue;
        };
        if !attachments.contains_key(consultation) {
            let known = app
                .store
                .list_consultation_attachments(consultation)
                .await?
                .into_iter()
                .map(|a| format!("{}.pdf", a.id))
                .collect();
            attachments.insert(consultation.to_string(), known);
        }
        if !attachments[consultation].contains(file) {
            orphans.push(key);
        }
    }
    for key in &orphans {
        app.files.delete(key).await?;
    }
    Ok(orphans.len())
}

/// A dataset by slug, or `dataset_not_found`.
pub async fn load_dataset(app: &App, name: &str) -> AppResult<Dataset> {
    app.store.get_dataset_by_name(name).await.or_missing(|| {
        AppError::new(
            Code::DatasetNotFound,
            format!("There is no dataset named `{name}`. Check the name in the catalog."),
        )
    })
}

/// A dataset by id (as records refer to it).
pub async fn dataset_by_id(app: &App, id: &str) -> AppResult<Dataset> {
    Ok(app.store.get_dataset(id).await?)
}

/// A resource of `dataset` by name, or `resource_not_found`.
pub async fn find_resource(app: &App, dataset: &Dataset, name: &str) -> AppResult<Resource> {
    app.store
        .list_resources(&dataset.id)
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| {
            AppError::new(
                Code::ResourceNotFound,
                format!("Dataset `{}` has no resource named `{name}`.", dataset.name),
            )
        })
}

/// A page of the catalog, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetPage {
    /// Datasets matching the filter, over all pages.
    pub total: i64,
    /// Datasets skipped.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
    /// This page.
    pub datasets: Vec<Dataset>,
}

/// Lists datasets, optionally of one organization (by slug) or one opening type; `limit` is 1
/// to 1000 and `offset` at least 0.
pub async fn list_datasets(
    app: &App,
    organization: Option<&str>,
    opening_type: Option<OpeningType>,
    offset: i64,
    limit: i64,
) -> AppResult<DatasetPage> {
    if !(1..=1000).contains(&limit) || offset < 0 {
        return Err(AppError::new(
            Code::BadRequest,
            "`limit` must be 1 to 1000 and `offset` at least 0.",
        ));
    }
    let org_id = match organization {
        Some(name) => Some(crate::accounts::org_by_name(app, name).await?.id),
        None => None,
    };
    let filter = store::DatasetFilter {
        org_id,
        opening_type,
        offset,
        limit,
    };
    let (datasets, total) = app.store.list_datasets(&filter).await?;
    Ok(DatasetPage {
        total,
        offset,
        limit,
        datasets,
    })
}

/// The versions of a resource, newest first.
pub async fn versions(app: &App, resource: &Resource) -> AppResult<Vec<Version>> {
    Ok(app.store.list_versions(&resource.id).await?)
}

/// The latest version of a resource, if it has one.
pub async fn latest_version(app: &App, resource: &Resource) -> AppResult<Option<Version>> {
    Ok(versions(app, resource).await?.into_iter().next())
}

/// A change request with what a reader needs beside it.
#[derive(Debug, Clone)]
pub struct ChangeRequestItem {
    /// The request.
    pub request: ChangeRequest,
    /// The dataset it is about.
    pub dataset: Dataset,
    /// The display name of whoever filed it (empty if the account is gone).
    pub requester: String,
}

/// Change requests `user` may see, optionally in one state: all of them for the authority,
/// those about their organization's datasets for publishers, none for others.
pub async fn change_requests(
    app: &App,
    user: &User,
    status: Option<RequestStatus>,
) -> AppResult<Vec<ChangeRequestItem>> {
    let mut visible = Vec::new();
    for request in app.store.list_change_requests(status, None).await? {
        let dataset = app.store.get_dataset(&request.dataset_id).await?;
        if user.role != Role::Authority && !can_edit(user, &dataset) {
            continue;
        }
        let requester = app
            .store
            .get_user(&request.requested_by)
            .await
            .map(|u| u.display_name)
            .unwrap_or_default();
        visible.push(ChangeRequestItem {
            request,
            dataset,
            requester,
        });
    }
    Ok(visible)
}

/// The resources of a dataset, oldest first.
pub async fn resources(app: &App, dataset: &Dataset) -> AppResult<Vec<Resource>> {
    Ok(app.store.list_resources(&dataset.id).await?)
}

/// A fresh key for a version file of `dataset_id`, as the store records it.
fn new_version_key(dataset_id: &str) -> String {
    format!(
        "{VERSIONS_DIR}/{dataset_id}/{}.parquet",
        uuid::Uuid::new_v4()
    )
}

/// Publishes the finished version file at `staged` under `relative`; a storage that fails is
/// `storage_unavailable`, and nothing is published.
async fn publish_file(app: &App, relative: &str, staged: &Path) -> AppResult<()> {
    app.files.publish(relative, staged).await.map_err(|e| {
        tracing::error!(file = relative, error = %e, "could not publish a version file");
        AppError::new(
            Code::Unavailable,
            "The file storage is not available; nothing was published. Try again later.",
        )
    })
}

/// One version that [`rewrite_versions`] rewrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewrittenVersion {
    /// Dataset name.
    pub dataset: String,
    /// Resource name.
    pub resource: String,
    /// Version number within the resource.
    pub number: i64,
    /// The layout the file had.
    pub from_layout: u32,
    /// Size before and after, in bytes.
    pub bytes_before: i64,
    /// Size after, in bytes.
    pub bytes_after: i64,
    /// The column the new file's rows are in order of, if any.
    pub sorted_by: Option<String>,
}

/// Rewrites the files of stored versions in the current layout (`gongshu versions rewrite`):
/// every version of `dataset` (of every dataset if `None`) whose file is in an older layout or
/// not in the order its data dictionary declares, or every one with `force`. Rows, values and types stay as they are; the file's size and SHA-256
/// change, and the version row is updated to the new file in one statement, only if it still
/// names the old one. A failure leaves the version on its old file (the new file is removed);
/// the old file is removed once the row names the new one. Versions are never rewritten
/// otherwise.
pub async fn rewrite_versions(
    app: &App,
    dataset: Option<&str>,
    force: bool,
) -> AppResult<Vec<RewrittenVersion>> {
    let store = app.books().store;
    let versions = match dataset {
        Some(name) => {
            let dataset = load_dataset(app, name).await?;
            let mut all = Vec::new();
            for resource in store.list_resources(&dataset.id).await? {
                let mut versions = store.list_versions(&resource.id).await?;
                versions.reverse();
                all.extend(versions);
            }
            all
        }
        None => store.all_versions().await?,
    };
    let mut done = Vec::new();
    for version in versions {
        // The rewrite reads a file on this machine: the stored one, or a fetched copy.
        let fetched = match app.files.location(&version.path).local_path() {
            Some(_) => None,
            None => {
                let copy = StagedUpload::new(app.data_dir()).map_err(AppError::internal)?;
                app.files
                    .fetch(&version.path, copy.path())
                    .await
                    .map_err(AppError::internal)?;
                Some(copy)
            }
        };
        let old = match &fetched {
            Some(copy) => copy.path().to_path_buf(),
            None => app
                .files
                .location(&version.path)
                .local_path()
                .expect("a local location"),
        };
        let stored = {
            let old = old.clone();
            tokio::task::spawn_blocking(move || ingest::stored_layout(&old))
                .await
                .map_err(AppError::internal)??
        };
        let from_layout = stored.version;
        // The order declared now, where this version has the column.
        let sort_by =
            model::dictionary::order_column(&store.column_notes(&version.resource_id).await?)
                .filter(|c| version.columns.iter().any(|v| &v.name == c));
        let out_of_order = sort_by.is_some() && stored.sorted_by != sort_by;
        if from_layout >= ingest::LAYOUT_VERSION && !out_of_order && !force {
            continue;
        }
        let resource = store.get_resource(&version.resource_id).await?;
        let dataset = store.get_dataset(&resource.dataset_id).await?;
        let relative = new_version_key(&dataset.id);
        let staged = StagedUpload::new(app.data_dir()).map_err(AppError::internal)?;
        let dest = staged.path().to_path_buf();
        let known: Vec<ingest::KnownColumn> = version
            .columns
            .iter()
            .map(|c| {
                let number = |key: &str| c.profile.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
                ingest::KnownColumn {
                    name: c.name.clone(),
                    values: number("count").saturating_sub(number("nulls")),
                    nulls: number("nulls"),
                    distinct: number("distinct_estimate"),
                    personal: !c.findings.is_empty(),
                }
            })
            .collect();
        let (src, dest_clone) = (old.clone(), dest.clone());
        let rewritten = tokio::task::spawn_blocking(move || {
            ingest::rewrite(&src, &dest_clone, &known, sort_by.as_deref())
        })
        .await
        .map_err(AppError::internal)?;
        let rewritten = match rewritten {
            Ok(r) if r.rows == version.row_count as u64 => r,
            Ok(r) => {
                return Err(AppError::internal(format!(
                    "rewriting version {} copied {} of {} rows",
                    version.id, r.rows, version.row_count
                )));
            }
            Err(e) => return Err(e.into()),
        };
        publish_file(app, &relative, &dest).await?;
        drop((staged, fetched));
        let file = store::VersionFile {
            path: relative.clone(),
            byte_size: rewritten.byte_size as i64,
            sha256: rewritten.sha256,
        };
        if let Err(e) = store
            .replace_version_file(&version.id, &version.path, &file)
            .await
        {
            let _ = app.files.delete(&relative).await;
            return Err(e.into());
        }
        // A file left here (removal failed, or a crash) is an orphan the sweep removes.
        remove_version_file(app, &version.path).await;
        tracing::info!(
            version = %version.id,
            from_layout,
            bytes_before = version.byte_size,
            bytes_after = file.byte_size,
            "rewrote a version in the current layout"
        );
        done.push(RewrittenVersion {
            dataset: dataset.name,
            resource: resource.name,
            number: version.number,
            from_layout,
            bytes_before: version.byte_size,
            bytes_after: file.byte_size,
            sorted_by: rewritten.sorted_by.clone(),
        });
    }
    Ok(done)
}
