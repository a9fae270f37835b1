//! The platform's health and metrics, as operators read them.

use crate::error::{AppError, AppResult};
use crate::state::App;

/// Whether the metadata store answers.
pub async fn ready(app: &App) -> AppResult<()> {
    app.store.ping().await.map_err(|e| {
        tracing::error!("readiness check failed: {e}");
        AppError::new(
            crate::error::Code::Unavailable,
            "metadata store unavailable",
        )
    })
}

/// The metrics in the OpenMetrics text format, with the catalog totals and the log's size read
/// from the store now. Totals that cannot be read are left at their last value.
pub async fn metrics_text(app: &App) -> AppResult<String> {
    let totals = match app.store.catalog_totals().await {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!("metrics: catalog totals unavailable: {e}");
            None
        }
    };
    let log_entries = app.store.log_size().await.ok();
    app.metrics
        .encode(totals.as_ref(), log_entries)
        .map_err(AppError::internal)
}
