//! The shared RFC 6962 test vectors: the tree must reproduce them exactly, the verifier must
//! accept them and reject every altered one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use tlog::tree::{self, MemoryLog, TreeBuilder};
use tlog::{leaf_hash, verify_consistency, verify_inclusion, Hash, ProofError};

#[derive(Deserialize)]
struct Vectors {
    leaves_hex: Vec<String>,
    roots: BTreeMap<u64, Hash>,
    inclusion: Vec<Inclusion>,
    consistency: Vec<Consistency>,
}

#[derive(Deserialize)]
struct Inclusion {
    index: u64,
    tree_size: u64,
    path: Vec<Hash>,
}

#[derive(Deserialize)]
struct Consistency {
    first: u64,
    second: u64,
    proof: Vec<Hash>,
}

struct Fixture {
    vectors: Vectors,
    leaves: Vec<Vec<u8>>,
    log: MemoryLog,
}

impl Fixture {
    fn load() -> Fixture {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/rfc6962-vectors.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let vectors: Vectors = serde_json::from_str(&text).expect("the vectors parse");
        let leaves: Vec<Vec<u8>> = vectors
            .leaves_hex
            .iter()
            .map(|h| hex::decode(h).expect("leaf hex"))
            .collect();
        let mut log = MemoryLog::new();
        for leaf in &leaves {
            log.append(leaf);
        }
        assert_eq!(leaves.len(), 70);
        assert_eq!(vectors.roots.len(), 71);
        assert!(!vectors.inclusion.is_empty() && !vectors.consistency.is_empty());
        Fixture {
            vectors,
            leaves,
            log,
        }
    }

    fn root(&self, size: u64) -> Hash {
        self.vectors.roots[&size]
    }

    fn leaf(&self, index: u64) -> Hash {
        leaf_hash(&self.leaves[index as usize])
    }
}

fn flip(hash: &Hash, bit: usize) -> Hash {
    let mut bytes = hash.0;
    bytes[(bit / 8) % 32] ^= 1 << (bit % 8);
    Hash(bytes)
}

#[test]
fn roots_match_for_every_size() {
    let f = Fixture::load();
    let mut log = MemoryLog::new();
    let mut builder = TreeBuilder::new();
    assert_eq!(log.root(), f.root(0));
    assert_eq!(builder.root(), f.root(0));
    for (i, leaf) in f.leaves.iter().enumerate() {
        log.append(leaf);
        builder.push(leaf_hash(leaf));
        let size = i as u64 + 1;
        assert_eq!(log.root(), f.root(size), "log root of size {size}");
        assert_eq!(builder.root(), f.root(size), "builder root of size {size}");
        // The full log answers for every earlier size too.
        assert_eq!(tree::tree_root(&f.log, size).unwrap(), f.root(size));
    }
}

#[test]
fn inclusion_proofs_equal_the_vectors_and_verify() {
    let f = Fixture::load();
    for v in &f.vectors.inclusion {
        let proof = tree::prove_inclusion(&f.log, v.index, v.tree_size).unwrap();
        assert_eq!(proof, v.path, "proof of {} in {}", v.index, v.tree_size);
        let root = f.root(v.tree_size);
        verify_inclusion(&f.leaf(v.index), v.index, v.tree_size, &v.path, &root)
            .unwrap_or_else(|e| panic!("vector {} in {}: {e}", v.index, v.tree_size));
    }
}

#[test]
fn altered_inclusion_vectors_are_rejected() {
    let f = Fixture::load();
    for v in &f.vectors.inclusion {
        let (leaf, index, size, root) =
            (f.leaf(v.index), v.index, v.tree_size, f.root(v.tree_size));
        let rejects =
            |leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash, what: &str| {
                let result = verify_inclusion(leaf, index, size, proof, root);
                assert!(
                    result.is_err(),
                    "{what} accepted for vector {index} in {size}"
                );
            };
        for position in 0..v.path.len() {
            let mut proof = v.path.clone();
            proof[position] = flip(&proof[position], position * 37 + 5);
            let result = verify_inclusion(&leaf, index, size, &proof, &root);
            assert_eq!(result, Err(ProofError::RootMismatch));
        }
        rejects(&flip(&leaf, 3), index, size, &v.path, &root, "flipped leaf");
        rejects(
            &leaf,
            index,
            size,
            &v.path,
            &flip(&root, 250),
            "flipped root",
        );
        for wrong in [index ^ 1, index + 1, index.wrapping_sub(1), size] {
            if wrong != index {
                rejects(&leaf, wrong, size, &v.path, &root, "wrong index");
            }
        }
        // A wrong size comes with that size's own root, as a lying log would present it.
        for wrong in [size - 1, size + 1] {
            if wrong > index && wrong <= 70 {
                rejects(&leaf, index, wrong, &v.path, &f.root(wrong), "wrong size");
            }
        }
        let wrong_length = |proof: &[Hash]| {
            let result = verify_inclusion(&leaf, index, size, proof, &root);
            let expected = v.path.len();
            let got = proof.len();
            assert_eq!(
                result,
                Err(ProofError::WrongLength { expected, got }),
                "{index} in {size}"
            );
        };
        if let Some((_, shorter)) = v.path.split_last() {
            wrong_length(shorter);
        }
        wrong_length(&[v.path.clone(), vec![leaf]].concat());
    }
}

