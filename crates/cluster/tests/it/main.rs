//! The query crate's tests of REST queries, aggregates, SQL, views, downloads, the clean room
//! and the adversarial suite, run again with every query sent to a cluster: a scheduler and two
//! executors started in this process on loopback, with no fallback, so a query the cluster cannot
//! run fails its test. Answers and refusals must be the same as in this process. Then this
//! crate's own tests: the codec, local against cluster on generated data, placement and fallback.

#[path = "../../../query/tests/it/adversarial.rs"]
mod adversarial;
#[path = "../../../query/tests/it/cleanroom.rs"]
mod cleanroom;
mod cluster;
#[path = "../../../query/tests/it/export.rs"]
mod export;
#[path = "../../../query/tests/it/fixtures.rs"]
mod fixtures;
mod harness;
#[path = "../../../query/tests/it/rest.rs"]
mod rest;
#[path = "../../../query/tests/it/views.rs"]
mod views;

/// The engine the included tests run on: every query to the test cluster, no fallback.
pub fn engine(limits: query::Limits) -> query::Engine {
    query::Engine::new(limits).with_cluster(harness::cluster(0).without_fallback())
}
