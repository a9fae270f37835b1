#!/usr/bin/env python3
"""Times a clean-room query end to end over HTTP against the same join and grouping in plain
DataFusion (the Python bindings, DataFusion 55) and in DuckDB on the raw Parquet files, side by
side, alternating runs, and reports median ratios.

usage: bench.py DATA_DIR GONGSHU_BINARY [RUNS] [--noise]

DATA_DIR holds people.csv and records.csv from gen.py. Gongshu: a department imports records.csv
and an enterprise people.csv with `gongshu import`; both declare a clean-room policy (the citizen
ID as entity and join key, k = 10); a researcher applies for a clean room over both, the owners and
the authority approve, and every query is the researcher's `POST /api/v1/cleanroom/query`, so
HTTP, the plan check, the keyed pseudonyms (HMAC-SHA-256 of every citizen ID on both sides), the
distinct-entity counts, the suppression, the ε bookkeeping and the access log are all included.
The first query, not timed, writes the keyed copies of both versions (their citizen IDs already
pseudonymised) that every later query reads.
The peers run the plain query on the Parquet files Gongshu wrote, joined on the raw IDs.

With --noise both policies require noise (bounds on wage and salary; at most 10 records and 1
person row per citizen ID, as gen.py writes them), so every query also bounds each person's rows
and draws Laplace noise (ε 0.01 per query from a budget of 10).

Needs `pip install duckdb datafusion==55.0.0`.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import api, free_port, timed  # noqa: E402

SQL = ("SELECT r.district, p.industry, COUNT(*) AS n, AVG(r.wage) AS avg_wage "
       "FROM records r JOIN people p ON r.citizen_id = p.citizen_id "
       "GROUP BY r.district, p.industry")


def main():
    noise = "--noise" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--noise"]
    data_dir, binary = args[0], args[1]
    runs = int(args[2]) if len(args) > 2 else 5
    import datafusion
    import duckdb

    work = tempfile.mkdtemp(prefix="gongshu-cleanroom-bench-")
    env = dict(os.environ, GONGSHU_DATA_DIR=work, GONGSHU_PASSWORD="bench password 1")
    cli = lambda *args: subprocess.run([binary, *args], env=env, check=True, capture_output=True, text=True).stdout
    cli("org", "create", "--name", "authority", "--title", "Authority", "--kind", "authority")
    cli("org", "create", "--name", "hrss", "--title", "HRSS", "--kind", "department")
    cli("org", "create", "--name", "firm", "--title", "Firm", "--kind", "enterprise", "--uscc", "91350100M000100Y43")
    cli("user", "create", "--username", "hrss", "--role", "staff", "--org", "hrss")
    cli("user", "create", "--username", "firm", "--role", "enterprise", "--org", "firm")
    cli("user", "create", "--username", "admin", "--role", "authority", "--org", "authority")
    cli("user", "create", "--username", "research", "--role", "citizen")
    for name, user in [("records", "hrss"), ("people", "firm")]:
        print(f"importing {name} …", flush=True)
        cli("import", os.path.join(data_dir, f"{name}.csv"), "--dataset", name, "--resource", name,
            "--title", name, "--as", user)
    tokens = {}
    for u in ["hrss", "firm", "admin", "research"]:
        out = cli("user", "token", u, "--name", "bench", "--days", "30")
        tokens[u] = next(w for w in out.split() if w.startswith("gs_"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}"],
                              env=dict(env, GONGSHU_QUERY_TIMEOUT_SECS="600", GONGSHU_QUERY_MEMORY_MB="8192"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        for name, user, measure, rows in [("records", "hrss", "wage", 10), ("people", "firm", "salary", 1)]:
            policy = {"entity_columns": ["citizen_id"], "join_keys": ["citizen_id"]}
            if noise:
                policy.update({"noise": True, "max_rows_per_entity": rows,
                               "bounds": [{"column": measure, "lower": 0, "upper": 50000}]})
            api(base, "PUT", f"/api/v1/datasets/{name}/cleanroom-policy", tokens[user], policy)
        agreement = api(base, "GET", "/api/v1/agreement")["sha256"]
        room = api(base, "POST", "/api/v1/cleanrooms", tokens["research"], {
            "title": "bench", "purpose_category": "research", "purpose": "benchmark",
            "scenario": "benchmark", "duration_days": 30, "accept_agreement": agreement,
            "epsilon_budget": 10,
            "datasets": [
                {"dataset": "records", "columns": ["citizen_id", "district", "month", "wage"]},
                {"dataset": "people", "columns": ["citizen_id", "industry", "size", "salary"]},
            ]})
        for part, owner in zip(room["parts"], ["hrss", "firm"]):
            a = api(base, "POST", f"/api/v1/applications/{part['application_id']}/review", tokens[owner], {"decision": "approve"})
            if a["status"] != "approved":
                a = api(base, "POST", f"/api/v1/applications/{part['application_id']}/review", tokens["admin"], {"decision": "approve"})
            assert a["status"] == "approved", a
        room = api(base, "GET", f"/api/v1/cleanrooms/{room['id']}", tokens["research"])
        assert room["ready"], room
        found = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(work, "versions"))
                 for f in fs if f.endswith(".parquet")]
        # The larger file holds the records.
        paths = sorted(found, key=os.path.getsize)
        assert len(paths) == 2, paths
        people_path, records_path = paths
        print("parquet:", records_path, people_path, flush=True)

        duck = duckdb.connect()
        duck.execute(f"CREATE VIEW records AS SELECT * FROM read_parquet('{records_path}')")
        duck.execute(f"CREATE VIEW people AS SELECT * FROM read_parquet('{people_path}')")
        ctx = datafusion.SessionContext()
        ctx.register_parquet("records", records_path)
        ctx.register_parquet("people", people_path)

        body = {"cleanroom": room["id"], "sql": SQL}
        if noise:
            body["epsilon"] = 0.01
        first = api(base, "POST", "/api/v1/cleanroom/query", tokens["research"], body)
        plain = ctx.sql(SQL).collect()
        groups = sum(b.num_rows for b in plain)
        print(f"groups: clean room {first['row_count']} (removed {first['suppressed_groups']}), plain {groups}", flush=True)
        assert first["row_count"] + first["suppressed_groups"] == groups, first

        cases = [
            ("gongshu", lambda: api(base, "POST", "/api/v1/cleanroom/query", tokens["research"], body)),
            ("datafusion", lambda: ctx.sql(SQL).collect()),
            ("duckdb", lambda: duck.execute(SQL).fetchall()),
        ]
        times = {label: [] for label, _ in cases}
        for _ in range(runs):
            for label, fn in cases:
                times[label].append(timed(fn))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"clean room {med['gongshu']*1000:.0f} ms, plain DataFusion {med['datafusion']*1000:.0f} ms, "
              f"DuckDB {med['duckdb']*1000:.0f} ms; gongshu/datafusion {med['gongshu']/med['datafusion']:.2f}x, "
              f"gongshu/duckdb {med['gongshu']/med['duckdb']:.2f}x", flush=True)
        print("    runs:", {k: [round(x * 1000) for x in v] for k, v in times.items()}, flush=True)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
