//! Where the platform keeps its files (DESIGN.md C15): Parquet versions, feedback photos and
//! consultation attachments, each under a key such as `versions/<dataset>/<uuid>.parquet`.
//!
//! By default the keys are paths under the data directory. With `storage_url = "s3://bucket/
//! prefix"` they are objects in S3-compatible storage that every server of a deployment shares;
//! `file:///dir` names a directory instead (one machine, or a shared mount). What stays on each
//! server's own disk is what it can make again: uploads being ingested (`staging/`), the search
//! index and the clean room's keyed copies.
//!
//! A file is published whole or not at all: a version is ingested into the staging directory
//! and then moved (local) or uploaded in one put, multipart for large files (object storage),
//! before the version's row is committed. An upload that fails leaves no object a version
//! refers to; a server killed between the put and the commit leaves an object no row refers to,
//! which [`crate::catalog::sweep_files`] removes once it is older than [`ORPHAN_GRACE_MS`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use crate::config::Config;

/// How old a file no row refers to must be before the sweep removes it: longer than any
/// publish takes between its put and its commit.
pub const ORPHAN_GRACE_MS: i64 = 60 * 60 * 1000;

/// Where feedback photos are kept, a folder per item (`feedback/<item>/<photo>.<ext>`).
pub const PHOTOS_DIR: &str = "feedback";

/// Where consultation attachments are kept, a folder per consultation
/// (`attachments/<consultation>/<attachment>.pdf`).
pub const ATTACHMENTS_DIR: &str = "attachments";

/// Part size of multipart uploads, and the size up to which a file is sent in one request.
const PART_BYTES: usize = 16 << 20;

/// The platform's file storage.
#[derive(Clone)]
pub struct Files {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    /// Keys are paths under a directory.
    Local(PathBuf),
    /// Keys are objects under `prefix` in `store`, whose URL is `base`.
    Remote {
        store: Arc<dyn ObjectStore>,
        /// The store's URL (`s3://bucket`).
        base: Url,
        /// Where the platform's keys start in the bucket (may be empty).
        prefix: String,
    },
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Files({})", self.describe())
    }
}

/// A file the storage holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Its key.
    pub key: String,
    /// When it was last written, in milliseconds since the epoch.
    pub modified_ms: i64,
}

impl Files {
    /// Files under a local directory.
    pub fn local(root: &Path) -> Files {
        Files {
            inner: Inner::Local(root.to_path_buf()),
        }
    }

    /// The storage `config` names: `storage_url`, else its data directory.
    pub fn open(config: &Config) -> anyhow::Result<Files> {
        let Some(raw) = config
            .storage_url
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        else {
            return Ok(Files::local(&config.data_dir));
        };
        let url = Url::parse(raw.trim()).map_err(|e| {
            anyhow::anyhow!("storage_url `{raw}` is not a URL ({e}); give s3://BUCKET/PREFIX or file:///DIRECTORY")
        })?;
        match url.scheme() {
            "file" => {
                let dir = url.to_file_path().map_err(|()| {
                    anyhow::anyhow!("storage_url `{raw}` is not a local directory")
                })?;
                std::fs::create_dir_all(&dir).map_err(|e| {
                    anyhow::anyhow!("cannot use the storage directory {}: {e}", dir.display())
                })?;
                Ok(Files::local(&dir.canonicalize()?))
            }
            "s3" => {
                let bucket = url.host_str().filter(|b| !b.is_empty()).ok_or_else(|| {
                    anyhow::anyhow!("storage_url `{raw}` names no bucket; give s3://BUCKET/PREFIX")
                })?;
                let mut builder = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(object_store::RetryConfig {
                        max_retries: 3,
                        retry_timeout: Duration::from_secs(20),
                        ..Default::default()
                    })
                    .with_client_options(
                        object_store::ClientOptions::new()
                            .with_connect_timeout(Duration::from_secs(5))
                            .with_timeout(Duration::from_secs(120)),
                    );
                if let Some(endpoint) = &config.storage_endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                if let Some(region) = &config.storage_region {
                    builder = builder.with_region(region);
                }
                if let Some(key) = &config.storage_access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = &config.storage_secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                let store = builder.build().map_err(|e| {
                    anyhow::anyhow!("cannot use the object store of storage_url `{raw}`: {e}")
                })?;
                let base = Url::parse(&format!("s3://{bucket}"))?;
                let prefix = url.path().trim_matches('/').to_string();
                Ok(Files {
                    inner: Inner::Remote {
                        store: Arc::new(store),
                        base,
                        prefix,
                    },
                })
            }
            other => anyhow::bail!(
                "storage_url `{raw}` has the scheme `{other}`; give s3://BUCKET/PREFIX or file:///DIRECTORY"
            ),
        }
    }

