//! The platform's health and metrics, as operators read them.

use crate::error::{AppError, AppResult};
use crate::state::App;

/// Whether this server can serve: the metadata store answers, files can be written where
/// uploads are staged and where versions are kept (the object store, when there is one), and
/// the access log has its keys. The error says which
/// part is missing, for the operator (a load balancer only needs the status).
pub async fn ready(app: &App) -> AppResult<()> {
    let unavailable = |what: &str| AppError::new(crate::error::Code::Unavailable, what);
    if let Err(e) = app.store.ping().await {
        tracing::error!("readiness check failed: metadata store: {e}");
        return Err(unavailable("metadata store unavailable"));
    }
    if let Err(e) = probe_files(&app.config.data_dir).await {
        tracing::error!("readiness check failed: staging directory: {e}");
        return Err(unavailable("file storage unavailable"));
    }
    if !app.files.is_local() {
        if let Err(e) = app.files.probe().await {
            tracing::error!(
                "readiness check failed: object store {}: {e}",
                app.files.describe()
            );
            return Err(unavailable("object store unavailable"));
        }
    }
    if let Err(e) = app.log.vkey() {
        tracing::error!("readiness check failed: access log keys: {}", e.message);
        return Err(unavailable("access log keys unavailable"));
    }
    Ok(())
}

/// Writes, syncs and removes a small file in the staging directory, which is where every upload
/// starts (and, without an object store, on the same file system as the versions).
async fn probe_files(data_dir: &std::path::Path) -> std::io::Result<()> {
    let dir = data_dir.join(crate::catalog::STAGING_DIR);
    tokio::fs::create_dir_all(&dir).await?;
    let probe = dir.join(format!(".ready-{}", uuid::Uuid::new_v4().simple()));
    let written = async {
        let mut f = tokio::fs::File::create(&probe).await?;
        tokio::io::AsyncWriteExt::write_all(&mut f, b"ready").await?;
        f.sync_all().await
    }
    .await;
    let removed = tokio::fs::remove_file(&probe).await;
    written.and(removed)
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
