//! The migrations of both backends, embedded in the binary with `include_str!` and handed to
//! sqlx's migrator as a [`MigrationSource`], parsed by the same rules as sqlx's own folder
//! source: `<version>_<description>.sql`, `_` read as a space, `-- no-transaction` on the first
//! line to opt out of the transaction. Embedding them here rather than with `sqlx::migrate!`
//! keeps sqlx's procedural macros, and a second build of its database drivers for them, out of
//! every build. A test checks that each folder's files are exactly the ones listed.

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

/// `(file name, SQL text)` of each migration of a folder, in version order.
macro_rules! embedded {
    ($dir:literal: $($file:literal),+ $(,)?) => {
        &[$(($file, include_str!(concat!("../migrations/", $dir, "/", $file)))),+]
    };
}

/// The SQLite migrations.
pub(crate) const SQLITE: Embedded = Embedded(embedded!(
    "sqlite": "0001_initial.sql", "0002_applications.sql", "0003_log.sql", "0004_demands.sql",
        "0005_consultations.sql", "0006_feedback.sql", "0007_points.sql", "0008_activities.sql",
        "0009_feedback_department.sql", "0010_result_acceptance.sql", "0011_quality.sql",
        "0012_contribution.sql", "0013_cleanroom.sql", "0014_dictionary.sql", "0015_cleanroom_own.sql",
        "0016_login_failures.sql", "0017_catalog_changes.sql"
));

/// The PostgreSQL migrations.
pub(crate) const POSTGRES: Embedded = Embedded(embedded!(
    "postgres": "0001_initial.sql", "0002_applications.sql", "0003_log.sql", "0004_demands.sql",
        "0005_consultations.sql", "0006_feedback.sql", "0007_points.sql", "0008_activities.sql",
        "0009_feedback_department.sql", "0010_result_acceptance.sql", "0011_quality.sql",
        "0012_contribution.sql", "0013_cleanroom.sql", "0014_dictionary.sql", "0015_cleanroom_own.sql",
        "0016_login_failures.sql", "0017_catalog_changes.sql"
));

/// The migrations of one backend.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Embedded(&'static [(&'static str, &'static str)]);

impl Embedded {
    /// The migrator of these migrations.
    pub(crate) async fn migrator(self) -> Result<Migrator, sqlx::migrate::MigrateError> {
        Migrator::new(self).await
    }

    fn parse(self) -> Result<Vec<Migration>, BoxDynError> {
        let mut out = Vec::with_capacity(self.0.len());
        for (file, sql) in self.0 {
            let (version, rest) = file
                .split_once('_')
                .ok_or_else(|| format!("migration {file} is not named VERSION_DESCRIPTION.sql"))?;
            let version: i64 = version
                .parse()
                .map_err(|_| format!("migration {file} does not start with a version number"))?;
            let migration_type = MigrationType::from_filename(rest);
            let description = rest
                .trim_end_matches(migration_type.suffix())
                .replace('_', " ");
            let no_tx = sql.starts_with("-- no-transaction");
            out.push(Migration::new(
                version,
                Cow::Owned(description),
                migration_type,
                Cow::Borrowed(*sql),
                no_tx,
            ));
        }
        out.sort_by_key(|m| m.version);
        Ok(out)
    }
}

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move { self.parse() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.sql` file of the folder is embedded, and nothing else.
    fn check(dir: &str, embedded: Embedded) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let mut on_disk: Vec<String> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        on_disk.sort();
        let listed: Vec<String> = embedded.0.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(
            listed, on_disk,
            "list every migration of {dir} in migrations.rs"
        );
        for (file, sql) in embedded.0 {
            let text = std::fs::read_to_string(path.join(file)).unwrap();
            assert_eq!(*sql, text);
        }
    }

    #[test]
    fn every_migration_is_embedded() {
        check("sqlite", SQLITE);
        check("postgres", POSTGRES);
    }

    #[test]
    fn migrations_parse_like_sqlx_folders() {
        let m = SQLITE.parse().unwrap();
        assert_eq!(m.len(), SQLITE.0.len());
        assert_eq!(m[0].version, 1);
        assert_eq!(m[0].description, "initial");
        assert_eq!(m[1].description, "applications");
        assert_eq!(m[0].migration_type, MigrationType::Simple);
        assert!(m.windows(2).all(|w| w[0].version < w[1].version));
        // The checksum is sqlx's (SHA-384 of the text), so databases migrated by an earlier
        // build keep matching.
        assert_eq!(m[0].checksum.len(), 48);
    }
}
