//! Queries on a cluster (DESIGN.md C15): where a sealed plan runs, and what of it may travel.
//!
//! The engine plans every query here, on the server, as it always does: the policy views, the
//! seal, the masks and the caller's query become one physical plan. That plan then runs either
//! in this process or, when the engine has a [`Cluster`] and the query is large enough (or the
//! caller asks), on the cluster's executors through a [`Remote`]. The plan that travels is the
//! sealed plan itself, so an executor evaluates exactly what this process would have: it never
//! sees a decision, a grant or a row filter it could loosen, only the plan that already holds
//! them.
//!
//! What a plan may carry is decided here, not by the transport: [`encode_node`] and
//! [`encode_function`] write the seal ([`crate::policy::PolicyExec`]) and the masking function,
//! and refuse the pseudonymising function of the clean room, whose secret never leaves the
//! server. Clean-room queries therefore always run here.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::ScalarUDF;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use serde::{Deserialize, Serialize};

use crate::{Engine, QueryError};

/// Where a query ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Placement {
    /// In this process.
    #[default]
    Local,
    /// On the cluster's executors.
    Cluster,
}

impl Placement {
    /// `local` or `cluster`.
    pub fn code(self) -> &'static str {
        match self {
            Placement::Local => "local",
            Placement::Cluster => "cluster",
        }
    }
}

/// Where the caller wants a query to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Preference {
    /// On the cluster when one is configured and the query reads at least its threshold of
    /// files; here otherwise.
    #[default]
    Auto,
    /// Here.
    Local,
    /// On the cluster when one is configured, whatever the size.
    Cluster,
}

impl Preference {
    /// Parses `auto`, `local` or `cluster`.
    pub fn parse(s: &str) -> Option<Preference> {
        match s {
            "auto" => Some(Preference::Auto),
            "local" => Some(Preference::Local),
            "cluster" => Some(Preference::Cluster),
            _ => None,
        }
    }
}

/// Why a cluster did not run a plan.
#[derive(Debug)]
pub enum RemoteError {
    /// The cluster could not be reached or took no job: nothing ran, so the query may run here.
    Unreachable(String),
    /// The cluster cannot run this plan (a recursive query, say, has no form on the wire):
    /// nothing was sent, and the query runs here.
    Unsupported(String),
    /// The cluster took the job and it failed.
    Failed(DataFusionError),
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteError::Unreachable(e) => write!(f, "the cluster is unreachable: {e}"),
            RemoteError::Unsupported(e) => write!(f, "the cluster cannot run this plan: {e}"),
            RemoteError::Failed(e) => write!(f, "the cluster failed the query: {e}"),
        }
    }
}

/// A cluster that runs sealed physical plans.
#[async_trait]
pub trait Remote: Send + Sync + fmt::Debug {
    /// Runs `plan` with the session settings of `config` and streams its one output partition.
    async fn execute(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &SessionConfig,
    ) -> Result<SendableRecordBatchStream, RemoteError>;
}

/// A cluster and when the engine uses it.
#[derive(Debug, Clone)]
pub struct Cluster {
    remote: Arc<dyn Remote>,
    threshold_bytes: u64,
    fallback: bool,
}

impl Cluster {
    /// Queries reading at least `threshold_bytes` of Parquet go to `remote` (those asking for
    /// it, whatever their size); when it cannot be reached they run here.
    pub fn new(remote: Arc<dyn Remote>, threshold_bytes: u64) -> Cluster {
        Cluster {
            remote,
            threshold_bytes,
            fallback: true,
        }
    }

    /// The same cluster, but a query it cannot take fails rather than running here (for tests
    /// that must know where every query ran).
    pub fn without_fallback(mut self) -> Cluster {
        self.fallback = false;
        self
    }
}

/// Bytes of the files `plan` scans: the sizes of the files of every file scan in it.
pub fn input_bytes(plan: &Arc<dyn ExecutionPlan>) -> u64 {
    let mut total = 0u64;
    let mut stack = vec![Arc::clone(plan)];
    while let Some(node) = stack.pop() {
        if let Some(source) = node.downcast_ref::<DataSourceExec>() {
            if let Some(config) = source.data_source().downcast_ref::<FileScanConfig>() {
                total = total.saturating_add(
                    config
                        .file_groups
                        .iter()
                        .flat_map(|g| g.files())
                        .map(|f| f.object_meta.size)
                        .sum::<u64>(),
                );
            }
        }
        stack.extend(node.children().into_iter().cloned());
    }
    total
}

/// Whether `plan` reads any file: a plan that reads none (`SELECT 1`, `generate_series`) has
/// nothing to spread over executors.
fn reads_files(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let mut stack = vec![Arc::clone(plan)];
    while let Some(node) = stack.pop() {
        if node
            .downcast_ref::<DataSourceExec>()
            .is_some_and(|s| s.data_source().downcast_ref::<FileScanConfig>().is_some())
        {
            return true;
        }
        stack.extend(node.children().into_iter().cloned());
    }
    false
}

