//! Named Ed25519 keys in the text forms of golang.org/x/mod/sumdb/note.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand::rngs::OsRng;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use super::NoteError;

/// The signature type byte of Ed25519 in keys and key IDs.
const ED25519: u8 = 0x01;

/// A signing key with its name (签名密钥): the log's private key.
///
/// `Debug` shows the name and key ID, never the key.
#[derive(Clone)]
pub struct Signer {
    name: String,
    key_id: u32,
    key: SigningKey,
}

/// A verifier key (验证公钥): the name, key ID and public key a client trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_id: u32,
    key: VerifyingKey,
}

impl Signer {
    /// A new key named `name` from the operating system's random number generator.
    pub fn generate(name: &str) -> Result<Signer, NoteError> {
        let mut seed = [0u8; 32];
        OsRng.fill_bytes(&mut seed);
        Signer::from_seed(name, seed)
    }

    fn from_seed(name: &str, seed: [u8; 32]) -> Result<Signer, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let key_id = key_id(name, &key.verifying_key());
        Ok(Signer {
            name: name.to_string(),
            key_id,
            key,
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>`, checking the key ID.
    pub fn from_key_string(text: &str) -> Result<Signer, NoteError> {
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| invalid("a signer key starts with PRIVATE+KEY+"))?;
        let (name, id, seed) = split_key(rest)?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| invalid("an Ed25519 signer key holds a 32-byte seed"))?;
        let signer = Signer::from_seed(name, seed)?;
        if signer.key_id != id {
            return Err(invalid("the key ID does not match the key"));
        }
        Ok(signer)
    }

    /// The key in the form [`Signer::from_key_string`] reads. Keep it secret.
    pub fn to_key_string(&self) -> String {
        let seed = [&[ED25519][..], self.key.as_bytes()].concat();
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(seed)
        )
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID: the first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub(super) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Parses `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`, checking the key ID.
    pub fn from_vkey(text: &str) -> Result<Verifier, NoteError> {
        let (name, id, key) = split_key(text)?;
        check_name(name)?;
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| invalid("an Ed25519 verifier key holds a 32-byte public key"))?;
        let key = VerifyingKey::from_bytes(&key)
            .map_err(|_| invalid("the public key is not a valid Ed25519 point"))?;
        if key_id(name, &key) != id {
            return Err(invalid("the key ID does not match the key"));
        }
        Ok(Verifier {
            name: name.to_string(),
            key_id: id,
            key,
        })
    }

    /// The key in the form [`Verifier::from_vkey`] reads; it is public.
    pub fn to_vkey(&self) -> String {
        let key = [&[ED25519][..], self.key.as_bytes()].concat();
        format!("{}+{:08x}+{}", self.name, self.key_id, STANDARD.encode(key))
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key ID: the first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Whether `signature` is this key's signature of `message`.
    ///
    /// Strict verification rejects non-canonical and small-order encodings, so a signature has
    /// one accepted form; honest signers never produce the others.
    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        self.key
            .verify_strict(message, &Signature::from_bytes(&bytes))
            .is_ok()
    }
}

/// Whether `name` may name a key: non-empty, without whitespace and without '+'.
pub(super) fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '+')
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if !is_valid_name(name) {
        return Err(NoteError::InvalidName(name.to_string()));
    }
    Ok(())
}

fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update([ED25519])
        .chain_update(key.as_bytes())
        .finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Splits `<name>+<8 hex digits>+<base64(0x01 ‖ key)>` into name, key ID and key bytes.
/// The base64 part may itself contain '+', so only the first two are separators.
fn split_key(text: &str) -> Result<(&str, u32, Vec<u8>), NoteError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("a key has the form <name>+<key ID>+<key>"));
    };
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("the key ID must be 8 hexadecimal digits"));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| invalid("bad key ID"))?;
    let key = STANDARD
        .decode(key)
        .map_err(|_| invalid("the key is not valid base64"))?;
    match key.split_first() {
        Some((&ED25519, rest)) => Ok((name, id, rest.to_vec())),
        _ => Err(invalid("only Ed25519 keys (type 0x01) are supported")),
    }
}

fn invalid(reason: &str) -> NoteError {
    NoteError::InvalidKey(reason.to_string())
}
