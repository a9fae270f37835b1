//! Receipts (存证回执): everything a client needs to check, offline and later, that an entry is
//! in the log — the entry, its inclusion proof and the signed checkpoint the proof leads to.

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::hash::{leaf_hash, Hash};
use crate::note::{self, NoteError, Verifier};
use crate::verify::{verify_inclusion, ProofError};

/// Proof that one entry is in the log, as JSON with hashes in hexadecimal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The log's origin; also the name of its signing key.
    pub origin: String,
    /// The entry's leaf index.
    pub index: u64,
    /// The entry: exactly the bytes that were hashed into the leaf, as UTF-8 text.
    pub leaf: String,
    /// The size of the tree the proof is for.
    pub tree_size: u64,
    /// The inclusion proof of the leaf in the tree of `tree_size` leaves.
    pub proof: Vec<Hash>,
    /// The signed note whose text is the checkpoint of that tree.
    pub checkpoint: String,
}

/// Why a receipt does not prove what it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The trusted key belongs to another log.
    #[error("the receipt is for log {receipt:?} but the trusted key is for {key:?}")]
    WrongKey {
        /// The receipt's origin.
        receipt: String,
        /// The trusted key's name.
        key: String,
    },
    /// The checkpoint's signature is missing, invalid or by an unknown key.
    #[error("the checkpoint's signature does not verify: {0}")]
    Signature(#[from] NoteError),
    /// The signed text is not a checkpoint.
    #[error("the signed text is not a valid checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint is for another log.
    #[error("the receipt is for log {receipt:?} but the checkpoint is for {checkpoint:?}")]
    WrongOrigin {
        /// The receipt's origin.
        receipt: String,
        /// The checkpoint's origin.
        checkpoint: String,
    },
    /// The checkpoint covers a different tree size.
    #[error(
        "the receipt's proof is for a tree of {receipt} leaves but the checkpoint has {checkpoint}"
    )]
    WrongSize {
        /// The receipt's tree size.
        receipt: u64,
        /// The checkpoint's tree size.
        checkpoint: u64,
    },
    /// The leaf index is not inside the checkpoint's tree.
    #[error("leaf index {index} is outside the checkpoint's tree of {size} leaves")]
    IndexOutOfRange {
        /// The receipt's leaf index.
        index: u64,
        /// The checkpoint's tree size.
        size: u64,
    },
    /// The inclusion proof does not lead from the leaf to the checkpoint's root.
    #[error("the entry is not proven to be in the checkpoint's tree: {0}")]
    Proof(#[from] ProofError),
}

impl Receipt {
    /// Checks the receipt against the log's trusted key and returns the checkpoint it is
    /// anchored in.
    ///
    /// Checks, in order: the key is the log's, the checkpoint note is signed by it, the text is
    /// a checkpoint of the same origin and tree size, the index is inside the tree, and the
    /// proof leads from `leaf_hash(leaf)` to the checkpoint's root.
    pub fn verify(&self, verifier: &Verifier) -> Result<Checkpoint, ReceiptError> {
        if verifier.name() != self.origin {
            return Err(ReceiptError::WrongKey {
                receipt: self.origin.clone(),
                key: verifier.name().to_string(),
            });
        }
        let opened = note::open(&self.checkpoint, std::slice::from_ref(verifier))?;
        let checkpoint = Checkpoint::parse(&opened.text)?;
        if checkpoint.origin != self.origin {
            return Err(ReceiptError::WrongOrigin {
                receipt: self.origin.clone(),
                checkpoint: checkpoint.origin,
            });
        }
        if checkpoint.size != self.tree_size {
            return Err(ReceiptError::WrongSize {
                receipt: self.tree_size,
                checkpoint: checkpoint.size,
            });
        }
        if self.index >= checkpoint.size {
            return Err(ReceiptError::IndexOutOfRange {
                index: self.index,
                size: checkpoint.size,
            });
        }
        let leaf = leaf_hash(self.leaf.as_bytes());
        verify_inclusion(
            &leaf,
            self.index,
            checkpoint.size,
            &self.proof,
            &checkpoint.root,
        )?;
        Ok(checkpoint)
    }
}
