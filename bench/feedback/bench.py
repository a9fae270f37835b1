#!/usr/bin/env python3
"""Feedback on public services at scale: 1,000,000 items; Open311 `requests.json` with filters,
the JSON API's list and the statistics (API and portal page) over HTTP under wrk (32
connections), and the same statistics as a plain PostgreSQL GROUP BY over the same rows under
pgbench (32 clients).

usage: bench.py GONGSHU_RELEASE_BINARY PG_BIN_DIR PG_URL [ITEMS] [SECONDS]

The rows are generated straight into the SQLite store of a fresh data directory (after the
binary has created its schema), so the generation does not measure the API.
"""
import csv
import datetime
import json
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
SERVICES = 24
STATUSES = ["submitted", "accepted", "in_progress", "resolved", "rejected"]
CST = datetime.timezone(datetime.timedelta(hours=8))


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


def month(ms):
    d = datetime.datetime.fromtimestamp(ms / 1000, CST)
    return d.year * 100 + d.month


def generate(binary, data, n, csv_path):
    """Creates the schema with the binary, then writes organizations, services and items."""
    port = free_port()
    server = serve(binary, data, port)
    try:
        wait_ready("http://127.0.0.1:%d" % port)
    finally:
        server.terminate()
        server.wait()
    db = sqlite3.connect(os.path.join(data, "gongshu.db"))
    now = int(time.time() * 1000)
    rng = random.Random(11)
    orgs = []
    for i in range(DEPARTMENTS):
        oid = str(uuid.uuid4())
        orgs.append(oid)
        db.execute("INSERT INTO organizations (id, name, title, kind, uscc, description, created_at) "
                   "VALUES (?, ?, ?, 'department', NULL, '', ?)", (oid, "dept-%02d" % i, "市第%d局" % (i + 1), now))
    attrs = json.dumps([{"code": "kind", "datatype": "singlevaluelist", "required": False,
                         "description": "类型", "datatype_description": "", "order": 1,
                         "values": [{"key": "a", "name": "甲"}, {"key": "b", "name": "乙"}]}])
    services = []
    for i in range(SERVICES):
        code = "svc-%02d" % i
        services.append((code, orgs[i % DEPARTMENTS]))
        db.execute("INSERT INTO feedback_services VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                   (code, "类别%d" % i, "Service %d" % i, "说明", "分组%d" % (i % 4), '["关键词"]', attrs,
                    orgs[i % DEPARTMENTS], now, now))
    out = open(csv_path, "w", newline="", encoding="utf-8")
    w = csv.writer(out)
    w.writerow(["id", "service_code", "org_id", "status", "due_at", "rating", "first_answered_at",
                "resolved_at", "created_at", "created_month"])
    batch = []
    for i in range(n):
        fid = str(uuid.uuid4())
        code, org = rng.choice(services)
        created = now - rng.randint(0, 365) * DAY - rng.randint(0, DAY)
        due = created + 4 * DAY
        status = rng.choices(STATUSES, [1, 1, 1, 6, 1])[0]
        answered = None if status == "submitted" else created + rng.randint(1, 120) * 3_600_000
        resolved = created + rng.randint(2, 600) * 3_600_000 if status == "resolved" else None
        closed = resolved if status == "resolved" else (answered if status == "rejected" else None)
        rating = rng.randint(1, 5) if closed and rng.random() < 0.6 else None
        batch.append((fid, uuid.uuid4().hex[:24], code, org, "路灯不亮，第 %d 号" % i, None,
                      30 + rng.random(), 120 + rng.random(), "某路 %d 号" % rng.randint(1, 999),
                      '{"kind":["a"]}', None, "x", status, "处理中" if answered else None, due,
                      answered + 3 * DAY if answered else None, answered, closed, resolved, rating, 0, 0,
                      month(created), created, closed or answered or created))
        w.writerow([fid, code, org, status, due, "" if rating is None else rating,
                    "" if answered is None else answered, "" if resolved is None else resolved, created,
                    month(created)])
        if len(batch) == 100_000:
            db.executemany("INSERT INTO feedback VALUES (%s)" % ",".join("?" * 25), batch)
            batch = []
    db.executemany("INSERT INTO feedback VALUES (%s)" % ",".join("?" * 25), batch)
    out.close()
    db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()


# Lists of many feeds (24 services, open and closed) in turn, as many clients polling their
# feeds; and lists that are all different (a start date one second further back each time), so
# that no answer is ever served twice.
FEEDS_LUA = """
local paths = {}
for i = 0, 23 do
  for _, s in ipairs({"open", "closed"}) do
    paths[#paths + 1] = string.format("/open311/v2/requests.json?service_code=svc-%02d&status=%s", i, s)
  end
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
"""
UNIQUE_LUA = """
local n = 0
request = function()
  n = n + 1
  local t = os.time() - 7 * 86400 - n
  return wrk.format("GET", "/open311/v2/requests.json?service_code=svc-03&start_date=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", t))
end
"""


