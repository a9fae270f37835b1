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
