//! Property tests: the two-phase tree against a naive recursive RFC 6962 written from the RFC's
//! definitions, and batched appends against one-by-one appends.

use proptest::prelude::*;
use tlog::tree::{self, HashReader, MemoryLog, TreeBuilder};
use tlog::{empty_root, leaf_hash, node_hash, verify_consistency, verify_inclusion, Hash};

/// The largest power of two strictly below `n` (RFC 6962 §2.1: k < n ≤ 2k).
fn k(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) of RFC 6962 §2.1, over leaf hashes.
fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => d[0],
        n => node_hash(&mth(&d[..k(n)]), &mth(&d[k(n)..])),
    }
}

/// PATH(m, D[n]) of RFC 6962 §2.1.1.
fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = k(n);
    if m < k {
        [path(m, &d[..k]), vec![mth(&d[k..])]].concat()
    } else {
        [path(m - k, &d[k..]), vec![mth(&d[..k])]].concat()
    }
}

/// PROOF(m, D[n]) of RFC 6962 §2.1.2.
fn proof(m: usize, d: &[Hash]) -> Vec<Hash> {
    subproof(m, d, true)
}

fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = k(n);
    if m <= k {
        [subproof(m, &d[..k], b), vec![mth(&d[k..])]].concat()
    } else {
        [subproof(m - k, &d[k..], false), vec![mth(&d[..k])]].concat()
    }
}

fn leaves(seed: u64, count: u64) -> Vec<Hash> {
    (0..count)
        .map(|i| leaf_hash(format!("{seed}/{i}").as_bytes()))
        .collect()
}

fn log_of(leaves: &[Hash]) -> MemoryLog {
    let mut log = MemoryLog::new();
    for leaf in leaves {
        log.append_leaf_hash(*leaf);
    }
    log
}

/// log₂ bound on the number of stored hashes one operation may read.
fn max_reads(size: u64) -> usize {
    2 * (64 - size.leading_zeros() as usize) + 1
}

/// A tree size, a leaf index in it, and two sizes 0 < first ≤ second ≤ size.
fn case() -> impl Strategy<Value = (u64, u64, u64, u64, u64)> {
    (1..=300u64, any::<u64>()).prop_flat_map(|(size, seed)| {
        (Just(size), Just(seed), 0..size, 1..=size).prop_flat_map(|(size, seed, index, second)| {
            (
                Just(size),
                Just(seed),
                Just(index),
                1..=second,
                Just(second),
            )
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn proofs_match_the_naive_tree_and_verify((size, seed, index, first, second) in case()) {
        let d = leaves(seed, size);
        let log = log_of(&d);
        prop_assert_eq!(log.root(), mth(&d));

        let reads = tree::root_reads(size).unwrap();
        prop_assert!(reads.len() <= max_reads(size));
        let hashes = log.read_hashes(&reads).unwrap();
        prop_assert_eq!(tree::root(size, &hashes).unwrap(), mth(&d));

        let reads = tree::inclusion_reads(index, size).unwrap();
        prop_assert!(reads.len() <= max_reads(size));
        let hashes = log.read_hashes(&reads).unwrap();
        let inclusion = tree::inclusion_proof(index, size, &hashes).unwrap();
        prop_assert_eq!(&inclusion, &path(index as usize, &d));
        prop_assert_eq!(verify_inclusion(&d[index as usize], index, size, &inclusion, &mth(&d)), Ok(()));

        let reads = tree::consistency_reads(first, second).unwrap();
        prop_assert!(reads.len() <= max_reads(second));
        let hashes = log.read_hashes(&reads).unwrap();
        let consistency = tree::consistency_proof(first, second, &hashes).unwrap();
        let (old, new) = (&d[..first as usize], &d[..second as usize]);
        prop_assert_eq!(&consistency, &proof(first as usize, new));
        prop_assert_eq!(verify_consistency(first, second, &consistency, &mth(old), &mth(new)), Ok(()));
    }

    #[test]
    fn builder_matches_the_naive_root(size in 0..300u64, seed in any::<u64>()) {
        let d = leaves(seed, size);
        let mut builder = TreeBuilder::new();
        for leaf in &d {
            builder.push(*leaf);
        }
        prop_assert_eq!(builder.size(), size);
        prop_assert_eq!(builder.root(), mth(&d));
    }

    #[test]
    fn batched_appends_store_what_single_appends_store(
        start in 0..300u64,
        batches in prop::collection::vec(0..40u64, 1..6),
        seed in any::<u64>(),
    ) {
        let total: u64 = start + batches.iter().sum::<u64>();
        let d = leaves(seed, total);
        let expected = log_of(&d);

        // The whole batch at once, through append_batch_reads / append_batch.
        let mut batched = log_of(&d[..start as usize]).stored_hashes().to_vec();
        // The same by hand, leaf by leaf, overlaying the hashes made earlier in the batch.
        let mut overlaid = batched.clone();
        let mut size = start;
        for count in batches {
            let new_leaves = &d[size as usize..(size + count) as usize];
            let reads = tree::append_batch_reads(size, count).unwrap();
            prop_assert!(reads.len() <= max_reads(size));
            let read: Vec<Hash> = reads.iter().map(|&i| batched[i as usize]).collect();
            let stored = tree::append_batch(size, new_leaves, &read).unwrap();
            prop_assert_eq!(stored.len() as u64, tree::stored_count(size + count) - tree::stored_count(size));
            batched.extend(stored);

            let old = tree::stored_count(size);
            let mut fresh: Vec<Hash> = Vec::new();
            for (offset, leaf) in new_leaves.iter().enumerate() {
                let leaf_size = size + offset as u64;
                let read: Vec<Hash> = tree::append_reads(leaf_size)
                    .unwrap()
                    .iter()
                    .map(|&i| if i < old { overlaid[i as usize] } else { fresh[(i - old) as usize] })
                    .collect();
                fresh.extend(tree::append(leaf_size, *leaf, &read).unwrap());
            }
            overlaid.extend(fresh);
            size += count;
        }
        prop_assert_eq!(&batched, &expected.stored_hashes().to_vec());
        prop_assert_eq!(&overlaid, &expected.stored_hashes().to_vec());
    }
}
