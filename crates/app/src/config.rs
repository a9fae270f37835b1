//! Configuration: one typed struct, filled from flags, `GONGSHU_*` environment variables and an
//! optional TOML file, in that order of precedence (a flag beats the environment, which beats the
//! file, which beats the default). Each setting is declared once, here.

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// Settings of a Gongshu server. Field docs are the `--help` text.
#[derive(Clone, Args, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory for the SQLite database, Parquet versions and the signing key.
    #[arg(long, env = "GONGSHU_DATA_DIR", default_value = "./gongshu-data")]
    pub data_dir: PathBuf,

    /// Address to listen on.
    #[arg(long, env = "GONGSHU_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Metadata database: `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: SQLite in the data directory.
    #[arg(long, env = "GONGSHU_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Load deterministic demo organizations, users and datasets at start (once).
    #[arg(long, env = "GONGSHU_DEMO")]
    pub demo: bool,

    /// Largest accepted upload, in bytes.
    #[arg(long, env = "GONGSHU_MAX_UPLOAD_BYTES", default_value_t = 1 << 30)]
    pub max_upload_bytes: u64,

    /// Public URL of the portal, e.g. `https://data.example.gov.cn`. When it is https, cookies are marked Secure.
    #[arg(long, env = "GONGSHU_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Hours a browser session lasts.
    #[arg(long, env = "GONGSHU_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u64,

    /// Failed logins allowed per account or client address within 15 minutes before further attempts are refused.
    #[arg(long, env = "GONGSHU_LOGIN_ATTEMPTS", default_value_t = 5)]
    pub login_attempts: u32,

    /// Seconds a query may run before it is stopped (downloads get ten times as long).
    #[arg(long, env = "GONGSHU_QUERY_TIMEOUT_SECS", default_value_t = 30)]
    pub query_timeout_secs: u64,

    /// Memory one query may use, in MiB.
    #[arg(long, env = "GONGSHU_QUERY_MEMORY_MB", default_value_t = 512)]
    pub query_memory_mb: u64,

    /// Most rows one API or SQL response returns.
    #[arg(long, env = "GONGSHU_QUERY_MAX_ROWS", default_value_t = 10_000)]
    pub query_max_rows: usize,

    /// Name of the access log (its checkpoint origin and key name), fixed at first start. Default: the host of `public_url` followed by `/log`, else `gongshu.local/log`.
    #[arg(long, env = "GONGSHU_LOG_ORIGIN")]
    pub log_origin: Option<String>,

    /// Most rows one download may have.
    #[arg(long, env = "GONGSHU_DOWNLOAD_MAX_ROWS", default_value_t = 20_000_000)]
    pub download_max_rows: u64,

    /// Days a department has to answer a data demand before it is flagged overdue (1 to 365).
    #[arg(long, env = "GONGSHU_DEMAND_ANSWER_DAYS", default_value_t = model::demand::DEFAULT_ANSWER_DAYS, value_parser = clap::value_parser!(i64).range(1..=365))]
    pub demand_answer_days: i64,

    /// Days after a consultation closes within which the department must answer every comment
    /// before it is flagged overdue (1 to 365).
    #[arg(long, env = "GONGSHU_CONSULTATION_ANSWER_DAYS", default_value_t = model::consultation::DEFAULT_ANSWER_DAYS, value_parser = clap::value_parser!(i64).range(1..=365))]
    pub consultation_answer_days: i64,

    /// Days a department has for the first answer to feedback on a public service before it is
    /// flagged overdue (1 to 365).
    #[arg(long, env = "GONGSHU_FEEDBACK_ANSWER_DAYS", default_value_t = model::feedback::DEFAULT_ANSWER_DAYS, value_parser = clap::value_parser!(i64).range(1..=365))]
    pub feedback_answer_days: i64,

    /// When points expire: `years:N` (at the end of the N-th year after the year earned, in China Standard Time), `days:N`, or `never`.
    #[arg(long, env = "GONGSHU_POINTS_EXPIRY", default_value = "years:1")]
    pub points_expiry: String,

    /// The quality score (0 to 100) at which a version earns its uploader the `quality_passed`
    /// points, once per dataset and month.
    #[arg(long, env = "GONGSHU_QUALITY_POINTS_THRESHOLD", default_value_t = 80.0)]
    pub quality_points_threshold: f64,

    /// Directory of the platform's secrets: the access log's signing and pseudonym keys (log/) and the clean room's pseudonym key (cleanroom/). Every server of one deployment must be given the same keys. Default: the data directory.
    #[arg(long, env = "GONGSHU_SECRETS_DIR")]
    pub secrets_dir: Option<PathBuf>,

    /// Addresses of the load balancers or reverse proxies in front of this server, comma separated. A request from one of them is taken to come from the last address in its X-Forwarded-For header that is not itself one of them (for login throttling and the log's private detail). Default: none, so the header is ignored.
    #[arg(long, env = "GONGSHU_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,

    /// Where the platform keeps its files (Parquet versions, feedback photos, consultation attachments): `s3://BUCKET/PREFIX` for S3-compatible object storage, shared by every server of one deployment. Default: the data directory.
    #[arg(long, env = "GONGSHU_STORAGE_URL")]
    pub storage_url: Option<String>,

    /// Endpoint of an S3-compatible object store, e.g. `http://minio.internal:9000` (plain HTTP is allowed only when given here). Default: `AWS_ENDPOINT`, else Amazon S3.
    #[arg(long, env = "GONGSHU_STORAGE_ENDPOINT")]
    pub storage_endpoint: Option<String>,

    /// Region of the object store. Default: `AWS_REGION`, else `us-east-1`.
    #[arg(long, env = "GONGSHU_STORAGE_REGION")]
    pub storage_region: Option<String>,

    /// Access key of the object store. Default: `AWS_ACCESS_KEY_ID`.
    #[arg(long, env = "GONGSHU_STORAGE_ACCESS_KEY_ID")]
    pub storage_access_key_id: Option<String>,

    /// Secret key of the object store. Default: `AWS_SECRET_ACCESS_KEY`.
    #[arg(
        long,
        env = "GONGSHU_STORAGE_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub storage_secret_access_key: Option<String>,

    /// Scheduler of a query cluster (`gongshu cluster scheduler`), e.g. `http://10.0.0.5:50050`. Queries reading at least `cluster_threshold_mb` of files, and those asking for it with `run_on=cluster`, run on its executors; every other query, clean-room queries, and every query while it cannot be reached run on this server. The executors must read the same files (storage_url or a shared directory). Default: none.
    #[arg(long, env = "GONGSHU_CLUSTER_URL")]
    pub cluster_url: Option<String>,

    /// Size of the files a query reads, in MiB, from which it runs on the cluster.
    #[arg(long, env = "GONGSHU_CLUSTER_THRESHOLD_MB", default_value_t = 1024)]
    pub cluster_threshold_mb: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./gongshu-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            demo: false,
            max_upload_bytes: 1 << 30,
            public_url: None,
            session_hours: 12,
            login_attempts: 5,
            query_timeout_secs: 30,
            query_memory_mb: 512,
            query_max_rows: 10_000,
            download_max_rows: 20_000_000,
            log_origin: None,
            demand_answer_days: model::demand::DEFAULT_ANSWER_DAYS,
            consultation_answer_days: model::consultation::DEFAULT_ANSWER_DAYS,
            feedback_answer_days: model::feedback::DEFAULT_ANSWER_DAYS,
            points_expiry: "years:1".into(),
            quality_points_threshold: 80.0,
            secrets_dir: None,
            trusted_proxies: Vec::new(),
            storage_url: None,
            storage_endpoint: None,
            storage_region: None,
            storage_access_key_id: None,
            storage_secret_access_key: None,
            cluster_url: None,
            cluster_threshold_mb: 1024,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Database URLs carry passwords: never print them.
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("demo", &self.demo)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("public_url", &self.public_url)
            .field("session_hours", &self.session_hours)
            .field("login_attempts", &self.login_attempts)
            .field("query_timeout_secs", &self.query_timeout_secs)
            .field("query_memory_mb", &self.query_memory_mb)
            .field("query_max_rows", &self.query_max_rows)
            .field("download_max_rows", &self.download_max_rows)
            .field("log_origin", &self.log_origin)
            .field("demand_answer_days", &self.demand_answer_days)
            .field("consultation_answer_days", &self.consultation_answer_days)
            .field("feedback_answer_days", &self.feedback_answer_days)
            .field("points_expiry", &self.points_expiry)
            .field("quality_points_threshold", &self.quality_points_threshold)
            .field("secrets_dir", &self.secrets_dir)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("storage_url", &self.storage_url)
            .field("storage_endpoint", &self.storage_endpoint)
            .field("storage_region", &self.storage_region)
            .field("storage_access_key_id", &self.storage_access_key_id)
            .field(
                "storage_secret_access_key",
                &self
                    .storage_secret_access_key
                    .as_ref()
                    .map(|_| "<redacted>"),
            )
            .field("cluster_url", &self.cluster_url)
            .field("cluster_threshold_mb", &self.cluster_threshold_mb)
            .finish()
    }
}

