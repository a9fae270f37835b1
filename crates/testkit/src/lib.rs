//! Test support shared by the crates' tests (a dev-dependency only; nothing here ships).
//!
//! [`with_postgres`] runs a test in a database of its own on the PostgreSQL server that
//! `GONGSHU_TEST_DATABASE_URL` names (the test script starts one), and drops the database
//! afterwards whatever the test did.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use sqlx::{Connection, Executor};
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The variable that names the test PostgreSQL server (a URL of a database the tests may use to
/// create and drop others).
pub const DATABASE_VARIABLE: &str = "GONGSHU_TEST_DATABASE_URL";

/// Runs `test` with the URL of a new, empty database named `<label>_<random>` on the server
/// [`DATABASE_VARIABLE`] names, in a task of its own, then drops the database (ending its
/// connections) and passes on the test's panic, if any. Without the variable the test is not
/// run: this says so on standard error and returns `false`.
pub async fn with_postgres<F, Fut>(label: &str, test: F) -> bool
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(admin_url) = std::env::var(DATABASE_VARIABLE) else {
        eprintln!("skipped: set {DATABASE_VARIABLE}=postgres://… to run it");
        return false;
    };
    let name = format!("{label}_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("the test PostgreSQL server answers");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("a test database can be created");
    let outcome = tokio::spawn(test(with_database(&admin_url, &name))).await;
    admin
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .expect("the test database can be dropped");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
    true
}

/// The variables that name the test S3-compatible object store and a bucket in it (the test
/// script starts moto's server and makes the bucket).
pub const S3_VARIABLES: [&str; 2] = ["GONGSHU_TEST_S3_ENDPOINT", "GONGSHU_TEST_S3_BUCKET"];

/// The endpoint and bucket of the test object store that [`S3_VARIABLES`] name. Without them
/// the test is not run: this says so on standard error and returns `None`.
pub fn s3_bucket() -> Option<(String, String)> {
    let [endpoint, bucket] = S3_VARIABLES.map(|name| std::env::var(name).ok());
    match (endpoint, bucket) {
        (Some(endpoint), Some(bucket)) => Some((endpoint, bucket)),
        _ => {
            eprintln!(
                "skipped: set {} and {} to run it",
                S3_VARIABLES[0], S3_VARIABLES[1]
            );
            None
        }
    }
}

/// Starts `cmd` (a `gongshu serve` listening on port 0) and returns the process and the URL it
/// prints once it serves. Its standard output is read to the end by a thread of its own, so the
/// server never blocks on a full pipe.
pub fn spawn_server(mut cmd: Command) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("standard output is piped");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let Some(line) = lines.find(|l| l.contains("serving on")) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server stopped before it printed its address");
    };
    std::thread::spawn(move || lines.for_each(drop));
    let url = line
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    (child, url)
}

/// `postgres://user@host:port/db?params` with the database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, params) = match url.split_once('?') {
        Some((base, params)) => (base, format!("?{params}")),
        None => (url, String::new()),
    };
    let start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[start..].find('/') {
        Some(i) => &base[..start + i],
        None => base,
    };
    format!("{server}/{database}{params}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_database_replaces_only_the_database() {
        let check = |url: &str, expected: &str| assert_eq!(with_database(url, "x"), expected);
        check("postgres://u@h:5432/postgres", "postgres://u@h:5432/x");
        check("postgres://u@h:5432", "postgres://u@h:5432/x");
        check(
            "postgres://u:p@h/db?sslmode=disable",
            "postgres://u:p@h/x?sslmode=disable",
        );
    }
}
