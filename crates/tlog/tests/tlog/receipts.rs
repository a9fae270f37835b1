//! Receipts: a genuine one verifies, and every alteration fails with its own error.

use tlog::note::{self, NoteError, Signer};
use tlog::tree::{self, MemoryLog};
use tlog::{Checkpoint, CheckpointError, Hash, ProofError, Receipt, ReceiptError};

const ORIGIN: &str = "gongshu.example/audit";

struct Setup {
    signer: Signer,
    log: MemoryLog,
    entries: Vec<String>,
}

impl Setup {
    fn new() -> Setup {
        let signer = Signer::generate(ORIGIN).unwrap();
        let entries: Vec<String> = (0..13)
            .map(|i| format!("{{\"event\":\"download\",\"n\":{i}}}"))
            .collect();
        let mut log = MemoryLog::new();
        for entry in &entries {
            log.append(entry.as_bytes());
        }
        Setup {
            signer,
            log,
            entries,
        }
    }

    fn signed_checkpoint(&self, checkpoint: &Checkpoint) -> String {
        note::sign(&checkpoint.to_text(), &self.signer).unwrap()
    }

    fn receipt(&self, index: u64) -> Receipt {
        let size = self.log.size();
        let checkpoint = Checkpoint::new(ORIGIN, size, self.log.root());
        Receipt {
            origin: ORIGIN.into(),
            index,
            leaf: self.entries[index as usize].clone(),
            tree_size: size,
            proof: tree::prove_inclusion(&self.log, index, size).unwrap(),
            checkpoint: self.signed_checkpoint(&checkpoint),
        }
    }
}

fn check(receipt: &Receipt, setup: &Setup, expected: ReceiptError) {
    assert_eq!(receipt.verify(&setup.signer.verifier()), Err(expected));
}

#[test]
fn genuine_receipts_verify_and_survive_json() {
    let setup = Setup::new();
    for index in 0..setup.log.size() {
        let receipt = setup.receipt(index);
        let checkpoint = receipt.verify(&setup.signer.verifier()).unwrap();
        assert_eq!(checkpoint.size, 13);
        assert_eq!(checkpoint.root, setup.log.root());

        let json = serde_json::to_value(&receipt).unwrap();
        let first_hash = json["proof"][0].as_str().unwrap();
        assert_eq!(first_hash, receipt.proof[0].to_hex());
        assert_eq!(first_hash.len(), 64);
        let back: Receipt = serde_json::from_value(json).unwrap();
        assert_eq!(back, receipt);
    }
}

#[test]
fn altered_receipts_fail_with_what_is_wrong() {
    let setup = Setup::new();
    let genuine = setup.receipt(5);

    let mut receipt = genuine.clone();
    receipt.leaf.push(' ');
    check(
        &receipt,
        &setup,
        ReceiptError::Proof(ProofError::RootMismatch),
    );

    let mut receipt = genuine.clone();
    receipt.index = 4;
    check(
        &receipt,
        &setup,
        ReceiptError::Proof(ProofError::RootMismatch),
    );

    let mut receipt = genuine.clone();
    receipt.index = 13;
    check(
        &receipt,
        &setup,
        ReceiptError::IndexOutOfRange {
            index: 13,
            size: 13,
        },
    );

    let mut receipt = genuine.clone();
    receipt.tree_size = 12;
    check(
        &receipt,
        &setup,
        ReceiptError::WrongSize {
            receipt: 12,
            checkpoint: 13,
        },
    );

    let mut receipt = genuine.clone();
    receipt.proof[1].0[0] ^= 0x80;
    check(
        &receipt,
        &setup,
        ReceiptError::Proof(ProofError::RootMismatch),
    );

    let mut receipt = genuine.clone();
    receipt.proof.pop();
    check(
        &receipt,
        &setup,
        ReceiptError::Proof(ProofError::WrongLength {
            expected: 4,
            got: 3,
        }),
    );

    let mut receipt = genuine.clone();
    receipt.origin = "other.example/audit".into();
    check(
        &receipt,
        &setup,
        ReceiptError::WrongKey {
            receipt: "other.example/audit".into(),
            key: ORIGIN.into(),
        },
    );
}

#[test]
fn altered_checkpoints_fail_with_what_is_wrong() {
    let setup = Setup::new();
    let genuine = setup.receipt(5);

    // The signed root changed after signing.
    let mut receipt = genuine.clone();
    let root = setup.log.root().to_base64();
    let forged_root = Hash([0; 32]).to_base64();
    receipt.checkpoint = receipt.checkpoint.replace(&root, &forged_root);
    let bad = NoteError::BadSignature {
        name: ORIGIN.into(),
    };
    check(&receipt, &setup, ReceiptError::Signature(bad));

    // Another key of the same name: the signature is by a key the client does not trust.
    let impostor = Signer::generate(ORIGIN).unwrap();
    assert_eq!(
        genuine.verify(&impostor.verifier()),
        Err(ReceiptError::Signature(NoteError::UnknownKey))
    );

    // A validly signed checkpoint of another log.
    let mut receipt = genuine.clone();
    let other = Checkpoint::new("other.example/audit", 13, setup.log.root());
    receipt.checkpoint = setup.signed_checkpoint(&other);
    check(
        &receipt,
        &setup,
        ReceiptError::WrongOrigin {
            receipt: ORIGIN.into(),
            checkpoint: "other.example/audit".into(),
        },
    );

    // A validly signed checkpoint of a smaller tree, with the receipt claiming that size.
    let mut receipt = genuine.clone();
    let smaller = Checkpoint::new(ORIGIN, 12, tree::tree_root(&setup.log, 12).unwrap());
    receipt.checkpoint = setup.signed_checkpoint(&smaller);
    check(
        &receipt,
        &setup,
        ReceiptError::WrongSize {
            receipt: 13,
            checkpoint: 12,
        },
    );
    receipt.tree_size = 12;
    check(
        &receipt,
        &setup,
        ReceiptError::Proof(ProofError::RootMismatch),
    );

    // A validly signed text that is not a checkpoint.
    let mut receipt = genuine.clone();
    receipt.checkpoint = note::sign(&format!("{ORIGIN}\n13\n"), &setup.signer).unwrap();
    check(
        &receipt,
        &setup,
        ReceiptError::Checkpoint(CheckpointError::TooFewLines(2)),
    );

    // Not a note at all.
    let mut receipt = genuine;
    receipt.checkpoint = Checkpoint::new(ORIGIN, 13, setup.log.root()).to_text();
    let result = receipt.verify(&setup.signer.verifier());
    assert!(matches!(
        result,
        Err(ReceiptError::Signature(NoteError::Malformed(_)))
    ));
}

#[test]
fn errors_say_what_failed() {
    let error = ReceiptError::WrongSize {
        receipt: 12,
        checkpoint: 13,
    };
    assert_eq!(
        error.to_string(),
        "the receipt's proof is for a tree of 12 leaves but the checkpoint has 13"
    );
    let error = ReceiptError::Proof(ProofError::RootMismatch);
    assert!(error
        .to_string()
        .contains("does not lead to the expected root"));
}
