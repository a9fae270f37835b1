//! Row cap, timeout and memory limit. Tests assert codes only, never wall-clock time.

use std::time::Duration;

use crate::fixtures::*;
use query::{Engine, Limits, RestQuery};

#[tokio::test]
async fn sql_results_are_capped_at_max_rows() {
    let fx = Fixture::new();
    let engine = Engine::new(Limits {
        max_rows: 5,
        ..Limits::default()
    });
    let rows = engine
        .sql(&fx.tables(), "SELECT value FROM generate_series(1, 100)")
        .await
        .unwrap();
    assert_eq!(rows.row_count, 5);
    assert_eq!(rows.rows().len(), 5);
    assert!(rows.truncated);
    let rows = engine
        .sql(&fx.tables(), "SELECT * FROM persons LIMIT 3")
        .await
        .unwrap();
    assert_eq!(rows.row_count, 3);
    assert!(!rows.truncated);
    let rows = engine
        .sql(&fx.tables(), "SELECT value FROM generate_series(1, 5)")
        .await
        .unwrap();
    assert_eq!(rows.row_count, 5);
    assert!(!rows.truncated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_queries_time_out() {
    let fx = Fixture::new();
    let engine = Engine::new(Limits {
        timeout: Duration::from_millis(50),
        ..Limits::default()
    });
    for sql in [
        "SELECT count(*) FROM generate_series(1, 100000000000)",
        "SELECT count(*) FROM generate_series(1, 1000000) a, generate_series(1, 1000000) b",
        "SELECT max(a.value + b.value) FROM range(100000) a CROSS JOIN range(100000) b",
    ] {
        let err = engine.sql(&fx.tables(), sql).await.unwrap_err();
        assert_eq!(err.code(), "query_timeout", "{sql}: {err}");
        assert!(err.is_user_error());
    }
}

#[tokio::test]
async fn memory_hungry_queries_hit_the_memory_limit() {
    let fx = Fixture::new();
    let engine = Engine::new(Limits {
        memory_bytes: 1024 * 1024,
        ..Limits::default()
    });
    for sql in [
        "SELECT value % 1000000 AS k, count(*) FROM generate_series(1, 3000000) GROUP BY k",
        "SELECT count(DISTINCT value) FROM generate_series(1, 3000000)",
        "SELECT value FROM generate_series(1, 3000000) ORDER BY value DESC OFFSET 2000000",
        "SELECT a.value FROM generate_series(1, 2000000) a JOIN generate_series(1, 2000000) b ON a.value = b.value",
    ] {
        let err = engine.sql(&fx.tables(), sql).await.unwrap_err();
        assert_eq!(err.code(), "query_memory", "{sql}: {err} / {err:?}");
    }
    // The same queries run under the default limit would use much more memory than 1 MiB, but
    // small ones still fit.
    let rows = engine
        .sql(
            &fx.tables(),
            "SELECT district, count(*) FROM persons GROUP BY district",
        )
        .await
        .unwrap();
    assert_eq!(rows.row_count, 1);
}

#[tokio::test]
async fn downloads_over_the_row_limit_are_refused_before_they_start() {
    let fx = Fixture::new();
    let engine = Engine::new(Limits {
        max_download_rows: 3,
        ..Limits::default()
    });
    let err = engine
        .stream(&fx.persons, &RestQuery::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "too_many_rows");
    // A limit within the cap settles it; so does an offset that leaves few enough rows.
    assert!(engine
        .stream(
            &fx.persons,
            &RestQuery {
                limit: Some(3),
                ..Default::default()
            }
        )
        .await
        .is_ok());
    assert!(engine
        .stream(
            &fx.persons,
            &RestQuery {
                offset: 1,
                ..Default::default()
            }
        )
        .await
        .is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_time_out_too() {
    use futures::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let big = big_table(dir.path(), 300_000);
    let engine = Engine::new(Limits {
        timeout: Duration::from_millis(1),
        ..Limits::default()
    });
    let outcome = match engine.stream(&big, &RestQuery::default()).await {
        Err(e) => e.code(),
        Ok(mut stream) => {
            // A slow client: the deadline passes while the download is still under way.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut code = "completed";
            while let Some(item) = stream.next().await {
                if let Err(e) = item {
                    code = e.code();
                    break;
                }
            }
            code
        }
    };
    assert_eq!(outcome, "query_timeout");
}
