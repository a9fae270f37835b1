//! The contribution index and the incentive report (DESIGN.md C9): each organization's figures
//! for a period gathered in a few aggregate reads of the store, ranked by
//! [`model::contribution`], published as a leaderboard and, by the authority, as a report (CSV
//! or XLSX) whose SHA-256 becomes a leaf of the access log, so a published report cannot be
//! changed silently.

use crate::audit::Event;
use crate::error::{AppError, AppResult, Code};
use crate::state::App;
use crate::tables::{self, Cell};
use model::contribution::{self, OrgFigures, Period, Ranked, Usage};
use model::log::EventKind;
use model::role::{OrgKind, Role};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use store::{IncentiveReport, User};

/// Which organizations are ranked together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Enterprises.
    Enterprise,
    /// Government departments.
    Department,
}

impl Group {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Group::Enterprise => "enterprise",
            Group::Department => "department",
        }
    }

    /// From a code; `invalid_field` otherwise.
    pub fn parse(s: &str) -> AppResult<Group> {
        match s.trim() {
            "" | "enterprise" => Ok(Group::Enterprise),
            "department" => Ok(Group::Department),
            other => Err(AppError::new(
                Code::InvalidField,
                format!("`kind` is `enterprise` or `department`, not `{other}`."),
            )),
        }
    }

    fn has(self, kind: OrgKind) -> bool {
        match self {
            Group::Enterprise => kind == OrgKind::Enterprise,
            Group::Department => kind == OrgKind::Department,
        }
    }
}

/// A period from its text (`2026-11`, `2026-Q4`, `2026`); empty means the current month.
pub fn parse_period(text: &str) -> AppResult<Period> {
    if text.trim().is_empty() {
        return Ok(Period::month_of(crate::clock::now_ms()));
    }
    text.parse()
        .map_err(|e| AppError::new(Code::InvalidField, format!("`period`: {e}.")))
}

/// The ranked group for a period.
#[derive(Debug, Clone, Serialize)]
pub struct Leaderboard {
    /// The period, as text.
    pub period: String,
    /// Which group.
    pub kind: Group,
    /// Highest first.
    pub entries: Vec<Ranked>,
}

/// Computes the index of every organization of `group` for `period`, as the store stands now.
pub async fn compute(app: &App, period: Period, group: Group) -> AppResult<Leaderboard> {
    let now = crate::clock::now_ms();
    let (from, to) = period.bounds();
    let orgs: Vec<_> = app
        .store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| group.has(o.kind))
        .collect();
    let mut figures: HashMap<String, OrgFigures> = orgs
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                OrgFigures {
                    org_id: o.id.clone(),
                    name: o.name.clone(),
                    title: o.title.clone(),
                    ..Default::default()
                },
            )
        })
        .collect();
    let datasets = app.store.dataset_facts().await?;
    let org_of: HashMap<&str, &str> = datasets
        .iter()
        .map(|d| (d.id.as_str(), d.org_id.as_str()))
        .collect();
    let by_slug: HashMap<&str, &str> = datasets
        .iter()
        .map(|d| (d.name.as_str(), d.id.as_str()))
        .collect();
    // Volume and quality: each resource's latest version at the period's end.
    let mut with_version = std::collections::HashSet::new();
    for v in app.store.latest_versions_at(to).await? {
        let Some(f) = org_of
            .get(v.dataset_id.as_str())
            .and_then(|org| figures.get_mut(*org))
        else {
            continue;
        };
        let rows = v.rows.max(0) as u64;
        f.rows += rows;
        if let Some(score) = v.score {
            f.quality_row_sum += score * rows.max(1) as f64;
            f.quality_rows += rows.max(1);
        }
        if with_version.insert(v.dataset_id.clone()) {
            f.datasets += 1;
        }
    }
    // Versions in the period, and regularity against the declared frequency.
    let days = period.elapsed_days(now);
    let published: HashMap<String, i64> = app
        .store
        .versions_between(from, to)
        .await?
        .into_iter()
        .collect();
    for d in &datasets {
        let Some(f) = figures.get_mut(&d.org_id) else {
            continue;
        };
        let n = published.get(&d.id).copied().unwrap_or(0).max(0) as u64;
        f.versions += n;
        let text = d.update_frequency.trim();
        let interval = if text.is_empty() {
            None
        } else {
            model::quality::interval_days(dcat::vocab::frequency(text))
        };
        if let Some(interval) = interval {
            if days > 0.0 {
                let expected = contribution::expected_versions(days, interval);
                f.versions_expected += expected;
                f.versions_on_time += n.min(expected);
            }
        }
    }
    // Usage in the period, from the access log's leaves and the reported results.
    let (first, last) = period.months();
    crate::harvests::flush(app).await?;
    for u in app.store.usage_in_months(first, last).await? {
        let Some(id) = by_slug.get(u.dataset.as_str()) else {
            continue;
        };
        let Some(f) = org_of.get(id).and_then(|org| figures.get_mut(*org)) else {
            continue;
        };
        add_leaves(&mut f.usage, &u.kind, u.count, u.rows);
    }
    for (dataset_id, n) in app.store.results_between(from, to).await? {
        if let Some(f) = org_of
            .get(dataset_id.as_str())
            .and_then(|org| figures.get_mut(*org))
        {
            f.usage.results += n.max(0) as u64;
        }
    }
    // Responsiveness of departments.
    if group == Group::Department {
        for d in app.store.demands_due_between(from, to, now).await? {
            if let Some(f) = figures.get_mut(&d.org_id) {
                f.demands_due += d.due.max(0) as u64;
                f.demands_on_time += d.on_time.max(0) as u64;
            }
        }
    }
    let entries = contribution::rank(figures.into_values().collect(), group == Group::Department);
    Ok(Leaderboard {
        period: period.to_string(),
        kind: group,
        entries,
    })
}

