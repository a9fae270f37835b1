//! Where a clean-room query's time goes, against the same SQL in plain DataFusion, with the
//! pseudonyms computed in the plan and read from keyed copies: run with
//! `cargo run --release -p query --example cleanroom_cost -- RECORDS.parquet PEOPLE.parquet`
//! (the files of `bench/cleanroom`, written by any Parquet writer).

use std::sync::Arc;
use std::time::Instant;

use datafusion::prelude::{ParquetReadOptions, SessionContext};
use model::access::{Basis, Decision, Verdict};
use model::cleanroom::{self, Policy};
use query::{CleanRoomQuery, CleanRoomTable, Engine, Limits, PseudonymKey};

const JOIN: &str = "SELECT r.district, p.industry, COUNT(*) AS n, AVG(r.wage) AS avg_wage \
    FROM records r JOIN people p ON r.citizen_id = p.citizen_id GROUP BY r.district, p.industry";
const ONE: &str =
    "SELECT r.district, COUNT(*) AS n, AVG(r.wage) AS avg_wage FROM records r GROUP BY r.district";

fn table(name: &str, path: &str, columns: &[&str]) -> CleanRoomTable {
    let mut policy = Policy::for_entity("citizen_id");
    policy.join_keys = vec!["citizen_id".into()];
    let decision = Decision {
        columns: columns
            .iter()
            .map(|c| {
                let v = if *c == "citizen_id" {
                    Verdict::JoinKeyOnly
                } else {
                    Verdict::Raw
                };
                (c.to_string(), v)
            })
            .collect(),
        row_filter: Vec::new(),
        basis: Basis::Grant("g".into()),
        quota_remaining: None,
    };
    CleanRoomTable {
        name: name.into(),
        parquet: path.into(),
        row_filter: Vec::new(),
        columns: cleanroom::columns(&decision, &policy, &[]),
        hidden: Vec::new(),
        min_entities: 10,
        noise: false,
        max_rows_per_entity: 1,
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (records, people) = (&args[1], &args[2]);
    let tables = vec![
        table(
            "records",
            records,
            &["citizen_id", "district", "month", "wage"],
        ),
        table(
            "people",
            people,
            &["citizen_id", "industry", "size", "salary"],
        ),
    ];
    let in_plan = Engine::new(Limits {
        memory_bytes: 8 << 30,
        timeout: std::time::Duration::from_secs(600),
        ..Limits::default()
    });
    // Keyed copies in a directory of their own, written by the first query (not timed).
    let keyed_dir = std::env::temp_dir().join(format!("gongshu-keyed-{}", std::process::id()));
    let keyed = in_plan.clone().with_keyed_copies(keyed_dir.clone());
    let key = Arc::new(PseudonymKey::new(&[7u8; 32]).unwrap());
    let ctx = SessionContext::new();
    ctx.register_parquet("records", records, ParquetReadOptions::default())
        .await
        .unwrap();
    ctx.register_parquet("people", people, ParquetReadOptions::default())
        .await
        .unwrap();
    // The pseudonym function alone.
    let start = Instant::now();
    let mut acc = 0i128;
    for i in 0..1_000_000u32 {
        acc ^= key.pseudonym(&format!("33010219500101{i:04}"));
    }
    println!("1M pseudonyms: {:?} ({acc})", start.elapsed());
    let run = |engine: Engine, sql: &'static str| {
        let (key, tables) = (Arc::clone(&key), tables.clone());
        async move {
            let start = Instant::now();
            let r = engine
                .cleanroom(
                    key,
                    CleanRoomQuery {
                        tables: &tables,
                        sql,
                        epsilon: 0.1,
                    },
                )
                .await
                .unwrap();
            (start.elapsed(), r.rows.row_count)
        }
    };
    let start = Instant::now();
    run(keyed.clone(), JOIN).await;
    println!("keyed copies written in {:?}", start.elapsed());
    for (label, sql) in [("join", JOIN), ("one table", ONE)] {
        for _ in 0..3 {
            let start = Instant::now();
            ctx.sql(sql).await.unwrap().collect().await.unwrap();
            let plain = start.elapsed();
            let (hashing, groups) = run(in_plan.clone(), sql).await;
            let (copies, _) = run(keyed.clone(), sql).await;
            println!(
                "{label}: plain {plain:?}; clean room pseudonymising in the plan {hashing:?} ({:.2}x), \
                 with keyed copies {copies:?} ({:.2}x); {groups} groups",
                hashing.as_secs_f64() / plain.as_secs_f64(),
                copies.as_secs_f64() / plain.as_secs_f64(),
            );
        }
    }
    let _ = std::fs::remove_dir_all(keyed_dir);
}
