//! Gongshu on an Apache Ballista cluster (DESIGN.md C15).
//!
//! The query engine plans every query on the server: the policy views, their seal, the masks and
//! the caller's query become one physical plan ([`query::remote`]). When a query goes to the
//! cluster, that sealed plan is what travels: [`Client`] hands it to the scheduler, which cuts
//! it into stages for the executors, and the result comes back to the server, which delivers it
//! as it delivers a local result (row cap, quota, access log).
//!
//! - [`codec`]: how the plan's Gongshu parts (the seal, the masking function) are written for
//!   the wire, beside Ballista's own nodes. Clean-room plans are refused: the pseudonym secret
//!   never leaves the server.
//! - [`process`]: the scheduler and the executor that `gongshu cluster scheduler` and `gongshu
//!   cluster executor` run, with that codec.
//! - [`client`]: the [`query::Remote`] the server's engine sends plans through.
//! - [`local`]: a whole cluster in one process, for tests and for trying it out.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod codec;
pub mod local;
pub mod process;

pub use client::Client;
pub use codec::PlanCodec;
pub use local::LocalCluster;
pub use process::{run_executor, run_scheduler, ExecutorOptions, SchedulerOptions, Store};
