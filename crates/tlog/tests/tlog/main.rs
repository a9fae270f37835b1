//! Integration tests of the tlog crate, in one binary so that it links once.

mod checkpoints;
mod notes;
mod properties;
mod receipts;
mod vectors;
