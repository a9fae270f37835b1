#!/usr/bin/env python3
"""Writes the clean-room benchmark's two tables: people.csv (1,000,000 rows, one per person:
citizen ID, industry, size, salary) and records.csv (10,000,000 rows, about ten per person:
citizen ID, district, month, wage). Citizen IDs are generated with valid check characters, so
ingest grades them L4 and finds them as identifiers, as it would real ones.

usage: gen.py OUT_DIR [PEOPLE] [RECORDS]
"""
import os
import random
import sys

WEIGHTS = [7, 9, 10, 5, 8, 4, 6, 3, 1, 2, 1, 9, 10, 5, 8, 4, 6]
CHECK = "10X98765432"
DISTRICTS = ["上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区"]
INDUSTRIES = ["信息技术", "物流运输", "批发零售", "住宿餐饮", "制造业", "建筑业", "金融业", "教育", "卫生", "文化体育"]
SIZES = ["小微", "中型", "大型"]
REGIONS = ["330102", "330105", "330106", "330108", "330109", "330110"]


def citizen_id(i):
    # Seventeen digits: region, birth date, a sequence that makes every person distinct.
    first = "%s%04d%02d%02d%03d" % (REGIONS[i % 6], 1950 + (i // 1000) % 55, 1 + (i // 55000) % 12,
                                    1 + (i // 660000) % 28, i % 1000)
    total = sum(int(d) * w for d, w in zip(first, WEIGHTS))
    return first + CHECK[total % 11]


def main():
    out = sys.argv[1]
    people = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    records = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000_000
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261207)
    ids = [citizen_id(i) for i in range(people)]
    assert len(set(ids)) == people, "citizen IDs must be distinct"
    with open(os.path.join(out, "people.csv"), "w", encoding="utf-8") as f:
        f.write("citizen_id,industry,size,salary\n")
        for i in range(people):
            f.write("%s,%s,%s,%d\n" % (ids[i], INDUSTRIES[rng.randrange(10)], SIZES[rng.randrange(3)],
                                       3500 + rng.randrange(30000)))
    with open(os.path.join(out, "records.csv"), "w", encoding="utf-8") as f:
        f.write("citizen_id,district,month,wage\n")
        lines = []
        for r in range(records):
            person = (r * 7919) % people
            lines.append("%s,%s,2025-%02d,%d\n" % (ids[person], DISTRICTS[person % 8], 1 + r % 12,
                                                  3000 + rng.randrange(40000)))
            if len(lines) == 100_000:
                f.write("".join(lines))
                lines.clear()
        f.write("".join(lines))


if __name__ == "__main__":
    main()
