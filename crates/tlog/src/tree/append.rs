//! Appending leaves: which stored hashes are needed, and which new ones to store.

use super::{check_reads, check_size, stored_count, stored_index, TreeError};
use crate::hash::{node_hash, Hash};

/// The stored indexes to read before appending the leaf with index `size` to a tree of `size`
/// leaves: the left siblings of the subtrees that the new leaf completes, lowest level first.
///
/// There are as many as the trailing one bits of `size`, so at most log₂ size.
pub fn append_reads(size: u64) -> Result<Vec<u64>, TreeError> {
    check_size(size + 1)?;
    Ok(append_indexes(size))
}

/// The hashes to store when appending the leaf hash `leaf` to a tree of `size` leaves, given the
/// hashes at [`append_reads`]`(size)`.
///
/// Store them at the stored indexes `stored_count(size)..stored_count(size + 1)`, in order: the
/// leaf hash first, then each subtree it completes, from the lowest level up.
pub fn append(size: u64, leaf: Hash, reads: &[Hash]) -> Result<Vec<Hash>, TreeError> {
    check_size(size + 1)?;
    check_reads(append_count(size), reads.len())?;
    Ok(append_hashes(leaf, reads))
}

/// The stored indexes to read before appending `count` leaves to a tree of `size` leaves at once,
/// sorted and without repeats.
///
/// Only hashes that already exist are listed: a batch also needs hashes that its own earlier
/// leaves create, and [`append_batch`] takes those from its own output. The list holds at most
/// one subtree per one bit of `size`, so it stays O(log size) however long the batch is.
pub fn append_batch_reads(size: u64, count: u64) -> Result<Vec<u64>, TreeError> {
    check_size(size.saturating_add(count))?;
    Ok(batch_indexes(size, count))
}

/// The hashes to store when appending the leaf hashes `leaves` to a tree of `size` leaves, given
/// the hashes at [`append_batch_reads`]`(size, leaves.len())`.
///
/// Store them at the stored indexes `stored_count(size)..stored_count(size + leaves.len())`, in
/// order. The result is exactly what appending the leaves one at a time would store.
///
/// A caller that would rather drive [`append_reads`] and [`append`] leaf by leaf can do the same
/// overlay itself: an index below `stored_count(size)` is in storage, and index `i` at or above
/// it is element `i − stored_count(size)` of the hashes computed so far in the batch.
pub fn append_batch(size: u64, leaves: &[Hash], reads: &[Hash]) -> Result<Vec<Hash>, TreeError> {
    let count = leaves.len() as u64;
    check_size(size.saturating_add(count))?;
    let wanted = batch_indexes(size, count);
    check_reads(wanted.len(), reads.len())?;
    let old = stored_count(size);
    let mut new: Vec<Hash> = Vec::with_capacity((stored_count(size + count) - old) as usize);
    for (offset, leaf) in (0..count).zip(leaves) {
        let siblings: Vec<Hash> = append_indexes(size + offset)
            .into_iter()
            .map(|index| match index.checked_sub(old) {
                Some(fresh) => new[fresh as usize],
                None => {
                    let position = wanted
                        .binary_search(&index)
                        .expect("batch_indexes lists every stored index the batch reads");
                    reads[position]
                }
            })
            .collect();
        new.extend(append_hashes(*leaf, &siblings));
    }
    Ok(new)
}

/// How many subtrees the leaf with index `size` completes above itself.
fn append_count(size: u64) -> usize {
    size.trailing_ones() as usize
}

pub(super) fn append_indexes(size: u64) -> Vec<u64> {
    // The subtree at `level` that ends at leaf `size` is completed by this leaf; its left child
    // is the subtree just before it on `level − 1`, which is already stored.
    (0..append_count(size) as u8)
        .map(|level| stored_index(level, (size >> level) - 1))
        .collect()
}

pub(super) fn append_hashes(leaf: Hash, reads: &[Hash]) -> Vec<Hash> {
    let mut hashes = Vec::with_capacity(reads.len() + 1);
    let mut current = leaf;
    hashes.push(current);
    for left in reads {
        current = node_hash(left, &current);
        hashes.push(current);
    }
    hashes
}

fn batch_indexes(size: u64, count: u64) -> Vec<u64> {
    let old = stored_count(size);
    let mut indexes: Vec<u64> = (size..size + count)
        .flat_map(append_indexes)
        .filter(|&index| index < old)
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    indexes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::MAX_SIZE;

    #[test]
    fn append_reads_are_the_left_siblings() {
        assert_eq!(append_reads(0), Ok(vec![]));
        assert_eq!(append_reads(1), Ok(vec![0]));
        assert_eq!(append_reads(2), Ok(vec![]));
        // Leaf 3 completes node(1,1) (needs leaf 2) and node(2,0) (needs node(1,0)).
        assert_eq!(append_reads(3), Ok(vec![3, 2]));
        assert_eq!(
            append_reads(MAX_SIZE),
            Err(TreeError::TooLarge { size: MAX_SIZE + 1 })
        );
    }

    #[test]
    fn append_checks_the_number_of_reads() {
        let leaf = leaf_hash(b"x");
        assert_eq!(
            append(3, leaf, &[leaf]),
            Err(TreeError::WrongReadCount {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(append(0, leaf, &[]), Ok(vec![leaf]));
    }

    #[test]
    fn batch_reads_stay_logarithmic() {
        // Appending 1000 leaves to 1000 needs only the subtrees of 1000's binary decomposition.
        let reads = append_batch_reads(1000, 1000).unwrap();
        assert_eq!(reads.len(), 1000u64.count_ones() as usize);
        assert_eq!(append_batch_reads(0, 50), Ok(vec![]));
    }
}
