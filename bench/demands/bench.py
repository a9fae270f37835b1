#!/usr/bin/env python3
"""Data demands at scale: 100,000 demands with 1,000,000 comments; the public list, the board
page and the statistics over HTTP under wrk (32 connections), and the same statistics as a plain
PostgreSQL GROUP BY over the same rows under pgbench (32 clients).

usage: bench.py GONGSHU_RELEASE_BINARY PG_BIN_DIR PG_URL [DEMANDS] [COMMENTS] [SECONDS]

The rows are generated straight into the SQLite store of a fresh data directory (after the
binary has created its schema), so the generation does not measure the API. The server then
starts on it and builds its demand search index before it answers.
"""
import csv
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

DAY = 86_400_000
DEPARTMENTS = 16
THEMES = ["交通出行", "医疗卫生", "教育文化", "生态环境", "社会保障", "城市建设", "低空经济", "企业服务"]
STATUSES = ["open", "accepted", "rejected", "fulfilled"]
WORDS = ["公交", "客流", "站点", "医院", "床位", "学校", "空气", "水质", "社保", "停车", "充电桩", "企业", "许可", "航线"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(url, timeout=1800):
    start = time.time()
    while time.time() - start < timeout:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(1)
    raise SystemExit("server did not become ready")


def serve(binary, data, port):
    return subprocess.Popen([binary, "serve", "--data-dir", data, "--listen", "127.0.0.1:%d" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, GONGSHU_LOG="warn"))


def generate(binary, data, n, comments, csv_path):
    """Creates the schema with the binary, then writes organizations, users, demands and comments."""
    port = free_port()
    server = serve(binary, data, port)
    try:
        wait_ready("http://127.0.0.1:%d" % port)
    finally:
        server.terminate()
        server.wait()
    db = sqlite3.connect(os.path.join(data, "gongshu.db"))
    now = int(time.time() * 1000)
    rng = random.Random(7)
    orgs = []
    for i in range(DEPARTMENTS):
        oid = str(uuid.uuid4())
        orgs.append(oid)
        db.execute("INSERT INTO organizations (id, name, title, kind, uscc, description, created_at) "
                   "VALUES (?, ?, ?, 'department', NULL, '', ?)", (oid, "dept-%02d" % i, "市第%d局" % (i + 1), now))
    users = []
    for i in range(1000):
        uid = str(uuid.uuid4())
        users.append(uid)
        db.execute("INSERT INTO users (id, username, display_name, role, org_id, password_hash, created_at) "
                   "VALUES (?, ?, ?, 'citizen', NULL, 'x', ?)", (uid, "u%04d" % i, "用户%d" % i, now))
    rows = []
    out = open(csv_path, "w", newline="", encoding="utf-8")
    w = csv.writer(out)
    w.writerow(["id", "target_org_id", "target_theme", "status", "enterprise", "support_count",
                "created_at", "due_at", "answered_at"])
    for i in range(n):
        did = str(uuid.uuid4())
        created = now - rng.randint(0, 365) * DAY - rng.randint(0, DAY)
        due = created + 16 * DAY
        status = rng.choices(STATUSES, [4, 2, 2, 2])[0]
        answered = None if status == "open" else created + rng.randint(0, 30) * DAY
        if rng.random() < 0.8:
            org, theme = rng.choice(orgs), None
        else:
            org, theme = None, rng.choice(THEMES)
        supports = int(rng.paretovariate(1.5)) - 1
        title = "".join(rng.sample(WORDS, 3)) + "数据 %d" % i
        enterprise = rng.random() < 0.3
        rows.append((did, title, "按月提供%s相关数据，用于研究。" % title, '["字段"]', "research", org, theme, None,
                     rng.choice(users), None, 1 if enterprise else 0, status, due,
                     created + 40 * DAY if status in ("accepted", "fulfilled") else None,
                     "other" if status == "rejected" else None, "答复" if answered else None,
                     None, answered, None, None, answered if status == "fulfilled" else None, None,
                     supports, 0, created, answered or created))
        w.writerow([did, org or "", theme or "", status, "t" if enterprise else "f", supports, created, due,
                    answered if answered is not None else ""])
    out.close()
    db.executemany("INSERT INTO demands VALUES (%s)" % ",".join("?" * 26), rows)
    ids = [r[0] for r in rows]
    batch = []
    counts = {}
    for i in range(comments):
        did = ids[min(int(rng.paretovariate(1.2)) - 1, n - 1) if rng.random() < 0.5 else rng.randrange(n)]
        counts[did] = counts.get(did, 0) + 1
        batch.append((str(uuid.uuid4()), did, rng.choice(users), "同样需要这份数据。", now - rng.randint(0, 300) * DAY))
        if len(batch) == 100_000:
            db.executemany("INSERT INTO demand_comments VALUES (?, ?, ?, ?, ?)", batch)
            batch = []
    db.executemany("INSERT INTO demand_comments VALUES (?, ?, ?, ?, ?)", batch)
    db.executemany("UPDATE demands SET comment_count = ? WHERE id = ?", [(c, d) for d, c in counts.items()])
    db.commit()
    db.close()


def wrk(url, path, seconds):
    out = subprocess.run(["wrk", "-t2", "-c32", "-d%ds" % seconds, "--latency", url + path],
                         check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        raise SystemExit("wrk saw errors on %s:\n%s" % (path, out))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(r"%s\s+([\d.]+)(us|ms|s)\b" % label, out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    return rps, ms("50%"), ms("99%")


STATS_SQL = """SELECT target_org_id, target_theme, count(*), sum(CASE WHEN enterprise THEN 1 ELSE 0 END),
  sum(support_count), sum(CASE WHEN status = 'open' THEN 1 ELSE 0 END),
  sum(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END),
  sum(CASE WHEN status = 'fulfilled' THEN 1 ELSE 0 END),
  sum(CASE WHEN status = 'open' AND due_at <= :now THEN 1 ELSE 0 END),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY (answered_at - created_at) / 86400000)
FROM demands GROUP BY target_org_id, target_theme;
"""


def pg(pg_bin, pg_url, csv_path, seconds):
    psql = os.path.join(pg_bin, "psql")
    run = lambda sql: subprocess.run([psql, pg_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)
    run("DROP TABLE IF EXISTS demands")
    run("CREATE TABLE demands (id text PRIMARY KEY, target_org_id text, target_theme text, status text, "
        "enterprise boolean, support_count bigint, created_at bigint, due_at bigint, answered_at bigint)")
    subprocess.run([psql, pg_url, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                    "\\copy demands FROM '%s' WITH (FORMAT csv, HEADER true, NULL '')" % csv_path], check=True)
    run("ANALYZE demands")
    script = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
    script.write("\\set now %d\n" % int(time.time() * 1000))
    script.write(STATS_SQL)
    script.close()
    out = subprocess.run([os.path.join(pg_bin, "pgbench"), "-n", "-c32", "-j2", "-T%d" % seconds, "-r",
                          "-f", script.name, pg_url], check=True, capture_output=True, text=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    lat = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return tps, lat


def main():
    binary, pg_bin, pg_url = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 100_000
    comments = int(sys.argv[5]) if len(sys.argv) > 5 else 1_000_000
    seconds = int(sys.argv[6]) if len(sys.argv) > 6 else 20
    work = tempfile.mkdtemp(prefix="gongshu-demand-bench-")
    data = os.path.join(work, "data")
    csv_path = os.path.join(work, "demands.csv")
    t = time.time()
    generate(binary, data, n, comments, csv_path)
    print("generated %d demands and %d comments in %.0f s" % (n, comments, time.time() - t), flush=True)
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    t = time.time()
    server = serve(binary, data, port)
    results = []
    try:
        wait_ready(url)
        print("server ready (demand index built) in %.0f s" % (time.time() - t), flush=True)
        for name, path in [
            ("API list, most supported", "/api/v1/demands"),
            ("API list, one department, open, by deadline", "/api/v1/demands?department=dept-03&status=open&sort=deadline"),
            ("API statistics", "/api/v1/demands/stats"),
            ("portal board", "/demands"),
            ("portal statistics page", "/demands/stats"),
        ]:
            wrk(url, path, 3)  # warm up
            rps, p50, p99 = wrk(url, path, seconds)
            results.append((name, rps, p50, p99))
            print("%-45s %7.0f req/s  p50 %7.2f ms  p99 %7.2f ms" % (name, rps, p50, p99), flush=True)
    finally:
        server.terminate()
        server.wait()
    tps, lat = pg(pg_bin, pg_url, csv_path, seconds)
    print("PostgreSQL GROUP BY statistics: %.0f/s (latency avg %.2f ms)" % (tps, lat), flush=True)
    stats_rps = [r for r in results if r[0] == "API statistics"][0][1]
    print("ratio Gongshu statistics over HTTP / PostgreSQL GROUP BY: %.2f" % (stats_rps / tps))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
