//! Catalog harvests in the usage of a dataset (DESIGN.md C9): every time a dataset's record is
//! read through a harvesting protocol — CKAN's `package_show` and `package_search` (what the CKAN
//! harvester and ckanapi call), or the DCAT-AP catalog — it counts once for that dataset in the
//! month. A harvest is not a leaf of the access log (it reads public metadata, no data), so the
//! counts are kept in memory and added to the monthly usage in one transaction every few seconds
//! and before usage is read; a process that dies loses at most the counts since its last flush.

use crate::error::AppResult;
use crate::state::App;

/// The protocol a dataset's record was harvested through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Harvest {
    /// The CKAN Action API (`package_show`, `package_search`).
    Ckan,
    /// The DCAT-AP catalog (Turtle or JSON-LD).
    Dcat,
}

impl Harvest {
    /// The kind under which the usage keeps it.
    pub fn kind(self) -> &'static str {
        match self {
            Harvest::Ckan => "harvest.ckan",
            Harvest::Dcat => "harvest.dcat",
        }
    }
}

/// Counts one read of each of these datasets' records (by slug) through `via`, now.
pub fn count<'a>(app: &App, via: Harvest, datasets: impl IntoIterator<Item = &'a str>) {
    let month = model::calendar::cst_month(crate::clock::now_ms());
    app.harvests.add_one(
        datasets
            .into_iter()
            .map(|d| (month, d.to_string(), via.kind())),
    );
}

/// Adds the counts kept so far to the store's monthly usage; on failure they are kept for the
/// next flush. Returns how many (month, dataset, protocol) counts were written.
pub async fn flush(app: &App) -> AppResult<usize> {
    let counts = app.harvests.take();
    if counts.is_empty() {
        return Ok(0);
    }
    let rows: Vec<(i64, String, String, i64)> = counts
        .iter()
        .map(|((month, dataset, kind), n)| (*month, dataset.clone(), kind.to_string(), *n))
        .collect();
    match app.store.add_usage(&rows).await {
        Ok(()) => Ok(rows.len()),
        Err(e) => {
            app.harvests.put_back(counts);
            Err(e.into())
        }
    }
}

/// Flushes every `period` for as long as the task runs (the server runs it beside its
/// listener, and flushes once more when it stops).
pub async fn flush_every(app: std::sync::Arc<App>, period: std::time::Duration) {
    loop {
        tokio::time::sleep(period).await;
        if let Err(e) = flush(&app).await {
            tracing::warn!("harvest counts not yet saved: {}", e.message);
        }
    }
}
