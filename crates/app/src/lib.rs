//! The application layer of Gongshu: the running platform ([`App`]) and one module per
//! capability, each a set of use-case functions over the store, the engines and the access log.
//!
//! The JSON API, the portal, the interoperability façades and the command line all call these
//! functions, so none of them holds a rule. Nothing here knows HTTP: functions take plain
//! values, return records and plain data types, and fail with an [`AppError`] that carries a
//! stable code from one table ([`Code`]); the server maps codes to statuses.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod accounts;
pub mod activities;
pub mod activity;
pub mod audit;
pub mod auth;
mod books;
pub mod catalog;
pub mod cleanroom;
pub mod clock;
pub mod config;
pub mod consultations;
pub mod contribution;
pub mod dataservice;
mod demand_stats;
pub mod demands;
pub mod demo;
pub mod dictionary;
pub mod error;
pub mod exports;
pub mod feedback;
mod feedback_stats;
pub mod files;
mod follow;
pub mod grants;
pub mod harvests;
mod index;
pub mod metrics;
pub mod opening_list;
pub mod points;
pub mod quality;
pub mod records;
pub mod state;
mod stats_cache;
pub use stats_cache::Rendered;
pub mod status;
pub mod tables;
mod tally;
mod throttle;
pub mod views;

pub use config::Config;
pub use error::{AppError, AppResult, Code};
pub use follow::follow_catalog_changes;
pub use state::App;

impl App {
    /// Starts the platform for a server: resolves the configured paths, opens the store (running
    /// migrations), removes what an interrupted ingest left, records the data-use agreement,
    /// opens the access log and the search index (rebuilding it if needed), and loads the demo
    /// content if asked.
    pub async fn start(config: Config) -> anyhow::Result<App> {
        App::start_with(config, |log| log).await
    }

    /// [`App::start`], with the access log passed through `adjust` first. Only the benchmark
    /// harness uses it, to measure what logging costs with [`audit::AuditLog::without_appends`].
    pub async fn start_with(
        config: Config,
        adjust: impl FnOnce(audit::AuditLog) -> audit::AuditLog,
    ) -> anyhow::Result<App> {
        let config = config.resolved()?;
        let store = store::connect(&config.effective_database_url()).await?;
        let files = files::Files::open(&config)?;
        let removed = catalog::clean_data_dir(&store, &config.data_dir).await?;
        if removed > 0 {
            tracing::warn!(removed, "removed files left by an interrupted ingest");
        }
        store
            .ensure_agreement(grants::AGREEMENT_TEXT, clock::now_ms())
            .await?;
        let log = adjust(audit::AuditLog::open(
            config.secrets_dir(),
            &config.log_origin(),
            store.clone(),
        )?);
        // Read before the index is opened (and perhaps rebuilt), so a change made meanwhile on
        // another server is applied again rather than missed.
        let feed_start = store.catalog_change_head().await?;
        index::mark_stale_if_behind(&config.data_dir, feed_start);
        let search = index::CatalogIndex::open(&config.data_dir, &store).await?;
        search.save_feed_position(feed_start);
        let mut app = App::assemble(config, store, files, log, Some(search));
        let swept = catalog::sweep_files(&app, clock::now_ms() - files::ORPHAN_GRACE_MS).await?;
        if swept > 0 {
            tracing::warn!(swept, "removed version files no version refers to");
        }
        app.feed_start = feed_start;
        // A process stopped between a redemption's commit and its leaf: append the leaf now.
        let logged = points::log_missing_redemptions(&app, clock::now_ms()).await?;
        if logged > 0 {
            tracing::warn!(
                logged,
                "logged redemptions an interrupted process had not logged"
            );
        }
        // Versions published before quality was measured, or whose record was lost; and every
        // dataset's score, whose timeliness moves with the day.
        let measured = quality::catch_up(&app).await?;
        if measured > 0 {
            tracing::info!(measured, "measured the quality of earlier versions");
        }
        if app.config.demo {
            demo::load(&app).await?;
        }
        Ok(app)
    }

    /// Opens the platform for a command that runs beside a server on the same data directory
    /// (`gongshu import`, `user`, `org`, `dataset`): the store and the access log (whose keys
    /// are read only when something is logged), but neither the cleaning of the data directory
    /// (a server may be ingesting) nor the search index (the server holds it). The index is
    /// marked stale by the first change to the catalog, so the server rebuilds it at its next
    /// start.
    pub async fn open_tool(config: Config) -> anyhow::Result<App> {
        let config = config.resolved()?;
        let store = store::connect(&config.effective_database_url()).await?;
        let files = files::Files::open(&config)?;
        let log =
            audit::AuditLog::open_lazy(config.secrets_dir(), &config.log_origin(), store.clone());
        Ok(App::assemble(config, store, files, log, None))
    }

    /// Rebuilds the search index of a data directory from the store, for `gongshu reindex`
    /// (with no server running: the server holds the index); returns the number of datasets.
    pub async fn reindex(config: Config) -> anyhow::Result<u64> {
        let config = config.resolved()?;
        let store = store::connect(&config.effective_database_url()).await?;
        index::mark_stale(&config.data_dir);
        let index = index::CatalogIndex::open(&config.data_dir, &store).await?;
        Ok(index.len())
    }

    fn assemble(
        config: Config,
        store: store::DynStore,
        files: files::Files,
        log: audit::AuditLog,
        search: Option<index::CatalogIndex>,
    ) -> App {
        let engine = files
            .register(query::Engine::new(query::Limits {
                memory_bytes: config.query_memory_mb as usize * (1 << 20),
                timeout: std::time::Duration::from_secs(config.query_timeout_secs),
                max_rows: config.query_max_rows,
                max_download_rows: config.download_max_rows,
            }))
            .with_keyed_copies(config.data_dir.join(catalog::KEYED_DIR));
        App {
            limits: ingest::Limits {
                max_upload_bytes: config.max_upload_bytes,
                ..ingest::Limits::default()
            },
            metrics: metrics::Metrics::new(),
            throttle: throttle::Throttle::new(config.login_attempts),
            demand_stats: Default::default(),
            feedback_stats: Default::default(),
            harvests: Default::default(),
            feed_start: 0,
            feedback_answers: Default::default(),
            cleanroom_key: Default::default(),
            engine,
            files,
            log,
            search,
            config,
            store,
        }
    }
}
