#!/usr/bin/env python3
"""Generates the query benchmark's second table shape: ROWS rows (default 10,000,000) of air
quality readings, a mix unlike the first shape's service records.

Columns: reading_id (a random 16-hex-digit identifier, unique, not in any order), station (one
of 2,000 station codes such as `330106-0042`), measured_at (a timestamp, ascending through the
file, one reading per station every few minutes), pollutant (six values), value (a float with
three decimals), aqi (an integer 0-500), valid (a boolean), operator_mobile (the mobile number of
the station's operator: personal, so masked for grantees) and remark (Chinese free text, empty in
about 85% of rows).

usage: gen_readings.py OUT.csv [ROWS]
"""
import random
import sys

POLLUTANTS = ["PM2.5", "PM10", "O3", "NO2", "SO2", "CO"]
REMARKS = ["设备校准", "数据补录", "停电恢复", "人工复核", "传感器更换", "网络中断后补传"]
START = 1767225600  # 2026-01-01T00:00:00Z


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    rng = random.Random(7)
    stations = ["3301%02d-%04d" % (1 + i % 13, i) for i in range(2000)]
    operators = ["1%d%09d" % (rng.choice([3, 5, 8, 9]), rng.randint(0, 999_999_999)) for _ in range(2000)]
    seen = set()
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("reading_id,station,measured_at,pollutant,value,aqi,valid,operator_mobile,remark\n")
        buf = []
        for i in range(rows):
            while True:
                rid = "%016x" % rng.getrandbits(64)
                if rid not in seen:
                    seen.add(rid)
                    break
            s = rng.randrange(2000)
            t = START + (i * 3) // 2
            ts = "2026-%02d-%02dT%02d:%02d:%02d" % month_day_time(t)
            value = rng.random() * 300
            buf.append("%s,%s,%s,%s,%.3f,%d,%s,%s,%s\n" % (
                rid, stations[s], ts, POLLUTANTS[rng.randrange(6)], value, min(500, int(value * 1.6)),
                "true" if rng.random() < 0.97 else "false", operators[s],
                REMARKS[rng.randrange(6)] if rng.random() < 0.15 else ""))
            if len(buf) == 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def month_day_time(t):
    """(month, day, hour, minute, second) of a 2026 UTC time."""
    secs = t - START
    day_of_year, rest = divmod(secs, 86400)
    month = 0
    while day_of_year >= DAYS[month]:
        day_of_year -= DAYS[month]
        month += 1
    return month + 1, day_of_year + 1, rest // 3600, (rest // 60) % 60, rest % 60


if __name__ == "__main__":
    main()
