#!/usr/bin/env python3
"""Generates the import benchmark's CSV: ROWS rows (default 10,500,000, about 1 GB) of mixed types
with a generated citizen-ID column (valid check characters) and a mobile column.

usage: gen_csv.py OUT.csv [ROWS]
"""
import random
import sys

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
DISTRICTS = ["上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区"]
KINDS = ["职工养老", "城乡居民养老", "职工医保", "失业保险"]


def citizen_id(rng):
    first = "3301%02d%04d%02d%02d%03d" % (
        rng.randint(1, 10), rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 999))
    s = sum(int(c) * w for c, w in zip(first, WEIGHTS))
    return first + CHECK[s % 11]


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_500_000
    rng = random.Random(42)
    # Pre-generate pools so the generator is fast; values still vary row to row.
    ids = [citizen_id(rng) for _ in range(200_000)]
    mobiles = ["1%d%09d" % (rng.choice([3, 5, 8, 9]), rng.randint(0, 999_999_999)) for _ in range(200_000)]
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("id,citizen_id,mobile,district,kind,amount,rate,active,paid_on\n")
        buf = []
        for i in range(rows):
            buf.append("%d,%s,%s,%s,%s,%d,%.4f,%s,2026-%02d-%02d\n" % (
                i, ids[i % 200_000], mobiles[(i * 7) % 200_000], DISTRICTS[i % 8], KINDS[(i // 3) % 4],
                1000 + (i * 37) % 40000, ((i * 13) % 10000) / 10000.0, "true" if i % 3 else "false",
                1 + i % 12, 1 + i % 28))
            if len(buf) == 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


if __name__ == "__main__":
    main()
