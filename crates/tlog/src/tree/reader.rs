//! Both phases joined for synchronous storage, and an in-memory log.

use super::{append, proof, TreeError};
use crate::hash::{leaf_hash, Hash};

/// Synchronous access to stored hashes by stored index.
pub trait HashReader {
    /// Why a read failed.
    type Error;

    /// The hashes at `indexes`, in the same order.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, Self::Error>;
}

/// A failure of a tree operation over a [`HashReader`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError<E> {
    /// The request itself is invalid, or the reader returned the wrong number of hashes.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// The reader failed.
    #[error("reading stored hashes failed: {0}")]
    Read(E),
}

/// The root of the tree of `size` leaves held by `reader`.
pub fn tree_root<R: HashReader>(reader: &R, size: u64) -> Result<Hash, ReadError<R::Error>> {
    let hashes = read(reader, &proof::root_reads(size)?)?;
    Ok(proof::root(size, &hashes)?)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves held by `reader`.
pub fn prove_inclusion<R: HashReader>(
    reader: &R,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ReadError<R::Error>> {
    let hashes = read(reader, &proof::inclusion_reads(index, size)?)?;
    Ok(proof::inclusion_proof(index, size, &hashes)?)
}

/// The consistency proof between the trees of `first` and `second` leaves held by `reader`.
pub fn prove_consistency<R: HashReader>(
    reader: &R,
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, ReadError<R::Error>> {
    let hashes = read(reader, &proof::consistency_reads(first, second)?)?;
    Ok(proof::consistency_proof(first, second, &hashes)?)
}

fn read<R: HashReader>(reader: &R, indexes: &[u64]) -> Result<Vec<Hash>, ReadError<R::Error>> {
    reader.read_hashes(indexes).map_err(ReadError::Read)
}

/// A stored index that a [`MemoryLog`] does not hold, because its tree is smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored hash {0} does not exist yet")]
pub struct MissingHash(pub u64);

/// A log whose stored hashes live in a `Vec`, for tests, benchmarks and small tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryLog {
    size: u64,
    hashes: Vec<Hash>,
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> MemoryLog {
        MemoryLog::default()
    }

    /// How many leaves the log holds.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Every stored hash, in stored-index order.
    pub fn stored_hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a leaf with the bytes `data` and returns its index.
    pub fn append(&mut self, data: &[u8]) -> u64 {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// Appends a leaf by its leaf hash and returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> u64 {
        let index = self.size;
        let siblings: Vec<Hash> = append::append_indexes(index)
            .into_iter()
            .map(|stored| self.hashes[stored as usize])
            .collect();
        self.hashes.extend(append::append_hashes(leaf, &siblings));
        self.size += 1;
        index
    }

    /// The root of the whole log.
    pub fn root(&self) -> Hash {
        tree_root(self, self.size).expect("a log holds every hash of its own tree")
    }
}

impl HashReader for MemoryLog {
    type Error = MissingHash;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, MissingHash> {
        indexes
            .iter()
            .map(|&index| {
                usize::try_from(index)
                    .ok()
                    .and_then(|i| self.hashes.get(i))
                    .copied()
                    .ok_or(MissingHash(index))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_past_the_log_is_an_error() {
        let mut log = MemoryLog::new();
        log.append(b"a");
        log.append(b"b");
        assert_eq!(log.stored_hashes().len(), 3);
        assert!(matches!(
            prove_inclusion(&log, 2, 4),
            Err(ReadError::Read(MissingHash(_)))
        ));
        assert!(matches!(
            prove_inclusion(&log, 2, 2),
            Err(ReadError::Tree(TreeError::IndexOutOfRange {
                index: 2,
                size: 2
            }))
        ));
        assert_eq!(
            prove_consistency(&log, 1, 2).unwrap(),
            vec![leaf_hash(b"b")]
        );
    }
}
