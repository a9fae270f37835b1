#!/usr/bin/env python3
"""Times Gongshu's governed data service over HTTP against plain DataFusion, DuckDB and
PostgreSQL 15 on the same table, for two table shapes, alternating runs, and prints one table per
shape with medians and ratios.

usage: bench.py SHAPE=FILE.csv [SHAPE=FILE.csv ...] --gongshu BINARY --pg PG_URL [--runs N] [--download]

Shapes (generate their CSVs first):
  services  bench/import/gen_csv.py: 10.5 M service records (sequential id, citizen ID, mobile,
            district, kind, amount, rate, active, paid_on)
  readings  bench/query/gen_readings.py: 10 M air-quality readings (random reading id, station
            code, ascending timestamp, pollutant, value, aqi, valid, operator mobile, remark)

Engines, each on the same data:
  gongshu     the CSV imported with `gongshu import`; every request over HTTP by a reader holding a
              grant (all columns but the citizen ID, the mobile masked), so HTTP, the access
              decision, the policy view, quota accounting and the log are all measured; the
              requests go over one kept connection, as an API client sends them (before
              2026-12-08, grouping by few values: a new connection per request via urllib,
              about 0.6 ms more each)
  datafusion  plain DataFusion 55 (the Python bindings, default settings) on Gongshu's Parquet
  duckdb      DuckDB on Gongshu's Parquet
  duckdb-own  DuckDB on a Parquet file DuckDB wrote itself from the CSV (its own layout)
  postgres    the table loaded with COPY as CKAN's DataStore keeps it (no index), via psycopg

Queries per shape:
  (a)      datastore_search-style: two filters, a sort, the first 100 rows
  (b)      GROUP BY two columns with COUNT, SUM, AVG over the whole table
  (lookup) equality on an identifier-like column, the first 100 rows
  (scan)   equality on a column no statistic or bloom filter helps with: a full scan
  (lookup-scan)  readings only: the lookup's row found by a prefix of its identifier, which no
           bloom filter or statistic answers: the full scan of the identifier column a lookup
           saves
  (c)      with --download: the whole table as CSV

Also printed: the time of `gongshu import` and of DuckDB's CSV -> Parquet for each shape (one run
each; bench/import/bench.py measures import properly).

Needs `pip install duckdb datafusion==55.0.0 "psycopg[binary]"`.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import Client, api, free_port, timed  # noqa: E402

SHAPES = {
    "services": {
        "pg_columns": "id bigint, citizen_id text, mobile text, district text, kind text, amount bigint, "
                      "rate double precision, active boolean, paid_on date",
        "granted": ["id", "mobile", "district", "kind", "amount", "rate", "active", "paid_on"],
        "masked": "mobile",
        "queries": {
            "a": ({"filters": [{"column": "district", "op": "eq", "value": "西湖区"},
                               {"column": "amount", "op": "gt", "value": 30000}],
                   "sort": "id desc", "limit": 100},
                  "SELECT {cols} FROM t WHERE district = '西湖区' AND amount > 30000 ORDER BY id DESC LIMIT 100"),
            "b": ({"group_by": "district,kind", "metrics": "count,sum:amount,avg:rate"},
                  "SELECT district, kind, COUNT(*) AS n, SUM(amount) AS total, AVG(rate) AS rate FROM t GROUP BY district, kind"),
            # The id of the row in the middle of the file, read from the CSV at start.
            "lookup": ({"filters": [{"column": "id", "op": "eq", "value": "{needle}"}], "limit": 100},
                       "SELECT {cols} FROM t WHERE id = {needle} LIMIT 100"),
            # The kind, amount and rate of the row in the middle: they repeat every 120,000 rows,
            # so about 90 matches spread over the file.
            "scan": ({"filters": [{"column": "kind", "op": "eq", "value": "{field4}"},
                                  {"column": "amount", "op": "eq", "value": "{field5}"},
                                  {"column": "rate", "op": "eq", "value": "{field6}"}], "limit": 100},
                     "SELECT {cols} FROM t WHERE kind = '{field4}' AND amount = {field5} AND rate = {field6} LIMIT 100"),
        },
    },
    "readings": {
        "pg_columns": "reading_id text, station text, measured_at timestamp, pollutant text, value double precision, "
                      "aqi bigint, valid boolean, operator_mobile text, remark text",
        "granted": ["reading_id", "station", "measured_at", "pollutant", "value", "aqi", "valid", "operator_mobile", "remark"],
        "masked": "operator_mobile",
        "queries": {
            "a": ({"filters": [{"column": "station", "op": "eq", "value": "330104-0042"},
                               {"column": "value", "op": "gt", "value": 100}],
                   "sort": "measured_at desc", "limit": 100},
                  "SELECT {cols} FROM t WHERE station = '330104-0042' AND value > 100 ORDER BY measured_at DESC LIMIT 100"),
            "b": ({"group_by": "pollutant,valid", "metrics": "count,sum:aqi,avg:value"},
                  "SELECT pollutant, valid, COUNT(*) AS n, SUM(aqi) AS total, AVG(value) AS value FROM t GROUP BY pollutant, valid"),
            # The identifier of a row in the middle of the file, read from the CSV at start.
            "lookup": ({"filters": [{"column": "reading_id", "op": "eq", "value": "{needle}"}], "limit": 100},
                       "SELECT {cols} FROM t WHERE reading_id = '{needle}' LIMIT 100"),
            # The value of the row in the middle: about 30 matches spread over the file.
            "scan": ({"filters": [{"column": "value", "op": "eq", "value": "{field4}"}], "limit": 100},
                     "SELECT {cols} FROM t WHERE value = {field4} LIMIT 100"),
            # The lookup's row found by a full scan of the same column: every identifier has 16
            # digits, so the prefix matches that row alone, and neither bloom filters nor the
            # statistics of random identifiers rule out a row group for it.
            "lookup-scan": ({"filters": [{"column": "reading_id", "op": "like", "value": "{needle}%"}], "limit": 100},
                            "SELECT {cols} FROM t WHERE reading_id LIKE '{needle}%' LIMIT 100"),
        },
    },
}


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


def needle_of(csv_path):
    """The fields of the row in the middle of the file."""
    size = os.path.getsize(csv_path)
    with open(csv_path, "rb") as f:
        f.seek(size // 2)
        f.readline()
        return f.readline().decode().rstrip("\n").split(",")


def fill(text, needle):
    """`text` with {needle} as the first field of the middle row and {fieldN} as its Nth."""
    text = text.replace("{needle}", needle[0])
    for i, v in enumerate(needle):
        text = text.replace("{field%d}" % i, v)
    return text


def rest_path(dataset, kind, params, needle):
    params = dict(params)
    if "filters" in params:
        filters = json.loads(fill(json.dumps(params["filters"], ensure_ascii=False), needle))
        # Numbers of the middle row go as numbers.
        for f in filters:
            if isinstance(f["value"], str) and f["value"].replace(".", "", 1).isdigit() and f["column"] != "reading_id":
                f["value"] = float(f["value"]) if "." in f["value"] else int(f["value"])
        params["filters"] = json.dumps(filters, ensure_ascii=False)
    endpoint = "aggregate" if kind == "b" else "query"
    return f"/api/v1/datasets/{dataset}/{endpoint}?" + urllib.parse.urlencode(params)


def bench_shape(name, csv_path, args, pg):
    import datafusion
    import duckdb

    shape = SHAPES[name]
    work = tempfile.mkdtemp(prefix=f"gongshu-query-bench-{name}-")
    env = dict(os.environ, GONGSHU_DATA_DIR=work, GONGSHU_PASSWORD="bench password 1")
    cli = lambda *a: subprocess.run([args.gongshu, *a], env=env, check=True, capture_output=True, text=True).stdout
    cli("org", "create", "--name", "authority", "--title", "Authority", "--kind", "authority")
    cli("org", "create", "--name", "bench", "--title", "Bench", "--kind", "department")
    cli("user", "create", "--username", "owner", "--role", "staff", "--org", "bench")
    cli("user", "create", "--username", "admin", "--role", "authority", "--org", "authority")
    cli("user", "create", "--username", "reader", "--role", "citizen")
    print(f"[{name}] importing …", flush=True)
    import_time = timed(lambda: cli("import", csv_path, "--dataset", name, "--resource", "t", "--title", name, "--as", "owner"))
    own = os.path.join(work, "duckdb-own.parquet")
    duck_import = timed(lambda: duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{csv_path}')) TO '{own}' (FORMAT parquet)"))
    print(f"[{name}] import: gongshu {import_time:.2f} s, duckdb csv->parquet {duck_import:.2f} s, "
          f"ratio {import_time / duck_import:.2f}x", flush=True)
    tokens = {}
    for u in ["owner", "admin", "reader"]:
        out = cli("user", "token", u, "--name", "bench", "--days", "30")
        tokens[u] = next(w for w in out.split() if w.startswith("gs_"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.gongshu, "serve", "--listen", f"127.0.0.1:{port}"],
                              env=dict(env, GONGSHU_QUERY_TIMEOUT_SECS="600", GONGSHU_QUERY_MEMORY_MB="4096"),
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
            "dataset": name, "columns": shape["granted"], "modes": ["api", "download"], "duration_days": 30,
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
        meta = duckdb.connect().execute(
            f"SELECT count(DISTINCT row_group_id), max(row_group_num_rows) FROM parquet_metadata('{parquet}')").fetchone()
        own_meta = duckdb.connect().execute(
            f"SELECT count(DISTINCT row_group_id), max(row_group_num_rows) FROM parquet_metadata('{own}')").fetchone()
        print(f"[{name}] gongshu's file: {os.path.getsize(parquet) / 1e6:.0f} MB, {meta[0]} row groups of up to {meta[1]} rows; "
              f"duckdb's: {os.path.getsize(own) / 1e6:.0f} MB, {own_meta[0]} row groups of up to {own_meta[1]} rows", flush=True)

        duck = duckdb.connect()
        duck.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{parquet}')")
        duck_own = duckdb.connect()
        duck_own.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{own}')")
        fusion = datafusion.SessionContext()
        fusion.register_parquet("t", parquet)
        with pg.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS t")
            cur.execute(f"CREATE TABLE t ({shape['pg_columns']})")
            print(f"[{name}] loading PostgreSQL …", flush=True)
            with open(csv_path, "rb") as f, cur.copy("COPY t FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
            cur.execute("ANALYZE t")

        needle = needle_of(csv_path)
        cols = ", ".join(shape["granted"])

        def pg_run(sql):
            with pg.cursor() as cur:
                cur.execute(sql)
                cur.fetchall()

        cases = {}
        client = Client(base)
        for kind, (params, sql) in shape["queries"].items():
            path = rest_path(name, kind, params, needle)
            sql = fill(sql.replace("{cols}", cols), needle)
            answer = api(base, "GET", path, tokens["reader"])
            assert answer["access"]["basis"] == "grant", answer["access"]
            if kind != "b":
                assert shape["masked"] in answer["access"]["masked_columns"]
            if kind == "a":
                assert answer["row_count"] == 100, answer["row_count"]
            if kind in ("lookup", "lookup-scan"):
                assert answer["row_count"] == 1, (needle, answer["row_count"])
            if kind == "scan":
                assert 1 <= answer["row_count"] < 100, (needle, answer["row_count"])
            cases[kind] = {
                "gongshu": (lambda p=path: client.get(p, tokens["reader"])),
                "datafusion": (lambda s=sql: fusion.sql(s).collect()),
                "duckdb": (lambda s=sql: duck.execute(s).fetchall()),
                "duckdb-own": (lambda s=sql: duck_own.execute(s).fetchall()),
                "postgres": (lambda s=sql: pg_run(s)),
            }
        if args.download:
            out_csv = os.path.join(work, "duck.csv")
            copy_sql = f"SELECT {cols} FROM t"

            def pg_copy():
                with pg.cursor() as cur:
                    with cur.copy(f"COPY ({copy_sql}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
                        for _ in copy:
                            pass
            cases["c"] = {
                "gongshu": lambda: drain(f"{base}/api/v1/datasets/{name}/download?format=csv", tokens["reader"]),
                "duckdb": lambda: duck.execute(f"COPY ({copy_sql}) TO '{out_csv}' (HEADER)"),
                "postgres": pg_copy,
            }
        results = {}
        for kind, engines in cases.items():
            times = {e: [] for e in engines}
            n = args.runs if kind != "c" else max(3, args.runs // 2)
            for _ in range(n):
                for engine, fn in engines.items():
                    times[engine].append(timed(fn))
            results[kind] = {e: statistics.median(v) for e, v in times.items()}
            print(f"[{name}] ({kind}) runs in ms: " + "; ".join(
                f"{e} {[round(x * 1000, 1) for x in v]}" for e, v in times.items()), flush=True)
        return results, import_time, duck_import
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


def print_table(name, results, import_time, duck_import):
    engines = ["gongshu", "datafusion", "duckdb", "duckdb-own", "postgres"]
    print(f"\n### {name}\n")
    print("| query | " + " | ".join(engines) + " | Gongshu / DuckDB own | PostgreSQL / Gongshu |")
    print("|---" * (len(engines) + 3) + "|")
    for kind, med in results.items():
        cells = [f"{med[e] * 1000:,.1f} ms" if e in med else "–" for e in engines]
        ratio_duck = f"{med['gongshu'] / med['duckdb-own']:.2f}×" if "duckdb-own" in med else "–"
        ratio_pg = f"{med['postgres'] / med['gongshu']:.2f}×"
        print(f"| ({kind}) | " + " | ".join(cells) + f" | {ratio_duck} | {ratio_pg} |")
    if "lookup" in results and "scan" in results:
        print(f"\nlookup against the full scan (scan), Gongshu: {results['scan']['gongshu'] / results['lookup']['gongshu']:.1f}× faster")
    if "lookup" in results and "lookup-scan" in results:
        print(f"lookup against the same row found by a full scan (lookup-scan), Gongshu: "
              f"{results['lookup-scan']['gongshu'] / results['lookup']['gongshu']:.1f}× faster")
    print(f"import: gongshu {import_time:.2f} s, DuckDB CSV -> Parquet {duck_import:.2f} s, ratio {import_time / duck_import:.2f}×")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("shapes", nargs="+", help="SHAPE=FILE.csv")
    parser.add_argument("--gongshu", required=True)
    parser.add_argument("--pg", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--download", action="store_true")
    args = parser.parse_args()
    import psycopg
    pg = psycopg.connect(args.pg, autocommit=True)
    tables = []
    for spec in args.shapes:
        name, csv_path = spec.split("=", 1)
        if name not in SHAPES:
            raise SystemExit(f"unknown shape {name}; known: {', '.join(SHAPES)}")
        tables.append((name, *bench_shape(name, os.path.abspath(csv_path), args, pg)))
    for table in tables:
        print_table(*table)


if __name__ == "__main__":
    main()
