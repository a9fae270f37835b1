#!/usr/bin/env python3
"""Times the same governed queries run on the server and on a Ballista cluster on this machine,
alternating, and prints medians, the ratio, and the per-executor scan rate the cluster showed.

usage: bench.py FILE.csv --gongshu BINARY [--runs N] [--executors N] [--slots N]

FILE.csv is the query benchmark's `services` shape (bench/import/gen_csv.py: 10.5 M service
records). The CSV is imported with `gongshu import`; then one `gongshu cluster scheduler`, N
`gongshu cluster executor` (default 2, each with --slots task slots, default 1, so two executors
use this machine's two cores) and one `gongshu serve` with `cluster_url` set. Every request goes
over HTTP as a reader holding a grant (the mobile masked, the citizen ID absent), so the access
decision, the policy view, the quota and the access log are in both columns; `run_on=local` and
`run_on=cluster` choose where the same request runs, and the harness checks `Gongshu-Ran-On`.

Queries (those of bench/query/bench.py):
  (a)     two filters, a sort, the first 100 rows
  (b)     GROUP BY two columns with COUNT, SUM, AVG over the whole table
  (lookup) the row of one id: little work, so mostly what a query costs apart from its work
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import api, free_port  # noqa: E402

GRANTED = ["id", "mobile", "district", "kind", "amount", "rate", "active", "paid_on"]
QUERIES = {
    "a": ("query", {"filters": '[{"column":"district","op":"eq","value":"西湖区"},'
                               '{"column":"amount","op":"gt","value":30000}]',
                    "sort": "id desc", "limit": 100}),
    "b": ("aggregate", {"group_by": "district,kind", "metrics": "count,sum:amount,avg:rate"}),
    "lookup": ("query", {"filters": '[{"column":"id","op":"eq","value":5000000}]', "limit": 100}),
}


def wait_port(port, what):
    for _ in range(1200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


def same(a, b):
    """Whether two answers hold the same rows: groups in any order, sums and averages of floats
    equal up to the order they were added in."""
    def close(x, y):
        if isinstance(x, float) or isinstance(y, float):
            return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
        return x == y
    ra = sorted(a.pop("records"), key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False)[:80])
    rb = sorted(b.pop("records"), key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False)[:80])
    if a != b or len(ra) != len(rb):
        return False
    key = lambda r: tuple(str(v) for k, v in sorted(r.items()) if not isinstance(v, float))
    ra, rb = sorted(ra, key=key), sorted(rb, key=key)
    return all(x.keys() == y.keys() and all(close(x[k], y[k]) for k in x) for x, y in zip(ra, rb))


def get(base, path, token):
    """(seconds, where it ran, body) of one GET."""
    req = urllib.request.Request(base + path)
    req.add_header("Authorization", "Bearer " + token)
    start = time.monotonic()
    with urllib.request.urlopen(req, timeout=3600) as resp:
        body = resp.read()
        ran_on = resp.headers.get("Gongshu-Ran-On")
    return time.monotonic() - start, ran_on, body


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--gongshu", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--executors", type=int, default=2)
    parser.add_argument("--slots", type=int, default=1)
    args = parser.parse_args()
    gongshu = os.path.abspath(args.gongshu)
    csv_path = os.path.abspath(args.csv)
    rows = sum(1 for _ in open(csv_path, "rb")) - 1

    work = tempfile.mkdtemp(prefix="gongshu-cluster-bench-")
    data = os.path.join(work, "data")
    env = dict(os.environ, GONGSHU_DATA_DIR=data, GONGSHU_PASSWORD="bench password 1", GONGSHU_LOG="warn")
    for var in ["GONGSHU_DATABASE_URL", "GONGSHU_STORAGE_URL", "GONGSHU_CLUSTER_URL"]:
        env.pop(var, None)
    cli = lambda *a: subprocess.run([gongshu, *a], env=env, check=True, capture_output=True, text=True).stdout
    cli("org", "create", "--name", "authority", "--title", "Authority", "--kind", "authority")
    cli("org", "create", "--name", "bench", "--title", "Bench", "--kind", "department")
    cli("user", "create", "--username", "owner", "--role", "staff", "--org", "bench")
    cli("user", "create", "--username", "admin", "--role", "authority", "--org", "authority")
    cli("user", "create", "--username", "reader", "--role", "citizen")
    print("importing …", flush=True)
    cli("import", csv_path, "--dataset", "services", "--resource", "t", "--title", "services", "--as", "owner")
    tokens = {}
    for u in ["owner", "admin", "reader"]:
        out = cli("user", "token", u, "--name", "bench", "--days", "30")
        tokens[u] = next(w for w in out.split() if w.startswith("gs_"))

    processes = []
    try:
        scheduler_port = free_port()
        processes.append(subprocess.Popen(
            [gongshu, "cluster", "scheduler", "--bind", f"127.0.0.1:{scheduler_port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(scheduler_port, "the scheduler")
        for i in range(args.executors):
            flight = free_port()
            processes.append(subprocess.Popen(
                [gongshu, "cluster", "executor", "--scheduler", f"http://127.0.0.1:{scheduler_port}",
                 "--flight-port", str(flight), "--grpc-port", str(free_port()),
                 "--task-slots", str(args.slots), "--memory-mb", "4096",
                 "--work-dir", os.path.join(work, f"executor-{i}")],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_port(flight, "an executor")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        processes.append(subprocess.Popen(
            [gongshu, "serve", "--listen", f"127.0.0.1:{port}",
             "--cluster-url", f"http://127.0.0.1:{scheduler_port}"],
            env=dict(env, GONGSHU_QUERY_TIMEOUT_SECS="600", GONGSHU_QUERY_MEMORY_MB="4096"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(port, "the server")
        agreement = api(base, "GET", "/api/v1/agreement")["sha256"]
        application = api(base, "POST", "/api/v1/applications", tokens["reader"], {
            "dataset": "services", "columns": GRANTED, "modes": ["api"], "duration_days": 30,
            "purpose_category": "research", "purpose": "benchmark", "scenario": "benchmark",
            "accept_agreement": agreement})
        for who in ["owner", "admin"]:
            application = api(base, "POST", f"/api/v1/applications/{application['id']}/review",
                              tokens[who], {"decision": "approve"})
            if application["status"] == "approved":
                break
        assert application["status"] == "approved", application

        results = {}
        for kind, (endpoint, params) in QUERIES.items():
            paths = {
                where: f"/api/v1/datasets/services/{endpoint}?" + urllib.parse.urlencode(dict(params, run_on=where))
                for where in ["local", "cluster"]
            }
            # One of each first: same answer (without the log index), the right place.
            answers = {}
            for where, path in paths.items():
                _, ran_on, body = get(base, path, tokens["reader"])
                assert ran_on == where, (kind, where, ran_on)
                answer = json.loads(body)
                answer.pop("log_index", None)
                answers[where] = answer
            assert same(answers["local"], answers["cluster"]), (kind, answers)
            times = {where: [] for where in paths}
            for _ in range(args.runs):
                for where, path in paths.items():
                    times[where].append(get(base, path, tokens["reader"])[0])
            results[kind] = {w: statistics.median(v) for w, v in times.items()}
            print(f"({kind}) runs in ms: " + "; ".join(
                f"{w} {[round(x * 1000, 1) for x in v]}" for w, v in times.items()), flush=True)
    finally:
        for p in reversed(processes):
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{rows:,} rows; cluster: 1 scheduler, {args.executors} executors x {args.slots} task slots, "
          f"on the same machine as the server; medians of {args.runs}\n")
    print("| query | on the server | on the cluster | cluster / server |")
    print("|---|---|---|---|")
    for kind, r in results.items():
        print(f"| ({kind}) | {r['local'] * 1000:.1f} ms | {r['cluster'] * 1000:.1f} ms | "
              f"{r['cluster'] / r['local']:.2f}x |")
    overhead = results["lookup"]["cluster"] - results["lookup"]["local"]
    work_b = results["b"]["cluster"] - results["lookup"]["cluster"]
    rate = rows / work_b / args.executors
    print(f"\nfixed cost of a cluster query (lookup, cluster - server): {overhead * 1000:.0f} ms")
    print(f"(b) per executor: {rate / 1e6:.1f} M rows/s ({args.slots} slot(s) each)")
    for n_rows, n_exec in [(1_000_000_000, 10)]:
        est = results["lookup"]["cluster"] + n_rows / (rate * n_exec)
        print(f"estimate for (b) over {n_rows:,} rows on {n_exec} such executors: {est:.1f} s")


if __name__ == "__main__":
    main()
