//! What any query over one Parquet file costs in process through the engine (every column raw,
//! so the seal, the session and the engine's own rules such as the grouping by few values are
//! measured) against plain DataFusion on the same file, alternating; `engine` or `plain` as the
//! fourth argument runs only one of them (for a profile).
//!
//! usage: cargo run --release -p query --example group_cost -- FILE.parquet SQL RUNS [engine|plain]
//! (the table is `t`)
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use model::access::{Basis, Decision, Verdict};
use query::{Engine, Limits, PolicyTable};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let sql = &args[2];
    let runs: usize = args[3].parse()?;
    let mode = args.get(4).cloned().unwrap_or_default();
    let ctx = SessionContext::new();
    ctx.register_parquet("t", path, ParquetReadOptions::default())
        .await?;
    let columns: Vec<String> = ctx
        .table("t")
        .await?
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let table = PolicyTable {
        name: "t".into(),
        parquet: path.as_str().into(),
        decision: Decision {
            columns: columns.iter().map(|c| (c.clone(), Verdict::Raw)).collect(),
            row_filter: Vec::new(),
            basis: Basis::Grant("bench".into()),
            quota_remaining: None,
        },
    };
    let engine = Engine::new(Limits {
        memory_bytes: 4 << 30,
        timeout: Duration::from_secs(600),
        ..Limits::default()
    });
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        if mode != "plain" {
            let t = Instant::now();
            engine.sql(std::slice::from_ref(&table), sql).await?;
            a.push(t.elapsed().as_secs_f64() * 1e3);
        }
        if mode != "engine" {
            let t = Instant::now();
            let ctx = SessionContext::new();
            ctx.register_parquet("t", path, ParquetReadOptions::default())
                .await?;
            let _b = ctx.sql(sql).await?.collect().await?;
            b.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let med = |mut v: Vec<f64>| {
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    println!("engine {:.1} ms, plain {:.1} ms", med(a), med(b));
    Ok(())
}
