//! A storage-agnostic transparency log (透明日志): the RFC 6962 / RFC 9162 Merkle tree with
//! inclusion and consistency proofs, C2SP checkpoints, C2SP signed notes and receipts.
//!
//! - [`hash`]: SHA-256 hashes and the leaf and node hashing rules.
//! - [`tree`]: the stored-hash layout and two-phase operations (list reads, then compute), so
//!   that async database code can keep the hashes wherever it likes.
//! - [`verify`]: checking proofs as a client does, independently of [`tree`].
//! - [`checkpoint`]: the signed tree head's text.
//! - [`note`]: Ed25519 signed notes carrying checkpoints.
//! - [`receipt`]: one entry with its proof and signed checkpoint, checkable offline.
//!
//! The crate does no I/O and holds no state beyond what a caller hands it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checkpoint;
pub mod hash;
pub mod note;
pub mod receipt;
pub mod tree;
pub mod verify;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use hash::{empty_root, leaf_hash, node_hash, Hash, HashError};
pub use note::{NoteError, Opened, Signer, Verifier};
pub use receipt::{Receipt, ReceiptError};
pub use tree::TreeError;
pub use verify::{verify_consistency, verify_inclusion, ProofError};