/// Errors while loading configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this struct.
    #[error("invalid configuration file {path}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A configured directory cannot be created or read.
    #[error("cannot use the directory {path}: {source}. Give a directory this user may create and write, e.g. with --data-dir.")]
    Directory {
        /// The directory as configured.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A setting is out of its range.
    #[error("invalid setting: {0}")]
    Invalid(String),
    /// Clap rejected the merged values.
    #[error("{0}")]
    Clap(#[from] clap::Error),
}

impl Config {
    /// Builds the configuration from parsed command-line matches (which already include the
    /// environment) and, if given, a TOML file whose values fill whatever the command line and
    /// the environment left at its default.
    pub fn from_matches(matches: &ArgMatches, file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut config = Config::from_arg_matches(matches)?;
        let Some(path) = file else {
            return Ok(config);
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let from_file: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let defaulted = |id: &str| {
            matches!(
                matches.value_source(id),
                None | Some(ValueSource::DefaultValue)
            )
        };
        macro_rules! fill {
            ($($field:ident),*) => {$(
                if defaulted(stringify!($field)) {
                    config.$field = from_file.$field.clone();
                }
            )*};
        }
        fill!(
            data_dir,
            listen,
            database_url,
            demo,
            max_upload_bytes,
            public_url,
            session_hours,
            login_attempts,
            query_timeout_secs,
            query_memory_mb,
            query_max_rows,
            log_origin,
            download_max_rows,
            demand_answer_days,
            consultation_answer_days,
            feedback_answer_days,
            points_expiry,
            quality_points_threshold,
            secrets_dir,
            trusted_proxies,
            storage_url,
            storage_endpoint,
            storage_region,
            storage_access_key_id,
            storage_secret_access_key,
            cluster_url,
            cluster_threshold_mb
        );
        Ok(config)
    }

    /// The configuration with every path made absolute and normalised, once, at start: the
    /// data directory is created if missing and resolved (`..`, symbolic links and relative
    /// parts), and so is the file of a `sqlite://` database URL. Everything later joins paths
    /// onto these, and the object store under the query engine refuses paths with `..` in them.
    pub fn resolved(mut self) -> Result<Config, ConfigError> {
        for (name, days) in [
            ("demand_answer_days", self.demand_answer_days),
            ("consultation_answer_days", self.consultation_answer_days),
            ("feedback_answer_days", self.feedback_answer_days),
        ] {
            if !(1..=365).contains(&days) {
                return Err(ConfigError::Invalid(format!(
                    "{name} is {days}; give 1 to 365 days"
                )));
            }
        }
        self.points_expiry()?;
        if !(0.0..=100.0).contains(&self.quality_points_threshold) {
            return Err(ConfigError::Invalid(format!(
                "quality_points_threshold is {}; give a score from 0 to 100",
                self.quality_points_threshold
            )));
        }
        self.data_dir = resolve_dir(&self.data_dir)?;
        if let Some(dir) = &self.secrets_dir {
            self.secrets_dir = Some(resolve_dir(dir)?);
        }
        if let Some(url) = &self.database_url {
            self.database_url = Some(resolve_sqlite_url(url)?);
        }
        Ok(self)
    }

    /// When points expire, from `points_expiry`.
    pub fn points_expiry(&self) -> Result<model::points::Expiry, ConfigError> {
        self.points_expiry.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "points_expiry is `{}`; give years:N, days:N or never",
                self.points_expiry
            ))
        })
    }

    /// Where the secrets are: `secrets_dir`, else the data directory.
    pub fn secrets_dir(&self) -> &Path {
        self.secrets_dir.as_deref().unwrap_or(&self.data_dir)
    }

    /// The database URL in force: the configured one, or SQLite in the data directory.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("gongshu.db").display()),
        }
    }

    /// The access log's origin for a new log: `log_origin`, else the public URL's host + `/log`.
    pub fn log_origin(&self) -> String {
        if let Some(o) = &self.log_origin {
            return o.clone();
        }
        let host = self.public_url.as_deref().and_then(|u| {
            let rest = u.split_once("://").map_or(u, |(_, r)| r);
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            (!host.is_empty()).then(|| host.to_string())
        });
        format!("{}/log", host.as_deref().unwrap_or("gongshu.local"))
    }

    /// Whether cookies must carry the Secure attribute (the portal is served over TLS).
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Creates `dir` if missing and returns its absolute, normalised path (symbolic links resolved).
fn resolve_dir(dir: &Path) -> Result<PathBuf, ConfigError> {
    let fail = |source| ConfigError::Directory {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    std::fs::canonicalize(dir).map_err(fail)
}

/// A `sqlite://PATH[?options]` URL with its file's directory resolved like the data directory;
/// other URLs (PostgreSQL, SQLite in memory) unchanged.
fn resolve_sqlite_url(url: &str) -> Result<String, ConfigError> {
    let Some(rest) = url.strip_prefix("sqlite://") else {
        return Ok(url.to_string());
    };
    let (path, options) = match rest.split_once('?') {
        Some((p, o)) => (p, Some(o)),
        None => (rest, None),
    };
    if path.is_empty() || path.starts_with(':') {
        return Ok(url.to_string());
    }
    let path = Path::new(path);
    let (dir, file) = match (path.parent(), path.file_name()) {
        (Some(d), Some(f)) => (
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            },
            f,
        ),
        _ => return Ok(url.to_string()),
    };
    let resolved = resolve_dir(dir)?.join(file);
    Ok(match options {
        Some(o) => format!("sqlite://{}?{o}", resolved.display()),
        None => format!("sqlite://{}", resolved.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn load(args: &[&str], toml: Option<&str>) -> Result<Config, ConfigError> {
        let matches = Cli::command().try_get_matches_from(args)?;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gongshu.toml");
        if let Some(t) = toml {
            std::fs::write(&path, t).unwrap();
        }
        Config::from_matches(&matches, toml.map(|_| path.as_path()))
    }

    #[test]
    fn flag_beats_file_beats_default() {
        let c = load(
            &["x", "--listen", "127.0.0.1:9000"],
            Some("listen = \"0.0.0.0:1\"\nsession_hours = 3\n"),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.session_hours, 3);
        assert_eq!(c.login_attempts, 5);
    }

    #[test]
    fn the_log_origin_comes_from_the_file_too() {
        // Every node of a deployment names the one log alike, from its configuration file.
        let c = load(&["x"], Some("log_origin = \"data.example.gov.cn/log\"\n")).unwrap();
        assert_eq!(c.log_origin(), "data.example.gov.cn/log");
        let c = load(
            &["x", "--log-origin", "other.example/log"],
            Some("log_origin = \"data.example.gov.cn/log\"\n"),
        )
        .unwrap();
        assert_eq!(c.log_origin(), "other.example/log");
    }

    #[test]
    fn secrets_and_proxies_from_flags_or_file() {
        let c = load(&["x"], None).unwrap();
        assert_eq!(c.secrets_dir(), c.data_dir.as_path());
        assert!(c.trusted_proxies.is_empty());
        let c = load(
            &["x", "--trusted-proxies", "10.0.0.1,::1"],
            Some("secrets_dir = \"/run/secrets/gongshu\"\ntrusted_proxies = [\"10.0.0.9\"]\n"),
        )
        .unwrap();
        assert_eq!(c.secrets_dir(), Path::new("/run/secrets/gongshu"));
        let proxies: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        assert_eq!(c.trusted_proxies, proxies);
        let c = load(&["x"], Some("trusted_proxies = [\"10.0.0.9\"]\n")).unwrap();
        assert_eq!(
            c.trusted_proxies,
            vec!["10.0.0.9".parse::<IpAddr>().unwrap()]
        );
        assert!(load(&["x", "--trusted-proxies", "balancer"], None).is_err());
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let err = load(&["x"], Some("lisen = \"x\"\n")).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
    }

    #[test]
    fn database_url_is_redacted() {
        let c = load(
            &["x", "--database-url", "postgres://u:pa55-w0rd@h/db"],
            None,
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("pa55-w0rd"));
        assert!(c.effective_database_url().contains("pa55-w0rd"));
    }

    #[test]
    fn example_config_parses() {
        let text = include_str!("../../../gongshu.example.toml");
        let parsed: Result<Config, _> = toml::from_str(text);
        assert!(parsed.is_ok(), "{parsed:?}", parsed = parsed.err());
    }

    #[test]
    fn paths_are_resolved_once() {
        let base = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(base.path()).unwrap();
        let dotted = root.join("a").join("..").join("data");
        let c = Config {
            data_dir: dotted,
            database_url: Some(format!(
                "sqlite://{}/db/../meta.db?mode=rwc",
                root.display()
            )),
            ..Config::default()
        }
        .resolved()
        .unwrap();
        assert_eq!(c.data_dir, root.join("data"));
        assert!(c.data_dir.is_dir());
        assert_eq!(
            c.database_url.as_deref(),
            Some(format!("sqlite://{}/meta.db?mode=rwc", root.display()).as_str())
        );
        let pg = Config {
            data_dir: root.join("data"),
            database_url: Some("postgres://u@h/db".into()),
            ..Config::default()
        }
        .resolved()
        .unwrap();
        assert_eq!(pg.database_url.as_deref(), Some("postgres://u@h/db"));
    }

    #[test]
    fn an_unusable_data_dir_is_refused_clearly() {
        let base = tempfile::tempdir().unwrap();
        let file = base.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = Config {
            data_dir: file.join("data"),
            ..Config::default()
        }
        .resolved()
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("cannot use the directory"), "{text}");
        assert!(text.contains("--data-dir"), "{text}");
    }
}