/// The report's columns.
const HEADINGS: &[&str] = &[
    "rank",
    "organization",
    "title",
    "index",
    "volume",
    "quality",
    "usage",
    "regularity",
    "responsiveness",
    "datasets",
    "rows",
    "versions",
    "mean_quality_score",
    "previews",
    "queries",
    "downloads",
    "rows_delivered",
    "applications",
    "grants",
    "results",
    "demands_fulfilled",
    "harvests",
    "versions_on_time",
    "versions_expected",
    "demands_due",
    "demands_on_time",
];

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The report's rows.
fn rows(board: &Leaderboard) -> Vec<Vec<Cell>> {
    board
        .entries
        .iter()
        .map(|r| {
            let f = &r.figures;
            let u: &Usage = &f.usage;
            let int = |n: u64| Cell::Int(n as i64);
            vec![
                int(r.rank),
                Cell::Text(f.name.clone()),
                Cell::Text(f.title.clone()),
                Cell::Number(r.index),
                Cell::Number(round4(r.volume)),
                Cell::Number(round4(r.quality)),
                Cell::Number(round4(r.usage)),
                Cell::Number(round4(r.regularity)),
                r.responsiveness
                    .map_or(Cell::Empty, |s| Cell::Number(round4(s))),
                int(f.datasets),
                int(f.rows),
                int(f.versions),
                f.quality()
                    .map_or(Cell::Empty, |q| Cell::Number((q * 100.0).round() / 100.0)),
                int(u.previews),
                int(u.queries),
                int(u.downloads),
                int(u.rows),
                int(u.applications),
                int(u.grants),
                int(u.results),
                int(u.demands_fulfilled),
                int(u.harvests),
                int(f.versions_on_time),
                int(f.versions_expected),
                int(f.demands_due),
                int(f.demands_on_time),
            ]
        })
        .collect()
}

/// The report as CSV (UTF-8 with a byte-order mark).
pub fn report_csv(board: &Leaderboard) -> AppResult<Vec<u8>> {
    tables::csv(HEADINGS, &rows(board))
}

/// The report as an XLSX workbook.
pub fn report_xlsx(board: &Leaderboard) -> AppResult<Vec<u8>> {
    tables::xlsx(
        &format!("{} {}", board.kind.code(), board.period),
        HEADINGS,
        &rows(board),
    )
}

