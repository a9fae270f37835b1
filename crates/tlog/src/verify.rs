//! Checking inclusion and consistency proofs, as a client of the log does (验证).
//!
//! These follow the bit-walking algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 step by step and
//! share no code with the [`tree`](crate::tree) module, so the tests of one check the other.
//! A proof of the wrong length fails the walk itself; the expected length in the error is
//! computed separately, only to make the message useful.

use crate::hash::{node_hash, Hash};

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index claimed.
        index: u64,
        /// The tree size claimed.
        size: u64,
    },
    /// The tree sizes of a consistency proof do not satisfy 0 < first ≤ second.
    #[error(
        "a consistency proof needs 0 < first <= second, got first {first} and second {second}"
    )]
    BadSizes {
        /// The size of the older tree.
        first: u64,
        /// The size of the newer tree.
        second: u64,
    },
    /// The proof has the wrong number of hashes for the claimed index and sizes.
    #[error("the proof has {got} hashes but these tree sizes need {expected}")]
    WrongLength {
        /// How many hashes the sizes call for.
        expected: usize,
        /// How many the proof has.
        got: usize,
    },
    /// The inclusion proof leads to a different root.
    #[error("the inclusion proof does not lead to the expected root")]
    RootMismatch,
    /// The consistency proof does not reproduce the older root.
    #[error("the consistency proof does not reproduce the root of the older tree")]
    FirstRootMismatch,
    /// The consistency proof does not reproduce the newer root.
    #[error("the consistency proof does not reproduce the root of the newer tree")]
    SecondRootMismatch,
}

/// Checks that `proof` shows the leaf with leaf hash `leaf` at `index` in the tree of `size`
/// leaves whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(inclusion_wrong_length(index, size, proof));
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(inclusion_wrong_length(index, size, proof));
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that `proof` shows the tree of `first` leaves with root `first_root` to be a prefix of
/// the tree of `second` leaves with root `second_root` (RFC 9162 §2.1.4.2).
///
/// When `first == second` the proof must be empty and the roots equal.
pub fn verify_consistency(
    first: u64,
    second: u64,
    proof: &[Hash],
    first_root: &Hash,
    second_root: &Hash,
) -> Result<(), ProofError> {
    if first == 0 || first > second {
        return Err(ProofError::BadSizes { first, second });
    }
    let wrong_length = || ProofError::WrongLength {
        expected: consistency_length(first, second),
        got: proof.len(),
    };
    if first == second {
        if !proof.is_empty() {
            return Err(wrong_length());
        }
        if first_root != second_root {
            return Err(ProofError::SecondRootMismatch);
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(wrong_length());
    }
    // A first tree of 2^k leaves is itself a subtree of the second, so its root starts the walk.
    let mut path = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return Err(wrong_length());
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(wrong_length());
    }
    if fr != *first_root {
        return Err(ProofError::FirstRootMismatch);
    }
    if sr != *second_root {
        return Err(ProofError::SecondRootMismatch);
    }
    Ok(())
}

/// The audit path length for leaf `index` of `size`: the levels below the point where the paths
/// to `index` and to the last leaf part, plus one left sibling per one bit of `index` above it.
fn inclusion_length(index: u64, size: u64) -> usize {
    let below = 64 - (index ^ (size - 1)).leading_zeros();
    let above = index.checked_shr(below).unwrap_or(0);
    (below + above.count_ones()) as usize
}

/// The consistency proof length: the audit path of the first tree's last leaf, less the levels
/// inside the largest complete subtree ending there (whose hash stands in for them), plus that
/// subtree's hash unless the first tree is that subtree.
fn consistency_length(first: u64, second: u64) -> usize {
    if first == second {
        return 0;
    }
    let shared = first.trailing_zeros() as usize;
    let seed = usize::from(!first.is_power_of_two());
    inclusion_length(first - 1, second) - shared + seed
}

fn inclusion_wrong_length(index: u64, size: u64, proof: &[Hash]) -> ProofError {
    ProofError::WrongLength {
        expected: inclusion_length(index, size),
        got: proof.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_match_rfc_6962_examples() {
        // RFC 6962 §2.1.3: the seven-leaf tree of the RFC's figures.
        assert_eq!(inclusion_length(0, 7), 3);
        assert_eq!(inclusion_length(3, 7), 3);
        assert_eq!(inclusion_length(4, 7), 3);
        assert_eq!(inclusion_length(6, 7), 2);
        assert_eq!(consistency_length(3, 7), 4);
        assert_eq!(consistency_length(4, 7), 1);
        assert_eq!(consistency_length(6, 7), 3);
        assert_eq!(consistency_length(7, 7), 0);
        // Sizes beyond 2^63 must not overflow the shifts.
        assert_eq!(inclusion_length(0, u64::MAX), 64);
        assert_eq!(inclusion_length(u64::MAX - 1, u64::MAX), 63);
    }

    #[test]
    fn single_leaf_tree_needs_no_proof() {
        let leaf = Hash([7; 32]);
        assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &leaf), Ok(()));
        assert_eq!(
            verify_inclusion(&leaf, 0, 1, &[leaf], &leaf),
            Err(ProofError::WrongLength {
                expected: 0,
                got: 1
            })
        );
        assert_eq!(verify_consistency(1, 1, &[], &leaf, &leaf), Ok(()));
        assert_eq!(
            verify_consistency(1, 1, &[], &leaf, &Hash([8; 32])),
            Err(ProofError::SecondRootMismatch)
        );
    }
}
