//! One test cluster per test binary: a scheduler and two executors of two task slots in this
//! process ([`LocalCluster`]).

use std::sync::{Arc, OnceLock};

use cluster::{Client, LocalCluster};

static CLUSTER: OnceLock<LocalCluster> = OnceLock::new();

/// The scheduler's URL, the cluster started on first use.
pub fn scheduler_url() -> &'static str {
    CLUSTER
        .get_or_init(|| LocalCluster::start(2, 2).expect("the test cluster starts"))
        .url()
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
