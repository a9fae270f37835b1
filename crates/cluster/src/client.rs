//! The server's side: sealed plans to the scheduler, results back.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ballista_core::config::BallistaConfig;
use ballista_core::execution_plans::execute_physical_plan;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::PhysicalPlanNode;
use query::{Remote, RemoteError};

use crate::PlanCodec;

/// How long the server waits for the scheduler's port before it runs a query itself.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A scheduler, as the query engine's [`Remote`].
#[derive(Debug, Clone)]
pub struct Client {
    url: url::Url,
    host: String,
    port: u16,
    codec: Arc<PlanCodec>,
    /// Jobs the scheduler took.
    jobs: Arc<std::sync::atomic::AtomicU64>,
}

impl Client {
    /// The scheduler at `url` (`http://host:port`, Ballista's default port 50050 when none is
    /// given).
    pub fn new(url: &str) -> anyhow::Result<Client> {
        let parsed = url::Url::parse(url)
            .map_err(|e| anyhow::anyhow!("the cluster URL `{url}` is not a URL: {e}"))?;
        if parsed.scheme() != "http" {
            anyhow::bail!("the cluster URL `{url}` must start with http://");
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("the cluster URL `{url}` has no host"))?
            .to_string();
        let port = parsed.port().unwrap_or(50050);
        Ok(Client {
            url: parsed,
            host,
            port,
            codec: Arc::new(PlanCodec::default()),
            jobs: Arc::default(),
        })
    }

    /// How many jobs the scheduler has taken from this client (and its clones).
    pub fn jobs(&self) -> u64 {
        self.jobs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The scheduler's URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    async fn reachable(&self) -> Result<(), RemoteError> {
        let address = format!("{}:{}", self.host, self.port);
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&address)).await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(RemoteError::Unreachable(format!("{address}: {e}"))),
            Err(_) => Err(RemoteError::Unreachable(format!(
                "{address}: no answer within {CONNECT_TIMEOUT:?}"
            ))),
        }
    }
}

#[async_trait]
impl Remote for Client {
    async fn execute(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &SessionConfig,
    ) -> Result<SendableRecordBatchStream, RemoteError> {
        // A plan with a part that has no form on the wire is refused before anything is sent.
        <PhysicalPlanNode as datafusion_proto::physical_plan::AsExecutionPlan>::try_from_physical_plan(
            Arc::clone(&plan),
            self.codec.as_ref(),
        )
        .map_err(|e| RemoteError::Unsupported(e.to_string()))?;
        self.reachable().await?;
        // A session of its own for every query: nothing is shared between queries.
        let session_id = uuid::Uuid::new_v4().to_string();
        let stream = execute_physical_plan::<PhysicalPlanNode>(
            format!("http://{}:{}", self.host, self.port),
            &BallistaConfig::default(),
            plan,
            self.codec.as_ref(),
            session_id,
            config.clone(),
        )
        .await
        .map_err(RemoteError::Failed)?;
        self.jobs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(stream)
    }
}
