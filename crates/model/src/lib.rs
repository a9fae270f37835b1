//! Domain types and pure rules of Gongshu.
//!
//! Everything here is deterministic and free of I/O: the classification scheme of DESIGN.md C3,
//! the roles of the users table, personal-information validators with their check digits, and
//! the default masks. Other crates decide *what happens*; this crate decides *what is allowed*.
#![forbid(unsafe_code)]

pub mod access;
pub mod application;
pub mod calendar;
pub mod classification;
pub mod cleanroom;
pub mod consultation;
pub mod contribution;
pub mod demand;
pub mod dictionary;
pub mod feedback;
pub mod filter;
pub mod ident;
pub mod log;
pub mod mask;
pub mod pii;
pub mod points;
pub mod quality;
pub mod role;

pub use classification::{Domain, Grade, Importance, OpeningType};
pub use role::Role;
