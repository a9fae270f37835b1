//! The Gongshu HTTP server as a library: [`build`] starts the platform ([`app::App`]) from a
//! [`Config`] and assembles the routes into a [`Server`], and [`serve`] runs it on a listener
//! until a shutdown signal, so tests can bind port 0.
//!
//! This crate is HTTP only: extractors, the JSON API, the portal with its templates and
//! messages, the interoperability façades, the log's routes, metrics and the OpenAPI document.
//! Handlers parse, call one function of the application layer, and render.
#![forbid(unsafe_code)]

pub mod api;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod interop;
pub mod log;
pub mod metrics;
pub mod portal;
pub mod state;
pub mod tables;
pub mod upload;

pub use app::{App, Config};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use state::SharedState;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A built server: the running platform and every route.
pub struct Server {
    /// The running platform.
    pub app: SharedState,
    /// Every route.
    pub router: Router,
}

/// Starts the platform (see [`App::start`]) and assembles the routes.
pub async fn build(config: Config) -> anyhow::Result<Server> {
    Ok(with_app(App::start(config).await?))
}

/// [`build`], with the access log passed through `adjust` first. Only the benchmark harness
/// uses it, to measure what logging costs with [`app::audit::AuditLog::without_appends`].
pub async fn build_with(
    config: Config,
    adjust: impl FnOnce(app::audit::AuditLog) -> app::audit::AuditLog,
) -> anyhow::Result<Server> {
    Ok(with_app(App::start_with(config, adjust).await?))
}

/// The routes over a platform already started.
pub fn with_app(app: App) -> Server {
    let app = Arc::new(app);
    Server {
        router: router(app.clone()),
        app,
    }
}

/// All routes with their middleware.
pub fn router(state: SharedState) -> Router {
    use tower_http::set_header::SetResponseHeaderLayer;
    let limit = state.config().max_upload_bytes as usize + (1 << 20);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .merge(api::router())
        .merge(log::router())
        .merge(interop::router())
        .merge(portal::router())
        .fallback(portal::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::forwarded_client,
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

async fn readyz(State(state): State<SharedState>) -> axum::response::Response {
    match app::status::ready(&state).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.message).into_response(),
    }
}

/// Serves `server` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    server: Server,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Quality scores kept for listings follow the day (timeliness) while the server runs.
    let refresher = tokio::spawn(app::quality::refresh_daily(server.app.clone()));
    // Catalog harvests are counted in memory and saved every few seconds, and once more at the end.
    let harvests = tokio::spawn(app::harvests::flush_every(
        server.app.clone(),
        std::time::Duration::from_secs(5),
    ));
    // Catalog changes made on other servers (or by commands) reach this server's search index.
    let follower = tokio::spawn(app::follow_catalog_changes(
        server.app.clone(),
        std::time::Duration::from_millis(500),
    ));
    // Redemptions whose leaf a stopped server did not append are logged by a running one.
    let redemptions = tokio::spawn(app::points::log_missing_every(
        server.app.clone(),
        std::time::Duration::from_secs(60),
    ));
    let app = server.app.clone();
    let served = axum::serve(
        listener,
        server
            .router
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    refresher.abort();
    harvests.abort();
    follower.abort();
    redemptions.abort();
    if let Err(e) = app::harvests::flush(&app).await {
        tracing::warn!("harvest counts lost at shutdown: {}", e.message);
    }
    served
}
