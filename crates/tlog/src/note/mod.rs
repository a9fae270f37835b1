//! Signed notes (签名附注) in the C2SP signed-note format, Ed25519 keys only.
//!
//! A note is a text that ends in a newline, a blank line, and one signature line per key:
//!
//! ```text
//! <text, ending in a newline>
//!
//! — <key name> <base64(key ID ‖ Ed25519 signature)>
//! ```
//!
//! The dash is U+2014 EM DASH. The signature covers the text including its final newline.
//! A reader trusts a note only after [`open`] found a valid signature by a key it knows;
//! signatures by keys it does not know are skipped, so witnesses can add cosignatures freely.

mod key;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

pub use key::{Signer, Verifier};

/// What starts every signature line.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// At most this many signature lines are read, as in the Go implementation.
const MAX_SIGNATURES: usize = 100;

/// Why a key, a text or a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key name is empty or contains whitespace or '+'.
    #[error("the key name {0:?} must be non-empty and contain neither whitespace nor '+'")]
    InvalidName(String),
    /// A key string is malformed.
    #[error("the key is malformed: {0}")]
    InvalidKey(String),
    /// A text to sign is empty, lacks its final newline, or contains control characters.
    #[error("a note text must be non-empty, end with a newline and contain no ASCII control characters but newlines")]
    InvalidText,
    /// The note does not have the signed-note form.
    #[error("the note is malformed: {0}")]
    Malformed(String),
    /// No key the reader knows signed the note.
    #[error("the note is not signed by any known key")]
    UnknownKey,
    /// A known key's signature does not verify.
    #[error("the signature by {name} does not verify: the note was altered or the key is wrong")]
    BadSignature {
        /// The key's name.
        name: String,
    },
}

/// An opened note: its text and the names of the known keys that signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The signed text, ending in a newline.
    pub text: String,
    /// The names of the keys whose signatures verified, in the order of the signature lines.
    pub verified_by: Vec<String>,
}

/// Signs `text` with `signer` and returns the note: text, blank line, signature line.
pub fn sign(text: &str, signer: &Signer) -> Result<String, NoteError> {
    if text.is_empty() || !text.ends_with('\n') || has_control_characters(text) {
        return Err(NoteError::InvalidText);
    }
    let signature = signer.sign(text.as_bytes());
    let blob = [&signer.key_id().to_be_bytes()[..], &signature[..]].concat();
    Ok(format!(
        "{text}\n{SIGNATURE_PREFIX}{} {}\n",
        signer.name(),
        STANDARD.encode(blob)
    ))
}

/// Opens a note: checks its form, verifies the signatures of the keys in `verifiers`, and
/// returns the text.
///
/// Signatures by other keys are skipped. The note is refused if any known key's signature fails
/// ([`NoteError::BadSignature`]) or if no known key signed it ([`NoteError::UnknownKey`]).
pub fn open(note: &str, verifiers: &[Verifier]) -> Result<Opened, NoteError> {
    if has_control_characters(note) {
        return Err(malformed("the note contains control characters"));
    }
    // Signature lines never contain a blank line, so the last one separates text from them.
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| malformed("no blank line before the signatures"))?;
    let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
    if signatures.is_empty() || !signatures.ends_with('\n') {
        return Err(malformed("the signature block must end with a newline"));
    }
    let lines: Vec<&str> = signatures.split_terminator('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(malformed("too many signatures"));
    }
    let mut verified_by: Vec<(String, u32)> = Vec::new();
    for line in lines {
        let (name, key_id, signature) = parse_signature_line(line)?;
        let Some(verifier) = verifiers
            .iter()
            .find(|v| v.name() == name && v.key_id() == key_id)
        else {
            continue;
        };
        if !verifier.verify(text.as_bytes(), &signature) {
            return Err(NoteError::BadSignature {
                name: name.to_string(),
            });
        }
        if !verified_by.contains(&(name.to_string(), key_id)) {
            verified_by.push((name.to_string(), key_id));
        }
    }
    if verified_by.is_empty() {
        return Err(NoteError::UnknownKey);
    }
    Ok(Opened {
        text: text.to_string(),
        verified_by: verified_by.into_iter().map(|(name, _)| name).collect(),
    })
}

/// Splits `— <name> <base64(key ID ‖ signature)>` into its parts.
fn parse_signature_line(line: &str) -> Result<(&str, u32, Vec<u8>), NoteError> {
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or_else(|| malformed("a signature line must start with an em dash and a space"))?;
    let (name, blob) = rest
        .split_once(' ')
        .ok_or_else(|| malformed("a signature line needs a key name and a signature"))?;
    if !key::is_valid_name(name) {
        return Err(malformed("a signature line has an invalid key name"));
    }
    let blob = STANDARD
        .decode(blob)
        .map_err(|_| malformed("a signature is not valid base64"))?;
    // A key ID and at least one byte of signature; other algorithms have other lengths.
    if blob.len() < 5 {
        return Err(malformed("a signature is too short"));
    }
    let key_id = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]);
    Ok((name, key_id, blob[4..].to_vec()))
}

/// ASCII control characters other than newline, which the Go implementation refuses too.
fn has_control_characters(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20 && b != b'\n')
}

fn malformed(reason: &str) -> NoteError {
    NoteError::Malformed(reason.to_string())
}
