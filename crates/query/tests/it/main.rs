//! Integration tests of the query crate: policy views over real Parquet files.
//!
//! One test binary (for link time); each module covers one area.

mod adversarial;
mod cleanroom;
mod export;
mod fixtures;
mod limits;
mod rest;
mod views;

/// The engine the tests run on: this process. (The cluster crate's tests run the same modules on
/// a cluster through their own `engine`.)
pub fn engine(limits: query::Limits) -> query::Engine {
    query::Engine::new(limits)
}
