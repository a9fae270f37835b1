#!/usr/bin/env python3
"""Writes the legacy Excel (.xls, BIFF8) workbook the ingest tests read, with xlwt.

usage: make_xls.py OUT.xls
"""
import sys

import xlwt

ROWS = [
    ("姓名", "手机号", "年龄", "所在区", "入职日期"),
    ("张伟", "13812345678", 34, "西湖区", "2019-03-01"),
    ("李娜", "15900001111", 28, "上城区", "2021-07-15"),
    ("王芳", "18600002222", 45, "滨江区", "2008-11-30"),
    ("刘洋", "13700003333", 51, "余杭区", "2001-05-20"),
]

book = xlwt.Workbook(encoding="utf-8")
sheet = book.add_sheet("人员")
for r, row in enumerate(ROWS):
    for c, value in enumerate(row):
        sheet.write(r, c, value)
book.add_sheet("备注").write(0, 0, "only the first sheet is read")
book.save(sys.argv[1])
