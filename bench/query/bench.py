#!/usr/bin/env python3
"""Times Gongshu's governed data service over HTTP against DuckDB and PostgreSQL 15 on the same
10-million-row table, alternating runs, and reports median ratios.

usage: bench.py FILE.csv GONGSHU_BINARY PG_URL [RUNS]

Gongshu: the CSV is imported with `gongshu import`, a reader applies for a grant through the API
(all columns but the citizen ID; the mobile column is L3 and so masked), the owning department and
the authority approve, and every request is made as that reader, so HTTP, the access decision,
masking and quota accounting are all included.
DuckDB: the same SQL on the same Parquet file (the version Gongshu wrote), in process.
PostgreSQL: the table loaded with COPY as CKAN's DataStore keeps it (a plain table, no extra
indexes), queried through psycopg.

Queries:
  (a) datastore_search-style: two filters, a sort, limit 100
  (b) GROUP BY over the whole table
  (c) a full CSV download

Needs `pip install duckdb "psycopg[binary]"`.
"""
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

SQL_A = ("SELECT * FROM t WHERE district = '西湖区' AND amount > 30000 "
         "ORDER BY id DESC LIMIT 100")
SQL_B = ("SELECT district, kind, COUNT(*) AS n, SUM(amount) AS total, AVG(rate) AS rate "
         "FROM t GROUP BY district, kind")
COLUMNS = ["id", "mobile", "district", "kind", "amount", "rate", "active", "paid_on"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, method, path, token=None, body=None):
    req = urllib.request.Request(base + path, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data=data, timeout=600) as resp:
        return json.loads(resp.read())


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def drain(url, token):
    req = urllib.request.Request(url)
    req.add_header("Authorization", "Bearer " + token)
    n = 0
    with urllib.request.urlopen(req, timeout=3600) as resp:
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            n += len(chunk)
    return n


def main():
    csv_path, binary, pg_url = sys.argv[1], sys.argv[2], sys.argv[3]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    import duckdb
    import psycopg

    work = tempfile.mkdtemp(prefix="gongshu-query-bench-")
    env = dict(os.environ, GONGSHU_DATA_DIR=work, GONGSHU_PASSWORD="bench password 1")
    cli = lambda *args: subprocess.run([binary, *args], env=env, check=True, capture_output=True, text=True).stdout
    cli("org", "create", "--name", "authority", "--title", "Authority", "--kind", "authority")
    cli("org", "create", "--name", "bench", "--title", "Bench", "--kind", "department")
    cli("user", "create", "--username", "owner", "--role", "staff", "--org", "bench")
    cli("user", "create", "--username", "admin", "--role", "authority", "--org", "authority")
    cli("user", "create", "--username", "reader", "--role", "citizen")
    print("importing …", flush=True)
    cli("import", csv_path, "--dataset", "bench", "--resource", "t", "--title", "Bench", "--as", "owner")
    tokens = {}
    for u in ["owner", "admin", "reader"]:
        out = cli("user", "token", u, "--name", "bench", "--days", "30")
        tokens[u] = next(w for w in out.split() if w.startswith("gs_"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}"], env=dict(env, GONGSHU_QUERY_TIMEOUT_SECS="600", GONGSHU_QUERY_MEMORY_MB="4096"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        agreement = api(base, "GET", "/api/v1/agreement")["sha256"]
        app = api(base, "POST", "/api/v1/applications", tokens["reader"], {
            "dataset": "bench", "columns": COLUMNS, "modes": ["api", "download"], "duration_days": 30,
            "purpose_category": "research", "purpose": "benchmark", "scenario": "benchmark",
            "accept_agreement": agreement})
        for who in ["owner", "admin"]:
            app = api(base, "POST", f"/api/v1/applications/{app['id']}/review", tokens[who], {"decision": "approve"})
            if app["status"] == "approved":
                break
        assert app["status"] == "approved", app
        found = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(work, "versions")) for f in fs if f.endswith(".parquet")]
        assert len(found) == 1, found
        parquet = found[0]
        print("parquet:", parquet, flush=True)

        duck = duckdb.connect()
        duck.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{parquet}')")
        pg = psycopg.connect(pg_url, autocommit=True)
        with pg.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS t")
            cur.execute("CREATE TABLE t (id bigint, citizen_id text, mobile text, district text, kind text, "
                        "amount bigint, rate double precision, active boolean, paid_on date)")
            print("loading PostgreSQL …", flush=True)
            with open(csv_path, "rb") as f, cur.copy("COPY t FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
            cur.execute("ANALYZE t")

        filters = json.dumps([{"column": "district", "op": "eq", "value": "西湖区"},
                              {"column": "amount", "op": "gt", "value": 30000}], ensure_ascii=False)
        q_a = "/api/v1/datasets/bench/query?" + urllib.parse.urlencode({"filters": filters, "sort": "id desc", "limit": 100})
        q_b = "/api/v1/datasets/bench/aggregate?" + urllib.parse.urlencode({"group_by": "district,kind", "metrics": "count,sum:amount,avg:rate"})
        q_c = base + "/api/v1/datasets/bench/download?format=csv"
        rows_a = api(base, "GET", q_a, tokens["reader"])
        assert rows_a["row_count"] == 100 and rows_a["access"]["basis"] == "grant", rows_a["access"]
        assert "mobile" in rows_a["access"]["masked_columns"]

        def pg_run(sql):
            with pg.cursor() as cur:
                cur.execute(sql)
                cur.fetchall()

        def pg_copy():
            with pg.cursor() as cur:
                with cur.copy("COPY (SELECT id, mobile, district, kind, amount, rate, active, paid_on FROM t) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
                    for _ in copy:
                        pass

        out_csv = os.path.join(work, "duck.csv")
        cases = {
            "a": (lambda: api(base, "GET", q_a, tokens["reader"]), lambda: duck.execute(SQL_A).fetchall(), lambda: pg_run(SQL_A)),
            "b": (lambda: api(base, "GET", q_b, tokens["reader"]), lambda: duck.execute(SQL_B).fetchall(), lambda: pg_run(SQL_B)),
            "c": (lambda: drain(q_c, tokens["reader"]),
                  lambda: duck.execute(f"COPY (SELECT id, mobile, district, kind, amount, rate, active, paid_on FROM t) TO '{out_csv}' (HEADER)"),
                  pg_copy),
        }
        results = {}
        for name, (ours, duckf, pgf) in cases.items():
            times = {"gongshu": [], "duckdb": [], "postgres": []}
            n = runs if name != "c" else max(3, runs // 2)
            for i in range(n):
                for label, fn in [("gongshu", ours), ("duckdb", duckf), ("postgres", pgf)]:
                    times[label].append(timed(fn))
            med = {k: statistics.median(v) for k, v in times.items()}
            results[name] = med
            print(f"({name}) gongshu {med['gongshu']*1000:.1f} ms, duckdb {med['duckdb']*1000:.1f} ms, postgres {med['postgres']*1000:.1f} ms; "
                  f"gongshu/duckdb {med['gongshu']/med['duckdb']:.2f}x, postgres/gongshu {med['postgres']/med['gongshu']:.2f}x", flush=True)
            print("    runs:", {k: [round(x * 1000, 1) for x in v] for k, v in times.items()}, flush=True)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
