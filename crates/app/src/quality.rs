//! Data quality (DESIGN.md C9): measured when a version is published, from what ingest's first
//! pass already measured (no second look at the data), scored by [`model::quality`], kept per
//! version, and combined for the dataset with its metadata and the clock whenever it is asked.
//! A version whose score reaches `quality_points_threshold` earns its uploader the
//! `quality_passed` points, once per dataset and month.

use crate::error::AppResult;
use crate::state::App;
use model::quality::{self, Assessment, ColumnMeasure, Issue, MetadataFacts, VersionMeasures};
use serde::Serialize;
use store::{Dataset, Resource, Version, VersionQuality};

/// What ingest counted of a version's rows beyond its column profiles: duplicate rows, and the
/// repeats and gaps of the key the data dictionary declared when it was uploaded.
#[derive(Debug, Clone, Default)]
pub struct RowChecks {
    /// Rows examined.
    pub rows_checked: u64,
    /// Rows equal to an earlier one.
    pub duplicate_rows: u64,
    /// The key checked (empty: none declared, or a key column missing from the data).
    pub key: Vec<String>,
    /// Rows whose key equals an earlier row's.
    pub duplicate_keys: u64,
    /// Rows with an empty key column.
    pub empty_keys: u64,
}

impl RowChecks {
    /// What an ingest outcome counted.
    pub fn of(outcome: &ingest::IngestOutcome) -> RowChecks {
        RowChecks {
            rows_checked: outcome.rows_checked_for_duplicates,
            duplicate_rows: outcome.duplicate_rows,
            key: outcome.key.clone(),
            duplicate_keys: outcome.duplicate_keys,
            empty_keys: outcome.empty_keys,
        }
    }
}

/// The measures of a version from its stored columns (their profiles carry the invalid cells)
/// and ingest's row checks; `previous` is the resource's version before it, if any.
pub fn measures(
    version: &Version,
    checks: &RowChecks,
    previous: Option<&Version>,
) -> VersionMeasures {
    let columns = version
        .columns
        .iter()
        .map(|c| {
            let number = |key: &str| c.profile.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
            ColumnMeasure {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
                cells: number("count"),
                nulls: number("nulls"),
                invalid_type: number("invalid"),
                findings: c.findings.clone(),
            }
        })
        .collect();
    let mut m = VersionMeasures {
        rows: version.row_count.max(0) as u64,
        columns,
        rows_checked: checks.rows_checked,
        duplicate_rows: checks.duplicate_rows,
        key: checks.key.clone(),
        duplicate_keys: checks.duplicate_keys,
        empty_keys: checks.empty_keys,
        columns_added: Vec::new(),
        columns_removed: Vec::new(),
        columns_retyped: Vec::new(),
        has_previous: false,
    };
    let before: Option<Vec<(String, String)>> = previous.map(|p| {
        p.columns
            .iter()
            .map(|c| (c.name.clone(), c.data_type.clone()))
            .collect()
    });
    m.compare_with(before.as_deref());
    m
}

/// Of the columns of each resource's latest version (resource id, column names), how many there
/// are and how many the resources' data dictionaries describe.
async fn column_coverage(app: &App, latest: &[(&str, Vec<&str>)]) -> AppResult<(usize, usize)> {
    let (mut columns, mut described) = (0, 0);
    for (resource_id, names) in latest {
        let notes = app.store.column_notes(resource_id).await?;
        columns += names.len();
        described += names
            .iter()
            .filter(|n| model::dictionary::description_of(&notes, n).is_some())
            .count();
    }
    Ok((columns, described))
}

fn column_names(m: &VersionMeasures) -> Vec<&str> {
    m.columns.iter().map(|c| c.name.as_str()).collect()
}