/// Settings a plan for the cluster is made with, as Ballista's own sessions set them. A cluster
/// cuts a plan into stages that run as separate tasks, so what one operator shares with another
/// in memory cannot work there: run-time filters (a TopK's or a join's bound, read by a scan in
/// another stage, would never arrive and the scan would wait forever) and physical scalar
/// subqueries (their results container stays in one process). Sort-merge joins spill where a
/// hash join must hold its build side in one task's memory. The scheduler turns round-robin
/// repartitioning off in every job; it is off here already, so the plan is the one that runs.
const CLUSTER_SETTINGS: &[(&str, &str)] = &[
    (
        "datafusion.optimizer.enable_round_robin_repartition",
        "false",
    ),
    (
        "datafusion.optimizer.enable_dynamic_filter_pushdown",
        "false",
    ),
    (
        "datafusion.optimizer.enable_physical_uncorrelated_scalar_subquery",
        "false",
    ),
    ("datafusion.optimizer.prefer_hash_join", "false"),
];

/// Runs `frame` here or on the engine's cluster (see the module documentation); `local_only`
/// keeps it here whatever the engine's cluster and preference (the clean room).
pub(crate) async fn execute(
    engine: &Engine,
    frame: DataFrame,
    local_only: bool,
) -> Result<(SendableRecordBatchStream, Placement), QueryError> {
    let (state, plan) = frame.into_parts();
    let physical = state.create_physical_plan(&plan).await?;
    if let Some(cluster) = engine.cluster.as_deref().filter(|_| !local_only) {
        let wanted = reads_files(&physical)
            && match engine.preference {
                Preference::Local => false,
                Preference::Cluster => true,
                Preference::Auto => input_bytes(&physical) >= cluster.threshold_bytes,
            };
        if wanted {
            // The same query planned again for stages: the policy views are planned inside
            // this planning too, so the seal and everything under it are as they would be here.
            // Without the grouping by few values, a node the executors do not know.
            let rules = state
                .physical_optimizers()
                .iter()
                .filter(|rule| rule.name() != crate::groups::RULE_NAME)
                .cloned()
                .collect();
            let mut remote_state = SessionStateBuilder::new_from_existing(state.clone())
                .with_physical_optimizer_rules(rules)
                .build();
            for (key, value) in CLUSTER_SETTINGS {
                remote_state
                    .config_mut()
                    .options_mut()
                    .set(key, value)
                    .map_err(QueryError::internal)?;
            }
            let staged = remote_state.create_physical_plan(&plan).await?;
            match cluster.remote.execute(staged, remote_state.config()).await {
                Ok(stream) => return Ok((stream, Placement::Cluster)),
                Err(RemoteError::Unsupported(e)) => {
                    tracing::debug!(error = %e, "the plan cannot go to the cluster; it runs here");
                }
                Err(RemoteError::Unreachable(e)) if cluster.fallback => {
                    tracing::warn!(error = %e, "the cluster is unreachable; the query runs here");
                }
                Err(RemoteError::Unreachable(e)) => {
                    return Err(QueryError::internal(format!(
                        "the cluster is unreachable: {e}"
                    )))
                }
                Err(RemoteError::Failed(e)) => return Err(e.into()),
            }
        }
    }
    let context = Arc::new(TaskContext::from(&state));
    let stream = datafusion::physical_plan::execute_stream(physical, context)?;
    Ok((stream, Placement::Local))
}

/// The rows of `frame`, counted where [`execute`] runs it.
pub(crate) async fn count(engine: &Engine, frame: DataFrame) -> Result<u64, QueryError> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;
    use futures::StreamExt;
    let counted = frame.aggregate(
        vec![],
        vec![datafusion::functions_aggregate::count::count_all()],
    )?;
    let (mut stream, _) = execute(engine, counted, false).await?;
    let mut total = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        if batch.num_columns() == 1 {
            let counts = batch.column(0).as_primitive::<Int64Type>();
            total += (0..counts.len())
                .filter(|&i| counts.is_valid(i))
                .map(|i| counts.value(i).max(0) as u64)
                .sum::<u64>();
        }
    }
    Ok(total)
}

/// A tag in front of every node and function this crate encodes, so a codec that also carries
/// other nodes can tell them apart.
pub const TAG: &[u8] = b"gongshu/1:";

#[derive(Serialize, Deserialize)]
#[serde(tag = "node", rename_all = "snake_case")]
enum Node {
    Policy { table: String, raw: Vec<String> },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "function", rename_all = "snake_case")]
enum Function {
    Mask { mask: model::access::Mask },
}

fn tagged(value: &impl Serialize) -> DfResult<Vec<u8>> {
    let mut out = TAG.to_vec();
    serde_json::to_writer(&mut out, value).map_err(|e| DataFusionError::External(Box::new(e)))?;
    Ok(out)
}

fn untagged<T: for<'a> Deserialize<'a>>(buf: &[u8]) -> DfResult<T> {
    let body = buf
        .strip_prefix(TAG)
        .ok_or_else(|| DataFusionError::Internal("not a Gongshu plan node".into()))?;
    serde_json::from_slice(body).map_err(|e| DataFusionError::External(Box::new(e)))
}