#[test]
fn consistency_proofs_equal_the_vectors_and_verify() {
    let f = Fixture::load();
    for v in &f.vectors.consistency {
        let proof = tree::prove_consistency(&f.log, v.first, v.second).unwrap();
        assert_eq!(proof, v.proof, "proof from {} to {}", v.first, v.second);
        verify_consistency(
            v.first,
            v.second,
            &v.proof,
            &f.root(v.first),
            &f.root(v.second),
        )
        .unwrap_or_else(|e| panic!("vector {} to {}: {e}", v.first, v.second));
    }
}

#[test]
fn altered_consistency_vectors_are_rejected() {
    let f = Fixture::load();
    for v in &f.vectors.consistency {
        let (first, second) = (v.first, v.second);
        let rejects = |first: u64, second: u64, proof: &[Hash], what: &str| {
            let (r1, r2) = (f.root(first.min(70)), f.root(second.min(70)));
            let result = verify_consistency(first, second, proof, &r1, &r2);
            assert!(
                result.is_err(),
                "{what} accepted for vector {} to {}",
                v.first,
                v.second
            );
        };
        for position in 0..v.proof.len() {
            let mut proof = v.proof.clone();
            proof[position] = flip(&proof[position], position * 53 + 1);
            rejects(first, second, &proof, "flipped proof hash");
        }
        let (r1, r2) = (f.root(first), f.root(second));
        let flipped_first = verify_consistency(first, second, &v.proof, &flip(&r1, 9), &r2);
        assert!(flipped_first.is_err(), "flipped first root accepted");
        let flipped_second = verify_consistency(first, second, &v.proof, &r1, &flip(&r2, 9));
        assert!(flipped_second.is_err(), "flipped second root accepted");
        for wrong in [first - 1, first + 1] {
            if wrong != 0 && wrong <= 70 {
                rejects(wrong, second, &v.proof, "wrong first size");
            }
        }
        for wrong in [second - 1, second + 1] {
            if wrong <= 70 {
                rejects(first, wrong, &v.proof, "wrong second size");
            }
        }
        let wrong_length = |proof: &[Hash]| {
            let result = verify_consistency(first, second, proof, &r1, &r2);
            let (expected, got) = (v.proof.len(), proof.len());
            assert_eq!(
                result,
                Err(ProofError::WrongLength { expected, got }),
                "{first} to {second}"
            );
        };
        if let Some((_, shorter)) = v.proof.split_last() {
            wrong_length(shorter);
        }
        wrong_length(&[v.proof.clone(), vec![r1]].concat());
    }
}

#[test]
fn two_phase_reads_are_what_the_reader_is_asked_for() {
    let f = Fixture::load();
    // Handing the compute phase hashes that are not the listed ones gives a different answer,
    // so the reads really are what the proof depends on.
    let indexes = tree::inclusion_reads(35, 70).unwrap();
    let mut hashes: Vec<Hash> = indexes
        .iter()
        .map(|&i| f.log.stored_hashes()[i as usize])
        .collect();
    let proof = tree::inclusion_proof(35, 70, &hashes).unwrap();
    assert_eq!(
        verify_inclusion(&f.leaf(35), 35, 70, &proof, &f.root(70)),
        Ok(())
    );
    hashes[0] = flip(&hashes[0], 0);
    let proof = tree::inclusion_proof(35, 70, &hashes).unwrap();
    assert!(verify_inclusion(&f.leaf(35), 35, 70, &proof, &f.root(70)).is_err());
    hashes.pop();
    assert!(matches!(
        tree::inclusion_proof(35, 70, &hashes),
        Err(tlog::TreeError::WrongReadCount { .. })
    ));
}