    /// Where the files are, for messages (no credentials).
    pub fn describe(&self) -> String {
        match &self.inner {
            Inner::Local(root) => root.display().to_string(),
            Inner::Remote { base, prefix, .. } => format!("{base}/{prefix}"),
        }
    }

    /// Whether the files are on this machine's file system.
    pub fn is_local(&self) -> bool {
        matches!(self.inner, Inner::Local(_))
    }

    /// The object store and the URL its objects are named under (`s3://bucket`), for a reader
    /// outside the platform (a cluster's executor); `None` for files on this machine, which
    /// need no store.
    pub fn object_store(&self) -> Option<(Url, Arc<dyn object_store::ObjectStore>)> {
        match &self.inner {
            Inner::Local(_) => None,
            Inner::Remote { store, base, .. } => Some((base.clone(), Arc::clone(store))),
        }
    }

    /// `engine`, able to read the objects of this storage (local files need nothing).
    pub(crate) fn register(&self, engine: query::Engine) -> query::Engine {
        match &self.inner {
            Inner::Local(_) => engine,
            Inner::Remote { store, base, .. } => engine.with_store(base, Arc::clone(store)),
        }
    }

    /// Where the query engine reads the file under `key`.
    pub fn location(&self, key: &str) -> query::Location {
        match &self.inner {
            Inner::Local(root) => query::Location::from(root.join(key)),
            Inner::Remote { base, .. } => {
                let mut url = base.clone();
                url.set_path(self.object_path(key).as_ref());
                query::Location::from_url(url)
            }
        }
    }

    fn object_path(&self, key: &str) -> ObjectPath {
        match &self.inner {
            Inner::Remote { prefix, .. } if !prefix.is_empty() => {
                ObjectPath::from(format!("{prefix}/{key}"))
            }
            _ => ObjectPath::from(key),
        }
    }

