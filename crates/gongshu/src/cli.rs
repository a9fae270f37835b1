//! Command-line interface: `serve`, `import`, `dataset …`, `user …`, `org …`, `reindex`, `log …`.
//! Every command but `serve` works through the application layer ([`app`]) directly.

use anyhow::{anyhow, bail, Context};
use app::accounts::{self, NewOrgInput, NewUserInput};
use app::catalog::{self, DatasetInput};
use app::clock::now_ms;
use app::{App, AppError, Code, Config};
use clap::{ArgMatches, Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use model::role::{OrgKind, Role};
use std::path::PathBuf;

/// Gongshu (共数): open and share public data under verifiable rules.
#[derive(Parser)]
#[command(name = "gongshu", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the portal and the JSON API.
    Serve {
        /// TOML configuration file; flags and GONGSHU_* variables override it.
        #[arg(long, env = "GONGSHU_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: Config,
    },
    /// Ingest a file (CSV, TSV, XLSX, XLS, JSON, NDJSON, Parquet) as a new version of a dataset's
    /// resource, with a progress bar. Creates the dataset when `--title` is given and it is missing.
    Import(ImportArgs),
    /// Read, update and delete datasets: list, show, update, delete, delete-resource.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Maintain stored versions: rewrite.
    #[command(subcommand)]
    Versions(VersionsCommand),
    /// Manage users: create, list, passwd, token.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organizations: create, list.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Rebuild the search index from the catalog (stop the server first: it holds the index).
    Reindex(StoreArgs),
    /// Check the public access log of a server: verify, prove, verify-receipt.
    #[command(subcommand)]
    Log(crate::logcmd::LogCommand),
    /// Print the contribution index of enterprises or departments for a period as the incentive
    /// report's CSV (the same table as `GET /api/v1/contribution?format=csv`), with the time it
    /// took on standard error.
    Contribution(ContributionArgs),
    /// Run a node of a query cluster (Apache Ballista): scheduler, executor. Servers send
    /// queries to it when `cluster_url` is set (see docs/deploy.md).
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

/// `gongshu cluster …`.
#[derive(Subcommand)]
pub enum ClusterCommand {
    /// Run the scheduler: servers send it sealed query plans, it hands their stages to the
    /// executors. It keeps its state in memory.
    Scheduler {
        /// Address to listen on.
        #[arg(long, env = "GONGSHU_CLUSTER_BIND", default_value = "127.0.0.1:50050")]
        bind: std::net::SocketAddr,
        /// Host name executors and servers reach it by; default the bind address.
        #[arg(long, env = "GONGSHU_CLUSTER_EXTERNAL_HOST")]
        external_host: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Run an executor: it registers with the scheduler and runs the stages it is given, reading
    /// versions from the shared file directory or object store that the servers use.
    Executor {
        /// The scheduler (`http://host:port`).
        #[arg(
            long,
            env = "GONGSHU_CLUSTER_URL",
            default_value = "http://127.0.0.1:50050"
        )]
        scheduler: String,
        /// Host to bind to.
        #[arg(long, env = "GONGSHU_CLUSTER_BIND_HOST", default_value = "127.0.0.1")]
        bind_host: String,
        /// Host name the scheduler, other executors and servers reach it by; default the bind
        /// host.
        #[arg(long, env = "GONGSHU_CLUSTER_EXTERNAL_HOST")]
        external_host: Option<String>,
        /// Arrow Flight port (results and shuffle data).
        #[arg(long, default_value_t = 50051)]
        flight_port: u16,
        /// gRPC port (the scheduler's calls).
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Directory for shuffle files.
        #[arg(
            long,
            env = "GONGSHU_CLUSTER_WORK_DIR",
            default_value = "./gongshu-executor"
        )]
        work_dir: PathBuf,
        /// Tasks run at once; default one per processor.
        #[arg(long, default_value_t = 0)]
        task_slots: usize,
        /// Memory all its tasks may hold together, in MiB; default a share of the machine's.
        #[arg(long)]
        memory_mb: Option<u64>,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

