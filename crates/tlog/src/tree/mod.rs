//! The Merkle tree (默克尔树) of RFC 6962 over a flat array of stored hashes, with a two-phase API.
//!
//! # Layout
//!
//! The log stores the hash of every *complete* subtree: the subtree at level `L` with number `k`
//! covers the leaves `[k·2^L, (k+1)·2^L)`; level 0 holds the leaf hashes.
//! Each such hash has a dense *stored index*, [`stored_index`], chosen so that appending leaf `n`
//! stores exactly the subtrees that leaf completes (the leaf itself, then one per level above it
//! while the subtree ends at `n`), at consecutive indexes.
//! A tree of `n` leaves therefore has [`stored_count`]`(n) = 2n − popcount(n)` stored hashes, the
//! array only ever grows at its end, and no stored hash ever changes.
//! The roots of incomplete trees are never stored: they are folded on demand from at most
//! log₂ n complete subtrees, which is why every read below is O(log n).
//!
//! # Two phases
//!
//! The crate does no I/O, because its callers keep the hashes in a database behind async code.
//! Every operation is split into a *reads* function, which lists the stored indexes it needs, and
//! a function that takes the hashes at those indexes, in that order, and computes the answer:
//!
//! ```
//! use tlog::tree::{self, MemoryLog, HashReader};
//!
//! let mut log = MemoryLog::new();
//! for entry in ["a", "b", "c"] {
//!     log.append(entry.as_bytes());
//! }
//! let indexes = tree::inclusion_reads(1, 3)?;         // phase one: what to fetch
//! let hashes = log.read_hashes(&indexes).unwrap();    // the caller's (async) storage
//! let proof = tree::inclusion_proof(1, 3, &hashes)?;  // phase two: pure computation
//! # Ok::<(), tlog::tree::TreeError>(())
//! ```
//!
//! [`HashReader`] and the `tree_root`/`prove_*` helpers join the two phases for synchronous
//! storage; [`MemoryLog`] is such a storage, for tests and benchmarks.

mod append;
mod builder;
mod proof;
mod reader;

pub use append::{append, append_batch, append_batch_reads, append_reads};
pub use builder::TreeBuilder;
pub use proof::{
    consistency_proof, consistency_reads, inclusion_proof, inclusion_reads, root, root_reads,
};
pub use reader::{
    prove_consistency, prove_inclusion, tree_root, HashReader, MemoryLog, MissingHash, ReadError,
};

/// The largest tree size the layout supports.
///
/// Stored indexes of bigger trees would not fit in a `u64`; no real log comes near 2^62 leaves,
/// so functions refuse larger sizes with [`TreeError::TooLarge`] instead of overflowing.
pub const MAX_SIZE: u64 = 1 << 62;

/// A request the tree cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A leaf index at or beyond the tree size.
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The size of the tree.
        size: u64,
    },
    /// A consistency proof between sizes that do not satisfy 0 < first ≤ second.
    #[error(
        "a consistency proof needs 0 < first <= second, got first {first} and second {second}"
    )]
    BadRange {
        /// The size of the older tree.
        first: u64,
        /// The size of the newer tree.
        second: u64,
    },
    /// A tree size beyond [`MAX_SIZE`].
    #[error("a tree of {size} leaves is larger than this log supports (2^62)")]
    TooLarge {
        /// The size asked for.
        size: u64,
    },
    /// The hashes handed in do not match the indexes the reads function listed.
    #[error("expected {expected} stored hashes, got {got}; pass exactly the hashes the reads function listed")]
    WrongReadCount {
        /// How many hashes the reads function listed.
        expected: usize,
        /// How many were handed in.
        got: usize,
    },
}

/// The stored index of the complete subtree at `level` with number `n`, which covers the leaves
/// `[n·2^level, (n+1)·2^level)`.
///
/// Defined for subtrees inside a tree of at most [`MAX_SIZE`] leaves.
pub fn stored_index(level: u8, n: u64) -> u64 {
    // The subtree is stored right after its last leaf and the `level − 1` smaller subtrees that
    // end at that leaf, and the last leaf comes after every hash of the tree before it.
    let last_leaf = ((n + 1) << level) - 1;
    stored_count(last_leaf) + u64::from(level)
}

/// How many hashes a tree of `size` leaves stores: 2·size − popcount(size).
///
/// Defined for sizes up to [`MAX_SIZE`].
pub fn stored_count(size: u64) -> u64 {
    2 * size - u64::from(size.count_ones())
}

fn check_size(size: u64) -> Result<(), TreeError> {
    if size > MAX_SIZE {
        return Err(TreeError::TooLarge { size });
    }
    Ok(())
}

fn check_reads(expected: usize, got: usize) -> Result<(), TreeError> {
    if expected != got {
        return Err(TreeError::WrongReadCount { expected, got });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_indexes_follow_append_order() {
        // Leaves 0,1 then node(1,0); leaf 2; leaf 3, node(1,1), node(2,0); leaf 4.
        let order = [
            (0, 0),
            (0, 1),
            (1, 0),
            (0, 2),
            (0, 3),
            (1, 1),
            (2, 0),
            (0, 4),
        ];
        for (expected, &(level, n)) in order.iter().enumerate() {
            assert_eq!(
                stored_index(level, n),
                expected as u64,
                "level {level} n {n}"
            );
        }
    }

    #[test]
    fn stored_count_matches_the_last_stored_index() {
        assert_eq!(stored_count(0), 0);
        for size in 1..200u64 {
            // The last hash stored for `size` leaves is the highest subtree ending at leaf size−1.
            let last = size - 1;
            let level = last.trailing_ones() as u8;
            assert_eq!(stored_count(size), stored_index(level, last >> level) + 1);
        }
        assert_eq!(stored_count(MAX_SIZE), 2 * MAX_SIZE - 1);
    }
}