    /// The key of an object path of this storage, if it is under the prefix.
    fn key_of(&self, path: &ObjectPath) -> Option<String> {
        match &self.inner {
            Inner::Remote { prefix, .. } if !prefix.is_empty() => path
                .as_ref()
                .strip_prefix(prefix.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .map(str::to_string),
            _ => Some(path.as_ref().to_string()),
        }
    }

    /// Publishes the finished file at `staged` (on this machine) under `key`, whole or not at
    /// all, and removes `staged`. Local storage moves the file (it must be on the same file
    /// system, as the staging directory is); object storage uploads it in one request, or in
    /// parts for a large file, which the store shows only when the last part is done.
    pub async fn publish(&self, key: &str, staged: &Path) -> std::io::Result<()> {
        match &self.inner {
            Inner::Local(root) => {
                let dest = root.join(key);
                let dir = dest.parent().expect("a key has a folder").to_path_buf();
                tokio::fs::create_dir_all(&dir).await?;
                if let Err(e) = tokio::fs::rename(staged, &dest).await {
                    if e.kind() != std::io::ErrorKind::CrossesDevices {
                        return Err(e);
                    }
                    // A storage directory on another file system: copy under a temporary
                    // name, sync, and rename there.
                    let temp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
                    let copied = async {
                        tokio::fs::copy(staged, &temp).await?;
                        tokio::fs::File::open(&temp).await?.sync_all().await?;
                        tokio::fs::rename(&temp, &dest).await
                    }
                    .await;
                    if copied.is_err() {
                        let _ = tokio::fs::remove_file(&temp).await;
                    }
                    copied?;
                    let _ = tokio::fs::remove_file(staged).await;
                }
                sync_dir(dir).await
            }
            Inner::Remote { store, .. } => {
                let path = self.object_path(key);
                let size = tokio::fs::metadata(staged).await?.len();
                if size <= PART_BYTES as u64 {
                    let bytes = tokio::fs::read(staged).await?;
                    store
                        .put(&path, PutPayload::from(bytes))
                        .await
                        .map_err(io_error)?;
                } else {
                    upload_in_parts(Arc::clone(store), &path, staged).await?;
                }
                let _ = tokio::fs::remove_file(staged).await;
                Ok(())
            }
        }
    }

    /// Writes `bytes` under `key`, whole or not at all.
    pub async fn put(&self, key: &str, bytes: Bytes) -> std::io::Result<()> {
        match &self.inner {
            Inner::Local(root) => {
                let dest = root.join(key);
                let dir = dest.parent().expect("a key has a folder").to_path_buf();
                let temp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
                tokio::fs::create_dir_all(&dir).await?;
                let written = async {
                    let mut file = tokio::fs::File::create(&temp).await?;
                    file.write_all(&bytes).await?;
                    file.sync_all().await?;
                    tokio::fs::rename(&temp, &dest).await
                }
                .await;
                if written.is_err() {
                    let _ = tokio::fs::remove_file(&temp).await;
                }
                written?;
                sync_dir(dir).await
            }
            Inner::Remote { store, .. } => store
                .put(&self.object_path(key), PutPayload::from_bytes(bytes))
                .await
                .map(|_| ())
                .map_err(io_error),
        }
    }

    /// The bytes under `key` (`NotFound` if there are none).
    pub async fn get(&self, key: &str) -> std::io::Result<Bytes> {
        match &self.inner {
            Inner::Local(root) => tokio::fs::read(root.join(key)).await.map(Bytes::from),
            Inner::Remote { store, .. } => store
                .get(&self.object_path(key))
                .await
                .map_err(io_error)?
                .bytes()
                .await
                .map_err(io_error),
        }
    }

    /// Copies the file under `key` to `dest` on this machine (for tools that read a whole
    /// version, such as the rewrite to the current layout).
    pub async fn fetch(&self, key: &str, dest: &Path) -> std::io::Result<()> {
        match &self.inner {
            Inner::Local(root) => tokio::fs::copy(root.join(key), dest).await.map(|_| ()),
            Inner::Remote { store, .. } => {
                let mut stream = store
                    .get(&self.object_path(key))
                    .await
                    .map_err(io_error)?
                    .into_stream();
                let mut file = tokio::fs::File::create(dest).await?;
                while let Some(chunk) = stream.next().await {
                    file.write_all(&chunk.map_err(io_error)?).await?;
                }
                file.sync_all().await
            }
        }
    }

    /// Removes the file under `key`; one that is not there is not an error.
    pub async fn delete(&self, key: &str) -> std::io::Result<()> {
        let result = match &self.inner {
            Inner::Local(root) => tokio::fs::remove_file(root.join(key)).await,
            Inner::Remote { store, .. } => {
                store.delete(&self.object_path(key)).await.map_err(io_error)
            }
        };
        match result {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes every file whose key starts with `folder/`.
    pub async fn delete_folder(&self, folder: &str) -> std::io::Result<()> {
        match &self.inner {
            Inner::Local(root) => match tokio::fs::remove_dir_all(root.join(folder)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            Inner::Remote { .. } => {
                for file in self.list(folder).await? {
                    self.delete(&file.key).await?;
                }
                Ok(())
            }
        }
    }

    /// The files whose keys start with `folder/`, at any depth. Local files whose names start
    /// with a dot (temporary files) are listed too, so the sweep can remove them.
    pub async fn list(&self, folder: &str) -> std::io::Result<Vec<StoredFile>> {
        match &self.inner {
            Inner::Local(root) => {
                let (root, folder) = (root.clone(), folder.to_string());
                tokio::task::spawn_blocking(move || list_local(&root, &folder))
                    .await
                    .map_err(std::io::Error::other)?
            }
            Inner::Remote { store, .. } => {
                let prefix = self.object_path(folder);
                let mut listing = store.list(Some(&prefix));
                let mut files = Vec::new();
                while let Some(meta) = listing.next().await {
                    let meta = meta.map_err(io_error)?;
                    if let Some(key) = self.key_of(&meta.location) {
                        files.push(StoredFile {
                            key,
                            modified_ms: meta.last_modified.timestamp_millis(),
                        });
                    }
                }
                Ok(files)
            }
        }
    }

    /// Writes, reads back and removes a small file, so `/readyz` knows the storage works.
    pub async fn probe(&self) -> std::io::Result<()> {
        let key = format!("probes/{}", uuid::Uuid::new_v4().simple());
        let body = Bytes::from_static(b"gongshu readiness probe");
        self.put(&key, body.clone()).await?;
        let read = self.get(&key).await;
        let removed = self.delete(&key).await;
        if read? != body {
            return Err(std::io::Error::other("the probe read back differs"));
        }
        removed
    }
}

/// Uploads `staged` to `path` in parts of [`PART_BYTES`], two at a time. The object appears only
/// when the upload completes; a failed upload is aborted (an upload that cannot even be aborted
/// stays invisible, and the bucket's rule for incomplete multipart uploads removes it).
async fn upload_in_parts(
    store: Arc<dyn ObjectStore>,
    path: &ObjectPath,
    staged: &Path,
) -> std::io::Result<()> {
    let upload = store.put_multipart(path).await.map_err(io_error)?;
    let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
    let sent = async {
        let mut file = tokio::fs::File::open(staged).await?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            writer.wait_for_capacity(2).await.map_err(io_error)?;
            writer.write(&buf[..n]);
        }
    }
    .await;
    match sent {
        Ok(()) => writer.finish().await.map(|_| ()).map_err(io_error),
        Err(e) => {
            let _ = writer.abort().await;
            Err(e)
        }
    }
}

fn list_local(root: &Path, folder: &str) -> std::io::Result<Vec<StoredFile>> {
    let mut files = Vec::new();
    let mut stack = vec![root.join(folder)];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(root).map(Path::to_path_buf) else {
                continue;
            };
            let modified_ms = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis() as i64);
            files.push(StoredFile {
                key: relative.to_string_lossy().replace('\\', "/"),
                modified_ms,
            });
        }
    }
    Ok(files)
}