/// Where the files are kept (the same settings as `serve`): object storage (`s3://…`) with its
/// endpoint, region and keys, or a directory. The nodes of a cluster take the servers' settings;
/// files in a directory they share with the servers need nothing.
#[derive(Args, Clone)]
pub struct StorageArgs {
    /// Where the files are kept (`s3://BUCKET/PREFIX` or `file:///DIRECTORY`); default the data
    /// directory (see `serve`).
    #[arg(long, env = "GONGSHU_STORAGE_URL")]
    pub storage_url: Option<String>,
    /// Endpoint of an S3-compatible object store (see `serve`).
    #[arg(long, env = "GONGSHU_STORAGE_ENDPOINT")]
    pub storage_endpoint: Option<String>,
    /// Region of the object store (see `serve`).
    #[arg(long, env = "GONGSHU_STORAGE_REGION")]
    pub storage_region: Option<String>,
    /// Access key of the object store; default `AWS_ACCESS_KEY_ID`.
    #[arg(long, env = "GONGSHU_STORAGE_ACCESS_KEY_ID")]
    pub storage_access_key_id: Option<String>,
    /// Secret key of the object store; default `AWS_SECRET_ACCESS_KEY`.
    #[arg(
        long,
        env = "GONGSHU_STORAGE_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub storage_secret_access_key: Option<String>,
}

impl StorageArgs {
    /// A configuration with these settings and defaults for the rest.
    fn config(self) -> Config {
        Config {
            storage_url: self.storage_url,
            storage_endpoint: self.storage_endpoint,
            storage_region: self.storage_region,
            storage_access_key_id: self.storage_access_key_id,
            storage_secret_access_key: self.storage_secret_access_key,
            ..Config::default()
        }
    }

    /// The object store these name, with the URL its objects are named under.
    fn stores(self) -> anyhow::Result<Vec<cluster::Store>> {
        let files = app::files::Files::open(&self.config())?;
        Ok(files.object_store().into_iter().collect())
    }
}

/// Arguments of `gongshu contribution`.
#[derive(Args)]
pub struct ContributionArgs {
    /// A month (2026-11), a quarter (2026-Q4) or a year (2026); the current month by default.
    #[arg(long, default_value = "")]
    pub period: String,
    /// `enterprise` or `department`.
    #[arg(long, default_value = "enterprise")]
    pub kind: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Where the metadata and data live (the same settings as `serve`).
#[derive(Args, Clone)]
pub struct StoreArgs {
    /// Data directory.
    #[arg(long, env = "GONGSHU_DATA_DIR", default_value = "./gongshu-data")]
    pub data_dir: PathBuf,
    /// Metadata database URL; default SQLite in the data directory.
    #[arg(long, env = "GONGSHU_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Name of the access log, used only if this command makes the log's key (see `serve`).
    #[arg(long, env = "GONGSHU_LOG_ORIGIN")]
    pub log_origin: Option<String>,
    /// Directory of the secrets (the log's keys); default the data directory (see `serve`).
    #[arg(long, env = "GONGSHU_SECRETS_DIR")]
    pub secrets_dir: Option<PathBuf>,
    /// Where the files are kept; default the data directory (see `serve`).
    #[command(flatten)]
    pub storage: StorageArgs,
}

impl StoreArgs {
    fn config(&self) -> Config {
        Config {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            log_origin: self.log_origin.clone(),
            secrets_dir: self.secrets_dir.clone(),
            ..self.storage.clone().config()
        }
    }