/// What the metadata dimension reads of a dataset; `coverage` is [`column_coverage`]'s.
fn facts(
    dataset: &Dataset,
    resources: &[Resource],
    has_version: bool,
    coverage: (usize, usize),
) -> MetadataFacts {
    let m = &dataset.meta;
    let filled = |s: &str| !s.trim().is_empty();
    MetadataFacts {
        description: m.description.clone(),
        tags: m.tags.len(),
        themes: m.themes.len(),
        spatial: filled(&m.spatial),
        temporal: filled(&m.temporal),
        license: filled(&m.license),
        contact: filled(&m.contact),
        frequency: filled(&m.update_frequency),
        resources: resources.len(),
        resources_described: resources.iter().filter(|r| filled(&r.description)).count(),
        columns: coverage.0,
        columns_described: coverage.1,
        has_version,
    }
}

/// The expected interval between versions of a dataset, from its declared frequency.
fn interval(dataset: &Dataset) -> Option<f64> {
    let text = dataset.meta.update_frequency.trim();
    if text.is_empty() {
        return None;
    }
    quality::interval_days(dcat::vocab::frequency(text))
}

/// Records the quality of a version just published and refreshes its dataset's score; a
/// failure is logged and leaves the version published (the next start measures it again from
/// its stored profile).
pub async fn record_published(app: &App, dataset: &Dataset, version: &Version, checks: &RowChecks) {
    if let Err(e) = record(app, dataset, version, checks).await {
        tracing::warn!(version = %version.id, "quality not recorded: {e}");
    }
}

async fn record(
    app: &App,
    dataset: &Dataset,
    version: &Version,
    checks: &RowChecks,
) -> AppResult<()> {
    let previous = app
        .store
        .list_versions(&version.resource_id)
        .await?
        .into_iter()
        .find(|v| v.number == version.number - 1);
    let m = measures(version, checks, previous.as_ref());
    let resources = app.store.list_resources(&dataset.id).await?;
    // The metadata as it stands with this version the latest of its resource.
    let others = app.store.latest_quality(&dataset.id).await?;
    let mut latest: Vec<(&str, Vec<&str>)> = others
        .iter()
        .filter(|q| q.resource_id != version.resource_id)
        .map(|q| (q.resource_id.as_str(), column_names(&q.measures)))
        .collect();
    latest.push((version.resource_id.as_str(), column_names(&m)));
    let coverage = column_coverage(app, &latest).await?;
    let (data, mut issues) = quality::data_dimensions(&m);
    let (meta, meta_issues) = quality::metadata(&facts(dataset, &resources, true, coverage));
    issues.extend(meta_issues);
    // A version is assessed new: its timeliness is whole when it is published.
    let assessment = quality::assess(data, 1.0, meta, issues);
    let record = VersionQuality {
        version_id: version.id.clone(),
        dataset_id: dataset.id.clone(),
        resource_id: version.resource_id.clone(),
        rows: version.row_count,
        measured_at: version.created_at,
        score: assessment.score,
        letter: assessment.letter.to_string(),
        measures: m,
        assessment,
    };
    app.store.put_version_quality(&record).await?;
    if record.score >= app.config.quality_points_threshold {
        let month = model::calendar::cst_month(version.created_at);
        crate::points::award(
            app,
            Some(&version.created_by),
            model::points::PointsRule::QualityPassed,
            &format!("{}:{month}", dataset.id),
            &dataset.meta.title,
        )
        .await;
    }
    refresh_score(app, dataset).await?;
    Ok(())
}

/// A dataset's quality as it stands at `now`.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetQuality {
    /// Score 0–100 and its breakdown; `None` before any version is measured.
    pub current: Option<Assessment>,
    /// Every measured version, oldest first.
    pub history: Vec<HistoryPoint>,
    /// Days since the latest version.
    pub age_days: Option<f64>,
    /// The expected interval between versions, in days, if the frequency promises one.
    pub interval_days: Option<f64>,
}

/// One measured version in a dataset's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryPoint {
    /// Resource name.
    pub resource: String,
    /// Version number within the resource.
    pub version: i64,
    /// When published, Unix ms.
    pub measured_at: i64,
    /// Score when published.
    pub score: f64,
    /// Letter.
    pub letter: String,
}

