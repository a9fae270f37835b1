#!/usr/bin/env python3
"""Redemption under contention: many connections redeem one reward at once, against the same
number of plain point credits, over HTTP under wrk (32 connections).

usage: bench.py GONGSHU_RELEASE_BINARY [USERS] [SECONDS] [DATABASE_URL]

A fresh data directory (SQLite by default; a PostgreSQL URL of an empty database otherwise)
gets an authority and USERS citizens (via `gongshu org|user`), each citizen 100,000 points by
adjustment, and a reward that costs 1 point with stock for every request. Three runs follow:
  credits      POST /api/v1/points/adjustments (each a new key; the users in turn)
  redemptions  POST /api/v1/rewards/{id}/redeem (the users in turn; one reward row)
  one user     the same, every connection as the same user (one account row)
A redemption is a ledger spend, a stock update and a redemption row in one transaction, plus
an access log leaf (a durable append) after it; a credit is one ledger entry and no leaf.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PASSWORD = "Bench-Points-2026!"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(url, timeout=600):
    start = time.time()
    while time.time() - start < timeout:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not become ready")


def cli(binary, store_args, *args):
    out = subprocess.run([binary, *args, *store_args], check=True, capture_output=True, text=True,
                         env=dict(os.environ, GONGSHU_PASSWORD=PASSWORD))
    return out.stdout.strip()


def call(url, method, path, token, body=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


LUA = """
local tokens = {%(tokens)s}
local users = {%(users)s}
local counter = 0
local threads = 0
-- Runs in the main state: gives each thread a global `id`, so credit keys never repeat.
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
request = function()
  counter = counter + 1
  local i = (counter %% #tokens) + 1
  if "%(mode)s" == "credit" then
    local body = string.format('{"username":"%%s","points":1,"note":"bench","key":"k-%%d-%%d"}',
      users[i], id, counter)
    return wrk.format("POST", "/api/v1/points/adjustments",
      {["Authorization"] = "Bearer %(admin)s", ["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("POST", "%(path)s", {["Authorization"] = "Bearer " .. tokens[i]}, nil)
end
"""


def wrk(url, script, seconds):
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    f.write(script)
    f.close()
    out = subprocess.run(["wrk", "-t2", "-c32", "-d%ds" % seconds, "--latency", "-s", f.name, url],
                         check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        raise SystemExit("wrk saw errors:\n%s" % out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(r"%s\s+([\d.]+)(us|ms|s)\b" % label, out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    return rps, ms("50%"), ms("99%")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    n_users = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    database = sys.argv[4] if len(sys.argv) > 4 else None
    data = tempfile.mkdtemp(prefix="gongshu-points-bench-")
    store_args = ["--data-dir", data] + (["--database-url", database] if database else [])
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    server = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:%d" % port, *store_args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, GONGSHU_LOG="warn"))
    try:
        wait_ready(url)
        cli(binary, store_args, "org", "create", "--name", "authority", "--title", "数据局", "--kind", "authority")
        cli(binary, store_args, "user", "create", "--username", "admin", "--role", "authority", "--org", "authority")
        admin = cli(binary, store_args, "user", "token", "admin")
        users, tokens = [], []
        for i in range(n_users):
            name = "bench%d" % i
            cli(binary, store_args, "user", "create", "--username", name, "--role", "citizen")
            users.append(name)
            tokens.append(cli(binary, store_args, "user", "token", name))
            call(url, "POST", "/api/v1/points/adjustments", admin,
                 {"username": name, "points": 100_000, "note": "bench", "key": "seed"})
        now = int(time.time() * 1000)
        reward = call(url, "POST", "/api/v1/rewards", admin,
                      {"name": "bench", "cost": 1, "stock": 1_000_000, "per_user": 1_000_000,
                       "starts_at": now - 60_000, "ends_at": now + 86_400_000})
        path = "/api/v1/rewards/%s/redeem" % reward["id"]
        lua = lambda mode, toks: LUA % {
            "tokens": ",".join('"%s"' % t for t in toks), "users": ",".join('"%s"' % u for u in users),
            "mode": mode, "admin": admin, "path": path}
        results = {}
        for name, mode, toks in [("credits", "credit", tokens), ("redemptions", "redeem", tokens),
                                 ("one user", "redeem", tokens[:1])]:
            results[name] = wrk(url, lua(mode, toks), seconds)
            print("%-12s %8.0f req/s  p50 %6.1f ms  p99 %6.1f ms" % ((name,) + results[name]), flush=True)
        print("redemptions / credits: %.2f" % (results["redemptions"][0] / results["credits"][0]))
        # The books after the runs: stock plus redemptions is what was stocked.
        r = call(url, "GET", "/api/v1/rewards/%s" % reward["id"], admin)
        sold = len(call(url, "GET", "/api/v1/rewards/%s/redemptions" % reward["id"], admin))
        print("stock %d + redemptions %d = %d (stocked %d)" % (r["stock"], sold, r["stock"] + sold, r["total"]))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