    /// The platform as a command beside a server uses it: the store and the access log, without
    /// the search index (a change marks it stale; the server rebuilds it at its next start).
    async fn open(&self) -> anyhow::Result<App> {
        App::open_tool(self.config()).await
    }
}

#[derive(Args)]
pub struct ImportArgs {
    /// The file to ingest.
    pub file: PathBuf,
    /// Dataset slug.
    #[arg(long)]
    pub dataset: String,
    /// Resource name within the dataset.
    #[arg(long, default_value = "data")]
    pub resource: String,
    /// Act as this user (a publisher of the owning organization, or an authority admin).
    #[arg(long = "as", value_name = "USERNAME")]
    pub as_user: String,
    /// Title, to create the dataset if it does not exist.
    #[arg(long)]
    pub title: Option<String>,
    /// Owning organization for a new dataset (default: the user's).
    #[arg(long)]
    pub org: Option<String>,
    /// Largest accepted file in bytes.
    #[arg(long, default_value_t = 64 << 30)]
    pub max_bytes: u64,
    /// Skip the measures only the quality score needs (invalid cells, duplicate rows): the
    /// import benchmark's baseline for what they cost. The version's quality then counts no
    /// invalid cells and no duplicates.
    #[arg(long, hide = true)]
    pub without_quality_measures: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Subcommand)]
