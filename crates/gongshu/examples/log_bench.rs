//! What the access log costs, measured by hand (see bench/RESULTS.md):
//!
//! 1. Throughput: 32 concurrent HTTP clients querying a small demo dataset, each query logged,
//!    against the same server built with appends switched off. Runs alternate; medians.
//! 2. Inclusion proofs in a log of 1,000,000 entries kept in SQLite, through the same code the
//!    `/log/proof/inclusion` endpoint runs.
//!
//! `cargo run --release -p gongshu --example log_bench -- [SECONDS_PER_RUN] [RUNS] [ENTRIES]`

use app::audit::AuditLog;
use server::Config;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;

async fn start(dir: &std::path::Path, logged: bool) -> (String, server::state::SharedState) {
    let config = Config {
        data_dir: dir.to_path_buf(),
        demo: true,
        ..Config::default()
    };
    let built = if logged {
        server::build(config).await.unwrap()
    } else {
        server::build_with(config, AuditLog::without_appends)
            .await
            .unwrap()
    };
    let state = built.app.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(built, listener, std::future::pending()));
    (url, state)
}

/// Queries per second of 32 clients for `secs` seconds.
async fn load(url: &str, secs: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (url, done) = (url.to_string(), done.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = c;
            while Instant::now() < stop {
                let r = http
                    .get(format!(
                        "{url}/api/v1/datasets/bus-stops/query?limit=20&offset={}",
                        i % 50
                    ))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
                done.fetch_add(1, Ordering::Relaxed);
                i += CLIENTS;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / secs as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let secs = args.first().copied().unwrap_or(10);
    let runs = args.get(1).copied().unwrap_or(3);
    let entries = args.get(2).copied().unwrap_or(1_000_000);

    let on_dir = tempfile::tempdir().unwrap();
    let off_dir = tempfile::tempdir().unwrap();
    let (on_url, on_state) = start(on_dir.path(), true).await;
    let (off_url, _) = start(off_dir.path(), false).await;
    load(&on_url, 2).await; // warm up both
    load(&off_url, 2).await;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let a = load(&on_url, secs).await;
        let b = load(&off_url, secs).await;
        println!("run {}: logged {a:.0} q/s, unlogged {b:.0} q/s", run + 1);
        on.push(a);
        off.push(b);
    }
    let (on, off) = (median(on), median(off));
    println!(
        "throughput: logged {on:.0} q/s, unlogged {off:.0} q/s, ratio {:.2} (target ≥ 0.70)",
        on / off
    );
    let size = on_state.log().size().await.unwrap();
    println!("the logged server's log holds {size} entries");

    // A log of `entries` leaves, written in batches the way the writer does.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("gongshu.db").display());
    let store = store::connect(&url).await.unwrap();
    let log = AuditLog::open(dir.path(), "bench/log", store.clone()).unwrap();
    let filled = Instant::now();
    let mut n = 0u64;
    while n < entries {
        let count = 10_000.min(entries - n);
        let batch: Vec<store::NewLogEntry> = (n..n + count)
            .map(|i| store::NewLogEntry {
                data: format!(
                    "{{\"v\":1,\"time\":\"2026-11-27T00:00:00.000Z\",\"kind\":\"data.query\",\"dataset\":\"d{}\",\"actor\":\"anonymous\",\"rows\":{},\"commitment\":\"{:064x}\"}}",
                    i % 100,
                    i % 1000,
                    i
                ),
                kind: "data.query".into(),
                dataset: Some(format!("d{}", i % 100)),
                rows: (i % 1000) as i64,
                created_at: 0,
                salt: String::new(),
                detail: String::new(),
            })
            .collect();
        let reads: Vec<i64> = tlog::tree::append_batch_reads(n, count)
            .unwrap()
            .into_iter()
            .map(|i| i as i64)
            .collect();
        let reads: Vec<tlog::Hash> = store
            .log_hashes(&reads)
            .await
            .unwrap()
            .into_iter()
            .map(tlog::Hash)
            .collect();
        let leaves: Vec<tlog::Hash> = batch
            .iter()
            .map(|e| tlog::leaf_hash(e.data.as_bytes()))
            .collect();
        let made = tlog::tree::append_batch(n, &leaves, &reads).unwrap();
        let made: Vec<[u8; 32]> = made.iter().map(|h| h.0).collect();
        store
            .log_append(n as i64, &batch, tlog::tree::stored_count(n) as i64, &made)
            .await
            .unwrap();
        n += count;
    }
    println!(
        "filled a log of {entries} entries in {:.1} s",
        filled.elapsed().as_secs_f64()
    );
    let root = log.root(entries).await.unwrap();
    let mut times = Vec::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let index = state % entries;
        let t = Instant::now();
        let proof = log.inclusion_proof(index, entries).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        let data = &store
            .log_entries(index as i64, index as i64 + 1)
            .await
            .unwrap()[0]
            .data;
        tlog::verify_inclusion(
            &tlog::leaf_hash(data.as_bytes()),
            index,
            entries,
            &proof,
            &root,
        )
        .unwrap();
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "inclusion proof in a log of {entries}: median {:.3} ms, p99 {:.3} ms, max {:.3} ms (target < 1 ms)",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times[times.len() - 1]
    );
}
