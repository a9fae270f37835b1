#!/usr/bin/env python3
"""package_search over 100,000 generated datasets: Gongshu over HTTP under wrk, the same engine
in process, and PostgreSQL full-text search over the same metadata under pgbench.

usage: bench.py GONGSHU_RELEASE_DIR PG_BIN_DIR PG_URL [DATASETS] [SECONDS]

GONGSHU_RELEASE_DIR holds the release builds of `gongshu`, `examples/catalog_gen` and the
search crate's `examples/search_bench` (see bench/RESULTS.md for the build commands).
Each query asks for 10 rows with facets on organization, tags, res_format and opening_type, like
the CKAN portal's search page. PostgreSQL gets the same words with the `simple` configuration
(PostgreSQL has no Chinese parser of its own), a GIN index, a ranked top 10, the total and the
same four facet counts, each as a real query.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
QUERIES = [q.strip() for q in open(os.path.join(HERE, "queries.txt"), encoding="utf-8") if q.strip()]
FACETS = '["organization","tags","res_format","opening_type"]'


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(url, timeout=900):
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


def wrk(url, seconds):
    paths = []
    for q in QUERIES:
        params = urllib.parse.urlencode({"q": q, "rows": 10, "facet.field": FACETS})
        paths.append("/api/3/action/package_search?" + params)
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write("local paths = {%s}\n" % ",".join('"%s"' % p for p in paths))
    lua.write("local i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(nil, paths[(i %% %d) + 1])\nend\n" % len(paths))
    lua.write('done = function(summary, latency, requests)\n  io.write(string.format("P99_US %d\\n", latency:percentile(99)))\n  io.write(string.format("P50_US %d\\n", latency:percentile(50)))\nend\n')
    lua.close()
    out = subprocess.run(
        ["wrk", "-t2", "-c32", "-d%ds" % seconds, "-s", lua.name, url],
        check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = int(re.search(r"P99_US (\d+)", out).group(1)) / 1000
    p50 = int(re.search(r"P50_US (\d+)", out).group(1)) / 1000
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit("wrk saw errors:\n" + out)
    return rps, p50, p99


def pg(pg_bin, pg_url, csv_path, seconds):
    psql = os.path.join(pg_bin, "psql")
    run = lambda sql: subprocess.run([psql, pg_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)
    run("DROP TABLE IF EXISTS datasets")
    run("CREATE TABLE datasets (name text PRIMARY KEY, title text, notes text, organization text, tags text, themes text, format text)")
    subprocess.run([psql, pg_url, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                    "\\copy datasets FROM '%s' WITH (FORMAT csv, HEADER true)" % csv_path], check=True)
    run("ALTER TABLE datasets ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
        "(setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', tags || ' ' || themes), 'B') || to_tsvector('simple', notes)) STORED")
    run("CREATE INDEX datasets_tsv ON datasets USING gin (tsv)")
    run("ANALYZE datasets")
    script = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
    words = ",".join("'%s'" % q.replace("'", "''") for q in QUERIES)
    script.write("\\set i random(1, %d)\n" % len(QUERIES))
    m = "plainto_tsquery('simple', (ARRAY[%s])[:i])" % words
    script.write("SELECT name, ts_rank(tsv, %s) AS r FROM datasets WHERE tsv @@ %s ORDER BY r DESC LIMIT 10;\n" % (m, m))
    script.write("SELECT count(*) FROM datasets WHERE tsv @@ %s;\n" % m)
    for col in ["organization", "tags", "format", "themes"]:
        script.write("SELECT %s, count(*) FROM datasets WHERE tsv @@ %s GROUP BY 1 ORDER BY 2 DESC LIMIT 50;\n" % (col, m))
    script.close()
    out = subprocess.run([os.path.join(pg_bin, "pgbench"), "-n", "-c32", "-j2", "-T%d" % seconds,
                          "-f", script.name, pg_url], check=True, capture_output=True, text=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    lat = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return tps, lat


def main():
    release, pg_bin, pg_url = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 100_000
    seconds = int(sys.argv[5]) if len(sys.argv) > 5 else 30
    work = tempfile.mkdtemp(prefix="gongshu-search-bench-")
    data = os.path.join(work, "data")
    csv_path = os.path.join(work, "meta.csv")
    t = time.time()
    subprocess.run([os.path.join(release, "examples", "catalog_gen"), data, str(n), csv_path], check=True)
    print("generated %d datasets in %.0f s" % (n, time.time() - t), flush=True)

    port = free_port()
    url = "http://127.0.0.1:%d" % port
    t = time.time()
    server = subprocess.Popen([os.path.join(release, "gongshu"), "serve", "--data-dir", data,
                               "--listen", "127.0.0.1:%d" % port],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, GONGSHU_LOG="warn"))
    try:
        wait_ready(url)
        print("server ready (index built) in %.0f s" % (time.time() - t), flush=True)
        wrk(url, 5)  # warm up
        rps, p50, p99 = wrk(url, seconds)
        print("HTTP package_search: %.0f req/s, p50 %.2f ms, p99 %.2f ms" % (rps, p50, p99), flush=True)
    finally:
        server.terminate()
        server.wait()

    out = subprocess.run([os.path.join(release, "examples", "search_bench"), str(n), "4000"],
                         check=True, capture_output=True, text=True).stdout
    print("in process (search crate):\n" + out.strip(), flush=True)

    tps, lat = pg(pg_bin, pg_url, csv_path, seconds)
    print("PostgreSQL FTS: %.0f searches/s (latency avg %.2f ms)" % (tps, lat), flush=True)
    print("ratio Gongshu HTTP / PostgreSQL: %.2f" % (rps / tps))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
