//! The log's secrets, kept in `<data dir>/log/` and readable by the owner only: the Ed25519
//! signing key of checkpoints (`signer.key`, in the signed-note private key format) and the key
//! of actor pseudonyms (`pseudonym.key`, 32 random bytes in hex). Both are made at first start;
//! the log's identity (its origin) is fixed then.

use anyhow::Context;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use tlog::note::Signer;

/// The loaded secrets.
pub(super) struct Keys {
    pub(super) signer: Signer,
    pub(super) pseudonym_key: [u8; 32],
}

/// Loads the keys of `data_dir`, making any that are missing. A new signing key is named
/// `origin`; an existing one keeps its name.
pub(super) fn load_or_create(data_dir: &Path, origin: &str) -> anyhow::Result<Keys> {
    let dir = data_dir.join("log");
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;

    let signer_path = dir.join("signer.key");
    let signer = if signer_path.exists() {
        let text = fs::read_to_string(&signer_path)
            .with_context(|| format!("cannot read {}", signer_path.display()))?;
        let signer = Signer::from_key_string(text.trim())
            .map_err(|e| anyhow::anyhow!("{} is not a signing key: {e}", signer_path.display()))?;
        if signer.name() != origin {
            tracing::warn!(
                configured = origin,
                kept = signer.name(),
                "the log's origin is fixed at first start; keeping the existing one"
            );
        }
        signer
    } else {
        let signer = Signer::generate(origin)
            .map_err(|e| anyhow::anyhow!("invalid log origin `{origin}`: {e}"))?;
        write_secret(&signer_path, &signer.to_key_string())?;
        signer
    };

    let pseudonym_path = dir.join("pseudonym.key");
    let pseudonym_key = if pseudonym_path.exists() {
        let text = fs::read_to_string(&pseudonym_path)?;
        hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .with_context(|| format!("{} is not a 32-byte hex key", pseudonym_path.display()))?
    } else {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        write_secret(&pseudonym_path, &hex::encode(key))?;
        key
    };
    Ok(Keys {
        signer,
        pseudonym_key,
    })
}

/// Writes a new secret file, readable and writable by the owner only, fully or not at all.
pub(crate) fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    fs::rename(&tmp, path)?;
    Ok(())
}

/// HMAC-SHA-256 of `data` under `key`.
pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_once_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path(), "example.gov.cn/log").unwrap();
        let mode = fs::metadata(dir.path().join("log/signer.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_or_create(dir.path(), "other/log").unwrap();
        assert_eq!(again.signer.name(), "example.gov.cn/log");
        assert_eq!(
            again.signer.verifier().to_vkey(),
            first.signer.verifier().to_vkey()
        );
        assert_eq!(again.pseudonym_key, first.pseudonym_key);
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
