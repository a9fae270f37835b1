#!/usr/bin/env python3
"""Several servers, measured side by side in one run (issue: several nodes).

1. Logged query throughput: `wrk` sends the same logged query (`bus-stops`, 5 rows, one access-log
   leaf per answer) to one server directly, to the same server behind nginx, and to three servers
   behind nginx, all on one PostgreSQL database and one shared file directory, alternating runs.
   The machine has two cores, so three servers cannot scale: what the ratio shows is what
   coordination costs (log appends taking turns across servers, nginx in the path).
2. Files on object storage against local disk: `gongshu import` of a CSV (the import benchmark's
   10.5 M rows) into a fresh data directory with files on local disk and with files in an
   S3-compatible store, then the query benchmark's (a), (b) and (lookup) over HTTP on each, as the
   owner, alternating runs.

usage: bench.py --gongshu BINARY --pg PG_URL --s3 ENDPOINT --bucket BUCKET --csv FILE.csv
                [--nginx /usr/sbin/nginx] [--runs N] [--seconds S] [--connections C]

PG_URL is a server where the benchmark may create and drop the database `gongshu_bench_nodes`.
ENDPOINT is an S3-compatible server with BUCKET (for example moto's, as the test script starts
it); its speed is part of part 2, so say which server was used when recording the results.
Needs wrk and nginx from Debian, and psql.
"""
import argparse
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import api, free_port, timed  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "docs", "examples")


def query_bench():
    """The query benchmark's table shapes and request builder."""
    spec = importlib.util.spec_from_file_location("query_bench", os.path.join(ROOT, "bench", "query", "bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_ready(base, proc):
    for _ in range(3000):
        if proc.poll() is not None:
            raise SystemExit(f"the server at {base} stopped")
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1)
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"the server at {base} did not become ready")


def serve(binary, env, args, log):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    wait_ready(base, proc)
    return proc, base


def nginx(binary, prefix, port, upstreams):
    """nginx with the example configuration, in front of `upstreams` (host:port)."""
    with open(os.path.join(EXAMPLES, "nginx.conf")) as f:
        conf = f.read()
    lines = []
    for line in conf.splitlines():
        m = re.search(r"server 127\.0\.0\.1:(808[1-3]) ", line)
        if m:
            i = int(m.group(1)) - 8081
            if i >= len(upstreams):
                continue
            line = line.replace(f"127.0.0.1:{m.group(1)}", upstreams[i])
        lines.append(line.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};"))
    os.makedirs(prefix, exist_ok=True)
    os.chmod(prefix, 0o755)
    path = os.path.join(prefix, "nginx.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    proc = subprocess.Popen([binary, "-p", prefix, "-c", path, "-e", os.path.join(prefix, "error.log"),
                             "-g", "daemon off;"])
    wait_ready(f"http://127.0.0.1:{port}", proc)
    return proc


def wrk(url, seconds, connections):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],
                         check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors:
        raise SystemExit(f"wrk saw failures:\n{out}")
    return rate


def log_size(base):
    return api(base, "GET", "/log/entries?start=0&end=0")["tree_size"]


def psql(url, sql):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True, capture_output=True)


def with_database(url, name):
    base, _, params = url.partition("?")
    scheme, _, rest = base.partition("://")
    server = rest.split("/", 1)[0]
    return f"{scheme}://{server}/{name}" + (f"?{params}" if params else "")