async fn sync_dir(dir: PathBuf) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
            .await
            .map_err(std::io::Error::other)?
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

fn io_error(e: object_store::Error) -> std::io::Error {
    match e {
        object_store::Error::NotFound { .. } => {
            std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string())
        }
        other => std::io::Error::other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_files_are_published_listed_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::local(dir.path());
        let staged = dir.path().join("staged.upload");
        std::fs::write(&staged, b"PAR1").unwrap();
        files
            .publish("versions/d/v.parquet", &staged)
            .await
            .unwrap();
        assert!(!staged.exists());
        assert_eq!(
            files.get("versions/d/v.parquet").await.unwrap(),
            Bytes::from_static(b"PAR1")
        );
        assert_eq!(
            files.location("versions/d/v.parquet").local_path(),
            Some(dir.path().join("versions/d/v.parquet"))
        );
        files
            .put("versions/e/w.parquet", Bytes::from_static(b"x"))
            .await
            .unwrap();
        let mut keys: Vec<String> = files
            .list("versions")
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.key)
            .collect();
        keys.sort();
        assert_eq!(keys, ["versions/d/v.parquet", "versions/e/w.parquet"]);
        files.delete("versions/d/v.parquet").await.unwrap();
        files.delete("versions/d/v.parquet").await.unwrap();
        let missing = files.get("versions/d/v.parquet").await.unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        files.delete_folder("versions/e").await.unwrap();
        assert!(files.list("versions").await.unwrap().is_empty());
        files.probe().await.unwrap();
        assert!(files.list("probes").await.unwrap().is_empty());
    }

    #[test]
    fn storage_urls_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let config = |url: &str| Config {
            data_dir: dir.path().to_path_buf(),
            storage_url: Some(url.to_string()),
            storage_endpoint: Some("http://127.0.0.1:9".into()),
            ..Config::default()
        };
        for bad in ["bucket/prefix", "ftp://host/x", "s3:///prefix"] {
            assert!(Files::open(&config(bad)).is_err(), "{bad}");
        }
        let files = Files::open(&config("s3://bucket/some/prefix/")).unwrap();
        assert!(!files.is_local());
        assert_eq!(
            files.location("versions/d/v.parquet").url().as_str(),
            "s3://bucket/some/prefix/versions/d/v.parquet"
        );
        let shared = dir.path().join("shared");
        let url = Url::from_directory_path(&shared).unwrap();
        let files = Files::open(&config(url.as_str())).unwrap();
        assert!(files.is_local());
        assert!(shared.is_dir());
    }
}
