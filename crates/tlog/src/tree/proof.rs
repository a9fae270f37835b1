//! Tree roots, inclusion proofs and consistency proofs (RFC 6962 MTH, PATH and PROOF).
//!
//! Each answer is a list of subtree hashes `MTH(D[lo:hi])`. The recursion of RFC 6962 only ever
//! splits a range at a power of two, so every such range is a run of complete stored subtrees
//! whose right fold is the range's hash. A [`Plan`] lists those runs; the reads are their stored
//! indexes laid end to end.

use super::{check_reads, check_size, stored_index, TreeError};
use crate::hash::{empty_root, node_hash, Hash};

/// The stored indexes needed for the root of a tree of `size` leaves: one complete subtree per
/// one bit of `size`, largest (leftmost) first.
pub fn root_reads(size: u64) -> Result<Vec<u64>, TreeError> {
    check_size(size)?;
    Ok(root_plan(size).reads())
}

/// The RFC 6962 root (MTH) of a tree of `size` leaves, given the hashes at [`root_reads`]`(size)`.
///
/// The empty tree's root is [`empty_root`].
pub fn root(size: u64, reads: &[Hash]) -> Result<Hash, TreeError> {
    check_size(size)?;
    if size == 0 {
        check_reads(0, reads.len())?;
        return Ok(empty_root());
    }
    Ok(root_plan(size).hashes(reads)?[0])
}

/// The stored indexes needed for the inclusion proof of leaf `index` in a tree of `size` leaves.
pub fn inclusion_reads(index: u64, size: u64) -> Result<Vec<u64>, TreeError> {
    Ok(inclusion_plan(index, size)?.reads())
}

/// The RFC 6962 audit path `PATH(index, D[size])` of leaf `index`, nearest the leaf first (the
/// order RFC 9162 §2.1.3 uses), given the hashes at [`inclusion_reads`]`(index, size)`.
pub fn inclusion_proof(index: u64, size: u64, reads: &[Hash]) -> Result<Vec<Hash>, TreeError> {
    inclusion_plan(index, size)?.hashes(reads)
}

/// The stored indexes needed for the consistency proof between the tree of `first` leaves and
/// the tree of `second` leaves.
pub fn consistency_reads(first: u64, second: u64) -> Result<Vec<u64>, TreeError> {
    Ok(consistency_plan(first, second)?.reads())
}

/// The RFC 6962 consistency proof `PROOF(first, D[second])` (RFC 9162 §2.1.4), given the hashes at
/// [`consistency_reads`]`(first, second)`. It is empty when `first == second`.
pub fn consistency_proof(first: u64, second: u64, reads: &[Hash]) -> Result<Vec<Hash>, TreeError> {
    consistency_plan(first, second)?.hashes(reads)
}

/// The subtree hashes an answer consists of, each as the stored indexes of its complete parts.
struct Plan {
    ranges: Vec<Vec<u64>>,
}

impl Plan {
    fn reads(&self) -> Vec<u64> {
        self.ranges.concat()
    }

    fn hashes(&self, reads: &[Hash]) -> Result<Vec<Hash>, TreeError> {
        check_reads(self.ranges.iter().map(Vec::len).sum(), reads.len())?;
        let mut rest = reads;
        let mut hashes = Vec::with_capacity(self.ranges.len());
        for range in &self.ranges {
            let (parts, tail) = rest.split_at(range.len());
            hashes.push(fold(parts));
            rest = tail;
        }
        Ok(hashes)
    }
}

/// The stored indexes of the complete subtrees covering leaves `[lo, hi)`, left to right.
///
/// `lo` must be a multiple of the largest power of two not above `hi − lo`, which holds for every
/// range the RFC 6962 recursion produces.
fn range(lo: u64, hi: u64) -> Vec<u64> {
    let mut indexes = Vec::new();
    let mut start = lo;
    while start < hi {
        let level = 63 - (hi - start).leading_zeros() as u8;
        indexes.push(stored_index(level, start >> level));
        start += 1 << level;
    }
    indexes
}

/// MTH of a run of adjacent subtrees whose sizes strictly decrease: they nest to the right.
fn fold(parts: &[Hash]) -> Hash {
    let (last, rest) = parts
        .split_last()
        .expect("a range covers at least one leaf");
    rest.iter()
        .rev()
        .fold(*last, |right, left| node_hash(left, &right))
}

/// The largest power of two strictly below `n`, for `n ≥ 2`: where RFC 6962 splits a tree.
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

fn root_plan(size: u64) -> Plan {
    let ranges = if size == 0 {
        vec![]
    } else {
        vec![range(0, size)]
    };
    Plan { ranges }
}

fn inclusion_plan(index: u64, size: u64) -> Result<Plan, TreeError> {
    check_size(size)?;
    if index >= size {
        return Err(TreeError::IndexOutOfRange { index, size });
    }
    // Walk down from the root; each step's sibling joins the path, which is then read upwards.
    let (mut lo, mut hi) = (0, size);
    let mut ranges = Vec::new();
    while hi - lo > 1 {
        let mid = lo + split(hi - lo);
        if index < mid {
            ranges.push(range(mid, hi));
            hi = mid;
        } else {
            ranges.push(range(lo, mid));
            lo = mid;
        }
    }
    ranges.reverse();
    Ok(Plan { ranges })
}

fn consistency_plan(first: u64, second: u64) -> Result<Plan, TreeError> {
    check_size(second)?;
    if first == 0 || first > second {
        return Err(TreeError::BadRange { first, second });
    }
    // SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2, unrolled; `whole` is b, true while the old
    // tree is a left part of the current range, whose hash the verifier then already knows.
    let (mut lo, mut hi) = (0, second);
    let mut whole = true;
    let mut ranges = Vec::new();
    while first - lo != hi - lo {
        let mid = lo + split(hi - lo);
        if first <= mid {
            ranges.push(range(mid, hi));
            hi = mid;
        } else {
            ranges.push(range(lo, mid));
            lo = mid;
            whole = false;
        }
    }
    if !whole {
        ranges.push(range(lo, hi));
    }
    ranges.reverse();
    Ok(Plan { ranges })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_the_largest_power_of_two_below() {
        let cases = [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (70, 64)];
        for (n, k) in cases {
            assert_eq!(split(n), k, "n = {n}");
        }
    }

    #[test]
    fn reads_stay_logarithmic() {
        let size = (1u64 << 40) - 1;
        assert_eq!(root_reads(size).unwrap().len(), 40);
        assert!(inclusion_reads(12345, size).unwrap().len() <= 2 * 40);
        assert!(consistency_reads(777, size).unwrap().len() <= 2 * 40);
    }

    #[test]
    fn bad_requests_are_errors() {
        assert_eq!(
            inclusion_reads(5, 5).unwrap_err(),
            TreeError::IndexOutOfRange { index: 5, size: 5 }
        );
        assert_eq!(
            consistency_reads(0, 5).unwrap_err(),
            TreeError::BadRange {
                first: 0,
                second: 5
            }
        );
        assert_eq!(
            consistency_reads(6, 5).unwrap_err(),
            TreeError::BadRange {
                first: 6,
                second: 5
            }
        );
        assert_eq!(consistency_reads(5, 5), Ok(vec![]));
        assert_eq!(
            root(0, &[empty_root()]),
            Err(TreeError::WrongReadCount {
                expected: 0,
                got: 1
            })
        );
        assert!(matches!(
            root_reads(u64::MAX),
            Err(TreeError::TooLarge { .. })
        ));
    }
}
