//! Where a version's Parquet file is: a file on this machine or an object in a store the engine
//! was given ([`crate::Engine::with_store`]), named by one URL (`file:///…` or `s3://bucket/…`).
//! Every read of a version goes through the engine's object store registry, so a policy view is
//! the same plan whichever store holds the file.

use std::path::{Path, PathBuf};

use datafusion::object_store::path::Path as ObjectPath;
use url::Url;

/// The URL of one Parquet file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location(Url);

impl Location {
    /// A file or object by its URL. The URL names one object, not a folder or a glob.
    pub fn from_url(url: Url) -> Location {
        Location(url)
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The last segment of the path, decoded.
    pub fn file_name(&self) -> Option<String> {
        let last = self.0.path_segments()?.next_back()?;
        let decoded = percent_decode(last)?;
        (!decoded.is_empty()).then_some(decoded)
    }

    /// The same location with another last segment (tests name files that are not there).
    pub fn with_file_name(&self, name: &str) -> Location {
        let mut url = self.0.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop().push(name);
        }
        Location(url)
    }

    /// The path in this machine's file system, for a `file://` location.
    pub fn local_path(&self) -> Option<PathBuf> {
        (self.0.scheme() == "file")
            .then(|| self.0.to_file_path().ok())
            .flatten()
    }

    /// The object's path inside its store.
    pub(crate) fn object_path(&self) -> Result<ObjectPath, crate::QueryError> {
        ObjectPath::from_url_path(self.0.path()).map_err(crate::QueryError::internal)
    }

    /// The words an error message might show of this location: the URL, the decoded path (as a
    /// local file system or an object store prints it) and the file name.
    pub(crate) fn words(&self) -> Vec<String> {
        let mut words = vec![self.0.to_string()];
        if let Some(path) = percent_decode(self.0.path()) {
            words.push(path.trim_start_matches('/').to_string());
            words.push(path);
        }
        words.extend(self.file_name());
        words.retain(|w| !w.is_empty());
        words
    }
}

impl From<&Path> for Location {
    /// A local file; a relative path is taken from the working directory.
    fn from(path: &Path) -> Location {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let url = Url::from_file_path(&absolute).unwrap_or_else(|()| {
            // Only a path that is still relative fails, which `absolute` rules out.
            Url::parse("file:///nonexistent").expect("a valid URL")
        });
        Location(url)
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::from(path.as_path())
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Location {
        Location::from(path.as_path())
    }
}

impl From<&str> for Location {
    /// A local file by its path.
    fn from(path: &str) -> Location {
        Location::from(Path::new(path))
    }
}

impl From<String> for Location {
    /// A local file by its path.
    fn from(path: String) -> Location {
        Location::from(Path::new(&path))
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_str())
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_path_round_trips_with_its_odd_characters() {
        let path = Path::new("/data/versions/数据 [1]/a%b.parquet");
        let location = Location::from(path);
        assert_eq!(location.url().scheme(), "file");
        assert_eq!(location.local_path().as_deref(), Some(path));
        assert_eq!(location.file_name().as_deref(), Some("a%b.parquet"));
        assert!(location
            .words()
            .contains(&"/data/versions/数据 [1]/a%b.parquet".to_string()));
        assert_eq!(
            location.with_file_name("x.parquet").local_path().unwrap(),
            Path::new("/data/versions/数据 [1]/x.parquet")
        );
    }

    #[test]
    fn an_object_names_its_store_and_its_path() {
        let url = Url::parse("s3://bucket/prefix/versions/d/v.parquet").unwrap();
        let location = Location::from_url(url);
        assert_eq!(
            location.object_path().unwrap().as_ref(),
            "prefix/versions/d/v.parquet"
        );
        assert_eq!(location.local_path(), None);
        assert!(location
            .words()
            .contains(&"prefix/versions/d/v.parquet".to_string()));
    }
}
