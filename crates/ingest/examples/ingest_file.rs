//! Times one ingest of a file without the rest of the platform: the same `ingest_file` that
//! `gongshu import` runs, into a temporary directory. For profiling the ingest on its own; the
//! benchmark proper (bench/import) times `gongshu import`.
//!
//! usage: cargo run --release -p ingest --example ingest_file -- FILE [RUNS]

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let source = std::path::Path::new(args.get(1).ok_or("usage: ingest_file FILE [RUNS]")?);
    let runs: usize = args.get(2).map(|r| r.parse()).transpose()?.unwrap_or(1);
    let file_name = source
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("the file needs a name")?;
    let dir = tempfile::tempdir()?;
    let limits = ingest::Limits {
        max_upload_bytes: u64::MAX,
        ..ingest::Limits::default()
    };
    for run in 1..=runs {
        let dest = dir.path().join(format!("{run}.parquet"));
        let start = Instant::now();
        let outcome = ingest::ingest_file(ingest::IngestRequest {
            source,
            file_name,
            dest: &dest,
            limits: &limits,
            progress: None,
            key: &[],
            sort_by: None,
        })?;
        println!(
            "run {run}: {:.2} s, {} rows, {} bytes of Parquet",
            start.elapsed().as_secs_f64(),
            outcome.row_count,
            outcome.byte_size
        );
        std::fs::remove_file(&dest)?;
    }
    Ok(())
}
