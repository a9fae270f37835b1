//! A whole cluster in this process, on loopback: a scheduler and executors with working
//! directories of their own, on ports that were free when it started. For tests, and to try a
//! cluster on one machine.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{ExecutorOptions, SchedulerOptions};

/// A running cluster; it stops when dropped.
pub struct LocalCluster {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dirs: Vec<tempfile::TempDir>,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            anyhow::bail!("nothing listens on port {port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

impl LocalCluster {
    /// Starts a scheduler and `executors` executors of `task_slots` slots each, on a runtime of
    /// their own, and returns once they run a job. The ports are chosen free and bound a moment
    /// later, so another process may take one in between; a start that fails is tried again on
    /// other ports, three times in all.
    pub fn start(executors: usize, task_slots: usize) -> anyhow::Result<LocalCluster> {
        let mut failure = None;
        for _ in 0..3 {
            match Self::start_once(executors, task_slots) {
                Ok(cluster) => return Ok(cluster),
                Err(e) => {
                    tracing::warn!(error = %e, "the local cluster did not start; trying other ports");
                    failure = Some(e);
                }
            }
        }
        Err(failure.expect("three attempts"))
    }

    fn start_once(executors: usize, task_slots: usize) -> anyhow::Result<LocalCluster> {
        let scheduler_port = free_port()?;
        let dirs = (0..executors)
            .map(|_| tempfile::tempdir())
            .collect::<std::io::Result<Vec<_>>>()?;
        let mut options = Vec::new();
        for dir in &dirs {
            options.push(ExecutorOptions {
                scheduler_host: "127.0.0.1".into(),
                scheduler_port,
                bind_host: "127.0.0.1".into(),
                external_host: Some("127.0.0.1".into()),
                flight_port: free_port()?,
                grpc_port: free_port()?,
                work_dir: dir.path().to_path_buf(),
                task_slots,
                memory_bytes: Some(1 << 30),
                stores: Vec::new(),
            });
        }
        let flight_ports: Vec<u16> = options.iter().map(|e| e.flight_port).collect();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("a runtime for the cluster");
            runtime.block_on(async move {
                let mut running = vec![tokio::spawn(crate::run_scheduler(SchedulerOptions {
                    bind: SocketAddr::from(([127, 0, 0, 1], scheduler_port)),
                    external_host: "127.0.0.1".into(),
                    stores: Vec::new(),
                }))];
                let _ = tokio::task::spawn_blocking(move || wait_for(scheduler_port)).await;
                for executor in options {
                    running.push(tokio::spawn(crate::run_executor(executor)));
                }
                tokio::select! {
                    _ = stopped => {}
                    (outcome, _, _) = futures::future::select_all(running) => {
                        tracing::error!(?outcome, "a node of the local cluster stopped");
                    }
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(5));
        });
        let cluster = LocalCluster {
            url: format!("http://127.0.0.1:{scheduler_port}"),
            stop: Some(stop),
            thread: Some(thread),
            _dirs: dirs,
        };
        wait_for(scheduler_port)?;
        for port in flight_ports {
            wait_for(port)?;
        }
        cluster.wait_until_it_runs_a_job()?;
        Ok(cluster)
    }

    /// Waits until a job of one row runs (the executors have registered with the scheduler), on
    /// a thread of its own, so that a caller on an asynchronous runtime may wait too.
    fn wait_until_it_runs_a_job(&self) -> anyhow::Result<()> {
        let url = self.url.clone();
        std::thread::spawn(move || Self::run_a_job(&url))
            .join()
            .map_err(|_| anyhow::anyhow!("the readiness check panicked"))?
    }

    fn run_a_job(url: &str) -> anyhow::Result<()> {
        use datafusion::arrow::datatypes::Schema;
        use datafusion::physical_plan::placeholder_row::PlaceholderRowExec;
        use futures::TryStreamExt;
        use query::Remote;
        let client = crate::Client::new(url)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let plan = Arc::new(PlaceholderRowExec::new(Arc::new(Schema::empty())));
            let outcome = runtime.block_on(async {
                let stream = client
                    .execute(plan, &datafusion::prelude::SessionConfig::new())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let batches: Vec<_> = stream.try_collect().await?;
                anyhow::Ok(batches.iter().map(|b| b.num_rows()).sum::<usize>())
            });
            match outcome {
                Ok(1) => return Ok(()),
                Ok(rows) => anyhow::bail!("a job of one row returned {rows}"),
                Err(e) if Instant::now() > deadline => {
                    return Err(e.context("the local cluster runs no job"))
                }
                Err(e) => {
                    tracing::debug!(error = %e, "the local cluster is not ready yet");
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    }

    /// The scheduler's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
