#!/usr/bin/env python3
"""The contribution index at scale: ORGS organizations (half enterprises, half departments), two
datasets each, VERSIONS versions with their quality records spread over the past year, a
million access-log leaves this month and demands addressed to the departments; then times
`gongshu contribution` (the same computation as `GET /api/v1/contribution`) for the current
month, a quarter and a year, for each group. The time printed is the computation's alone, as
the command reports it; the process's wall time is printed beside it.

usage: bench.py GONGSHU_RELEASE_BINARY [ORGS] [VERSIONS] [RUNS]

The rows are generated straight into the SQLite store of a fresh data directory (after the
binary has created its schema), so the generation does not measure the platform.
"""
import datetime
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

DAY = 86_400_000
CST = datetime.timezone(datetime.timedelta(hours=8))
FREQUENCIES = ["monthly", "weekly", "daily", "quarterly", "", "irregular"]
KINDS = ["data.preview", "data.query", "data.download", "data.aggregate", "application.submitted",
         "application.approved", "demand.fulfilled"]


def generate(binary, data, orgs, versions):
    env = dict(os.environ, GONGSHU_DATA_DIR=data)
    subprocess.run([binary, "org", "create", "--name", "seed", "--title", "Seed", "--kind", "authority"],
                   env=env, check=True, capture_output=True)
    db = sqlite3.connect(os.path.join(data, "gongshu.db"))
    rng = random.Random(15)
    now = int(time.time() * 1000)
    year_ago = now - 365 * DAY
    measures = json.dumps({"rows": 1000, "columns": [], "rows_checked": 1000, "duplicate_rows": 0,
                           "columns_added": [], "columns_removed": [], "columns_retyped": [],
                           "has_previous": True})
    assessment = json.dumps({"score": 90.0, "letter": "A", "dimensions": [], "issues": []})
    org_rows, dataset_rows, resource_rows = [], [], []
    for i in range(orgs):
        oid = str(uuid.UUID(int=rng.getrandbits(128)))
        kind = "enterprise" if i % 2 == 0 else "department"
        org_rows.append((oid, "org-%05d" % i, "机构 %05d" % i, kind, None, "", year_ago))
        for j in range(2):
            did = str(uuid.UUID(int=rng.getrandbits(128)))
            dataset_rows.append((did, "ds-%05d-%d" % (i, j), oid, "数据集", "说明", "[]", "[]",
                                 rng.choice(FREQUENCIES), "", "", "", "", "enterprise" if kind == "enterprise" else "government",
                                 "unconditional", "ordinary", "L1", year_ago, year_ago))
            resource_rows.append((str(uuid.UUID(int=rng.getrandbits(128))), did, "data", "", year_ago))
    db.executemany("INSERT INTO organizations (id, name, title, kind, uscc, description, created_at) VALUES (?,?,?,?,?,?,?)", org_rows)
    db.executemany("INSERT INTO datasets (id, name, org_id, title, description, themes, tags, update_frequency, license, spatial, temporal, contact, domain, opening_type, importance, grade, created_at, modified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", dataset_rows)
    db.executemany("INSERT INTO resources (id, dataset_id, name, description, created_at) VALUES (?,?,?,?,?)", resource_rows)
    db.commit()
    per = versions // len(resource_rows)
    batch_v, batch_q = [], []
    for (rid, did, _, _, _) in resource_rows:
        times = sorted(year_ago + rng.randrange(365 * DAY) for _ in range(per))
        for n, t in enumerate(times, start=1):
            vid = str(uuid.UUID(int=rng.getrandbits(128)))
            rows = rng.randrange(100, 100_000)
            batch_v.append((vid, rid, n, "versions/x.parquet", "csv", "x.csv", None, rows, 1000, "00" * 32, "[]", "bench", t))
            score = 60 + rng.random() * 40
            batch_q.append((vid, did, rid, rows, t, score, "A" if score >= 90 else "B", measures, assessment))
        if len(batch_v) >= 100_000:
            flush(db, batch_v, batch_q)
    flush(db, batch_v, batch_q)
    # A million leaves this month, on random datasets.
    start = int(datetime.datetime.now(CST).replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)
    # The log is appended in time order, so its times rise with its index.
    times = sorted(start + rng.randrange(max(1, now - start)) for _ in range(1_000_000))
    leaves = []
    for idx, t in enumerate(times):
        kind = rng.choice(KINDS)
        data = '{"v":1,"rows":%d}' % rng.randrange(1, 500) if kind.startswith("data.") else '{"v":1}'
        name = dataset_rows[rng.randrange(len(dataset_rows))][1]
        leaves.append((idx, data, kind, name, t))
    db.executemany("INSERT INTO log_leaves (idx, data, kind, dataset, created_at) VALUES (?,?,?,?,?)", leaves)
    # What the server adds to the month's usage as it appends each leaf (migration 0012 does
    # the same for leaves appended before it).
    db.execute("""INSERT INTO usage_monthly (month, dataset, kind, leaves, rows)
        SELECT CAST(strftime('%Y%m', created_at / 1000 + 28800, 'unixepoch') AS INTEGER), dataset, kind,
               COUNT(*), COALESCE(SUM(json_extract(data, '$.rows')), 0)
        FROM log_leaves WHERE dataset IS NOT NULL
        GROUP BY 1, dataset, kind""")
    db.commit()
    db.close()


def flush(db, batch_v, batch_q):
    db.executemany("INSERT INTO versions (id, resource_id, number, path, source_format, source_name, source_encoding, row_count, byte_size, sha256, columns, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", batch_v)
    db.executemany("INSERT INTO version_quality (version_id, dataset_id, resource_id, rows, measured_at, score, letter, measures, assessment) VALUES (?,?,?,?,?,?,?,?,?)", batch_q)
    db.commit()
    batch_v.clear()
    batch_q.clear()


def main():
    binary = sys.argv[1]
    orgs = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    versions = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as data:
        t = time.time()
        generate(binary, data, orgs, versions)
        print(f"generated {orgs} organizations, {versions} versions, 1,000,000 leaves in {time.time() - t:.0f} s")
        today = datetime.datetime.now(CST)
        quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
        env = dict(os.environ, GONGSHU_DATA_DIR=data)
        for period in ["", quarter, str(today.year)]:
            for kind in ["enterprise", "department"]:
                took, wall = [], []
                for _ in range(runs):
                    start = time.time()
                    p = subprocess.run([binary, "contribution", "--period", period, "--kind", kind],
                                       env=env, capture_output=True, text=True, check=True)
                    wall.append(time.time() - start)
                    m = re.search(r"(\d+) organizations in ([0-9.]+) s", p.stderr)
                    took.append(float(m.group(2)))
                    count = int(m.group(1))
                print(f"{period or 'this month':>10} {kind:<10} {count} organizations: "
                      f"median {statistics.median(took):.3f} s (max {max(took):.3f} s), "
                      f"process {statistics.median(wall):.3f} s")


if __name__ == "__main__":
    main()