def throughput(args, work):
    name = "gongshu_bench_nodes"
    psql(args.pg, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(args.pg, f"CREATE DATABASE {name}")
    database = with_database(args.pg, name)
    files = os.path.join(work, "files")
    os.makedirs(files)
    env = dict(os.environ, GONGSHU_LOG="warn")
    common = ["--config", os.path.join(EXAMPLES, "gongshu-node.toml"), "--database-url", database,
              "--storage-url", f"file://{files}", "--secrets-dir", os.path.join(work, "secrets"),
              "--public-url", "http://127.0.0.1"]
    log = open(os.path.join(work, "servers.log"), "w")
    servers = []
    balancers = []
    try:
        for i in range(3):
            extra = ["--demo"] if i == 0 else []
            servers.append(serve(args.gongshu, env, [*common, "--data-dir", os.path.join(work, f"node{i}"), *extra], log))
        addresses = [base.removeprefix("http://") for _, base in servers]
        one_port, three_port = free_port(), free_port()
        balancers.append(nginx(args.nginx, os.path.join(work, "nginx1"), one_port, addresses[:1]))
        balancers.append(nginx(args.nginx, os.path.join(work, "nginx3"), three_port, addresses))
        path = "/api/v1/datasets/bus-stops/query?limit=5"
        setups = {
            "one server": servers[0][1],
            "one server behind nginx": f"http://127.0.0.1:{one_port}",
            "three servers behind nginx": f"http://127.0.0.1:{three_port}",
        }
        rates = {k: [] for k in setups}
        for run in range(args.runs):
            for label, base in setups.items():
                before = log_size(servers[0][1])
                rate = wrk(base + path, args.seconds, args.connections)
                logged = log_size(servers[0][1]) - before
                rates[label].append(rate)
                print(f"run {run + 1}: {label}: {rate:.0f} logged queries/s ({logged} leaves)", flush=True)
        print()
        print("| setup | logged queries/s (median) | against one server |")
        print("|---|---|---|")
        one = statistics.median(rates["one server"])
        for label in setups:
            m = statistics.median(rates[label])
            print(f"| {label} | {m:.0f} | {m / one:.2f}x |")
        print()
    finally:
        for p in balancers:
            p.terminate()
            p.wait()
        for p, _ in servers:
            p.terminate()
            p.wait()
        log.close()
        psql(args.pg, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def storage(args, work):
    qb = query_bench()
    shape = qb.SHAPES["services"]
    needle = qb.needle_of(args.csv)
    setups = {
        "local disk": [],
        "object store": ["--storage-url", f"s3://{args.bucket}/b{uuid.uuid4().hex[:6]}",
                         "--storage-endpoint", args.s3],
    }
    results = {}
    for label, storage_args in setups.items():
        data = os.path.join(work, label.replace(" ", "-"))
        env = dict(os.environ, GONGSHU_DATA_DIR=data, GONGSHU_PASSWORD="bench password 1",
                   AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", GONGSHU_LOG="warn")
        cli = lambda *a: subprocess.run([args.gongshu, *a, *storage_args], env=env, check=True,  # noqa: E731
                                        capture_output=True, text=True).stdout
        subprocess.run([args.gongshu, "org", "create", "--name", "bench", "--title", "Bench", "--kind", "department"],
                       env=env, check=True, capture_output=True)
        subprocess.run([args.gongshu, "user", "create", "--username", "owner", "--role", "staff", "--org", "bench"],
                       env=env, check=True, capture_output=True)
        print(f"[{label}] importing …", flush=True)
        imported = timed(lambda: cli("import", args.csv, "--dataset", "services", "--resource", "t",
                                     "--title", "services", "--as", "owner"))
        out = subprocess.run([args.gongshu, "user", "token", "owner", "--name", "bench", "--days", "30"],
                             env=env, check=True, capture_output=True, text=True).stdout
        token = next(w for w in out.split() if w.startswith("gs_"))
        results[label] = {"import": imported, "env": env, "token": token, "args": storage_args, "data": data}
        print(f"[{label}] import {imported:.2f} s", flush=True)
    log = open(os.path.join(work, "storage-servers.log"), "w")
    running = []
    try:
        for label, r in results.items():
            proc, base = serve(args.gongshu, dict(r["env"], GONGSHU_QUERY_TIMEOUT_SECS="600",
                                                  GONGSHU_QUERY_MEMORY_MB="4096"), r["args"], log)
            running.append(proc)
            r["base"] = base
        kinds = ["a", "b", "lookup"]
        times = {(label, k): [] for label in results for k in kinds}
        for run in range(args.runs):
            for k in kinds:
                path = qb.rest_path("services", k, shape["queries"][k][0], needle)
                for label, r in results.items():
                    times[(label, k)].append(timed(lambda: api(r["base"], "GET", path, r["token"])))
            print(f"run {run + 1}: " + ", ".join(f"{label} {k} {times[(label, k)][-1] * 1000:.0f} ms"
                                                 for k in kinds for label in results), flush=True)
        print()
        print("| | local disk | object store | ratio |")
        print("|---|---|---|---|")
        local, remote = results["local disk"], results["object store"]
        print(f"| import | {local['import']:.2f} s | {remote['import']:.2f} s | {remote['import'] / local['import']:.2f}x |")
        for k in kinds:
            lo = statistics.median(times[("local disk", k)])
            ob = statistics.median(times[("object store", k)])
            # The first run reads footers and bloom filters; later runs have them in memory.
            first_lo, first_ob = times[("local disk", k)][0], times[("object store", k)][0]
            print(f"| ({k}) median | {lo * 1000:.0f} ms | {ob * 1000:.0f} ms | {ob / lo:.2f}x |")
            print(f"| ({k}) first | {first_lo * 1000:.0f} ms | {first_ob * 1000:.0f} ms | {first_ob / first_lo:.2f}x |")
    finally:
        for p in running:
            p.terminate()
            p.wait()
        log.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gongshu", required=True)
    p.add_argument("--pg", required=True)
    p.add_argument("--s3", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--csv", required=True)
    p.add_argument("--nginx", default="/usr/sbin/nginx")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--skip-storage", action="store_true")
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="gongshu-bench-nodes-")
    try:
        if not args.skip_throughput:
            throughput(args, work)
        if not args.skip_storage:
            storage(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
