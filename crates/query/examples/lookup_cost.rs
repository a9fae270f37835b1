//! What an equality lookup costs in process: `SELECT * … WHERE column = value LIMIT 100` through
//! one engine kept between queries (its footers, statistics and bloom filters in memory), through
//! a new engine for every query (everything read from the file again), and through plain
//! DataFusion on the same file, alternating.
//!
//! usage: cargo run --release -p query --example lookup_cost -- FILE.parquet COLUMN VALUE [RUNS]

use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use model::access::{Basis, Decision, Verdict};
use model::filter::{Condition, Literal, Op};
use query::{Engine, Limits, PolicyTable, RestQuery};
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: lookup_cost FILE.parquet COLUMN VALUE [RUNS]";
    let (path, column, value) = match &args[1..] {
        [p, c, v, ..] => (p.clone(), c.clone(), v.clone()),
        _ => return Err(usage.into()),
    };
    let runs: usize = args.get(4).map(|r| r.parse()).transpose()?.unwrap_or(9);
    let file = std::fs::File::open(&path)?;
    let reader = parquet::file::reader::SerializedFileReader::new(file)?;
    use parquet::file::reader::FileReader;
    let columns: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let table = PolicyTable {
        name: "t".into(),
        parquet: path.clone().into(),
        decision: Decision {
            columns: columns.iter().map(|c| (c.clone(), Verdict::Raw)).collect(),
            row_filter: Vec::new(),
            basis: Basis::Grant("bench".into()),
            quota_remaining: None,
        },
    };
    let limits = || Limits {
        memory_bytes: 4 << 30,
        timeout: Duration::from_secs(600),
        ..Limits::default()
    };
    let literal = if value.parse::<i64>().is_ok() {
        value.clone()
    } else {
        format!("'{}'", value.replace('\'', "''"))
    };
    let sql = format!("SELECT * FROM t WHERE \"{column}\" = {literal} LIMIT 100");
    let kept = Engine::new(limits());
    kept.sql(std::slice::from_ref(&table), &sql).await?;
    let (mut warm, mut cold, mut plain) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let rows = kept.sql(std::slice::from_ref(&table), &sql).await?;
        warm.push(t.elapsed());

        let t = Instant::now();
        Engine::new(limits())
            .sql(std::slice::from_ref(&table), &sql)
            .await?;
        cold.push(t.elapsed());

        let t = Instant::now();
        let mut config = SessionConfig::new();
        config.options_mut().execution.parquet.pushdown_filters = true;
        let ctx = SessionContext::new_with_config(config);
        ctx.register_parquet("t", &path, ParquetReadOptions::default())
            .await?;
        let batches = ctx.sql(&sql).await?.collect().await?;
        plain.push(t.elapsed());
        let n: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows.row_count, n, "both paths return the same rows");
    }
    println!(
        "engine kept {:.1} ms, new engine each query {:.1} ms, plain DataFusion {:.1} ms",
        median(warm),
        median(cold),
        median(plain)
    );
    // The REST path the API takes, through the kept engine: the first row, and the lookup.
    let first = RestQuery {
        limit: Some(1),
        ..RestQuery::default()
    };
    let lookup = RestQuery {
        filters: vec![Condition {
            column: column.clone(),
            op: Op::Eq,
            value: Some(match value.parse::<i64>() {
                Ok(n) => Literal::Int(n),
                Err(_) => Literal::Str(value.clone()),
            }),
        }],
        limit: Some(100),
        ..RestQuery::default()
    };
    let (mut first_t, mut lookup_t) = (Vec::new(), Vec::new());
    let repeat = std::env::var("REPEAT").map_or(1, |r| r.parse().unwrap_or(1));
    for _ in 0..runs * repeat {
        let t = Instant::now();
        kept.query(&table, &first).await?;
        first_t.push(t.elapsed());
        let t = Instant::now();
        let rows = kept.query(&table, &lookup).await?;
        lookup_t.push(t.elapsed());
        assert!(rows.row_count >= 1);
    }
    println!(
        "REST through the kept engine: first row {:.2} ms, lookup {:.2} ms",
        median(first_t),
        median(lookup_t)
    );
    Ok(())
}