/// Whether `buf` was written by [`encode_node`] or [`encode_function`].
pub fn is_ours(buf: &[u8]) -> bool {
    buf.starts_with(TAG)
}

/// The bytes of one of this crate's plan nodes without its children (the caller carries them),
/// or `None` for a node that is not this crate's. A node that must not leave the server (the
/// clean room's per-entity bound) is refused.
pub fn encode_node(node: &dyn ExecutionPlan) -> DfResult<Option<Vec<u8>>> {
    if let Some(policy) = node.downcast_ref::<crate::policy::PolicyExec>() {
        let (table, raw) = policy.parts();
        return tagged(&Node::Policy { table, raw }).map(Some);
    }
    if crate::bound::is_bound(node) {
        return Err(DataFusionError::NotImplemented(
            "clean-room plans run on the server only".into(),
        ));
    }
    Ok(None)
}

/// The node [`encode_node`] wrote, over `inputs`.
pub fn decode_node(
    buf: &[u8],
    inputs: &[Arc<dyn ExecutionPlan>],
) -> DfResult<Arc<dyn ExecutionPlan>> {
    match untagged::<Node>(buf)? {
        Node::Policy { table, raw } => {
            let [input] = inputs else {
                return Err(DataFusionError::Internal(
                    "a policy node has one input".into(),
                ));
            };
            Ok(crate::policy::PolicyExec::from_parts(
                table,
                raw,
                Arc::clone(input),
            ))
        }
    }
}

/// The bytes of one of this crate's functions, or `None` for a function that is not this crate's.
/// The pseudonymising function is refused: its secret never leaves the server.
pub fn encode_function(function: &ScalarUDF) -> DfResult<Option<Vec<u8>>> {
    if let Some(mask) = crate::policy::mask_of(function) {
        return tagged(&Function::Mask { mask }).map(Some);
    }
    if crate::policy::is_pseudonym(function) {
        return Err(DataFusionError::NotImplemented(
            "keyed pseudonyms are made on the server only".into(),
        ));
    }
    Ok(None)
}

/// The function [`encode_function`] wrote.
pub fn decode_function(buf: &[u8]) -> DfResult<Arc<ScalarUDF>> {
    match untagged::<Function>(buf)? {
        Function::Mask { mask } => Ok(crate::policy::mask_function(mask)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::access::Mask;
    use model::pii::PiiKind;

    #[test]
    fn masks_travel_and_keyed_pseudonyms_do_not() {
        let mask = crate::policy::mask_function(Mask::Pii(PiiKind::Mobile));
        let bytes = encode_function(&mask).unwrap().unwrap();
        assert!(is_ours(&bytes));
        let back = decode_function(&bytes).unwrap();
        assert_eq!(
            crate::policy::mask_of(&back),
            Some(Mask::Pii(PiiKind::Mobile))
        );
        assert_eq!(back.as_ref(), mask.as_ref());

        let key = Arc::new(crate::PseudonymKey::new(&[7u8; 32]).unwrap());
        let pseudonym =
            crate::policy::pseudonymised("id", &datafusion::arrow::datatypes::DataType::Utf8, key);
        let datafusion::logical_expr::Expr::Alias(alias) = pseudonym else {
            panic!("an alias")
        };
        let datafusion::logical_expr::Expr::ScalarFunction(call) = *alias.expr else {
            panic!("a function call")
        };
        let err = encode_function(&call.func).unwrap_err();
        assert!(err.to_string().contains("server only"), "{err}");
        // Nothing else is claimed, and foreign bytes are not read as ours.
        let upper = datafusion::functions::string::upper();
        assert!(encode_function(&upper).unwrap().is_none());
        assert!(!is_ours(b"\x0a\x02"));
        assert!(decode_function(b"gongshu/1:{\"function\":\"other\"}").is_err());
    }

    #[test]
    fn the_seal_travels_with_its_raw_columns() {
        use datafusion::arrow::datatypes::{Field, Schema};
        use datafusion::physical_plan::empty::EmptyExec;
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", datafusion::arrow::datatypes::DataType::Int64, true),
            Field::new("b", datafusion::arrow::datatypes::DataType::Utf8, true),
        ]));
        let input: Arc<dyn ExecutionPlan> = Arc::new(EmptyExec::new(schema));
        let sealed =
            crate::policy::PolicyExec::from_parts("t".into(), vec!["a".into()], Arc::clone(&input));
        let bytes = encode_node(sealed.as_ref()).unwrap().unwrap();
        let back = decode_node(&bytes, std::slice::from_ref(&input)).unwrap();
        let back = back
            .downcast_ref::<crate::policy::PolicyExec>()
            .expect("a seal");
        assert_eq!(back.parts(), ("t".to_string(), vec!["a".to_string()]));
        assert!(encode_node(input.as_ref()).unwrap().is_none());
        assert!(decode_node(&bytes, &[]).is_err());
    }
}
