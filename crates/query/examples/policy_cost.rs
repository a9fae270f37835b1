//! What policy enforcement costs: the benchmark's queries (a) and (b) through the engine's policy
//! view (a grant's decision: the citizen ID absent, the mobile number masked) against plain
//! DataFusion over the same Parquet file with no policy at all, alternating, in process.
//!
//! usage: cargo run --release -p query --example policy_cost -- FILE.parquet [RUNS]

use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use model::access::{Basis, Decision, Mask, Verdict};
use model::pii::PiiKind;
use query::{Engine, Limits, PolicyTable};
use std::time::{Duration, Instant};

const VISIBLE: &str = "id, mobile, district, kind, amount, rate, active, paid_on";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: policy_cost FILE.parquet [RUNS]")?;
    let runs: usize = args.get(2).map(|r| r.parse()).transpose()?.unwrap_or(7);
    let verdict = |name: &str| match name {
        "citizen_id" => Verdict::Absent,
        "mobile" => Verdict::Masked {
            mask: Mask::Pii(PiiKind::Mobile),
        },
        _ => Verdict::Raw,
    };
    let columns = [
        "id",
        "citizen_id",
        "mobile",
        "district",
        "kind",
        "amount",
        "rate",
        "active",
        "paid_on",
    ];
    let table = PolicyTable {
        name: "t".into(),
        parquet: path.as_str().into(),
        decision: Decision {
            columns: columns
                .iter()
                .map(|c| (c.to_string(), verdict(c)))
                .collect(),
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
    let queries = [
        (
            "a",
            format!("SELECT {VISIBLE} FROM t WHERE district = '西湖区' AND amount > 30000 ORDER BY id DESC LIMIT 100"),
        ),
        (
            "b",
            "SELECT district, kind, COUNT(*) AS n, SUM(amount) AS total, AVG(rate) AS rate FROM t GROUP BY district, kind".to_string(),
        ),
    ];
    for (name, sql) in &queries {
        let (mut on, mut off, mut utf8) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let t = Instant::now();
            let rows = engine.sql(std::slice::from_ref(&table), sql).await?;
            on.push(t.elapsed());
            let t = Instant::now();
            let ctx = SessionContext::new();
            ctx.register_parquet("t", path, ParquetReadOptions::default())
                .await?;
            let batches = ctx.sql(sql).await?.collect().await?;
            off.push(t.elapsed());
            let plain: usize = batches.iter().map(|b| b.num_rows()).sum();
            assert_eq!(rows.row_count, plain, "both paths return the same rows");
            // Plain DataFusion reading text as Utf8 rather than Utf8View, to tell the cost of
            // the string type from the cost of the policy.
            let t = Instant::now();
            let mut config = SessionConfig::new();
            config
                .options_mut()
                .execution
                .parquet
                .schema_force_view_types = false;
            let ctx = SessionContext::new_with_config(config);
            ctx.register_parquet("t", path, ParquetReadOptions::default())
                .await?;
            ctx.sql(sql).await?.collect().await?;
            utf8.push(t.elapsed());
        }
        let (on, off, utf8) = (median(on), median(off), median(utf8));
        println!(
            "({name}) policy on {:.1} ms, policy off {:.1} ms, cost {:+.1}%; policy off reading Utf8 {:.1} ms",
            on.as_secs_f64() * 1e3,
            off.as_secs_f64() * 1e3,
            (on.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0,
            utf8.as_secs_f64() * 1e3,
        );
    }
    Ok(())
}
