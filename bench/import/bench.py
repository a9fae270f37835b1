#!/usr/bin/env python3
"""Times `gongshu import` against DuckDB's CSV → Parquet conversion of the same file, alternating
runs, and reports the median time ratio and Gongshu's peak RSS.

usage: bench.py FILE.csv GONGSHU_BINARY [RUNS]
Needs `pip install duckdb`. Each Gongshu run imports into a fresh data directory.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, env=None):
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - start
    if status != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss * 1024


def main():
    csv, binary = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    ours, theirs, rss = [], [], []
    for i in range(runs):
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, GONGSHU_DATA_DIR=d, GONGSHU_PASSWORD="bench password")
            subprocess.run([binary, "org", "create", "--name", "bench", "--title", "Bench", "--kind", "department"], env=env, check=True, capture_output=True)
            subprocess.run([binary, "user", "create", "--username", "bench", "--role", "staff", "--org", "bench"], env=env, check=True, capture_output=True)
            t, m = run([binary, "import", csv, "--dataset", "bench", "--title", "Bench", "--as", "bench"], env=env)
            ours.append(t)
            rss.append(m)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "f.parquet")
            sql = f"COPY (SELECT * FROM read_csv_auto('{csv}')) TO '{out}' (FORMAT PARQUET)"
            t, _ = run([sys.executable, "-c", f"import duckdb; duckdb.sql({sql!r})"])
            theirs.append(t)
        print(f"run {i + 1}: gongshu {ours[-1]:.2f}s (peak RSS {rss[-1] / 2**20:.0f} MiB), duckdb {theirs[-1]:.2f}s", flush=True)
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"median gongshu {mo:.2f}s, duckdb {mt:.2f}s, ratio {mo / mt:.2f}x, peak RSS {max(rss) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
