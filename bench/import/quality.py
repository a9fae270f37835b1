#!/usr/bin/env python3
"""What the quality measures cost `gongshu import`: the same file imported with the measures
(the default) and without them (`--without-quality-measures`, a hidden flag for this
benchmark), alternating, each into a fresh data directory; prints the median of each and the
overhead. The measures are the invalid-cell counts of mostly-typed text columns and the
duplicate-row count (a thread of its own hashing every row).

usage: quality.py FILE.csv GONGSHU_BINARY [RUNS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def one(binary, csv, extra):
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as d:
        env = dict(os.environ, GONGSHU_DATA_DIR=d, GONGSHU_PASSWORD="bench password")
        subprocess.run([binary, "org", "create", "--name", "bench", "--title", "Bench", "--kind", "department"],
                       env=env, check=True, capture_output=True)
        subprocess.run([binary, "user", "create", "--username", "bench", "--role", "staff", "--org", "bench"],
                       env=env, check=True, capture_output=True)
        start = time.monotonic()
        subprocess.run([binary, "import", csv, "--dataset", "bench", "--title", "Bench", "--as", "bench", *extra],
                       env=env, check=True, capture_output=True)
        return time.monotonic() - start


def main():
    csv, binary = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with_m, without = [], []
    for i in range(runs):
        # Alternate the order so that neither side always runs on a warmer page cache.
        order = [("with", []), ("without", ["--without-quality-measures"])]
        if i % 2:
            order.reverse()
        for name, extra in order:
            t = one(binary, csv, extra)
            (with_m if name == "with" else without).append(t)
            print(f"run {i + 1} {name:<7} {t:.2f} s", flush=True)
    a, b = statistics.median(with_m), statistics.median(without)
    print(f"median with the measures {a:.2f} s, without {b:.2f} s, overhead {100 * (a / b - 1):+.1f} %")


if __name__ == "__main__":
    main()
