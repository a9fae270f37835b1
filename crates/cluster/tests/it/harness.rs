//! One test cluster per test binary: a scheduler and two executors in this process, on loopback
//! ports that were free when it started, each executor with a working directory of its own.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use cluster::{Client, ExecutorOptions, SchedulerOptions};

struct Running {
    url: String,
    _dirs: Vec<tempfile::TempDir>,
}

static CLUSTER: OnceLock<Running> = OnceLock::new();

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The scheduler's URL, the cluster started on first use.
pub fn scheduler_url() -> &'static str {
    &CLUSTER
        .get_or_init(|| {
            let scheduler_port = free_port();
            let dirs: Vec<tempfile::TempDir> =
                (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
            let executors: Vec<ExecutorOptions> = dirs
                .iter()
                .map(|dir| ExecutorOptions {
                    scheduler_host: "127.0.0.1".into(),
                    scheduler_port,
                    bind_host: "127.0.0.1".into(),
                    external_host: Some("127.0.0.1".into()),
                    flight_port: free_port(),
                    grpc_port: free_port(),
                    work_dir: dir.path().to_path_buf(),
                    task_slots: 2,
                    memory_bytes: Some(1 << 30),
                    stores: Vec::new(),
                })
                .collect();
            let flight_ports: Vec<u16> = executors.iter().map(|e| e.flight_port).collect();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let scheduler = tokio::spawn(cluster::run_scheduler(SchedulerOptions {
                        bind: SocketAddr::from(([127, 0, 0, 1], scheduler_port)),
                        external_host: "127.0.0.1".into(),
                        stores: Vec::new(),
                    }));
                    tokio::task::spawn_blocking(move || wait_for(scheduler_port))
                        .await
                        .unwrap();
                    let mut running = vec![scheduler];
                    for options in executors {
                        running.push(tokio::spawn(cluster::run_executor(options)));
                    }
                    let (outcome, _, _) = futures::future::select_all(running).await;
                    panic!("a cluster process stopped: {outcome:?}");
                });
            });
            for port in flight_ports {
                wait_for(port);
            }
            Running {
                url: format!("http://127.0.0.1:{scheduler_port}"),
                _dirs: dirs,
            }
        })
        .url
}

/// The client, saying on standard error which plans it could not send (they run here).
#[derive(Debug)]
struct Told(Client);

#[async_trait::async_trait]
impl query::Remote for Told {
    async fn execute(
        &self,
        plan: Arc<dyn datafusion::physical_plan::ExecutionPlan>,
        config: &datafusion::prelude::SessionConfig,
    ) -> Result<datafusion::execution::SendableRecordBatchStream, query::RemoteError> {
        let outcome = self.0.execute(plan, config).await;
        match &outcome {
            Err(query::RemoteError::Unsupported(e)) => {
                eprintln!(
                    "cluster: unsupported: {}",
                    e.chars().take(200).collect::<String>()
                )
            }
            Ok(_) => eprintln!("cluster: sent"),
            Err(e) => eprintln!("cluster: {e}"),
        }
        outcome
    }
}

/// The test cluster, for queries reading at least `threshold_bytes`.
pub fn cluster(threshold_bytes: u64) -> query::Cluster {
    query::Cluster::new(
        Arc::new(Told(Client::new(scheduler_url()).unwrap())),
        threshold_bytes,
    )
}
