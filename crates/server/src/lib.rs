//! The Gongshu HTTP server as a library: [`build`] makes an [`App`] from a [`Config`], and
//! [`serve`] runs it on a listener until a shutdown signal, so tests can bind port 0.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod dataservice;
pub mod demo;
pub mod error;
pub mod grants;
pub mod i18n;
pub mod interop;
pub mod metrics;
pub mod portal;
pub mod state;
pub mod views;

pub use config::Config;
pub use state::{AppState, SharedState};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A built server: its state and its router.
pub struct App {
    /// Shared state (the store, the configuration).
    pub state: SharedState,
    /// Every route.
    pub router: Router,
}

/// Opens the store (running migrations), cleans leftovers of interrupted ingests, loads the demo
/// content if asked, and assembles the routes.
pub async fn build(config: Config) -> anyhow::Result<App> {
    build_with(config, |log| log).await
}

/// [`build`], with the access log passed through `adjust` first. Only the benchmark harness
/// uses it, to measure what logging costs with [`audit::AuditLog::without_appends`].
pub async fn build_with(
    config: Config,
    adjust: impl FnOnce(audit::AuditLog) -> audit::AuditLog,
) -> anyhow::Result<App> {
    std::fs::create_dir_all(&config.data_dir)?;
    let store = store::connect(&config.effective_database_url()).await?;
    let removed = catalog::clean_data_dir(&store, &config.data_dir).await?;
    if removed > 0 {
        tracing::warn!(removed, "removed files left by an interrupted ingest");
    }
    let limits = ingest::Limits {
        max_upload_bytes: config.max_upload_bytes,
        ..ingest::Limits::default()
    };
    store
        .ensure_agreement(grants::AGREEMENT_TEXT, auth::now_ms())
        .await?;
    let engine = query::Engine::new(query::Limits {
        memory_bytes: config.query_memory_mb as usize * (1 << 20),
        timeout: std::time::Duration::from_secs(config.query_timeout_secs),
        max_rows: config.query_max_rows,
        max_download_rows: config.download_max_rows,
    });
    let log = adjust(audit::AuditLog::open(
        &config.data_dir,
        &config.log_origin(),
        store.clone(),
    )?);
    let search = interop::index::CatalogIndex::open(&config.data_dir, &store).await?;
    let state = Arc::new(AppState {
        metrics: metrics::Metrics::new(),
        log,
        search,
        throttle: auth::Throttle::new(config.login_attempts),
        engine,
        config,
        store,
        limits,
    });
    if state.config.demo {
        demo::load(&state).await?;
    }
    let router = router(state.clone());
    Ok(App { state, router })
}

/// All routes with their middleware.
pub fn router(state: SharedState) -> Router {
    use tower_http::set_header::SetResponseHeaderLayer;
    let limit = state.config.max_upload_bytes as usize + (1 << 20);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .merge(api::router())
        .merge(audit::routes::router())
        .merge(interop::router())
        .merge(portal::router())
        .fallback(portal::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_FRAME_OPTIONS,
            axum::http::HeaderValue::from_static("DENY"),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<SharedState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::error!("readiness check failed: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "metadata store unavailable",
            )
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