/// Publishes the report of a finished period (the authority only), the period and kind as
/// written (`2026-11`, `enterprise`): its CSV is kept exactly, its SHA-256 is a leaf of the
/// access log, and a period and kind are published once.
pub async fn publish(
    app: &App,
    user: &User,
    period: &str,
    kind: &str,
) -> AppResult<IncentiveReport> {
    if user.role != Role::Authority {
        return Err(AppError::new(
            Code::Forbidden,
            "Only the data authority publishes incentive reports.",
        ));
    }
    // Unlike a leaderboard, a publication names its period: no default month.
    if period.trim().is_empty() {
        return Err(AppError::new(
            Code::InvalidField,
            "Give the `period` to publish.",
        ));
    }
    let period = parse_period(period)?;
    let group = Group::parse(kind)?;
    let now = crate::clock::now_ms();
    if period.bounds().1 > now {
        return Err(AppError::new(
            Code::InvalidField,
            format!("The period {period} is not over yet; publish its report once it is."),
        ));
    }
    let board = compute(app, period, group).await?;
    let body = String::from_utf8(report_csv(&board)?).map_err(AppError::internal)?;
    let sha256 = hex::encode(Sha256::digest(body.as_bytes()));
    let report = IncentiveReport {
        id: uuid::Uuid::new_v4().to_string(),
        period: period.to_string(),
        kind: group.code().to_string(),
        sha256: sha256.clone(),
        body,
        entries: board.entries.len() as i64,
        published_by: user.id.clone(),
        published_at: now,
        log_index: None,
    };
    match app.store.put_incentive_report(&report).await {
        Ok(()) => {}
        Err(store::StoreError::Conflict(_)) => {
            return Err(AppError::new(
                Code::AlreadyDecided,
                format!(
                    "The {} report of {period} was already published.",
                    group.code()
                ),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let mut event = Event::new(EventKind::IncentiveReportPublished, Some(user));
    event.digest = Some(sha256);
    event.detail = json!({"report_id": report.id, "period": report.period, "kind": report.kind});
    let index = app.log.append(event).await?;
    if let Some(i) = index {
        app.store
            .set_incentive_report_log_index(&report.id, i as i64)
            .await?;
    }
    Ok(IncentiveReport {
        log_index: index.map(|i| i as i64),
        ..report
    })
}

/// Every published report, newest first.
pub async fn reports(app: &App) -> AppResult<Vec<IncentiveReport>> {
    Ok(app.store.incentive_reports().await?)
}

/// One published report with its exact CSV; `not_found` otherwise.
pub async fn report(app: &App, id: &str) -> AppResult<IncentiveReport> {
    match app.store.get_incentive_report(id).await {
        Ok(r) => Ok(r),
        Err(store::StoreError::NotFound) => Err(AppError::new(
            Code::NotFound,
            "There is no such incentive report.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The usage of one dataset in a period.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetUsage {
    /// The dataset's slug.
    pub dataset: String,
    /// The period, as text.
    pub period: String,
    /// Previews, queries, downloads, rows delivered, applications, grants issued, results
    /// reported and demands fulfilled, from the access log's leaves and the reported results.
    pub usage: Usage,
}

/// How a dataset was used in a period (the figures the contribution index sums per
/// organization).
pub async fn dataset_usage(
    app: &App,
    dataset: &store::Dataset,
    period: Period,
) -> AppResult<DatasetUsage> {
    let (from, to) = period.bounds();
    let mut usage = Usage::default();
    let (first, last) = period.months();
    crate::harvests::flush(app).await?;
    for u in app.store.usage_in_months(first, last).await? {
        if u.dataset == dataset.name {
            add_leaves(&mut usage, &u.kind, u.count, u.rows);
        }
    }
    for (id, n) in app.store.results_between(from, to).await? {
        if id == dataset.id {
            usage.results += n.max(0) as u64;
        }
    }
    Ok(DatasetUsage {
        dataset: dataset.name.clone(),
        period: period.to_string(),
        usage,
    })
}

/// Counts `count` leaves of `kind` (which delivered `rows`) into `usage`.
fn add_leaves(usage: &mut Usage, kind: &str, count: i64, rows: i64) {
    let n = count.max(0) as u64;
    match kind {
        "data.preview" => usage.previews += n,
        "data.query" | "data.aggregate" | "data.sql" | "data.datastore" | "data.cleanroom" => {
            usage.queries += n
        }
        "data.download" => usage.downloads += n,
        "application.submitted" => usage.applications += n,
        "application.approved" => usage.grants += n,
        "demand.fulfilled" => usage.demands_fulfilled += n,
        "harvest.ckan" | "harvest.dcat" => usage.harvests += n,
        _ => {}
    }
    if kind.starts_with("data.") {
        usage.rows += rows.max(0) as u64;
    }
}
