//! The codec of plans sent to the cluster: Gongshu's nodes and functions as
//! [`query::remote`] writes them, and everything else as Ballista writes it.
//!
//! The same codec must be used by the server (to send), the scheduler (to read the plan and
//! write its stages) and every executor (to read the stages); a part it does not know fails the
//! job instead of running something else.

use std::sync::Arc;

use ballista_core::serde::BallistaPhysicalExtensionCodec;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::ScalarUDF;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

/// Gongshu's nodes and functions first, then Ballista's.
#[derive(Debug, Default)]
pub struct PlanCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

impl PlanCodec {
    /// The codec, shared.
    pub fn shared() -> Arc<dyn PhysicalExtensionCodec> {
        Arc::new(PlanCodec::default())
    }
}

impl PhysicalExtensionCodec for PlanCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if query::remote::is_ours(buf) {
            return query::remote::decode_node(buf, inputs);
        }
        self.ballista.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        match query::remote::encode_node(node.as_ref())? {
            Some(bytes) => {
                buf.extend_from_slice(&bytes);
                Ok(())
            }
            None => self.ballista.try_encode(node, buf, proto_converter),
        }
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        if query::remote::is_ours(buf) {
            return query::remote::decode_function(buf);
        }
        self.ballista.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        match query::remote::encode_function(node)? {
            Some(bytes) => {
                buf.extend_from_slice(&bytes);
                Ok(())
            }
            None => self.ballista.try_encode_udf(node, buf),
        }
    }
}
