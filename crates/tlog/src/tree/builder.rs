//! An incremental root for verifiers that download every entry of a log.

use crate::hash::{empty_root, node_hash, Hash};

/// Computes the root of a sequence of leaf hashes as they arrive, in O(log n) memory.
///
/// It keeps only the complete subtrees along the right edge of the tree: one per one bit of the
/// size, largest first, exactly the subtrees a tree root folds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeBuilder {
    size: u64,
    /// (level, hash) of the right-edge subtrees, levels strictly decreasing.
    edge: Vec<(u32, Hash)>,
}

impl TreeBuilder {
    /// A builder for the empty tree.
    pub fn new() -> TreeBuilder {
        TreeBuilder::default()
    }

    /// Adds the next leaf, by its leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let (mut level, mut hash) = (0, leaf);
        // Two subtrees of the same level merge, like a carry in binary addition.
        while let Some(&(top, left)) = self.edge.last() {
            if top != level {
                break;
            }
            self.edge.pop();
            hash = node_hash(&left, &hash);
            level += 1;
        }
        self.edge.push((level, hash));
        self.size += 1;
    }

    /// How many leaves have been pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 6962 root of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.edge.iter().rev().map(|&(_, hash)| hash);
        match subtrees.next() {
            None => empty_root(),
            Some(last) => subtrees.fold(last, |right, left| node_hash(&left, &right)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn memory_stays_logarithmic() {
        let mut builder = TreeBuilder::new();
        assert_eq!(builder.root(), empty_root());
        for i in 0..1000u32 {
            builder.push(leaf_hash(&i.to_be_bytes()));
        }
        assert_eq!(builder.size(), 1000);
        assert_eq!(builder.edge.len(), 1000u32.count_ones() as usize);
    }
}
