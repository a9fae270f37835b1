//! SHA-256 hashes and the RFC 6962 hashing rules for leaves and interior nodes.
//!
//! The one-byte prefixes (0x00 for leaves, 0x01 for nodes) keep a leaf from ever being mistaken
//! for an interior node, which is what makes second-preimage attacks on the tree impossible.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf hash, a node hash or a tree root (树根哈希).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; 32]);

/// A string that does not hold a 32-byte hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The text is not hexadecimal.
    #[error("the hash is not valid hexadecimal")]
    BadHex,
    /// The text is not standard padded base64.
    #[error("the hash is not valid base64")]
    BadBase64,
    /// The text decodes to the wrong number of bytes.
    #[error("a hash has 32 bytes, this one has {0}")]
    WrongLength(usize),
}

impl Hash {
    /// The hash as 64 lowercase hexadecimal digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<Hash, HashError> {
        let bytes = hex::decode(text).map_err(|_| HashError::BadHex)?;
        Self::from_slice(&bytes)
    }

    /// The hash in standard padded base64, as checkpoints carry it.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses standard padded base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Hash, HashError> {
        let bytes = STANDARD.decode(text).map_err(|_| HashError::BadBase64)?;
        Self::from_slice(&bytes)
    }

    fn from_slice(bytes: &[u8]) -> Result<Hash, HashError> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| HashError::WrongLength(bytes.len()))?;
        Ok(Hash(array))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(deserializer)?;
        Hash::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// The RFC 6962 hash of a leaf: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// The RFC 6962 hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// The root of the empty tree: SHA-256 of no bytes.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn leaf_and_node_hashes_differ_by_prefix() {
        // RFC 6962 leaf hash of the empty leaf, as listed in the RFC 9162 test data.
        assert_eq!(
            leaf_hash(b"").to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        let a = leaf_hash(b"a");
        assert_ne!(node_hash(&a, &a), leaf_hash(&[a.0, a.0].concat()));
    }

    #[test]
    fn text_forms_round_trip_and_reject_bad_input() {
        let h = leaf_hash(b"gongshu");
        assert_eq!(Hash::from_hex(&h.to_hex()), Ok(h));
        assert_eq!(Hash::from_base64(&h.to_base64()), Ok(h));
        assert_eq!(Hash::from_hex("zz"), Err(HashError::BadHex));
        assert_eq!(Hash::from_hex("abcd"), Err(HashError::WrongLength(2)));
        assert_eq!(Hash::from_base64("!!"), Err(HashError::BadBase64));
        assert_eq!(Hash::from_base64("AAAA"), Err(HashError::WrongLength(3)));
        assert_eq!(format!("{h:?}"), format!("Hash({})", h.to_hex()));
    }
}