/// The quality of `dataset` now: its resources' latest versions weighted by rows, the
/// metadata as it stands, and timeliness from the newest version's age.
pub async fn of_dataset(app: &App, dataset: &Dataset, now: i64) -> AppResult<DatasetQuality> {
    assess_dataset(app, dataset, now, true).await
}

async fn assess_dataset(
    app: &App,
    dataset: &Dataset,
    now: i64,
    with_history: bool,
) -> AppResult<DatasetQuality> {
    let latest = app.store.latest_quality(&dataset.id).await?;
    let history = if with_history {
        app.store.dataset_quality_history(&dataset.id).await?
    } else {
        Vec::new()
    };
    let resources = app.store.list_resources(&dataset.id).await?;
    let name_of = |id: &str| {
        resources
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let mut numbers = std::collections::HashMap::new();
    if with_history {
        for r in &resources {
            for v in app.store.list_versions(&r.id).await? {
                numbers.insert(v.id, v.number);
            }
        }
    }
    let history = history
        .iter()
        .map(|q| HistoryPoint {
            resource: name_of(&q.resource_id),
            version: numbers.get(&q.version_id).copied().unwrap_or(0),
            measured_at: q.measured_at,
            score: q.score,
            letter: q.letter.clone(),
        })
        .collect();
    let interval = interval(dataset);
    if latest.is_empty() {
        return Ok(DatasetQuality {
            current: None,
            history,
            age_days: None,
            interval_days: interval,
        });
    }
    let parts: Vec<([f64; 4], Vec<Issue>, u64)> = latest
        .iter()
        .map(|q| {
            let (dims, mut issues) = quality::data_dimensions(&q.measures);
            // Name the resource in its issues when there are several.
            if latest.len() > 1 {
                let resource = name_of(&q.resource_id);
                for i in &mut issues {
                    i.column = Some(match &i.column {
                        Some(c) => format!("{resource} / {c}"),
                        None => resource.clone(),
                    });
                }
            }
            (dims, issues, q.rows.max(0) as u64)
        })
        .collect();
    let (data, mut issues) = quality::combine(&parts);
    let newest = latest.iter().map(|q| q.measured_at).max().unwrap_or(now);
    let age_days = (now - newest).max(0) as f64 / model::calendar::DAY_MS as f64;
    let (timely, timely_issue) = quality::timeliness(interval, age_days);
    issues.extend(timely_issue);
    let columns: Vec<(&str, Vec<&str>)> = latest
        .iter()
        .map(|q| (q.resource_id.as_str(), column_names(&q.measures)))
        .collect();
    let coverage = column_coverage(app, &columns).await?;
    let (meta, meta_issues) = quality::metadata(&facts(dataset, &resources, true, coverage));
    issues.extend(meta_issues);
    Ok(DatasetQuality {
        current: Some(quality::assess(data, timely, meta, issues)),
        history,
        age_days: Some(age_days),
        interval_days: interval,
    })
}

/// Recomputes a dataset's score now and keeps it for listings when it changed.
pub async fn refresh_score(app: &App, dataset: &Dataset) -> AppResult<Option<f64>> {
    let q = assess_dataset(app, dataset, crate::clock::now_ms(), false).await?;
    keep_score(app, dataset, &q).await
}

/// Keeps a dataset's score now for listings, when it changed.
async fn keep_score(app: &App, dataset: &Dataset, q: &DatasetQuality) -> AppResult<Option<f64>> {
    let score = q.current.as_ref().map(|a| a.score);
    if score != dataset.quality_score {
        app.store.set_quality_score(&dataset.id, score).await?;
    }
    Ok(score)
}

/// Measures the versions published before quality was measured (or whose record a failure
/// lost), from their stored profiles (duplicates unknown: counted as none checked), and
/// refreshes every dataset's score (timeliness changes with the day). Returns the versions
/// measured.
pub async fn catch_up(app: &App) -> AppResult<usize> {
    let missing = app.store.versions_without_quality().await?;
    for (dataset_id, version_id) in &missing {
        let dataset = app.store.get_dataset(dataset_id).await?;
        let version = app.store.get_version(version_id).await?;
        record(app, &dataset, &version, &RowChecks::default()).await?;
    }
    refresh_all(app).await?;
    Ok(missing.len())
}

/// Refreshes every dataset's kept score (its timeliness moves with the day); returns how many
/// datasets were read.
pub async fn refresh_all(app: &App) -> AppResult<usize> {
    let facts = app.store.dataset_facts().await?;
    for fact in &facts {
        let dataset = app.store.get_dataset(&fact.id).await?;
        refresh_score(app, &dataset).await?;
    }
    Ok(facts.len())
}

/// Milliseconds from `now` to a minute past the next midnight in Beijing, when the scores kept
/// for listings are refreshed.
pub fn until_next_refresh(now: i64) -> i64 {
    use model::calendar::{cst_day, cst_day_start};
    cst_day_start(cst_day(now) + 1) + 60_000 - now
}

/// Refreshes every dataset's kept score a minute after each midnight in Beijing, for as long as
/// the task runs (the server runs it beside its listener), so that listings, the DCAT-AP export
/// and the CKAN extras follow timeliness even for datasets nobody opens.
pub async fn refresh_daily(app: std::sync::Arc<App>) {
    loop {
        let wait = until_next_refresh(crate::clock::now_ms()).max(1_000);
        tokio::time::sleep(std::time::Duration::from_millis(wait as u64)).await;
        match refresh_all(&app).await {
            Ok(n) => tracing::info!(datasets = n, "refreshed the quality scores"),
            Err(e) => tracing::warn!("quality scores not refreshed: {}", e.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_refreshed_just_after_midnight_in_beijing() {
        use model::calendar::cst_date_start;
        let midnight = cst_date_start(2026, 12, 7);
        assert_eq!(until_next_refresh(midnight - 1), 60_001);
        assert_eq!(until_next_refresh(midnight), 86_400_000 + 60_000);
        assert_eq!(
            until_next_refresh(midnight + 3_600_000),
            86_400_000 + 60_000 - 3_600_000
        );
    }
}

/// One dimension as the API and the portal show it.
#[derive(Debug, Clone, Serialize)]
pub struct DimensionView {
    /// Code.
    pub dimension: model::quality::Dimension,
    /// Name in Chinese.
    pub name: &'static str,
    /// Name in English.
    pub name_en: &'static str,
    /// Its weight in the score.
    pub weight: f64,
    /// Its value, 0–1.
    pub value: f64,
}

/// A dataset's quality as the API and the portal show it.
#[derive(Debug, Clone, Serialize)]
pub struct QualityView {
    /// The dataset's slug.
    pub dataset: String,
    /// Score 0–100; `None` before any version is measured.
    pub score: Option<f64>,
    /// Letter A–E.
    pub letter: Option<String>,
    /// The dimensions, in the formula's order.
    pub dimensions: Vec<DimensionView>,
    /// What costs points, most first.
    pub issues: Vec<Issue>,
    /// Every measured version, oldest first.
    pub history: Vec<HistoryPoint>,
    /// Days since the latest version.
    pub age_days: Option<f64>,
    /// The expected interval between versions, in days.
    pub interval_days: Option<f64>,
}

/// A dataset's quality now, for display; the score kept for listings follows it.
pub async fn view(app: &App, dataset: &Dataset) -> AppResult<QualityView> {
    let q = of_dataset(app, dataset, crate::clock::now_ms()).await?;
    let score = keep_score(app, dataset, &q).await?;
    let (dimensions, issues) = match &q.current {
        Some(a) => (
            a.dimensions
                .iter()
                .map(|(d, v)| DimensionView {
                    dimension: *d,
                    name: d.label_zh(),
                    name_en: d.label_en(),
                    weight: d.weight(),
                    value: *v,
                })
                .collect(),
            a.issues.clone(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    Ok(QualityView {
        dataset: dataset.name.clone(),
        score,
        letter: q.current.as_ref().map(|a| a.letter.to_string()),
        dimensions,
        issues,
        history: q.history,
        age_days: q.age_days,
        interval_days: q.interval_days,
    })
}
