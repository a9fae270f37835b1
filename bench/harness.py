"""Helpers the benchmark harnesses share: a free port, a JSON API call, a kept connection, a timer.

A harness in bench/NAME/ imports it with
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from harness import api, free_port, timed
"""
import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, method, path, token=None, body=None):
    """Calls a JSON endpoint and returns the decoded answer; an HTTP error ends the run with the
    server's answer."""
    req = urllib.request.Request(base + path, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, data=data, timeout=3600) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path}: {e.code} {e.read().decode()}")


class Client:
    """JSON GETs over one kept HTTP/1.1 connection, as an API client holds one, so a timing is
    the server's answer rather than a new connection and urllib's set-up per request (0.6 ms of
    a 6.7 ms lookup on the benchmark machine)."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.conn = None

    def get(self, path, token=None):
        headers = {"Authorization": "Bearer " + token} if token else {}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=3600)
            try:
                self.conn.request("GET", path, headers=headers)
                resp = self.conn.getresponse()
                body = resp.read()
                break
            except (ConnectionError, http.client.HTTPException):
                # The server closed the kept connection: one new one.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if resp.status >= 400:
            raise SystemExit(f"GET {path}: {resp.status} {body.decode()}")
        return json.loads(body)


def timed(fn):
    """Seconds `fn()` took."""
    start = time.monotonic()
    fn()
    return time.monotonic() - start
