//! The log's secrets, kept in `<secrets dir>/log/` (the data directory unless `secrets_dir` is
//! set) and readable by the owner only: the Ed25519
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
    private_dir(&dir)?;

    let signer_path = dir.join("signer.key");
    let signer_text = load_or_make(&signer_path, || {
        Signer::generate(origin)
            .map(|s| s.to_key_string())
            .map_err(|e| anyhow::anyhow!("invalid log origin `{origin}`: {e}"))
    })?;
    let signer = Signer::from_key_string(&signer_text)
        .map_err(|e| anyhow::anyhow!("{} is not a signing key: {e}", signer_path.display()))?;
    if signer.name() != origin {
        tracing::warn!(
            configured = origin,
            kept = signer.name(),
            "the log's origin is fixed at first start; keeping the existing one"
        );
    }

    let pseudonym_path = dir.join("pseudonym.key");
    let text = load_or_make(&pseudonym_path, || Ok(random_hex_key()))?;
    let pseudonym_key = hex::decode(&text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .with_context(|| format!("{} is not a 32-byte hex key", pseudonym_path.display()))?;
    Ok(Keys {
        signer,
        pseudonym_key,
    })
}

/// Makes `dir` readable by the owner only if it is missing. An existing directory is left as it
/// is: it may be a read-only mount of secrets given to every server.
pub(crate) fn private_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// 32 random bytes in hex, for a new key.
pub(crate) fn random_hex_key() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    hex::encode(key)
}

/// The secret in `path` (trimmed), made by `make` and written there first if there is none.
///
/// Several servers starting at once on one secrets directory agree on one secret: each writes
/// its candidate to a file of its own (owner-only, synced) and publishes it with a hard link to
/// `path`, which fails if the name is taken; whoever loses reads the winner's. A secret is thus
/// never replaced and never seen half written.
pub(crate) fn load_or_make(
    path: &Path,
    make: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let read = || -> anyhow::Result<String> {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(text.trim().to_string())
    };
    if path.exists() {
        return read();
    }
    let text = make()?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("secret");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| -> anyhow::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        Ok(())
    })();
    let published = written.and_then(|()| match fs::hard_link(&tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot create {}", path.display()))),
    });
    let _ = fs::remove_file(&tmp);
    published?;
    read()
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
    fn servers_starting_at_once_agree_on_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.key");
        let made: Vec<String> = std::thread::scope(|s| {
            let tasks: Vec<_> = (0..8)
                .map(|_| s.spawn(|| load_or_make(&path, || Ok(random_hex_key())).unwrap()))
                .collect();
            tasks.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(made.iter().all(|m| m == &made[0]), "{made:?}");
        assert_eq!(made[0].len(), 64);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["shared.key"], "no candidate left behind");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // Kept from then on.
        let again = load_or_make(&path, || panic!("not made twice")).unwrap();
        assert_eq!(again, made[0]);
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
