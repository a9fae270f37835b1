//! The scheduler and the executor of `gongshu cluster`, Ballista's own with Gongshu's codec.
//!
//! Both keep Ballista's defaults but for the addresses, the codec and (executors) the working
//! directory, the task slots and the memory pool. The scheduler holds its state in memory: a
//! restarted scheduler has lost its running jobs, which fail on the server and are not
//! delivered.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, Context};
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::object_store::ObjectStore;

use crate::PlanCodec;

/// An object store and the URL its objects are named under (`s3://bucket`).
pub type Store = (url::Url, Arc<dyn ObjectStore>);

/// Where a scheduler listens.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// The address its gRPC service binds to.
    pub bind: SocketAddr,
    /// The host name executors and servers reach it by.
    pub external_host: String,
    /// Object stores the versions are in (it reads their footers while planning stages); see
    /// [`ExecutorOptions::stores`].
    pub stores: Vec<Store>,
}

/// A registry holding `stores`, besides the local file system every registry has.
fn registry(stores: &[Store]) -> Arc<dyn ObjectStoreRegistry> {
    let registry = DefaultObjectStoreRegistry::new();
    for (base, store) in stores {
        registry.register_store(base, Arc::clone(store));
    }
    Arc::new(registry)
}

/// Runs a scheduler until the process is stopped (or the future is dropped).
pub async fn run_scheduler(options: SchedulerOptions) -> anyhow::Result<()> {
    let stores = registry(&options.stores);
    let sessions: ballista_scheduler::SessionBuilder = Arc::new(move |config| {
        let state = ballista_core::utils::default_session_builder(config)?;
        let runtime = RuntimeEnvBuilder::new()
            .with_object_store_registry(Arc::clone(&stores))
            .build_arc()?;
        Ok(SessionStateBuilder::new_from_existing(state)
            .with_runtime_env(runtime)
            .build())
    });
    let config = SchedulerConfig {
        override_session_builder: Some(sessions),
        bind_host: options.bind.ip().to_string(),
        bind_port: options.bind.port(),
        external_host: options.external_host,
        override_physical_codec: Some(PlanCodec::shared()),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| anyhow!("the scheduler's state: {e}"))?;
    ballista_scheduler::scheduler_process::start_server(cluster, options.bind, Arc::new(config))
        .await
        .map_err(|e| anyhow!("the scheduler stopped: {e}"))
}

/// What an executor needs.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host and port.
    pub scheduler_host: String,
    /// The scheduler's gRPC port.
    pub scheduler_port: u16,
    /// The host this executor binds to.
    pub bind_host: String,
    /// The host name the scheduler, other executors and servers reach it by (default: the bind
    /// host).
    pub external_host: Option<String>,
    /// Its Arrow Flight port, which serves results and shuffle data.
    pub flight_port: u16,
    /// Its gRPC port.
    pub grpc_port: u16,
    /// Where it writes shuffle files.
    pub work_dir: PathBuf,
    /// Tasks it runs at once (0: one per processor).
    pub task_slots: usize,
    /// Memory its tasks may hold in all, in bytes (`None`: Ballista's share of the machine).
    pub memory_bytes: Option<u64>,
    /// Object stores it reads versions from, each with the URL its objects are named under
    /// (`s3://bucket`); files on this machine need none.
    pub stores: Vec<Store>,
}

/// Runs an executor until the process is stopped.
pub async fn run_executor(options: ExecutorOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.work_dir).with_context(|| {
        format!(
            "the executor's working directory {}",
            options.work_dir.display()
        )
    })?;
    let work_dir = options
        .work_dir
        .to_str()
        .ok_or_else(|| anyhow!("the working directory's path is not UTF-8"))?
        .to_string();
    let registry = registry(&options.stores);
    let temp_dir = work_dir.clone();
    let runtime: ballista_core::RuntimeProducer = Arc::new(move |_| {
        Ok(Arc::new(
            RuntimeEnvBuilder::new()
                .with_temp_file_path(temp_dir.clone())
                .with_object_store_registry(Arc::clone(&registry))
                .build()?,
        ))
    });
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        scheduler_host: options.scheduler_host,
        scheduler_port: options.scheduler_port,
        bind_host: options.bind_host,
        external_host: options.external_host,
        port: options.flight_port,
        grpc_port: options.grpc_port,
        work_dir: Some(work_dir),
        vcores: match options.task_slots {
            0 => defaults.vcores,
            n => n,
        },
        memory_pool_size: options.memory_bytes,
        print_thread_info: false,
        override_physical_codec: Some(PlanCodec::shared()),
        override_runtime_producer: Some(runtime),
        ..defaults
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| anyhow!("the executor stopped: {e}"))
}