def script(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write(text)
    f.close()
    return f.name


def wrk(url, path, seconds):
    """`path` is a path, or ("lua", script text) for requests a script makes."""
    if isinstance(path, tuple):
        target = ["-s", script(path[1]), url]
    else:
        target = [url + path]
    out = subprocess.run(["wrk", "-t2", "-c32", "-d%ds" % seconds, "--latency"] + target,
                         check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        raise SystemExit("wrk saw errors on %s:\n%s" % (path, out))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(r"%s\s+([\d.]+)(us|ms|s)\b" % label, out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    return rps, ms("50%"), ms("99%")


STATS_SQL = """SELECT service_code, org_id, count(*),
  sum(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END),
  sum(CASE WHEN status = 'submitted' AND due_at <= :now THEN 1 ELSE 0 END), avg(rating),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY (first_answered_at - created_at) / 3600000),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY (resolved_at - created_at) / 3600000)
FROM feedback GROUP BY service_code, org_id;
"""


def pg(pg_bin, pg_url, csv_path, seconds):
    psql = os.path.join(pg_bin, "psql")
    run = lambda sql: subprocess.run([psql, pg_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)
    run("DROP TABLE IF EXISTS feedback")
    run("CREATE TABLE feedback (id text PRIMARY KEY, service_code text, org_id text, status text, "
        "due_at bigint, rating bigint, first_answered_at bigint, resolved_at bigint, created_at bigint, "
        "created_month bigint)")
    subprocess.run([psql, pg_url, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                    "\\copy feedback FROM '%s' WITH (FORMAT csv, HEADER true, NULL '')" % csv_path], check=True)
    run("ANALYZE feedback")
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
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
    seconds = int(sys.argv[5]) if len(sys.argv) > 5 else 20
    work = tempfile.mkdtemp(prefix="gongshu-feedback-bench-")
    data = os.path.join(work, "data")
    csv_path = os.path.join(work, "feedback.csv")
    t = time.time()
    generate(binary, data, n, csv_path)
    print("generated %d items in %.0f s" % (n, time.time() - t), flush=True)
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    server = serve(binary, data, port)
    now = datetime.datetime.now(CST)
    week = (now - datetime.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S%z")
    week = (week[:-2] + "%3A" + week[-2:]).replace("+", "%2B")
    results = []
    try:
        wait_ready(url)
        for name, path in [
            ("Open311 requests.json, one service, open", "/open311/v2/requests.json?service_code=svc-03&status=open"),
            ("  the same, 50 a page (page_size)", "/open311/v2/requests.json?service_code=svc-03&status=open&page_size=50"),
            ("Open311 requests.json, two services, last 7 days", "/open311/v2/requests.json?service_code=svc-03,svc-07&start_date=" + week),
            ("  the same, 50 a page (page_size)", "/open311/v2/requests.json?service_code=svc-03,svc-07&page_size=50&start_date=" + week),
            ("Open311 requests.xml, closed, last 7 days", "/open311/v2/requests.xml?status=closed&start_date=" + week),
            ("Open311 requests.json, 48 feeds in turn", ("lua", FEEDS_LUA)),
            ("Open311 requests.json, every list different", ("lua", UNIQUE_LUA)),
            ("API list, one department, overdue", "/api/v1/feedback?department=dept-05&overdue=true"),
            ("API list, newest 50", "/api/v1/feedback"),
            ("API statistics", "/api/v1/feedback/stats"),
            ("portal statistics page", "/feedback/stats"),
            ("portal list", "/feedback"),
        ]:
            wrk(url, path, 3)  # warm up
            rps, p50, p99 = wrk(url, path, seconds)
            results.append((name, rps, p50, p99))
            print("%-50s %7.0f req/s  p50 %7.2f ms  p99 %7.2f ms" % (name, rps, p50, p99), flush=True)
    finally:
        server.terminate()
        server.wait()
    tps, lat = pg(pg_bin, pg_url, csv_path, seconds)
    print("PostgreSQL GROUP BY statistics: %.1f/s (latency avg %.2f ms)" % (tps, lat), flush=True)
    stats_rps = [r for r in results if r[0] == "API statistics"][0][1]
    print("ratio Gongshu statistics over HTTP / PostgreSQL GROUP BY: %.0f" % (stats_rps / tps))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
