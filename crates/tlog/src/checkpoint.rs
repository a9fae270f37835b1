//! Checkpoints (检查点): the body of a signed tree head, in the C2SP tlog-checkpoint format.
//!
//! ```text
//! example.gov.cn/gongshu/log
//! 3
//! rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=
//! ```
//!
//! The origin line names the log, then come the tree size in decimal, the root hash in base64,
//! and optional extension lines; every line, the last included, ends with a newline.
//! Parsing is strict so that one checkpoint has exactly one text, and a signature over the text
//! is a signature over the values.

use crate::hash::Hash;

/// Why a text is not a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The text does not end with a newline.
    #[error("a checkpoint must end with a newline")]
    MissingNewline,
    /// The text has fewer than the three required lines.
    #[error("a checkpoint needs an origin, a size and a root hash line, found {0} lines")]
    TooFewLines(usize),
    /// The origin line is empty.
    #[error("the origin line of a checkpoint must not be empty")]
    EmptyOrigin,
    /// The size line is not a canonical decimal number.
    #[error("the size line {0:?} is not a decimal number without leading zeros")]
    BadSize(String),
    /// The root line is not the base64 of 32 bytes.
    #[error("the root line {0:?} is not the base64 of a 32-byte hash")]
    BadRoot(String),
    /// An extension line is empty.
    #[error("extension line {0} of the checkpoint is empty")]
    EmptyExtension(usize),
    /// A field holds a newline, so it would not print as one line.
    #[error("a checkpoint field contains a newline")]
    NewlineInField,
}

/// A checkpoint: which log, how many leaves, and the root over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin, by convention its schema-less URL.
    pub origin: String,
    /// The number of leaves in the tree.
    pub size: u64,
    /// The RFC 6962 root of the tree.
    pub root: Hash,
    /// Extension lines, without their newlines; each must be non-empty.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Checks that the fields print as a checkpoint that [`Checkpoint::parse`] accepts.
    pub fn validate(&self) -> Result<(), CheckpointError> {
        if self.origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        if let Some(position) = self.extensions.iter().position(String::is_empty) {
            return Err(CheckpointError::EmptyExtension(position + 1));
        }
        let fields = std::iter::once(&self.origin).chain(&self.extensions);
        if fields.into_iter().any(|field| field.contains('\n')) {
            return Err(CheckpointError::NewlineInField);
        }
        Ok(())
    }

    /// The checkpoint text: origin, size, base64 root and the extension lines, each ending in a
    /// newline. Call [`Checkpoint::validate`] first on fields that come from outside.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint text, rejecting every text that [`Checkpoint::to_text`] would not
    /// print.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::MissingNewline)?;
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::TooFewLines(lines.len()));
        };
        let checkpoint = Checkpoint {
            origin: origin.to_string(),
            size: parse_size(size)?,
            root: Hash::from_base64(root)
                .map_err(|_| CheckpointError::BadRoot(root.to_string()))?,
            extensions: extensions.iter().map(|line| line.to_string()).collect(),
        };
        checkpoint.validate()?;
        Ok(checkpoint)
    }
}

fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    let bad = || CheckpointError::BadSize(line.to_string());
    let digits_only = !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (line.len() > 1 && line.starts_with('0')) {
        return Err(bad());
    }
    line.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn size_must_be_canonical_decimal() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        for bad in [
            "",
            "01",
            "00",
            "+1",
            "-1",
            "1 ",
            " 1",
            "1e3",
            "0x10",
            "18446744073709551616",
        ] {
            assert_eq!(
                parse_size(bad),
                Err(CheckpointError::BadSize(bad.into())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn validate_catches_unprintable_fields() {
        let mut checkpoint = Checkpoint::new("log", 1, leaf_hash(b""));
        assert_eq!(checkpoint.validate(), Ok(()));
        checkpoint.extensions = vec!["a".into(), String::new()];
        assert_eq!(
            checkpoint.validate(),
            Err(CheckpointError::EmptyExtension(2))
        );
        checkpoint.extensions = vec!["a\nb".into()];
        assert_eq!(checkpoint.validate(), Err(CheckpointError::NewlineInField));
        checkpoint.origin = String::new();
        assert_eq!(checkpoint.validate(), Err(CheckpointError::EmptyOrigin));
    }
}