pub enum DatasetCommand {
    /// List datasets (name, organization, grade, opening type, title).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print a dataset with its resources, versions and columns as JSON.
    Show {
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Update metadata from a JSON object with the API's fields, e.g. '{"title": "…", "tags": ["a"]}'.
    /// A looser opening type needs "reason" and becomes a request for the authority.
    Update {
        name: String,
        /// JSON object of fields to change.
        json: String,
        #[arg(long = "as", value_name = "USERNAME")]
        as_user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete a dataset with all its versions.
    Delete {
        name: String,
        #[arg(long = "as", value_name = "USERNAME")]
        as_user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete one resource of a dataset with its versions.
    DeleteResource {
        name: String,
        resource: String,
        #[arg(long = "as", value_name = "USERNAME")]
        as_user: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
pub enum VersionsCommand {
    /// Rewrite the Parquet files of stored versions in the current layout (row groups, bloom
    /// filters, sorting columns, the row order the data dictionary declares), keeping every row
    /// and value. Only versions in an older layout or not in the declared order are rewritten,
    /// unless --force. Each version's size and SHA-256 change.
    Rewrite {
        /// Only this dataset's versions.
        #[arg(long)]
        dataset: Option<String>,
        /// Rewrite versions already in the current layout too.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from GONGSHU_PASSWORD or --password.
    Create {
        #[arg(long)]
        username: String,
        /// citizen, enterprise, staff, authority or auditor.
        #[arg(long)]
        role: Role,
        /// Organization slug (staff: a department; enterprise: an enterprise; authority: the authority).
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, env = "GONGSHU_PASSWORD", hide_env_values = true)]
        password: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List users.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a user's password (from GONGSHU_PASSWORD or --password).
    Passwd {
        username: String,
        #[arg(long, env = "GONGSHU_PASSWORD", hide_env_values = true)]
        password: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create an API token for a user and print it once.
    Token {
        username: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires (1–366); never if omitted.
        #[arg(long)]
        days: Option<u32>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organization.
    Create {
        /// Slug.
        #[arg(long)]
        name: String,
        #[arg(long)]
        title: String,
        /// department, enterprise or authority.
        #[arg(long)]
        kind: OrgKind,
        /// Unified social credit code (required for enterprises).
        #[arg(long)]
        uscc: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List organizations.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn api(e: AppError) -> anyhow::Error {
    anyhow!("{} ({})", e.message, e.public_code())
}

pub async fn run(cli: Cli, matches: &ArgMatches) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { config, .. } => {
            let sub = matches.subcommand_matches("serve").expect("serve matches");
            let settings = Config::from_matches(sub, config.as_deref())?;
            serve(settings).await
        }
        Command::Import(args) => import(args).await,
        Command::Contribution(args) => contribution(args).await,
        Command::Dataset(cmd) => dataset(cmd).await,
        Command::Versions(VersionsCommand::Rewrite {
            dataset,
            force,
            store,
        }) => {
            let app = store.open().await?;
            let done = app::catalog::rewrite_versions(&app, dataset.as_deref(), force)
                .await
                .map_err(|e| anyhow!(e.message))?;
            for v in &done {
                let order = match &v.sorted_by {
                    Some(column) => format!(", rows in order of {column}"),
                    None => String::new(),
                };
                println!(
                    "{}/{} version {}: layout {} -> {}, {} -> {} bytes{order}",
                    v.dataset,
                    v.resource,
                    v.number,
                    v.from_layout,
                    ingest::LAYOUT_VERSION,
                    v.bytes_before,
                    v.bytes_after
                );
            }
            match done.len() {
                1 => println!("1 version rewritten."),
                n => println!("{n} versions rewritten."),
            }
            Ok(())
        }
        Command::User(cmd) => user(cmd).await,
        Command::Org(cmd) => org(cmd).await,
        Command::Log(cmd) => crate::logcmd::run(cmd).await,
        Command::Cluster(cmd) => cluster_node(cmd).await,
        Command::Reindex(args) => {
            let n = App::reindex(args.config()).await.context(
                "cannot open the search index; is a server running on this data directory?",
            )?;
            println!("Search index rebuilt: {n} datasets.");
            Ok(())
        }
    }
}

async fn cluster_node(cmd: ClusterCommand) -> anyhow::Result<()> {
    match cmd {
        ClusterCommand::Scheduler {
            bind,
            external_host,
            storage,
        } => {
            let external_host = external_host.unwrap_or_else(|| bind.ip().to_string());
            let stores = storage.stores()?;
            println!("Gongshu cluster scheduler on {bind}");
            cluster::run_scheduler(cluster::SchedulerOptions {
                bind,
                external_host,
                stores,
            })
            .await
        }
        ClusterCommand::Executor {
            scheduler,
            bind_host,
            external_host,
            flight_port,
            grpc_port,
            work_dir,
            task_slots,
            memory_mb,
            storage,
        } => {
            let client = cluster::Client::new(&scheduler)?;
            let stores = storage.stores()?;
            let url = client.url();
            println!("Gongshu cluster executor on {bind_host}:{flight_port}, scheduler {url}");
            cluster::run_executor(cluster::ExecutorOptions {
                scheduler_host: url.host_str().unwrap_or("127.0.0.1").to_string(),
                scheduler_port: url.port().unwrap_or(50050),
                bind_host,
                external_host,
                flight_port,
                grpc_port,
                work_dir,
                task_slots,
                memory_bytes: memory_mb.map(|m| m << 20),
                stores,
            })
            .await
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    tracing::info!(?config, "starting");
    let cluster_url = config.cluster_url.clone();
    let mut app = App::start(config).await?;
    if let Some(url) = cluster_url {
        let client = cluster::Client::new(&url)?;
        println!("Large queries run on the cluster at {}", client.url());
        app = app.with_cluster(std::sync::Arc::new(client));
    }
    let built = server::with_app(app);
    let log = built.app.log();
    println!(
        "Access log {}; verifier key: {}",
        log.origin().map_err(api)?,
        log.vkey().map_err(api)?
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    println!("Gongshu is serving on http://{}", listener.local_addr()?);
    server::serve(built, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

async fn contribution(args: ContributionArgs) -> anyhow::Result<()> {
    use app::contribution::{self, Group};
    let app = App::open_tool(args.store.config()).await?;
    let period = contribution::parse_period(&args.period).map_err(|e| anyhow!(e.message))?;
    let group = Group::parse(&args.kind).map_err(|e| anyhow!(e.message))?;
    let started = std::time::Instant::now();
    let board = contribution::compute(&app, period, group)
        .await
        .map_err(|e| anyhow!(e.message))?;
    let took = started.elapsed();
    let csv = contribution::report_csv(&board).map_err(|e| anyhow!(e.message))?;
    use std::io::Write;
    std::io::stdout().write_all(&csv)?;
    eprintln!(
        "{} index of {}: {} organizations in {:.3} s",
        group.code(),
        board.period,
        board.entries.len(),
        took.as_secs_f64()
    );
    Ok(())
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    if args.without_quality_measures {
        ingest::set_quality_measures(false);
    }
    let config = Config {
        max_upload_bytes: args.max_bytes,
        ..args.store.config()
    };
    let app = App::open_tool(config).await?;
    let user = accounts::user_by_username(&app, &args.as_user)
        .await
        .map_err(|_| anyhow!("there is no user `{}`", args.as_user))?;
    let dataset = match catalog::load_dataset(&app, &args.dataset).await {
        Ok(d) => d,
        Err(e) if e.code == Code::DatasetNotFound => {
            let Some(title) = args.title.clone() else {
                bail!(
                    "there is no dataset `{}`; give --title to create it",
                    args.dataset
                )
            };
            let input = DatasetInput {
                name: Some(args.dataset.clone()),
                organization: args.org.clone(),
                title: Some(title),
                ..DatasetInput::default()
            };
            catalog::create_dataset(&app, &user, input, now_ms())
                .await
                .map_err(api)?
        }
        Err(e) => return Err(api(e)),
    };
    let file_name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("the file name is not valid UTF-8"))?
        .to_string();
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bytes}/{total_bytes} [{bar:40}] {bytes_per_sec} {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let progress_bar = bar.clone();
    let (resource, version) = catalog::publish_upload(
        &app,
        &user,
        &dataset,
        &args.resource,
        &args.file,
        &file_name,
        Some(Box::new(move |n| progress_bar.set_position(n))),
        now_ms(),
    )
    .await
    .map_err(api)?;
    bar.finish_and_clear();
    println!(
        "Imported {} rows into {}/{} as version {} ({} bytes of Parquet, sha256 {}).",
        version.row_count,
        dataset.name,
        resource.name,
        version.number,
        version.byte_size,
        version.sha256
    );
    for c in &version.columns {
        let findings: Vec<&str> = c.findings.iter().map(|f| f.kind.code()).collect();
        println!(
            "  {:<24} {:<10} {}  {}",
            c.name,
            c.data_type,
            c.proposed_grade,
            findings.join(",")
        );
    }
    Ok(())
}

async fn load_as(
    app: &App,
    name: &str,
    username: &str,
) -> anyhow::Result<(store::User, store::Dataset)> {
    let user = accounts::user_by_username(app, username)
        .await
        .map_err(|_| anyhow!("there is no user `{username}`"))?;
    let dataset = catalog::load_dataset(app, name)
        .await
        .map_err(|_| anyhow!("there is no dataset `{name}`"))?;
    Ok((user, dataset))
}

async fn dataset(cmd: DatasetCommand) -> anyhow::Result<()> {
    match cmd {
        DatasetCommand::List { store } => {
            let app = store.open().await?;
            let orgs = accounts::list_orgs(&app).await.map_err(api)?;
            let mut offset = 0;
            loop {
                let page = catalog::list_datasets(&app, None, None, offset, 500)
                    .await
                    .map_err(api)?;
                for d in &page.datasets {
                    let org = orgs
                        .iter()
                        .find(|o| o.id == d.org_id)
                        .map(|o| o.name.as_str())
                        .unwrap_or("-");
                    println!(
                        "{:<32} {:<16} {} {:<13} {}",
                        d.name, org, d.grade, d.meta.opening_type, d.meta.title
                    );
                }
                offset += page.datasets.len() as i64;
                if page.datasets.is_empty() || offset >= page.total {
                    break;
                }
            }
        }
        DatasetCommand::Show { name, store } => {
            let app = store.open().await?;
            let d = catalog::load_dataset(&app, &name)
                .await
                .map_err(|_| anyhow!("there is no dataset `{name}`"))?;
            let view = app::views::dataset_view(&app, d, None).await.map_err(api)?;
            println!("{}", serde_json::to_string_pretty(&view)?);
        }
        DatasetCommand::Update {
            name,
            json,
            as_user,
            store,
        } => {
            let app = store.open().await?;
            let (user, d) = load_as(&app, &name, &as_user).await?;
            let mut value: serde_json::Value =
                serde_json::from_str(&json).context("the update is not valid JSON")?;
            let reason = value
                .as_object_mut()
                .and_then(|o| o.remove("reason"))
                .and_then(|r| r.as_str().map(str::to_string))
                .unwrap_or_default();
            let input: DatasetInput = serde_json::from_value(value)
                .context("the update has an unknown or invalid field")?;
            let (_, outcome) = catalog::update_dataset(&app, &user, d, input, &reason, now_ms())
                .await
                .map_err(api)?;
            println!("Updated {name}: {}", serde_json::to_string(&outcome)?);
        }
        DatasetCommand::Delete {
            name,
            as_user,
            store: args,
        } => {
            let app = args.open().await?;
            let (user, d) = load_as(&app, &name, &as_user).await?;
            catalog::delete_dataset(&app, &user, &d)
                .await
                .map_err(api)?;
            println!("Deleted {name}.");
        }
        DatasetCommand::DeleteResource {
            name,
            resource,
            as_user,
            store: args,
        } => {
            let app = args.open().await?;
            let (user, d) = load_as(&app, &name, &as_user).await?;
            let r = catalog::find_resource(&app, &d, &resource)
                .await
                .map_err(|_| anyhow!("dataset `{name}` has no resource `{resource}`"))?;
            catalog::delete_resource(&app, &user, &d, &r)
                .await
                .map_err(api)?;
            println!("Deleted {name}/{resource}.");
        }
    }
    Ok(())
}

async fn user(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create {
            username,
            role,
            org,
            display_name,
            password,
            store,
        } => {
            let app = store.open().await?;
            let input = NewUserInput {
                username,
                display_name,
                role,
                organization: org,
                password,
            };
            let u = accounts::create_user(&app, input, now_ms())
                .await
                .map_err(api)?;
            println!("Created user {} ({}).", u.username, u.role);
        }
        UserCommand::List { store } => {
            let app = store.open().await?;
            for u in accounts::list_users(&app).await.map_err(api)? {
                let org = match &u.org_id {
                    Some(id) => accounts::org_by_id(&app, id)
                        .await
                        .map(|o| o.name)
                        .unwrap_or_default(),
                    None => "-".into(),
                };
                println!(
                    "{:<20} {:<10} {:<16} {}",
                    u.username, u.role, org, u.display_name
                );
            }
        }
        UserCommand::Passwd {
            username,
            password,
            store,
        } => {
            let app = store.open().await?;
            app::auth::check_new_password(&password).map_err(api)?;
            let u = accounts::user_by_username(&app, &username)
                .await
                .map_err(|_| anyhow!("there is no user `{username}`"))?;
            app::auth::set_password(&app, &u, &password)
                .await
                .map_err(api)?;
            println!(
                "Password of {username} changed; their sessions ended and API tokens were revoked."
            );
        }
        UserCommand::Token {
            username,
            name,
            days,
            store,
        } => {
            let app = store.open().await?;
            let u = accounts::user_by_username(&app, &username)
                .await
                .map_err(|_| anyhow!("there is no user `{username}`"))?;
            let (_, secret) = app::auth::create_token(&app, &u, &name, days, None)
                .await
                .map_err(api)?;
            println!("{secret}");
        }
    }
    Ok(())
}

async fn org(cmd: OrgCommand) -> anyhow::Result<()> {
    match cmd {
        OrgCommand::Create {
            name,
            title,
            kind,
            uscc,
            store,
        } => {
            let app = store.open().await?;
            let input = NewOrgInput {
                name,
                title,
                kind,
                uscc,
                description: String::new(),
            };
            let o = accounts::create_org(&app, input, now_ms())
                .await
                .map_err(api)?;
            println!("Created organization {} ({}).", o.name, o.kind);
        }
        OrgCommand::List { store } => {
            let app = store.open().await?;
            for o in accounts::list_orgs(&app).await.map_err(api)? {
                println!(
                    "{:<20} {:<11} {:<20} {}",
                    o.name,
                    o.kind,
                    o.uscc.unwrap_or_default(),
                    o.title
                );
            }
        }
    }
    Ok(())
}
